//! The binding table as the configuration reaches it: every binding of every screen can be
//! given another key, which then acts and is what the footer and help show; keys that would
//! shadow each other on one screen, or be typed as text, are refused with the file's place.

use std::path::{Path, PathBuf};

use pgstep::config::{Config, LoadOptions};
use pgstep::keys::{self, Context, KeySpec};
use pgstep::tui::keymap::{Conflict, Keymap, label};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// A project directory with `pgstep.toml` holding `text`.
fn project(text: &str) -> (tempfile::TempDir, PathBuf) {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("migrations")).unwrap();
    let file = root.path().join("pgstep.toml");
    std::fs::write(&file, text).unwrap();
    (root, file)
}

fn load(file: &Path) -> Config {
    let opts = LoadOptions {
        config: Some(file.to_owned()),
        cwd: file.parent().unwrap().to_owned(),
        ..LoadOptions::default()
    };
    Config::load(&opts).unwrap_or_else(|e| panic!("{e}"))
}

/// The console on `file`, with no terminal: it stops at the keys or at the terminal.
fn console(root: &Path, file: &Path) -> (Option<i32>, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pgstep"))
        .arg("--config")
        .arg(file)
        .args(["--url", "postgresql://postgres@127.0.0.1:1/x", "--dir"])
        .arg(root.join("migrations"))
        .env("HOME", root)
        .env("XDG_CONFIG_HOME", root.join("home"))
        .env_remove("PGSTEP_CONFIG")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const F12: KeyEvent = KeyEvent::new(KeyCode::F(12), KeyModifiers::NONE);

#[test]
fn every_binding_can_be_configured_and_shows_its_new_key() {
    let defaults = keys::defaults();
    for (name, _) in keys::actions() {
        let (_root, file) = project(&format!("[keys]\n{name} = \"F12\"\n"));
        let km =
            Keymap::configured(&load(&file).keys).unwrap_or_else(|c| panic!("{name} = F12: {c:?}"));
        for b in defaults.iter().filter(|b| b.name == name) {
            let screen = b.context.screen();
            assert_eq!(
                km.lookup(&screen, &F12, false),
                Some(b.command),
                "{name} in {:?}",
                b.context
            );
            let help = km.help(&screen, false);
            assert!(
                help.iter()
                    .any(|(k, h)| *h == b.help && k.split('/').any(|k| k == "F12")),
                "{name}: help {help:?}"
            );
            if b.footer {
                let footer = km.footer(&screen, false);
                assert!(
                    footer.iter().any(|(_, k, n)| *n == name && k == "F12"),
                    "{name}: footer {footer:?}"
                );
            }
            for old in &b.keys {
                let shown = help.iter().find(|(_, h)| *h == b.help).unwrap();
                assert!(
                    !shown.0.split('/').any(|k| k == label(old)),
                    "{name}: the old key {old} is still shown"
                );
            }
        }
    }
}

#[test]
fn two_actions_given_one_key_on_one_screen_are_refused() {
    let defaults = keys::defaults();
    let mut pairs = 0;
    for context in Context::ALL {
        let screen = context.screen();
        let mut names: Vec<&str> = defaults
            .iter()
            .filter(|b| screen.contains(&b.context))
            .map(|b| b.name)
            .collect();
        names.dedup();
        for (i, a) in names.iter().enumerate() {
            for b in &names[i + 1..] {
                if a == b {
                    continue;
                }
                let (_root, file) = project(&format!("[keys]\n{a} = \"F12\"\n{b} = \"F12\"\n"));
                match Keymap::configured(&load(&file).keys) {
                    Err(Conflict::Shared { key, .. }) => {
                        assert_eq!(key, KeySpec::parse("F12").unwrap());
                    }
                    other => panic!("{a} and {b} on {context:?}: {other:?}"),
                }
                pairs += 1;
            }
        }
    }
    assert!(pairs > 100, "{pairs}");
}

#[test]
fn the_monitoring_dialog_editor_and_global_keys_can_be_configured() {
    let (root, file) = project(
        "[keys]\ncancel_backend = \"K\"\nterminate_backend = \"alt-t\"\nyes = \"Y\"\n\
         tab_1 = \"F1\"\ninterrupt = \"ctrl-q\"\nrun_query = \"F6\"\nback = \"ctrl-g\"\n",
    );
    let (code, stderr) = console(root.path(), &file);
    assert!(stderr.contains("needs a terminal"), "{code:?} {stderr}");
}

#[test]
fn a_collision_in_a_dialog_is_refused_with_file_line_and_what_to_do() {
    for (text, line_col, says) in [
        (
            "[keys]\nno = \"y\"\n",
            "2:6",
            "`keys.no`: y is also the key of `yes`",
        ),
        (
            "[keys]\nsubmit = \"down\"\n",
            "2:10",
            "`keys.submit`: ↓ is also the key of `scroll_down`",
        ),
        (
            "[keys]\ninterrupt = \"q\"\n",
            "2:13",
            "`keys.interrupt`: q is also the key of `quit`",
        ),
        (
            "[keys]\nmark_applied = \"p\"\n",
            "2:16",
            "`keys.mark_applied`: p is also the key of `mark_pending`",
        ),
        (
            "[keys]\nclose = \"e\"\n",
            "2:9",
            "`keys.close`: e is also the key of `edit_check`",
        ),
    ] {
        let (root, file) = project(text);
        let (code, stderr) = console(root.path(), &file);
        assert_eq!(code, Some(2), "{text}: {stderr}");
        assert!(
            stderr.contains(&format!("{}:{line_col}", file.display())),
            "{text}: {stderr}"
        );
        assert!(stderr.contains(says), "{text}: {stderr}");
        assert!(
            stderr.contains("give one of them another key"),
            "{text}: {stderr}"
        );
    }
}

#[test]
fn a_character_where_text_is_typed_is_refused() {
    let (root, file) = project("[keys]\nback = \"x\"\n");
    let (code, stderr) = console(root.path(), &file);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("{}:2:8", file.display())),
        "{stderr}"
    );
    assert!(stderr.contains("takes typed text"), "{stderr}");
    assert!(stderr.contains("ctrl- or alt-"), "{stderr}");
}

#[test]
fn the_readme_lists_every_key_under_its_name() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let start = readme.find("## The console").unwrap();
    let section = &readme[start..readme[start..].find("\n## ").unwrap() + start];
    for b in keys::defaults() {
        let row = section
            .lines()
            .filter(|l| l.starts_with('|'))
            .find(|l| {
                l.contains(&format!("`{}`", b.name))
                    || (b.name.starts_with("tab_") && l.contains("`tab_1` ... `tab_9`"))
            })
            .unwrap_or_else(|| panic!("`{}` is not in the README's key table", b.name));
        if !b.name.starts_with("tab_") {
            for k in &b.keys {
                assert!(
                    row.contains(&format!("`{}`", label(k))),
                    "{}: {row}",
                    b.name
                );
            }
        }
    }
}
