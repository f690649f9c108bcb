#!/usr/bin/env bash
# Checks the lint rules that reason about what exists when a statement runs (the lock and
# data-loss rules: create-index-blocking, drop-index-blocking, set-not-null-scan,
# constraint-not-valid, drop-table, drop-column, truncate) against a real server.
#
# Usage: benches/lint_exists.sh DIR [ADMIN_URL]
#   DIR        a migrations directory in any layout pgstep reads
#   ADMIN_URL  a server whose role may create databases (default: the bench cluster of
#              ../shared/bench/pg-up.sh, postgresql://postgres@127.0.0.1:5498/postgres)
#
# Lints DIR from the files alone, then on a throwaway database applies the phases in order
# with pgstep, stopping before and after each phase that has a finding. A finding is
# verified true when what it says holds on the server: the table it names existed before
# the phase (a table the phase itself creates is empty and nobody waits on it), and the
# statement did what the finding says (the index, column or table is gone after a drop, the
# column is NOT NULL after SET NOT NULL, a new index or validated foreign key or check is
# there). It is false otherwise, and unverified when its phase cannot be applied.
# SETUP_SQL=FILE runs first what the project needs before its first migration. The database
# is dropped at exit.
set -euo pipefail

dir=${1:?usage: benches/lint_exists.sh DIR [ADMIN_URL]}
. "$(dirname "$0")/throwaway_db.sh"
throwaway_db lint_exists "$dir" "${2:-}"

"$PGSTEP" --dir "$dir" lint --offline --json >"$work/lint.json" || true
"$PGSTEP" --dir "$dir" plan --json >"$work/plan.json"

python3 - "$PGSTEP" "$dir" "$url" "$psql" "$work" <<'EOF'
import json, re, subprocess, sys

pgstep, dir_, url, psql, work = sys.argv[1:]
RULES = {"create-index-blocking", "drop-index-blocking", "set-not-null-scan",
         "constraint-not-valid", "drop-table", "drop-column", "truncate"}
findings = [f for f in json.load(open(f"{work}/lint.json"))["findings"] if f["rule"] in RULES]
versions = [m["version"] for m in json.load(open(f"{work}/plan.json"))["migrations"]]


def q(sql):
    out = subprocess.run([psql, "-X", "-At", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql],
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"query failed: {sql}\n{out.stderr}")
    return out.stdout.strip()


def lit(s):
    return "'" + s.replace("'", "''") + "'"


def state(f):
    """What the server says of the finding's table and the object its message names."""
    t = f["table"]
    dropped = re.search(r"DROP INDEX (\S+)", f["message"])
    if t is None and dropped:
        # The finding names the index alone: its table is the one the index is on.
        t = q(f"SELECT coalesce((SELECT indrelid::regclass::text FROM pg_index "
              f"WHERE indexrelid = to_regclass({lit(dropped.group(1))})), '-')")
    exists = q(f"SELECT to_regclass({lit(t)}) IS NOT NULL") == "t"
    s = {"table": exists}
    if dropped:
        # By oid: the phase may create another index under the same name after the drop.
        s["index"] = q(f"SELECT coalesce(to_regclass({lit(dropped.group(1))})::oid::text, '')")
    if not exists:
        return s
    oid = f"to_regclass({lit(t)})"
    s["indexes"] = set(q(f"SELECT indexrelid FROM pg_index WHERE indrelid = {oid}").split())
    s["validated"] = set(q(f"SELECT oid FROM pg_constraint WHERE conrelid = {oid} "
                           f"AND contype IN ('f', 'c') AND convalidated").split())
    m = re.search(r"DROP COLUMN \S+?\.(\S+?):", f["message"]) or \
        re.search(r"SET NOT NULL on (\S+) ", f["message"])
    if m:
        s["column"] = q(f"SELECT coalesce((SELECT attnotnull::text FROM pg_attribute "
                        f"WHERE attrelid = {oid} AND attname = {lit(m.group(1))} "
                        f"AND NOT attisdropped), 'gone')")
        # By number: the statement may add a new column under the dropped one's name.
        s["attnum"] = q(f"SELECT coalesce((SELECT attnum::text FROM pg_attribute "
                        f"WHERE attrelid = {oid} AND attname = {lit(m.group(1))} "
                        f"AND NOT attisdropped), '')")
    return s


def holds(rule, before, after):
    if not before["table"]:
        return False
    if rule in ("drop-table",):
        return not after["table"]
    if rule == "truncate":
        return True
    if rule == "drop-column":
        return before.get("column") not in (None, "gone") and (
            after.get("column", "gone") == "gone" or after.get("attnum") != before.get("attnum"))
    if rule == "drop-index-blocking":
        return before.get("index", "") != "" and after.get("index") != before["index"]
    if rule == "set-not-null-scan":
        # Nullable when the statement ran: before the phase, or added by it as nullable.
        return before.get("column") in ("false", "gone") and after.get("column") == "true"
    if rule == "create-index-blocking":
        return after["table"] and bool(after["indexes"] - before["indexes"])
    if rule == "constraint-not-valid":
        return after["table"] and bool(after["validated"] - before["validated"])
    return False


def up_to(version):
    r = subprocess.run([pgstep, "--url", url, "--dir", dir_, "up", "--to", version, "--yes"],
                       capture_output=True, text=True)
    return r.returncode == 0


by_version = {}
for f in findings:
    by_version.setdefault(f["version"], []).append(f)
verdicts = {"true": 0, "false": 0, "unverified": 0}
stopped = False
for i, v in enumerate(versions):
    if v not in by_version:
        continue
    fs = by_version[v]
    if stopped or (i > 0 and not up_to(versions[i - 1])):
        stopped = True
        verdicts["unverified"] += len(fs)
        continue
    before = [state(f) for f in fs]
    if not up_to(v):
        stopped = True
        verdicts["unverified"] += len(fs)
        continue
    for f, b in zip(fs, before):
        ok = holds(f["rule"], b, state(f))
        verdicts["true" if ok else "false"] += 1
        print(f"{'true ' if ok else 'FALSE'} {v} {f['rule']}: {f['message']}")
print(f"findings of these rules: {len(findings)}; verified true {verdicts['true']}, "
      f"false {verdicts['false']}, unverified {verdicts['unverified']}")
EOF
