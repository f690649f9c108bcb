//! Putting a kept copy back: a dropped table rebuilt with its rows, a dropped column added
//! again with its values matched to rows by the table's key, a truncated table's rows
//! inserted again. Refused, with the reason, when the schema has moved on.

use tokio_postgres::GenericClient;

use super::catalog::{Kept, copy_table};
use super::definition::{Column, Definition, constraints_and_indexes, names, sequences_sql};
use super::refusal::{Refusal, RestoreError};
use super::{Kind, list_one};
use crate::sql::quote_ident;

/// One copy put back, and what could not be put back with it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Restored {
    pub kept: Kept,
    /// Foreign keys of other tables that pointed at it whose table is gone.
    pub not_restored: Vec<String>,
}

/// What is restored, read under the row lock, or why not.
struct Item {
    kept: Kept,
    schema: String,
    table: String,
    column: Option<String>,
    def: Definition,
}

impl Item {
    fn qualified(&self) -> String {
        format!("{}.{}", quote_ident(&self.schema), quote_ident(&self.table))
    }

    fn copy(&self) -> String {
        copy_table(self.kept.id)
    }

    fn refuse(&self, refusal: Refusal) -> RestoreError {
        RestoreError::Refused {
            id: self.kept.id,
            refusal,
        }
    }
}

/// Restores the copies `ids` inside the transaction the caller opened; each restored copy
/// leaves the catalog. A table comes back before what needs it: the tables its foreign keys
/// point at, and the table a kept column or kept rows belong to; otherwise newest first, the
/// reverse of the order things were removed in. The caller commits, or rolls back on an
/// error.
pub async fn restore(c: &impl GenericClient, ids: &[i64]) -> Result<Vec<Restored>, RestoreError> {
    let mut ids = ids.to_vec();
    ids.sort_unstable_by(|a, b| b.cmp(a));
    ids.dedup();
    let mut pending = Vec::new();
    for id in ids {
        pending.push(read(c, id).await?);
    }
    let mut out = Vec::new();
    while !pending.is_empty() {
        // A cycle of foreign keys has no first: newest first then, and the refusal says why.
        let next = (0..pending.len())
            .find(|&i| !pending.iter().any(|other| pending[i].needs(other)))
            .unwrap_or(0);
        let item = pending.remove(next);
        let id = item.kept.id;
        let db = |err| RestoreError::Db { id, err };
        c.query(
            "SELECT set_config('search_path', search_path, true) FROM pgstep_trash.kept \
             WHERE id = $1",
            &[&id],
        )
        .await
        .map_err(db)?;
        let not_restored = match item.kept.kind {
            Kind::Table => table(c, &item).await?,
            Kind::Column => column(c, &item).await?,
            Kind::Rows => rows(c, &item).await?,
        };
        c.batch_execute(&format!(
            "DELETE FROM pgstep_trash.kept WHERE id = {id}; DROP TABLE IF EXISTS {}",
            item.copy()
        ))
        .await
        .map_err(db)?;
        out.push(Restored {
            kept: item.kept,
            not_restored,
        });
    }
    Ok(out)
}

/// `schema.table` without quotes, as a `regclass` text names it (unqualified when its schema
/// is on the search path).
fn unquoted(name: &str) -> Vec<String> {
    name.split('.')
        .map(|p| p.trim_matches('"').replace("\"\"", "\""))
        .collect()
}

impl Item {
    /// Whether `other`, a table kept too, must come back first: this one's foreign keys (or
    /// its table's, for a column or rows) point at it, or this is a column or rows of it.
    fn needs(&self, other: &Item) -> bool {
        if other.kept.kind != Kind::Table || other.kept.id == self.kept.id {
            return false;
        }
        let same = |s: &str, t: &str| other.schema == s && other.table == t;
        if self.kept.kind != Kind::Table && same(&self.schema, &self.table) {
            return true;
        }
        self.def
            .constraints
            .iter()
            .filter_map(|k| k.references.as_deref())
            .any(|r| match unquoted(r).as_slice() {
                [s, t] => same(s, t),
                [t] => other.table == *t,
                _ => false,
            })
    }
}

