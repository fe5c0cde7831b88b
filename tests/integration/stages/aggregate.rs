//! `aggregate`: see docs/stages/aggregate.md.

use std::time::{Duration, Instant};

use insta::assert_snapshot;

use crate::util::{Run, fixture, run, send, show_lossy, spawn, tempdir, transform};

/// Generous: the interval tests check what is printed while the input stays open, not how
/// fast.
const PATIENCE: Duration = Duration::from_secs(20);

/// `-p logfmt -p aggregate=<config>` on `input`.
fn aggregate(config: &str, input: &[u8]) -> Run {
    run(
        &["-p", "logfmt", "-p", &format!("aggregate={config}")],
        input,
    )
}

/// The same on the fixture aggregate_access.log: its stdout (its stderr has notes about the
/// values that are not numbers, `-` and `n/a`).
fn on_access_log(config: &str) -> String {
    let input = std::fs::read(fixture("aggregate_access.log")).unwrap();
    let out = aggregate(config, &input);
    assert_eq!(out.code, 0, "{}", out.stderr);
    show_lossy(&out.stdout)
}

const DOCS_INPUT: &[u8] = b"status=200 method=GET bytes=2326 latency_ms=12 path=/api/users
status=200 method=POST bytes=4500 latency_ms=10 path=/api/orders
status=404 method=GET bytes=153 latency_ms=3 path=/favicon.ico
status=200 method=GET bytes=152 latency_ms=15 path=/healthz
";

