//! `metrics`: see docs/stages/metrics.md.

use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};

use insta::assert_snapshot;

use crate::util::{fixture, report_of, run, show_lossy, sluice, tempdir};

/// Runs `stages` then `metrics` (whose config is `config` with `"report": <file>` added) on
/// `input`; asserts that the lines pass through unchanged and nothing goes to stderr; returns
/// the report file's content.
#[track_caller]
fn exposition(test: &str, stages: &[&str], config: &str, input: &[u8]) -> String {
    let dir = tempdir(&format!("metrics-{test}"));
    let path = dir.join("metrics.prom");
    let config = config.trim_end();
    let config = format!(
        r#"{}, "report": "{}"}}"#,
        &config[..config.len() - 1],
        path.display()
    );
    let mut args: Vec<&str> = stages.iter().flat_map(|&s| ["-p", s]).collect();
    let spec = format!("metrics={config}");
    args.extend(["-p", &spec]);
    let out = run(&args, input);
    // Lines pass through unchanged (the stages before metrics here change no bytes).
    assert_eq!(out.ok(), input, "lines must pass unchanged");
    std::fs::read_to_string(&path).unwrap()
}

const NGINX: &[u8] =
    br#"203.0.113.7 - - [10/Oct/2024:13:55:36 +0000] "GET /api/users HTTP/1.1" 200 2326 "-"
203.0.113.9 - - [10/Oct/2024:13:55:37 +0000] "POST /api/orders HTTP/1.1" 200 450 "-"
198.51.100.4 - - [10/Oct/2024:13:55:38 +0000] "GET /missing HTTP/1.1" 404 153 "-"
"#;

const NGINX_PATTERN: &str =
    r#"pattern={"pattern": "<_> - - [<_>] \"<method> <path> <_>\" <status> <bytes> <_>"}"#;

#[test]
fn docs_example_counter_and_histogram_to_a_file() {
    let prom = exposition(
        "docs",
        &[NGINX_PATTERN],
        r#"{"labels": ["status"],
            "metrics": {
              "http_requests_total": {"type": "counter", "description": "Requests by status."},
              "http_response_bytes": {"type": "histogram", "source": "bytes",
                                      "buckets": [1000, 10000, 100000]}}}"#,
        NGINX,
    );
    assert_snapshot!(prom, @r#"
    # HELP sluice_http_requests_total Requests by status.
    # TYPE sluice_http_requests_total counter
    sluice_http_requests_total{status="200"} 2
    sluice_http_requests_total{status="404"} 1
    # TYPE sluice_http_response_bytes histogram
    sluice_http_response_bytes_bucket{status="200",le="1000"} 1
    sluice_http_response_bytes_bucket{status="200",le="10000"} 2
    sluice_http_response_bytes_bucket{status="200",le="100000"} 2
    sluice_http_response_bytes_bucket{status="200",le="+Inf"} 2
    sluice_http_response_bytes_sum{status="200"} 2776
    sluice_http_response_bytes_count{status="200"} 2
    sluice_http_response_bytes_bucket{status="404",le="1000"} 1
    sluice_http_response_bytes_bucket{status="404",le="10000"} 1
    sluice_http_response_bytes_bucket{status="404",le="100000"} 1
    sluice_http_response_bytes_bucket{status="404",le="+Inf"} 1
    sluice_http_response_bytes_sum{status="404"} 153
    sluice_http_response_bytes_count{status="404"} 1
    "#);
}

#[test]
fn the_report_goes_to_stderr_by_default() {
    let out = run(
        &[
            "-p",
            r#"metrics={"metrics": {"lines_total": {"type": "counter"}}}"#,
        ],
        b"a\nb\n",
    );
    assert_eq!(out.code, 0);
    assert_eq!(out.stdout, b"a\nb\n");
    assert_eq!(
        out.stderr,
        "stage 1 (metrics): # TYPE sluice_lines_total counter\n\
         stage 1 (metrics): sluice_lines_total 2\n"
    );
}

