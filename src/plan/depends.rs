//! `Depends` between migrations: every dependency exists, comes earlier, and forms no cycle.

use std::collections::HashMap;

use super::diag::{Diagnostic, Problem};
use super::{Migration, Version};

pub fn validate(migrations: &[Migration], diags: &mut Vec<Diagnostic>) {
    // Most plans name no dependency at all: no index of 10,000 versions to build for them.
    if migrations.iter().all(|m| m.meta.depends.is_empty()) {
        return;
    }
    let index: HashMap<&Version, usize> = migrations
        .iter()
        .enumerate()
        .map(|(i, m)| (&m.version, i))
        .collect();
    let label = |i: usize| {
        let m = &migrations[i];
        format!("{} ({})", m.version, m.file.display())
    };
    for (i, m) in migrations.iter().enumerate() {
        let at = |problem| Diagnostic {
            line: m.meta.depends_line,
            ..Diagnostic::new(&m.file, problem)
        };
        for dep in &m.meta.depends {
            match index.get(dep) {
                None => diags.push(at(Problem::MissingDependency(dep.to_string()))),
                Some(&j) if j > i => diags.push(at(Problem::DependsOnLater(label(j)))),
                Some(_) => {}
            }
        }
    }
    for cycle in cycles(migrations, &index) {
        let chain: Vec<String> = cycle.iter().map(|&i| label(i)).collect();
        let first = &migrations[cycle[0]];
        diags.push(Diagnostic {
            line: first.meta.depends_line,
            ..Diagnostic::new(&first.file, Problem::DependencyCycle(chain.join(" -> ")))
        });
    }
}

/// Each cycle once, as the chain of indexes from its first member back to it.
fn cycles(migrations: &[Migration], index: &HashMap<&Version, usize>) -> Vec<Vec<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let edges: Vec<Vec<usize>> = migrations
        .iter()
        .map(|m| {
            m.meta
                .depends
                .iter()
                .filter_map(|d| index.get(d).copied())
                .collect()
        })
        .collect();
    let mut mark = vec![Mark::New; migrations.len()];
    let mut found = Vec::new();
    for start in 0..migrations.len() {
        if mark[start] != Mark::New {
            continue;
        }
        // Iterative depth-first search: the stack holds (node, next edge to follow).
        let mut stack = vec![(start, 0usize)];
        mark[start] = Mark::Open;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if let Some(&to) = edges[node].get(*next) {
                *next += 1;
                match mark[to] {
                    Mark::New => {
                        mark[to] = Mark::Open;
                        stack.push((to, 0));
                    }
                    Mark::Open => {
                        let from = stack.iter().position(|&(n, _)| n == to).unwrap_or(0);
                        let mut chain: Vec<usize> = stack[from..].iter().map(|&(n, _)| n).collect();
                        chain.push(to);
                        found.push(chain);
                    }
                    Mark::Done => {}
                }
            } else {
                mark[node] = Mark::Done;
                stack.pop();
            }
        }
    }
    found
}
