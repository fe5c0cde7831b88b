//! Tests of the whole stage, run natively with the SDK's harness.

use super::*;
use sluice_plugin_sdk::testing::{Emitted, Harness, Input, config_error, describe};

fn stage(config: &str) -> Harness<Truncate> {
    Harness::new(config).unwrap()
}

fn texts(out: &[Emitted]) -> Vec<String> {
    out.iter().map(Emitted::text).collect()
}

/// Feeds `line` as pieces of `size` bytes, in one batch per piece; returns the joined output
/// and the last piece's output line.
fn in_pieces(s: &mut Harness<Truncate>, line: Input, size: usize) -> (Vec<u8>, Emitted) {
    let chunks: Vec<&[u8]> = line.bytes.chunks(size).collect();
    let mut joined = Vec::new();
    let mut last = None;
    for (i, chunk) in chunks.iter().enumerate() {
        let input = if i + 1 < chunks.len() {
            Input::new(chunk).partial()
        } else {
            let mut input = line.clone();
            input.bytes = chunk.to_vec();
            input
        };
        let mut out = s.process([input]).unwrap();
        assert_eq!(out.len(), 1, "one line per piece");
        joined.extend_from_slice(&out[0].bytes);
        last = out.pop();
    }
    (joined, last.unwrap())
}

#[test]
fn describes_itself() {
    let info = describe::<Truncate>();
    assert_eq!(info.name, "truncate");
    assert!(!info.boundary_safe);
    let suffix = info
        .config_keys
        .iter()
        .find(|k| k.name == "suffix")
        .unwrap();
    assert_eq!(suffix.default.as_deref(), Some("\"…\""));
}

