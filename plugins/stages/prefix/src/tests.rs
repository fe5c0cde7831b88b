use super::*;
use sluice_plugin_sdk::testing::{
    Emitted, Harness, Input, advance_clock, config_error, describe, set_clock,
};

/// 2024-06-01T12:00:00.123Z in nanoseconds.
const NOON: i64 = 1_717_243_200_123_000_000;
const NGINX: &str = "10.0.0.1 - - [01/Jun/2024:12:00:00 +0000] \"GET /health HTTP/1.1\" 200 2";

fn stage(config: &str) -> Harness<Prefix> {
    Harness::new(config).unwrap_or_else(|e| panic!("{config}: {e}"))
}

fn texts(out: &[Emitted]) -> Vec<String> {
    out.iter().map(Emitted::text).collect()
}

#[test]
fn time_is_the_lines_timestamp_in_rfc3339_with_millis() {
    set_clock(0, 0);
    let out = stage("{}")
        .process([Input::new(NGINX).timestamp(NOON + 456_789)])
        .unwrap();
    assert_eq!(texts(&out), [format!("2024-06-01T12:00:00.123Z {NGINX}")]);
    assert_eq!(
        out[0].timestamp,
        Some(NOON + 456_789),
        "the timestamp is kept"
    );
}

#[test]
fn lines_without_timestamp_get_the_clocks_now() {
    set_clock(NOON, 0);
    let mut s = stage("{}");
    let out = s
        .process([Input::new("a"), Input::new("b").timestamp(0)])
        .unwrap();
    assert_eq!(
        texts(&out),
        ["2024-06-01T12:00:00.123Z a", "1970-01-01T00:00:00.000Z b"]
    );
    advance_clock(1500);
    let out = s.process([Input::new("c")]).unwrap();
    assert_eq!(texts(&out), ["2024-06-01T12:00:01.623Z c"]);
}

