#!/usr/bin/env bash
# check.sh: verifies the demo assets and the bundled plan on a throwaway database.
#
#   assets/demo/check.sh [SCALE]        (default 1)
#
# Needs a running PostgreSQL reachable as PGCHECK_URL (default postgresql://postgres@127.0.0.1:5477)
# and the pgstep binary as PGSTEP (default ./target/debug/pgstep). It creates and drops the
# database pgstep_demo_check_<scale>. It loads the assets the way `pgstep demo` does (each
# file as one batch; the scale session setting carries over), records every v1.0 table's
# row count and content checksum and the schema, then runs plan, up, verify, down --all,
# compares everything with the recording, and runs up again.
set -euo pipefail
cd "$(dirname "$0")/../.."

SCALE=${1:-1}
BASE=${PGCHECK_URL:-postgresql://postgres@127.0.0.1:5477}
PGSTEP=${PGSTEP:-./target/debug/pgstep}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
DB=pgstep_demo_check_$SCALE
URL=$BASE/$DB
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

psql_() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }
t0() { date +%s.%N; }
since() { echo "$(date +%s.%N) - $1" | bc; }

psql_ "$BASE/postgres" -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"

echo "== load (scale $SCALE)"
start=$(t0)
# One session, each file sent as a single query string, as batch_execute does.
psql_ "$URL" \
  -c "$(cat assets/demo/schema_v1_0.sql)" \
  -c "SELECT pgstep_demo_load($SCALE)" \
  -c "$(cat assets/demo/documents.sql)" \
  -c "$(cat assets/demo/activity.sql)" \
  -c "ANALYZE"
echo "loaded in $(since "$start") s"

TABLES=${TABLES:-"users refresh_tokens file_uploads analysis_requests analysis_results prompts prompt_history
resume_documents job_documents optimization_results research_results document_audit_log"}

snapshot() {
  for t in $TABLES; do
    psql_ "$URL" -At -c "SELECT '$t', count(*), md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM $t t"
  done
}
# The schema without pgstep's own objects (history tables, their trigger function) and
# pg_dump's per-run \restrict keys and SET lines (which chunk they fall in varies).
schema() {
  "$PGBIN/pg_dump" --schema-only --no-owner -T 'schema_migrations*' "$URL" | python3 -c '
import re, sys
parts = re.split(r"(?m)^--\n-- Name: ", sys.stdin.read())
keep = [p for p in parts if "schema_migrations" not in p.split("\n", 1)[0]]
text = "\n--\n-- Name: ".join(keep)
text = re.sub(r"(?m)^(\\(un)?restrict |SET ).*$", "", text)
print("\n".join(l for l in text.splitlines() if l.strip()))'
}

snapshot > "$WORK/before.txt"
schema > "$WORK/schema_before.sql"
cat "$WORK/before.txt"

echo "== plan"
"$PGSTEP" plan --dir migrations 2> "$WORK/plan.err"
if [[ -s $WORK/plan.err ]]; then echo "plan printed warnings:"; cat "$WORK/plan.err"; exit 1; fi

echo "== up"
start=$(t0)
"$PGSTEP" up --dir migrations --url "$URL"
echo "up took $(since "$start") s"

echo "== verify"
"$PGSTEP" verify --dir migrations --url "$URL"

psql_ "$URL" -c "SELECT * FROM migration_v1_1_summary" \
  -c "SELECT role, count(*) FROM users GROUP BY 1 ORDER BY 1"

echo "== down --all"
start=$(t0)
"$PGSTEP" down --all --yes --dir migrations --url "$URL" --reason "check.sh round trip"
echo "down took $(since "$start") s"

snapshot > "$WORK/after.txt"
schema > "$WORK/schema_after.sql"
if diff -u "$WORK/before.txt" "$WORK/after.txt"; then
  echo "row counts and checksums identical after the round trip"
else
  echo "DIFFERENT after the round trip"; exit 1
fi
if diff -u "$WORK/schema_before.sql" "$WORK/schema_after.sql"; then
  echo "schema identical after the round trip"
else
  echo "SCHEMA DIFFERENT after the round trip"; exit 1
fi

echo "== up again"
start=$(t0)
"$PGSTEP" up --dir migrations --url "$URL"
echo "second up took $(since "$start") s"
"$PGSTEP" verify --dir migrations --url "$URL" > /dev/null && echo "verify clean"
"$PGSTEP" status --dir migrations --url "$URL"

if [[ -z ${KEEP:-} ]]; then
  psql_ "$BASE/postgres" -c "DROP DATABASE $DB"
fi
echo "== all good (scale $SCALE)"
