//! Adopting the project's migration tool: what its dialog shows and whose record a
//! phase's state comes from.

/// What the adoption dialog shows of what was read, one fact a line.
pub fn adoption_facts(a: &crate::adopt::Adopted) -> Vec<String> {
    vec![
        format!(
            "this database was migrated by {}: its table {}",
            a.tool, a.table
        ),
        format!(
            "{} version(s) recorded there, the newest {}",
            a.versions,
            a.newest.as_deref().unwrap_or("none")
        ),
        "pgstep reads that table as the record of what is applied, and writes the tool's own \
         record with every change it makes, so the tool finds nothing to do afterwards"
            .to_string(),
    ]
}

pub const ADOPTION_TITLE: &str = " First change since adopting the project's tool ";

pub const ADOPTION_PROMPT: &str = "type the tool's name to confirm: ";

/// Whose record a phase's state comes from, for its detail.
pub fn state_source(source: crate::phases::Source, table: &str) -> String {
    match source {
        crate::phases::Source::Tool(tool) => format!("{tool}'s table {table}"),
        crate::phases::Source::Pgstep => "pgstep's history".to_string(),
    }
}
