//! Drawing the dialogs, centred over the screen.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Borders, Cell, Paragraph, Row, Table, Wrap};

use super::fit;
use super::frame::{frame_for, grade_style, hint_line, input_line, scrolled, wrapped_height};
use super::highlight;
use crate::engine::CheckOutcome;
use crate::text;
use crate::tui::app::App;
use crate::tui::dialog::{Field, Modal};
use crate::tui::keymap::{Command, Context};
use crate::tui::theme::Theme;
use crate::tui::words;
use crate::tui::words::tabs;

/// Whether the footer offers `cmd` in the open dialog: the table binds it in the dialog's
/// context, but a choice that does not apply is left out.
pub fn offered(app: &App, cmd: Command) -> bool {
    match (&app.modal, cmd) {
        (Some(Modal::MarkChoice { can_apply, .. }), Command::MarkApplied) => *can_apply,
        (Some(Modal::Results { version, .. }), Command::EditCheck) => version.is_some(),
        _ => true,
    }
}

/// The check grid: grade, name, expectation, before, and what was seen or why it failed.
/// The check grid in `area`, scrolled to keep the selected check in view, with a last row
/// that says how many checks are above and below when they do not all fit.
fn checks_window(
    checks: &[CheckOutcome],
    selected: usize,
    area: Rect,
    t: &Theme,
    frame: &mut Frame,
) {
    let fits = checks.len() < usize::from(area.height);
    let shown = if fits {
        checks.len()
    } else {
        usize::from(area.height.saturating_sub(2)).max(1)
    };
    let first = selected.saturating_sub(shown - 1).min(checks.len() - shown);
    let table = checks_table(checks, Some(selected), (first, shown), area.width, t);
    if fits {
        frame.render_widget(table, area);
        return;
    }
    let [grid, marker] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(area);
    frame.render_widget(table, grid);
    let below = checks.len() - first - shown;
    let say = words::checks_out_of_sight(first, below);
    frame.render_widget(Paragraph::new(Span::styled(say, t.dim())), marker);
}

/// The rows `first..first + shown` of the grid, `width` columns wide.
pub fn checks_table<'a>(
    checks: &'a [CheckOutcome],
    selected: Option<usize>,
    (first, shown): (usize, usize),
    width: u16,
    t: &Theme,
) -> Table<'a> {
    let rows = checks
        .iter()
        .enumerate()
        .skip(first)
        .take(shown)
        .map(|(i, c)| {
            let style = grade_style(c.grade, t);
            let row = Row::new(vec![
                Cell::from(c.grade.word()).style(style),
                Cell::from(text::escape(&c.name)),
                Cell::from(c.expect.as_str()),
                Cell::from(text::escape(c.before.as_deref().unwrap_or("-")).into_owned()),
                Cell::from(
                    text::escape(if c.failed() { &c.detail } else { &c.after }).into_owned(),
                ),
            ]);
            if Some(i) == selected {
                row.style(t.selected())
            } else {
                row
            }
        });
    // Columns as wide as what they hold, so the last one (why a check failed) keeps the rest.
    let len = |s: &str| text::escape(s).chars().count();
    const C: [&str; 5] = tabs::CHECK_COLUMNS;
    let widths = [
        Constraint::Length(4),
        fit(width, C[1], checks.iter().map(|c| len(&c.name)), 32),
        fit(width, C[2], checks.iter().map(|c| len(&c.expect)), 16),
        fit(
            width,
            C[3],
            checks.iter().map(|c| c.before.as_deref().map_or(1, len)),
            16,
        ),
        Constraint::Min(10),
    ];
    Table::new(rows, widths).header(Row::new(C.to_vec()).style(t.title()))
}

