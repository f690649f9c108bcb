//! The console's state. Nothing here does I/O: `update` changes it, `ui` draws it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::dialog::Modal;
use super::keymap::{Context, Keymap};
pub use super::tab::Tab;
use crate::adopt::ToolHistory;
use crate::engine::{AppliedSql, CheckOutcome, Drift, HistoryRow, Holder, LoggedEvent, PhaseState};
use crate::phases::{self, Source, ToolGap};
use crate::plan::{Migration, Plan, Read, Version};

/// Facts for the header.
#[derive(Debug, Clone, Default)]
pub struct Header {
    pub profile: String,
    pub target: String,
    pub role: String,
    pub server_version: String,
    /// The environment badge, e.g. "prod".
    pub environment: Option<String>,
    pub read_only: bool,
}

/// One line of the phase list, owned so the state does not borrow the plan.
#[derive(Debug, Clone)]
pub struct PhaseRow {
    pub version: Version,
    pub name: String,
    pub state: PhaseState,
    pub applied_at: Option<DateTime<Utc>>,
    pub millis: Option<i64>,
    /// Whose record its state comes from: pgstep's history or the adopted tool's table.
    pub source: Source,
    /// Why pgstep's history and the tool's table disagree, where they do.
    pub gap: Option<ToolGap>,
    /// Index into the plan's migrations.
    pub migration: Option<usize>,
    /// Index into the history rows.
    pub row: Option<usize>,
    pub drift: Option<Drift>,
}

impl PhaseRow {
    /// Whether some history records it (applied, stopped part-way, failed, or drifted since):
    /// there is something to roll back or show.
    pub fn recorded(&self) -> bool {
        !matches!(self.state, PhaseState::Pending | PhaseState::OutOfOrder)
    }
}

/// The project's own migration tool, adopted: its table says what is applied, and pgstep
/// keeps it in step.
#[derive(Debug, Clone)]
pub struct Adoption {
    pub history: ToolHistory,
    /// pgstep has changed nothing on this database since adopting: the first change asks
    /// for the tool's name, typed.
    pub unconfirmed: bool,
}

/// Work the console started and is waiting for.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub kind: JobKind,
    pub version: Option<Version>,
    pub elapsed: Duration,
    pub statements: usize,
    pub statement: Option<usize>,
    pub line: Option<u32>,
    pub step: Option<String>,
    /// "waiting for lock on books held by pid 4242: idle in transaction 3m12s"
    pub waiting: Option<String>,
    pub retry: Option<String>,
    pub cancelling: bool,
    /// What a maintenance job works on: an index, a materialized view, a pid.
    pub target: Option<String>,
    /// The batched step that runs now, as the engine last published it.
    pub batch: Option<crate::engine::batch::BatchProgress>,
    /// What the operator asked of the batched step, ahead of its next progress.
    pub steering: Steering,
}

/// The operator's changes to a running batched step: `None` where nothing was asked, so the
/// step's own value (its header, the gates) holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Steering {
    pub paused: bool,
    pub batch_size: Option<u64>,
    pub pause: Option<Duration>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    Apply,
    DryRun,
    Verify,
    Query,
    Rollback,
    Resume,
    Mark,
    Accept,
    DropIndex,
    Reindex,
    Refresh,
    CancelBackend,
    TerminateBackend,
    Restore,
    Purge,
}

impl JobKind {
    /// Whether it changes the database (so quitting must ask).
    pub fn mutating(self) -> bool {
        !matches!(self, JobKind::Verify | JobKind::Query)
    }

    /// Runs a phase on the worker, so the watch follows its blockers and progress.
    pub fn phase(self) -> bool {
        matches!(
            self,
            JobKind::Apply | JobKind::Rollback | JobKind::Resume | JobKind::DryRun
        )
    }

