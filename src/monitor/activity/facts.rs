//! Facts about the tables a statement touches, for the apply and rollback dialogs: how big a
//! table an ALTER locks, what a DOWN drops, and who holds locks on it now.

use serde::{Deserialize, Serialize};
use tokio_postgres::Client;

use super::{Error, Session, read_json, session_json};

/// A session holding (or waiting for) locks on a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LockHolder {
    pub session: Session,
    /// The modes it holds: `RowExclusiveLock`, ...
    pub modes: Vec<String>,
    /// The mode it waits for, if it waits.
    pub waiting_for: Option<String>,
}

/// What a dialog says about a table a statement touches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableFacts {
    /// As asked.
    pub name: String,
    pub exists: bool,
    /// `table`, `partitioned table`, `view`, `materialized view`, `index`, ...
    pub kind: Option<String>,
    /// With indexes and TOAST, over all partitions.
    pub bytes: Option<i64>,
    /// `pg_size_pretty` of `bytes`.
    pub size: Option<String>,
    /// True when another session holds or awaits an ACCESS EXCLUSIVE lock on it, so the size
    /// comes from the catalog's page counts (as of the last VACUUM or ANALYZE) rather than
    /// from the files, which could only be measured by queueing for a lock.
    pub bytes_estimated: bool,
    /// The planner's estimate; `None` when never analyzed.
    pub rows_estimate: Option<i64>,
    /// Other sessions with locks on it (or a partition of it) now.
    pub lock_holders: Vec<LockHolder>,
}

impl TableFacts {
    /// `users (217 rows, 64 kB), held by pid 4242 psql (alice): idle in transaction 3m`.
    pub fn describe(&self) -> String {
        if !self.exists {
            return format!("{} (does not exist)", self.name);
        }
        let mut facts = Vec::new();
        if let Some(r) = self.rows_estimate {
            facts.push(format!("~{r} rows"));
        }
        if let Some(s) = &self.size {
            facts.push(if self.bytes_estimated {
                format!("~{s}")
            } else {
                s.clone()
            });
        }
        let mut s = if facts.is_empty() {
            self.name.clone()
        } else {
            format!("{} ({})", self.name, facts.join(", "))
        };
        let held: Vec<String> = self
            .lock_holders
            .iter()
            .map(|h| h.session.describe())
            .collect();
        if !held.is_empty() {
            s.push_str(&format!(", held by {}", held.join("; ")));
        }
        s
    }
}

/// Whether `name` reads as `[schema.]relation` (bare or double-quoted parts), so that
/// `to_regclass` answers NULL rather than raising an error that would fail the whole view.
fn plausible_name(name: &str) -> bool {
    let mut parts = 0;
    let mut chars = name.chars().peekable();
    loop {
        parts += 1;
        if chars.peek() == Some(&'"') {
            chars.next();
            let mut empty = true;
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                    }
                    Some('"') => break,
                    Some(_) => {}
                    None => return false,
                }
                empty = false;
            }
            if empty {
                return false;
            }
        } else {
            let mut empty = true;
            while let Some(&c) = chars.peek() {
                if c == '.' {
                    break;
                }
                if c == '"' || c.is_whitespace() || c == '\0' {
                    return false;
                }
                chars.next();
                empty = false;
            }
            if empty {
                return false;
            }
        }
        match chars.next() {
            None => return parts <= 2,
            Some('.') => continue,
            Some(_) => return false,
        }
    }
}

/// `s` as an SQL string literal, right whatever `standard_conforming_strings` says.
fn literal(s: &str) -> String {
    let quoted = s.replace('\'', "''");
    if s.contains('\\') {
        format!("E'{}'", quoted.replace('\\', "\\\\"))
    } else {
        format!("'{quoted}'")
    }
}

