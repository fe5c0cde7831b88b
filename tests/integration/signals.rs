//! SIGINT, SIGTERM and SIGHUP finish the stream as the end of the input does, then exit with
//! 128 + the signal; a second signal ends sluice at once. Each test compares the output after
//! a signal with the output of the same run given the same bytes and then the end of input.

use std::io::Read;
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, ExitStatus};
use std::time::{Duration, Instant};

use crate::util::{run, sluice, start, tempdir, test_plugin};

/// A run of sluice fed through a pipe that the test keeps open.
struct Running {
    child: Child,
    stdin: ChildStdin,
}

impl Running {
    fn start(args: &[&str]) -> Running {
        Running::start_cmd(sluice().args(args))
    }

    fn start_cmd(cmd: &mut Command) -> Running {
        let mut child = start(cmd);
        let stdin = child.stdin.take().unwrap();
        Running { child, stdin }
    }

    /// Writes `bytes` and waits until sluice has read them all from the pipe.
    fn feed(&mut self, bytes: &[u8]) {
        use std::io::Write;
        self.stdin.write_all(bytes).unwrap();
        self.stdin.flush().unwrap();
        wait_until_read(&self.stdin);
    }

    fn signal(&self, signal: libc::c_int) {
        send_signal(&self.child, signal);
    }

    /// Waits (at most 30 s) for sluice to exit; returns its status, stdout and stderr.
    fn finish(mut self) -> (ExitStatus, Vec<u8>, String) {
        let status = wait_for_exit(&mut self.child, Duration::from_secs(30));
        let mut stdout = Vec::new();
        self.child
            .stdout
            .take()
            .unwrap()
            .read_to_end(&mut stdout)
            .unwrap();
        let mut stderr = String::new();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        drop(self.stdin);
        (status, stdout, stderr)
    }
}

fn send_signal(child: &Child, signal: libc::c_int) {
    // SAFETY: kill(2) with a child's pid and a valid signal number has no memory effects.
    let sent = unsafe { libc::kill(child.id() as libc::pid_t, signal) };
    assert_eq!(sent, 0, "cannot signal sluice");
}

