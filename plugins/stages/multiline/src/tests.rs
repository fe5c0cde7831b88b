use super::*;
use sluice_plugin_sdk::Kind;
use sluice_plugin_sdk::testing::{Emitted, Harness, Input, config_error, describe};

const DATE: &str = r#"{"firstline": "^\\d{4}-\\d{2}-\\d{2} "}"#;

fn stage(config: &str) -> Harness<Multiline> {
    Harness::new(config).unwrap()
}

fn texts(lines: &[Emitted]) -> Vec<String> {
    lines.iter().map(Emitted::text).collect()
}

/// A Java service's log: single-line events, a stack trace, a caused-by chain.
fn java_log() -> Vec<Input> {
    [
        ("2024-10-10 13:55:36 INFO  starting order-service", 1),
        ("2024-10-10 13:55:37 ERROR request failed", 2),
        ("java.lang.IllegalStateException: boom", 3),
        (
            "\tat com.example.OrderService.place(OrderService.java:42)",
            4,
        ),
        ("\tat com.example.Main.main(Main.java:12)", 5),
        ("Caused by: java.io.IOException: connection reset", 6),
        ("\t... 2 more", 7),
        ("2024-10-10 13:55:38 INFO  retrying", 8),
        ("2024-10-10 13:55:39 WARN  slow response", 9),
        ("", 10),
        ("  took 2300ms", 11),
    ]
    .into_iter()
    .map(|(text, n)| {
        Input::new(text)
            .field("pod", format!("order-{n}"))
            .timestamp(n)
    })
    .collect()
}

/// The blocks `java_log` becomes, with the head's `pod` and timestamp.
fn java_blocks() -> Vec<(String, String, i64)> {
    vec![
        (
            "2024-10-10 13:55:36 INFO  starting order-service".into(),
            "order-1".into(),
            1,
        ),
        (
            "2024-10-10 13:55:37 ERROR request failed\njava.lang.IllegalStateException: boom\n\
             \tat com.example.OrderService.place(OrderService.java:42)\n\
             \tat com.example.Main.main(Main.java:12)\n\
             Caused by: java.io.IOException: connection reset\n\t... 2 more"
                .into(),
            "order-2".into(),
            2,
        ),
        (
            "2024-10-10 13:55:38 INFO  retrying".into(),
            "order-8".into(),
            8,
        ),
        (
            "2024-10-10 13:55:39 WARN  slow response\n\n  took 2300ms".into(),
            "order-9".into(),
            9,
        ),
    ]
}

/// Runs `inputs` through a stage in batches of `size` lines, then finishes it.
fn run_in_batches(config: &str, inputs: &[Input], size: usize) -> Vec<Emitted> {
    let mut s = stage(config);
    let mut out = Vec::new();
    for chunk in inputs.chunks(size) {
        out.extend(s.process(chunk).unwrap());
    }
    out.extend(s.finish().unwrap());
    out
}

fn summary(lines: &[Emitted]) -> Vec<(String, String, i64)> {
    lines
        .iter()
        .map(|l| {
            (
                l.text(),
                l.field_str("pod").unwrap_or("-").to_owned(),
                l.timestamp.unwrap_or(-1),
            )
        })
        .collect()
}

#[test]
fn joins_a_stack_trace_and_keeps_the_heads_fields_and_timestamp() {
    let mut s = stage(DATE);
    let out = s.process(java_log()).unwrap();
    // The last block is still open: it waits for more lines.
    assert_eq!(summary(&out), java_blocks()[..3]);
    // A one-line event passes through untouched; a joined block goes out at its last line
    // (taking that line's terminator), with its head's fields and timestamp.
    assert!(!out[0].rewritten);
    assert_eq!(
        (out[1].source, out[1].rewritten, out[1].detached),
        (Some(6), true, true)
    );
    assert_eq!(out[2].source, Some(7));
    assert_eq!(s.wake(), Some(Wake::after(Duration::from_secs(3))));
    let trailing = s.finish().unwrap();
    assert_eq!(summary(&trailing), java_blocks()[3..]);
}

#[test]
fn every_batch_boundary_gives_the_same_blocks() {
    let inputs = java_log();
    for size in 1..=inputs.len() {
        let out = run_in_batches(DATE, &inputs, size);
        assert_eq!(summary(&out), java_blocks(), "batches of {size}");
    }
}

