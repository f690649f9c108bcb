#!/usr/bin/env bash
# fleet.sh: one plan over many databases. 60 targets (3 throwaway clusters x 20 databases,
# each a copy of the demo's seeded v1.0 database) x the bundled seven-phase plan
# (migrations/), applied three ways, interleaved in one run:
#   sequential  `pgstep --url TARGET up` on each target, one after another
#   fleet-8     `pgstep fleet bench up --yes` with parallel = 8, per_server = 3
#   fleet-1     the same with parallel = 1
# Each way starts from fresh copies (dropped and copied again, untimed). Then `pgstep fleet
# NAME status` over 300 targets (100 per cluster, each a migrated target's schema and history
# without its data), timed RUNS times. Prints the median of each and the load average at the
# time, and for each way the CPU time spent: pgstep's (user + system) and the three servers'
# (their postmasters' own and their ended backends', from /proc): on 2 cores, half the sum is
# a floor no number of targets at once can beat.
#
# Knobs: RUNS [3] (status runs), ROUNDS [1] (rounds of the three ways), PER [20] (targets
#   per cluster), STATUS_PER [100] (status targets per cluster),
#   PGSTEP_BIN [target/release/pgstep, built if missing]
# fsync, synchronous_commit and full_page_writes are off: these are the tool's figures, not
# durable-commit latencies. Needs about 4 GB free in /tmp; everything is removed afterwards.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
RUNS=${RUNS:-3}
ROUNDS=${ROUNDS:-1}
PER=${PER:-20}
STATUS_PER=${STATUS_PER:-100}
LAST=$(printf '%02d' $((PER - 1)))
PGSTEP_BIN=${PGSTEP_BIN:-$ROOT/target/release/pgstep}
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
[[ -x $PGSTEP_BIN ]] || (cd "$ROOT" && cargo build --release --quiet)
[[ -x $BIN/pg_ctl ]] || { echo "fleet.sh: needs PostgreSQL server binaries" >&2; exit 2; }

as_pg() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

WORK=$(mktemp -d /tmp/pgstep-fleet.XXXXXX)
chmod 755 "$WORK"
[[ $(id -u) == 0 ]] && chown postgres "$WORK"
PORTS=()
cleanup() {
  local k
  for k in 0 1 2; do
    [[ -f $WORK/pg$k/postmaster.pid ]] && as_pg "$BIN/pg_ctl" -D "$WORK/pg$k" -m immediate stop >/dev/null 2>&1 || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

for k in 0 1 2; do
  PORTS[$k]=$(free_port)
  as_pg "$BIN/initdb" -D "$WORK/pg$k" -U postgres --auth=trust -E UTF8 >/dev/null
  as_pg "$BIN/pg_ctl" -D "$WORK/pg$k" -l "$WORK/pg$k.log" -w -o "-p ${PORTS[$k]} -k $WORK \
    -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null
done
psql_on() { local port=$1; shift; PGOPTIONS=--client-min-messages=warning "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres "$@"; }
url() { echo "postgresql://postgres@127.0.0.1:$1/$2"; }

# The demo's v1.0 database, as `pgstep demo` loads it, as each cluster's template `seed`.
for k in 0 1 2; do
  p=${PORTS[$k]}
  psql_on "$p" -d postgres -c "CREATE DATABASE seed"
  psql_on "$p" -d seed -f "$ROOT/assets/demo/schema_v1_0.sql" >/dev/null
  psql_on "$p" -d seed -c "SELECT pgstep_demo_load(1)" >/dev/null
  psql_on "$p" -d seed -f "$ROOT/assets/demo/documents.sql" >/dev/null
  psql_on "$p" -d seed -c "REFRESH MATERIALIZED VIEW recent_activity_view" >/dev/null
  psql_on "$p" -d seed -f "$ROOT/assets/demo/activity.sql" >/dev/null
  psql_on "$p" -d seed -c "REFRESH MATERIALIZED VIEW user_document_stats" >/dev/null
done
echo "seed database: $(psql_on "${PORTS[0]}" -d postgres -Atc "SELECT pg_size_pretty(pg_database_size('seed'))")" >&2

# Fresh copies of the seed: tenant_00 .. tenant_19 on each cluster.
fresh() {
  local k n
  for k in 0 1 2; do
    for n in $(seq -f '%02g' 0 "$LAST"); do
      psql_on "${PORTS[$k]}" -d postgres -c "DROP DATABASE IF EXISTS tenant_$n WITH (FORCE)" \
        -c "CREATE DATABASE tenant_$n TEMPLATE seed STRATEGY FILE_COPY"
    done
  done
}

config() { # parallel per_server prefix
  local d=""
  for k in 0 1 2; do
    d+="{ url = \"$(url "${PORTS[$k]}" postgres)\", query = \"SELECT format('$(url "${PORTS[$k]}" "")%s', datname) FROM pg_database WHERE datname LIKE '$3%' ORDER BY datname\" },"
  done
  printf '[fleets.bench]\ndiscover = [%s]\ncanary = 1\nwaves = ["10%%", "50%%", "100%%"]\nparallel = %s\nper_server = %s\nmax_failures = 1\n' "$d" "$1" "$2" > "$WORK/pgstep.toml"
}

now() { date +%s.%N; }
# CPU seconds of this shell's ended children (pgstep runs) and of the servers so far.
# `times` runs in this shell, never in a command substitution: a subshell has no children of
# its own yet. The pgstep runs' seconds are left in CLIENT.
client_cpu() {
  times > "$WORK/times"
  CLIENT=$(tail -1 "$WORK/times" | awk '{ for (i = 1; i <= 2; i++) { split($i, a, /m|s/); t += a[1] * 60 + a[2] } } END { printf "%.2f", t }')
}
server_cpu() {
  local k t=0 f
  for k in 0 1 2; do
    read -ra f < "/proc/$(head -1 "$WORK/pg$k/postmaster.pid")/stat"
    t=$((t + f[13] + f[14] + f[15] + f[16]))
  done
  echo "scale=2; $t / $(getconf CLK_TCK)" | bc
}
declare -A CPU
declare -A TIMES
record() { TIMES[$1]+="$2 "; }
median() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
load() { cut -d' ' -f1 /proc/loadavg; }
LOADS=""

sequential() {
  local s e k n
  s=$(now)
  for k in 0 1 2; do
    for n in $(seq -f '%02g' 0 "$LAST"); do
      "$PGSTEP_BIN" --url "$(url "${PORTS[$k]}" "tenant_$n")" --dir "$ROOT/migrations" up >/dev/null 2>"$WORK/err" \
        || { cat "$WORK/err" >&2; exit 1; }
    done
  done
  e=$(now)
  echo "$e - $s" | bc
}

fleet() { # parallel per_server
  local s e
  config "$1" "$2" tenant_
  s=$(now)
  "$PGSTEP_BIN" --config "$WORK/pgstep.toml" --dir "$ROOT/migrations" fleet bench up --yes >/dev/null 2>"$WORK/err" \
    || { tail -20 "$WORK/err" >&2; exit 1; }
  e=$(now)
  echo "$e - $s" | bc
}

for r in $(seq 1 "$ROUNDS"); do
  for way in sequential fleet-8 fleet-1; do
    fresh
    LOADS+="$(load) "
    client_cpu; c0=$CLIENT; s0=$(server_cpu)
    case $way in
      sequential) t=$(sequential) ;;
      fleet-8) t=$(fleet 8 3) ;;
      fleet-1) t=$(fleet 1 1) ;;
    esac
    LOADS+="$(load) "
    client_cpu
    CPU[$way]+="$(echo "$CLIENT - $c0" | bc)+$(echo "$(server_cpu) - $s0" | bc) "
    record "$way" "$t"
    echo "round $r $way: $t s (load $(load))" >&2
  done