#[test]
fn time_format_is_a_strftime_pattern_in_utc() {
    set_clock(NOON, 0);
    let out = stage(r#"{"time_format": "%b %e %H:%M:%S %Z"}"#)
        .process([Input::new("sshd[1]: Accepted publickey")])
        .unwrap();
    assert_eq!(
        texts(&out),
        ["Jun  1 12:00:00 UTC sshd[1]: Accepted publickey"]
    );
    let out = stage(r#"{"time_format": "%s%.f", "separator": "\t"}"#)
        .process([Input::new("x").timestamp(-1_500_000_000)])
        .unwrap();
    assert_eq!(texts(&out), ["-1.5\tx"]);
}

#[test]
fn elapsed_counts_from_the_first_line_on_the_monotonic_clock() {
    set_clock(NOON, 5_000_000_000);
    let mut s = stage(r#"{"parts": ["elapsed"]}"#);
    assert_eq!(
        texts(&s.process(["first", "same batch"]).unwrap()),
        ["[    0.000s] first", "[    0.000s] same batch"]
    );
    advance_clock(12_345);
    assert_eq!(
        texts(&s.process(["later"]).unwrap()),
        ["[   12.345s] later"]
    );
    advance_clock(123_456_789);
    assert_eq!(
        texts(&s.process(["much later"]).unwrap()),
        ["[123469.134s] much later"]
    );
}

#[test]
fn source_is_the_file_read_and_left_out_for_emitted_lines() {
    set_clock(NOON, 0);
    let mut s = stage(r#"{"parts": ["source"], "separator": ": "}"#);
    s.set_source("/var/log/nginx/access.log");
    assert_eq!(
        texts(&s.process([NGINX]).unwrap()),
        [format!("/var/log/nginx/access.log: {NGINX}")]
    );
    s.set_source("-");
    assert_eq!(
        texts(&s.process(["from stdin"]).unwrap()),
        ["-: from stdin"]
    );
    s.set_source("");
    assert_eq!(texts(&s.process(["emitted"]).unwrap()), ["emitted"]);
}

#[test]
fn parts_come_in_the_order_listed_each_followed_by_the_separator() {
    set_clock(NOON, 0);
    let mut s = stage(
        r#"{"parts": ["source", "elapsed", "time", "source"], "separator": " | ",
            "time_format": "%H:%M:%S%.3f"}"#,
    );
    s.set_source("app.log");
    assert_eq!(
        texts(&s.process(["{\"level\":\"info\"}"]).unwrap()),
        ["app.log | [    0.000s] | 12:00:00.123 | app.log | {\"level\":\"info\"}"]
    );
    let mut s = stage(r#"{"parts": ["time"], "separator": ""}"#);
    assert_eq!(
        texts(&s.process(["x"]).unwrap()),
        ["2024-06-01T12:00:00.123Zx"]
    );
}

#[test]
fn only_the_first_piece_of_an_over_long_line_gets_the_prefix() {
    set_clock(NOON, 0);
    let mut s = stage(r#"{"time_format": "%H:%M"}"#);
    let first = s
        .process([
            Input::new("short"),
            Input::new("Exception in thread \"main\" ").partial(),
        ])
        .unwrap();
    let second = s
        .process([
            Input::new("java.lang.OutOfMemoryError").partial(),
            Input::new(": Java heap space").field("level", "ERROR"),
            Input::new("next"),
        ])
        .unwrap();
    let all: Vec<String> = texts(&first).into_iter().chain(texts(&second)).collect();
    assert_eq!(
        all,
        [
            "12:00 short",
            "12:00 Exception in thread \"main\" ",
            "java.lang.OutOfMemoryError",
            ": Java heap space",
            "12:00 next"
        ]
    );
    assert!(
        !second[0].rewritten && !second[1].rewritten,
        "later pieces pass untouched"
    );
    assert_eq!(second[1].field_str("level"), Some("ERROR"));
}

#[test]
fn line_bytes_fields_and_timestamp_survive_the_prefix() {
    set_clock(NOON, 0);
    let inputs = [
        Input::new(b"\xff\xfe bad utf-8").field("k", b"\x80"),
        Input::new(""),
        Input::new("nul\0and\rcr").timestamp(NOON),
    ];
    let out = stage(r#"{"time_format": "%H"}"#)
        .process(inputs.clone())
        .unwrap();
    for (input, line) in inputs.iter().zip(&out) {
        let mut expected = b"12 ".to_vec();
        expected.extend_from_slice(&input.bytes);
        assert_eq!(line.bytes, expected);
        assert_eq!(line.fields, input.fields);
        assert_eq!(line.timestamp, input.timestamp);
    }
}

#[test]
fn config_errors_name_the_key() {
    let err = |c: &str| config_error::<Prefix>(c);
    let key = |c: &str| err(c).key.unwrap();
    assert!(
        err(r#"{"parts": ["time", "host"]}"#)
            .message
            .contains("\"host\"")
    );
    assert_eq!(key(r#"{"parts": []}"#), "parts");
    assert_eq!(key(r#"{"parts": "time"}"#), "parts");
    assert_eq!(key(r#"{"time_format": "%Y %J"}"#), "time_format");
    assert!(
        err(r#"{"time_format": "%Y%n"}"#)
            .message
            .contains("line break")
    );
    assert!(
        err(r#"{"parts": ["elapsed"], "time_format": "%H"}"#)
            .message
            .contains("no \"time\"")
    );
    assert_eq!(key(r#"{"separator": "\n"}"#), "separator");
    assert_eq!(key(r#"{"separator": 1}"#), "separator");
    assert_eq!(key(r#"{"format": "%H"}"#), "format");
}

#[test]
fn describes_its_keys_and_defaults() {
    let info = describe::<Prefix>();
    let keys: Vec<_> = info
        .config_keys
        .iter()
        .map(|k| (k.name.as_str(), k.default.as_deref()))
        .collect();
    assert_eq!(
        keys,
        [
            ("parts", Some("[\"time\"]")),
            ("time_format", Some("\"%Y-%m-%dT%H:%M:%S%.3fZ\"")),
            ("separator", Some("\" \""))
        ]
    );
    assert_eq!(parts::DEFAULT_TIME_FORMAT, "%Y-%m-%dT%H:%M:%S%.3fZ");
}
