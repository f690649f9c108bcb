//! What exists after each statement, as PostgreSQL sees it: the objects a phase's UP creates,
//! and which of them its DOWN removes, directly or with what owns them (a table takes its
//! columns, indexes and owned sequences; a materialized view its indexes), through `CASCADE`
//! or with its schema. An object that existed before the phase (created by an earlier phase,
//! dropped by this UP before it creates it, or re-created by the DOWN) is never a leftover.

use std::collections::{BTreeMap, HashMap};

use super::facts::Statement;
use super::ops::{self, Action, Name, Op};
use super::types::Columns;

/// Objects the plan's earlier phases created and did not drop: by name, each with its kind,
/// the schema it was written with and, for a function, its argument types. Drops through
/// owners or `CASCADE` are not followed here: an object wrongly kept only spares a later
/// phase a finding, never adds one. A B-tree, not a hash table: with tens of thousands of
/// names a hash table's resize holds its old and new tables at once (4.8 MB at the
/// console's peak with 10,000 phases), a B-tree grows a node at a time.
#[derive(Debug, Default, Clone)]
pub struct Alive(BTreeMap<String, Vec<(&'static str, Name)>>);

impl Alive {
    pub(super) fn has(&self, kind: &'static str, n: &Name) -> bool {
        self.0
            .get(n.name.as_str())
            .is_some_and(|all| all.iter().any(|(k, m)| *k == kind && m.same(n)))
    }

    fn add(&mut self, kind: &'static str, n: &Name) {
        let all = self.0.entry(n.name.clone()).or_default();
        if !all.iter().any(|(k, m)| *k == kind && m == n) {
            // Nearly every name holds one object: room for exactly that, not the four a
            // first push makes room for (7 of 10 MB with 10,000 phases).
            all.reserve_exact(1);
            all.push((kind, n.clone()));
        }
    }

    fn remove(&mut self, kind: &'static str, n: &Name) {
        if let Some(all) = self.0.get_mut(n.name.as_str()) {
            all.retain(|(k, m)| !(*k == kind && m.same(n)));
            if all.is_empty() {
                self.0.remove(n.name.as_str());
            }
        }
    }

    /// The objects of `kind` that `n` may name.
    fn named<'a>(&'a self, kind: &'static str, n: &'a Name) -> impl Iterator<Item = &'a Name> {
        self.0
            .get(n.name.as_str())
            .into_iter()
            .flatten()
            .filter(move |(k, m)| *k == kind && m.same(n))
            .map(|(_, m)| m)
    }

    fn rename(&mut self, kind: &'static str, n: &Name, to: &str) {
        if self.has(kind, n) {
            self.remove(kind, n);
            self.add(kind, &renamed(n, to));
        }
    }

    /// Takes in one statement of an UP, run.
    pub fn apply(&mut self, op: &Op) {
        match op {
            Op::CreateTable { table, .. } => self.add("table", table),
            Op::CreateIndex { index: Some(i), .. } => self.add("index", i),
            Op::Create { kind, name } => self.add(kind, name),
            Op::DropTable(names) => names.iter().for_each(|n| self.remove("table", n)),
            Op::DropIndex { names, .. } => names.iter().for_each(|n| self.remove("index", n)),
            Op::Drop { kind, names } => names.iter().for_each(|n| self.remove(kind, n)),
            Op::AlterTable { table, actions } => {
                for a in actions {
                    if let Action::RenameTable(to) = a {
                        self.rename("table", table, to);
                    }
                }
            }
            Op::AlterObject {
                kind,
                name,
                rename_to: Some(to),
                ..
            } => self.rename(kind, name, to),
            _ => {}
        }
    }
}

/// The columns `up` adds with `IF NOT EXISTS` that earlier phases declared (`columns`, as
/// it stands before `up` runs): PostgreSQL leaves them as they are, so the UP makes nothing
/// there and its DOWN has nothing to remove (a repair migration re-adding what an earlier
/// phase may have missed).
pub fn readded_columns(up: &[Statement<'_>], columns: &Columns) -> Vec<(Name, String)> {
    let mut out = Vec::new();
    for s in up {
        if let Op::AlterTable { table, actions } = &s.op {
            for a in actions {
                if let Action::AddColumn {
                    column,
                    if_not_exists: true,
                    ..
                } = a
                    && columns.get(table, column).is_some()
                {
                    out.push((table.clone(), column.clone()));
                }
            }
        }
    }
    out
}

/// A column as a name of its own, to remember that it existed.
fn column_key(table: &Name, column: &str) -> Name {
    renamed(table, &format!("{}.{column}", table.name))
}

fn renamed(n: &Name, to: &str) -> Name {
    Name {
        name: to.to_string(),
        ..n.clone()
    }
}

/// An object the UP creates.
struct Made {
    kind: &'static str,
    /// For a column, its table.
    name: Name,
    column: Option<String>,
    /// The table or materialized view whose drop takes it along.
    owner: Option<Name>,
    /// The UP statement that creates it.
    stmt: usize,
}

impl Made {
    fn is(&self, kind: &str, n: &Name) -> bool {
        self.kind == kind && self.column.is_none() && self.name.same(n)
    }

    fn what(&self) -> String {
        match &self.column {
            Some(c) => format!("column {}.{c}", self.name.display()),
            None => format!("{} {}", self.kind, self.name.display()),
        }
    }
}

/// The kinds of object a `CASCADE` drop of `kind` takes along when they mention its name.
fn dependents(kind: &str) -> &'static [&'static str] {
    match kind {
        "type" | "domain" => &[
            "view",
            "materialized view",
            "column",
            "function",
            "procedure",
        ],
        "function" | "procedure" => &["view", "materialized view", "index"],
        _ => &["view", "materialized view"],
    }
}

