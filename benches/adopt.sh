#!/usr/bin/env bash
# adopt.sh: what keeping an adopted tool in step costs. N migrations (a table each, sqlx's
# up/down layout) applied in one interleaved run by `sqlx migrate run`, by `pgstep up` alone
# (pgstep's own history only) and by `pgstep up` on a database whose _sqlx_migrations pgstep
# adopts (writing sqlx's row in each phase's transaction); then `sqlx migrate info` and
# `pgstep status` (which computes sqlx's SHA-384 of every file) on the N applied.
#
# Knobs: N [1000], RUNS [5], PGSTEP_BIN (default target/release/pgstep, built if missing).
# The cluster is /work/shared/bench/pg-up.sh's; if this script started it, it stops it.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BENCH=${BENCH:-/work/shared/bench}
. "$BENCH/pg-env.sh"
N=${N:-1000}
RUNS=${RUNS:-5}
PGSTEP_BIN=${PGSTEP_BIN:-$ROOT/target/release/pgstep}
[[ -x $PGSTEP_BIN ]] || (cd "$ROOT" && cargo build --release --quiet)
command -v sqlx >/dev/null || { echo "adopt.sh needs sqlx-cli: cargo install sqlx-cli --no-default-features --features rustls,postgres" >&2; exit 1; }

STARTED_PG=0
WORK=$(mktemp -d)
cleanup() {
  rm -rf "$WORK"
  if [[ $STARTED_PG == 1 ]]; then "$BENCH/pg-down.sh" || true; fi
}
trap cleanup EXIT
sql() { PGOPTIONS=--client-min-messages=warning "$PGB_BIN/psql" -X -q -h "$PGB_HOST" -p "$PGB_PORT" -U "$PGB_USER" -d postgres -Atc "$1"; }
if ! sql 'select 1' >/dev/null 2>&1; then "$BENCH/pg-up.sh"; STARTED_PG=1; fi
url() { echo "postgresql://$PGB_USER@$PGB_HOST:$PGB_PORT/$1"; }

mkdir -p "$WORK/m" "$WORK/empty"
for i in $(seq 1 "$N"); do
  printf 'CREATE TABLE t%d (id int);\n' "$i" > "$WORK/m/${i}_create_t$i.up.sql"
  printf 'DROP TABLE t%d;\n' "$i" > "$WORK/m/${i}_create_t$i.down.sql"
done

# Seconds of wall time of one command.
timed() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>"$WORK/err" || { cat "$WORK/err" >&2; exit 1; }; e=$(date +%s.%N); echo "$e - $s" | bc; }
fresh() { sql "DROP DATABASE IF EXISTS $1 WITH (FORCE)"; sql "CREATE DATABASE $1"; }

echo "pgstep $("$PGSTEP_BIN" --version) ($(git -C "$ROOT" rev-parse --short HEAD)), $(sqlx --version), N=$N, RUNS=$RUNS"
echo "machine: $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg), server $(sql 'show server_version')"
declare -A T
for r in $(seq 1 "$RUNS"); do
  fresh adopt_sqlx; fresh adopt_alone; fresh adopt_tool
  T[sqlx_up]+=" $(timed sqlx migrate run --source "$WORK/m" -D "$(url adopt_sqlx)?sslmode=disable")"
  T[alone_up]+=" $(timed "$PGSTEP_BIN" --url "$(url adopt_alone)" --dir "$WORK/m" up)"
  # sqlx makes its table, with nothing to apply; pgstep then adopts it.
  sqlx migrate run --source "$WORK/empty" -D "$(url adopt_tool)?sslmode=disable" >/dev/null
  T[tool_up]+=" $(timed "$PGSTEP_BIN" --url "$(url adopt_tool)" --dir "$WORK/m" up)"
  T[sqlx_info]+=" $(timed sqlx migrate info --source "$WORK/m" -D "$(url adopt_sqlx)?sslmode=disable")"
  T[alone_status]+=" $(timed "$PGSTEP_BIN" --url "$(url adopt_alone)" --dir "$WORK/m" status)"
  T[tool_status]+=" $(timed "$PGSTEP_BIN" --url "$(url adopt_tool)" --dir "$WORK/m" status)"
done
[[ $(sql "select count(*) from pg_database where datname = 'adopt_tool'") == 1 ]]
"$PGB_BIN/psql" -X -h "$PGB_HOST" -p "$PGB_PORT" -U "$PGB_USER" -d adopt_tool -Atc \
  "select 'sqlx rows written by pgstep: ' || count(*) from _sqlx_migrations"
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f", m}'; }
printf '%-36s %s\n' "what (median of $RUNS, seconds)" ""
for k in sqlx_up alone_up tool_up sqlx_info alone_status tool_status; do
  printf '%-36s %s   (runs:%s)\n' "$k" "$(echo "${T[$k]}" | median)" "${T[$k]}"
done
for d in adopt_sqlx adopt_alone adopt_tool; do sql "DROP DATABASE IF EXISTS $d WITH (FORCE)"; done
