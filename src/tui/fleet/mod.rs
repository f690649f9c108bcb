//! The Fleet view (`pgstep --fleet NAME`): every target against every phase, failures
//! first, with a filter, and a key that opens one target's own console. Its state and keys
//! here; drawing in `draw`, the terminal in `screen`.

pub mod draw;
pub mod screen;

use crate::fleet::{Matrix, Row};
use crate::keys::Command;

/// What the view shows and where the operator is in it.
#[derive(Debug, Clone)]
pub struct FleetView {
    pub name: String,
    pub matrix: Matrix,
    pub servers: usize,
    /// How many waves, and whether the first is the canary.
    pub waves: usize,
    pub canary: bool,
    /// The selected line among the visible rows.
    pub selected: usize,
    pub filter: String,
    /// The filter is being typed.
    pub typing: bool,
}

/// What the operator asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Stay,
    /// Read every target's state again.
    Refresh,
    /// Open the console of the target with this index in the fleet.
    Open(usize),
    Quit,
}

impl FleetView {
    /// The rows the filter lets through, failures first.
    pub fn visible(&self) -> Vec<&Row> {
        let needle = self.filter.to_lowercase();
        self.matrix
            .failures_first()
            .into_iter()
            .filter(|r| {
                needle.is_empty()
                    || r.url.to_lowercase().contains(&needle)
                    || r.server.to_lowercase().contains(&needle)
                    || r.condition.word().contains(&needle)
            })
            .collect()
    }

    /// The matrix read again, keeping the filter and, where it still shows, the target.
    pub fn replace(&mut self, matrix: Matrix) {
        let target = self.visible().get(self.selected).map(|r| r.target);
        self.matrix = matrix;
        self.selected = target
            .and_then(|t| self.visible().iter().position(|r| r.target == t))
            .unwrap_or(0);
    }

    /// A command from the Fleet view's keys.
    pub fn command(&mut self, cmd: Command, page: usize) -> Step {
        let last = self.visible().len().saturating_sub(1);
        match cmd {
            Command::Down => self.selected = (self.selected + 1).min(last),
            Command::Up => self.selected = self.selected.saturating_sub(1),
            Command::PageDown => self.selected = (self.selected + page).min(last),
            Command::PageUp => self.selected = self.selected.saturating_sub(page),
            Command::Top => self.selected = 0,
            Command::Bottom => self.selected = last,
            Command::Filter => self.typing = true,
            Command::FilterDone => self.typing = false,
            Command::FilterClear => {
                self.typing = false;
                self.filter.clear();
                self.selected = 0;
            }
            Command::Refresh => return Step::Refresh,
            Command::OpenTarget => {
                if let Some(r) = self.visible().get(self.selected) {
                    return Step::Open(r.target);
                }
            }
            Command::Quit | Command::Interrupt => return Step::Quit,
            _ => {}
        }
        Step::Stay
    }

    /// A character typed into the filter; `None` is backspace.
    pub fn type_filter(&mut self, c: Option<char>) {
        match c {
            Some(c) => self.filter.push(c),
            None => {
                self.filter.pop();
            }
        }
        self.selected = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::Condition;
    use crate::phases::PhaseState::*;

    pub(super) fn view() -> FleetView {
        let row = |target: usize,
                   server: &str,
                   states: &[crate::phases::PhaseState],
                   error: Option<&str>| Row {
            target,
            url: format!("postgresql://app@{server}/tenant_{target:02}"),
            server: server.to_owned(),
            wave: if target == 0 { 0 } else { 1 + target / 3 },
            states: states.iter().copied().map(Some).collect(),
            condition: Condition::of(states),
            error: error.map(str::to_owned),
        };
        let mut rows = vec![
            row(0, "db-eu1:5432", &[Applied, Applied, Applied], None),
            row(1, "db-eu1:5432", &[Applied, Applied, Applied], None),
            row(
                2,
                "db-eu1:5432",
                &[Applied, Failed, Pending],
                Some("relation \"orders\" already exists"),
            ),
            row(3, "db-us1:5432", &[Applied, Applied, Pending], None),
            row(4, "db-us1:5432", &[Pending, Pending, Pending], None),
        ];
        rows.push(Row {
            states: vec![None, None, None],
            condition: Condition::Unreachable,
            error: Some("connection refused".into()),
            ..row(5, "db-ap1:5432", &[], None)
        });
        FleetView {
            name: "tenants".into(),
            matrix: Matrix {
                versions: vec!["001".into(), "002".into(), "003".into()],
                rows,
            },
            servers: 3,
            waves: 3,
            canary: true,
            selected: 0,
            filter: String::new(),
            typing: false,
        }
    }

    #[test]
    fn failures_come_first_and_enter_opens_the_selected_target() {
        let mut v = view();
        let order: Vec<usize> = v.visible().iter().map(|r| r.target).collect();
        assert_eq!(order, vec![5, 2, 3, 4, 0, 1]);
        assert_eq!(v.command(Command::OpenTarget, 10), Step::Open(5));
        v.command(Command::Down, 10);
        assert_eq!(v.command(Command::OpenTarget, 10), Step::Open(2));
        v.command(Command::Bottom, 10);
        assert_eq!(v.command(Command::OpenTarget, 10), Step::Open(1));
        assert_eq!(v.command(Command::Refresh, 10), Step::Refresh);
        assert_eq!(v.command(Command::Quit, 10), Step::Quit);
    }

    #[test]
    fn the_filter_matches_url_server_and_state() {
        let mut v = view();
        v.command(Command::Filter, 10);
        assert!(v.typing);
        for c in "us1".chars() {
            v.type_filter(Some(c));
        }
        let shown: Vec<usize> = v.visible().iter().map(|r| r.target).collect();
        assert_eq!(shown, vec![3, 4]);
        v.command(Command::FilterClear, 10);
        v.filter = "failed".into();
        assert_eq!(v.visible().len(), 1);
        v.filter = "nothing".into();
        assert_eq!(v.command(Command::OpenTarget, 10), Step::Stay);
    }

    #[test]
    fn a_refresh_keeps_the_selected_target() {
        let mut v = view();
        v.command(Command::Down, 10);
        v.command(Command::Down, 10);
        let mut m = v.matrix.clone();
        m.rows.retain(|r| r.target != 5);
        v.replace(m);
        assert_eq!(v.visible()[v.selected].target, 3);
    }
}
