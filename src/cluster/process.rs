//! Signals, bounded waits and the watchdog, with nothing but `sh` (no libc bindings).

use std::io;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Sends `SIG<name>` to `pid` with the shell's builtin `kill`, present wherever `sh` is.
pub fn signal(pid: u32, name: &str) -> bool {
    Command::new("sh")
        .args([
            "-c",
            "kill -s \"$0\" \"$1\" 2>/dev/null",
            name,
            &pid.to_string(),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Waits at most `timeout` for `child` to exit.
pub fn wait_timeout(child: &mut Child, timeout: Duration) -> io::Result<Option<ExitStatus>> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        if Instant::now() >= deadline {
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Stops the server once `owner` is gone, then removes `dir`. It reads the server's pid from
/// `postmaster.pid`, as `pg_ctl stop` does, so it can start before the server does. A dead
/// owner that nobody has reaped yet still answers `kill -0`, hence the look at its state.
const WATCHDOG: &str = r#"
owner=$1 dir=$2 pidfile=$2/data/postmaster.pid
nap() { sleep 0.2 2>/dev/null || sleep 1; }
owner_alive() {
    kill -0 "$owner" 2>/dev/null || return 1
    if [ -r "/proc/$owner/stat" ]; then
        read -r stat < "/proc/$owner/stat" || return 1
        case $stat in *") Z "* | *") X "*) return 1 ;; esac
    fi
    return 0
}
server_up() {
    [ -r "$pidfile" ] && read -r server < "$pidfile" && [ -n "$server" ] &&
        kill -0 "$server" 2>/dev/null
}
while owner_alive; do nap; done
for sig in INT QUIT KILL; do
    server_up || break
    kill -s "$sig" "$server" 2>/dev/null
    n=0
    while server_up && [ "$n" -lt 50 ]; do nap; n=$((n + 1)); done
done
rm -rf "$dir"
"#;

/// Starts the watchdog for the cluster in `dir`, owned by this process.
///
/// It gets its own process group so that a Ctrl-C aimed at the test run stops only the owner
/// and leaves the watchdog to clean up; its stdio is closed so that a harness reading the
/// owner's output does not wait for it.
pub fn spawn_watchdog(dir: &Path) -> io::Result<Child> {
    Command::new("sh")
        .arg("-c")
        .arg(WATCHDOG)
        .arg("pgstep-watchdog")
        .arg(std::process::id().to_string())
        .arg(dir)
        .current_dir("/")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
}
