use super::*;
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

fn access_log() -> Vec<Input> {
    [
        "status=200 method=GET bytes=2326 rt=0.012 path=/api/users",
        "status=200 method=POST bytes=4500 rt=0.250 path=/api/orders",
        "status=404 method=GET bytes=153 rt=0.003 path=/favicon.ico",
        "status=500 method=GET bytes=0 rt=1.5 path=/api/users",
    ]
    .into_iter()
    .map(kv)
    .collect()
}

/// Runs `inputs` in one batch and finishes; returns the output lines and the final report,
/// checked against the exposition format's grammar.
fn run(config: &str, inputs: Vec<Input>) -> (Vec<Emitted>, String) {
    let mut stage = Harness::<Metrics>::new(config).unwrap();
    let out = stage.process(inputs).unwrap();
    assert!(stage.finish().unwrap().is_empty(), "no trailing lines");
    let report = String::from_utf8(stage.reports().last().unwrap().clone()).unwrap();
    validate(&report);
    (out, report)
}

/// Checks `text` against the text exposition format, line by line: every line ends in `\n`;
/// comments are `# HELP name text` or `# TYPE name type`, the TYPE before the family's
/// samples and at most once; a sample is a valid metric name (of the family, or its
/// `_bucket`/`_sum`/`_count` for a histogram), optional `{label="value",…}` with valid label
/// names and only `\\`, `\"`, `\n` escapes, a space and a float. Histogram buckets are
/// cumulative and end with `le="+Inf"`, equal to `_count`.
fn validate(text: &str) {
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "ends in a line feed"
    );
    let mut typed: Vec<(String, String)> = Vec::new();
    let mut last_bucket: Option<(String, f64, f64)> = None; // (series, le, count)
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, _help) = rest.split_once(' ').unwrap_or((rest, ""));
            assert!(names::is_metric_name(name), "{line}");
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect(line);
            assert!(names::is_metric_name(name), "{line}");
            assert!(["counter", "gauge", "histogram"].contains(&kind), "{line}");
            assert!(!typed.iter().any(|(n, _)| n == name), "TYPE twice: {line}");
            typed.push((name.to_owned(), kind.to_owned()));
            continue;
        }
        assert!(!line.starts_with('#'), "unknown comment: {line}");
        // name
        let name_end = line.find(['{', ' ']).expect(line);
        let name = &line[..name_end];
        assert!(names::is_metric_name(name), "{line}");
        let (family, kind) = typed.last().expect("TYPE before samples");
        let suffix = name.strip_prefix(family.as_str()).expect(line);
        match kind.as_str() {
            "histogram" => assert!(["_bucket", "_sum", "_count"].contains(&suffix), "{line}"),
            _ => assert_eq!(suffix, "", "{line}"),
        }
        // labels
        let mut rest = &line[name_end..];
        let mut labels = Vec::new();
        if let Some(body) = rest.strip_prefix('{') {
            let mut chars = body.char_indices().peekable();
            loop {
                let start = chars.peek().unwrap().0;
                if body[start..].starts_with('}') {
                    rest = &body[start + 1..];
                    break;
                }
                let eq = body[start..].find("=\"").expect(line) + start;
                let label = &body[start..eq];
                assert!(
                    !label.is_empty()
                        && !label.starts_with(|c: char| c.is_ascii_digit())
                        && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                    "label name {label:?} in {line}"
                );
                while chars.next_if(|&(i, _)| i <= eq + 1).is_some() {}
                let mut value = String::new();
                loop {
                    let (_, c) = chars.next().expect(line);
                    match c {
                        '"' => break,
                        '\\' => match chars.next().expect(line).1 {
                            '\\' => value.push('\\'),
                            '"' => value.push('"'),
                            'n' => value.push('\n'),
                            other => panic!("bad escape \\{other} in {line}"),
                        },
                        c => value.push(c),
                    }
                }
                labels.push((label.to_owned(), value));
                match chars.peek() {
                    Some((_, ',')) => {
                        chars.next();
                    }
                    Some((_, '}')) => {}
                    other => panic!("{other:?} after a label value in {line}"),
                }
            }
        }
        // value
        let value = rest.strip_prefix(' ').expect(line);
        let number = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            "NaN" => f64::NAN,
            v => v
                .parse::<f64>()
                .unwrap_or_else(|_| panic!("bad value in {line}")),
        };
        // histogram buckets: cumulative, ending in +Inf equal to the count
        if suffix == "_bucket" {
            let le = labels.pop().expect("le last");
            assert_eq!(le.0, "le", "{line}");
            let bound = if le.1 == "+Inf" {
                f64::INFINITY
            } else {
                le.1.parse().unwrap()
            };
            let series = format!("{labels:?}");
            if let Some((s, prev_le, prev_count)) = &last_bucket
                && *s == series
                && *prev_le != f64::INFINITY
            {
                assert!(bound > *prev_le, "buckets in increasing order: {line}");
                assert!(number >= *prev_count, "cumulative: {line}");
            }
            last_bucket = Some((series, bound, number));
        } else if suffix == "_count" {
            let (s, le, count) = last_bucket.take().expect("buckets before _count");
            assert_eq!(s, format!("{labels:?}"));
            assert_eq!(le, f64::INFINITY, "the last bucket is +Inf");
            assert_eq!(count, number, "+Inf bucket equals _count: {line}");
        }
    }
}

