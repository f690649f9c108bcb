//! Keeping what a phase's statements remove (see [`crate::trash`]): the choice for a run,
//! the schema made before a phase that needs it, the record of each copy in the event log,
//! and restoring and purging under the migration lock.

use std::time::Duration;

use serde_json::json;

use super::history::{Event, EventKind, Outcome};
use super::impact::{self, Loss, TargetKind};
use super::{Engine, EngineError};
use crate::plan::{Meta, Sql};
use crate::trash::{self, Kept, KeptRecord, Part, Restored};

/// The operator's choice for copies above `trash_max`, for the next run.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum KeepChoice {
    /// Keep up to `trash_max`; a larger copy stops the run before anything changes.
    #[default]
    UpToMax,
    /// Keep whatever the size.
    Anyway,
    /// Keep nothing, for this reason.
    No { reason: String },
}

/// Copies are estimated at this rate: `benches/trash.sh` measured 224 MB/s of copy at load 3.4
/// and 80 MB/s at load 13 on the 2-core machine (see BENCHMARKS.md). Rough on purpose, the dialogs say
/// "about": the size measured beforehand counts the table's indexes, which are not copied.
const COPY_BYTES_PER_SECOND: f64 = 150.0 * 1024.0 * 1024.0;

/// What a part would keep: each removed object's size now, and the time the copy takes.
#[derive(Debug, Clone, PartialEq)]
pub struct Keeping {
    pub losses: Vec<Loss>,
    pub bytes: i64,
    pub estimate: Duration,
}

impl Keeping {
    pub fn is_empty(&self) -> bool {
        self.losses.is_empty()
    }

    /// Its size in words: "about" when a column of a table too large to count is in it, its
    /// size being the planner's estimate.
    pub fn size(&self) -> String {
        let estimated = self
            .losses
            .iter()
            .any(|l| l.target.kind == TargetKind::Column && l.bytes.is_some() && !l.rows_exact);
        let size = impact::size(self.bytes);
        if estimated {
            format!("about {size}")
        } else {
            size
        }
    }

    /// The copy when it needs the operator's choice: keeping is `on` and it is above `max`.
    pub fn oversize(&self, (on, max): (bool, u64)) -> Option<Oversize> {
        (on && !self.is_empty() && self.bytes.max(0) as u64 > max).then_some(Oversize {
            bytes: self.bytes,
            estimate: self.estimate,
            max,
        })
    }
}

/// A copy above `trash_max`: its size, about how long it takes, and the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Oversize {
    pub bytes: i64,
    pub estimate: Duration,
    pub max: u64,
}

/// What the statements `sqls` would keep, measured now; the client must not be in a
/// transaction.
pub async fn measure<'a>(
    c: &tokio_postgres::Client,
    sqls: impl IntoIterator<Item = &'a str>,
) -> Result<Keeping, tokio_postgres::Error> {
    let targets: Vec<_> = sqls
        .into_iter()
        .filter(|s| !trash::removals(s).is_empty())
        .flat_map(impact::destructive_targets)
        .collect();
    let losses = impact::measure(c, &targets).await?;
    let bytes = losses.iter().filter_map(|l| l.bytes).sum::<i64>();
    Ok(Keeping {
        estimate: Duration::from_secs_f64(bytes.max(0) as f64 / COPY_BYTES_PER_SECOND),
        losses,
        bytes,
    })
}

/// What of `losses` (a rollback's impact) is kept, and the time the copy takes.
pub fn kept_of(losses: &[Loss]) -> Keeping {
    let losses: Vec<Loss> = losses
        .iter()
        .filter(|l| {
            l.exists
                && matches!(
                    l.target.kind,
                    TargetKind::Table
                        | TargetKind::Column
                        | TargetKind::Rows { .. }
                        | TargetKind::Schema
                )
        })
        .cloned()
        .collect();
    let bytes = losses.iter().filter_map(|l| l.bytes).sum::<i64>();
    Keeping {
        estimate: Duration::from_secs_f64(bytes.max(0) as f64 / COPY_BYTES_PER_SECOND),
        losses,
        bytes,
    }
}

impl Engine {
    /// Whether copies are kept, and the size above which one needs the operator's choice.
    pub fn keep_limits(&self) -> (bool, u64) {
        (self.settings.keep, self.settings.trash_max)
    }

    /// Sets the choice for copies above `trash_max` for the runs that follow.
    pub fn choose_keep(&self, choice: KeepChoice) {
        if let Ok(mut slot) = self.keep_choice.lock() {
            *slot = choice;
        }
    }

    fn keep_choice(&self) -> KeepChoice {
        self.keep_choice
            .lock()
            .map(|c| c.clone())
            .unwrap_or_default()
    }

