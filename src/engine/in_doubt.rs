//! A statement that was sent when pgstep lost its session: it may have committed or not.
//! Where its effect can be seen in the catalog (an object made or dropped, a column, a
//! constraint, an enum value), the database decides; where running it again changes
//! nothing, it runs again; anything else waits for the operator.

use serde_json::json;
use tokio_postgres::GenericClient;

use super::history::{Event, EventKind, HistoryRow, Outcome, quote_ident};
use super::{Engine, EngineError, InDoubt};
use crate::lint::ops::{self, Action, Name, Op};
use crate::plan::Sql;
use crate::sql::{TokenKind, Walk, leading_words};

impl Engine {
    /// Settles the statement of `part` that `row` records as in flight, if any, and returns
    /// the index to go on from: after it when it took effect, at it when it did not. The
    /// database decides where it can tell, else the operator's `choice` (with a reason);
    /// without either, nothing runs and the statement is shown.
    pub(super) async fn settle(
        &self,
        row: &HistoryRow,
        part: Sql<'_>,
        rollback: bool,
        choice: Option<InDoubt>,
        reason: Option<&str>,
    ) -> Result<Option<usize>, EngineError> {
        let Some(number) = row.in_flight.filter(|n| *n >= 1) else {
            return Ok(None);
        };
        let index = number as usize - 1;
        let total = part.part.count();
        let (what, again) = if rollback {
            ("DOWN", "pgstep down --steps 1".to_string())
        } else {
            ("UP", format!("pgstep resume {}", row.version))
        };
        let Some(statement) = part.statements().nth(index) else {
            return Err(EngineError::Refused(format!(
                "the history says {what} statement {number} of phase {} was in flight, but it \
                 has {total} statement(s): restore the file it ran from, or mark the phase",
                row.version
            )));
        };
        let at = format!("{}:{}", part.part.file.display(), statement.line);
        if let Some(pid) = self.still_running(row, statement.sql).await? {
            return Err(EngineError::Refused(format!(
                "{what} statement {number} of phase {} ({at}) is still running on the server \
                 in process {pid}: wait for it to end, or cancel it with `pgstep activity \
                 --cancel {pid}`, then run `{again}` again",
                row.version
            )));
        }
        let (done, why, by) = match (decide(&self.client, statement.sql).await?, choice) {
            (Decision::Done(why), _) => (true, why, "database"),
            (Decision::NotDone(why), _) => (false, why, "database"),
            (Decision::Unknown, Some(choice)) => {
                let Some(reason) = reason.filter(|r| !r.trim().is_empty()) else {
                    return Err(EngineError::Input(
                        "--statement needs --reason: say why, for the event log".into(),
                    ));
                };
                (choice == InDoubt::Done, reason.to_string(), "operator")
            }
            (Decision::Unknown, None) => {
                return Err(EngineError::Refused(format!(
                    "{what} statement {number} of {total} of phase {} ({at}) had been sent when \
                     pgstep lost its session, and the database does not show whether it took \
                     effect:\n\n    {}\n\nLook at the database, then run `{again} --statement \
                     done --reason ...` if it took effect, or `{again} --statement rerun \
                     --reason ...` to run it again",
                    row.version,
                    statement.sql.trim().replace('\n', "\n    "),
                )));
            }
        };
        let go_on = if done { index + 1 } else { index };
        if rollback {
            self.tables
                .rollback_progress(&self.client, &row.version, go_on as i32)
                .await?;
        } else {
            self.tables
                .progress(&self.client, &row.version, go_on as i32)
                .await?;
        }
        self.log(Event {
            kind: EventKind::InDoubt,
            version: Some(&row.version),
            name: Some(&row.name),
            outcome: if done {
                Outcome::Done
            } else {
                Outcome::NotDone
            },
            duration_ms: None,
            reason,
            details: json!({
                "part": what,
                "statement_index": number,
                "line": statement.line,
                "decided_by": by,
                "why": why,
            }),
        })
        .await?;
        Ok(Some(go_on))
    }

    /// The server process still running `sql` for `row`'s in-flight statement, if any.
    async fn still_running(
        &self,
        row: &HistoryRow,
        sql: &str,
    ) -> Result<Option<i32>, tokio_postgres::Error> {
        let Some(pid) = row.in_flight_pid else {
            return Ok(None);
        };
        let found = self
            .client
            .query_opt(
                "SELECT state, query FROM pg_stat_activity WHERE pid = $1",
                &[&pid],
            )
            .await?;
        Ok(found
            .filter(|r| {
                let state: Option<String> = r.get(0);
                let query: Option<String> = r.get(1);
                // A process of that number running something else is another session.
                // The server keeps only the first track_activity_query_size bytes of it.
                let query = query.as_deref().map(str::trim).unwrap_or_default();
                state.as_deref() != Some("idle")
                    && !query.is_empty()
                    && sql.trim().starts_with(query)
            })
            .map(|_| pid))
    }
}

