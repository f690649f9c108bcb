//! Dialogs: what each holds, and what its keys do. A dialog that changes the database leaves
//! Cancel focused and needs an explicit yes or the typed version.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::TextArea;

use super::action::Effect;
use super::app::{App, Job, JobKind};
use crate::engine::{CheckOutcome, DownTarget, InDoubt, ResultSet};
use crate::plan::Version;

/// A phase the rollback dialog lists, with its DOWN statements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UndoLine {
    pub version: Version,
    pub name: String,
    /// `None` until the phase's files are read.
    pub down: Option<Vec<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReasonFor {
    MarkApplied,
    MarkPending,
    Accept,
    /// With the operator's word on a statement in doubt, for when the database cannot tell.
    Resume(Option<InDoubt>),
}

impl ReasonFor {
    pub fn title(self) -> &'static str {
        match self {
            ReasonFor::MarkApplied => "Mark applied",
            ReasonFor::MarkPending => "Mark pending",
            ReasonFor::Accept => "Accept the changed file",
            ReasonFor::Resume(None) => "Resume the dirty phase",
            ReasonFor::Resume(Some(InDoubt::Done)) => "Resume: the statement in doubt took effect",
            ReasonFor::Resume(Some(InDoubt::Rerun)) => "Resume: run the statement in doubt again",
        }
    }
}

/// Which field of a reason dialog has the cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Reason,
    Version,
}

#[derive(Debug)]
pub enum Modal {
    ConfirmApply {
        version: Version,
        summary: Vec<String>,
        /// With `confirm = "typed"`: the version typed so far.
        typed: Option<String>,
        hint: Option<String>,
        /// Rows of the summary scrolled past (the arrow and page keys).
        scroll: usize,
    },
    Rollback {
        version: Version,
        phases: Vec<UndoLine>,
        /// What the DOWN parts destroy; `None` while it loads.
        impact: Option<Vec<String>>,
        input: String,
        hint: Option<String>,
        /// Lines of the body scrolled past (the arrow and page keys).
        scroll: usize,
    },
    MarkChoice {
        version: Version,
        /// False for a failed transactional phase, of which nothing remains.
        can_apply: bool,
    },
    /// Resuming a phase whose statement `statement` (1-based) was in flight when its session
    /// was lost: the operator's word for when the database cannot tell.
    InDoubtChoice {
        version: Version,
        statement: i32,
    },
    Reason {
        purpose: ReasonFor,
        version: Version,
        reason: String,
        typed: String,
        field: Field,
        hint: Option<String>,
    },
    ConfirmCancel,
    ConfirmQuit,
    Results {
        title: String,
        version: Option<Version>,
        checks: Vec<CheckOutcome>,
        /// Lines before the grid: statements, locks, errors.
        notes: Vec<String>,
        selected: usize,
    },
    Editor {
        version: Version,
        check: String,
        area: Box<TextArea<'static>>,
        result: Option<Result<ResultSet, String>>,
        /// The check results it was opened from, shown again when it closes.
        back: Option<Box<Modal>>,
    },
    Diff {
        version: Version,
        text: String,
        scroll: u16,
    },
    /// Drop, rebuild or refresh from a monitoring tab, or signal a blocker.
    Maintain {
        op: super::dialog_maintenance::Maintenance,
        /// What it acts on, one fact a line.
        facts: Vec<String>,
        input: String,
        hint: Option<String>,
    },
}

/// How far a key scrolls a dialog's body. A typed version takes letters and digits, so
/// bodies scroll on the arrows and the page keys.
fn scroll_step(key: &KeyEvent) -> Option<isize> {
    match key.code {
        KeyCode::Down => Some(1),
        KeyCode::Up => Some(-1),
        KeyCode::PageDown => Some(10),
        KeyCode::PageUp => Some(-10),
        _ => None,
    }
}

fn is(key: &KeyEvent, code: KeyCode) -> bool {
    key.code == code && !key.modifiers.contains(KeyModifiers::CONTROL)
}

/// Edits a one-line input; returns whether the key was consumed.
fn edit(input: &mut String, key: &KeyEvent) -> bool {
    match key.code {
        KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
            input.push(c);
            true
        }
        KeyCode::Backspace => {
            input.pop();
            true
        }
        _ => false,
    }
}

