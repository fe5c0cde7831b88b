use super::*;
use serde_json::{Value, json};
use sluice_plugin_sdk::Kind;
use sluice_plugin_sdk::testing::{
    Emitted, Harness, Input, advance_clock, config_error, describe, set_clock,
};

/// A line whose fields are its `key=value` words, as `logfmt` would extract them.
fn kv(line: &str) -> Input {
    let mut input = Input::new(line);
    for word in line.split(' ') {
        if let Some((k, v)) = word.split_once('=') {
            input = input.field(k, v);
        }
    }
    input
}

/// nginx-like access lines with fields.
fn access_log() -> Vec<Input> {
    [
        "status=200 method=GET bytes=2326 latency_ms=12 path=/api/users",
        "status=200 method=POST bytes=4500 latency_ms=10 path=/api/orders",
        "status=404 method=GET bytes=153 latency_ms=3 path=/favicon.ico",
        "status=200 method=GET bytes=152 latency_ms=15 path=/healthz",
    ]
    .into_iter()
    .map(kv)
    .collect()
}

/// Runs `inputs` in one batch and finishes; returns the output lines and the stage.
fn run(config: &str, inputs: Vec<Input>) -> (Vec<Emitted>, Harness<Aggregate>) {
    let mut stage = Harness::<Aggregate>::new(config).unwrap();
    let mut out = stage.process(inputs).unwrap();
    out.extend(stage.finish().unwrap());
    (out, stage)
}

fn texts(lines: &[Emitted]) -> Vec<String> {
    lines.iter().map(Emitted::text).collect()
}

#[test]
fn prints_an_aligned_table_and_drops_the_lines() {
    let (out, stage) = run(
        r#"{"group_by": ["status"], "select": ["count", "sum(bytes)", "avg(latency_ms)"]}"#,
        access_log(),
    );
    assert_eq!(
        texts(&out),
        [
            " status | count | sum(bytes) | avg(latency_ms)",
            "--------|-------|------------|-----------------",
            "    200 |     3 |       6978 |       12.333333",
            "    404 |     1 |        153 |               3",
        ]
    );
    assert!(out.iter().all(|l| l.source.is_none()), "all trailing lines");
    // Each row carries its values as fields, numbers in full precision.
    assert_eq!(out[2].field_str("status"), Some("200"));
    assert_eq!(out[2].field_str("count"), Some("3"));
    assert_eq!(
        out[2].field_str("avg(latency_ms)"),
        Some("12.333333333333334")
    );
    assert!(out[0].fields.is_empty() && out[1].fields.is_empty());
    assert!(
        stage.reports().is_empty(),
        "nothing skipped, nothing reported"
    );
}

#[test]
fn json_lines_one_object_per_group() {
    let (out, _) = run(
        r#"{"group_by": ["method", "status"], "format": "json",
            "select": "count, min(latency_ms), max(latency_ms), last(path), count(user)"}"#,
        access_log(),
    );
    let rows: Vec<Value> = out
        .iter()
        .map(|l| serde_json::from_slice(&l.bytes).unwrap())
        .collect();
    assert_eq!(
        rows,
        [
            json!({"method": "GET", "status": "200", "count": 2, "min(latency_ms)": 12,
                   "max(latency_ms)": 15, "last(path)": "/healthz", "count(user)": 0}),
            json!({"method": "GET", "status": "404", "count": 1, "min(latency_ms)": 3,
                   "max(latency_ms)": 3, "last(path)": "/favicon.ico", "count(user)": 0}),
            json!({"method": "POST", "status": "200", "count": 1, "min(latency_ms)": 10,
                   "max(latency_ms)": 10, "last(path)": "/api/orders", "count(user)": 0}),
        ]
    );
    // Keys in column order.
    assert!(
        out[0]
            .text()
            .starts_with(r#"{"method":"GET","status":"200","count":2,"#)
    );
}

