//! pgstep: a terminal console for PostgreSQL schema migrations.
//!
//! The pure core — reading migration sets, splitting SQL, planning — touches neither a
//! terminal nor a socket.

pub mod adopt;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod conninfo;
pub mod cores;
pub mod demo;
pub mod engine;
pub mod files;
pub mod fleet;
pub mod keys;
pub mod lint;
pub mod monitor;
pub mod phases;
pub mod plan;
pub mod sql;
pub mod text;
pub mod trash;
pub mod tui;
