//! `--positions`: a run started again resumes each file where the last one stopped, reads a
//! replaced or rewritten file from its start, and refuses a positions file it cannot read.
//! The crash tests (SIGKILL at random points while following) are in `positions_kill.rs`.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::util::{run_cmd, sluice, tempdir};

/// Runs sluice on `files` with `--positions positions` and `args`; returns its stdout,
/// asserting a clean exit.
fn resume(positions: &Path, args: &[&str], files: &[&Path]) -> String {
    let mut cmd = sluice();
    cmd.arg("--positions").arg(positions).args(args).args(files);
    let run = run_cmd(&mut cmd, b"");
    String::from_utf8(run.ok().to_vec()).unwrap()
}

fn append(path: &Path, text: &str) {
    use std::io::Write;
    let mut file = fs::OpenOptions::new().append(true).open(path).unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

#[test]
fn a_second_run_prints_only_what_was_appended_since_the_first() {
    let dir = tempdir("positions-resume");
    let (a, b) = (dir.join("a.log"), dir.join("b.log"));
    let positions = dir.join("positions.json");
    fs::write(&a, "a1\na2\n").unwrap();
    fs::write(&b, "b1\n").unwrap();
    assert_eq!(resume(&positions, &[], &[&a, &b]), "a1\na2\nb1\n");
    append(&a, "a3\n");
    append(&b, "b2\nb3\n");
    assert_eq!(resume(&positions, &[], &[&a, &b]), "a3\nb2\nb3\n");
    assert_eq!(resume(&positions, &[], &[&a, &b]), "");
    // Through a stage too, and a file not named in this run keeps its position.
    append(&a, "a4\n");
    let grep = ["-p", r#"grep={"expression":"4"}"#];
    assert_eq!(resume(&positions, &grep, &[&a]), "a4\n");
    append(&b, "b4\n");
    assert_eq!(resume(&positions, &[], &[&a, &b]), "b4\n");

    let text = fs::read_to_string(&positions).unwrap();
    assert!(text.starts_with("{\"version\":1,\"files\":[\n"), "{text}");
    assert!(text.contains("\"offset\":12}"), "a.log is 12 bytes: {text}");
}

#[test]
fn a_replaced_or_rewritten_file_is_read_from_its_start() {
    let dir = tempdir("positions-replaced");
    let log = dir.join("app.log");
    let positions = dir.join("positions.json");
    fs::write(&log, "one\ntwo\n").unwrap();
    assert_eq!(resume(&positions, &[], &[&log]), "one\ntwo\n");

    // Another file renamed over it (logrotate's `create`), even with the same first bytes.
    let new = dir.join("app.log.new");
    fs::write(&new, "one\ntwo\nthree\n").unwrap();
    fs::rename(&new, &log).unwrap();
    assert_eq!(resume(&positions, &[], &[&log]), "one\ntwo\nthree\n");

    // The same file rewritten in place with other first bytes, longer than before.
    fs::write(&log, "ONE\nTWO\nTHREE\nFOUR\n").unwrap();
    assert_eq!(resume(&positions, &[], &[&log]), "ONE\nTWO\nTHREE\nFOUR\n");

    // Truncated to less than the offset.
    fs::write(&log, "ONE\n").unwrap();
    assert_eq!(resume(&positions, &[], &[&log]), "ONE\n");
}

#[test]
fn follow_resumes_too() {
    use std::os::unix::process::ExitStatusExt;

    let dir = tempdir("positions-follow");
    let log = dir.join("app.log");
    let positions = dir.join("positions.json");
    fs::write(&log, "old 1\nold 2\n").unwrap();
    assert_eq!(resume(&positions, &[], &[&log]), "old 1\nold 2\n");
    append(&log, "new 1\n");
    let mut cmd = sluice();
    cmd.arg("-f").arg("--positions").arg(&positions).arg(&log);
    let mut child = crate::util::start(&mut cmd);
    let rx = crate::util::lines_of(&mut child);
    assert_eq!(rx.recv_timeout(Duration::from_secs(20)).unwrap(), "new 1");
    append(&log, "new 2\n");
    assert_eq!(rx.recv_timeout(Duration::from_secs(20)).unwrap(), "new 2");
    // SAFETY: kill(2) with a child's pid and a valid signal number has no memory effects.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(143), "{status:?}");
    assert!(status.signal().is_none());
    append(&log, "new 3\n");
    assert_eq!(resume(&positions, &[], &[&log]), "new 3\n");
}

#[test]
fn a_path_that_is_not_utf8_keeps_its_position() {
    let dir = tempdir("positions-not-utf8");
    let log = dir.join(OsStr::from_bytes(b"caf\xe9.log"));
    let positions = dir.join("positions.json");
    fs::write(&log, "1\n").unwrap();
    assert_eq!(resume(&positions, &[], &[&log]), "1\n");
    append(&log, "2\n");
    assert_eq!(resume(&positions, &[], &[&log]), "2\n");
    let text = fs::read_to_string(&positions).unwrap();
    assert!(text.contains("\"path_hex\":"), "{text}");
}

#[test]
fn a_positions_file_that_cannot_be_read_is_an_error_not_a_fresh_start() {
    let dir = tempdir("positions-corrupt");
    let log = dir.join("app.log");
    fs::write(&log, "line\n").unwrap();
    let positions = dir.join("positions.json");
    fs::write(
        &positions,
        "{\"version\":1,\"files\":[{\"path\":\"app.log\",",
    )
    .unwrap();
    let mut cmd = sluice();
    cmd.arg("--positions").arg(&positions).arg(&log);
    let run = run_cmd(&mut cmd, b"");
    let message = run.fails(2);
    assert!(
        message.contains("is not a positions file sluice can read: not JSON")
            && message.ends_with("fix it, or remove it to read every file from its start"),
        "{message}"
    );
    assert!(run.stdout.is_empty());
    // Left as it was, for the user to look at.
    assert!(
        fs::read_to_string(&positions)
            .unwrap()
            .ends_with("\"app.log\",")
    );

    fs::write(&positions, "{\"version\":9,\"files\":[]}").unwrap();
    let run = run_cmd(&mut cmd, b"");
    assert!(
        run.fails(2)
            .contains("version 9 is not one this sluice reads (1)")
    );
}

#[test]
fn positions_need_a_file_and_a_folder_that_exists() {
    let dir = tempdir("positions-usage");
    let positions = dir.join("positions.json");
    let mut cmd = sluice();
    cmd.arg("--positions").arg(&positions);
    let message = run_cmd(&mut cmd, b"line\n").fails(2).to_owned();
    assert_eq!(
        message,
        "sluice: --positions needs file paths: standard input has no position to resume from \
         (it is read whole by every run)"
    );
    cmd.arg("-");
    assert_eq!(run_cmd(&mut cmd, b"line\n").fails(2), message);

    let log = dir.join("app.log");
    fs::write(&log, "line\n").unwrap();
    let mut cmd = sluice();
    cmd.arg("--positions")
        .arg(dir.join("missing/positions.json"));
    cmd.arg(&log);
    let message = run_cmd(&mut cmd, b"").fails(2).to_owned();
    assert!(
        message.contains("cannot write the positions file") && message.contains("missing"),
        "{message}"
    );

    // Standard input beside files is read, with a warning that it has no position.
    let mut cmd = sluice();
    cmd.arg("--positions").arg(&positions).arg(&log).arg("-");
    let run = run_cmd(&mut cmd, b"from stdin\n");
    assert_eq!(run.code, 0);
    assert_eq!(run.stdout, b"line\nfrom stdin\n");
    assert_eq!(
        run.stderr,
        "sluice: warning: standard input has no position; --positions keeps the files' only\n"
    );
}

/// An over-long line goes on in pieces, the overlap kept from each window put back in front of
/// the next: the line's end is still its exact offset, through the bulk copy and the line loop.
#[test]
fn a_line_cut_in_pieces_resumes_after_its_end() {
    let dir = tempdir("positions-long-line");
    let long = "x".repeat(100);
    let cut = ["--max-line-bytes", "16", "--boundary-overlap", "4"];
    for (name, format) in [("raw", "raw"), ("json", "json")] {
        let log = dir.join(format!("{name}.log"));
        fs::write(&log, format!("first\n{long}\nshort\n")).unwrap();
        let positions = dir.join(format!("{name}.json"));
        let args = [&cut[..], &["-o", format]].concat();
        let first = resume(&positions, &args, &[&log]);
        assert_eq!(first.lines().count(), 3, "{first}");
        append(&log, &format!("next {name}\n"));
        let second = resume(&positions, &args, &[&log]);
        assert!(
            second.lines().count() == 1 && second.contains(&format!("next {name}")),
            "{second}"
        );
    }
}

/// What a positions file records for a log holding `text` while sluice follows it with `args`:
/// once the offset reached the end, or after `patience` (some 20 intervals of 50 ms are plenty
/// for a run that moves it); sluice is then killed.
fn recorded_while_following(name: &str, args: &[&str], text: &str, patience: Duration) -> u64 {
    let dir = tempdir(name);
    let log = dir.join("app.log");
    let positions = dir.join("positions.json");
    fs::write(&log, text).unwrap();
    let mut cmd = sluice();
    cmd.args(["-f", "--positions-interval", "50ms", "--positions"])
        .arg(&positions)
        .args(args)
        .arg(&log);
    let mut child = crate::util::start(&mut cmd);
    let offset = |text: &str| -> Option<u64> {
        let at = text.find("\"offset\":")? + "\"offset\":".len();
        text[at..].split(['}', ',']).next()?.parse().ok()
    };
    // The file is written at start (offset 0), then every interval while offsets move.
    let started = Instant::now();
    let mut last = 0;
    while started.elapsed() < patience {
        std::thread::sleep(Duration::from_millis(100));
        last = fs::read_to_string(&positions)
            .ok()
            .and_then(|t| offset(&t))
            .unwrap_or(0);
        if last == text.len() as u64 {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    last
}

/// A chain whose every stage keeps no state holds no line back, so the lines a filter drops are
/// done as soon as the batch's output is flushed; a chain with a stateful stage (grep, per
/// source) holds the position back until a line passes.
#[test]
fn dropped_lines_move_the_position_when_no_stage_keeps_state() {
    let text = "debug 1\ndebug 2\ndebug 3\n";
    let stateless = ["-p", r#"drop={"expression":"debug"}"#];
    let long = Duration::from_secs(10);
    let all = recorded_while_following("positions-stateless", &stateless, text, long);
    assert_eq!(all, text.len() as u64);
    let stateful = ["-p", r#"grep={"expression":"error"}"#];
    let short = Duration::from_secs(1);
    let none = recorded_while_following("positions-stateful", &stateful, text, short);
    assert_eq!(none, 0);
}
