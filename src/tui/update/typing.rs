//! Typing into a dialog's one-line input.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Edits a one-line input with a key no binding took.
pub fn edit(input: &mut String, key: &KeyEvent) {
    match key.code {
        KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => input.push(c),
        KeyCode::Backspace => {
            input.pop();
        }
        _ => {}
    }
}
