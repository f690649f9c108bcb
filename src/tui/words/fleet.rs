//! The Fleet view: its title, columns and counts.

pub fn fleet_title(name: &str, targets: usize, servers: usize, head: Option<&str>) -> String {
    let head = head.map_or_else(|| "an empty plan".to_owned(), |v| format!("plan head {v}"));
    format!(" Fleet {name}: {targets} target(s) on {servers} server(s), {head} ")
}

/// Each wave's targets at the plan's head, as `at/of`.
pub fn fleet_waves(progress: &[(usize, usize)], canary: bool) -> String {
    let parts: Vec<String> = progress
        .iter()
        .enumerate()
        .map(|(k, (at, of))| {
            if k == 0 && canary {
                format!("canary {at}/{of}")
            } else {
                format!("{at}/{of}")
            }
        })
        .collect();
    format!("waves at head: {}", parts.join(" · "))
}

pub fn fleet_counts(counts: &[(&str, usize)]) -> String {
    let parts: Vec<String> = counts.iter().map(|(c, n)| format!("{n} {c}")).collect();
    format!("now: {}", parts.join(", "))
}

pub const FLEET_TARGET: &str = "TARGET";
pub const FLEET_WAVE: &str = "WAVE";
pub const FLEET_STATE: &str = "STATE";
pub const FLEET_NONE_MATCH: &str = "no target matches the filter";

pub fn fleet_filter(text: &str) -> String {
    format!("filter: {text}")
}

pub fn fleet_shown(shown: usize, all: usize) -> String {
    format!("{shown} of {all} target(s) shown")
}
