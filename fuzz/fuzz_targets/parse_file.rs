//! `pgstep::plan::parse_file` on arbitrary text, under a native name, a timestamp name and as
//! a dbmate file: it must never panic, and what it accepts must be usable as the plan uses it.
//!
//! Run: `RUSTC_BOOTSTRAP=1 cargo fuzz run parse_file fuzz/seeds/parse_file` (from the
//! repository root).

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use pgstep::plan::{self, Checksum, Part, json::MigrationJson};

fn check_part(part: &Part) {
    for s in part.sql().expect("a part just read holds its text").statements() {
        assert!(!s.sql.is_empty(), "empty statement at line {}", s.line);
        assert!(s.line >= 1);
    }
}

fn check(name: &str, text: &str) {
    let path = Path::new(name);
    match plan::parse_file(path, text) {
        Ok(m) => {
            assert_eq!(m.file, path);
            assert!(m.up.count() > 0, "accepted with an empty UP");
            check_part(&m.up);
            if let Some(down) = &m.down {
                check_part(down);
            }
            for step in &m.steps {
                assert!(
                    step.first_statement <= m.up.count(),
                    "step {:?} starts past the last statement",
                    step.title
                );
            }
            for c in &m.checks {
                assert!(!c.sql.is_empty(), "check {:?} without SQL", c.name);
            }
            assert!(matches!(m.checksum, Checksum::Sha256(_)));
            assert_eq!(m.checksum.to_string().len(), 64);
            serde_json::to_string(&MigrationJson::new(&m).expect("a migration just read holds its text")).expect("migration as JSON");
        }
        Err(diags) => {
            assert!(
                diags.iter().any(|d| d.is_error()),
                "refused without an error"
            );
            for d in &diags {
                assert!(!d.to_string().is_empty());
            }
            serde_json::to_string(&diags).expect("diagnostics as JSON");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    check("001_fuzz.sql", text);
    check("20240101_x.sql", text);
    check("20240101_x.sql", &format!("-- migrate:up\n{text}"));
});
