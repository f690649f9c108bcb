//! The rules, applied to one phase's statements in order.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use super::Severity;
use super::facts::{Facts, Statement};
use super::objects::{self, Alive};
use super::ops::{Action, ConstraintKind, Name, Op};
use super::types::{self, Change, Columns, NotNull};
use crate::plan::{Layout, Read};

/// A finding before configuration and live facts.
#[derive(Debug, Clone)]
pub struct Raw {
    pub rule: &'static str,
    pub file: PathBuf,
    pub line: u32,
    pub message: String,
    pub hint: String,
    pub table: Option<String>,
    /// The index a DROP INDEX finding is about.
    pub index: Option<String>,
    /// For a type change: the column and its new type, to judge against the real type.
    pub retype: Option<(String, String)>,
    /// A severity of its own instead of the rule's default.
    pub severity: Option<Severity>,
}

/// Volatile functions whose default forces ADD COLUMN to rewrite the table.
const VOLATILE: &[&str] = &[
    "CLOCK_TIMESTAMP",
    "GEN_RANDOM_UUID",
    "RANDOM",
    "UUID_GENERATE_V1",
    "UUID_GENERATE_V4",
    "TIMEOFDAY",
    "NEXTVAL",
    "STATEMENT_TIMESTAMP",
    "TXID_CURRENT",
    "SETSEED",
];

/// What earlier phases of the plan left behind, for the phases after them.
#[derive(Debug, Default, Clone)]
pub struct Known {
    /// Column types declared so far.
    pub columns: Columns,
    /// Columns made NOT NULL so far.
    not_null: NotNull,
    /// Columns proven NOT NULL by a validated check: (table, column). A proof validated in
    /// one phase still lets a later phase's SET NOT NULL skip its scan.
    proven: HashSet<(String, String)>,
    /// NOT VALID checks waiting for VALIDATE: (table, constraint) -> column.
    pending: HashMap<(String, String), String>,
    /// Indexes created so far and their tables, so a DROP INDEX names its table offline.
    index_tables: HashMap<String, Name>,
    /// Objects created so far, so a phase re-creating one does not leave it behind.
    alive: Alive,
    /// The layout, when the plan has no DOWN at all: its tool never rolls back.
    pub downless: Option<Layout>,
    /// Whether the layout's missing DOWN was reported already.
    pub downless_noted: bool,
}

struct Phase {
    out: Vec<(Raw, bool)>,
    /// Tables and materialized views created earlier in this phase: name -> the schemas
    /// written with it. A map, as one phase may create thousands.
    created: HashMap<String, Vec<Option<String>>>,
    indexes: Vec<Name>,
    /// Indexes dropped earlier in this phase.
    dropped_indexes: Vec<Name>,
    /// Columns added earlier in this phase: (table, column). Dropping one loses no data that
    /// was there before the phase.
    added: HashSet<(String, String)>,
    /// The first destructive statement's line and its ignore comment.
    destructive: Option<(u32, Vec<String>)>,
    ignore: Vec<String>,
    line: u32,
    file: PathBuf,
    /// The phase's layout: hints name what works in it.
    layout: Layout,
}

impl Phase {
    fn add(&mut self, rule: &'static str, table: Option<&Name>, message: String, hint: &str) {
        let ignored = self.ignore.iter().any(|r| r == rule);
        self.out.push((
            Raw {
                rule,
                file: self.file.clone(),
                line: self.line,
                message,
                hint: hint.to_string(),
                table: table.map(Name::display),
                index: None,
                retype: None,
                severity: None,
            },
            ignored,
        ));
    }

    fn new_table(&self, t: &Name) -> bool {
        self.created.get(&t.name).is_some_and(|schemas| {
            schemas
                .iter()
                .any(|s| s.is_none() || t.schema.is_none() || *s == t.schema)
        })
    }

    fn loss(&mut self, rule: &'static str, table: &Name, what: String) {
        if self.destructive.is_none() {
            self.destructive = Some((self.line, self.ignore.clone()));
        }
        self.add(
            rule,
            Some(table),
            format!("{what}: the data is gone and no DOWN can bring it back"),
            "rename it aside and drop it in a later release, once nothing needs it",
        );
    }
}

