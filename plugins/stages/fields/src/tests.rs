use super::*;
use sluice_plugin_sdk::Kind;
use sluice_plugin_sdk::testing::{Emitted, Harness, Input, config_error, describe};

/// A k8s container log line with the fields a `cri` and `regex` stage would give it.
fn k8s_line() -> Input {
    Input::new("2024-06-01T12:00:00.123Z stdout F GET /health 200")
        .field("stream", "stdout")
        .field("pod", "web-7f9c")
        .field("pod_template_hash", "79f5db67b")
        .field("status", "200")
}

fn run(config: &str, inputs: Vec<Input>) -> Vec<Emitted> {
    let mut stage = Harness::<FieldsStage>::new(config).unwrap_or_else(|e| panic!("{e}"));
    stage.process(inputs).unwrap()
}

/// The fields of the single output line, as (key, text).
fn fields_of(config: &str, input: Input) -> Vec<(String, String)> {
    let out = run(config, vec![input.clone()]);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].bytes, input.bytes, "the line's bytes never change");
    assert!(!out[0].rewritten);
    out[0]
        .fields
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
fn set_adds_and_replaces_with_string_values() {
    let got = fields_of(
        r#"{"set": {"env": "prod", "status": "500", "empty": ""}}"#,
        Input::new("x")
            .field("status", "200")
            .field("level", "info"),
    );
    assert_eq!(
        got,
        // A key set again moves to where it was last set, as in the host.
        pairs(&[
            ("level", "info"),
            ("status", "500"),
            ("env", "prod"),
            ("empty", "")
        ])
    );
}

#[test]
fn rename_moves_ignores_missing_and_replaces_existing() {
    let got = fields_of(
        r#"{"rename": {"pod": "host", "absent": "gone", "stream": "status"}}"#,
        k8s_line(),
    );
    assert_eq!(
        got,
        pairs(&[
            ("pod_template_hash", "79f5db67b"),
            ("status", "stdout"),
            ("host", "web-7f9c")
        ])
    );
    // A missing old key leaves an existing new key alone.
    let got = fields_of(
        r#"{"rename": {"absent": "status"}}"#,
        Input::new("x").field("status", "200"),
    );
    assert_eq!(got, pairs(&[("status", "200")]));
}

#[test]
fn renames_happen_at_once_so_two_fields_can_swap() {
    let got = fields_of(
        r#"{"rename": {"a": "b", "b": "a"}}"#,
        Input::new("x").field("a", "1").field("b", "2"),
    );
    assert_eq!(got, pairs(&[("a", "2"), ("b", "1")]));
}

#[test]
fn copy_duplicates_after_rename() {
    let got = fields_of(
        r#"{"rename": {"pod": "host"}, "copy": {"host": "instance", "status": "code", "absent": "level"}}"#,
        k8s_line().field("level", "info"),
    );
    assert_eq!(
        got,
        pairs(&[
            ("stream", "stdout"),
            ("pod_template_hash", "79f5db67b"),
            ("status", "200"),
            ("level", "info"),
            ("host", "web-7f9c"),
            ("instance", "web-7f9c"),
            ("code", "200"),
        ])
    );
}

