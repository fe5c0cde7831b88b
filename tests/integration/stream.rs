//! The stream around the stages: timed wake-ups with the input idle, reports, output formats,
//! `match` nodes and `--follow`. Seen through the `probe` test plugin where a built-in would
//! hide what the host does.

use std::fs;
use std::io::Write;
use std::time::Duration;

use crate::util::{
    lines_of, report_of, run, run_cmd, sluice, spawn, start, tempdir, test_plugin, transform,
};

fn probe(config: &str) -> String {
    format!("{}={config}", test_plugin("probe"))
}

/// Generous: these tests check that something happens while the input stays open, not how
/// fast (the README gives the measured latencies).
const PATIENCE: Duration = Duration::from_secs(20);

#[test]
fn a_stage_is_ticked_while_the_input_is_idle() {
    // -j 1 here and below: the probe declares no state, which ticks, holds and reports make
    // a lie; on several threads its instances on the worker lanes are never ticked.
    let ticking = probe(r#"{"tick_after_ms": 50}"#);
    let (mut child, mut stdin, rx) = spawn(&["-j", "1", "-p", &ticking]);
    writeln!(stdin, "first").unwrap();
    stdin.flush().unwrap();
    assert_eq!(rx.recv_timeout(PATIENCE).unwrap(), "first");
    // Nothing more is written, and stdin stays open: the tick must come anyway.
    assert_eq!(rx.recv_timeout(PATIENCE).unwrap(), "tick");
    writeln!(stdin, "second").unwrap();
    stdin.flush().unwrap();
    assert_eq!(rx.recv_timeout(PATIENCE).unwrap(), "second");
    assert_eq!(rx.recv_timeout(PATIENCE).unwrap(), "tick");
    drop(stdin);
    assert!(child.wait().unwrap().success());
}

/// A stage whose every answer asks for a tick at once (the issue's `wake0`) cannot keep the
/// input waiting: `c`, written later, is read, and sluice ends when its input does.
#[test]
fn a_stage_that_always_wants_a_tick_cannot_starve_input() {
    let (mut child, mut stdin, rx) = spawn(&[
        "-p",
        &probe(r#"{"tick_after_ms": 0, "tick_forever": true}"#),
    ]);
    stdin.write_all(b"a\nb\n").unwrap();
    stdin.flush().unwrap();
    assert_eq!(rx.recv_timeout(PATIENCE).unwrap(), "a");
    assert_eq!(rx.recv_timeout(PATIENCE).unwrap(), "b");
    std::thread::sleep(Duration::from_millis(200));
    stdin.write_all(b"c\n").unwrap();
    stdin.flush().unwrap();
    assert_eq!(rx.recv_timeout(PATIENCE).unwrap(), "c");
    drop(stdin);
    assert!(child.wait().unwrap().success());
}

/// A stage that holds the input back for ever (every answer and every tick asks to hold) is
/// overruled after --max-hold: `b` is read while it goes on holding, and the stage is named
/// once on stderr.
#[test]
fn a_stage_cannot_hold_the_input_back_past_max_hold() {
    let hold = probe(r#"{"tick_after_ms": 100000, "hold": true}"#);
    let (child, mut stdin, rx) = spawn(&["-j", "1", "--max-hold", "300ms", "-p", &hold]);
    stdin.write_all(b"a\n").unwrap();
    stdin.flush().unwrap();
    assert_eq!(rx.recv_timeout(PATIENCE).unwrap(), "a");
    stdin.write_all(b"b\n").unwrap();
    stdin.flush().unwrap();
    assert_eq!(rx.recv_timeout(PATIENCE).unwrap(), "b");
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let said = "held the input back for 300ms; reading on while it holds (--max-hold)";
    assert_eq!(stderr.matches(said).count(), 1, "{stderr}");
}

/// A signal ends a hold at once (the default --max-hold is a minute): the stream finishes as
/// at the end of its input.
#[test]
fn a_signal_ends_a_hold_at_once() {
    let hold = probe(r#"{"tick_after_ms": 100000, "hold": true}"#);
    let (mut child, mut stdin, rx) = spawn(&["-p", &hold]);
    stdin.write_all(b"a\n").unwrap();
    stdin.flush().unwrap();
    assert_eq!(rx.recv_timeout(PATIENCE).unwrap(), "a");
    // SAFETY: kill(2) with a child's pid and a valid signal number has no memory effects.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < PATIENCE, "still holding after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(143));
    drop(stdin);
}

#[test]
fn ticked_lines_run_through_the_stages_after() {
    let (mut child, mut stdin, rx) = spawn(&[
        "-j",
        "1",
        "-p",
        &probe(r#"{"tick_after_ms": 20, "tag": "1"}"#),
        "-p",
        &probe(r#"{"tag": "2"}"#),
    ]);
    writeln!(stdin, "a").unwrap();
    stdin.flush().unwrap();
    assert_eq!(rx.recv_timeout(PATIENCE).unwrap(), "a|1|2");
    assert_eq!(rx.recv_timeout(PATIENCE).unwrap(), "tick|1|2");
    drop(stdin);
    assert!(child.wait().unwrap().success());
}

#[test]
fn reports_go_to_stderr_by_default_and_to_a_file_when_asked() {
    let run = run(
        &["-j", "1", "-p", &probe(r#"{"report_lines": true}"#)],
        b"a\nb\n",
    );
    assert_eq!(run.code, 0);
    assert_eq!(run.stdout, b"a\nb\n");
    assert_eq!(
        report_of(&run.stderr, &format!("stage 1 ({})", test_plugin("probe"))),
        "probe saw 2 lines\n"
    );

    let dir = tempdir("stream-report");
    let path = dir.join("report.txt");
    let config = format!(
        r#"{{"report_lines": true, "report": "{}"}}"#,
        path.display()
    );
    assert_eq!(transform(&["-p", &probe(&config)], b"x\n"), b"x\n");
    assert_eq!(fs::read_to_string(&path).unwrap(), "probe saw 1 lines\n");
}

/// A report path that cannot work is refused when the pipeline starts (exit 2, nothing read),
/// not found at the end of the run.
#[test]
fn a_report_path_that_cannot_be_written_is_refused_at_start() {
    let dir = tempdir("stream-report-refused");
    for (target, why) in [
        (
            "/nonexistent-dir/report.txt".to_owned(),
            "No such file or directory",
        ),
        (dir.display().to_string(), "it is a folder, not a file"),
    ] {
        let config = format!(r#"{{"report_lines": true, "report": "{target}"}}"#);
        let refused = run(&["-p", &probe(&config)], b"x\n");
        assert_eq!(refused.stdout, b"");
        let message = refused.fails(2);
        assert!(
            message.starts_with("sluice: stage 1 (")
                && message.contains(&format!("cannot write its report to {target}: {why}")),
            "{message}"
        );
    }
    assert_eq!(
        fs::read_dir(&dir).unwrap().count(),
        0,
        "the check left a file"
    );
}

/// A report path that stops working during the run fails the run at the end (exit 1), after
/// the lines.
#[test]
fn a_report_that_cannot_be_written_at_the_end_fails_the_run() {
    let dir = tempdir("stream-report-gone");
    let target = dir.join("sub/report.txt");
    fs::create_dir_all(target.parent().unwrap()).unwrap();
    let config = format!(
        r#"{{"report_lines": true, "report": "{}"}}"#,
        target.display()
    );
    let (mut child, mut stdin, lines) = crate::util::spawn(&["-p", &probe(&config)]);
    crate::util::send(&mut stdin, b"x\n");
    assert_eq!(lines.recv().unwrap(), "x");
    fs::remove_dir_all(target.parent().unwrap()).unwrap();
    drop(stdin);
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot write its report to"), "{stderr}");
}

#[test]
fn a_report_key_that_is_not_a_path_is_refused() {
    let run = crate::util::run(&["-p", &probe(r#"{"report": 7}"#)], b"x\n");
    assert!(
        run.fails(2)
            .contains("config key `report`: expected a file path or \"stderr\", got a number")
    );
}

#[test]
fn json_and_logfmt_output_carry_fields_and_timestamps() {
    let input = b"GET /a\r\ncaf\xc3\xa9 \xff\n";
    let json = transform(
        &["-p", &probe(r#"{"stamp": true}"#), "--output", "json"],
        input,
    );
    insta::assert_snapshot!(String::from_utf8(json).unwrap(), @r#"
    {"line":"GET /a","timestamp":"1970-01-01T00:00:01Z","fields":{"n":"1"}}
    {"line":"café \\xff","timestamp":"1970-01-01T00:00:02Z","fields":{"n":"2"}}
    "#);
    let logfmt = transform(&["-p", &probe(r#"{"stamp": true}"#), "-o", "logfmt"], input);
    insta::assert_snapshot!(String::from_utf8(logfmt).unwrap(), @r#"
    line="GET /a" timestamp=1970-01-01T00:00:01Z n=1
    line="café \\xff" timestamp=1970-01-01T00:00:02Z n=2
    "#);
    // With no stage, JSON output still wraps each line, and a file's name is the source.
    let run = run_cmd(
        sluice().args(["-o", "json", "tests/fixtures/logfmt.log"]),
        b"",
    );
    let first = run.ok().split(|&b| b == b'\n').next().unwrap().to_vec();
    let record: serde_json::Value = serde_json::from_slice(&first).unwrap();
    assert_eq!(record["source"], "tests/fixtures/logfmt.log");
    let err = crate::util::run(&["-o", "yaml"], b"").stderr;
    assert!(err.contains("unknown output format `yaml`"), "{err}");
}

#[test]
fn removed_fields_are_gone_downstream() {
    let out = transform(
        &[
            "-p",
            r#"regex={"expression":"user=(?P<user>\\w+) (?P<rest>.*)"}"#,
            "-p",
            &probe(r#"{"remove": "user"}"#),
            "-p",
            "pack",
        ],
        b"user=bob did things\n",
    );
    assert_eq!(
        out,
        b"{\"_entry\":\"user=bob did things\",\"rest\":\"did things\"}\n"
    );
}

#[test]
fn match_runs_nested_stages_on_selected_lines_only() {
    let dir = tempdir("stream-match");
    let path = dir.join("pipeline.toml");
    fs::write(
        &path,
        format!(
            r#"
[[stage]]
plugin = "regex"
expression = 'level=(?P<level>\w+)'

[[stage]]
match = '{{level="error"}} != "ignore"'

  [[stage.stages]]
  plugin = "{probe}"
  tag = "matched"
  finish_lines = ["end"]

[[stage]]
plugin = "{probe}"
tag = "all"
"#,
            probe = test_plugin("probe")
        ),
    )
    .unwrap();
    let input = b"level=info a\nlevel=error b\nlevel=error ignore c\nlevel=error d\nlevel=warn e\n";
    // -j 1: the probe's `finish_lines` come from one instance.
    let out = transform(&["-j", "1", "-c", path.to_str().unwrap()], input);
    insta::assert_snapshot!(String::from_utf8(out).unwrap(), @r"
    level=info a|all
    level=error b|matched|all
    level=error ignore c|all
    level=error d|matched|all
    level=warn e|all
    end|matched|all
    ");
}

#[test]
fn a_bad_selector_is_a_config_error() {
    let dir = tempdir("stream-bad-selector");
    let path = dir.join("pipeline.toml");
    fs::write(
        &path,
        "[[stage]]\nmatch = '{level=\"x\"'\n[[stage.stages]]\nplugin = \"pack\"\n",
    )
    .unwrap();
    let run = run(&["-c", path.to_str().unwrap()], b"");
    assert_eq!(
        run.fails(2),
        "sluice: stage 1 (match): selector: expected `,` at character 11, found the end"
    );
}

#[test]
fn follow_outputs_appended_lines_and_survives_rotation() {
    let dir = tempdir("stream-follow");
    let path = dir.join("app.log");
    fs::write(&path, "old 1\nold 2\n").unwrap();
    let mut child = start(
        sluice()
            .args(["-f", "-p", &probe(r#"{"tag": "seen"}"#)])
            .arg(&path),
    );
    let rx = lines_of(&mut child);
    assert_eq!(rx.recv_timeout(PATIENCE).unwrap(), "old 1|seen");
    assert_eq!(rx.recv_timeout(PATIENCE).unwrap(), "old 2|seen");

    let mut file = fs::OpenOptions::new().append(true).open(&path).unwrap();
    writeln!(file, "new 1").unwrap();
    assert_eq!(rx.recv_timeout(PATIENCE).unwrap(), "new 1|seen");
    // A line written in two parts comes out once it is complete.
    write!(file, "half").unwrap();
    file.flush().unwrap();
    std::thread::sleep(Duration::from_millis(100));
    writeln!(file, " and half").unwrap();
    assert_eq!(rx.recv_timeout(PATIENCE).unwrap(), "half and half|seen");

    // logrotate's rename and create: lines written to the old file just before the rename
    // and to the new one just after both come out, in order.
    writeln!(file, "last before rotation").unwrap();
    fs::rename(&path, dir.join("app.log.1")).unwrap();
    writeln!(file, "late write to the old file").unwrap();
    drop(file);
    let mut file = fs::File::create(&path).unwrap();
    writeln!(file, "first after rotation").unwrap();
    assert_eq!(
        rx.recv_timeout(PATIENCE).unwrap(),
        "last before rotation|seen"
    );
    assert_eq!(
        rx.recv_timeout(PATIENCE).unwrap(),
        "late write to the old file|seen"
    );
    assert_eq!(
        rx.recv_timeout(PATIENCE).unwrap(),
        "first after rotation|seen"
    );

    // Truncation in place starts over.
    drop(file);
    fs::write(&path, "").unwrap();
    std::thread::sleep(Duration::from_millis(200));
    fs::write(&path, "after truncation\n").unwrap();
    assert_eq!(rx.recv_timeout(PATIENCE).unwrap(), "after truncation|seen");

    child.kill().unwrap();
    let _ = child.wait();
}

/// A file truncated and written again past the old offset between two polls (a program that
/// rewrites its log), and logrotate's copytruncate: the new content is read from its start,
/// whole. Before, the first case printed `TER-TRUNCATE`.
#[test]
fn follow_reads_a_rewritten_file_from_its_start() {
    let dir = tempdir("stream-follow-rewritten");
    let path = dir.join("t.log");
    fs::write(&path, "old-line-1\n").unwrap();
    let mut child = start(sluice().arg("-f").arg(&path));
    let rx = lines_of(&mut child);
    assert_eq!(rx.recv_timeout(PATIENCE).unwrap(), "old-line-1");
    // One write(2) after the truncation, so it usually lands between two polls.
    fs::write(&path, "NEW-LINE-AFTER-TRUNCATE\n").unwrap();
    assert_eq!(
        rx.recv_timeout(PATIENCE).unwrap(),
        "NEW-LINE-AFTER-TRUNCATE"
    );

    let mut writer = fs::OpenOptions::new().append(true).open(&path).unwrap();
    writeln!(writer, "before copytruncate").unwrap();
    assert_eq!(rx.recv_timeout(PATIENCE).unwrap(), "before copytruncate");
    fs::copy(&path, dir.join("t.log.1")).unwrap();
    writer.set_len(0).unwrap();
    let refill = "written after copytruncate, longer than what was there\n".repeat(3);
    writer.write_all(refill.as_bytes()).unwrap();
    for _ in 0..3 {
        assert_eq!(
            rx.recv_timeout(PATIENCE).unwrap(),
            "written after copytruncate, longer than what was there"
        );
    }
    child.kill().unwrap();
    let _ = child.wait();
    assert!(
        rx.recv_timeout(Duration::from_millis(100)).is_err(),
        "nothing else was written"
    );
}

#[test]
fn follow_waits_for_a_file_to_appear_and_follows_several() {
    let dir = tempdir("stream-follow-several");
    let a = dir.join("a.log");
    let b = dir.join("b.log");
    fs::write(&a, "a1\n").unwrap();
    let mut child = start(sluice().args(["-f", "-o", "json"]).arg(&a).arg(&b));
    let rx = lines_of(&mut child);
    let record = |line: String| serde_json::from_str::<serde_json::Value>(&line).unwrap();
    let first = record(rx.recv_timeout(PATIENCE).unwrap());
    assert_eq!(first["line"], "a1");
    assert_eq!(first["source"], a.display().to_string());
    fs::write(&b, "b1\n").unwrap();
    let second = record(rx.recv_timeout(PATIENCE).unwrap());
    assert_eq!(second["line"], "b1");
    assert_eq!(second["source"], b.display().to_string());
    child.kill().unwrap();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("b.log: no such file yet; waiting for it to appear"),
        "{stderr}"
    );
}

#[test]
fn follow_needs_files() {
    assert!(
        run(&["-f"], b"")
            .fails(2)
            .contains("--follow needs file paths")
    );
    assert!(
        run(&["-f", "-"], b"")
            .fails(2)
            .contains("--follow needs file paths")
    );
}

#[test]
fn sluice_now_must_be_a_time() {
    let run = run_cmd(
        sluice().env("SLUICE_NOW", "tomorrow").args(["-p", "pack"]),
        b"",
    );
    assert!(
        run.fails(2)
            .contains("SLUICE_NOW=\"tomorrow\" is not a time")
    );
}
