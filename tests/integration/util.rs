//! Running the `sluice` binary in tests, and the helpers the test modules share: showing
//! output as text for a snapshot ([`show`], [`show_controls`], [`show_lossy`], [`visible`]),
//! `-o json` records ([`records`]), the `--stats=json` line ([`stats_of`]), the one-line
//! message of a refused configuration ([`config_error`]), a run fed while it goes ([`spawn`],
//! [`send`]), and a fresh scratch folder ([`tempdir`]).

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;

/// What a run of sluice produced.
pub struct Run {
    pub code: i32,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl Run {
    /// Stdout as text; panics with the stderr when it is not UTF-8.
    pub fn text(&self) -> String {
        String::from_utf8(self.stdout.clone())
            .unwrap_or_else(|_| panic!("stdout is not UTF-8; stderr: {}", self.stderr))
    }

    /// Asserts a clean exit and returns stdout.
    #[track_caller]
    pub fn ok(&self) -> &[u8] {
        assert_eq!(self.code, 0, "sluice failed; stderr:\n{}", self.stderr);
        assert_eq!(self.stderr, "", "unexpected diagnostics");
        &self.stdout
    }

    /// Asserts the exit code and a single diagnostic line, which it returns.
    #[track_caller]
    pub fn fails(&self, code: i32) -> &str {
        assert_eq!(self.code, code, "stderr:\n{}", self.stderr);
        assert!(
            self.stderr.starts_with("sluice: ") && self.stderr.trim_end().lines().count() == 1,
            "expected one `sluice: ` line on stderr, got:\n{}",
            self.stderr
        );
        assert!(!self.stderr.contains("panicked"), "{}", self.stderr);
        self.stderr.trim_end()
    }
}

/// A command for the sluice binary, with a compile cache shared by the tests.
pub fn sluice() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sluice"));
    cmd.env("SLUICE_CACHE_DIR", cache_dir())
        .env_remove("RUST_BACKTRACE")
        .current_dir(repo_root());
    cmd
}

/// Runs sluice with `args` and `stdin`.
pub fn run(args: &[&str], stdin: &[u8]) -> Run {
    run_cmd(sluice().args(args), stdin)
}