async fn read(c: &impl GenericClient, id: i64) -> Result<Item, RestoreError> {
    let db = |err| RestoreError::Db { id, err };
    let Some(kept) = list_one(c, id).await.map_err(db)? else {
        return Err(RestoreError::Refused {
            id,
            refusal: Refusal::NotKept(id),
        });
    };
    let row = c
        .query_one(
            "SELECT schema_name, table_name, column_name, definition::text \
             FROM pgstep_trash.kept WHERE id = $1 FOR UPDATE",
            &[&id],
        )
        .await
        .map_err(db)?;
    let text: String = row.get(3);
    let def = serde_json::from_str(&text).map_err(|e| RestoreError::Definition {
        id,
        detail: e.to_string(),
    })?;
    Ok(Item {
        kept,
        schema: row.get(0),
        table: row.get(1),
        column: row.get(2),
        def,
    })
}

async fn exists(c: &impl GenericClient, name: &str) -> Result<bool, tokio_postgres::Error> {
    Ok(c.query_one("SELECT to_regclass($1) IS NOT NULL", &[&name])
        .await?
        .get(0))
}

async fn run(c: &impl GenericClient, item: &Item, sql: &str) -> Result<(), RestoreError> {
    c.batch_execute(sql).await.map_err(|err| RestoreError::Db {
        id: item.kept.id,
        err,
    })
}

async fn table(c: &impl GenericClient, item: &Item) -> Result<Vec<String>, RestoreError> {
    let db = |err| RestoreError::Db {
        id: item.kept.id,
        err,
    };
    let name = item.qualified();
    if exists(c, &name).await.map_err(db)? {
        return Err(item.refuse(Refusal::NameTaken {
            object: item.kept.object.clone(),
            copy: item.copy(),
        }));
    }
    for k in &item.def.constraints {
        if let Some(r) = &k.references
            && *r != name
            && !exists(c, r).await.map_err(db)?
        {
            return Err(item.refuse(Refusal::ReferenceMissing {
                constraint: k.name.clone(),
                references: r.clone(),
            }));
        }
    }
    for s in item.def.sequences.iter().filter(|s| !s.identity) {
        if exists(c, &s.name).await.map_err(db)? {
            return Err(item.refuse(Refusal::NameTaken {
                object: format!("sequence {}", s.name),
                copy: item.copy(),
            }));
        }
    }
    let mut sql = format!(
        "CREATE SCHEMA IF NOT EXISTS {};\n",
        quote_ident(&item.schema)
    );
    for s in item.def.sequences.iter().filter(|s| !s.identity) {
        sql.push_str(&format!("CREATE SEQUENCE {} {};\n", s.name, s.options()));
    }
    // The copy has the table's columns, in order, with their types: when none was kept as
    // text or is generated, the copy itself becomes the table, and only its indexes are
    // built, instead of writing every row again. Its name must be free in the schema while
    // it moves there.
    let as_is = item
        .def
        .columns
        .iter()
        .all(|col| !col.as_text && col.generated.is_none());
    let moved = format!(
        "{}.{}",
        quote_ident(&item.schema),
        quote_ident(&format!("kept_{}", item.kept.id))
    );
    if as_is && !exists(c, &moved).await.map_err(db)? {
        sql.push_str(&format!(
            "ALTER TABLE {} SET SCHEMA {};
ALTER TABLE {moved} RENAME TO {};
",
            item.copy(),
            quote_ident(&item.schema),
            quote_ident(&item.table)
        ));
        let mut changes = Vec::new();
        for col in &item.def.columns {
            let ident = quote_ident(&col.name);
            if let Some(d) = &col.default {
                changes.push(format!("ALTER COLUMN {ident} SET DEFAULT {d}"));
            }
            if col.not_null {
                changes.push(format!("ALTER COLUMN {ident} SET NOT NULL"));
            }
            if let Some(id) = col.identity_clause(&item.def.sequences) {
                changes.push(format!("ALTER COLUMN {ident} ADD {id}"));
            }
        }
        if !changes.is_empty() {
            sql.push_str(&format!("ALTER TABLE {name} {};\n", changes.join(", ")));
        }
    } else {
        let columns: Vec<String> = item
            .def
            .columns
            .iter()
            .map(|col| {
                let mut s = col.clause();
                if col.not_null {
                    s.push_str(" NOT NULL");
                }
                if let Some(id) = col.identity_clause(&item.def.sequences) {
                    s.push(' ');
                    s.push_str(&id);
                }
                s
            })
            .collect();
        sql.push_str(&format!("CREATE TABLE {name} ({});\n", columns.join(", ")));
        sql.push_str(&insert_kept_rows(&name, item));
    }
    sql.push_str(&sequences_sql(&name, &item.def.sequences, true));
    sql.push_str(&constraints_and_indexes(&name, &item.def));
    run(c, item, &sql).await?;
    incoming(c, item).await
}

