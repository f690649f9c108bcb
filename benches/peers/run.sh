#!/usr/bin/env bash
# run.sh [apply|status|stall|profile|all ...]: pgstep's engine measured against its peers in
# one interleaved run, with the shared harness in /work/shared/bench (read-only).
#
#   apply    N=1000 (a table + an index each): psql-1tx, psql-txfile, sqlx, refinery,
#            refinery-grouped, dbmate, pgstep; ops startup, apply, status, rollback (10)
#   status   N=10000 applied: `sqlx migrate info`, `dbmate status`, `pgstep status`
#   stall    benches/peers/stall.sh: longest pgbench transaction while each tool's
#            ALTER TABLE waits behind a 30 s lock (none, pgstep, pgstep-lt500, sqlx, dbmate)
#   profile  where pgstep's time goes at N=1000: client CPU, server CPU and the number of
#            client/server round trips of `pgstep up`, against sqlx (strace syscall counts)
#
# Raw rows go to benches/peers/results/ (n1000.tsv, n10000.tsv, stall.tsv, profile.txt);
# summaries are printed. Knobs: RUNS_APPLY [7], RUNS_STATUS [7], RUNS_STALL [3], HOLD [30],
# PGSTEP_BIN (default: `cargo build --release`, then a copy of target/release/pgstep, so a
# rebuild by someone else mid-run does not change the binary under test), BENCH_WORK.
# Peers: /work/shared/bench/install-peers.sh (or only sqlx-cli, refinery_cli and dbmate).
# The cluster is /work/shared/bench/pg-up.sh's (127.0.0.1:5498); if this script started it,
# it stops it at the end.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BENCH=${BENCH:-/work/shared/bench}
. "$BENCH/pg-env.sh"
OUT=${OUT:-$HERE/results}
export BENCH_WORK=${BENCH_WORK:-/tmp/pgstep-engine-bench/work}
mkdir -p "$OUT" "$BENCH_WORK"
WHAT=("$@"); (( ${#WHAT[@]} )) || WHAT=(all)
[[ " ${WHAT[*]} " == *" all "* ]] && WHAT=(apply status stall profile)

STARTED_PG=0
cleanup() { if [[ $STARTED_PG == 1 ]]; then "$BENCH/pg-down.sh" || true; fi; }
trap cleanup EXIT
if ! "$PGB_BIN/psql" -X -h "$PGB_HOST" -p "$PGB_PORT" -U "$PGB_USER" -d postgres -Atc 'select 1' >/dev/null 2>&1; then
  "$BENCH/pg-up.sh"; STARTED_PG=1
fi
sql() { "$PGB_BIN/psql" -X -q -h "$PGB_HOST" -p "$PGB_PORT" -U "$PGB_USER" -d postgres -Atc "$1"; }

if [[ -z ${PGSTEP_BIN:-} ]]; then
  (cd "$ROOT" && cargo build --release --quiet)
  PGSTEP_BIN=$BENCH_WORK/pgstep
  cp "$ROOT/target/release/pgstep" "$PGSTEP_BIN"
  built="built now from $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- src Cargo.toml Cargo.lock || echo ' + uncommitted changes in src')"
else
  built="given as PGSTEP_BIN=$PGSTEP_BIN"
fi
export PGSTEP_BIN
{ echo "pgstep: $("$PGSTEP_BIN" --version), sha256 $(sha256sum "$PGSTEP_BIN" | cut -c1-12), $built"
  echo "machine: $(nproc) cpus, $(free -g | awk '/^Mem/{print $2}') GiB, $(uname -r); server: $(sql 'show server_version')"
} | tee "$OUT/machine.txt"

# run-peers.sh uses fixed database names (b_<peer>_<op>): refuse to run next to another
# run of the harness on the same cluster.
harness_idle() {
  local busy; busy=$(sql "select string_agg(datname, ' ') from pg_database where datname ~ '^b_'")
  [[ -z $busy ]] || { echo "run.sh: databases $busy exist: another run-peers.sh is using this cluster" >&2; exit 1; }
}
peers_run() { # N RESULTS-file extra-env...
  local n=$1 res=$2; shift 2
  harness_idle
  env PEERS_EXTRA="$HERE/peer-pgstep.sh" RESULTS="$res" "$@" "$BENCH/run-peers.sh" "$n"
  FORMAT=tsv "$BENCH/summarize.sh" "$res" "$n" | column -t
}

for w in "${WHAT[@]}"; do
  case $w in
    apply)
      echo "== apply/status/rollback, N=1000"
      peers_run 1000 "$OUT/n1000.tsv" RUNS="${RUNS_APPLY:-7}" WARMUP=1 OPS="startup apply status rollback" \
        PEERS="psql-1tx psql-txfile sqlx refinery refinery-grouped dbmate pgstep" ;;
    status)
      echo "== status, N=10000 applied"
      peers_run 10000 "$OUT/n10000.tsv" RUNS="${RUNS_STATUS:-7}" WARMUP=1 OPS="status" \
        PEERS="sqlx dbmate pgstep" ;;
    stall)
      echo "== traffic stall"
      RUNS=${RUNS_STALL:-3} HOLD=${HOLD:-30} DURATION=$(( ${HOLD:-30} + 10 )) OUT=$OUT "$HERE/stall.sh" \
        none pgstep pgstep-lt500 sqlx dbmate ;;
    profile)
      echo "== profile: round trips and CPU of one apply of N=1000 (pgstep vs sqlx)"
      "$HERE/profile.sh" | tee "$OUT/profile.txt" ;;
    *) echo "run.sh: unknown part $w (apply|status|stall|profile|all)" >&2; exit 2 ;;
  esac
done