/// Every raw finding of `m`, read as `facts`, with whether an ignore comment silences it.
pub fn check(m: &Read<'_>, facts: &Facts<'_>, known: &mut Known) -> Vec<(Raw, bool)> {
    let mut p = Phase {
        out: Vec::new(),
        created: HashMap::new(),
        indexes: Vec::new(),
        dropped_indexes: Vec::new(),
        added: HashSet::new(),
        destructive: None,
        ignore: Vec::new(),
        line: 1,
        file: m.up.file.clone(),
        layout: m.layout,
    };
    if m.meta.lock_timeout.is_some_and(|d| d.is_zero()) {
        p.add(
            "lock-timeout-off",
            None,
            "`Lock-Timeout: 0` lets a DDL wait forever behind a long transaction, and every query on the table queues behind it".into(),
            "keep a lock timeout (pgstep retries lost lock waits with backoff)",
        );
    }
    // Read before the UP's own columns are declared: which of its re-adds were there already.
    let readded = match facts.down {
        Some(_) => objects::readded_columns(&facts.up, &known.columns),
        None => Vec::new(),
    };
    for s in &facts.up {
        p.line = s.line;
        p.ignore.clone_from(&s.ignore);
        if s.autocommit_in_transaction {
            p.add(
                "concurrently-in-transaction",
                None,
                "this statement cannot run inside a transaction block: the phase will fail".into(),
                m.layout.outside_transaction(),
            );
        }
        statement(&mut p, &s.op, known);
    }
    if let (Some((line, ignore)), None) = (p.destructive.take(), &m.down) {
        p.line = line;
        p.ignore = ignore;
        match known.downless {
            None => p.add(
                "destructive-without-down",
                None,
                "this phase destroys data and has no DOWN: it cannot be rolled back".into(),
                "write a DOWN (restore from a kept copy), or keep the data until a later release",
            ),
            Some(layout) if !known.downless_noted => {
                known.downless_noted = true;
                no_down_layout(&mut p, layout);
            }
            Some(_) => {}
        }
    }
    if let Some(down) = &facts.down {
        leftovers(&mut p, &facts.up, down, &known.alive, &readded);
    }
    for s in &facts.up {
        known.alive.apply(&s.op);
    }
    p.out
}

/// One note for a plan whose layout has no DOWN anywhere, on its first phase that destroys
/// data: every such phase would otherwise be an error of the same cause.
fn no_down_layout(p: &mut Phase, layout: Layout) {
    let (files, hint) = match layout {
        Layout::Flyway => (
            "no U<version>__<name>.sql undo file",
            "Flyway Teams runs U<version>__<name>.sql undo files; pgstep runs them as the DOWN",
        ),
        Layout::UpDown => (
            "no <version>_<name>.down.sql file",
            "a <version>_<name>.down.sql beside each .up.sql is the DOWN (sqlx migrate add -r)",
        ),
        Layout::Diesel => ("no down.sql", "a down.sql beside each up.sql is the DOWN"),
        Layout::Dbmate => (
            "no `-- migrate:down` section",
            "a `-- migrate:down` section is the DOWN",
        ),
        Layout::Native => (
            "no `-- DOWN` part",
            "a `-- DOWN` part is the DOWN (for sqlx, <version>_<name>.down.sql beside a .up.sql file)",
        ),
    };
    p.add(
        "destructive-without-down",
        None,
        format!(
            "this {} plan has {files} at all: no phase can be rolled back, and this one is the first that destroys data",
            layout.name()
        ),
        hint,
    );
    if let Some((raw, _)) = p.out.last_mut() {
        raw.severity = Some(Severity::Info);
    }
}

