#!/usr/bin/env bash
# `pgstep plan` on a large generated migration set: median wall time and peak memory.
#
# Usage: benches/plan.sh [COUNT] [RUNS]   (defaults: 10000 migrations, 15 runs)
# Targets for 10,000 migrations (about 20 MB): under 300 ms wall, under 100 MB peak RSS.
# Uses hyperfine when installed (apt-get install -y hyperfine), else times the runs itself.
set -euo pipefail

count=${1:-10000}
runs=${2:-15}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --release --quiet --manifest-path "$root/Cargo.toml" --bin pgstep
bin=${CARGO_TARGET_DIR:-$root/target}/release/pgstep
python3 "$root/benches/gen_plan.py" "$count" "$work/migrations"
dir=$work/migrations

# The set must be read without errors, or the timings mean nothing.
"$bin" plan --dir "$dir" >"$work/plan.txt"
"$bin" plan --dir "$dir" --json >"$work/plan.json"
head -n 1 "$work/plan.txt"
echo "text output $(wc -c <"$work/plan.txt") bytes, JSON output $(wc -c <"$work/plan.json") bytes"

# Median wall time in milliseconds of `pgstep plan ARGS...`, output discarded.
median_ms() {
    if command -v hyperfine >/dev/null; then
        hyperfine --style none --warmup 2 --runs "$runs" --export-json "$work/h.json" \
            "$bin plan --dir $dir $* >/dev/null" >&2
        python3 -c 'import json, sys; print(round(json.load(open(sys.argv[1]))["results"][0]["median"] * 1000, 1))' "$work/h.json"
    else
        "$bin" plan --dir "$dir" "$@" >/dev/null
        for _ in $(seq "$runs"); do
            start=$(date +%s%N)
            "$bin" plan --dir "$dir" "$@" >/dev/null
            echo $((($(date +%s%N) - start) / 1000))
        done | sort -n | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.1f\n", m / 1000 }'
    fi
}

# Peak resident memory in MB and CPU time (user + system) in ms of `pgstep plan ARGS...`.
rss_cpu() {
    /usr/bin/time -v "$bin" plan --dir "$dir" "$@" 2>"$work/time.txt" >/dev/null
    awk -F': ' '/Maximum resident set size/ { rss = $2 / 1024 }
        /User time|System time/ { cpu += $2 * 1000 }
        END { printf "%.1f %.0f\n", rss, cpu }' "$work/time.txt"
}

text_ms=$(median_ms)
json_ms=$(median_ms --json)
read -r text_mb text_cpu < <(rss_cpu)
read -r json_mb json_cpu < <(rss_cpu --json)

verdict() {
    awk -v v="$1" -v limit="$2" 'BEGIN { print (v < limit) ? "ok" : "MISSED" }'
}

echo
echo "pgstep plan, $count migrations ($(du -sb "$dir" | cut -f1) bytes), $(nproc) cores, $runs runs," \
    "load average $(cut -d' ' -f1-3 /proc/loadavg)"
row() {
    printf '  %-7s median %7s ms wall (%s, < 300 ms)  %5s ms CPU  peak RSS %6s MB (%s, < 100 MB)\n' \
        "$1" "$2" "$(verdict "$2" 300)" "$3" "$4" "$(verdict "$4" 100)"
}
row text "$text_ms" "$text_cpu" "$text_mb"
row --json "$json_ms" "$json_cpu" "$json_mb"
