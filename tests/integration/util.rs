//! Running the `sluice` binary in tests.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

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
