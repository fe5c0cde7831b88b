use super::*;
use sluice_plugin_sdk::testing::{Emitted, Harness, Input, config_error, describe, set_clock};

/// 2024-06-01T12:00:00Z in nanoseconds.
const JUNE_1: i64 = 1_717_243_200_000_000_000;
const SECOND: i64 = 1_000_000_000;
const HOUR: i64 = 3600 * SECOND;

fn stage(config: &str) -> Harness<TimestampStage> {
    Harness::new(config).unwrap_or_else(|e| panic!("{config}: {e}"))
}

/// The timestamps `config` gives to lines whose field `ts` holds each value.
fn parse_all(config: &str, values: &[&str]) -> Vec<Option<i64>> {
    let mut s = stage(config);
    let out = s
        .process(values.iter().map(|v| Input::new("line").field("ts", v)))
        .unwrap();
    out.iter().map(|l| l.timestamp).collect()
}

fn one(config: &str, value: &str) -> Option<i64> {
    parse_all(config, &[value])[0]
}

fn report(s: &mut Harness<TimestampStage>) -> String {
    s.finish().unwrap();
    s.reports()
        .last()
        .map(|r| String::from_utf8(r.clone()).unwrap())
        .unwrap_or_default()
}

#[test]
fn rfc3339_with_zulu_offset_and_fraction() {
    let c = r#"{"source": "ts", "format": "RFC3339"}"#;
    assert_eq!(one(c, "2024-06-01T12:00:00Z"), Some(JUNE_1));
    assert_eq!(one(c, "2024-06-01T14:00:00+02:00"), Some(JUNE_1));
    assert_eq!(
        one(c, "2024-06-01T12:00:00.123456789Z"),
        Some(JUNE_1 + 123_456_789)
    );
    assert_eq!(one(c, "2024-06-01 12:00:00.5z"), Some(JUNE_1 + SECOND / 2));
    // RFC3339Nano is the same parser: the fraction is optional in both.
    let nano = r#"{"source": "ts", "format": "RFC3339Nano"}"#;
    assert_eq!(one(nano, "2024-06-01T12:00:00Z"), Some(JUNE_1));
    assert_eq!(
        one(nano, "2024-06-01T12:00:00.000000001Z"),
        Some(JUNE_1 + 1)
    );
    assert_eq!(
        one(c, "1969-12-31T23:59:59Z"),
        Some(-SECOND),
        "before the epoch"
    );
}

#[test]
fn values_without_offset_are_read_in_the_timezone() {
    let utc = r#"{"source": "ts", "format": "RFC3339"}"#;
    assert_eq!(one(utc, "2024-06-01T12:00:00"), Some(JUNE_1));
    let plus2 = r#"{"source": "ts", "format": "%Y-%m-%d %H:%M:%S", "timezone": "+02:00"}"#;
    assert_eq!(one(plus2, "2024-06-01 14:00:00"), Some(JUNE_1));
    // Berlin is +02:00 in summer and +01:00 in winter; an explicit offset wins.
    let berlin = r#"{"source": "ts", "format": "RFC3339", "timezone": "Europe/Berlin"}"#;
    assert_eq!(one(berlin, "2024-06-01T14:00:00"), Some(JUNE_1));
    assert_eq!(
        one(berlin, "2024-01-01T01:00:00"),
        Some(1_704_067_200 * SECOND),
        "2024-01-01T00:00:00Z"
    );
    assert_eq!(one(berlin, "2024-06-01T12:00:00Z"), Some(JUNE_1));
}