#[test]
fn counters_gauges_and_histograms_on_a_logfmt_log() {
    let input = b"level=info depth=3 took=250ms ok=true size=10
level=error depth=7 took=1m30s ok=false size=-5
level=info depth=n/a took=inf ok=maybe size=2

level=warn depth=1e1 took=\" 2s \"
";
    let prom = exposition(
        "types",
        &["logfmt"],
        r#"{"metrics": {
            "lines_total": {"type": "counter", "description": "All lines.\nSecond \\ line"},
            "errors_total": {"type": "Counter", "source": "level", "value": "error"},
            "size_total": {"type": "counter", "source": "size", "action": "add"},
            "log_bytes_total": {"type": "counter", "count_entry_bytes": true},
            "all_total": {"type": "counter", "config": {"match_all": true}},
            "depth": {"type": "gauge", "source": "depth"},
            "depth_added": {"type": "gauge", "source": "depth", "action": "add"},
            "depth_subtracted": {"type": "gauge", "source": "depth", "config": {"action": "sub"}},
            "lines_up": {"type": "GAUGE", "action": "inc"},
            "info_down": {"type": "gauge", "action": "dec", "source": "level", "value": "info"},
            "took_seconds": {"type": "histogram", "source": "took", "buckets": [0.5, 2, 60, 100]},
            "ok": {"type": "gauge", "source": "ok"}
        }}"#,
        input,
    );
    // Values: numbers, durations in seconds (250ms, 1m30s, " 2s " with spaces), true/false.
    // Skipped and counted: n/a, inf, maybe, a negative value for a counter's add.
    assert_snapshot!(prom, @r#"
    # TYPE sluice_all_total counter
    sluice_all_total 5
    # TYPE sluice_depth gauge
    sluice_depth 10
    # TYPE sluice_depth_added gauge
    sluice_depth_added 20
    # TYPE sluice_depth_subtracted gauge
    sluice_depth_subtracted -20
    # TYPE sluice_errors_total counter
    sluice_errors_total 1
    # TYPE sluice_info_down gauge
    sluice_info_down -2
    # HELP sluice_lines_total All lines.\nSecond \\ line
    # TYPE sluice_lines_total counter
    sluice_lines_total 5
    # TYPE sluice_lines_up gauge
    sluice_lines_up 5
    # TYPE sluice_log_bytes_total counter
    sluice_log_bytes_total 169
    # TYPE sluice_ok gauge
    sluice_ok 0
    # TYPE sluice_size_total counter
    sluice_size_total 12
    # TYPE sluice_took_seconds histogram
    sluice_took_seconds_bucket{le="0.5"} 1
    sluice_took_seconds_bucket{le="2"} 2
    sluice_took_seconds_bucket{le="60"} 2
    sluice_took_seconds_bucket{le="100"} 3
    sluice_took_seconds_bucket{le="+Inf"} 3
    sluice_took_seconds_sum 92.25
    sluice_took_seconds_count 3
    # HELP sluice_metrics_invalid_values_total Values of a metric's source field that were not numbers (or were negative for a counter), skipped.
    # TYPE sluice_metrics_invalid_values_total counter
    sluice_metrics_invalid_values_total{metric="sluice_depth"} 1
    sluice_metrics_invalid_values_total{metric="sluice_depth_added"} 1
    sluice_metrics_invalid_values_total{metric="sluice_depth_subtracted"} 1
    sluice_metrics_invalid_values_total{metric="sluice_ok"} 1
    sluice_metrics_invalid_values_total{metric="sluice_size_total"} 1
    sluice_metrics_invalid_values_total{metric="sluice_took_seconds"} 1
    "#);
    assert_eq!(
        input.len() - input.iter().filter(|&&b| b == b'\n').count(),
        169
    );
}