fn statement(p: &mut Phase, op: &Op, known: &mut Known) {
    match op {
        Op::CreateTable { table, columns, .. } => {
            known.not_null.forget(table);
            p.created
                .entry(table.name.clone())
                .or_default()
                .push(table.schema.clone());
            for (c, ty) in columns {
                known.columns.set(table, c, ty);
            }
        }
        // A materialized view made in this phase is as new as a table: nothing reads it yet.
        Op::Create {
            kind: "materialized view",
            name,
        } => {
            p.created
                .entry(name.name.clone())
                .or_default()
                .push(name.schema.clone());
        }
        Op::CreateIndex {
            table,
            index,
            concurrently,
            if_not_exists,
        } => {
            // An earlier phase made it and this one has not dropped it: PostgreSQL skips it.
            let there = *if_not_exists
                && index.as_ref().is_some_and(|i| {
                    known.alive.has("index", i) && !p.dropped_indexes.iter().any(|d| d.same(i))
                });
            if let Some(i) = index {
                p.indexes.push(i.clone());
                known.index_tables.insert(i.name.clone(), table.clone());
            }
            if !concurrently && !there && !p.new_table(table) {
                p.add(
                    "create-index-blocking",
                    Some(table),
                    format!("CREATE INDEX takes a SHARE lock on {}: its writes wait until the whole index is built", table.display()),
                    &format!("CREATE INDEX CONCURRENTLY, outside a transaction: {}", p.layout.outside_transaction()),
                );
            }
        }
        Op::DropIndex {
            names,
            concurrently,
        } => {
            p.dropped_indexes.extend(names.iter().cloned());
            let old: Vec<&Name> = names
                .iter()
                .filter(|n| !concurrently && !p.indexes.iter().any(|i| i.same(n)))
                .collect();
            for n in old {
                let table = known.index_tables.get(&n.name).cloned();
                p.add(
                    "drop-index-blocking",
                    table.as_ref(),
                    format!("DROP INDEX {} takes an ACCESS EXCLUSIVE lock on its table: reads and writes wait", n.display()),
                    &format!("DROP INDEX CONCURRENTLY, outside a transaction: {}", p.layout.outside_transaction()),
                );
                if let Some((raw, _)) = p.out.last_mut() {
                    raw.index = Some(n.display());
                }
            }
        }
        Op::DropTable(names) => {
            names.iter().for_each(|n| known.not_null.forget(n));
            let old: Vec<&Name> = names.iter().filter(|n| !p.new_table(n)).collect();
            for n in old {
                p.loss("drop-table", n, format!("DROP TABLE {}", n.display()));
            }
        }
        Op::Truncate(names) => {
            let old: Vec<&Name> = names.iter().filter(|n| !p.new_table(n)).collect();
            for n in old {
                p.loss("truncate", n, format!("TRUNCATE {}", n.display()));
            }
        }
        Op::AlterTable { table, actions } => {
            for a in actions {
                alter(p, table, a, known);
            }
        }
        Op::VacuumFull(tables) => {
            if tables.is_empty() {
                rewrite(p, None);
            }
            let old: Vec<&Name> = tables.iter().filter(|t| !p.new_table(t)).collect();
            for t in old {
                rewrite(p, Some(t));
            }
        }
        Op::Cluster(table) if !table.as_ref().is_some_and(|t| p.new_table(t)) => {
            rewrite(p, table.as_ref());
        }
        Op::LockTimeoutOff => p.add(
            "lock-timeout-off",
            None,
            "turns lock_timeout off: a DDL may wait forever behind a long transaction while every query on the table queues behind it".into(),
            &format!(
                "keep pgstep's lock timeout (set a larger one with {} if needed)",
                p.layout.lock_timeout_setting()
            ),
        ),
        _ => {}
    }
}

/// A VACUUM FULL or CLUSTER finding, on one table or (without one) on every table it touches.
fn rewrite(p: &mut Phase, table: Option<&Name>) {
    let what = table.map_or("every table it touches".to_string(), |t| {
        format!("all of {}", t.display())
    });
    p.add(
        "table-rewrite",
        table,
        format!(
            "rewrites {what} under an ACCESS EXCLUSIVE lock: nothing reads or writes it meanwhile"
        ),
        "pg_repack, or plain VACUUM; schedule a rewrite for a maintenance window",
    );
}