    /// Before a part runs, outside its transaction: whether its removals are kept. Makes
    /// the schema when they are, and refuses, before anything changes, a copy above
    /// `trash_max` the operator made no choice about.
    pub(super) async fn prepare_keeping(
        &self,
        version: &str,
        meta: &Meta,
        part: Sql<'_>,
    ) -> Result<bool, EngineError> {
        let choice = self.keep_choice();
        let removing: Vec<&str> = part
            .statements()
            .map(|s| s.sql)
            .filter(|s| !trash::removals(s).is_empty())
            .collect();
        if removing.is_empty() {
            return Ok(false);
        }
        let off = match (&choice, &meta.keep_off) {
            (KeepChoice::No { reason }, _) => Some(reason.as_str()),
            (_, Some(reason)) => Some(reason.as_str()),
            _ if !self.settings.keep => Some("the profile says keep = false"),
            _ => None,
        };
        if let Some(reason) = off {
            // Data is about to go for good: the log says so, and why, before it goes.
            self.log_not_kept(version, reason, &removing).await?;
            return Ok(false);
        }
        if choice == KeepChoice::UpToMax {
            let k = measure(&self.client, removing.iter().copied()).await?;
            if k.bytes as u64 > self.settings.trash_max {
                return Err(EngineError::Refused(format!(
                    "phase {version}: keeping what it removes takes a copy of {} (about {}s), \
                     above trash_max ({}): nothing was changed. Choose: keep it anyway \
                     (--keep), do not keep it (--no-keep REASON), or raise trash_max",
                    impact::size(k.bytes),
                    k.estimate.as_secs(),
                    impact::size(self.settings.trash_max as i64),
                )));
            }
        }
        if let Err(e) = trash::ensure(&self.client).await {
            // A role that may not create a schema ran rollbacks before keeping existed: it
            // still does, and the log says what was not kept and how to have it kept.
            if e.code() != Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE) {
                return Err(e.into());
            }
            self.log_not_kept(
                version,
                "this role may not create schema pgstep_trash: GRANT CREATE ON DATABASE to \
                 it, or set keep = false",
                &removing,
            )
            .await?;
            return Ok(false);
        }
        Ok(true)
    }

    /// A `kept` event saying that what `removing` removes is not kept, and why.
    async fn log_not_kept(
        &self,
        version: &str,
        reason: &str,
        removing: &[&str],
    ) -> Result<(), EngineError> {
        self.log(Event {
            kind: EventKind::Kept,
            version: Some(version),
            name: None,
            outcome: Outcome::NotKept,
            duration_ms: None,
            reason: Some(reason),
            details: json!({ "statements": removing }),
        })
        .await
    }

    /// The statement keeping what `sql` removes, when `on`.
    pub(super) fn keep_for(on: bool, version: &str, part: Part, sql: &str) -> Option<String> {
        if on {
            trash::keep_sql(sql, version, part)
        } else {
            None
        }
    }

    /// Logs each copy kept since the last call, in the transaction that kept it when there
    /// is one, and adds it to the phase's history row when the row is there (a phase applied
    /// in one transaction writes its row after: it takes what this returns).
    pub(super) async fn log_kept(
        &self,
        on: bool,
        version: &str,
        name: &str,
    ) -> Result<Vec<KeptRecord>, tokio_postgres::Error> {
        if !on {
            return Ok(Vec::new());
        }
        let w = self.writes().await?;
        let kept = trash::take_unlogged(&self.client).await?;
        for k in &kept {
            let event = Event {
                kind: EventKind::Kept,
                version: Some(version),
                name: Some(name),
                outcome: Outcome::Kept,
                duration_ms: None,
                reason: None,
                details: json!({
                    "id": k.id,
                    "kind": k.kind,
                    "object": k.object,
                    "statement": k.statement,
                    "rows": k.rows,
                    "bytes": k.bytes,
                }),
            };
            w.event(&self.client, &event, &self.operator).await?;
        }
        let records: Vec<KeptRecord> = kept.iter().map(KeptRecord::from).collect();
        if !records.is_empty() {
            self.tables
                .add_kept(&self.client, version, &json!(records))
                .await?;
        }
        Ok(records)
    }

    /// What a phase kept, for its history row: NULL when nothing.
    pub(super) fn kept_json(kept: Vec<KeptRecord>) -> Option<serde_json::Value> {
        (!kept.is_empty()).then(|| json!(kept))
    }

    /// Puts the copies `ids` back in one transaction, under the migration lock, and logs
    /// each; nothing changes when one is refused.
    pub async fn restore(
        &self,
        ids: &[i64],
        reason: Option<&str>,
    ) -> Result<Vec<Restored>, EngineError> {
        self.lock().await?;
        let eng = self;
        let result = async {
            let c = &eng.client;
            c.batch_execute("BEGIN").await?;
            let done = async {
                let restored = trash::restore(c, ids)
                    .await
                    .map_err(|e| EngineError::Refused(e.to_string()))?;
                let w = eng.writes().await?;
                for r in &restored {
                    let event = Event {
                        kind: EventKind::Restored,
                        version: Some(&r.kept.phase),
                        name: None,
                        outcome: Outcome::Restored,
                        duration_ms: None,
                        reason,
                        details: json!({
                            "id": r.kept.id,
                            "kind": r.kept.kind,
                            "object": r.kept.object,
                            "rows": r.kept.rows,
                            "not_restored": r.not_restored,
                        }),
                    };
                    w.event(c, &event, &eng.operator).await?;
                }
                c.batch_execute("COMMIT").await?;
                Ok::<_, EngineError>(restored)
            }
            .await;
            if done.is_err() && !c.is_closed() {
                c.batch_execute("ROLLBACK").await.ok();
            }
            done
        }
        .await;
        self.unlock(result).await
    }

    /// Drops the copies kept longer ago than `older_than` (all without it), and logs it.
    pub async fn purge(&self, older_than: Option<Duration>) -> Result<Vec<Kept>, EngineError> {
        self.lock().await?;
        let eng = self;
        let result = async {
            let gone = trash::purge(&eng.client, older_than).await?;
            if !gone.is_empty() {
                eng.log(Event {
                    kind: EventKind::Purged,
                    version: None,
                    name: None,
                    outcome: Outcome::Purged,
                    duration_ms: None,
                    reason: None,
                    details: json!({
                        "ids": gone.iter().map(|k| k.id).collect::<Vec<_>>(),
                        "bytes": gone.iter().map(|k| k.bytes).sum::<i64>(),
                    }),
                })
                .await?;
            }
            Ok(gone)
        }
        .await;
        self.unlock(result).await
    }
}