    /// Maintenance run on the reader session from a monitoring tab.
    pub fn maintenance(self) -> bool {
        matches!(
            self,
            JobKind::DropIndex
                | JobKind::Reindex
                | JobKind::Refresh
                | JobKind::CancelBackend
                | JobKind::TerminateBackend
                | JobKind::Restore
                | JobKind::Purge
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Success,
    Error,
}

/// The state of the console's sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connection {
    /// The first attempt is under way.
    Connecting,
    Up,
    /// Down: `attempt` tries so far (0 while the first runs), and the last error.
    Reconnecting {
        attempt: u32,
        error: String,
    },
}

/// Settings that change how the console behaves.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Every mutating action needs the typed version, not only rollback.
    pub confirm_typed: bool,
    pub lock_timeout: Option<Duration>,
    pub theme: super::theme::Theme,
    pub lint: crate::lint::LintConfig,
}

pub struct App {
    pub plan: Arc<Plan>,
    /// Shared with the rollback dialog's impact measurement.
    pub rows: Arc<Vec<HistoryRow>>,
    /// The adopted tool, read before each history.
    pub adoption: Option<Adoption>,
    pub header: Header,
    pub lock_holder: Option<Holder>,
    /// The newest event and lock holder last seen by the refresh poll.
    pub seen: Option<crate::engine::ChangeMark>,
    /// What is wrong with the event log, shown in the header while anything is.
    pub log_tampered: Vec<crate::engine::integrity::Finding>,
    pub phases: Vec<PhaseRow>,
    pub tab: Tab,
    /// Index into `visible()`.
    pub selected: usize,
    pub filter: String,
    pub filtering: bool,
    pub detail_scroll: u16,
    pub log_selected: usize,
    pub events: Vec<LoggedEvent>,
    /// Lint findings of every phase: from the files at start, weighed by the live tables for
    /// a phase about to be applied.
    pub lint: Vec<crate::lint::Finding>,
    /// The last check results per phase version.
    pub results: Vec<(Version, Vec<CheckOutcome>)>,
    pub modal: Option<Modal>,
    pub help: bool,
    /// How far the list of keys is scrolled.
    pub help_scroll: usize,
    pub job: Option<Job>,
    pub message: Option<(Level, String)>,
    pub size: (u16, u16),
    pub spinner: usize,
    pub keymap: Keymap,
    pub options: Options,
    pub monitors: super::monitor::Monitors,
    /// The history has been read at least once; until then no state is known.
    pub loaded: bool,
    /// Whether the console's sessions are up, and why not.
    pub connection: Connection,
    /// While the plan is read, off the event loop: how many files its directory holds. Until
    /// it is read there are no phases and nothing touches the database.
    pub reading: Option<usize>,
    /// The selected phase read from its files, when the plan does not hold its text.
    pub detail: Option<Detail>,
    /// The SQL the history recorded for the selected phase, when it is drifted or its file
    /// is gone: the history is listed without it.
    pub recorded: Option<Recorded>,
    /// The plan has errors: said once the terminal is restored, and the console ends.
    pub plan_error: Option<String>,
    pub quit: bool,
}

/// A phase read from its files for the detail view, or why it could not be: until then
/// `migration` is `None`.
#[derive(Debug, Clone)]
pub struct Detail {
    pub version: Version,
    pub migration: Option<Result<Arc<Migration>, String>>,
}

/// The SQL recorded for a phase, or why it could not be read: until then `sql` is `None`.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub version: Version,
    pub sql: Option<Result<AppliedSql, String>>,
}

/// The list of keys laid out: `rows` rows of `columns` columns, `shown` of them at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpLayout {
    pub entries: Vec<(String, &'static str)>,
    pub columns: usize,
    pub rows: usize,
    pub shown: usize,
}

impl HelpLayout {
    /// The furthest the list scrolls: its last row at the bottom.
    pub fn max_scroll(&self) -> usize {
        self.rows - self.shown
    }
}

/// Smallest terminal the console draws in.
pub const MIN_SIZE: (u16, u16) = (80, 24);

