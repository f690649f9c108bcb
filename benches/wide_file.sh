#!/usr/bin/env bash
# `pgstep plan` on one wide migration: 100,000 checks (about 4.5 MB), then 100,000 header
# keys. Reading must stay linear in the number of checks and keys; both run in well under a
# second on one core.
#
# Usage: benches/wide_file.sh [COUNT]   (default: 100000)
set -euo pipefail

count=${1:-100000}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --release --quiet --manifest-path "$root/Cargo.toml" --bin pgstep
bin=${CARGO_TARGET_DIR:-$root/target}/release/pgstep
mkdir "$work/checks" "$work/headers"
python3 - "$count" "$work" <<'PY'
import sys
count, work = int(sys.argv[1]), sys.argv[2]
with open(f"{work}/checks/001_checks.sql", "w") as f:
    f.write("-- Migration: many checks\nCREATE TABLE t (a int);\n-- VERIFY\n")
    for i in range(count):
        f.write(f"-- Check: check {i:06}\nSELECT 1 WHERE false;\n")
with open(f"{work}/headers/001_headers.sql", "w") as f:
    for i in range(count):
        f.write(f"-- X-Key-{i:06}: some value here\n")
    f.write("CREATE TABLE t (a int);\n")
PY

for kind in checks headers; do
    size=$(du -b "$work/$kind/001_$kind.sql" | cut -f1)
    /usr/bin/time -f "$count $kind ($size bytes): %e s wall, %M KB peak RSS" \
        "$bin" plan --dir "$work/$kind" >/dev/null 2>"$work/$kind.err" || true
    tail -n 1 "$work/$kind.err"
done
