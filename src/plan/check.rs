//! Validation checks of the VERIFY section: a named query and what its result must be.

use std::fmt;

/// What a check's result must look like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// No rows: the query lists offending rows.
    Empty,
    NonEmpty,
    /// One row, one boolean column, true.
    True,
    /// One row, one numeric column, compared with the value.
    Compare(CompareOp, String),
    /// The full result is identical before and after the phase.
    Unchanged,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CompareOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CompareOp::Eq => "=",
            CompareOp::Ne => "!=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
        }
    }
}

impl Expect {
    pub fn parse(text: &str) -> Option<Expect> {
        let t = text.trim();
        let word = t.to_ascii_lowercase();
        match word.as_str() {
            "empty" => return Some(Expect::Empty),
            "nonempty" | "non-empty" | "not empty" => return Some(Expect::NonEmpty),
            "true" => return Some(Expect::True),
            "unchanged" => return Some(Expect::Unchanged),
            _ => {}
        }
        // Two-character operators first, so `<=` is not read as `<` then `=...`.
        let ops = [
            ("!=", CompareOp::Ne),
            ("<>", CompareOp::Ne),
            ("<=", CompareOp::Le),
            (">=", CompareOp::Ge),
            ("=", CompareOp::Eq),
            ("<", CompareOp::Lt),
            (">", CompareOp::Gt),
        ];
        let (op, rest) = ops
            .iter()
            .find_map(|(sym, op)| t.strip_prefix(sym).map(|r| (*op, r.trim())))?;
        is_number(rest).then(|| Expect::Compare(op, rest.to_string()))
    }
}

fn is_number(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let mut parts = digits.splitn(2, '.');
    let int = parts.next().unwrap_or("");
    let frac = parts.next();
    !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expect::Empty => f.write_str("empty"),
            Expect::NonEmpty => f.write_str("nonempty"),
            Expect::True => f.write_str("true"),
            Expect::Unchanged => f.write_str("unchanged"),
            Expect::Compare(op, n) => write!(f, "{} {n}", op.symbol()),
        }
    }
}

/// One validation check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub name: String,
    pub expect: Expect,
    /// Line of the `-- Check:` marker.
    pub line: u32,
    /// Line of the query.
    pub sql_line: u32,
    pub sql: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expectations() {
        let cases = [
            ("empty", Expect::Empty),
            ("NonEmpty", Expect::NonEmpty),
            (" true ", Expect::True),
            ("unchanged", Expect::Unchanged),
            ("= 0", Expect::Compare(CompareOp::Eq, "0".into())),
            ("!= 3", Expect::Compare(CompareOp::Ne, "3".into())),
            ("<>3", Expect::Compare(CompareOp::Ne, "3".into())),
            ("< -1.5", Expect::Compare(CompareOp::Lt, "-1.5".into())),
            ("<= 10", Expect::Compare(CompareOp::Le, "10".into())),
            ("> 217", Expect::Compare(CompareOp::Gt, "217".into())),
            (">=0", Expect::Compare(CompareOp::Ge, "0".into())),
        ];
        for (text, want) in cases {
            assert_eq!(Expect::parse(text), Some(want.clone()), "{text}");
            assert_eq!(Expect::parse(&want.to_string()), Some(want));
        }
    }

    #[test]
    fn bad_expectations() {
        for bad in [
            "", "false", "= ", "== 1", "= x", "> 1.", "< .5", "maybe", "= 1 2",
        ] {
            assert_eq!(Expect::parse(bad), None, "{bad:?}");
        }
    }
}