done

# Targets at the plan's head for status: STATUS_PER copies per cluster of a migrated target's
# schema with its history rows and no other data (status reads nothing else), to spare the
# disk.
for k in 0 1 2; do
  psql_on "${PORTS[$k]}" -d postgres -c "CREATE DATABASE head"
  "$BIN/pg_dump" -h 127.0.0.1 -p "${PORTS[$k]}" -U postgres -d tenant_00 --schema-only \
    | psql_on "${PORTS[$k]}" -d head >/dev/null
  "$BIN/pg_dump" -h 127.0.0.1 -p "${PORTS[$k]}" -U postgres -d tenant_00 --data-only \
    --disable-triggers -t 'schema_migrations*' | psql_on "${PORTS[$k]}" -d head >/dev/null
  for n in $(seq -f '%03g' 0 $((STATUS_PER - 1))); do
    psql_on "${PORTS[$k]}" -d postgres -c "CREATE DATABASE status_$n TEMPLATE head STRATEGY FILE_COPY"
  done
done
config 8 3 status_
for r in $(seq 1 "$RUNS"); do
  s=$(now)
  "$PGSTEP_BIN" --config "$WORK/pgstep.toml" --dir "$ROOT/migrations" fleet bench status >"$WORK/status.txt" 2>"$WORK/err" \
    || { cat "$WORK/err" >&2; exit 1; }
  e=$(now)
  grep -q "now: $((3 * STATUS_PER)) at-head" "$WORK/status.txt" || { cat "$WORK/status.txt" >&2; exit 1; }
  record status "$(echo "$e - $s" | bc)"
  LOADS+="$(load) "
done
echo "fleet status of $((3 * STATUS_PER)) targets at the head: $(head -1 "$WORK/status.txt")" >&2

seq_m=$(median "${TIMES[sequential]}")
printf '%-34s %10s   %s\n' "way ($((3 * PER)) targets x 7 phases)" "median s" "runs"
for way in sequential fleet-8 fleet-1; do
  m=$(median "${TIMES[$way]}")
  printf '%-34s %10.2f   %s(%.2fx of sequential; CPU s pgstep+servers per round: %s)\n' "$way" "$m" "${TIMES[$way]}" "$(echo "$m / $seq_m" | bc -l)" "${CPU[$way]}"
done
printf '%-34s %10.2f   %s\n' "fleet status, $((3 * STATUS_PER)) targets" "$(median "${TIMES[status]}")" "${TIMES[status]}"
echo "load average (1 min) around the runs: $LOADS"
