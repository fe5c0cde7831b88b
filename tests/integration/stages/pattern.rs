//! `pattern`: see docs/stages/pattern.md.

use std::fs;

use insta::assert_snapshot;

use crate::util::{config_error, fixture, run, tempdir, visible};

/// Runs sluice, asserting a clean exit; returns stdout (UTF-8) and stderr (the report).
fn records(args: &[&str], input: &[u8]) -> (String, String) {
    let run = run(args, input);
    assert_eq!(run.code, 0, "stderr:\n{}", run.stderr);
    (run.text(), run.stderr)
}

const NGINX: &str =
    r#"pattern={"pattern": "<ip> - <user> [<_>] \"<method> <path> <_>\" <status> <size> <_>"}"#;

#[test]
fn nginx_access_log() {
    let input = fs::read(fixture("nginx_access.log")).unwrap();
    let (out, report) = records(&["-p", NGINX, "-o", "logfmt"], &input);
    assert_eq!(report, "", "every line matched: no report");
    assert_snapshot!(out);
    let (raw, _) = records(&["-p", NGINX], &input);
    assert!(raw.as_bytes() == input, "lines pass unchanged");
}

#[test]
fn documented_example_and_report() {
    let input = b"203.0.113.7 - - [10/Oct/2024:13:55:36 +0000] \"GET /api/v1/users?id=42 HTTP/1.1\" 200 2326\n2024/10/10 13:55:36 [error] 31#31: *1 connect() failed\n";
    let (out, report) = records(
        &[
            "-p",
            r#"pattern={"pattern": "<ip> - - [<_>] \"<method> <path> <_>\" <status> <size>"}"#,
            "-o",
            "logfmt",
        ],
        input,
    );
    assert_snapshot!(out, @r#"
    line="203.0.113.7 - - [10/Oct/2024:13:55:36 +0000] \"GET /api/v1/users?id=42 HTTP/1.1\" 200 2326" ip=203.0.113.7 method=GET path="/api/v1/users?id=42" status=200 size=2326
    line="2024/10/10 13:55:36 [error] 31#31: *1 connect() failed"
    "#);
    assert_eq!(
        report,
        "stage 1 (pattern): 1 of 2 lines did not match and passed unchanged\n"
    );
}

#[test]
fn matching_rules() {
    // A capture stops at the first occurrence of the literal after it; a literal at the end must
    // be found, and what follows it is ignored; an empty capture is an empty field; a line
    // missing a literal gets no field at all; a literal at the start must start the line.
    let (out, report) = records(
        &["-p", r#"pattern={"pattern": "<a>:<b>;"}"#, "-o", "json"],
        b"1:2\n1:2;rest\nx:y:z;w;\n:;\n\n",
    );
    assert_snapshot!(out, @r#"
    {"line":"1:2"}
    {"line":"1:2;rest","fields":{"a":"1","b":"2"}}
    {"line":"x:y:z;w;","fields":{"a":"x","b":"y:z"}}
    {"line":":;","fields":{"a":"","b":""}}
    {"line":""}
    "#);
    assert_eq!(
        report,
        "stage 1 (pattern): 2 of 5 lines did not match and passed unchanged\n"
    );
    let (out, _) = records(
        &[
            "-p",
            r#"pattern={"pattern": "level=<level> "}"#,
            "-o",
            "json",
        ],
        b"level=warn msg=x\nts=1 level=warn msg=x\n",
    );
    assert_snapshot!(out, @r#"
    {"line":"level=warn msg=x","fields":{"level":"warn"}}
    {"line":"ts=1 level=warn msg=x"}
    "#);
}

#[test]
fn a_less_than_that_opens_no_capture_is_literal() {
    let (out, report) = records(
        &[
            "-p",
            r#"pattern={"pattern": "<b class=\"x\"><text></b> < 3 <-> <rest>"}"#,
            "-o",
            "json",
        ],
        b"<b class=\"x\">bold</b> < 3 <-> and more\n<b>bold</b> < 3 <-> x\n",
    );
    assert_snapshot!(out, @r#"
    {"line":"<b class=\"x\">bold</b> < 3 <-> and more","fields":{"text":"bold","rest":"and more"}}
    {"line":"<b>bold</b> < 3 <-> x"}
    "#);
    assert_eq!(
        report,
        "stage 1 (pattern): 1 of 2 lines did not match and passed unchanged\n"
    );
}

#[test]
fn bytes_that_are_not_utf8_nul_lone_cr_and_crlf() {
    let input = b"GET /a HTTP/1.1\r\nnope\r\nPOST /caf\xe9\0 x\rHTTP/1.0\n\nPUT /last HTTP/2";
    let args = ["-p", r#"pattern={"pattern": "<method> <path> <proto>"}"#];
    let run = run(&args, input);
    assert_eq!(run.code, 0);
    assert_eq!(visible(&run.stdout), visible(input), "lines pass unchanged");
    assert_eq!(
        run.stderr,
        "stage 1 (pattern): 2 of 5 lines did not match and passed unchanged\n"
    );
    // Captured values keep their bytes; the CRLF terminator is not part of the line.
    let (out, _) = records(&[&args[..], &["-o", "json"]].concat(), input);
    assert_snapshot!(out, @r#"
    {"line":"GET /a HTTP/1.1","fields":{"method":"GET","path":"/a","proto":"HTTP/1.1"}}
    {"line":"nope"}
    {"line":"POST /caf\\xe9\u0000 x\rHTTP/1.0","fields":{"method":"POST","path":"/caf\\xe9\u0000","proto":"x\rHTTP/1.0"}}
    {"line":""}
    {"line":"PUT /last HTTP/2","fields":{"method":"PUT","path":"/last","proto":"HTTP/2"}}
    "#);
}

#[test]
fn source_matches_a_field() {
    let input = concat!(
        r#"{"level":"info","msg":"took 35ms for GET /api"}"#,
        "\n",
        r#"{"level":"info","msg":"cache warm"}"#,
        "\n",
        r#"{"level":"info"}"#,
        "\n",
    );
    let (out, report) = records(
        &[
            "-p",
            "json",
            "-p",
            r#"pattern={"pattern": "took <ms>ms for <method> <path>", "source": "msg"}"#,
            "-o",
            "json",
        ],
        input.as_bytes(),
    );
    assert_snapshot!(out, @r#"
    {"line":"{\"level\":\"info\",\"msg\":\"took 35ms for GET /api\"}","fields":{"level":"info","msg":"took 35ms for GET /api","ms":"35","method":"GET","path":"/api"}}
    {"line":"{\"level\":\"info\",\"msg\":\"cache warm\"}","fields":{"level":"info","msg":"cache warm"}}
    {"line":"{\"level\":\"info\"}","fields":{"level":"info"}}
    "#);
    assert_eq!(
        report,
        "stage 2 (pattern): 1 of 3 lines did not match and passed unchanged; 1 had no field \"msg\" and \
         passed unchanged\n"
    );
}

#[test]
fn over_long_lines_are_decided_by_their_first_piece() {
    // The first piece is 48 bytes (a 64-byte window less the 16-byte overlap).
    let long = format!("203.0.113.7 GET /api/v1/search?q={} 200", "a".repeat(250));
    let other = format!("nomatch{} x y", "b".repeat(200));
    let input = format!("{long}\r\n{other}\r\nshort GET /x 200\r\n{long}");
    let args = ["--max-line-bytes", "64", "--boundary-overlap", "16"];
    let pattern = r#"pattern={"pattern": "<ip> <method> <rest>"}"#;
    let run = run(&[&args[..], &["-p", pattern]].concat(), input.as_bytes());
    assert!(run.stdout == input.as_bytes(), "pieces pass unchanged");
    assert_eq!(
        run.stderr,
        "stage 1 (pattern): 1 of 4 lines did not match and passed unchanged\n"
    );
    // The capture at the end takes the rest of the first piece only.
    let (out, _) = records(
        &[&args[..], &["-p", pattern, "-o", "json"]].concat(),
        input.as_bytes(),
    );
    let fields: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .map(|record| record.get("fields").cloned().unwrap_or_default())
        .collect();
    let first_piece = serde_json::json!({
        "ip": "203.0.113.7",
        "method": "GET",
        "rest": "/api/v1/search?q=aaaaaaaaaaaaaaa"
    });
    assert_eq!(
        fields,
        [
            first_piece.clone(),
            serde_json::Value::Null,
            serde_json::json!({"ip": "short", "method": "GET", "rest": "/x 200"}),
            first_piece,
        ]
    );
    // A literal that is only in a later piece is not found.
    let (_, report) = records(
        &[
            &args[..],
            &[
                "-p",
                r#"pattern={"pattern": "<ip> <method> <path> <status>"}"#,
            ],
        ]
        .concat(),
        format!("{long}\n").as_bytes(),
    );
    assert_eq!(
        report,
        "stage 1 (pattern): 1 of 1 line did not match and passed unchanged\n"
    );
}

#[test]
fn over_long_line_with_source_matches_the_field_of_its_last_piece() {
    let long = format!("payload {}", "p".repeat(300));
    let (out, report) = records(
        &[
            "--max-line-bytes",
            "64",
            "--boundary-overlap",
            "16",
            "-p",
            r#"fields={"set": {"route": "GET /api/v1/orders 200"}}"#,
            "-p",
            r#"pattern={"pattern": "<method> <path> <status>", "source": "route"}"#,
            "-o",
            "json",
        ],
        format!("{long}\n").as_bytes(),
    );
    assert_eq!(report, "");
    let record: serde_json::Value = serde_json::from_str(out.trim_end()).unwrap();
    assert_eq!(record["line"], long);
    assert_eq!(
        record["fields"],
        serde_json::json!({"route": "GET /api/v1/orders 200", "method": "GET", "path": "/api/v1/orders", "status": "200"})
    );
}

#[test]
fn report_goes_to_a_file_when_asked() {
    let dir = tempdir("stages-pattern-report");
    let path = dir.join("report.txt");
    let stage = format!(
        r#"pattern={{"pattern": "<a>=<b>", "report": "{}"}}"#,
        path.display()
    );
    let (out, stderr) = records(&["-p", &stage], b"k=v\nnope\nnope\n");
    assert_eq!(out, "k=v\nnope\nnope\n");
    assert_eq!(stderr, "");
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        "2 of 3 lines did not match and passed unchanged\n"
    );
}

#[test]
fn config_errors_name_the_stage_and_key() {
    let messages: Vec<String> = [
        "pattern",
        r#"pattern={"pattern": ""}"#,
        r#"pattern={"pattern": "no captures"}"#,
        r#"pattern={"pattern": "<_> only skips"}"#,
        r#"pattern={"pattern": "<a><b>"}"#,
        r#"pattern={"pattern": "<a> <a>"}"#,
        r#"pattern={"pattern": "<user-agent> x"}"#,
        r#"pattern={"pattern": "<1st> x"}"#,
        r#"pattern={"pattern": "<a.b> x"}"#,
        r#"pattern={"pattern": 5}"#,
        r#"pattern={"pattern": "<a>", "source": ""}"#,
        r#"pattern={"patern": "<a>"}"#,
    ]
    .iter()
    .map(|stage| config_error(stage))
    .collect();
    assert_snapshot!(messages.join("\n"), @r#"
    sluice: stage 1 (pattern): config key `pattern`: is required (a string)
    sluice: stage 1 (pattern): config key `pattern`: is empty; write literal text with captures, such as "<ip> - - [<_>] \"<method> <path> <_>\" <status> <_>"
    sluice: stage 1 (pattern): config key `pattern`: has no named capture, so it would extract nothing: name one, such as <status> (<_> only skips)
    sluice: stage 1 (pattern): config key `pattern`: has no named capture, so it would extract nothing: name one, such as <status> (<_> only skips)
    sluice: stage 1 (pattern): config key `pattern`: <a> and <b> have no literal text between them, so where one ends is undefined; put text between them
    sluice: stage 1 (pattern): config key `pattern`: captures <a> twice; each name must be used once
    sluice: stage 1 (pattern): config key `pattern`: <user-agent> is not a valid capture name: use letters, digits and _, not starting with a digit (such as <user_agent>)
    sluice: stage 1 (pattern): config key `pattern`: <1st> is not a valid capture name: use letters, digits and _, not starting with a digit (such as <_1st>)
    sluice: stage 1 (pattern): config key `pattern`: <a.b> is not a valid capture name: use letters, digits and _, not starting with a digit (such as <a_b>)
    sluice: stage 1 (pattern): config key `pattern`: expected a string, got a number
    sluice: stage 1 (pattern): config key `source`: is empty; name the field to match, or leave it out to match the line
    sluice: stage 1 (pattern): config key `patern`: unknown key; did you mean "pattern"? known keys: pattern, source, report
    "#);
}