/// Marks `kind` of work as running, clearing the last message.
pub(super) fn start(app: &mut App, kind: JobKind, version: Option<Version>) {
    app.job = Some(Job {
        kind,
        version,
        elapsed: std::time::Duration::ZERO,
        statements: 0,
        statement: None,
        line: None,
        step: None,
        waiting: None,
        retry: None,
        cancelling: false,
        target: None,
    });
    app.message = None;
}

/// Handles a key while `app.modal` is open.
pub fn on_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let Some(modal) = app.modal.take() else {
        return Vec::new();
    };
    let esc = is(&key, KeyCode::Esc);
    let (keep, effects) = match modal {
        Modal::Maintain {
            op, facts, input, ..
        } => super::dialog_maintenance::on_key(app, &key, op, facts, input),
        Modal::ConfirmApply {
            version,
            summary,
            typed,
            hint,
            scroll,
        } => {
            let keep = |summary, typed, hint, scroll| {
                Some(Modal::ConfirmApply {
                    version: version.clone(),
                    summary,
                    typed,
                    hint,
                    scroll,
                })
            };
            match (scroll_step(&key), typed) {
                (Some(step), typed) => {
                    let last = summary.len().saturating_sub(1);
                    let scroll = scroll.saturating_add_signed(step).min(last);
                    (keep(summary, typed, hint, scroll), Vec::new())
                }
                (None, None) if is(&key, KeyCode::Char('y')) => (None, apply(app, version)),
                (None, None) if esc || is(&key, KeyCode::Char('n')) => (None, Vec::new()),
                (None, None) => (keep(summary, None, hint, scroll), Vec::new()),
                (None, Some(_)) if esc => (None, Vec::new()),
                (None, Some(text)) if is(&key, KeyCode::Enter) => {
                    if text == version.as_str() {
                        (None, apply(app, version))
                    } else {
                        let hint = Some(format!("type {} exactly, then Enter", version));
                        (keep(summary, Some(String::new()), hint, scroll), Vec::new())
                    }
                }
                (None, Some(mut text)) => {
                    edit(&mut text, &key);
                    (keep(summary, Some(text), hint, scroll), Vec::new())
                }
            }
        }
        Modal::Rollback {
            version,
            phases,
            impact,
            mut input,
            mut hint,
            mut scroll,
        } => {
            // Returning early leaves the dialog closed: it was taken out of `app.modal`.
            if esc {
                return Vec::new();
            }
            if let Some(step) = scroll_step(&key) {
                let last = rollback_lines(&phases, &impact).saturating_sub(1);
                scroll = scroll.saturating_add_signed(step).min(last);
            } else if is(&key, KeyCode::Enter) && input == version.as_str() {
                start(app, JobKind::Rollback, Some(version.clone()));
                let target = down_to(app, &version);
                let reason = format!("rolled back from the console to before {version}");
                return vec![Effect::Rollback { target, reason }];
            } else if is(&key, KeyCode::Enter) {
                hint = Some(if input.is_empty() {
                    format!("type the version {version} and Enter to roll back; Esc cancels")
                } else {
                    format!("`{input}` is not {version}: type {version} exactly")
                });
                input.clear();
            } else {
                edit(&mut input, &key);
            }
            let m = Modal::Rollback {
                version,
                phases,
                impact,
                input,
                hint,
                scroll,
            };
            (Some(m), Vec::new())
        }
        Modal::MarkChoice { version, can_apply } => {
            let purpose = match key.code {
                KeyCode::Char('a') if can_apply => Some(ReasonFor::MarkApplied),
                KeyCode::Char('p') => Some(ReasonFor::MarkPending),
                _ => None,
            };
            match purpose {
                Some(purpose) => (Some(reason_dialog(purpose, version)), Vec::new()),
                None if esc => (None, Vec::new()),
                None => (Some(Modal::MarkChoice { version, can_apply }), Vec::new()),
            }
        }
        Modal::InDoubtChoice { version, statement } => {
            let purpose = match key.code {
                KeyCode::Enter => Some(ReasonFor::Resume(None)),
                KeyCode::Char('d') => Some(ReasonFor::Resume(Some(InDoubt::Done))),
                KeyCode::Char('r') => Some(ReasonFor::Resume(Some(InDoubt::Rerun))),
                _ => None,
            };
            match purpose {
                Some(purpose) => (Some(reason_dialog(purpose, version)), Vec::new()),
                None if esc => (None, Vec::new()),
                None => (
                    Some(Modal::InDoubtChoice { version, statement }),
                    Vec::new(),
                ),
            }
        }
        Modal::Reason {
            purpose,
            version,
            mut reason,
            mut typed,
            mut field,
            mut hint,
        } => {
            let mut effects = Vec::new();
            let mut open = true;
            if esc {
                open = false;
            } else if is(&key, KeyCode::Tab) || is(&key, KeyCode::BackTab) {
                field = if field == Field::Reason {
                    Field::Version
                } else {
                    Field::Reason
                };
            } else if is(&key, KeyCode::Enter) {
                if reason.trim().is_empty() {
                    hint = Some("write why: the reason goes to the event log".into());
                    field = Field::Reason;
                } else if field == Field::Reason {
                    field = Field::Version;
                } else if typed != version.as_str() {
                    hint = Some(format!("type the version {version} exactly, then Enter"));
                    typed.clear();
                } else {
                    open = false;
                    effects = reasoned(app, purpose, version.clone(), reason.trim().to_string());
                }
            } else if field == Field::Reason {
                edit(&mut reason, &key);
            } else {
                edit(&mut typed, &key);
            }
            let m = open.then_some(Modal::Reason {
                purpose,
                version,
                reason,
                typed,
                field,
                hint,
            });
            (m, effects)
        }
        Modal::ConfirmCancel => {
            if is(&key, KeyCode::Char('y')) {
                if let Some(job) = &mut app.job {
                    job.cancelling = true;
                }
                (None, vec![Effect::Cancel])
            } else if esc || is(&key, KeyCode::Char('n')) {
                (None, Vec::new())
            } else {
                (Some(Modal::ConfirmCancel), Vec::new())
            }
        }
        Modal::ConfirmQuit => {
            if is(&key, KeyCode::Char('y')) {
                app.quit = true;
                (None, vec![Effect::Cancel])
            } else if esc || is(&key, KeyCode::Char('n')) {
                (None, Vec::new())
            } else {
                (Some(Modal::ConfirmQuit), Vec::new())
            }
        }
        Modal::Results {
            title,
            version,
            checks,
            notes,
            mut selected,
        } => match key.code {
            KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q') => (None, Vec::new()),
            KeyCode::Down | KeyCode::Char('j') => {
                selected = (selected + 1).min(checks.len().saturating_sub(1));
                let m = Modal::Results {
                    title,
                    version,
                    checks,
                    notes,
                    selected,
                };
                (Some(m), Vec::new())
            }
            KeyCode::Up | KeyCode::Char('k') => {
                selected = selected.saturating_sub(1);
                let m = Modal::Results {
                    title,
                    version,
                    checks,
                    notes,
                    selected,
                };
                (Some(m), Vec::new())
            }
            _ => {
                let edit_key = app
                    .keymap
                    .lookup(&[super::keymap::Context::Checks], &key, false);
                let wants_editor = edit_key == Some(super::keymap::Command::EditCheck);
                let check = checks.get(selected).map(|c| c.name.clone());
                let v = version.clone();
                let results = Modal::Results {
                    title,
                    version,
                    checks,
                    notes,
                    selected,
                };
                match v.filter(|_| wants_editor) {
                    Some(v) => (
                        Some(open_editor(app, &v, check.as_deref(), results)),
                        Vec::new(),
                    ),
                    None => (Some(results), Vec::new()),
                }
            }
        },
        Modal::Editor {
            version,
            check,
            mut area,
            result,
            back,
        } => {
            let run = key.code == KeyCode::F(5)
                || (key.code == KeyCode::Char('r')
                    && key.modifiers.contains(KeyModifiers::CONTROL));
            if esc {
                // Back to the results it came from: the next keys must not become commands.
                (back.map(|b| *b), Vec::new())
            } else if run && app.job.is_some() {
                app.message = Some((
                    super::app::Level::Info,
                    "a query is still running: wait for it, or cancel it with c".into(),
                ));
                let m = Modal::Editor {
                    version,
                    check,
                    area,
                    result,
                    back,
                };
                (Some(m), Vec::new())
            } else if run {
                let sql = area.lines().join("\n");
                start(app, JobKind::Query, Some(version.clone()));
                let effect = Effect::Query {
                    version: version.clone(),
                    check: check.clone(),
                    sql,
                };
                let m = Modal::Editor {
                    version,
                    check,
                    area,
                    result: None,
                    back,
                };
                (Some(m), vec![effect])
            } else {
                area.input(key);
                let m = Modal::Editor {
                    version,
                    check,
                    area,
                    result,
                    back,
                };
                (Some(m), Vec::new())
            }
        }
        Modal::Diff {
            version,
            text,
            scroll,
        } => match key.code {
            KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q') => (None, Vec::new()),
            KeyCode::Down | KeyCode::Char('j') => {
                let m = Modal::Diff {
                    version,
                    text,
                    scroll: scroll.saturating_add(1),
                };
                (Some(m), Vec::new())
            }
            KeyCode::Up | KeyCode::Char('k') => {
                let m = Modal::Diff {
                    version,
                    text,
                    scroll: scroll.saturating_sub(1),
                };
                (Some(m), Vec::new())
            }
            _ => (
                Some(Modal::Diff {
                    version,
                    text,
                    scroll,
                }),
                Vec::new(),
            ),
        },
    };
    app.modal = keep;
    effects
}

