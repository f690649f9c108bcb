//! Every kind of bad configuration, asserting that the message names the file, the line and
//! column, the key and what is allowed.

use std::collections::HashMap;
use std::fs;
use std::path::PathBuf;

use super::{Config, ConfigError, LoadOptions};

/// A repository (it has `.git`) whose project file is `text`, and no user file.
fn project(text: &str) -> (tempfile::TempDir, PathBuf, LoadOptions) {
    let root = tempfile::tempdir().unwrap();
    fs::create_dir(root.path().join(".git")).unwrap();
    let path = root.path().join("pgstep.toml");
    fs::write(&path, text).unwrap();
    let opts = LoadOptions {
        cwd: root.path().to_owned(),
        ..LoadOptions::default()
    };
    (root, path, opts)
}

fn load_err(opts: &LoadOptions) -> (ConfigError, String) {
    let err = Config::load(opts).expect_err("should fail");
    let text = err.to_string();
    (err, text)
}

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Writes `text` as the project file and asserts the error names the file, `line:column`
/// and every one of `says`.
fn assert_file_error(text: &str, line_col: &str, says: &[&str]) {
    let (_root, path, opts) = project(text);
    let (err, message) = load_err(&opts);
    assert!(matches!(err, ConfigError::Invalid { .. }), "{err:?}");
    let at = format!("{}:{line_col}:", path.display());
    assert!(message.starts_with(&at), "expected {at} in: {message}");
    for s in says {
        assert!(message.contains(s), "expected {s:?} in: {message}");
    }
}

#[test]
fn unknown_settings_name_their_line_and_what_is_allowed() {
    assert_file_error(
        "dir = \"x\"\n\n[profiles.prod]\nurl = \"host=x\"\ncolor = \"red\"\n",
        "5:1",
        &[
            "`profiles.prod.color`",
            "unknown setting",
            "colour",
            "statement_timeout",
        ],
    );
    assert_file_error(
        "history_tabel = \"x\"\n",
        "1:1",
        &["`history_tabel`", "history_table"],
    );
    assert_file_error(
        "[colours]\nbackground = \"red\"\n",
        "2:1",
        &[
            "`colours.background`",
            "unknown colour role",
            "accent",
            "comment",
        ],
    );
}

#[test]
fn bad_values_name_their_line() {
    assert_file_error(
        "[profiles.a]\n\ncolour = \"orange\"\n",
        "3:10",
        &[
            "`profiles.a.colour`",
            "`orange` is not a colour",
            "lightmagenta",
            "default",
        ],
    );
    assert_file_error(
        "[colours]\naccent = \"pink\"\n",
        "2:10",
        &["`colours.accent`", "not a colour"],
    );
    assert_file_error(
        "[profiles.a]\nlock_timeout = \"5 seconds\"\n",
        "2:16",
        &["`profiles.a.lock_timeout`", "not a duration", "500ms"],
    );
    assert_file_error(
        "[profiles.a]\nstatement_timeout = 5\n",
        "2:21",
        &["expected a string, found an integer"],
    );
    assert_file_error(
        "[profiles.a]\nread_only = \"no\"\n",
        "2:13",
        &["`profiles.a.read_only`", "true or false"],
    );
    assert_file_error("dir = \"x\n", "1:9", &["invalid basic string"]);
}

#[test]
fn passwords_in_profiles_are_refused_without_being_shown() {
    for (url, col) in [
        ("postgresql://alice:hunter2@db/app", "7"),
        ("host=db user=alice password=hunter2", "7"),
        ("postgresql://db/app?password=hunter2", "7"),
    ] {
        let text = format!("[profiles.prod]\nurl = \"{url}\"\n");
        assert_file_error(
            &text,
            &format!("2:{col}"),
            &[
                "`profiles.prod.url`",
                "PGPASSWORD",
                ".pgpass",
                "pg_service.conf",
            ],
        );
        let (_root, _, opts) = project(&text);
        assert!(!load_err(&opts).1.contains("hunter2"));
    }
}

#[test]
fn unknown_profiles() {
    let text = "[profiles.dev]\nurl = \"host=dev\"\n[profiles.qa]\nurl = \"host=qa\"\n";
    let (_root, _, mut opts) = project(text);
    opts.profile = Some("prod".into());
    let (err, message) = load_err(&opts);
    assert!(matches!(err, ConfigError::UnknownProfile { .. }), "{err:?}");
    assert!(
        message.contains("`prod`") && message.contains("--profile"),
        "{message}"
    );
    assert!(message.contains("dev, qa"), "{message}");

    opts.profile = None;
    opts.env = env(&[("PGSTEP_PROFILE", "stage")]);
    assert!(load_err(&opts).1.contains("PGSTEP_PROFILE"));

    assert_file_error(
        "ascii = true\ndefault_profile = \"prod\"\n[profiles.dev]\nurl = \"host=dev\"\n",
        "2:19",
        &[
            "`default_profile`",
            "no profile `prod`",
            "the profiles are dev",
        ],
    );
}

