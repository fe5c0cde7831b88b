//! `docker`: see docs/stages/docker.md.

use std::fs;

use insta::assert_snapshot;
use serde_json::{Value, json};

use crate::util::{config_error, records, tempdir, transform, transform_fixture, visible};

/// One json-file entry as Docker writes it.
fn entry(log: &str, stream: &str, time: &str) -> String {
    format!(
        r#"{{"log":{},"stream":"{stream}","time":"{time}"}}"#,
        serde_json::to_string(log).unwrap()
    )
}

/// `docker_json_file.log`: a container's json-file log. A stdout message split into three
/// entries (Docker splits at 16 KiB; shorter here, the rule is the same: a `log` without a
/// trailing newline continues) with a stderr entry between them, an entry with `attrs`, one
/// written with `\r\n`, escapes and an offset, an empty message, an application's own JSON line
/// and a line cut by a crash (neither are Docker lines), and a split message still open at the
/// end.
#[test]
fn json_file_log_with_split_entries() {
    let out = transform_fixture(&["-p", "docker", "-o", "json"], "docker_json_file.log");
    assert_snapshot!(out);
    assert_snapshot!(
        visible(transform_fixture(&["-p", "docker"], "docker_json_file.log").as_bytes()),
        @r#"
    2024/10/10 13:55:36 listening on :8080\n
    {"level":"info","msg":"GET /healthz","status":200}\n
    panic: runtime error: index out of range [3] with length 3\n
    {"level":"debug","msg":"cache snapshot","keys":["user:1001","user:1002","user:1003","user:1004","user:1005"]}\n
    goroutine 1 [running]:\r\n
    caf\xc3\xa9 \xe2\x9c\x93 "quoted" tab\there\n
    \n
    {"level":"warn","msg":"an application line written next to the docker log"}\n
    {"log":"truncated by a crash mid-write\n","stream":"stdout","ti\n
    shutting down: received \n
    "#
    );
}

#[test]
fn documented_example() {
    let input = [
        entry("listening on :8080\n", "stdout", "2024-10-10T13:55:36.12Z"),
        entry(
            "panic: runtime error: ",
            "stderr",
            "2024-10-10T13:55:37.001Z",
        ),
        entry("index out of range\n", "stderr", "2024-10-10T13:55:37.001Z"),
    ]
    .join("\n");
    let out = transform(&["-p", "docker", "-o", "logfmt"], input.as_bytes());
    assert_snapshot!(String::from_utf8(out).unwrap(), @r#"
    line="listening on :8080" timestamp=2024-10-10T13:55:36.12Z stream=stdout
    line="panic: runtime error: index out of range" timestamp=2024-10-10T13:55:37.001Z stream=stderr
    "#);
}

#[test]
fn what_is_a_docker_line() {
    let docker_lines = concat!(
        r#"{ "time" : "2024-06-01T12:00:00Z" , "stream" : "stderr" , "log" : "any order, spaces\n" }"#,
        "\n",
        r#"{"log":"first\n","log":"the later key wins\n","stream":"stdout","time":"2024-06-01T12:00:00Z"}"#,
        "\n",
        r#"{"log":"attrs ignored\n","stream":"stdout","time":"2024-06-01T12:00:00Z","attrs":{"a":[1,{"b":null}]}}"#,
        "\n",
        r#"{"log":"escapes: \u0000 \ud83d\ude00 \ud800 \"q\" \\ \/ \t\n","stream":"stdout","time":"2024-06-01T14:00:00.123456789+02:00"}"#,
        "\n",
        r#"{"log":"two newlines\n\n","stream":"stdout","time":"2024-06-01T12:00:00Z"}"#,
        "\n",
        r#"{"log":"\n","stream":"stdout","time":"2024-06-01T12:00:00Z"}"#,
        "\n",
        r#"{"log":"edge year\n","stream":"stdout","time":"2261-12-31T23:59:59Z"}"#,
        "\n",
    );
    assert_snapshot!(records(&["-p", "docker"], docker_lines.as_bytes()), @r#"
    {"line":"any order, spaces","timestamp":"2024-06-01T12:00:00Z","fields":{"stream":"stderr"}}
    {"line":"the later key wins","timestamp":"2024-06-01T12:00:00Z","fields":{"stream":"stdout"}}
    {"line":"attrs ignored","timestamp":"2024-06-01T12:00:00Z","fields":{"stream":"stdout"}}
    {"line":"escapes: \u0000 😀 � \"q\" \\ / \t","timestamp":"2024-06-01T12:00:00.123456789Z","fields":{"stream":"stdout"}}
    {"line":"two newlines\n","timestamp":"2024-06-01T12:00:00Z","fields":{"stream":"stdout"}}
    {"line":"","timestamp":"2024-06-01T12:00:00Z","fields":{"stream":"stdout"}}
    {"line":"edge year","timestamp":"2261-12-31T23:59:59Z","fields":{"stream":"stdout"}}
    "#);
    let others = concat!(
        r#"{"log":"trailing comma\n","stream":"stdout","time":"2024-06-01T12:00:00Z",}"#,
        "\n",
        r#"{'log':'single quotes','stream':'stdout','time':'2024-06-01T12:00:00Z'}"#,
        "\n",
        r#"{"log":"another stream\n","stream":"stdin","time":"2024-06-01T12:00:00Z"}"#,
        "\n",
        r#"{"log":"not a time\n","stream":"stdout","time":"yesterday"}"#,
        "\n",
        r#"{"log":"after 2261\n","stream":"stdout","time":"2262-06-01T00:00:00Z"}"#,
        "\n",
        r#"{"log":"before 1678\n","stream":"stdout","time":"1677-06-01T00:00:00Z"}"#,
        "\n",
        r#"{"log":42,"stream":"stdout","time":"2024-06-01T12:00:00Z"}"#,
        "\n",
        r#"{"log":"no time\n","stream":"stdout"}"#,
        "\n",
        r#"{"log":"x\n","stream":"stdout","time":"2024-06-01T12:00:00Z"} trailing"#,
        "\n",
        r#"{"level":"info","msg":"an application's own JSON"}"#,
        "\n",
        "\n",
        "plain text\n",
    );
    let out = transform(&["-p", "docker"], others.as_bytes());
    assert_eq!(
        String::from_utf8(out).unwrap(),
        others,
        "all pass unchanged"
    );
}

#[test]
fn bytes_that_are_not_utf8_and_nul() {
    // Inside `log` they are kept; a raw NUL in a string, or a bad byte outside one, make the
    // line not a Docker line.
    let input = b"{\"log\":\"caf\xe9 \xff\\n\",\"stream\":\"stdout\",\"time\":\"2024-06-01T12:00:00Z\"}\n{\"log\":\"raw\x00nul\\n\",\"stream\":\"stdout\",\"time\":\"2024-06-01T12:00:00Z\"}\n{\"log\":\"x\\n\",\"stream\":\"stdout\",\"time\":\"2024-06-01T12:00:00Z\"\xff}\n{\"log\":\"escaped \\u0000 nul\\n\",\"stream\":\"stdout\",\"time\":\"2024-06-01T12:00:00Z\"}\n";
    let out = transform(&["-p", "docker"], input);
    assert_snapshot!(visible(&out), @r#"
    caf\xe9 \xff\n
    {"log":"raw\0nul\n","stream":"stdout","time":"2024-06-01T12:00:00Z"}\n
    {"log":"x\n","stream":"stdout","time":"2024-06-01T12:00:00Z"\xff}\n
    escaped \0 nul\n
    "#);
}

#[test]
fn terminators_crlf_and_no_final_newline() {
    let input = format!(
        "{}\r\n{}\r\nnot docker\r\n\r\n{}\r\n{}",
        entry(
            "a message written with CRLF\r\n",
            "stdout",
            "2024-06-01T12:00:00Z"
        ),
        entry("split ", "stdout", "2024-06-01T12:00:01Z"),
        entry("message\n", "stdout", "2024-06-01T12:00:02Z"),
        entry("no final newline\n", "stderr", "2024-06-01T12:00:03Z"),
    );
    let out = transform(&["-p", "docker"], input.as_bytes());
    // The message keeps its `\r` (the program wrote it) before the line's own CRLF.
    assert_snapshot!(visible(&out), @r"
    a message written with CRLF\r\r\n
    not docker\r\n
    \r\n
    split message\r\n
    no final newline
    ");
    // A merge still open at the end goes out ending as its last piece's line did.
    let out = transform(
        &["-p", "docker"],
        entry("never completed", "stdout", "2024-06-01T12:00:00Z").as_bytes(),
    );
    assert_eq!(out, b"never completed");
    let piece = entry("never completed", "stdout", "2024-06-01T12:00:00Z");
    let out = transform(&["-p", "docker"], format!("{piece}\r\n").as_bytes());
    assert_eq!(out, b"never completed\r\n");
}

#[test]
fn merge_partial_and_max_partial_lines() {
    let input = [
        entry("one-", "stdout", "2024-06-01T12:00:01Z"),
        entry("two-", "stdout", "2024-06-01T12:00:02Z"),
        entry("three-", "stdout", "2024-06-01T12:00:03Z"),
        entry("four\n", "stdout", "2024-06-01T12:00:04Z"),
    ]
    .join("\n");
    let mut shown = String::new();
    for config in [
        "docker",
        r#"docker={"max_partial_lines": 3}"#,
        r#"docker={"max_partial_lines": 2}"#,
        r#"docker={"max_partial_lines": 1}"#,
        r#"docker={"merge_partial": false}"#,
    ] {
        shown.push_str(&format!(
            "{config}:\n{}",
            records(&["-p", config], input.as_bytes())
        ));
    }
    assert_snapshot!(shown, @r#"
    docker:
    {"line":"one-two-three-four","timestamp":"2024-06-01T12:00:01Z","fields":{"stream":"stdout"}}
    docker={"max_partial_lines": 3}:
    {"line":"one-two-three-","timestamp":"2024-06-01T12:00:01Z","fields":{"stream":"stdout"}}
    {"line":"four","timestamp":"2024-06-01T12:00:04Z","fields":{"stream":"stdout"}}
    docker={"max_partial_lines": 2}:
    {"line":"one-two-","timestamp":"2024-06-01T12:00:01Z","fields":{"stream":"stdout"}}
    {"line":"three-four","timestamp":"2024-06-01T12:00:03Z","fields":{"stream":"stdout"}}
    docker={"max_partial_lines": 1}:
    {"line":"one-","timestamp":"2024-06-01T12:00:01Z","fields":{"stream":"stdout"}}
    {"line":"two-","timestamp":"2024-06-01T12:00:02Z","fields":{"stream":"stdout"}}
    {"line":"three-","timestamp":"2024-06-01T12:00:03Z","fields":{"stream":"stdout"}}
    {"line":"four","timestamp":"2024-06-01T12:00:04Z","fields":{"stream":"stdout"}}
    docker={"merge_partial": false}:
    {"line":"one-","timestamp":"2024-06-01T12:00:01Z","fields":{"stream":"stdout"}}
    {"line":"two-","timestamp":"2024-06-01T12:00:02Z","fields":{"stream":"stdout"}}
    {"line":"three-","timestamp":"2024-06-01T12:00:03Z","fields":{"stream":"stdout"}}
    {"line":"four","timestamp":"2024-06-01T12:00:04Z","fields":{"stream":"stdout"}}
    "#);
}

#[test]
fn merges_are_kept_per_input() {
    let dir = tempdir("stages-docker-inputs");
    let mut paths = Vec::new();
    for i in 1..=65 {
        let path = dir.join(format!("c{i:02}-json.log"));
        let time = format!("2024-06-01T12:00:{:02}Z", i % 60);
        fs::write(
            &path,
            format!(
                "{}\n",
                entry(&format!("container {i:02} "), "stdout", &time)
            ),
        )
        .unwrap();
        paths.push(path.display().to_string());
    }
    // A last file whose complete entry must not complete another file's message.
    let last = dir.join("z-json.log");
    fs::write(
        &last,
        format!(
            "{}\n",
            entry("own line\n", "stdout", "2024-06-01T13:00:00Z")
        ),
    )
    .unwrap();
    paths.push(last.display().to_string());
    let args: Vec<&str> = ["-p", "docker", "-o", "json"]
        .into_iter()
        .chain(paths.iter().map(String::as_str))
        .collect();
    let out = String::from_utf8(transform(&args, b"")).unwrap();
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .map(|r| json!([r["line"], r["timestamp"]]))
        .collect();
    // Each file is its own stream: its open merge goes out at its end, before the next file.
    let mut expected: Vec<Value> = (1..=65)
        .map(|i| {
            json!([
                format!("container {i:02} "),
                format!("2024-06-01T12:00:{:02}Z", i % 60)
            ])
        })
        .collect();
    expected.push(json!(["own line", "2024-06-01T13:00:00Z"]));
    assert_eq!(lines, expected);
}

#[test]
fn over_long_lines_pass_unchanged_without_disturbing_merges() {
    let m = "m".repeat(300);
    let long = entry(&format!("{m}\n"), "stdout", "2024-06-01T12:00:02Z");
    let input = format!(
        "{}\r\n{long}\r\n{}\r\n{}",
        entry("held ", "stdout", "2024-06-01T12:00:01Z"),
        entry("end\n", "stdout", "2024-06-01T12:00:03Z"),
        entry("last\n", "stderr", "2024-06-01T12:00:04Z"),
    );
    let args = [
        "--max-line-bytes",
        "64",
        "--boundary-overlap",
        "16",
        "-p",
        "docker",
    ];
    let out = transform(&args, input.as_bytes());
    assert_eq!(
        String::from_utf8(out).unwrap(),
        format!("{long}\r\nheld end\r\nlast")
    );
    let out = records(&args, input.as_bytes());
    let records: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records[0], json!({"line": long}));
    assert_eq!(
        records[1],
        json!({"line": "held end", "timestamp": "2024-06-01T12:00:01Z", "fields": {"stream": "stdout"}})
    );
    assert_eq!(
        records[2],
        json!({"line": "last", "timestamp": "2024-06-01T12:00:04Z", "fields": {"stream": "stderr"}})
    );
}

#[test]
fn then_logfmt_parses_the_messages() {
    let input = [
        entry(
            "level=info msg=\"GET /\" status=200\n",
            "stdout",
            "2024-06-01T12:00:00Z",
        ),
        entry("level=error msg=\"db ", "stderr", "2024-06-01T12:00:01Z"),
        entry("timeout\" retry=3\n", "stderr", "2024-06-01T12:00:01Z"),
    ]
    .join("\n");
    let out = records(
        &[
            "-p",
            "docker",
            "-p",
            r#"logfmt={"mapping": {"level": "", "msg": ""}}"#,
        ],
        input.as_bytes(),
    );
    assert_snapshot!(out, @r#"
    {"line":"level=info msg=\"GET /\" status=200","timestamp":"2024-06-01T12:00:00Z","fields":{"stream":"stdout","level":"info","msg":"GET /"}}
    {"line":"level=error msg=\"db timeout\" retry=3","timestamp":"2024-06-01T12:00:01Z","fields":{"stream":"stderr","level":"error","msg":"db timeout"}}
    "#);
}

#[test]
fn config_errors_name_the_stage_and_key() {
    let messages: Vec<String> = [
        r#"docker={"max_partial_lines": 0}"#,
        r#"docker={"max_partial_lines": 1.5}"#,
        r#"docker={"merge_partial": "yes"}"#,
        r#"docker={"merge": true}"#,
    ]
    .iter()
    .map(|stage| config_error(stage))
    .collect();
    assert_snapshot!(messages.join("\n"), @r#"
    sluice: stage 1 (docker): config key `max_partial_lines`: must be at least 1 (or set "merge_partial" to false to turn merging off)
    sluice: stage 1 (docker): config key `max_partial_lines`: expected a non-negative integer, got 1.5
    sluice: stage 1 (docker): config key `merge_partial`: expected true or false, got a string
    sluice: stage 1 (docker): config key `merge`: unknown key; known keys: merge_partial, max_partial_lines
    "#);
}