fn facts_sql(names: &[&String]) -> String {
    let list: Vec<String> = names.iter().map(|n| literal(n)).collect();
    format!(
        "WITH n AS (SELECT * FROM unnest(ARRAY[{list}]::text[]) WITH ORDINALITY AS n(name, i)),
         c AS (SELECT n.name, n.i, c.* FROM n LEFT JOIN pg_class c ON c.oid = to_regclass(n.name)),
         ax AS MATERIALIZED (SELECT DISTINCT relation FROM pg_locks
            WHERE locktype = 'relation' AND mode = 'AccessExclusiveLock'
              AND pid <> pg_backend_pid()),
         parts AS (SELECT c.i, r.oid, r.relkind, r.relpages, r.reltoastrelid, r.reltuples
            FROM c JOIN pg_class r ON r.oid = c.oid AND c.relkind <> 'p'
            UNION ALL
            SELECT c.i, r.oid, r.relkind, r.relpages, r.reltoastrelid, r.reltuples
            FROM c CROSS JOIN LATERAL pg_partition_tree(c.oid) t
            JOIN pg_class r ON r.oid = t.relid WHERE c.relkind = 'p'),
         sized AS (SELECT p.i, p.oid, p.relkind, p.reltuples,
            p.oid IN (SELECT relation FROM ax) OR EXISTS (SELECT 1 FROM pg_index ix
                WHERE ix.indrelid = p.oid AND ix.indexrelid IN (SELECT relation FROM ax))
                AS locked,
            (p.relpages + coalesce((SELECT sum(x.relpages) FROM pg_index ix
                JOIN pg_class x ON x.oid = ix.indexrelid WHERE ix.indrelid = p.oid), 0)
             + coalesce((SELECT t.relpages FROM pg_class t WHERE t.oid = p.reltoastrelid), 0)
            )::bigint * current_setting('block_size')::bigint AS pages_bytes FROM parts p),
         totals AS (SELECT s.i, bool_or(s.locked) AS estimated,
            sum(CASE WHEN s.locked THEN s.pages_bytes ELSE pg_total_relation_size(s.oid) END)
                ::bigint AS bytes,
            -- A partitioned parent's own estimate repeats its partitions' sum.
            sum(s.reltuples) FILTER (WHERE s.reltuples >= 0 AND s.relkind <> 'p')::bigint
                AS rows
            FROM sized s GROUP BY s.i),
         held AS (SELECT p.i, l.pid, array_agg(DISTINCT l.mode::text) FILTER (WHERE l.granted)
                AS modes, max(l.mode) FILTER (WHERE NOT l.granted) AS waiting_for
            FROM parts p JOIN pg_locks l ON l.locktype = 'relation' AND l.relation = p.oid
            WHERE l.pid <> pg_backend_pid() GROUP BY p.i, l.pid)
         SELECT jsonb_agg(jsonb_build_object('name', c.name, 'exists', c.oid IS NOT NULL,
            'kind', CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'partitioned table'
                WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'i' THEN 'index'
                WHEN 'I' THEN 'partitioned index' WHEN 'S' THEN 'sequence'
                WHEN 'f' THEN 'foreign table' WHEN 't' THEN 'TOAST table' END,
            'bytes', t.bytes, 'size', pg_size_pretty(t.bytes),
            'bytes_estimated', coalesce(t.estimated, false), 'rows_estimate', t.rows,
            'lock_holders', coalesce((SELECT jsonb_agg(jsonb_build_object('session', {j},
                    'modes', coalesce(h.modes, '{{}}'), 'waiting_for', h.waiting_for)
                    ORDER BY a.xact_start NULLS LAST, h.pid)
                FROM held h JOIN pg_stat_activity a ON a.pid = h.pid WHERE h.i = c.i), '[]'))
            ORDER BY c.i)::text
         FROM c LEFT JOIN totals t ON t.i = c.i",
        list = list.join(", "),
        j = session_json("a"),
    )
}

/// Size, row estimate and current lock holders of each of `names` (as `to_regclass` reads
/// them: `users`, `app.users`, `"Users"`), in order.
pub async fn table_facts(client: &Client, names: &[String]) -> Result<Vec<TableFacts>, Error> {
    let asked: Vec<&String> = names.iter().filter(|n| plausible_name(n)).collect();
    let mut found: Vec<TableFacts> = if asked.is_empty() {
        Vec::new()
    } else {
        read_json(client, &facts_sql(&asked)).await?
    };
    found.reverse();
    Ok(names
        .iter()
        .map(|n| {
            if plausible_name(n)
                && let Some(f) = found.pop()
            {
                return f;
            }
            TableFacts {
                name: n.clone(),
                exists: false,
                kind: None,
                bytes: None,
                size: None,
                bytes_estimated: false,
                rows_estimate: None,
                lock_holders: Vec::new(),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::super::tests::session;
    use super::*;

    #[test]
    fn names_that_to_regclass_would_reject_are_caught() {
        for ok in [
            "users",
            "app.users",
            "\"Users\"",
            "\"odd \"\"x\"\"\".t",
            "a$1",
        ] {
            assert!(plausible_name(ok), "{ok}");
        }
        for bad in ["", "a.b.c", "\"open", "a b", "\"\"", "a.", ".a", "a\"b"] {
            assert!(!plausible_name(bad), "{bad}");
        }
    }

    #[test]
    fn literals_survive_either_string_mode() {
        assert_eq!(literal("it's"), "'it''s'");
        assert_eq!(literal("a\\b'"), "E'a\\\\b'''");
    }

    #[test]
    fn table_lines_name_sizes_and_holders() {
        let mut f = TableFacts {
            name: "users".into(),
            exists: true,
            kind: Some("table".into()),
            bytes: Some(65536),
            size: Some("64 kB".into()),
            bytes_estimated: false,
            rows_estimate: Some(217),
            lock_holders: Vec::new(),
        };
        assert_eq!(f.describe(), "users (~217 rows, 64 kB)");
        f.lock_holders.push(LockHolder {
            session: session(4242, Some("idle in transaction"), Some(180.0), "BEGIN"),
            modes: vec!["AccessExclusiveLock".into()],
            waiting_for: None,
        });
        f.bytes_estimated = true;
        assert_eq!(
            f.describe(),
            "users (~217 rows, ~64 kB), held by pid 4242 psql (alice): idle in transaction \
             3m00s: BEGIN"
        );
    }
}
