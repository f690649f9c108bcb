//! How a part's statements run, as `up` and `down` run them: all in the phase's one
//! transaction, one by one, or (a dbmate file of several sections) each transactional
//! section in a transaction of its own and the others one by one.

use std::ops::Range;

use serde::Serialize;

use super::Part;

/// The transactions a part runs in, as `plan` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Transaction {
    /// Every statement in one transaction.
    Phase,
    /// Every statement on its own, outside any transaction.
    None,
    /// dbmate's sections: each transactional one in a transaction of its own.
    PerSection,
}

impl Transaction {
    pub fn word(self) -> &'static str {
        match self {
            Transaction::Phase => "phase",
            Transaction::None => "none",
            Transaction::PerSection => "per section",
        }
    }
}

/// Consecutive statements that run alike: 1-based, `first..=last`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Run {
    pub first: usize,
    pub last: usize,
    pub transaction: bool,
}

impl Part {
    pub fn transaction(&self) -> Transaction {
        if self.transactional {
            Transaction::Phase
        } else if self.wrapped.is_empty() {
            Transaction::None
        } else {
            Transaction::PerSection
        }
    }

    /// The part's statements in runs that share a transaction, or run one by one.
    pub fn runs(&self) -> Vec<Run> {
        let n = self.count();
        let run = |r: Range<usize>, transaction| Run {
            first: r.start + 1,
            last: r.end,
            transaction,
        };
        if n == 0 {
            return Vec::new();
        }
        if self.wrapped.is_empty() {
            return vec![run(0..n, self.transactional)];
        }
        let mut out = Vec::new();
        let mut at = 0;
        for w in self.wrapped.iter() {
            if w.start > at {
                out.push(run(at..w.start, false));
            }
            out.push(run(w.clone(), true));
            at = w.end;
        }
        if at < n {
            out.push(run(at..n, false));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::plan::dir::single;
    use crate::plan::formats::Source;

    fn up_of(text: &str) -> Part {
        let src = Source {
            path: PathBuf::from("20240101000000_x.sql"),
            text: text.to_string(),
        };
        single(&src, &mut Vec::new()).1.expect("the file reads").up
    }

    #[test]
    fn dbmate_sections_run_each_as_its_marker_says() {
        let up = up_of(
            "-- migrate:up\nCREATE TABLE a (id int);\nCREATE TABLE b (id int);\n\
             -- migrate:down\nDROP TABLE b;\n\
             -- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON a (id);\n\
             -- migrate:down\nDROP INDEX i;\n\
             -- migrate:up\nSELECT 1;\n-- migrate:down\n",
        );
        assert_eq!(up.transaction(), Transaction::PerSection);
        let runs: Vec<(usize, usize, bool)> = up
            .runs()
            .iter()
            .map(|r| (r.first, r.last, r.transaction))
            .collect();
        assert_eq!(runs, [(1, 2, true), (3, 3, false), (4, 4, true)]);
    }

    #[test]
    fn one_section_is_the_phase_or_none() {
        let up = up_of("-- migrate:up\nSELECT 1;\nSELECT 2;\n-- migrate:down\n");
        assert_eq!(up.transaction(), Transaction::Phase);
        assert_eq!(
            up.runs(),
            [Run {
                first: 1,
                last: 2,
                transaction: true
            }]
        );
        let up = up_of("-- migrate:up transaction:false\nSELECT 1;\n-- migrate:down\n");
        assert_eq!(up.transaction(), Transaction::None);
        let up = up_of(
            "-- migrate:up transaction:false\nSELECT 1;\n-- migrate:down\n\
             -- migrate:up transaction:false\nSELECT 2;\n-- migrate:down\n",
        );
        assert_eq!(up.transaction(), Transaction::None);
    }
}