async fn column(c: &impl GenericClient, item: &Item) -> Result<Vec<String>, RestoreError> {
    let db = |err| RestoreError::Db {
        id: item.kept.id,
        err,
    };
    let name = item.qualified();
    let (Some(colname), Some(col)) = (&item.column, item.def.columns.first()) else {
        return Err(RestoreError::Definition {
            id: item.kept.id,
            detail: "a kept column without its definition".to_string(),
        });
    };
    if !exists(c, &name).await.map_err(db)? {
        return Err(item.refuse(Refusal::TableGone {
            table: format!("{}.{}", item.schema, item.table),
            copy: item.copy(),
        }));
    }
    let row = c
        .query_one(
            "SELECT EXISTS (SELECT FROM pg_attribute WHERE attrelid = $1::text::regclass \
                            AND attname = $2 AND attnum > 0 AND NOT attisdropped), \
                    coalesce((SELECT array_agg(a.attname::text ORDER BY k.ord) FROM pg_index i \
                              CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY k(attnum, ord) \
                              JOIN pg_attribute a ON a.attrelid = i.indrelid \
                                                 AND a.attnum = k.attnum \
                              WHERE i.indrelid = $1::text::regclass AND i.indisprimary), \
                             '{}')",
            &[&name, colname],
        )
        .await
        .map_err(db)?;
    if row.get::<_, bool>(0) {
        return Err(item.refuse(Refusal::ColumnExists {
            object: item.kept.object.clone(),
            copy: item.copy(),
        }));
    }
    let key = &item.def.key;
    if key.is_empty() {
        return Err(item.refuse(Refusal::NoKey {
            object: item.kept.object.clone(),
            copy: item.copy(),
        }));
    }
    let now: Vec<String> = row.get(1);
    if now != *key {
        return Err(item.refuse(Refusal::KeyChanged {
            object: item.kept.object.clone(),
            kept: key.join(", "),
            now: now.join(", "),
            copy: item.copy(),
        }));
    }
    for s in item.def.sequences.iter().filter(|s| !s.identity) {
        if exists(c, &s.name).await.map_err(db)? {
            return Err(item.refuse(Refusal::NameTaken {
                object: format!("sequence {}", s.name),
                copy: item.copy(),
            }));
        }
    }
    let ident = quote_ident(colname);
    let mut sql = String::new();
    for s in item.def.sequences.iter().filter(|s| !s.identity) {
        sql.push_str(&format!("CREATE SEQUENCE {} {};\n", s.name, s.options()));
    }
    sql.push_str(&format!(
        "ALTER TABLE {name} ADD COLUMN {};\n",
        col.clause()
    ));
    if col.generated.is_none() {
        // The key's own columns in the copy are compared as the table's types.
        let matches: Vec<String> = key
            .iter()
            .map(|k| {
                let q = quote_ident(k);
                format!("t.{q} = k.{q}")
            })
            .collect();
        sql.push_str(&format!(
            "UPDATE {name} t SET {ident} = {} FROM {} k WHERE {};\n",
            col.read_back("k"),
            item.copy(),
            matches.join(" AND ")
        ));
    }
    if col.not_null {
        sql.push_str(&format!(
            "ALTER TABLE {name} ALTER COLUMN {ident} SET NOT NULL;\n"
        ));
    }
    if let Some(id) = col.identity_clause(&item.def.sequences) {
        sql.push_str(&format!(
            "ALTER TABLE {name} ALTER COLUMN {ident} ADD {id};\n"
        ));
    }
    sql.push_str(&sequences_sql(&name, &item.def.sequences, true));
    sql.push_str(&constraints_and_indexes(&name, &item.def));
    run(c, item, &sql).await?;
    incoming(c, item).await
}

