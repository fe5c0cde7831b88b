//! `limit`: see docs/stages/limit.md.
//!
//! Drop mode is made deterministic with a tiny rate (no token comes back during a run), so a
//! full bucket of `burst` tokens decides. Delay mode is checked structurally: the output, and
//! a lower bound on the time it took (never an upper bound: the machine may be slow).

use std::time::{Duration, Instant};

use insta::assert_snapshot;

use crate::util::{Run, fixture, run, show_lossy, tempdir, transform};

fn numbered(n: usize) -> Vec<u8> {
    (1..=n)
        .flat_map(|i| format!("line {i}\n").into_bytes())
        .collect()
}

fn timed(args: &[&str], input: &[u8]) -> (Run, Duration) {
    let start = Instant::now();
    let out = run(args, input);
    (out, start.elapsed())
}

#[test]
fn drop_mode_lets_a_burst_through_and_reports_the_rest() {
    let out = run(
        &["-p", r#"limit={"rate": 0.001, "burst": 3, "drop": true}"#],
        &numbered(10),
    );
    assert_eq!(out.code, 0);
    assert_eq!(show_lossy(&out.stdout), "line 1\nline 2\nline 3\n");
    assert_eq!(
        out.stderr,
        "stage 1 (limit): dropped 7 of 10 lines over the rate of 0.001 lines/s (burst 3)\n"
    );
    // The burst defaults to the rate rounded up.
    let out = run(
        &["-p", r#"limit={"rate": 2.5, "drop": true}"#],
        &numbered(10),
    );
    assert_eq!(show_lossy(&out.stdout), "line 1\nline 2\nline 3\n");
    assert_eq!(
        out.stderr,
        "stage 1 (limit): dropped 7 of 10 lines over the rate of 2.5 lines/s (burst 3)\n"
    );
    // Nothing dropped, nothing reported.
    let input = std::fs::read(fixture("nginx_access.log")).unwrap();
    let out = transform(
        &["-p", r#"limit={"rate": 0.001, "burst": 5, "drop": true}"#],
        &input,
    );
    assert_eq!(out, input);
}

#[test]
fn the_report_goes_to_a_file_when_asked() {
    let dir = tempdir("limit-report");
    let path = dir.join("limit-report.txt");
    let spec = format!(
        r#"limit={{"rate": 0.001, "burst": 2, "drop": true, "report": "{}"}}"#,
        path.display()
    );
    let out = transform(&["-p", &spec], &numbered(5));
    assert_eq!(show_lossy(&out), "line 1\nline 2\n");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "dropped 3 of 5 lines over the rate of 0.001 lines/s (burst 2)\n"
    );
}

#[test]
fn delay_mode_delays_lines_over_the_rate() {
    // 20 lines/s, bursts of 1: the 9 lines after the first wait 50 ms each.
    let (out, took) = timed(&["-p", r#"limit={"rate": 20, "burst": 1}"#], &numbered(10));
    assert_eq!(out.ok(), numbered(10));
    assert!(took >= Duration::from_millis(400), "{took:?}");
    // With a burst of 10 they pass at once, unchanged.
    let (out, _) = timed(&["-p", r#"limit={"rate": 20, "burst": 10}"#], &numbered(10));
    assert_eq!(out.ok(), numbered(10));
}

#[test]
fn delayed_lines_keep_fields_and_terminators() {
    let (out, took) = timed(
        &[
            "-p",
            "logfmt",
            "-p",
            r#"limit={"rate": 20, "burst": 1}"#,
            "-o",
            "json",
        ],
        b"level=info msg=one\r\nlevel=warn msg=two\r\nlevel=info msg=three\r\n",
    );
    assert!(took >= Duration::from_millis(80), "{took:?}");
    assert_snapshot!(show_lossy(out.ok()), @r#"
    {"line":"level=info msg=one","fields":{"level":"info","msg":"one"}}
    {"line":"level=warn msg=two","fields":{"level":"warn","msg":"two"}}
    {"line":"level=info msg=three","fields":{"level":"info","msg":"three"}}
    "#);
    // In raw output: the line that passed at once and those that waited keep their CRLF, and
    // a last line without newline stays so.
    let out = transform(
        &["-p", r#"limit={"rate": 20, "burst": 1}"#],
        b"a\r\nb\r\nc\r\nd",
    );
    assert_eq!(out, b"a\r\nb\r\nc\r\nd");
}

#[test]
fn by_field_limits_each_value_separately() {
    let input = b"svc=a 1\nsvc=b 1\nsvc=a 2\nsvc=a 3\nsvc=b 2\nno service 1\nno service 2\nsvc=b 3\nsvc= 1\nsvc= 2\n";
    let out = run(
        &[
            "-p",
            "logfmt",
            "-p",
            r#"limit={"rate": 0.001, "burst": 1, "drop": true, "by_field": "svc"}"#,
        ],
        input,
    );
    // Lines without the field are not limited; an empty value is a value.
    assert_snapshot!(show_lossy(&out.stdout), @r"
    svc=a 1
    svc=b 1
    no service 1
    no service 2
    svc= 1
    ");
    assert_eq!(
        out.stderr,
        "stage 2 (limit): dropped 5 of 10 lines over the rate of 0.001 lines/s (burst 1) per value of field \"svc\"\n"
    );
}

#[test]
fn by_field_in_delay_mode_never_lets_lines_overtake() {
    // a1 passes; a2 waits 200 ms; b1 has a full bucket of its own but waits behind a2.
    let (out, took) = timed(
        &[
            "-p",
            "logfmt",
            "-p",
            r#"limit={"rate": 5, "burst": 1, "by_field": "svc"}"#,
        ],
        b"svc=a 1\nsvc=a 2\nsvc=b 1\n",
    );
    assert_eq!(show_lossy(out.ok()), "svc=a 1\nsvc=a 2\nsvc=b 1\n");
    assert!(took >= Duration::from_millis(150), "{took:?}");
}

#[test]
fn max_distinct_forgets_buckets_which_start_again_full() {
    let input = b"svc=a 1\nsvc=b 1\nsvc=a 2\nsvc=b 2\n";
    let spec = |max: u32| {
        format!(
            r#"limit={{"rate": 0.001, "burst": 1, "drop": true, "by_field": "svc", "max_distinct": {max}}}"#
        )
    };
    // Two values tracked: a2 and b2 find empty buckets.
    let out = run(&["-p", "logfmt", "-p", &spec(2)], input);
    assert_eq!(show_lossy(&out.stdout), "svc=a 1\nsvc=b 1\n");
    // One value tracked: each new value makes sluice forget the other, which starts again
    // with a full bucket.
    let out = run(&["-p", "logfmt", "-p", &spec(1)], input);
    assert_eq!(out.ok(), input);
}

#[test]
fn max_queue_drops_lines_arriving_when_it_is_full() {
    // One line passes, two wait (100 ms apart), seven find the queue full.
    let (out, took) = timed(
        &["-p", r#"limit={"rate": 10, "burst": 1, "max_queue": 2}"#],
        &numbered(10),
    );
    assert_eq!(show_lossy(&out.stdout), "line 1\nline 2\nline 3\n");
    assert_eq!(
        out.stderr,
        "stage 1 (limit): dropped 7 of 10 lines: 2 lines were already waiting (max_queue)\n"
    );
    assert!(took >= Duration::from_millis(150), "{took:?}");
}

#[test]
fn lines_waiting_at_end_of_input_go_out_at_once() {
    // tail emits its 5 lines when the input ends; at 0.01 lines/s they would take 400 s to
    // pass, but there is no later to delay them to.
    let (out, took) = timed(
        &["-p", "tail", "-p", r#"limit={"rate": 0.01, "burst": 1}"#],
        &numbered(5),
    );
    assert_eq!(out.ok(), numbered(5));
    assert!(took < Duration::from_secs(60), "{took:?}");
}

#[test]
fn odd_bytes_and_empty_lines_are_lines() {
    let input = std::fs::read(fixture("odd_bytes.log")).unwrap();
    let mut doubled = input.clone();
    doubled.extend_from_slice(b"\n\n");
    // Drop mode: the burst takes the fixture's 6 lines unchanged (CRLF and lone `\r` kept),
    // the two empty lines after them are dropped.
    let out = run(
        &["-p", r#"limit={"rate": 0.001, "burst": 6, "drop": true}"#],
        &doubled,
    );
    assert_eq!(out.stdout, input);
    assert_eq!(
        out.stderr,
        "stage 1 (limit): dropped 2 of 8 lines over the rate of 0.001 lines/s (burst 6)\n"
    );
    // Delay mode: all pass, the first at once, the others after waiting, each with its bytes
    // and terminator.
    let out = transform(
        &["-p", r#"limit={"rate": 50, "burst": 1}"#],
        b"\xff\0a\n\n\r\n",
    );
    assert_eq!(out, b"\xff\0a\n\n\r\n");
    // A last line without newline, passing at once, stays so.
    let out = transform(&["-p", r#"limit={"rate": 50, "burst": 5}"#], b"a\nb");
    assert_eq!(out, b"a\nb");
}

#[test]
fn an_over_long_line_takes_one_token() {
    let long = "L".repeat(300);
    let args = ["--max-line-bytes", "64", "--boundary-overlap", "16", "-p"];
    let with = |spec: &str, input: &str| {
        let mut all = args.to_vec();
        all.push(spec);
        let start = Instant::now();
        (run(&all, input.as_bytes()), start.elapsed())
    };
    let drop = r#"limit={"rate": 0.001, "burst": 1, "drop": true}"#;
    // Drop mode: all its pieces pass, or none.
    let (out, _) = with(drop, &format!("a\n{long}\nb\n"));
    assert_eq!(show_lossy(&out.stdout), "a\n");
    assert!(
        out.stderr
            .starts_with("stage 1 (limit): dropped 2 of 3 lines"),
        "{}",
        out.stderr
    );
    let (out, _) = with(drop, &format!("{long}\na\nb\n"));
    assert_eq!(show_lossy(&out.stdout), format!("{long}\n"));
    assert!(
        out.stderr
            .starts_with("stage 1 (limit): dropped 2 of 3 lines"),
        "{}",
        out.stderr
    );
    // Delay mode: it never waits, but takes its token in advance, so "b" waits for it.
    let (out, took) = with(
        r#"limit={"rate": 5, "burst": 1}"#,
        &format!("a\n{long}\nb\n"),
    );
    assert_eq!(show_lossy(out.ok()), format!("a\n{long}\nb\n"));
    assert!(took >= Duration::from_millis(350), "{took:?}");
}

#[test]
fn config_errors_name_the_key() {
    let cases = [
        (
            "limit",
            "sluice: stage 1 (limit): config key `rate`: is required: lines per second, such as 100",
        ),
        (
            r#"limit={"rate": 0}"#,
            "sluice: stage 1 (limit): config key `rate`: must be a number of lines per second greater than 0, got 0",
        ),
        (
            r#"limit={"rate": "fast"}"#,
            "sluice: stage 1 (limit): config key `rate`: expected a number, got a string",
        ),
        (
            r#"limit={"rate": 1, "burst": 0}"#,
            "sluice: stage 1 (limit): config key `burst`: must be at least 1",
        ),
        (
            r#"limit={"rate": 1, "by_field": ""}"#,
            "sluice: stage 1 (limit): config key `by_field`: must name a field",
        ),
        (
            r#"limit={"rate": 1, "max_queue": 0}"#,
            "sluice: stage 1 (limit): config key `max_queue`: must be at least 1",
        ),
        (
            r#"limit={"rate": 1, "max_distinct": 0}"#,
            "sluice: stage 1 (limit): config key `max_distinct`: must be at least 1",
        ),
        (
            r#"limit={"rate": 1, "drop": 1}"#,
            "sluice: stage 1 (limit): config key `drop`: expected true or false, got a number",
        ),
    ];
    for (spec, message) in cases {
        assert_eq!(run(&["-p", spec], b"").fails(2), message);
    }
}
