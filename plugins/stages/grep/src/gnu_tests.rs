//! The stage's output against GNU grep's (`/usr/bin/grep`), byte for byte, on the same input:
//! for many patterns, with the input cut into batches of every size from 1 line to all of them.
//!
//! GNU grep runs with `LC_ALL=C -a -E`, so that it matches bytes (as the stage does for
//! bytes that are not UTF-8) and treats NUL as text; the patterns mean the same in POSIX ERE
//! and in Rust's `regex`.

use crate::Grep;
use serde_json::{Value, json};
use sluice_plugin_sdk::Terminator;
use sluice_plugin_sdk::testing::{Harness, Input};
use std::io::Write;
use std::process::{Command, Stdio};

const GREP: &str = "/usr/bin/grep";

/// A day of a web service's log: nginx access lines, app lines, a Java trace, JSON lines,
/// empty lines, a NUL, bytes that are not UTF-8 and a lone `\r`.
const CORPUS: &[&[u8]] = &[
    b"2024-10-10 13:55:36 INFO  order-service starting on :8080",
    b"2024-10-10 13:55:36 INFO  connected to db primary",
    b"203.0.113.7 - - [10/Oct/2024:13:55:37 +0000] \"GET /api/v1/users?id=42 HTTP/1.1\" 200 2326",
    b"203.0.113.9 - - [10/Oct/2024:13:55:37 +0000] \"GET /healthz HTTP/1.1\" 200 2",
    b"2024-10-10 13:55:38 WARN  slow query took 2300ms",
    b"",
    b"2024-10-10 13:55:39 ERROR request failed: upstream timeout",
    b"java.lang.IllegalStateException: connection refused",
    b"\tat com.example.OrderService.place(OrderService.java:42)",
    b"\tat com.example.Main.main(Main.java:12)",
    b"2024-10-10 13:55:40 INFO  retrying",
    b"{\"ts\":\"2024-10-10T13:55:41Z\",\"level\":\"info\",\"msg\":\"ok\"}",
    b"{\"ts\":\"2024-10-10T13:55:41Z\",\"level\":\"error\",\"msg\":\"ERROR in payment\"}",
    b"203.0.113.7 - - [10/Oct/2024:13:55:42 +0000] \"POST /api/v1/orders HTTP/1.1\" 500 17",
    b"",
    b"",
    b"2024-10-10 13:55:43 INFO  binary payload \x00\x01 follows",
    b"2024-10-10 13:55:43 INFO  caf\xe9 au lait \xff\xfe",
    b"2024-10-10 13:55:44 INFO  carriage\rreturn",
    b"2024-10-10 13:55:45 ERROR db: connection refused",
    b"2024-10-10 13:55:45 ERROR db: connection refused",
    b"2024-10-10 13:55:46 INFO  pool refilled",
    b"203.0.113.9 - - [10/Oct/2024:13:55:47 +0000] \"GET /healthz HTTP/1.1\" 200 2",
    b"203.0.113.9 - - [10/Oct/2024:13:55:48 +0000] \"GET /healthz HTTP/1.1\" 200 2",
    b"203.0.113.9 - - [10/Oct/2024:13:55:49 +0000] \"GET /healthz HTTP/1.1\" 200 2",
    b"2024-10-10 13:55:50 WARN  cache miss ratio 0.4",
    b"2024-10-10 13:55:51 INFO  flushed 120 events",
    b"2024-10-10 13:55:52 INFO  flushed 80 events",
    b"2024-10-10 13:55:53 INFO  flushed 95 events",
    b"2024-10-10 13:55:54 INFO  flushed 101 events",
    b"2024-10-10 13:55:55 ERROR request failed: upstream timeout",
    b"203.0.113.7 - - [10/Oct/2024:13:55:56 +0000] \"GET /api/v1/users?id=43 HTTP/1.1\" 200 2301",
    b"2024-10-10 13:55:57 INFO  shutting down",
    b"",
    b"2024-10-10 13:55:58 WARN  forced exit after 5s timeout",
];

/// Patterns with the same meaning in POSIX ERE and Rust's `regex`.
const PATTERNS: &[&str] = &[
    "ERROR",
    "timeout|refused",
    "^$",
    "WARN",
    "GET /api/v1/users",
    "healthz",
    "^2024-10-10 13:55:36",
    "timeout$",
    "^[[:space:]]",
    "payload|caf",
    "no such thing",
    "",
];

