//! The bundled plan (seed 000's seven phases) with keeping on: apply all, roll all back,
//! restore everything the rollbacks dropped, and find those tables and columns as the v1.1
//! database had them, row for row.

mod support;

use std::collections::HashMap;
use std::path::Path;

use support::fresh_db;
use support::migrations::{Dir, Pg, pgstep};

const SCHEMA: &str = include_str!("../assets/demo/schema_v1_0.sql");
const DOCUMENTS: &str = include_str!("../assets/demo/documents.sql");

/// A table's rows as a count and a digest of their content.
fn digest(pg: &Pg, relation: &str, columns: &str) -> (String, String) {
    let row = &pg.rows(&format!(
        "SELECT count(*)::text, md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) \
         FROM (SELECT {columns} FROM {relation}) x"
    ))[0];
    (
        row[0].clone().unwrap_or_default(),
        row[1].clone().unwrap_or_default(),
    )
}

/// A table's columns and constraints as the catalog defines them. Not its indexes: the
/// rollback of 006 drops some with DROP INDEX before 004's drops their table, and a restore
/// rebuilds a table as it was right before it was dropped (`trash_restore` compares indexes).
fn definition(pg: &Pg, relation: &str) -> Vec<Vec<Option<String>>> {
    let mut out = pg.rows(&format!(
        "SELECT attname, format_type(atttypid, atttypmod), attnotnull::text, \
                pg_get_expr(adbin, adrelid) \
         FROM pg_attribute LEFT JOIN pg_attrdef ON adrelid = attrelid AND adnum = attnum \
         WHERE attrelid = '{relation}'::regclass AND attnum > 0 AND NOT attisdropped \
         ORDER BY attname"
    ));
    out.extend(pg.rows(&format!(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint \
         WHERE conrelid = '{relation}'::regclass ORDER BY conname"
    )));
    out
}

#[test]
fn the_bundled_plan_rolled_back_is_restored_to_v1_1_row_for_row() {
    let db = fresh_db();
    let pg = Pg::connect(db.url());
    pg.exec(SCHEMA);
    pg.exec("SELECT pgstep_demo_load(1)");
    pg.exec(DOCUMENTS);
    let dir = Dir::new();
    dir.copy_from(&Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations"));
    pgstep(&db, &dir, &["up"]).expect(0);

    // The v1.1 database: every table's rows and definition, and each column's values
    // beside its table's primary key.
    let tables: Vec<(String, String)> = pg
        .rows(
            "SELECT schemaname, tablename FROM pg_tables \
             WHERE schemaname NOT IN ('pg_catalog', 'information_schema', 'pgstep_trash') \
               AND tablename NOT LIKE 'schema_migrations%' ORDER BY 1, 2",
        )
        .into_iter()
        .map(|r| {
            (
                r[0].clone().unwrap_or_default(),
                r[1].clone().unwrap_or_default(),
            )
        })
        .collect();
    let mut before = HashMap::new();
    for (schema, table) in &tables {
        let name = format!("{schema}.{table}");
        let relation = format!("\"{schema}\".\"{table}\"");
        let key = pg
            .value(&format!(
                "SELECT coalesce(string_agg(quote_ident(a.attname), ', '), '') FROM pg_index i \
                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) \
                 WHERE i.indrelid = '{relation}'::regclass AND i.indisprimary"
            ))
            .unwrap_or_default();
        let columns: Vec<String> = pg
            .rows(&format!(
                "SELECT attname FROM pg_attribute WHERE attrelid = '{relation}'::regclass \
                 AND attnum > 0 AND NOT attisdropped"
            ))
            .into_iter()
            .filter_map(|r| r[0].clone())
            .collect();
        let mut values = HashMap::new();
        if !key.is_empty() {
            for c in columns {
                let pairs = digest(&pg, &relation, &format!("{key}, \"{c}\""));
                values.insert(c, pairs);
            }
        }
        let rows = digest(&pg, &relation, "*");
        before.insert(name, (rows, definition(&pg, &relation), key, values));
    }

    pgstep(&db, &dir, &["down", "--all", "--yes"]).expect(0);
    let listed = pgstep(&db, &dir, &["trash", "--json"]).expect(0);
    let json: serde_json::Value = serde_json::from_str(&listed.stdout).expect("JSON");
    let kept = json["kept"].as_array().expect("a list").clone();
    let dropped: Vec<&serde_json::Value> = kept.iter().filter(|k| k["kind"] != "rows").collect();
    assert!(
        dropped.iter().any(|k| k["kind"] == "table")
            && dropped.iter().any(|k| k["kind"] == "column"),
        "the rollbacks drop v1.1's tables and columns: {kept:?}"
    );
    // The rows a rollback deleted go back too: the tables dropped after them pointed at them.
    let ids: Vec<String> = kept.iter().map(|k| k["id"].to_string()).collect();
    let mut args = vec!["restore"];
    args.extend(ids.iter().map(String::as_str));
    args.push("--yes");
    let run = pgstep(&db, &dir, &args).expect(0);
    assert_eq!(run.stdout.matches("restored ").count(), ids.len(), "{run}");

    for k in &dropped {
        let object = k["object"].as_str().expect("an object");
        let parts: Vec<&str> = object.split('.').collect();
        let name = format!("{}.{}", parts[0], parts[1]);
        let relation = format!("\"{}\".\"{}\"", parts[0], parts[1]);
        let (rows, def, key, values) = before
            .get(&name)
            .unwrap_or_else(|| panic!("{object} was a v1.1 table"));
        if k["kind"] == "table" {
            assert_eq!(&digest(&pg, &relation, "*"), rows, "rows of {object}");
            assert_eq!(&definition(&pg, &relation), def, "definition of {object}");
        } else {
            let column = parts[2];
            let pairs = digest(&pg, &relation, &format!("{key}, \"{column}\""));
            assert_eq!(
                Some(&pairs),
                values.get(column),
                "values of {object} by {key}"
            );
            let is = definition(&pg, &relation);
            let was = def.iter().find(|r| r[0].as_deref() == Some(column));
            assert_eq!(
                is.iter().find(|r| r[0].as_deref() == Some(column)),
                was,
                "{object}"
            );
        }
    }
}
