//! Judging a check's result against its expectation. Results are compared as text, as the
//! server printed them, so every column type works and nothing is lost in conversion.

use std::cmp::Ordering;

use super::history::Outcome;
use crate::plan::{CompareOp, Expect};

/// A query result: column names and rows of text values (`None` is SQL NULL).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ResultSet {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
}

impl ResultSet {
    /// A short rendering for one table cell or log line: the single value, or the row count.
    pub fn summary(&self) -> String {
        match (self.rows.as_slice(), self.columns.len()) {
            ([row], 1) => row[0].clone().unwrap_or_else(|| "NULL".into()),
            ([], _) => "0 rows".into(),
            (rows, _) => {
                let first = rows[0]
                    .iter()
                    .map(|v| v.as_deref().unwrap_or("NULL"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let n = rows.len();
                let noun = if n == 1 { "row" } else { "rows" };
                format!("{n} {noun}, first: ({first})")
            }
        }
    }
}

/// What became of one check: the one word reports show for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Grade {
    Pass,
    Fail,
    /// It ran, but there was nothing to judge it by (an `unchanged` check outside a phase).
    NotJudged,
}

impl Grade {
    /// The word in front of the check in reports.
    pub fn word(self) -> &'static str {
        match self {
            Grade::Pass => "pass",
            Grade::Fail => "FAIL",
            Grade::NotJudged => "not judged",
        }
    }

    pub fn of(passed: bool) -> Grade {
        if passed { Grade::Pass } else { Grade::Fail }
    }
}

/// The outcome of a set of checks: failed if any failed, passed only if all passed.
pub fn overall(grades: impl IntoIterator<Item = Grade>) -> Outcome {
    let grades: Vec<Grade> = grades.into_iter().collect();
    if grades.contains(&Grade::Fail) {
        Outcome::Failed
    } else if grades.contains(&Grade::NotJudged) {
        Outcome::NotJudged
    } else {
        Outcome::Passed
    }
}

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Verdict {
    pub passed: bool,
    /// Why it failed, or what it saw.
    pub detail: String,
}

impl Verdict {
    fn pass(detail: impl Into<String>) -> Self {
        Verdict {
            passed: true,
            detail: detail.into(),
        }
    }

    fn fail(detail: impl Into<String>) -> Self {
        Verdict {
            passed: false,
            detail: detail.into(),
        }
    }
}

/// Judges `after` (and for `unchanged`, `before`) against `expect`.
pub fn judge(expect: &Expect, before: Option<&ResultSet>, after: &ResultSet) -> Verdict {
    match expect {
        Expect::Empty if after.rows.is_empty() => Verdict::pass("no rows"),
        Expect::Empty => Verdict::fail(format!("expected no rows, got {}", after.summary())),
        Expect::NonEmpty if after.rows.is_empty() => Verdict::fail("expected rows, got none"),
        Expect::NonEmpty => Verdict::pass(after.summary()),
        Expect::True => match single(after) {
            Ok(Some("t" | "true")) => Verdict::pass("true"),
            Ok(v) => Verdict::fail(format!("expected true, got {}", v.unwrap_or("NULL"))),
            Err(e) => Verdict::fail(e),
        },
        Expect::Compare(op, want) => match single(after) {
            Ok(Some(got)) => match compare_decimal(got, want) {
                Some(ord) if holds(*op, ord) => Verdict::pass(got),
                Some(_) => Verdict::fail(format!("expected {} {want}, got {got}", op.symbol())),
                None => Verdict::fail(format!("expected a number, got {got}")),
            },
            Ok(None) => Verdict::fail(format!("expected {} {want}, got NULL", op.symbol())),
            Err(e) => Verdict::fail(e),
        },
        Expect::Unchanged => match before {
            None => Verdict::fail("no result from before the phase to compare with"),
            Some(b) if b == after => Verdict::pass(format!("unchanged: {}", after.summary())),
            Some(b) => Verdict::fail(format!(
                "changed: before {}, after {}",
                b.summary(),
                after.summary()
            )),
        },
    }
}

/// The one value of a one-row, one-column result.
fn single(r: &ResultSet) -> Result<Option<&str>, String> {
    match (r.rows.as_slice(), r.columns.len()) {
        ([row], 1) => Ok(row[0].as_deref()),
        (rows, cols) => Err(format!(
            "expected one row with one column, got {} row(s) with {cols} column(s)",
            rows.len()
        )),
    }
}

fn holds(op: CompareOp, ord: Ordering) -> bool {
    match op {
        CompareOp::Eq => ord == Ordering::Equal,
        CompareOp::Ne => ord != Ordering::Equal,
        CompareOp::Lt => ord == Ordering::Less,
        CompareOp::Le => ord != Ordering::Greater,
        CompareOp::Gt => ord == Ordering::Greater,
        CompareOp::Ge => ord != Ordering::Less,
    }
}

