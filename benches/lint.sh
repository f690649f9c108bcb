#!/usr/bin/env bash
# `pgstep lint --offline` against squawk on the same generated SQL.
#
# Usage: benches/lint.sh [COUNT] [ROUNDS]   (defaults: 1000 migrations, 5 rounds)
# Target: pgstep at least 10x faster than squawk on both shapes:
#   - a directory of COUNT native migrations (a table and an index each, plus risky statements
#     on the previous migration's table, and a DOWN);
#   - the same UP statements as one file (pgstep reads it as one phase in a directory of its own).
# Each round times every command a few times with hyperfine, one command after the other, so
# load from other work on the machine falls on all of them alike; the medians are over all rounds.
# Needs hyperfine (apt-get install -y hyperfine) and squawk (npm install -g squawk-cli@2.66.0).
set -euo pipefail

count=${1:-1000}
rounds=${2:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

command -v hyperfine >/dev/null || { echo "hyperfine is needed: apt-get install -y hyperfine" >&2; exit 2; }
# squawk's npm package starts node to run its native binary; time the binary itself.
native=$(npm root -g 2>/dev/null)/squawk-cli/node_modules/@squawk-cli/linux-x64/bin/squawk
squawk=${SQUAWK:-$([[ -x $native ]] && echo "$native" || command -v squawk || true)}
[[ -n $squawk ]] || { echo "squawk is needed: npm install -g squawk-cli@2.66.0" >&2; exit 2; }

cargo build --release --quiet --manifest-path "$root/Cargo.toml" --bin pgstep
bin=${CARGO_TARGET_DIR:-$root/target}/release/pgstep

python3 - "$count" "$work" <<'EOF'
import os, sys

count, work = int(sys.argv[1]), sys.argv[2]
many = os.path.join(work, "many")
one = os.path.join(work, "one")
os.makedirs(many)
os.makedirs(one)
# Risky statements on the previous migration's table, rotating so every kind appears.
RISKY = [
    "CREATE INDEX t{p}_name_idx ON t{p} (name);",
    "ALTER TABLE t{p} ADD COLUMN token uuid DEFAULT gen_random_uuid();",
    "ALTER TABLE t{p} ALTER COLUMN name SET NOT NULL;",
    "ALTER TABLE t{p} ADD CONSTRAINT t{p}_parent_fk FOREIGN KEY (parent_id) REFERENCES t{i} (id);",
    "ALTER TABLE t{p} ALTER COLUMN qty TYPE bigint;",
    "ALTER TABLE t{p} RENAME COLUMN note TO remark;",
    "DROP INDEX t{p}_parent_idx;",
    "ALTER TABLE t{p} ADD CONSTRAINT t{p}_name_key UNIQUE (name);",
]
ups = []
for i in range(1, count + 1):
    p = i - 1
    up = [
        f"CREATE TABLE t{i} (id bigint PRIMARY KEY, parent_id bigint, name varchar(40), qty int,"
        f" note text, created_at timestamptz NOT NULL DEFAULT now());",
        f"CREATE INDEX t{i}_parent_idx ON t{i} (parent_id);",
    ]
    if p:
        up.append(RISKY[p % len(RISKY)].format(p=p, i=i))
        up.append(RISKY[(p + 3) % len(RISKY)].format(p=p, i=i))
    ups.extend(up)
    with open(os.path.join(many, f"{i:05}_step_{i}.sql"), "w") as f:
        f.write(f"-- Migration: step {i}\n-- Lock-Timeout: 5s\n\n")
        f.write("\n".join(up))
        f.write(f"\n\n-- DOWN\nDROP TABLE IF EXISTS t{i};\n")
with open(os.path.join(one, "00001_all.sql"), "w") as f:
    f.write("\n".join(ups) + "\n")
print(f"{count} migrations, {len(ups)} UP statements")
EOF

many=$work/many
one=$work/one
# Both tools must read the files, or the timings mean nothing.
"$bin" --dir "$many" lint --offline | tail -n 1 || true
"$bin" --dir "$one" lint --offline | tail -n 1 || true
echo "squawk: $("$squawk" "$many"/*.sql 2>/dev/null | grep -c 'warning' || true) warnings on the directory," \
    "$("$squawk" "$one"/00001_all.sql 2>/dev/null | grep -c 'warning' || true) on the file"

# The directory's files are listed in the command itself, as a shell glob would give them.
files=$(printf '%s ' "$many"/*.sql)
declare -A cmds=(
    [pgstep-dir]="$bin --dir $many lint --offline"
    [squawk-dir]="$squawk $files"
    [pgstep-file]="$bin --dir $one lint --offline"
    [squawk-file]="$squawk $one/00001_all.sql"
)
names=(pgstep-dir squawk-dir pgstep-file squawk-file)
: >"$work/times.tsv"
for r in $(seq "$rounds"); do
    args=()
    for n in "${names[@]}"; do args+=(-n "$n" "${cmds[$n]}"); done
    # -N: no shell in between (hyperfine discards the output itself). -i: both tools exit
    # non-zero when they find something, which they do.
    hyperfine --style none -N -i --warmup 1 --runs 3 --export-json "$work/r$r.json" "${args[@]}" >/dev/null
    python3 -c '
import json, sys
for res in json.load(open(sys.argv[1]))["results"]:
    for t in res["times"]:
        print(res["command"], t, sep="\t")' "$work/r$r.json" >>"$work/times.tsv"
done

echo
echo "pgstep lint --offline vs squawk $("$squawk" --version | cut -d' ' -f2), $count migrations," \
    "$(nproc) cores, $rounds rounds x 3 runs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$work/times.tsv" <<'EOF'
import statistics, sys
times = {}
for line in open(sys.argv[1]):
    name, t = line.rstrip("\n").split("\t")
    times.setdefault(name, []).append(float(t))
med = {n: statistics.median(ts) * 1000 for n, ts in times.items()}
for shape in ("dir", "file"):
    p, s = med[f"pgstep-{shape}"], med[f"squawk-{shape}"]
    ratio = s / p
    verdict = "met" if ratio >= 10 else "NOT MET"
    print(f"  {shape:4}  pgstep {p:8.1f} ms  squawk {s:8.1f} ms  "
          f"squawk/pgstep {ratio:6.1f}x  (target >= 10x: {verdict})  "
          f"[pgstep {min(times[f'pgstep-{shape}'])*1000:.1f}-{max(times[f'pgstep-{shape}'])*1000:.1f}, "
          f"squawk {min(times[f'squawk-{shape}'])*1000:.1f}-{max(times[f'squawk-{shape}'])*1000:.1f} ms]")
EOF
