//! The console end to end: the real binary in a pseudo-terminal, keys written to it, and its
//! screen read back through a terminal emulator, against a real database.

mod support;

use std::time::Duration;

use support::console::{CTRL_C, Console, ENTER, ESC, LEAVE_ALTERNATE, WAIT, line_with};
use support::fresh_db;
use support::migrations::{Dir, Pg, wait_until};
use support::proxy::server_port;

/// Three phases; the first has a check guarding `authors`, which exists before the plan.
fn three_phases(pg: &Pg) -> Dir {
    pg.exec(
        "CREATE TABLE authors (id int PRIMARY KEY, name text NOT NULL);
         INSERT INTO authors VALUES (1, 'Le Guin'), (2, 'Lem');",
    );
    let dir = Dir::new();
    dir.write(
        "001_create_books.sql",
        "-- Migration: Create books\n\
         CREATE TABLE books (id int PRIMARY KEY, title text NOT NULL);\n\
         INSERT INTO books SELECT g, 'book ' || g FROM generate_series(1, 3) g;\n\
         \n\
         -- VERIFY\n\
         -- Check: rows kept\n\
         -- Expect: unchanged\n\
         SELECT count(*) FROM authors;\n\
         \n\
         -- DOWN\n\
         DROP TABLE books;\n",
    );
    dir.write(
        "002_add_isbn.sql",
        "ALTER TABLE books ADD COLUMN isbn text;\n\
         \n\
         -- DOWN\n\
         ALTER TABLE books DROP COLUMN isbn;\n",
    );
    dir.write(
        "003_index_titles.sql",
        "CREATE INDEX books_title_idx ON books (title);\n\
         \n\
         -- DOWN\n\
         DROP INDEX books_title_idx;\n",
    );
    dir
}

#[test]
fn apply_then_roll_back_a_phase_through_the_console() {
    let db = fresh_db();
    let pg = Pg::connect(db.url());
    let dir = three_phases(&pg);
    let mut c = Console::open(db.url(), dir.path(), 120, 40);

    // 1. Every phase pending.
    c.wait_for("three pending phases", |c| {
        let s = c.screen();
        line_with(&s, &["pending", "001", "create_books"])
            && line_with(&s, &["pending", "002", "add_isbn"])
            && line_with(&s, &["pending", "003", "index_titles"])
    });

    // 2. `n` asks first, with Cancel focused; `n` again cancels.
    c.keys("n");
    c.wait_text("Apply phase 001?");
    let s = c.screen();
    assert!(s.contains("001 create_books: Create books"), "{s}");
    assert!(s.contains("1 check(s): rows kept [unchanged]"), "{s}");
    assert!(cancel_is_focused(&c), "Cancel is not focused:\n{s}");
    c.keys("n");
    c.wait_gone("Apply phase 001?");
    assert!(!pg.exists("books"), "cancelling applied the phase");
    assert!(
        !pg.exists("schema_migrations") || pg.history().is_empty(),
        "cancelling wrote history"
    );

    // `n` then `y` applies 001 only.
    c.keys("n");
    c.wait_text("Apply phase 001?");
    c.keys("y");
    c.wait_text("Applied 001 create_books");
    c.wait_for("the check's result", |c| {
        line_with(&c.screen(), &["pass", "rows kept", "unchanged"])
    });
    assert!(pg.exists("books"));
    assert_eq!(pg.count("SELECT count(*) FROM books"), 3);
    assert!(!pg.column_exists("books", "isbn"), "002 ran too");
    let history = pg.history();
    assert_eq!(history.len(), 1, "{history:?}");
    assert_eq!(
        (history[0].version.as_str(), history[0].state.as_str()),
        ("001", "applied")
    );

    // The results close on Esc, and the walk moved on to 002.
    c.keys(ESC);
    c.wait_gone("Applied 001 create_books");
    c.wait_for("002 in the detail and 001 applied", |c| {
        let (list, detail) = c.panes();
        detail.contains("002 add_isbn")
            && line_with(&list, &["applied", "001", "create_books"])
            && line_with(&list, &[">", "002", "add_isbn"])
    });

    // 3. Roll 001 back: the dialog says what it destroys and wants the version typed.
    c.keys("k");
    c.wait_for("001 in the detail", |c| {
        c.panes().1.contains("001 create_books")
    });
    c.keys("r");
    c.wait_text("Roll back to before 001?");
    c.wait_for("the impact of the rollback", |c| {
        line_with(&c.screen(), &["table books", "3 rows"])
    });

    c.keys(ENTER);
    c.wait_text("type the version 001 and press enter to roll back");
    assert!(c.screen().contains("Roll back to before 001?"));

    c.keys("002");
    c.wait_text("type the version to roll back: 002");
    c.keys(ENTER);
    c.wait_text("`002` is not 001");
    assert!(c.screen().contains("Roll back to before 001?"));
    assert!(pg.exists("books"), "a wrong version rolled back");
    assert_eq!(pg.history().len(), 1);

    c.keys("001");
    c.wait_text("type the version to roll back: 001");
    c.keys(ENTER);
    c.wait_gone("Roll back to before 001?");
    assert!(
        wait_until(WAIT, || !pg.exists("books")),
        "the table is still there"
    );
    assert!(
        wait_until(WAIT, || pg.history().is_empty()),
        "{:?}",
        pg.history()
    );
    let rollbacks = pg.events_of("rollback");
    assert_eq!(rollbacks.len(), 1, "{rollbacks:?}");
    assert_eq!(rollbacks[0].version.as_deref(), Some("001"));
    c.wait_text("rolled back 001");
    c.wait_for("001 pending again", |c| {
        line_with(&c.panes().0, &["pending", "001", "create_books"])
    });

    // 4. `q` quits cleanly and gives the terminal back.
    c.keys("q");
    let status = c.wait_exit();
    assert!(status.success(), "exit status {status}");
    c.assert_restored();
}

