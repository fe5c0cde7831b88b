//! Tests of the whole stage on realistic logfmt lines, run natively with the SDK's harness.

use super::*;
use sluice_plugin_sdk::testing::{Emitted, Harness, Input, config_error, describe};

const GO_APP: &str = r#"ts=2024-10-10T13:55:38.123Z caller=db.go:117 level=warn msg="retrying \"orders\" query" attempt=3 err="dial tcp 10.0.0.7:5432: i/o timeout" dry_run empty="""#;
const HEROKU: &str = r#"at=info method=GET path="/api/v1/users?id=42" host=api.example.com request_id=8601b555 fwd="203.0.113.7" dyno=web.1 connect=1ms service=18ms status=200 bytes=2326"#;

fn stage(config: &str) -> Harness<Logfmt> {
    Harness::new(config).unwrap()
}

fn fields(line: &Emitted) -> Vec<(String, String)> {
    line.fields
        .iter()
        .map(|(k, v)| (k.clone(), String::from_utf8_lossy(v).into_owned()))
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|&(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

#[test]
fn every_pair_becomes_a_field() {
    let out = stage("{}").process([GO_APP]).unwrap();
    assert_eq!(out.len(), 1);
    assert!(!out[0].rewritten, "the line passes unchanged");
    assert_eq!(
        fields(&out[0]),
        pairs(&[
            ("ts", "2024-10-10T13:55:38.123Z"),
            ("caller", "db.go:117"),
            ("level", "warn"),
            ("msg", "retrying \"orders\" query"),
            ("attempt", "3"),
            ("err", "dial tcp 10.0.0.7:5432: i/o timeout"),
            ("dry_run", ""),
            ("empty", ""),
        ])
    );
}

#[test]
fn mapping_picks_and_renames() {
    let mut s = stage(
        r#"{"mapping": {"status": "", "code": "status", "route": "path", "absent": "nope"}}"#,
    );
    let out = s.process([HEROKU, "no pairs at all here", ""]).unwrap();
    assert_eq!(
        fields(&out[0]),
        pairs(&[
            ("route", "/api/v1/users?id=42"),
            ("status", "200"),
            ("code", "200")
        ]),
        "in the line's order; one key may feed two fields (in the mapping's order)"
    );
    // "no pairs at all here" is four bare keys, none mapped.
    assert_eq!(fields(&out[1]), []);
    assert_eq!(fields(&out[2]), []);
}

#[test]
fn bare_words_are_keys_with_empty_values() {
    let out = stage("{}").process(["GET /health 200"]).unwrap();
    assert_eq!(
        fields(&out[0]),
        pairs(&[("GET", ""), ("/health", ""), ("200", "")])
    );
}

#[test]
fn unquoted_values_may_hold_equals_and_quotes() {
    let out = stage("{}")
        .process([r#"url=/search?q=a=b&x="y" next=1"#])
        .unwrap();
    assert_eq!(
        fields(&out[0]),
        pairs(&[("url", r#"/search?q=a=b&x="y""#), ("next", "1")])
    );
}

#[test]
fn malformed_parts_are_skipped() {
    let out = stage("{}")
        .process([
            r#"level=error "stray quote" =lonely ="quoted junk" key"glued" ok=1 msg="never closed"#,
            "=",
            r#"""#,
            r#"a="x"trailing b=2"#,
        ])
        .unwrap();
    assert_eq!(fields(&out[0]), pairs(&[("level", "error"), ("ok", "1")]));
    assert_eq!(fields(&out[1]), []);
    assert_eq!(fields(&out[2]), []);
    assert_eq!(fields(&out[3]), pairs(&[("a", "x"), ("b", "2")]));
}

#[test]
fn later_duplicate_keys_win() {
    let out = stage("{}").process(["level=info level=error"]).unwrap();
    assert_eq!(fields(&out[0]), pairs(&[("level", "error")]));
}

#[test]
fn bytes_that_are_not_utf8_nul_and_carriage_returns() {
    let out = stage("{}")
        .process([
            Input::new(b"user=b\xffb k\xfe=1 msg=\"caf\xe9\" ok=yes"),
            Input::new(b"a=1\x00b=2\rc=3\r"),
            Input::new(b"msg=\"nul \\u0000 and raw \x00 inside\""),
        ])
        .unwrap();
    assert_eq!(
        out[0].field("user"),
        Some(&b"b\xffb"[..]),
        "values are bytes"
    );
    assert_eq!(out[0].field("msg"), Some(&b"caf\xe9"[..]));
    assert_eq!(out[0].field_str("ok"), Some("yes"));
    assert_eq!(out[0].fields.len(), 3, "a key that is not UTF-8 is skipped");
    assert_eq!(out[0].bytes, b"user=b\xffb k\xfe=1 msg=\"caf\xe9\" ok=yes");
    assert_eq!(
        fields(&out[1]),
        pairs(&[("a", "1"), ("b", "2"), ("c", "3")]),
        "NUL and a lone \\r separate pairs"
    );
    assert_eq!(out[2].field("msg"), Some(&b"nul \0 and raw \0 inside"[..]));
}

#[test]
fn source_field_instead_of_the_line() {
    let mut s = stage(r#"{"source": "log", "mapping": {"level": ""}}"#);
    let out = s
        .process([
            Input::new("2024-10-10T13:55:36Z stderr F level=error msg=boom")
                .field("log", "level=error msg=boom"),
            Input::new("level=info but no log field"),
        ])
        .unwrap();
    assert_eq!(out[0].field_str("level"), Some("error"));
    assert_eq!(out[0].field_str("log"), Some("level=error msg=boom"));
    assert_eq!(out[1].field_str("level"), None);
}

#[test]
fn pieces_of_an_over_long_line_pass_unharmed_with_the_first_pieces_pairs() {
    let mut s = stage("{}");
    let out = s
        .process([
            Input::new("level=warn msg=\"complete\" user=ali").partial(),
            Input::new("ce path=/never/parsed").partial(),
        ])
        .unwrap();
    assert_eq!(out.len(), 2);
    assert!(out.iter().all(|l| !l.rewritten && l.fields.is_empty()));
    let out = s
        .process([Input::new(" status=200"), Input::new("next=1")])
        .unwrap();
    assert_eq!(out[0].text(), " status=200");
    assert_eq!(
        fields(&out[0]),
        pairs(&[("level", "warn"), ("msg", "complete")]),
        "the pair cut at the piece's end (user=ali|ce) is left out"
    );
    assert_eq!(fields(&out[1]), pairs(&[("next", "1")]));
    // A quoted value that ends the first piece is whole.
    let out = stage("{}")
        .process([Input::new("a=1 b=\"x y\"").partial(), Input::new("c=3")])
        .unwrap();
    assert_eq!(fields(&out[1]), pairs(&[("a", "1"), ("b", "x y")]));
}

#[test]
fn over_long_line_with_source_reads_the_last_piece() {
    let mut s = stage(r#"{"source": "msg"}"#);
    let out = s
        .process([
            Input::new("x=1 ").partial(),
            Input::new("y=2").field("msg", "z=3"),
        ])
        .unwrap();
    assert_eq!(fields(&out[0]), []);
    assert_eq!(fields(&out[1]), pairs(&[("msg", "z=3"), ("z", "3")]));
}

#[test]
fn never_panics_on_arbitrary_bytes() {
    let alphabet = b"ab=\" \\\t\x00\xffu0d8";
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut s = stage("{}");
    for _ in 0..5000 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let len = (state % 24) as usize;
        let line: Vec<u8> = (0..len)
            .map(|i| alphabet[((state >> (i * 2 % 60)) % alphabet.len() as u64) as usize])
            .collect();
        let out = s.process([Input::new(&line)]).unwrap();
        assert_eq!(out[0].bytes, line);
        for (key, _) in &out[0].fields {
            assert!(!key.is_empty() && !key.contains(['=', '"', ' ']), "{key:?}");
        }
    }
}

#[test]
fn config_errors_name_the_key() {
    let cases = [
        (r#"{"mapping": {}}"#, "mapping", "is empty"),
        (r#"{"mapping": {"": "lvl"}}"#, "mapping", "empty field name"),
        (r#"{"mapping": {"a": "b c"}}"#, "mapping", "can never match"),
        (r#"{"mapping": {"a=b": ""}}"#, "mapping", "can never match"),
        (r#"{"mapping": {"a": 1}}"#, "mapping", "string values"),
        (r#"{"mapping": ["level"]}"#, "mapping", "an object"),
        (r#"{"source": 3}"#, "source", "a string"),
        (r#"{"source": ""}"#, "source", "is empty"),
        (r#"{"maping": {}}"#, "maping", "did you mean \"mapping\""),
    ];
    for (config, key, says) in cases {
        let e = config_error::<Logfmt>(config);
        assert_eq!(e.key.as_deref(), Some(key), "{config}");
        assert!(e.message.contains(says), "{config}: {}", e.message);
    }
}

#[test]
fn describes_its_keys() {
    let info = describe::<Logfmt>();
    assert_eq!(info.name, "logfmt");
    let names: Vec<&str> = info.config_keys.iter().map(|k| k.name.as_str()).collect();
    assert_eq!(names, ["mapping", "source", "typed"]);
}

#[test]
fn unquoted_numbers_and_booleans_are_typed_quoted_values_are_text() {
    let line = r#"attempt=3 ratio=0.25 big=1e3 neg=-12 ok=true no=false quoted="3" zip=02134 ver=1.2.3 huge=99999999999999999999 empty= bare True=True"#;
    let out = stage("{}").process([line]).unwrap();
    let kinds: Vec<(&str, Kind)> = out[0]
        .fields
        .iter()
        .map(|(k, _)| (k.as_str(), out[0].kind(k)))
        .collect();
    assert_eq!(
        kinds,
        [
            ("attempt", Kind::Integer),
            ("ratio", Kind::Number),
            ("big", Kind::Number),
            ("neg", Kind::Integer),
            ("ok", Kind::Boolean),
            ("no", Kind::Boolean),
            ("quoted", Kind::Text),
            ("zip", Kind::Text),
            ("ver", Kind::Text),
            ("huge", Kind::Number),
            ("empty", Kind::Text),
            ("bare", Kind::Text),
            ("True", Kind::Text),
        ]
    );
    let untyped = stage(r#"{"typed": false}"#).process([line]).unwrap();
    assert!(untyped[0].kinds.is_empty(), "{:?}", untyped[0].kinds);
    assert_eq!(
        untyped[0].fields, out[0].fields,
        "the values are the same bytes"
    );
    // Kinds follow renames, and the held fields of an over-long line.
    let mapped = stage(r#"{"mapping": {"n": "attempt"}}"#)
        .process([line])
        .unwrap();
    assert_eq!(mapped[0].kind("n"), Kind::Integer);
    let pieces = stage("{}")
        .process([Input::new("n=5 ok=true pad").partial(), Input::new("ding")])
        .unwrap();
    assert_eq!(
        (pieces[1].kind("n"), pieces[1].kind("ok")),
        (Kind::Integer, Kind::Boolean)
    );
}
