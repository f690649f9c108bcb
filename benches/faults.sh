#!/usr/bin/env bash
# The engine's fault tests, run many times over: SIGKILL at random moments (apply and
# rollback), server crashes mid-phase, connections cut mid-phase and after COMMIT, two
# operators racing on one history table, and hostile checks. Prints how many faults ran and
# that every run held (a run that does not hold fails the script).
#
# Usage: benches/faults.sh [KILLS] [CRASHES] [ROUNDS]
#   KILLS:   SIGKILLs of each kind (apply, rollback)     default 40
#   CRASHES: server crashes of each kind (tx, one-by-one) default 5
#   ROUNDS:  rounds of the proxy, race and hostile-check tests   default 10
set -euo pipefail

kills=${1:-40}
crashes=${2:-5}
rounds=${3:-10}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

run() {
    cargo test --quiet --test "$@" -- --nocapture 2>&1 | grep -oE "test result.*|killed while.*" \
        | sed 's/; finished in.*//' | tail -n 2
}

echo "SIGKILL: $kills during apply, $kills during rollback"
PGSTEP_FAULT_RUNS=$kills run engine_kills
echo "server crashes: $crashes during a transactional phase, $crashes during a one-by-one phase"
PGSTEP_FAULT_RUNS=$crashes run engine_crash
echo "cut connections, lost COMMIT replies, terminated sessions, lock races, in-flight kills: $rounds rounds"
for _ in $(seq "$rounds"); do
    run engine_faults
done | sort | uniq -c
echo "hostile checks: $rounds rounds"
for _ in $(seq "$rounds"); do
    run engine_checks_readonly
done | sort | uniq -c
