//! Running a phase's checks: `unchanged` ones before the phase, all of them after it.
//!
//! A check only reads. It runs as exactly one query, read the way the session that runs it
//! reads text, inside a read-only transaction (or, within a phase's transaction, a read-only
//! savepoint) that is rolled back, as a role that can read everything and do nothing else.

use serde::ser::SerializeStruct;
use tokio_postgres::{Client, SimpleQueryMessage};

use super::history::{Event, EventKind, Outcome, Presence, quote_ident};
use super::verdict::{self, Grade, ResultSet, Verdict};
use super::{Engine, EngineError};
use crate::plan::{Expect, Migration};
use crate::sql::{self, SplitOptions};

/// The role pgstep creates for checks when none is configured.
pub const CHECKS_ROLE: &str = "pgstep_checks";

/// One check's result, for the outcome table (name, expectation, before, after, grade).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckOutcome {
    pub name: String,
    pub expect: String,
    pub before: Option<String>,
    pub after: String,
    pub grade: Grade,
    pub detail: String,
}

impl CheckOutcome {
    pub fn failed(&self) -> bool {
        self.grade == Grade::Fail
    }
}

/// Written with `passed` beside the grade, as reports and the event log had it before checks
/// could go unjudged, so what reads them keeps working.
impl serde::Serialize for CheckOutcome {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut out = s.serialize_struct("CheckOutcome", 7)?;
        out.serialize_field("name", &self.name)?;
        out.serialize_field("expect", &self.expect)?;
        out.serialize_field("before", &self.before)?;
        out.serialize_field("after", &self.after)?;
        out.serialize_field("grade", &self.grade)?;
        out.serialize_field("passed", &(self.grade == Grade::Pass))?;
        out.serialize_field("detail", &self.detail)?;
        out.end()
    }
}

impl CheckOutcome {
    /// The outcomes an event of the log recorded (`details.checks` of an apply, a verify or a
    /// failure), as [`CheckOutcome`]'s serialisation wrote them; a log written before checks
    /// had a grade has only `passed`. `None` when the event recorded none.
    pub fn from_logged(details: &serde_json::Value) -> Option<Vec<CheckOutcome>> {
        let checks = details.get("checks")?.as_array()?;
        let text = |c: &serde_json::Value, key: &str| {
            c.get(key).and_then(|v| v.as_str()).map(str::to_string)
        };
        checks
            .iter()
            .map(|c| {
                let grade = match c.get("grade").and_then(|g| g.as_str()) {
                    Some("pass") => Grade::Pass,
                    Some("fail") => Grade::Fail,
                    Some("not_judged") => Grade::NotJudged,
                    _ => Grade::of(c.get("passed")?.as_bool()?),
                };
                Some(CheckOutcome {
                    name: text(c, "name")?,
                    expect: text(c, "expect").unwrap_or_default(),
                    before: text(c, "before"),
                    after: text(c, "after").unwrap_or_default(),
                    grade,
                    detail: text(c, "detail").unwrap_or_default(),
                })
            })
            .collect()
    }
}

/// Whose privileges checks run with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChecksAs {
    /// A role that can read everything and do nothing else.
    Role(String),
    /// The operator's own: no such role could be used (said once to the operator).
    Operator,
}

/// Where a check runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Inside a phase's open transaction: in a read-only savepoint that is rolled back to, so
    /// the phase's transaction goes on as it was, its role and settings restored.
    Savepoint,
    /// Outside any transaction: in a read-only transaction that is rolled back.
    Alone,
}

/// A check that did not give a result: refused before it ran, or refused by the server.
type NoResult = String;

/// Runs one check's text and keeps its whole result as text. `Ok(Err(why))` is a check that
/// gave no result; `Err` is a session that failed around it.
pub async fn query(
    c: &Client,
    who: &ChecksAs,
    scope: Scope,
    sql: &str,
) -> Result<Result<ResultSet, NoResult>, tokio_postgres::Error> {
    let (open, close) = match scope {
        Scope::Savepoint => (
            "SAVEPOINT pgstep_check; SET LOCAL transaction_read_only = on",
            "ROLLBACK TO SAVEPOINT pgstep_check; RELEASE SAVEPOINT pgstep_check",
        ),
        Scope::Alone => ("BEGIN READ ONLY", "ROLLBACK"),
    };
    let mut setup = open.to_string();
    if let ChecksAs::Role(role) = who {
        setup.push_str(&format!("; SET LOCAL ROLE {}", quote_ident(role)));
    }
    setup.push_str("; SHOW standard_conforming_strings");
    let ran = match c.simple_query(&setup).await {
        Ok(shown) => run_one(c, sql, conforming(&shown)).await,
        Err(e) => Err(e),
    };
    // Also after a failed setup: the transaction or savepoint may be open, and aborted.
    let closed = c.batch_execute(close).await;
    let result = ran?;
    closed?;
    Ok(result)
}