/// The objects of one phase, as its statements run.
struct Phase<'s, 'a> {
    up: &'s [Statement<'a>],
    made: Vec<Made>,
    /// Objects dropped before this phase created them: they existed before it.
    existed: Alive,
    /// The UP statements' names, read when a `CASCADE` needs them.
    mentions: HashMap<usize, Vec<String>>,
}

impl Phase<'_, '_> {
    fn mentions(&mut self, stmt: usize) -> &[String] {
        let sql = self.up[stmt].sql;
        self.mentions
            .entry(stmt)
            .or_insert_with(|| ops::mentions(sql))
    }

    fn create(&mut self, kind: &'static str, name: &Name, owner: Option<Name>, stmt: usize) {
        self.made.push(Made {
            kind,
            name: name.clone(),
            column: None,
            owner,
            stmt,
        });
    }

    /// Removes `kind name` and what goes with it; `cascade` also takes what depends on it.
    fn drop(&mut self, kind: &'static str, name: &Name, cascade: bool) {
        if !self.made.iter().any(|m| m.is(kind, name)) {
            self.existed.add(kind, name);
        }
        let mut gone = vec![(kind, name.clone())];
        while let Some((kind, name)) = gone.pop() {
            let owns = matches!(kind, "table" | "materialized view");
            let whole_schema = kind == "schema";
            let mut i = 0;
            while i < self.made.len() {
                let m = &self.made[i];
                let hit = m.is(kind, &name)
                    || (owns && m.owner.as_ref().is_some_and(|o| o.same(&name)))
                    || (owns && m.kind == "column" && m.name.same(&name))
                    || (whole_schema && m.name.schema.as_deref() == Some(name.name.as_str()));
                let depends = !hit && cascade && dependents(kind).contains(&m.kind) && {
                    let stmt = m.stmt;
                    self.mentions(stmt).contains(&name.name)
                };
                if hit || depends {
                    let m = self.made.remove(i);
                    // A column's dependents are views, which name its table too.
                    if depends && m.column.is_none() {
                        gone.push((m.kind, m.name));
                    }
                } else {
                    i += 1;
                }
            }
        }
    }

    /// A dropped column takes the indexes on it along; with `CASCADE`, the views using it.
    fn drop_column_dependents(&mut self, table: &Name, column: &str, cascade: bool) {
        let mut i = 0;
        while i < self.made.len() {
            let m = &self.made[i];
            let index = m.kind == "index" && m.owner.as_ref().is_some_and(|o| o.same(table));
            let view = cascade && matches!(m.kind, "view" | "materialized view");
            let stmt = m.stmt;
            if (index || view) && self.mentions(stmt).iter().any(|w| w == column) {
                let m = self.made.remove(i);
                if view {
                    self.drop(m.kind, &m.name, true);
                }
            } else {
                i += 1;
            }
        }
    }

    fn rename_table(&mut self, table: &Name, to: &str) {
        for m in &mut self.made {
            if (m.kind == "table" || m.kind == "column") && m.name.same(table) {
                m.name = renamed(&m.name, to);
            }
            if m.owner.as_ref().is_some_and(|o| o.same(table)) {
                m.owner = Some(renamed(table, to));
            }
        }
    }

    /// `DROP FUNCTION f` without argument types drops the only `f`: named with the argument
    /// types of the one this phase or an earlier one made, where there is exactly one.
    fn only(&self, kind: &'static str, n: &Name, known: &Alive) -> Name {
        if n.args.is_some() || !matches!(kind, "function" | "procedure") {
            return n.clone();
        }
        let found: Vec<&Name> = self
            .made
            .iter()
            .filter(|m| m.is(kind, n))
            .map(|m| &m.name)
            .chain(known.named(kind, n))
            .filter(|m| m.args.is_some())
            .collect();
        match found.first() {
            Some(one) if found.iter().all(|m| m == one) => (*one).clone(),
            _ => n.clone(),
        }
    }

