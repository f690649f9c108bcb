//! The fleet's targets: those listed and those its discovery queries return, each resolved
//! as libpq would and known by its server (host and port) and a URL without password.

use std::collections::HashSet;

use tokio_postgres::types::Type;

use super::spec::{Discovery, Fleet, Origin};
use crate::conninfo::{self, Inputs, Params};

/// One target.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The conninfo string as listed or discovered; it is what pgstep connects with.
    pub conninfo: String,
    pub params: Params,
    /// `host:port`, after resolution: at most `per_server` targets run at once on one.
    pub server: String,
    /// `postgresql://user@host:port/dbname`: never a password.
    pub url: String,
}

impl Identity {
    /// Resolves `conninfo` with the process's environment, `pg_service.conf` and `.pgpass`.
    pub fn resolve(conninfo: &str) -> Result<Identity, conninfo::ConnInfoError> {
        let params = conninfo::resolve(&Inputs::from_process(Some(conninfo.to_owned())))?;
        let server = format!("{}:{}", params.host(), params.port());
        let url = format!(
            "postgresql://{}@{server}/{}",
            params.user(),
            params.dbname()
        );
        Ok(Identity {
            conninfo: conninfo.to_owned(),
            params,
            server,
            url,
        })
    }
}

/// Why the fleet's targets could not be worked out; nothing has run when one is returned.
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    #[error("{origin}: {message}; {fix}")]
    Setting {
        origin: Origin,
        message: String,
        fix: &'static str,
    },
    #[error(
        "error: fleet `{0}` has no targets: list them in `targets`, or check that its \
         discovery queries return rows"
    )]
    NoTargets(String),
}

const FIX_TARGET: &str = "correct the connection string in the configuration";
const FIX_QUERY: &str = "run the query in psql on that server and correct it in the \
     configuration; nothing was run";
const FIX_COLUMN: &str = "make the query return one text column, one connection string per \
     row (cast with ::text); nothing was run";

/// Every target of `fleet`: the listed ones in order, then each discovery query's rows in
/// the order it returns them. A target listed twice (same server, database and user) is
/// kept once, where it first appears.
pub async fn targets(fleet: &Fleet) -> Result<Vec<Identity>, FleetError> {
    let mut found = Vec::new();
    for listed in &fleet.targets {
        found.push(resolved(&listed.conninfo, &listed.origin)?);
    }
    for d in &fleet.discover {
        for conninfo in discover(d).await? {
            found.push(resolved(&conninfo, &d.origin)?);
        }
    }
    let mut seen = HashSet::new();
    found.retain(|t| {
        seen.insert((
            t.server.clone(),
            t.params.dbname().to_owned(),
            t.params.user().to_owned(),
        ))
    });
    if found.is_empty() {
        return Err(FleetError::NoTargets(fleet.name.clone()));
    }
    Ok(found)
}

fn resolved(conninfo: &str, origin: &Origin) -> Result<Identity, FleetError> {
    Identity::resolve(conninfo).map_err(|e| FleetError::Setting {
        origin: origin.clone(),
        message: e.to_string(),
        fix: FIX_TARGET,
    })
}

/// The text types a discovery column may have.
fn is_text(t: &Type) -> bool {
    [Type::TEXT, Type::VARCHAR, Type::NAME, Type::BPCHAR].contains(t)
}

/// The conninfo strings one discovery query returns.
async fn discover(d: &Discovery) -> Result<Vec<String>, FleetError> {
    let fail = |message: String, fix| FleetError::Setting {
        origin: d.origin.clone(),
        message,
        fix,
    };
    let params = conninfo::resolve(&Inputs::from_process(Some(d.url.clone())))
        .map_err(|e| fail(e.to_string(), FIX_TARGET))?;
    let (client, _connection) = conninfo::connect(&params)
        .await
        .map_err(|e| fail(format!("cannot reach {params}: {e}"), FIX_QUERY))?;
    let db_message = |e: tokio_postgres::Error| match e.as_db_error() {
        Some(db) => format!("the query failed on {params}: {}", db.message()),
        None => format!("the query failed on {params}: {e}"),
    };
    let statement = client
        .prepare(&d.query)
        .await
        .map_err(|e| fail(db_message(e), FIX_QUERY))?;
    match statement.columns() {
        [one] if is_text(one.type_()) => {}
        [one] => {
            let message = format!(
                "the query returns column `{}` of type {}, not text",
                one.name(),
                one.type_()
            );
            return Err(fail(message, FIX_COLUMN));
        }
        columns => {
            let message = format!(
                "the query returns {} columns; it must return exactly one",
                columns.len()
            );
            return Err(fail(message, FIX_COLUMN));
        }
    }
    let rows = client
        .query(&statement, &[])
        .await
        .map_err(|e| fail(db_message(e), FIX_QUERY))?;
    let mut out = Vec::with_capacity(rows.len());
    for (n, row) in rows.iter().enumerate() {
        match row.try_get::<_, Option<String>>(0) {
            Ok(Some(text)) if !text.trim().is_empty() => out.push(text),
            _ => {
                let message = format!("row {} of the query is NULL or empty", n + 1);
                return Err(fail(message, FIX_COLUMN));
            }
        }
    }
    Ok(out)
}
