//! `fields`: see docs/stages/fields.md.

use insta::assert_snapshot;
use serde_json::{Value, json};

use crate::util::{config_error, records, transform};

/// The fields of each `-o json` record (`null` for a line without any).
fn fields_of(args: &[&str], input: &[u8]) -> Vec<Value> {
    records(args, input)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["fields"].clone())
        .collect()
}

#[test]
fn documented_kubernetes_example() {
    let out = records(
        &[
            "-p",
            "cri",
            "-p",
            r#"fields={"set": {"cluster": "eu-1"}, "rename": {"stream": "channel"}}"#,
        ],
        b"2024-06-01T12:00:00.123456789Z stdout F GET /health 200\n",
    );
    // The line and its timestamp are untouched.
    assert_snapshot!(out, @r#"{"line":"GET /health 200","timestamp":"2024-06-01T12:00:00.123456789Z","fields":{"cluster":"eu-1","channel":"stdout"}}"#);
}

#[test]
fn documented_dashboard_example() {
    let out = records(
        &[
            "-p",
            "json",
            "-p",
            r#"fields={"rename": {"msg": "message", "lvl": "level"}, "copy": {"host": "instance"}, "keep": ["level", "message", "host", "instance"]}"#,
        ],
        br#"{"lvl":"warn","msg":"slow query","host":"db-1","pid":"4711"}"#,
    );
    assert_snapshot!(out, @r#"{"line":"{\"lvl\":\"warn\",\"msg\":\"slow query\",\"host\":\"db-1\",\"pid\":\"4711\"}","fields":{"host":"db-1","message":"slow query","level":"warn","instance":"db-1"}}"#);
}

#[test]
fn steps_apply_in_their_order_whatever_the_order_of_the_keys() {
    // set x; rename x→a (replacing a); copy a→c (replacing c); keep a, c; drop c.
    let fields = fields_of(
        &[
            "-p",
            "logfmt",
            "-p",
            r#"fields={"drop": ["c"], "keep": ["a", "c"], "copy": {"a": "c"}, "rename": {"x": "a"}, "set": {"x": "from set"}}"#,
        ],
        b"a=1 b=2 c=3\n",
    );
    assert_eq!(fields, [json!({"a": "from set"})]);
}

#[test]
fn renames_and_copies_read_the_fields_as_they_were_before_their_step() {
    let swap = fields_of(
        &[
            "-p",
            "logfmt",
            "-p",
            r#"fields={"rename": {"a": "b", "b": "a"}}"#,
        ],
        b"a=1 b=2 c=3\n",
    );
    assert_eq!(
        swap,
        [json!({"a": 2, "b": 1, "c": 3})],
        "integers, typed by logfmt"
    );
    let chain = fields_of(
        &[
            "-p",
            "logfmt",
            "-p",
            r#"fields={"copy": {"a": "b", "b": "c"}}"#,
        ],
        b"a=1 b=2 c=3\n",
    );
    assert_eq!(chain, [json!({"a": 1, "b": 1, "c": 2})]);
    // `copy` runs after `rename`: it reads the new names.
    let after_rename = fields_of(
        &[
            "-p",
            "logfmt",
            "-p",
            r#"fields={"rename": {"a": "z"}, "copy": {"a": "old", "z": "new"}}"#,
        ],
        b"a=1\n",
    );
    assert_eq!(after_rename, [json!({"z": 1, "new": 1})]);
}

#[test]
fn missing_fields_change_nothing_and_set_applies_to_every_line() {
    let out = records(
        &[
            "-p",
            "logfmt",
            "-p",
            r#"fields={"set": {"env": "prod"}, "rename": {"lvl": "level"}, "copy": {"host": "instance"}, "drop": ["pid"]}"#,
        ],
        b"lvl=warn host=db-1 pid=7\nplain\n\n",
    );
    assert_snapshot!(out, @r#"
    {"line":"lvl=warn host=db-1 pid=7","fields":{"host":"db-1","env":"prod","level":"warn","instance":"db-1"}}
    {"line":"plain","fields":{"plain":"","env":"prod"}}
    {"line":"","fields":{"env":"prod"}}
    "#);
    // `keep: []` removes every field.
    let fields = fields_of(
        &["-p", "logfmt", "-p", r#"fields={"keep": []}"#],
        b"a=1 b=2\n",
    );
    assert_eq!(fields, [Value::Null]);
}

#[test]
fn values_move_byte_for_byte() {
    // `\u0000` puts a NUL in the value; the bad byte and the `\r` stay as they are.
    let input = b"{\"a\":\"caf\xe9 \\u0000 z\\r\"}\r\n";
    let out = records(
        &[
            "-p",
            "json",
            "-p",
            r#"fields={"copy": {"a": "b"}, "rename": {"a": "c"}}"#,
        ],
        input,
    );
    // `copy` reads `a` after `rename` moved it to `c`: only `c` exists.
    assert_snapshot!(out, @r#"{"line":"{\"a\":\"caf\\xe9 \\u0000 z\\r\"}","fields":{"c":"caf\\xe9 \u0000 z\r"}}"#);
    let out = transform(
        &[
            "-p",
            "json",
            "-p",
            r#"fields={"copy": {"a": "b"}, "set": {"u": "é ✓"}}"#,
            "-p",
            r#"pack={"fields": ["a", "b", "u"]}"#,
        ],
        input,
    );
    // The two values are the same bytes (pack shows the bad byte as \xe9).
    assert_snapshot!(String::from_utf8(out).unwrap(), @r#"{"_entry":"{\"a\":\"caf\\xe9 \\u0000 z\\r\"}","a":"caf\\xe9 \u0000 z\r","b":"caf\\xe9 \u0000 z\r","u":"é ✓"}"#);
}

#[test]
fn lines_and_timestamps_never_change() {
    let input = b"2024-06-01T12:00:00Z stdout F caf\xe9 \xff\0 lone\rcr\r\n\r\n\nnot cri\r\n2024-06-01T12:00:01Z stderr F last";
    let args = [
        "-p",
        "cri",
        "-p",
        r#"fields={"set": {"pod": "api-7d9"}, "rename": {"stream": "channel"}}"#,
    ];
    let cri_only = transform(&["-p", "cri"], input);
    assert_eq!(transform(&args, input), cri_only);
    assert_eq!(
        cri_only,
        b"caf\xe9 \xff\0 lone\rcr\r\n\r\n\nnot cri\r\nlast"
    );
    let out = records(&args, input);
    assert_snapshot!(out, @r#"
    {"line":"caf\\xe9 \\xff\u0000 lone\rcr","timestamp":"2024-06-01T12:00:00Z","fields":{"pod":"api-7d9","channel":"stdout"}}
    {"line":"","fields":{"pod":"api-7d9"}}
    {"line":"","fields":{"pod":"api-7d9"}}
    {"line":"not cri","fields":{"pod":"api-7d9"}}
    {"line":"last","timestamp":"2024-06-01T12:00:01Z","fields":{"pod":"api-7d9","channel":"stderr"}}
    "#);
}

#[test]
fn over_long_lines_change_the_fields_of_their_last_piece() {
    let long = format!("level=warn msg={}", "x".repeat(300));
    let input = format!("{long}\r\nlevel=info msg=short\r\n{long}");
    let args = [
        "--max-line-bytes",
        "64",
        "--boundary-overlap",
        "16",
        "-p",
        "logfmt",
        "-p",
        r#"fields={"set": {"env": "prod"}, "rename": {"level": "severity"}}"#,
    ];
    assert!(
        transform(&args, input.as_bytes()) == input.as_bytes(),
        "pieces pass unchanged"
    );
    // `logfmt` left out `msg`, cut at the end of the first piece.
    let out = records(&args, input.as_bytes());
    let records: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 3);
    assert_eq!(records[0]["line"], long);
    assert_eq!(
        records[0]["fields"],
        json!({"env": "prod", "severity": "warn"})
    );
    assert_eq!(
        records[1]["fields"],
        json!({"env": "prod", "severity": "info", "msg": "short"})
    );
    assert_eq!(records[2], records[0]);
}

#[test]
fn config_errors_name_the_stage_and_key() {
    let messages: Vec<String> = [
        "fields",
        "fields={}",
        r#"fields={"set": {}}"#,
        r#"fields={"rename": {"a": "x", "b": "x"}}"#,
        r#"fields={"copy": {"a": "x", "b": "x"}}"#,
        r#"fields={"set": {"": "x"}}"#,
        r#"fields={"rename": {"a": ""}}"#,
        r#"fields={"copy": {"": "b"}}"#,
        r#"fields={"set": {"status": 500}}"#,
        r#"fields={"rename": ["a"]}"#,
        r#"fields={"keep": "a"}"#,
        r#"fields={"drop": [1]}"#,
        r#"fields={"sets": {"a": "b"}}"#,
    ]
    .iter()
    .map(|stage| config_error(stage))
    .collect();
    assert_snapshot!(messages.join("\n"), @r#"
    sluice: stage 1 (fields): bad config: nothing to do: give at least one of set, rename, copy, keep, drop (such as {"drop": ["pod_template_hash"]})
    sluice: stage 1 (fields): bad config: nothing to do: give at least one of set, rename, copy, keep, drop (such as {"drop": ["pod_template_hash"]})
    sluice: stage 1 (fields): bad config: nothing to do: give at least one of set, rename, copy, keep, drop (such as {"drop": ["pod_template_hash"]})
    sluice: stage 1 (fields): config key `rename`: "a" and "b" are both renamed to "x"; keep one
    sluice: stage 1 (fields): config key `copy`: "a" and "b" are both copied to "x"; keep one
    sluice: stage 1 (fields): config key `set`: a field name cannot be empty
    sluice: stage 1 (fields): config key `rename`: a field name cannot be empty
    sluice: stage 1 (fields): config key `copy`: a field name cannot be empty
    sluice: stage 1 (fields): config key `set`: expected string values, but "status" is a number
    sluice: stage 1 (fields): config key `rename`: expected an object of strings, got a list
    sluice: stage 1 (fields): config key `keep`: expected a list of strings, got a string (write ["…"] for one item)
    sluice: stage 1 (fields): config key `drop`: expected a list of strings, but item 0 is a number
    sluice: stage 1 (fields): config key `sets`: unknown key; did you mean "set"? known keys: set, rename, copy, keep, drop
    "#);
}
