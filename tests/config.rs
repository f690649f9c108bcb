//! Configuration through the library: precedence layer by layer, the project file search,
//! relative directories, profile choice and the bundled example (bad files are tested in
//! src/config/load_tests.rs).
//! Nothing here reads the process environment or the real user file.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use pgstep::config::{
    COLOUR_ROLES, Colour, Config, Confirm, Connection, KeyCode, LoadOptions, paths,
};

/// A scratch tree: `home/` holds the user file, `repo/` is a repository (it has `.git`).
struct World {
    root: tempfile::TempDir,
}

impl World {
    fn new() -> World {
        let world = World {
            root: tempfile::tempdir().unwrap(),
        };
        fs::create_dir_all(world.repo().join(".git")).unwrap();
        world
    }

    fn repo(&self) -> PathBuf {
        self.root.path().join("repo")
    }

    fn user_file(&self) -> PathBuf {
        self.root.path().join("home/pgstep/config.toml")
    }

    fn write(&self, path: &Path, text: &str) -> PathBuf {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
        path.to_owned()
    }

    fn opts(&self) -> LoadOptions {
        LoadOptions {
            cwd: self.repo(),
            user_config: Some(self.user_file()),
            ..LoadOptions::default()
        }
    }
}

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn load(opts: &LoadOptions) -> Config {
    Config::load(opts).unwrap_or_else(|e| panic!("should load: {e}"))
}

const USER: &str = r#"
dir = "user-migrations"
history_table = "user_history"
history_schema = "user_schema"
ascii = true
default_profile = "a"
[profiles.a]
url = "host=a"
[profiles.b]
url = "host=b"
[keys]
quit = "x"
help = "F1"
[colours]
accent = "blue"
pending = "white"
"#;

const PROJECT: &str = r#"
dir = "db"
history_table = "project_history"
default_profile = "b"
[keys]
quit = "ctrl-q"
[colours]
accent = "lightcyan"
"#;

#[test]
fn defaults_without_any_file() {
    let world = World::new();
    let config = load(&world.opts());
    assert_eq!(config.dir, PathBuf::from("migrations"));
    assert_eq!(config.history_table, "schema_migrations");
    assert_eq!(config.history_schema, None);
    assert!(!config.ascii);
    assert!(config.profile().is_none());
    assert!(config.sources().is_empty());
    assert_eq!(
        config.keys.get("apply_next").unwrap()[0].code,
        KeyCode::Char('n')
    );
    assert_eq!(config.colours.get("failed"), Some(Colour::Red));
    assert_eq!(
        config.engine_settings().lock_timeout,
        Duration::from_secs(2)
    );
}

#[test]
fn precedence_cli_env_project_user_defaults() {
    let world = World::new();
    let user = world.write(&world.user_file(), USER);
    let mut opts = world.opts();

    let config = load(&opts);
    assert_eq!(config.sources(), std::slice::from_ref(&user));
    assert_eq!(config.dir, user.parent().unwrap().join("user-migrations"));
    assert_eq!(config.history_table, "user_history");
    assert_eq!(config.history_schema.as_deref(), Some("user_schema"));
    assert!(config.ascii);
    assert_eq!(config.profile().unwrap().name, "a");
    assert_eq!(config.keys.get("quit").unwrap()[0].to_string(), "x");
    assert_eq!(config.keys.get("help").unwrap()[0].to_string(), "F1");
    assert_eq!(config.colours.get("accent"), Some(Colour::Blue));

    let project = world.write(&world.repo().join("pgstep.toml"), PROJECT);
    let config = load(&opts);
    assert_eq!(config.sources(), [user.clone(), project.clone()]);
    assert_eq!(config.dir, world.repo().join("db"));
    assert_eq!(config.history_table, "project_history");
    assert_eq!(config.history_schema.as_deref(), Some("user_schema"));
    assert!(config.ascii, "the project file does not set ascii");
    assert_eq!(config.profile().unwrap().name, "b");
    assert_eq!(config.keys.get("quit").unwrap()[0].to_string(), "ctrl-q");
    assert_eq!(config.keys.get("help").unwrap()[0].to_string(), "F1");
    assert_eq!(config.colours.get("accent"), Some(Colour::LightCyan));
    assert_eq!(config.colours.get("pending"), Some(Colour::White));
    assert_eq!(config.colours.get("failed"), Some(Colour::Red));

    opts.env = env(&[("PGSTEP_DIR", "env-dir"), ("PGSTEP_PROFILE", "a")]);
    let config = load(&opts);
    assert_eq!(config.dir, PathBuf::from("env-dir"));
    assert_eq!(config.profile().unwrap().name, "a");
    assert_eq!(config.history_table, "project_history");

    opts.dir = Some(PathBuf::from("cli-dir"));
    opts.profile = Some("b".into());
    opts.history_table = Some("cli_history".into());
    opts.history_schema = Some("cli_schema".into());
    let config = load(&opts);
    assert_eq!(config.dir, PathBuf::from("cli-dir"));
    assert_eq!(config.profile().unwrap().name, "b");
    assert_eq!(config.history_table, "cli_history");
    assert_eq!(config.history_schema.as_deref(), Some("cli_schema"));
}

