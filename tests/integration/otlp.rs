//! `--sink otlp=URL`, checked against an independent receiver: `tests/otlp/receiver.py`
//! decodes with the OpenTelemetry project's own Python classes (`opentelemetry-proto` from
//! PyPI, installed on first use into a virtual environment under the build directory) and
//! writes each record it accepts as a JSON line.

use crate::util::{run, sluice, tempdir};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;

/// The receiver's Python packages, pinned.
const PACKAGES: [&str; 2] = [
    "opentelemetry-proto==1.39.1",
    "googleapis-common-protos==1.72.0",
];

/// The Python of a virtual environment holding [`PACKAGES`], made once per build directory.
fn python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("otlp-venv");
        let python = venv.join("bin/python");
        let ready = venv.join("ready");
        if !ready.exists() {
            let status = Command::new("python3")
                .args(["-m", "venv"])
                .arg(&venv)
                .status();
            assert!(status.is_ok_and(|s| s.success()), "python3 -m venv failed");
            let status = Command::new(&python)
                .args(["-m", "pip", "install", "-q", "--disable-pip-version-check"])
                .args(PACKAGES)
                .status();
            assert!(
                status.is_ok_and(|s| s.success()),
                "pip install {PACKAGES:?} failed (the OTLP tests need PyPI)"
            );
            std::fs::write(&ready, PACKAGES.join("\n")).unwrap();
        }
        python
    })
}

/// A running receiver; stopped when dropped.
pub(crate) struct Receiver {
    child: Child,
    stdin: Option<ChildStdin>,
    port: u16,
    out: PathBuf,
}

impl Receiver {
    pub(crate) fn start(dir: &Path, args: &[&str]) -> Receiver {
        let name = format!("received-{}", args.join("_").replace(['/', ':'], "-"));
        Receiver::start_named(dir, &name, args)
    }

