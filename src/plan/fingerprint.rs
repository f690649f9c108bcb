//! A checksum of what a migration runs, blind to everything the server never sees: comments
//! and blank lines between statements, the header. Two files with the same fingerprint run
//! the same SQL, so drift between them is cosmetic.

use super::checksum::{Checksum, Hasher};
use super::{Check, Sql};

fn part(c: &mut Hasher, tag: &[u8], p: Option<Sql<'_>>) {
    c.update(tag);
    for s in p.into_iter().flat_map(Sql::statements) {
        c.update(s.sql.as_bytes()).update(b"\0");
        if let Some(data) = s.copy_data {
            c.update(data.as_bytes()).update(b"\0");
        }
    }
}

/// The fingerprint of a migration from its parts, its transaction mode and its checks.
pub(super) fn of(
    up: Sql<'_>,
    transactional: bool,
    down: Option<Sql<'_>>,
    checks: &[Check],
) -> Checksum {
    let mut c = Hasher::default();
    part(&mut c, b"up\0", Some(up));
    c.update(if transactional { b"tx\0" } else { b"no-tx\0" });
    part(&mut c, b"down\0", down);
    c.update(b"checks\0");
    for check in checks {
        c.update(check.name.as_bytes()).update(b"\0");
        c.update(check.expect.to_string().as_bytes()).update(b"\0");
        c.update(check.sql.as_bytes()).update(b"\0");
    }
    c.finish()
}

#[cfg(test)]
mod tests {
    use crate::plan::Migration;
    use std::path::Path;

    fn parse(text: &str) -> Migration {
        crate::plan::parse_file(Path::new("001_x.sql"), text).unwrap()
    }

    #[test]
    fn comments_between_statements_do_not_count() {
        let a = parse("CREATE TABLE t (id int);\n-- DOWN\nDROP TABLE t;\n");
        let b = parse(
            "-- Goal: a table\n\n-- make it\nCREATE TABLE t (id int);\n\n-- DOWN\n-- undo\nDROP TABLE t;\n",
        );
        assert_ne!(a.checksum, b.checksum);
        assert_eq!(
            a.read().unwrap().fingerprint(),
            b.read().unwrap().fingerprint()
        );
    }

    #[test]
    fn statement_changes_count() {
        let a = parse("CREATE TABLE t (id int);\n-- DOWN\nDROP TABLE t;\n");
        for other in [
            "CREATE TABLE t (id bigint);\n-- DOWN\nDROP TABLE t;\n",
            "CREATE TABLE t (id int);\n-- DOWN\nDROP TABLE IF EXISTS t;\n",
            "CREATE TABLE t (id int);\n",
            "-- Transaction: none\nCREATE TABLE t (id int);\n-- DOWN\nDROP TABLE t;\n",
            "CREATE TABLE t (id int);\n-- VERIFY\n-- Check: c\nSELECT 1 WHERE false;\n-- DOWN\nDROP TABLE t;\n",
            "CREATE TABLE t (id  int);\n-- DOWN\nDROP TABLE t;\n",
        ] {
            assert_ne!(
                a.read().unwrap().fingerprint(),
                parse(other).read().unwrap().fingerprint(),
                "{other}"
            );
        }
    }
}