/// What the database says of a statement in doubt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// It took effect: go on after it. Says what shows it.
    Done(String),
    /// It did not (or running it again is harmless): run it. Says why.
    NotDone(String),
    /// Nothing shows whether it did: the operator decides.
    Unknown,
}

/// Statements whose second run leaves the database as the first left it.
const REPEATABLE: &[&[&str]] = &[
    &["VACUUM"],
    &["ANALYZE"],
    &["ANALYSE"],
    &["REINDEX"],
    &["REFRESH", "MATERIALIZED", "VIEW"],
    &["CREATE", "OR", "REPLACE"],
];

/// Reads from the database whether `sql` took effect.
pub async fn decide(c: &impl GenericClient, sql: &str) -> Result<Decision, tokio_postgres::Error> {
    let words = leading_words(sql, 3);
    if REPEATABLE.iter().any(|w| {
        words
            .iter()
            .map(String::as_str)
            .take(w.len())
            .eq(w.iter().copied())
    }) {
        return Ok(Decision::NotDone(
            "running it again leaves the database as one run does".into(),
        ));
    }
    if let Some((type_name, value)) = enum_value(sql) {
        let present: bool = c
            .query_one(
                "SELECT EXISTS (SELECT FROM pg_enum WHERE enumtypid = to_regtype($1) \
                 AND enumlabel = $2)",
                &[&type_name, &value],
            )
            .await?
            .get(0);
        return Ok(seen(
            present,
            &format!("enum value '{value}' of {type_name}"),
        ));
    }
    Ok(match ops::read(sql) {
        Op::CreateIndex {
            index: Some(index), ..
        } => match index_valid(c, &index).await? {
            Some(true) => Decision::Done(format!("index {} exists and is valid", index.display())),
            Some(false) => Decision::Unknown,
            None => Decision::NotDone(format!("index {} does not exist", index.display())),
        },
        Op::CreateTable { table, .. } => seen(
            relation(c, &table).await?,
            &format!("table {}", table.display()),
        ),
        Op::Create { kind, name } => match exists(c, kind, &name).await? {
            Some(present) => seen(present, &format!("{kind} {}", name.display())),
            None => Decision::Unknown,
        },
        Op::DropIndex { names, .. } | Op::DropTable(names) => gone(c, "relation", &names).await?,
        Op::Drop { kind, names } => gone(c, kind, &names).await?,
        Op::AlterTable { table, actions } => {
            let mut all = Vec::new();
            for a in &actions {
                all.push(action(c, &table, a).await?);
            }
            // ALTER TABLE is one transaction: all its actions took effect, or none.
            match (all.first(), all.iter().all(|d| d == &all[0])) {
                (Some(Some(true)), true) => {
                    Decision::Done(format!("the change to {} is there", table.display()))
                }
                (Some(Some(false)), true) => {
                    Decision::NotDone(format!("the change to {} is not there", table.display()))
                }
                _ => Decision::Unknown,
            }
        }
        _ => Decision::Unknown,
    })
}

fn seen(present: bool, what: &str) -> Decision {
    if present {
        Decision::Done(format!("{what} exists"))
    } else {
        Decision::NotDone(format!("{what} does not exist"))
    }
}

/// The name as SQL text that `to_regclass` and friends read back as the same object.
fn sql_name(n: &Name) -> String {
    match &n.schema {
        Some(s) => format!("{}.{}", quote_ident(s), quote_ident(&n.name)),
        None => quote_ident(&n.name),
    }
}

async fn relation(c: &impl GenericClient, n: &Name) -> Result<bool, tokio_postgres::Error> {
    let sql = "SELECT to_regclass($1) IS NOT NULL";
    Ok(c.query_one(sql, &[&sql_name(n)]).await?.get(0))
}

async fn index_valid(
    c: &impl GenericClient,
    n: &Name,
) -> Result<Option<bool>, tokio_postgres::Error> {
    let sql = "SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass($1)";
    Ok(c.query_opt(sql, &[&sql_name(n)]).await?.map(|r| r.get(0)))
}

