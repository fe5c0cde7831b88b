//! `cri`: see docs/stages/cri.md.

use std::fs;
use std::io::Write;
use std::process::Stdio;
use std::time::Duration;

use insta::assert_snapshot;
use serde_json::{Value, json};

use crate::util::{
    config_error, records, run, sluice, tempdir, transform, transform_fixture, visible,
};

#[test]
fn kubernetes_pod_log() {
    assert_snapshot!(transform_fixture(
        &["-p", "cri", "-o", "json"],
        "k8s_cri.log"
    ));
}

/// `cri_partial.log`: a containerd log with a stderr message split into a `P` and an `F` line
/// around a stdout line, a stdout message split over four lines (one with an extra tag), a
/// klog line that is not CRI in the middle, an offset other than `Z`, an empty message, and a
/// `P` line left open when the pod died.
#[test]
fn partial_lines_are_merged_per_stream() {
    let out = transform_fixture(&["-p", "cri", "-o", "json"], "cri_partial.log");
    assert_snapshot!(out);
    // The raw lines: each merged message is one line; the one still open at the end of the
    // input goes out last.
    assert_snapshot!(transform_fixture(&["-p", "cri"], "cri_partial.log"), @r#"
    {"level":"info","msg":"listening on :8080"}
    {"level":"info","msg":"GET /healthz 200"}
    Exception in thread "main" java.lang.IllegalStateException: boom
    {"level":"debug","msg":"cache dump","entries":["alpha","beta","gamma","delta"]}
    I1010 13:55:39.000000 1 main.go:42] not a CRI line (klog written straight to the file)
    {"level":"warn","msg":"offset +02:00 in the header"}

    {"level":"error","msg":"pod terminated while logging a long
    "#);
}

#[test]
fn documented_example() {
    let input = concat!(
        "2024-10-10T13:55:36.120000000Z stdout F {\"level\":\"info\",\"msg\":\"listening on :8080\"}\n",
        "2024-10-10T13:55:37.001000000Z stderr P Exception in thread \"main\" java.lang.IllegalStateException: \n",
        "2024-10-10T13:55:37.001000000Z stderr F boom\n",
    );
    assert_snapshot!(records(&["-p", "cri"], input.as_bytes()), @r#"
    {"line":"{\"level\":\"info\",\"msg\":\"listening on :8080\"}","timestamp":"2024-10-10T13:55:36.12Z","fields":{"stream":"stdout"}}
    {"line":"Exception in thread \"main\" java.lang.IllegalStateException: boom","timestamp":"2024-10-10T13:55:37.001Z","fields":{"stream":"stderr"}}
    "#);
}

#[test]
fn lines_of_other_shapes_are_not_cri() {
    let input = concat!(
        "2024-06-01T12:00:00Z  stdout F two spaces\n",
        "2024-06-01T12:00:00Z stdin F another stream\n",
        "2024-06-01T12:00:00Z stdout X another tag\n",
        "2024-06-01T12:00:00Z stdout FP x\n",
        "2024-13-01T12:00:00Z stdout F month 13\n",
        "2024-06-01 12:00:00Z stdout F space in the time\n",
        "1677-01-01T00:00:00Z stdout F before 1678\n",
        "2262-06-01T00:00:00Z stdout F after 2261\n",
        "2024-06-01T12:00:00Z stdout\n",
        "\n",
    );
    let out = transform(&["-p", "cri"], input.as_bytes());
    assert_eq!(String::from_utf8(out).unwrap(), input, "all pass unchanged");
    // These are CRI: the years at the edges, a tag with more tags after `:`, an empty message
    // with or without the space after the tag.
    let input = concat!(
        "1678-01-01T00:00:00Z stdout F first year\n",
        "2261-12-31T23:59:59.999999999Z stdout F last year\n",
        "2024-06-01T14:00:00.5+02:00 stderr F:x:y extra tags\n",
        "2024-06-01T12:00:00Z stdout F \n",
        "2024-06-01T12:00:00Z stdout F\n",
    );
    assert_snapshot!(records(&["-p", "cri"], input.as_bytes()), @r#"
    {"line":"first year","timestamp":"1678-01-01T00:00:00Z","fields":{"stream":"stdout"}}
    {"line":"last year","timestamp":"2261-12-31T23:59:59.999999999Z","fields":{"stream":"stdout"}}
    {"line":"extra tags","timestamp":"2024-06-01T12:00:00.5Z","fields":{"stream":"stderr"}}
    {"line":"","timestamp":"2024-06-01T12:00:00Z","fields":{"stream":"stdout"}}
    {"line":"","timestamp":"2024-06-01T12:00:00Z","fields":{"stream":"stdout"}}
    "#);
}

#[test]
fn bytes_that_are_not_utf8_nul_cr_and_terminators() {
    let input = b"2024-06-01T12:00:00Z stdout F caf\xe9 \0 nul\r\n2024-06-01T12:00:01Z stdout P part one \xff\r\n2024-06-01T12:00:02Z stdout F and two\r\nnot cri\r\n\r\n2024-06-01T12:00:03Z stderr F lone\rcr\r\n2024-06-01T12:00:00Z stdout\0F nul in the header\n2024-06-01T12:00:04Z stdout F no final newline";
    let out = transform(&["-p", "cri"], input);
    // Messages keep their bytes; each line keeps its terminator (a merge takes its `F` line's).
    assert_snapshot!(visible(&out), @r"
    caf\xe9 \0 nul\r\n
    part one \xffand two\r\n
    not cri\r\n
    \r\n
    lone\rcr\r\n
    2024-06-01T12:00:00Z stdout\0F nul in the header\n
    no final newline
    ");
}

#[test]
fn merge_open_at_the_end_of_the_input() {
    // It goes out at the end, ending as its last piece's line did: here, with nothing.
    let out = transform(
        &["-p", "cri"],
        b"2024-06-01T12:00:01Z stdout P one \r\n2024-06-01T12:00:02Z stdout P two",
    );
    assert_eq!(out, b"one two");
    let out = transform(
        &["-p", "cri"],
        b"2024-06-01T12:00:01Z stdout P one \n2024-06-01T12:00:02Z stdout P two\r\n",
    );
    assert_eq!(out, b"one two\r\n");
}

#[test]
fn limits_on_merges() {
    let input = concat!(
        "2024-06-01T12:00:01Z stdout P one-\n",
        "2024-06-01T12:00:02Z stdout P two-\n",
        "2024-06-01T12:00:03Z stdout P three-\n",
        "2024-06-01T12:00:04Z stdout F four\n",
    );
    let mut shown = String::new();
    for config in [
        "cri",
        r#"cri={"max_partial_lines": 2}"#,
        r#"cri={"max_partial_lines": 1}"#,
        r#"cri={"max_partial_line_size": 10}"#,
        r#"cri={"max_partial_line_size": 10, "max_partial_line_size_truncate": true}"#,
    ] {
        shown.push_str(&format!(
            "{config}:\n{}",
            records(&["-p", config], input.as_bytes())
        ));
    }
    assert_snapshot!(shown, @r#"
    cri:
    {"line":"one-two-three-four","timestamp":"2024-06-01T12:00:01Z","fields":{"stream":"stdout"}}
    cri={"max_partial_lines": 2}:
    {"line":"one-two-","timestamp":"2024-06-01T12:00:01Z","fields":{"stream":"stdout"}}
    {"line":"three-four","timestamp":"2024-06-01T12:00:03Z","fields":{"stream":"stdout"}}
    cri={"max_partial_lines": 1}:
    {"line":"one-","timestamp":"2024-06-01T12:00:01Z","fields":{"stream":"stdout"}}
    {"line":"two-","timestamp":"2024-06-01T12:00:02Z","fields":{"stream":"stdout"}}
    {"line":"three-","timestamp":"2024-06-01T12:00:03Z","fields":{"stream":"stdout"}}
    {"line":"four","timestamp":"2024-06-01T12:00:04Z","fields":{"stream":"stdout"}}
    cri={"max_partial_line_size": 10}:
    {"line":"one-two-","timestamp":"2024-06-01T12:00:01Z","fields":{"stream":"stdout"}}
    {"line":"three-four","timestamp":"2024-06-01T12:00:03Z","fields":{"stream":"stdout"}}
    cri={"max_partial_line_size": 10, "max_partial_line_size_truncate": true}:
    {"line":"one-two-th","timestamp":"2024-06-01T12:00:01Z","fields":{"stream":"stdout"}}
    "#);
}

#[test]
fn truncation_cuts_at_a_character_boundary_and_never_cuts_a_lone_f_line() {
    let stage = r#"cri={"max_partial_line_size": 6, "max_partial_line_size_truncate": true}"#;
    // "caf" + "é" + "é" + "é" + "tail": 6 bytes would cut the second "é" in half.
    let out = transform(
        &["-p", stage],
        "2024-06-01T12:00:01Z stdout P caféé\n2024-06-01T12:00:02Z stdout F étail\n".as_bytes(),
    );
    assert_eq!(String::from_utf8(out).unwrap(), "café\n");
    // Not UTF-8: cut at the limit.
    let out = transform(
        &["-p", stage],
        b"2024-06-01T12:00:01Z stdout P \xff\xfe\xfd\xfc\n2024-06-01T12:00:02Z stdout F \xfb\xfa\xf9\n",
    );
    assert_eq!(out, b"\xff\xfe\xfd\xfc\xfb\xfa\n");
    let out = transform(
        &["-p", stage],
        b"2024-06-01T12:00:01Z stdout F a single F line longer than the limit\n",
    );
    assert_eq!(out, b"a single F line longer than the limit\n");
}

#[test]
fn merges_are_kept_per_input() {
    let dir = tempdir("stages-cri-inputs");
    let a = dir.join("a.log");
    let b = dir.join("b.log");
    fs::write(&a, "2024-06-01T12:00:01Z stdout P from a, \n").unwrap();
    fs::write(
        &b,
        "2024-06-01T12:00:02Z stdout F from b\n2024-06-01T12:00:03Z stdout P b open\n",
    )
    .unwrap();
    let run = run(
        &[
            "-p",
            "cri",
            "-o",
            "json",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
        ],
        b"",
    );
    let out = run.ok();
    let records: Vec<Value> = out
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    // b's F line does not complete a's P line: each file is its own stream, so a's open merge
    // goes out at the end of a, from a, and b's at the end of b.
    let lines: Vec<(&Value, &Value, &Value)> = records
        .iter()
        .map(|r| (&r["line"], &r["timestamp"], &r["source"]))
        .collect();
    let (a, b) = (
        json!(a.display().to_string()),
        json!(b.display().to_string()),
    );
    assert_eq!(
        lines,
        [
            (&json!("from a, "), &json!("2024-06-01T12:00:01Z"), &a),
            (&json!("from b"), &json!("2024-06-01T12:00:02Z"), &b),
            (&json!("b open"), &json!("2024-06-01T12:00:03Z"), &b),
        ]
    );
}

/// Many files with a merge open each: each file is its own stream, so each merge goes out at
/// the end of its file (the cap of 64 open merges, per stream of one source, is unit-tested in
/// the SDK's `merge` module).
#[test]
fn each_files_open_merge_goes_out_at_its_end() {
    let dir = tempdir("stages-cri-many");
    let mut paths = Vec::new();
    for i in 1..=65 {
        let path = dir.join(format!("pod-{i:02}.log"));
        fs::write(
            &path,
            format!(
                "2024-06-01T12:00:{:02}Z stdout P message of pod {i:02}\n",
                i % 60
            ),
        )
        .unwrap();
        paths.push(path.display().to_string());
    }
    let args: Vec<&str> = ["-p", "cri", "-o", "json"]
        .into_iter()
        .chain(paths.iter().map(String::as_str))
        .collect();
    let out = String::from_utf8(transform(&args, b"")).unwrap();
    let records: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 65);
    for (i, record) in records.iter().enumerate() {
        let n = i + 1;
        assert_eq!(record["line"], format!("message of pod {n:02}"));
        assert_eq!(
            record["timestamp"],
            format!("2024-06-01T12:00:{:02}Z", n % 60)
        );
        assert_eq!(record["fields"], json!({"stream": "stdout"}));
    }
}

#[test]
fn over_long_lines_end_the_merge_of_their_stream() {
    let m = "m".repeat(200);
    let input = format!(
        "2024-06-01T12:00:00Z stdout P held before the long line, \r\n\
         2024-06-01T12:00:01Z stdout F {m} END\r\n\
         2024-06-01T12:00:02Z stdout P {m} P-END\r\n\
         2024-06-01T12:00:03Z stdout F not merged with the long P line\r\n\
         not cri {m}\r\n"
    );
    let args = [
        "--max-line-bytes",
        "64",
        "--boundary-overlap",
        "16",
        "-p",
        "cri",
    ];
    let out = transform(&args, input.as_bytes());
    assert_eq!(
        String::from_utf8(out).unwrap(),
        format!(
            "held before the long line, {m} END\r\n{m} P-END\r\nnot merged with the long P \
             line\r\nnot cri {m}\r\n"
        )
    );
    // The merged line has the stream and the timestamp of its first piece; the long line that
    // is not CRI has no field.
    let out = records(&args, input.as_bytes());
    let records: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summary: Vec<(Value, Value)> = records
        .iter()
        .map(|r| {
            (
                r.get("timestamp").cloned().unwrap_or_default(),
                r.get("fields").cloned().unwrap_or_default(),
            )
        })
        .collect();
    let stdout = json!({"stream": "stdout"});
    assert_eq!(
        summary,
        [
            (json!("2024-06-01T12:00:00Z"), stdout.clone()),
            (json!("2024-06-01T12:00:02Z"), stdout.clone()),
            (json!("2024-06-01T12:00:03Z"), stdout),
            (Value::Null, Value::Null),
        ]
    );
}

#[test]
fn over_long_lines_with_truncation_are_cut_to_what_the_limit_leaves() {
    let m = "m".repeat(200);
    let input =
        format!("2024-06-01T12:00:00Z stdout P 0123456789\n2024-06-01T12:00:01Z stdout F {m}\n");
    let out = transform(
        &[
            "--max-line-bytes",
            "64",
            "--boundary-overlap",
            "16",
            "-p",
            r#"cri={"max_partial_line_size": 100, "max_partial_line_size_truncate": true}"#,
        ],
        input.as_bytes(),
    );
    assert_eq!(
        String::from_utf8(out).unwrap(),
        format!("0123456789{}\n", &m[..90])
    );
}

/// Pods' logs are followed as they are written: a long line still being written to one file
/// must not be cut by the lines of another (here the host passes the long line's first pieces
/// on, then the other file's line, then the rest: the line comes out as two).
#[test]
fn following_pods_keeps_a_long_line_being_written_whole() {
    let dir = tempdir("stages-cri-follow");
    let a = dir.join("a.log");
    let b = dir.join("b.log");
    fs::write(&a, "").unwrap();
    fs::write(&b, "").unwrap();
    let mut child = sluice()
        .args([
            "-f",
            "--max-line-bytes",
            "64",
            "--boundary-overlap",
            "16",
            "-p",
            "cri",
            "-o",
            "json",
        ])
        .arg(&a)
        .arg(&b)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let rx = crate::util::lines_of(&mut child);
    let long = "A".repeat(200);
    let mut file_a = fs::OpenOptions::new().append(true).open(&a).unwrap();
    write!(file_a, "2024-06-01T12:00:00Z stdout F {long}").unwrap();
    file_a.flush().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    fs::write(&b, "2024-06-01T12:00:05Z stderr F from b\n").unwrap();
    std::thread::sleep(Duration::from_millis(300));
    writeln!(file_a, "END").unwrap();
    let patience = Duration::from_secs(20);
    let mut records: Vec<Value> = (0..2)
        .map(|_| serde_json::from_str(&rx.recv_timeout(patience).unwrap()).unwrap())
        .collect();
    child.kill().unwrap();
    let _ = child.wait();
    records.sort_by_key(|r| r["source"].as_str().unwrap_or("").to_owned());
    assert_eq!(
        records,
        [
            json!({
                "line": format!("{long}END"),
                "timestamp": "2024-06-01T12:00:00Z",
                "source": a.display().to_string(),
                "fields": {"stream": "stdout"}
            }),
            json!({
                "line": "from b",
                "timestamp": "2024-06-01T12:00:05Z",
                "source": b.display().to_string(),
                "fields": {"stream": "stderr"}
            }),
        ]
    );
}

#[test]
fn config_errors_name_the_stage_and_key() {
    let messages: Vec<String> = [
        r#"cri={"max_partial_lines": 0}"#,
        r#"cri={"max_partial_lines": -1}"#,
        r#"cri={"max_partial_lines": "5"}"#,
        r#"cri={"max_partial_line_size": 1.5}"#,
        r#"cri={"max_partial_line_size_truncate": true}"#,
        r#"cri={"max_partial_line_size_truncate": "yes", "max_partial_line_size": 10}"#,
        r#"cri={"max_partial_line": 3}"#,
    ]
    .iter()
    .map(|stage| config_error(stage))
    .collect();
    assert_snapshot!(messages.join("\n"), @r#"
    sluice: stage 1 (cri): config key `max_partial_lines`: must be at least 1 (1 turns merging off: each P line goes out alone)
    sluice: stage 1 (cri): config key `max_partial_lines`: expected a non-negative integer, got -1
    sluice: stage 1 (cri): config key `max_partial_lines`: expected a non-negative integer, got a string
    sluice: stage 1 (cri): config key `max_partial_line_size`: expected a non-negative integer, got 1.5
    sluice: stage 1 (cri): config key `max_partial_line_size_truncate`: needs "max_partial_line_size": the number of bytes to cut merged messages at
    sluice: stage 1 (cri): config key `max_partial_line_size_truncate`: expected true or false, got a string
    sluice: stage 1 (cri): config key `max_partial_line`: unknown key; did you mean "max_partial_lines"? known keys: max_partial_lines, max_partial_line_size, max_partial_line_size_truncate
    "#);
}