#[test]
fn empty_environment_values_count_as_unset() {
    let world = World::new();
    world.write(&world.user_file(), USER);
    let mut opts = world.opts();
    opts.env = env(&[
        ("PGSTEP_DIR", ""),
        ("PGSTEP_PROFILE", ""),
        ("PGSTEP_CONFIG", ""),
    ]);
    let config = load(&opts);
    assert!(config.dir.ends_with("user-migrations"));
    assert_eq!(config.profile().unwrap().name, "a");
}

#[test]
fn project_file_is_searched_upward_to_the_repository_root() {
    let world = World::new();
    let deep = world.repo().join("a/b");
    fs::create_dir_all(&deep).unwrap();
    let mut opts = world.opts();
    opts.cwd = deep.clone();

    let above_repo = world.write(&world.root.path().join("pgstep.toml"), "ascii = true\n");
    let config = load(&opts);
    assert!(config.sources().is_empty(), "{:?}", config.sources());
    assert!(!config.ascii, "{} is above .git", above_repo.display());

    let at_root = world.write(
        &world.repo().join("pgstep.toml"),
        "history_table = \"root\"\n",
    );
    assert_eq!(load(&opts).sources(), std::slice::from_ref(&at_root));
    assert_eq!(load(&opts).history_table, "root");

    let nearer = world.write(
        &world.repo().join("a/pgstep.toml"),
        "history_table = \"a\"\n",
    );
    assert_eq!(load(&opts).sources(), std::slice::from_ref(&nearer));
    assert_eq!(load(&opts).history_table, "a");

    let listed = paths(&opts);
    let expected = vec![
        ("user", world.user_file(), false),
        ("project", deep.join("pgstep.toml"), false),
        ("project", nearer, true),
        ("project", at_root, true),
    ];
    assert_eq!(listed, expected);

    fs::remove_dir(world.repo().join(".git")).unwrap();
    let without_git = paths(&opts);
    assert!(without_git.iter().any(|(_, p, e)| *p == above_repo && *e));
    assert_eq!(without_git.last().unwrap().1, Path::new("/pgstep.toml"));
}

#[test]
fn config_file_replaces_the_project_file_but_not_the_user_file() {
    let world = World::new();
    let user = world.write(&world.user_file(), "ascii = true\n");
    world.write(
        &world.repo().join("pgstep.toml"),
        "history_table = \"project\"\n",
    );
    let given = world.write(
        &world.root.path().join("elsewhere/custom.toml"),
        "dir = \"../db\"\n",
    );
    let mut opts = world.opts();
    opts.config = Some(PathBuf::from("../elsewhere/custom.toml"));
    let config = load(&opts);
    assert_eq!(config.sources().len(), 2);
    assert_eq!(config.sources()[0], user);
    assert!(config.sources()[1].ends_with("elsewhere/custom.toml"));
    assert_eq!(config.history_table, "schema_migrations");
    assert!(config.ascii);
    assert_eq!(
        fs::canonicalize(config.dir.parent().unwrap()).unwrap(),
        fs::canonicalize(world.root.path()).unwrap()
    );
    assert!(config.dir.ends_with("db"));

    let listed = paths(&opts);
    assert_eq!(listed.last().unwrap().0, "--config");
    assert!(listed.last().unwrap().2);
    assert!(
        listed
            .iter()
            .any(|(l, _, e)| l.starts_with("project (replaced") && *e)
    );

    opts.config = None;
    opts.env = env(&[("PGSTEP_CONFIG", given.to_str().unwrap())]);
    assert_eq!(load(&opts).sources()[1], given);
}

