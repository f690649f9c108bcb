//! The 16 ANSI colours by name, and the console's theme roles. Only the 16 named colours are
//! offered because they follow the terminal's own palette, which is what works over SSH on
//! every terminal a DBA may use.

use std::fmt;

/// One of the 16 ANSI colours, or the terminal's default. The names are ratatui's, so the
/// console maps them one to one: `Gray` is ANSI white (7), `White` is bright white (15).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Colour {
    Default,
    Black,
    Red,
    Green,
    Yellow,
    Blue,
    Magenta,
    Cyan,
    Gray,
    DarkGray,
    LightRed,
    LightGreen,
    LightYellow,
    LightBlue,
    LightMagenta,
    LightCyan,
    White,
}

const NAMES: &[(&str, Colour)] = &[
    ("default", Colour::Default),
    ("black", Colour::Black),
    ("red", Colour::Red),
    ("green", Colour::Green),
    ("yellow", Colour::Yellow),
    ("blue", Colour::Blue),
    ("magenta", Colour::Magenta),
    ("cyan", Colour::Cyan),
    ("gray", Colour::Gray),
    ("darkgray", Colour::DarkGray),
    ("lightred", Colour::LightRed),
    ("lightgreen", Colour::LightGreen),
    ("lightyellow", Colour::LightYellow),
    ("lightblue", Colour::LightBlue),
    ("lightmagenta", Colour::LightMagenta),
    ("lightcyan", Colour::LightCyan),
    ("white", Colour::White),
];

/// For error messages: what a colour may be.
pub const COLOUR_HELP: &str = "one of black, red, green, yellow, blue, magenta, cyan, white, \
     gray, darkgray, lightred, lightgreen, lightyellow, lightblue, lightmagenta, lightcyan or \
     default";

impl Colour {
    /// Reads a colour name; case, `-`, `_` and spaces are ignored (`light-red`, `DarkGrey`),
    /// and `grey` is `gray`.
    pub fn parse(name: &str) -> Option<Colour> {
        let folded: String = name
            .chars()
            .filter(|c| !matches!(c, '-' | '_' | ' '))
            .collect::<String>()
            .to_ascii_lowercase()
            .replace("grey", "gray");
        NAMES
            .iter()
            .find(|(n, _)| *n == folded)
            .map(|&(_, colour)| colour)
    }

    pub fn name(self) -> &'static str {
        NAMES
            .iter()
            .find(|(_, c)| *c == self)
            .map_or("default", |(n, _)| n)
    }
}

impl fmt::Display for Colour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The console's colour roles and their defaults; `[colours]` may set any of them.
pub const COLOUR_ROLES: &[(&str, Colour)] = &[
    ("accent", Colour::Cyan),
    ("applied", Colour::Green),
    ("pending", Colour::Yellow),
    ("failed", Colour::Red),
    ("dirty", Colour::LightRed),
    ("drifted", Colour::Magenta),
    ("missing", Colour::DarkGray),
    ("out_of_order", Colour::LightYellow),
    ("selection", Colour::Blue),
    ("muted", Colour::DarkGray),
    ("error", Colour::Red),
    ("warning", Colour::Yellow),
    ("keyword", Colour::LightBlue),
    ("string", Colour::Green),
    ("number", Colour::LightMagenta),
    ("comment", Colour::DarkGray),
];

/// A colour for every role in [`COLOUR_ROLES`], in that order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme(Vec<(&'static str, Colour)>);

impl Default for Theme {
    fn default() -> Self {
        Theme(COLOUR_ROLES.to_vec())
    }
}

impl Theme {
    /// The colour of `role`, `None` for a name not in [`COLOUR_ROLES`].
    pub fn get(&self, role: &str) -> Option<Colour> {
        self.0.iter().find(|(r, _)| *r == role).map(|&(_, c)| c)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&'static str, Colour)> + '_ {
        self.0.iter().copied()
    }

    pub(crate) fn set(&mut self, role: &str, colour: Colour) {
        if let Some(entry) = self.0.iter_mut().find(|(r, _)| *r == role) {
            entry.1 = colour;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_fold() {
        for &(name, colour) in NAMES {
            assert_eq!(Colour::parse(name), Some(colour));
            assert_eq!(colour.name(), name);
            assert!(COLOUR_HELP.contains(name), "{name}");
        }
        assert_eq!(Colour::parse("Light-Red"), Some(Colour::LightRed));
        assert_eq!(Colour::parse("dark_grey"), Some(Colour::DarkGray));
        assert_eq!(Colour::parse("grey"), Some(Colour::Gray));
        assert_eq!(Colour::parse("orange"), None);
        assert_eq!(Colour::parse("#ff0000"), None);
    }

    #[test]
    fn theme_has_every_role() {
        let mut theme = Theme::default();
        assert_eq!(theme.iter().count(), COLOUR_ROLES.len());
        theme.set("accent", Colour::Red);
        assert_eq!(theme.get("accent"), Some(Colour::Red));
        assert_eq!(theme.get("nope"), None);
    }
}
