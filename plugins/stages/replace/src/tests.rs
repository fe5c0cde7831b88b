//! Tests of the whole stage, run natively with the SDK's harness.

use super::*;
use sluice_plugin_sdk::testing::{Emitted, Harness, Input, config_error, describe};

const NGINX: &str = r#"203.0.113.7 - - [10/Oct/2024:13:55:36 +0000] "GET /api/v1/users?id=42 HTTP/1.1" 200 2326 "-" "curl/8.5.0""#;

fn stage(config: &str) -> Harness<Replace> {
    Harness::new(config).unwrap()
}

fn texts(out: &[Emitted]) -> Vec<String> {
    out.iter().map(Emitted::text).collect()
}

#[test]
fn describes_itself() {
    let info = describe::<Replace>();
    assert_eq!(info.name, "replace");
    assert!(!info.boundary_safe);
    let keys: Vec<_> = info.config_keys.iter().map(|k| k.name.as_str()).collect();
    assert_eq!(keys, ["expression", "replace", "limit", "source"]);
}

#[test]
fn groups_are_inserted_and_lines_without_a_match_pass_untouched() {
    let mut s =
        stage(r#"{"expression": "^(\\d+)\\.(\\d+)\\.\\d+\\.\\d+ ", "replace": "$1.$2.0.0 "}"#);
    let out = s
        .process([
            Input::new(NGINX).field("vhost", "api"),
            Input::new("no address here"),
        ])
        .unwrap();
    assert!(out[0].text().starts_with("203.0.0.0 - - [10/Oct/2024"));
    assert!(out[0].rewritten);
    assert_eq!(out[0].field_str("vhost"), Some("api"));
    assert!(
        !out[1].rewritten,
        "a line without a match is passed through"
    );
}

#[test]
fn named_groups_braces_and_dollars() {
    let mut s = stage(
        r#"{"expression": "user=(?P<user>\\w+) amount=(?P<amount>\\d+)", "replace": "amount=$$${amount}.00 user=${user}_x"}"#,
    );
    let out = s.process(["ts=1 user=bob amount=12 ok"]).unwrap();
    assert_eq!(out[0].text(), "ts=1 amount=$12.00 user=bob_x ok");
    // `${1}a` is group 1 then `a`; `$0` is the whole match.
    let mut s = stage(r#"{"expression": "(\\d+)ms", "replace": "${1}a[$0]"}"#);
    assert_eq!(
        s.process(["took 250ms"]).unwrap()[0].text(),
        "took 250a[250ms]"
    );
    // A group that did not take part inserts nothing.
    let mut s = stage(r#"{"expression": "(x)?y", "replace": "<$1>"}"#);
    assert_eq!(s.process(["y xy"]).unwrap()[0].text(), "<> <x>");
}

#[test]
fn by_default_matches_are_deleted() {
    let mut s = stage(r#"{"expression": "\\x1b\\[[0-9;]*m"}"#);
    let out = s.process(["\x1b[32mINFO\x1b[0m started"]).unwrap();
    assert_eq!(out[0].text(), "INFO started");
}

#[test]
fn limit_counts_matches_per_line() {
    let mut s = stage(r##"{"expression": "\\d", "replace": "#", "limit": 2}"##);
    let out = s.process(["card 4111 exp 12/25", "a1", "none"]).unwrap();
    assert_eq!(texts(&out), ["card ##11 exp 12/25", "a#", "none"]);
    let mut s = stage(r##"{"expression": "\\d", "replace": "#", "limit": 0}"##);
    assert_eq!(s.process(["4111"]).unwrap()[0].text(), "####");
}

#[test]
fn source_field_is_replaced_and_the_line_kept() {
    let mut s = stage(
        r#"{"expression": "[\\w.+-]+@([\\w-]+\\.)+\\w+", "replace": "<email>", "source": "msg"}"#,
    );
    let line = r#"{"level":"INFO","msg":"sent to ann@example.com and bo@mail.example.org"}"#;
    let out = s
        .process([
            Input::new(line).field("msg", "sent to ann@example.com and bo@mail.example.org"),
            Input::new("no field, ann@example.com stays"),
            Input::new("x").field("msg", "nothing to hide"),
        ])
        .unwrap();
    assert_eq!(out[0].text(), line, "the line itself is not changed");
    assert!(!out[0].rewritten);
    assert_eq!(out[0].field_str("msg"), Some("sent to <email> and <email>"));
    assert_eq!(out[1].text(), "no field, ann@example.com stays");
    assert!(out[1].fields.is_empty());
    assert_eq!(out[2].field_str("msg"), Some("nothing to hide"));
}

#[test]
fn odd_bytes_nul_empty_lines_and_carriage_returns() {
    let mut s = stage(r#"{"expression": "(?-u:[\\x80-\\xff]+)", "replace": "?"}"#);
    let out = s
        .process([
            Input::new(b"caf\xe9 \xff\xfe ok"),
            Input::new(b"nul\0byte"),
            Input::new(""),
        ])
        .unwrap();
    assert_eq!(out[0].bytes, b"caf? ? ok");
    assert_eq!(out[1].bytes, b"nul\0byte");
    assert!(!out[1].rewritten);
    assert_eq!(out[2].bytes, b"");
    // Unicode classes match UTF-8 text and leave other bytes alone.
    let mut s = stage(r#"{"expression": "\\w+", "replace": "w"}"#);
    assert_eq!(
        s.process([Input::new(b"\xffcaf\xc3\xa9\x00")]).unwrap()[0].bytes,
        b"\xffw\x00"
    );
    // NUL and lone `\r` can be matched like any byte; an empty line can match too.
    let mut s = stage(r#"{"expression": "\\x00|\\r", "replace": " "}"#);
    assert_eq!(s.process(["a\0b\rc"]).unwrap()[0].text(), "a b c");
    let mut s = stage(r#"{"expression": "^$", "replace": "(empty)"}"#);
    assert_eq!(texts(&s.process(["", "x"]).unwrap()), ["(empty)", "x"]);
}

#[test]
fn pieces_of_an_over_long_line_are_replaced_piece_by_piece() {
    let mut s = stage(r#"{"expression": "secret=\\w+", "replace": "secret=***", "limit": 3}"#);
    let out = s
        .process([
            Input::new("a secret=one b secret=two c secr").partial(),
            Input::new("et=cut d secret=three e").partial(),
            Input::new("secret=four").field("k", "v"),
            Input::new("secret=five secret=six"),
        ])
        .unwrap();
    assert_eq!(
        texts(&out),
        [
            "a secret=*** b secret=*** c secr",
            // The match cut by the piece boundary is not found; the limit of 3 per line is
            // shared by the pieces.
            "et=cut d secret=*** e",
            "secret=four",
            "secret=*** secret=***",
        ]
    );
    assert_eq!(out[2].field_str("k"), Some("v"));
    assert!(!out[2].rewritten);
}

#[test]
fn config_errors_name_the_key() {
    let e = config_error::<Replace>("{}");
    assert_eq!(e.key.as_deref(), Some("expression"));
    assert_eq!(e.message, "is required (a string)");
    let e = config_error::<Replace>(r#"{"expression": "(a"}"#);
    assert_eq!(e.key.as_deref(), Some("expression"));
    assert!(e.message.starts_with("not a valid regex"));
    assert!(!e.message.contains('\n'));
    let e = config_error::<Replace>(r#"{"expression": "(\\d+)", "replace": "$1a"}"#);
    assert_eq!(e.key.as_deref(), Some("replace"));
    assert!(e.message.contains("write ${1}a"), "{}", e.message);
    let e = config_error::<Replace>(r#"{"expression": "(\\d+)", "replace": "$2"}"#);
    assert_eq!(e.key.as_deref(), Some("replace"));
    assert_eq!(
        e.message,
        "refers to group 2, but the expression has 1 group besides $0"
    );
    let e = config_error::<Replace>(r#"{"expression": "(?P<u>x)", "replace": "${user}"}"#);
    assert_eq!(e.key.as_deref(), Some("replace"));
    let e = config_error::<Replace>(r#"{"expression": "x", "limit": -1}"#);
    assert_eq!(e.key.as_deref(), Some("limit"));
    let e = config_error::<Replace>(r#"{"expression": "x", "source": ["a"]}"#);
    assert_eq!(e.key.as_deref(), Some("source"));
    let e = config_error::<Replace>(r#"{"expression": "x", "replce": "y"}"#);
    assert_eq!(e.key.as_deref(), Some("replce"));
    assert!(
        e.message.contains("did you mean \"replace\""),
        "{}",
        e.message
    );
}
