//! Tests of the whole stage on realistic JSON log lines, run natively with the SDK's harness.

use super::*;
use sluice_plugin_sdk::testing::{Emitted, Harness, Input, config_error, describe};

const APP: &str = r#"{"ts":"2024-10-10T13:55:36.123Z","level":"info","msg":"user \"bob\" logged in\n","latency_ms":12.5,"ok":true,"trace":null,"user":{"id":42,"name":"bob","roles":["admin", "dev"]},"tags":[]}"#;

fn stage(config: &str) -> Harness<Json> {
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

fn report(stage: &mut Harness<Json>) -> Option<String> {
    stage.finish().unwrap();
    stage
        .reports()
        .last()
        .map(|r| String::from_utf8(r.clone()).unwrap())
}

#[test]
fn every_top_level_key_by_default_with_each_kind_of_value() {
    let mut s = stage("{}");
    let out = s.process([APP]).unwrap();
    assert_eq!(out.len(), 1);
    assert!(!out[0].rewritten, "the line passes unchanged");
    assert_eq!(
        fields(&out[0]),
        pairs(&[
            ("ts", "2024-10-10T13:55:36.123Z"),
            ("level", "info"),
            ("msg", "user \"bob\" logged in\n"),
            ("latency_ms", "12.5"),
            ("ok", "true"),
            ("trace", ""),
            ("user", r#"{"id":42,"name":"bob","roles":["admin","dev"]}"#),
            ("tags", "[]"),
        ])
    );
    assert_eq!(report(&mut s), None, "no report when every line parsed");
}

#[test]
fn expressions_follow_paths() {
    let mut s = stage(
        r#"{"expressions": {
            "user": "user.name",
            "uid": "user.id",
            "role": "user.roles[1]",
            "level": "",
            "dotted": "\"k.8s\".pod",
            "bracket": "[\"k.8s\"][\"app.name\"]",
            "missing": "user.email",
            "out_of_range": "user.roles[5]"
        }}"#,
    );
    let line = r#"{"level":"warn","user":{"id":7,"name":"alice","roles":["a","b"]},"k.8s":{"pod":"api-7d9","app.name":"api"}}"#;
    let out = s.process([line]).unwrap();
    assert_eq!(
        fields(&out[0]),
        pairs(&[
            ("user", "alice"),
            ("uid", "7"),
            ("role", "b"),
            ("level", "warn"),
            ("dotted", "api-7d9"),
            ("bracket", "api"),
        ]),
        "fields in the order written; paths that do not resolve set no field"
    );
}

