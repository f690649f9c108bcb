#!/usr/bin/env bash
# fleet.sh: one plan over many databases. 60 targets (3 throwaway clusters x 20 databases,
# each a copy of the demo's seeded v1.0 database) x the bundled seven-phase plan
# (migrations/), applied three ways, interleaved in one run:
#   sequential  `pgstep --url TARGET up` on each target, one after another
#   fleet-8     `pgstep fleet bench up --yes` with parallel = 8, per_server = 3
#   fleet-1     the same with parallel = 1
# Each way starts from fresh copies (dropped and copied again, untimed). Then `pgstep fleet
# NAME status` over 300 targets (100 per cluster, each a migrated target's schema and history
# without its data), timed RUNS times; after each, its floor: three `pgbench -C` at once,
# one per cluster, each opening READ_PER_SERVER sessions at a time that run `SELECT 1` (as
# many sessions as that cluster has status targets, rounded up to a whole number per client;
# all on one database). Prints the median of each and the load average at the time, and for
# each way and run the CPU time spent: the client's (pgstep's or pgbench's, user + system) and
# the three servers' (their postmasters' own and their ended backends', from /proc): on 2
# cores, half the sum is a floor no number of targets at once can beat. Then one more status
# run with the servers logging connections gives the sessions at once on each server.
#
# Knobs: RUNS [3] (status runs), ROUNDS [1] (rounds of the three ways), PER [20] (targets
#   per cluster), STATUS_PER [100] (status targets per cluster), WAYS [sequential fleet-8
#   fleet-1] (the ways to apply the plan; empty for status alone), READ_PER_SERVER [8, the
#   default] (status sessions at once on one server), PORTS [three free ones] (the
#   clusters' ports, as "P1 P2 P3"), PGSTEP_BIN [target/release/pgstep, built if missing]
# fsync, synchronous_commit and full_page_writes are off: these are the tool's figures, not
# durable-commit latencies. Needs about 4 GB free in /tmp; everything is removed afterwards.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
RUNS=${RUNS:-3}
ROUNDS=${ROUNDS:-1}
PER=${PER:-20}
STATUS_PER=${STATUS_PER:-100}
WAYS=${WAYS-sequential fleet-8 fleet-1}
READ_PER_SERVER=${READ_PER_SERVER:-8}
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
read -ra PORTS <<<"${PORTS:-}"
cleanup() {
  local k
  for k in 0 1 2; do
    [[ -f $WORK/pg$k/postmaster.pid ]] && as_pg "$BIN/pg_ctl" -D "$WORK/pg$k" -m immediate stop >/dev/null 2>&1 || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

for k in 0 1 2; do
  [[ -n ${PORTS[$k]:-} ]] || PORTS[$k]=$(free_port)
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

config() { # parallel per_server prefix [read_per_server]
  local d=""
  for k in 0 1 2; do
    d+="{ url = \"$(url "${PORTS[$k]}" postgres)\", query = \"SELECT format('$(url "${PORTS[$k]}" "")%s', datname) FROM pg_database WHERE datname LIKE '$3%' ORDER BY datname\" },"
  done
  printf '[fleets.bench]\ndiscover = [%s]\ncanary = 1\nwaves = ["10%%", "50%%", "100%%"]\nparallel = %s\nper_server = %s\nread_per_server = %s\nmax_failures = 1\n' "$d" "$1" "$2" "${4:-8}" > "$WORK/pgstep.toml"
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
  for way in $WAYS; do
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

# The last way left tenant_00 at the plan's head; without one, it is migrated here.
if [[ -z $WAYS ]]; then
  for k in 0 1 2; do
    psql_on "${PORTS[$k]}" -d postgres -c "CREATE DATABASE tenant_00 TEMPLATE seed STRATEGY FILE_COPY"
    "$PGSTEP_BIN" --url "$(url "${PORTS[$k]}" tenant_00)" --dir "$ROOT/migrations" up >/dev/null 2>"$WORK/err" \
      || { cat "$WORK/err" >&2; exit 1; }
  done
fi

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
config 8 3 status_ "$READ_PER_SERVER"
status() {
  "$PGSTEP_BIN" --config "$WORK/pgstep.toml" --dir "$ROOT/migrations" fleet bench status >"$WORK/status.txt" 2>"$WORK/err" \
    || { cat "$WORK/err" >&2; exit 1; }
  grep -q "now: $((3 * STATUS_PER)) at-head" "$WORK/status.txt" || { cat "$WORK/status.txt" >&2; exit 1; }
}
echo 'SELECT 1;' > "$WORK/one.sql"
EACH=$(( (STATUS_PER + READ_PER_SERVER - 1) / READ_PER_SERVER ))
floor() {
  local k
  local k pids=()
  for k in 0 1 2; do
    "$BIN/pgbench" -h 127.0.0.1 -p "${PORTS[$k]}" -U postgres -n -C -c "$READ_PER_SERVER" \
      -t "$EACH" -f "$WORK/one.sql" status_000 >/dev/null 2>"$WORK/err$k" &
    pids+=($!)
  done
  for k in 0 1 2; do wait "${pids[$k]}" || { cat "$WORK/err$k" >&2; exit 1; }; done
}
for r in $(seq 1 "$RUNS"); do
  for way in status floor; do
    client_cpu; c0=$CLIENT; s0=$(server_cpu)
    s=$(now)
    $way
    e=$(now)
    client_cpu
    CPU[$way]+="$(echo "$CLIENT - $c0" | bc)+$(echo "$(server_cpu) - $s0" | bc) "
    record "$way" "$(echo "$e - $s" | bc)"
    LOADS+="$(load) "
  done
done
echo "fleet status of $((3 * STATUS_PER)) targets at the head: $(head -1 "$WORK/status.txt")" >&2

# Sessions at once per server in one more status run, from the servers' connection logs.
logging() { # on|off
  local k v=on
  [[ $1 == on ]] || v=off
  for k in 0 1 2; do
    psql_on "${PORTS[$k]}" -d postgres -c "ALTER SYSTEM SET log_connections = $v" \
      -c "ALTER SYSTEM SET log_disconnections = $v" -c "SELECT pg_reload_conf()" >/dev/null
  done
  sleep 1
}
logging on
declare -a MARK
for k in 0 1 2; do MARK[$k]=$(wc -l <"$WORK/pg$k.log"); done
status
logging off
AT_ONCE=""
for k in 0 1 2; do
  AT_ONCE+="$(tail -n +$((MARK[$k] + 1)) "$WORK/pg$k.log" \
    | awk '/connection authorized: .*database=status_/ { n++; if (n > m) m = n }
           /disconnection: .*database=status_/ { n-- } END { print m + 0 }') "
done

printf '%-34s %10s   %s\n' "way${WAYS:+ ($((3 * PER)) targets x 7 phases)}" "median s" "runs"
for way in $WAYS; do
  m=$(median "${TIMES[$way]}")
  ratio=""
  [[ -n ${TIMES[sequential]:-} ]] && ratio=$(printf '%.2fx of sequential; ' "$(echo "$m / $(median "${TIMES[sequential]}")" | bc -l)")
  printf '%-34s %10.2f   %s(%sCPU s pgstep+servers per round: %s)\n' "$way" "$m" "${TIMES[$way]}" "$ratio" "${CPU[$way]}"
done
printf '%-34s %10.2f   %s(CPU s pgstep+servers per run: %s)\n' "fleet status, $((3 * STATUS_PER)) targets" "$(median "${TIMES[status]}")" "${TIMES[status]}" "${CPU[status]}"
printf '%-34s %10.2f   %s(CPU s pgbench+servers per run: %s)\n' "floor, 3 x $READ_PER_SERVER x $EACH x SELECT 1" "$(median "${TIMES[floor]}")" "${TIMES[floor]}" "${CPU[floor]}"
echo "status sessions at once per server (read_per_server = $READ_PER_SERVER): $AT_ONCE"
echo "load average (1 min) around the runs: $LOADS"
