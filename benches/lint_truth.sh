#!/usr/bin/env bash
# Checks `down-leaves-object` against a real server: is each finding really left behind?
#
# Usage: benches/lint_truth.sh DIR [ADMIN_URL]
#   DIR        a migrations directory in any layout pgstep reads (Diesel, golang-migrate, sqlx,
#              Flyway, dbmate, native)
#   ADMIN_URL  a server whose role may create databases (default: the bench cluster of
#              ../shared/bench/pg-up.sh, postgresql://postgres@127.0.0.1:5498/postgres)
#
# Lints DIR from the files alone, then on a throwaway database applies the phases in order
# with pgstep. Before each phase (with ONLY_FINDINGS=1: each phase that has a finding) it
# snapshots the catalog (relations,
# functions, types, columns; extension members, pgstep's history and pgstep_trash aside), applies the
# phase, rolls it back with its DOWN, snapshots again, and classifies each finding: true when
# the object is there after the rollback and was not before, false otherwise. The phase is
# then applied again and the walk goes on. A phase whose DOWN fails stays applied and its
# findings are unverified; a phase that fails to apply stops the walk, and its findings and
# those after it are unverified. With COPY_EACH=1 each phase is applied and rolled back on a
# copy of the database (CREATE DATABASE ... TEMPLATE) instead, dropped after it, so a DOWN that
# cannot undo its UP (an enum value it added stays) does not stop the walk; the database must
# then have no other session (TimescaleDB: timescaledb.max_background_workers = 0). The
# database is dropped at exit. Objects a rollback left that no finding names are counted as missed (a leftover
# table's columns, indexes and sequences are not counted again).
set -euo pipefail

dir=${1:?usage: benches/lint_truth.sh DIR [ADMIN_URL]}
. "$(dirname "$0")/throwaway_db.sh"
throwaway_db lint_truth "$dir" "${2:-}"

# LINT_JSON: classify another lint's findings (say, an earlier build's) instead.
if [[ -n ${LINT_JSON:-} ]]; then
    cp "$LINT_JSON" "$work/lint.json"
else
    "$PGSTEP" --dir "$dir" lint --offline --json >"$work/lint.json" || true
fi
"$PGSTEP" --dir "$dir" plan --json >"$work/plan.json"

python3 - "$PGSTEP" "$dir" "$url" "$psql" "$work" "$admin" "$db" <<'EOF'
import json, subprocess, sys

pgstep, dir_, url, psql, work, admin, db = sys.argv[1:]
CATALOG = """
SELECT o FROM (
    SELECT CASE c.relkind WHEN 'r' THEN 'table ' WHEN 'p' THEN 'table ' WHEN 'i' THEN 'index '
               WHEN 'S' THEN 'sequence ' WHEN 'v' THEN 'view ' WHEN 'm' THEN 'materialized view ' END
           || c.relname AS o, c.oid AS id, 'pg_class'::regclass AS cls
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'i', 'S', 'v', 'm') AND c.relname NOT LIKE 'schema_migrations%'
      AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgstep', 'pgstep_trash') AND n.nspname NOT LIKE 'pg_toast%'
    UNION ALL
    SELECT CASE p.prokind WHEN 'p' THEN 'procedure ' ELSE 'function ' END || p.oid::regprocedure, p.oid, 'pg_proc'::regclass
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgstep', 'pgstep_trash') AND p.proname NOT LIKE 'schema_migrations%'
    UNION ALL
    SELECT 'type ' || t.typname, t.oid, 'pg_type'::regclass
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgstep', 'pgstep_trash') AND n.nspname NOT LIKE 'pg_toast%'
      AND t.typtype IN ('e', 'd', 'r', 'c')
      AND (t.typrelid = 0 OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
    UNION ALL
    SELECT 'column ' || c.relname || '.' || a.attname, c.oid, 'pg_class'::regclass
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped AND c.relname NOT LIKE 'schema_migrations%'
      AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgstep', 'pgstep_trash')
    UNION ALL
    SELECT 'schema ' || n.nspname, n.oid, 'pg_namespace'::regclass FROM pg_namespace n
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'public', 'pgstep', 'pgstep_trash') AND n.nspname NOT LIKE 'pg_%'
) x
WHERE NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = x.cls AND d.objid = x.id AND d.deptype = 'e')
"""

# The order to drop what a rollback left: dependents first.
ORDER = ["view", "materialized view", "column", "index", "table", "sequence", "function",
         "procedure", "type", "schema"]

def split(what):
    # `kind name`; a kind may have two words and a function's arguments spaces.
    for kind in ORDER:
        if what.startswith(kind + " "):
            return kind, what[len(kind) + 1:]
    raise ValueError(what)

