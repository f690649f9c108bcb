//! `pgstep` (or `pgstep tui`): opens the console on the database and the plan.

use std::io::IsTerminal;
use std::path::Path;

use super::db::{self, Fail, Target};
use super::exit;
use crate::config::{Config, ConfigError};
use crate::plan;
use crate::tui::app::{App, Header, Options};
use crate::tui::keymap::{Conflict, Keymap, label};
use crate::tui::theme::Theme;
use crate::tui::{self, Connected};

pub async fn run(dir: &Path, target: &Target, config: &Config, ascii: bool) -> Result<(), Fail> {
    let keymap = keymap(config)?;
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(Fail::new(
            exit::INPUT,
            "pgstep: the console needs a terminal; in scripts use the commands (pgstep status, up, down, ...)",
        ));
    }
    let params = db::resolve(target)?;
    // Said before the console takes the screen.
    for w in params.warnings() {
        eprintln!("warning: {w}");
    }
    let profile = target.profile.as_ref();
    let header = Header {
        profile: target.profile_name().to_string(),
        target: params.to_string(),
        role: params.user().to_string(),
        server_version: "(connecting)".into(),
        environment: profile.and_then(|p| {
            p.environment
                .clone()
                .or_else(|| p.is_production().then(|| p.name.clone()))
        }),
        read_only: profile.is_some_and(|p| p.read_only),
    };
    let colour = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let mut theme = Theme::from_config(&config.colours, profile.and_then(|p| p.colour), colour);
    theme.ascii = ascii || config.ascii;
    let options = Options {
        confirm_typed: target.typed(),
        lock_timeout: Some(target.settings.lock_timeout),
        theme,
        lint: config.lint.clone(),
    };
    // Counting the entries is a few milliseconds even for 10,000 files; reading them is not,
    // so that happens behind the first frame.
    let files = std::fs::read_dir(dir).map_or(0, |d| d.count());
    let app = App::reading(dir.to_path_buf(), files, header, keymap, options);
    let plan_dir = dir.to_path_buf();
    let read_plan =
        move || plan::load_outline(&plan_dir).map_err(|e| db::plan_errors(&plan_dir, &e));
    let connect = || {
        let target = target.clone();
        let params = params.clone();
        async move {
            let worker = db::open(&target, params.clone())
                .await
                .map_err(|f| f.message)?;
            let reader = db::open(&target, params.clone())
                .await
                .map_err(|f| f.message)?;
            let client = worker.engine.client();
            let fact = async |sql: &str| -> String {
                match client.query_one(sql, &[]).await {
                    Ok(r) => r.get(0),
                    Err(_) => "?".into(),
                }
            };
            let version = fact("SHOW server_version").await;
            // "15.18 (Debian 15.18-0+deb12u1)": the number is what the header has room for.
            let server_version = version.split_whitespace().next().unwrap_or("?").to_string();
            let role = fact("SELECT current_user::text").await;
            Ok(Connected {
                params: worker.params.clone(),
                worker: worker.engine,
                reader: reader.engine,
                role,
                server_version,
            })
        }
    };
    let app = tui::run(app, read_plan, connect)
        .await
        .map_err(|e| Fail::new(exit::INTERNAL, format!("pgstep: terminal error: {e}")))?;
    if let Some(message) = app.plan_error {
        return Err(Fail::new(exit::INPUT, message));
    }
    // Said once the screen is back, where the other commands say them before their output.
    for w in &app.plan.warnings {
        eprintln!("{w}");
    }
    Ok(())
}

/// The console's keymap with the configuration's bindings. A key given to two actions that
/// act on the same screen is refused: one of them would silently never act; so is a
/// character where a dialog takes typed text.
pub(super) fn keymap(config: &Config) -> Result<Keymap, Fail> {
    let conflict = match Keymap::configured(&config.keys) {
        Ok(km) => return Ok(km),
        Err(c) => c,
    };
    let keys = &config.keys;
    let (set, message) = match conflict {
        Conflict::Shared { first, second, key } => {
            let (set, other) = if keys.place(second).is_some() {
                (second, first)
            } else {
                (first, second)
            };
            let message = format!(
                "{} is also the key of `{other}`{}, and both act on the same screen, so one of them would never act: give one of them another key",
                label(&key),
                keys.place(other)
                    .map(|p| format!(" (set at {p})"))
                    .unwrap_or_default(),
            );
            (set, message)
        }
        Conflict::Typed { name, key, context } => {
            let message = format!(
                "{} is a character, and {} takes typed text, so it could not be typed there: give `{name}` a key with ctrl- or alt-, or a named key",
                label(&key),
                context.describe(),
            );
            (name, message)
        }
    };
    let key = format!("keys.{set}");
    let error = match keys.place(set) {
        Some(place) => ConfigError::invalid(place.clone(), &key, message).to_string(),
        // Only the defaults could conflict without a file, and a test keeps them apart.
        None => format!("pgstep: error: `{key}`: {message}"),
    };
    Err(Fail::new(exit::INPUT, error))
}