/// The corpus as a file: each line ended in `\n`.
fn corpus_input() -> Vec<u8> {
    let mut input = Vec::new();
    for line in CORPUS {
        input.extend_from_slice(line);
        input.push(b'\n');
    }
    input
}

/// GNU grep's output for `args` and `pattern` on the corpus.
fn gnu(args: &[&str], pattern: &str) -> Vec<u8> {
    gnu_on(args, pattern, &corpus_input())
}

/// GNU grep's output for `args` and `pattern` on `input`.
fn gnu_on(args: &[&str], pattern: &str, input: &[u8]) -> Vec<u8> {
    let mut child = Command::new(GREP)
        .env("LC_ALL", "C")
        .args(["-a", "-E"])
        .args(args)
        .args(["-e", pattern])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("these tests compare with GNU grep at {GREP}: {e}"));
    // With -m, grep may exit before reading it all: a broken pipe is fine. The corpus fits in
    // a pipe's buffer, so this cannot block.
    let _ = child.stdin.take().unwrap().write_all(input);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "grep {args:?} -e {pattern:?} failed"
    );
    out.stdout
}

/// The stage's output, lines ended with `\n`, for `config` plus `expression: pattern`, with
/// the corpus in batches of `size` lines.
fn ours(config: &Value, pattern: &str, size: usize) -> Vec<u8> {
    let mut config = config.clone();
    config["expression"] = json!(pattern);
    let mut stage = Harness::<Grep>::new(&config.to_string()).unwrap();
    let mut out = Vec::new();
    for chunk in CORPUS.chunks(size) {
        for line in stage.process(chunk.iter().map(Input::new)).unwrap() {
            out.extend_from_slice(&line.bytes);
            out.push(b'\n');
        }
    }
    assert!(stage.finish().unwrap().is_empty());
    out
}

/// Compares for every pattern and batch size.
fn compare(args: &[&str], config: Value) {
    let checker = Command::new(GREP).arg("--version").output();
    let version = checker.map(|o| o.stdout).unwrap_or_default();
    assert!(
        version.starts_with(b"grep (GNU grep)"),
        "these tests compare with GNU grep, expected at {GREP}"
    );
    for pattern in PATTERNS {
        let expected = gnu(args, pattern);
        for size in 1..=CORPUS.len() {
            let got = ours(&config, pattern, size);
            assert!(
                got == expected,
                "grep {args:?} -e {pattern:?}, batches of {size} lines:\n--- GNU grep\n{}--- stage\n{}",
                String::from_utf8_lossy(&expected),
                String::from_utf8_lossy(&got)
            );
        }
    }
}

#[test]
fn gnu_context_2() {
    compare(&["-C", "2"], json!({"context": 2}));
}

#[test]
fn gnu_context_1_and_5() {
    compare(&["-C", "1"], json!({"context": 1}));
    compare(&["-C", "5"], json!({"context": 5}));
}

#[test]
fn gnu_after_only() {
    compare(&["-A", "1"], json!({"after": 1}));
    compare(&["-A", "3"], json!({"after": 3}));
}

#[test]
fn gnu_before_only() {
    compare(&["-B", "1"], json!({"before": 1}));
    compare(&["-B", "4"], json!({"before": 4}));
}

#[test]
fn gnu_before_and_after_differ_and_override_context() {
    compare(&["-B", "3", "-A", "1"], json!({"before": 3, "after": 1}));
    compare(&["-C", "1", "-A", "3"], json!({"context": 1, "after": 3}));
    compare(&["-C", "4", "-B", "0"], json!({"context": 4, "before": 0}));
}

#[test]
fn gnu_invert() {
    compare(&["-v"], json!({"invert": true}));
    compare(&["-v", "-C", "1"], json!({"invert": true, "context": 1}));
    compare(
        &["-v", "-m", "3", "-A", "2"],
        json!({"invert": true, "max_count": 3, "after": 2}),
    );
}