/// Whether the apply dialog's " Cancel " button is drawn in reverse video, the focus style.
fn cancel_is_focused(c: &Console) -> bool {
    let out = c.output.lock().unwrap();
    let screen = out.parser.screen();
    let (rows, cols) = screen.size();
    for (r, line) in screen
        .rows(0, cols.get())
        .enumerate()
        .take(rows.get() as usize)
    {
        if let Some(byte) = line.find(" Cancel ") {
            let col = line[..byte].chars().count() + 1;
            return screen
                .cell(r as u16, col as u16)
                .is_some_and(|cell| cell.inverse());
        }
    }
    false
}

#[test]
fn too_small_a_terminal_waits_for_a_resize() {
    let db = fresh_db();
    let pg = Pg::connect(db.url());
    let dir = three_phases(&pg);
    let mut c = Console::open(db.url(), dir.path(), 60, 20);
    c.wait_text("terminal too small: 60x20, pgstep needs 80x24");

    let phases_drawn = |c: &Console| {
        let s = c.screen();
        line_with(&s, &["pending", "001", "create_books"])
            && line_with(&s, &["pending", "003", "index_titles"])
    };
    c.resize(80, 24);
    c.wait_for("the phases at 80x24", phases_drawn);
    assert!(!c.screen().contains("too small"));

    // Small again, now that the state is loaded: `n` would open the apply dialog here if the
    // small screen did not swallow it, not be refused for want of the state.
    c.resize(60, 20);
    c.wait_text("terminal too small: 60x20");
    c.keys("n");
    // The ignored key has no effect to wait for; this is time for it to be read before the
    // resize, so that a dialog it opened would be in the next full frame.
    std::thread::sleep(Duration::from_millis(300));
    c.resize(80, 24);
    c.wait_for("the phases at 80x24 again", phases_drawn);
    let s = c.screen();
    assert!(
        !s.contains("Apply phase"),
        "`n` opened a dialog while too small:\n{s}"
    );
    assert!(!pg.exists("books"));

    c.keys("q");
    assert!(c.wait_exit().success());
    c.assert_restored();
}

#[test]
fn ctrl_c_at_idle_quits_and_restores_the_terminal() {
    let db = fresh_db();
    let pg = Pg::connect(db.url());
    let dir = three_phases(&pg);
    let mut c = Console::open(db.url(), dir.path(), 120, 40);
    c.wait_for("the phases", |c| {
        line_with(&c.screen(), &["pending", "001", "create_books"])
    });
    c.keys(CTRL_C);
    let status = c.wait_exit();
    assert!(status.success(), "exit status {status}");
    c.assert_restored();
}

#[test]
fn sigterm_restores_the_terminal() {
    let db = fresh_db();
    let pg = Pg::connect(db.url());
    let dir = three_phases(&pg);
    let mut c = Console::open(db.url(), dir.path(), 120, 40);
    c.wait_for("the phases", |c| {
        line_with(&c.screen(), &["pending", "001", "create_books"])
    });
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &c.pid().to_string()])
        .status()
        .expect("kill runs");
    assert!(kill.success());
    let status = c.wait_exit();
    assert_eq!(status.signal(), None, "SIGTERM killed the console outright");
    assert!(status.success(), "exit status {status}");
    c.assert_restored();
}

