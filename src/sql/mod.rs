//! SQL text: psql-compatible statement splitting, tokens for highlighting, and positions in files.

mod check;
mod classify;
mod lex;
mod lines;
mod quote;
mod split;
mod targets;
mod walk;

pub use check::{NotAQuery, one_query};
pub use classify::{
    controls_transaction, drops_prepared, is_copy, leading_words, needs_autocommit,
};
pub use lex::{Token, TokenKind, Tokens, tokens};
pub use lines::{LineIndex, line_of};
pub use quote::{quote_ident, quote_literal};
pub use split::{
    Item, Marker, Piece, SplitError, SplitOptions, Statement, scan, split, split_items,
};
pub use targets::{Target, TargetKind, destructive_targets};
pub use walk::{Walk, unquote};
