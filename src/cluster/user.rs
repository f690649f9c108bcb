//! Which system user runs the server: PostgreSQL refuses to run as root.

use std::os::unix::fs::MetadataExt;
use std::process::{Command, Stdio};

/// The account the server runs as when this process is root.
pub const SERVER_USER: &str = "postgres";

/// A system account's numeric ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Account {
    pub uid: u32,
    pub gid: u32,
}

pub fn running_as_root() -> bool {
    effective_uid() == Some(0)
}

/// Linux's `/proc/self` is owned by the effective uid; elsewhere `id -u` says it.
fn effective_uid() -> Option<u32> {
    if let Ok(meta) = std::fs::metadata("/proc/self") {
        return Some(meta.uid());
    }
    let out = Command::new("id")
        .arg("-u")
        .stderr(Stdio::null())
        .output()
        .ok()?;
    String::from_utf8(out.stdout).ok()?.trim().parse().ok()
}

/// Looks `name` up in `/etc/passwd`; accounts served only by NSS (LDAP and the like) are not
/// seen, which is fine for a local system user.
pub fn lookup(name: &str) -> Option<Account> {
    parse_passwd(&std::fs::read_to_string("/etc/passwd").ok()?, name)
}

fn parse_passwd(text: &str, name: &str) -> Option<Account> {
    text.lines().find_map(|line| {
        let mut fields = line.split(':');
        if fields.next()? != name {
            return None;
        }
        let uid = fields.nth(1)?.parse().ok()?;
        let gid = fields.next()?.parse().ok()?;
        Some(Account { uid, gid })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwd_lines_give_uid_and_gid() {
        let text = "root:x:0:0:root:/root:/bin/bash\n\
                    postgresql:x:7:7::/:/bin/false\n\
                    postgres:x:101:104:PostgreSQL administrator,,,:/var/lib/postgresql:/bin/bash\n";
        assert_eq!(
            parse_passwd(text, "postgres"),
            Some(Account { uid: 101, gid: 104 })
        );
        assert_eq!(parse_passwd(text, "nobody"), None);
    }
}
