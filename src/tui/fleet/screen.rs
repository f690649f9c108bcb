//! The Fleet view on the terminal: drawn until the operator opens a target or quits; the
//! screen is given back before either, so a target's console can take it.

use std::future::Future;

use crossterm::event::{Event, EventStream, KeyCode, KeyEventKind};
use futures_util::StreamExt;

use super::{FleetView, Step, draw};
use crate::fleet::Matrix;
use crate::keys::{Command, Context};
use crate::tui::keymap::Keymap;
use crate::tui::theme::Theme;

/// Shows `view` until it says to open a target or quit; `reread` reads every target's state
/// again on the refresh key.
pub async fn show<F, Fut>(
    view: &mut FleetView,
    keymap: &Keymap,
    theme: &Theme,
    reread: F,
) -> std::io::Result<Step>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Matrix>,
{
    // ratatui::init restores the terminal from its panic hook too.
    let mut terminal = ratatui::init();
    let result = event_loop(view, keymap, theme, reread, &mut terminal).await;
    ratatui::restore();
    result
}

async fn event_loop<F, Fut>(
    view: &mut FleetView,
    keymap: &Keymap,
    theme: &Theme,
    reread: F,
    terminal: &mut ratatui::DefaultTerminal,
) -> std::io::Result<Step>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Matrix>,
{
    let mut events = EventStream::new();
    loop {
        terminal.draw(|f| draw::render(view, keymap, theme, f))?;
        let page = usize::from(terminal.size()?.height.saturating_sub(8).max(1));
        let key = match events.next().await {
            Some(Ok(Event::Key(k))) if k.kind != KeyEventKind::Release => k,
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(e),
            None => return Ok(Step::Quit),
        };
        if view.typing {
            match keymap.lookup(&Context::FilterInput.screen(), &key, false) {
                Some(Command::Interrupt) => return Ok(Step::Quit),
                Some(cmd) => {
                    view.command(cmd, page);
                }
                None => match key.code {
                    KeyCode::Char(c) => view.type_filter(Some(c)),
                    KeyCode::Backspace => view.type_filter(None),
                    _ => {}
                },
            }
            continue;
        }
        let Some(cmd) = keymap.lookup(&Context::Fleet.screen(), &key, false) else {
            continue;
        };
        match view.command(cmd, page) {
            Step::Stay => {}
            Step::Refresh => {
                let matrix = reread().await;
                view.replace(matrix);
            }
            other => return Ok(other),
        }
    }
}
