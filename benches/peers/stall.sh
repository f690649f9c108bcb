#!/usr/bin/env bash
# stall.sh [TOOL...]: how long does a migration tool stall application traffic when its
# ALTER TABLE has to wait for a lock?
#
# Per run and tool, on a fresh database with a table t (ROWS rows):
#   t=0      pgbench -n -c CLIENTS -T DURATION -P 1 --log with a script doing
#            BEGIN; SELECT v FROM t WHERE id=:id; UPDATE t SET v=v+1 WHERE id=:id; COMMIT;
#   t≈2 s    a "holder" session: BEGIN; LOCK TABLE t IN ACCESS SHARE MODE; pg_sleep(HOLD); COMMIT
#            (what a long report or an idle-in-transaction session that read t does)
#   t≈3 s    the tool applies one migration: ALTER TABLE t ADD COLUMN c1 int
# The ALTER needs ACCESS EXCLUSIVE, so it queues behind the holder, and every pgbench
# transaction queues behind the ALTER for as long as the ALTER waits. The result is the
# longest pgbench transaction (per-transaction log, microseconds), the tool's wall time and
# exit status, and whether the column was added.
#
# Tools: none (control: holder only, no migration), pgstep (default lock_timeout 2 s with
# retries), pgstep-lt500 (same file in the native layout with `-- Lock-Timeout: 500ms`),
# sqlx (`sqlx migrate run`), dbmate (`dbmate migrate`), psql (plain `psql -c`, no timeout).
#
# Environment: RUNS [3]  HOLD [30]  DURATION [40]  CLIENTS [4]  ROWS [10000]
#   OUT [benches/peers/results]  PGSTEP_BIN  SQLX_BIN  DBMATE_BIN  (paths of the binaries)
# Appends one row per run to $OUT/stall.tsv; prints a median table at the end.
# Everything is on 127.0.0.1:5498 (the cluster of /work/shared/bench/pg-up.sh), every
# process is bounded in time, and each run's database is dropped afterwards.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH=${BENCH:-/work/shared/bench}
. "$BENCH/pg-env.sh"

