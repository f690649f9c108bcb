//! `pgstep log`: the event log, newest first.

use std::fmt::Write as _;
use std::io::Write;

use super::db::{self, Fail, Target};
use super::write_out;
use crate::text::Escaped;

pub async fn run(
    target: &Target,
    json: bool,
    limit: i64,
    out: &mut impl Write,
) -> Result<(), Fail> {
    let session = db::connect(target).await?;
    let events = session.engine.events(limit).await?;
    if json {
        let text = serde_json::to_string_pretty(&serde_json::json!({ "events": events }))
            .unwrap_or_default();
        return write_out(out, &format!("{text}\n"));
    }
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:19}  {:14}  {:10}  {:16}  {:24}  {:>9}  REASON",
        "AT (UTC)", "EVENT", "VERSION", "OUTCOME", "WHO", "TIME"
    );
    for e in &events {
        let who = format!(
            "{}@{} as {}",
            e.os_user.as_deref().unwrap_or("?"),
            e.host.as_deref().unwrap_or("?"),
            e.db_role
        );
        let time = e
            .duration_ms
            .map(|ms| format!("{ms} ms"))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "{:19}  {:14}  {:10}  {:16}  {:24}  {:>9}  {}",
            e.at.format("%Y-%m-%d %H:%M:%S"),
            Escaped(&e.event.to_string()),
            Escaped(e.version.as_deref().unwrap_or("")),
            Escaped(&e.outcome.to_string()),
            Escaped(&who),
            time,
            Escaped(e.reason.as_deref().unwrap_or(""))
        );
    }
    if events.is_empty() {
        s.push_str("(no events)\n");
    }
    write_out(out, &s)
}
