//! `json`: see docs/stages/json.md.

use std::fs;

use insta::assert_snapshot;

use crate::util::{config_error, fixture, run, tempdir, visible};

/// Runs sluice, asserting a clean exit; returns stdout (UTF-8) and stderr (the report).
fn records(args: &[&str], input: &[u8]) -> (String, String) {
    let run = run(args, input);
    assert_eq!(run.code, 0, "stderr:\n{}", run.stderr);
    (run.text(), run.stderr)
}

#[test]
fn every_top_level_key_of_an_app_log() {
    let input = fs::read(fixture("app_json.log")).unwrap();
    let (out, report) = records(&["-p", "json", "-o", "json"], &input);
    assert_eq!(report, "");
    assert_snapshot!(out);
}

#[test]
fn documented_example_with_expressions() {
    let input = b"{\"level\":\"error\",\"user\":{\"name\":\"bob\"},\"items\":[{\"id\":7},{\"id\":8}],\"http.status\":502}\nplain text line\n";
    let (out, report) = records(
        &[
            "-p",
            r#"json={"expressions": {"user": "user.name", "first": "items[0].id", "code": "[\"http.status\"]"}}"#,
            "-o",
            "json",
        ],
        input,
    );
    assert_snapshot!(out, @r#"
    {"line":"{\"level\":\"error\",\"user\":{\"name\":\"bob\"},\"items\":[{\"id\":7},{\"id\":8}],\"http.status\":502}","fields":{"user":"bob","first":7,"code":502}}
    {"line":"plain text line"}
    "#);
    assert_eq!(
        report,
        "stage 1 (json): 1 of 2 lines was not valid JSON and passed unchanged\n"
    );
    // Without configuration, nested values become compact JSON text under their key.
    let (out, _) = records(&["-p", "json", "-o", "json"], input);
    assert_snapshot!(out, @r#"
    {"line":"{\"level\":\"error\",\"user\":{\"name\":\"bob\"},\"items\":[{\"id\":7},{\"id\":8}],\"http.status\":502}","fields":{"level":"error","user":"{\"name\":\"bob\"}","items":"[{\"id\":7},{\"id\":8}]","http.status":502}}
    {"line":"plain text line"}
    "#);
}

#[test]
fn path_forms_and_paths_that_do_not_resolve() {
    let line = r#"{"key.with.dots":1,"a":{"b-c":2,"q\"k":3,"é":4},"headers":{"User-Agent":"curl/8.5.0"},"user-agent":"ua","items":[10,{"id":20}],"s":"str"}"#;
    let expressions = r#"json={"expressions": {
        "quoted": "\"key.with.dots\"",
        "bracket": "[\"key.with.dots\"]",
        "dash": "a.\"b-c\"",
        "escaped_quote": "a.\"q\\\"k\"",
        "escaped_unicode": "a.\"\\u00e9\"",
        "header": "headers[\"User-Agent\"]",
        "user-agent": "",
        "nested": "items[1].id",
        "past_the_end": "items[5]",
        "missing": "nope",
        "key_in_a_string": "s.x",
        "index_in_an_object": "a[0]"
    }}"#;
    let (out, report) = records(&["-p", expressions, "-o", "json"], line.as_bytes());
    assert_eq!(report, "");
    // The last four resolve to nothing and set no field.
    assert_snapshot!(out, @r#"{"line":"{\"key.with.dots\":1,\"a\":{\"b-c\":2,\"q\\\"k\":3,\"é\":4},\"headers\":{\"User-Agent\":\"curl/8.5.0\"},\"user-agent\":\"ua\",\"items\":[10,{\"id\":20}],\"s\":\"str\"}","fields":{"quoted":1,"bracket":1,"dash":2,"escaped_quote":3,"escaped_unicode":4,"header":"curl/8.5.0","user-agent":"ua","nested":20}}"#);
}

#[test]
fn values_by_json_type() {
    let line = br#"{"s":"a\"b\n\/\u00e9","n":1.5e3,"neg":-0,"t":true,"f":false,"z":null,"o":{ "a" : [1, 2, {"b" : "x y"}] },"e":[],"":"empty key","d":1,"d":2,"lone":"\ud800!","pair":"\ud83d\ude00"}"#;
    let (out, _) = records(&["-p", "json", "-o", "json"], line);
    assert_snapshot!(out, @r#"{"line":"{\"s\":\"a\\\"b\\n\\/\\u00e9\",\"n\":1.5e3,\"neg\":-0,\"t\":true,\"f\":false,\"z\":null,\"o\":{ \"a\" : [1, 2, {\"b\" : \"x y\"}] },\"e\":[],\"\":\"empty key\",\"d\":1,\"d\":2,\"lone\":\"\\ud800!\",\"pair\":\"\\ud83d\\ude00\"}","fields":{"s":"a\"b\n/é","n":1.5e3,"neg":-0,"t":true,"f":false,"z":null,"o":"{\"a\":[1,2,{\"b\":\"x y\"}]}","e":"[]","d":2,"lone":"�!","pair":"😀"}}"#);
}

#[test]
fn later_duplicate_keys_win_in_paths_and_a_lone_cr_is_whitespace() {
    let (out, report) = records(
        &[
            "-p",
            r#"json={"expressions": {"ab": "a.b", "nested": "x[1][0]", "escaped_key": "\"k\\u00e9y\""}, "all": true}"#,
            "-o",
            "json",
        ],
        b"{\"a\":{\"b\":1,\"b\":2},\"k\\u00e9y\":1,\"x\":[1,[2,3]]}\n{\"a\":1}\r\r\n",
    );
    assert_eq!(report, "");
    assert_snapshot!(out, @r#"
    {"line":"{\"a\":{\"b\":1,\"b\":2},\"k\\u00e9y\":1,\"x\":[1,[2,3]]}","fields":{"a":"{\"b\":1,\"b\":2}","kéy":1,"x":"[1,[2,3]]","ab":2,"nested":2,"escaped_key":1}}
    {"line":"{\"a\":1}\r","fields":{"a":1}}
    "#);
}

#[test]
fn all_with_expressions_sets_the_expressions_last_so_they_win() {
    let line = br#"{"level":"info","msg":"m","x":{"y":"from x.y"}}"#;
    let (out, _) = records(
        &[
            "-p",
            r#"json={"expressions": {"level": "x.y"}, "all": true}"#,
            "-o",
            "json",
        ],
        line,
    );
    assert_snapshot!(out, @r#"{"line":"{\"level\":\"info\",\"msg\":\"m\",\"x\":{\"y\":\"from x.y\"}}","fields":{"level":"from x.y","msg":"m","x":"{\"y\":\"from x.y\"}"}}"#);
    // `all: false` without expressions extracts nothing, but still validates.
    let (out, report) = records(
        &[
            "-p",
            r#"json={"expressions": {"msg": ""}, "all": false}"#,
            "-o",
            "json",
        ],
        b"{\"level\":\"info\",\"msg\":\"only this\"}\n{oops}\n",
    );
    assert_snapshot!(out, @r#"
    {"line":"{\"level\":\"info\",\"msg\":\"only this\"}","fields":{"msg":"only this"}}
    {"line":"{oops}"}
    "#);
    assert_eq!(
        report,
        "stage 1 (json): 1 of 2 lines was not valid JSON and passed unchanged\n"
    );
}

#[test]
fn expressions_are_set_in_the_order_they_are_written() {
    let (out, _) = records(
        &[
            "-p",
            r#"json={"expressions": {"zz": "z", "mm": "m", "aa": "a"}}"#,
            "-o",
            "json",
        ],
        br#"{"a":1,"m":2,"z":3}"#,
    );
    assert_eq!(
        out,
        "{\"line\":\"{\\\"a\\\":1,\\\"m\\\":2,\\\"z\\\":3}\",\"fields\":{\"zz\":3,\"mm\":2,\"aa\":1}}\n"
    );
}

#[test]
fn expressions_from_a_pipeline_file_are_set_in_the_order_they_are_written() {
    let dir = tempdir("stages-json-order");
    let path = dir.join("pipeline.toml");
    fs::write(
        &path,
        "[[stage]]\nplugin = \"json\"\nexpressions = { zz = \"z\", mm = \"m\", aa = \"a\" }\n",
    )
    .unwrap();
    let (out, _) = records(
        &["-c", path.to_str().unwrap(), "-o", "json"],
        br#"{"a":1,"m":2,"z":3}"#,
    );
    assert_eq!(
        out,
        "{\"line\":\"{\\\"a\\\":1,\\\"m\\\":2,\\\"z\\\":3}\",\"fields\":{\"zz\":3,\"mm\":2,\"aa\":1}}\n"
    );
}

#[test]
fn lines_that_are_not_objects_get_the_reason_and_are_counted() {
    let input: &[u8] = b"[1,2]\n42\n\"text\"\n{\"a\":1,}\n{'a':1}\n{\"a\":NaN}\n{\"a\":1} {\"b\":2}\n\n{\"raw\":\"x\0y\"}\n{\"tab\":\"a\tb\"}\n  {\"padded\":true}  \n";
    let (out, report) = records(
        &["-p", r#"json={"error_field": "__error__"}"#, "-o", "json"],
        input,
    );
    assert_snapshot!(out, @r#"
    {"line":"[1,2]","fields":{"__error__":"not a JSON object"}}
    {"line":"42","fields":{"__error__":"not a JSON object"}}
    {"line":"\"text\"","fields":{"__error__":"not a JSON object"}}
    {"line":"{\"a\":1,}","fields":{"__error__":"invalid JSON at byte 7: expected a key in quotes"}}
    {"line":"{'a':1}","fields":{"__error__":"invalid JSON at byte 1: expected a key in quotes"}}
    {"line":"{\"a\":NaN}","fields":{"__error__":"invalid JSON at byte 5: expected a value"}}
    {"line":"{\"a\":1} {\"b\":2}","fields":{"__error__":"invalid JSON at byte 8: expected the end of the line"}}
    {"line":"","fields":{"__error__":"invalid JSON at byte 0: expected a value"}}
    {"line":"{\"raw\":\"x\u0000y\"}","fields":{"__error__":"invalid JSON at byte 9: expected no control character in a string"}}
    {"line":"{\"tab\":\"a\tb\"}","fields":{"__error__":"invalid JSON at byte 9: expected no control character in a string"}}
    {"line":"  {\"padded\":true}  ","fields":{"padded":true}}
    "#);
    assert_eq!(
        report,
        "stage 1 (json): 7 of 11 lines were not valid JSON and passed unchanged; 3 were JSON but not an \
         object and passed unchanged\n"
    );
    // The lines themselves pass byte for byte.
    let passed = run(&["-p", r#"json={"error_field": "__error__"}"#], input);
    assert_eq!(passed.stdout, input);
}

#[test]
fn bytes_that_are_not_utf8_and_nul() {
    let input = b"{\"msg\":\"caf\xe9 \xff\",\"k\xfe\":\"v\"}\n\xff{\"a\":1}\n{\"nul\":\"a\\u0000b\"}\n{\"a\":\"x\x00y\"}\n";
    let run = run(
        &["-p", r#"json={"error_field": "err"}"#, "-o", "json"],
        input,
    );
    assert_eq!(run.code, 0);
    // Bad bytes in strings are kept (shown as \xNN by the JSON output), a bad key becomes
    // U+FFFD, a bad byte outside a string or a raw NUL make the line invalid; `\u0000` is a NUL.
    assert_snapshot!(run.text(), @r#"
    {"line":"{\"msg\":\"caf\\xe9 \\xff\",\"k\\xfe\":\"v\"}","fields":{"msg":"caf\\xe9 \\xff","k�":"v"}}
    {"line":"\\xff{\"a\":1}","fields":{"err":"invalid JSON at byte 0: expected a value"}}
    {"line":"{\"nul\":\"a\\u0000b\"}","fields":{"nul":"a\u0000b"}}
    {"line":"{\"a\":\"x\u0000y\"}","fields":{"err":"invalid JSON at byte 7: expected no control character in a string"}}
    "#);
    assert_eq!(
        run.stderr,
        "stage 1 (json): 2 of 4 lines were not valid JSON and passed unchanged\n"
    );
    let raw = transform_quietly(&["-p", "json"], input);
    assert_eq!(raw, input);
}

/// The output of a run whose report is not looked at.
fn transform_quietly(args: &[&str], input: &[u8]) -> Vec<u8> {
    let run = run(args, input);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stdout
}

#[test]
fn drop_malformed_drops_what_does_not_parse() {
    let (out, report) = records(
        &["-p", r#"json={"drop_malformed": true}"#],
        b"{\"ok\":1}\nnot json\n[1]\n\n{\"ok\":2}\r\n",
    );
    assert_eq!(visible(out.as_bytes()), "{\"ok\":1}\\n\n{\"ok\":2}\\r\\n\n");
    assert_eq!(
        report,
        "stage 1 (json): 2 of 5 lines were not valid JSON and were dropped; 1 was JSON but not an \
         object and was dropped\n"
    );
}

#[test]
fn nesting_is_limited_to_128() {
    let deep = |n: usize| format!("{{\"a\":{}{}}}\n", "[".repeat(n), "]".repeat(n));
    // The object itself is one level: 127 arrays inside make 128.
    let input = format!("{}{}", deep(127), deep(128));
    let (out, report) = records(
        &["-p", r#"json={"error_field": "err"}"#, "-o", "json"],
        input.as_bytes(),
    );
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines[0]["fields"]["a"],
        format!("{}{}", "[".repeat(127), "]".repeat(127))
    );
    assert_eq!(
        lines[1]["fields"],
        serde_json::json!({"err": "invalid JSON at byte 132: expected less deeply nested arrays"})
    );
    assert_eq!(
        report,
        "stage 1 (json): 1 of 2 lines was not valid JSON and passed unchanged\n"
    );
}

#[test]
fn source_parses_a_field_holding_json_text() {
    // JSON inside JSON: a gateway logs the upstream's JSON body as a string.
    let input = concat!(
        r#"{"ts":"12:00:01","body":"{\"user\":{\"name\":\"bob\"},\"status\":200}"}"#,
        "\n",
        r#"{"ts":"12:00:02","body":"<html>502 Bad Gateway</html>"}"#,
        "\n",
        r#"{"ts":"12:00:03"}"#,
        "\n",
    );
    let (out, report) = records(
        &[
            "-p",
            r#"json={"expressions": {"body": ""}}"#,
            "-p",
            r#"json={"source": "body", "expressions": {"user": "user.name", "status": ""}, "error_field": "body_error"}"#,
            "-o",
            "json",
        ],
        input.as_bytes(),
    );
    assert_snapshot!(out, @r#"
    {"line":"{\"ts\":\"12:00:01\",\"body\":\"{\\\"user\\\":{\\\"name\\\":\\\"bob\\\"},\\\"status\\\":200}\"}","fields":{"body":"{\"user\":{\"name\":\"bob\"},\"status\":200}","user":"bob","status":200}}
    {"line":"{\"ts\":\"12:00:02\",\"body\":\"<html>502 Bad Gateway</html>\"}","fields":{"body":"<html>502 Bad Gateway</html>","body_error":"invalid JSON at byte 0: expected a value"}}
    {"line":"{\"ts\":\"12:00:03\"}"}
    "#);
    assert_eq!(
        report,
        "stage 2 (json): 1 of 3 lines was not valid JSON and passed unchanged; 1 had no field \"body\" and \
         passed unchanged\n"
    );
}

#[test]
fn crlf_empty_lines_and_no_final_newline() {
    let input = b"{\"a\":1}\r\nnot json\r\n\r\n\n{\"b\":2}";
    let run = run(&["-p", "json"], input);
    assert_eq!(run.stdout, input, "every line passes unchanged");
    assert_eq!(
        run.stderr,
        "stage 1 (json): 3 of 5 lines were not valid JSON and passed unchanged\n"
    );
    let (out, _) = records(&["-p", "json", "-o", "json"], input);
    assert_snapshot!(out, @r#"
    {"line":"{\"a\":1}","fields":{"a":1}}
    {"line":"not json"}
    {"line":""}
    {"line":""}
    {"line":"{\"b\":2}","fields":{"b":2}}
    "#);
}

#[test]
fn pieces_of_over_long_lines_pass_unchanged_and_count_as_too_long() {
    let long = format!("{{\"msg\":\"{}\",\"level\":\"info\"}}", "x".repeat(300));
    let input = format!("{long}\r\n{{\"short\":1}}\r\n{long}");
    let args = ["--max-line-bytes", "64", "--boundary-overlap", "16"];
    for config in [
        "json",
        r#"json={"drop_malformed": true}"#,
        r#"json={"error_field": "err"}"#,
    ] {
        let run = run(&[&args[..], &["-p", config]].concat(), input.as_bytes());
        assert_eq!(run.code, 0);
        assert!(
            run.stdout == input.as_bytes(),
            "{config}: not byte-identical"
        );
        assert_eq!(
            run.stderr,
            "stage 1 (json): 2 of 3 lines were too long to parse (over-long lines, in pieces) and passed \
             unchanged\n",
            "{config}"
        );
    }
    // The reason is on the line's record (its last piece); the short line between is parsed.
    let (out, _) = records(
        &[
            &args[..],
            &["-p", r#"json={"error_field": "err"}"#, "-o", "json"],
        ]
        .concat(),
        input.as_bytes(),
    );
    let records: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 3);
    assert_eq!(records[0]["line"], long);
    assert_eq!(
        records[0]["fields"],
        serde_json::json!({"err": "line too long to parse"})
    );
    assert_eq!(records[1]["fields"], serde_json::json!({"short": 1}));
    assert_eq!(records[2]["line"], long);
    assert_eq!(
        records[2]["fields"],
        serde_json::json!({"err": "line too long to parse"})
    );
}

#[test]
fn over_long_line_with_source_parses_the_field_of_its_last_piece() {
    let long = format!("GET /{} 200", "a".repeat(300));
    let (out, report) = records(
        &[
            "--max-line-bytes",
            "64",
            "--boundary-overlap",
            "16",
            "-p",
            r#"fields={"set": {"payload": "{\"user\":{\"id\":7}}"}}"#,
            "-p",
            r#"json={"source": "payload", "expressions": {"user_id": "user.id"}}"#,
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
        serde_json::json!({"payload": "{\"user\":{\"id\":7}}", "user_id": 7})
    );
}

#[test]
fn report_goes_to_a_file_when_asked() {
    let dir = tempdir("stages-json-report");
    let path = dir.join("report.txt");
    let config = format!(r#"json={{"report": "{}"}}"#, path.display());
    let (out, stderr) = records(&["-p", &config], b"{\"a\":1}\nnope\n");
    assert_eq!(out, "{\"a\":1}\nnope\n");
    assert_eq!(stderr, "");
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        "1 of 2 lines was not valid JSON and passed unchanged\n"
    );
}

#[test]
fn config_errors_name_the_stage_and_key() {
    let messages: Vec<String> = [
        r#"json={"expressions": {"a": "items[*]"}}"#,
        r#"json={"expressions": {"a": "a.*"}}"#,
        r#"json={"expressions": {"a": "a[-1]"}}"#,
        r#"json={"expressions": {"a": "a[0:2]"}}"#,
        r#"json={"expressions": {"a": "a[?x]"}}"#,
        r#"json={"expressions": {"a": "length(a)"}}"#,
        r#"json={"expressions": {"a": "a | b"}}"#,
        r#"json={"expressions": {}}"#,
        r#"json={"expressions": {"": "a"}}"#,
        r#"json={"expressions": {"a": 1}}"#,
        r#"json={"drop_malformed": true, "error_field": "e"}"#,
        r#"json={"error_field": ""}"#,
        r#"json={"source": ""}"#,
        r#"json={"all": "yes"}"#,
        r#"json={"expresions": {}}"#,
    ]
    .iter()
    .map(|stage| config_error(stage))
    .collect();
    assert_snapshot!(messages.join("\n"), @r#"
    sluice: stage 1 (json): config key `expressions`: field "a": "items[*]": expected an index such as [0] or a quoted key such as ["a.b"] at byte 5; wildcards, slices and filters are not supported
    sluice: stage 1 (json): config key `expressions`: field "a": "a.*": unexpected '*' at byte 2; a path is keys and indexes such as user.name, items[0].id, "key.with.dots" or ["key.with.dots"] (a JMESPath subset)
    sluice: stage 1 (json): config key `expressions`: field "a": "a[-1]": negative indexes are not supported; count from the start, such as [0]
    sluice: stage 1 (json): config key `expressions`: field "a": "a[0:2]": expected ']' at byte 3
    sluice: stage 1 (json): config key `expressions`: field "a": "a[?x]": expected an index such as [0] or a quoted key such as ["a.b"] at byte 1; wildcards, slices and filters are not supported
    sluice: stage 1 (json): config key `expressions`: field "a": "length(a)": unexpected '(' at byte 6; a path is keys and indexes such as user.name, items[0].id, "key.with.dots" or ["key.with.dots"] (a JMESPath subset)
    sluice: stage 1 (json): config key `expressions`: field "a": "a | b": unexpected ' ' at byte 1; a path is keys and indexes such as user.name, items[0].id, "key.with.dots" or ["key.with.dots"] (a JMESPath subset)
    sluice: stage 1 (json): config key `expressions`: is empty: give at least one field, such as {"user": "user.name"}, or leave it out to extract every top-level key
    sluice: stage 1 (json): config key `expressions`: has an empty field name; name the field each path goes to
    sluice: stage 1 (json): config key `expressions`: expected string values, but "a" is a number
    sluice: stage 1 (json): config key `error_field`: has no effect with "drop_malformed": lines that fail are dropped; remove one of the two
    sluice: stage 1 (json): config key `error_field`: is empty; name the field that gets the reason, such as "__error__"
    sluice: stage 1 (json): config key `source`: is empty; name the field to parse, or leave it out to parse the line
    sluice: stage 1 (json): config key `all`: expected true or false, got a string
    sluice: stage 1 (json): config key `expresions`: unknown key; did you mean "expressions"? known keys: expressions, all, source, drop_malformed, error_field, report
    "#);
}
