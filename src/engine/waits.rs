//! What a backend is waiting for, polled from another connection while a phase runs.

use tokio_postgres::Client;

/// `pid`'s current lock wait, as a sentence: "waiting for lock on books held by pid 4242:
/// idle in transaction 3m12s". `None` when it waits for nothing.
pub async fn lock_wait(c: &Client, pid: i32) -> Result<Option<String>, tokio_postgres::Error> {
    let row = c
        .query_opt(
            "SELECT coalesce(l.relation::regclass::text, l.locktype), b.pid,
                    coalesce(b.state, 'unknown'),
                    extract(epoch FROM now() - coalesce(b.xact_start, b.query_start))::bigint,
                    coalesce(nullif(b.application_name, ''), b.usename::text, '?')
             FROM pg_locks l
             CROSS JOIN LATERAL unnest(pg_blocking_pids(l.pid)) AS bp(pid)
             JOIN pg_stat_activity b ON b.pid = bp.pid
             WHERE l.pid = $1 AND NOT l.granted
             ORDER BY b.xact_start NULLS LAST
             LIMIT 1",
            &[&pid],
        )
        .await?;
    Ok(row.map(|r| {
        let what: String = r.get(0);
        let holder: i32 = r.get(1);
        let state: String = r.get(2);
        let age: Option<i64> = r.get(3);
        let app: String = r.get(4);
        let age = age.map(age_text).unwrap_or_default();
        format!("waiting for lock on {what} held by pid {holder} ({app}): {state} {age}")
            .trim_end()
            .to_string()
    }))
}

/// `3m12s`, `45s`, `2h05m`.
pub fn age_text(secs: i64) -> String {
    let s = secs.max(0);
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn ages() {
        assert_eq!(super::age_text(5), "5s");
        assert_eq!(super::age_text(192), "3m12s");
        assert_eq!(super::age_text(7500), "2h05m");
        assert_eq!(super::age_text(-3), "0s");
    }
}