#[test]
fn a_plan_with_errors_is_said_once_the_terminal_is_restored() {
    let dir = Dir::new();
    dir.write("001_broken.sql", "CREATE TABLE books (id int;\n");
    // No server answers there: the plan's errors must not wait for a connection.
    let mut c = Console::open("postgresql://postgres@127.0.0.1:1/x", dir.path(), 120, 40);
    let status = c.wait_exit();
    assert_eq!(status.exit_code(), 2, "exit status {status}");
    c.assert_restored();
    let out = c.output.lock().unwrap();
    let left = out
        .raw
        .windows(LEAVE_ALTERNATE.len())
        .rposition(|w| w == LEAVE_ALTERNATE)
        .expect("the alternate screen was left");
    let after = String::from_utf8_lossy(&out.raw[left..]);
    assert!(after.contains("001_broken.sql:1:"), "{after}");
    assert!(after.contains("has errors; nothing was run"), "{after}");
}

#[test]
fn the_console_follows_changes_made_from_another_terminal() {
    let db = fresh_db();
    let pg = Pg::connect(db.url());
    let dir = three_phases(&pg);
    let mut c = Console::open(db.url(), dir.path(), 120, 40);
    c.wait_for("three pending phases", |c| {
        line_with(&c.screen(), &["pending", "003", "index_titles"])
    });

    // Applied, then rolled back, from the command line: no key is pressed in the console.
    let up = support::migrations::pgstep(&db, &dir, &["up"]);
    assert_eq!(up.code, Some(0), "{up}");
    c.wait_for("every phase applied", |c| {
        let s = c.panes().0;
        line_with(&s, &["applied", "001"]) && line_with(&s, &["applied", "003"])
    });
    let down = support::migrations::pgstep(&db, &dir, &["down", "--steps", "1", "--yes"]);
    assert_eq!(down.code, Some(0), "{down}");
    c.wait_for("003 pending again", |c| {
        line_with(&c.panes().0, &["pending", "003", "index_titles"])
    });

    // Another operator takes the migration lock: its holder shows in the header.
    pg.exec(
        "SELECT pg_advisory_lock(hashtext('pgstep'), \
                hashtext(current_database() || '/' || 'public.schema_migrations'))",
    );
    c.wait_text("lock held by pid");
    c.keys("q");
    assert!(c.wait_exit().success());
}

/// `url` with its port replaced by `port`.
fn on_port(url: &str, from: u16, port: u16) -> String {
    url.replacen(
        &format!("127.0.0.1:{from}"),
        &format!("127.0.0.1:{port}"),
        1,
    )
}

#[test]
fn started_while_the_server_is_down_it_says_why_and_connects_when_it_is_up() {
    let db = fresh_db();
    let Some(server) = server_port(db.url()) else {
        eprintln!("skipped: the test server is not on 127.0.0.1");
        return;
    };
    let pg = Pg::connect(db.url());
    let dir = three_phases(&pg);
    // A port nothing listens on yet.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let mut c = Console::open(&on_port(db.url(), server, port), dir.path(), 120, 40);
    c.wait_text("RECONNECTING (1)");
    c.keys("n");
    c.wait_for("the real error, not a wait", |c| {
        let s = c.screen();
        s.contains("not connected (") && !s.contains("wait for the connection")
    });

    let _proxy = support::proxy::Proxy::listen(port, server, None, Duration::ZERO);
    c.wait_for("the phases once the server answers", |c| {
        line_with(&c.screen(), &["pending", "001", "create_books"])
    });
    assert!(!c.screen().contains("RECONNECTING"));
    c.keys("q");
    assert!(c.wait_exit().success());
}

#[test]
fn a_lost_connection_is_said_and_made_again_without_a_restart() {
    let db = fresh_db();
    let Some(server) = server_port(db.url()) else {
        eprintln!("skipped: the test server is not on 127.0.0.1");
        return;
    };
    let pg = Pg::connect(db.url());
    let dir = three_phases(&pg);
    let proxy = support::proxy::Proxy::listen(0, server, None, Duration::ZERO);
    let mut c = Console::open(
        &on_port(db.url(), server, proxy.port()),
        dir.path(),
        120,
        40,
    );
    c.wait_for("three pending phases", |c| {
        line_with(&c.screen(), &["pending", "003", "index_titles"])
    });

    // As a server restart would: every session of the console ends. The console finds out
    // at its next look for changes, within 2 s, and connects again.
    proxy.cut_all();
    std::thread::sleep(Duration::from_secs(3));
    c.wait_for("connected again after the loss", |c| {
        let s = c.screen();
        !s.contains("RECONNECTING") && line_with(&s, &["pending", "001"])
    });

    // The next phase applies without restarting the console.
    c.keys("n");
    c.wait_text("Apply phase 001?");
    c.keys("y");
    c.wait_text("Applied 001 create_books");
    assert!(pg.exists("books"));
    assert_eq!(pg.history().len(), 1);
    c.keys(ESC);
    // Apart: ESC and q in one read are Alt-q to the terminal.
    c.wait_gone("Applied 001 create_books");
    c.keys("q");
    assert!(c.wait_exit().success());
}