#[test]
fn labels_prefixes_and_missing_values() {
    let input = std::fs::read(fixture("app_json.log")).unwrap();
    let prom = exposition(
        "labels",
        &["json"],
        r#"{"prefix": "app_",
            "labels": {"svc": "service", "lvl": "level"},
            "metrics": {
              "entries_total": {"type": "counter"},
              "by_user_total": {"type": "counter", "labels": ["user"], "prefix": ""},
              "duration_ms": {"type": "gauge", "source": "duration_ms", "labels": []},
              "order_id": {"type": "gauge", "source": "order_id", "prefix": "shop:"}
            }}"#,
        &input,
    );
    // Lines without `user` form the series without the label. Labels given as an object come
    // in the order of their names (lvl, svc); `labels: []` overrides the top-level labels.
    assert_snapshot!(prom, @r#"
    # TYPE app_duration_ms gauge
    app_duration_ms 812
    # TYPE app_entries_total counter
    app_entries_total{lvl="DEBUG",svc="auth"} 1
    app_entries_total{lvl="ERROR",svc="auth"} 1
    app_entries_total{lvl="INFO",svc="billing"} 1
    app_entries_total{lvl="INFO",svc="orders"} 1
    app_entries_total{lvl="WARN",svc="orders"} 1
    # TYPE by_user_total counter
    by_user_total 3
    by_user_total{user="alice"} 1
    by_user_total{user="bob"} 1
    # TYPE shop:order_id gauge
    shop:order_id{lvl="INFO",svc="orders"} 48121
    "#);
    // Labels given as a list keep the list's order.
    let prom = exposition(
        "label-order",
        &["logfmt"],
        r#"{"labels": ["z", "a"], "metrics": {"x_total": {"type": "counter"}}}"#,
        b"a=2 z=1\n",
    );
    assert_eq!(
        prom,
        "# TYPE sluice_x_total counter\nsluice_x_total{z=\"1\",a=\"2\"} 1\n"
    );
}

#[test]
fn unlabelled_metrics_exist_at_zero_labelled_ones_once_updated() {
    let prom = exposition(
        "zero",
        &[],
        r#"{"metrics": {
            "plain_total": {"type": "counter"},
            "labelled_total": {"type": "counter", "labels": ["u"]},
            "h": {"type": "histogram", "source": "v", "buckets": [1, 2.5]},
            "g": {"type": "gauge", "source": "v"}}}"#,
        b"",
    );
    assert_snapshot!(prom, @r#"
    # TYPE sluice_g gauge
    sluice_g 0
    # TYPE sluice_h histogram
    sluice_h_bucket{le="1"} 0
    sluice_h_bucket{le="2.5"} 0
    sluice_h_bucket{le="+Inf"} 0
    sluice_h_sum 0
    sluice_h_count 0
    # TYPE sluice_plain_total counter
    sluice_plain_total 0
    "#);
}

#[test]
fn label_values_are_escaped_and_odd_bytes_written_as_text() {
    let prom = exposition(
        "escaping",
        &["logfmt"],
        r#"{"labels": {"key": "k"}, "metrics": {"x_total": {"type": "counter"}}}"#,
        b"k=caf\xe9\nk=\"a\0b\rc\"\nk=\"line\\nbreak\"\nk=\"q\\\"uote \\\\ back\"\nk=\n\n",
    );
    // NUL and `\r` are written as they are; the file stays valid UTF-8.
    assert_eq!(
        prom,
        "# TYPE sluice_x_total counter\nsluice_x_total 2\nsluice_x_total{key=\"a\0b\rc\"} 1\nsluice_x_total{key=\"caf\\\\xe9\"} 1\nsluice_x_total{key=\"line\\nbreak\"} 1\nsluice_x_total{key=\"q\\\"uote \\\\ back\"} 1\n"
    );
}

#[test]
fn max_series_drops_updates_and_counts_them() {
    let prom = exposition(
        "max-series",
        &["logfmt"],
        r#"{"max_series": 2, "labels": ["u"],
            "metrics": {"x_total": {"type": "counter"}, "y": {"type": "gauge", "source": "u", "action": "inc"}}}"#,
        b"u=a\nu=b\nu=c\nu=a\nu=d\n",
    );
    assert_snapshot!(prom, @r#"
    # TYPE sluice_x_total counter
    sluice_x_total{u="a"} 2
    # TYPE sluice_y gauge
    sluice_y{u="a"} 2
    # HELP sluice_metrics_dropped_updates_total Updates that would have created a series beyond max_series, dropped.
    # TYPE sluice_metrics_dropped_updates_total counter
    sluice_metrics_dropped_updates_total{metric="sluice_x_total"} 3
    sluice_metrics_dropped_updates_total{metric="sluice_y"} 3
    "#);
}