    /// Runs one statement; `stmt` is its UP index, `None` in the DOWN.
    fn run(&mut self, s: &Statement<'_>, stmt: Option<usize>, known: &Alive) {
        let (op, sql, cascade) = (&s.op, s.sql, s.cascade);
        let create = |p: &mut Self, kind: &'static str, name: &Name, owner: Option<Name>| {
            if temporary(name) {
                return;
            }
            match stmt {
                // The DOWN re-creates it: after a rollback it is meant to be there.
                None => p.made.retain(|m| !m.is(kind, name)),
                Some(i) => {
                    let before = known.has(kind, name) || p.existed.has(kind, name);
                    if !before && !p.made.iter().any(|m| m.is(kind, name)) {
                        p.create(kind, name, owner, i);
                    }
                }
            }
        };
        match op {
            // A temporary table is gone when the phase's session ends.
            Op::CreateTable {
                temporary: true, ..
            } => {}
            Op::CreateTable { table, .. } => create(self, "table", table, None),
            Op::CreateIndex {
                table,
                index: Some(i),
                ..
            } => create(self, "index", i, Some(table.clone())),
            Op::Create { kind, name } => {
                let owner = (*kind == "sequence").then(|| ops::owned_by(sql)).flatten();
                create(self, kind, name, owner);
            }
            Op::DropTable(names) => {
                names.iter().for_each(|n| self.drop("table", n, cascade));
            }
            Op::DropIndex { names, .. } => {
                names.iter().for_each(|n| self.drop("index", n, cascade));
            }
            Op::Drop { kind, names } => {
                for n in names {
                    let n = self.only(kind, n, known);
                    self.drop(kind, &n, cascade);
                }
            }
            Op::AlterTable { table, actions } => {
                for a in actions {
                    match a {
                        Action::AddColumn { column, .. } => match stmt {
                            None => self.made.retain(|m| {
                                !(m.column.as_deref() == Some(column) && m.name.same(table))
                            }),
                            Some(i)
                                if !self.made.iter().any(|m| m.is("table", table))
                                    && !self.existed.has("column", &column_key(table, column)) =>
                            {
                                self.made.push(Made {
                                    kind: "column",
                                    name: table.clone(),
                                    column: Some(column.clone()),
                                    owner: None,
                                    stmt: i,
                                })
                            }
                            Some(_) => {}
                        },
                        Action::DropColumn(column) => {
                            let before = self.made.len();
                            self.made.retain(|m| {
                                !(m.column.as_deref() == Some(column) && m.name.same(table))
                            });
                            if self.made.len() == before {
                                self.existed.add("column", &column_key(table, column));
                            }
                            self.drop_column_dependents(table, column, cascade);
                        }
                        Action::RenameTable(to) => self.rename_table(table, to),
                        Action::RenameColumn(from, to) => {
                            for m in &mut self.made {
                                if m.column.as_deref() == Some(from) && m.name.same(table) {
                                    m.column = Some(to.clone());
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            Op::AlterObject {
                kind,
                name,
                rename_to,
                owned_by,
            } => {
                for m in &mut self.made {
                    if m.is(kind, name) {
                        if let Some(to) = rename_to {
                            m.name = renamed(&m.name, to);
                        }
                        if owned_by.is_some() {
                            m.owner = owned_by.clone();
                        }
                    }
                }
                if let (Some(to), "materialized view") = (rename_to, *kind) {
                    self.rename_table(name, to);
                }
            }
            _ => {}
        }
    }
}

/// An object made in `pg_temp`, the session's own schema: gone when the phase's session ends.
fn temporary(name: &Name) -> bool {
    name.schema
        .as_deref()
        .is_some_and(|s| s.starts_with("pg_temp"))
}

/// The objects `up` creates that are still there after `down` ran: (UP statement, what).
/// Triggers and policies are left out: they go with their table, which is what a DOWN drops.
/// `readded` are columns the UP adds with `IF NOT EXISTS` that existed before it.
pub fn leftovers(
    up: &[Statement<'_>],
    down: &[Statement<'_>],
    known: &Alive,
    readded: &[(Name, String)],
) -> Vec<(usize, String)> {
    let mut p = Phase {
        up,
        made: Vec::new(),
        existed: Alive::default(),
        mentions: HashMap::new(),
    };
    for (table, column) in readded {
        p.existed.add("column", &column_key(table, column));
    }
    for (i, s) in up.iter().enumerate() {
        p.run(s, Some(i), known);
    }
    for s in down {
        p.run(s, None, known);
    }
    // A made object renamed to the name of one that existed before (the DOWN renaming a new
    // table back to the old one's name) is that old object again.
    p.made
        .iter()
        .filter(|m| m.kind != "trigger" && m.kind != "policy")
        .filter(|m| {
            m.column.is_some() || !(known.has(m.kind, &m.name) || p.existed.has(m.kind, &m.name))
        })
        .map(|m| (m.stmt, m.what()))
        .collect()
}
