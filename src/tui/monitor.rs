//! The state of the monitoring tabs (indexes, materialized views, activity) and of the watch
//! kept on a running phase. Each report is `None` until its query has answered once, so a tab
//! never shows placeholder content.

use std::time::Duration;

use super::tab::Tab;
use crate::monitor::activity::{Activity, Focus, Session};
use crate::monitor::indexes::{IndexInfo, IndexReport, SortKey, Verdict};
use crate::monitor::matviews::MatviewReport;
use crate::monitor::progress::Gauge;
use crate::monitor::replication::Standby;

/// A progress gauge and the time left, when the rate allows an estimate.
#[derive(Debug, Clone, PartialEq)]
pub struct Gauged {
    pub gauge: Gauge,
    pub eta: Option<Duration>,
}

/// What the watch on a running phase saw last: who blocks pgstep's backend, who queues
/// behind it, its progress, and what the standbys have to replay of it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Watch {
    pub blockers: Vec<Session>,
    pub queued: Vec<Session>,
    pub gauges: Vec<Gauged>,
    pub replication: Option<Replication>,
}

/// The standbys' lag and the WAL the server has written since the phase started (the
/// phase's own and any other session's: the server does not count it per session). `None`
/// on a server in recovery, which writes none.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Replication {
    pub wal_bytes: u64,
    pub standbys: Vec<Standby>,
}

impl Watch {
    pub fn from_focus(focus: Option<Focus>, gauges: Vec<Gauged>) -> Watch {
        let (blockers, queued) = focus.map(|f| (f.blockers, f.queued)).unwrap_or_default();
        Watch {
            blockers,
            queued,
            gauges,
            replication: None,
        }
    }
}

/// The orders the sessions list cycles through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionSort {
    /// The oldest transaction first: what holds locks longest.
    XactAge,
    Pid,
    User,
    Application,
    State,
    Wait,
}

impl SessionSort {
    const ALL: [SessionSort; 6] = [
        SessionSort::XactAge,
        SessionSort::Pid,
        SessionSort::User,
        SessionSort::Application,
        SessionSort::State,
        SessionSort::Wait,
    ];

    fn next(self) -> SessionSort {
        let i = SessionSort::ALL
            .iter()
            .position(|s| *s == self)
            .unwrap_or(0);
        SessionSort::ALL[(i + 1) % SessionSort::ALL.len()]
    }
}

/// The verdict filters `u` cycles through; `None` is all.
pub const VERDICTS: [Option<Verdict>; 5] = [
    None,
    Some(Verdict::Unused),
    Some(Verdict::Invalid),
    Some(Verdict::Duplicate),
    Some(Verdict::Covered),
];

/// The orders `s` cycles through.
pub const SORTS: [SortKey; 3] = [SortKey::Size, SortKey::Scans, SortKey::Name];

pub fn sort_word(key: SortKey) -> &'static str {
    match key {
        SortKey::Size => "size",
        SortKey::Scans => "scans",
        SortKey::Name => "name",
    }
}

#[derive(Debug, Clone)]
pub struct Monitors {
    pub indexes: Option<IndexReport>,
    pub index_sort: SortKey,
    /// Part of a table name (`schema.table`) the list is limited to.
    pub index_table: String,
    pub index_verdict: Option<Verdict>,
    pub index_selected: usize,
    pub matviews: Option<MatviewReport>,
    pub matview_selected: usize,
    pub activity: Option<Activity>,
    pub activity_gauges: Vec<Gauged>,
    /// Index into [`Monitors::sessions`]: the session `C`/`T` signal.
    pub activity_selected: usize,
    pub session_sort: SessionSort,
    /// What destructive statements removed and pgstep kept, oldest first.
    pub trash: Option<Vec<crate::trash::Kept>>,
    pub trash_selected: usize,
    /// The console's own sessions, marked in the list.
    pub own: Vec<i32>,
    pub watch: Option<Watch>,
}

impl Default for Monitors {
    fn default() -> Self {
        Monitors {
            indexes: None,
            index_sort: SortKey::Size,
            index_table: String::new(),
            index_verdict: None,
            index_selected: 0,
            matviews: None,
            matview_selected: 0,
            activity: None,
            activity_gauges: Vec::new(),
            activity_selected: 0,
            session_sort: SessionSort::XactAge,
            trash: None,
            trash_selected: 0,
            own: Vec::new(),
            watch: None,
        }
    }
}

