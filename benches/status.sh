#!/usr/bin/env bash
# `pgstep status` of 10,000 applied migrations against `dbmate status`, in two shapes:
#   dbmate folder: pgstep adopts dbmate's own database (its schema_migrations) and reads the
#                  same 10,000 files dbmate reads;
#   sqlx folder:   pgstep on a database it migrated itself from the sqlx layout (20,000
#                  files: each migration's .up.sql and .down.sql).
# Every command runs once per round, in turn (A B C A B C ...), so the machine's load falls
# on all of them alike; wall time by the clock, CPU (user + system) by wait4. Prints each
# command's medians, the per-round ratio to dbmate, and the load average before and after.
#
# Setup, once (a throwaway cluster with pg-up.sh's settings; use a port of your own):
#   export PGB_PORT=5481 PGB_DATA=/tmp/status_pg
#   /work/shared/bench/pg-up.sh
#   bash /work/shared/bench/gen-migrations.sh 10000 $M
#   createdb st_pgstep; createdb st_dbmate   (on that cluster)
#   dbmate --url "$H/st_dbmate?sslmode=disable" --migrations-dir $M/dbmate --no-dump-schema up
#   target/release/pgstep --dir $M/sqlx --url "$H/st_pgstep?sslmode=disable" up
# Then:
#   M=/tmp/status_wt/mig H=postgres://postgres@127.0.0.1:5481 benches/status.sh
# Environment: BIN (default target/release/pgstep), PEERS (more pgstep binaries to measure
# beside it, space-separated), ROUNDS (default 20), WARMUP (default 2).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
M=${M:?M: the folder gen-migrations.sh wrote}
H=${H:?H: the cluster, postgres://user@host:port}
BIN=${BIN:-$root/target/release/pgstep}
export M H BIN PEERS=${PEERS:-} ROUNDS=${ROUNDS:-20} WARMUP=${WARMUP:-2}

# The figures mean nothing unless every binary sees all 10,000 applied, in both shapes.
for bin in $BIN $PEERS; do
    for shape in dbmate:st_dbmate sqlx:st_pgstep; do
        "$bin" status --json --dir "$M/${shape%%:*}" --url "$H/${shape#*:}?sslmode=disable" |
            python3 -c 'import json, sys
d = json.load(sys.stdin)
states = [m["state"] for m in d["migrations"]]
n = states.count("applied")
tool = (d["adopted"] or {}).get("tool")
print(f"{sys.argv[1]} on {sys.argv[2]}: {n} of {len(states)} applied, adopted: {tool}")
sys.exit(0 if n == len(states) == 10000 else 1)' "$bin" "${shape%%:*}"
    done
done

exec python3 - <<'EOF'
import os, statistics, subprocess, sys, time

M, H = os.environ["M"], os.environ["H"]
bins = [os.environ["BIN"]] + os.environ["PEERS"].split()
rounds, warmup = int(os.environ["ROUNDS"]), int(os.environ["WARMUP"])
url = lambda db: f"{H}/{db}?sslmode=disable"
shapes = {
    "dbmate": [(f"pgstep {b} --dir dbmate", [b, "status", "--dir", f"{M}/dbmate", "--url", url("st_dbmate")]) for b in bins],
    "sqlx": [(f"pgstep {b} --dir sqlx", [b, "status", "--dir", f"{M}/sqlx", "--url", url("st_pgstep")]) for b in bins],
}
dbmate = ("dbmate status", ["dbmate", "--url", url("st_dbmate"), "--migrations-dir", f"{M}/dbmate", "status"])

def run(argv):
    start = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        sys.exit(f"{argv} failed: {status}")
    return wall, usage.ru_utime, usage.ru_stime

for shape, cmds in shapes.items():
    cmds = cmds + [dbmate]
    for _ in range(warmup):
        for _, argv in cmds:
            run(argv)
    load_before = os.getloadavg()
    got = {name: [] for name, _ in cmds}
    for r in range(rounds):
        # The order turns each round, so no command always runs right after another.
        for name, argv in cmds[r % len(cmds):] + cmds[: r % len(cmds)]:
            got[name].append(run(argv))
    load_after = os.getloadavg()
    print(f"\n{shape} folder, {rounds} rounds, load average (1, 5, 15 min) before "
          f"{' '.join(f'{x:.2f}' for x in load_before)}, after {' '.join(f'{x:.2f}' for x in load_after)}")
    print(f"{'command':<60} {'wall':>7} {'user':>7} {'sys':>7} {'cpu':>7} {'wall/dbmate':>12} {'cpu/dbmate':>11}")
    base = got[dbmate[0]]
    for name, runs in got.items():
        med = lambda i: statistics.median(x[i] for x in runs)
        cpu = statistics.median(x[1] + x[2] for x in runs)
        wall_ratio = statistics.median(a[0] / b[0] for a, b in zip(runs, base))
        cpu_ratio = statistics.median((a[1] + a[2]) / (b[1] + b[2]) for a, b in zip(runs, base))
        print(f"{name:<60} {med(0):7.3f} {med(1):7.3f} {med(2):7.3f} {cpu:7.3f} {wall_ratio:12.2f} {cpu_ratio:11.2f}")
EOF