#[test]
fn all_and_expressions_together_expressions_win() {
    let mut s = stage(r#"{"all": true, "expressions": {"level": "meta.level", "x": "n"}}"#);
    let out = s
        .process([r#"{"level":"top","n":1,"meta":{"level":"inner"}}"#])
        .unwrap();
    assert_eq!(
        fields(&out[0]),
        pairs(&[
            ("level", "inner"),
            ("n", "1"),
            ("meta", r#"{"level":"inner"}"#),
            ("x", "1"),
        ])
    );
    // With expressions, `all` is off unless asked for.
    let mut s = stage(r#"{"expressions": {"x": "n"}}"#);
    let out = s.process([r#"{"level":"top","n":1}"#]).unwrap();
    assert_eq!(fields(&out[0]), pairs(&[("x", "1")]));
}

#[test]
fn lines_that_are_not_json_objects_pass_and_are_reported() {
    let mut s = stage("{}");
    let lines = [
        APP,
        "2024-10-10 13:55:36 INFO plain text line",
        r#"{"truncated":"#,
        "[1,2,3]",
        "",
        r#"{"level":"debug"}"#,
    ];
    let out = s.process(lines).unwrap();
    let texts: Vec<String> = out.iter().map(Emitted::text).collect();
    assert_eq!(texts, lines, "every line passes, unchanged");
    assert!(out[1..5].iter().all(|l| l.fields.is_empty()));
    assert_eq!(out[5].field_str("level"), Some("debug"));
    assert_eq!(
        report(&mut s).as_deref(),
        Some(
            "3 of 6 lines were not valid JSON and passed unchanged; 1 was JSON but not an \
             object and passed unchanged\n"
        )
    );
}

#[test]
fn drop_malformed_drops_them() {
    let mut s = stage(r#"{"drop_malformed": true}"#);
    let out = s
        .process(["not json", r#"{"a":1}"#, "{", r#""just a string""#])
        .unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].field_str("a"), Some("1"));
    assert_eq!(
        report(&mut s).as_deref(),
        Some(
            "2 of 4 lines were not valid JSON and were dropped; 1 was JSON but not an \
             object and was dropped\n"
        )
    );
}

#[test]
fn error_field_says_why() {
    let mut s = stage(r#"{"error_field": "__error__"}"#);
    let out = s
        .process([r#"{"a":1,}"#, "true", r#"{"a":"ok"}"#, "plain"])
        .unwrap();
    assert_eq!(
        out[0].field_str("__error__"),
        Some("invalid JSON at byte 7: expected a key in quotes")
    );
    assert_eq!(out[1].field_str("__error__"), Some("not a JSON object"));
    assert_eq!(fields(&out[2]), pairs(&[("a", "ok")]));
    assert_eq!(
        out[3].field_str("__error__"),
        Some("invalid JSON at byte 0: expected a value")
    );
}

#[test]
fn source_field_instead_of_the_line() {
    let mut s = stage(r#"{"source": "log", "expressions": {"level": "", "code": "err.code"}}"#);
    let out = s
        .process([
            Input::new("2024-10-10T13:55:36Z stdout F ...")
                .field("log", r#"{"level":"error","err":{"code":"E42"}}"#),
            Input::new("no field here"),
            Input::new("bad").field("log", "oops"),
        ])
        .unwrap();
    assert_eq!(out.len(), 3);
    assert_eq!(out[0].field_str("level"), Some("error"));
    assert_eq!(out[0].field_str("code"), Some("E42"));
    assert_eq!(out[0].text(), "2024-10-10T13:55:36Z stdout F ...");
    assert_eq!(fields(&out[1]), []);
    assert_eq!(fields(&out[2]), pairs(&[("log", "oops")]));
    assert_eq!(
        report(&mut s).as_deref(),
        Some(
            "1 of 3 lines was not valid JSON and passed unchanged; 1 had no field \
             \"log\" and passed unchanged\n"
        )
    );
}

#[test]
fn bytes_that_are_not_utf8_nul_and_carriage_returns() {
    let mut s = stage("{}");
    let out = s
        .process([
            Input::new(b"{\"user\":\"b\xffb\",\"k\xfe\":1}"),
            Input::new(b"{\"a\":1}\xff"),
            Input::new(b"{\"nul\":\"a\\u0000b\"}"),
            Input::new(b"{\"raw\":\"a\x00b\"}"),
            Input::new(b"{\"a\":1}\r"),
            Input::new(b"{\"a\":\"x\ry\"}"),
        ])
        .unwrap();
    assert_eq!(out.len(), 6);
    assert_eq!(out[0].field("user"), Some(&b"b\xffb"[..]), "kept as bytes");
    assert_eq!(out[0].field("k\u{fffd}"), Some(&b"1"[..]), "names are text");
    assert!(out[1].fields.is_empty(), "a bad byte outside a string");
    assert_eq!(out[1].bytes, b"{\"a\":1}\xff");
    assert_eq!(out[2].field("nul"), Some(&b"a\0b"[..]));
    assert!(
        out[3].fields.is_empty(),
        "a raw NUL in a string is invalid JSON"
    );
    assert_eq!(out[4].field_str("a"), Some("1"), "a lone \\r is whitespace");
    assert!(
        out[5].fields.is_empty(),
        "a raw \\r in a string is invalid JSON"
    );
}

#[test]
fn pieces_of_an_over_long_line_pass_unharmed() {
    let mut s = stage(r#"{"error_field": "err"}"#);
    let out = s
        .process([
            Input::new(r#"{"msg":"a very long"#).partial(),
            Input::new(" middle ").partial(),
        ])
        .unwrap();
    assert_eq!(out.len(), 2);
    assert!(out.iter().all(|l| !l.rewritten && l.fields.is_empty()));
    let out = s
        .process([Input::new(r#"end"}"#), Input::new(r#"{"next":1}"#)])
        .unwrap();
    assert_eq!(out[0].text(), r#"end"}"#);
    assert_eq!(fields(&out[0]), pairs(&[("err", "line too long to parse")]));
    assert_eq!(fields(&out[1]), pairs(&[("next", "1")]));
    assert_eq!(
        report(&mut s).as_deref(),
        Some(
            "1 of 2 lines was too long to parse (over-long lines, in pieces) and passed \
             unchanged\n"
        )
    );
    // drop_malformed keeps over-long lines: their first pieces are already out.
    let mut s = stage(r#"{"drop_malformed": true}"#);
    let out = s
        .process([Input::new("{").partial(), Input::new("}"), Input::new("x")])
        .unwrap();
    let texts: Vec<String> = out.iter().map(Emitted::text).collect();
    assert_eq!(texts, ["{", "}"]);
}

#[test]
fn source_field_of_an_over_long_line_is_on_its_last_piece() {
    let mut s = stage(r#"{"source": "msg"}"#);
    let out = s
        .process([
            Input::new("piece one ").partial(),
            Input::new("piece two").field("msg", r#"{"level":"warn"}"#),
        ])
        .unwrap();
    assert_eq!(out.len(), 2);
    assert!(out[0].fields.is_empty());
    assert_eq!(out[1].field_str("level"), Some("warn"));
    assert_eq!(out[1].text(), "piece two");
}

#[test]
fn duplicate_and_escaped_keys() {
    let mut s = stage("{}");
    let out = s
        .process([r#"{"level":"info","level":"error","a\u002eb":"x","":"empty name"}"#])
        .unwrap();
    assert_eq!(fields(&out[0]), pairs(&[("level", "error"), ("a.b", "x")]));
}

#[test]
fn a_batch_of_kubernetes_json_logs() {
    let mut s = stage(
        r#"{"expressions": {"level": "", "pod": "kubernetes.pod_name", "status": "http.status"}}"#,
    );
    let lines: Vec<String> = (0..500)
        .map(|i| {
            format!(
                r#"{{"level":"{}","kubernetes":{{"pod_name":"api-{i}","namespace":"prod"}},"http":{{"method":"GET","status":{}}}}}"#,
                if i % 7 == 0 { "error" } else { "info" },
                200 + i % 3
            )
        })
        .collect();
    let out = s.process(lines.iter().map(String::as_str)).unwrap();
    assert_eq!(out.len(), 500);
    for (i, line) in out.iter().enumerate() {
        assert_eq!(line.field_str("pod"), Some(format!("api-{i}").as_str()));
        assert_eq!(
            line.field_str("status"),
            Some((200 + i % 3).to_string().as_str())
        );
        let level = if i % 7 == 0 { "error" } else { "info" };
        assert_eq!(line.field_str("level"), Some(level));
    }
}

#[test]
fn config_errors_name_the_key() {
    let cases = [
        (
            r#"{"expressions": {"u": "user[*].name"}}"#,
            "expressions",
            "field \"u\"",
        ),
        (
            r#"{"expressions": {"u": "a[-1]"}}"#,
            "expressions",
            "negative",
        ),
        (r#"{"expressions": {}}"#, "expressions", "is empty"),
        (
            r#"{"expressions": {"": "a"}}"#,
            "expressions",
            "empty field name",
        ),
        (
            r#"{"expressions": {"u": 1}}"#,
            "expressions",
            "string values",
        ),
        (r#"{"expressions": "a.b"}"#, "expressions", "an object"),
        (r#"{"all": "yes"}"#, "all", "true or false"),
        (
            r#"{"drop_malformed": true, "error_field": "e"}"#,
            "error_field",
            "no effect",
        ),
        (r#"{"error_field": ""}"#, "error_field", "is empty"),
        (r#"{"source": ""}"#, "source", "is empty"),
        (
            r#"{"expresions": {}}"#,
            "expresions",
            "did you mean \"expressions\"",
        ),
    ];
    for (config, key, says) in cases {
        let e = config_error::<Json>(config);
        assert_eq!(e.key.as_deref(), Some(key), "{config}");
        assert!(e.message.contains(says), "{config}: {}", e.message);
    }
}

#[test]
fn describes_its_keys() {
    let info = describe::<Json>();
    assert_eq!(info.name, "json");
    let names: Vec<&str> = info.config_keys.iter().map(|k| k.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "expressions",
            "all",
            "source",
            "drop_malformed",
            "error_field",
            "report"
        ]
    );
    assert!(!info.boundary_safe);
}

/// Mutated documents never panic the stage, and it accepts exactly what serde_json accepts
/// (on UTF-8 text without `\u` escapes, where serde_json rejects lone surrogates and the stage
/// replaces them), with the same top-level string values.
#[test]
fn mutated_documents_agree_with_serde_json() {
    let seeds = [
        APP,
        r#"{"a":[1,{"b":"c\"d"},null],"e":-0.5e-3,"f":{"g":{}}}"#,
        r#"{"k":"v\\w\/x\ty","n":[true,false]}"#,
    ];
    let alphabet = b"{}[]\",:0123456789.-+eEtrufalsn \\/\t\r\x00\xff";
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    let mut s = stage(r#"{"error_field": "__err"}"#);
    let mut agreed = 0;
    for round in 0..3000 {
        let mut doc = seeds[round % seeds.len()].as_bytes().to_vec();
        for _ in 0..1 + next(3) {
            let at = next(doc.len() + 1);
            let byte = alphabet[next(alphabet.len())];
            match next(3) {
                0 if at < doc.len() => doc[at] = byte,
                1 if at < doc.len() => {
                    doc.remove(at);
                }
                _ => doc.insert(at, byte),
            }
        }
        let out = s.process([Input::new(&doc)]).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].bytes, doc);
        let Ok(text) = std::str::from_utf8(&doc) else {
            continue;
        };
        if text.contains("\\u") {
            continue;
        }
        let theirs = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(text);
        let ours = out[0].field("__err").is_none();
        assert_eq!(ours, theirs.is_ok(), "{text:?}");
        if let Ok(map) = theirs {
            agreed += 1;
            for (k, v) in map {
                if let (serde_json::Value::String(v), false) = (v, k.is_empty()) {
                    assert_eq!(out[0].field(&k), Some(v.as_bytes()), "{text:?}");
                }
            }
        }
    }
    assert!(agreed > 100, "only {agreed} mutated documents were valid");
}