    /// A receiver writing what it accepts to `dir/NAME.jsonl`.
    pub(crate) fn start_named(dir: &Path, name: &str, args: &[&str]) -> Receiver {
        let out = dir.join(format!("{name}.jsonl"));
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/otlp/receiver.py");
        let mut child = Command::new(python())
            .arg(script)
            .arg("--out")
            .arg(&out)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the receiver");
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let port = first.trim().parse().expect("the receiver prints its port");
        Receiver {
            stdin: child.stdin.take(),
            child,
            port,
            out,
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("otlp=http://127.0.0.1:{}", self.port)
    }

    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    /// The records accepted so far: the complete lines of the receiver's file. A line still
    /// being written (the receiver goes on writing a request's records after its sender was
    /// killed) is not a record yet; every record of an acknowledged request was written whole
    /// before the receiver answered.
    pub(crate) fn records(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.out)
            .unwrap_or_default()
            .split_inclusive('\n')
            .filter_map(|line| line.strip_suffix('\n'))
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

/// `n` logfmt lines with a timestamp, a level, a number, and every 7th a byte that is not UTF-8.
fn app_log(n: usize) -> Vec<u8> {
    let mut log = Vec::new();
    for i in 0..n {
        let level = ["info", "warn", "error", "debug"][i % 4];
        log.extend_from_slice(
            format!(
                "ts=2024-06-01T12:00:{:02}.{:03}Z level={level} n={i} msg=\"req {i}\"",
                i % 60,
                i % 1000
            )
            .as_bytes(),
        );
        if i % 7 == 0 {
            log.extend_from_slice(b" raw=\xff");
        }
        log.push(b'\n');
    }
    log
}

#[test]
fn every_record_arrives_in_order_with_body_attributes_timestamps_severity_and_resource() {
    let dir = tempdir("otlp-all");
    let receiver = Receiver::start(&dir, &[]);
    let log = dir.join("app.log");
    let n = 100_000;
    std::fs::write(&log, app_log(n)).unwrap();
    // A second source, after the first.
    let other = dir.join("other.log");
    let m = 2_000;
    std::fs::write(&other, app_log(m)).unwrap();
    let out = run(
        &[
            "-p",
            "logfmt",
            "-p",
            r#"timestamp={"source": "ts", "format": "RFC3339"}"#,
            "--sink",
            &receiver.url(),
            "--resource",
            "service.name=checkout",
            "--resource",
            "deployment.environment=test",
            log.to_str().unwrap(),
            other.to_str().unwrap(),
        ],
        b"",
    );
    assert!(out.ok().is_empty(), "standard output stays free");
    let records = receiver.records();
    assert_eq!(records.len(), n + m, "every line arrives once");
    let path = log.to_str().unwrap();
    for (file, lines) in [("app.log", n), ("other.log", m)] {
        let numbers: Vec<i64> = records
            .iter()
            .filter(|r| r["attributes"]["log.file.name"] == json!(file))
            .map(|r| r["attributes"]["n"].as_i64().unwrap())
            .collect();
        assert_eq!(
            numbers,
            (0..lines as i64).collect::<Vec<_>>(),
            "{file}: in order"
        );
    }
    let first = &records[0];
    // Line 0 has a byte that is not UTF-8: its body goes as bytes, exactly.
    let line0 = b"ts=2024-06-01T12:00:00.000Z level=info n=0 msg=\"req 0\" raw=\xff";
    let hex: String = line0.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(first["body"], json!({"bytes": hex}));
    assert_eq!(
        records[1]["body"],
        json!("ts=2024-06-01T12:00:01.001Z level=warn n=1 msg=\"req 1\"")
    );
    let second = &records[1];
    assert_eq!(
        second["attributes"],
        json!({
            "log.file.path": path,
            "log.file.name": "app.log",
            "ts": "2024-06-01T12:00:01.001Z",
            "level": "warn",
            "n": 1,
            "msg": "req 1",
        })
    );
    assert_eq!(second["time"], json!(1_717_243_201_001_000_000u64));
    assert!(second["observed"].as_u64().unwrap() > 1_717_243_201_001_000_000);
    assert_eq!(
        (
            second["severity_text"].clone(),
            second["severity_number"].clone()
        ),
        (json!("warn"), json!(13))
    );
    assert_eq!(records[2]["severity_number"], json!(17));
    assert_eq!(records[3]["severity_number"], json!(5));
    assert_eq!(records[4]["severity_number"], json!(9));
    assert_eq!(first["attributes"]["raw"], json!({"bytes": "ff"}));
    assert_eq!(second["resource"]["service.name"], json!("checkout"));
    assert_eq!(second["resource"]["deployment.environment"], json!("test"));
    assert!(
        second["resource"]["host.name"]
            .as_str()
            .is_some_and(|h| !h.is_empty())
    );
    assert_eq!(second["scope"], json!("sluice"));
}

#[test]
fn retryable_statuses_are_retried_until_the_receiver_takes_the_records() {
    let dir = tempdir("otlp-retry");
    for fail in ["3:503", "2:429:1"] {
        let receiver = Receiver::start(&dir, &["--fail", fail]);
        let start = std::time::Instant::now();
        let out = run(&["--sink", &receiver.url()], &app_log(2_500));
        assert!(out.ok().is_empty());
        let records = receiver.records();
        assert_eq!(records.len(), 2_500, "{fail}: every record, once");
        let distinct: std::collections::HashSet<String> =
            records.iter().map(|r| r["body"].to_string()).collect();
        assert_eq!(distinct.len(), 2_500, "{fail}: no record twice");
        assert!(
            records
                .iter()
                .all(|r| r["request"].as_u64() > fail.split(':').next().unwrap().parse().ok()),
            "{fail}: only requests after the failures were accepted"
        );
        if fail.ends_with(":1") {
            // Retry-After: 1, twice.
            assert!(
                start.elapsed().as_secs_f64() >= 2.0,
                "{:?}",
                start.elapsed()
            );
        }
    }
}

#[test]
fn a_receiver_that_is_down_at_first_gets_everything_once_it_is_up() {
    let dir = tempdir("otlp-down");
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mut child = sluice()
        .args(["--sink", &format!("otlp=http://127.0.0.1:{port}")])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&app_log(3_000))
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(1));
    let receiver = Receiver::start(&dir, &["--port", &port.to_string()]);
    let status = child.wait().unwrap();
    assert!(status.success());
    assert_eq!(receiver.records().len(), 3_000);
}