RUNS=${RUNS:-3}
HOLD=${HOLD:-30}
DURATION=${DURATION:-40}
CLIENTS=${CLIENTS:-4}
ROWS=${ROWS:-10000}
OUT=${OUT:-$HERE/results}
TOOLS=("$@")
(( ${#TOOLS[@]} )) || TOOLS=(none pgstep pgstep-lt500 sqlx dbmate)
(( RUNS >= 1 && RUNS <= 20 && HOLD >= 1 && HOLD <= 120 && DURATION > HOLD && DURATION <= 180 )) \
  || { echo "stall.sh: need 1<=RUNS<=20, 1<=HOLD<=120, HOLD<DURATION<=180" >&2; exit 2; }

PGSTEP_BIN=${PGSTEP_BIN:-}
SQLX_BIN=${SQLX_BIN:-$(command -v sqlx || true)}
DBMATE_BIN=${DBMATE_BIN:-$(ls "$(npm root -g 2>/dev/null)"/dbmate/node_modules/@dbmate/linux-x64/bin/dbmate 2>/dev/null || command -v dbmate || true)}
PSQL=("$PGB_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PGB_HOST" -p "$PGB_PORT" -U "$PGB_USER")
PGBENCH=$PGB_BIN/pgbench
URL_BASE="postgres://$PGB_USER@$PGB_HOST:$PGB_PORT/"

WORK=$(mktemp -d /tmp/pgstep-stall.XXXXXX)
CURDB=""
BGPIDS=()
cleanup() {
  local p
  for p in "${BGPIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${BGPIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  [[ -n $CURDB ]] && sql "DROP DATABASE IF EXISTS \"$CURDB\" WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
sql() { PGOPTIONS='-c client_min_messages=warning' "${PSQL[@]}" -d postgres -Atc "$1"; }

# The same migration in each tool's layout.
mkdir -p "$WORK"/{sqlx,native,dbmate}
printf 'ALTER TABLE t ADD COLUMN c1 int;\n' > "$WORK/sqlx/000001_add_c1.up.sql"
printf 'ALTER TABLE t DROP COLUMN c1;\n' > "$WORK/sqlx/000001_add_c1.down.sql"
printf -- '-- Lock-Timeout: 500ms\n\nALTER TABLE t ADD COLUMN c1 int;\n\n-- DOWN\nALTER TABLE t DROP COLUMN c1;\n' \
  > "$WORK/native/000001_add_c1.sql"
printf -- '-- migrate:up\nALTER TABLE t ADD COLUMN c1 int;\n\n-- migrate:down\nALTER TABLE t DROP COLUMN c1;\n' \
  > "$WORK/dbmate/000001_add_c1.sql"
cat > "$WORK/txn.sql" <<'SQL'
\set id random(1, 10000)
BEGIN;
SELECT v FROM t WHERE id = :id;
UPDATE t SET v = v + 1 WHERE id = :id;
COMMIT;
SQL
sed -i "s/random(1, 10000)/random(1, $ROWS)/" "$WORK/txn.sql"

tool_cmd() { # $1 tool, $2 db -> CMD
  local u="${URL_BASE}$2?sslmode=disable"
  case $1 in
    none)         CMD=() ;;
    pgstep)       CMD=("$PGSTEP_BIN" up --dir "$WORK/sqlx" --url "$u") ;;
    pgstep-lt500) CMD=("$PGSTEP_BIN" up --dir "$WORK/native" --url "$u") ;;
    sqlx)         CMD=("$SQLX_BIN" migrate run --no-dotenv --source "$WORK/sqlx" -D "$u") ;;
    dbmate)       CMD=("$DBMATE_BIN" --no-dump-schema -d "$WORK/dbmate" --url "$u" migrate) ;;
    psql)         CMD=("${PSQL[@]}" -d "$2" -c 'ALTER TABLE t ADD COLUMN c1 int') ;;
    *) echo "stall.sh: unknown tool $1" >&2; exit 2 ;;
  esac
}
for t in "${TOOLS[@]}"; do
  tool_cmd "$t" x
  if (( ${#CMD[@]} )) && [[ ! -x ${CMD[0]} ]]; then echo "stall.sh: $t: binary not found (${CMD[0]:-unset})" >&2; exit 2; fi
done

mkdir -p "$OUT"
RES=$OUT/stall.tsv
[[ -f $RES ]] || printf 'utc\ttool\trun\thold_s\tclients\ttool_wall_s\ttool_rc\tcolumn_added\ttx\tmax_latency_ms\tp99_ms\ttx_over_1s\ttx_over_3s\tload1\n' > "$RES"
echo "stall.sh: HOLD=${HOLD}s DURATION=${DURATION}s CLIENTS=$CLIENTS RUNS=$RUNS tools: ${TOOLS[*]} -> $RES"

wait_holder() { # until the holder has the lock (max 10 s)
  local i
  for ((i = 0; i < 100; i++)); do
    [[ $("${PSQL[@]}" -d "$1" -Atc "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
              WHERE a.application_name = 'stall_holder' AND l.granted AND l.mode = 'AccessShareLock'
                AND l.relation = 'public.t'::regclass") -ge 1 ]] && return 0
    sleep 0.1
  done
  return 1
}

one_run() { # $1 tool, $2 run
  local tool=$1 run=$2 db="eng_stall_${1//-/_}_${2}_$$" dir="$WORK/run-$1-$2"
  mkdir -p "$dir"
  CURDB=$db
  sql "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null
  sql "CREATE DATABASE \"$db\"" >/dev/null
  "${PSQL[@]}" -d "$db" -c "CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL DEFAULT 0, note text);
    INSERT INTO t (id, note) SELECT g, md5(g::text) FROM generate_series(1, $ROWS) g; ANALYZE t;" >/dev/null
  sql CHECKPOINT >/dev/null
  local load1; read -r load1 _ < /proc/loadavg

  BGPIDS=()
  timeout $((DURATION + HOLD + 30)) "$PGBENCH" -n -h "$PGB_HOST" -p "$PGB_PORT" -U "$PGB_USER" \
    -c "$CLIENTS" -j 1 -T "$DURATION" -P 1 --log --log-prefix="$dir/tx" -f "$WORK/txn.sql" "$db" \
    > "$dir/pgbench.out" 2>&1 &
  local pgb=$!; BGPIDS+=("$pgb")
  sleep 2
  PGAPPNAME=stall_holder timeout $((HOLD + 20)) "${PSQL[@]}" -d "$db" \
    -c "BEGIN" -c "LOCK TABLE t IN ACCESS SHARE MODE" -c "SELECT pg_sleep($HOLD)" -c "COMMIT" \
    > "$dir/holder.out" 2>&1 &
  local holder=$!; BGPIDS+=("$holder")
  wait_holder "$db" || { echo "stall.sh: holder did not get its lock" >&2; exit 1; }
  sleep 1

  local wall="" rc="" t0 t1
  tool_cmd "$tool" "$db"
  if (( ${#CMD[@]} )); then
    t0=$EPOCHREALTIME
    set +e
    timeout $((HOLD + 30)) "${CMD[@]}" > "$dir/tool.out" 2>&1
    rc=$?
    set -e
    t1=$EPOCHREALTIME
    wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}')
  fi
  wait "$holder" || true
  wait "$pgb" || { echo "stall.sh: pgbench failed, see $dir/pgbench.out" >&2; cat "$dir/pgbench.out" >&2; exit 1; }
  BGPIDS=()
  local added
  added=$("${PSQL[@]}" -d "$db" -Atc "SELECT count(*) FROM information_schema.columns WHERE table_name = 't' AND column_name = 'c1'")
  # per-transaction log: client_id tx_no latency_us script_no epoch epoch_us
  local stats
  stats=$(cat "$dir"/tx.* | awk '{print $3}' | sort -n | awk '
    { a[NR] = $1; if ($1 > 1e6) o1++; if ($1 > 3e6) o3++ }
    END { p = int(NR * 0.99); if (p < 1) p = 1
          printf "%d\t%.1f\t%.1f\t%d\t%d", NR, a[NR] / 1000, a[p] / 1000, o1, o3 }')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$tool" "$run" "$HOLD" "$CLIENTS" \
    "$wall" "$rc" "$([[ $added == 1 ]] && echo yes || echo no)" "$stats" "$load1" >> "$RES"
  printf '   %-13s run %d: tool %5ss rc=%-3s column=%-3s %s\n' "$tool" "$run" "${wall:--}" "${rc:--}" \
    "$([[ $added == 1 ]] && echo yes || echo no)" \
    "$(awk -F'\t' '{printf "tx=%d max=%.0f ms p99=%.0f ms >1s:%d >3s:%d", $1, $2, $3, $4, $5}' <<<"$stats")"
  [[ $tool == pgstep* ]] && cp "$dir/tool.out" "$OUT/stall-$tool-run$run.out"
  sql "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null
  CURDB=""
}

nt=${#TOOLS[@]}
for ((r = 1; r <= RUNS; r++)); do
  echo "-- run $r/$RUNS"
  for ((j = 0; j < nt; j++)); do one_run "${TOOLS[$(( (j + r - 1) % nt ))]}" "$r"; done
done

echo
echo "| tool | runs | longest pgbench tx, median (min–max) | tx > 3 s (median) | tool wall, median | tool exit | column added |"
echo "|---|---|---|---|---|---|---|"
for t in "${TOOLS[@]}"; do
  awk -F'\t' -v t="$t" -v h="$HOLD" -v c="$CLIENTS" '
    function med(s,  a, n, i, j, x) { n = split(s, a, " "); for (i = 2; i <= n; i++) { x = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
      return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
    NR > 1 && $2 == t && $4 == h && $5 == c {
      n++; mx = mx " " $10; o3 = o3 " " $13; w = w " " $6; rc[$7]++; col[$8]++
      if (min == "" || $10 + 0 < min) min = $10 + 0; if ($10 + 0 > max) max = $10 + 0 }
    END { if (!n) exit
      rcs = ""; for (k in rc) rcs = rcs (rcs ? ", " : "") (k == "" ? "-" : k) "×" rc[k]
      cs = ""; for (k in col) cs = cs (cs ? ", " : "") k "×" col[k]
      printf "| %s | %d | %.2f s (%.2f–%.2f) | %g | %s | %s | %s |\n", t, n, med(mx) / 1000, min / 1000, max / 1000, med(o3),
        (t == "none" ? "-" : sprintf("%.2f s", med(w))), rcs, cs }' "$RES"
done
