#!/usr/bin/env bash
# The Indexes and Materialized views monitoring views on a large catalog: a throwaway
# database with 1,000 tables x 5 indexes (5,000, plus 100 on the views) and 200
# materialized views (half over plain views, half with a unique index), then the median
# wall time of `pgstep indexes --json` and `pgstep matviews --json` (connect included)
# and of their single query (the `query_ms` of the JSON). Target: each under 500 ms.
#
# Usage: benches/monitor.sh [RUNS]   (default 5)
# Server: PGSTEP_BENCH_URL (a role that may CREATE DATABASE), else the bench harness's
# cluster on 127.0.0.1:5498 (/work/shared/bench/pg-up.sh). The database is dropped at exit.
set -euo pipefail

runs=${1:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
admin=${PGSTEP_BENCH_URL:-postgresql://postgres@127.0.0.1:5498/postgres}
db=pgstep_bench_monitor_$$
out=$(mktemp)
url=$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$admin" "$db")

if ! psql -X -q "$admin" -Atc 'select 1' >/dev/null 2>&1; then
    echo "no server at $admin: start one with /work/shared/bench/pg-up.sh or set PGSTEP_BENCH_URL" >&2
    exit 1
fi
psql -X -q "$admin" -c "CREATE DATABASE $db"
trap 'rm -f "$out" "$out.w" "$out.q"; psql -X -q "$admin" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"' EXIT

cargo build --release --quiet --manifest-path "$root/Cargo.toml" --bin pgstep
bin=${CARGO_TARGET_DIR:-$root/target}/release/pgstep

# 10 batches of 100 tables, so no transaction needs thousands of locks.
for batch in $(seq 0 9); do
    psql -X -q "$url" -v ON_ERROR_STOP=1 <<SQL
DO \$\$
BEGIN
  FOR t IN $((batch * 100 + 1))..$((batch * 100 + 100)) LOOP
    EXECUTE format('CREATE TABLE t%s (id int PRIMARY KEY, a int, b int, c text, d timestamptz)', t);
    EXECUTE format('CREATE INDEX t%s_a ON t%s (a)', t, t);
    EXECUTE format('CREATE INDEX t%s_ab ON t%s (a, b)', t, t);
    EXECUTE format('CREATE INDEX t%s_c ON t%s (lower(c)) WHERE d IS NOT NULL', t, t);
    EXECUTE format('CREATE INDEX t%s_d ON t%s (d DESC)', t, t);
    EXECUTE format('INSERT INTO t%s SELECT g, g %% 10, g, md5(g::text), now() FROM generate_series(1, 20) g', t);
  END LOOP;
END \$\$;
SQL
done
psql -X -q "$url" -v ON_ERROR_STOP=1 <<'SQL'
DO $$
BEGIN
  FOR m IN 1..200 LOOP
    IF m % 2 = 0 THEN
      EXECUTE format('CREATE VIEW v%s AS SELECT x.id, x.a, y.b FROM t%s x JOIN t%s y USING (id)',
                     m, m, m + 200);
      EXECUTE format('CREATE MATERIALIZED VIEW mv%s AS SELECT a, count(*) AS n FROM v%s GROUP BY a', m, m);
      EXECUTE format('CREATE UNIQUE INDEX mv%s_a ON mv%s (a)', m, m);
    ELSE
      EXECUTE format('CREATE MATERIALIZED VIEW mv%s AS SELECT a, sum(b) AS s FROM t%s GROUP BY a', m, m);
    END IF;
  END LOOP;
END $$;
ANALYZE;
SQL

indexes=$(psql -X -q "$url" -Atc "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'")
matviews=$(psql -X -q "$url" -Atc "SELECT count(*) FROM pg_matviews")
# A few refreshes through pgstep, so the event log has refresh events to join.
for m in 1 2 3 4 5 6 7 8 9 10; do
    "$bin" --url "$url" matviews --refresh "mv$m" --yes >/dev/null 2>&1
done

# Median of `runs` of: wall ms of the command (connect included), and the query_ms it reports.
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
measure() {
    "$bin" --url "$url" "$1" --json >/dev/null
    : >"$out.w"
    : >"$out.q"
    for _ in $(seq "$runs"); do
        start=$(date +%s%N)
        "$bin" --url "$url" "$1" --json >"$out"
        echo $((($(date +%s%N) - start) / 1000000)) >>"$out.w"
        python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["query_ms"])' "$out" >>"$out.q"
    done
    echo "$(median <"$out.w") $(median <"$out.q")"
}

read -r iw iq < <(measure indexes)
read -r mw mq < <(measure matviews)
verdict() { if (($1 < 500)); then echo ok; else echo MISSED; fi; }
server=$(psql -X -q "$url" -Atc 'SHOW server_version')
echo
echo "PostgreSQL $server, $indexes indexes, $matviews materialized views, $(nproc) cores," \
    "load average $(cut -d' ' -f1-3 /proc/loadavg), median of $runs"
echo "| view | command wall (ms) | query (ms) | target < 500 ms |"
echo "|---|---|---|---|"
echo "| pgstep indexes --json | $iw | $iq | $(verdict "$iw") |"
echo "| pgstep matviews --json | $mw | $mq | $(verdict "$mw") |"
