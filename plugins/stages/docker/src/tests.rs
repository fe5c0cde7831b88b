//! Tests of the whole stage on Docker json-file log lines, run natively with the SDK's harness.

use super::*;
use sluice_plugin_sdk::merge::MAX_OPEN;
use sluice_plugin_sdk::testing::{Emitted, Harness, Input, config_error, describe};

/// 2024-10-10T13:55:36.000000001Z in nanoseconds.
const T0: i64 = 1_728_568_536_000_000_001;

fn stage(config: &str) -> Harness<DockerStage> {
    Harness::new(config).unwrap()
}

/// A Docker line at T0 + `ms` milliseconds; `log` is JSON string contents (escaped).
fn docker(ms: i64, stream: &str, log: &str) -> Input {
    let secs = 36 + ms / 1000;
    let nanos = (ms % 1000) * 1_000_000 + 1;
    Input::new(format!(
        r#"{{"log":"{log}","stream":"{stream}","time":"2024-10-10T13:55:{secs:02}.{nanos:09}Z"}}"#
    ))
}

fn at(ms: i64) -> i64 {
    T0 + ms * 1_000_000
}

/// (text, stream, timestamp) of each line.
fn summary(lines: &[Emitted]) -> Vec<(String, Option<String>, Option<i64>)> {
    lines
        .iter()
        .map(|l| {
            (
                l.text(),
                l.field_str("stream").map(str::to_owned),
                l.timestamp,
            )
        })
        .collect()
}

fn line(text: &str, stream: &str, ts: i64) -> (String, Option<String>, Option<i64>) {
    (text.to_owned(), Some(stream.to_owned()), Some(ts))
}

