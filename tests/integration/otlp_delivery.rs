//! At least once, end to end: `--sink` with `--positions` records a file's offset only past
//! lines the receiver acknowledged, so a SIGKILL loses nothing, and a SIGTERM drains what is in
//! flight within `--sink-drain-max`. Also the `[sink]` table and the sink's `--stats`. The
//! receiver is the independent one of [`crate::otlp`].

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::otlp::Receiver;
use crate::util::{run, sluice, tempdir};

/// `n` numbered lines, `line 000000` on.
fn numbered(n: usize) -> Vec<u8> {
    (0..n)
        .flat_map(|i| format!("line {i:06} of the numbered log\n").into_bytes())
        .collect()
}

/// A scratch folder `name` holding `app.log`, `lines` numbered lines, and the path of a
/// positions file beside it (not made).
fn numbered_log(name: &str, lines: usize) -> (PathBuf, PathBuf, PathBuf) {
    let dir = tempdir(name);
    let log = dir.join("app.log");
    std::fs::write(&log, numbered(lines)).unwrap();
    let positions = dir.join("positions.json");
    (dir, log, positions)
}

/// The numbers of the lines in `records`, in the order received.
fn numbers(records: &[Value]) -> Vec<usize> {
    records
        .iter()
        .map(|r| {
            let body = r["body"].as_str().expect("a text body");
            body[5..11].parse().expect("a numbered line")
        })
        .collect()
}

/// The offset recorded for `log` in the positions file at `positions`.
fn recorded_offset(positions: &Path, log: &Path) -> u64 {
    let text = std::fs::read_to_string(positions).unwrap();
    let value: Value = serde_json::from_str(&text).unwrap();
    value["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"].as_str() == log.to_str())
        .and_then(|f| f["offset"].as_u64())
        .unwrap_or(0)
}

/// Sends `signal` to `child`.
fn signal(child: &Child, signal: libc::c_int) {
    // SAFETY: kill(2) with a child's pid and a valid signal number has no memory effects.
    assert_eq!(unsafe { libc::kill(child.id() as i32, signal) }, 0);
}

