//! A typical Promtail pipeline for a Kubernetes container, reproduced as a sluice pipeline file
//! (`tests/fixtures/pipelines/promtail_k8s.toml`: cri → json → timestamp → drop debug →
//! multiline → pack) and run on a realistic container log (`tests/fixtures/k8s_cri.log`): CRI
//! partial lines merged, JSON fields extracted, timestamps from the application, debug lines
//! dropped, a stack trace joined to the error line before it, each entry packed as JSON.

use crate::util::{fixture, run_cmd, sluice};

#[test]
fn promtail_kubernetes_pipeline() {
    let run = run_cmd(
        sluice()
            .args(["-c", "tests/fixtures/pipelines/promtail_k8s.toml"])
            .arg(fixture("k8s_cri.log")),
        b"",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("promtail_k8s_raw", run.text());
    // The json stage counts the lines that were not JSON (the stack trace, an empty message).
    insta::assert_snapshot!(run.stderr, @"stage 2 (json): 5 of 13 lines were not valid JSON and passed unchanged");
}

#[test]
fn promtail_kubernetes_pipeline_as_json_records() {
    let run = run_cmd(
        sluice()
            .args([
                "-c",
                "tests/fixtures/pipelines/promtail_k8s.toml",
                "-o",
                "json",
            ])
            .arg(fixture("k8s_cri.log")),
        b"",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Timestamps come from the application's `time`, not from the CRI prefix; every entry
    // keeps the stream it was written to.
    let records: Vec<serde_json::Value> = run
        .text()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let summary: Vec<String> = records
        .iter()
        .map(|r| {
            format!(
                "{} {} {}",
                r["timestamp"].as_str().unwrap(),
                r["fields"]["stream"].as_str().unwrap(),
                r["fields"]["level"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    insta::assert_snapshot!(summary.join("\n"), @r"
    2024-06-01T12:00:00.123Z stdout info
    2024-06-01T12:00:02.002Z stdout info
    2024-06-01T12:00:02.001Z stderr warn
    2024-06-01T12:00:03.01Z stdout error
    2024-06-01T12:00:05.25Z stdout info
    2024-06-01T12:00:07Z stdout warn
    ");
}