/// Whether `SHOW standard_conforming_strings` said on; PostgreSQL's default when unsaid.
fn conforming(shown: &[SimpleQueryMessage]) -> bool {
    !shown.iter().any(|m| match m {
        SimpleQueryMessage::Row(r) => r.get(0) == Some("off"),
        _ => false,
    })
}

async fn run_one(
    c: &Client,
    sql: &str,
    scs: bool,
) -> Result<Result<ResultSet, NoResult>, tokio_postgres::Error> {
    let options = SplitOptions {
        standard_conforming_strings: scs,
    };
    let one = match sql::one_query(sql, options) {
        Ok(one) => one,
        Err(refused) => return Ok(Err(refused.to_string())),
    };
    // The server's own word that this is one statement: a prepared statement cannot hold
    // more. The check then runs through the simple protocol, the only one in which
    // tokio-postgres hands back every value as PostgreSQL's text output, which is how results
    // are compared and shown. Both parse the same text in the same session and transaction,
    // so they read it alike.
    if let Err(e) = c.prepare(one).await {
        return server_said(e);
    }
    match text_rows(c, one).await {
        Ok(rows) => Ok(Ok(rows)),
        Err(e) => server_said(e),
    }
}

/// A server error as the check's failure; a lost session stays an error.
fn server_said(
    e: tokio_postgres::Error,
) -> Result<Result<ResultSet, NoResult>, tokio_postgres::Error> {
    match e.as_db_error() {
        Some(db) => Ok(Err(format!("[{}] {}", db.code().code(), db.message()))),
        None => Err(e),
    }
}

/// Runs one statement and keeps its whole result as text.
async fn text_rows(c: &Client, sql: &str) -> Result<ResultSet, tokio_postgres::Error> {
    let mut out = ResultSet::default();
    for msg in c.simple_query(sql).await? {
        match msg {
            SimpleQueryMessage::RowDescription(cols) => {
                out.columns = cols.iter().map(|c| c.name().to_string()).collect();
            }
            SimpleQueryMessage::Row(row) => {
                if out.columns.is_empty() {
                    out.columns = row.columns().iter().map(|c| c.name().to_string()).collect();
                }
                out.rows.push(
                    (0..row.len())
                        .map(|i| row.get(i).map(str::to_string))
                        .collect(),
                );
            }
            _ => {}
        }
    }
    Ok(out)
}

/// Why a phase stopped before it started: a session error, or an `unchanged` check that gave
/// nothing to compare with.
pub enum Blocked {
    Db(tokio_postgres::Error),
    Check {
        version: String,
        outcome: Box<CheckOutcome>,
    },
}

impl From<tokio_postgres::Error> for Blocked {
    fn from(e: tokio_postgres::Error) -> Self {
        Blocked::Db(e)
    }
}

impl From<Blocked> for EngineError {
    fn from(b: Blocked) -> Self {
        match b {
            Blocked::Db(e) => EngineError::Db(e),
            Blocked::Check { version, outcome } => EngineError::CheckFailed {
                version,
                check: outcome.name,
                expect: outcome.expect,
                detail: outcome.detail,
                outcome: "not started",
            },
        }
    }
}

/// Results of the `unchanged` checks, by check index, taken before the phase.
pub async fn snapshot(
    c: &Client,
    who: &ChecksAs,
    scope: Scope,
    m: &Migration,
) -> Result<Vec<(usize, ResultSet)>, Blocked> {
    let mut out = Vec::new();
    for (i, check) in m.checks.iter().enumerate() {
        if check.expect != Expect::Unchanged {
            continue;
        }
        match query(c, who, scope, &check.sql).await? {
            Ok(rows) => out.push((i, rows)),
            Err(why) => {
                return Err(Blocked::Check {
                    version: m.version.to_string(),
                    outcome: Box::new(CheckOutcome {
                        name: check.name.clone(),
                        expect: check.expect.to_string(),
                        before: None,
                        after: "error".into(),
                        grade: Grade::Fail,
                        detail: format!("before the phase: {why}"),
                    }),
                });
            }
        }
    }
    Ok(out)
}