#[test]
fn a_refusal_is_reported_with_the_receivers_message_and_not_retried() {
    let dir = tempdir("otlp-400");
    let receiver = Receiver::start(&dir, &["--fail", "1000:400"]);
    let out = run(&["--sink", &receiver.url()], &app_log(10));
    let message = out.fails(3);
    assert!(
        message.contains("the receiver refused 10 record(s): HTTP 400: try later (1)"),
        "{message}"
    );
    assert!(receiver.records().is_empty());
}

#[test]
fn tee_writes_standard_output_too_and_rejections_are_reported() {
    let dir = tempdir("otlp-tee");
    let receiver = Receiver::start(&dir, &["--reject", "1"]);
    let log = app_log(5);
    let out = run(&["--sink", &receiver.url(), "--tee"], &log);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, log);
    assert_eq!(
        receiver.records().len(),
        4,
        "the first record of the one request was rejected"
    );
    assert_eq!(
        out.stderr,
        "sluice: warning: the receiver accepted 4 record(s) and rejected 1: rejected by the test \
         receiver\n"
    );
}

#[test]
fn a_sink_that_is_not_otlp_is_a_usage_error() {
    let out = run(&["--sink", "kafka=localhost:9092"], b"");
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("unknown sink `kafka`; the one sink is otlp=URL"),
        "{}",
        out.stderr
    );
    for option in [
        &["--tee"][..],
        &["--resource", "a=b"],
        &["--sink-drain-max", "1s"],
    ] {
        let out = run(option, b"");
        assert_eq!(
            out.fails(2),
            format!(
                "sluice: {} needs a sink: give --sink otlp=URL, or a [sink] table in the \
                 --config file",
                option[0]
            )
        );
    }
}

#[test]
fn a_slow_receiver_stops_the_reading_so_memory_stays_bounded() {
    use std::io::Write;
    let dir = tempdir("otlp-slow");
    // Each request takes 100 ms: about 10,000 records a second at most.
    let receiver = Receiver::start(&dir, &["--delay", "0.1"]);
    let mut child = sluice()
        .args(["--sink", &receiver.url()])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // Written as fast as sluice takes them, for 3 s: without back-pressure that is hundreds of
    // megabytes held in memory.
    let writer = std::thread::spawn(move || {
        let line = [b'x'; 199];
        let start = std::time::Instant::now();
        let mut written = 0u64;
        while start.elapsed() < std::time::Duration::from_secs(3) {
            let mut chunk = Vec::with_capacity(200 * 100);
            for _ in 0..100 {
                chunk.extend_from_slice(&line);
                chunk.push(b'\n');
            }
            if stdin.write_all(&chunk).is_err() {
                break;
            }
            written += 100;
        }
        written
    });
    // The high-water mark of sluice's own memory (VmHWM starts again at exec, unlike
    // ru_maxrss, which keeps what the test process had when it forked), read until it exits.
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0u64;
    let status = loop {
        if let Ok(text) = std::fs::read_to_string(&status_file)
            && let Some(kib) = text
                .lines()
                .find_map(|line| line.strip_prefix("VmHWM:"))
                .and_then(|rest| {
                    rest.trim()
                        .trim_end_matches(" kB")
                        .trim()
                        .parse::<u64>()
                        .ok()
                })
        {
            peak = peak.max(kib << 10);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let written = writer.join().unwrap();
    assert!(status.success());
    assert_eq!(
        receiver.records().len() as u64,
        written,
        "every line written arrives"
    );
    assert!(
        peak < 64 << 20,
        "peak RSS {} MiB with a slow receiver ({written} lines)",
        peak >> 20
    );
    eprintln!(
        "slow receiver: {written} lines, peak RSS {} KiB",
        peak >> 10
    );
}