#[test]
fn a_block_from_an_earlier_batch_goes_out_detached_at_its_last_line() {
    let mut s = stage(DATE);
    let inputs = java_log();
    assert!(s.process(&inputs[1..4]).unwrap().is_empty());
    let out = s.process(&inputs[4..8]).unwrap();
    assert_eq!(out.len(), 1, "line 8 opens the next block");
    assert_eq!(out[0].source, Some(2), "at its last line");
    assert!(out[0].detached);
    assert_eq!(out[0].field_str("pod"), Some("order-2"));
    assert_eq!(out[0].timestamp, Some(2));
    assert_eq!(out[0].text(), java_blocks()[1].0);
}

#[test]
fn lines_before_the_first_match_pass_through() {
    let mut s = stage(DATE);
    let out = s
        .process([
            Input::new("Picked up JAVA_TOOL_OPTIONS: -Xmx512m").field("pod", "p"),
            Input::new("  continued"),
            Input::new("2024-10-10 13:55:36 INFO  up"),
            Input::new("  detail"),
        ])
        .unwrap();
    assert_eq!(
        texts(&out),
        ["Picked up JAVA_TOOL_OPTIONS: -Xmx512m", "  continued"]
    );
    assert!(out.iter().all(|l| !l.rewritten));
    assert_eq!(out[0].field_str("pod"), Some("p"));
    assert_eq!(
        texts(&s.finish().unwrap()),
        ["2024-10-10 13:55:36 INFO  up\n  detail"]
    );
}

