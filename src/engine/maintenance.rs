//! Maintenance the monitoring views lead to: dropping an unused or redundant index,
//! rebuilding an invalid one, refreshing a materialized view. Each holds the migration lock
//! (one operator at a time), runs outside a transaction so CONCURRENTLY works, waits for
//! locks no longer than the session's lock_timeout, and is recorded in the event log with
//! its outcome and duration.

use std::time::Instant;

use serde_json::json;

use super::history::{EventKind, Outcome, quote_ident};
use super::{Engine, EngineError, Event};
use crate::monitor::{indexes, matviews};

/// What a maintenance action did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Maintained {
    /// `schema.name` of the index or materialized view.
    pub target: String,
    pub concurrently: bool,
    pub millis: u64,
}

/// One action's attempt, for the event log.
struct Attempt<'a> {
    kind: EventKind,
    target: String,
    success: Outcome,
    started: Instant,
    reason: Option<&'a str>,
    details: serde_json::Value,
}

/// A resolved relation: oid, schema, name, relkind.
struct Rel {
    oid: u32,
    schema: String,
    name: String,
    kind: i8,
}

impl Rel {
    fn qualified(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }

    fn quoted(&self) -> String {
        format!("{}.{}", quote_ident(&self.schema), quote_ident(&self.name))
    }
}

impl Engine {
    /// `name` (as written in SQL, schema-qualified or found on the search path).
    async fn resolve(&self, name: &str) -> Result<Rel, EngineError> {
        let row = self
            .client
            .query_opt(
                "SELECT c.oid, n.nspname::text, c.relname::text, c.relkind \
                 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE c.oid = to_regclass($1)",
                &[&name],
            )
            .await?;
        let row = row.ok_or_else(|| EngineError::Input(format!("no relation named {name}")))?;
        Ok(Rel {
            oid: row.get(0),
            schema: row.get(1),
            name: row.get(2),
            kind: row.get(3),
        })
    }

    /// Runs one maintenance statement on its own (CONCURRENTLY refuses a transaction
    /// block), bounded by the session's lock_timeout ([`Engine::open`] set it).
    async fn maintain(&self, statement: &str) -> Result<(), tokio_postgres::Error> {
        self.client.batch_execute(statement).await
    }

    /// Logs the attempt and turns its result into the action's.
    async fn record(
        &self,
        a: Attempt<'_>,
        result: Result<bool, tokio_postgres::Error>,
    ) -> Result<Maintained, EngineError> {
        let Attempt {
            kind,
            target,
            success,
            started,
            reason,
            mut details,
        } = a;
        let outcome = match &result {
            Ok(_) => success,
            Err(_) if self.is_cancelled() => Outcome::Cancelled,
            Err(_) => Outcome::Failed,
        };
        if let Err(e) = &result {
            details["error"] = json!(super::db_message(e));
        }
        let millis = started.elapsed().as_millis() as u64;
        // A cancel belongs to the action it stopped: the console runs many on one engine.
        self.cancelled
            .store(false, std::sync::atomic::Ordering::SeqCst);
        self.log(Event {
            kind,
            version: None,
            name: Some(&target),
            outcome,
            duration_ms: Some(millis as i64),
            reason,
            details,
        })
        .await?;
        Ok(Maintained {
            target,
            concurrently: result?,
            millis,
        })
    }

    async fn index_of(
        &self,
        name: &str,
    ) -> Result<(Rel, indexes::IndexInfo, indexes::StatsSince), EngineError> {
        let rel = self.resolve(name).await?;
        if rel.kind != b'i' as i8 {
            let what = if rel.kind == b'I' as i8 {
                "a partitioned index (handle it on each partition)"
            } else {
                "not an index"
            };
            return Err(EngineError::Input(format!("{} is {what}", rel.qualified())));
        }
        let version = indexes::server_version_num(&self.client).await?;
        let (info, since) = indexes::find(&self.client, version, rel.oid)
            .await?
            .ok_or_else(|| {
                EngineError::Input(format!("{} is not in a user schema", rel.qualified()))
            })?;
        Ok((rel, info, since))
    }

    fn index_details(info: &indexes::IndexInfo) -> serde_json::Value {
        json!({
            "index": info.qualified(),
            "table": format!("{}.{}", info.schema, info.table),
            "definition": info.definition,
            "size_bytes": info.size_bytes,
            "scans": info.scans,
            "verdicts": info.verdict_text(),
            "concurrently": true,
        })
    }