/// Waits until `receiver` has at least `n` records.
fn wait_for_records(receiver: &Receiver, n: usize) {
    let start = Instant::now();
    while receiver.records().len() < n {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the receiver got {} records, waiting for {n}",
            receiver.records().len()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `sluice --sink URL EXTRA… --positions POSITIONS LOG`, its output thrown away and its stderr
/// kept.
fn shipping(url: &str, extra: &[&str], positions: &Path, log: &Path) -> Command {
    let mut cmd = sluice();
    cmd.args(["--sink", url])
        .args(extra)
        .arg("--positions")
        .arg(positions)
        .arg(log)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

#[test]
fn after_sigkill_the_restarted_run_sends_every_line_the_receiver_did_not_acknowledge() {
    const LINES: usize = 40_000;
    const LINE_BYTES: u64 = 32;
    let (dir, log, positions) = numbered_log("otlp-kill", LINES);
    let args = |receiver: &Receiver| {
        let interval = ["--positions-interval", "50ms"];
        shipping(&receiver.url(), &interval, &positions, &log)
    };

    // A slow receiver: sluice is killed while most of the file is still to send.
    let first = Receiver::start_named(&dir, "first", &["--delay", "0.05"]);
    let mut child = args(&first).spawn().unwrap();
    wait_for_records(&first, 8_000);
    std::thread::sleep(Duration::from_millis(120));
    signal(&child, libc::SIGKILL);
    child.wait().unwrap();
    let offset = recorded_offset(&positions, &log);
    let received_first = numbers(&first.records());
    drop(first);

    // The offset never runs ahead of what the receiver has: every line before it arrived.
    assert_eq!(offset % LINE_BYTES, 0, "an offset between lines: {offset}");
    let before_offset = (offset / LINE_BYTES) as usize;
    assert!(before_offset > 0, "the offset moved while the run went on");
    assert!(before_offset < LINES, "the run was killed before its end");
    let got: BTreeSet<usize> = received_first.iter().copied().collect();
    let missing = (0..before_offset).find(|n| !got.contains(n));
    assert_eq!(
        missing, None,
        "line {missing:?} is before the recorded offset {offset} but never reached the receiver"
    );

    // The restart resumes at the offset, and between the two runs every line arrives.
    let second = Receiver::start_named(&dir, "second", &[]);
    let status = args(&second).status().unwrap();
    assert!(status.success());
    let received_second = numbers(&second.records());
    assert_eq!(received_second.first(), Some(&before_offset));
    assert_eq!(
        received_second,
        (before_offset..LINES).collect::<Vec<_>>(),
        "the rest, in order, once"
    );
    let duplicates = received_first
        .iter()
        .filter(|&&n| n >= before_offset)
        .count();
    eprintln!(
        "killed after {} records acknowledged; offset at line {before_offset}; {duplicates} \
         sent again",
        received_first.len()
    );
    assert_eq!(recorded_offset(&positions, &log), LINES as u64 * LINE_BYTES);
}

#[test]
fn sigterm_drains_what_is_in_flight_then_exits_and_the_position_is_at_the_end() {
    const LINES: usize = 3_000;
    let (dir, log, positions) = numbered_log("otlp-term", LINES);
    let receiver = Receiver::start(&dir, &["--delay", "0.2"]);
    let child = shipping(&receiver.url(), &["-f"], &positions, &log)
        .spawn()
        .unwrap();
    wait_for_records(&receiver, 1);
    signal(&child, libc::SIGTERM);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(143));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    assert_eq!(
        numbers(&receiver.records()),
        (0..LINES).collect::<Vec<_>>(),
        "what was in flight and queued was delivered before the exit"
    );
    assert_eq!(
        recorded_offset(&positions, &log),
        std::fs::metadata(&log).unwrap().len()
    );
}

#[test]
fn sigterm_with_the_receiver_down_gives_up_after_the_drain_deadline_and_keeps_the_position() {
    const LINES: usize = 5_000;
    let (dir, log, positions) = numbered_log("otlp-drain", LINES);
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("otlp=http://127.0.0.1:{port}");
    let child = shipping(&url, &["--sink-drain-max", "1s"], &positions, &log)
        .spawn()
        .unwrap();
    // Nothing listens: sluice retries, its queue fills and its reading stops.
    std::thread::sleep(Duration::from_millis(800));
    let asked = Instant::now();
    signal(&child, libc::SIGTERM);
    let out = child.wait_with_output().unwrap();
    let took = asked.elapsed();
    assert_eq!(out.status.code(), Some(143));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("record(s) were not delivered: the receiver had not taken them 1.0s after the stop (--sink-drain-max); with --positions, the next run sends them again"),
        "{stderr}"
    );
    // Not the five minutes of --sink-retry-max: the drain deadline, and the time to notice it.
    assert!(took < Duration::from_secs(10), "{took:?}");
    assert_eq!(
        recorded_offset(&positions, &log),
        0,
        "nothing was acknowledged"
    );

    // Once the receiver is up, the next run sends everything.
    let receiver = Receiver::start(&dir, &["--port", &port.to_string()]);
    let status = shipping(&url, &[], &positions, &log).status().unwrap();
    assert!(status.success());
    assert_eq!(numbers(&receiver.records()), (0..LINES).collect::<Vec<_>>());
}

#[test]
fn a_sink_table_in_the_pipeline_file_ships_and_the_command_line_wins_key_by_key() {
    let dir = tempdir("otlp-table");
    let receiver = Receiver::start(&dir, &[]);
    let config = dir.join("pipeline.toml");
    std::fs::write(
        &config,
        format!(
            "[[stage]]\nplugin = \"logfmt\"\n\n[sink]\nkind = \"otlp\"\nurl = \"http://127.0.0.1:{}\"\n\
             tee = true\n\n[sink.resource]\n\"service.name\" = \"checkout\"\nteam = \"payments\"\n",
            receiver.port()
        ),
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let out = run(
        &[
            "--config",
            config,
            "--resource",
            "team=core",
            "--stats=json",
        ],
        b"level=info n=1\n",
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, b"level=info n=1\n", "tee = true");
    let records = receiver.records();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["attributes"], json!({"level": "info", "n": 1}));
    assert_eq!(records[0]["resource"]["service.name"], json!("checkout"));
    assert_eq!(records[0]["resource"]["team"], json!("core"));
    let stats: Value = serde_json::from_str(out.stderr.trim()).unwrap();
    assert_eq!(
        stats["sink"],
        json!({"kind": "otlp", "records_sent": 1, "records_retried": 0, "records_rejected": 0})
    );
}