#[test]
fn max_lines_splits_a_block_and_the_rest_keeps_the_heads_fields() {
    let config = r#"{"firstline": "^START", "max_lines": 3}"#;
    let inputs: Vec<Input> = ["START a", "1", "2", "3", "4", "5", "6", "START b", "7"]
        .iter()
        .enumerate()
        .map(|(n, t)| {
            Input::new(t)
                .field("pod", format!("order-{n}"))
                .timestamp(n as i64)
        })
        .collect();
    for size in 1..=inputs.len() {
        let out = run_in_batches(config, &inputs, size);
        assert_eq!(
            summary(&out),
            [
                ("START a\n1\n2".to_string(), "order-0".to_string(), 0),
                ("3\n4\n5".into(), "order-0".into(), 0),
                ("6".into(), "order-0".into(), 0),
                ("START b\n7".into(), "order-7".into(), 7),
            ],
            "batches of {size}"
        );
    }
    // max_lines 1: every line is its own block.
    let out = run_in_batches(r#"{"firstline": "^S", "max_lines": 1}"#, &inputs[..3], 2);
    assert_eq!(texts(&out), ["START a", "1", "2"]);
}

#[test]
fn max_bytes_sends_a_block_out_before_the_line_that_would_pass_it() {
    let config = r#"{"firstline": "^S", "max_bytes": 10}"#;
    let inputs = ["S 1234", "abc", "d", "0123456789abc", "e", "S x"];
    for size in 1..=inputs.len() {
        let batches: Vec<Input> = inputs.iter().map(Input::new).collect();
        let out = run_in_batches(config, &batches, size);
        // "S 1234\nabc" is 10 bytes; "\nd" would pass 10. A line longer than max_bytes alone
        // is a block of its own.
        assert_eq!(
            texts(&out),
            ["S 1234\nabc", "d", "0123456789abc", "e", "S x"],
            "batches of {size}"
        );
    }
}

#[test]
fn an_open_block_goes_out_on_tick_and_later_lines_start_a_new_block_of_the_event() {
    let config = r#"{"firstline": "^\\S", "max_wait": "250ms"}"#;
    let mut s = stage(config);
    assert_eq!(s.wake(), None);
    let out = s
        .process([
            Input::new("Traceback (most recent call last):")
                .field("app", "api")
                .timestamp(5),
            Input::new("  File \"/app/main.py\", line 45, in handle"),
        ])
        .unwrap();
    assert!(out.is_empty());
    assert_eq!(s.wake(), Some(Wake::after(Duration::from_millis(250))));
    let ticked = s.tick().unwrap();
    assert_eq!(
        texts(&ticked),
        ["Traceback (most recent call last):\n  File \"/app/main.py\", line 45, in handle"]
    );
    assert_eq!(ticked[0].field_str("app"), Some("api"));
    assert_eq!(ticked[0].timestamp, Some(5));
    assert_eq!(s.wake(), None, "nothing is open any more");
    assert!(s.tick().unwrap().is_empty());
    // The application wakes up and writes the rest of the traceback.
    let out = s
        .process(["    raise KeyError(key)", "KeyError: 'user'"])
        .unwrap();
    assert_eq!(texts(&out), ["    raise KeyError(key)"]);
    assert!(out[0].detached);
    assert_eq!(out[0].field_str("app"), Some("api"));
    assert_eq!(out[0].timestamp, Some(5));
    assert_eq!(s.wake().map(|w| w.hold), Some(false));
    assert_eq!(texts(&s.finish().unwrap()), ["KeyError: 'user'"]);
}

#[test]
fn pieces_of_an_over_long_line_pass_through_and_end_the_event() {
    let mut s = stage(DATE);
    let out = s
        .process([
            Input::new("2024-10-10 13:55:36 ERROR dump follows").field("pod", "a"),
            Input::new("  detail"),
            Input::new("{\"payload\":\"AAAA").partial(),
            Input::new("BBBB").partial(),
        ])
        .unwrap();
    assert_eq!(
        texts(&out),
        [
            "2024-10-10 13:55:36 ERROR dump follows\n  detail",
            "{\"payload\":\"AAAA",
            "BBBB"
        ]
    );
    assert!(!out[1].rewritten && !out[2].rewritten);
    assert_eq!(s.wake(), None);
    let out = s
        .process([
            Input::new("CCCC\"}").field("len", "70000"),
            Input::new("  not part of any block"),
            Input::new("2024-10-10 13:55:37 INFO  ok"),
        ])
        .unwrap();
    assert_eq!(texts(&out), ["CCCC\"}", "  not part of any block"]);
    assert_eq!(out[0].field_str("len"), Some("70000"));
    assert!(out.iter().all(|l| !l.rewritten));
    assert_eq!(
        texts(&s.finish().unwrap()),
        ["2024-10-10 13:55:37 INFO  ok"]
    );
}

#[test]
fn a_block_carried_from_an_earlier_batch_goes_out_before_the_first_piece() {
    let mut s = stage(DATE);
    s.process([
        Input::new("2024-10-10 13:55:36 ERROR x").timestamp(3),
        Input::new("  y"),
    ])
    .unwrap();
    let out = s
        .process([Input::new("piece").partial(), Input::new("end")])
        .unwrap();
    assert_eq!(
        texts(&out),
        ["2024-10-10 13:55:36 ERROR x\n  y", "piece", "end"]
    );
    assert_eq!((out[0].source, out[0].detached), (Some(0), true));
    assert_eq!(out[0].timestamp, Some(3));
}

#[test]
fn bytes_that_are_not_utf8_nul_empty_lines_and_lone_cr_are_kept() {
    let mut s = stage(r#"{"firstline": "^(?-u:\\xff)?\\["}"#);
    let out = s
        .process([
            Input::new(b"[1] caf\xe9 \x00 end\r"),
            Input::new(""),
            Input::new(b"\x80\x81"),
            Input::new(b"\xff[2] next"),
            Input::new(b"\r"),
        ])
        .unwrap();
    assert_eq!(out[0].bytes, b"[1] caf\xe9 \x00 end\r\n\n\x80\x81");
    let trailing = s.finish().unwrap();
    assert_eq!(trailing[0].bytes, b"\xff[2] next\n\r");
}

#[test]
fn custom_and_empty_separators() {
    let out = testing_run(
        r#"{"firstline": "^E", "separator": " | "}"#,
        &["E a", "b", "E c"],
    );
    assert_eq!(out, ["E a | b", "E c"]);
    let out = testing_run(r#"{"firstline": "^E", "separator": ""}"#, &["E a", "b", ""]);
    assert_eq!(out, ["E ab"]);
    let out = testing_run(r#"{"firstline": "^E", "separator": "\r\n"}"#, &["E a", "b"]);
    assert_eq!(out, ["E a\r\nb"]);
}

fn testing_run(config: &str, lines: &[&str]) -> Vec<String> {
    sluice_plugin_sdk::testing::run::<Multiline>(config, lines)
}

#[test]
fn config_errors_name_the_key() {
    let e = config_error::<Multiline>("{}");
    assert_eq!(e.key.as_deref(), Some("firstline"));
    assert_eq!(e.message, "is required (a string)");
    let e = config_error::<Multiline>(r#"{"firstline": "(unclosed"}"#);
    assert_eq!(e.key.as_deref(), Some("firstline"));
    assert!(e.message.starts_with("not a valid regex"), "{}", e.message);
    assert!(!e.message.contains('\n'));
    let e = config_error::<Multiline>(r#"{"firstline": "^S", "max_lines": 0}"#);
    assert_eq!(
        (e.key.as_deref(), &*e.message),
        (Some("max_lines"), "must be at least 1")
    );
    let e = config_error::<Multiline>(r#"{"firstline": "^S", "max_bytes": -5}"#);
    assert_eq!(e.key.as_deref(), Some("max_bytes"));
    let e = config_error::<Multiline>(r#"{"firstline": "^S", "max_wait": "0s"}"#);
    assert_eq!(e.key.as_deref(), Some("max_wait"));
    assert!(e.message.contains("longer than 0"));
    let e = config_error::<Multiline>(r#"{"firstline": "^S", "max_wait": "3 parsecs"}"#);
    assert_eq!(e.key.as_deref(), Some("max_wait"));
    let e = config_error::<Multiline>(r#"{"firstline": "^S", "separator": 1}"#);
    assert_eq!(e.key.as_deref(), Some("separator"));
    let e = config_error::<Multiline>(r#"{"firstline": "^S", "max_wait_time": "3s"}"#);
    assert_eq!(e.key.as_deref(), Some("max_wait_time"));
    assert!(
        e.message
            .contains("known keys: firstline, max_lines, max_wait"),
        "{}",
        e.message
    );
}

#[test]
fn describe_lists_the_keys_with_defaults() {
    let info = describe::<Multiline>();
    assert_eq!(info.name, "multiline");
    let keys: Vec<_> = info
        .config_keys
        .iter()
        .map(|k| (k.name.as_str(), k.default.as_deref()))
        .collect();
    assert_eq!(
        keys,
        [
            ("firstline", None),
            ("max_lines", Some("128")),
            ("max_wait", Some("\"3s\"")),
            ("max_bytes", Some("1048576")),
            ("separator", Some("\"\\n\"")),
        ]
    );
    // The defaults are what `new` uses.
    let inputs: Vec<Input> = std::iter::once(Input::new("S"))
        .chain((0..200).map(|_| Input::new("x")))
        .collect();
    let out = run_in_batches(r#"{"firstline": "^S"}"#, &inputs, 64);
    assert_eq!(out.len(), 2, "128 lines, then 73");
    assert_eq!(out[0].text().lines().count(), 128);
}

/// A block ends as its last line did: a block carried past its batch, whether it goes out
/// before the next first line or at the end, keeps that line's terminator (`\r\n`, or none for
/// the input's last line), as one within a batch does.
#[test]
fn a_block_ends_in_its_last_lines_terminator() {
    use sluice_plugin_sdk::Terminator::{CrLf, None as Unterminated};
    let crlf = |text: &str| Input::new(text).terminator(CrLf);
    let mut s = stage(DATE);
    let out = s
        .process([crlf("2024-10-10 13:55:36 ERROR a"), crlf("  at x")])
        .unwrap();
    assert!(out.is_empty());
    let out = s.process([crlf("2024-10-10 13:55:37 INFO b")]).unwrap();
    assert_eq!(out[0].written(), b"2024-10-10 13:55:36 ERROR a\n  at x\r\n");
    let last = Input::new("2024-10-10 13:55:38 INFO c").terminator(Unterminated);
    assert!(
        s.process([last]).unwrap()[0]
            .written()
            .ends_with(b"INFO b\r\n")
    );
    let end = s.finish().unwrap();
    assert_eq!(end[0].written(), b"2024-10-10 13:55:38 INFO c");
}

#[test]
fn a_stored_head_gives_the_block_the_kinds_of_its_fields() {
    let inputs = [
        Input::new("START a").typed_field("n", "7", Kind::Integer),
        Input::new("  more"),
        Input::new("  more"),
    ];
    let out = run_in_batches(r#"{"firstline": "^START"}"#, &inputs, 1);
    assert_eq!(texts(&out), ["START a\n  more\n  more"]);
    assert_eq!(
        (out[0].field_str("n"), out[0].kind("n")),
        (Some("7"), Kind::Integer)
    );
}
