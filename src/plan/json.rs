//! The `pgstep plan --json` document. Its shape is documented in the README and kept stable:
//! fields may be added, never renamed or removed.

use serde::Serialize;

use super::batch::{Batched, Gates, LagLimit};
use super::{Checksum, Diagnostic, Migration, Part, Plan, Run, Transaction, Unread};

#[derive(Serialize)]
pub struct PlanJson<'a> {
    pub migrations: Vec<MigrationJson<'a>>,
    pub warnings: &'a [Diagnostic],
}

#[derive(Serialize)]
pub struct MigrationJson<'a> {
    pub version: &'a str,
    pub name: &'a str,
    pub title: Option<&'a str>,
    pub goal: Option<&'a str>,
    pub author: Option<&'a str>,
    pub date: Option<&'a str>,
    pub file: String,
    pub layout: &'static str,
    pub depends: Vec<&'a str>,
    pub requires: &'a [String],
    pub transaction: bool,
    /// What `up` and `down` run in: the whole part in one transaction, none, or per section.
    pub transactions: TransactionsJson,
    pub lock_timeout_ms: Option<u128>,
    pub statement_timeout_ms: Option<u128>,
    pub checksum: &'a Checksum,
    pub checksums: ChecksumsJson<'a>,
    pub up: Vec<StatementJson<'a>>,
    pub down: Option<Vec<StatementJson<'a>>>,
    pub checks: Vec<CheckJson<'a>>,
    pub steps: Vec<StepJson<'a>>,
    pub batch: Option<&'a Batched>,
    pub gates: GatesJson,
}

/// How each part's statements run; a run is consecutive statements (1-based) that share
/// one transaction, or run one by one.
#[derive(Serialize)]
pub struct TransactionsJson {
    pub up: Transaction,
    pub up_runs: Vec<Run>,
    pub down: Option<Transaction>,
    pub down_runs: Option<Vec<Run>>,
}

/// The phase's own health gates (the profile's defaults are not folded in).
#[derive(Serialize)]
pub struct GatesJson {
    pub max_replica_lag_bytes: Option<u64>,
    pub max_replica_lag_ms: Option<u128>,
    pub max_wal_rate_bytes_per_s: Option<u64>,
    pub batch_pause_ms: Option<u128>,
}

impl GatesJson {
    fn new(g: &Gates) -> GatesJson {
        GatesJson {
            max_replica_lag_bytes: match g.max_replica_lag {
                Some(LagLimit::Bytes(b)) => Some(b),
                _ => None,
            },
            max_replica_lag_ms: match g.max_replica_lag {
                Some(LagLimit::Time(t)) => Some(t.as_millis()),
                _ => None,
            },
            max_wal_rate_bytes_per_s: g.max_wal_rate,
            batch_pause_ms: g.batch_pause.map(|d| d.as_millis()),
        }
    }
}

#[derive(Serialize)]
pub struct ChecksumsJson<'a> {
    pub up: &'a Checksum,
    pub down: Option<&'a Checksum>,
    pub verify: Option<&'a Checksum>,
}

#[derive(Serialize)]
pub struct StatementJson<'a> {
    pub line: u32,
    pub sql: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub copy_data: Option<&'a str>,
}

#[derive(Serialize)]
pub struct CheckJson<'a> {
    pub name: &'a str,
    pub expect: String,
    pub sql: &'a str,
    pub line: u32,
}

#[derive(Serialize)]
pub struct StepJson<'a> {
    pub title: &'a str,
    pub line: u32,
}

fn statements(part: &Part) -> Result<Vec<StatementJson<'_>>, Unread> {
    Ok(part
        .sql()?
        .statements()
        .map(|s| StatementJson {
            line: s.line,
            sql: s.sql,
            copy_data: s.copy_data,
        })
        .collect())
}

impl<'a> MigrationJson<'a> {
    /// Fails on a plan that was outlined: the statements' text is not in it.
    pub fn new(m: &'a Migration) -> Result<Self, Unread> {
        Ok(MigrationJson {
            version: m.version.as_str(),
            name: &m.name,
            title: m.meta.title.as_deref(),
            goal: m.meta.goal.as_deref(),
            author: m.meta.author.as_deref(),
            date: m.meta.date.as_deref(),
            file: m.file.display().to_string(),
            layout: m.layout.name(),
            depends: m.meta.depends.iter().map(|v| v.as_str()).collect(),
            requires: &m.meta.requires,
            transaction: m.transactional(),
            transactions: TransactionsJson {
                up: m.up.transaction(),
                up_runs: m.up.runs(),
                down: m.down.as_ref().map(Part::transaction),
                down_runs: m.down.as_ref().map(Part::runs),
            },
            lock_timeout_ms: m.meta.lock_timeout.map(|d| d.as_millis()),
            statement_timeout_ms: m.meta.statement_timeout.map(|d| d.as_millis()),
            checksum: &m.checksum,
            checksums: ChecksumsJson {
                up: &m.part_checksums.up,
                down: m.part_checksums.down.as_ref(),
                verify: m.part_checksums.verify.as_ref(),
            },
            up: statements(&m.up)?,
            down: m.down.as_ref().map(statements).transpose()?,
            checks: m
                .checks
                .iter()
                .map(|c| CheckJson {
                    name: &c.name,
                    expect: c.expect.to_string(),
                    sql: &c.sql,
                    line: c.sql_line,
                })
                .collect(),
            steps: m
                .steps
                .iter()
                .map(|s| StepJson {
                    title: &s.title,
                    line: s.line,
                })
                .collect(),
            batch: m.batch.as_deref(),
            gates: GatesJson::new(&m.meta.gates),
        })
    }
}

impl<'a> PlanJson<'a> {
    pub fn new(plan: &'a Plan) -> Result<Self, Unread> {
        Ok(PlanJson {
            migrations: plan
                .migrations
                .iter()
                .map(MigrationJson::new)
                .collect::<Result<_, _>>()?,
            warnings: &plan.warnings,
        })
    }
}