#[test]
fn lines_become_their_log_without_the_newline() {
    let mut s = stage("{}");
    let out = s
        .process([
            docker(0, "stdout", r#"{\"level\":\"info\",\"msg\":\"listening on :8080\"}\n"#),
            docker(1, "stderr", r"2024/10/10 13:55:37 [warn] upstream slow\n"),
            Input::new(
                r#"{"log":"GET /health 200\n","stream":"stdout","time":"2019-04-30T02:12:41.8443515Z"}"#,
            ),
        ])
        .unwrap();
    assert_eq!(
        summary(&out),
        [
            line(
                r#"{"level":"info","msg":"listening on :8080"}"#,
                "stdout",
                at(0)
            ),
            line("2024/10/10 13:55:37 [warn] upstream slow", "stderr", at(1)),
            line("GET /health 200", "stdout", 1_556_590_361_844_351_500),
        ]
    );
    assert!(s.finish().unwrap().is_empty());
}

#[test]
fn escapes_are_undone() {
    let mut s = stage("{}");
    let out = s
        .process([
            docker(
                0,
                "stdout",
                r#"tab\there \"quoted\" caf\u00e9 \ud83d\ude00 back\\slash\n"#,
            ),
            docker(1, "stdout", r"nul \u0000 byte\n"),
            docker(2, "stdout", r"windows line\r\n"),
            docker(3, "stdout", r"\n"),
            docker(4, "stdout", r"two\n\n"),
        ])
        .unwrap();
    assert_eq!(out[0].text(), "tab\there \"quoted\" café 😀 back\\slash");
    assert_eq!(out[1].bytes, b"nul \0 byte");
    assert_eq!(
        out[2].bytes, b"windows line\r",
        "only the newline is removed"
    );
    assert_eq!(out[3].bytes, b"", "an empty message");
    assert_eq!(out[4].bytes, b"two\n", "one newline is removed");
}

#[test]
fn split_messages_merge_at_their_last_entry() {
    let mut s = stage("{}");
    let out = s
        .process([
            docker(0, "stdout", "aaaa"),
            docker(1, "stdout", "bbbb"),
            docker(2, "stdout", r"cc\n"),
            docker(3, "stdout", r"next\n"),
        ])
        .unwrap();
    assert_eq!(
        summary(&out),
        [
            line("aaaabbbbcc", "stdout", at(0)),
            line("next", "stdout", at(3))
        ],
        "the merged line has its first entry's timestamp"
    );
    assert_eq!(out[0].source, Some(2), "it goes out at its last entry");
}

#[test]
fn streams_merge_separately_and_other_lines_pass() {
    let mut s = stage("{}");
    let out = s
        .process([
            docker(0, "stdout", "out-1 "),
            docker(1, "stderr", "err-1 "),
            Input::new("plain text in between"),
            docker(2, "stderr", r"err-2\n"),
            docker(3, "stdout", r"out-2\n"),
        ])
        .unwrap();
    assert_eq!(
        summary(&out),
        [
            ("plain text in between".to_owned(), None, None),
            line("err-1 err-2", "stderr", at(1)),
            line("out-1 out-2", "stdout", at(0)),
        ]
    );
    assert!(!out[0].rewritten);
}

#[test]
fn merges_continue_across_batches_and_open_ones_go_out_at_the_end() {
    let mut s = stage("{}");
    assert!(
        s.process([docker(0, "stdout", "a"), docker(1, "stderr", "x")])
            .unwrap()
            .is_empty()
    );
    let out = s.process([docker(2, "stdout", r"b\n")]).unwrap();
    assert_eq!(summary(&out), [line("ab", "stdout", at(0))]);
    assert_eq!(summary(&s.finish().unwrap()), [line("x", "stderr", at(1))]);
}

#[test]
fn max_partial_lines_and_merge_partial() {
    let mut s = stage(r#"{"max_partial_lines": 2}"#);
    let out = s
        .process([
            docker(0, "stdout", "1"),
            docker(1, "stdout", "2"),
            docker(2, "stdout", "3"),
            docker(3, "stdout", r"4\n"),
        ])
        .unwrap();
    assert_eq!(
        summary(&out),
        [line("12", "stdout", at(0)), line("34", "stdout", at(2))]
    );
    let mut s = stage(r#"{"merge_partial": false}"#);
    let out = s
        .process([docker(0, "stdout", "1"), docker(1, "stdout", r"2\n")])
        .unwrap();
    assert_eq!(
        summary(&out),
        [line("1", "stdout", at(0)), line("2", "stdout", at(1))]
    );
}

#[test]
fn merges_are_kept_apart_per_input_and_bounded() {
    let mut s = stage("{}");
    s.set_source("containers/api/api-json.log");
    assert!(s.process([docker(0, "stdout", "api ")]).unwrap().is_empty());
    s.set_source("containers/web/web-json.log");
    let out = s
        .process([docker(1, "stdout", "web "), docker(2, "stdout", r"done\n")])
        .unwrap();
    assert_eq!(summary(&out), [line("web done", "stdout", at(1))]);
    for i in 0..MAX_OPEN {
        s.set_source(&format!("{i}.log"));
        let out = s.process([docker(3, "stderr", "held")]).unwrap();
        // Opening the 64th merge (63 + api's) pushes out the oldest: api's.
        if i == MAX_OPEN - 1 {
            assert_eq!(summary(&out), [line("api ", "stdout", at(0))]);
            assert!(out[0].detached);
        } else {
            assert!(out.is_empty(), "{i}");
        }
    }
    assert_eq!(s.finish().unwrap().len(), MAX_OPEN);
}

#[test]
fn lines_that_are_not_docker_pass_unchanged() {
    let mut s = stage("{}");
    let lines: Vec<Input> = vec![
        Input::new(r#"{"level":"info","msg":"an app's own JSON line"}"#),
        Input::new(r#"{"log":"no stream or time\n"}"#),
        Input::new(r#"{"log":"x\n","stream":"stdout","time":"2024-10-10T13:55:36Z""#),
        Input::new(""),
        Input::new(b"\xff\xfe\x00 binary"),
        Input::new("2024-10-10T13:55:36Z stdout F a CRI line"),
    ];
    let out = s.process(lines.clone()).unwrap();
    assert_eq!(out.len(), lines.len());
    for (o, i) in out.iter().zip(&lines) {
        assert_eq!(o.bytes, i.bytes);
        assert!(!o.rewritten && o.fields.is_empty());
    }
}

#[test]
fn bytes_that_are_not_utf8_inside_the_log_are_kept() {
    let mut s = stage("{}");
    let out = s
        .process([Input::new(
            b"{\"log\":\"caf\xe9 \xff\\n\",\"stream\":\"stdout\",\"time\":\"2024-10-10T13:55:36.000000001Z\"}",
        )])
        .unwrap();
    assert_eq!(out[0].bytes, b"caf\xe9 \xff");
    assert_eq!(out[0].timestamp, Some(T0));
}

#[test]
fn pieces_of_an_over_long_line_pass_unchanged() {
    let mut s = stage("{}");
    let out = s
        .process([
            Input::new(r#"{"log":"very long"#).partial(),
            Input::new(" middle").partial(),
        ])
        .unwrap();
    let out2 = s
        .process([
            Input::new(r#" end\n","stream":"stdout","time":"2024-10-10T13:55:36Z"}"#),
            docker(1, "stdout", r"after\n"),
        ])
        .unwrap();
    assert!(
        out.iter()
            .chain(&out2[..1])
            .all(|l| !l.rewritten && l.fields.is_empty())
    );
    assert_eq!(summary(&out2[1..]), [line("after", "stdout", at(1))]);
}

#[test]
fn config_errors_name_the_key() {
    let cases = [
        (
            r#"{"max_partial_lines": 0}"#,
            "max_partial_lines",
            "at least 1",
        ),
        (
            r#"{"max_partial_lines": "5"}"#,
            "max_partial_lines",
            "non-negative integer",
        ),
        (
            r#"{"merge_partial": "yes"}"#,
            "merge_partial",
            "true or false",
        ),
        (
            r#"{"auto_partial_merge": true}"#,
            "auto_partial_merge",
            "unknown key",
        ),
    ];
    for (config, key, says) in cases {
        let e = config_error::<DockerStage>(config);
        assert_eq!(e.key.as_deref(), Some(key), "{config}");
        assert!(e.message.contains(says), "{config}: {}", e.message);
    }
}

#[test]
fn describes_its_keys() {
    let info = describe::<DockerStage>();
    assert_eq!(info.name, "docker");
    let keys: Vec<(&str, Option<&str>)> = info
        .config_keys
        .iter()
        .map(|k| (k.name.as_str(), k.default.as_deref()))
        .collect();
    assert_eq!(
        keys,
        [
            ("merge_partial", Some("true")),
            ("max_partial_lines", Some("100"))
        ]
    );
}
