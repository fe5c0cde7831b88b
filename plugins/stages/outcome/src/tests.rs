use super::*;
use serde_json::{Value, json};
use sluice_plugin_sdk::testing::{Harness, Input, config_error, describe};

/// Runs `lines` through a stage with `config` in one batch, then finishes it; returns the
/// output lines (trailing lines last) and the report, parsed.
fn run(config: &str, lines: &[&str]) -> (Vec<String>, Value) {
    let mut stage = Harness::<Outcome>::new(config).unwrap();
    let mut out: Vec<String> = stage
        .process(lines.iter().copied())
        .unwrap()
        .iter()
        .map(|l| l.text())
        .collect();
    out.extend(stage.finish().unwrap().iter().map(|l| l.text()));
    (out, report(&stage))
}

/// The stage's only report, parsed as JSON (which checks that it is valid JSON).
fn report(stage: &Harness<Outcome>) -> Value {
    let reports = stage.reports();
    assert_eq!(reports.len(), 1, "one report, at finish");
    assert!(reports[0].ends_with(b"\n"));
    serde_json::from_slice(&reports[0]).expect("the report is valid JSON")
}

/// The report's keys in the order they were written.
fn report_keys(stage: &Harness<Outcome>) -> Vec<String> {
    let map: serde_json::Map<String, Value> = serde_json::from_slice(&stage.reports()[0]).unwrap();
    // serde_json's map sorts keys; read the order from the text instead.
    let text = String::from_utf8(stage.reports()[0].clone()).unwrap();
    let mut keys: Vec<String> = map.keys().cloned().collect();
    keys.sort_by_key(|k| text.find(&format!("\"{k}\":")).unwrap());
    keys
}

#[test]
fn set_directives_are_captured_and_removed() {
    let (out, report) = run(
        "{}",
        &[
            "+ echo '::set-outcome-var hello-world=42'",
            "::set-outcome-var hello-world=42",
            "Running tests...",
            "::set-outcome-var coverage=87.5",
            "::set-var foo=bar",
            "set-outcome-var ",
            "ok: 120 passed",
        ],
    );
    assert_eq!(
        out,
        [
            "+ echo '::set-outcome-var hello-world=42'",
            "Running tests...",
            "::set-var foo=bar",
            "set-outcome-var ",
            "ok: 120 passed",
        ]
    );
    assert_eq!(report, json!({"hello-world": "42", "coverage": "87.5"}));
}

#[test]
fn keys_keep_first_seen_order_and_a_later_value_wins() {
    let mut stage = Harness::<Outcome>::new("{}").unwrap();
    stage
        .process([
            "::set-outcome-var zeta=1",
            "::set-outcome-var alpha=2",
            "::set-outcome-var zeta=3",
            "::start-multiline-outcome-var alpha",
            "x",
            "::end-multiline-outcome-var",
        ])
        .unwrap();
    assert!(stage.finish().unwrap().is_empty());
    assert_eq!(report_keys(&stage), ["zeta", "alpha"]);
    assert_eq!(report(&stage), json!({"zeta": "3", "alpha": "x"}));
}

#[test]
fn value_is_verbatim_after_the_first_equals_sign() {
    let (out, report) = run(
        "{}",
        &[
            "::set-outcome-var url=https://ci.example.com/job?id=7&x=y",
            "::set-outcome-var\t padded=  two spaces  ",
            "::set-outcome-var empty=",
            "::set-outcome-var bad key=1",
            " ::set-outcome-var indented=1",
            "2024-05-01T10:00:00Z ::set-outcome-var prefixed=1",
        ],
    );
    assert_eq!(
        out,
        [
            "::set-outcome-var bad key=1",
            " ::set-outcome-var indented=1",
            "2024-05-01T10:00:00Z ::set-outcome-var prefixed=1",
        ]
    );
    assert_eq!(
        report,
        json!({
            "url": "https://ci.example.com/job?id=7&x=y",
            "padded": "  two spaces  ",
            "empty": "",
        })
    );
}

#[test]
fn a_multiline_block_becomes_one_value() {
    let (out, report) = run(
        "{}",
        &[
            "before",
            "::start-multiline-outcome-var multi-var-name",
            "{",
            "  \"hello\":\"world\",",
            "",
            "  \"foo\":\"bar\"",
            "}",
            "::end-multiline-outcome-var",
            "after",
            "::start-multiline-outcome-var empty",
            "::end-multiline-outcome-var empty",
        ],
    );
    assert_eq!(out, ["before", "after"]);
    assert_eq!(
        report,
        json!({
            "multi-var-name": "{\n  \"hello\":\"world\",\n\n  \"foo\":\"bar\"\n}",
            "empty": "",
        })
    );
}

