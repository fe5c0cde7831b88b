//! Tests of the whole stage on realistic log lines, run natively with the SDK's harness.

use super::*;
use sluice_plugin_sdk::testing::{Emitted, Harness, Input, config_error, describe};

const NGINX: &str = r#"<ip> - - [<_>] \"<method> <path> <_>\" <status> <_>"#;
const NGINX_LINE: &str = r#"203.0.113.7 - - [10/Oct/2024:13:55:36 +0000] "GET /api/v1/users?id=42 HTTP/1.1" 200 2326 "-" "curl/8.5.0""#;

fn stage(pattern: &str) -> Harness<PatternStage> {
    Harness::new(&format!(r#"{{"pattern": "{pattern}"}}"#)).unwrap()
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

fn report(stage: &mut Harness<PatternStage>) -> Option<String> {
    stage.finish().unwrap();
    stage
        .reports()
        .last()
        .map(|r| String::from_utf8(r.clone()).unwrap())
}

#[test]
fn extracts_nginx_access_log_fields() {
    let mut s = stage(NGINX);
    let out = s.process([NGINX_LINE]).unwrap();
    assert_eq!(out.len(), 1);
    assert!(!out[0].rewritten, "the line passes unchanged");
    assert_eq!(
        fields(&out[0]),
        pairs(&[
            ("ip", "203.0.113.7"),
            ("method", "GET"),
            ("path", "/api/v1/users?id=42"),
            ("status", "200"),
        ])
    );
    assert_eq!(report(&mut s), None, "no report when every line matched");
}

#[test]
fn lines_that_do_not_match_pass_without_fields_and_are_reported() {
    let mut s = stage(NGINX);
    let lines = [
        NGINX_LINE,
        "2024/10/10 13:55:36 [error] 31#31: *1 connect() failed",
        "",
        r#"198.51.100.2 - - [10/Oct/2024:13:55:37 +0000] "POST /login HTTP/2.0" 302 0"#,
    ];
    let out = s.process(lines).unwrap();
    let texts: Vec<String> = out.iter().map(Emitted::text).collect();
    assert_eq!(texts, lines, "every line passes, unchanged");
    assert!(out[1].fields.is_empty() && out[2].fields.is_empty());
    assert_eq!(out[3].field_str("method"), Some("POST"));
    assert_eq!(out[3].field_str("status"), Some("302"));
    assert_eq!(
        report(&mut s).as_deref(),
        Some("2 of 4 lines did not match and passed unchanged\n")
    );
}

#[test]
fn captures_end_at_the_next_literal_and_the_last_takes_the_rest() {
    let mut s = stage("<ts> <level> <msg>");
    let out = s
        .process(["2024-10-10T13:55:36Z WARN disk almost full: 91% used"])
        .unwrap();
    assert_eq!(
        fields(&out[0]),
        pairs(&[
            ("ts", "2024-10-10T13:55:36Z"),
            ("level", "WARN"),
            ("msg", "disk almost full: 91% used"),
        ])
    );
    // A trailing literal ends the match; what follows it is ignored.
    let mut s = stage("level=<level> ");
    let out = s.process(["level=info msg=ok", "level=info"]).unwrap();
    assert_eq!(fields(&out[0]), pairs(&[("level", "info")]));
    assert!(out[1].fields.is_empty(), "the trailing space is missing");
}

#[test]
fn skips_with_underscore_and_matches_java_traces() {
    let mut s = stage(r"\tat <method>(<file>:<line>)");
    let out = s
        .process([
            "\tat com.example.OrderService.place(OrderService.java:88)",
            "java.lang.IllegalStateException: boom",
            "\tat java.base/java.lang.Thread.run(Unknown Source)",
        ])
        .unwrap();
    assert_eq!(
        fields(&out[0]),
        pairs(&[
            ("method", "com.example.OrderService.place"),
            ("file", "OrderService.java"),
            ("line", "88"),
        ])
    );
    assert!(out[1].fields.is_empty());
    assert!(out[2].fields.is_empty(), "no ':' inside the parentheses");
    let mut s = stage("<_> user=<user> <_>");
    let out = s.process(["ts=1 user=bob ip=1.2.3.4"]).unwrap();
    assert_eq!(fields(&out[0]), pairs(&[("user", "bob")]));
}

#[test]
fn source_field_instead_of_the_line() {
    let mut s =
        Harness::<PatternStage>::new(r#"{"pattern": "<method> <path>", "source": "request"}"#)
            .unwrap();
    let out = s
        .process([
            Input::new("x").field("request", "GET /health"),
            Input::new("GET /not/the/source"),
            Input::new("y").field("request", "nospace"),
        ])
        .unwrap();
    assert_eq!(out[0].field_str("method"), Some("GET"));
    assert_eq!(out[0].field_str("path"), Some("/health"));
    assert_eq!(out[1].fields, []);
    assert_eq!(fields(&out[2]), pairs(&[("request", "nospace")]));
    assert_eq!(
        report(&mut s).as_deref(),
        Some(
            "1 of 3 lines did not match and passed unchanged; 1 had no field \
             \"request\" and passed unchanged\n"
        )
    );
}

#[test]
fn bytes_that_are_not_utf8_nul_and_carriage_returns() {
    let mut s = stage("user=<user> id=<id>");
    let out = s
        .process([
            Input::new(b"user=b\xff\x00b id=7\r"),
            Input::new(b"user=\r id=\x00"),
        ])
        .unwrap();
    assert_eq!(out[0].field("user"), Some(&b"b\xff\x00b"[..]));
    assert_eq!(out[0].field("id"), Some(&b"7\r"[..]), "a lone \\r is text");
    assert_eq!(out[0].bytes, b"user=b\xff\x00b id=7\r");
    assert_eq!(out[1].field("user"), Some(&b"\r"[..]));
    assert_eq!(out[1].field("id"), Some(&b"\x00"[..]));
}

#[test]
fn empty_captures_are_empty_fields() {
    let mut s = stage("GET <path> <code>");
    let out = s.process(["GET  ", "GET"]).unwrap();
    assert_eq!(fields(&out[0]), pairs(&[("path", ""), ("code", "")]));
    assert!(
        out[1].fields.is_empty(),
        "the literal \"GET \" is not all there"
    );
}

#[test]
fn pieces_of_an_over_long_line_are_decided_by_the_first() {
    let mut s = stage("<level> <msg>");
    let out = s
        .process([
            Input::new("ERROR first piece").partial(),
            Input::new(" middle").partial(),
        ])
        .unwrap();
    assert_eq!(out.len(), 2);
    assert!(out.iter().all(|l| !l.rewritten && l.fields.is_empty()));
    let out = s
        .process([Input::new(" last"), Input::new("INFO next line")])
        .unwrap();
    assert_eq!(out[0].text(), " last");
    assert_eq!(
        fields(&out[0]),
        pairs(&[("level", "ERROR"), ("msg", "first piece")]),
        "the last capture takes the rest of the first piece only"
    );
    assert_eq!(
        fields(&out[1]),
        pairs(&[("level", "INFO"), ("msg", "next line")])
    );
    // A first piece that does not match: no fields, counted once.
    let out = s
        .process([Input::new("nospace").partial(), Input::new("a b")])
        .unwrap();
    assert!(out.iter().all(|l| l.fields.is_empty()));
    assert_eq!(
        report(&mut s).as_deref(),
        Some("1 of 3 lines did not match and passed unchanged\n")
    );
}

#[test]
fn over_long_line_with_source_reads_the_last_piece() {
    let mut s = Harness::<PatternStage>::new(r#"{"pattern": "<k>=<v>", "source": "f"}"#).unwrap();
    let out = s
        .process([Input::new("a").partial(), Input::new("b").field("f", "x=1")])
        .unwrap();
    assert!(out[0].fields.is_empty());
    assert_eq!(out[1].field_str("k"), Some("x"));
    assert_eq!(out[1].field_str("v"), Some("1"));
}

#[test]
fn config_errors_name_the_key() {
    let cases = [
        ("{}", "pattern", "is required"),
        (r#"{"pattern": ""}"#, "pattern", "is empty"),
        (r#"{"pattern": 5}"#, "pattern", "a string"),
        (
            r#"{"pattern": "no captures"}"#,
            "pattern",
            "no named capture",
        ),
        (r#"{"pattern": "<_> <_>"}"#, "pattern", "no named capture"),
        (
            r#"{"pattern": "<a><b>"}"#,
            "pattern",
            "no literal text between",
        ),
        (r#"{"pattern": "<a> <a>"}"#, "pattern", "twice"),
        (
            r#"{"pattern": "<user-agent>"}"#,
            "pattern",
            "not a valid capture name",
        ),
        (r#"{"pattern": "<a>", "source": ""}"#, "source", "is empty"),
        (r#"{"patern": "<a>"}"#, "patern", "did you mean \"pattern\""),
    ];
    for (config, key, says) in cases {
        let e = config_error::<PatternStage>(config);
        assert_eq!(e.key.as_deref(), Some(key), "{config}");
        assert!(e.message.contains(says), "{config}: {}", e.message);
    }
}

#[test]
fn describes_its_keys() {
    let info = describe::<PatternStage>();
    assert_eq!(info.name, "pattern");
    let names: Vec<&str> = info.config_keys.iter().map(|k| k.name.as_str()).collect();
    assert_eq!(names, ["pattern", "source", "report"]);
    assert_eq!(info.config_keys[0].default, None, "required");
}
