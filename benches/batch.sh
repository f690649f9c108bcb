#!/usr/bin/env bash
# batch.sh: the same data change on a big table as one UPDATE (what other migration tools
# send) and as a pgstep batched step, while pgbench runs single-row updates and reads on that
# table; and the batched step again with a standby whose replay is slowed, under
# Max-Replica-Lag.
#
# One run, on a primary and a streaming standby of its own (pg_basebackup -R), in a new
# directory under /tmp, removed afterwards:
#   t (id int PRIMARY KEY, v int, a int, b int, c int) WITH (fillfactor = 50), ROWS rows
#   pgbench -c CLIENTS -R RATE: `UPDATE t SET v = v + 1 WHERE id = :id` and `SELECT v FROM t
#   WHERE id = :id`, one statement per transaction, half and half, at a fixed rate, with a
#   per-transaction log. At a fixed rate a blocked client does not stop the clock: each
#   transaction's latency runs from when it was scheduled (the schedule lag included), as the
#   application sees it, so a stall counts every transaction that queued behind it, not only
#   the one that waited (a closed loop would send none meanwhile and hide the stall).
#   quiet    5 s of traffic alone
#   single   psql: UPDATE t SET a = id % 7                        (then VACUUM t, untimed)
#   batched  pgstep up: -- Batch: t.id SIZE  UPDATE t SET b = id % 7 WHERE id >= $1 AND id < $2
#   gated    the standby gets recovery_min_apply_delay = DELAY; pgstep up with
#            -- Max-Replica-Lag: LAG, the same step on column c
# For each: pgbench's p50, p99 and max latency over the transactions scheduled while the
# change ran (its window only), how many took over 500 ms, the change's duration, the standby's largest lag (sampled
# every 100 ms) and, for the batched steps, the WAL one batch wrote (the step's WAL shared
# out over its batches).
#
# Environment: ROWS [2000000]  CLIENTS [4]  RATE [400, transactions per second in all]
#   SIZE [10000]  LAG [16MB]  DELAY [2s]
#   PGSTEP_BIN [target/release/pgstep]  OUT [benches/results]
# fsync, synchronous_commit and full_page_writes are off on both servers (as in
# /work/shared/bench/pg-up.sh): the figures compare the two ways on one server, they are not
# durable-commit latencies. Needs about 1.2 GB free in /tmp.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
ROWS=${ROWS:-2000000}
CLIENTS=${CLIENTS:-4}
RATE=${RATE:-400}
SIZE=${SIZE:-10000}
LAG=${LAG:-16MB}
DELAY=${DELAY:-2s}
PGSTEP_BIN=${PGSTEP_BIN:-$ROOT/target/release/pgstep}
OUT=${OUT:-$HERE/results}
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
[[ -x $BIN/pg_ctl && -x $PGSTEP_BIN ]] || { echo "batch.sh: need PostgreSQL server binaries and $PGSTEP_BIN" >&2; exit 2; }
avail=$(df --output=avail -k /tmp | tail -n1)
(( avail > 1200000 )) || { echo "batch.sh: only $((avail / 1024)) MB free in /tmp; needs 1.2 GB" >&2; exit 2; }

as_pg() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