impl App {
    /// The console on a plan already read, linted here.
    pub fn new(plan: Arc<Plan>, header: Header, keymap: Keymap, options: Options) -> App {
        let lint = crate::lint::lint_plan(&plan, &options.lint);
        let mut app = App::reading(plan.dir.clone(), 0, header, keymap, options);
        match lint {
            Ok(lint) => app.set_plan(plan, lint),
            Err(e) => {
                app.plan_error = Some(e.to_string());
                app.quit = true;
            }
        }
        app
    }

    /// The console while the plan in `dir` (`files` entries) is still being read.
    pub fn reading(
        dir: PathBuf,
        files: usize,
        header: Header,
        keymap: Keymap,
        options: Options,
    ) -> App {
        let plan = Plan {
            dir,
            layout: None,
            migrations: Vec::new(),
            warnings: Vec::new(),
        };
        App {
            plan: Arc::new(plan),
            rows: Arc::default(),
            adoption: None,
            header,
            lock_holder: None,
            seen: None,
            connection: Connection::Connecting,
            log_tampered: Vec::new(),
            phases: Vec::new(),
            tab: Tab::Phases,
            selected: 0,
            filter: String::new(),
            filtering: false,
            detail_scroll: 0,
            log_selected: 0,
            events: Vec::new(),
            lint: Vec::new(),
            results: Vec::new(),
            modal: None,
            help: false,
            help_scroll: 0,
            job: None,
            message: None,
            size: MIN_SIZE,
            spinner: 0,
            keymap,
            options,
            monitors: Default::default(),
            loaded: false,
            reading: Some(files),
            detail: None,
            recorded: None,
            plan_error: None,
            quit: false,
        }
    }

    /// The plan is read: its phases appear, with the history if it came first.
    pub fn set_plan(&mut self, plan: Arc<Plan>, lint: Vec<crate::lint::Finding>) {
        self.plan = plan;
        self.lint = lint;
        self.reading = None;
        self.detail = None;
        let rows = Arc::unwrap_or_clone(std::mem::take(&mut self.rows));
        let holder = self.lock_holder.take();
        self.set_history(rows, holder);
    }

    /// The lint findings of phase `v`.
    pub fn lint_of(&self, v: &Version) -> Vec<&crate::lint::Finding> {
        self.lint
            .iter()
            .filter(|f| Version::parse(&f.version).as_ref() == Some(v))
            .collect()
    }

    /// Replaces the history and recomputes every phase's state, keeping the selection on the
    /// same version where it still exists.
    pub fn set_history(&mut self, rows: Vec<HistoryRow>, holder: Option<Holder>) {
        let keep = self.selected_phase().map(|p| p.version.clone());
        self.rows = Arc::new(rows);
        self.lock_holder = holder;
        // A new history may have recorded other SQL (an accepted drift, a phase applied
        // again): asked again if still needed.
        self.recorded = None;
        if self.reading.is_some() {
            // Without the files every applied phase would look like one whose file is gone.
            return;
        }
        // The old list goes before the new one is built: both at once held 1.8 MB more
        // (10,000 phases) at the console's peak.
        self.phases = Vec::new();
        let plan = self.plan.clone();
        let tool = self.adoption.as_ref().map(|a| &a.history);
        self.phases = phases::merge(&plan, &self.rows, tool)
            .into_iter()
            .map(|p| PhaseRow {
                applied_at: p.applied_at(),
                millis: p.execution_time_ms(),
                version: p.version,
                name: p.name,
                state: p.state,
                source: p.source,
                gap: p.gap,
                migration: p.migration_index,
                row: p.row_index,
                drift: p.drift,
            })
            .collect();
        if let Some(v) = keep {
            self.select_version(&v);
        }
        // A phase rolled back (here or from another terminal) has no results any more.
        let phases = &self.phases;
        self.results
            .retain(|(v, _)| phases.iter().any(|p| p.version == *v && p.recorded()));
        self.clamp_selection();
    }

