//! pgstep's console in a pseudo-terminal: keys written to it, and its screen read back
//! through a terminal emulator.

use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, ExitStatus, MasterPty, PtySize, native_pty_system};

use super::migrations::{CALLERS_LIBPQ, wait_until};

/// Every wait is this generous: a slow CI machine must not fail a correct console.
pub const WAIT: Duration = Duration::from_secs(60);

/// Leaves the alternate screen, so the shell's screen comes back.
pub const LEAVE_ALTERNATE: &[u8] = b"\x1b[?1049l";
pub const SHOW_CURSOR: &[u8] = b"\x1b[?25h";

pub const ESC: &str = "\x1b";
pub const ENTER: &str = "\r";
pub const CTRL_C: &str = "\x03";

/// What the reader thread has seen: the emulated screen and every byte, for escape sequences
/// the screen does not keep.
pub struct Output {
    pub parser: vt100::Parser,
    pub raw: Vec<u8>,
}

/// pgstep's console running in a pseudo-terminal.
pub struct Console {
    master: Box<dyn MasterPty + Send>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn Child + Send + Sync>,
    pub output: Arc<Mutex<Output>>,
    reader: Option<JoinHandle<()>>,
    /// HOME and the configuration directory, so no user's configuration changes the keys.
    _home: tempfile::TempDir,
}

impl Console {
    pub fn open(url: &str, dir: &Path, cols: u16, rows: u16) -> Console {
        Console::start(&["--url", url], dir, cols, rows)
    }

    /// The console started with `args` (say `--config FILE --fleet NAME`) after `--dir`.
    pub fn start(args: &[&str], dir: &Path, cols: u16, rows: u16) -> Console {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("a pseudo-terminal");
        let home = tempfile::tempdir().expect("a temporary home");
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_pgstep"));
        cmd.arg("--dir");
        cmd.arg(dir);
        cmd.args(args);
        // The working directory is where the project file search starts: an empty one.
        cmd.cwd(home.path());
        cmd.env("TERM", "xterm-256color");
        cmd.env("HOME", home.path());
        cmd.env("XDG_CONFIG_HOME", home.path());
        let own = ["PGSTEP_PROFILE", "PGSTEP_DIR", "PGSTEP_CONFIG", "NO_COLOR"];
        for var in CALLERS_LIBPQ.into_iter().chain(own) {
            cmd.env_remove(var);
        }
        let child = pty.slave.spawn_command(cmd).expect("pgstep starts");
        // Only the child may hold the terminal's other end, so the reader sees the end of the
        // output when the child exits.
        drop(pty.slave);
        let output = Arc::new(Mutex::new(Output {
            parser: vt100::Parser::new(nonzero(rows), nonzero(cols), 0),
            raw: Vec::new(),
        }));
        let mut from_pty = pty.master.try_clone_reader().expect("a pty reader");
        let sink = output.clone();
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            // Linux reports EIO, not EOF, once the child's side is closed: either ends it.
            while let Ok(n @ 1..) = from_pty.read(&mut buf) {
                let mut out = sink.lock().unwrap();
                out.parser.process(&buf[..n]);
                out.raw.extend_from_slice(&buf[..n]);
            }
        });
        let writer = pty.master.take_writer().expect("a pty writer");
        Console {
            master: pty.master,
            writer,
            child,
            output,
            reader: Some(reader),
            _home: home,
        }
    }

    /// The whole screen as text, rows joined by newlines.
    pub fn screen(&self) -> String {
        self.output.lock().unwrap().parser.screen().contents()
    }

    /// The text of columns `col..col + width` of every row: one pane of the layout.
    pub fn pane(&self, col: u16, width: u16) -> String {
        let out = self.output.lock().unwrap();
        let rows: Vec<String> = out.parser.screen().rows(col, width).collect();
        rows.join("\n")
    }

    /// The Phases tab's list and detail panes, split where the detail's border starts.
    pub fn panes(&self) -> (String, String) {
        let cols = self.output.lock().unwrap().parser.screen().size().1.get();
        let split = self
            .screen()
            .lines()
            .find_map(|l| l.find("┌ Detail ").map(|b| l[..b].chars().count() as u16))
            .unwrap_or(0);
        (self.pane(0, split), self.pane(split, cols - split))
    }

    /// Polls the screen until `done` holds, failing with the screen after `WAIT`.
    pub fn wait_for(&self, what: &str, mut done: impl FnMut(&Console) -> bool) {
        let deadline = Instant::now() + WAIT;
        while !done(self) {
            if Instant::now() > deadline {
                panic!(
                    "timed out waiting for {what}; the screen:\n{}",
                    self.screen()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn wait_text(&self, text: &str) {
        self.wait_for(&format!("{text:?}"), |c| c.screen().contains(text));
    }

    pub fn wait_gone(&self, text: &str) {
        self.wait_for(&format!("{text:?} to go"), |c| !c.screen().contains(text));
    }

    /// Writes keys as a terminal sends them.
    pub fn keys(&mut self, keys: &str) {
        self.writer
            .write_all(keys.as_bytes())
            .expect("writing keys");
        self.writer.flush().expect("flushing keys");
    }

    /// Resizes the terminal; the emulator first, so the redraw is read at the new size.
    pub fn resize(&mut self, cols: u16, rows: u16) {
        self.output
            .lock()
            .unwrap()
            .parser
            .screen_mut()
            .set_size(nonzero(rows), nonzero(cols));
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("resizing the pty");
    }

    pub fn pid(&self) -> u32 {
        self.child.process_id().expect("the child's pid")
    }

    /// Waits for the process to end and for the reader to take in its last output.
    pub fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + WAIT;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("waiting for pgstep") {
                break status;
            }
            if Instant::now() > deadline {
                panic!("pgstep did not exit; the screen:\n{}", self.screen());
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        if let Some(reader) = self.reader.take() {
            let closed = wait_until(WAIT, || reader.is_finished());
            assert!(closed, "the terminal stayed open after pgstep exited");
            reader.join().expect("the pty reader");
        }
        status
    }

    /// Asserts that the console gave the terminal back: it left the alternate screen and
    /// showed the cursor again, in the byte stream and in the emulator's final state.
    pub fn assert_restored(&self) {
        let out = self.output.lock().unwrap();
        let has = |seq: &[u8]| out.raw.windows(seq.len()).any(|w| w == seq);
        assert!(has(LEAVE_ALTERNATE), "the alternate screen was never left");
        assert!(has(SHOW_CURSOR), "the cursor was never shown again");
        let screen = out.parser.screen();
        assert!(!screen.alternate_screen(), "still on the alternate screen");
        assert!(!screen.hide_cursor(), "the cursor is still hidden");
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        // A failed test must not leave a console running.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

pub fn nonzero(n: u16) -> NonZeroU16 {
    NonZeroU16::new(n).expect("a terminal is at least one cell")
}

/// Whether some line of `text` holds every one of `parts`.
pub fn line_with(text: &str, parts: &[&str]) -> bool {
    text.lines().any(|l| parts.iter().all(|p| l.contains(p)))
}