/// Runs every check of `m` and judges it.
pub async fn run(
    c: &Client,
    who: &ChecksAs,
    scope: Scope,
    m: &Migration,
    before: &[(usize, ResultSet)],
) -> Result<Vec<CheckOutcome>, tokio_postgres::Error> {
    let mut out = Vec::new();
    for (i, check) in m.checks.iter().enumerate() {
        let prior = before.iter().find(|(j, _)| *j == i).map(|(_, r)| r);
        let outcome = match query(c, who, scope, &check.sql).await? {
            Ok(after) => {
                let Verdict { passed, detail } = verdict::judge(&check.expect, prior, &after);
                (after.summary(), Grade::of(passed), detail)
            }
            Err(why) => ("error".to_string(), Grade::Fail, why),
        };
        let (after, grade, detail) = outcome;
        out.push(CheckOutcome {
            name: check.name.clone(),
            expect: check.expect.to_string(),
            before: prior.map(ResultSet::summary),
            after,
            grade,
            detail,
        });
    }
    Ok(out)
}

/// Runs the checks against the database as it is. A check that gives no result fails;
/// `unchanged` checks need a before and an after, so they are reported but not judged.
pub async fn verify_now(
    c: &Client,
    who: &ChecksAs,
    m: &Migration,
) -> Result<Vec<CheckOutcome>, tokio_postgres::Error> {
    let mut out = Vec::new();
    for check in &m.checks {
        let (after, grade, detail) = match query(c, who, Scope::Alone, &check.sql).await? {
            Ok(after) if check.expect == Expect::Unchanged => (
                after.summary(),
                Grade::NotJudged,
                "not judged: needs a before and an after".to_string(),
            ),
            Ok(after) => {
                let v = verdict::judge(&check.expect, None, &after);
                (after.summary(), Grade::of(v.passed), v.detail)
            }
            Err(why) => ("error".to_string(), Grade::Fail, why),
        };
        out.push(CheckOutcome {
            name: check.name.clone(),
            expect: check.expect.to_string(),
            before: None,
            after,
            grade,
            detail,
        });
    }
    Ok(out)
}

/// What the server says of the session user and the checks role.
struct Facts {
    user: String,
    /// `None`: the role does not exist; else whether the user may `SET ROLE` to it.
    member: Option<bool>,
    may_create_roles: bool,
    server_version: i32,
}

impl Engine {
    /// Whose privileges `m`'s checks run with. Found on first use, and the role created then
    /// when it must be, so call it outside any transaction. A phase without checks needs no
    /// role, and nothing is looked up for it.
    pub(super) async fn checks_as_for(&self, m: &Migration) -> Result<ChecksAs, EngineError> {
        if m.checks.is_empty() {
            return Ok(ChecksAs::Operator);
        }
        self.checks_as().await
    }

    /// Whose privileges checks run with: see [`Engine::checks_as_for`].
    pub(super) async fn checks_as(&self) -> Result<ChecksAs, EngineError> {
        let mut slot = self.checks_as.lock().await;
        if let Some(who) = &*slot {
            return Ok(who.clone());
        }
        let who = self.find_checks_role().await?;
        *slot = Some(who.clone());
        Ok(who)
    }

    /// What to tell the operator about how checks run, once: `Some` the first time after
    /// checks fell back to the operator's privileges.
    pub fn take_checks_notice(&self) -> Option<String> {
        self.checks_notice.lock().ok().and_then(|mut n| n.take())
    }

    async fn checks_facts(&self, role: &str) -> Result<Facts, tokio_postgres::Error> {
        let row = self
            .client
            .query_one(
                "SELECT session_user::text,
                        (SELECT pg_has_role(session_user, oid, 'MEMBER')
                         FROM pg_roles WHERE rolname = $1),
                        (SELECT rolsuper OR rolcreaterole FROM pg_roles
                         WHERE rolname = session_user),
                        current_setting('server_version_num')::int",
                &[&role],
            )
            .await?;
        Ok(Facts {
            user: row.get(0),
            member: row.get(1),
            may_create_roles: row.get::<_, Option<bool>>(2).unwrap_or(false),
            server_version: row.get(3),
        })
    }

