# Sourced by the scripts that check lint findings on a real server (lint_truth.sh,
# lint_exists.sh): finds psql, builds pgstep unless PGSTEP names one, creates the throwaway
# database NAME_PID on the cluster of ADMIN_URL (default the bench cluster), runs SETUP_SQL
# there first when given, and drops it with the work directory at exit.
# Usage: throwaway_db NAME DIR [ADMIN_URL]; sets psql, PGSTEP, db, url and work.
throwaway_db() {
    local name=$1
    admin=${3:-postgresql://postgres@127.0.0.1:5498/postgres}
    local root
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    psql=${PSQL:-$(command -v psql || ls /usr/lib/postgresql/*/bin/psql 2>/dev/null | sort -V | tail -n1)}
    [[ -x $psql ]] || { echo "psql is needed: apt-get install postgresql-client" >&2; exit 2; }
    if [[ -z ${PGSTEP:-} ]]; then
        cargo build --release --quiet --manifest-path "$root/Cargo.toml" --bin pgstep
        PGSTEP=${CARGO_TARGET_DIR:-$root/target}/release/pgstep
    fi
    db=${name}_$$
    url=${admin%/*}/$db
    "$psql" -X -q -d "$admin" -c "CREATE DATABASE $db"
    # SETUP_SQL: what the project needs before its first migration (roles, stand-ins for an
    # extension the server lacks), run on the throwaway database first.
    if [[ -n ${SETUP_SQL:-} ]]; then
        "$psql" -X -q -v ON_ERROR_STOP=1 -d "$url" -f "$SETUP_SQL"
    fi
    work=$(mktemp -d)
    trap 'cleanup_throwaway_db' EXIT
}

cleanup_throwaway_db() {
    "$psql" -X -q -d "$admin" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true
    rm -rf "$work"
}
