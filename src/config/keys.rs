//! `[keys]`: the keys the configuration gives the console's actions. The action names and
//! their defaults are the console's binding table's (`crate::keys`), so a name the console
//! does not know is refused where the file says it.

use super::error::Place;
use crate::keys::{self, KeySpec};

/// The keys of every action the table names, in its order, and where a file set them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap(Vec<(&'static str, Vec<KeySpec>, Option<Place>)>);

impl Default for Keymap {
    fn default() -> Self {
        Keymap(
            keys::actions()
                .into_iter()
                .map(|(a, keys)| (a, keys, None))
                .collect(),
        )
    }
}

impl Keymap {
    /// The keys of `action`, `None` for a name the table does not have.
    pub fn get(&self, action: &str) -> Option<&[KeySpec]> {
        self.0
            .iter()
            .find(|(a, ..)| *a == action)
            .map(|(_, keys, _)| keys.as_slice())
    }

    /// The table's name for `action`, `None` when it has none.
    pub fn name(&self, action: &str) -> Option<&'static str> {
        self.0.iter().find(|(a, ..)| *a == action).map(|(a, ..)| *a)
    }

    /// Every name the table has.
    pub fn names(&self) -> Vec<&'static str> {
        self.0.iter().map(|(a, ..)| *a).collect()
    }

    /// Where a configuration file set the keys of `action`; `None` for its defaults.
    pub fn place(&self, action: &str) -> Option<&Place> {
        self.0
            .iter()
            .find(|(a, ..)| *a == action)
            .and_then(|(.., place)| place.as_ref())
    }

    /// The actions a file set, with their keys.
    pub fn set_by_files(&self) -> impl Iterator<Item = (&'static str, &[KeySpec])> + '_ {
        self.0
            .iter()
            .filter(|(.., place)| place.is_some())
            .map(|(a, keys, _)| (*a, keys.as_slice()))
    }

    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &[KeySpec])> + '_ {
        self.0.iter().map(|(a, keys, _)| (*a, keys.as_slice()))
    }

    pub(crate) fn set(&mut self, action: &str, keys: Vec<KeySpec>, place: Place) {
        if let Some(entry) = self.0.iter_mut().find(|(a, ..)| *a == action) {
            entry.1 = keys;
            entry.2 = Some(place);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> KeySpec {
        KeySpec::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn defaults_and_rebind() {
        let mut map = Keymap::default();
        assert_eq!(map.iter().count(), keys::actions().len());
        assert_eq!(map.get("refresh").unwrap()[0].to_string(), "ctrl-r");
        assert_eq!(map.get("prev_tab").unwrap()[0].to_string(), "shift-tab");
        assert_eq!(map.get("interrupt").unwrap()[0].to_string(), "ctrl-c");
        assert_eq!(map.get("tab_3").unwrap()[0].to_string(), "3");
        assert_eq!(map.place("quit"), None);
        let place = Place {
            path: "/p/pgstep.toml".into(),
            line: 3,
            column: 8,
        };
        map.set("quit", vec![parse("ctrl-q"), parse("F10")], place.clone());
        assert_eq!(map.get("quit").unwrap().len(), 2);
        assert_eq!(map.place("quit"), Some(&place));
        assert_eq!(map.set_by_files().count(), 1);
        assert_eq!(map.get("nope"), None);
    }
}