/// Waits until the pipe behind `stdin` is empty: the reader took every byte written.
fn wait_until_read(stdin: &ChildStdin) {
    let started = Instant::now();
    loop {
        let mut unread: libc::c_int = 0;
        // SAFETY: FIONREAD writes one int through a valid pointer; the descriptor is open.
        let ok = unsafe { libc::ioctl(stdin.as_raw_fd(), libc::FIONREAD, &mut unread) };
        assert_eq!(ok, 0, "FIONREAD failed on the pipe");
        if unread == 0 {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "sluice did not read its input"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Waits until `child` has read `len` bytes of the file at `path` (its offset in /proc).
fn wait_until_file_read(child: &Child, path: &str, len: usize) {
    let started = Instant::now();
    let proc = format!("/proc/{}", child.id());
    loop {
        let offset = std::fs::read_dir(format!("{proc}/fd"))
            .into_iter()
            .flatten()
            .flatten()
            .find(|fd| std::fs::read_link(fd.path()).is_ok_and(|target| target == Path::new(path)))
            .and_then(|fd| {
                let info =
                    std::fs::read_to_string(format!("{proc}/fdinfo/{}", fd.file_name().to_str()?))
                        .ok()?;
                info.lines()
                    .find_map(|l| l.strip_prefix("pos:")?.trim().parse::<usize>().ok())
            });
        if offset == Some(len) {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "sluice did not read {path}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Waits for `child` to exit, failing the test (and killing it) after `limit`.
fn wait_for_exit(child: &mut Child, limit: Duration) -> ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("sluice did not exit within {limit:?} of the signal");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Feeds `input` to sluice with `args`, signals it, and checks that it wrote what the same
/// run writes at the end of the input, and exited with `code`. Returns the stderr.
#[track_caller]
fn finishes_like_end_of_input(
    args: &[&str],
    input: &[u8],
    signal: libc::c_int,
    code: i32,
) -> String {
    let at_end = run(args, input);
    assert_eq!(at_end.code, 0, "{}", at_end.stderr);
    let mut running = Running::start(args);
    running.feed(input);
    running.signal(signal);
    let (status, stdout, stderr) = running.finish();
    assert_eq!(status.code(), Some(code), "stderr: {stderr}");
    assert_eq!(
        String::from_utf8_lossy(&stdout),
        String::from_utf8_lossy(&at_end.stdout),
        "stderr: {stderr}"
    );
    assert_eq!(stderr, at_end.stderr);
    stderr
}

const LOGFMT: &[u8] = b"level=info msg=a\nlevel=warn msg=b\nlevel=info msg=c\n";

#[test]
fn sigint_writes_the_table_aggregate_holds() {
    finishes_like_end_of_input(
        &["-p", "logfmt", "-p", r#"aggregate={"group_by":"level"}"#],
        LOGFMT,
        libc::SIGINT,
        130,
    );
}

#[test]
fn sigterm_writes_the_lines_tail_holds() {
    finishes_like_end_of_input(
        &["-p", r#"tail={"lines":2}"#],
        b"one\ntwo\r\nthree\nfour\n",
        libc::SIGTERM,
        143,
    );
}

#[test]
fn sigterm_closes_an_open_multiline_block() {
    finishes_like_end_of_input(
        &["-p", r#"multiline={"firstline":"^A"}"#, "-o", "json"],
        b"A1\n cont\nA2\n more\n",
        libc::SIGTERM,
        143,
    );
}

#[test]
fn sighup_writes_the_report() {
    let stderr = finishes_like_end_of_input(
        &["-p", r#"drop={"expression":"debug","report":"stderr"}"#],
        b"debug x\ninfo y\ndebug z\n",
        libc::SIGHUP,
        129,
    );
    assert!(stderr.contains("dropped_lines_total"), "{stderr}");
}

/// Bytes read before the signal are not lost, even a line whose terminator has not come: it
/// ends the input as a last line does. Both the line loop and the bulk copy (no stage).
#[test]
fn what_was_read_goes_out_with_a_last_line_as_it_was() {
    for args in [&[][..], &["-p", "decolorize"][..]] {
        finishes_like_end_of_input(args, b"a\r\nb\nhalf a li", libc::SIGINT, 130);
    }
}

/// With -f, a signal is how a run ends: the stages that act at the end act then.
#[test]
fn a_followed_run_ends_on_sigint_with_its_table() {
    let dir = tempdir("signals-follow");
    let log = dir.join("app.log");
    std::fs::write(&log, LOGFMT).unwrap();
    let log = log.to_str().unwrap();
    let args = ["-p", "logfmt", "-p", r#"aggregate={"group_by":"level"}"#];
    let at_end = run(&[&args[..], &[log]].concat(), b"");
    let running = Running::start(&[&args[..], &["-f", log]].concat());
    wait_until_file_read(&running.child, log, LOGFMT.len());
    running.signal(libc::SIGINT);
    let (status, stdout, stderr) = running.finish();
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert_eq!(stdout, at_end.stdout, "{stderr}");
}

/// A second signal does not wait for finishing: here a plugin loops in its call (up to
/// --plugin-timeout, 60 s), and the second SIGINT ends sluice by the signal itself.
#[test]
fn a_second_signal_ends_sluice_at_once() {
    let probe = format!(r#"{}={{"loop":true}}"#, test_plugin("probe"));
    let mut running = Running::start(&["--plugin-timeout", "60s", "-p", &probe]);
    running.feed(b"spin\n");
    running.signal(libc::SIGINT);
    std::thread::sleep(Duration::from_millis(200));
    running.signal(libc::SIGINT);
    let started = Instant::now();
    let (status, _, _) = running.finish();
    assert_eq!(status.signal(), Some(libc::SIGINT), "{status:?}");
    assert!(started.elapsed() < Duration::from_secs(30));
}

/// `sluice -f app.log | head -1` ends once head has its line, as `tail -F` does, though no
/// further line comes to meet the broken pipe; so does a run on a quiet standard input.
#[test]
fn a_run_ends_quietly_when_its_reader_goes_away() {
    let dir = tempdir("signals-reader-gone");
    let log = dir.join("app.log");
    std::fs::write(&log, "first\nsecond\n").unwrap();
    let followed = Running::start(&["-f", log.to_str().unwrap()]);
    let mut stdin_fed = Running::start(&[]);
    stdin_fed.feed(b"first\n");
    for mut running in [followed, stdin_fed] {
        let mut stdout = running.child.stdout.take().unwrap();
        let mut first = [0; 6];
        stdout.read_exact(&mut first).unwrap();
        assert_eq!(&first, b"first\n");
        drop(stdout);
        let status = wait_for_exit(&mut running.child, Duration::from_secs(30));
        let mut stderr = String::new();
        running
            .child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        assert_eq!((status.code(), stderr.as_str()), (Some(0), ""));
    }
}

/// A signal ignored when sluice starts stays ignored (`nohup sluice -f …` survives SIGHUP);
/// the others still finish the stream.
#[test]
fn a_signal_ignored_at_start_stays_ignored() {
    let mut cmd = sluice();
    cmd.args(["-p", r#"tail={"lines":1}"#]);
    // SAFETY: signal(2) is async-signal-safe, the only call made between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::signal(libc::SIGHUP, libc::SIG_IGN);
            Ok(())
        });
    }
    let mut running = Running::start_cmd(&mut cmd);
    running.feed(b"one\n");
    running.signal(libc::SIGHUP);
    // Still running: it reads what comes next.
    running.feed(b"two\n");
    assert!(running.child.try_wait().unwrap().is_none());
    running.signal(libc::SIGTERM);
    let (status, stdout, stderr) = running.finish();
    assert_eq!(status.code(), Some(143), "{stderr}");
    assert_eq!(stdout, b"two\n");
}
