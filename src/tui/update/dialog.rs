//! What the dialogs' keys do: each key is first read through the binding table in the
//! dialog's context; a key it does not bind is typed text where the dialog takes text.

use ratatui::crossterm::event::KeyEvent;
use ratatui_textarea::TextArea;

use super::job::start;
use super::keep_choice;
use super::phase::reason_dialog;
use super::typing::edit;
use crate::engine::InDoubt;
use crate::plan::Version;
use crate::tui::action::Effect;
use crate::tui::app::{App, JobKind, Level};
use crate::tui::dialog::{Field, Held, Modal, ReasonFor, rollback_lines};
use crate::tui::keymap::{Command, Context};
use crate::tui::words;

/// How far a command scrolls a dialog's body.
fn scroll_step(cmd: Option<Command>) -> Option<isize> {
    match cmd? {
        Command::ScrollDown | Command::Down => Some(1),
        Command::ScrollUp | Command::Up => Some(-1),
        Command::ScrollPageDown => Some(10),
        Command::ScrollPageUp => Some(-10),
        _ => None,
    }
}

/// Handles a key while `app.modal` is open: `cmd` is what the binding table makes of it in
/// the dialog's context; a key it does not bind is typed text where the dialog takes text.
pub fn on_key(app: &mut App, key: KeyEvent, cmd: Option<Command>) -> Vec<Effect> {
    let Some(modal) = app.modal.take() else {
        return Vec::new();
    };
    let is = |c: Command| cmd == Some(c);
    let (keep, effects) = match modal {
        Modal::Maintain {
            op,
            facts,
            input,
            scroll,
            ..
        } => super::maintenance::on_key(app, &key, cmd, op, facts, input, scroll),
        Modal::ConfirmAdoption {
            summary,
            then,
            mut input,
            mut hint,
            mut scroll,
        } => {
            if is(Command::Back) {
                return Vec::new();
            }
            let expect = summary.tool.word();
            if let Some(step) = scroll_step(cmd) {
                let last = words::adoption_facts(&summary).len().saturating_sub(1);
                scroll = scroll.saturating_add_signed(step).min(last);
            } else if is(Command::Submit) && input == expect {
                if let Some(a) = &mut app.adoption {
                    a.unconfirmed = false;
                }
                return super::command::command(app, then);
            } else if is(Command::Submit) {
                input.clear();
                let submit = app.keymap.key_of(Context::Typed, Command::Submit);
                hint = Some(words::type_exactly(expect, &submit));
            } else {
                edit(&mut input, &key);
            }
            let modal = Modal::ConfirmAdoption {
                summary,
                then,
                input,
                hint,
                scroll,
            };
            (Some(modal), Vec::new())
        }
        Modal::ConfirmApply {
            version,
            summary,
            typed,
            hint,
            scroll,
            oversize,
        } => {
            let keep = |summary, typed, hint, scroll| {
                Some(Modal::ConfirmApply {
                    version: version.clone(),
                    summary,
                    typed,
                    hint,
                    scroll,
                    oversize,
                })
            };
            match (scroll_step(cmd), typed) {
                (Some(step), typed) => {
                    let last = summary.len().saturating_sub(1);
                    let scroll = scroll.saturating_add_signed(step).min(last);
                    (keep(summary, typed, hint, scroll), Vec::new())
                }
                (None, None) if is(Command::Confirm) => {
                    keep_choice::run_or_ask(app, Held::Apply(version), oversize)
                }
                (None, None) if is(Command::Decline) => (None, Vec::new()),
                (None, None) => (keep(summary, None, hint, scroll), Vec::new()),
                (None, Some(_)) if is(Command::Back) => (None, Vec::new()),
                (None, Some(text)) if is(Command::Submit) => {
                    if text == version.as_str() {
                        keep_choice::run_or_ask(app, Held::Apply(version), oversize)
                    } else {
                        let submit = app.keymap.key_of(Context::Typed, Command::Submit);
                        let hint = Some(words::type_exactly(&version, &submit));
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
            oversize,
        } => {
            // Returning early leaves the dialog closed: it was taken out of `app.modal`.
            if is(Command::Back) {
                return Vec::new();
            }
            if let Some(step) = scroll_step(cmd) {
                let last = rollback_lines(&phases, &impact).saturating_sub(1);
                scroll = scroll.saturating_add_signed(step).min(last);
            } else if is(Command::Submit) && input == version.as_str() {
                let (modal, effects) =
                    keep_choice::run_or_ask(app, Held::Rollback(version), oversize);
                app.modal = modal;
                return effects;
            } else if is(Command::Submit) {
                hint = Some(if input.is_empty() {
                    let submit = app.keymap.key_of(Context::Typed, Command::Submit);
                    words::type_to_roll_back(&version, &submit)
                } else {
                    words::typed_wrong(&input, &version)
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
                oversize,
            };
            (Some(m), Vec::new())
        }
        Modal::KeepChoice {
            held,
            oversize,
            reason,
            ..
        } => keep_choice::on_key(app, &key, cmd, (held, oversize), reason),
        Modal::MarkChoice { version, can_apply } => {
            let purpose = match cmd {
                Some(Command::MarkApplied) if can_apply => Some(ReasonFor::MarkApplied),
                Some(Command::MarkPending) => Some(ReasonFor::MarkPending),
                _ => None,
            };
            match purpose {
                Some(purpose) => (Some(reason_dialog(purpose, version)), Vec::new()),
                None if is(Command::Back) => (None, Vec::new()),
                None => (Some(Modal::MarkChoice { version, can_apply }), Vec::new()),
            }
        }
        Modal::InDoubtChoice { version, statement } => {
            let purpose = match cmd {
                Some(Command::InDoubtAsk) => Some(ReasonFor::Resume(None)),
                Some(Command::InDoubtDone) => Some(ReasonFor::Resume(Some(InDoubt::Done))),
                Some(Command::InDoubtRerun) => Some(ReasonFor::Resume(Some(InDoubt::Rerun))),
                _ => None,
            };
            match purpose {
                Some(purpose) => (Some(reason_dialog(purpose, version)), Vec::new()),
                None if is(Command::Back) => (None, Vec::new()),
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
            if is(Command::Back) {
                open = false;
            } else if is(Command::NextField) {
                field = if field == Field::Reason {
                    Field::Version
                } else {
                    Field::Reason
                };
            } else if is(Command::Submit) {
                if reason.trim().is_empty() {
                    hint = Some(words::WRITE_WHY.into());
                    field = Field::Reason;
                } else if field == Field::Reason {
                    field = Field::Version;
                } else if typed != version.as_str() {
                    let submit = app.keymap.key_of(Context::Reason, Command::Submit);
                    hint = Some(words::type_exactly(words::the_version(&version), &submit));
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
            if is(Command::Confirm) {
                if let Some(job) = &mut app.job {
                    job.cancelling = true;
                }
                (None, vec![Effect::Cancel])
            } else if is(Command::Decline) {
                (None, Vec::new())
            } else {
                (Some(Modal::ConfirmCancel), Vec::new())
            }
        }
        Modal::ConfirmQuit => {
            if is(Command::Confirm) {
                app.quit = true;
                (None, vec![Effect::Cancel])
            } else if is(Command::Decline) {
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
            mut scroll,
        } => {
            if is(Command::Close) {
                return Vec::new();
            }
            match cmd {
                Some(Command::Down) => {
                    selected = (selected + 1).min(checks.len().saturating_sub(1));
                }
                Some(Command::Up) => selected = selected.saturating_sub(1),
                Some(Command::ScrollPageDown) => {
                    scroll = (scroll + 10).min(notes.len().saturating_sub(1));
                }
                Some(Command::ScrollPageUp) => scroll = scroll.saturating_sub(10),
                _ => {}
            }
            let check = checks.get(selected).map(|c| c.name.clone());
            let v = version.clone();
            let results = Modal::Results {
                title,
                version,
                checks,
                notes,
                selected,
                scroll,
            };
            match v.filter(|_| is(Command::EditCheck)) {
                Some(v) => (
                    Some(open_editor(app, &v, check.as_deref(), results)),
                    Vec::new(),
                ),
                None => (Some(results), Vec::new()),
            }
        }
        Modal::Editor {
            version,
            check,
            mut area,
            mut result,
            mut scroll,
            back,
        } => 'editor: {
            if is(Command::Back) {
                // Back to the results it came from: the next keys must not become commands.
                break 'editor (back.map(|b| *b), Vec::new());
            }
            let run = is(Command::RunQuery);
            let mut effects = Vec::new();
            if is(Command::ResultDown) {
                let rows = match &result {
                    Some(Ok(rs)) => rs.rows.len(),
                    _ => 0,
                };
                scroll = (scroll + 1).min(rows.saturating_sub(1));
            } else if is(Command::ResultUp) {
                scroll = scroll.saturating_sub(1);
            } else if run && app.job.is_some() {
                let cancel = app.keymap.key_of(Context::Running, Command::CancelJob);
                app.message = Some((Level::Info, words::query_running(&cancel)));
            } else if run {
                let sql = area.lines().join("\n");
                start(app, JobKind::Query, Some(version.clone()));
                effects.push(Effect::Query {
                    version: version.clone(),
                    check: check.clone(),
                    sql,
                });
                result = None;
                scroll = 0;
            } else {
                area.input(key);
            }
            let m = Modal::Editor {
                version,
                check,
                area,
                result,
                scroll,
                back,
            };
            (Some(m), effects)
        }
        Modal::Diff {
            version,
            text,
            scroll,
        } => {
            if is(Command::Close) {
                return Vec::new();
            }
            let last = u16::try_from(text.lines().count().saturating_sub(1)).unwrap_or(u16::MAX);
            let scroll = match scroll_step(cmd) {
                Some(step) => scroll.saturating_add_signed(step as i16).min(last),
                None => scroll,
            };
            let m = Modal::Diff {
                version,
                text,
                scroll,
            };
            (Some(m), Vec::new())
        }
    };
    app.modal = keep;
    effects
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
        scroll: 0,
        back: Some(Box::new(back)),
    }
}
