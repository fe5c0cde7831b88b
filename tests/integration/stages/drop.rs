//! `drop`: see docs/stages/drop.md.

use insta::assert_snapshot;

use crate::util::{run, run_cmd, show, sluice, tempdir, transform, transform_fixture};

const PIECES: [&str; 4] = ["--max-line-bytes", "64", "--boundary-overlap", "16"];

/// 2024-06-01T12:00:00Z.
const NOW: &str = "1717243200";

#[test]
fn drops_health_checks_and_long_debug_noise() {
    // The docs' example: conditions in one stage are ANDed, two stages make an OR.
    let long_debug = format!("level=debug msg=\"dump\" payload={}\n", "A".repeat(1100));
    let input = format!(
        "10.0.0.3 - - [10/Oct/2024:13:55:36 +0000] \"GET /health HTTP/1.1\" 200 2\n\
         10.0.0.3 - - [10/Oct/2024:13:55:36 +0000] \"GET /users HTTP/1.1\" 200 81\n\
         10.0.0.4 - - [10/Oct/2024:13:55:37 +0000] \"GET /ready HTTP/1.1\" 200 2\n\
         level=debug msg=\"short debug stays\"\n\
         {long_debug}\
         level=info msg=\"long info stays\" payload={}\n",
        "B".repeat(1100)
    );
    let out = transform(
        &[
            "-p",
            r#"drop={"expression": "GET /(health|ready) "}"#,
            "-p",
            r#"drop={"expression": "level=debug", "longer_than": "1KiB"}"#,
        ],
        input.as_bytes(),
    );
    let out = String::from_utf8(out).unwrap();
    let lines: Vec<String> = out.lines().map(|l| l.chars().take(60).collect()).collect();
    assert_snapshot!(lines.join("\n"), @r#"
    10.0.0.3 - - [10/Oct/2024:13:55:36 +0000] "GET /users HTTP/1
    level=debug msg="short debug stays"
    level=info msg="long info stays" payload=BBBBBBBBBBBBBBBBBBB
    "#);
}

#[test]
fn nginx_fixture_by_status_field() {
    let out = transform_fixture(
        &[
            "-p",
            r#"regex={"expression": "\" (?P<status>\\d{3}) "}"#,
            "-p",
            r#"drop={"source": "status", "expression": "^[23]"}"#,
        ],
        "nginx_access.log",
    );
    assert_snapshot!(out, @r#"192.0.2.44 - - [21/Nov/2026:06:12:04 +0000] "GET /api/v1/search?q=%E2%9C%93&api_key=AbC123xYz HTTP/1.1" 500 97 "-" "python-requests/2.31" rt=1.204"#);
}

#[test]
fn source_value_and_lists_of_sources() {
    let input = br#"{"namespace":"kube-system","app":"coredns","msg":"a"}
{"namespace":"kube-system","app":"kube-proxy","msg":"b"}
{"namespace":"default","app":"coredns","msg":"c"}
{"namespace":"kube-system","msg":"d, no app"}
{"msg":"e, neither"}
"#;
    let drop_with = |config: &str| {
        let out = transform(&["-p", "json", "-p", config], input);
        let out = String::from_utf8(out).unwrap();
        out.lines()
            .map(|l| {
                l.rsplit_once("\"msg\":\"")
                    .unwrap()
                    .1
                    .trim_end_matches("\"}")
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    // A list's values joined with the separator must equal `value`.
    assert_eq!(
        drop_with(r#"drop={"source": ["namespace", "app"], "value": "kube-system;coredns"}"#),
        "b c d, no app e, neither"
    );
    assert_eq!(
        drop_with(
            r#"drop={"source": ["namespace", "app"], "separator": "/", "value": "kube-system/coredns"}"#
        ),
        "b c d, no app e, neither"
    );
    // One source with `value`: exact equality, not a substring.
    assert_eq!(
        drop_with(r#"drop={"source": "app", "value": "core"}"#),
        "a b c d, no app e, neither"
    );
    // With `expression`: the value must match; a missing field never does.
    assert_eq!(
        drop_with(r#"drop={"source": "app", "expression": "^kube-"}"#),
        "a c d, no app e, neither"
    );
    assert_eq!(
        drop_with(r#"drop={"source": ["namespace", "app"], "expression": "^kube-system;"}"#),
        "c d, no app e, neither"
    );
    // Alone: the line must have every listed field.
    assert_eq!(
        drop_with(r#"drop={"source": "app"}"#),
        "d, no app e, neither"
    );
    assert_eq!(
        drop_with(r#"drop={"source": ["namespace", "app"]}"#),
        "d, no app e, neither"
    );
}

#[test]
fn longer_than_counts_bytes_and_keeps_a_line_of_exactly_that_length() {
    // "é" is two bytes: `ééééé` is 10 bytes, 5 characters. The terminator is not counted.
    let input = "1234567890\r\néééé\r\nééééé\n12345678901\n\n".as_bytes();
    let out = transform(&["-p", r#"drop={"longer_than": 9}"#], input);
    assert_eq!(show(&out), "éééé\\r\n\n");
    let out = transform(&["-p", r#"drop={"longer_than": 10}"#], input);
    assert_eq!(show(&out), "1234567890\\r\néééé\\r\nééééé\n\n");
    // Sizes with units.
    let line = "x".repeat(1025);
    let input = format!("{line}\n{}\n", &line[..1001]);
    let kept = |size: &str| {
        let config = format!(r#"drop={{"longer_than": "{size}"}}"#);
        let out = String::from_utf8(transform(&["-p", &config], input.as_bytes())).unwrap();
        out.lines().map(str::len).collect::<Vec<_>>()
    };
    assert_eq!(kept("1KiB"), [1001]);
    assert_eq!(kept("1K"), [1001]);
    assert_eq!(kept("1kb"), Vec::<usize>::new());
    assert_eq!(kept("1025B"), [1025, 1001]);
    assert_eq!(kept("1001"), [1001]);
}

/// Lines with a `ts=` Unix time, made the timestamp by `regex` and `timestamp`.
const TIMED: &[u8] = b"ts=1717243100 100 s old\n\
ts=1717243139 61 s old\n\
ts=1717243140 60 s old, exactly the limit\n\
ts=1717243199 1 s old\n\
ts=1717243260 in the future\n\
no timestamp\n\
ts=1717156800 a day old\r\n";

fn timed_args(drop: &str) -> Vec<&str> {
    vec![
        "-p",
        r#"regex={"expression": "^ts=(?P<ts>\\d+)"}"#,
        "-p",
        r#"timestamp={"source": "ts", "format": "Unix"}"#,
        "-p",
        drop,
    ]
}

#[test]
fn older_than_drops_lines_strictly_older_than_now_minus_the_duration() {
    let run = run_cmd(
        sluice().env("SLUICE_NOW", NOW).args(timed_args(
            r#"drop={"older_than": "1m", "report": "stderr"}"#,
        )),
        TIMED,
    );
    assert_eq!(run.code, 0);
    assert_snapshot!(show(&run.stdout), @r#"
    ts=1717243140 60 s old, exactly the limit
    ts=1717243199 1 s old
    ts=1717243260 in the future
    no timestamp
    "#);
    assert_eq!(
        run.stderr,
        "stage 3 (drop): dropped_lines_total{reason=\"drop_stage\"} 3\n"
    );
    // Durations in other units, and in seconds as a number.
    for older_than in [r#""24h""#, r#""1d""#, "86400", r#""1439m""#] {
        let config = format!(r#"drop={{"older_than": {older_than}}}"#);
        let out = run_cmd(
            sluice().env("SLUICE_NOW", NOW).args(timed_args(&config)),
            TIMED,
        );
        let dropped: Vec<&str> = std::str::from_utf8(TIMED)
            .unwrap()
            .lines()
            .filter(|l| !String::from_utf8_lossy(out.ok()).contains(l))
            .collect();
        let expected: &[&str] = if older_than == r#""1439m""# {
            &["ts=1717156800 a day old"]
        } else {
            &[]
        };
        assert_eq!(dropped, expected, "older_than {older_than}");
    }
}

#[test]
fn older_than_and_an_expression_together() {
    let out = run_cmd(
        sluice().env("SLUICE_NOW", NOW).args(timed_args(
            r#"drop={"older_than": "30s", "expression": "old"}"#,
        )),
        TIMED,
    );
    assert_snapshot!(show(out.ok()), @r#"
    ts=1717243199 1 s old
    ts=1717243260 in the future
    no timestamp
    "#);
}

#[test]
fn bytes_empty_lines_and_terminators() {
    let input = b"caf\xe9 \xff\r\n\nnul\0byte\n\r\nkeep me\r\nlast\xff";
    let drop = |config: &str| show(&transform(&["-p", config], input));
    assert_snapshot!(drop(r#"drop={"expression": "(?-u:\\xff)"}"#), @r#"

    nul\0byte
    \r
    keep me\r
    "#);
    assert_snapshot!(drop(r#"drop={"expression": "^$"}"#), @r#"
    caf\xe9 \xff\r
    nul\0byte
    keep me\r
    last\xff[no final newline]
    "#);
    assert_snapshot!(drop(r#"drop={"expression": "\\x00"}"#), @r#"
    caf\xe9 \xff\r

    \r
    keep me\r
    last\xff[no final newline]
    "#);
    // The terminator's `\r` is not part of the line.
    assert_snapshot!(drop(r#"drop={"expression": "\\r"}"#), @r#"
    caf\xe9 \xff\r

    nul\0byte
    \r
    keep me\r
    last\xff[no final newline]
    "#);
}

#[test]
fn report_to_a_file_with_a_reason_counts_an_over_long_line_once() {
    let dir = tempdir("stages-drop-report_to_a_file_with_a_reason_counts_an_over_long_line_once");
    let report = dir.join("drop.prom");
    let config = format!(
        r#"drop={{"expression": "^DEBUG", "drop_counter_reason": "debug \"noise\"", "report": {:?}}}"#,
        report.display().to_string()
    );
    let input = format!(
        "DEBUG a\nINFO b\nDEBUG {}\nINFO {}\nDEBUG c",
        "x".repeat(300),
        "y".repeat(300)
    );
    let mut args = PIECES.to_vec();
    args.extend(["-p", &config]);
    let out = String::from_utf8(transform(&args, input.as_bytes())).unwrap();
    assert_eq!(out, format!("INFO b\nINFO {}\n", "y".repeat(300)));
    assert_eq!(
        std::fs::read_to_string(&report).unwrap(),
        "dropped_lines_total{reason=\"debug \\\"noise\\\"\"} 3\n"
    );
}

#[test]
fn no_report_unless_asked() {
    let run = run(&["-p", r#"drop={"expression": "a"}"#], b"a\nb\n");
    assert_eq!(run.ok(), b"b\n");
}

#[test]
fn over_long_lines_are_kept_or_dropped_whole_by_their_first_piece() {
    // Pieces of 48 bytes. `expression` sees the first piece only: a match in a later piece
    // drops nothing.
    let early = format!("ERROR at the start {}", "x".repeat(250));
    let late = format!("{} ERROR at the end", "x".repeat(250));
    let input = format!("{early}\n{late}\nERROR short\nok short\n");
    let mut args = PIECES.to_vec();
    args.extend(["-p", r#"drop={"expression": "ERROR"}"#]);
    let out = String::from_utf8(transform(&args, input.as_bytes())).unwrap();
    assert_eq!(out, format!("{late}\nok short\n"));
    // Field conditions see the first piece, which has no fields: the line is kept.
    let mut args = PIECES.to_vec();
    args.extend([
        "-p",
        r#"fields={"set": {"app": "noisy"}}"#,
        "-p",
        r#"drop={"source": "app", "value": "noisy"}"#,
    ]);
    let out = String::from_utf8(transform(&args, input.as_bytes())).unwrap();
    assert_eq!(out, format!("{early}\n{late}\n"));
}

#[test]
fn an_over_long_line_with_an_old_timestamp_is_kept() {
    // The timestamp belongs to the last piece; the first piece decides and has none.
    let long = format!("ts=1717000000 {}", "x".repeat(250));
    let input = format!("ts=1717000000 short\n{long}\n");
    let mut args = PIECES.to_vec();
    args.extend(timed_args(r#"drop={"older_than": "1h"}"#));
    let run = run_cmd(
        sluice().env("SLUICE_NOW", NOW).args(&args),
        input.as_bytes(),
    );
    assert_eq!(
        String::from_utf8(run.ok().to_vec()).unwrap(),
        format!("{long}\n")
    );
}

#[test]
fn longer_than_above_max_line_bytes_keeps_over_long_lines() {
    // Documented: an over-long line is known to be longer than --max-line-bytes (64 here), but
    // its full length is not known when its first piece is decided: with `longer_than` above
    // the cap it is kept.
    let input = format!("{}\n{}\nshort\n", "x".repeat(300), "y".repeat(60));
    let mut args = PIECES.to_vec();
    args.extend(["-p", r#"drop={"longer_than": 100}"#]);
    let out = String::from_utf8(transform(&args, input.as_bytes())).unwrap();
    assert_eq!(out, input);
    // Well below the piece size, the over-long line is dropped whole.
    let mut args = PIECES.to_vec();
    args.extend(["-p", r#"drop={"longer_than": 20}"#]);
    let out = String::from_utf8(transform(&args, input.as_bytes())).unwrap();
    assert_eq!(out, "short\n");
}

#[test]
fn longer_than_up_to_max_line_bytes_drops_over_long_lines() {
    // The stage sees a 48-byte first piece (64 - 16) but knows the cap: a line in pieces is
    // longer than 64 bytes, so `longer_than` up to 64 drops it whole, however short its first
    // piece. The 60-byte line goes only when `longer_than` is below 60.
    let input = format!("{}\n{}\nshort\n", "x".repeat(300), "y".repeat(60));
    for (longer_than, expected) in [
        (48, "short\n".to_owned()),
        (50, "short\n".to_owned()),
        (63, format!("{}\nshort\n", "y".repeat(60))),
        (64, format!("{}\nshort\n", "y".repeat(60))),
    ] {
        let config = format!(r#"drop={{"longer_than": {longer_than}}}"#);
        let mut args = PIECES.to_vec();
        args.extend(["-p", &config]);
        let out = String::from_utf8(transform(&args, input.as_bytes())).unwrap();
        assert_eq!(out, expected, "longer_than {longer_than}");
    }
}

#[test]
fn over_long_lines_that_are_kept_pass_byte_for_byte() {
    let mut input = Vec::new();
    for i in 0..4u8 {
        input.extend(std::iter::repeat_n(b'a' + i, 300));
        input.extend_from_slice(b"\xff\0\r\r\n");
    }
    input.extend_from_slice(&[b'z'; 200]);
    let mut args = PIECES.to_vec();
    args.extend(["-p", r#"drop={"expression": "^DEBUG"}"#]);
    assert!(transform(&args, &input) == input);
}

#[test]
fn config_errors_name_the_key() {
    let error = |config: &str| run(&["-p", config], b"").fails(2).to_owned();
    assert_snapshot!(error("drop"), @r#"sluice: stage 1 (drop): bad config: no condition given: set at least one of "expression", "source", "longer_than", "older_than", "greater_than" or "less_than" (a drop stage without one would drop nothing)"#);
    assert_snapshot!(error(r#"drop={"value": "x"}"#), @r#"sluice: stage 1 (drop): config key `value`: needs "source": name the field whose value is compared"#);
    assert_snapshot!(error(r#"drop={"source": "a", "value": "x", "expression": "y"}"#), @r#"sluice: stage 1 (drop): config key `value`: cannot be combined with "expression": use one or the other (or two drop stages)"#);
    assert_snapshot!(error(r#"drop={"source": "a", "separator": ","}"#), @r#"sluice: stage 1 (drop): config key `separator`: only joins a list of several sources; remove it or list them in "source""#);
    assert_snapshot!(error(r#"drop={"source": []}"#), @"sluice: stage 1 (drop): config key `source`: is an empty list; name at least one field");
    assert_snapshot!(error(r#"drop={"expression": "("}"#), @"sluice: stage 1 (drop): config key `expression`: not a valid regex: regex parse error: ( ^ error: unclosed group");
    assert_snapshot!(error(r#"drop={"older_than": "yesterday"}"#), @r#"sluice: stage 1 (drop): config key `older_than`: "yesterday" is not a duration; write a number and a unit (ns, us, ms, s, m, h, d), such as "500ms", "5s" or "1m30s""#);
    assert_snapshot!(error(r#"drop={"longer_than": "big"}"#), @r#"sluice: stage 1 (drop): config key `longer_than`: "big" is not a size; write a number of bytes, optionally with a unit (B, K or KiB, KB, M or MiB, MB, G or GiB, GB), such as "8KiB""#);
    assert_snapshot!(error(r#"drop={"expression": "a", "reason": "x"}"#), @"sluice: stage 1 (drop): config key `reason`: unknown key; known keys: expression, source, separator, value, longer_than, older_than, greater_than, less_than, drop_counter_reason, report");
}