#[test]
fn relative_dirs_follow_the_file_that_set_them() {
    let world = World::new();
    world.write(&world.user_file(), "dir = \"mine\"\n");
    assert_eq!(
        load(&world.opts()).dir,
        world.user_file().parent().unwrap().join("mine")
    );
    world.write(&world.repo().join("pgstep.toml"), "dir = \"sql/up\"\n");
    let mut opts = world.opts();
    opts.cwd = world.repo().join("sub");
    fs::create_dir_all(&opts.cwd).unwrap();
    assert_eq!(load(&opts).dir, world.repo().join("sql/up"));
    world.write(
        &world.repo().join("pgstep.toml"),
        "dir = \"/srv/migrations\"\n",
    );
    assert_eq!(load(&opts).dir, PathBuf::from("/srv/migrations"));
}

#[test]
fn profile_choice() {
    let world = World::new();
    let two = "[profiles.dev]\nurl = \"host=dev\"\n[profiles.qa]\nservice = \"qa\"\n";
    let project = world.write(&world.repo().join("pgstep.toml"), two);
    let mut opts = world.opts();
    assert!(
        load(&opts).profile().is_none(),
        "two profiles and no default"
    );
    assert_eq!(load(&opts).profiles.len(), 2);

    world.write(&project, &format!("default_profile = \"qa\"\n{two}"));
    assert_eq!(load(&opts).profile().unwrap().name, "qa");
    opts.env = env(&[("PGSTEP_PROFILE", "dev")]);
    assert_eq!(load(&opts).profile().unwrap().name, "dev");
    opts.profile = Some("qa".into());
    assert_eq!(load(&opts).profile().unwrap().name, "qa");

    world.write(&project, "[profiles.only]\nurl = \"host=one\"\n");
    let config = load(&world.opts());
    assert_eq!(config.profile().unwrap().name, "only");
    assert_eq!(config.connection(), Some("host=one"));
}

#[test]
fn profiles_carry_their_settings() {
    let world = World::new();
    world.write(
        &world.user_file(),
        "[profiles.prod]\nurl = \"host=user-prod\"\nread_only = true\n",
    );
    let text = "[profiles.prod]\nservice = \"prod db\"\nconfirm = \"typed\"\n\
        lock_timeout = \"500ms\"\nstatement_timeout = \"10min\"\n\
        [profiles.stage]\nenvironment = \"PRODUCTION\"\ncolour = \"yellow\"\n";
    world.write(&world.repo().join("pgstep.toml"), text);
    let mut opts = world.opts();
    opts.profile = Some("prod".into());
    let config = load(&opts);
    let prod = config.profile().unwrap();
    assert_eq!(prod.connection, Some(Connection::Service("prod db".into())));
    assert!(
        !prod.read_only,
        "the project's prod replaces the user's as a whole"
    );
    assert_eq!(prod.confirm, Confirm::Typed);
    assert_eq!(prod.colour, Some(Colour::Red), "prod is red by default");
    assert_eq!(config.connection(), Some("service='prod db'"));
    let settings = config.engine_settings();
    assert_eq!(settings.lock_timeout, Duration::from_millis(500));
    assert_eq!(settings.statement_timeout, Some(Duration::from_secs(600)));
    assert_eq!(settings.lock_retries, 4);

    let stage = &config.profiles["stage"];
    assert!(stage.is_production());
    assert_eq!(
        stage.colour,
        Some(Colour::Yellow),
        "an explicit colour wins"
    );
    assert_eq!(stage.confirm, Confirm::Yes);
    assert_eq!(stage.connection, None);
}

#[test]
fn url_and_database_url_come_before_a_profile() {
    let world = World::new();
    world.write(
        &world.repo().join("pgstep.toml"),
        "[profiles.p]\nurl = \"host=p\"\n",
    );
    let mut opts = world.opts();
    assert_eq!(load(&opts).connection(), Some("host=p"));
    opts.url_given = true;
    let config = load(&opts);
    assert_eq!(config.connection(), None);
    assert!(config.warnings().is_empty());
    opts.url_given = false;
    opts.env = env(&[("DATABASE_URL", "postgresql://other/db")]);
    let config = load(&opts);
    assert_eq!(config.connection(), None);
    assert!(
        config.warnings()[0].contains("DATABASE_URL"),
        "{:?}",
        config.warnings()
    );
    assert_eq!(config.profile().unwrap().name, "p");
}

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("config/pgstep.toml")
}

