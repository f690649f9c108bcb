//! `pgstep trash`, `pgstep restore` and `pgstep purge`: what destructive statements removed
//! and pgstep kept, putting it back, and dropping it.

use std::fmt::Write as _;
use std::io::Write;
use std::time::Duration;

use super::db::{self, Fail, Target};
use super::write_out;
use crate::engine::impact;
use crate::engine::keeping::Keeping;
use crate::text::Escaped;
use crate::trash::{self, Kept};

pub async fn list(target: &Target, json: bool, out: &mut impl Write) -> Result<(), Fail> {
    let session = db::connect(target).await?;
    let kept = trash::list(session.engine.client())
        .await
        .map_err(crate::engine::EngineError::from)?;
    if json {
        let text =
            serde_json::to_string_pretty(&serde_json::json!({ "kept": kept })).unwrap_or_default();
        return write_out(out, &format!("{text}\n"));
    }
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:>5}  {:6}  {:40}  {:10}  {:19}  {:>10}  {:>9}",
        "ID", "KIND", "OBJECT", "PHASE", "KEPT AT (UTC)", "ROWS", "SIZE"
    );
    for k in &kept {
        let _ = writeln!(s, "{}", line(k));
    }
    if kept.is_empty() {
        s.push_str("(nothing kept)\n");
    }
    write_out(out, &s)
}

fn line(k: &Kept) -> String {
    format!(
        "{:>5}  {:6}  {:40}  {:10}  {:19}  {:>10}  {:>9}",
        k.id,
        k.kind.word(),
        Escaped(&k.object).to_string(),
        Escaped(&k.phase).to_string(),
        k.kept_at.format("%Y-%m-%d %H:%M:%S"),
        k.rows,
        impact::size(k.bytes)
    )
}

pub async fn restore(
    target: &Target,
    ids: &[i64],
    yes: bool,
    reason: Option<&str>,
    out: &mut impl Write,
) -> Result<(), Fail> {
    let session = db::connect(target).await?;
    let mut question = format!(
        "About to restore on {}, in one transaction:\n",
        session.params
    );
    for &id in ids {
        let found = trash::list_one(session.engine.client(), id)
            .await
            .map_err(crate::engine::EngineError::from)?;
        let Some(k) = found else {
            return Err(Fail::new(
                super::exit::REFUSED,
                format!(
                    "pgstep: {}; nothing was restored",
                    trash::Refusal::NotKept(id)
                ),
            ));
        };
        let _ = writeln!(question, "{}", line(&k));
    }
    let expected = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(" ");
    db::confirm(&question, &format!("restore {expected}"), yes)?;
    let done = session.engine.restore(ids, reason).await?;
    let mut s = String::new();
    for r in &done {
        let _ = writeln!(
            s,
            "restored {} {} ({} rows, kept by phase {})",
            r.kept.kind.word(),
            Escaped(&r.kept.object),
            r.kept.rows,
            Escaped(&r.kept.phase)
        );
        for n in &r.not_restored {
            let _ = writeln!(
                s,
                "  not restored: foreign key {} (its table is gone or has one of that name)",
                Escaped(n)
            );
        }
    }
    write_out(out, &s)
}

pub async fn purge(
    target: &Target,
    older_than: Option<Duration>,
    yes: bool,
    out: &mut impl Write,
) -> Result<(), Fail> {
    let session = db::connect(target).await?;
    let kept = trash::list(session.engine.client())
        .await
        .map_err(crate::engine::EngineError::from)?;
    let now = chrono::Utc::now();
    let doomed: Vec<&Kept> = kept
        .iter()
        .filter(|k| older_than.is_none_or(|d| (now - k.kept_at).to_std().unwrap_or_default() >= d))
        .collect();
    if doomed.is_empty() {
        return write_out(out, "nothing to purge\n");
    }
    let mut question = format!(
        "About to drop {} kept cop(ies) on {} for good:\n",
        doomed.len(),
        session.params
    );
    for k in &doomed {
        let _ = writeln!(question, "{}", line(k));
    }
    db::confirm(&question, "purge", yes)?;
    let gone = session.engine.purge(older_than).await?;
    let bytes: i64 = gone.iter().map(|k| k.bytes).sum();
    write_out(
        out,
        &format!(
            "purged {} kept cop(ies), {}\n",
            gone.len(),
            impact::size(bytes)
        ),
    )
}

/// The lines a confirmation adds for what a run keeps: each object, its size, and the time
/// the copy takes; or why nothing is kept.
pub fn confirmation(k: &Keeping, trash_max: u64, off: Option<&str>) -> String {
    let mut s = String::new();
    if let Some(why) = off {
        if !k.is_empty() {
            let _ = writeln!(s, "  Nothing it removes is kept: {}", Escaped(why));
        }
        return s;
    }
    if k.is_empty() {
        return s;
    }
    let _ = writeln!(
        s,
        "  Kept in pgstep_trash before it is removed: {} (about {} s to copy)",
        k.size(),
        k.estimate.as_secs().max(1)
    );
    for l in &k.losses {
        let _ = writeln!(s, "      {}", Escaped(&impact::describe(l)));
    }
    if k.bytes as u64 > trash_max {
        let _ = writeln!(
            s,
            "  That is above trash_max ({}): run again with --keep to keep it anyway, or \
             --no-keep REASON not to keep it",
            impact::size(trash_max as i64)
        );
    }
    s
}