/// Compares two decimal numbers written as text exactly (bigint and numeric values do not
/// fit a float). Accepts an optional sign, digits, and a fraction; `None` for anything else.
pub fn compare_decimal(a: &str, b: &str) -> Option<Ordering> {
    let (an, ai, af) = decimal_parts(a)?;
    let (bn, bi, bf) = decimal_parts(b)?;
    let a_zero = ai.is_empty() && af.is_empty();
    let b_zero = bi.is_empty() && bf.is_empty();
    let an = an && !a_zero;
    let bn = bn && !b_zero;
    if an != bn {
        return Some(if an {
            Ordering::Less
        } else {
            Ordering::Greater
        });
    }
    let mag = ai
        .len()
        .cmp(&bi.len())
        .then_with(|| ai.cmp(bi))
        .then_with(|| {
            let width = af.len().max(bf.len());
            format!("{af:0<width$}").cmp(&format!("{bf:0<width$}"))
        });
    Some(if an { mag.reverse() } else { mag })
}

/// Sign, integer digits without leading zeros, fraction digits without trailing zeros.
fn decimal_parts(s: &str) -> Option<(bool, &str, &str)> {
    let s = s.trim();
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let valid = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !valid(int) || !valid(frac) {
        return None;
    }
    Some((neg, int.trim_start_matches('0'), frac.trim_end_matches('0')))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(v: Option<&str>) -> ResultSet {
        ResultSet {
            columns: vec!["v".into()],
            rows: vec![vec![v.map(String::from)]],
        }
    }

    fn rows(n: usize) -> ResultSet {
        ResultSet {
            columns: vec!["id".into(), "name".into()],
            rows: (0..n).map(|i| vec![Some(i.to_string()), None]).collect(),
        }
    }

    #[test]
    fn decimals_compare_exactly() {
        use Ordering::*;
        let cases = [
            ("1", "2", Less),
            ("10", "9", Greater),
            ("9223372036854775807", "9223372036854775806", Greater),
            ("1.10", "1.1", Equal),
            ("1.09", "1.1", Less),
            ("-3", "2", Less),
            ("-3", "-20", Greater),
            ("0", "-0", Equal),
            ("007", "7.000", Equal),
            ("0.5", ".5", Equal),
            ("+4", "4", Equal),
        ];
        for (a, b, want) in cases {
            assert_eq!(compare_decimal(a, b), Some(want), "{a} vs {b}");
        }
        assert_eq!(compare_decimal("abc", "1"), None);
        assert_eq!(compare_decimal("1e5", "1"), None);
        assert_eq!(compare_decimal("-", "1"), None);
    }

    #[test]
    fn expectations() {
        let ge = |n: &str| Expect::Compare(CompareOp::Ge, n.into());
        assert!(judge(&Expect::Empty, None, &rows(0)).passed);
        let v = judge(&Expect::Empty, None, &rows(3));
        assert!(!v.passed);
        assert_eq!(v.detail, "expected no rows, got 3 rows, first: (0, NULL)");
        assert!(judge(&Expect::NonEmpty, None, &rows(1)).passed);
        assert!(!judge(&Expect::NonEmpty, None, &rows(0)).passed);
        assert!(judge(&Expect::True, None, &one(Some("t"))).passed);
        assert!(!judge(&Expect::True, None, &one(Some("f"))).passed);
        assert!(!judge(&Expect::True, None, &one(None)).passed);
        assert!(!judge(&Expect::True, None, &rows(1)).passed);
        assert!(judge(&ge("217"), None, &one(Some("217"))).passed);
        assert!(!judge(&ge("217"), None, &one(Some("216"))).passed);
        assert!(!judge(&ge("1"), None, &one(Some("many"))).passed);
        assert!(!judge(&ge("1"), None, &one(None)).passed);
        let eq = Expect::Compare(CompareOp::Eq, "0".into());
        assert!(judge(&eq, None, &one(Some("0"))).passed);
        let ne = Expect::Compare(CompareOp::Ne, "0".into());
        assert!(!judge(&ne, None, &one(Some("0.0"))).passed);
    }

    #[test]
    fn unchanged_compares_whole_results() {
        let before = rows(3);
        assert!(judge(&Expect::Unchanged, Some(&before), &rows(3)).passed);
        let v = judge(&Expect::Unchanged, Some(&before), &rows(2));
        assert!(!v.passed);
        assert!(v.detail.contains("before 3 rows"), "{}", v.detail);
        let mut changed = rows(3);
        changed.rows[1][1] = Some("x".into());
        assert!(!judge(&Expect::Unchanged, Some(&before), &changed).passed);
        assert!(!judge(&Expect::Unchanged, None, &rows(3)).passed);
    }
}