#[test]
fn docs_example_table() {
    let out = aggregate(
        r#"{"group_by": ["status"], "select": ["count", "sum(bytes)", "avg(latency_ms)"]}"#,
        DOCS_INPUT,
    );
    assert_snapshot!(show_lossy(out.ok()), @r"
     status | count | sum(bytes) | avg(latency_ms)
    --------|-------|------------|-----------------
        200 |     3 |       6978 |       12.333333
        404 |     1 |        153 |               3
    ");
}

#[test]
fn json_format_one_object_per_group() {
    let out = aggregate(
        r#"{"group_by": "status", "select": "count, sum(bytes), avg(latency_ms)", "format": "json"}"#,
        DOCS_INPUT,
    );
    // Numbers in full precision, counts as integers, group values as strings.
    assert_snapshot!(show_lossy(out.ok()), @r#"
    {"status":"200","count":3,"sum(bytes)":6978,"avg(latency_ms)":12.333333333333334}
    {"status":"404","count":1,"sum(bytes)":153,"avg(latency_ms)":3}
    "#);
}

#[test]
fn every_select_function() {
    let out = on_access_log(
        r#"{"group_by": ["method"], "select": "count, count(bytes), sum(bytes), avg(duration_ms), min(duration_ms), max(duration_ms), last(path), status, method"}"#,
    );
    // `status` is not a group_by field: last(status), headed `status`; `method` places the
    // group column last. The warn line has no method: the missing group, last.
    assert_snapshot!(out, @r"
     count | count(bytes) | sum(bytes) | avg(duration_ms) | min(duration_ms) | max(duration_ms) | last(path)           | status | method
    -------|--------------|------------|------------------|------------------|------------------|----------------------|--------|--------
         1 |            1 |          0 |               33 |               33 |               33 | /api/v1/orders/48121 |    204 | DELETE
        10 |           10 |      12447 |       138.633333 |              0.3 |             1204 | /api/v1/users/42     |    200 | GET
         2 |            2 |        311 |             67.5 |               48 |               87 | /api/v1/orders       |    201 | POST
         1 |            0 |          0 |             2500 |             2500 |             2500 | -                    |      - | -
    ");
    // Function names in any case, spaces ignored, count(*) is count; the same as JSON.
    let json = on_access_log(
        r#"{"group_by": ["method"], "select": ["COUNT(*)", "Count( bytes )", "SUM(bytes)", " avg (duration_ms)", "Min(duration_ms)", "MAX(duration_ms)", "LAST(path)", "status"], "format": "json"}"#,
    );
    assert_snapshot!(json, @r#"
    {"method":"DELETE","count":1,"count(bytes)":1,"sum(bytes)":0,"avg(duration_ms)":33,"min(duration_ms)":33,"max(duration_ms)":33,"last(path)":"/api/v1/orders/48121","status":"204"}
    {"method":"GET","count":10,"count(bytes)":10,"sum(bytes)":12447,"avg(duration_ms)":138.63333333333333,"min(duration_ms)":0.3,"max(duration_ms)":1204,"last(path)":"/api/v1/users/42","status":"200"}
    {"method":"POST","count":2,"count(bytes)":2,"sum(bytes)":311,"avg(duration_ms)":67.5,"min(duration_ms)":48,"max(duration_ms)":87,"last(path)":"/api/v1/orders","status":"201"}
    {"method":null,"count":1,"count(bytes)":0,"sum(bytes)":0,"avg(duration_ms)":2500,"min(duration_ms)":2500,"max(duration_ms)":2500,"last(path)":null,"status":null}
    "#);
}

#[test]
fn values_that_are_not_numbers_are_skipped_and_reported() {
    let out = aggregate(
        r#"{"group_by": "host", "select": "count, sum(bytes), avg(duration_ms)"}"#,
        &std::fs::read(fixture("aggregate_access.log")).unwrap(),
    );
    // web-3: bytes "-" and duration "n/a" are skipped; its avg is over 2 values. Host names
    // are not numbers: sorted by bytes, "web-10" before "web-2".
    assert_snapshot!(show_lossy(&out.stdout), @r"
     host   | count | sum(bytes) | avg(duration_ms)
    --------|-------|------------|------------------
     web-1  |     5 |       6092 |             3.74
     web-10 |     1 |       1290 |                9
     web-2  |     5 |       5279 |            770.8
     web-3  |     3 |         97 |               17
    ");
    assert_eq!(
        out.stderr,
        "stage 2 (aggregate): sum(bytes): skipped 1 value(s) that were not numbers; avg(duration_ms): skipped 1 value(s) that were not numbers\n"
    );
    // To a file with `report`; nothing is written when nothing was skipped.
    let dir = tempdir("aggregate-report");
    let path = dir.join("notes.txt");
    let config = format!(
        r#"{{"select": "sum(n), max(n)", "report": "{}"}}"#,
        path.display()
    );
    let out = aggregate(
        &config,
        b"n=1\nn=12ms\nn=-\nn=\" 2.5 \"\nn=inf\nn=1.5e2\nother=x\n",
    );
    assert_snapshot!(show_lossy(out.ok()), @r"
     sum(n) | max(n)
    --------|--------
      153.5 |    150
    ");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "sum(n): skipped 2 value(s) that were not numbers and 1 of another dimension than their \
         group's first value (a number, a duration or a size); max(n): skipped 2 value(s) that \
         were not numbers and 1 of another dimension than their group's first value (a number, a \
         duration or a size)\n",
        "`-` and `inf` are not numbers; `12ms` is a duration among plain numbers"
    );
    let path = dir.join("nothing.txt");
    let config = format!(r#"{{"select": "sum(n)", "report": "{}"}}"#, path.display());
    aggregate(&config, b"n=1\n").ok();
    assert!(!path.exists());
}

#[test]
fn groups_sort_in_natural_order_missing_last() {
    let out = aggregate(
        r#"{"group_by": "svc", "select": "count, avg(ms)"}"#,
        b"svc=b ms=10\nsvc=10 ms=x\nsvc=9 ms=5\nms=7\nsvc= ms=1.5e2\nsvc=a ms=-\n\nsvc=b ms=-0.5\n",
    );
    // Numbers by value (9 before 10), then text by bytes (the empty value first), missing
    // (the line without svc, and the empty line) last.
    assert_snapshot!(show_lossy(&out.stdout), @r"
     svc | count | avg(ms)
    -----|-------|---------
     9   |     1 |       5
     10  |     1 |       -
         |     1 |     150
     a   |     1 |       -
     b   |     2 |    4.75
     -   |     2 |       7
    ");
    assert_eq!(
        out.stderr,
        "stage 2 (aggregate): avg(ms): skipped 2 value(s) that were not numbers\n"
    );
}

#[test]
fn order_by_order_and_limit() {
    let out = on_access_log(
        r#"{"group_by": "host", "select": ["count", "avg(duration_ms)", "max(duration_ms)"], "order_by": "avg( duration_ms )", "limit": 3}"#,
    );
    assert_snapshot!(out, @r"
     host   | count | avg(duration_ms) | max(duration_ms)
    --------|-------|------------------|------------------
     web-2  |     5 |            770.8 |             2500
     web-3  |     3 |               17 |               33
     web-10 |     1 |                9 |                9
    ");
    // asc (dtail's rorder by): ties by the group values, missing last.
    let out = on_access_log(
        r#"{"group_by": "status", "select": "count, last(path)", "order_by": "count(*)", "order": "asc"}"#,
    );
    assert_snapshot!(out, @r"
     status | count | last(path)
    --------|-------|----------------------
        201 |     1 | /api/v1/orders
        204 |     1 | /api/v1/orders/48121
        302 |     1 | /login
        304 |     1 | /static/app.3f9a.js
        404 |     1 | /missing
          - |     1 | -
        500 |     2 | /api/v1/search
        200 |     6 | /api/v1/users/42
    ");
    // By a group_by field, descending (text by bytes: "web-2" after "web-10"), ties by the
    // other group values.
    let out = on_access_log(
        r#"{"group_by": ["host", "method"], "order_by": "host", "limit": 4, "format": "json"}"#,
    );
    assert_snapshot!(out, @r#"
    {"host":"web-3","method":"DELETE","count":1}
    {"host":"web-3","method":"GET","count":2}
    {"host":"web-2","method":"GET","count":2}
    {"host":"web-2","method":"POST","count":2}
    "#);
}

#[test]
fn without_group_by_there_is_always_one_row() {
    assert_snapshot!(show_lossy(aggregate("{}", b"").ok()), @r"
     count
    -------
         0
    ");
    assert_eq!(
        show_lossy(
            aggregate(
                r#"{"select": "count, avg(x), last(y)", "format": "json"}"#,
                b""
            )
            .ok()
        ),
        "{\"count\":0,\"avg(x)\":null,\"last(y)\":null}\n"
    );
    // With group_by and no input: only the header (JSON: nothing).
    assert_eq!(
        show_lossy(aggregate(r#"{"group_by": "x"}"#, b"").ok()),
        " x | count\n---|-------\n"
    );
    assert_eq!(
        aggregate(r#"{"group_by": "x", "format": "json"}"#, b"").ok(),
        b""
    );
    // A last line without newline is aggregated too.
    assert_eq!(
        show_lossy(
            aggregate(
                r#"{"select": "count, sum(a)", "format": "json"}"#,
                b"a=1\na=2"
            )
            .ok()
        ),
        "{\"count\":2,\"sum(a)\":3}\n"
    );
    // Empty lines and lines without fields are counted.
    assert_eq!(
        show_lossy(aggregate(r#"{"format": "json"}"#, b"\n\nplain\n").ok()),
        "{\"count\":3}\n"
    );
}

#[test]
fn rows_carry_their_values_as_fields() {
    let out = run(
        &[
            "-p",
            "logfmt",
            "-p",
            r#"aggregate={"group_by": ["status"], "select": ["count", "sum(bytes)", "avg(latency_ms)", "last(method)"]}"#,
            "-o",
            "json",
        ],
        DOCS_INPUT,
    );
    assert_snapshot!(show_lossy(out.ok()), @r#"
    {"line":" status | count | sum(bytes) | avg(latency_ms) | last(method)"}
    {"line":"--------|-------|------------|-----------------|--------------"}
    {"line":"    200 |     3 |       6978 |       12.333333 | GET","fields":{"status":"200","count":3,"sum(bytes)":6978,"avg(latency_ms)":12.333333333333334,"last(method)":"GET"}}
    {"line":"    404 |     1 |        153 |               3 | GET","fields":{"status":"404","count":1,"sum(bytes)":153,"avg(latency_ms)":3,"last(method)":"GET"}}
    "#);
    // A later stage sees them.
    let out = transform(
        &[
            "-p",
            "logfmt",
            "-p",
            r#"aggregate={"group_by": "status", "format": "json"}"#,
            "-p",
            r#"pack={"fields": ["status"]}"#,
        ],
        DOCS_INPUT,
    );
    assert_snapshot!(show_lossy(&out), @r#"
    {"_entry":"{\"status\":\"200\",\"count\":3}","status":"200"}
    {"_entry":"{\"status\":\"404\",\"count\":1}","status":"404"}
    "#);
}

#[test]
fn pass_lets_lines_through_and_appends_the_table() {
    let out = run(
        &[
            "-p",
            "logfmt",
            "-p",
            r#"aggregate={"group_by": "status", "select": "count", "pass": true}"#,
        ],
        b"status=200 a\r\n\nstatus=500 \xff\0b\r\nstatus=200 c\n",
    );
    // The lines pass unchanged (CRLF, empty line, odd bytes); the table follows with LF.
    assert_eq!(
        out.ok(),
        b"status=200 a\r\n\nstatus=500 \xff\0b\r\nstatus=200 c\n status | count\n--------|-------\n    200 |     2\n    500 |     1\n      - |     1\n"
    );
}

#[test]
fn pass_after_a_last_line_without_newline() {
    // Actual: "a=1\nb=2 count\n-------\n     2\n".
    let out = aggregate(r#"{"pass": true}"#, b"a=1\nb=2");
    assert_eq!(show_lossy(out.ok()), "a=1\nb=2\n count\n-------\n     2\n");
}

#[test]
fn cells_show_control_characters_and_odd_bytes_escaped() {
    let out = aggregate(
        r#"{"group_by": "k", "select": "count, last(v)"}"#,
        b"k=caf\xe9 v=1\nk=\"a\tb\" v=2\nk=\"nul\0x\" v=3\nk=\xe6\x97\xa5\xe6\x9c\xac v=4\nk=\"cr\rx\" v=5\nk=\"\x1b[31mred\" v=6\n",
    );
    // Wide characters count as one: the CJK row misaligns, as documented.
    assert_snapshot!(show_lossy(out.ok()), @r"
     k           | count | last(v)
    -------------|-------|---------
     \x1b[31mred |     1 |       6
     a\x09b      |     1 |       2
     caf\xe9     |     1 |       1
     cr\x0dx     |     1 |       5
     nul\x00x    |     1 |       3
     日本          |     1 |       4
    ");
    // JSON: escaped by JSON's rules, bytes that are not UTF-8 as the text \xNN.
    let out = aggregate(
        r#"{"group_by": "k", "select": "count, last(k)", "format": "json"}"#,
        b"k=caf\xe9 v=1\nk=\"a\tb\" v=2\n",
    );
    assert_snapshot!(show_lossy(out.ok()), @r#"
    {"k":"a\tb","count":1,"last(k)":"a\tb"}
    {"k":"caf\\xe9","count":1,"last(k)":"caf\\xe9"}
    "#);
    // The row's field keeps the original bytes.
    let out = run(
        &[
            "-p",
            "logfmt",
            "-p",
            r#"aggregate={"group_by": "k"}"#,
            "-o",
            "json",
        ],
        b"k=caf\xe9\n",
    );
    assert!(show_lossy(out.ok()).contains(r#""fields":{"k":"caf\\xe9","count":1}"#));
}

#[test]
fn max_groups_caps_the_groups_and_reports_the_rest() {
    let out = aggregate(
        r#"{"group_by": "host", "max_groups": 2}"#,
        &std::fs::read(fixture("aggregate_access.log")).unwrap(),
    );
    assert_snapshot!(show_lossy(&out.stdout), @r"
     host  | count
    -------|-------
     web-1 |     5
     web-2 |     5
    ");
    assert_eq!(
        out.stderr,
        "stage 2 (aggregate): 4 line(s) of groups beyond max_groups were not aggregated\n"
    );
}

#[test]
fn over_long_lines_are_aggregated_once() {
    let long = format!("status=500 msg=\"{}\" bytes=7", "x".repeat(300));
    let input = format!("status=200 bytes=1\n{long}\nstatus=200 bytes=2\n");
    let args = |config: &str| {
        run(
            &[
                "--max-line-bytes",
                "64",
                "--boundary-overlap",
                "16",
                "-p",
                "logfmt",
                "-p",
                &format!("aggregate={config}"),
            ],
            input.as_bytes(),
        )
    };
    // Counted once (not once per piece), with the fields sluice gives the line: logfmt
    // parses its first piece (status, but not bytes, which is in a later piece).
    let out = args(
        r#"{"group_by": "status", "select": "count, count(bytes), sum(bytes)", "format": "json"}"#,
    );
    assert_snapshot!(show_lossy(out.ok()), @r#"
    {"status":"200","count":2,"count(bytes)":2,"sum(bytes)":3}
    {"status":"500","count":1,"count(bytes)":0,"sum(bytes)":0}
    "#);
    // With pass, every piece passes unchanged.
    let out = args(r#"{"select": "count", "format": "json", "pass": true}"#);
    assert_eq!(show_lossy(out.ok()), format!("{input}{{\"count\":3}}\n"));
}

#[test]
fn interval_prints_running_tables_while_the_input_stays_open() {
    let (child, mut stdin, rx) = spawn(&[
        "-p",
        "logfmt",
        "-p",
        r#"aggregate={"select": "count, sum(n)", "format": "json", "interval": "200ms"}"#,
    ]);
    send(&mut stdin, b"n=1\nn=2\nn=3\n");
    assert_eq!(
        rx.recv_timeout(PATIENCE).unwrap(),
        r#"{"count":3,"sum(n)":6}"#
    );
    // An idle input prints nothing more.
    assert!(rx.recv_timeout(Duration::from_millis(700)).is_err());
    // The aggregates keep accumulating.
    send(&mut stdin, b"n=4\n");
    assert_eq!(
        rx.recv_timeout(PATIENCE).unwrap(),
        r#"{"count":4,"sum(n)":10}"#
    );
    // The final table at end of input is always printed.
    drop(stdin);
    assert_eq!(
        rx.recv_timeout(PATIENCE).unwrap(),
        r#"{"count":4,"sum(n)":10}"#
    );
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(rx.recv_timeout(PATIENCE).is_err());
}

#[test]
fn interval_with_reset_covers_each_interval() {
    let (child, mut stdin, rx) = spawn(&[
        "-p",
        "logfmt",
        "-p",
        r#"aggregate={"group_by": "lvl", "format": "json", "interval": "200ms", "reset": true}"#,
    ]);
    send(&mut stdin, b"lvl=info\nlvl=warn\nlvl=info\n");
    assert_eq!(
        rx.recv_timeout(PATIENCE).unwrap(),
        r#"{"lvl":"info","count":2}"#
    );
    assert_eq!(
        rx.recv_timeout(PATIENCE).unwrap(),
        r#"{"lvl":"warn","count":1}"#
    );
    send(&mut stdin, b"lvl=error\n");
    assert_eq!(
        rx.recv_timeout(PATIENCE).unwrap(),
        r#"{"lvl":"error","count":1}"#
    );
    // Nothing arrived since the last table: no final one.
    std::thread::sleep(Duration::from_millis(300));
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(rx.recv_timeout(PATIENCE).is_err());
}

#[test]
fn interval_prints_under_a_steady_stream_with_pass() {
    let (child, mut stdin, rx) = spawn(&[
        "-p",
        "logfmt",
        "-p",
        r#"aggregate={"format": "json", "interval": "300ms", "pass": true}"#,
    ]);
    // A line every 50 ms for 2 s: the input is never idle, yet tables come.
    let start = Instant::now();
    let mut sent = 0;
    while start.elapsed() < Duration::from_secs(2) {
        sent += 1;
        send(&mut stdin, format!("n={sent}\n").as_bytes());
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut seen = Vec::new();
    while let Ok(line) = rx.try_recv() {
        seen.push(line);
    }
    let tables: Vec<&String> = seen.iter().filter(|l| l.starts_with('{')).collect();
    assert!(tables.len() >= 2, "{seen:?}");
    // Lines pass in order, the tables between them hold running counts.
    let mut counts = tables.iter().map(|t| {
        let v: serde_json::Value = serde_json::from_str(t).unwrap();
        v["count"].as_u64().unwrap()
    });
    let first = counts.next().unwrap();
    assert!(counts.all(|c| c > first), "{tables:?}");
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{output:?}");
    seen.extend(rx.iter());
    let lines: Vec<&String> = seen.iter().filter(|l| l.starts_with("n=")).collect();
    assert_eq!(lines.len(), sent);
    assert_eq!(seen.last().unwrap(), &format!("{{\"count\":{sent}}}"));
}

#[test]
fn config_errors_name_the_key() {
    let cases = [
        (
            r#"{"select": ["count", "median(ms)"]}"#,
            "config key `select`: item 2 \"median(ms)\": unknown function \"median\"; use count, count(field), sum(field), avg(field), min(field), max(field), last(field) or a field name",
        ),
        (
            r#"{"select": "count, count(*)"}"#,
            "config key `select`: the column \"count\" appears twice; list each column once",
        ),
        (
            r#"{"select": "sum()"}"#,
            "config key `select`: item 1 \"sum()\": sum() needs a field name, as in sum(bytes)",
        ),
        (
            r#"{"select": []}"#,
            "config key `select`: is empty; list at least one column, such as [\"count\"]",
        ),
        (
            r#"{"order_by": "x"}"#,
            "config key `order_by`: \"x\" is not a column; the columns are: count",
        ),
        (
            r#"{"order": "asc"}"#,
            "config key `order`: only applies with \"order_by\"; name the column to sort by",
        ),
        (
            r#"{"limit": 0}"#,
            "config key `limit`: must be at least 1 (leave it out to print every row)",
        ),
        (
            r#"{"interval": "0s"}"#,
            "config key `interval`: must be longer than zero, such as \"10s\"",
        ),
        (
            r#"{"reset": true}"#,
            "config key `reset`: only applies with \"interval\"; set an interval such as \"1m\"",
        ),
        (
            r#"{"max_groups": 0}"#,
            "config key `max_groups`: must be at least 1",
        ),
        (
            r#"{"format": "csv"}"#,
            "config key `format`: unknown value \"csv\"; expected one of: table, json",
        ),
        (
            r#"{"group_by": ["a", "a"]}"#,
            "config key `group_by`: names \"a\" twice",
        ),
        (
            r#"{"group_by": [""]}"#,
            "config key `group_by`: holds an empty field name",
        ),
    ];
    for (config, message) in cases {
        assert_eq!(
            run(&["-p", &format!("aggregate={config}")], b"").fails(2),
            format!("sluice: stage 1 (aggregate): {message}")
        );
    }
}
