#!/usr/bin/env bash
# The real console in a pseudo-terminal (120x40) with a large generated plan: time to the first
# frame, peak memory, and what it costs while idle.
#
# Usage: benches/console.sh [COUNT] [RUNS]   (defaults: 10000 migrations, 5 runs per mode)
#   BIN=PATH       measure that binary instead of building the release one
#   VARIANTS=LIST  peers run in turn within each round, so load hits them alike: "plain"
#                  (BIN as is), "NAME=VALUE" (BIN with that environment variable) or
#                  "bin=PATH" (another binary); e.g. VARIANTS="plain bin=/tmp/pgstep-old"
#
# Modes:
#   refused  --url postgresql://postgres@127.0.0.1:1/x: the connection is refused at once.
#   live     a database created (and dropped afterwards) on the bench cluster of
#            /work/shared/bench/pg-up.sh (127.0.0.1:5498, override with PGB_HOST/PGB_PORT),
#            with COUNT/2 phases recorded as applied; skipped when the cluster is not up.
# Each run measures, from the bytes on the pty master:
#   first frame   process start -> the first frame's closing cursor-hide (ESC[?25l) after the
#                 alternate screen (ESC[?1049h); nothing is subtracted.
#   loaded        process start -> the first frame showing "applied" (live mode only).
#   peak RSS      VmHWM of the process once it has settled (2 s without output), before quitting.
#   idle          CPU time (utime+stime, /proc/PID/stat) and bytes written to the pty over 10 s
#                 without input, after it settled.
# Then `q` quits it; a console still alive 10 s later is killed and the run fails.
# Targets: first frame < 100 ms, peak RSS < 50 MB, idle CPU ~0 and no output.
set -euo pipefail