#[test]
fn long_lines_are_cut_with_the_suffix_inside_the_limit() {
    let mut s = stage(r#"{"limit": 40}"#);
    let java = "java.lang.IllegalStateException: connection pool exhausted after 30000ms";
    let exact = "x".repeat(40);
    let out = s
        .process([
            Input::new(java).field("level", "ERROR"),
            Input::new("short line"),
            Input::new(&exact),
        ])
        .unwrap();
    assert_eq!(out[0].text(), "java.lang.IllegalStateException: conn…");
    assert_eq!(out[0].bytes.len(), 40);
    assert_eq!(out[0].field_str("level"), Some("ERROR"));
    assert!(!out[1].rewritten, "a short line is passed through");
    assert!(!out[2].rewritten, "a line of exactly the limit is not cut");
    assert_eq!(out[2].bytes.len(), 40);
}

#[test]
fn multi_byte_characters_straddling_the_limit_are_not_split() {
    // 10 ASCII bytes, then a character of each width whose bytes straddle the limit of 11.
    for (ch, width) in [("é", 2), ("€", 3), ("😀", 4)] {
        let line = format!("0123456789{ch}{ch}tail");
        for limit in 10..=10 + 2 * width {
            let config = format!(r#"{{"limit": {limit}, "suffix": ""}}"#);
            let out = stage(&config).process([line.as_str()]).unwrap();
            let got = &out[0].bytes;
            assert!(got.len() <= limit);
            let text = std::str::from_utf8(got).expect("valid UTF-8");
            let whole_chars = (limit - 10) / width;
            assert_eq!(
                text,
                format!("0123456789{}", ch.repeat(whole_chars)),
                "{ch} at {limit}"
            );
        }
    }
    // With the default suffix the backing-off happens before the suffix.
    let out = stage(r#"{"limit": 8}"#).process(["añññññ"]).unwrap();
    assert_eq!(
        out[0].text(),
        "aññ…",
        "5 bytes kept, then the 3-byte suffix"
    );
    assert_eq!(out[0].bytes.len(), 8);
    let out = stage(r#"{"limit": 7}"#).process(["añññññ"]).unwrap();
    assert_eq!(out[0].text(), "añ…", "4 bytes would split an ñ: 3 kept");
}

#[test]
fn suffixes_empty_custom_and_as_long_as_the_limit() {
    let line = r#"{"level":"info","msg":"user logged in","user":"bob"}"#;
    let out = stage(r#"{"limit": 16, "suffix": ""}"#)
        .process([line])
        .unwrap();
    assert_eq!(out[0].text(), r#"{"level":"info","#);
    let out = stage(r#"{"limit": 16, "suffix": " [cut]"}"#)
        .process([line])
        .unwrap();
    assert_eq!(out[0].text(), r#"{"level":" [cut]"#);
    let out = stage(r#"{"limit": 3, "suffix": "..."}"#)
        .process([line, "ab"])
        .unwrap();
    assert_eq!(texts(&out), ["...", "ab"]);
}

#[test]
fn invalid_utf8_nul_empty_and_carriage_returns() {
    let mut s = stage(r#"{"limit": 6, "suffix": "~"}"#);
    let out = s
        .process([
            Input::new(b"\xff\xfe\x80\x80\x80\x80\x80\x80"),
            Input::new(b"ab\0cd\0ef"),
            Input::new(""),
            Input::new("a\rb\rc\rd"),
            Input::new(b"abcd\xe2\x82zz"),
        ])
        .unwrap();
    assert_eq!(out[0].bytes, b"\xff\xfe\x80\x80\x80~", "cut at the byte");
    assert_eq!(out[1].bytes, b"ab\0cd~");
    assert_eq!(out[2].bytes, b"");
    assert!(!out[2].rewritten);
    assert_eq!(out[3].bytes, b"a\rb\rc~");
    assert_eq!(
        out[4].bytes, b"abcd\xe2~",
        "a broken sequence is cut at the byte"
    );
}

#[test]
fn fields_are_truncated_and_marked() {
    let agent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36";
    // With `fields`, the line is left alone unless `line` says otherwise.
    let mut s =
        stage(r#"{"limit": 20, "fields": ["agent", "path"], "truncated_field": "truncated"}"#);
    let out = s
        .process([
            Input::new(format!("GET / 200 \"{agent}\""))
                .field("agent", agent)
                .field("path", "/"),
            Input::new("no fields at all, and a line longer than twenty bytes"),
        ])
        .unwrap();
    assert!(!out[0].rewritten);
    assert_eq!(out[0].field_str("agent"), Some("Mozilla/5.0 (Wind…"));
    assert_eq!(out[0].field_str("path"), Some("/"));
    assert_eq!(out[0].field_str("truncated"), Some("agent"));
    assert_eq!(out[1].field("truncated"), None);
    assert!(!out[1].rewritten);
    // The line and fields together; the marker names both.
    let mut s = stage(
        r#"{"limit": 12, "line": true, "fields": ["msg", "path"], "truncated_field": "cut"}"#,
    );
    let out = s
        .process([
            Input::new("level=info msg=\"hello there\"")
                .field("msg", "hello there, friend")
                .field("path", "/api/v1/orders/12345"),
            Input::new("short").field("msg", "short"),
        ])
        .unwrap();
    assert_eq!(out[0].text(), "level=inf…");
    assert_eq!(out[0].field_str("msg"), Some("hello the…"));
    assert_eq!(out[0].field_str("path"), Some("/api/v1/o…"));
    assert_eq!(out[0].field_str("cut"), Some("_line,msg,path"));
    assert_eq!(out[1].field("cut"), None);
    // A value that is not UTF-8 is cut at the byte, like a line.
    let out = stage(r#"{"limit": 4, "suffix": "", "fields": ["raw"]}"#)
        .process([Input::new("x").field("raw", b"\xc3\xa9\xc3\xff\xff")])
        .unwrap();
    assert_eq!(out[0].field("raw"), Some(&b"\xc3\xa9\xc3\xff"[..]));
}

#[test]
fn over_long_lines_are_limited_as_a_whole() {
    // A k8s container log line of 100 bytes cut into pieces of 7; limit 30.
    let line = format!(
        "2024-10-10T13:55:36.123456789Z stdout F {}",
        "payload-with-ünïcödé-".repeat(3)
    );
    let config = r#"{"limit": 30, "truncated_field": "truncated"}"#;
    let want = stage(config)
        .process([line.as_str()])
        .unwrap()
        .remove(0)
        .bytes;
    assert_eq!(want, "2024-10-10T13:55:36.1234567…".as_bytes());
    for size in 1..line.len() {
        let mut s = stage(config);
        let (joined, last) = in_pieces(&mut s, Input::new(&line).field("stream", "stdout"), size);
        assert_eq!(joined, want, "pieces of {size}");
        assert_eq!(
            last.field_str("truncated"),
            Some("_line"),
            "pieces of {size}"
        );
        assert_eq!(last.field_str("stream"), Some("stdout"));
        // The next line starts afresh.
        let next = s.process(["a short one"]).unwrap();
        assert!(!next[0].rewritten);
    }
}

#[test]
fn pieces_of_a_line_within_the_limit_come_out_whole() {
    let line = "ts=2024-10-10T13:55:36Z level=info msg=\"séance €12 😀 done\"";
    for size in 1..line.len() {
        for limit in [line.len(), line.len() + 1, line.len() + 100] {
            let mut s = stage(&format!(r#"{{"limit": {limit}, "truncated_field": "t"}}"#));
            let (joined, last) = in_pieces(&mut s, Input::new(line), size);
            assert_eq!(joined, line.as_bytes(), "limit {limit}, pieces of {size}");
            assert_eq!(last.field("t"), None);
        }
    }
    // Pieces before the held zone pass through without a copy; after the cut, empty pieces.
    let mut s = stage(r#"{"limit": 10, "suffix": ""}"#);
    let out = s
        .process([
            Input::new("0123").partial(),
            Input::new("456789abc").partial(),
            Input::new("def").partial(),
            Input::new("ghi"),
        ])
        .unwrap();
    assert!(!out[0].rewritten);
    assert_eq!(texts(&out), ["0123", "456789", "", ""]);
}

#[test]
fn reports_counts_only_when_asked() {
    let mut s = stage(r#"{"limit": 4, "line": true, "fields": ["msg"]}"#);
    s.process(["abcdef", "ab"]).unwrap();
    s.finish().unwrap();
    assert!(s.reports().is_empty());
    let mut s = stage(r#"{"limit": 4, "line": true, "fields": ["msg"], "report": "stderr"}"#);
    s.process([
        Input::new("abcdef").field("msg", "abcdef"),
        Input::new("ab").field("msg", "abcdefgh"),
        Input::new("long ").partial(),
        Input::new("line"),
    ])
    .unwrap();
    s.finish().unwrap();
    assert_eq!(
        String::from_utf8(s.reports()[0].clone()).unwrap(),
        "truncated_total{source=\"_line\"} 2\ntruncated_total{source=\"msg\"} 2\n"
    );
}

#[test]
fn limits_accept_sizes() {
    let out = stage(r#"{"limit": "1KiB", "suffix": ""}"#)
        .process(["x".repeat(2000).as_str()])
        .unwrap();
    assert_eq!(out[0].bytes.len(), 1024);
    let out = stage(r#"{"limit": "1KB", "suffix": ""}"#)
        .process(["x".repeat(2000).as_str()])
        .unwrap();
    assert_eq!(out[0].bytes.len(), 1000);
}

#[test]
fn config_errors_name_the_key() {
    let e = config_error::<Truncate>("{}");
    assert_eq!(e.key.as_deref(), Some("limit"));
    assert!(e.message.contains("required"));
    let e = config_error::<Truncate>(r#"{"limit": 0}"#);
    assert_eq!(e.key.as_deref(), Some("limit"));
    assert_eq!(e.message, "must be at least 1 byte");
    let e = config_error::<Truncate>(r#"{"limit": -5}"#);
    assert_eq!(e.key.as_deref(), Some("limit"));
    assert!(e.message.contains("or a size such as \"8KiB\""));
    let e = config_error::<Truncate>(r#"{"limit": "lots"}"#);
    assert_eq!(e.key.as_deref(), Some("limit"));
    assert!(e.message.contains("not a size"));
    let e = config_error::<Truncate>(r#"{"limit": 2}"#);
    assert_eq!(e.key.as_deref(), Some("suffix"), "the default … is 3 bytes");
    assert!(e.message.contains("longer than the limit of 2"));
    let e = config_error::<Truncate>(r#"{"limit": 10, "line": false}"#);
    assert_eq!(e.key.as_deref(), Some("line"));
    let e = config_error::<Truncate>(r#"{"limit": 10, "fields": "msg"}"#);
    assert_eq!(e.key.as_deref(), Some("fields"));
    let e =
        config_error::<Truncate>(r#"{"limit": 10, "fields": ["msg"], "truncated_field": "msg"}"#);
    assert_eq!(e.key.as_deref(), Some("truncated_field"));
    let e = config_error::<Truncate>(r#"{"limit": 10, "sufix": ""}"#);
    assert_eq!(e.key.as_deref(), Some("sufix"));
    assert!(e.message.contains("did you mean \"suffix\""));
}
