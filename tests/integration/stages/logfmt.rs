//! `logfmt`: see docs/stages/logfmt.md.

use insta::assert_snapshot;

use crate::util::{config_error, records, transform, transform_fixture};

#[test]
fn every_key_of_a_logfmt_app_log() {
    assert_snapshot!(transform_fixture(
        &["-p", "logfmt", "-o", "json"],
        "logfmt.log"
    ));
    // The lines themselves pass unchanged.
    let input = std::fs::read(crate::util::fixture("logfmt.log")).unwrap();
    assert!(transform(&["-p", "logfmt"], &input) == input);
}

#[test]
fn documented_example() {
    let out = records(
        &["-p", "logfmt"],
        br#"ts=2024-10-10T13:55:38Z level=warn msg="retrying \"orders\" query" attempt=3 dry_run"#,
    );
    assert_snapshot!(out, @r#"{"line":"ts=2024-10-10T13:55:38Z level=warn msg=\"retrying \\\"orders\\\" query\" attempt=3 dry_run","fields":{"ts":"2024-10-10T13:55:38Z","level":"warn","msg":"retrying \"orders\" query","attempt":3,"dry_run":""}}"#);
}

#[test]
fn values_quoting_and_escapes() {
    let input = concat!(
        r#"url=/a?b=c&d==e ratio=1/2 k="a\tb\\n\u00e9\/\x \"q\"" empty= quoted_empty="" bare"#,
        "\n",
        r#"json={"a":1} say="multi word value" d=1 d=2"#,
        "\n",
    );
    let out = records(&["-p", "logfmt"], input.as_bytes());
    assert_snapshot!(out, @r#"
    {"line":"url=/a?b=c&d==e ratio=1/2 k=\"a\\tb\\\\n\\u00e9\\/\\x \\\"q\\\"\" empty= quoted_empty=\"\" bare","fields":{"url":"/a?b=c&d==e","ratio":"1/2","k":"a\tb\\né/\\x \"q\"","empty":"","quoted_empty":"","bare":""}}
    {"line":"json={\"a\":1} say=\"multi word value\" d=1 d=2","fields":{"json":"{\"a\":1}","say":"multi word value","d":2}}
    "#);
}

#[test]
fn malformed_parts_are_skipped_and_the_rest_kept() {
    let input = concat!(
        r#"=x "stray text" key"x" a=1 k="v"junk b=2"#,
        "\n",
        r#"ok=1 u="never closed x=2 y=3"#,
        "\n",
    );
    let out = records(&["-p", "logfmt"], input.as_bytes());
    assert_snapshot!(out, @r#"
    {"line":"=x \"stray text\" key\"x\" a=1 k=\"v\"junk b=2","fields":{"a":1,"k":"v","b":2}}
    {"line":"ok=1 u=\"never closed x=2 y=3","fields":{"ok":1}}
    "#);
}

#[test]
fn plain_text_is_made_of_bare_keys_and_mapping_picks() {
    let input = b"GET /health 200\nlevel=info status=200 path=/health msg=ok\n";
    let out = records(&["-p", "logfmt"], input);
    assert_snapshot!(out, @r#"
    {"line":"GET /health 200","fields":{"GET":"","/health":"","200":""}}
    {"line":"level=info status=200 path=/health msg=ok","fields":{"level":"info","status":200,"path":"/health","msg":"ok"}}
    "#);
    // Only the listed keys, renamed; an empty key means the field's own name; two fields may
    // take the same key.
    let out = records(
        &[
            "-p",
            r#"logfmt={"mapping": {"level": "", "status_code": "status", "route": "path", "also_route": "path", "absent": "nope"}}"#,
        ],
        input,
    );
    assert_snapshot!(out, @r#"
    {"line":"GET /health 200"}
    {"line":"level=info status=200 path=/health msg=ok","fields":{"level":"info","status_code":200,"route":"/health","also_route":"/health"}}
    "#);
}

#[test]
fn separators_are_whitespace_and_control_bytes() {
    // Tab, lone CR, other control bytes and NUL separate pairs.
    let out = records(&["-p", "logfmt"], b"a=1\tb=2\rc=3\x01d=4\x00e=5\x7ff=6\n");
    assert_snapshot!(out, @r#"{"line":"a=1\tb=2\rc=3\u0001d=4\u0000e=5\u007ff=6","fields":{"a":1,"b":2,"c":3,"d":4,"e":"5\u007ff=6"}}"#);
}

#[test]
fn bytes_that_are_not_utf8() {
    let input = b"v=caf\xe9 k\xff=skipped q=\"\xfe\xfd\" w=ok\n";
    let out = records(&["-p", "logfmt"], input);
    // Values keep their bytes (the JSON output shows them as \xNN); the bad key is skipped.
    assert_snapshot!(out, @r#"{"line":"v=caf\\xe9 k\\xff=skipped q=\"\\xfe\\xfd\" w=ok","fields":{"v":"caf\\xe9","q":"\\xfe\\xfd","w":"ok"}}"#);
    // The line passes byte for byte.
    assert_eq!(transform(&["-p", "logfmt"], input), input);
}

#[test]
fn source_parses_a_field() {
    let input = concat!(
        r#"{"level":"info","msg":"user=bob action=login ok"}"#,
        "\n",
        r#"{"level":"warn"}"#,
        "\n",
    );
    let out = records(
        &[
            "-p",
            "json",
            "-p",
            r#"logfmt={"source": "msg", "mapping": {"who": "user", "action": ""}}"#,
        ],
        input.as_bytes(),
    );
    assert_snapshot!(out, @r#"
    {"line":"{\"level\":\"info\",\"msg\":\"user=bob action=login ok\"}","fields":{"level":"info","msg":"user=bob action=login ok","who":"bob","action":"login"}}
    {"line":"{\"level\":\"warn\"}","fields":{"level":"warn"}}
    "#);
}

#[test]
fn cri_messages_with_mapping_as_in_the_docs() {
    let input = b"2024-06-01T12:00:00Z stdout F level=info status=200 path=/api/orders took=3ms\n2024-06-01T12:00:01Z stderr F level=error status=500 path=/api/pay\n";
    let out = records(
        &[
            "-p",
            "cri",
            "-p",
            r#"logfmt={"mapping": {"level": "", "status_code": "status", "route": "path"}}"#,
        ],
        input,
    );
    assert_snapshot!(out, @r#"
    {"line":"level=info status=200 path=/api/orders took=3ms","timestamp":"2024-06-01T12:00:00Z","fields":{"stream":"stdout","level":"info","status_code":200,"route":"/api/orders"}}
    {"line":"level=error status=500 path=/api/pay","timestamp":"2024-06-01T12:00:01Z","fields":{"stream":"stderr","level":"error","status_code":500,"route":"/api/pay"}}
    "#);
}

#[test]
fn empty_lines_crlf_and_no_final_newline() {
    let input = b"a=1\r\n\r\n\nb=\"x y\"\r\nlast=1";
    assert_eq!(transform(&["-p", "logfmt"], input), input);
    let out = records(&["-p", "logfmt"], input);
    // `\r` is not part of a line: no field gets it.
    assert_snapshot!(out, @r#"
    {"line":"a=1","fields":{"a":1}}
    {"line":""}
    {"line":""}
    {"line":"b=\"x y\"","fields":{"b":"x y"}}
    {"line":"last=1","fields":{"last":1}}
    "#);
}

#[test]
fn over_long_lines_take_their_fields_from_the_first_piece() {
    // The first piece is 48 bytes (a 64-byte window less the 16-byte overlap): it ends in the
    // middle of `path=...`, which is therefore left out; `tail=1` is in a later piece.
    let long = format!(
        "level=info msg=\"a quoted value\" user=bob path=/api/v1/orders/48121 {} tail=1",
        "x".repeat(200)
    );
    assert_eq!(
        &long[..48],
        "level=info msg=\"a quoted value\" user=bob path=/a"
    );
    let input = format!("{long}\r\nshort=1\r\n{long}");
    let args = ["--max-line-bytes", "64", "--boundary-overlap", "16"];
    assert!(
        transform(&[&args[..], &["-p", "logfmt"]].concat(), input.as_bytes()) == input.as_bytes(),
        "pieces pass unchanged"
    );
    let out = records(&[&args[..], &["-p", "logfmt"]].concat(), input.as_bytes());
    let fields: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["fields"].clone())
        .collect();
    let expected = serde_json::json!({"level": "info", "msg": "a quoted value", "user": "bob"});
    assert_eq!(
        fields,
        [expected.clone(), serde_json::json!({"short": 1}), expected]
    );
    // With `source`, the field is on the last piece and is parsed whole.
    let out = records(
        &[
            &args[..],
            &[
                "-p",
                r#"fields={"set": {"ctx": "trace=abc span=def"}}"#,
                "-p",
                r#"logfmt={"source": "ctx"}"#,
            ],
        ]
        .concat(),
        format!("{long}\n").as_bytes(),
    );
    let record: serde_json::Value = serde_json::from_str(out.trim_end()).unwrap();
    assert_eq!(record["line"], long);
    assert_eq!(
        record["fields"],
        serde_json::json!({"ctx": "trace=abc span=def", "trace": "abc", "span": "def"})
    );
}

#[test]
fn config_errors_name_the_stage_and_key() {
    let messages: Vec<String> = [
        r#"logfmt={"mapping": {}}"#,
        r#"logfmt={"mapping": {"": "a"}}"#,
        r#"logfmt={"mapping": {"a": 1}}"#,
        r#"logfmt={"mapping": ["a"]}"#,
        r#"logfmt={"source": ""}"#,
        r#"logfmt={"source": 3}"#,
        r#"logfmt={"maping": {}}"#,
    ]
    .iter()
    .map(|stage| config_error(stage))
    .collect();
    assert_snapshot!(messages.join("\n"), @r#"
    sluice: stage 1 (logfmt): config key `mapping`: is empty: name at least one field, such as {"level": "lvl"}, or leave it out to extract every key
    sluice: stage 1 (logfmt): config key `mapping`: has an empty field name; name the field each key goes to
    sluice: stage 1 (logfmt): config key `mapping`: expected string values, but "a" is a number
    sluice: stage 1 (logfmt): config key `mapping`: expected an object of strings, got a list
    sluice: stage 1 (logfmt): config key `source`: is empty; name the field to parse, or leave it out to parse the line
    sluice: stage 1 (logfmt): config key `source`: expected a string, got a number
    sluice: stage 1 (logfmt): config key `maping`: unknown key; did you mean "mapping"? known keys: mapping, source, typed
    "#);
}
