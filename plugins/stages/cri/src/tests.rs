//! Tests of the whole stage on Kubernetes container log lines, run natively with the SDK's
//! harness.

use super::*;
use sluice_plugin_sdk::merge::MAX_OPEN;
use sluice_plugin_sdk::testing::{Emitted, Harness, Input, config_error, describe};

/// 2024-10-10T13:55:36.000000001Z in nanoseconds.
const T0: i64 = 1_728_568_536_000_000_001;

fn stage(config: &str) -> Harness<CriStage> {
    Harness::new(config).unwrap()
}

/// A CRI line at T0 + `ms` milliseconds.
fn cri(ms: i64, stream: &str, tag: &str, message: &str) -> Input {
    let secs = 36 + ms / 1000;
    let nanos = (ms % 1000) * 1_000_000 + 1;
    Input::new(format!(
        "2024-10-10T13:55:{secs:02}.{nanos:09}Z {stream} {tag} {message}"
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
fn full_lines_become_their_message_with_stream_and_timestamp() {
    let mut s = stage("{}");
    let out = s
        .process([
            cri(
                0,
                "stdout",
                "F",
                r#"{"level":"info","msg":"listening on :8080"}"#,
            ),
            cri(
                1,
                "stderr",
                "F",
                "W1010 13:55:37.001 reflector.go:424] watch closed",
            ),
            Input::new("2019-04-30T02:12:41.8443515Z stdout F message"),
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
            line(
                "W1010 13:55:37.001 reflector.go:424] watch closed",
                "stderr",
                at(1)
            ),
            line("message", "stdout", 1_556_590_361_844_351_500),
        ]
    );
    assert!(s.finish().unwrap().is_empty());
}

#[test]
fn partial_lines_merge_into_one_at_their_full_line() {
    let mut s = stage("{}");
    let out = s
        .process([
            cri(0, "stdout", "P", "Exception in thread \"main\" "),
            cri(1, "stdout", "P", "java.lang.IllegalStateException: "),
            cri(2, "stdout", "F", "boom"),
            cri(3, "stdout", "F", "next"),
        ])
        .unwrap();
    assert_eq!(
        summary(&out),
        [
            line(
                "Exception in thread \"main\" java.lang.IllegalStateException: boom",
                "stdout",
                at(0)
            ),
            line("next", "stdout", at(3)),
        ],
        "the merged line has its first piece's timestamp"
    );
    assert_eq!(out[0].source, Some(2), "it goes out at its F line");
}

#[test]
fn stdout_and_stderr_merge_separately() {
    let mut s = stage("{}");
    let out = s
        .process([
            cri(0, "stdout", "P", "out-1 "),
            cri(1, "stderr", "P", "err-1 "),
            cri(2, "stdout", "P", "out-2 "),
            cri(3, "stderr", "F", "err-2"),
            Input::new("not a CRI line"),
            cri(4, "stdout", "F", "out-3"),
        ])
        .unwrap();
    assert_eq!(
        summary(&out),
        [
            line("err-1 err-2", "stderr", at(1)),
            ("not a CRI line".to_owned(), None, None),
            line("out-1 out-2 out-3", "stdout", at(0)),
        ]
    );
    assert!(!out[1].rewritten, "lines that are not CRI pass unchanged");
}

#[test]
fn merges_continue_across_batches_and_open_ones_go_out_at_the_end() {
    let mut s = stage("{}");
    let out = s
        .process([cri(0, "stdout", "P", "a"), cri(1, "stderr", "P", "x")])
        .unwrap();
    assert!(out.is_empty(), "held until their F lines");
    let out = s.process([cri(2, "stdout", "F", "b")]).unwrap();
    assert_eq!(summary(&out), [line("ab", "stdout", at(0))]);
    let trailing = s.finish().unwrap();
    assert_eq!(summary(&trailing), [line("x", "stderr", at(1))]);
}

#[test]
fn max_partial_lines_flushes_long_merges() {
    let mut s = stage(r#"{"max_partial_lines": 3}"#);
    let out = s
        .process([
            cri(0, "stdout", "P", "1"),
            cri(1, "stdout", "P", "2"),
            cri(2, "stdout", "P", "3"),
            cri(3, "stdout", "P", "4"),
            cri(4, "stdout", "F", "5"),
        ])
        .unwrap();
    assert_eq!(
        summary(&out),
        [line("123", "stdout", at(0)), line("45", "stdout", at(3))]
    );
    assert_eq!(out[0].source, Some(2));
    // 1 turns merging off.
    let mut s = stage(r#"{"max_partial_lines": 1}"#);
    let out = s
        .process([cri(0, "stdout", "P", "a"), cri(1, "stdout", "F", "b")])
        .unwrap();
    let texts: Vec<String> = out.iter().map(Emitted::text).collect();
    assert_eq!(texts, ["a", "b"]);
}

#[test]
fn max_partial_line_size_truncates_or_flushes() {
    let mut s = stage(r#"{"max_partial_line_size": 9, "max_partial_line_size_truncate": true}"#);
    let out = s
        .process([
            cri(0, "stdout", "P", "héllo "),
            cri(1, "stdout", "P", "wörld "),
            cri(2, "stdout", "F", "and more"),
            cri(3, "stdout", "F", "a full line is never cut"),
        ])
        .unwrap();
    assert_eq!(
        summary(&out),
        [
            line("héllo w", "stdout", at(0)),
            line("a full line is never cut", "stdout", at(3)),
        ],
        "cut at 9 bytes, back to a character boundary: ö (2 bytes) would straddle it"
    );
    let mut s = stage(r#"{"max_partial_line_size": 8}"#);
    let out = s
        .process([
            cri(0, "stdout", "P", "12345"),
            cri(1, "stdout", "P", "678"),
            cri(2, "stdout", "P", "9"),
            cri(3, "stdout", "F", "0"),
        ])
        .unwrap();
    assert_eq!(
        summary(&out),
        [
            line("12345678", "stdout", at(0)),
            line("90", "stdout", at(2))
        ],
        "without truncation the merge goes out before it would pass the limit"
    );
    let mut s = stage(r#"{"max_partial_line_size": 4}"#);
    let out = s
        .process([cri(0, "stdout", "P", "abc"), cri(1, "stdout", "F", "defgh")])
        .unwrap();
    let texts: Vec<String> = out.iter().map(Emitted::text).collect();
    assert_eq!(texts, ["abc", "defgh"], "one input line, two output lines");
    assert_eq!(out[1].source, Some(1));
}

#[test]
fn merges_are_kept_apart_per_input() {
    let mut s = stage("{}");
    s.set_source("pods/api/0.log");
    assert!(
        s.process([cri(0, "stdout", "P", "api ")])
            .unwrap()
            .is_empty()
    );
    s.set_source("pods/web/0.log");
    let out = s
        .process([cri(1, "stdout", "P", "web "), cri(2, "stdout", "F", "done")])
        .unwrap();
    assert_eq!(summary(&out), [line("web done", "stdout", at(1))]);
    s.set_source("pods/api/0.log");
    let out = s.process([cri(3, "stdout", "F", "done")]).unwrap();
    assert_eq!(summary(&out), [line("api done", "stdout", at(0))]);
}

#[test]
fn too_many_open_merges_flush_the_oldest_detached() {
    let mut s = stage("{}");
    for i in 0..MAX_OPEN {
        s.set_source(&format!("{i}.log"));
        assert!(
            s.process([cri(0, "stdout", "P", &format!("held {i}"))])
                .unwrap()
                .is_empty()
        );
    }
    s.set_source("late.log");
    let out = s
        .process([(cri(5, "stderr", "P", "late")).field("pod", "late-pod")])
        .unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(summary(&out), [line("held 0", "stdout", at(0))]);
    assert!(
        out[0].detached,
        "it owes nothing to the line it goes out at"
    );
    assert_eq!(out[0].field("pod"), None);
    assert_eq!(s.finish().unwrap().len(), MAX_OPEN);
}

#[test]
fn odd_bytes_and_empty_messages() {
    let mut s = stage("{}");
    let mut raw = b"2024-10-10T13:55:36.000000001Z stdout F caf\xe9 \x00 nul\r cr".to_vec();
    let out = s
        .process([
            Input::new(raw.clone()),
            Input::new("2024-10-10T13:55:36.000000001Z stdout F "),
            Input::new("2024-10-10T13:55:36.000000001Z stderr F"),
            Input::new(""),
            Input::new(b"\xff\xfe stdout F x"),
        ])
        .unwrap();
    assert_eq!(out[0].bytes, b"caf\xe9 \x00 nul\r cr");
    assert_eq!(
        summary(&out[1..3]),
        [line("", "stdout", T0), line("", "stderr", T0)]
    );
    assert_eq!(out[3].bytes, b"", "an empty line is not CRI");
    assert!(!out[3].rewritten);
    assert_eq!(out[4].bytes, b"\xff\xfe stdout F x");
    raw.truncate(10);
    assert_eq!(s.process([Input::new(raw.clone())]).unwrap()[0].bytes, raw);
}

#[test]
fn pieces_of_an_over_long_line_lose_only_the_header() {
    let mut s = stage("{}");
    let out = s
        .process([
            (cri(0, "stderr", "F", "very long ")).partial(),
            Input::new("middle ").partial(),
        ])
        .unwrap();
    assert_eq!(out[0].text(), "very long ");
    assert!(out[0].fields.is_empty() && out[0].timestamp.is_none());
    assert!(!out[1].rewritten);
    let out = s
        .process([Input::new("end"), (cri(1, "stdout", "F", "next"))])
        .unwrap();
    assert_eq!(
        summary(&out),
        [line("end", "stderr", at(0)), line("next", "stdout", at(1))],
        "the last piece gets the stream and timestamp"
    );
    // A line that is not CRI passes whole, pieces untouched.
    let out = s
        .process([Input::new("plain ").partial(), Input::new("text")])
        .unwrap();
    assert!(out.iter().all(|l| !l.rewritten && l.fields.is_empty()));
}

#[test]
fn an_over_long_line_ends_its_streams_merge() {
    let mut s = stage("{}");
    let out = s
        .process([
            (cri(0, "stdout", "P", "held ")),
            (cri(1, "stdout", "P", "long ")).partial(),
            Input::new("tail"),
            (cri(2, "stdout", "F", "after")),
        ])
        .unwrap();
    let joined: Vec<u8> = out[..2].iter().flat_map(|l| l.bytes.clone()).collect();
    assert_eq!(joined, b"held long tail");
    assert_eq!(
        summary(&out[1..]),
        [
            line("tail", "stdout", at(0)),
            line("after", "stdout", at(2))
        ]
    );
    // With truncation, the pieces are cut to the room left.
    let mut s = stage(r#"{"max_partial_line_size": 7, "max_partial_line_size_truncate": true}"#);
    let out = s
        .process([
            (cri(0, "stdout", "P", "ab")),
            (cri(1, "stdout", "P", "cd")).partial(),
            Input::new("efgh").partial(),
            Input::new("ij"),
        ])
        .unwrap();
    let texts: Vec<String> = out.iter().map(Emitted::text).collect();
    assert_eq!(texts, ["abcd", "efg", ""]);
    assert_eq!(out[2].field_str("stream"), Some("stdout"));
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
            r#"{"max_partial_lines": -1}"#,
            "max_partial_lines",
            "non-negative integer",
        ),
        (
            r#"{"max_partial_lines": "100"}"#,
            "max_partial_lines",
            "non-negative integer",
        ),
        (
            r#"{"max_partial_line_size": 1.5}"#,
            "max_partial_line_size",
            "non-negative integer",
        ),
        (
            r#"{"max_partial_line_size_truncate": true}"#,
            "max_partial_line_size_truncate",
            "needs",
        ),
        (
            r#"{"max_partial_line_size_truncate": 1}"#,
            "max_partial_line_size_truncate",
            "true or false",
        ),
        (
            r#"{"max_partial_line": 5}"#,
            "max_partial_line",
            "did you mean",
        ),
    ];
    for (config, key, says) in cases {
        let e = config_error::<CriStage>(config);
        assert_eq!(e.key.as_deref(), Some(key), "{config}");
        assert!(e.message.contains(says), "{config}: {}", e.message);
    }
}

#[test]
fn describes_its_keys() {
    let info = describe::<CriStage>();
    assert_eq!(info.name, "cri");
    let keys: Vec<(&str, Option<&str>)> = info
        .config_keys
        .iter()
        .map(|k| (k.name.as_str(), k.default.as_deref()))
        .collect();
    assert_eq!(
        keys,
        [
            ("max_partial_lines", Some("100")),
            ("max_partial_line_size", Some("0")),
            ("max_partial_line_size_truncate", Some("false")),
        ]
    );
}

/// Whatever the limits (without truncation), merging loses and reorders no byte of a stream:
/// the stream's output lines joined equal its input messages joined.
#[test]
fn merging_keeps_every_byte_of_each_stream_in_order() {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    for round in 0..200 {
        let config = format!(
            r#"{{"max_partial_lines": {}, "max_partial_line_size": {}}}"#,
            1 + next(5),
            [0, 3, 10, 40][next(4) as usize]
        );
        let mut s = stage(&config);
        let mut sent = [Vec::new(), Vec::new()];
        let mut got = [Vec::new(), Vec::new()];
        let streams = ["stdout", "stderr"];
        let collect = |lines: Vec<Emitted>, got: &mut [Vec<u8>; 2]| {
            for l in lines {
                let k = streams
                    .iter()
                    .position(|s| Some(*s) == l.field_str("stream"));
                got[k.expect("every output line has a stream")].extend_from_slice(&l.bytes);
            }
        };
        for _ in 0..1 + next(4) {
            let mut batch = Vec::new();
            for i in 0..next(12) {
                let k = next(2) as usize;
                let message = format!("<{round}.{i}.{}>", "x".repeat(next(8) as usize));
                sent[k].extend_from_slice(message.as_bytes());
                let tag = if next(3) == 0 { "F" } else { "P" };
                batch.push(cri(i as i64, streams[k], tag, &message));
            }
            collect(s.process(batch).unwrap(), &mut got);
        }
        collect(s.finish().unwrap(), &mut got);
        assert_eq!(got, sent, "{config}");
    }
}
