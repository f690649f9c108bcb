//! Who is running pgstep, for the audit trail: the OS user and the host.

/// The person and machine behind an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    pub os_user: String,
    pub host: String,
}

impl Operator {
    /// Reads the OS user (`$USER`, `$LOGNAME`, else the uid's name in /etc/passwd) and the
    /// host name.
    pub fn current() -> Operator {
        Operator {
            os_user: os_user(),
            host: host(),
        }
    }
}

pub fn os_user() -> String {
    for var in ["USER", "LOGNAME"] {
        if let Ok(v) = std::env::var(var)
            && !v.is_empty()
        {
            return v;
        }
    }
    uid_name().unwrap_or_else(|| "unknown".into())
}

#[cfg(unix)]
fn uid_name() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    // The uid of this process owns /proc/self.
    let uid = std::fs::metadata("/proc/self").ok()?.uid();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut f = line.split(':');
        let name = f.next()?;
        let id: u32 = f.nth(1)?.parse().ok()?;
        (id == uid).then(|| name.to_string())
    })
}

#[cfg(not(unix))]
fn uid_name() -> Option<String> {
    std::env::var("USERNAME").ok()
}

fn host() -> String {
    let from_file = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    from_file
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown".into())
}
