//! Tests of the whole stage, run natively with the SDK's harness.

use super::*;
use sluice_plugin_sdk::testing::{Emitted, Harness, Input, config_error, describe, set_clock};

const SECOND: i64 = 1_000_000_000;
/// 2024-10-10T13:55:36Z.
const NOW: i64 = 1_728_568_536 * SECOND;

fn stage(config: &str) -> Harness<Drop> {
    Harness::new(config).unwrap()
}

fn texts(out: &[Emitted]) -> Vec<String> {
    out.iter().map(Emitted::text).collect()
}

#[test]
fn describes_itself() {
    let info = describe::<Drop>();
    assert_eq!(info.name, "drop");
    assert!(!info.boundary_safe);
    let report = info
        .config_keys
        .iter()
        .find(|k| k.name == "report")
        .unwrap();
    assert_eq!(report.kind, "string");
}

#[test]
fn expression_drops_matching_lines_and_passes_the_rest_untouched() {
    let mut s = stage(r#"{"expression": "GET /(health|ready) "}"#);
    let out = s
        .process([
            Input::new(r#"10.0.0.3 - - [10/Oct/2024:13:55:36 +0000] "GET /health HTTP/1.1" 200 2"#),
            Input::new(r#"10.0.0.3 - - [10/Oct/2024:13:55:36 +0000] "GET /users HTTP/1.1" 200 81"#)
                .field("status", "200"),
            Input::new(r#"10.0.0.3 - - [10/Oct/2024:13:55:37 +0000] "GET /ready HTTP/1.1" 200 2"#),
        ])
        .unwrap();
    assert_eq!(out.len(), 1);
    assert!(out[0].text().contains("GET /users"));
    assert!(!out[0].rewritten);
    assert_eq!(out[0].field_str("status"), Some("200"));
}

#[test]
fn conditions_are_anded() {
    // Loki's example: lines that contain "debug" and are longer than a limit.
    let mut s = stage(r#"{"expression": "level=debug", "longer_than": 40}"#);
    let long_debug = "ts=2024-10-10T13:55:36Z level=debug msg=\"cache miss for key user:42\"";
    let out = s
        .process([
            long_debug,
            "level=debug msg=short",
            "ts=2024-10-10T13:55:36Z level=info msg=\"a long informative message\"",
        ])
        .unwrap();
    assert_eq!(
        texts(&out),
        [
            "level=debug msg=short",
            "ts=2024-10-10T13:55:36Z level=info msg=\"a long informative message\""
        ]
    );
}

#[test]
fn source_alone_value_and_expression_on_fields() {
    // Alone: lines that have the field are dropped.
    let mut s = stage(r#"{"source": "stacktrace"}"#);
    let out = s
        .process([
            Input::new("boom").field("stacktrace", "at Main.main(Main.java:12)"),
            Input::new("fine").field("level", "info"),
            Input::new("empty value").field("stacktrace", ""),
        ])
        .unwrap();
    assert_eq!(texts(&out), ["fine"]);
    // With `value`: an exact comparison, not a substring or a regex.
    let mut s = stage(r#"{"source": "level", "value": "debug"}"#);
    let out = s
        .process([
            Input::new("a").field("level", "debug"),
            Input::new("b").field("level", "debug2"),
            Input::new("c").field("level", "Debug"),
            Input::new("d level=debug"),
        ])
        .unwrap();
    assert_eq!(texts(&out), ["b", "c", "d level=debug"]);
    // With `expression`: matched against the field, not the line.
    let mut s = stage(r#"{"source": "path", "expression": "^/(metrics|health)"}"#);
    let out = s
        .process([
            Input::new("GET /metrics").field("path", "/metrics"),
            Input::new("GET /api /metrics").field("path", "/api"),
            Input::new("GET /health, no field"),
        ])
        .unwrap();
    assert_eq!(texts(&out), ["GET /api /metrics", "GET /health, no field"]);
}

#[test]
fn a_list_of_sources_is_joined_with_the_separator() {
    let mut s = stage(r#"{"source": ["namespace", "app"], "value": "kube-system;coredns"}"#);
    let out = s
        .process([
            Input::new("dns 1")
                .field("namespace", "kube-system")
                .field("app", "coredns"),
            Input::new("dns 2")
                .field("app", "coredns")
                .field("namespace", "default"),
            Input::new("half").field("namespace", "kube-system"),
        ])
        .unwrap();
    assert_eq!(texts(&out), ["dns 2", "half"]);
    let mut s = stage(
        r#"{"source": ["namespace", "app"], "separator": "/", "expression": "^kube-system/"}"#,
    );
    let out = s
        .process([
            Input::new("x")
                .field("namespace", "kube-system")
                .field("app", "proxy"),
            Input::new("y")
                .field("namespace", "prod")
                .field("app", "kube-system/"),
        ])
        .unwrap();
    assert_eq!(texts(&out), ["y"]);
}

#[test]
fn longer_than_counts_bytes_and_takes_sizes() {
    let mut s = stage(r#"{"longer_than": 5}"#);
    let out = s
        .process([Input::new("12345"), Input::new("123456"), Input::new("")])
        .unwrap();
    assert_eq!(texts(&out), ["12345", ""]);
    // Bytes, not characters: "é" is two.
    let out = s.process(["ééé"]).unwrap();
    assert!(out.is_empty());
    let mut s = stage(r#"{"longer_than": "1KiB"}"#);
    let out = s
        .process(
            ["x".repeat(1024), "y".repeat(1025)]
                .iter()
                .map(String::as_str),
        )
        .unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].bytes.len(), 1024);
}

#[test]
fn older_than_compares_timestamps_with_the_clock() {
    set_clock(NOW, 0);
    let mut s = stage(r#"{"older_than": "24h"}"#);
    let out = s
        .process([
            Input::new("two days old").timestamp(NOW - 48 * 3600 * SECOND),
            Input::new("one hour old").timestamp(NOW - 3600 * SECOND),
            Input::new("no timestamp"),
            Input::new("from the future").timestamp(NOW + 3600 * SECOND),
            Input::new("just over a day").timestamp(NOW - 24 * 3600 * SECOND - 1),
            Input::new("exactly a day").timestamp(NOW - 24 * 3600 * SECOND),
        ])
        .unwrap();
    assert_eq!(
        texts(&out),
        [
            "one hour old",
            "no timestamp",
            "from the future",
            "exactly a day"
        ]
    );
    // The clock is read per batch: a day later the hour-old line is too old.
    sluice_plugin_sdk::testing::advance_clock(24 * 3600 * 1000);
    let out = s
        .process([Input::new("one hour old").timestamp(NOW - 3600 * SECOND)])
        .unwrap();
    assert!(out.is_empty());
}

#[test]
fn odd_bytes_empty_lines_and_nul() {
    let mut s = stage(r#"{"expression": "(?-u:\\xff)|\\x00"}"#);
    let out = s
        .process([
            Input::new(b"bad \xff byte"),
            Input::new(b"nul \x00 byte"),
            Input::new(b"latin-1 caf\xe9"),
            Input::new(""),
            Input::new("carriage\rreturn"),
        ])
        .unwrap();
    let bytes: Vec<_> = out.iter().map(|l| l.bytes.clone()).collect();
    assert_eq!(
        bytes,
        [
            b"latin-1 caf\xe9".to_vec(),
            b"".to_vec(),
            b"carriage\rreturn".to_vec()
        ]
    );
    // An empty line matches an expression that matches the empty string.
    let mut s = stage(r#"{"expression": "^$"}"#);
    assert_eq!(texts(&s.process(["", " ", "x"]).unwrap()), [" ", "x"]);
}

#[test]
fn over_long_lines_are_decided_by_their_first_piece() {
    let mut s = stage(r#"{"expression": "^DEBUG", "report": "stderr"}"#);
    let out = s
        .process([
            Input::new("DEBUG dumping state: {").partial(),
            Input::new("...").partial(),
            Input::new("}").field("k", "v"),
            Input::new("INFO first piece ").partial(),
            Input::new("DEBUG in a later piece"),
            Input::new("DEBUG short"),
        ])
        .unwrap();
    assert_eq!(texts(&out), ["INFO first piece ", "DEBUG in a later piece"]);
    // The decision also holds across batches, and the line counts once.
    let out = s.process([Input::new("DEBUG again ").partial()]).unwrap();
    assert!(out.is_empty());
    let out = s.process([Input::new("tail"), Input::new("INFO")]).unwrap();
    assert_eq!(texts(&out), ["INFO"]);
    s.finish().unwrap();
    assert_eq!(
        s.reports(),
        [b"dropped_lines_total{reason=\"drop_stage\"} 3\n".to_vec()]
    );
    // A partial piece means the line is longer than the host's cap (64 KiB here), whatever
    // the piece's own length: up to the cap, `longer_than` drops it; above it, it keeps it.
    let mut s = stage(r#"{"longer_than": 10}"#);
    let out = s
        .process([
            Input::new("0123456789ab").partial(),
            Input::new("c"),
            Input::new("short").partial(),
            Input::new(" and then much longer"),
            Input::new("tiny"),
        ])
        .unwrap();
    assert_eq!(texts(&out), ["tiny"]);
    let mut s = stage(r#"{"longer_than": 65537}"#);
    let out = s
        .process([Input::new("short").partial(), Input::new(" end")])
        .unwrap();
    assert_eq!(texts(&out), ["short", " end"]);
}

#[test]
fn field_conditions_see_the_first_piece_which_has_no_fields() {
    let mut s = stage(r#"{"source": "level", "value": "debug"}"#);
    let out = s
        .process([
            Input::new("a long line ").partial(),
            Input::new("ends here").field("level", "debug"),
        ])
        .unwrap();
    assert_eq!(out.len(), 2, "kept: the first piece has no field");
}

#[test]
fn reports_only_when_asked() {
    let mut s = stage(r#"{"longer_than": 3, "drop_counter_reason": "too \"long\""}"#);
    s.process(["abcd", "ab", "abcde"]).unwrap();
    s.finish().unwrap();
    assert!(s.reports().is_empty(), "no report unless `report` is set");
    let mut s =
        stage(r#"{"longer_than": 3, "drop_counter_reason": "too \"long\"", "report": "/tmp/x"}"#);
    s.process(["abcd", "ab", "abcde"]).unwrap();
    s.finish().unwrap();
    assert_eq!(
        s.reports(),
        [b"dropped_lines_total{reason=\"too \\\"long\\\"\"} 2\n".to_vec()]
    );
}

#[test]
fn config_errors_name_the_key() {
    let e = config_error::<Drop>("{}");
    assert_eq!(e.key, None);
    assert!(e.message.starts_with("no condition given"), "{}", e.message);
    let e = config_error::<Drop>(r#"{"drop_counter_reason": "x"}"#);
    assert!(e.message.starts_with("no condition given"));
    let e = config_error::<Drop>(r#"{"value": "debug"}"#);
    assert_eq!(e.key.as_deref(), Some("value"));
    assert!(e.message.contains("needs \"source\""));
    let e = config_error::<Drop>(r#"{"source": "a", "value": "b", "expression": "c"}"#);
    assert_eq!(e.key.as_deref(), Some("value"));
    let e = config_error::<Drop>(r#"{"expression": "(unclosed"}"#);
    assert_eq!(e.key.as_deref(), Some("expression"));
    assert!(e.message.starts_with("not a valid regex"));
    assert!(!e.message.contains('\n'));
    let e = config_error::<Drop>(r#"{"longer_than": "8 parsecs"}"#);
    assert_eq!(e.key.as_deref(), Some("longer_than"));
    assert!(e.message.contains("not a size"));
    let e = config_error::<Drop>(r#"{"longer_than": -1}"#);
    assert_eq!(e.key.as_deref(), Some("longer_than"));
    assert!(e.message.contains("or a size such as"), "{}", e.message);
    let e = config_error::<Drop>(r#"{"older_than": "yesterday"}"#);
    assert_eq!(e.key.as_deref(), Some("older_than"));
    let e = config_error::<Drop>(r#"{"source": "a", "separator": ","}"#);
    assert_eq!(e.key.as_deref(), Some("separator"));
    let e = config_error::<Drop>(r#"{"source": []}"#);
    assert_eq!(e.key.as_deref(), Some("source"));
    let e = config_error::<Drop>(r#"{"source": "a", "report": 3}"#);
    assert_eq!(e.key.as_deref(), Some("report"));
    let e = config_error::<Drop>(r#"{"olderthan": "1h"}"#);
    assert_eq!(e.key.as_deref(), Some("olderthan"));
    assert!(e.message.contains("did you mean \"older_than\""));
}

#[test]
fn greater_than_compares_durations_sizes_and_numbers_in_their_units() {
    let lines = |key: &str, values: &[&str]| -> Vec<Input> {
        values
            .iter()
            .map(|v| Input::new(format!("{key}={v}")).field(key, v))
            .collect()
    };
    let mut s = stage(r#"{"source": "duration", "greater_than": "1s"}"#);
    let out = s
        .process(lines(
            "duration",
            &["918ms", "1.5s", "1500ms", "1s", "2", "n/a", "1m"],
        ))
        .unwrap();
    // `2` has no unit: it is not compared with a duration, and the line stays.
    assert_eq!(
        texts(&out),
        [
            "duration=918ms",
            "duration=1s",
            "duration=2",
            "duration=n/a"
        ]
    );

    let mut s = stage(r#"{"source": "size", "less_than": "4KiB"}"#);
    let out = s
        .process(lines("size", &["4KB", "4KiB", "5KB", "12B", "4096"]))
        .unwrap();
    assert_eq!(texts(&out), ["size=4KiB", "size=5KB", "size=4096"]);

    let mut s = stage(r#"{"source": "latency_ms", "greater_than": 100, "less_than": 1000}"#);
    let out = s
        .process(lines(
            "latency_ms",
            &["50", "150", "999.5", "1000", "150ms"],
        ))
        .unwrap();
    assert_eq!(
        texts(&out),
        ["latency_ms=50", "latency_ms=1000", "latency_ms=150ms"]
    );
}

#[test]
fn bounds_are_checked_when_the_stage_is_created() {
    for (config, key, says) in [
        (
            r#"{"greater_than": "1s"}"#,
            "greater_than",
            "set \"source\"",
        ),
        (
            r#"{"source": ["a", "b"], "less_than": 3}"#,
            "less_than",
            "one field",
        ),
        (
            r#"{"source": "a", "greater_than": "fast"}"#,
            "greater_than",
            "\"fast\" is not a number",
        ),
        (
            r#"{"source": "a", "greater_than": true}"#,
            "greater_than",
            "true is not a number",
        ),
        (
            r#"{"source": "a", "greater_than": "1s", "less_than": "4KB"}"#,
            "less_than",
            "is a size, but greater_than is a duration",
        ),
        (
            r#"{"source": "a", "greater_than": "2s", "less_than": "1500ms"}"#,
            "less_than",
            "never holds",
        ),
    ] {
        let e = config_error::<Drop>(config);
        assert_eq!(e.key.as_deref(), Some(key), "{config}");
        assert!(e.message.contains(says), "{config}: {}", e.message);
    }
}
