//! What the database is doing, read from its statistics and catalogs: index usage,
//! materialized-view freshness, blockers and progress. Every view is one query in a
//! read-only session with a short statement_timeout, picked by server version.

pub mod activity;
pub mod indexes;
pub mod matviews;
pub mod progress;
pub mod replication;