    /// Check results from the log for phases in the history that have none on screen (after
    /// a restart, or a phase applied from another terminal): each phase's newest apply,
    /// verify or failure event that recorded checks.
    pub fn results_from_log(&mut self) {
        let kinds = ["apply", "verify", "failure"];
        let mut found: Vec<(Version, Vec<CheckOutcome>)> = Vec::new();
        for e in self
            .events
            .iter()
            .filter(|e| kinds.contains(&e.event.as_str()))
        {
            let Some(v) = e.version.as_deref().and_then(Version::parse) else {
                continue;
            };
            let in_history = self.phases.iter().any(|p| p.version == v && p.recorded());
            let known = self.results.iter().chain(&found).any(|(x, _)| *x == v);
            if !in_history || known {
                continue;
            }
            if let Some(checks) = CheckOutcome::from_logged(&e.details).filter(|c| !c.is_empty()) {
                found.push((v, checks));
            }
        }
        self.results.extend(found);
    }

    /// The phases the filter lets through, as indexes into `phases`.
    pub fn visible(&self) -> Vec<usize> {
        let f = self.filter.to_lowercase();
        self.phases
            .iter()
            .enumerate()
            .filter(|(_, p)| {
                f.is_empty()
                    || p.version.as_str().contains(&f)
                    || p.name.to_lowercase().contains(&f)
                    || p.state.word().contains(&f)
            })
            .map(|(i, _)| i)
            .collect()
    }

    pub fn selected_phase(&self) -> Option<&PhaseRow> {
        self.visible()
            .get(self.selected)
            .and_then(|&i| self.phases.get(i))
    }

    pub fn migration_of(&self, p: &PhaseRow) -> Option<&Migration> {
        p.migration.and_then(|i| self.plan.migrations.get(i))
    }

