//! Named styles. Only the 16 ANSI colours, so the console looks right on any terminal; and
//! every meaning carried by colour is also carried by a glyph, a word or bold/reverse, so it
//! survives NO_COLOR and light themes.

use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::border;
use ratatui::widgets::{Block, Borders};

use crate::config::{self, Colour};
use crate::engine::PhaseState;

#[derive(Debug, Clone)]
pub struct Theme {
    pub colour: bool,
    roles: config::Theme,
    /// The environment badge's colour (prod in red).
    pub badge: Color,
    /// Plain ASCII glyphs and borders (`--ascii`), for terminals without box drawing.
    pub ascii: bool,
}

impl Default for Theme {
    fn default() -> Self {
        Theme {
            colour: true,
            roles: config::Theme::default(),
            badge: Color::Blue,
            ascii: false,
        }
    }
}

/// Borders of `+`, `-` and `|`.
const ASCII_BORDER: border::Set = border::Set {
    top_left: "+",
    top_right: "+",
    bottom_left: "+",
    bottom_right: "+",
    vertical_left: "|",
    vertical_right: "|",
    horizontal_top: "-",
    horizontal_bottom: "-",
};

pub fn color(c: Colour) -> Color {
    match c {
        Colour::Default => Color::Reset,
        Colour::Black => Color::Black,
        Colour::Red => Color::Red,
        Colour::Green => Color::Green,
        Colour::Yellow => Color::Yellow,
        Colour::Blue => Color::Blue,
        Colour::Magenta => Color::Magenta,
        Colour::Cyan => Color::Cyan,
        Colour::Gray => Color::Gray,
        Colour::DarkGray => Color::DarkGray,
        Colour::LightRed => Color::LightRed,
        Colour::LightGreen => Color::LightGreen,
        Colour::LightYellow => Color::LightYellow,
        Colour::LightBlue => Color::LightBlue,
        Colour::LightMagenta => Color::LightMagenta,
        Colour::LightCyan => Color::LightCyan,
        Colour::White => Color::White,
    }
}

impl Theme {
    pub fn plain() -> Theme {
        Theme {
            colour: false,
            ..Theme::default()
        }
    }

    /// The configured colours; `badge` is the profile's colour; `colour` is false under
    /// NO_COLOR.
    pub fn from_config(roles: &config::Theme, badge: Option<Colour>, colour: bool) -> Theme {
        Theme {
            colour,
            roles: roles.clone(),
            badge: badge.map_or(Color::Blue, color),
            ascii: false,
        }
    }

    /// A block with every border, drawn in ASCII under `--ascii`.
    pub fn block(&self) -> Block<'static> {
        let block = Block::default().borders(Borders::ALL);
        if self.ascii {
            block.border_set(ASCII_BORDER)
        } else {
            block
        }
    }

    fn role(&self, name: &str) -> Color {
        self.roles.get(name).map_or(Color::Reset, color)
    }

    fn fg(&self, c: Color) -> Style {
        if self.colour {
            Style::default().fg(c)
        } else {
            Style::default()
        }
    }

    pub fn title(&self) -> Style {
        self.fg(self.role("accent")).add_modifier(Modifier::BOLD)
    }

    pub fn dim(&self) -> Style {
        self.fg(self.role("muted"))
    }

    pub fn selected(&self) -> Style {
        Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD)
    }

    pub fn key(&self) -> Style {
        self.fg(self.role("accent")).add_modifier(Modifier::BOLD)
    }

    pub fn error(&self) -> Style {
        self.fg(self.role("error")).add_modifier(Modifier::BOLD)
    }

    pub fn success(&self) -> Style {
        self.fg(self.role("applied"))
    }

    pub fn warning(&self) -> Style {
        self.fg(self.role("warning")).add_modifier(Modifier::BOLD)
    }

    pub fn badge(&self) -> Style {
        if self.colour {
            Style::default()
                .fg(Color::White)
                .bg(self.badge)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        }
    }

    pub fn state(&self, s: PhaseState) -> Style {
        let c = self.role(match s {
            PhaseState::Applied => "applied",
            PhaseState::Pending => "pending",
            PhaseState::Failed => "failed",
            PhaseState::Dirty | PhaseState::RollingBack => "dirty",
            PhaseState::Drifted => "drifted",
            PhaseState::Missing => "missing",
            PhaseState::OutOfOrder => "out_of_order",
            PhaseState::Outdated => "pending",
        });
        let bold = !matches!(s, PhaseState::Applied | PhaseState::Pending);
        let style = self.fg(c);
        if bold {
            style.add_modifier(Modifier::BOLD)
        } else {
            style
        }
    }

    pub fn keyword(&self) -> Style {
        self.fg(self.role("keyword")).add_modifier(Modifier::BOLD)
    }

    pub fn string(&self) -> Style {
        self.fg(self.role("string"))
    }

    pub fn comment(&self) -> Style {
        self.fg(self.role("comment")).add_modifier(Modifier::ITALIC)
    }

    pub fn number(&self) -> Style {
        self.fg(self.role("number"))
    }

    pub fn added(&self) -> Style {
        self.fg(self.role("applied"))
    }

    pub fn removed(&self) -> Style {
        self.fg(self.role("error"))
    }
}

/// The glyph of a state, in Unicode or plain ASCII.
pub fn glyph(s: PhaseState, ascii: bool) -> &'static str {
    match (s, ascii) {
        (PhaseState::Applied, false) => "✔",
        (PhaseState::Pending, false) => "·",
        (PhaseState::Failed, false) => "✘",
        (PhaseState::Dirty, false) => "!",
        (PhaseState::RollingBack, false) => "↶",
        (PhaseState::RollingBack, true) => "<",
        (PhaseState::Drifted, false) => "≠",
        (PhaseState::Missing, false) => "?",
        (PhaseState::OutOfOrder, false) => "↯",
        (PhaseState::Applied, true) => "+",
        (PhaseState::Pending, true) => ".",
        (PhaseState::Failed, true) => "x",
        (PhaseState::Dirty, true) => "!",
        (PhaseState::Drifted, true) => "~",
        (PhaseState::Missing, true) => "?",
        (PhaseState::OutOfOrder, true) => "<",
        (PhaseState::Outdated, false) => "↻",
        (PhaseState::Outdated, true) => "*",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_has_a_glyph_of_its_own() {
        let states = [
            PhaseState::Applied,
            PhaseState::Pending,
            PhaseState::Failed,
            PhaseState::Dirty,
            PhaseState::RollingBack,
            PhaseState::Drifted,
            PhaseState::Missing,
            PhaseState::OutOfOrder,
            PhaseState::Outdated,
        ];
        let mut glyphs: Vec<&str> = states.iter().map(|s| glyph(*s, false)).collect();
        glyphs.sort_unstable();
        glyphs.dedup();
        assert_eq!(glyphs.len(), states.len());
        assert_ne!(
            glyph(PhaseState::Outdated, true),
            glyph(PhaseState::Pending, true)
        );
    }
}
