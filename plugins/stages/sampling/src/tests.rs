//! Tests of the whole stage, run natively with the SDK's harness.

use super::*;
use sluice_plugin_sdk::testing::{Harness, Input, config_error, describe};

/// `n` distinct nginx access lines.
fn access_log(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            format!(
                r#"203.0.113.{} - - [10/Oct/2024:13:55:{:02} +0000] "GET /api/v1/orders/{i} HTTP/1.1" 200 {} "-" "curl/8.5.0""#,
                i % 250,
                i % 60,
                100 + i % 900
            )
        })
        .collect()
}

fn kept(config: &str, lines: &[String]) -> Vec<String> {
    let mut stage = Harness::<Sampling>::new(config).unwrap();
    stage
        .process(lines.iter().map(String::as_str))
        .unwrap()
        .iter()
        .map(|l| l.text())
        .collect()
}

#[test]
fn describes_itself() {
    let info = describe::<Sampling>();
    assert_eq!(info.name, "sampling");
    assert!(!info.boundary_safe);
    let keys: Vec<_> = info.config_keys.iter().map(|k| k.name.as_str()).collect();
    assert_eq!(keys, ["rate", "seed", "by", "source"]);
}

#[test]
fn rate_zero_drops_everything_and_one_keeps_everything() {
    let lines = access_log(500);
    assert!(kept(r#"{"rate": 0}"#, &lines).is_empty());
    assert!(kept(r#"{"rate": 0.0, "by": "line"}"#, &lines).is_empty());
    assert_eq!(kept(r#"{"rate": 1}"#, &lines), lines);
    assert_eq!(kept(r#"{"rate": 1.0, "by": "line"}"#, &lines), lines);
}

#[test]
fn keeps_about_the_rate_and_kept_lines_are_passed_through() {
    let lines = access_log(20_000);
    for (rate, by) in [(0.1, "position"), (0.25, "line"), (0.5, "position")] {
        let config = format!(r#"{{"rate": {rate}, "by": "{by}"}}"#);
        let mut stage = Harness::<Sampling>::new(&config).unwrap();
        let out = stage
            .process(lines.iter().map(|l| Input::new(l).field("host", "web-1")))
            .unwrap();
        let share = out.len() as f64 / lines.len() as f64;
        assert!((share - rate).abs() < 0.015, "{by} at {rate}: kept {share}");
        assert!(out.iter().all(|l| !l.rewritten));
        assert!(out.iter().all(|l| l.field_str("host") == Some("web-1")));
        // Kept lines stay in order.
        let sources: Vec<_> = out.iter().map(|l| l.source.unwrap()).collect();
        assert!(sources.windows(2).all(|w| w[0] < w[1]));
    }
}

#[test]
fn same_seed_same_lines_other_seed_other_lines() {
    let lines = access_log(2_000);
    let a = kept(r#"{"rate": 0.3, "seed": 7}"#, &lines);
    let b = kept(r#"{"rate": 0.3, "seed": 7}"#, &lines);
    let c = kept(r#"{"rate": 0.3, "seed": 8}"#, &lines);
    assert_eq!(a, b);
    assert_ne!(a, c);
    // By position, the decision does not depend on how the input is cut into batches.
    let mut stage = Harness::<Sampling>::new(r#"{"rate": 0.3, "seed": 7}"#).unwrap();
    let mut batched = Vec::new();
    for chunk in lines.chunks(77) {
        let out = stage.process(chunk.iter().map(String::as_str)).unwrap();
        batched.extend(out.iter().map(|l| l.text()));
    }
    assert_eq!(batched, a);
}

#[test]
fn by_line_gives_equal_lines_the_same_fate_anywhere() {
    let lines = access_log(300);
    let config = r#"{"rate": 0.5, "by": "line", "seed": 42}"#;
    let forward = kept(config, &lines);
    let mut reversed: Vec<String> = lines.iter().rev().cloned().collect();
    let mut backward = kept(config, &reversed);
    backward.reverse();
    assert_eq!(forward, backward, "the order of the input does not matter");
    // A line repeated is kept every time or never.
    reversed.truncate(10);
    let repeated: Vec<String> = reversed
        .iter()
        .flat_map(|l| [l.clone(), l.clone()])
        .collect();
    let out = kept(config, &repeated);
    assert_eq!(out.len() % 2, 0);
    for pair in out.chunks(2) {
        assert_eq!(pair[0], pair[1]);
    }
}

#[test]
fn by_field_keeps_or_drops_whole_traces_and_keeps_lines_without_it() {
    let mut stage =
        Harness::<Sampling>::new(r#"{"rate": 0.5, "by": "field", "source": "trace_id"}"#).unwrap();
    let mut inputs = Vec::new();
    for trace in 0..200 {
        for step in ["start", "db query", "end"] {
            inputs.push(
                Input::new(format!(
                    r#"{{"level":"INFO","msg":"{step}","trace_id":"{trace:032x}"}}"#
                ))
                .field("trace_id", format!("{trace:032x}")),
            );
        }
    }
    inputs.push(Input::new("service starting, no trace"));
    let out = stage.process(inputs).unwrap();
    let mut per_trace = std::collections::BTreeMap::<&str, usize>::new();
    for line in &out[..out.len() - 1] {
        *per_trace
            .entry(line.field_str("trace_id").unwrap())
            .or_default() += 1;
    }
    assert!(per_trace.values().all(|&n| n == 3), "traces are kept whole");
    assert!((60..140).contains(&per_trace.len()), "{}", per_trace.len());
    assert_eq!(out.last().unwrap().text(), "service starting, no trace");
    // `source` alone means `by: field`.
    let mut implicit = Harness::<Sampling>::new(r#"{"rate": 0.5, "source": "trace_id"}"#).unwrap();
    let again = implicit
        .process((0..200).map(|t| Input::new("x").field("trace_id", format!("{t:032x}"))))
        .unwrap();
    assert_eq!(again.len(), per_trace.len());
}

#[test]
fn odd_bytes_and_empty_lines_are_sampled_like_any_other() {
    let lines: Vec<Input> = vec![
        Input::new(b"\xff\xfe not utf-8"),
        Input::new(b"nul\0inside"),
        Input::new(""),
        Input::new("lone\rcarriage return"),
    ];
    let mut all = Harness::<Sampling>::new(r#"{"rate": 1, "by": "line"}"#).unwrap();
    let out = all.process(lines.clone()).unwrap();
    assert_eq!(out.len(), 4);
    assert_eq!(out[0].bytes, b"\xff\xfe not utf-8");
    assert_eq!(out[1].bytes, b"nul\0inside");
    // By line, the decision follows the bytes: each of these lines, repeated, shares its fate.
    let mut stage = Harness::<Sampling>::new(r#"{"rate": 0.5, "by": "line", "seed": 3}"#).unwrap();
    let first = stage.process(lines.clone()).unwrap();
    let second = stage.process(lines).unwrap();
    let texts = |v: &[sluice_plugin_sdk::testing::Emitted]| -> Vec<Vec<u8>> {
        v.iter().map(|l| l.bytes.clone()).collect()
    };
    assert_eq!(texts(&first), texts(&second));
}

#[test]
fn pieces_of_an_over_long_line_share_the_first_piece_s_fate() {
    // Seeds whose first draw keeps and seeds whose first draw drops: every piece follows.
    let (mut kept_lines, mut dropped_lines) = (0, 0);
    for seed in 0..20 {
        let config = format!(r#"{{"rate": 0.5, "seed": {seed}}}"#);
        let mut probe = Harness::<Sampling>::new(&config).unwrap();
        let first_kept = probe.process(["x"]).unwrap().len() == 1;
        let mut stage = Harness::<Sampling>::new(&config).unwrap();
        let out = stage
            .process([
                Input::new("{\"msg\":\"aaaa").partial(),
                Input::new("bbbb").partial(),
                Input::new("cccc\"}").field("k", "v"),
            ])
            .unwrap();
        if first_kept {
            let texts: Vec<_> = out.iter().map(|l| l.text()).collect();
            assert_eq!(texts, ["{\"msg\":\"aaaa", "bbbb", "cccc\"}"]);
            assert_eq!(out[2].field_str("k"), Some("v"));
            kept_lines += 1;
        } else {
            assert!(out.is_empty(), "seed {seed}");
            dropped_lines += 1;
        }
        // One draw was used for the whole line: the next line gets the second draw.
        let mut reference = Harness::<Sampling>::new(&config).unwrap();
        let expected = reference
            .process(["a", "b"])
            .unwrap()
            .iter()
            .any(|l| l.text() == "b");
        let next = stage.process(["b"]).unwrap().len() == 1;
        assert_eq!(next, expected, "seed {seed}");
    }
    assert!(kept_lines > 0 && dropped_lines > 0);
}

#[test]
fn by_field_judges_an_over_long_line_by_its_first_piece() {
    let mut stage = Harness::<Sampling>::new(r#"{"rate": 0, "source": "trace_id"}"#).unwrap();
    // The first piece has no fields (they belong to the last piece): the line is kept whole.
    let out = stage
        .process([
            Input::new("first").partial(),
            Input::new("last").field("trace_id", "abc"),
            Input::new("short").field("trace_id", "abc"),
        ])
        .unwrap();
    let texts: Vec<_> = out.iter().map(|l| l.text()).collect();
    assert_eq!(texts, ["first", "last"]);
}

#[test]
fn config_errors_name_the_key() {
    let e = config_error::<Sampling>("{}");
    assert_eq!(e.key.as_deref(), Some("rate"));
    assert!(e.message.contains("required"));
    for bad in ["1.5", "-0.1"] {
        let e = config_error::<Sampling>(&format!(r#"{{"rate": {bad}}}"#));
        assert_eq!(e.key.as_deref(), Some("rate"));
        assert!(
            e.message.starts_with("must be from 0 to 1"),
            "{}",
            e.message
        );
    }
    let e = config_error::<Sampling>(r#"{"rate": "10%"}"#);
    assert_eq!(e.key.as_deref(), Some("rate"));
    assert_eq!(e.message, "expected a number, got a string");
    let e = config_error::<Sampling>(r#"{"rate": 0.1, "seed": -1}"#);
    assert_eq!(e.key.as_deref(), Some("seed"));
    let e = config_error::<Sampling>(r#"{"rate": 0.1, "by": "random"}"#);
    assert_eq!(e.key.as_deref(), Some("by"));
    assert!(e.message.contains("position, line, field"));
    let e = config_error::<Sampling>(r#"{"rate": 0.1, "by": "field"}"#);
    assert_eq!(e.key.as_deref(), Some("source"));
    let e = config_error::<Sampling>(r#"{"rate": 0.1, "by": "line", "source": "trace_id"}"#);
    assert_eq!(e.key.as_deref(), Some("source"));
    assert!(e.message.contains("set \"by\" to \"field\""));
    let e = config_error::<Sampling>(r#"{"rate": 0.1, "ratio": 2}"#);
    assert_eq!(e.key.as_deref(), Some("ratio"));
}
