//! `multiline`: see docs/stages/multiline.md.

use std::time::{Duration, Instant};

use insta::assert_snapshot;

use crate::util::{fixture, run, send, sluice, spawn, transform, transform_fixture};

/// The docs' first-line pattern: a date at the start of the line.
const DATED: &str = r#"multiline={"firstline": "^\\d{4}-\\d{2}-\\d{2} "}"#;

/// Generous: the tests check that something happens while the input stays open, not how fast.
const PATIENCE: Duration = Duration::from_secs(20);

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap()
}

/// The output of sluice with `args` when `input` is written one line at a time, with a pause
/// after each, so that most batches hold one line.
fn trickle(args: &[&str], input: &[u8]) -> Vec<u8> {
    let mut child = crate::util::start(sluice().args(args));
    let mut stdin = child.stdin.take().unwrap();
    for line in input.split_inclusive(|&b| b == b'\n') {
        send(&mut stdin, line);
        std::thread::sleep(Duration::from_millis(15));
    }
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(output.stderr.is_empty(), "{output:?}");
    output.stdout
}

#[test]
fn docs_example_joins_the_stack_trace() {
    let json = run(
        &[
            "-p",
            DATED,
            "-o",
            "json",
            "tests/fixtures/multiline_app.log",
        ],
        b"",
    );
    let out = String::from_utf8(json.ok().to_vec()).unwrap();
    // The last entry was still open at end of stream: it goes out from `finish`, still with its
    // source.
    assert_snapshot!(out, @r#"
    {"line":"2024-10-10 13:55:36 INFO  starting order-service","source":"tests/fixtures/multiline_app.log"}
    {"line":"2024-10-10 13:55:37 ERROR request failed\njava.lang.IllegalStateException: boom\n\tat com.example.OrderService.place(OrderService.java:42)\n\tat com.example.Main.main(Main.java:12)","source":"tests/fixtures/multiline_app.log"}
    {"line":"2024-10-10 13:55:38 INFO  retrying","source":"tests/fixtures/multiline_app.log"}
    "#);
    // In raw output, with the default "\n" separator, the bytes are those of the input.
    let raw = run(&["-p", DATED, "tests/fixtures/multiline_app.log"], b"");
    assert_eq!(
        raw.ok(),
        std::fs::read(fixture("multiline_app.log")).unwrap()
    );
}

#[test]
fn java_stack_trace_crlf_as_json() {
    // java_stacktrace.log is CRLF without a final newline. Terminators are stripped before the
    // stage sees lines, so the block holds `\n` between its lines.
    let out = transform_fixture(&["-p", DATED, "-o", "json"], "java_stacktrace.log");
    assert_snapshot!(out, @r#"
    {"line":"2026-11-21 06:12:01.120 ERROR [main] c.e.orders.OrderService - Failed to process order 48121\njava.lang.IllegalStateException: Payment gateway returned 502\n\tat com.example.orders.PaymentClient.charge(PaymentClient.java:88)\n\tat com.example.orders.OrderService.process(OrderService.java:142)\n\tat java.base/java.lang.Thread.run(Thread.java:1583)\nCaused by: java.net.SocketTimeoutException: Read timed out\n\t... 3 more"}
    {"line":"2026-11-21 06:12:01.502 INFO  [main] c.e.orders.OrderService - Retrying order 48121"}
    "#);
}

/// The trace of java_stacktrace.log, joined with `\n`.
const JAVA_BLOCK: &str = "2026-11-21 06:12:01.120 ERROR [main] c.e.orders.OrderService - Failed to process order 48121\n\
java.lang.IllegalStateException: Payment gateway returned 502\n\
\tat com.example.orders.PaymentClient.charge(PaymentClient.java:88)\n\
\tat com.example.orders.OrderService.process(OrderService.java:142)\n\
\tat java.base/java.lang.Thread.run(Thread.java:1583)\n\
Caused by: java.net.SocketTimeoutException: Read timed out\n\
\t... 3 more";

const JAVA_LAST: &str =
    "2026-11-21 06:12:01.502 INFO  [main] c.e.orders.OrderService - Retrying order 48121";

#[test]
fn java_stack_trace_crlf_with_final_newline() {
    // The same file with its last line terminated: the block ends with `\r\n` (its last
    // line's), and so does the last line, still open at end of stream.
    let mut input = std::fs::read(fixture("java_stacktrace.log")).unwrap();
    input.extend_from_slice(b"\r\n");
    let out = text(transform(&["-p", DATED], &input));
    assert_eq!(out, format!("{JAVA_BLOCK}\r\n{JAVA_LAST}\r\n"));
    // "separator": "\r\n" keeps CRLF inside the block too.
    let crlf = r#"multiline={"firstline": "^\\d{4}-\\d{2}-\\d{2} ", "separator": "\r\n"}"#;
    let out = text(transform(&["-p", crlf], &input));
    assert_eq!(
        out,
        format!("{}\r\n{JAVA_LAST}\r\n", JAVA_BLOCK.replace('\n', "\r\n"))
    );
}

#[test]
fn java_stack_trace_crlf_fixture_raw() {
    // The fixture as it is: its last line has no newline. The docs: "a CRLF file's blocks hold
    // `\n` inside and end with `\r\n`", and a block ends as its last line did: the last one,
    // open at the end, with nothing, byte for byte as the input.
    let out = transform_fixture(&["-p", DATED], "java_stacktrace.log");
    assert_eq!(out, format!("{JAVA_BLOCK}\r\n{JAVA_LAST}"));
}

#[test]
fn a_block_at_the_end_of_an_input_without_final_newline_ends_as_it() {
    let out = transform(&["-p", r#"multiline={"firstline": "^H"}"#], b"H1\na\nH2");
    assert_eq!(text(out), "H1\na\nH2");
    // The issue's reproduction: a one-line block at the end of a CRLF file keeps its `\r`.
    let out = transform(&["-p", r#"multiline={"firstline": "^A"}"#], b"A1\r\n");
    assert_eq!(out, b"A1\r\n");
}

#[test]
fn a_one_line_block_split_off_by_max_lines_keeps_its_terminator() {
    // "A block of one line is that line, passed through unchanged", and a block closed by a
    // limit ends with the terminator of its last line.
    let input = b"H1\na\r\nb\nH2\n";
    let config = r#"multiline={"firstline": "^H", "max_lines": 1}"#;
    assert_eq!(
        text(transform(&["-p", config], input)),
        text(input.to_vec())
    );
}

#[test]
fn terminators_do_not_depend_on_batches() {
    // A block ends with its last line's terminator, whether it was read at once (it goes out
    // in place of its last line) or one line per batch (it goes out before the line that
    // closed it, or from `finish`, and gets its own terminator back).
    let config = r#"multiline={"firstline": "^H"}"#;
    for (input, expected) in [
        (&b"H1\r\na\r\nH2\r\n"[..], "H1\na\r\nH2\r\n"),
        (b"H1\na\nH2\n", "H1\na\nH2\n"),
        (b"H1\na\r\nH2\nb\r\nH3", "H1\na\r\nH2\nb\r\nH3"),
    ] {
        assert_eq!(text(transform(&["-p", config], input)), expected);
        assert_eq!(text(trickle(&["-p", config], input)), expected);
    }
}

#[test]
fn the_last_block_goes_out_at_end_of_stream() {
    let sep = r#"multiline={"firstline": "^H", "separator": " | "}"#;
    assert_eq!(
        text(transform(&["-p", sep], b"H1\na\nb\nH2\nc\nd\n")),
        "H1 | a | b\nH2 | c | d\n"
    );
    // Without a final newline, and for a block of one line: it ends as its last line did.
    assert_eq!(text(transform(&["-p", sep], b"H1\na\nb")), "H1 | a | b");
    assert_eq!(text(transform(&["-p", sep], b"H1")), "H1");
    assert_eq!(text(transform(&["-p", sep], b"H1\na\r\n")), "H1 | a\r\n");
    assert_eq!(transform(&["-p", sep], b""), b"");
}

#[test]
fn lines_before_the_first_firstline_pass_on_their_own() {
    let out = transform(
        &[
            "-p",
            r#"multiline={"firstline": "^\\[", "separator": " | "}"#,
            "-o",
            "json",
        ],
        b"starting up\n  indented too\n\n[1] first\n  a\n\n  b\n[2] second\n",
    );
    // Empty lines before the first match pass too; after it they join the block.
    assert_snapshot!(text(out), @r#"
    {"line":"starting up"}
    {"line":"  indented too"}
    {"line":""}
    {"line":"[1] first |   a |  |   b"}
    {"line":"[2] second"}
    "#);
}

/// Fields from the head (`level`) and from continuation lines (`frame`), a timestamp from the
/// head's date.
const FIELDS: [&str; 6] = [
    "-p",
    r#"regex={"expression": "^(?P<ts>\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}) (?P<level>[A-Z]+)|^\\tat (?P<frame>\\S+)"}"#,
    "-p",
    r#"timestamp={"source": "ts", "format": "%Y-%m-%d %H:%M:%S"}"#,
    "-p",
    DATED,
];

#[test]
fn a_block_keeps_the_fields_and_timestamp_of_its_first_line() {
    let mut args = FIELDS.to_vec();
    args.extend(["-o", "json"]);
    let input = std::fs::read(fixture("multiline_app.log")).unwrap();
    let out = text(transform(&args, &input));
    assert_snapshot!(out, @r#"
    {"line":"2024-10-10 13:55:36 INFO  starting order-service","timestamp":"2024-10-10T13:55:36Z","fields":{"ts":"2024-10-10 13:55:36","level":"INFO"}}
    {"line":"2024-10-10 13:55:37 ERROR request failed\njava.lang.IllegalStateException: boom\n\tat com.example.OrderService.place(OrderService.java:42)\n\tat com.example.Main.main(Main.java:12)","timestamp":"2024-10-10T13:55:37Z","fields":{"ts":"2024-10-10 13:55:37","level":"ERROR"}}
    {"line":"2024-10-10 13:55:38 INFO  retrying","timestamp":"2024-10-10T13:55:38Z","fields":{"ts":"2024-10-10 13:55:38","level":"INFO"}}
    "#);
    // The same when every line comes in a batch of its own: blocks carried across batches
    // get their head's fields and timestamp back.
    assert_eq!(text(trickle(&args, &input)), out);
}

#[test]
fn blocks_split_by_max_lines_keep_the_event_fields() {
    let out = transform(
        &[
            "-p",
            r#"regex={"expression": "^H(?P<event>\\d)"}"#,
            "-p",
            r#"multiline={"firstline": "^H", "max_lines": 2, "separator": " | "}"#,
            "-o",
            "json",
        ],
        b"H1\na\nb\nc\nd\ne\nH2\nf\n",
    );
    // H1's event is cut every 2 lines; every block carries event=1, as Promtail does.
    assert_snapshot!(text(out), @r#"
    {"line":"H1 | a","fields":{"event":"1"}}
    {"line":"b | c","fields":{"event":"1"}}
    {"line":"d | e","fields":{"event":"1"}}
    {"line":"H2 | f","fields":{"event":"2"}}
    "#);
    // max_lines 1: every line on its own, unchanged.
    let input = b"H1\na\nb\nH2\n";
    assert_eq!(
        transform(
            &["-p", r#"multiline={"firstline": "^H", "max_lines": 1}"#],
            input
        ),
        input
    );
}

#[test]
fn max_bytes_closes_a_block_before_the_line_that_would_pass_it() {
    let config = r#"multiline={"firstline": "^H", "max_bytes": 10, "separator": "+"}"#;
    // "H1+aaaa" is 7 bytes; "+bbbb" would make 12. A line longer than max_bytes alone still
    // goes out whole.
    let out = transform(
        &["-p", config],
        b"H1\naaaa\nbbbb\ncccc\nH2\nxxxxxxxxxxxxxxx\ny\n",
    );
    assert_eq!(text(out), "H1+aaaa\nbbbb+cccc\nH2\nxxxxxxxxxxxxxxx\ny\n");
}

#[test]
fn separator_joins_the_lines_of_a_block() {
    let out = transform(
        &[
            "-p",
            r#"multiline={"firstline": "^Traceback|^\\S", "separator": " ⏎ "}"#,
        ],
        b"Traceback (most recent call last):\n  File \"app.py\", line 3, in <module>\n    main()\nValueError: bad\n",
    );
    // `^\S` matches "ValueError", which starts a block of its own.
    assert_snapshot!(text(out), @r#"
    Traceback (most recent call last): ⏎   File "app.py", line 3, in <module> ⏎     main()
    ValueError: bad
    "#);
}

#[test]
fn an_open_block_goes_out_after_max_wait_while_the_input_stays_open() {
    let (child, mut stdin, rx) = spawn(&[
        "-p",
        r#"regex={"expression": "user=(?P<user>\\w+)"}"#,
        "-p",
        r#"multiline={"firstline": "^H", "max_wait": "200ms", "separator": " | "}"#,
        "-o",
        "json",
    ]);
    let start = Instant::now();
    send(&mut stdin, b"before\nH1 user=bob\n  a\n  b\n");
    assert_eq!(rx.recv_timeout(PATIENCE).unwrap(), r#"{"line":"before"}"#);
    // No more input, stdin open: the block goes out after max_wait.
    assert_eq!(
        rx.recv_timeout(PATIENCE).unwrap(),
        r#"{"line":"H1 user=bob |   a |   b","fields":{"user":"bob"}}"#
    );
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(190), "{took:?}");
    // Lines of the same event after the timeout form a new block with the event's fields.
    send(&mut stdin, b"  c\n  d\n");
    assert_eq!(
        rx.recv_timeout(PATIENCE).unwrap(),
        r#"{"line":"  c |   d","fields":{"user":"bob"}}"#
    );
    send(&mut stdin, b"H2 user=amy\n");
    assert_eq!(
        rx.recv_timeout(PATIENCE).unwrap(),
        r#"{"line":"H2 user=amy","fields":{"user":"amy"}}"#
    );
    // Nothing is left open: closing stdin ends the run with no more output.
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(rx.recv_timeout(PATIENCE).is_err());
}

#[test]
fn the_wait_restarts_with_every_batch() {
    // Lines arriving every 100 ms never leave the block quiet for max_wait (1.5 s).
    let (mut child, mut stdin, rx) = spawn(&[
        "-p",
        r#"multiline={"firstline": "^H", "max_wait": "1500ms", "separator": " | "}"#,
    ]);
    send(&mut stdin, b"H1\n");
    for piece in ["a", "b", "c", "d", "e"] {
        std::thread::sleep(Duration::from_millis(100));
        send(&mut stdin, format!("{piece}\n").as_bytes());
    }
    assert_eq!(rx.recv_timeout(PATIENCE).unwrap(), "H1 | a | b | c | d | e");
    drop(stdin);
    assert!(child.wait().unwrap().success());
}

#[test]
fn batches_do_not_change_the_output() {
    let input = std::fs::read(fixture("multiline_app.log")).unwrap();
    let mut crlf = std::fs::read(fixture("java_stacktrace.log")).unwrap();
    crlf.extend_from_slice(b"\r\n");
    for config in [
        DATED,
        r#"multiline={"firstline": "^\\d{4}-\\d{2}-\\d{2} ", "separator": " | "}"#,
        r#"multiline={"firstline": "^\\d{4}-\\d{2}-\\d{2} ", "max_lines": 2}"#,
    ] {
        for input in [&input, &crlf] {
            assert_eq!(
                trickle(&["-p", config], input),
                transform(&["-p", config], input),
                "{config}"
            );
        }
    }
}

#[test]
fn odd_bytes_are_kept_and_matched_as_bytes() {
    let out = transform(
        &[
            "-p",
            r#"multiline={"firstline": "^(?-u:\\xff)", "separator": "|"}"#,
        ],
        b"caf\xe9 before\n\xff head\n nul\0byte\n lone\rcr\n\n\xff\xfe next\n",
    );
    assert_eq!(
        out,
        b"caf\xe9 before\n\xff head| nul\0byte| lone\rcr|\n\xff\xfe next\n"
    );
}

#[test]
fn crlf_lines_passed_through_keep_their_terminators() {
    let config = r#"multiline={"firstline": "^H", "separator": "|"}"#;
    // A line before the first block and a one-line block pass unchanged, CRLF kept; a joined
    // block ends with its last line's CRLF, the last one too.
    let out = transform(&["-p", config], b"pre\r\nH1\r\nH2\r\na\r\nb\r\nH3\r\nc\r\n");
    assert_eq!(out, b"pre\r\nH1\r\nH2|a|b\r\nH3|c\r\n");
}

#[test]
fn pieces_of_an_over_long_line_are_never_joined() {
    let long = "x".repeat(300);
    let args = [
        "--max-line-bytes",
        "64",
        "--boundary-overlap",
        "16",
        "-p",
        r#"multiline={"firstline": "^H", "separator": " | "}"#,
    ];
    // The open block goes out before the long line, which passes unchanged; the line after
    // it does not match and passes on its own; H2 starts afresh.
    let input = format!("H1\ncont\n  {long}\n  after long\nH2\nc2\n");
    let out = text(transform(&args, input.as_bytes()));
    assert_eq!(out, format!("H1 | cont\n  {long}\n  after long\nH2 | c2\n"));
    // An over-long firstline line does not open a block either.
    let input = format!("H1\ncont\nH{long}\n  after\nH2\n");
    let out = text(transform(&args, input.as_bytes()));
    assert_eq!(out, format!("H1 | cont\nH{long}\n  after\nH2\n"));
    // With JSON output, the long line is one record.
    let mut json = args.to_vec();
    json.extend(["-o", "json"]);
    let out = text(transform(&json, format!("H1\n{long}\n").as_bytes()));
    assert_eq!(
        out,
        format!("{{\"line\":\"H1\"}}\n{{\"line\":\"{long}\"}}\n")
    );
}

#[test]
fn config_errors_name_the_key() {
    let cases = [
        (
            "multiline",
            "sluice: stage 1 (multiline): config key `firstline`: is required (a string)",
        ),
        (
            r#"multiline={"firstline": "^H", "max_lines": 0}"#,
            "sluice: stage 1 (multiline): config key `max_lines`: must be at least 1",
        ),
        (
            r#"multiline={"firstline": "^H", "max_bytes": 0}"#,
            "sluice: stage 1 (multiline): config key `max_bytes`: must be at least 1",
        ),
        (
            r#"multiline={"firstline": "^H", "max_wait": "0s"}"#,
            "sluice: stage 1 (multiline): config key `max_wait`: must be longer than 0, such as \"3s\": it is how long an open block waits for more lines",
        ),
        (
            r#"multiline={"firstline": "^H", "separator": 1}"#,
            "sluice: stage 1 (multiline): config key `separator`: expected a string, got a number",
        ),
        (
            r#"multiline={"firstline": "^H", "max_line": 5}"#,
            "sluice: stage 1 (multiline): config key `max_line`: unknown key; did you mean \"max_lines\"? known keys: firstline, max_lines, max_wait, max_bytes, separator",
        ),
    ];
    for (spec, message) in cases {
        assert_eq!(run(&["-p", spec], b"").fails(2), message);
    }
    let message = run(&["-p", r#"multiline={"firstline": "("}"#], b"")
        .fails(2)
        .to_owned();
    assert!(
        message.starts_with(
            "sluice: stage 1 (multiline): config key `firstline`: not a valid regex: "
        ),
        "{message}"
    );
    let message = run(
        &["-p", r#"multiline={"firstline": "^H", "max_wait": "soon"}"#],
        b"",
    )
    .fails(2)
    .to_owned();
    assert!(
        message.starts_with(
            "sluice: stage 1 (multiline): config key `max_wait`: \"soon\" is not a duration"
        ),
        "{message}"
    );
}
