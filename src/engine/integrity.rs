//! Whether the event log is still what pgstep wrote: its triggers in place and enabled, its
//! first event there, no event missing, and no history older than the log.
//!
//! Append-only holds against everyone but the log's owner and superusers: they can disable
//! or drop the triggers, delete events and put the triggers back. pgstep cannot stop that;
//! it can notice it and say so, in `status`, the console's header and the log itself.
//! Deleting only the newest events leaves no gap, and that pgstep cannot see.

use chrono::{DateTime, Utc};
use tokio_postgres::GenericClient;

use super::bookkeeping::Guards;
use super::history::{EventKind, Outcome, Tables};

/// One sign that the log was tampered with.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "finding", rename_all = "kebab-case")]
pub enum Finding {
    /// A trigger of the log was dropped (pgstep put it back).
    TriggerMissing { trigger: String },
    /// A trigger of the log was disabled (pgstep enabled it again).
    TriggerDisabled { trigger: String },
    /// The log was dropped while its history remained (pgstep made a new, empty one).
    LogDropped,
    /// The log's first event is gone: it was emptied, or its oldest events deleted.
    StartMissing,
    /// Events were deleted: `missing` of them, from id `first_id` to id `last_id`.
    EventsMissing {
        missing: i64,
        first_id: i64,
        last_id: i64,
    },
    /// The history is gone while its log remains: every phase would look pending.
    HistoryDropped,
    /// History rows older than the log: the log was dropped and made again since.
    OlderThanLog { rows: i64 },
    /// pgstep found and recorded tampering before, in the log.
    Recorded {
        times: i64,
        last_at: Option<DateTime<Utc>>,
    },
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Finding::TriggerMissing { trigger } => {
                write!(f, "its trigger {trigger} was dropped")
            }
            Finding::TriggerDisabled { trigger } => {
                write!(f, "its trigger {trigger} was disabled")
            }
            Finding::LogDropped => write!(f, "it was dropped while the history remained"),
            Finding::StartMissing => write!(
                f,
                "its first event is gone: it was emptied or its oldest events deleted"
            ),
            Finding::EventsMissing {
                missing,
                first_id,
                last_id,
            } => write!(
                f,
                "{missing} event(s) were deleted (ids {first_id} to {last_id})"
            ),
            Finding::HistoryDropped => write!(
                f,
                "its history table was dropped: every phase looks pending, and pgstep refuses \
                 to change anything"
            ),
            Finding::OlderThanLog { rows } => write!(
                f,
                "{rows} history row(s) are older than the log: it was dropped and made again"
            ),
            Finding::Recorded { times, last_at } => {
                write!(f, "pgstep recorded tampering {times} time(s)")?;
                if let Some(at) = last_at {
                    write!(f, ", last at {}", at.format("%Y-%m-%d %H:%M:%S UTC"))?;
                }
                write!(f, " (see `pgstep log`)")
            }
        }
    }
}

/// All findings in one line, for a header or a warning.
pub fn describe(findings: &[Finding]) -> String {
    let parts: Vec<String> = findings.iter().map(Finding::to_string).collect();
    format!("the event log was tampered with: {}", parts.join("; "))
}

/// The log's triggers that are missing or disabled. A trigger set to fire only on replicas
/// (`ENABLE REPLICA`) does not fire here, so it counts as disabled.
pub(super) async fn guard_problems(
    t: &Tables,
    c: &impl GenericClient,
) -> Result<Vec<Finding>, tokio_postgres::Error> {
    let rows = c
        .query(
            "SELECT tgname::text, tgenabled::text FROM pg_trigger \
             WHERE tgrelid = to_regclass($1) AND NOT tgisinternal",
            &[&t.log_sql()],
        )
        .await?;
    let g = Guards::of(t);
    let mut out = Vec::new();
    for name in g.triggers() {
        match rows.iter().find(|r| r.get::<_, String>(0) == name) {
            None => out.push(Finding::TriggerMissing {
                trigger: name.to_string(),
            }),
            Some(r) if !matches!(r.get::<_, String>(1).as_str(), "O" | "A") => {
                out.push(Finding::TriggerDisabled {
                    trigger: name.to_string(),
                })
            }
            Some(_) => {}
        }
    }
    Ok(out)
}