impl Monitors {
    /// The indexes the filters let through, in the chosen order.
    pub fn visible_indexes(&self) -> Vec<&IndexInfo> {
        let Some(r) = &self.indexes else {
            return Vec::new();
        };
        let f = self.index_table.to_lowercase();
        r.filter(None, self.index_verdict)
            .into_iter()
            .filter(|i| f.is_empty() || format!("{}.{}", i.schema, i.table).contains(&f))
            .collect()
    }

    pub fn selected_index(&self) -> Option<&IndexInfo> {
        self.visible_indexes().get(self.index_selected).copied()
    }

    pub fn set_indexes(&mut self, mut report: IndexReport) {
        report.sort_by(self.index_sort);
        self.indexes = Some(report);
        self.clamp();
    }

    pub fn cycle_sort(&mut self) {
        let i = SORTS
            .iter()
            .position(|s| *s == self.index_sort)
            .unwrap_or(0);
        self.index_sort = SORTS[(i + 1) % SORTS.len()];
        if let Some(r) = &mut self.indexes {
            r.sort_by(self.index_sort);
        }
        self.index_selected = 0;
    }

    /// Every session of the database in the chosen order; ties by pid.
    pub fn sessions(&self) -> Vec<&Session> {
        let Some(a) = &self.activity else {
            return Vec::new();
        };
        let mut list: Vec<&Session> = a.sessions.iter().collect();
        let text = |s: &Option<String>| s.clone().unwrap_or_default().to_lowercase();
        match self.session_sort {
            SessionSort::XactAge => list.sort_by(|a, b| {
                let age = |s: &Session| s.xact_age_secs.unwrap_or(-1.0);
                age(b).total_cmp(&age(a)).then(a.pid.cmp(&b.pid))
            }),
            SessionSort::Pid => list.sort_by_key(|s| s.pid),
            SessionSort::User => list.sort_by_key(|s| (text(&s.user), s.pid)),
            SessionSort::Application => list.sort_by_key(|s| (text(&s.application), s.pid)),
            SessionSort::State => list.sort_by_key(|s| (text(&s.state), s.pid)),
            // Sessions that wait first.
            SessionSort::Wait => {
                list.sort_by_key(|s| (s.blocked_by.is_empty(), text(&s.wait_event), s.pid))
            }
        }
        list
    }

    pub fn selected_session(&self) -> Option<&Session> {
        self.sessions().get(self.activity_selected).copied()
    }

    pub fn cycle_session_sort(&mut self) {
        self.session_sort = self.session_sort.next();
        self.activity_selected = 0;
    }

    pub fn cycle_verdict(&mut self) {
        let i = VERDICTS
            .iter()
            .position(|v| *v == self.index_verdict)
            .unwrap_or(0);
        self.index_verdict = VERDICTS[(i + 1) % VERDICTS.len()];
        self.index_selected = 0;
    }

    /// How many rows the list of `tab` has, for moving the selection.
    pub fn len(&self, tab: Tab) -> usize {
        match tab {
            Tab::Indexes => self.visible_indexes().len(),
            Tab::Matviews => self.matviews.as_ref().map_or(0, |m| m.matviews.len()),
            Tab::Activity => self.activity.as_ref().map_or(0, |a| a.sessions.len()),
            Tab::Trash => self.trash.as_ref().map_or(0, Vec::len),
            Tab::Phases | Tab::Log => 0,
        }
    }

    pub fn selection(&mut self, tab: Tab) -> Option<&mut usize> {
        match tab {
            Tab::Indexes => Some(&mut self.index_selected),
            Tab::Matviews => Some(&mut self.matview_selected),
            Tab::Activity => Some(&mut self.activity_selected),
            Tab::Trash => Some(&mut self.trash_selected),
            Tab::Phases | Tab::Log => None,
        }
    }

    pub fn clamp(&mut self) {
        for tab in [Tab::Indexes, Tab::Matviews, Tab::Activity, Tab::Trash] {
            let n = self.len(tab);
            if let Some(pos) = self.selection(tab) {
                *pos = (*pos).min(n.saturating_sub(1));
            }
        }
    }
}