    async fn find_checks_role(&self) -> Result<ChecksAs, EngineError> {
        if let Some(role) = &self.settings.checks_role {
            let facts = self.checks_facts(role).await?;
            return match facts.member {
                Some(true) => Ok(ChecksAs::Role(role.clone())),
                Some(false) => Err(EngineError::Refused(format!(
                    "checks_role `{role}` cannot be used: {user} may not SET ROLE to it; \
                     GRANT {role} TO {user}, or change the setting",
                    user = facts.user
                ))),
                None => Err(EngineError::Refused(format!(
                    "checks_role `{role}` does not exist: create it (NOLOGIN, granted \
                     pg_read_all_data and pg_read_all_stats) and grant it to {}, or change \
                     the setting",
                    facts.user
                ))),
            };
        }
        let facts = self.checks_facts(CHECKS_ROLE).await?;
        if facts.member == Some(true) {
            return Ok(ChecksAs::Role(CHECKS_ROLE.into()));
        }
        let why = if self.settings.read_only {
            format!(
                "this session is read-only, so pgstep does not create its role `{CHECKS_ROLE}` \
                 for checks"
            )
        } else if !facts.may_create_roles {
            format!("{} cannot create roles", facts.user)
        } else {
            match self.create_checks_role(&facts).await {
                Ok(created) => {
                    if created {
                        self.log_checks_role(&facts).await?;
                    }
                    return Ok(ChecksAs::Role(CHECKS_ROLE.into()));
                }
                Err(e) => match e.as_db_error() {
                    Some(db) => format!(
                        "pgstep could not set up its role `{CHECKS_ROLE}` for checks ([{}] {})",
                        db.code().code(),
                        db.message()
                    ),
                    None => return Err(e.into()),
                },
            }
        };
        let notice = format!(
            "{why} and no checks_role is configured: checks run with {}'s own privileges, \
             still one query in a read-only transaction that is rolled back. Set checks_role \
             in the profile to a role granted pg_read_all_data and pg_read_all_stats",
            facts.user
        );
        if let Ok(mut slot) = self.checks_notice.lock() {
            *slot = Some(notice);
        }
        Ok(ChecksAs::Operator)
    }

    /// Creates the checks role, or when it exists (another session may just have created
    /// it), grants it to the session user. True when this session created it.
    async fn create_checks_role(&self, facts: &Facts) -> Result<bool, tokio_postgres::Error> {
        let c = &self.client;
        let role = quote_ident(CHECKS_ROLE);
        let user = quote_ident(&facts.user);
        let mut created = false;
        if facts.member.is_none() {
            // pg_read_all_data is PostgreSQL 14's; before it, what reading everything takes
            // is granted per schema, for the tables there now.
            let reads = if facts.server_version >= 140_000 {
                format!("GRANT pg_read_all_data, pg_read_all_stats TO {role};")
            } else {
                format!(
                    "GRANT pg_read_all_stats TO {role};
                     DO $grant$ DECLARE s text; BEGIN
                       FOR s IN SELECT nspname FROM pg_namespace
                                WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'
                       LOOP
                         EXECUTE format('GRANT USAGE ON SCHEMA %I TO {role}', s);
                         EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO {role}', s);
                         EXECUTE format('GRANT SELECT ON ALL SEQUENCES IN SCHEMA %I TO {role}', s);
                       END LOOP; END $grant$;"
                )
            };
            let sql = format!(
                "BEGIN; CREATE ROLE {role} NOLOGIN; {reads} GRANT {role} TO {user}; COMMIT"
            );
            match c.batch_execute(&sql).await {
                Ok(()) => created = true,
                Err(e) if created_meanwhile(&e) => {
                    c.batch_execute("ROLLBACK").await?;
                    c.batch_execute(&format!("GRANT {role} TO {user}")).await?;
                }
                Err(e) => {
                    c.batch_execute("ROLLBACK").await.ok();
                    return Err(e);
                }
            }
        } else {
            c.batch_execute(&format!("GRANT {role} TO {user}")).await?;
        }
        Ok(created)
    }

    /// Logs the role's creation where there is a log to write to.
    async fn log_checks_role(&self, facts: &Facts) -> Result<(), EngineError> {
        if self.tables.presence(&self.client).await? != Presence::Ours {
            return Ok(());
        }
        let reads = if facts.server_version >= 140_000 {
            serde_json::json!(["pg_read_all_data", "pg_read_all_stats"])
        } else {
            serde_json::json!(["pg_read_all_stats", "SELECT on the tables of every schema"])
        };
        self.log(Event {
            kind: EventKind::ChecksRoleCreated,
            version: None,
            name: None,
            outcome: Outcome::Created,
            duration_ms: None,
            reason: None,
            details: serde_json::json!({
                "role": CHECKS_ROLE,
                "granted_to": facts.user,
                "reads": reads,
            }),
        })
        .await
    }
}

/// Whether creating the role failed because another session created it first.
fn created_meanwhile(e: &tokio_postgres::Error) -> bool {
    use tokio_postgres::error::SqlState;
    matches!(
        e.code(),
        Some(c) if *c == SqlState::DUPLICATE_OBJECT || *c == SqlState::UNIQUE_VIOLATION
    )
}
