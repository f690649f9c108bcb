//! Why a kept copy cannot go back, and what else can stop a restore.

/// Why a copy cannot go back as it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("nothing is kept with id {0}: `pgstep trash` lists what is")]
    NotKept(i64),
    #[error(
        "{object} exists again: the name is taken. Rename or drop it first, or read the kept \
         rows from {copy}"
    )]
    NameTaken { object: String, copy: String },
    #[error(
        "column {object} exists again. Drop or rename it first, or read the kept values from \
         {copy}"
    )]
    ColumnExists { object: String, copy: String },
    #[error("table {table} no longer exists: restore it first, or read the kept data from {copy}")]
    TableGone { table: String, copy: String },
    #[error(
        "the key no longer matches: the values of {object} were kept by ({kept}), and the \
         table's primary key is now ({now}). Read them from {copy} and match them by hand"
    )]
    KeyChanged {
        object: String,
        kept: String,
        now: String,
        copy: String,
    },
    #[error(
        "{object} was dropped from a table without a primary key, so its values cannot be \
         matched to rows again; they are in {copy}"
    )]
    NoKey { object: String, copy: String },
    #[error(
        "its foreign key {constraint} references {references}, which does not exist: restore \
         that table first (or both in one command, `pgstep restore ID ID`)"
    )]
    ReferenceMissing {
        constraint: String,
        references: String,
    },
    #[error(
        "table {table} no longer has column(s) {missing} that the kept rows have: read them \
         from {copy}"
    )]
    ColumnsDiffer {
        table: String,
        missing: String,
        copy: String,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error("kept copy {id} cannot be restored: {refusal}")]
    Refused { id: i64, refusal: Refusal },
    #[error("kept copy {id}: its recorded definition cannot be read: {detail}")]
    Definition { id: i64, detail: String },
    #[error("kept copy {id}: {}", server_message(.err))]
    Db {
        id: i64,
        #[source]
        err: tokio_postgres::Error,
    },
}

/// The server's message with its detail, for an error pgstep cannot foresee.
fn server_message(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => match db.detail() {
            Some(d) => format!("[{}] {} ({d})", db.code().code(), db.message()),
            None => format!("[{}] {}", db.code().code(), db.message()),
        },
        None => e.to_string(),
    }
}