#[test]
fn without_group_by_there_is_one_group_even_of_nothing() {
    let (out, _) = run(r#"{"select": ["count", "avg(x)", "sum(x)"]}"#, vec![]);
    assert_eq!(
        texts(&out),
        [
            " count | avg(x) | sum(x)",
            "-------|--------|--------",
            "     0 |      - |      0",
        ]
    );
    let (out, _) = run(r#"{"format": "json"}"#, vec![kv("a=1"), Input::new("")]);
    assert_eq!(texts(&out), [r#"{"count":2}"#]);
}

#[test]
fn lines_without_a_group_by_field_form_their_own_group_sorted_last() {
    let config = r#"{"group_by": ["level"], "select": ["count"]}"#;
    let inputs = || {
        vec![
            kv("level=warn msg=slow"),
            Input::new("Starting application on port 8080"),
            Input::new(""),
            kv("level=error msg=boom"),
            kv("level= msg=empty"),
        ]
    };
    let (out, _) = run(config, inputs());
    assert_eq!(
        texts(&out),
        [
            " level | count",
            "-------|-------",
            "       |     1",
            " error |     1",
            " warn  |     1",
            " -     |     2",
        ]
    );
    let (out, _) = run(
        r#"{"group_by": ["level"], "select": ["count"], "format": "json"}"#,
        inputs(),
    );
    assert_eq!(out[3].text(), r#"{"level":null,"count":2}"#);
    assert_eq!(out[3].field("level"), None, "no field for a missing value");
}

#[test]
fn values_that_are_not_numbers_are_skipped_and_reported() {
    let (out, stage) = run(
        r#"{"select": ["sum(bytes)", "avg(bytes)", "max(rt)", "count"]}"#,
        vec![
            kv("bytes=100 rt=0.5"),
            kv("bytes=- rt=0.25"),
            kv("bytes=1.5e2 rt=n/a"),
            kv("rt=0.125"),
            kv("bytes=12kb"),
        ],
    );
    assert_eq!(texts(&out)[2], "        250 |        125 |     0.5 |     5");
    assert_eq!(
        stage.reports(),
        [b"sum(bytes): skipped 1 value(s) that were not numbers and 1 of another dimension than \
their group's first value (a number, a duration or a size); \
avg(bytes): skipped 1 value(s) that were not numbers and 1 of another dimension than their \
group's first value (a number, a duration or a size); \
max(rt): skipped 1 value(s) that were not numbers\n"
            .to_vec()]
    );
}

#[test]
fn durations_add_up_in_seconds_and_sizes_in_bytes() {
    let (out, stage) = run(
        r#"{"group_by": "path", "select": ["sum(duration)", "max(duration)", "sum(size)"], "format": "json"}"#,
        vec![
            kv("path=/a duration=918ms size=4KB"),
            kv("path=/a duration=1.5s size=1KiB"),
            kv("path=/a duration=1m30s size=512B"),
            kv("path=/b duration=250us size=2"),
            kv("path=/b duration=3 size=1MB"),
        ],
    );
    assert_eq!(
        texts(&out),
        [
            r#"{"path":"/a","sum(duration)":92.418,"max(duration)":90,"sum(size)":5536}"#,
            r#"{"path":"/b","sum(duration)":0.00025,"max(duration)":0.00025,"sum(size)":2}"#,
        ]
    );
    // /b: `3` (no unit) is not a duration like `250us`, and `1MB` not a number like `2`.
    assert_eq!(
        stage.reports(),
        [b"sum(duration): skipped 1 value(s) of another dimension than their group's first value \
(a number, a duration or a size); \
max(duration): skipped 1 value(s) of another dimension than their group's first value (a \
number, a duration or a size); \
sum(size): skipped 1 value(s) of another dimension than their group's first value (a number, \
a duration or a size)\n"
            .to_vec()]
    );
}

#[test]
fn row_fields_are_typed() {
    let (out, _) = run(
        r#"{"group_by": "path", "select": ["count", "avg(rt)", "last(rt)"]}"#,
        vec![kv("path=/a rt=0.5"), kv("path=/a rt=0.25"), kv("path=/b")],
    );
    let row = &out[2];
    assert_eq!(row.field_str("path"), Some("/a"));
    assert_eq!(row.kind("path"), Kind::Text);
    assert_eq!(
        (row.field_str("count"), row.kind("count")),
        (Some("2"), Kind::Integer)
    );
    assert_eq!(
        (row.field_str("avg(rt)"), row.kind("avg(rt)")),
        (Some("0.375"), Kind::Number)
    );
    assert_eq!(
        (row.field_str("last(rt)"), row.kind("last(rt)")),
        (Some("0.25"), Kind::Text)
    );
    assert_eq!(
        out[3].field("avg(rt)"),
        None,
        "a missing value sets no field"
    );
}

#[test]
fn bare_names_place_group_columns_or_take_the_last_value() {
    let (out, _) = run(
        r#"{"group_by": ["status"], "select": ["count", "status", "method"]}"#,
        access_log(),
    );
    assert_eq!(
        texts(&out),
        [
            " count | status | method",
            "-------|--------|--------",
            "     3 |    200 | GET",
            "     1 |    404 | GET",
        ]
    );
}

#[test]
fn order_by_and_limit() {
    let lines: Vec<Input> = [
        "host=web-1 ms=10",
        "host=web-2 ms=30",
        "host=web-2 ms=50",
        "host=web-3 ms=20",
        "host=web-3 ms=20",
        "host=web-4",
    ]
    .into_iter()
    .map(kv)
    .collect();
    let (out, _) = run(
        r#"{"group_by": "host", "select": ["count", "avg(ms)"], "order_by": "count(*)", "limit": 3}"#,
        lines.clone(),
    );
    // Descending by count; ties by host.
    assert_eq!(
        texts(&out)[2..],
        [
            " web-2 |     2 |      40",
            " web-3 |     2 |      20",
            " web-1 |     1 |      10"
        ]
    );
    let (out, _) = run(
        r#"{"group_by": "host", "select": ["avg(ms)"], "order_by": "avg( ms )", "order": "asc"}"#,
        lines,
    );
    // Ascending, the missing average last.
    assert_eq!(
        texts(&out)[2..],
        [
            " web-1 |      10",
            " web-3 |      20",
            " web-2 |      40",
            " web-4 |       -"
        ]
    );
}

#[test]
fn group_values_sort_in_natural_order() {
    let lines: Vec<Input> = [
        "bucket=10",
        "bucket=9",
        "bucket=100",
        "bucket=x",
        "bucket=-1",
    ]
    .into_iter()
    .map(kv)
    .collect();
    let (out, _) = run(r#"{"group_by": ["bucket"], "format": "json"}"#, lines);
    let buckets: Vec<String> = out
        .iter()
        .map(|l| l.field_str("bucket").unwrap().to_owned())
        .collect();
    assert_eq!(buckets, ["-1", "9", "10", "100", "x"]);
}

#[test]
fn pass_lets_lines_through_and_appends_the_table() {
    let mut stage = Harness::<Aggregate>::new(r#"{"pass": true, "group_by": ["status"]}"#).unwrap();
    let inputs = access_log();
    let out = stage.process(inputs.clone()).unwrap();
    assert_eq!(out.len(), 4);
    for (line, input) in out.iter().zip(&inputs) {
        assert!(!line.rewritten);
        assert_eq!(line.bytes, input.bytes);
        assert_eq!(line.fields, input.fields);
    }
    assert_eq!(
        texts(&stage.finish().unwrap()),
        [
            " status | count",
            "--------|-------",
            "    200 |     3",
            "    404 |     1"
        ]
    );
}

#[test]
fn pieces_of_an_over_long_line_count_once_with_the_last_pieces_fields() {
    let pieces = || {
        vec![
            Input::new("x".repeat(20)).partial(),
            Input::new(b"\xff\x00\r").partial(),
            Input::new("tail")
                .field("status", "500")
                .field("bytes", "7"),
            kv("status=500 bytes=3"),
        ]
    };
    let config = r#"{"group_by": ["status"], "select": ["count", "sum(bytes)"], "pass": true}"#;
    let mut stage = Harness::<Aggregate>::new(config).unwrap();
    let out = stage.process(pieces()).unwrap();
    assert_eq!(out.len(), 4, "every piece passes");
    assert_eq!(out[1].bytes, b"\xff\x00\r");
    assert!(out.iter().all(|l| !l.rewritten));
    assert_eq!(
        texts(&stage.finish().unwrap())[2],
        "    500 |     2 |         10"
    );

    // Without pass, every piece is dropped.
    let (out, _) = run(r#"{"group_by": ["status"]}"#, pieces());
    assert_eq!(
        texts(&out),
        [" status | count", "--------|-------", "    500 |     2"]
    );
}

#[test]
fn odd_bytes_in_values_stay_on_one_line_and_valid_json() {
    let inputs = || {
        vec![
            Input::new("a").field("user", b"caf\xc3\xa9\xff"),
            Input::new("b").field("user", "tab\there"),
            Input::new("c").field("user", "nul\0\r\"q\""),
        ]
    };
    let (out, _) = run(r#"{"group_by": ["user"]}"#, inputs());
    assert_eq!(
        texts(&out),
        [
            " user           | count",
            "----------------|-------",
            " café\\xff       |     1",
            " nul\\x00\\x0d\"q\" |     1",
            " tab\\x09here    |     1",
        ]
    );
    // The fields keep the raw bytes.
    assert_eq!(out[2].field("user"), Some(&b"caf\xc3\xa9\xff"[..]));
    let (out, _) = run(r#"{"group_by": ["user"], "format": "json"}"#, inputs());
    let users: Vec<Value> = out
        .iter()
        .map(|l| serde_json::from_slice::<Value>(&l.bytes).unwrap()["user"].clone())
        .collect();
    assert_eq!(
        users,
        [
            json!("café\\xff"),
            json!("nul\u{0}\r\"q\""),
            json!("tab\there")
        ]
    );
}

#[test]
fn interval_prints_while_lines_arrive_and_keeps_accumulating() {
    set_clock(0, 1_000_000_000);
    let mut stage = Harness::<Aggregate>::new(r#"{"interval": "10s", "format": "json"}"#).unwrap();
    assert_eq!(stage.wake(), None);
    stage.process([kv("a=1")]).unwrap();
    assert_eq!(stage.wake().map(|w| w.after_ms), Some(10_000));
    // Lines keep coming: the deadline stays where it was.
    advance_clock(4_000);
    stage.process([kv("a=2")]).unwrap();
    assert_eq!(stage.wake().map(|w| w.after_ms), Some(6_000));
    advance_clock(6_000);
    assert_eq!(texts(&stage.tick().unwrap()), [r#"{"count":2}"#]);
    // Nothing new: no wake, no repeated table.
    assert_eq!(stage.wake(), None);
    advance_clock(60_000);
    stage.process([kv("a=3")]).unwrap();
    assert_eq!(stage.wake().map(|w| w.after_ms), Some(0), "overdue");
    assert_eq!(texts(&stage.tick().unwrap()), [r#"{"count":3}"#]);
    assert_eq!(texts(&stage.finish().unwrap()), [r#"{"count":3}"#]);
}

#[test]
fn interval_with_reset_starts_afresh() {
    set_clock(0, 0);
    let config = r#"{"interval": "1s", "reset": true, "group_by": ["k"], "format": "json"}"#;
    let mut stage = Harness::<Aggregate>::new(config).unwrap();
    stage.process([kv("k=a"), kv("k=b")]).unwrap();
    advance_clock(1_000);
    assert_eq!(
        texts(&stage.tick().unwrap()),
        [r#"{"k":"a","count":1}"#, r#"{"k":"b","count":1}"#]
    );
    stage.process([kv("k=b")]).unwrap();
    advance_clock(1_000);
    assert_eq!(texts(&stage.tick().unwrap()), [r#"{"k":"b","count":1}"#]);
    // Nothing since the last table: finish prints nothing more.
    assert!(stage.finish().unwrap().is_empty());
}

#[test]
fn max_groups_caps_memory_and_reports_the_overflow() {
    let lines: Vec<Input> = (0..5).map(|i| kv(&format!("id={i}"))).collect();
    let (out, stage) = run(
        r#"{"group_by": ["id"], "max_groups": 2, "format": "json"}"#,
        lines,
    );
    assert_eq!(
        texts(&out),
        [r#"{"id":"0","count":1}"#, r#"{"id":"1","count":1}"#]
    );
    assert_eq!(
        stage.reports(),
        [b"3 line(s) of groups beyond max_groups were not aggregated\n".to_vec()]
    );
}

#[test]
fn config_errors_name_the_key() {
    let cases = [
        (
            r#"{"select": ["count", "median(ms)"]}"#,
            "select",
            "item 2 \"median(ms)\": unknown function \"median\"",
        ),
        (
            r#"{"select": ["sum()"]}"#,
            "select",
            "item 1 \"sum()\": sum() needs a field name",
        ),
        (r#"{"select": []}"#, "select", "is empty"),
        (
            r#"{"select": ["count", "count(*)"]}"#,
            "select",
            "the column \"count\" appears twice",
        ),
        (r#"{"select": 3}"#, "select", "expected a list of strings"),
        (
            r#"{"group_by": ["a", "a"]}"#,
            "group_by",
            "names \"a\" twice",
        ),
        (r#"{"group_by": [""]}"#, "group_by", "empty field name"),
        (
            r#"{"format": "csv"}"#,
            "format",
            "expected one of: table, json",
        ),
        (
            r#"{"order_by": "sum(x)"}"#,
            "order_by",
            "\"sum(x)\" is not a column; the columns are: count",
        ),
        (
            r#"{"order": "asc"}"#,
            "order",
            "only applies with \"order_by\"",
        ),
        (r#"{"limit": 0}"#, "limit", "at least 1"),
        (r#"{"interval": "soon"}"#, "interval", "not a duration"),
        (r#"{"interval": "0s"}"#, "interval", "longer than zero"),
        (
            r#"{"reset": true}"#,
            "reset",
            "only applies with \"interval\"",
        ),
        (r#"{"max_groups": 0}"#, "max_groups", "at least 1"),
        (
            r#"{"groupby": ["a"]}"#,
            "groupby",
            "did you mean \"group_by\"",
        ),
    ];
    for (config, key, message) in cases {
        let e = config_error::<Aggregate>(config);
        assert_eq!(e.key.as_deref(), Some(key), "{config}");
        assert!(e.message.contains(message), "{config}: {}", e.message);
    }
}

#[test]
fn describes_itself() {
    let info = describe::<Aggregate>();
    assert_eq!(info.name, "aggregate");
    assert!(info.config_keys.iter().any(|k| k.name == "report"));
    let select = info
        .config_keys
        .iter()
        .find(|k| k.name == "select")
        .unwrap();
    assert_eq!(select.default.as_deref(), Some("[\"count\"]"));
}