#[test]
fn trace_lines_inside_a_block_pass_through_uncaptured() {
    let lines = [
        "+ echo ::start-multiline-outcome-var multi-var-name",
        "::start-multiline-outcome-var multi-var-name",
        "{",
        "++ date +%s",
        "}",
        "+ echo ::end-multiline-outcome-var",
        "::end-multiline-outcome-var",
    ];
    let (out, report) = run("{}", &lines);
    assert_eq!(
        out,
        [
            "+ echo ::start-multiline-outcome-var multi-var-name",
            "++ date +%s",
            "+ echo ::end-multiline-outcome-var",
        ]
    );
    assert_eq!(report, json!({"multi-var-name": "{\n}"}));

    // With skip_trace off, the trace of the end directive is content, and the block ends at
    // the real directive.
    let (out, report) = run(r#"{"skip_trace": false}"#, &lines);
    assert_eq!(out, ["+ echo ::start-multiline-outcome-var multi-var-name"]);
    assert_eq!(
        report,
        json!({"multi-var-name": "{\n++ date +%s\n}\n+ echo ::end-multiline-outcome-var"})
    );
}

#[test]
fn blocks_nest_and_directives_inside_are_content() {
    let (out, report) = run(
        "{}",
        &[
            "::start-multiline-outcome-var one",
            "hello",
            "::set-outcome-var inner=1",
            "::start-multiline-outcome-var two",
            "foo",
            "::end-multiline-outcome-var",
            "bar",
            "::end-multiline-outcome-var",
            "::end-multiline-outcome-var",
            "::start-multiline-outcome-var",
        ],
    );
    // The third end is outside any block, and a start without a key is no directive.
    assert_eq!(
        out,
        [
            "::end-multiline-outcome-var",
            "::start-multiline-outcome-var"
        ]
    );
    assert_eq!(
        report,
        json!({"one": "hello\n::set-outcome-var inner=1\nbar", "two": "foo"})
    );
}

#[test]
fn nesting_is_capped() {
    let mut lines: Vec<String> = (0..MAX_DEPTH + 1)
        .map(|i| format!("::start-multiline-outcome-var k{i}"))
        .collect();
    lines.push("x".into());
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    let (out, report) = run("{}", &refs);
    let last = format!("k{}", MAX_DEPTH - 1);
    assert_eq!(
        report[&last],
        json!(format!("::start-multiline-outcome-var k{MAX_DEPTH}\nx"))
    );
    assert!(report.get(format!("k{MAX_DEPTH}")).is_none());
    assert_eq!(out.len(), MAX_DEPTH, "one warning per open block");
}

#[test]
fn an_unterminated_block_keeps_what_it_read_and_warns() {
    let mut stage = Harness::<Outcome>::new("{}").unwrap();
    let out = stage
        .process([
            "::set-outcome-var status=ok",
            "::start-multiline-outcome-var summary",
            "line 1",
        ])
        .unwrap();
    assert!(out.is_empty());
    // The block goes on in the next batch.
    assert!(stage.process(["line 2"]).unwrap().is_empty());
    let trailing = stage.finish().unwrap();
    assert_eq!(trailing.len(), 1);
    assert_eq!(
        trailing[0].text(),
        "sluice outcome: the multiline variable \"summary\" was not ended \
         (no ::end-multiline-outcome-var before the end of input); its 2 line(s) were captured"
    );
    assert_eq!(
        report(&stage),
        json!({"status": "ok", "summary": "line 1\nline 2"})
    );
}

#[test]
fn odd_bytes_keep_the_report_valid_json() {
    let mut stage = Harness::<Outcome>::new("{}").unwrap();
    let out = stage
        .process([
            Input::new(b"::set-outcome-var latin1=caf\xe9"),
            Input::new(b"::set-outcome-var nul=a\x00b\rc"),
            Input::new(b"::start-multiline-outcome-var log"),
            Input::new(b"\x1b[31mFAIL\x1b[0m \"quoted\" back\\slash"),
            Input::new(b"::end-multiline-outcome-var"),
            Input::new(b"kept \xff\x00\r as is"),
        ])
        .unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].bytes, b"kept \xff\x00\r as is");
    assert!(!out[0].rewritten);
    stage.finish().unwrap();
    let text = String::from_utf8(stage.reports()[0].clone()).unwrap();
    assert!(text.contains(r#""latin1":"caf\\xe9""#), "{text}");
    assert_eq!(
        report(&stage),
        json!({
            "latin1": "caf\\xe9",
            "nul": "a\u{0}b\rc",
            "log": "\u{1b}[31mFAIL\u{1b}[0m \"quoted\" back\\slash",
        })
    );
}

#[test]
fn nothing_captured_reports_an_empty_object() {
    let (out, report) = run("{}", &["", "plain", ""]);
    assert_eq!(out, ["", "plain", ""]);
    assert_eq!(report, json!({}));
}

#[test]
fn kept_lines_keep_their_fields_and_timestamps() {
    let mut stage = Harness::<Outcome>::new("{}").unwrap();
    let out = stage
        .process([
            Input::new("::set-outcome-var k=v").field("stream", "stdout"),
            Input::new("build ok")
                .field("stream", "stdout")
                .timestamp(1_700_000_000_000_000_000),
        ])
        .unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].source, Some(1));
    assert_eq!(out[0].field_str("stream"), Some("stdout"));
    assert_eq!(out[0].timestamp, Some(1_700_000_000_000_000_000));
}

