use super::*;
use sluice_plugin_sdk::Kind;
use sluice_plugin_sdk::testing::{Emitted, Harness, Input, config_error, describe};

fn stage(config: &str) -> Harness<Grep> {
    Harness::new(config).unwrap()
}

fn texts(lines: &[Emitted]) -> Vec<String> {
    lines.iter().map(Emitted::text).collect()
}

fn k8s(n: i64, text: &str) -> Input {
    Input::new(text)
        .field("pod", format!("api-{n}"))
        .timestamp(n)
}

#[test]
fn context_from_earlier_batches_goes_out_detached_with_fields_and_timestamps() {
    let mut s = stage(r#"{"expression": "ERROR", "before": 2}"#);
    let out = s
        .process([
            k8s(1, "level=info msg=a"),
            k8s(2, "level=info msg=b"),
            k8s(3, "level=info msg=c"),
        ])
        .unwrap();
    assert!(out.is_empty());
    let out = s
        .process([k8s(4, "level=info msg=d"), k8s(5, "level=ERROR msg=boom")])
        .unwrap();
    assert_eq!(
        texts(&out),
        [
            "level=info msg=c",
            "level=info msg=d",
            "level=ERROR msg=boom"
        ]
    );
    // The held line sits before the first pending line of the batch; the others pass as is.
    assert_eq!((out[0].source, out[0].detached), (Some(0), true));
    assert_eq!(out[0].field_str("pod"), Some("api-3"));
    assert_eq!(out[0].timestamp, Some(3));
    assert!(!out[1].rewritten && !out[2].rewritten);
    assert_eq!(out[1].field_str("pod"), Some("api-4"));
    assert_eq!(out[2].timestamp, Some(5));
}

#[test]
fn separator_between_batches_sits_before_the_held_context() {
    let mut s = stage(r#"{"expression": "ERROR", "context": 1}"#);
    let out = s.process(["ERROR one", "ok", "ok", "ok"]).unwrap();
    assert_eq!(texts(&out), ["ERROR one", "ok"]);
    let out = s.process(["ERROR two"]).unwrap();
    assert_eq!(texts(&out), ["--", "ok", "ERROR two"]);
    assert!(out[0].detached && out[0].fields.is_empty());
    assert_eq!(out[0].source, Some(0));
    // Touching groups: no separator.
    let out = s.process(["ok", "ERROR three"]).unwrap();
    assert_eq!(texts(&out), ["ok", "ERROR three"]);
}

#[test]
fn pieces_follow_their_first_piece_and_count_as_one_line() {
    let mut s = stage(r#"{"expression": "^ERROR", "after": 1}"#);
    let out = s
        .process([
            Input::new("ERROR dump: {\"a\":").partial(),
            Input::new("\"AAAA").partial(),
            Input::new("\"}").field("len", "70000"),
            Input::new("INFO one line of context"),
            Input::new("INFO dropped"),
            Input::new("INFO big: ERROR later").partial(),
            Input::new("ERROR in a middle piece").partial(),
            Input::new("end"),
        ])
        .unwrap();
    assert_eq!(
        texts(&out),
        [
            "ERROR dump: {\"a\":",
            "\"AAAA",
            "\"}",
            "INFO one line of context"
        ]
    );
    assert!(out.iter().all(|l| !l.rewritten));
    assert_eq!(out[2].field_str("len"), Some("70000"));
    // An over-long line of after-context counts as one line, with all its pieces.
    let out = s
        .process([
            Input::new("ERROR again"),
            Input::new("piece 1 ").partial(),
            Input::new("piece 2 ").partial(),
        ])
        .unwrap();
    assert_eq!(texts(&out), ["--", "ERROR again", "piece 1 ", "piece 2 "]);
    let out = s.process(["last piece", "INFO not context"]).unwrap();
    assert_eq!(texts(&out), ["last piece"]);
}

#[test]
fn a_held_over_long_line_goes_out_whole_with_its_last_pieces_fields() {
    let mut s = stage(r#"{"expression": "ERROR", "before": 1}"#);
    s.process([Input::new("{\"blob\":\"").partial()]).unwrap();
    s.process([Input::new("xxxx").partial()]).unwrap();
    let out = s
        .process([
            Input::new("\"}").field("kind", "blob").timestamp(7),
            Input::new("ERROR after the blob"),
        ])
        .unwrap();
    assert_eq!(texts(&out), ["{\"blob\":\"xxxx\"}", "ERROR after the blob"]);
    assert!(out[0].detached);
    assert_eq!(out[0].source, Some(1));
    assert_eq!(out[0].field_str("kind"), Some("blob"));
    assert_eq!(out[0].timestamp, Some(7));
    // Pending pieces of the current batch pass through as pieces.
    let out = s
        .process([
            Input::new("a").partial(),
            Input::new("b"),
            Input::new("ERROR x"),
        ])
        .unwrap();
    assert_eq!(texts(&out), ["a", "b", "ERROR x"]);
    assert!(out.iter().all(|l| !l.rewritten));
}

#[test]
fn max_bytes_lets_the_oldest_held_lines_go_and_the_gap_is_marked() {
    let config = r#"{"expression": "ERROR", "before": 3, "max_bytes": 12}"#;
    let mut s = stage(config);
    s.process(["ERROR first", "1234567", "abcdef", "ghijk"])
        .unwrap();
    let out = s.process(["ERROR second"]).unwrap();
    // "1234567" + "abcdef" + "ghijk" is 18 bytes: the oldest goes. GNU grep would print all
    // three, touching the first group; here the gap is marked.
    assert_eq!(texts(&out), ["--", "abcdef", "ghijk", "ERROR second"]);
    // A held over-long line that passes max_bytes is let go whole.
    let mut s = stage(config);
    s.process(["ERROR first", "ok"]).unwrap();
    s.process([Input::new("0123456789").partial()]).unwrap();
    s.process([Input::new("0123456789").partial()]).unwrap();
    let out = s.process(["end of it", "ERROR second"]).unwrap();
    assert_eq!(texts(&out), ["--", "ERROR second"]);
    // Lines of the current batch are not copied, so max_bytes does not apply to them.
    let mut s = stage(config);
    let out = s
        .process(["x", "0123456789abcdef", "0123456789abcdef", "ERROR x"])
        .unwrap();
    assert_eq!(out.len(), 4);
}

#[test]
fn selection_stops_at_max_count_even_across_batches() {
    let mut s = stage(r#"{"expression": "ERROR", "max_count": 2, "after": 1}"#);
    let out = s.process(["ERROR 1", "ok", "ok", "ERROR 2"]).unwrap();
    assert_eq!(texts(&out), ["ERROR 1", "ok", "--", "ERROR 2"]);
    let out = s
        .process([Input::new("ERROR 3 as context").partial(), Input::new("!")])
        .unwrap();
    assert_eq!(texts(&out), ["ERROR 3 as context", "!"]);
    assert!(s.process(["ERROR 4", "ok"]).unwrap().is_empty());
    assert!(s.finish().unwrap().is_empty());
}

#[test]
fn bytes_that_are_not_utf8_nul_and_empty_lines() {
    let mut s = stage(r#"{"expression": "^$|caf\\w", "context": 1}"#);
    let out = s
        .process([
            Input::new(b"\xff\xfe header"),
            Input::new(b"caf\xe9"),
            Input::new(b"caf\xc3\xa9 \x00 ok"),
            Input::new(b"\x00"),
            Input::new(b"x\ry"),
            Input::new(b""),
            Input::new(b"tail"),
        ])
        .unwrap();
    // `\w` matches UTF-8 "é" but not the byte 0xE9.
    let bytes: Vec<&[u8]> = out.iter().map(|l| l.bytes.as_slice()).collect();
    assert_eq!(
        bytes,
        [
            &b"caf\xe9"[..],
            b"caf\xc3\xa9 \x00 ok",
            b"\x00",
            b"x\ry",
            b"",
            b"tail"
        ]
    );
}

#[test]
fn invert_with_context() {
    let mut s = stage(r#"{"expression": "GET /healthz", "invert": true, "before": 1}"#);
    let out = s
        .process([
            "GET /healthz 200",
            "GET /healthz 200",
            "POST /api/orders 500",
            "GET /healthz 200",
        ])
        .unwrap();
    assert_eq!(texts(&out), ["GET /healthz 200", "POST /api/orders 500"]);
}

#[test]
fn config_errors_name_the_key() {
    let e = config_error::<Grep>("{}");
    assert_eq!(
        (e.key.as_deref(), &*e.message),
        (Some("expression"), "is required (a string)")
    );
    let e = config_error::<Grep>(r#"{"expression": "a(b"}"#);
    assert_eq!(e.key.as_deref(), Some("expression"));
    assert!(e.message.starts_with("not a valid regex"), "{}", e.message);
    for key in ["before", "after", "context", "max_count", "max_bytes"] {
        let e = config_error::<Grep>(&format!(r#"{{"expression": "a", "{key}": -1}}"#));
        assert_eq!(e.key.as_deref(), Some(key));
        assert!(e.message.contains("non-negative integer"), "{}", e.message);
    }
    let e = config_error::<Grep>(r#"{"expression": "a", "max_bytes": 0}"#);
    assert_eq!(e.key.as_deref(), Some("max_bytes"));
    let e = config_error::<Grep>(r#"{"expression": "a", "invert": "yes"}"#);
    assert_eq!(e.key.as_deref(), Some("invert"));
    let e = config_error::<Grep>(r#"{"expression": "a", "separator": 3}"#);
    assert_eq!(e.key.as_deref(), Some("separator"));
    assert_eq!(
        e.message,
        "expected a string, got a number, or null for no separator"
    );
    let e = config_error::<Grep>(r#"{"expression": "a", "A": 3}"#);
    assert_eq!(e.key.as_deref(), Some("A"));
}

#[test]
fn describe_lists_the_keys() {
    let info = describe::<Grep>();
    assert_eq!(info.name, "grep");
    assert!(!info.boundary_safe);
    let names: Vec<_> = info.config_keys.iter().map(|k| k.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "expression",
            "before",
            "after",
            "context",
            "invert",
            "max_count",
            "separator",
            "max_bytes"
        ]
    );
}

/// Context held past its batch goes out with its own terminator, not that of the line after
/// it, and the separator ends in `\n` as GNU grep's does.
#[test]
fn held_context_keeps_its_terminator_and_the_separator_ends_in_a_newline() {
    use sluice_plugin_sdk::Terminator;
    let mut s = stage(r#"{"expression": "M", "before": 1}"#);
    let input = |text: &str, t| Input::new(text).terminator(t);
    s.process([
        input("M1", Terminator::Lf),
        input("x", Terminator::Lf),
        input("y", Terminator::Lf),
        input("d", Terminator::CrLf),
    ])
    .unwrap();
    let out = s.process([input("M", Terminator::None)]).unwrap();
    let written: Vec<Vec<u8>> = out.iter().map(Emitted::written).collect();
    assert_eq!(
        written,
        [b"--\n".to_vec(), b"d\r\n".to_vec(), b"M".to_vec()]
    );
}

#[test]
fn held_context_keeps_the_kinds_of_its_fields() {
    let typed =
        |n: i64, text: &str| Input::new(text).typed_field("n", n.to_string(), Kind::Integer);
    let mut s = stage(r#"{"expression": "ERROR", "before": 1}"#);
    assert!(s.process([typed(1, "ok")]).unwrap().is_empty());
    let out = s.process([typed(2, "ERROR")]).unwrap();
    assert_eq!(texts(&out), ["ok", "ERROR"]);
    assert!(out[0].detached, "the held line is given its fields back");
    assert_eq!(out[0].kinds, [("n".to_owned(), Kind::Integer)]);
}