#[test]
fn counts_every_line_and_passes_lines_unchanged() {
    let inputs = vec![
        kv("level=info msg=started"),
        Input::new(""),
        Input::new(b"\xff\xfe binary \x00 junk\r"),
        kv("level=error msg=boom").timestamp(1_700_000_000_000_000_000),
    ];
    let (out, report) = run(
        r#"{"metrics": {"log_lines_total": {"type": "counter", "description": "Lines read."}}}"#,
        inputs.clone(),
    );
    assert_eq!(out.len(), 4);
    for (line, input) in out.iter().zip(&inputs) {
        assert!(!line.rewritten);
        assert_eq!(line.bytes, input.bytes);
        assert_eq!(line.fields, input.fields);
        assert_eq!(line.timestamp, input.timestamp);
    }
    assert_eq!(
        report,
        "# HELP sluice_log_lines_total Lines read.\n\
         # TYPE sluice_log_lines_total counter\n\
         sluice_log_lines_total 4\n"
    );
}

#[test]
fn source_and_value_filter_lines_as_in_promtail() {
    let (_, report) = run(
        r#"{"prefix": "shop_", "metrics": {
            "successful_orders_total": {"type": "Counter", "source": "order_status",
                                        "config": {"value": "success", "action": "inc"}},
            "failed_orders_total": {"type": "counter", "source": "order_status", "value": "fail"},
            "orders_seen_total": {"type": "counter", "source": "order_status"}}}"#,
        [
            "order_status=success id=1",
            "order_status=fail id=2",
            "order_status=success id=3",
            "heartbeat",
        ]
        .into_iter()
        .map(kv)
        .collect(),
    );
    assert_eq!(
        report,
        "# TYPE shop_failed_orders_total counter\n\
         shop_failed_orders_total 1\n\
         # TYPE shop_orders_seen_total counter\n\
         shop_orders_seen_total 3\n\
         # TYPE shop_successful_orders_total counter\n\
         shop_successful_orders_total 2\n"
    );
}

#[test]
fn counter_add_skips_what_is_not_a_positive_number() {
    let (_, report) = run(
        r#"{"metrics": {"bytes_total": {"type": "counter", "source": "bytes", "action": "add"}}}"#,
        ["bytes=100", "bytes=-5", "bytes=-", "bytes=2.5", "other=1"]
            .into_iter()
            .map(kv)
            .collect(),
    );
    assert_eq!(
        report,
        "# TYPE sluice_bytes_total counter\n\
         sluice_bytes_total 102.5\n\
         # HELP sluice_metrics_invalid_values_total Values of a metric's source field that \
         were not numbers (or were negative for a counter), skipped.\n\
         # TYPE sluice_metrics_invalid_values_total counter\n\
         sluice_metrics_invalid_values_total{metric=\"sluice_bytes_total\"} 2\n"
    );
}