/// Runs a prepared command with `stdin`.
pub fn run_cmd(cmd: &mut Command, stdin: &[u8]) -> Run {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot start sluice");
    let mut input = child.stdin.take().unwrap();
    let stdin = stdin.to_vec();
    // Feed stdin from a thread: sluice streams, so it may write before it has read everything.
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    let output = child.wait_with_output().expect("sluice did not finish");
    writer.join().unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: output.stdout,
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The output of sluice with `args` on `stdin`, asserting a clean exit.
#[track_caller]
pub fn transform(args: &[&str], stdin: &[u8]) -> Vec<u8> {
    run(args, stdin).ok().to_vec()
}

/// `-o json` records of `input` through `args`, asserting a clean exit.
pub fn records(args: &[&str], input: &[u8]) -> String {
    let out = transform(&[args, &["-o", "json"]].concat(), input);
    String::from_utf8(out).unwrap()
}

/// sluice with `args`, its stdin kept open, and its stdout read line by line as it comes.
pub fn spawn(args: &[&str]) -> (Child, ChildStdin, mpsc::Receiver<String>) {
    let mut child = start(sluice().args(args));
    let stdin = child.stdin.take().unwrap();
    let rx = lines_of(&mut child);
    (child, stdin, rx)
}

/// Starts `cmd` with its stdin, stdout and stderr piped to the test.
pub fn start(cmd: &mut Command) -> Child {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The lines a child writes on stdout, as they come (its stdout is taken).
pub fn lines_of(child: &mut Child) -> mpsc::Receiver<String> {
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if tx.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    rx
}

/// Writes `bytes` to a spawned sluice and flushes them.
pub fn send(stdin: &mut ChildStdin, bytes: &[u8]) {
    stdin.write_all(bytes).unwrap();
    stdin.flush().unwrap();
}

/// The one-line message of sluice refusing `-p stage` (exit code 2).
#[track_caller]
pub fn config_error(stage: &str) -> String {
    run(&["-p", stage], b"").fails(2).to_owned()
}

/// Output as text: valid UTF-8 as it is, `\r`, NUL and invalid bytes escaped, and a missing
/// final newline marked.
pub fn show(out: &[u8]) -> String {
    show_with(out, |c, text| match c {
        '\r' => text.push_str("\\r"),
        '\0' => text.push_str("\\0"),
        c => text.push(c),
    })
}

/// Output as text: printable UTF-8 as it is; ESC as `\e`, BEL as `\a`, other controls (C0,
/// DEL, C1), `\r` and bytes that are not UTF-8 escaped; a missing final newline marked.
pub fn show_controls(out: &[u8]) -> String {
    show_with(out, |c, text| match c {
        '\n' => text.push('\n'),
        '\x1b' => text.push_str("\\e"),
        '\x07' => text.push_str("\\a"),
        '\r' => text.push_str("\\r"),
        '\t' => text.push_str("\\t"),
        '\0' => text.push_str("\\0"),
        c if c.is_control() => write!(text, "\\u{{{:x}}}", c as u32).unwrap(),
        c => text.push(c),
    })
}

/// Raw output with `\r`, NUL and bytes that are not printable ASCII made visible, one output
/// line per line (`\n` shown).
pub fn visible(out: &[u8]) -> String {
    let mut text = String::new();
    for &b in out {
        match b {
            b'\n' => text.push_str("\\n\n"),
            b'\r' => text.push_str("\\r"),
            b'\t' => text.push_str("\\t"),
            b'\0' => text.push_str("\\0"),
            0x20..=0x7e => text.push(b as char),
            _ => text.push_str(&format!("\\x{b:02x}")),
        }
    }
    text
}

/// Output as text, bytes that are not UTF-8 replaced by U+FFFD.
pub fn show_lossy(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

/// Output as text: each character as `write_char` writes it, each byte that is not UTF-8 as
/// `\xNN`, and `[no final newline]` after output that does not end in a line feed.
fn show_with(out: &[u8], mut write_char: impl FnMut(char, &mut String)) -> String {
    let mut text = String::new();
    for chunk in out.utf8_chunks() {
        for c in chunk.valid().chars() {
            write_char(c, &mut text);
        }
        for b in chunk.invalid() {
            write!(text, "\\x{b:02x}").unwrap();
        }
    }
    if !out.is_empty() && !out.ends_with(b"\n") {
        text.push_str("[no final newline]");
    }
    text
}

/// An empty folder `name` under the tests' scratch folder (what was there is removed): give
/// each test its own `name`, prefixed by its module's, as tests run in parallel.
pub fn tempdir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The text output of sluice with `args` on the fixture file `name`.
#[track_caller]
pub fn transform_fixture(args: &[&str], name: &str) -> String {
    let input = std::fs::read(fixture(name)).unwrap();
    String::from_utf8(transform(args, &input)).expect("output is not UTF-8")
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

pub fn fixture(name: &str) -> PathBuf {
    repo_root().join("tests/fixtures").join(name)
}

/// A test plugin from `plugins/dist/testing/`.
pub fn test_plugin(name: &str) -> String {
    repo_root()
        .join("plugins/dist/testing")
        .join(format!("{name}.wasm"))
        .display()
        .to_string()
}

fn cache_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("sluice-cache")
}

/// A deterministic pseudo-random byte generator (xorshift), for inputs with arbitrary bytes.
pub struct Bytes(u64);

impl Bytes {
    pub fn new(seed: u64) -> Bytes {
        Bytes(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// `len` bytes drawn from `alphabet`.
    pub fn draw(&mut self, alphabet: &[u8], len: usize) -> Vec<u8> {
        (0..len)
            .map(|_| alphabet[(self.next_u64() % alphabet.len() as u64) as usize])
            .collect()
    }
}

/// Waits for `child` (whose pipes the caller took) and returns its exit code (-1 when a signal
/// ended it) and its peak resident memory in bytes, as the kernel counted it (`ru_maxrss`).
pub fn wait_with_peak_memory(child: Child) -> (i32, u64) {
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: `rusage` is plain data, for which all zeroes is a valid value; `wait4` writes
    // both out-parameters, which live across the call, and reaps the child only once (its
    // `Child` is dropped without waiting).
    let (reaped, usage) = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        (libc::wait4(pid, &mut status, 0, &mut usage), usage)
    };
    assert_eq!(reaped, pid, "wait4: {}", std::io::Error::last_os_error());
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    (code, usage.ru_maxrss as u64 * 1024)
}

/// What a stage reported on stderr, from the stderr of a run: every line must come after the
/// stage's `label` (`stage 1 (outcome)`), which is taken off.
#[track_caller]
pub fn report_of(stderr: &str, label: &str) -> String {
    let prefix = format!("{label}: ");
    let mut report = String::new();
    for line in stderr.lines() {
        let Some(text) = line.strip_prefix(&prefix) else {
            panic!("not a line of {label}'s report: {line:?}\nstderr:\n{stderr}");
        };
        report.push_str(text);
        report.push('\n');
    }
    report
}

/// The `--stats=json` line a run wrote on its stderr, parsed.
pub fn stats_of(stderr: &str) -> serde_json::Value {
    let line = stderr
        .lines()
        .find(|line| line.starts_with('{'))
        .unwrap_or_else(|| panic!("no JSON line on stderr:\n{stderr}"));
    serde_json::from_str(line).unwrap_or_else(|err| panic!("{err}: {line}"))
}
