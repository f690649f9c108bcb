//! The confirmations of the monitoring tabs' actions: each names what it acts on and needs
//! that name (or pid) typed and submitted, as the rollback dialog does.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::job::start;
use crate::engine::history::quote_ident;
use crate::monitor::activity::{Session, head};
use crate::monitor::indexes::{IndexInfo, pretty_size};
use crate::monitor::matviews::MatviewInfo;
use crate::trash::Kept;
use crate::tui::action::Effect;
use crate::tui::app::{App, JobKind};
use crate::tui::dialog::{Maintenance, Modal};
use crate::tui::keymap::{Command, Context};
use crate::tui::words;
use crate::tui::words::facts as w;

/// The job a confirmed dialog starts, and its effect.
fn job(op: &Maintenance) -> (JobKind, Effect) {
    match op.clone() {
        Maintenance::DropIndex { sql, .. } => (JobKind::DropIndex, Effect::DropIndex { name: sql }),
        Maintenance::Reindex { sql, .. } => (JobKind::Reindex, Effect::Reindex { name: sql }),
        Maintenance::Refresh { sql, .. } => {
            (JobKind::Refresh, Effect::RefreshMatview { name: sql })
        }
        Maintenance::Cancel(pid) => (
            JobKind::CancelBackend,
            Effect::SignalBackend {
                pid,
                terminate: false,
            },
        ),
        Maintenance::Terminate(pid) => (
            JobKind::TerminateBackend,
            Effect::SignalBackend {
                pid,
                terminate: true,
            },
        ),
        Maintenance::Restore { id, .. } => (JobKind::Restore, Effect::RestoreKept { id }),
        Maintenance::Purge => (JobKind::Purge, Effect::PurgeKept),
    }
}

fn qualified(schema: &str, name: &str) -> String {
    format!("{}.{}", quote_ident(schema), quote_ident(name))
}

fn dialog(op: Maintenance, facts: Vec<String>) -> Modal {
    Modal::Maintain {
        op,
        facts,
        input: String::new(),
        hint: None,
        scroll: 0,
    }
}

/// Drop (`rebuild` false) or rebuild the index `i`.
pub fn index_dialog(i: &IndexInfo, rebuild: bool) -> Modal {
    let sql = qualified(&i.schema, &i.index);
    let shown = i.index.clone();
    let (op, how) = if rebuild {
        (Maintenance::Reindex { sql, shown }, w::REINDEX_HOW)
    } else {
        (Maintenance::DropIndex { sql, shown }, w::DROP_INDEX_HOW)
    };
    let facts = vec![
        w::index(i.qualified(), &i.schema, &i.table),
        w::index_use(pretty_size(i.size_bytes), i.scans, i.verdict_text()),
        i.definition
            .clone()
            .unwrap_or_else(|| w::INDEX_LOCKED.into()),
        how.into(),
    ];
    dialog(op, facts)
}

pub fn matview_dialog(m: &MatviewInfo) -> Modal {
    let how = if m.populated && m.concurrent_refresh {
        w::REFRESH_CONCURRENTLY.to_string()
    } else {
        w::REFRESH_BLOCKING.into()
    };
    let facts = vec![
        w::matview(m.qualified(), pretty_size(m.size_bytes), m.populated),
        w::base_tables(&m.base_tables),
        how,
    ];
    let op = Maintenance::Refresh {
        sql: qualified(&m.schema, &m.name),
        shown: m.name.clone(),
    };
    dialog(op, facts)
}

/// Put kept copy `k` back, as `pgstep restore ID` does.
pub fn restore_dialog(k: &Kept) -> Modal {
    let facts = vec![
        words::kept_line(k),
        w::removed_by(head(&k.statement, 200)),
        words::RESTORE_HOW.into(),
    ];
    let op = Maintenance::Restore {
        id: k.id,
        shown: k.object.clone(),
    };
    dialog(op, facts)
}

/// Drop every kept copy, as `pgstep purge` does.
pub fn purge_dialog(kept: &[Kept]) -> Modal {
    let mut facts: Vec<String> = kept.iter().map(words::kept_line).collect();
    facts.push(words::PURGE_HOW.into());
    dialog(Maintenance::Purge, facts)
}

pub fn session_dialog(s: &Session, terminate: bool) -> Modal {
    let (op, how) = if terminate {
        (Maintenance::Terminate(s.pid), w::TERMINATE_HOW)
    } else {
        (Maintenance::Cancel(s.pid), w::CANCEL_HOW)
    };
    let facts = vec![
        s.describe(),
        w::query(head(s.query.as_deref().unwrap_or(w::NO_QUERY), 200)),
        how.into(),
    ];
    dialog(op, facts)
}

/// A key in the dialog: back closes, the typed name and submit start the job.
pub fn on_key(
    app: &mut App,
    key: &KeyEvent,
    cmd: Option<Command>,
    op: Maintenance,
    facts: Vec<String>,
    mut input: String,
    mut scroll: usize,
) -> (Option<Modal>, Vec<Effect>) {
    let mut hint = None;
    match cmd {
        Some(Command::Back) => return (None, Vec::new()),
        Some(Command::Submit) if input == op.expect() => {
            let (kind, effect) = job(&op);
            start(app, kind, None);
            if let Some(job) = &mut app.job {
                job.target = Some(op.expect());
            }
            return (None, vec![effect]);
        }
        Some(Command::Submit) => {
            let expect = op.expect();
            input.clear();
            let submit = app.keymap.key_of(Context::Typed, Command::Submit);
            hint = Some(words::type_exactly(expect, &submit));
        }
        Some(Command::ScrollDown) => scroll = (scroll + 1).min(facts.len().saturating_sub(1)),
        Some(Command::ScrollUp) => scroll = scroll.saturating_sub(1),
        Some(Command::ScrollPageDown) => {
            scroll = (scroll + 10).min(facts.len().saturating_sub(1));
        }
        Some(Command::ScrollPageUp) => scroll = scroll.saturating_sub(10),
        _ => match key.code {
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => input.push(c),
            KeyCode::Backspace => {
                input.pop();
            }
            _ => {}
        },
    }
    let m = Modal::Maintain {
        op,
        facts,
        input,
        hint,
        scroll,
    };
    (Some(m), Vec::new())
}
