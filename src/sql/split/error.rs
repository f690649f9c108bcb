//! Why a text could not be split, and what the author should do about it.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    #[error("unterminated {what} starting at line {line}, column {column}")]
    Unterminated {
        what: &'static str,
        line: u32,
        column: u32,
    },
    #[error("psql meta-command `{command}` at line {line}, column {column}: pgstep is not psql")]
    MetaCommand {
        command: String,
        line: u32,
        column: u32,
    },
    #[error("parenthesis opened at line {line}, column {column} is never closed")]
    UnclosedParen { line: u32, column: u32 },
    #[error("BEGIN ATOMIC body of the statement at line {line} has no matching END")]
    UnclosedAtomic { line: u32 },
    #[error("COPY ... FROM stdin at line {line} has no terminating `\\.` line")]
    UnterminatedCopy { line: u32 },
    #[error("text after COPY ... FROM stdin on line {line}, column {column}")]
    CopyTrailingText { line: u32, column: u32 },
}

impl SplitError {
    pub fn line(&self) -> u32 {
        match self {
            SplitError::Unterminated { line, .. }
            | SplitError::MetaCommand { line, .. }
            | SplitError::UnclosedParen { line, .. }
            | SplitError::UnclosedAtomic { line }
            | SplitError::UnterminatedCopy { line }
            | SplitError::CopyTrailingText { line, .. } => *line,
        }
    }

    pub fn column(&self) -> Option<u32> {
        match self {
            SplitError::Unterminated { column, .. }
            | SplitError::MetaCommand { column, .. }
            | SplitError::UnclosedParen { column, .. }
            | SplitError::CopyTrailingText { column, .. } => Some(*column),
            SplitError::UnclosedAtomic { .. } | SplitError::UnterminatedCopy { .. } => None,
        }
    }

    pub fn hint(&self) -> &'static str {
        match self {
            SplitError::Unterminated { .. } => {
                "close it; everything after the opening was read as part of it"
            }
            SplitError::MetaCommand { .. } => {
                "remove the backslash command: pgstep sends SQL itself; run psql-only scripts with psql"
            }
            SplitError::UnclosedParen { .. } => "add the missing `)`",
            SplitError::UnclosedAtomic { .. } => "end the function body with END;",
            SplitError::UnterminatedCopy { .. } => {
                "end the COPY data with a line holding only `\\.`"
            }
            SplitError::CopyTrailingText { .. } => {
                "start the COPY data on the line after the COPY command"
            }
        }
    }
}