#[test]
fn unix_formats() {
    let c = |f| format!(r#"{{"source": "ts", "format": "{f}"}}"#);
    assert_eq!(one(&c("Unix"), "1717243200"), Some(JUNE_1));
    assert_eq!(one(&c("Unix"), "1717243200.25"), Some(JUNE_1 + SECOND / 4));
    assert_eq!(
        one(&c("UnixMs"), "1717243200123"),
        Some(JUNE_1 + 123_000_000)
    );
    assert_eq!(
        one(&c("UnixUs"), "1717243200123456"),
        Some(JUNE_1 + 123_456_000)
    );
    assert_eq!(
        one(&c("UnixNs"), "1717243200123456789"),
        Some(JUNE_1 + 123_456_789)
    );
    assert_eq!(
        one(&c("UnixMs"), "1717243200.5"),
        None,
        "milliseconds are whole"
    );
    assert_eq!(one(&c("Unix"), "soon"), None);
}

#[test]
fn strftime_patterns_from_real_logs() {
    // Java/logback: comma before the milliseconds.
    let java = r#"{"source": "ts", "format": "%Y-%m-%d %H:%M:%S,%3f"}"#;
    assert_eq!(
        one(java, "2024-06-01 12:00:00,042"),
        Some(JUNE_1 + 42_000_000)
    );
    // nginx $time_local.
    let nginx = r#"{"source": "ts", "format": "%d/%b/%Y:%H:%M:%S %z"}"#;
    assert_eq!(one(nginx, "01/Jun/2024:14:00:00 +0200"), Some(JUNE_1));
    // Optional fraction with %.f.
    let app = r#"{"source": "ts", "format": "%Y-%m-%dT%H:%M:%S%.f%:z"}"#;
    assert_eq!(one(app, "2024-06-01T12:00:00+00:00"), Some(JUNE_1));
    assert_eq!(
        one(app, "2024-06-01T12:00:00.7+00:00"),
        Some(JUNE_1 + 700_000_000)
    );
    // An IANA name inside the value.
    let named = r#"{"source": "ts", "format": "%Y-%m-%d %H:%M %Q"}"#;
    assert_eq!(one(named, "2024-06-01 14:00 Europe/Berlin"), Some(JUNE_1));
    // Wrong weekday, impossible date, trailing garbage: failures.
    let day = r#"{"source": "ts", "format": "%a %Y-%m-%d", "action_on_failure": "skip"}"#;
    assert_eq!(one(day, "Sat 2024-06-01"), Some(JUNE_1 - 12 * HOUR));
    assert_eq!(one(day, "Mon 2024-06-01"), None);
    assert_eq!(one(day, "Sat 2024-06-31"), None);
    assert_eq!(one(day, "Sat 2024-06-01 extra"), None);
}

#[test]
fn go_named_layouts_map_to_jiff_parsers() {
    let c = |f| format!(r#"{{"source": "ts", "format": "{f}"}}"#);
    assert_eq!(
        one(&c("RFC1123"), "Sat, 01 Jun 2024 12:00:00 GMT"),
        Some(JUNE_1)
    );
    assert_eq!(
        one(&c("RFC1123Z"), "Sat, 01 Jun 2024 14:00:00 +0200"),
        Some(JUNE_1)
    );
    assert_eq!(one(&c("RFC822Z"), "01 Jun 24 14:00 +0200"), Some(JUNE_1));
    assert_eq!(one(&c("ANSIC"), "Sat Jun  1 12:00:00 2024"), Some(JUNE_1));
    assert_eq!(
        one(&c("RubyDate"), "Sat Jun 01 14:00:00 +0200 2024"),
        Some(JUNE_1)
    );
}

#[test]
fn syslog_without_year_takes_the_clocks_year() {
    let c = r#"{"source": "ts", "format": "%b %e %H:%M:%S"}"#;
    set_clock(JUNE_1 + HOUR, 0);
    assert_eq!(one(c, "Jun  1 12:00:00"), Some(JUNE_1));
    // A December line read on the 1st of January is from last year.
    let jan_1_2025 = 1_735_689_600 * SECOND;
    set_clock(jan_1_2025 + HOUR, 0);
    let dec_31_2024 = jan_1_2025 - HOUR;
    assert_eq!(one(c, "Dec 31 23:00:00"), Some(dec_31_2024));
    assert_eq!(one(c, "Jan  1 00:00:00"), Some(jan_1_2025));
}

#[test]
fn the_whole_value_must_match() {
    let c = |f| format!(r#"{{"source": "ts", "format": "{f}", "action_on_failure": "skip"}}"#);
    for format in ["RFC3339", "RFC1123", "Unix", "%d/%b/%Y"] {
        let got = parse_all(
            &c(format),
            &[
                "2024-06-01T12:00:00Z ",
                " 2024-06-01",
                "Sat, 01 Jun 2024 12:00:00 GMT trailing",
                "1717243200 ",
            ],
        );
        assert_eq!(got, [None, None, None, None], "{format}");
    }
}

#[test]
fn strftime_numbers_may_have_leading_spaces() {
    let c = r#"{"source": "ts", "format": "%Y-%m-%d"}"#;
    assert_eq!(one(c, " 2024-06-01"), Some(JUNE_1 - 12 * HOUR));
    assert_eq!(one(c, "2024-06- 1"), Some(JUNE_1 - 12 * HOUR));
}

#[test]
fn fallback_formats_are_tried_in_order() {
    let c = r#"{"source": "ts", "format": "RFC3339",
               "fallback_formats": ["UnixMs", "%d/%m/%Y %H:%M"], "action_on_failure": "skip"}"#;
    let got = parse_all(
        c,
        &[
            "2024-06-01T12:00:00Z",
            "1717243200000",
            "01/06/2024 12:00",
            "yesterday",
        ],
    );
    assert_eq!(got, [Some(JUNE_1), Some(JUNE_1), Some(JUNE_1), None]);
}

#[test]
fn fudge_follows_the_last_timestamp_by_one_nanosecond() {
    let mut s = stage(r#"{"source": "ts", "format": "RFC3339"}"#);
    let out = s
        .process([
            Input::new("no timestamp yet").field("ts", "garbage"),
            Input::new("before any parse").field("ts", "").timestamp(7),
            Input::new("ok").field("ts", "2024-06-01T12:00:00Z"),
            Input::new("bad").field("ts", "2024-06-01T25:00:00Z"),
            Input::new("bad again").field("ts", "n/a"),
        ])
        .unwrap();
    let ts: Vec<_> = out.iter().map(|l| l.timestamp).collect();
    assert_eq!(
        ts,
        [
            None,
            Some(7),
            Some(JUNE_1),
            Some(JUNE_1 + 1),
            Some(JUNE_1 + 2)
        ]
    );
    // Across batches too.
    let out = s.process([Input::new("x").field("ts", "?")]).unwrap();
    assert_eq!(out[0].timestamp, Some(JUNE_1 + 3));
    let text = report(&mut s);
    assert_eq!(
        text,
        "field \"ts\": 1 parsed, 5 failed (3 fudged, 2 left as they were), \
         0 without the field; first failure: \"garbage\"\n"
    );
}

#[test]
fn skip_leaves_the_line_as_it_was() {
    let mut s = stage(r#"{"source": "ts", "format": "Unix", "action_on_failure": "skip"}"#);
    let out = s
        .process([
            Input::new("a").field("ts", "1717243200"),
            Input::new("b").field("ts", "later"),
            Input::new("c").field("ts", "later").timestamp(5),
        ])
        .unwrap();
    let ts: Vec<_> = out.iter().map(|l| l.timestamp).collect();
    assert_eq!(ts, [Some(JUNE_1), None, Some(5)]);
    assert!(report(&mut s).contains("2 failed (0 fudged, 2 left as they were)"));
}

#[test]
fn lines_without_the_field_keep_what_they_had_and_are_no_failure() {
    let mut s = stage(r#"{"source": "ts", "format": "Unix"}"#);
    let out = s
        .process([
            Input::new("plain"),
            Input::new("stamped").timestamp(42),
            Input::new("other field").field("time", "1717243200"),
        ])
        .unwrap();
    let ts: Vec<_> = out.iter().map(|l| l.timestamp).collect();
    assert_eq!(ts, [None, Some(42), None]);
    s.finish().unwrap();
    assert!(s.reports().is_empty(), "no failure, no report");
}

#[test]
fn report_counts_missing_fields_and_quotes_a_cut_sample() {
    let mut s = stage(r#"{"source": "ts", "format": "UnixNs"}"#);
    let long = "9".repeat(200);
    s.process([
        Input::new("a"),
        Input::new("b").field("ts", long.as_str()),
        Input::new("c").field("ts", "1"),
    ])
    .unwrap();
    let text = report(&mut s);
    assert!(
        text.starts_with("field \"ts\": 1 parsed, 1 failed"),
        "{text}"
    );
    assert!(text.contains(", 1 without the field;"), "{text}");
    assert!(
        text.contains(&format!("\"{}\"", "9".repeat(SAMPLE_LEN))),
        "{text}"
    );
    assert!(!text.contains(&"9".repeat(SAMPLE_LEN + 1)), "{text}");
}

#[test]
fn bytes_and_fields_pass_untouched_whatever_they_hold() {
    let mut s = stage(r#"{"source": "ts", "format": "RFC3339", "action_on_failure": "skip"}"#);
    let inputs = [
        Input::new(b"caf\xe9 \xff\xfe").field("ts", "2024-06-01T12:00:00Z"),
        Input::new("").field("ts", "2024-06-01T12:00:00Z"),
        Input::new("nul\0inside\rcr").field("ts", b"2024-06-01T12:00:00Z\0"),
        Input::new("bad utf-8 value").field("ts", b"2024-06-01T12:00:00\xffZ"),
        Input::new("{\"level\":\"info\"}")
            .field("ts", "")
            .field("level", "info"),
    ];
    let out = s.process(inputs.clone()).unwrap();
    for (input, line) in inputs.iter().zip(&out) {
        assert_eq!(line.bytes, input.bytes);
        assert_eq!(line.fields, input.fields);
        assert!(!line.rewritten);
    }
    let ts: Vec<_> = out.iter().map(|l| l.timestamp).collect();
    assert_eq!(ts, [Some(JUNE_1), Some(JUNE_1), None, None, None]);
}

#[test]
fn pieces_of_an_over_long_line_pass_and_the_last_one_gets_the_timestamp() {
    let mut s = stage(r#"{"source": "ts", "format": "RFC3339"}"#);
    let out = s
        .process([
            Input::new("{\"time\":\"2024-06-01T12:00:00Z\",\"msg\":\"aaaa").partial(),
            Input::new("aaaaaaaa")
                .partial()
                .field("ts", "ignored: not the last piece"),
        ])
        .unwrap();
    let out2 = s
        .process([
            Input::new("aaaa\"}").field("ts", "2024-06-01T12:00:00Z"),
            Input::new("next").field("ts", "bad"),
        ])
        .unwrap();
    let all: Vec<&Emitted> = out.iter().chain(&out2).collect();
    let bytes: Vec<String> = all.iter().map(|l| l.text()).collect();
    assert_eq!(
        bytes.concat(),
        "{\"time\":\"2024-06-01T12:00:00Z\",\"msg\":\"aaaaaaaaaaaaaaaa\"}next"
    );
    let ts: Vec<_> = all.iter().map(|l| l.timestamp).collect();
    assert_eq!(ts, [None, None, Some(JUNE_1), Some(JUNE_1 + 1)]);
    assert!(report(&mut s).contains("1 parsed, 1 failed"));
}

#[test]
fn config_errors_name_the_key() {
    let key = |c: &str| config_error::<TimestampStage>(c).key.unwrap();
    let msg = |c: &str| config_error::<TimestampStage>(c).message;
    assert_eq!(key(r#"{"format": "RFC3339"}"#), "source");
    assert_eq!(key(r#"{"source": "ts"}"#), "format");
    assert_eq!(key(r#"{"source": "ts", "format": "ISO"}"#), "format");
    assert_eq!(key(r#"{"source": 3, "format": "Unix"}"#), "source");
    let go = msg(r#"{"source": "ts", "format": "2006-01-02 15:04:05.000"}"#);
    assert!(
        go.contains("Go layout") && go.contains("\"%Y-%m-%d %H:%M:%S%.f\""),
        "{go}"
    );
    assert!(msg(r#"{"source": "ts", "format": "%H:%M %Z"}"#).contains("abbreviations"));
    assert_eq!(
        key(r#"{"source": "ts", "format": "Unix", "fallback_formats": ["RFC3339", "nope"]}"#),
        "fallback_formats"
    );
    assert_eq!(
        key(r#"{"source": "ts", "format": "Unix", "fallback_formats": "RFC3339"}"#),
        "fallback_formats"
    );
    assert_eq!(
        key(r#"{"source": "ts", "format": "Unix", "timezone": "CEST"}"#),
        "timezone"
    );
    assert_eq!(
        key(r#"{"source": "ts", "format": "Unix", "action_on_failure": "drop"}"#),
        "action_on_failure"
    );
    assert_eq!(
        key(r#"{"source": "ts", "format": "Unix", "location": "UTC"}"#),
        "location"
    );
}

#[test]
fn describes_its_keys() {
    let info = describe::<TimestampStage>();
    assert_eq!(info.name, "timestamp");
    let keys: Vec<_> = info.config_keys.iter().map(|k| k.name.as_str()).collect();
    assert_eq!(
        keys,
        [
            "source",
            "format",
            "fallback_formats",
            "timezone",
            "action_on_failure",
            "report"
        ]
    );
    assert!(!info.boundary_safe);
}