#[test]
fn bad_key_bindings() {
    assert_file_error(
        "[keys]\nquit = \"q\"\nexplode = \"x\"\n",
        "3:1",
        &["`keys.explode`", "unknown action", "apply_next", "next_tab"],
    );
    assert_file_error(
        "[keys]\nrollback = \"ctrl-alt-delete-x\"\n",
        "2:12",
        &["`keys.rollback`", "not a modifier"],
    );
    assert_file_error(
        "[keys]\nverify = \"F42\"\n",
        "2:10",
        &["unknown key `F42`", "F1 to F12"],
    );
    assert_file_error(
        "[keys]\nquit = [\"q\", 5]\n",
        "2:14",
        &["`keys.quit`", "expected a string, found an integer"],
    );
    assert_file_error(
        "[keys]\n\nquit = []\n",
        "3:8",
        &["`keys.quit`", "at least one key"],
    );
}

#[test]
fn an_action_may_have_several_keys() {
    let (_root, _, opts) = project("[keys]\nquit = [\"q\", \"ctrl-c\"]\nrollback = \"n\"\n");
    let config = Config::load(&opts).unwrap();
    let quit: Vec<String> = config
        .keys
        .get("quit")
        .unwrap()
        .iter()
        .map(|k| k.to_string())
        .collect();
    assert_eq!(quit, ["q", "ctrl-c"]);
    assert_eq!(config.keys.get("rollback").unwrap()[0].to_string(), "n");
    assert_eq!(config.keys.get("apply_next").unwrap()[0].to_string(), "n");
}

#[test]
fn missing_and_unreadable_files() {
    let (root, _, mut opts) = project("");
    opts.config = Some(PathBuf::from("nope.toml"));
    let (err, message) = load_err(&opts);
    assert!(matches!(err, ConfigError::Missing { .. }), "{err:?}");
    let expected = root.path().join("nope.toml").display().to_string();
    assert!(message.starts_with(&expected), "{message}");
    assert!(message.contains("--config"), "{message}");

    opts.config = None;
    opts.env = env(&[("PGSTEP_CONFIG", "/no/such/pgstep.toml")]);
    assert!(load_err(&opts).1.contains("PGSTEP_CONFIG"));

    opts.env.clear();
    opts.config = Some(root.path().to_owned());
    let (err, message) = load_err(&opts);
    assert!(matches!(err, ConfigError::Read { .. }), "{err:?}");
    assert!(message.contains("cannot read"), "{message}");

    opts.config = None;
    opts.user_config = Some(root.path().join("no/such/config.toml"));
    assert!(Config::load(&opts).is_ok(), "a missing user file is fine");
}

#[test]
fn adopt_names_a_tool_or_none_and_the_command_line_wins() {
    use crate::adopt::{Choice, Tool};
    let (_root, _path, mut opts) = project("adopt = \"golang-migrate\"\n");
    let config = Config::load(&opts).unwrap();
    assert_eq!(config.adopt, Choice::Only(Tool::GolangMigrate));
    assert!(!config.history_named);
    opts.adopt = Some(Choice::Nothing);
    assert_eq!(Config::load(&opts).unwrap().adopt, Choice::Nothing);
    opts.history_schema = Some("ops".into());
    assert!(Config::load(&opts).unwrap().history_named);
    assert_file_error(
        "adopt = \"liquibase\"\n",
        "1:9",
        &["`adopt`", "`liquibase`", "golang-migrate", "none"],
    );
}

#[test]
fn a_profile_sets_the_default_gates_of_batched_steps() {
    use crate::plan::batch::LagLimit;
    let (_root, _, opts) = project(
        "default_profile = \"prod\"\n[profiles.prod]\nmax_replica_lag = \"16MB\"\n\
         max_wal_rate = \"50MB/s\"\nbatch_pause = \"50ms\"\n",
    );
    let gates = Config::load(&opts).unwrap().engine_settings().gates;
    assert_eq!(gates.max_replica_lag, Some(LagLimit::Bytes(16 << 20)));
    assert_eq!(gates.max_wal_rate, Some(50 << 20));
    assert_eq!(
        gates.batch_pause,
        Some(std::time::Duration::from_millis(50))
    );

    let (_root, _, opts) = project("");
    let gates = Config::load(&opts).unwrap().engine_settings().gates;
    assert_eq!(
        gates,
        crate::plan::batch::Gates::default(),
        "off when unset"
    );
}

#[test]
fn bad_gate_defaults_name_their_line() {
    assert_file_error(
        "[profiles.a]\nmax_replica_lag = \"lots\"\n",
        "2:19",
        &["`profiles.a.max_replica_lag`", "16MB"],
    );
    assert_file_error(
        "[profiles.a]\nmax_wal_rate = \"50MB\"\n",
        "2:16",
        &["`profiles.a.max_wal_rate`", "50MB/s"],
    );
}