#[test]
fn entry_bytes_count_an_over_long_line_once_and_its_pieces_pass() {
    let mut stage = Harness::<Metrics>::new(
        r#"{"metrics": {
            "log_bytes_total": {"type": "counter", "match_all": true, "count_entry_bytes": true, "action": "add"},
            "lines_total": {"type": "counter", "source": "level"}}}"#,
    )
    .unwrap();
    let out = stage
        .process([
            Input::new("a".repeat(1000)).partial(),
            Input::new(b"\xe2\x82").partial(),
            Input::new(b"\xac tail").field("level", "info"),
            Input::new("x"),
        ])
        .unwrap();
    assert_eq!(out.len(), 4);
    assert_eq!(out[1].bytes, b"\xe2\x82");
    assert!(out.iter().all(|l| !l.rewritten));
    stage.finish().unwrap();
    let report = String::from_utf8(stage.reports()[0].clone()).unwrap();
    validate(&report);
    assert_eq!(
        report,
        "# TYPE sluice_lines_total counter\n\
         sluice_lines_total 1\n\
         # TYPE sluice_log_bytes_total counter\n\
         sluice_log_bytes_total 1009\n"
    );
}

#[test]
fn gauges_set_inc_dec_add_sub() {
    let (_, report) = run(
        r#"{"metrics": {
            "queue_depth": {"type": "gauge", "source": "depth"},
            "workers": {"type": "gauge", "source": "event", "value": "start", "action": "inc"},
            "workers_stopped": {"type": "gauge", "source": "event", "value": "stop", "action": "dec"},
            "balance": {"type": "gauge", "source": "credit", "action": "add"},
            "debt": {"type": "gauge", "source": "credit", "action": "sub"}}}"#,
        [
            "depth=10 event=start credit=5",
            "depth=7 event=start credit=-2.5",
            "event=stop credit=1m",
            "depth=3",
        ]
        .into_iter()
        .map(kv)
        .collect(),
    );
    assert_eq!(
        report,
        "# TYPE sluice_balance gauge\n\
         sluice_balance 62.5\n\
         # TYPE sluice_debt gauge\n\
         sluice_debt -62.5\n\
         # TYPE sluice_queue_depth gauge\n\
         sluice_queue_depth 3\n\
         # TYPE sluice_workers gauge\n\
         sluice_workers 2\n\
         # TYPE sluice_workers_stopped gauge\n\
         sluice_workers_stopped -1\n"
    );
}

#[test]
fn histograms_are_cumulative_with_inf_sum_and_count() {
    let (_, report) = run(
        r#"{"metrics": {"response_seconds": {"type": "histogram", "source": "rt",
             "description": "Response time.", "buckets": [0.005, 0.1, 1]}}, "labels": ["method"]}"#,
        access_log()
            .into_iter()
            .chain([
                kv("method=GET rt=100ms"),
                kv("method=GET rt=0.1"),
                kv("rt=oops"),
            ])
            .collect(),
    );
    assert_eq!(
        report,
        "# HELP sluice_response_seconds Response time.\n\
         # TYPE sluice_response_seconds histogram\n\
         sluice_response_seconds_bucket{method=\"GET\",le=\"0.005\"} 1\n\
         sluice_response_seconds_bucket{method=\"GET\",le=\"0.1\"} 4\n\
         sluice_response_seconds_bucket{method=\"GET\",le=\"1\"} 4\n\
         sluice_response_seconds_bucket{method=\"GET\",le=\"+Inf\"} 5\n\
         sluice_response_seconds_sum{method=\"GET\"} 1.715\n\
         sluice_response_seconds_count{method=\"GET\"} 5\n\
         sluice_response_seconds_bucket{method=\"POST\",le=\"0.005\"} 0\n\
         sluice_response_seconds_bucket{method=\"POST\",le=\"0.1\"} 0\n\
         sluice_response_seconds_bucket{method=\"POST\",le=\"1\"} 1\n\
         sluice_response_seconds_bucket{method=\"POST\",le=\"+Inf\"} 1\n\
         sluice_response_seconds_sum{method=\"POST\"} 0.25\n\
         sluice_response_seconds_count{method=\"POST\"} 1\n\
         # HELP sluice_metrics_invalid_values_total Values of a metric's source field that \
         were not numbers (or were negative for a counter), skipped.\n\
         # TYPE sluice_metrics_invalid_values_total counter\n\
         sluice_metrics_invalid_values_total{metric=\"sluice_response_seconds\"} 1\n"
    );
}