    /// `DROP INDEX CONCURRENTLY` of an unused, invalid, duplicate or covered index. Refuses
    /// an index that enforces something (primary key, unique, exclusion, constraint) or one
    /// that has no such verdict. The logged details keep its definition, to recreate it.
    pub async fn drop_index(
        &self,
        name: &str,
        reason: Option<&str>,
    ) -> Result<Maintained, EngineError> {
        self.lock().await?;
        let result = async {
            let (rel, info, since) = self.index_of(name).await?;
            if info.enforces_something() {
                let what = match (&info.constraint, info.primary) {
                    (Some(c), _) => format!("backs constraint {c}"),
                    (None, true) => "is a primary key".into(),
                    _ => "enforces uniqueness".into(),
                };
                return Err(EngineError::Refused(format!(
                    "{} {what}: drop it with a migration (ALTER TABLE ... DROP CONSTRAINT) \
                     if it must go; nothing was changed",
                    rel.qualified()
                )));
            }
            if info.verdict_text().is_empty() || info.building {
                return Err(EngineError::Refused(format!(
                    "{} is in use ({} scans, {}): pgstep drops only unused, invalid, \
                     duplicate or covered indexes; nothing was changed",
                    rel.qualified(),
                    info.scans.unwrap_or(0),
                    since.describe()
                )));
            }
            let started = Instant::now();
            let sql = format!("DROP INDEX CONCURRENTLY {}", rel.quoted());
            let done = self.maintain(&sql).await.map(|()| true);
            let details = Self::index_details(&info);
            self.record(
                Attempt {
                    kind: EventKind::IndexDropped,
                    target: rel.qualified(),
                    success: Outcome::Dropped,
                    started,
                    reason,
                    details,
                },
                done,
            )
            .await
        }
        .await;
        self.unlock(result).await
    }

    /// `REINDEX INDEX CONCURRENTLY` of an invalid index (a failed concurrent build).
    pub async fn reindex(
        &self,
        name: &str,
        reason: Option<&str>,
    ) -> Result<Maintained, EngineError> {
        self.lock().await?;
        let result = async {
            let (rel, info, _) = self.index_of(name).await?;
            if info.reindex_leftover {
                return Err(EngineError::Refused(format!(
                    "{} is the leftover of an interrupted REINDEX CONCURRENTLY: drop it \
                     (pgstep indexes --drop {}) and rebuild the original; nothing was changed",
                    rel.qualified(),
                    rel.qualified()
                )));
            }
            if !info.invalid {
                return Err(EngineError::Refused(format!(
                    "{} is {}: pgstep rebuilds only invalid indexes; nothing was changed",
                    rel.qualified(),
                    if info.building {
                        "being built right now"
                    } else {
                        "valid"
                    }
                )));
            }
            let started = Instant::now();
            let sql = format!("REINDEX INDEX CONCURRENTLY {}", rel.quoted());
            let done = self.maintain(&sql).await.map(|()| true);
            let details = Self::index_details(&info);
            self.record(
                Attempt {
                    kind: EventKind::IndexRebuilt,
                    target: rel.qualified(),
                    success: Outcome::Rebuilt,
                    started,
                    reason,
                    details,
                },
                done,
            )
            .await
        }
        .await;
        self.unlock(result).await
    }

    /// `REFRESH MATERIALIZED VIEW`, CONCURRENTLY when wanted and possible (populated, with a
    /// usable unique index). The event keeps the base tables' write counters taken just
    /// before, so later writes count as "since the refresh" (erring towards stale).
    pub async fn refresh_matview(
        &self,
        name: &str,
        concurrently_if_possible: bool,
        reason: Option<&str>,
    ) -> Result<Maintained, EngineError> {
        self.lock().await?;
        let result = async {
            let rel = self.resolve(name).await?;
            if rel.kind != b'm' as i8 {
                return Err(EngineError::Input(format!(
                    "{} is not a materialized view",
                    rel.qualified()
                )));
            }
            let version = indexes::server_version_num(&self.client).await?;
            let (info, since) = matviews::find(&self.client, version, rel.oid, None)
                .await?
                .ok_or_else(|| EngineError::Input(format!("no materialized view {name}")))?;
            let concurrently =
                concurrently_if_possible && info.populated && info.concurrent_refresh;
            let started = Instant::now();
            let sql = format!(
                "REFRESH MATERIALIZED VIEW {}{}",
                if concurrently { "CONCURRENTLY " } else { "" },
                rel.quoted()
            );
            let done = self.maintain(&sql).await.map(|()| concurrently);
            let relfilenode: Option<u32> = self
                .client
                .query_opt(
                    "SELECT relfilenode FROM pg_class WHERE oid = $1",
                    &[&rel.oid],
                )
                .await?
                .map(|r| r.get(0));
            let details = json!({
                "matview": rel.qualified(),
                "oid": rel.oid,
                "base_writes": info.base_writes,
                "stats_reset": since.counting_since,
                "concurrently": concurrently,
                "relfilenode": relfilenode,
            });
            self.record(
                Attempt {
                    kind: EventKind::Refresh,
                    target: rel.qualified(),
                    success: Outcome::Refreshed,
                    started,
                    reason,
                    details,
                },
                done,
            )
            .await
        }
        .await;
        self.unlock(result).await
    }
}