#[test]
fn pieces_of_over_long_lines() {
    let mut stage = Harness::<Outcome>::new("{}").unwrap();
    let out = stage
        .process([
            // A long value, in three pieces: all removed, the value joined.
            Input::new("::set-outcome-var big=aaaa").partial(),
            Input::new("bbbb").partial(),
            Input::new("cccc"),
            // A long ordinary line passes piece by piece, unharmed.
            Input::new("x".repeat(10)).partial(),
            Input::new("::set-outcome-var not=directive"),
            // A long line inside a block: its pieces joined, lines joined with "\n".
            Input::new("::start-multiline-outcome-var block"),
            Input::new("first"),
            Input::new("long-").partial(),
            Input::new("line"),
            // A long trace line inside a block passes whole.
            Input::new("+ echo ").partial(),
            Input::new("::end-multiline-outcome-var"),
            Input::new("last"),
            Input::new("::end-multiline-outcome-var"),
        ])
        .unwrap();
    let texts: Vec<String> = out.iter().map(|l| l.text()).collect();
    assert_eq!(
        texts,
        [
            "xxxxxxxxxx",
            "::set-outcome-var not=directive",
            "+ echo ",
            "::end-multiline-outcome-var"
        ]
    );
    assert!(out.iter().all(|l| !l.rewritten));
    stage.finish().unwrap();
    assert_eq!(
        report(&stage),
        json!({"big": "aaaabbbbcccc", "block": "first\nlong-line\nlast"})
    );
}

#[test]
fn max_bytes_cuts_values_and_warns() {
    let mut stage = Harness::<Outcome>::new(r#"{"max_bytes": 16}"#).unwrap();
    stage
        .process([
            "::set-outcome-var a=0123456789",
            "::set-outcome-var b=0123456789",
            "::set-outcome-var c=1",
            "::set-outcome-var d=1",
        ])
        .unwrap();
    let trailing = stage.finish().unwrap();
    assert_eq!(
        trailing[0].text(),
        "sluice outcome: the variables exceeded max_bytes (16 bytes); cut short: b; \
         2 left out, among them: c, d"
    );
    assert_eq!(report(&stage), json!({"a": "0123456789", "b": "0123"}));
}

#[test]
fn config_errors_name_the_key() {
    let e = config_error::<Outcome>(r#"{"max_bytes": -1}"#);
    assert_eq!(e.key.as_deref(), Some("max_bytes"));
    assert!(e.message.contains("non-negative integer"), "{}", e.message);
    let e = config_error::<Outcome>(r#"{"skip_trace": "yes"}"#);
    assert_eq!(e.key.as_deref(), Some("skip_trace"));
    let e = config_error::<Outcome>(r#"{"skip_traces": true}"#);
    assert_eq!(e.key.as_deref(), Some("skip_traces"));
    assert!(
        e.message.contains("did you mean \"skip_trace\""),
        "{}",
        e.message
    );
}

#[test]
fn describes_itself() {
    let info = describe::<Outcome>();
    assert_eq!(info.name, "outcome");
    let keys: Vec<&str> = info.config_keys.iter().map(|k| k.name.as_str()).collect();
    assert_eq!(keys, ["skip_trace", "max_bytes", "report"]);
    assert!(!info.boundary_safe);
}
