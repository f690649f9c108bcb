use proptest::prelude::*;

use super::*;

fn table(schema: Option<&str>, name: &str) -> Removal {
    Removal::Table {
        schema: schema.map(str::to_string),
        name: name.to_string(),
    }
}

#[test]
fn what_statements_remove() {
    let cases: &[(&str, Vec<Removal>)] = &[
        (
            "DROP TABLE IF EXISTS a, s.\"B\" CASCADE",
            vec![table(None, "a"), table(Some("s"), "B")],
        ),
        (
            "ALTER TABLE s.t DROP COLUMN c, ADD COLUMN d int",
            vec![Removal::Column {
                schema: Some("s".into()),
                table: "t".into(),
                column: "c".into(),
            }],
        ),
        (
            "TRUNCATE t RESTART IDENTITY",
            vec![Removal::Rows {
                schema: None,
                table: "t".into(),
                chosen: None,
            }],
        ),
        (
            "DELETE FROM s.t WHERE id = 1",
            vec![Removal::Rows {
                schema: Some("s".into()),
                table: "t".into(),
                chosen: Some("SELECT t.tableoid, t.ctid FROM s.t  WHERE id = 1".into()),
            }],
        ),
        ("DELETE FROM t WHERE CURRENT OF c", vec![]),
        (
            "DROP SCHEMA old CASCADE",
            vec![Removal::Schema { name: "old".into() }],
        ),
        ("DROP VIEW v", vec![]),
        ("DROP INDEX i", vec![]),
        ("ALTER TABLE t DROP CONSTRAINT k", vec![]),
        ("DROP TABLE pgstep_trash.kept_1", vec![]),
        ("DROP SCHEMA pgstep_trash CASCADE", vec![]),
        ("SELECT 'DROP TABLE t'", vec![]),
    ];
    for (sql, want) in cases {
        assert_eq!(&removals(sql), want, "{sql}");
    }
}

#[test]
fn keep_sql_names_phase_part_and_statement() {
    let sql = keep_sql("ALTER TABLE \"O'k\" DROP c", "1.2", Part::Up).unwrap();
    assert_eq!(
        sql,
        "SELECT pgstep_trash.keep('column', NULL, 'O''k', 'c', '1.2', 'up', \
         'ALTER TABLE \"O''k\" DROP c', NULL)"
    );
    assert_eq!(keep_sql("CREATE TABLE t (id int)", "1", Part::Up), None);
}

fn ident() -> impl Strategy<Value = String> {
    "[a-z_][a-z0-9_]{0,8}|\"[A-Za-z ']{1,8}\""
}

proptest! {
    /// Every table a DROP TABLE names is kept, named as PostgreSQL reads it, and the keep
    /// statement is one SELECT that quotes every name it carries.
    #[test]
    fn every_dropped_table_is_kept(names in prop::collection::vec(ident(), 1..5), cascade in any::<bool>()) {
        let sql = format!("DROP TABLE IF EXISTS {}{}", names.join(", "), if cascade { " CASCADE" } else { "" });
        let got = removals(&sql);
        prop_assert_eq!(got.len(), names.len());
        for (r, n) in got.iter().zip(&names) {
            let want = match n.strip_prefix('"') {
                Some(q) => q.trim_end_matches('"').to_string(),
                None => n.clone(),
            };
            prop_assert_eq!(r, &table(None, &want));
        }
        let keep = keep_sql(&sql, "001", Part::Down).unwrap();
        prop_assert_eq!(crate::sql::split(&keep).unwrap().len(), 1);
        prop_assert_eq!(keep.matches("pgstep_trash.keep(").count(), names.len());
    }

    /// No statement that is not DROP, ALTER TABLE, TRUNCATE or DELETE keeps anything.
    #[test]
    fn other_statements_keep_nothing(word in "(SELECT|INSERT|UPDATE|CREATE|GRANT|COMMENT)", rest in "[ a-z0-9,()'*]{0,30}") {
        let sql = format!("{} {}", word, rest);
        prop_assert!(removals(&sql).is_empty());
    }
}

#[test]
fn a_truncate_cascade_keeps_what_its_foreign_keys_reach() {
    let keep = |sql| keep_sql(sql, "002", Part::Down).expect("kept");
    assert!(
        keep("TRUNCATE a, s.b RESTART IDENTITY CASCADE;").contains("keep('cascade', NULL, 'a'")
    );
    assert!(keep("truncate table a cascade").contains("keep('cascade'"));
    for sql in [
        "TRUNCATE a",
        "TRUNCATE cascade_log RESTRICT",
        "DELETE FROM a",
    ] {
        assert!(keep(sql).contains("keep('rows'"), "{sql}");
    }
}