#[test]
fn lines_pass_unchanged_whatever_their_bytes() {
    // CRLF, lone `\r`, NUL, bytes that are not UTF-8, empty lines, no final newline: all
    // pass byte for byte, and each counts.
    let mut input = std::fs::read(fixture("odd_bytes.log")).unwrap();
    input.extend_from_slice(b"\r\n\nlast without newline");
    let prom = exposition(
        "odd-bytes",
        &[],
        r#"{"metrics": {"lines_total": {"type": "counter"}, "bytes_total": {"type": "counter", "count_entry_bytes": true}}}"#,
        &input,
    );
    let content_bytes = input.len() - input.iter().filter(|&&b| b == b'\n').count() - 2;
    assert_eq!(
        prom,
        format!(
            "# TYPE sluice_bytes_total counter\nsluice_bytes_total {content_bytes}\n# TYPE sluice_lines_total counter\nsluice_lines_total 9\n"
        )
    );
    // Fields and timestamps pass too.
    let out = run(
        &[
            "-p",
            "logfmt",
            "-p",
            r#"metrics={"metrics": {"x_total": {"type": "counter"}}}"#,
            "-o",
            "json",
        ],
        b"a=1\n",
    );
    assert_eq!(
        show_lossy(&out.stdout),
        "{\"line\":\"a=1\",\"fields\":{\"a\":1}}\n"
    );
    assert_eq!(
        report_of(&out.stderr, "stage 2 (metrics)"),
        "# TYPE sluice_x_total counter\nsluice_x_total 1\n"
    );
}

#[test]
fn an_over_long_line_updates_once_with_all_its_bytes() {
    let long = format!("level=error {}", "x".repeat(300));
    let input = format!("level=info a\n{long}\nlevel=info b\n");
    let dir = tempdir("metrics-long");
    let path = dir.join("metrics.prom");
    let spec = format!(
        r#"metrics={{"labels": ["level"], "report": "{}", "metrics": {{"lines_total": {{"type": "counter"}}, "bytes_total": {{"type": "counter", "count_entry_bytes": true, "labels": []}}}}}}"#,
        path.display()
    );
    let out = run(
        &[
            "--max-line-bytes",
            "64",
            "--boundary-overlap",
            "16",
            "-p",
            "logfmt",
            "-p",
            &spec,
        ],
        input.as_bytes(),
    );
    // The pieces pass unchanged; the line counts once, with its fields, and all its bytes.
    assert_eq!(show_lossy(out.ok()), input);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        format!(
            "# TYPE sluice_bytes_total counter\nsluice_bytes_total {}\n# TYPE sluice_lines_total counter\nsluice_lines_total{{level=\"error\"}} 1\nsluice_lines_total{{level=\"info\"}} 2\n",
            input.len() - 3
        )
    );
}