async fn rows(c: &impl GenericClient, item: &Item) -> Result<Vec<String>, RestoreError> {
    let db = |err| RestoreError::Db {
        id: item.kept.id,
        err,
    };
    let name = item.qualified();
    let table = format!("{}.{}", item.schema, item.table);
    if !exists(c, &name).await.map_err(db)? {
        return Err(item.refuse(Refusal::TableGone {
            table,
            copy: item.copy(),
        }));
    }
    let have: Vec<String> = c
        .query_one(
            "SELECT coalesce(array_agg(attname::text), '{}') FROM pg_attribute \
             WHERE attrelid = $1::text::regclass AND attnum > 0 AND NOT attisdropped",
            &[&name],
        )
        .await
        .map_err(db)?
        .get(0);
    let missing: Vec<&str> = item
        .def
        .columns
        .iter()
        .map(|col| col.name.as_str())
        .filter(|n| !have.iter().any(|h| h == n))
        .collect();
    if !missing.is_empty() {
        return Err(item.refuse(Refusal::ColumnsDiffer {
            table,
            missing: missing.join(", "),
            copy: item.copy(),
        }));
    }
    let mut sql = insert_kept_rows(&name, item);
    sql.push_str(&sequences_sql(&name, &item.def.sequences, false));
    run(c, item, &sql).await?;
    Ok(Vec::new())
}

/// Puts back the foreign keys of other tables that pointed at the restored object; those
/// whose table is gone, or that have one of the same name again, are listed instead.
async fn incoming(c: &impl GenericClient, item: &Item) -> Result<Vec<String>, RestoreError> {
    let db = |err| RestoreError::Db {
        id: item.kept.id,
        err,
    };
    let mut skipped = Vec::new();
    for k in &item.def.referenced_by {
        let present: bool = c
            .query_one(
                "SELECT to_regclass($1) IS NOT NULL AND NOT EXISTS (SELECT FROM pg_constraint \
                 WHERE conrelid = to_regclass($1) AND conname = $2)",
                &[&k.table, &k.name],
            )
            .await
            .map_err(db)?
            .get(0);
        if present {
            run(
                c,
                item,
                &format!(
                    "ALTER TABLE {} ADD CONSTRAINT {} {}",
                    k.table,
                    quote_ident(&k.name),
                    k.def
                ),
            )
            .await?;
        } else {
            skipped.push(format!("{} on {}", k.name, k.table));
        }
    }
    Ok(skipped)
}

/// The kept rows into table `name`, every stored (not generated) column read back from the
/// copy; nothing when the table has no stored column.
fn insert_kept_rows(name: &str, item: &Item) -> String {
    let stored: Vec<&Column> = item
        .def
        .columns
        .iter()
        .filter(|col| col.generated.is_none())
        .collect();
    if stored.is_empty() {
        return String::new();
    }
    format!(
        "INSERT INTO {name} ({}) OVERRIDING SYSTEM VALUE SELECT {} FROM {} k;\n",
        names(&stored),
        stored
            .iter()
            .map(|col| col.read_back("k"))
            .collect::<Vec<_>>()
            .join(", "),
        item.copy()
    )
}