def catalog(at):
    out = subprocess.run([psql, "-X", "-At", "-d", at, "-c", CATALOG],
                         check=True, capture_output=True, text=True).stdout
    return set(out.splitlines())

def step(*args, at=url):
    r = subprocess.run([pgstep, "--url", at, "--dir", dir_, *args],
                       capture_output=True, text=True)
    return r.returncode, (r.stderr.strip().splitlines() or [""])[-1]

def unqualified(what):
    # Lint names objects as written (`schema.name`); the catalog without the schema.
    kind, name = split(what)
    parts = name.split(".")
    keep = 2 if kind == "column" else 1
    return f"{kind} {'.'.join(parts[-keep:])}"

findings = [f for f in json.load(open(f"{work}/lint.json"))["findings"]
            if f["rule"] == "down-leaves-object"]
by_version = {}
for f in findings:
    what = f["message"].removeprefix("the DOWN leaves ").split(", which")[0]
    by_version.setdefault(f["version"], []).append((f, unqualified(what)))
versions = [m["version"] for m in json.load(open(f"{work}/plan.json"))["migrations"]]

import os
only = os.environ.get("ONLY_FINDINGS") == "1"
copies = os.environ.get("COPY_EACH") == "1"
copy = f"{db}_phase"

def drop_copy():
    subprocess.run([psql, "-X", "-q", "-d", admin, "-c",
                    f"DROP DATABASE IF EXISTS {copy} WITH (FORCE)"], check=True, capture_output=True)
true = false = missed = 0
stopped = None
rollback_failed = []
for i, v in enumerate(versions):
    if only and v not in by_version:
        continue
    if i > 0:
        code, last = step("up", "--to", versions[i - 1])
        if code != 0:
            stopped = f"phases before {v} did not apply: {last}"
            break
    at = url
    if copies:
        subprocess.run([psql, "-X", "-q", "-d", admin, "-c",
                        f"CREATE DATABASE {copy} TEMPLATE {db}"], check=True, capture_output=True)
        at = url.removesuffix(db) + copy
    before = catalog(at)
    code, last = step("up", "--to", v, at=at)
    if code != 0:
        stopped = f"{v} did not apply: {last}"
        if copies:
            drop_copy()
        break
    code, last = step("down", "--steps", "1", "--yes", at=at)
    if code != 0:
        # The project's own DOWN fails: nothing to compare, the phase stays applied.
        rollback_failed.append(f"{v}: {last}")
        if copies:
            drop_copy()
        continue
    left = catalog(at) - before
    # Functions are told apart by their arguments, which the catalog writes without spaces
    # after commas; lint names them with their arguments or, where the statement gave none,
    # without.
    plain = {w.split("(")[0]: w for w in left}
    exact = {w.replace(", ", ","): w for w in left}
    named = set()
    for f, what in by_version.get(v, []):
        found = exact.get(what.replace(", ", ",")) or plain.get(what)
        verdict = found is not None
        what = found or what
        named.add(what)
        true += verdict
        false += not verdict
        print(f"{'true ' if verdict else 'FALSE'}  {v}  {f['file']}:{f['line']}  {what}")
    tables = {w.split(" ", 1)[1] for w in left if w.startswith("table ")}
    for what in sorted(left - named):
        kind, name = split(what)
        owned = (kind == "column" and name.split(".")[0] in tables) or (
            kind in ("index", "sequence", "type") and any(name.startswith(t) for t in tables))
        if not owned:
            missed += 1
            print(f"missed {v}  {what}")
    if copies:
        drop_copy()
        continue
    # Back to the state before the phase, so it applies again and the walk goes on.
    drops = []
    for what in sorted(left, key=lambda w: ORDER.index(split(w)[0])):
        kind, name = split(what)
        if kind == "column":
            table, column = name.split(".")
            drops.append(f'ALTER TABLE IF EXISTS "{table}" DROP COLUMN IF EXISTS "{column}" CASCADE;')
        elif "(" in name:
            drops.append(f'DROP {kind.upper()} IF EXISTS {name} CASCADE;')
        else:
            drops.append(f'DROP {kind.upper()} IF EXISTS "{name}" CASCADE;')
    if drops:
        subprocess.run([psql, "-X", "-q", "-d", url, "-c", "\n".join(drops)],
                       check=True, capture_output=True)
    code, last = step("up", "--to", v)
    if code != 0:
        stopped = f"{v} did not apply again after its rollback: {last}"
        break

verified = true + false
print()
print(f"down-leaves-object findings: {len(findings)}, verified true: {true}, "
      f"verified false: {false}, unverified: {len(findings) - verified}, "
      f"leftovers no finding names: {missed}")
for failed in rollback_failed:
    print(f"DOWN failed, its findings unverified: {failed}")
if stopped:
    print(f"stopped: {stopped}")
EOF