#[test]
fn interval_replaces_the_report_file_while_lines_arrive() {
    let dir = tempdir("metrics-interval");
    let path = dir.join("app.prom");
    let spec = format!(
        r#"metrics={{"interval": "200ms", "report": "{}", "metrics": {{"lines_total": {{"type": "counter"}}}}}}"#,
        path.display()
    );
    let mut child = sluice()
        .args(["-p", &spec])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let wait_for = |expected: &str| {
        let start = Instant::now();
        loop {
            let now = std::fs::read_to_string(&path).unwrap_or_default();
            if now == expected {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "report is {now:?}, waiting for {expected:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    stdin.write_all(b"a\nb\nc\n").unwrap();
    stdin.flush().unwrap();
    wait_for("# TYPE sluice_lines_total counter\nsluice_lines_total 3\n");
    stdin.write_all(b"d\n").unwrap();
    stdin.flush().unwrap();
    wait_for("# TYPE sluice_lines_total counter\nsluice_lines_total 4\n");
    stdin.write_all(b"e\n").unwrap();
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{output:?}");
    // The final report at end of input.
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "# TYPE sluice_lines_total counter\nsluice_lines_total 5\n"
    );
    // Only the report is in the directory: it was replaced through a renamed temporary file.
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["app.prom"]);
}

#[test]
fn config_errors_name_the_key_and_the_metric() {
    let cases = [
        (
            r#"{}"#,
            "config key `metrics`: is required: an object of metric definitions, such as {\"lines_total\": {\"type\": \"counter\"}}",
        ),
        (
            r#"{"metrics": {"errors_total": {"type": "counter", "action": "push"}}}"#,
            "config key `metrics`: metric \"errors_total\": key \"action\": unknown value \"push\"; expected one of: inc, add",
        ),
        (
            r#"{"metrics": {"x": {"type": "summary"}}}"#,
            "config key `metrics`: metric \"x\": key \"type\": unknown type \"summary\"; expected counter, gauge or histogram",
        ),
        (
            r#"{"prefix": "", "metrics": {"1x": {"type": "counter"}}}"#,
            "config key `metrics`: metric \"1x\": \"1x\" is not a valid Prometheus metric name: use letters, digits, `_` and `:`, not starting with a digit",
        ),
        (
            r#"{"prefix": "a-b", "metrics": {"x": {"type": "counter"}}}"#,
            "config key `prefix`: \"a-b\" cannot start a Prometheus metric name: use letters, digits, `_` and `:`, not starting with a digit",
        ),
        (
            r#"{"metrics": {"x": {"type": "counter", "labels": ["__x"]}}}"#,
            "config key `metrics`: metric \"x\": key \"labels\": \"__x\" is not a valid Prometheus label name (letters, digits and `_`, not starting with a digit or `__`); map it to a valid name with an object such as {\"status_code\": \"__x\"}",
        ),
        (
            r#"{"metrics": {"x": {"type": "histogram", "source": "v", "buckets": [1], "labels": ["le"]}}}"#,
            "config key `metrics`: metric \"x\": key \"labels\": \"le\" is reserved for a histogram's buckets; name the label otherwise",
        ),
        (
            r#"{"metrics": {"x": {"type": "histogram", "source": "v", "buckets": [2, 1]}}}"#,
            "config key `metrics`: metric \"x\": key \"buckets\": must be in strictly increasing order",
        ),
        (
            r#"{"metrics": {"x": {"type": "histogram", "source": "v", "buckets": [1]}, "x_count": {"type": "counter"}}}"#,
            "config key `metrics`: the name \"sluice_x_count\" is used twice (by sluice_x); rename one",
        ),
        (
            r#"{"metrics": {"metrics_dropped_updates_total": {"type": "counter"}}}"#,
            "config key `metrics`: the name \"sluice_metrics_dropped_updates_total\" is used twice (by one of the stage's own metrics); rename one",
        ),
        (
            r#"{"metrics": {"x": {"type": "counter", "action": "add", "config": {"action": "add"}}}}"#,
            "config key `metrics`: metric \"x\": key \"action\": is given twice, directly and under \"config\"; keep one",
        ),
        (
            r#"{"metrics": {"x": {"type": "counter", "bogus": 1}}}"#,
            "config key `metrics`: metric \"x\": key \"bogus\": unknown key; known keys: type, description, source, value, action, buckets, match_all, count_entry_bytes, labels, prefix",
        ),
        (
            r#"{"metrics": {"x": {"type": "counter", "action": "add"}}}"#,
            "config key `metrics`: metric \"x\": key \"source\": is required for a counter's add: the field whose number is used",
        ),
        (
            r#"{"metrics": {"x": {"type": "counter", "value": "a"}}}"#,
            "config key `metrics`: metric \"x\": key \"value\": filters on the source field's value; set \"source\" too",
        ),
        (
            r#"{"max_series": 0, "metrics": {"x": {"type": "counter"}}}"#,
            "config key `max_series`: must be at least 1",
        ),
        (
            r#"{"interval": "0s", "metrics": {"x": {"type": "counter"}}}"#,
            "config key `interval`: must be longer than zero, such as \"15s\"",
        ),
        (
            r#"{"labels": {"status_code": "status.code", "bad-name": "x"}, "metrics": {"x": {"type": "counter"}}}"#,
            "config key `labels`: \"bad-name\" is not a valid Prometheus label name (letters, digits and `_`, not starting with a digit or `__`); map it to a valid name with an object such as {\"status_code\": \"bad-name\"}",
        ),
    ];
    for (config, message) in cases {
        assert_eq!(
            run(&["-p", &format!("metrics={config}")], b"").fails(2),
            format!("sluice: stage 1 (metrics): {message}")
        );
    }
}