fn alter(p: &mut Phase, table: &Name, a: &Action, known: &mut Known) {
    let new = p.new_table(table);
    let already = matches!(a, Action::SetNotNull(c) if known.not_null.has(table, c));
    known.not_null.after(table, a);
    let t = table.display();
    match a {
        Action::AddColumn {
            column,
            column_type,
            rest,
            ..
        } => {
            known.columns.set(table, column, column_type);
            p.added.insert((table.name.clone(), column.clone()));
            let serial = ["serial", "bigserial", "smallserial", "serial4", "serial8", "serial2"]
                .contains(&column_type.as_str());
            let identity = rest.windows(2).any(|w| w[0] == "AS" && w[1] == "IDENTITY");
            let stored = rest.iter().any(|w| w == "STORED");
            let default_at = rest.iter().position(|w| w == "DEFAULT");
            let volatile = default_at.is_some_and(|i| {
                rest[i + 1..]
                    .iter()
                    .any(|w| VOLATILE.contains(&w.as_str()))
            });
            if !new && (serial || identity || stored || volatile) {
                let why = if volatile {
                    "a volatile default"
                } else if stored {
                    "a stored generated value"
                } else {
                    "a sequence-filled value"
                };
                p.add(
                    "add-column-rewrite",
                    Some(table),
                    format!("ADD COLUMN {column} with {why} rewrites all of {t} under an ACCESS EXCLUSIVE lock"),
                    "add the column without it (or with a constant default), then backfill in batches",
                );
            }
        }
        Action::AlterType { column, new_type } => {
            let change = types::alter_type(known.columns.get(table, column), new_type);
            known.columns.set(table, column, new_type);
            if new {
                return;
            }
            let message = match change {
                Change::NoRewrite => return,
                Change::Rewrite => format!("ALTER COLUMN {column} TYPE {new_type} rewrites all of {t} under an ACCESS EXCLUSIVE lock"),
                Change::Unknown => format!("ALTER COLUMN {column} TYPE {new_type} rewrites all of {t} under an ACCESS EXCLUSIVE lock unless it only widens a varchar or numeric (the current type is not in the plan; lint with a connection to know)"),
            };
            p.add(
                "alter-column-type-rewrite",
                Some(table),
                message,
                "add a new column, backfill it in batches, switch the code, drop the old one",
            );
            if let Some((raw, _)) = p.out.last_mut() {
                raw.retype = Some((column.clone(), new_type.clone()));
            }
        }
        Action::SetNotNull(column) => {
            let key = (table.name.clone(), column.clone());
            if !new && !already && !known.proven.contains(&key) {
                p.add(
                    "set-not-null-scan",
                    Some(table),
                    format!("SET NOT NULL on {column} scans all of {t} under an ACCESS EXCLUSIVE lock"),
                    "ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID; VALIDATE CONSTRAINT c; then SET NOT NULL skips the scan",
                );
            }
        }
        Action::AddConstraint {
            name,
            kind,
            not_valid,
            using_index,
        } => {
            if let ConstraintKind::Check(Some(col)) = kind {
                let key = (table.name.clone(), col.clone());
                match (not_valid, name) {
                    (false, _) => {
                        known.proven.insert(key);
                    }
                    (true, Some(n)) => {
                        known.pending.insert((table.name.clone(), n.clone()), col.clone());
                    }
                    (true, None) => {}
                }
            }
            if new {
                return;
            }
            match kind {
                ConstraintKind::ForeignKey | ConstraintKind::Check(_) if !not_valid => {
                    let what = if *kind == ConstraintKind::ForeignKey {
                        "FOREIGN KEY checks every row of {t} holding a SHARE ROW EXCLUSIVE lock on it and on the referenced table"
                    } else {
                        "CHECK scans every row of {t} under an ACCESS EXCLUSIVE lock"
                    };
                    p.add(
                        "constraint-not-valid",
                        Some(table),
                        format!("ADD CONSTRAINT ... {}", what.replace("{t}", &t)),
                        "ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT as its own step (it takes a weaker lock)",
                    );
                }
                ConstraintKind::Unique | ConstraintKind::PrimaryKey if !using_index => p.add(
                    "unique-without-index",
                    Some(table),
                    format!("ADD UNIQUE/PRIMARY KEY builds its index on {t} under an ACCESS EXCLUSIVE lock"),
                    "CREATE UNIQUE INDEX CONCURRENTLY first, then ADD CONSTRAINT ... USING INDEX",
                ),
                _ => {}
            }
        }
        Action::ValidateConstraint(n) => {
            if let Some(col) = known.pending.remove(&(table.name.clone(), n.clone())) {
                known.proven.insert((table.name.clone(), col));
            }
        }
        Action::DropColumn(c) if !new && !p.added.contains(&(table.name.clone(), c.clone())) => {
            p.loss("drop-column", table, format!("DROP COLUMN {t}.{c}"));
        }
        Action::RenameTable(_) | Action::RenameColumn(..) if !new => p.add(
            "rename",
            Some(table),
            format!("renaming on {t} breaks every running query and deployed code that uses the old name"),
            "add the new name alongside (a view or a synced column), switch the code, drop the old name later",
        ),
        Action::SetLogged if !new => p.add(
            "table-rewrite",
            Some(table),
            format!("SET LOGGED/UNLOGGED rewrites all of {t} under an ACCESS EXCLUSIVE lock"),
            "schedule it for a maintenance window",
        ),
        _ => {}
    }
}

/// What UP creates that DOWN leaves behind.
fn leftovers(
    p: &mut Phase,
    up: &[Statement<'_>],
    down: &[Statement<'_>],
    alive: &Alive,
    readded: &[(Name, String)],
) {
    for (stmt, what) in objects::leftovers(up, down, alive, readded) {
        p.line = up[stmt].line;
        p.ignore.clone_from(&up[stmt].ignore);
        p.add(
            "down-leaves-object",
            None,
            format!(
                "the DOWN leaves {what}, which this UP creates: after a rollback it is still there"
            ),
            "drop it in the DOWN (IF EXISTS keeps the DOWN re-runnable)",
        );
    }
}