#[test]
fn gnu_max_count_prints_the_trailing_context() {
    compare(&["-m", "1", "-A", "2"], json!({"max_count": 1, "after": 2}));
    compare(
        &["-m", "2", "-C", "1"],
        json!({"max_count": 2, "context": 1}),
    );
    compare(
        &["-m", "3", "-B", "2"],
        json!({"max_count": 3, "before": 2}),
    );
    compare(&["-m", "2"], json!({"max_count": 2}));
}

#[test]
fn gnu_max_count_zero_prints_nothing() {
    compare(
        &["-m", "0", "-C", "1"],
        json!({"max_count": 0, "context": 1}),
    );
}

#[test]
fn gnu_context_0_still_separates_groups() {
    compare(&["-C", "0"], json!({"context": 0}));
    compare(&["-A", "0"], json!({"after": 0}));
}

#[test]
fn gnu_no_context_no_separator() {
    compare(&[], json!({}));
    compare(&["--group-separator=XX"], json!({"separator": "XX"}));
}

#[test]
fn gnu_group_separators() {
    compare(
        &["-C", "1", "--group-separator=== cut =="],
        json!({"context": 1, "separator": "== cut =="}),
    );
    compare(
        &["-C", "1", "--no-group-separator"],
        json!({"context": 1, "separator": null}),
    );
    compare(
        &["-B", "2", "--no-group-separator"],
        json!({"before": 2, "separator": ""}),
    );
}

/// The corpus with the terminators a log gathered from several machines has: `\r\n` on every
/// third line, `\n` on the others, and none after the last.
fn mixed_terminators() -> Vec<(&'static [u8], Terminator)> {
    CORPUS
        .iter()
        .enumerate()
        .map(|(i, &line)| {
            let terminator = if i + 1 == CORPUS.len() {
                Terminator::None
            } else if i % 3 == 2 {
                Terminator::CrLf
            } else {
                Terminator::Lf
            };
            (line, terminator)
        })
        .collect()
}

/// Patterns that mean the same whether or not a line's `\r` is part of it: GNU grep sees the
/// `\r` of a CRLF line (so `timeout$` would not match there), the stage does not (the host
/// keeps it apart, with the `\n`).
const TERMINATOR_BLIND_PATTERNS: &[&str] = &[
    "ERROR",
    "timeout|refused",
    "healthz",
    "^2024-10-10 13:55:36",
    "payload|caf",
    "forced exit",
    "no such thing",
    "",
];

/// Every printed line, context held across batches included, ends as it did in the input,
/// as GNU grep writes it: byte for byte, except that GNU grep adds a `\n` to a last line
/// that has none, where sluice writes what the input had.
#[test]
fn gnu_context_with_crlf_lf_and_no_final_newline() {
    let lines = mixed_terminators();
    let mut input = Vec::new();
    for (line, terminator) in &lines {
        input.extend_from_slice(line);
        input.extend_from_slice(terminator.bytes());
    }
    for (args, config) in [
        (&["-C", "2"][..], json!({"context": 2})),
        (&["-B", "3"][..], json!({"before": 3})),
        (&["-A", "1", "-v"][..], json!({"after": 1, "invert": true})),
    ] {
        for pattern in TERMINATOR_BLIND_PATTERNS {
            let expected = gnu_on(args, pattern, &input);
            for size in [1, 2, 5, CORPUS.len()] {
                let mut config = config.clone();
                config["expression"] = json!(pattern);
                let mut stage = Harness::<Grep>::new(&config.to_string()).unwrap();
                let mut got = Vec::new();
                for chunk in lines.chunks(size) {
                    let inputs = chunk.iter().map(|&(l, t)| Input::new(l).terminator(t));
                    for line in stage.process(inputs).unwrap() {
                        got.extend_from_slice(&line.written());
                    }
                }
                if !got.is_empty() && !got.ends_with(b"\n") {
                    assert!(
                        got.ends_with(CORPUS[CORPUS.len() - 1]),
                        "only the last line"
                    );
                    got.push(b'\n');
                }
                assert!(
                    got == expected,
                    "grep {args:?} -e {pattern:?}, batches of {size}:\n--- GNU grep\n{:?}\n--- stage\n{:?}",
                    String::from_utf8_lossy(&expected),
                    String::from_utf8_lossy(&got)
                );
            }
        }
    }
}