/// What the log's contents say: its first event, gaps since it, history older than it.
async fn content_problems(
    t: &Tables,
    c: &impl GenericClient,
) -> Result<Vec<Finding>, tokio_postgres::Error> {
    let l = t.log_sql();
    let marker = c
        .query_opt(
            &format!("SELECT id, event, at FROM {l} WHERE event IN ($1, $2) ORDER BY id LIMIT 1"),
            &[
                &EventKind::LogCreated.word(),
                &EventKind::LogUpgraded.word(),
            ],
        )
        .await?;
    let Some(marker) = marker else {
        return Ok(vec![Finding::StartMissing]);
    };
    let (first_id, kind, at): (i64, String, DateTime<Utc>) =
        (marker.get(0), marker.get(1), marker.get(2));
    let mut out = Vec::new();
    let row = c
        .query_one(
            &format!("SELECT count(*), coalesce(max(id), $1) FROM {l} WHERE id >= $1"),
            &[&first_id],
        )
        .await?;
    let (count, last_id): (i64, i64) = (row.get(0), row.get(1));
    let missing = last_id - first_id + 1 - count;
    if missing > 0 {
        // Where the gaps are, read only when there are some: it reads every id.
        let gaps = c
            .query_one(
                &format!(
                    "SELECT min(id + 1), max(next - 1) FROM (
                        SELECT id, lead(id) OVER (ORDER BY id) AS next FROM {l} WHERE id >= $1
                     ) ids WHERE next > id + 1"
                ),
                &[&first_id],
            )
            .await?;
        out.push(Finding::EventsMissing {
            missing,
            first_id: gaps.get::<_, Option<i64>>(0).unwrap_or(first_id),
            last_id: gaps.get::<_, Option<i64>>(1).unwrap_or(last_id),
        });
    }
    if kind == EventKind::LogCreated.word() {
        let older: i64 = c
            .query_one(
                &format!(
                    "SELECT count(*) FROM {} WHERE created_at < $1",
                    t.history_sql()
                ),
                &[&at],
            )
            .await?
            .get(0);
        if older > 0 {
            out.push(Finding::OlderThanLog { rows: older });
        }
    }
    Ok(out)
}

/// Tampering found earlier and recorded in the log.
async fn recorded(
    t: &Tables,
    c: &impl GenericClient,
) -> Result<Option<Finding>, tokio_postgres::Error> {
    let row = c
        .query_one(
            &format!(
                "SELECT count(*), max(at) FROM {} WHERE event = $1",
                t.log_sql()
            ),
            &[&EventKind::LogTampered.word()],
        )
        .await?;
    let times: i64 = row.get(0);
    Ok((times > 0).then(|| Finding::Recorded {
        times,
        last_at: row.get(1),
    }))
}

/// Everything wrong with the log of tables that exist at the current layout; empty when the
/// log is intact.
pub async fn check(
    t: &Tables,
    c: &impl GenericClient,
) -> Result<Vec<Finding>, tokio_postgres::Error> {
    // Sent together: each is its own round trip otherwise, on every `status`.
    let (mut out, content, logged) =
        tokio::try_join!(guard_problems(t, c), content_problems(t, c), recorded(t, c))?;
    out.extend(content);
    out.extend(logged);
    Ok(out)
}

/// Appends a `log-tampered` event with `found` and what the log's contents show now, unless
/// both are empty or the newest such event already says the same.
pub(super) async fn record(
    t: &Tables,
    c: &impl GenericClient,
    found: &[Finding],
) -> Result<(), tokio_postgres::Error> {
    let mut all = found.to_vec();
    all.extend(content_problems(t, c).await?);
    if all.is_empty() {
        return Ok(());
    }
    let details = serde_json::json!({ "findings": all });
    let l = t.log_sql();
    let last: Option<serde_json::Value> = c
        .query_opt(
            &format!("SELECT details FROM {l} WHERE event = $1 ORDER BY id DESC LIMIT 1"),
            &[&EventKind::LogTampered.word()],
        )
        .await?
        .map(|r| r.get(0));
    if last.as_ref() == Some(&details) {
        return Ok(());
    }
    c.execute(
        &format!("INSERT INTO {l} (event, outcome, details) VALUES ($1, $2, $3)"),
        &[
            &EventKind::LogTampered.word(),
            &Outcome::Found.as_str(),
            &details,
        ],
    )
    .await?;
    Ok(())
}
