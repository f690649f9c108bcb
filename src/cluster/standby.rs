//! A streaming standby of a running cluster, for tests and benchmarks that need replication
//! lag: `pg_basebackup -R` into a new throwaway cluster, started like any other.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

use super::{Cluster, ClusterError, SUPERUSER, io_error, tail};

impl Cluster {
    /// Copies this cluster with `pg_basebackup -R` (streaming its WAL) into a new temporary
    /// cluster and starts it as a hot standby that streams from this one. It is removed on
    /// drop, like [`Cluster::temporary`].
    pub fn temporary_standby(&self) -> Result<Cluster, ClusterError> {
        let primary = format!("host=127.0.0.1 port={} user={SUPERUSER}", self.port);
        let program = self.binaries.program("pg_basebackup");
        Cluster::temporary_from(self.binaries.clone(), |dir, account| {
            let mut command = Command::new(&program);
            command
                .current_dir(dir)
                .stdin(Stdio::null())
                .arg("-D")
                .arg(dir.join("data"))
                .args(["-R", "-X", "stream", "--no-sync", "-d", &primary]);
            if let Some(account) = account {
                std::os::unix::fs::chown(dir, Some(account.uid), Some(account.gid)).map_err(
                    io_error(|| format!("handing {} to `postgres`", dir.display())),
                )?;
                command.uid(account.uid).gid(account.gid);
            }
            let out = command
                .output()
                .map_err(io_error(|| format!("running {}", program.display())))?;
            if out.status.success() {
                // Replay positions reach the primary every second, not every ten, so lag
                // read there is fresh.
                let conf = dir.join("data").join("postgresql.auto.conf");
                let mut file = std::fs::OpenOptions::new()
                    .append(true)
                    .open(&conf)
                    .map_err(io_error(|| format!("opening {}", conf.display())))?;
                return file
                    .write_all(b"wal_receiver_status_interval = '1s'\n")
                    .map_err(io_error(|| format!("writing {}", conf.display())));
            }
            let mut output = String::from_utf8_lossy(&out.stderr).into_owned();
            output.push_str(&String::from_utf8_lossy(&out.stdout));
            Err(ClusterError::Basebackup {
                status: out.status,
                output: tail(&output),
            })
        })
    }
}
