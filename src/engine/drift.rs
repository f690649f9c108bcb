//! Drift shown as a diff: the text applied (kept in the history row) against the file now.

use similar::TextDiff;

use super::history::AppliedSql;
use crate::plan::Read;

/// A unified diff of one part, or `None` when it did not change.
fn part(label: &str, applied: Option<&str>, file: Option<&str>) -> Option<String> {
    let a = applied.unwrap_or("");
    let b = file.unwrap_or("");
    if a == b {
        return None;
    }
    let diff = TextDiff::from_lines(a, b);
    let text = diff
        .unified_diff()
        .context_radius(3)
        .header(&format!("{label} (applied)"), &format!("{label} (file)"))
        .to_string();
    Some(text)
}

/// The diff of UP and DOWN between what was applied and the file; empty when both match.
pub fn diff(applied: &AppliedSql, m: &Read<'_>) -> String {
    let mut out = String::new();
    let up = part("UP", applied.up.as_deref(), Some(m.up().text));
    let down = part("DOWN", applied.down.as_deref(), m.stored_down().as_deref());
    for d in [up, down].into_iter().flatten() {
        out.push_str(&d);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unified_diff_of_changed_part() {
        let d = part(
            "UP",
            Some("CREATE TABLE t (id int);\n"),
            Some("CREATE TABLE t (id bigint);\n"),
        )
        .unwrap();
        assert!(d.contains("--- UP (applied)"), "{d}");
        assert!(d.contains("+++ UP (file)"), "{d}");
        assert!(d.contains("-CREATE TABLE t (id int);"), "{d}");
        assert!(d.contains("+CREATE TABLE t (id bigint);"), "{d}");
        assert_eq!(part("DOWN", Some("x\n"), Some("x\n")), None);
    }
}