fn apply(app: &mut App, version: Version) -> Vec<Effect> {
    start(app, JobKind::Apply, Some(version.clone()));
    vec![Effect::Apply { to: version }]
}

/// The applied phase just before `version`, which `down --to` keeps.
/// Rolling back `version` and every applied phase after it: down to the applied phase
/// before it, or all of them.
pub fn down_to(app: &App, version: &Version) -> DownTarget {
    let before = app
        .phases
        .iter()
        .filter(|p| p.version < *version && p.row.is_some())
        .map(|p| p.version.clone())
        .next_back();
    before.map_or(DownTarget::All, DownTarget::To)
}

pub fn reason_dialog(purpose: ReasonFor, version: Version) -> Modal {
    Modal::Reason {
        purpose,
        version,
        reason: String::new(),
        typed: String::new(),
        field: Field::Reason,
        hint: None,
    }
}

fn reasoned(app: &mut App, purpose: ReasonFor, version: Version, reason: String) -> Vec<Effect> {
    let (kind, effect) = match purpose {
        ReasonFor::MarkApplied | ReasonFor::MarkPending => (
            JobKind::Mark,
            Effect::Mark {
                version: version.clone(),
                applied: purpose == ReasonFor::MarkApplied,
                reason,
            },
        ),
        ReasonFor::Accept => (
            JobKind::Accept,
            Effect::Accept {
                version: version.clone(),
                reason,
            },
        ),
        ReasonFor::Resume(in_doubt) => (
            JobKind::Resume,
            Effect::Resume {
                version: version.clone(),
                reason,
                in_doubt,
            },
        ),
    };
    start(app, kind, Some(version));
    vec![effect]
}

