//! Adopting the project's migration tool: what its dialog shows and whose record a
//! phase's state comes from.

use crate::adopt::Tool;
use crate::phases::ToolGap;

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

/// Whose record a phase's state comes from, for its detail, and why pgstep's history and
/// the tool's table disagree, where they do.
pub fn state_source(
    source: crate::phases::Source,
    gap: Option<ToolGap>,
    (tool, table): (Tool, &str),
) -> String {
    let whose = match source {
        crate::phases::Source::Tool(tool) => format!("{tool}'s table {table}"),
        crate::phases::Source::Pgstep => "pgstep's history".to_string(),
    };
    match gap {
        None => whose,
        Some(ToolGap::UndoneByTool) => {
            format!("{whose}: pgstep applied it; {tool} has rolled it back since")
        }
        Some(ToolGap::BeforeAdoption) => format!(
            "{whose}: applied by pgstep before it adopted {tool}'s table; not in {tool}'s \
             table, so {tool} run now would run it again: the next apply (or `pgstep up`) \
             records it there"
        ),
    }
}

/// Phases pgstep applied before it adopted the tool's table, recorded there.
pub fn recorded_in_tool(tool: Tool, versions: &[String]) -> String {
    format!(
        "recorded in {tool}'s table, applied by pgstep before it adopted it: {}",
        crate::text::Escaped(&crate::text::list_of(versions, 20))
    )
}