#[test]
fn label_values_are_escaped_and_empty_ones_left_out() {
    let (_, report) = run(
        r#"{"metrics": {"requests_total": {"type": "counter",
             "labels": {"path": "path", "status_code": "status.code", "client": "client"}}}}"#,
        vec![
            Input::new("a")
                .field("path", "C:\\logs\\\"app\"\nx")
                .field("status.code", "200")
                .field("client", b"caf\xc3\xa9 \xff"),
            Input::new("b").field("status.code", "200"),
            Input::new("c").field("status.code", "200"),
        ],
    );
    // A label's order in the definition object does not matter: labels come sorted by name
    // when given as an object (JSON objects are unordered).
    assert_eq!(
        report,
        "# TYPE sluice_requests_total counter\n\
         sluice_requests_total{status_code=\"200\"} 2\n\
         sluice_requests_total{client=\"café \\\\xff\",path=\"C:\\\\logs\\\\\\\"app\\\"\\nx\",\
         status_code=\"200\"} 1\n"
    );
}

#[test]
fn help_text_is_escaped() {
    let (_, report) = run(
        r#"{"metrics": {"x_total": {"type": "counter", "description": "Lines with \\ and\na break \"quoted\"."}}}"#,
        vec![Input::new("l")],
    );
    assert_eq!(
        report.lines().next().unwrap(),
        r#"# HELP sluice_x_total Lines with \\ and\na break "quoted"."#
    );
}

#[test]
fn unlabelled_metrics_start_at_zero_and_empty_families_are_left_out() {
    let (out, report) = run(
        r#"{"metrics": {
            "lines_total": {"type": "counter"},
            "latency": {"type": "histogram", "source": "ms", "buckets": [10]},
            "by_level_total": {"type": "counter", "labels": ["level"], "source": "level"}}}"#,
        vec![],
    );
    assert!(out.is_empty());
    assert_eq!(
        report,
        "# TYPE sluice_latency histogram\n\
         sluice_latency_bucket{le=\"10\"} 0\n\
         sluice_latency_bucket{le=\"+Inf\"} 0\n\
         sluice_latency_sum 0\n\
         sluice_latency_count 0\n\
         # TYPE sluice_lines_total counter\n\
         sluice_lines_total 0\n"
    );
}

#[test]
fn max_series_caps_memory_and_counts_dropped_updates() {
    let (_, report) = run(
        r#"{"metrics": {"req_total": {"type": "counter"}}, "labels": ["user"], "max_series": 2}"#,
        ["user=ann", "user=bob", "user=cid", "user=ann", "user=dee"]
            .into_iter()
            .map(kv)
            .collect(),
    );
    assert_eq!(
        report,
        "# TYPE sluice_req_total counter\n\
         sluice_req_total{user=\"ann\"} 2\n\
         sluice_req_total{user=\"bob\"} 1\n\
         # HELP sluice_metrics_dropped_updates_total Updates that would have created a \
         series beyond max_series, dropped.\n\
         # TYPE sluice_metrics_dropped_updates_total counter\n\
         sluice_metrics_dropped_updates_total{metric=\"sluice_req_total\"} 2\n"
    );
}