    /// Phase `p`'s migration with its text, when it is in memory: held by the plan, or read
    /// for the detail view. Never reads a file.
    pub fn read_of(&self, p: &PhaseRow) -> Option<Read<'_>> {
        let m = self.migration_of(p)?;
        let m = if m.is_read() {
            m
        } else {
            match &self.detail {
                Some(d) if d.version == p.version => d.migration.as_ref()?.as_ref().ok()?,
                _ => return None,
            }
        };
        // A migration that holds its text reads without touching its files.
        m.read().ok()
    }

    /// The selected phase, when its text is neither held nor already asked for.
    pub fn detail_wanted(&self) -> Option<Version> {
        let p = self.selected_phase()?;
        let m = self.migration_of(p)?;
        let asked = self.detail.as_ref().is_some_and(|d| d.version == p.version);
        (!m.is_read() && !asked).then(|| p.version.clone())
    }

    /// The selected phase and its row as stored, when the SQL it recorded is shown (drifted,
    /// or its file gone) and not already asked for.
    pub fn recorded_wanted(&self) -> Option<(Version, String)> {
        let p = self.selected_phase()?;
        let row = self.row_of(p)?;
        let shown = p.state == PhaseState::Drifted || p.migration.is_none();
        let asked = self
            .recorded
            .as_ref()
            .is_some_and(|r| r.version == p.version);
        (shown && !asked).then(|| (p.version.clone(), row.version.clone()))
    }

    /// The SQL recorded for phase `p`, once read: `None` while it is asked for.
    pub fn recorded_of(&self, p: &PhaseRow) -> Option<&Result<AppliedSql, String>> {
        let r = self.recorded.as_ref().filter(|r| r.version == p.version)?;
        r.sql.as_ref()
    }

    pub fn row_of(&self, p: &PhaseRow) -> Option<&HistoryRow> {
        p.row.and_then(|i| self.rows.get(i))
    }

    pub fn select_version(&mut self, v: &Version) {
        if let Some(pos) = self
            .visible()
            .iter()
            .position(|&i| self.phases[i].version == *v)
        {
            self.selected = pos;
        }
    }

    pub fn clamp_selection(&mut self) {
        let n = self.visible().len();
        self.selected = self.selected.min(n.saturating_sub(1));
        self.log_selected = self.log_selected.min(self.events.len().saturating_sub(1));
    }

    /// The first phase `up` would apply.
    pub fn next_pending(&self) -> Option<&PhaseRow> {
        self.phases.iter().find(|p| {
            matches!(
                p.state,
                PhaseState::Pending | PhaseState::Failed | PhaseState::Outdated
            )
        })
    }

    pub fn results_of(&self, v: &Version) -> Option<&[CheckOutcome]> {
        self.results
            .iter()
            .find(|(x, _)| x == v)
            .map(|(_, r)| r.as_slice())
    }

    pub fn set_results(&mut self, v: &Version, outcomes: Vec<CheckOutcome>) {
        self.results.retain(|(x, _)| x != v);
        self.results.push((v.clone(), outcomes));
    }

    pub fn too_small(&self) -> bool {
        self.size.0 < MIN_SIZE.0 || self.size.1 < MIN_SIZE.1
    }

    /// The key contexts in force, most specific first: the list of keys', or those of the
    /// screen under it.
    pub fn contexts(&self) -> Vec<Context> {
        if self.help {
            return Context::HelpView.screen();
        }
        self.screen_contexts()
    }

    /// The contexts of the screen itself, which the list of keys lists: a dialog's, the
    /// filter's, or the tab's with the running work's and the global keys.
    pub fn screen_contexts(&self) -> Vec<Context> {
        if let Some(m) = &self.modal {
            return m.context().screen();
        }
        if self.filtering {
            return Context::FilterInput.screen();
        }
        let tab = match self.tab {
            Tab::Phases => Context::Phases,
            Tab::Log => Context::Log,
            Tab::Indexes => Context::Indexes,
            Tab::Matviews => Context::Matviews,
            Tab::Activity => Context::Activity,
            Tab::Trash => Context::Trash,
        };
        let mut c = tab.screen();
        if self.job.is_none() {
            c.retain(|c| *c != Context::Running);
        }
        if self.job.as_ref().is_none_or(|j| j.batch.is_none()) {
            c.retain(|c| *c != Context::Batch);
        }
        c
    }

    /// The tabs shown: Phases and Log always, a monitoring tab once its query has answered.
    pub fn tabs(&self) -> Vec<Tab> {
        let m = &self.monitors;
        Tab::ALL
            .into_iter()
            .filter(|t| match t {
                Tab::Phases | Tab::Log => true,
                Tab::Indexes => m.indexes.is_some(),
                Tab::Matviews => m.matviews.is_some(),
                Tab::Activity => m.activity.is_some(),
                Tab::Trash => m.trash.is_some(),
            })
            .collect()
    }

    /// How the list of keys fits the terminal: two columns when one would not, and a last
    /// row saying what is out of sight when the rows still do not.
    pub fn help_layout(&self) -> HelpLayout {
        let entries = self.keymap.help(&self.screen_contexts(), self.read_only());
        // The frame's borders take two rows.
        let inside = usize::from(self.size.1.saturating_sub(2));
        // Two columns only when each holds its keys and texts whole: a text cut at the edge
        // would hide what a key does; one column scrolls instead.
        let half = usize::from(self.size.0.saturating_sub(3)) / 2;
        let whole = entries
            .chunks(entries.len().div_ceil(2).max(1))
            .all(|column| {
                let widest = |f: fn(&(String, &str)) -> usize| column.iter().map(f).max();
                let keys = widest(|(k, _)| k.chars().count()).unwrap_or(0);
                keys + 2 + widest(|(_, h)| h.chars().count()).unwrap_or(0) <= half
            });
        let columns = if entries.len() > inside.saturating_sub(2) && whole {
            2
        } else {
            1
        };
        let rows = entries.len().div_ceil(columns);
        let shown = if rows > inside {
            inside.saturating_sub(1)
        } else {
            rows
        };
        HelpLayout {
            entries,
            columns,
            rows,
            shown,
        }
    }

    pub fn read_only(&self) -> bool {
        self.header.read_only
    }
}