/// How many lines the rollback dialog's body has in all, before wrapping: where its
/// scrolling ends.
pub fn rollback_lines(phases: &[UndoLine], impact: &Option<Vec<String>>) -> usize {
    let impact_lines = impact.as_ref().map_or(1, |v| v.len().max(1));
    let downs: usize = phases
        .iter()
        .map(|p| {
            let sql: usize = p
                .down
                .iter()
                .flatten()
                .map(|s| s.lines().count().max(1))
                .sum();
            let note = usize::from(p.down.as_ref().is_none_or(Vec::is_empty));
            1 + note + sql
        })
        .sum();
    2 + impact_lines + downs
}

/// The editor on a check's query (or the first check's), never written back to the file,
/// opened from `back` (the check results), which it returns to; `back` itself when the phase
/// has no such check.
pub fn open_editor(app: &App, version: &Version, check: Option<&str>, back: Modal) -> Modal {
    let Some(m) = app.plan.migrations.iter().find(|m| m.version == *version) else {
        return back;
    };
    let found = match check {
        Some(name) => m.checks.iter().find(|c| c.name == name),
        None => m.checks.first(),
    };
    let Some(c) = found else { return back };
    let mut area = TextArea::new(c.sql.lines().map(str::to_string).collect());
    area.set_line_number_style(ratatui::style::Style::default());
    Modal::Editor {
        version: version.clone(),
        check: c.name.clone(),
        area: Box::new(area),
        result: None,
        back: Some(Box::new(back)),
    }
}