count=${1:-10000}
runs=${2:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
pg_host=${PGB_HOST:-127.0.0.1}
pg_port=${PGB_PORT:-5498}
pg_user=${PGB_USER:-postgres}
db=pgstep_console_bench_$$
db_created=
cleanup() {
    if [[ -n $db_created ]]; then
        timeout 30 psql -X -q -h "$pg_host" -p "$pg_port" -U "$pg_user" -d postgres \
            -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

[[ -n ${BIN:-} ]] || timeout 1800 cargo build --release --quiet --manifest-path "$root/Cargo.toml" --bin pgstep
bin=${BIN:-${CARGO_TARGET_DIR:-$root/target}/release/pgstep}
dir=$work/migrations
python3 "$root/benches/gen_plan.py" "$count" "$dir"
cd "$work" # no project pgstep.toml is picked up

# The pty harness: one run, one line of results.
cat >"$work/run.py" <<'PY'
import fcntl, os, re, select, signal, struct, subprocess, sys, termios, time

cmd = sys.argv[1:]
TICK = os.sysconf("SC_CLK_TCK")
master, slave = os.openpty()
fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
env = dict(os.environ, TERM="xterm-256color", COLUMNS="120", LINES="40")


def child_setup():
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


t0 = time.monotonic()
p = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, env=env,
                     preexec_fn=child_setup, close_fds=True)
os.close(slave)
out = bytearray()
marks = {}
last_output = t0


def pump(timeout):
    """Reads what is there within timeout; returns the bytes read."""
    global last_output
    r, _, _ = select.select([master], [], [], timeout)
    if not r:
        return b""
    try:
        b = os.read(master, 65536)
    except OSError:
        return b""
    now = time.monotonic()
    last_output = now
    out.extend(b)
    alt = out.find(b"\x1b[?1049h")
    if alt >= 0:
        marks.setdefault("alt", now)
        if "frame" not in marks and out.find(b"\x1b[?25l", alt) >= 0:
            marks["frame"] = now
        if "loaded" not in marks and out.find(b"applied", alt) >= 0:
            marks["loaded"] = now
    return b


def cpu_ticks():
    with open(f"/proc/{p.pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime


def status(key):
    with open(f"/proc/{p.pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])  # kB
    return 0


want_loaded = os.environ.get("WANT_LOADED") == "1"
deadline = t0 + 120
# Settled: the first frame is up (and, live, the state shown), then 2 s without output.
while time.monotonic() < deadline:
    pump(0.05)
    if p.poll() is not None:
        sys.exit(f"console exited early ({p.returncode}): {bytes(out[-400:])!r}")
    ready = "frame" in marks and (not want_loaded or "loaded" in marks)
    if ready and time.monotonic() - last_output > 2.0:
        break
else:
    p.kill()
    sys.exit(f"console did not settle in 120 s: {bytes(out[-400:])!r}")

hwm = status("VmHWM")
rss = status("VmRSS")
threads = status("Threads")
c0, b0, i0 = cpu_ticks(), len(out), time.monotonic()
while time.monotonic() - i0 < 10.0:
    pump(0.2)
c1, b1, i1 = cpu_ticks(), len(out), time.monotonic()
hwm = max(hwm, status("VmHWM"))

os.write(master, b"q")
try:
    code = p.wait(timeout=10)
    left = ""
except subprocess.TimeoutExpired:
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(timeout=5)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    sys.exit("console still running 10 s after q: killed")
while pump(0.05):
    pass
os.close(master)
if code != 0:
    sys.exit(f"console exited {code} after q: {bytes(out[-400:])!r}")
if b"\x1b[?1049l" not in out:
    sys.exit("console did not leave the alternate screen")

ms = lambda k: (marks[k] - t0) * 1000 if k in marks else float("nan")
print(f"{ms('alt'):.1f} {ms('frame'):.1f} {ms('loaded'):.1f} {hwm / 1024:.1f} {rss / 1024:.1f} "
      f"{(c1 - c0) * 1000 / TICK:.0f} {b1 - b0} {(i1 - i0):.1f} {threads}")
PY

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) { print "nan"; exit }
    print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

verdict() {
    awk -v v="$1" -v limit="$2" 'BEGIN { print (v == "nan") ? "-" : (v < limit) ? "met" : "NOT MET" }'
}

# Runs the console RUNS times against URL, each variant in turn within each round; prints
# each run with the load average and the medians per variant.
measure() {
    local mode=$1 url=$2 want=$3
    for v in ${VARIANTS:-plain}; do : >"$work/$mode-${v//\//_}.txt"; done
    for i in $(seq "$runs"); do
        for v in ${VARIANTS:-plain}; do
            local envset=() vbin=$bin
            case $v in plain) ;; bin=*) vbin=${v#bin=} ;; *) envset=("$v") ;; esac
            env "${envset[@]}" WANT_LOADED=$want timeout 200 python3 "$work/run.py" "$vbin" --dir "$dir" --url "$url" \
                >>"$work/$mode-${v//\//_}.txt"
            printf '  %s %s run %d: %s (load %s)\n' "$mode" "$v" "$i" "$(tail -n 1 "$work/$mode-${v//\//_}.txt")" "$(cut -d' ' -f1-3 /proc/loadavg)"
        done
    done
    for v in ${VARIANTS:-plain}; do
        local f="$work/$mode-${v//\//_}.txt" col alt frame loaded hwm rss cpu bytes
        col() { awk -v c="$1" '{ print $c }' "$f" | median; }
        alt=$(col 1) frame=$(col 2) loaded=$(col 3) hwm=$(col 4) rss=$(col 5) cpu=$(col 6) bytes=$(col 7)
        printf '%-8s %s first frame %7s ms (%s, < 100 ms; alternate screen at %s ms)  loaded %7s ms\n' \
            "$mode" "$v" "$frame" "$(verdict "$frame" 100)" "$alt" "$loaded"
        printf '%-8s %s peak RSS %6s MB (%s, < 50 MB; %s MB resident when settled)  idle 10 s: %s ms CPU, %s bytes\n' \
            "" "$v" "$hwm" "$(verdict "$hwm" 50)" "$rss" "$cpu" "$bytes"
    done
}

echo "pgstep console, $count migrations ($(du -sb "$dir" | cut -f1) bytes), 120x40 pty," \
    "$(nproc) cores, $runs runs per mode (medians), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "columns: alt-screen ms, first frame ms, loaded ms, peak RSS MB, RSS MB, idle CPU ms, idle bytes, idle s, threads"
measure refused postgresql://postgres@127.0.0.1:1/x 0

if timeout 5 psql -X -q -h "$pg_host" -p "$pg_port" -U "$pg_user" -d postgres -Atc 'select 1' \
    >/dev/null 2>&1; then
    url=postgresql://$pg_user@$pg_host:$pg_port/$db
    psql -X -q -h "$pg_host" -p "$pg_port" -U "$pg_user" -d postgres -c "CREATE DATABASE $db"
    db_created=1
    # pgstep creates its history tables when it applies a first (throwaway) phase; then the
    # first COUNT/2 phases are recorded with their files' checksums, so they read as applied.
    mkdir "$work/init"
    echo 'SELECT 1;' >"$work/init/00000_init.sql"
    timeout 60 "$bin" --dir "$work/init" --url "$url" up --yes >"$work/init.log" 2>&1
    find "$dir" -name '*.sql' | sort | awk -v n=$((count / 2)) 'NR <= n' | xargs sha256sum |
        awk '{ n = $2; sub(/.*\//, "", n); sub(/\.sql$/, "", n); v = n; sub(/_.*/, "", v)
               sub(/^[^_]*_/, "", n); print v "\t" n "\t" $1 }' >"$work/history.tsv"
    timeout 120 psql -X -q -v ON_ERROR_STOP=1 -h "$pg_host" -p "$pg_port" -U "$pg_user" -d "$db" \
        -c "DELETE FROM schema_migrations" \
        -c "\\copy schema_migrations (version, name, checksum) FROM '$work/history.tsv'"
    timeout 300 "$bin" --dir "$dir" --url "$url" status >"$work/status.txt" 2>&1 || true
    echo "live: pgstep status: $(grep -c ' applied ' "$work/status.txt" || true) applied," \
        "$(grep -c ' pending ' "$work/status.txt" || true) pending"
    measure live "$url" 1
else
    echo "live: no cluster at $pg_host:$pg_port (run /work/shared/bench/pg-up.sh), skipped"
fi
