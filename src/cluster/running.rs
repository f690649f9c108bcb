//! A persistent cluster that outlives the process that started it (the demo's): finding its
//! running server again, letting go of it, and stopping it later.

use std::net::{Ipv4Addr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use super::{Binaries, Cluster, ClusterError, Mode, existing_major, process};

/// The server's pid and port from `data/postmaster.pid`, if it says it is ready.
fn pidfile(dir: &Path) -> Option<(u32, u16)> {
    let text = std::fs::read_to_string(dir.join("data").join("postmaster.pid")).ok()?;
    let lines: Vec<&str> = text.lines().collect();
    let pid = lines.first()?.trim().parse().ok()?;
    let port = lines.get(3)?.trim().parse().ok()?;
    (lines.get(7).map(|s| s.trim()) == Some("ready")).then_some((pid, port))
}

/// Whether something answers on the port: a stale pid file (after a crash) has nobody.
fn answers(port: u16) -> bool {
    TcpStream::connect_timeout(
        &(Ipv4Addr::LOCALHOST, port).into(),
        Duration::from_millis(500),
    )
    .is_ok()
}

impl Cluster {
    /// The cluster in `dir` if its server is running, as a handle that does not own the
    /// server: dropping it leaves the server running.
    pub fn running_in(dir: &Path) -> Result<Option<Cluster>, ClusterError> {
        let Some((_, port)) = pidfile(dir).filter(|&(_, port)| answers(port)) else {
            return Ok(None);
        };
        let binaries = match existing_major(dir)? {
            Some(major) => Binaries::find_all()?
                .into_iter()
                .find(|b| b.version.major() == major)
                .map_or_else(Binaries::newest, Ok)?,
            None => Binaries::newest()?,
        };
        Ok(Some(Cluster {
            dir: dir.to_path_buf(),
            port,
            binaries,
            mode: Mode::Persistent,
            server: None,
            watchdog: None,
        }))
    }

    /// Lets the server run on after this handle is gone, for other processes to use; stop it
    /// with [`Cluster::stop_in`].
    pub fn detach(mut self) {
        self.server = None;
    }

    /// Stops the server running in `dir`, as `pg_ctl stop` would (fast shutdown, then
    /// immediate); whether one was running.
    pub fn stop_in(dir: &Path) -> Result<bool, ClusterError> {
        let Some((pid, port)) = pidfile(dir).filter(|&(_, port)| answers(port)) else {
            return Ok(false);
        };
        let gone = || pidfile(dir).is_none_or(|(p, _)| p != pid) || !answers(port);
        for (signal, patience) in [("INT", 15), ("QUIT", 5)] {
            process::signal(pid, signal);
            let deadline = Instant::now() + Duration::from_secs(patience);
            while Instant::now() < deadline {
                if gone() {
                    return Ok(true);
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Err(ClusterError::Stop(format!(
            "the server (pid {pid}) in {} did not stop",
            dir.display()
        )))
    }
}