pub fn render(app: &App, modal: &Modal, t: &Theme, frame: &mut Frame, area: Rect) {
    let wide = area.width.saturating_sub(4).min(110);
    let key = |context, command| app.keymap.key_of(context, command);
    match modal {
        Modal::Maintain {
            op,
            facts,
            input,
            hint,
            scroll,
        } => {
            let title = op.title();
            let words = (title.as_str(), op.prompt());
            super::confirm::render(words, facts, input, hint, *scroll, t, frame, area)
        }
        Modal::ConfirmAdoption {
            summary,
            input,
            hint,
            scroll,
            ..
        } => {
            let facts = words::adoption_facts(summary);
            let words = (words::ADOPTION_TITLE, words::ADOPTION_PROMPT);
            super::confirm::render(words, &facts, input, hint, *scroll, t, frame, area)
        }
        Modal::ConfirmApply {
            summary,
            typed,
            hint,
            version,
            scroll,
            ..
        } => {
            let lines: Vec<Line> = summary.iter().map(|s| Line::from(s.as_str())).collect();
            let mut tail = vec![Line::default()];
            match typed {
                None => tail.push(Line::from(vec![
                    Span::styled(words::CANCEL_BUTTON, t.selected()),
                    Span::raw("   "),
                    Span::raw(words::apply_or_cancel(
                        &key(Context::Apply, Command::Confirm),
                        &key(Context::Apply, Command::Decline),
                    )),
                ])),
                Some(text) => {
                    tail.push(input_line(words::TYPE_TO_APPLY, text, true, t));
                    tail.push(hint_line(hint, t));
                }
            }
            let rows = wrapped_height(&lines, wide.saturating_sub(2));
            let h = rows + tail.len() as u16 + 2;
            let inner = frame_for(frame, area, wide, h, words::apply_title(version), t);
            // The answer is drawn apart from the summary: a long summary never hides it.
            let [top, bottom] =
                Layout::vertical([Constraint::Min(0), Constraint::Length(tail.len() as u16)])
                    .areas(inner);
            scrolled(frame, top, lines, rows, *scroll, t);
            frame.render_widget(Paragraph::new(tail), bottom);
        }
        Modal::Rollback {
            version,
            phases,
            impact,
            input,
            hint,
            scroll,
            ..
        } => super::rollback::render(
            version, phases, impact, input, hint, *scroll, t, frame, area,
        ),
        Modal::KeepChoice {
            held,
            oversize,
            reason,
            hint,
        } => super::keep_choice::render(app, (held, oversize), (reason, hint), t, frame, area),
        Modal::MarkChoice { version, can_apply } => {
            let applied = if *can_apply {
                Line::from(vec![
                    Span::styled(key(Context::MarkChoice, Command::MarkApplied), t.key()),
                    Span::raw(words::MARK_APPLIED),
                ])
            } else {
                Line::from(words::MARK_NOT_APPLIED)
            };
            let lines = vec![
                Line::from(words::mark_question(version)),
                applied,
                Line::from(vec![
                    Span::styled(key(Context::MarkChoice, Command::MarkPending), t.key()),
                    Span::raw(words::MARK_PENDING),
                ]),
            ];
            let inner = frame_for(frame, area, 64, 5, words::mark_title(version), t);
            frame.render_widget(Paragraph::new(lines), inner);
        }
        Modal::InDoubtChoice { version, statement } => {
            let mut lines: Vec<Line> = words::in_doubt_question(*statement, version)
                .into_iter()
                .map(Line::from)
                .collect();
            for (cmd, say) in [
                (Command::InDoubtAsk, words::IN_DOUBT_ASK),
                (Command::InDoubtDone, words::IN_DOUBT_DONE),
                (Command::InDoubtRerun, words::IN_DOUBT_RERUN),
            ] {
                lines.push(Line::from(vec![
                    Span::styled(key(Context::InDoubt, cmd), t.key()),
                    Span::raw(say),
                ]));
            }
            let inner = frame_for(frame, area, 80, 8, words::resume_title(version), t);
            frame.render_widget(Paragraph::new(lines), inner);
        }
        Modal::Reason {
            purpose,
            version,
            reason,
            typed,
            field,
            hint,
        } => {
            let lines = vec![
                input_line(words::REASON_LABEL, reason, *field == Field::Reason, t),
                input_line(
                    words::TYPED_VERSION_LABEL,
                    typed,
                    *field == Field::Version,
                    t,
                ),
                hint_line(hint, t),
            ];
            let w = wide.min(90);
            let h = wrapped_height(&lines, w.saturating_sub(2)) + 2;
            let title = format!(" {} {version} ", purpose.title());
            let inner = frame_for(frame, area, w, h, title, t);
            frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
        }
        Modal::ConfirmCancel => {
            let inner = frame_for(frame, area, 64, 3, words::CANCEL_TITLE.into(), t);
            let text = words::cancel_question(
                &key(Context::Question, Command::Confirm),
                &key(Context::Question, Command::Decline),
            );
            frame.render_widget(Paragraph::new(text), inner);
        }
        Modal::ConfirmQuit => {
            let inner = frame_for(frame, area, 64, 4, words::QUIT_TITLE.into(), t);
            let text = words::quit_question(
                &key(Context::Question, Command::Confirm),
                &key(Context::Question, Command::Decline),
            );
            frame.render_widget(Paragraph::new(text), inner);
        }
        Modal::Results {
            title,
            checks,
            notes,
            selected,
            scroll,
            ..
        } => {
            let grid = checks.len().max(1) as u16 + 1;
            let notes: Vec<Line> = notes.iter().map(|n| Line::from(n.as_str())).collect();
            let notes_h = wrapped_height(&notes, wide.saturating_sub(2));
            let h = (notes_h + grid + 3).min(area.height);
            let inner = frame_for(frame, area, wide, h, format!(" {title} "), t);
            // Both fit, or the grid keeps at least half the room and the notes scroll.
            let room = inner.height;
            let grid_h = if notes_h + grid < room {
                room - notes_h
            } else {
                grid.min(room.saturating_sub(notes_h.min(room / 2)))
            };
            let [top, bottom] = Layout::vertical([
                Constraint::Length(room - grid_h),
                Constraint::Length(grid_h),
            ])
            .areas(inner);
            scrolled(frame, top, notes, notes_h, *scroll, t);
            if checks.is_empty() {
                frame.render_widget(Paragraph::new(words::NO_CHECKS).style(t.dim()), bottom);
            } else {
                checks_window(checks, *selected, bottom, t, frame);
            }
        }
        Modal::Editor {
            check,
            area: text,
            result,
            scroll,
            ..
        } => {
            let inner = frame_for(
                frame,
                area,
                wide,
                area.height.saturating_sub(2),
                words::editor_title(check),
                t,
            );
            let [top, bottom] =
                Layout::vertical([Constraint::Percentage(55), Constraint::Min(3)]).areas(inner);
            frame.render_widget(&**text, top);
            let block = t.block().borders(Borders::TOP).title(words::RESULT_TITLE);
            let lines: Vec<Line> = match result {
                None => vec![Line::from(Span::styled(
                    words::run_query_hint(&key(Context::Editor, Command::RunQuery)),
                    t.dim(),
                ))],
                Some(Err(e)) => vec![Line::from(Span::styled(e.clone(), t.error()))],
                Some(Ok(rs)) => {
                    let keys = key(Context::Editor, Command::ResultDown);
                    super::grid::render(rs, *scroll, &keys, block, t, frame, bottom);
                    return;
                }
            };
            frame.render_widget(Paragraph::new(lines).block(block), bottom);
        }
        Modal::Diff {
            version,
            text,
            scroll,
        } => {
            let inner = frame_for(
                frame,
                area,
                wide,
                area.height.saturating_sub(2),
                words::diff_title(version),
                t,
            );
            let lines = highlight::diff(text, t);
            let rows = wrapped_height(&lines, inner.width);
            scrolled(frame, inner, lines, rows, usize::from(*scroll), t);
        }
    }
}
