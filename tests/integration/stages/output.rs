//! `output`: see docs/stages/output.md.

use insta::assert_snapshot;

use crate::util::{fixture, run, run_cmd, show, sluice, tempdir, transform};

const PIECES: [&str; 4] = ["--max-line-bytes", "64", "--boundary-overlap", "16"];

#[test]
fn documented_example_from_a_named_file() {
    let dir = tempdir("stages-output-documented_example_from_a_named_file");
    let path = dir.join("app.log");
    std::fs::write(
        &path,
        "{\"user\": \"alexis\", \"message\": \"hello, world!\"}\nnot json\n",
    )
    .unwrap();
    let run = run_cmd(
        sluice().args([
            "-p",
            "json",
            "-p",
            r#"output={"source": "message", "keep_field": false}"#,
            "--output",
            "json",
            path.to_str().unwrap(),
        ]),
        b"",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = run.text().replace(path.to_str().unwrap(), "app.log");
    assert_snapshot!(text, @r#"
    {"line":"hello, world!","source":"app.log","fields":{"user":"alexis"}}
    {"line":"not json","source":"app.log"}
    "#);
    // The json stage's own report about the line that was not JSON; output adds nothing.
    assert_eq!(
        run.stderr,
        "stage 1 (json): 1 of 2 lines was not valid JSON and passed unchanged\n"
    );
}

#[test]
fn messages_of_a_json_app_log_keep_their_fields_and_timestamp() {
    let input = std::fs::read(fixture("app_json.log")).unwrap();
    let out = transform(
        &[
            "-p",
            "json",
            "-p",
            r#"timestamp={"source": "ts", "format": "RFC3339"}"#,
            "-p",
            r#"output={"source": "msg"}"#,
        ],
        &input,
    );
    assert_snapshot!(show(&out), @r#"
    order created
    slow query
    login failed
    issued token
    charged card
    "#);
    let out = transform(
        &[
            "-p",
            "json",
            "-p",
            r#"timestamp={"source": "ts", "format": "RFC3339"}"#,
            "-p",
            r#"output={"source": "msg"}"#,
            "-p",
            r#"fields={"keep": ["level", "msg"]}"#,
            "-o",
            "json",
        ],
        &input,
    );
    assert_snapshot!(show(&out), @r#"
    {"line":"order created","timestamp":"2026-11-21T06:12:01.12Z","fields":{"level":"INFO","msg":"order created"}}
    {"line":"slow query","timestamp":"2026-11-21T06:12:01.388Z","fields":{"level":"WARN","msg":"slow query"}}
    {"line":"login failed","timestamp":"2026-11-21T06:12:02.004Z","fields":{"level":"ERROR","msg":"login failed"}}
    {"line":"issued token","timestamp":"2026-11-21T06:12:02.511Z","fields":{"level":"DEBUG","msg":"issued token"}}
    {"line":"charged card","timestamp":"2026-11-21T06:12:03Z","fields":{"level":"INFO","msg":"charged card"}}
    "#);
}

#[test]
fn keep_field_false_removes_the_field_only_where_it_was_used() {
    let input = b"level=info msg=\"user logged in\" user=alexis\nlevel=warn user=bob\n";
    let out = transform(
        &[
            "-p",
            "logfmt",
            "-p",
            r#"output={"source": "msg", "keep_field": false}"#,
            "-o",
            "json",
        ],
        input,
    );
    assert_snapshot!(show(&out), @r#"
    {"line":"user logged in","fields":{"level":"info","user":"alexis"}}
    {"line":"level=warn user=bob","fields":{"level":"warn","user":"bob"}}
    "#);
}

#[test]
fn values_are_written_as_bytes() {
    // A decoded `\n` writes two physical lines; NUL and `\r` in a value are kept; an empty
    // value makes an empty line; each rewritten line keeps its own terminator (CRLF here, none
    // on the last), and a line without the field passes with its own.
    let input = b"{\"msg\":\"two\\nlines\"}\r\n{\"msg\":\"\"}\r\n{\"msg\":\"nul\\u0000 cr\\r end\"}\n{\"n\":3}\r\n{\"msg\":\"last\"}";
    let out = transform(&["-p", "json", "-p", r#"output={"source": "msg"}"#], input);
    assert_snapshot!(show(&out), @r#"
    two
    lines\r
    \r
    nul\0 cr\r end
    {"n":3}\r
    last[no final newline]
    "#);
}

#[test]
fn values_that_are_not_utf8() {
    let input = b"msg=caf\xe9 \xff\0x\nmsg=\nno field \xfe\n";
    let out = transform(
        &[
            "-p",
            r#"regex={"expression": "(?-u:msg=(?P<msg>.*))"}"#,
            "-p",
            r#"output={"source": "msg"}"#,
        ],
        input,
    );
    assert_eq!(show(&out), "caf\\xe9 \\xff\\0x\n\nno field \\xfe\n");
}

#[test]
fn empty_and_odd_lines_with_the_field_are_replaced() {
    let input = b"\n\xff\xfe\r\n\0\nwhatever";
    let out = transform(
        &[
            "-p",
            r#"fields={"set": {"m": "replaced"}}"#,
            "-p",
            r#"output={"source": "m"}"#,
        ],
        input,
    );
    assert_eq!(
        show(&out),
        "replaced\nreplaced\\r\nreplaced\nreplaced[no final newline]"
    );
}

#[test]
fn lines_without_the_field_pass_byte_for_byte() {
    for name in ["java_stacktrace.log", "odd_bytes.log", "nginx_access.log"] {
        let input = std::fs::read(fixture(name)).unwrap();
        let out = transform(&["-p", r#"output={"source": "message"}"#], &input);
        assert!(out == input, "{name}");
    }
}

#[test]
fn a_value_equal_to_the_line_passes_it_through() {
    let input = b"whole line \xff\r\nother\n";
    let out = transform(
        &[
            "-p",
            r#"regex={"expression": "(?-u:^(?P<all>whole.*))"}"#,
            "-p",
            r#"output={"source": "all", "keep_field": false}"#,
            "-o",
            "json",
        ],
        input,
    );
    assert_snapshot!(show(&out), @r#"
    {"line":"whole line \\xff"}
    {"line":"other"}
    "#);
}

#[test]
fn pieces_of_an_over_long_line_pass_unchanged_with_their_fields() {
    // `fields` sets `m` on complete lines and on the last piece of an over-long line: output
    // replaces the short lines and leaves the long one whole, field included.
    let long = format!("{{\"m\": \"{}\"}}", "x".repeat(250));
    let input = format!("short\n{long}\r\nafter\n{long}");
    let mut args = PIECES.to_vec();
    args.extend([
        "-p",
        r#"fields={"set": {"m": "M"}}"#,
        "-p",
        r#"output={"source": "m", "keep_field": false}"#,
    ]);
    let out = transform(&args, input.as_bytes());
    assert_eq!(
        String::from_utf8(out).unwrap(),
        format!("M\n{long}\r\nM\n{long}")
    );
    args.extend(["-o", "json"]);
    let out = transform(&args, input.as_bytes());
    let records: Vec<serde_json::Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 4);
    assert_eq!(records[0], serde_json::json!({"line": "M"}));
    assert_eq!(
        records[1],
        serde_json::json!({"line": long, "fields": {"m": "M"}}),
        "the long line keeps its field, as if it had none to output"
    );
    assert_eq!(records[2], serde_json::json!({"line": "M"}));
    assert_eq!(records[3]["fields"], serde_json::json!({"m": "M"}));
}

#[test]
fn config_errors_name_the_key() {
    let error = |config: &str| run(&["-p", config], b"").fails(2).to_owned();
    assert_snapshot!(error("output"), @"sluice: stage 1 (output): config key `source`: is required (a string)");
    assert_snapshot!(error(r#"output={"source": ""}"#), @"sluice: stage 1 (output): config key `source`: a field name cannot be empty");
    assert_snapshot!(error(r#"output={"source": "msg", "keep_field": "no"}"#), @"sluice: stage 1 (output): config key `keep_field`: expected true or false, got a string");
    assert_snapshot!(error(r#"output={"field": "msg"}"#), @"sluice: stage 1 (output): config key `field`: unknown key; known keys: source, keep_field");
}
