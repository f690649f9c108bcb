//! A fleet as the configuration gives it (`[fleets.NAME]`). The configuration reads and
//! checks it; what it names is only found out when the fleet runs.

/// Where a setting was written, so a failure found only when the fleet runs (a discovery
/// query that fails) still names the file, line and key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// `path:line:column`.
    pub at: String,
    /// The dotted key, such as `fleets.tenants.discover[0].query`.
    pub key: String,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: error: `{}`", self.at, self.key)
    }
}

/// A target named in `targets`: a conninfo string or URL, as libpq reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub conninfo: String,
    pub origin: Origin,
}

/// A query whose single text column gives one target's conninfo per row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovery {
    /// Where the query runs.
    pub url: String,
    pub query: String,
    pub origin: Origin,
}

/// `[fleets.NAME]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fleet {
    pub name: String,
    pub targets: Vec<Listed>,
    pub discover: Vec<Discovery>,
    /// How many targets run first, alone, before any wave.
    pub canary: usize,
    /// Cumulative percentages of all targets, rising, the last one 100.
    pub waves: Vec<u16>,
    /// Targets at once.
    pub parallel: usize,
    /// Targets at once on one server (host and port).
    pub per_server: usize,
    /// Sessions at once on one server while only reading state (`status`, the confirmation,
    /// the Fleet view). A read holds its session for a few milliseconds and takes no lock a
    /// migration would wait on, so it may use more of a server than a migration does; the
    /// bound still keeps a fleet's reads far below a server's `max_connections`.
    pub read_per_server: usize,
    /// No new target starts once this many have failed.
    pub max_failures: usize,
}

impl Fleet {
    /// A fleet with no targets yet and the careful defaults: one canary, then everything
    /// else in one wave, eight at once, two per server (eight per server for reads), stop at
    /// the first failure.
    pub fn named(name: &str) -> Fleet {
        Fleet {
            name: name.to_owned(),
            targets: Vec::new(),
            discover: Vec::new(),
            canary: 1,
            waves: vec![100],
            parallel: 8,
            per_server: 2,
            read_per_server: 8,
            max_failures: 1,
        }
    }
}