#[test]
fn interval_reports_while_lines_arrive() {
    set_clock(0, 5_000_000_000);
    let config = r#"{"metrics": {"n_total": {"type": "counter"}}, "interval": "15s"}"#;
    let mut stage = Harness::<Metrics>::new(config).unwrap();
    assert_eq!(stage.wake(), None);
    stage.process([Input::new("a")]).unwrap();
    assert_eq!(stage.wake().map(|w| w.after_ms), Some(15_000));
    advance_clock(10_000);
    stage.process([Input::new("b")]).unwrap();
    assert_eq!(
        stage.wake().map(|w| w.after_ms),
        Some(5_000),
        "fixed deadline"
    );
    advance_clock(5_000);
    assert!(stage.tick().unwrap().is_empty(), "a report, no lines");
    assert_eq!(stage.reports().len(), 1);
    assert!(String::from_utf8_lossy(&stage.reports()[0]).ends_with("sluice_n_total 2\n"));
    assert_eq!(stage.wake(), None, "idle: no more ticks");
    stage.process([Input::new("c")]).unwrap();
    assert_eq!(stage.wake().map(|w| w.after_ms), Some(15_000));
    stage.finish().unwrap();
    assert_eq!(stage.reports().len(), 2);
    assert!(String::from_utf8_lossy(&stage.reports()[1]).ends_with("sluice_n_total 3\n"));
}

