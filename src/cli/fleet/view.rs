//! `pgstep --fleet NAME`: the Fleet view in the console, and each target's own console
//! opened from it.

use std::io::IsTerminal;
use std::path::Path;

use super::{Ctx, find, read, targets};
use crate::cli::console;
use crate::cli::db::{self, Fail, Target};
use crate::cli::exit;
use crate::config::Config;
use crate::tui::fleet::{FleetView, Step, screen};
use crate::tui::theme::Theme;

pub async fn console(
    dir: &Path,
    base: &Target,
    config: &Config,
    name: &str,
    ascii: bool,
) -> Result<(), Fail> {
    let keymap = console::keymap(config)?;
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(Fail::new(
            exit::INPUT,
            "pgstep: the console needs a terminal; in scripts use `pgstep fleet NAME status`",
        ));
    }
    let fleet = find(config, name)?;
    let plan = db::load_plan(dir)?;
    let (found, schedule) = targets(fleet).await?;
    let ctx = Ctx {
        fleet,
        base,
        plan: &plan,
        targets: found,
        schedule,
    };
    let colour = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let mut theme = Theme::from_config(&config.colours, None, colour);
    theme.ascii = ascii || config.ascii;
    let mut servers: Vec<&str> = ctx.targets.iter().map(|t| t.server.as_str()).collect();
    servers.sort_unstable();
    servers.dedup();
    eprintln!("pgstep: reading {} target(s)...", ctx.targets.len());
    let mut view = FleetView {
        name: fleet.name.clone(),
        matrix: read::matrix(&ctx).await,
        servers: servers.len(),
        waves: ctx.schedule.waves.len(),
        canary: ctx.schedule.canary,
        selected: 0,
        filter: String::new(),
        typing: false,
    };
    loop {
        let step = screen::show(&mut view, &keymap, &theme, || read::matrix(&ctx))
            .await
            .map_err(|e| Fail::new(exit::INTERNAL, format!("pgstep: terminal error: {e}")))?;
        let Step::Open(i) = step else {
            return Ok(());
        };
        Box::pin(console::run(dir, &ctx.target_for(i), config, ascii)).await?;
        view.replace(read::matrix(&ctx).await);
    }
}