/// Whether an object of `kind` named `n` exists; `None` for a kind looked up by more than a
/// name (functions by their arguments, triggers and policies by their table).
async fn exists(
    c: &impl GenericClient,
    kind: &str,
    n: &Name,
) -> Result<Option<bool>, tokio_postgres::Error> {
    let sql = match kind {
        "view" | "materialized view" | "sequence" | "relation" => {
            "SELECT to_regclass($1) IS NOT NULL"
        }
        "type" => "SELECT to_regtype($1) IS NOT NULL",
        "schema" => "SELECT to_regnamespace($1) IS NOT NULL",
        _ => return Ok(None),
    };
    Ok(Some(c.query_one(sql, &[&sql_name(n)]).await?.get(0)))
}

/// A DROP of `names`: done when none is left, not done when all are, unknown otherwise.
async fn gone(
    c: &impl GenericClient,
    kind: &str,
    names: &[Name],
) -> Result<Decision, tokio_postgres::Error> {
    let mut present = Vec::new();
    for n in names {
        match exists(c, kind, n).await? {
            Some(p) => present.push(p),
            None => return Ok(Decision::Unknown),
        }
    }
    let list = names
        .iter()
        .map(Name::display)
        .collect::<Vec<_>>()
        .join(", ");
    Ok(if present.is_empty() {
        Decision::Unknown
    } else if present.iter().all(|p| !p) {
        Decision::Done(format!("{list} no longer exist(s)"))
    } else if present.iter().all(|p| *p) {
        Decision::NotDone(format!("{list} still exist(s)"))
    } else {
        Decision::Unknown
    })
}

/// Whether one action of an ALTER TABLE shows in the catalog; `None` when it cannot be seen.
async fn action(
    c: &impl GenericClient,
    table: &Name,
    a: &Action,
) -> Result<Option<bool>, tokio_postgres::Error> {
    let t = sql_name(table);
    let column = "SELECT EXISTS (SELECT FROM pg_attribute WHERE attrelid = to_regclass($1) \
                  AND attname = $2 AND attnum > 0 AND NOT attisdropped)";
    let constraint = "SELECT EXISTS (SELECT FROM pg_constraint WHERE conrelid = to_regclass($1) \
                      AND conname = $2)";
    Ok(match a {
        Action::AddColumn { column: col, .. } => {
            Some(c.query_one(column, &[&t, col]).await?.get(0))
        }
        Action::DropColumn(col) => Some(!c.query_one(column, &[&t, col]).await?.get::<_, bool>(0)),
        Action::AddConstraint { name: Some(n), .. } => {
            Some(c.query_one(constraint, &[&t, n]).await?.get(0))
        }
        Action::DropConstraint(n) => {
            Some(!c.query_one(constraint, &[&t, n]).await?.get::<_, bool>(0))
        }
        Action::ValidateConstraint(n) => {
            let sql = "SELECT coalesce((SELECT convalidated FROM pg_constraint \
                       WHERE conrelid = to_regclass($1) AND conname = $2), false)";
            Some(c.query_one(sql, &[&t, n]).await?.get(0))
        }
        Action::SetNotNull(col) => {
            let sql = "SELECT coalesce((SELECT attnotnull FROM pg_attribute \
                       WHERE attrelid = to_regclass($1) AND attname = $2), false)";
            Some(c.query_one(sql, &[&t, col]).await?.get(0))
        }
        _ => None,
    })
}

/// `ALTER TYPE name ADD VALUE [IF NOT EXISTS] 'label' ...`: the type as SQL text and the label.
fn enum_value(sql: &str) -> Option<(String, String)> {
    let mut w = Walk::new(sql);
    if !(w.eat("ALTER") && w.eat("TYPE")) {
        return None;
    }
    let (schema, type_name) = w.qualified()?;
    let name = Name::new(schema, type_name);
    if !(w.eat("ADD") && w.eat("VALUE")) {
        return None;
    }
    w.eat_all(&["IF", "NOT", "EXISTS"]);
    let &(kind, text) = w.tokens().get(w.position())?;
    if kind != TokenKind::String || !text.starts_with('\'') || text.len() < 2 {
        return None;
    }
    let label = text[1..text.len() - 1].replace("''", "'");
    Some((sql_name(&name), label))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enum_values_are_read_with_their_type() {
        assert_eq!(
            enum_value("ALTER TYPE app.mood ADD VALUE IF NOT EXISTS 'it''s' AFTER 'ok'"),
            Some(("\"app\".\"mood\"".into(), "it's".into()))
        );
        assert_eq!(
            enum_value("alter type \"Mood\" add value 'x'"),
            Some(("\"Mood\"".into(), "x".into()))
        );
        assert_eq!(enum_value("ALTER TYPE mood RENAME VALUE 'a' TO 'b'"), None);
        assert_eq!(enum_value("ALTER TABLE t ADD COLUMN c int"), None);
    }
}
