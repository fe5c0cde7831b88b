//! `timestamp`: see docs/stages/timestamp.md.

use std::fs;

use insta::assert_snapshot;
use serde_json::Value;

use crate::util::{Run, config_error, report_of, run_cmd, sluice, tempdir};

/// 2024-06-01T12:00:00Z, for the patterns without a year.
const NOW: &str = "1717243200";

/// Runs sluice with the clock frozen at [`NOW`].
fn run_at_now(args: &[&str], input: &[u8]) -> Run {
    run_cmd(sluice().env("SLUICE_NOW", NOW).args(args), input)
}

/// Each value of `values` as a line of its own, captured whole into the field `t` and parsed
/// by a timestamp stage with `config` (the JSON members after `source`): one row per line,
/// the value and the timestamp that `-o json` gives it (`-` for none), then the report.
fn parse_values(config: &str, values: &[&str]) -> String {
    let input: String = values.iter().map(|v| format!("{v}\n")).collect();
    let stage = format!(r#"timestamp={{"source": "t", {config}}}"#);
    let run = run_at_now(
        &[
            "-p",
            r#"regex={"expression": "^(?P<t>.*)$"}"#,
            "-p",
            &stage,
            "-o",
            "json",
        ],
        input.as_bytes(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut table = String::new();
    for line in run.text().lines() {
        let record: Value = serde_json::from_str(line).unwrap();
        let value = record["line"].as_str().unwrap();
        let ts = record["timestamp"].as_str().unwrap_or("-");
        table.push_str(&format!("{:<36} {ts}\n", format!("{value:?}")));
    }
    table + &report_of(&run.stderr, "stage 2 (timestamp)")
}

#[test]
fn rfc3339_and_rfc3339nano() {
    let values = [
        "2024-06-01T12:00:00Z",
        "2024-06-01T12:00:00.123Z",
        "2024-06-01T12:00:00.123456789Z",
        "2024-06-01 14:00:00+02:00",
        "2024-06-01t12:00:00z",
        "2024-06-01T08:00:00-04:00",
        "2024-06-01T14:00:00",
        "2024-06-01T12:00:00.1234567891Z",
        " 2024-06-01T12:00:00Z",
        "2024-06-01T12:00:00Z ",
        "2024-06-01T24:00:00Z",
        "2262-06-01T00:00:00Z",
        "",
    ];
    // Values without an offset are read in `timezone`.
    let config = r#""format": "RFC3339", "timezone": "Europe/Berlin", "action_on_failure": "skip""#;
    let table = parse_values(config, &values);
    assert_snapshot!(table, @r#"
    "2024-06-01T12:00:00Z"               2024-06-01T12:00:00Z
    "2024-06-01T12:00:00.123Z"           2024-06-01T12:00:00.123Z
    "2024-06-01T12:00:00.123456789Z"     2024-06-01T12:00:00.123456789Z
    "2024-06-01 14:00:00+02:00"          2024-06-01T12:00:00Z
    "2024-06-01t12:00:00z"               2024-06-01T12:00:00Z
    "2024-06-01T08:00:00-04:00"          2024-06-01T12:00:00Z
    "2024-06-01T14:00:00"                2024-06-01T12:00:00Z
    "2024-06-01T12:00:00.1234567891Z"    -
    " 2024-06-01T12:00:00Z"              -
    "2024-06-01T12:00:00Z "              -
    "2024-06-01T24:00:00Z"               -
    "2262-06-01T00:00:00Z"               -
    ""                                   -
    field "t": 7 parsed, 6 failed (0 fudged, 6 left as they were), 0 without the field; first failure: "2024-06-01T12:00:00.1234567891Z"
    "#);
    let nano = config.replace("RFC3339", "RFC3339Nano");
    assert_eq!(
        parse_values(&nano, &values),
        table,
        "the two names are one format"
    );
}

#[test]
fn rfc1123_and_rfc822_families() {
    let values = [
        "Sat, 01 Jun 2024 12:00:00 GMT",
        "Sat, 01 Jun 2024 14:00:00 +0200",
        "01 Jun 24 14:00 +0200",
        "Sat, 01 Jun 2024 07:00:00 EST",
        "Sat, 01 Jun 2024 08:00:00 EDT",
        "Sat, 1 Jun 2024 05:00:00 PDT",
        "Sat, 01 Jun 2024 12:00:00 UT",
        "Mon, 01 Jun 2024 12:00:00 GMT",
        "2024-06-01T12:00:00Z",
    ];
    let config = r#""format": "RFC1123", "action_on_failure": "skip""#;
    let table = parse_values(config, &values);
    assert_snapshot!(table, @r#"
    "Sat, 01 Jun 2024 12:00:00 GMT"      2024-06-01T12:00:00Z
    "Sat, 01 Jun 2024 14:00:00 +0200"    2024-06-01T12:00:00Z
    "01 Jun 24 14:00 +0200"              2024-06-01T12:00:00Z
    "Sat, 01 Jun 2024 07:00:00 EST"      2024-06-01T12:00:00Z
    "Sat, 01 Jun 2024 08:00:00 EDT"      2024-06-01T12:00:00Z
    "Sat, 1 Jun 2024 05:00:00 PDT"       2024-06-01T12:00:00Z
    "Sat, 01 Jun 2024 12:00:00 UT"       2024-06-01T12:00:00Z
    "Mon, 01 Jun 2024 12:00:00 GMT"      -
    "2024-06-01T12:00:00Z"               -
    field "t": 7 parsed, 2 failed (0 fudged, 2 left as they were), 0 without the field; first failure: "Mon, 01 Jun 2024 12:00:00 GMT"
    "#);
    for name in ["RFC1123Z", "RFC822", "RFC822Z"] {
        let other = config.replace("RFC1123", name);
        assert_eq!(parse_values(&other, &values), table, "{name}");
    }
}

#[test]
fn ansic_and_rubydate() {
    let ansic = parse_values(
        r#""format": "ANSIC", "timezone": "+02:00", "action_on_failure": "skip""#,
        &[
            "Sat Jun  1 14:00:00 2024",
            "Sat Jun 1 14:00:00 2024",
            "sat jun 01 14:00:00 2024",
            "Sat Jun  1 14:00:00 2024 +0200",
        ],
    );
    assert_snapshot!(ansic, @r#"
    "Sat Jun  1 14:00:00 2024"           2024-06-01T12:00:00Z
    "Sat Jun 1 14:00:00 2024"            2024-06-01T12:00:00Z
    "sat jun 01 14:00:00 2024"           2024-06-01T12:00:00Z
    "Sat Jun  1 14:00:00 2024 +0200"     -
    field "t": 3 parsed, 1 failed (0 fudged, 1 left as they were), 0 without the field; first failure: "Sat Jun  1 14:00:00 2024 +0200"
    "#);
    let ruby = parse_values(
        r#""format": "RubyDate", "action_on_failure": "skip""#,
        &[
            "Sat Jun 01 14:00:00 +0200 2024",
            "Sat Jun 01 08:00:00 -0400 2024",
            "Sat Jun 01 14:00:00 +02:00 2024",
            "Sat Jun 01 14:00:00 2024",
        ],
    );
    assert_snapshot!(ruby, @r#"
    "Sat Jun 01 14:00:00 +0200 2024"     2024-06-01T12:00:00Z
    "Sat Jun 01 08:00:00 -0400 2024"     2024-06-01T12:00:00Z
    "Sat Jun 01 14:00:00 +02:00 2024"    -
    "Sat Jun 01 14:00:00 2024"           -
    field "t": 2 parsed, 2 failed (0 fudged, 2 left as they were), 0 without the field; first failure: "Sat Jun 01 14:00:00 +02:00 2024"
    "#);
}

#[test]
fn unix_formats() {
    let mut table = String::new();
    for (format, values) in [
        (
            "Unix",
            &[
                "1717243200",
                "1717243200.123",
                "1717243200.1234567891",
                "-1.5",
                "1e9",
                " 1717243200",
                "",
            ][..],
        ),
        ("UnixMs", &["1717243200123", "-1", "1717243200.5"][..]),
        ("UnixUs", &["1717243200123456"][..]),
        (
            "UnixNs",
            &["1717243200123456789", "99999999999999999999"][..],
        ),
    ] {
        let config = format!(r#""format": "{format}", "action_on_failure": "skip""#);
        table.push_str(&format!("{format}:\n{}", parse_values(&config, values)));
    }
    assert_snapshot!(table, @r#"
    Unix:
    "1717243200"                         2024-06-01T12:00:00Z
    "1717243200.123"                     2024-06-01T12:00:00.123Z
    "1717243200.1234567891"              2024-06-01T12:00:00.123456789Z
    "-1.5"                               1969-12-31T23:59:58.5Z
    "1e9"                                -
    " 1717243200"                        -
    ""                                   -
    field "t": 4 parsed, 3 failed (0 fudged, 3 left as they were), 0 without the field; first failure: "1e9"
    UnixMs:
    "1717243200123"                      2024-06-01T12:00:00.123Z
    "-1"                                 1969-12-31T23:59:59.999Z
    "1717243200.5"                       -
    field "t": 2 parsed, 1 failed (0 fudged, 1 left as they were), 0 without the field; first failure: "1717243200.5"
    UnixUs:
    "1717243200123456"                   2024-06-01T12:00:00.123456Z
    UnixNs:
    "1717243200123456789"                2024-06-01T12:00:00.123456789Z
    "99999999999999999999"               -
    field "t": 1 parsed, 1 failed (0 fudged, 1 left as they were), 0 without the field; first failure: "99999999999999999999"
    "#);
}

#[test]
fn strftime_patterns() {
    let mut table = String::new();
    for (pattern, values) in [
        (
            "%d/%b/%Y:%H:%M:%S %z",
            &["21/Nov/2026:06:12:01 +0000", "1/jun/2024:14:00:00 +0200"][..],
        ),
        (
            "%Y-%m-%d %H:%M:%S,%3f",
            &["2024-06-01 12:00:00,042", "2024-06-01 12:00:00.042"][..],
        ),
        (
            "%Y-%m-%d %H:%M:%S%.f",
            &["2024-06-01 12:00:00", "2024-06-01 12:00:00.5"][..],
        ),
        (
            "%Y-%m-%dT%H:%M:%S%:z",
            &["2024-06-01T14:00:00+02:00", "2024-06-01T12:00:00Z"][..],
        ),
        (
            "%Y-%m-%d %H:%M:%S %Q",
            &[
                "2024-06-01 14:00:00 Europe/Berlin",
                "2024-06-01 08:00:00 America/New_York",
                "2024-06-01 08:00:00 Mars/Olympus",
            ][..],
        ),
        ("%s", &["1717243200"][..]),
        ("100%% at %Y-%m-%d", &["100% at 2024-06-01"][..]),
    ] {
        let config = format!(
            r#""format": {}, "action_on_failure": "skip""#,
            serde_json::to_string(pattern).unwrap()
        );
        table.push_str(&format!("{pattern}:\n{}", parse_values(&config, values)));
    }
    assert_snapshot!(table, @r#"
    %d/%b/%Y:%H:%M:%S %z:
    "21/Nov/2026:06:12:01 +0000"         2026-11-21T06:12:01Z
    "1/jun/2024:14:00:00 +0200"          2024-06-01T12:00:00Z
    %Y-%m-%d %H:%M:%S,%3f:
    "2024-06-01 12:00:00,042"            2024-06-01T12:00:00.042Z
    "2024-06-01 12:00:00.042"            -
    field "t": 1 parsed, 1 failed (0 fudged, 1 left as they were), 0 without the field; first failure: "2024-06-01 12:00:00.042"
    %Y-%m-%d %H:%M:%S%.f:
    "2024-06-01 12:00:00"                2024-06-01T12:00:00Z
    "2024-06-01 12:00:00.5"              2024-06-01T12:00:00.5Z
    %Y-%m-%dT%H:%M:%S%:z:
    "2024-06-01T14:00:00+02:00"          2024-06-01T12:00:00Z
    "2024-06-01T12:00:00Z"               -
    field "t": 1 parsed, 1 failed (0 fudged, 1 left as they were), 0 without the field; first failure: "2024-06-01T12:00:00Z"
    %Y-%m-%d %H:%M:%S %Q:
    "2024-06-01 14:00:00 Europe/Berlin"  2024-06-01T12:00:00Z
    "2024-06-01 08:00:00 America/New_York" 2024-06-01T12:00:00Z
    "2024-06-01 08:00:00 Mars/Olympus"   -
    field "t": 2 parsed, 1 failed (0 fudged, 1 left as they were), 0 without the field; first failure: "2024-06-01 08:00:00 Mars/Olympus"
    %s:
    "1717243200"                         2024-06-01T12:00:00Z
    100%% at %Y-%m-%d:
    "100% at 2024-06-01"                 2024-06-01T00:00:00Z
    "#);
}

#[test]
fn patterns_without_a_year_take_it_from_the_clock() {
    // SLUICE_NOW is 2024-06-01T12:00:00Z: a value more than a day ahead is last year's.
    let table = parse_values(
        r#""format": "%b %e %H:%M:%S""#,
        &[
            "Jun  1 11:00:00",
            "Jun  2 11:00:00",
            "Jun  3 11:00:00",
            "Dec 31 23:59:59",
            "Jan  1 00:00:00",
        ],
    );
    assert_snapshot!(table, @r#"
    "Jun  1 11:00:00"                    2024-06-01T11:00:00Z
    "Jun  2 11:00:00"                    2024-06-02T11:00:00Z
    "Jun  3 11:00:00"                    2023-06-03T11:00:00Z
    "Dec 31 23:59:59"                    2023-12-31T23:59:59Z
    "Jan  1 00:00:00"                    2024-01-01T00:00:00Z
    "#);
    // The syslog example of the docs: local time in Berlin.
    let table = parse_values(
        r#""format": "%b %e %H:%M:%S", "timezone": "Europe/Berlin""#,
        &["Jun  1 14:00:00", "Jan 15 13:00:00"],
    );
    assert_snapshot!(table, @r#"
    "Jun  1 14:00:00"                    2024-06-01T12:00:00Z
    "Jan 15 13:00:00"                    2024-01-15T12:00:00Z
    "#);
}

#[test]
fn timezones_for_values_without_an_offset() {
    let values = [
        "2024-06-01 14:00:00",
        "2024-01-15 13:00:00",
        "2024-10-27 02:30:00",
        "2024-03-31 02:30:00",
    ];
    let mut table = String::new();
    for zone in [
        "UTC",
        "+02:00",
        "-0530",
        "+09",
        "Europe/Berlin",
        "America/New_York",
    ] {
        let config = format!(r#""format": "%Y-%m-%d %H:%M:%S", "timezone": "{zone}""#);
        table.push_str(&format!("{zone}:\n{}", parse_values(&config, &values)));
    }
    // Europe/Berlin: 2024-10-27 02:30 happens twice (the earlier is taken), 2024-03-31 02:30
    // never (read as after the gap).
    assert_snapshot!(table, @r#"
    UTC:
    "2024-06-01 14:00:00"                2024-06-01T14:00:00Z
    "2024-01-15 13:00:00"                2024-01-15T13:00:00Z
    "2024-10-27 02:30:00"                2024-10-27T02:30:00Z
    "2024-03-31 02:30:00"                2024-03-31T02:30:00Z
    +02:00:
    "2024-06-01 14:00:00"                2024-06-01T12:00:00Z
    "2024-01-15 13:00:00"                2024-01-15T11:00:00Z
    "2024-10-27 02:30:00"                2024-10-27T00:30:00Z
    "2024-03-31 02:30:00"                2024-03-31T00:30:00Z
    -0530:
    "2024-06-01 14:00:00"                2024-06-01T19:30:00Z
    "2024-01-15 13:00:00"                2024-01-15T18:30:00Z
    "2024-10-27 02:30:00"                2024-10-27T08:00:00Z
    "2024-03-31 02:30:00"                2024-03-31T08:00:00Z
    +09:
    "2024-06-01 14:00:00"                2024-06-01T05:00:00Z
    "2024-01-15 13:00:00"                2024-01-15T04:00:00Z
    "2024-10-27 02:30:00"                2024-10-26T17:30:00Z
    "2024-03-31 02:30:00"                2024-03-30T17:30:00Z
    Europe/Berlin:
    "2024-06-01 14:00:00"                2024-06-01T12:00:00Z
    "2024-01-15 13:00:00"                2024-01-15T12:00:00Z
    "2024-10-27 02:30:00"                2024-10-27T00:30:00Z
    "2024-03-31 02:30:00"                2024-03-31T01:30:00Z
    America/New_York:
    "2024-06-01 14:00:00"                2024-06-01T18:00:00Z
    "2024-01-15 13:00:00"                2024-01-15T18:00:00Z
    "2024-10-27 02:30:00"                2024-10-27T06:30:00Z
    "2024-03-31 02:30:00"                2024-03-31T06:30:00Z
    "#);
    // A value's own offset always wins.
    let table = parse_values(
        r#""format": "RFC3339", "timezone": "Asia/Tokyo""#,
        &[
            "2024-06-01T12:00:00Z",
            "2024-06-01T12:00:00+01:00",
            "2024-06-01T12:00:00",
        ],
    );
    assert_snapshot!(table, @r#"
    "2024-06-01T12:00:00Z"               2024-06-01T12:00:00Z
    "2024-06-01T12:00:00+01:00"          2024-06-01T11:00:00Z
    "2024-06-01T12:00:00"                2024-06-01T03:00:00Z
    "#);
}

/// nginx access logs, with a fallback for lines a proxy wrote in Unix milliseconds (the
/// pipeline of the docs).
#[test]
fn fallback_formats_are_tried_in_order() {
    let input = concat!(
        "203.0.113.7 - - [01/Jun/2024:14:00:00 +0200] \"GET / HTTP/1.1\" 200 512\n",
        "proxy [1717243201500] upstream timeout\n",
        "198.51.100.23 - - [not a time] \"GET /x HTTP/1.1\" 400 0\n",
        "no brackets at all\n",
        "192.0.2.44 - - [Sat, 01 Jun 2024 12:00:02 GMT] \"GET /y HTTP/1.1\" 200 1\n",
    );
    let run = run_at_now(
        &[
            "-p",
            r#"regex={"expression": "\\[(?P<time>[^\\]]+)\\]"}"#,
            "-p",
            r#"timestamp={"source": "time", "format": "%d/%b/%Y:%H:%M:%S %z", "fallback_formats": ["UnixMs", "RFC1123"], "action_on_failure": "skip"}"#,
            "-o",
            "json",
        ],
        input.as_bytes(),
    );
    assert_eq!(run.code, 0);
    assert_snapshot!(run.text(), @r#"
    {"line":"203.0.113.7 - - [01/Jun/2024:14:00:00 +0200] \"GET / HTTP/1.1\" 200 512","timestamp":"2024-06-01T12:00:00Z","fields":{"time":"01/Jun/2024:14:00:00 +0200"}}
    {"line":"proxy [1717243201500] upstream timeout","timestamp":"2024-06-01T12:00:01.5Z","fields":{"time":"1717243201500"}}
    {"line":"198.51.100.23 - - [not a time] \"GET /x HTTP/1.1\" 400 0","fields":{"time":"not a time"}}
    {"line":"no brackets at all"}
    {"line":"192.0.2.44 - - [Sat, 01 Jun 2024 12:00:02 GMT] \"GET /y HTTP/1.1\" 200 1","timestamp":"2024-06-01T12:00:02Z","fields":{"time":"Sat, 01 Jun 2024 12:00:02 GMT"}}
    "#);
    assert_eq!(
        run.stderr,
        "stage 2 (timestamp): field \"time\": 3 parsed, 1 failed (0 fudged, 1 left as they were), 1 \
         without the field; first failure: \"not a time\"\n"
    );
}

#[test]
fn documented_example_fudges_a_failure_to_1ns_after_the_last() {
    let input = concat!(
        r#"{"time":"2024-06-01T14:00:00.250+02:00","level":"info","msg":"started"}"#,
        "\n",
        r#"{"time":"garbage","level":"warn","msg":"clock skew"}"#,
        "\n",
    );
    let run = run_at_now(
        &[
            "-p",
            "json",
            "-p",
            r#"timestamp={"source": "time", "format": "RFC3339"}"#,
            "-p",
            r#"prefix={"time_format": "%H:%M:%S%.3f"}"#,
        ],
        input.as_bytes(),
    );
    assert_eq!(run.code, 0);
    assert_snapshot!(run.text(), @r#"
    12:00:00.250 {"time":"2024-06-01T14:00:00.250+02:00","level":"info","msg":"started"}
    12:00:00.250 {"time":"garbage","level":"warn","msg":"clock skew"}
    "#);
    assert_eq!(
        run.stderr,
        "stage 2 (timestamp): field \"time\": 1 parsed, 1 failed (1 fudged, 0 left as they were), 0 \
         without the field; first failure: \"garbage\"\n"
    );
    // The nanosecond is visible in the JSON output.
    let run = run_at_now(
        &[
            "-p",
            "json",
            "-p",
            r#"timestamp={"source": "time", "format": "RFC3339"}"#,
            "-o",
            "json",
        ],
        input.as_bytes(),
    );
    assert_snapshot!(run.text(), @r#"
    {"line":"{\"time\":\"2024-06-01T14:00:00.250+02:00\",\"level\":\"info\",\"msg\":\"started\"}","timestamp":"2024-06-01T12:00:00.25Z","fields":{"time":"2024-06-01T14:00:00.250+02:00","level":"info","msg":"started"}}
    {"line":"{\"time\":\"garbage\",\"level\":\"warn\",\"msg\":\"clock skew\"}","timestamp":"2024-06-01T12:00:00.250000001Z","fields":{"time":"garbage","level":"warn","msg":"clock skew"}}
    "#);
}

#[test]
fn fudge_and_skip() {
    let input = concat!(
        "ts=garbage-first msg=a\n",
        "ts=2024-06-01T12:00:00Z msg=b\n",
        "ts=nope msg=c\n",
        "ts=also-bad msg=d\n",
        "msg=no-field\n",
        "ts=2024-06-01T12:00:05Z msg=e\n",
        "ts= msg=empty\n",
    );
    let mut table = String::new();
    for action in ["fudge", "skip"] {
        let stage = format!(
            r#"timestamp={{"source": "ts", "format": "RFC3339", "action_on_failure": "{action}"}}"#
        );
        let run = run_at_now(
            &["-p", "logfmt", "-p", &stage, "-o", "json"],
            input.as_bytes(),
        );
        assert_eq!(run.code, 0);
        table.push_str(&format!("{action}:\n"));
        for line in run.text().lines() {
            let record: Value = serde_json::from_str(line).unwrap();
            let ts = record["timestamp"].as_str().unwrap_or("-");
            table.push_str(&format!("{:<32} {ts}\n", record["line"].as_str().unwrap()));
        }
        table.push_str(&run.stderr);
    }
    // Before the first success there is nothing to fudge from; an empty value is a value.
    assert_snapshot!(table, @r#"
    fudge:
    ts=garbage-first msg=a           -
    ts=2024-06-01T12:00:00Z msg=b    2024-06-01T12:00:00Z
    ts=nope msg=c                    2024-06-01T12:00:00.000000001Z
    ts=also-bad msg=d                2024-06-01T12:00:00.000000002Z
    msg=no-field                     -
    ts=2024-06-01T12:00:05Z msg=e    2024-06-01T12:00:05Z
    ts= msg=empty                    2024-06-01T12:00:05.000000001Z
    stage 2 (timestamp): field "ts": 2 parsed, 4 failed (3 fudged, 1 left as they were), 1 without the field; first failure: "garbage-first"
    skip:
    ts=garbage-first msg=a           -
    ts=2024-06-01T12:00:00Z msg=b    2024-06-01T12:00:00Z
    ts=nope msg=c                    -
    ts=also-bad msg=d                -
    msg=no-field                     -
    ts=2024-06-01T12:00:05Z msg=e    2024-06-01T12:00:05Z
    ts= msg=empty                    -
    stage 2 (timestamp): field "ts": 2 parsed, 4 failed (0 fudged, 4 left as they were), 1 without the field; first failure: "garbage-first"
    "#);
}

#[test]
fn a_failure_keeps_a_timestamp_set_earlier() {
    // `cri` gave each line a timestamp; a value that fails leaves it (skip) or replaces it
    // with the last one this stage set plus 1 ns (fudge).
    let input = concat!(
        "2024-06-01T12:00:00Z stdout F ts=bad\n",
        "2024-06-01T12:00:01Z stdout F ts=2030-01-01T00:00:00Z\n",
        "2024-06-01T12:00:02Z stdout F ts=bad\n",
        "2024-06-01T12:00:03Z stdout F no field\n",
    );
    let mut table = String::new();
    for action in ["fudge", "skip"] {
        let stage = format!(
            r#"timestamp={{"source": "ts", "format": "RFC3339", "action_on_failure": "{action}"}}"#
        );
        let run = run_at_now(
            &[
                "-p",
                "cri",
                "-p",
                r#"logfmt={"mapping": {"ts": ""}}"#,
                "-p",
                &stage,
                "-o",
                "json",
            ],
            input.as_bytes(),
        );
        table.push_str(&format!("{action}:\n"));
        for line in run.text().lines() {
            let record: Value = serde_json::from_str(line).unwrap();
            table.push_str(&format!(
                "{:<28} {}\n",
                record["line"].as_str().unwrap(),
                record["timestamp"].as_str().unwrap()
            ));
        }
    }
    assert_snapshot!(table, @r"
    fudge:
    ts=bad                       2024-06-01T12:00:00Z
    ts=2030-01-01T00:00:00Z      2030-01-01T00:00:00Z
    ts=bad                       2030-01-01T00:00:00.000000001Z
    no field                     2024-06-01T12:00:03Z
    skip:
    ts=bad                       2024-06-01T12:00:00Z
    ts=2030-01-01T00:00:00Z      2030-01-01T00:00:00Z
    ts=bad                       2024-06-01T12:00:02Z
    no field                     2024-06-01T12:00:03Z
    ");
}

#[test]
fn values_that_are_not_utf8_or_carry_extra_bytes_fail() {
    // `\r` and NUL are not part of what the pattern reads, so the value fails; the line is not
    // changed. The first failure is quoted with U+FFFD for bad bytes.
    let input = b"t=caf\xe9|\nt=2024-06-01T12:00:00Z\r|\nt=2024-06-01T12:00:00Z\0|\nt=2024-06-01T12:00:01Z|\r\n";
    let run = run_at_now(
        &[
            "-p",
            r#"regex={"expression": "(?-u)t=(?P<t>[^|]*)\\|"}"#,
            "-p",
            r#"timestamp={"source": "t", "format": "RFC3339", "action_on_failure": "skip"}"#,
        ],
        input,
    );
    assert_eq!(run.code, 0);
    assert_eq!(run.stdout, input, "lines pass unchanged");
    assert_eq!(
        run.stderr,
        "stage 2 (timestamp): field \"t\": 1 parsed, 3 failed (0 fudged, 3 left as they were), 0 \
         without the field; first failure: \"caf\u{fffd}\"\n"
    );
    // A long failing value is quoted up to 80 bytes.
    let value = format!("\u{e9}{}", "9".repeat(100));
    let run = run_at_now(
        &[
            "-p",
            "logfmt",
            "-p",
            r#"timestamp={"source": "ts", "format": "RFC3339"}"#,
        ],
        format!("ts={value}\n").as_bytes(),
    );
    assert_eq!(
        run.stderr,
        format!(
            "stage 2 (timestamp): field \"ts\": 0 parsed, 1 failed (0 fudged, 1 left as they were), 0 \
             without the field; first failure: \"{}\"\n",
            &value[..80]
        )
    );
}

#[test]
fn lines_pass_through_byte_for_byte() {
    let input =
        b"ts=1717243200 caf\xe9 \xff\0\r\n\r\n\nlone\rcr ts=1717243201\r\nts=x\nts=1717243202 last";
    let run = run_at_now(
        &[
            "-p",
            "logfmt",
            "-p",
            r#"timestamp={"source": "ts", "format": "Unix"}"#,
        ],
        input,
    );
    assert_eq!(run.code, 0);
    assert_eq!(run.stdout, input);
    let run = run_at_now(
        &[
            "-p",
            "logfmt",
            "-p",
            r#"timestamp={"source": "ts", "format": "Unix"}"#,
            "-o",
            "json",
        ],
        input,
    );
    let stamps: Vec<Value> = run
        .text()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["timestamp"].clone())
        .collect();
    assert_eq!(
        stamps,
        [
            "2024-06-01T12:00:00Z",
            "-",
            "-",
            "2024-06-01T12:00:01Z",
            "2024-06-01T12:00:01.000000001Z",
            "2024-06-01T12:00:02Z"
        ]
        .map(|s| if s == "-" {
            Value::Null
        } else {
            Value::from(s)
        })
    );
}

#[test]
fn over_long_lines_get_the_timestamp_on_their_last_piece() {
    let long = format!("ts=2024-06-01T12:00:00.5Z msg={}", "x".repeat(300));
    let bad = format!("ts=bad {}", "y".repeat(200));
    let input = format!("{long}\r\nts=2024-06-01T12:00:01Z short\r\n{bad}");
    let args = [
        "--max-line-bytes",
        "64",
        "--boundary-overlap",
        "16",
        "-p",
        "logfmt",
        "-p",
        r#"timestamp={"source": "ts", "format": "RFC3339"}"#,
    ];
    let run = run_at_now(&args, input.as_bytes());
    assert!(run.stdout == input.as_bytes(), "pieces pass unchanged");
    assert_eq!(
        run.stderr,
        "stage 2 (timestamp): field \"ts\": 2 parsed, 1 failed (1 fudged, 0 left as they were), 0 \
         without the field; first failure: \"bad\"\n"
    );
    let run = run_at_now(&[&args[..], &["-o", "json"]].concat(), input.as_bytes());
    let records: Vec<Value> = run
        .text()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 3);
    assert_eq!(records[0]["line"], long);
    assert_eq!(records[0]["timestamp"], "2024-06-01T12:00:00.5Z");
    assert_eq!(records[1]["timestamp"], "2024-06-01T12:00:01Z");
    assert_eq!(records[2]["line"], bad);
    assert_eq!(records[2]["timestamp"], "2024-06-01T12:00:01.000000001Z");
}

#[test]
fn report_goes_to_a_file_when_asked_even_without_failures() {
    let dir = tempdir("stages-timestamp-report");
    let path = dir.join("report.txt");
    let stage = format!(
        r#"timestamp={{"source": "ts", "format": "RFC3339", "report": "{}"}}"#,
        path.display()
    );
    let run = run_at_now(
        &["-p", "logfmt", "-p", &stage],
        b"ts=2024-06-01T12:00:00Z\nno field\n",
    );
    assert_eq!(run.ok(), b"ts=2024-06-01T12:00:00Z\nno field\n");
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        "field \"ts\": 1 parsed, 0 failed, 1 without the field\n"
    );
    // On stderr (the default) nothing is written when nothing failed.
    let run = run_at_now(
        &[
            "-p",
            "logfmt",
            "-p",
            r#"timestamp={"source": "ts", "format": "RFC3339"}"#,
        ],
        b"ts=2024-06-01T12:00:00Z\n",
    );
    run.ok();
}

#[test]
fn config_errors_name_the_stage_and_key() {
    let messages: Vec<String> = [
        r#"timestamp={"format": "RFC3339"}"#,
        r#"timestamp={"source": "t"}"#,
        r#"timestamp={"source": "t", "format": "rfc3339"}"#,
        r#"timestamp={"source": "t", "format": "UnixDate"}"#,
        r#"timestamp={"source": "t", "format": "2006-01-02 15:04:05.000"}"#,
        r#"timestamp={"source": "t", "format": "Mon Jan _2 15:04:05 2006"}"#,
        r#"timestamp={"source": "t", "format": "02/Jan/2006:15:04:05 -0700"}"#,
        r#"timestamp={"source": "t", "format": "%Y-%m-%d %H:%M:%S %Z"}"#,
        r#"timestamp={"source": "t", "format": "%c"}"#,
        r#"timestamp={"source": "t", "format": "%Y-%m-%"}"#,
        r#"timestamp={"source": "t", "format": "%Y %J"}"#,
        r#"timestamp={"source": "t", "format": "RFC3339", "fallback_formats": ["RFC850"]}"#,
        r#"timestamp={"source": "t", "format": "RFC3339", "fallback_formats": "UnixMs"}"#,
        r#"timestamp={"source": "t", "format": "RFC3339", "timezone": "Mars/Olympus"}"#,
        r#"timestamp={"source": "t", "format": "RFC3339", "timezone": "CEST"}"#,
        r#"timestamp={"source": "t", "format": "RFC3339", "timezone": "+2:00"}"#,
        r#"timestamp={"source": "t", "format": "RFC3339", "action_on_failure": "drop"}"#,
        r#"timestamp={"source": "t", "format": "RFC3339", "location": "UTC"}"#,
    ]
    .iter()
    .map(|stage| config_error(stage))
    .collect();
    assert_snapshot!(messages.join("\n"), @r#"
    sluice: stage 1 (timestamp): config key `source`: is required (a string)
    sluice: stage 1 (timestamp): config key `format`: is required (a string)
    sluice: stage 1 (timestamp): config key `format`: unknown format "rfc3339"; did you mean "RFC3339"? (names are case-sensitive)
    sluice: stage 1 (timestamp): config key `format`: "UnixDate" is neither a named format (RFC3339, RFC3339Nano, RFC1123, RFC1123Z, RFC822, RFC822Z, ANSIC, RubyDate, Unix, UnixMs, UnixUs, UnixNs) nor a strftime pattern with % directives such as "%Y-%m-%d %H:%M:%S"
    sluice: stage 1 (timestamp): config key `format`: "2006-01-02 15:04:05.000" is neither a named format (RFC3339, RFC3339Nano, RFC1123, RFC1123Z, RFC822, RFC822Z, ANSIC, RubyDate, Unix, UnixMs, UnixUs, UnixNs) nor a strftime pattern with % directives such as "%Y-%m-%d %H:%M:%S"; this looks like a Go layout, which sluice does not use: write the strftime pattern "%Y-%m-%d %H:%M:%S%.f"
    sluice: stage 1 (timestamp): config key `format`: "Mon Jan _2 15:04:05 2006" is neither a named format (RFC3339, RFC3339Nano, RFC1123, RFC1123Z, RFC822, RFC822Z, ANSIC, RubyDate, Unix, UnixMs, UnixUs, UnixNs) nor a strftime pattern with % directives such as "%Y-%m-%d %H:%M:%S"; this looks like a Go layout, which sluice does not use: write the strftime pattern "%a %b %e %H:%M:%S %Y"
    sluice: stage 1 (timestamp): config key `format`: "02/Jan/2006:15:04:05 -0700" is neither a named format (RFC3339, RFC3339Nano, RFC1123, RFC1123Z, RFC822, RFC822Z, ANSIC, RubyDate, Unix, UnixMs, UnixUs, UnixNs) nor a strftime pattern with % directives such as "%Y-%m-%d %H:%M:%S"; this looks like a Go layout, which sluice does not use: write the strftime pattern "%d/%b/%Y:%H:%M:%S %z"
    sluice: stage 1 (timestamp): config key `format`: "%Y-%m-%d %H:%M:%S %Z" uses %Z: time zone abbreviations cannot be parsed (they are ambiguous); use %z (+0200), %:z (+02:00) or %Q (Europe/Berlin), or leave the zone out and set "timezone"
    sluice: stage 1 (timestamp): config key `format`: "%c" uses %c, which can only format, not parse
    sluice: stage 1 (timestamp): config key `format`: "%Y-%m-%" ends with an incomplete % directive
    sluice: stage 1 (timestamp): config key `format`: "%Y %J" is not a valid strftime pattern: strftime formatting failed: found unrecognized specifier directive `J`
    sluice: stage 1 (timestamp): config key `fallback_formats`: "RFC850" is neither a named format (RFC3339, RFC3339Nano, RFC1123, RFC1123Z, RFC822, RFC822Z, ANSIC, RubyDate, Unix, UnixMs, UnixUs, UnixNs) nor a strftime pattern with % directives such as "%Y-%m-%d %H:%M:%S"
    sluice: stage 1 (timestamp): config key `fallback_formats`: expected a list of strings, got a string (write ["…"] for one item)
    sluice: stage 1 (timestamp): config key `timezone`: unknown time zone "Mars/Olympus"; write UTC, a fixed offset such as +02:00, or an IANA name such as Europe/Berlin
    sluice: stage 1 (timestamp): config key `timezone`: unknown time zone "CEST"; write UTC, a fixed offset such as +02:00, or an IANA name such as Europe/Berlin
    sluice: stage 1 (timestamp): config key `timezone`: "+2:00" is not an offset; write it as +02:00, -05:30 or +0200
    sluice: stage 1 (timestamp): config key `action_on_failure`: unknown value "drop"; expected one of: fudge, skip
    sluice: stage 1 (timestamp): config key `location`: unknown key; known keys: source, format, fallback_formats, timezone, action_on_failure, report
    "#);
}

#[test]
fn empty_source_is_a_config_error() {
    let message = config_error(r#"timestamp={"source": "", "format": "RFC3339"}"#);
    assert!(
        message.starts_with("sluice: stage 1 (timestamp): config key `source`: "),
        "{message}"
    );
}