#[test]
fn the_example_file_loads() {
    let world = World::new();
    let mut opts = world.opts();
    opts.config = Some(example());
    let config = load(&opts);
    assert_eq!(config.dir, example().parent().unwrap().join("migrations"));
    assert_eq!(config.profile().unwrap().name, "local");
    assert_eq!(
        config.connection(),
        Some("postgresql://localhost:5432/app_dev")
    );
    let prod = &config.profiles["prod"];
    assert_eq!(prod.colour, Some(Colour::Red));
    assert!(!prod.read_only);
    assert_eq!(prod.confirm, Confirm::Typed);
    assert_eq!(prod.lock_timeout, Some(Duration::from_secs(1)));
    assert_eq!(config.max_file_size, pgstep::files::DEFAULT_MAX_SIZE);
    let fleet = &config.fleets["tenants"];
    assert_eq!(fleet.targets.len(), 2);
    assert_eq!(fleet.discover.len(), 1);
    assert_eq!(fleet.waves, vec![10, 50, 100]);
    assert_eq!((fleet.canary, fleet.parallel, fleet.per_server), (1, 8, 2));
    assert!(config.warnings().is_empty());
}

#[test]
fn the_example_file_shows_every_action_and_role_with_its_default() {
    let text = fs::read_to_string(example()).unwrap();
    let doc: toml::Table = text.parse().unwrap();
    let keys = doc["keys"].as_table().unwrap();
    let actions = pgstep::keys::actions();
    assert_eq!(keys.len(), actions.len());
    for (action, defaults) in &actions {
        let written: Vec<String> = match &keys[*action] {
            toml::Value::String(s) => vec![s.clone()],
            toml::Value::Array(a) => a.iter().map(|v| v.as_str().unwrap().to_owned()).collect(),
            other => panic!("{action}: {other:?}"),
        };
        let expected: Vec<String> = defaults.iter().map(|k| k.to_string()).collect();
        assert_eq!(written, expected, "{action}");
    }
    let colours = doc["colours"].as_table().unwrap();
    assert_eq!(colours.len(), COLOUR_ROLES.len());
    for (role, default) in COLOUR_ROLES {
        assert_eq!(
            colours.get(*role).and_then(|v| v.as_str()),
            Some(default.name()),
            "{role}"
        );
    }
}

/// The console with `file` as its configuration, with no terminal and no user file.
fn console_with(world: &World, file: &Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_pgstep"))
        .arg("--config")
        .arg(file)
        .args(["--url", "postgresql://postgres@127.0.0.1:1/x", "--dir"])
        .arg(world.repo())
        .env("HOME", world.root.path())
        .env("XDG_CONFIG_HOME", world.root.path().join("home"))
        .env_remove("PGSTEP_CONFIG")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn a_key_given_to_two_actions_on_one_screen_is_refused_with_its_place() {
    let world = World::new();
    let file = world.write(
        &world.repo().join("pgstep.toml"),
        "[keys]\nrollback = [\"r\", \"ctrl-r\"]\n",
    );
    let out = console_with(&world, &file);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("{}:2:12", file.display())),
        "{stderr}"
    );
    assert!(stderr.contains("`keys.rollback`: ctrl-r"), "{stderr}");
    assert!(stderr.contains("`refresh`"), "{stderr}");

    // Both set in the file: the message names where the other one was set.
    world.write(&file, "[keys]\nquit = \"x\"\napply_next = \"x\"\n");
    let out = console_with(&world, &file);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("`keys.apply_next`: x"), "{stderr}");
    assert!(
        stderr.contains(&format!("`quit` (set at {}:2:8)", file.display())),
        "{stderr}"
    );

    // Moving the other action's key away settles it: the console then only lacks a terminal.
    world.write(
        &file,
        "[keys]\nrefresh = \"F5\"\nrollback = [\"r\", \"ctrl-r\"]\n",
    );
    let out = console_with(&world, &file);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("needs a terminal"), "{stderr}");
}
