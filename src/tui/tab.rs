//! The console's tabs.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Phases,
    Log,
    Indexes,
    Matviews,
    Activity,
    Trash,
}

impl Tab {
    /// Every tab in order; [`App::tabs`] is the ones shown.
    pub const ALL: [Tab; 6] = [
        Tab::Phases,
        Tab::Log,
        Tab::Indexes,
        Tab::Matviews,
        Tab::Activity,
        Tab::Trash,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Tab::Phases => "Phases",
            Tab::Log => "Log",
            Tab::Indexes => "Indexes",
            Tab::Matviews => "Matviews",
            Tab::Activity => "Activity",
            Tab::Trash => "Trash",
        }
    }
}