#[test]
fn keep_removes_every_other_field_like_labelallow() {
    let got = fields_of(
        r#"{"set": {"env": "prod"}, "keep": ["pod", "env", "not-there"]}"#,
        k8s_line(),
    );
    assert_eq!(got, pairs(&[("pod", "web-7f9c"), ("env", "prod")]));
    assert!(fields_of(r#"{"keep": []}"#, k8s_line()).is_empty());
}

#[test]
fn drop_removes_listed_fields_like_labeldrop() {
    let got = fields_of(
        r#"{"drop": ["pod_template_hash", "stream", "nope"]}"#,
        k8s_line(),
    );
    assert_eq!(got, pairs(&[("pod", "web-7f9c"), ("status", "200")]));
}

#[test]
fn steps_apply_in_order_set_rename_copy_keep_drop() {
    // set writes `owner`, rename moves it to `team`, copy duplicates `team`, keep keeps the
    // copies only, and drop removes one that keep kept.
    let config = r#"{
        "set": {"owner": "payments"},
        "rename": {"owner": "team"},
        "copy": {"team": "team_copy", "pod": "instance"},
        "keep": ["team", "team_copy", "instance"],
        "drop": ["team_copy"]
    }"#;
    let got = fields_of(config, k8s_line());
    assert_eq!(
        got,
        pairs(&[("team", "payments"), ("instance", "web-7f9c")])
    );
}

#[test]
fn values_are_moved_as_bytes_and_lines_pass_untouched() {
    let inputs = vec![
        Input::new(b"\xff\xfe not utf-8").field("raw", b"\xc3\x28\0nul"),
        Input::new(""),
        Input::new("cr\rinside").field("raw", ""),
    ];
    let out = run(r#"{"rename": {"raw": "payload"}}"#, inputs.clone());
    assert_eq!(out.len(), 3);
    for (input, line) in inputs.iter().zip(&out) {
        assert_eq!(line.bytes, input.bytes);
        assert!(!line.rewritten);
        assert_eq!(line.field("raw"), None);
    }
    assert_eq!(out[0].field("payload"), Some(&b"\xc3\x28\0nul"[..]));
    assert!(out[1].fields.is_empty());
    assert_eq!(out[2].field("payload"), Some(&b""[..]));
}

#[test]
fn pieces_of_an_over_long_line_pass_and_the_last_one_is_changed() {
    let out = run(
        r#"{"set": {"env": "prod"}, "drop": ["hash"]}"#,
        vec![
            Input::new("java.lang.IllegalStateException: ").partial(),
            Input::new("at com.example.Foo.bar(Foo.java:42)").partial(),
            Input::new(" ...")
                .field("hash", "x")
                .field("level", "ERROR"),
            Input::new("next").field("hash", "y"),
        ],
    );
    let text: Vec<String> = out.iter().map(Emitted::text).collect();
    assert_eq!(
        text,
        [
            "java.lang.IllegalStateException: ",
            "at com.example.Foo.bar(Foo.java:42)",
            " ...",
            "next"
        ]
    );
    assert!(out[0].fields.is_empty() && out[1].fields.is_empty());
    assert_eq!(
        out[2].fields,
        [
            ("level".into(), b"ERROR".to_vec()),
            ("env".into(), b"prod".to_vec())
        ]
    );
    assert_eq!(out[3].fields, [("env".into(), b"prod".to_vec())]);
}

#[test]
fn unchanged_fields_are_not_rewritten() {
    let mut stage = Harness::<FieldsStage>::new(r#"{"set": {"env": "prod"}}"#).unwrap();
    let raw = stage
        .process_raw(&sluice_plugin_sdk::testing::build_batch(&[
            Input::new("a").field("env", "prod"),
            Input::new("b"),
        ]))
        .unwrap();
    assert_eq!(raw.source, [0, 1]);
    assert!(raw.rewritten.is_empty() && raw.removed.is_empty());
    assert_eq!(
        raw.fields.line,
        [1],
        "only the line that lacked `env` gets it"
    );
}

#[test]
fn config_errors_name_the_key() {
    let err = |c: &str| config_error::<FieldsStage>(c);
    let nothing = err("{}");
    assert_eq!(nothing.key, None);
    assert!(
        nothing
            .message
            .contains("at least one of set, rename, copy, keep, drop")
    );
    let set = err(r#"{"set": {"status": 200}}"#);
    assert_eq!(set.key.as_deref(), Some("set"));
    assert!(set.message.contains("string"), "{}", set.message);
    let clash = err(r#"{"rename": {"a": "c", "b": "c"}}"#);
    assert_eq!(clash.key.as_deref(), Some("rename"));
    assert!(
        clash.message.contains("both renamed to \"c\""),
        "{}",
        clash.message
    );
    assert_eq!(
        err(r#"{"copy": {"a": "c", "b": "c"}}"#).key.as_deref(),
        Some("copy")
    );
    assert_eq!(err(r#"{"copy": {"a": ""}}"#).key.as_deref(), Some("copy"));
    assert_eq!(err(r#"{"keep": "pod"}"#).key.as_deref(), Some("keep"));
    assert_eq!(err(r#"{"drop": [1]}"#).key.as_deref(), Some("drop"));
    assert_eq!(
        err(r#"{"labeldrop": ["a"]}"#).key.as_deref(),
        Some("labeldrop")
    );
}

#[test]
fn describes_set_values_as_strings() {
    let info = describe::<FieldsStage>();
    let set = info.config_keys.iter().find(|k| k.name == "set").unwrap();
    assert!(set.doc.contains("values are strings"));
    let keys: Vec<_> = info.config_keys.iter().map(|k| k.name.as_str()).collect();
    assert_eq!(keys, ["set", "rename", "copy", "keep", "drop"]);
}

#[test]
fn moved_values_keep_their_kind_and_set_values_are_text() {
    let input = Input::new("x")
        .typed_field("status", "503", Kind::Integer)
        .typed_field("ok", "false", Kind::Boolean);
    let out = run(
        r#"{"rename": {"status": "code"}, "copy": {"ok": "healthy"}, "set": {"n": "1"}}"#,
        vec![input],
    );
    let line = &out[0];
    assert_eq!(line.field_str("code"), Some("503"));
    assert_eq!(line.kind("code"), Kind::Integer);
    assert_eq!(
        (line.kind("ok"), line.kind("healthy")),
        (Kind::Boolean, Kind::Boolean)
    );
    assert_eq!(line.kind("n"), Kind::Text);
}
