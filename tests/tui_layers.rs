//! The console's modules use each other one way only: state, then update or drawing, then
//! the runtime. Read from the sources, so a new arrow back shows here first.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Every module under `src/tui` (`tui`, `tui::app`, `tui::ui::frame`, ...) and its file.
fn modules() -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut dirs = vec![Path::new("src/tui").to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let rel = path.strip_prefix("src").unwrap().with_extension("");
            let mut name = rel.to_str().unwrap().replace('/', "::");
            if let Some(parent) = name.strip_suffix("::mod") {
                name = parent.to_string();
            }
            let text = std::fs::read_to_string(&path).unwrap();
            // Unit tests may use anything.
            let code = text.split("#[cfg(test)]").next().unwrap().to_string();
            out.insert(name, code);
        }
    }
    out
}

/// The modules `name` uses, by `super::`, `crate::tui::` and a parent's own children.
fn arrows(name: &str, code: &str, all: &BTreeMap<String, String>) -> BTreeSet<String> {
    let parent = name.rsplit_once("::").map_or("tui", |(p, _)| p);
    let mut out = BTreeSet::new();
    let mut add = |root: &str, rest: &str| {
        let mut parts = rest.split("::");
        let Some(first) = parts.next() else { return };
        let mut target = format!("{root}::{first}");
        if let Some(second) = parts.next() {
            let deeper = format!("{target}::{second}");
            if all.contains_key(&deeper) {
                target = deeper;
            }
        }
        if all.contains_key(&target) && target != name && !target.starts_with(&format!("{name}::"))
        {
            out.insert(target);
        }
    };
    for (i, _) in code.match_indices("super::") {
        let before = &code[..i];
        if before.ends_with("super::") {
            continue;
        }
        let mut rest = &code[i + "super::".len()..];
        let mut root = parent.to_string();
        while let Some(r) = rest.strip_prefix("super::") {
            root = root
                .rsplit_once("::")
                .map_or("tui".into(), |(p, _)| p.to_string());
            rest = r;
        }
        let path: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        add(&root, &path);
    }
    for (i, _) in code.match_indices("crate::tui::") {
        let rest = &code[i + "crate::tui::".len()..];
        let path: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        add("tui", &path);
    }
    out
}

#[test]
fn the_console_modules_have_no_cycle() {
    let all = modules();
    let graph: BTreeMap<&str, BTreeSet<String>> = all
        .iter()
        .map(|(name, code)| (name.as_str(), arrows(name, code, &all)))
        .collect();
    // A depth-first walk: meeting a module still on the path is a cycle.
    fn walk<'a>(
        at: &'a str,
        graph: &'a BTreeMap<&str, BTreeSet<String>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<String>> {
        if let Some(pos) = path.iter().position(|m| *m == at) {
            let mut cycle: Vec<String> = path[pos..].iter().map(|s| s.to_string()).collect();
            cycle.push(at.to_string());
            return Some(cycle);
        }
        if !done.insert(at) {
            return None;
        }
        path.push(at);
        for next in graph.get(at).into_iter().flatten() {
            if let Some(c) = walk(next, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    for start in graph.keys() {
        if let Some(cycle) = walk(start, &graph, &mut Vec::new(), &mut done) {
            panic!("a cycle: {}", cycle.join(" -> "));
        }
    }
    assert!(graph.len() > 20, "{:?}", graph.keys());
}
