//! `pgstep demo`: the seed's v1.0 recruitment database on a cluster of its own, and the
//! console on it with the bundled plan.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::db::{Fail, Target};
use super::{console, exit, write_out};
use crate::config::Config;
use crate::demo;

#[derive(Debug, Clone, Copy)]
pub struct DemoOptions {
    pub reset: bool,
    pub stop: bool,
    pub no_tui: bool,
    pub scale: u32,
    pub ascii: bool,
}

/// The plan the demo walks: `--dir`, else the configuration's (./migrations), else the one
/// in the source tree this binary was built from.
fn plan_dir(dir: Option<&Path>, config: &Config) -> PathBuf {
    if let Some(d) = dir {
        return d.to_path_buf();
    }
    if config.dir.is_dir() {
        return config.dir.clone();
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations")
}

pub async fn run(
    opts: DemoOptions,
    dir: Option<&Path>,
    target: &Target,
    config: &Config,
    out: &mut impl Write,
) -> Result<(), Fail> {
    let home = demo::home();
    if opts.stop {
        let stopped =
            demo::stop(&home).map_err(|e| Fail::new(exit::INPUT, format!("pgstep: {e}")))?;
        let text = if stopped {
            format!("stopped the demo cluster in {}\n", home.display())
        } else {
            format!("no demo cluster is running in {}\n", home.display())
        };
        return write_out(out, &text);
    }
    eprintln!(
        "pgstep demo: preparing the cluster in {} ...",
        home.display()
    );
    // The console reads this plan and finds its history as the demo's setup placed it.
    let target = Target {
        dir: plan_dir(dir, config),
        ..target.clone()
    };
    let p = demo::prepare(&home, opts.scale, opts.reset, target.placement(false))
        .await
        .map_err(|e| Fail::new(exit::INPUT, format!("pgstep demo: {e}")))?;
    let cluster = if p.started {
        "started"
    } else {
        "reused the running"
    };
    eprintln!(
        "pgstep demo: {cluster} PostgreSQL {} cluster in {}",
        p.version,
        p.dir.display()
    );
    if p.loaded {
        eprintln!(
            "pgstep demo: loaded the v1.0 recruitment database (scale {}) as `{}`",
            opts.scale,
            demo::DATABASE
        );
    } else {
        eprintln!(
            "pgstep demo: reused the `{}` database as it is (--reset starts over)",
            demo::DATABASE
        );
    }
    if opts.no_tui {
        eprintln!("pgstep demo: stop it with `pgstep demo --stop`");
        return write_out(out, &format!("{}\n", p.url));
    }
    let target = Target {
        url: Some(p.url),
        ..target
    };
    console::run(&target.dir, &target, config, opts.ascii).await
}
