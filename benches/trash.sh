#!/usr/bin/env bash
# trash.sh: what keeping costs. The rollback of a phase dropping a ROWS-row table (a bigint
# key, a short and a 100-byte text column, a timestamp), with keeping (the default) and with
# `--no-keep`, interleaved in one run on two databases built alike; the difference is the
# copy. Then `pgstep restore` of the kept table (rows, key and index rebuilt), against the
# copy time (goal: restore < 2x copy).
#
# Knobs: ROWS [1000000], RUNS [3], PGSTEP_BIN (default target/release/pgstep, built if
# missing). The cluster is /work/shared/bench/pg-up.sh's (PGB_PORT etc. to use another); if
# this script started it, it stops it.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BENCH=${BENCH:-/work/shared/bench}
. "$BENCH/pg-env.sh"
ROWS=${ROWS:-1000000}
RUNS=${RUNS:-3}
PGSTEP_BIN=${PGSTEP_BIN:-$ROOT/target/release/pgstep}
[[ -x $PGSTEP_BIN ]] || (cd "$ROOT" && cargo build --release --quiet)

STARTED_PG=0
WORK=$(mktemp -d)
cleanup() {
  for d in trash_keep trash_nokeep; do sql "DROP DATABASE IF EXISTS $d WITH (FORCE)" || true; done
  rm -rf "$WORK"
  if [[ $STARTED_PG == 1 ]]; then "$BENCH/pg-down.sh" || true; fi
}
sql() { PGOPTIONS=--client-min-messages=warning "$PGB_BIN/psql" -X -q -h "$PGB_HOST" -p "$PGB_PORT" -U "$PGB_USER" -d "${2:-postgres}" -Atc "$1"; }
if ! sql 'select 1' >/dev/null 2>&1; then "$BENCH/pg-up.sh"; STARTED_PG=1; fi
trap cleanup EXIT
url() { echo "postgresql://$PGB_USER@$PGB_HOST:$PGB_PORT/$1"; }

mkdir -p "$WORK/m"
cat > "$WORK/m/001_big.sql" <<SQL
CREATE TABLE big AS
    SELECT g::bigint AS id, 'name ' || g AS name, repeat(md5(g::text), 3) AS payload,
           '2026-01-01'::timestamptz + g * interval '1 s' AS created
    FROM generate_series(1, $ROWS) g;
ALTER TABLE big ADD PRIMARY KEY (id);
CREATE INDEX big_created ON big (created);
-- DOWN
DROP TABLE big;
SQL

timed() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>"$WORK/err" || { cat "$WORK/err" >&2; exit 1; }; e=$(date +%s.%N); echo "$e - $s" | bc; }
fresh() { sql "DROP DATABASE IF EXISTS $1 WITH (FORCE)"; sql "CREATE DATABASE $1"; }
pg() { "$PGSTEP_BIN" --url "$(url "$1")" --dir "$WORK/m" "${@:2}"; }

echo "pgstep $("$PGSTEP_BIN" --version) ($(git -C "$ROOT" rev-parse --short HEAD)), ROWS=$ROWS, RUNS=$RUNS"
echo "machine: $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg), server $(sql 'show server_version')"
declare -A T
for r in $(seq 1 "$RUNS"); do
  fresh trash_keep; fresh trash_nokeep
  pg trash_keep up >/dev/null; pg trash_nokeep up >/dev/null
  sql CHECKPOINT
  T[down_nokeep]+=" $(timed pg trash_nokeep down --steps 1 --yes --no-keep benchmark)"
  T[down_keep]+=" $(timed pg trash_keep down --steps 1 --yes)"
  id=$(sql "SELECT max(id) FROM pgstep_trash.kept" trash_keep)
  T[bytes]+=" $(sql "SELECT pg_total_relation_size('pgstep_trash.kept_$id')" trash_keep)"
  sql CHECKPOINT
  T[restore]+=" $(timed pg trash_keep restore "$id" --yes)"
  [[ $(sql "SELECT count(*) FROM big" trash_keep) == "$ROWS" ]]
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f", m}'; }
keep=$(echo "${T[down_keep]}" | median)
nokeep=$(echo "${T[down_nokeep]}" | median)
restore=$(echo "${T[restore]}" | median)
bytes=$(echo "${T[bytes]}" | median)
copy=$(echo "$keep - $nokeep" | bc)
printf '%-34s %s\n' "what (median of $RUNS, seconds)" ""
for k in down_nokeep down_keep restore; do
  printf '%-34s %s   (runs:%s)\n' "$k" "$(echo "${T[$k]}" | median)" "${T[$k]}"
done
printf '%-34s %s\n' "copy (down_keep - down_nokeep)" "$copy"
printf '%-34s %s\n' "restore / copy" "$(echo "scale=2; $restore / $copy" | bc)"
printf '%-34s %.0f MB/s (%s bytes kept)\n' "copy rate" "$(echo "$bytes / $copy / 1048576" | bc -l)" "$bytes"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
