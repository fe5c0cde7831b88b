use super::*;
use sluice_plugin_sdk::testing::{Emitted, Harness, Input, config_error, describe};

const JUNE_1: i64 = 1_717_243_200_123_000_000;

fn stage(config: &str) -> Harness<TemplateStage> {
    Harness::new(config).unwrap_or_else(|e| panic!("{config}: {e}"))
}

fn render(template: &str, input: Input) -> String {
    let config = serde_json::json!({ "template": template }).to_string();
    let out = stage(&config).process([input]).unwrap();
    assert_eq!(out.len(), 1);
    out[0].text()
}

fn app_line() -> Input {
    Input::new(r#"{"level":"warn","msg":"  disk 91% full  ","host":"db-1"}"#)
        .field("level", "warn")
        .field("msg", "  disk 91% full  ")
        .field("host", "db-1")
        .timestamp(JUNE_1)
}

#[test]
fn builds_the_line_from_fields_and_keeps_fields_and_timestamp() {
    let mut s = stage(r#"{"template": "{{ level|upper }} [{{ host }}] {{ msg|trim }}"}"#);
    let out = s.process([app_line()]).unwrap();
    assert_eq!(out[0].text(), "WARN [db-1] disk 91% full");
    assert!(out[0].rewritten);
    assert_eq!(out[0].field_str("host"), Some("db-1"));
    assert_eq!(out[0].timestamp, Some(JUNE_1));
}

#[test]
fn builtin_filters_upper_lower_trim_default_replace() {
    let line = || {
        Input::new("x")
            .field("user", "Alice")
            .field("q", " a=1&token=s3cr3t ")
    };
    assert_eq!(
        render("{{ user|upper }}/{{ user|lower }}", line()),
        "ALICE/alice"
    );
    assert_eq!(render("[{{ q|trim }}]", line()), "[a=1&token=s3cr3t]");
    assert_eq!(
        render(r#"{{ q|trim|replace("s3cr3t", "***") }}"#, line()),
        "a=1&token=***"
    );
    assert_eq!(
        render(
            r#"{{ missing|default("anonymous") }} {{ user|default("x") }}"#,
            line()
        ),
        "anonymous Alice"
    );
    assert_eq!(
        render("a{{ missing }}b", line()),
        "ab",
        "a missing field is empty"
    );
    assert_eq!(
        render(
            "{% if status %}{{ status }}{% else %}no status{% endif %}",
            line()
        ),
        "no status"
    );
}

#[test]
fn context_has_line_timestamp_source_and_fields() {
    let mut s = stage(r#"{"template": "{{ source }} {{ timestamp or '-' }} {{ line }}"}"#);
    s.set_source("/var/log/app.log");
    let out = s
        .process([
            Input::new("GET / 200").timestamp(JUNE_1),
            Input::new("no ts"),
        ])
        .unwrap();
    assert_eq!(
        out[0].text(),
        "/var/log/app.log 2024-06-01T12:00:00.123Z GET / 200"
    );
    assert_eq!(out[1].text(), "/var/log/app.log - no ts");
    // A field named like a built-in, or not an identifier, is reached through `fields`.
    let line = Input::new("l")
        .field("source", "kafka")
        .field("http.status", "503");
    assert_eq!(
        render(
            r#"{{ source }}|{{ fields.source }}|{{ fields["http.status"] }}"#,
            line
        ),
        "-|kafka|503"
    );
    let line = Input::new("l").field("a", "1").field("b", "2");
    assert_eq!(
        render(
            "{% for k, v in fields|items %}{{ k }}={{ v }};{% endfor %}",
            line.clone()
        ),
        "a=1;b=2;"
    );
    assert_eq!(
        render(
            "{{ fields|length }} {{ timestamp is none }} {{ timestamp }}",
            line
        ),
        "2 True None"
    );
}

#[test]
fn target_sets_a_field_and_leaves_the_line() {
    let mut s = stage(r#"{"template": "{{ host }}:{{ level }}", "target": "origin"}"#);
    let input = app_line();
    let out = s.process([input.clone(), Input::new("bare")]).unwrap();
    assert_eq!(out[0].bytes, input.bytes);
    assert!(!out[0].rewritten);
    assert_eq!(out[0].field_str("origin"), Some("db-1:warn"));
    assert_eq!(out[1].field_str("origin"), Some(":"));
    // Overwriting the field it reads from.
    let mut s = stage(r#"{"template": "{{ level|upper }}", "target": "level"}"#);
    let out = s.process([app_line()]).unwrap();
    assert_eq!(out[0].field_str("level"), Some("WARN"));
}

#[test]
fn render_errors_leave_the_line_unchanged_and_are_reported() {
    let mut s = stage(r#"{"template": "{{ status|int + 1 }} {{ 10 // (status|int - 200) }}"}"#);
    let out = s
        .process([
            Input::new("a 201").field("status", "201"),
            Input::new("b 200").field("status", "200"),
            Input::new("c 204").field("status", "204"),
            Input::new("d 200").field("status", "200"),
        ])
        .unwrap();
    let text: Vec<String> = out.iter().map(Emitted::text).collect();
    assert_eq!(text, ["202 10", "b 200", "205 2", "d 200"]);
    assert!(s.finish().unwrap().is_empty());
    let report = String::from_utf8(s.reports()[0].clone()).unwrap();
    assert!(
        report.starts_with("2 line(s) failed to render and were left unchanged; first error: "),
        "{report}"
    );
    assert!(report.contains("line 1"), "{report}");

    let mut s = stage(r#"{"template": "{{ x|int // 0 }}", "target": "n"}"#);
    let out = s.process([Input::new("x").field("x", "3")]).unwrap();
    assert_eq!(out[0].field("n"), None, "no field when rendering fails");
    assert_eq!(out[0].text(), "x");
}

#[test]
fn no_failure_no_report() {
    let mut s = stage(r#"{"template": "{{ line }}"}"#);
    s.process(["ok"]).unwrap();
    s.finish().unwrap();
    assert!(s.reports().is_empty());
}

#[test]
fn syntax_errors_are_config_errors_with_line_and_column() {
    let e = config_error::<TemplateStage>(r#"{"template": "{{ level|upper }}\n{{ msg "}"#);
    assert_eq!(e.key.as_deref(), Some("template"));
    assert!(e.message.starts_with("syntax error: "), "{}", e.message);
    assert!(e.message.contains("at line 2, column "), "{}", e.message);
    let e = config_error::<TemplateStage>(r#"{"template": "{% if x %}open"}"#);
    assert_eq!(e.key.as_deref(), Some("template"));
    assert!(e.message.contains("at line 1"), "{}", e.message);
    let e = config_error::<TemplateStage>(r#"{"template": "{{ x|nosuchfilter }}"}"#);
    assert_eq!(e.key.as_deref(), Some("template"));
    assert!(e.message.contains("nosuchfilter"), "{}", e.message);
}

#[test]
fn non_utf8_nul_empty_and_cr_lines() {
    assert_eq!(
        render("<{{ line }}>", Input::new(b"caf\xe9")),
        "<caf\u{fffd}>"
    );
    assert_eq!(
        render("{{ v }}", Input::new("x").field("v", b"\xff1")),
        "\u{fffd}1"
    );
    assert_eq!(render("<{{ line }}>", Input::new("")), "<>");
    assert_eq!(render("{{ line|upper }}", Input::new("a\0b\rc")), "A\0B\rC");
    // A template that ignores the line passes other bytes through untouched.
    let mut s = stage(r#"{"template": "{{ line }}", "target": "copy"}"#);
    let out = s.process([Input::new(b"\xff\xfe")]).unwrap();
    assert_eq!(out[0].bytes, b"\xff\xfe");
    assert_eq!(out[0].field("copy"), Some("\u{fffd}\u{fffd}".as_bytes()));
}

#[test]
fn pieces_of_an_over_long_line_pass_unchanged() {
    let pieces = || {
        vec![
            Input::new("Exception in thread \"main\" ").partial(),
            Input::new("java.lang.OutOfMemoryError").partial(),
            Input::new(": Java heap space").field("level", "ERROR"),
            Input::new("next").field("level", "INFO"),
        ]
    };
    let mut s = stage(r#"{"template": "{{ level }}: {{ line }}"}"#);
    let first = s.process(pieces().into_iter().take(2)).unwrap();
    let rest = s.process(pieces().into_iter().skip(2)).unwrap();
    let text: Vec<String> = first.iter().chain(&rest).map(Emitted::text).collect();
    assert_eq!(
        text,
        [
            "Exception in thread \"main\" ",
            "java.lang.OutOfMemoryError",
            ": Java heap space",
            "INFO: next"
        ]
    );
    // With a target, the last piece gets the field, with `line` undefined.
    let mut s = stage(r#"{"template": "{{ level }}/{{ line|default('?') }}", "target": "t"}"#);
    let out = s.process(pieces()).unwrap();
    let fields: Vec<Option<&str>> = out.iter().map(|l| l.field_str("t")).collect();
    assert_eq!(fields, [None, None, Some("ERROR/?"), Some("INFO/next")]);
    assert!(out.iter().all(|l| !l.rewritten));
}

#[test]
fn config_errors_name_the_key() {
    let key = |c: &str| config_error::<TemplateStage>(c).key;
    assert_eq!(key("{}").as_deref(), Some("template"));
    assert_eq!(key(r#"{"template": 1}"#).as_deref(), Some("template"));
    assert_eq!(
        key(r#"{"template": "x", "target": ""}"#).as_deref(),
        Some("target")
    );
    assert_eq!(
        key(r#"{"template": "x", "field": "y"}"#).as_deref(),
        Some("field")
    );
}

#[test]
fn describes_its_keys() {
    let info = describe::<TemplateStage>();
    let keys: Vec<_> = info.config_keys.iter().map(|k| k.name.as_str()).collect();
    assert_eq!(keys, ["template", "target", "report"]);
}

#[test]
fn a_missing_number_defaults_before_int() {
    let t = r#"{{ status|default("0")|int + 1 }}"#;
    assert_eq!(render(t, Input::new("x")), "1");
    assert_eq!(render(t, Input::new("x").field("status", "41")), "42");
}
