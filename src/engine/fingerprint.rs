//! A checksum of what a migration runs, blind to everything the server never sees: comments
//! and blank lines between statements, the header. Two files with the same fingerprint run
//! the same SQL, so drift between them is cosmetic.

use crate::plan::checksum::Checksum;
use crate::plan::{Migration, Part};

fn part(c: &mut Checksum, tag: &[u8], p: Option<&Part>) {
    c.update(tag);
    for s in p.into_iter().flat_map(Part::statements) {
        c.update(s.sql.as_bytes()).update(b"\0");
        if let Some(data) = s.copy_data {
            c.update(data.as_bytes()).update(b"\0");
        }
    }
}

pub fn of_migration(m: &Migration) -> String {
    let mut c = Checksum::default();
    part(&mut c, b"up\0", Some(&m.up));
    c.update(if m.transactional() {
        b"tx\0"
    } else {
        b"no-tx\0"
    });
    part(&mut c, b"down\0", m.down.as_ref());
    c.update(b"checks\0");
    for check in &m.checks {
        c.update(check.name.as_bytes()).update(b"\0");
        c.update(check.expect.to_string().as_bytes()).update(b"\0");
        c.update(check.sql.as_bytes()).update(b"\0");
    }
    c.hex()
}

#[cfg(test)]
mod tests {
    use super::*;
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
        assert_eq!(of_migration(&a), of_migration(&b));
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
            assert_ne!(of_migration(&a), of_migration(&parse(other)), "{other}");
        }
    }
}
