//! `prefix`: see docs/stages/prefix.md.

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::time::Duration;

use insta::assert_snapshot;

use crate::util::{run, run_cmd, show, sluice};

/// 2024-06-01T12:00:00Z.
const NOW: &str = "1717243200";

/// Runs sluice with the clock frozen at [`NOW`]; asserts a clean exit.
fn at_now(args: &[&str], input: &[u8]) -> Vec<u8> {
    run_cmd(sluice().env("SLUICE_NOW", NOW).args(args), input)
        .ok()
        .to_vec()
}

const PIECES: [&str; 4] = ["--max-line-bytes", "64", "--boundary-overlap", "16"];

#[test]
fn default_is_the_clock_time_in_rfc3339_with_milliseconds() {
    let out = at_now(&["-p", "prefix"], b"GET /health 200\nGET /users 200\n");
    assert_snapshot!(show(&out), @r#"
    2024-06-01T12:00:00.000Z GET /health 200
    2024-06-01T12:00:00.000Z GET /users 200
    "#);
}

#[test]
fn every_line_is_rewritten_byte_for_byte_after_the_prefix() {
    // Bytes that are not UTF-8, NUL and a lone `\r` are kept; an empty line becomes the prefix
    // alone; CRLF terminators are kept, and a last line without newline stays without.
    let input = b"caf\xe9 \xff\0nul\rcr\r\n\n\r\nlast";
    let out = at_now(&["-p", r#"prefix={"time_format": "%H:%M:%S"}"#], input);
    assert_eq!(
        show(&out),
        "12:00:00 caf\\xe9 \\xff\\0nul\\rcr\\r\n12:00:00 \n12:00:00 \\r\n12:00:00 last[no final newline]"
    );
}

#[test]
fn source_time_and_separator_when_reading_named_files_and_stdin() {
    // The source is the path as given on the command line, `-` for standard input, whether
    // named with `-` or read by default.
    let out = run_cmd(
        sluice().env("SLUICE_NOW", NOW).args([
            "-p",
            r#"prefix={"parts": ["time", "source"], "time_format": "%H:%M:%S%.3f", "separator": " | "}"#,
            "tests/fixtures/logfmt.log",
            "-",
            "tests/fixtures/java_stacktrace.log",
        ]),
        b"from stdin\n",
    );
    assert_snapshot!(show(out.ok()), @r#"
    12:00:00.000 | tests/fixtures/logfmt.log | time=2026-11-21T06:12:01Z level=info msg="starting worker" worker=3 queue=emails
    12:00:00.000 | tests/fixtures/logfmt.log | time=2026-11-21T06:12:01Z level=debug msg="connecting to db" dsn="postgres://app@db:5432/app" password=s3cr3t-Pa55 timeout=5s
    12:00:00.000 | tests/fixtures/logfmt.log | time=2026-11-21T06:12:02Z level=warn msg="retrying request" attempt=2 url=https://api.example.com/v2/send
    12:00:00.000 | tests/fixtures/logfmt.log | time=2026-11-21T06:12:03Z level=error msg="upstream rejected credentials" client_secret=QmFkU2VjcmV0 aws_key=AKIAIOSFODNN7EXAMPLE status=401
    12:00:00.000 | tests/fixtures/logfmt.log | time=2026-11-21T06:12:04Z level=info msg="request done" method=GET path=/health status=200 duration=1.2ms
    12:00:00.000 | - | from stdin
    12:00:00.000 | tests/fixtures/java_stacktrace.log | 2026-11-21 06:12:01.120 ERROR [main] c.e.orders.OrderService - Failed to process order 48121\r
    12:00:00.000 | tests/fixtures/java_stacktrace.log | java.lang.IllegalStateException: Payment gateway returned 502\r
    12:00:00.000 | tests/fixtures/java_stacktrace.log | 	at com.example.orders.PaymentClient.charge(PaymentClient.java:88)\r
    12:00:00.000 | tests/fixtures/java_stacktrace.log | 	at com.example.orders.OrderService.process(OrderService.java:142)\r
    12:00:00.000 | tests/fixtures/java_stacktrace.log | 	at java.base/java.lang.Thread.run(Thread.java:1583)\r
    12:00:00.000 | tests/fixtures/java_stacktrace.log | Caused by: java.net.SocketTimeoutException: Read timed out\r
    12:00:00.000 | tests/fixtures/java_stacktrace.log | 	... 3 more\r
    12:00:00.000 | tests/fixtures/java_stacktrace.log | 2026-11-21 06:12:01.502 INFO  [main] c.e.orders.OrderService - Retrying order 48121[no final newline]
    "#);
    let out = at_now(&["-p", r#"prefix={"parts": ["source"]}"#], b"a\nb\n");
    assert_eq!(show(&out), "- a\n- b\n");
}

#[test]
fn parts_in_order_repeated_with_an_empty_separator() {
    let out = at_now(
        &[
            "-p",
            r#"prefix={"parts": ["source", "time", "source"], "time_format": "[%s]", "separator": ""}"#,
        ],
        b"x\n",
    );
    assert_eq!(show(&out), "-[1717243200]-x\n");
}

#[test]
fn time_is_the_line_s_timestamp_when_a_stage_set_one() {
    // json + timestamp give the lines their own times; `prefix` shows them, in UTC, syslog
    // style (the docs' example). A line whose `ts` does not parse keeps the last one + 1ns
    // (`timestamp`'s fudge), a line without JSON gets the clock's time.
    let input = br#"{"ts": 1717243200123, "msg": "started"}
{"ts": 1717329600000, "msg": "a day later"}
{"ts": "soon", "msg": "unparsable"}
not json
"#;
    let run = run_cmd(
        sluice().env("SLUICE_NOW", "1000000000").args([
            "-p",
            "json",
            "-p",
            r#"timestamp={"source": "ts", "format": "UnixMs"}"#,
            "-p",
            r#"prefix={"time_format": "%b %e %H:%M:%S%.3f"}"#,
        ]),
        input,
    );
    assert_eq!(run.code, 0);
    assert_snapshot!(show(&run.stdout), @r#"
    Jun  1 12:00:00.123 {"ts": 1717243200123, "msg": "started"}
    Jun  2 12:00:00.000 {"ts": 1717329600000, "msg": "a day later"}
    Jun  2 12:00:00.000 {"ts": "soon", "msg": "unparsable"}
    Sep  9 01:46:40.000 not json
    "#);
}

#[test]
fn time_zone_is_always_utc_and_times_before_1970_format() {
    let run = run_cmd(
        sluice().env("SLUICE_NOW", "-1").args([
            "-p",
            r#"prefix={"time_format": "%s %Y-%m-%dT%H:%M:%S %z %Z"}"#,
        ]),
        b"line\n",
    );
    assert_eq!(show(run.ok()), "-1 1969-12-31T23:59:59 +0000 UTC line\n");
}

#[test]
fn fractional_sluice_now_keeps_its_milliseconds() {
    let run = run_cmd(
        sluice()
            .env("SLUICE_NOW", "1717243200.123")
            .args(["-p", "prefix"]),
        b"x\n",
    );
    assert_eq!(show(run.ok()), "2024-06-01T12:00:00.123Z x\n");
}

#[test]
fn lines_a_stage_emits_on_its_own_have_no_source() {
    // aggregate's table comes after the input, from no file: the source part is left out with
    // its separator; the time part stays.
    let out = at_now(
        &[
            "-p",
            r#"aggregate={"pass": true}"#,
            "-p",
            r#"prefix={"parts": ["source", "time"], "time_format": "%H:%M", "separator": " | "}"#,
            "tests/fixtures/logfmt.log",
        ],
        b"",
    );
    assert_snapshot!(show(&out), @r#"
    tests/fixtures/logfmt.log | 12:00 | time=2026-11-21T06:12:01Z level=info msg="starting worker" worker=3 queue=emails
    tests/fixtures/logfmt.log | 12:00 | time=2026-11-21T06:12:01Z level=debug msg="connecting to db" dsn="postgres://app@db:5432/app" password=s3cr3t-Pa55 timeout=5s
    tests/fixtures/logfmt.log | 12:00 | time=2026-11-21T06:12:02Z level=warn msg="retrying request" attempt=2 url=https://api.example.com/v2/send
    tests/fixtures/logfmt.log | 12:00 | time=2026-11-21T06:12:03Z level=error msg="upstream rejected credentials" client_secret=QmFkU2VjcmV0 aws_key=AKIAIOSFODNN7EXAMPLE status=401
    tests/fixtures/logfmt.log | 12:00 | time=2026-11-21T06:12:04Z level=info msg="request done" method=GET path=/health status=200 duration=1.2ms
    12:00 |  count
    12:00 | -------
    12:00 |      5
    "#);
}

#[test]
fn only_the_first_piece_of_an_over_long_line_is_prefixed() {
    // 64-byte cap, 16-byte overlap: the 300-byte lines arrive in 6 pieces, in as many batches.
    let long: String = (0..300u16)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    let input = format!("first\n{long}\r\nbetween\n{long}\n{long}");
    let mut args = PIECES.to_vec();
    args.extend([
        "-p",
        r#"prefix={"parts": ["time", "source"], "time_format": "%H:%M:%S"}"#,
    ]);
    let out = at_now(&args, input.as_bytes());
    assert_eq!(
        String::from_utf8(out).unwrap(),
        format!(
            "12:00:00 - first\n12:00:00 - {long}\r\n12:00:00 - between\n12:00:00 - {long}\n12:00:00 - {long}"
        )
    );
}

#[test]
fn an_over_long_line_shows_the_clock_s_time() {
    // `regex` reads `ts` in the first piece and sets it on the last, where `timestamp` makes
    // it the timestamp; prefix writes the first piece, which has none: the clock's time, as
    // documented. Short lines show their own time. -o json shows the timestamp on the record.
    let long = format!("ts=1717000000 {}", "x".repeat(200));
    let input = format!("ts=1717000000 short\n{long}\n");
    let mut args = PIECES.to_vec();
    args.extend([
        "-p",
        r#"regex={"expression": "^ts=(?P<ts>\\d+)"}"#,
        "-p",
        r#"timestamp={"source": "ts", "format": "Unix"}"#,
        "-p",
        r#"prefix={"time_format": "%Y-%m-%d %H:%M:%S"}"#,
    ]);
    let out = at_now(&args, input.as_bytes());
    assert_eq!(
        String::from_utf8(out).unwrap(),
        format!("2024-05-29 16:26:40 ts=1717000000 short\n2024-06-01 12:00:00 {long}\n")
    );
    args.extend(["-o", "json"]);
    let out = at_now(&args, input.as_bytes());
    let records: Vec<serde_json::Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records[1]["line"], format!("2024-06-01 12:00:00 {long}"));
    assert_eq!(records[1]["timestamp"], "2024-05-29T16:26:40Z");
    assert_eq!(records[1]["fields"]["ts"], "1717000000");
}

/// Parses an `elapsed` part, `[SSSSS.mmms]`, into milliseconds.
fn elapsed_ms(prefix: &str) -> u64 {
    assert!(
        prefix.len() == 12 && prefix.starts_with('[') && prefix.ends_with("s]"),
        "{prefix:?}"
    );
    let (secs, millis) = prefix[1..10].split_once('.').unwrap();
    assert_eq!(
        secs.len(),
        5,
        "seconds right-aligned in five columns: {prefix:?}"
    );
    assert_eq!(millis.len(), 3, "{prefix:?}");
    secs.trim_start().parse::<u64>().unwrap() * 1000 + millis.parse::<u64>().unwrap()
}

#[test]
fn elapsed_counts_from_the_first_line() {
    // The first line is at zero; a line written after a pause shows the time since then, on
    // the monotonic clock (a frozen wall clock does not stop it).
    let mut child = sluice()
        .env("SLUICE_NOW", NOW)
        .args(["-p", r#"prefix={"parts": ["elapsed"]}"#])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut next = || {
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        line
    };
    writeln!(stdin, "cc -c parser.c").unwrap();
    stdin.flush().unwrap();
    let first = next();
    assert_eq!(first, "[    0.000s] cc -c parser.c\n");
    std::thread::sleep(Duration::from_millis(400));
    writeln!(stdin, "ld -o app parser.o").unwrap();
    stdin.flush().unwrap();
    let second = next();
    let (prefix, rest) = second.split_at(12);
    assert_eq!(rest, " ld -o app parser.o\n");
    let ms = elapsed_ms(prefix);
    assert!((400..20_000).contains(&ms), "{second:?}");
    drop(stdin);
    assert!(child.wait().unwrap().success());
}

#[test]
fn config_errors_name_the_key() {
    let error = |config: &str| run(&["-p", config], b"").fails(2).to_owned();
    assert_snapshot!(error(r#"prefix={"parts": []}"#), @"sluice: stage 1 (prefix): config key `parts`: is empty; list at least one of time, elapsed, source");
    assert_snapshot!(error(r#"prefix={"parts": ["host"]}"#), @r#"sluice: stage 1 (prefix): config key `parts`: unknown part "host"; expected time, elapsed or source"#);
    assert_snapshot!(error(r#"prefix={"parts": "time"}"#), @r#"sluice: stage 1 (prefix): config key `parts`: expected a list of strings, got a string (write ["…"] for one item)"#);
    assert_snapshot!(error(r#"prefix={"parts": ["source"], "time_format": "%H"}"#), @r#"sluice: stage 1 (prefix): config key `time_format`: is set but "parts" has no "time" to format; add "time" to parts"#);
    assert_snapshot!(error(r#"prefix={"time_format": "%H%n"}"#), @r#"sluice: stage 1 (prefix): config key `time_format`: "%H%n" writes a line break (%n or a literal one), which would split every line in two"#);
    assert_snapshot!(error(r#"prefix={"time_format": "%E"}"#), @r#"sluice: stage 1 (prefix): config key `time_format`: "%E" is not a valid strftime pattern: strftime formatting failed: found unrecognized specifier directive `E`"#);
    assert_snapshot!(error(r#"prefix={"separator": "\n"}"#), @"sluice: stage 1 (prefix): config key `separator`: holds a line break, which would split every line in two");
    assert_snapshot!(error(r#"prefix={"format": "%H"}"#), @"sluice: stage 1 (prefix): config key `format`: unknown key; known keys: parts, time_format, separator");
}