WORK=$(mktemp -d /tmp/pgstep-batch.XXXXXX)
chmod 755 "$WORK"
[[ $(id -u) == 0 ]] && chown postgres "$WORK"
BGPIDS=()
cleanup() {
  local p
  for p in "${BGPIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for d in standby primary; do
    [[ -f $WORK/$d/postmaster.pid ]] && as_pg "$BIN/pg_ctl" -D "$WORK/$d" -m immediate stop >/dev/null 2>&1 || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

P=$(free_port)
S=$(free_port)
OPTS="-c listen_addresses=127.0.0.1 -k $WORK -c fsync=off -c synchronous_commit=off \
 -c full_page_writes=off -c autovacuum=off -c shared_buffers=256MB -c max_wal_size=128MB \
 -c min_wal_size=32MB -c checkpoint_timeout=30s"
as_pg "$BIN/initdb" -D "$WORK/primary" -U postgres -A trust -E UTF8 --locale=C --no-sync >/dev/null
as_pg "$BIN/pg_ctl" -D "$WORK/primary" -l "$WORK/primary.log" -w -o "-p $P $OPTS" start >/dev/null
psql_p() { "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$P" -U postgres -d bench -Atc "$1"; }
"$BIN/psql" -X -q -h 127.0.0.1 -p "$P" -U postgres -d postgres -c "CREATE DATABASE bench"
psql_p "CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL DEFAULT 0, a int, b int, c int)
        WITH (fillfactor = 50);
        INSERT INTO t (id) SELECT g FROM generate_series(1, $ROWS) g;"
psql_p "VACUUM ANALYZE t"
as_pg "$BIN/pg_basebackup" -D "$WORK/standby" -R -X stream -h 127.0.0.1 -p "$P" -U postgres --no-sync
echo "wal_receiver_status_interval = '1s'" | as_pg tee -a "$WORK/standby/postgresql.auto.conf" >/dev/null
as_pg "$BIN/pg_ctl" -D "$WORK/standby" -l "$WORK/standby.log" -w -o "-p $S $OPTS" start >/dev/null

URL="postgres://postgres@127.0.0.1:$P/bench?sslmode=disable"
mkdir -p "$WORK/plan"
printf -- '-- Step: Backfill b\n-- Batch: t.id %s\nUPDATE t SET b = id %% 7 WHERE id >= $1 AND id < $2;\n' \
  "$SIZE" > "$WORK/plan/001_b.sql"
printf -- '-- Max-Replica-Lag: %s\n\n-- Step: Backfill c\n-- Batch: t.id %s\nUPDATE t SET c = id %% 7 WHERE id >= $1 AND id < $2;\n' \
  "$LAG" "$SIZE" > "$WORK/plan/002_c.sql"
printf '\\set id random(1, %s)\nUPDATE t SET v = v + 1 WHERE id = :id;\n' "$ROWS" > "$WORK/upd.sql"
printf '\\set id random(1, %s)\nSELECT v FROM t WHERE id = :id;\n' "$ROWS" > "$WORK/read.sql"

# The standby's lag, every 100 ms: "epoch bytes".
(
  while true; do
    l=$(psql_p "SELECT coalesce(max(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)), 0)::int8 FROM pg_stat_replication" 2>/dev/null || echo)
    [[ -n $l ]] && echo "$(date +%s.%N) $l"
    sleep 0.1
  done
) > "$WORK/lag.log" &
BGPIDS+=($!)

(cd "$WORK" && "$BIN/pgbench" -n -h 127.0.0.1 -p "$P" -U postgres -c "$CLIENTS" -j 2 -T 3600 -R "$RATE" \
  -f upd.sql@1 -f read.sql@1 --log --log-prefix="$WORK/pgb" bench >"$WORK/pgbench.out" 2>&1) &
PGBENCH=$!
BGPIDS+=($PGBENCH)
sleep 3

WINDOWS=()
wal() { psql_p "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::int8"; }
window() { # label command...
  local label=$1; shift
  local w0 t0 t1 w1
  w0=$(wal)
  t0=$(date +%s.%N)
  "$@" >"$WORK/$label.out" 2>&1 || { echo "batch.sh: $label failed:" >&2; cat "$WORK/$label.out" >&2; exit 1; }
  t1=$(date +%s.%N)
  w1=$(wal)
  WINDOWS+=("$label $t0 $t1 $((w1 - w0)) $(cut -d' ' -f1 /proc/loadavg)")
  sleep 3
}

window quiet sleep 5
window single psql_p "UPDATE t SET a = id % 7"
psql_p "VACUUM t"
window batched "$PGSTEP_BIN" --url "$URL" --dir "$WORK/plan" up --to 001
psql_p "VACUUM t"
echo "recovery_min_apply_delay = '$DELAY'" | as_pg tee -a "$WORK/standby/postgresql.auto.conf" >/dev/null
as_pg "$BIN/pg_ctl" -D "$WORK/standby" reload >/dev/null
sleep 2
window gated "$PGSTEP_BIN" --url "$URL" --dir "$WORK/plan" up
kill -TERM "$PGBENCH" 2>/dev/null || true
wait "$PGBENCH" 2>/dev/null || true

batches=$(psql_p "SELECT string_agg(version || '=' || batch_done, ' ') FROM schema_migrations")
mkdir -p "$OUT"
stamp=$(date -u +%Y-%m-%dT%H:%MZ)
python3 - "$WORK" "$stamp" "$ROWS" "$CLIENTS" "$RATE" "$SIZE" "$LAG" "$DELAY" "$batches" "${WINDOWS[@]}" <<'PY' | tee -a "$OUT/batch.tsv"
import glob, sys
work, stamp, rows, clients, rate, size, lag, delay, batches = sys.argv[1:10]
windows = [w.split() for w in sys.argv[10:]]
done = dict(b.split("=") for b in batches.split())
tx = []
for f in glob.glob(f"{work}/pgb.*"):
    for line in open(f):
        p = line.split()
        if len(p) < 6:
            continue
        # From the scheduled start to the end: the schedule lag is in it.
        lat = int(p[2]) / 1e6
        end = int(p[4]) + int(p[5]) / 1e6
        tx.append((end - lat, end, lat))
lags = []
for line in open(f"{work}/lag.log"):
    t, b = line.split()
    lags.append((float(t), int(b)))
def pct(xs, q):
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")
units = {"kb": 1 << 10, "mb": 1 << 20, "gb": 1 << 30}
limit = int(lag[:-2]) * units[lag[-2:].lower()]
print("# when\trows\tclients\trate\tsize\tchange\tseconds\ttx\tp50_ms\tp99_ms\tmax_ms\tover_500ms\tmax_lag_MB\twal_MB\tbatches\twal_per_batch_MB\tlimit_plus_batch_MB\tload_1min")
for label, t0, t1, wal, load in windows:
    t0, t1, wal = float(t0), float(t1), int(wal)
    lat = sorted(l for s, e, l in tx if t0 <= s < t1)
    lmax = max((b for t, b in lags if t0 <= t <= t1), default=0)
    n = {"batched": done.get("001"), "gated": done.get("002")}.get(label)
    per = wal / int(n) if n else None
    print("\t".join(str(x) for x in [
        stamp, rows, clients, rate, size, label, f"{t1 - t0:.1f}", len(lat),
        f"{pct(lat, .5) * 1000:.1f}", f"{pct(lat, .99) * 1000:.1f}",
        f"{(lat[-1] if lat else 0) * 1000:.0f}", sum(1 for l in lat if l > .5),
        f"{lmax / 2**20:.2f}", f"{wal / 2**20:.0f}", n or "-",
        f"{per / 2**20:.2f}" if per else "-",
        f"{(limit + per) / 2**20:.2f}" if per and label == "gated" else "-",
        load,
    ]))
PY