#[test]
fn config_errors_name_the_key() {
    let cases = [
        (r#"{}"#, "metrics", "is required"),
        (r#"{"metrics": {}}"#, "metrics", "is empty"),
        (r#"{"metrics": []}"#, "metrics", "expected an object"),
        (
            r#"{"metrics": {"a": 1}}"#,
            "metrics",
            "metric \"a\": expected an object",
        ),
        (
            r#"{"metrics": {"a": {}}}"#,
            "metrics",
            "metric \"a\": key \"type\": is required",
        ),
        (
            r#"{"metrics": {"a": {"type": "summary"}}}"#,
            "metrics",
            "unknown type \"summary\"",
        ),
        (
            r#"{"metrics": {"a-b": {"type": "counter"}}}"#,
            "metrics",
            "\"sluice_a-b\" is not a valid Prometheus metric name",
        ),
        (
            r#"{"metrics": {"a": {"type": "counter", "sorce": "x"}}}"#,
            "metrics",
            "key \"sorce\": unknown key; did you mean \"source\"?",
        ),
        (
            r#"{"metrics": {"a": {"type": "counter", "action": "set"}}}"#,
            "metrics",
            "expected one of: inc, add",
        ),
        (
            r#"{"metrics": {"a": {"type": "counter", "action": "add"}}}"#,
            "metrics",
            "key \"source\": is required",
        ),
        (
            r#"{"metrics": {"a": {"type": "gauge"}}}"#,
            "metrics",
            "key \"source\": is required",
        ),
        (
            r#"{"metrics": {"a": {"type": "counter", "value": "x"}}}"#,
            "metrics",
            "set \"source\" too",
        ),
        (
            r#"{"metrics": {"a": {"type": "counter", "source": "s", "match_all": true}}}"#,
            "metrics",
            "key \"match_all\"",
        ),
        (
            r#"{"metrics": {"a": {"type": "counter", "count_entry_bytes": true, "action": "inc"}}}"#,
            "metrics",
            "key \"count_entry_bytes\"",
        ),
        (
            r#"{"metrics": {"a": {"type": "histogram", "source": "s"}}}"#,
            "metrics",
            "key \"buckets\": is required",
        ),
        (
            r#"{"metrics": {"a": {"type": "histogram", "source": "s", "buckets": [1, 1]}}}"#,
            "metrics",
            "strictly increasing",
        ),
        (
            r#"{"metrics": {"a": {"type": "histogram", "source": "s", "buckets": []}}}"#,
            "metrics",
            "is empty",
        ),
        (
            r#"{"metrics": {"a": {"type": "histogram", "source": "s", "buckets": ["1"]}}}"#,
            "metrics",
            "expected numbers",
        ),
        (
            r#"{"metrics": {"a": {"type": "counter", "buckets": [1]}}}"#,
            "metrics",
            "only applies to histograms",
        ),
        (
            r#"{"metrics": {"a": {"type": "histogram", "source": "s", "buckets": [1], "labels": ["le"]}}}"#,
            "metrics",
            "\"le\" is reserved",
        ),
        (
            r#"{"metrics": {"a": {"type": "counter", "value": "1", "config": {"value": "2"}}}}"#,
            "metrics",
            "key \"value\": is given twice",
        ),
        (
            r#"{"metrics": {"a": {"type": "counter"}, "a_count": {"type": "counter"}, "a": {"type": "histogram", "source": "s", "buckets": [1]}}}"#,
            "metrics",
            "\"sluice_a_count\" is used twice",
        ),
        (
            r#"{"prefix": "", "metrics": {"sluice_metrics_invalid_values_total": {"type": "counter"}}}"#,
            "metrics",
            "the stage's own metrics",
        ),
        (
            r#"{"prefix": "9x_", "metrics": {"a": {"type": "counter"}}}"#,
            "prefix",
            "cannot start a Prometheus metric name",
        ),
        (
            r#"{"labels": ["http.status"], "metrics": {"a": {"type": "counter"}}}"#,
            "labels",
            "not a valid Prometheus label name",
        ),
        (
            r#"{"labels": {"a": "x", "b": 1}, "metrics": {"a": {"type": "counter"}}}"#,
            "labels",
            "expected string values",
        ),
        (
            r#"{"labels": ["__name__"], "metrics": {"a": {"type": "counter"}}}"#,
            "labels",
            "not a valid Prometheus label name",
        ),
        (
            r#"{"max_series": 0, "metrics": {"a": {"type": "counter"}}}"#,
            "max_series",
            "at least 1",
        ),
        (
            r#"{"interval": "0s", "metrics": {"a": {"type": "counter"}}}"#,
            "interval",
            "longer than zero",
        ),
    ];
    for (config, key, message) in cases {
        let e = config_error::<Metrics>(config);
        assert_eq!(e.key.as_deref(), Some(key), "{config}: {}", e.message);
        assert!(e.message.contains(message), "{config}: {}", e.message);
    }
}

#[test]
fn promtail_style_definitions_are_accepted() {
    let (_, report) = run(
        r#"{"metrics": {
            "log_lines_total": {"type": "Counter", "prefix": "my_promtail_custom_",
                                "config": {"match_all": true, "action": "inc"}},
            "retries": {"type": "Gauge", "source": "retries", "config": {"action": "add"}}}}"#,
        ["retries=2", "retries=3 msg=again"]
            .into_iter()
            .map(kv)
            .collect(),
    );
    assert_eq!(
        report,
        "# TYPE my_promtail_custom_log_lines_total counter\n\
         my_promtail_custom_log_lines_total 2\n\
         # TYPE sluice_retries gauge\n\
         sluice_retries 5\n"
    );
}

#[test]
fn describes_itself() {
    let info = describe::<Metrics>();
    assert_eq!(info.name, "metrics");
    let keys: Vec<&str> = info.config_keys.iter().map(|k| k.name.as_str()).collect();
    assert_eq!(
        keys,
        [
            "metrics",
            "prefix",
            "labels",
            "max_series",
            "interval",
            "report"
        ]
    );
    assert!(!info.boundary_safe);
}

#[test]
fn the_validator_rejects_malformed_expositions() {
    let bad = [
        "x 1\n",                                     // no TYPE
        "# TYPE x counter\nx 1",                     // no final line feed
        "# TYPE x counter\nx{a=\"b\\t\"} 1\n",       // unknown escape
        "# TYPE x counter\nx{1a=\"b\"} 1\n",         // bad label name
        "# TYPE x counter\nx one\n",                 // bad value
        "# TYPE x counter\n# TYPE x counter\nx 1\n", // TYPE twice
        "# TYPE x summary\nx 1\n",                   // unsupported type
        "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"2\"} 1\n\
         h_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 2\n", // not cumulative
        "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n",
        "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_sum 1\nh_count 2\n", // no +Inf
    ];
    for text in bad {
        let result = std::panic::catch_unwind(|| validate(text));
        assert!(result.is_err(), "accepted: {text:?}");
    }
    validate(
        "# HELP h A \\\\ help.\n# TYPE h histogram\nh_bucket{a=\"x\\\"y\",le=\"1\"} 2\n\
              h_bucket{a=\"x\\\"y\",le=\"+Inf\"} 2\nh_sum{a=\"x\\\"y\"} 1\nh_count{a=\"x\\\"y\"} 2\n",
    );
}
