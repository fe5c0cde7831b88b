//! `grep`: see docs/stages/grep.md.
//!
//! Most tests compare the stage's output with GNU grep's (`LC_ALL=C /usr/bin/grep -a -E`) on
//! the same bytes, byte for byte: on the fixtures, and on a generated log of a few thousand
//! lines read from a file (so batches of 1024 lines split groups) and fed through a slow pipe
//! in chunks of random sizes (so batches are small and cut anywhere).

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use insta::assert_snapshot;

use crate::util::{Bytes, fixture, run, show_lossy, tempdir, transform};

/// One comparison: GNU grep's options and the stage's config keys meaning the same.
struct Case {
    pattern: &'static str,
    gnu: &'static [&'static str],
    keys: &'static str,
}

impl Case {
    fn spec(&self) -> String {
        let expression = serde_json::to_string(self.pattern).unwrap();
        if self.keys.is_empty() {
            format!(r#"grep={{"expression": {expression}}}"#)
        } else {
            format!(r#"grep={{"expression": {expression}, {}}}"#, self.keys)
        }
    }
}

const fn case(pattern: &'static str, gnu: &'static [&'static str], keys: &'static str) -> Case {
    Case { pattern, gnu, keys }
}

/// GNU grep's output on `input`.
fn gnu_grep(case: &Case, input: &[u8]) -> Vec<u8> {
    let mut child = Command::new("/usr/bin/grep")
        .env("LC_ALL", "C")
        .args(["-a", "-E"])
        .args(case.gnu)
        .arg("--")
        .arg(case.pattern)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("cannot run /usr/bin/grep");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    // 0: lines selected, 1: none.
    assert!(matches!(output.status.code(), Some(0 | 1)), "{output:?}");
    output.stdout
}

/// The output of sluice with `args` when `input` is written in chunks of random sizes (cut
/// anywhere, not only at line ends), with a pause after each: batches are small (about 300 chunks for a large input).
fn trickle(args: &[&str], input: &[u8], seed: u64) -> Vec<u8> {
    let mut child = crate::util::start(crate::util::sluice().args(args));
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let mut rng = Bytes::new(seed);
        let most = (input.len() as u64 / 300).max(400);
        let mut rest = &input[..];
        while !rest.is_empty() {
            let n = (1 + rng.next_u64() % most) as usize;
            let (chunk, more) = rest.split_at(n.min(rest.len()));
            if stdin.write_all(chunk).and_then(|_| stdin.flush()).is_err() {
                return;
            }
            rest = more;
            std::thread::sleep(Duration::from_micros(300 + rng.next_u64() % 1500));
        }
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(output.stderr.is_empty(), "{output:?}");
    output.stdout
}

/// Asserts that sluice prints what GNU grep prints for every case, on `input` given at once
/// and through a slow pipe; returns how many cases printed a group separator.
#[track_caller]
fn same_as_gnu(cases: &[Case], input: &[u8], what: &str) -> usize {
    let (mut separated, mut printed) = (0, 0);
    for (k, case) in cases.iter().enumerate() {
        let expected = gnu_grep(case, input);
        let spec = case.spec();
        let at_once = transform(&["-p", &spec], input);
        assert!(
            at_once == expected,
            "{what}: {spec} differs from grep {:?}:\n--- sluice\n{}\n--- grep\n{}",
            case.gnu,
            show_lossy(&at_once),
            show_lossy(&expected)
        );
        let slow = trickle(&["-p", &spec], input, k as u64 + 1);
        assert!(
            slow == expected,
            "{what}, slow pipe: {spec} differs from grep {:?}:\n--- sluice\n{}\n--- grep\n{}",
            case.gnu,
            show_lossy(&slow),
            show_lossy(&expected)
        );
        separated += usize::from(expected.split(|&b| b == b'\n').any(|l| l == b"--"));
        printed += usize::from(!expected.is_empty());
    }
    assert!(
        printed * 2 > cases.len(),
        "{what}: most cases print nothing"
    );
    separated
}

const FIXTURE_CASES: &[Case] = &[
    case("POST|500", &["-C", "1"], r#""context": 1"#),
    case("POST|500", &[], ""),
    case("GET", &["-v"], r#""invert": true"#),
    case("rt=0[.]0", &["-A", "1"], r#""after": 1"#),
    case(" 30[0-9] ", &["-B", "2"], r#""before": 2"#),
    case(
        "api",
        &["-m", "1", "-A", "2"],
        r#""max_count": 1, "after": 2"#,
    ),
    case("[0-9]{3} [0-9]+ ", &["-C", "0"], r#""context": 0"#),
];

#[test]
fn same_as_gnu_grep_on_the_nginx_log() {
    let input = std::fs::read(fixture("nginx_access.log")).unwrap();
    same_as_gnu(FIXTURE_CASES, &input, "nginx_access.log");
    let cases = [
        case("alice|bob", &["-C", "2"], r#""context": 2"#),
        case(
            "^192",
            &["-A", "1", "-B", "3"],
            r#""after": 1, "before": 3"#,
        ),
        case(
            "0\\.00[14]",
            &["-C", "0", "--group-separator=~~"],
            r#""context": 0, "separator": "~~""#,
        ),
    ];
    same_as_gnu(&cases, &input, "nginx_access.log");
}

#[test]
fn same_as_gnu_grep_on_the_json_log() {
    let input = std::fs::read(fixture("app_json.log")).unwrap();
    let cases = [
        case(r#""level":"(ERROR|WARN)""#, &["-C", "2"], r#""context": 2"#),
        case(
            r#""service":"auth""#,
            &["-v", "-C", "1"],
            r#""invert": true, "context": 1"#,
        ),
        case("INFO", &["-A", "1"], r#""after": 1"#),
        case("INFO", &["-B", "1"], r#""before": 1"#),
        case(
            "token|password",
            &["-m", "1", "-C", "1"],
            r#""max_count": 1, "context": 1"#,
        ),
        case("[[:digit:]]{4}", &["-m", "0"], r#""max_count": 0"#),
        case(
            "DEBUG",
            &["-C", "2", "--no-group-separator"],
            r#""context": 2, "separator": null"#,
        ),
    ];
    same_as_gnu(&cases, &input, "app_json.log");
}

#[test]
fn same_as_gnu_grep_on_odd_bytes_and_other_fixtures() {
    // NUL, a byte that is not UTF-8 (matched with (?-u:\xff) in Rust, as a raw byte by
    // GNU grep in the C locale), lone `\r`, CRLF.
    for name in ["odd_bytes.log", "logfmt.log", "secrets.log", "k8s_cri.log"] {
        let input = std::fs::read(fixture(name)).unwrap();
        let cases = [
            case("token|password|secret", &["-C", "1"], r#""context": 1"#),
            case(
                "^[a-z]+ line",
                &["-v", "-A", "1"],
                r#""invert": true, "after": 1"#,
            ),
            case("level=(warn|error)", &["-B", "2"], r#""before": 2"#),
            case("^$|stderr", &["-C", "0"], r#""context": 0"#),
            case(
                "[0-9]",
                &["-m", "2", "-A", "1"],
                r#""max_count": 2, "after": 1"#,
            ),
        ];
        same_as_gnu(&cases, &input, name);
    }
    let odd = std::fs::read(fixture("odd_bytes.log")).unwrap();
    let raw = Case {
        pattern: "\u{0}",
        gnu: &["-C", "1"],
        keys: r#""context": 1"#,
    };
    // GNU grep cannot take a NUL in a pattern argument; the stage can.
    assert_eq!(
        transform(&["-p", &raw.spec()], &odd),
        b"latin1 caf\xe9 password=h\xfcnter2\nnul\0byte token=abc\0def\ncrlf line\r\n"
    );
    let ff = transform(
        &["-p", r#"grep={"expression": "(?-u:\\xff)|caf(?-u:\\xe9)"}"#],
        &odd,
    );
    assert_eq!(ff, b"latin1 caf\xe9 password=h\xfcnter2\n\xff\xfe\xfd\n");
}

/// A realistic log of `n` lines: nginx access lines, application lines (INFO mostly, some
/// WARN, rare ERROR with a stack trace), some empty lines. An ERROR on the first and last
/// line, and on line 1025, right after the first batch when the log is read from a file.
fn generated_log(n: usize) -> Vec<u8> {
    let mut rng = Bytes::new(20261121);
    let mut out = Vec::new();
    let paths = [
        "/api/v1/orders",
        "/api/v1/users/42",
        "/healthz",
        "/static/app.js",
        "/login",
    ];
    let statuses = [200, 200, 200, 200, 304, 404, 500, 502];
    let mut i = 0;
    while i < n {
        let (m, s, ms) = (i / 3600 % 60, i / 60 % 60, rng.next_u64() % 1000);
        let ts = format!("2026-11-21T06:{m:02}:{s:02}.{ms:03}Z");
        let r = rng.next_u64() % 1000;
        if i == 0 || i == n - 1 || i == 1024 || r < 4 {
            out.extend(
                format!(
                    "{ts} ERROR [worker-{}] order failed: upstream timeout\n",
                    r % 7
                )
                .bytes(),
            );
            i += 1;
            if i < n - 1 && r.is_multiple_of(2) {
                for frame in [
                    "OrderService.place(OrderService.java:42)",
                    "Main.main(Main.java:12)",
                ] {
                    out.extend(format!("\tat com.example.{frame}\n").bytes());
                    i += 1;
                }
            }
        } else if r < 20 {
            let took = 500 + rng.next_u64() % 3000;
            out.extend(format!("{ts} WARN  [http] slow request took {took}ms\n").bytes());
            i += 1;
        } else if r < 26 {
            out.push(b'\n');
            i += 1;
        } else if r < 500 {
            let path = paths[(rng.next_u64() % paths.len() as u64) as usize];
            let status = statuses[(rng.next_u64() % statuses.len() as u64) as usize];
            let bytes = rng.next_u64() % 20000;
            out.extend(
                format!(
                    "10.0.{}.{} - - [21/Nov/2026:06:{m:02}:{s:02} +0000] \"GET {path} HTTP/1.1\" {status} {bytes} \"-\" \"curl/8.5.0\"\n",
                    rng.next_u64() % 4,
                    rng.next_u64() % 250
                )
                .bytes(),
            );
            i += 1;
        } else {
            let id = rng.next_u64() % 100000;
            out.extend(
                format!(
                    "{ts} INFO  [worker-{}] processed job {id} in {}ms\n",
                    r % 7,
                    r % 90
                )
                .bytes(),
            );
            i += 1;
        }
    }
    out
}

const BIG_CASES: &[Case] = &[
    case("ERROR", &["-C", "2"], r#""context": 2"#),
    case("ERROR|WARN", &["-A", "3"], r#""after": 3"#),
    case("\" 50[0-9] ", &["-B", "2"], r#""before": 2"#),
    case(
        "INFO|GET",
        &["-v", "-C", "1"],
        r#""invert": true, "context": 1"#,
    ),
    case(
        "ERROR",
        &["-m", "7", "-A", "4"],
        r#""max_count": 7, "after": 4"#,
    ),
    case("ERROR", &["-C", "0"], r#""context": 0"#),
    case("timeout", &[], ""),
    case(
        "ERROR",
        &["-C", "3", "--group-separator====="],
        r#""context": 3, "separator": "====""#,
    ),
    case(
        "ERROR",
        &["-B", "1", "-A", "2", "--no-group-separator"],
        r#""before": 1, "after": 2, "separator": """#,
    ),
    case("^$", &["-C", "1"], r#""context": 1"#),
    case(
        "took [0-9]{4}ms",
        &["-B", "5", "-A", "1"],
        r#""before": 5, "after": 1"#,
    ),
];

#[test]
fn same_as_gnu_grep_on_a_large_log() {
    let input = generated_log(3500);
    assert_eq!(input.iter().filter(|&&b| b == b'\n').count(), 3500);
    // Given at once on stdin, and through a slow pipe.
    let separated = same_as_gnu(BIG_CASES, &input, "generated log");
    assert!(separated >= 5, "too few cases print groups: {separated}");
    // Read from a file: batches of exactly 1024 lines, which split groups.
    let dir = tempdir("grep-large-log");
    let path = dir.join("app.log");
    std::fs::write(&path, &input).unwrap();
    for case in BIG_CASES {
        let spec = case.spec();
        let out = run(&["-p", &spec, path.to_str().unwrap()], b"");
        assert!(
            out.ok() == gnu_grep(case, &input),
            "{spec} on the file differs from grep {:?}",
            case.gnu
        );
    }
    // A group does straddle a batch boundary: some line printed with its context runs across
    // line 1024 (numbered from 1).
    let expected = gnu_grep(&BIG_CASES[0], &input);
    let lines: Vec<&[u8]> = input.split(|&b| b == b'\n').collect();
    let printed: Vec<&[u8]> = expected.split(|&b| b == b'\n').collect();
    let at = printed
        .windows(2)
        .any(|w| w[0] == lines[1023] && w[1] == lines[1024]);
    assert!(at, "pick a case whose groups cross line 1024");
}

#[test]
fn docs_example() {
    let input = b"2024-10-10 13:55:36 INFO  order-service starting
2024-10-10 13:55:37 INFO  connected to db
2024-10-10 13:55:38 ERROR db: connection refused
2024-10-10 13:55:39 INFO  retrying
2024-10-10 13:55:40 INFO  pool refilled
2024-10-10 13:55:41 INFO  flushed 120 events
2024-10-10 13:55:42 ERROR request failed: upstream timeout
2024-10-10 13:55:43 INFO  shutting down
";
    let out = transform(
        &[
            "-p",
            r#"grep={"expression": "ERROR|refused", "context": 1}"#,
        ],
        input,
    );
    assert_snapshot!(show_lossy(&out), @r"
    2024-10-10 13:55:37 INFO  connected to db
    2024-10-10 13:55:38 ERROR db: connection refused
    2024-10-10 13:55:39 INFO  retrying
    --
    2024-10-10 13:55:41 INFO  flushed 120 events
    2024-10-10 13:55:42 ERROR request failed: upstream timeout
    2024-10-10 13:55:43 INFO  shutting down
    ");
    // The health-check example: everything but health checks, the first 100 with the line
    // after each (on 3 lines here, max_count 1).
    let out = transform(
        &[
            "-p",
            r#"grep={"expression": "GET /healthz", "invert": true, "max_count": 1, "after": 1, "separator": "----- 8< -----"}"#,
        ],
        b"GET /healthz\nGET /a\nGET /healthz\nGET /b\nGET /c\n",
    );
    assert_eq!(show_lossy(&out), "GET /a\nGET /healthz\n");
}

#[test]
fn kept_lines_keep_fields_and_timestamps() {
    let out = transform(
        &[
            "-p",
            r#"regex={"expression": "^(?P<ts>\\S+) (?P<level>[A-Z]+)"}"#,
            "-p",
            r#"timestamp={"source": "ts", "format": "RFC3339"}"#,
            "-p",
            r#"grep={"expression": "ERROR", "before": 1}"#,
            "-o",
            "json",
        ],
        b"2024-06-01T12:00:00Z INFO a\n2024-06-01T12:00:01Z INFO b\n2024-06-01T12:00:02Z ERROR c\n2024-06-01T12:00:03Z INFO d\n",
    );
    assert_snapshot!(show_lossy(&out), @r#"
    {"line":"2024-06-01T12:00:01Z INFO b","timestamp":"2024-06-01T12:00:01Z","fields":{"ts":"2024-06-01T12:00:01Z","level":"INFO"}}
    {"line":"2024-06-01T12:00:02Z ERROR c","timestamp":"2024-06-01T12:00:02Z","fields":{"ts":"2024-06-01T12:00:02Z","level":"ERROR"}}
    "#);
}

/// A line of `n` bytes `b`: at least 256 KiB makes a batch on its own (sluice stops a batch
/// at 256 KiB), so a line held as context before it is certainly carried across batches.
fn big(b: u8, n: usize) -> Vec<u8> {
    vec![b; n]
}

#[test]
fn context_held_across_batches_gets_its_fields_back() {
    let mut input = b"INFO start\n".to_vec();
    let held = big(b'h', 300 << 10);
    input.extend_from_slice(b"user=carol ");
    input.extend_from_slice(&held);
    input.extend_from_slice(b"\nuser=dave ERROR boom\n");
    let out = transform(
        &[
            "--max-line-bytes",
            "1M",
            "-p",
            r#"regex={"expression": "user=(?P<user>\\w+)"}"#,
            "-p",
            r#"grep={"expression": "ERROR", "before": 1}"#,
            "-o",
            "json",
        ],
        &input,
    );
    let records: Vec<serde_json::Value> = out
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["fields"]["user"], "carol");
    assert_eq!(records[0]["line"].as_str().unwrap().len(), 11 + held.len());
    assert_eq!(records[1]["fields"]["user"], "dave");
}

#[test]
fn held_context_keeps_its_terminator_and_the_separator_ends_in_a_newline() {
    // The 300 KiB line ends the first batch: it is held, then printed before "M2\r\n" with
    // its own `\n`; the separator ends in `\n`, as GNU grep's does.
    let long = big(b'h', 300 << 10);
    let mut input = b"M1\nx\ny\n".to_vec();
    input.extend_from_slice(&long);
    input.extend_from_slice(b"\nM2\r\n");
    let out = transform(
        &[
            "--max-line-bytes",
            "1M",
            "-p",
            r#"grep={"expression": "^M", "before": 1}"#,
        ],
        &input,
    );
    let mut expected = b"M1\n--\n".to_vec();
    expected.extend_from_slice(&long);
    expected.extend_from_slice(b"\nM2\r\n");
    assert!(out == expected, "{}", show_lossy(&out[..20.min(out.len())]));
    // In one batch nothing is held: the same bytes.
    let out = transform(
        &["-p", r#"grep={"expression": "^M", "before": 1}"#],
        b"M1\r\nx\ny\nz\r\nM2\r\n",
    );
    assert_eq!(show_lossy(&out), "M1\r\n--\nz\r\nM2\r\n");
    // The issue's reproduction: the before-context line used to take the `\n`-less end of
    // the line printed after it.
    let spec = r#"grep={"expression":"M","before":1}"#;
    assert_eq!(transform(&["-p", spec], b"x\nd\r\nM"), b"d\r\nM");
}

#[test]
fn max_bytes_lets_old_pending_lines_go() {
    // Three lines of 300 KiB, each in a batch of its own, before M2; max_bytes holds one.
    let (a, b, c) = (
        big(b'a', 300 << 10),
        big(b'b', 300 << 10),
        big(b'c', 300 << 10),
    );
    let mut input = b"M1\n".to_vec();
    for line in [&a, &b, &c] {
        input.extend_from_slice(line);
        input.push(b'\n');
    }
    input.extend_from_slice(b"M2\n");
    let args = [
        "--max-line-bytes",
        "1M",
        "-p",
        r#"grep={"expression": "^M", "before": 3, "max_bytes": 400000}"#,
    ];
    let out = transform(&args, &input);
    // GNU grep prints all five lines; the stage let "a" and "b" go, and marks the gap.
    let mut expected = b"M1\n--\n".to_vec();
    expected.extend_from_slice(&c);
    expected.extend_from_slice(b"\nM2\n");
    let summary: Vec<(u8, usize)> = out
        .split(|&b| b == b'\n')
        .map(|l| (l.first().copied().unwrap_or(0), l.len()))
        .collect();
    assert!(out == expected, "{summary:?}");
    // With the default max_bytes, the same as GNU grep.
    let case = case("^M", &["-B", "3"], r#""before": 3"#);
    let out = transform(&["--max-line-bytes", "1M", "-p", &case.spec()], &input);
    assert!(out == gnu_grep(&case, &input));
}

#[test]
fn crlf_lines_keep_their_terminators() {
    let input = b"a 1\r\nb 2\r\nERROR 3\r\nc 4\r\nd 5\r\ne 6\r\nERROR 7\r\n";
    let out = transform(
        &["-p", r#"grep={"expression": "ERROR", "context": 1}"#],
        input,
    );
    // As GNU grep writes them: each line with its `\r\n`, the separator with `\n`.
    assert_eq!(
        show_lossy(&out),
        "b 2\r\nERROR 3\r\nc 4\r\n--\ne 6\r\nERROR 7\r\n"
    );
}

#[test]
fn a_last_line_without_newline_stays_so() {
    // GNU grep adds a newline; the stage keeps the line as it is.
    let spec = r#"grep={"expression": "x", "before": 1}"#;
    assert_eq!(transform(&["-p", spec], b"a\nb\nx"), b"b\nx");
    assert_eq!(transform(&["-p", spec], b"x\nb\nc\nx"), b"x\n--\nc\nx");
    assert_eq!(transform(&["-p", spec], b"a\nb"), b"");
}

#[test]
fn empty_lines_are_lines() {
    let out = transform(
        &["-p", r#"grep={"expression": "^$", "after": 1}"#],
        b"a\n\nb\nc\n\n\nd\n",
    );
    assert_eq!(show_lossy(&out), "\nb\n--\n\n\nd\n");
}

#[test]
fn over_long_lines_are_decided_on_their_first_piece() {
    let long_match = format!("ERROR {}", "x".repeat(300));
    let long_later = format!("{} ERROR", "y".repeat(300));
    let input = format!("a\n{long_match}\nb\nc\nd\n{long_later}\ne\nf\n");
    let args = [
        "--max-line-bytes",
        "64",
        "--boundary-overlap",
        "16",
        "-p",
        r#"grep={"expression": "ERROR", "context": 1}"#,
    ];
    let out = show_lossy(&transform(&args, input.as_bytes()));
    // The first long line matches on its first piece and passes whole, byte for byte; the
    // second holds its match only in a later piece: not selected, but it is context of
    // nothing here either.
    assert_eq!(out, format!("a\n{long_match}\nb\n"));
    // A long line is one line of context, passing whole.
    let input = format!("{long_later}\nERROR\n{long_later}\nz\n");
    let out = show_lossy(&transform(&args, input.as_bytes()));
    assert_eq!(out, format!("{long_later}\nERROR\n{long_later}\n"));
    // With matches at the start of long lines, the output is GNU grep's.
    let mut log = generated_log(300);
    for k in 0..5 {
        log.extend(format!("ERROR {k} {}\n", "z".repeat(150 + 40 * k)).bytes());
        log.extend(format!("{}\n", "w".repeat(100 * k)).bytes());
    }
    let case = case("ERROR", &["-C", "1"], r#""context": 1"#);
    let out = transform(
        &[
            "--max-line-bytes",
            "64",
            "--boundary-overlap",
            "16",
            "-p",
            &case.spec(),
        ],
        &log,
    );
    assert!(out == gnu_grep(&case, &log));
}

#[test]
fn config_errors_name_the_key() {
    let cases = [
        (
            "grep",
            "sluice: stage 1 (grep): config key `expression`: is required (a string)",
        ),
        (
            r#"grep={"expression": "a", "before": -1}"#,
            "sluice: stage 1 (grep): config key `before`: expected a non-negative integer, got -1",
        ),
        (
            r#"grep={"expression": "a", "separator": 5}"#,
            "sluice: stage 1 (grep): config key `separator`: expected a string, got a number, or null for no separator",
        ),
        (
            r#"grep={"expression": "a", "max_bytes": 0}"#,
            "sluice: stage 1 (grep): config key `max_bytes`: must be at least 1",
        ),
        (
            r#"grep={"expression": "a", "invert": "yes"}"#,
            "sluice: stage 1 (grep): config key `invert`: expected true or false, got a string",
        ),
    ];
    for (spec, message) in cases {
        assert_eq!(run(&["-p", spec], b"").fails(2), message);
    }
    let message = run(&["-p", r#"grep={"expression": "["}"#], b"")
        .fails(2)
        .to_owned();
    assert!(
        message.starts_with("sluice: stage 1 (grep): config key `expression`: not a valid regex: "),
        "{message}"
    );
    let message = run(
        &["-p", r#"grep={"expression": "a", "ignore_case": true}"#],
        b"",
    )
    .fails(2)
    .to_owned();
    assert!(
        message.starts_with("sluice: stage 1 (grep): config key `ignore_case`: unknown key"),
        "{message}"
    );
}
