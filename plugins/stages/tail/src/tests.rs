use super::*;
use ring::OVERHEAD;
use sluice_plugin_sdk::Kind;
use sluice_plugin_sdk::testing::{Emitted, Harness, Input, config_error, describe};

fn stage(config: &str) -> Harness<Tail> {
    Harness::new(config).unwrap()
}

fn texts(lines: &[Emitted]) -> Vec<String> {
    lines.iter().map(Emitted::text).collect()
}

/// nginx access lines numbered from 1, with a `status` field and a timestamp.
fn access(n: usize) -> Input {
    Input::new(format!(
        "10.0.0.{n} - - [10/Oct/2024:13:55:{:02} +0000] \"GET /api/v1/items/{n} HTTP/1.1\" 200 512",
        n % 60
    ))
    .field("status", "200")
    .field("n", n.to_string())
    .timestamp(n as i64 * 1_000_000_000)
}

/// Runs `inputs` in batches of `size`, checking that nothing goes out before the end.
fn run_in_batches(config: &str, inputs: &[Input], size: usize) -> Vec<Emitted> {
    let mut s = stage(config);
    for chunk in inputs.chunks(size) {
        assert!(
            s.process(chunk).unwrap().is_empty(),
            "nothing before the end"
        );
        assert_eq!(s.wake(), None);
    }
    s.finish().unwrap()
}

fn numbers(lines: &[Emitted]) -> Vec<usize> {
    lines
        .iter()
        .map(|l| l.field_str("n").unwrap().parse().unwrap())
        .collect()
}

#[test]
fn keeps_the_last_ten_lines_with_fields_and_timestamps() {
    let inputs: Vec<Input> = (1..=25).map(access).collect();
    let out = run_in_batches("{}", &inputs, 1024);
    assert_eq!(numbers(&out), (16..=25).collect::<Vec<_>>());
    assert_eq!(
        out[0].text(),
        String::from_utf8(inputs[15].bytes.clone()).unwrap()
    );
    assert_eq!(out[0].field_str("status"), Some("200"));
    assert_eq!(out[9].timestamp, Some(25_000_000_000));
}

#[test]
fn every_batch_size_gives_the_same_lines() {
    let inputs: Vec<Input> = (1..=47).map(access).collect();
    for size in 1..=inputs.len() {
        let out = run_in_batches(r#"{"lines": 20}"#, &inputs, size);
        assert_eq!(
            numbers(&out),
            (28..=47).collect::<Vec<_>>(),
            "batches of {size}"
        );
    }
}

#[test]
fn fewer_lines_than_asked_and_zero_lines() {
    let inputs: Vec<Input> = (1..=3).map(access).collect();
    assert_eq!(numbers(&run_in_batches("{}", &inputs, 2)), [1, 2, 3]);
    assert!(run_in_batches(r#"{"lines": 0}"#, &inputs, 2).is_empty());
    assert!(run_in_batches("{}", &[], 1).is_empty());
}

#[test]
fn the_pieces_of_an_over_long_line_count_as_one_line() {
    let inputs = [
        Input::new("first"),
        Input::new("{\"blob\":\"").partial(),
        Input::new("AAAA").partial(),
        Input::new("\"}").field("kind", "blob").timestamp(9),
        Input::new("after"),
    ];
    for size in 1..=inputs.len() {
        let out = run_in_batches(r#"{"lines": 2}"#, &inputs, size);
        assert_eq!(
            texts(&out),
            ["{\"blob\":\"AAAA\"}", "after"],
            "batches of {size}"
        );
        assert_eq!(out[0].field_str("kind"), Some("blob"));
        assert_eq!(out[0].timestamp, Some(9));
    }
    // An over-long line still arriving at the end is kept as far as it came.
    let out = run_in_batches(r#"{"lines": 2}"#, &inputs[..3], 1);
    assert_eq!(texts(&out), ["first", "{\"blob\":\"AAAA"]);
}

#[test]
fn a_batch_of_newer_lines_drops_a_line_still_arriving_in_pieces() {
    let mut s = stage(r#"{"lines": 2}"#);
    s.process([Input::new("old").partial()]).unwrap();
    // Its last piece, then two newer lines: the over-long line is no longer among the last.
    s.process(["piece end", "new 1", "new 2"]).unwrap();
    assert_eq!(texts(&s.finish().unwrap()), ["new 1", "new 2"]);
}

#[test]
fn max_bytes_evicts_the_oldest_lines_first() {
    // Each line costs 10 bytes plus the bookkeeping: three fit in max_bytes, not four.
    let max = 3 * (10 + OVERHEAD) + 5;
    let config = format!(r#"{{"lines": 100, "max_bytes": {max}}}"#);
    let inputs: Vec<Input> = (0..8).map(|n| Input::new(format!("line {n:05}"))).collect();
    for size in [1, 3, 8] {
        let out = run_in_batches(&config, &inputs, size);
        assert_eq!(texts(&out), ["line 00005", "line 00006", "line 00007"]);
    }
    // Empty lines are not free either.
    let empties: Vec<Input> = (0..1000).map(|_| Input::new("")).collect();
    let out = run_in_batches(r#"{"lines": 1000000, "max_bytes": 640}"#, &empties, 100);
    assert_eq!(out.len(), 10);
}

#[test]
fn a_line_longer_than_max_bytes_is_cut_to_it() {
    let config = r#"{"lines": 3, "max_bytes": 100}"#;
    let long = "x".repeat(150);
    let out = run_in_batches(config, &[Input::new("older"), Input::new(&long)], 1);
    assert_eq!(texts(&out), ["x".repeat(100)]);
    // The same with pieces: the cut applies to the whole line.
    let pieces = [
        Input::new("y".repeat(60)).partial(),
        Input::new("y".repeat(60)).partial(),
        Input::new("y".repeat(60)).field("k", "v"),
    ];
    let out = run_in_batches(config, &pieces, 1);
    assert_eq!(texts(&out), ["y".repeat(100)]);
    assert_eq!(out[0].field_str("k"), Some("v"));
}

#[test]
fn bytes_that_are_not_utf8_nul_empty_lines_and_lone_cr_are_kept() {
    let inputs = [
        Input::new(b"caf\xe9 \xff\xfe"),
        Input::new(b""),
        Input::new(b"a\x00b"),
        Input::new(b"x\ry"),
    ];
    let out = run_in_batches("{}", &inputs, 2);
    let bytes: Vec<&[u8]> = out.iter().map(|l| l.bytes.as_slice()).collect();
    assert_eq!(bytes, [&b"caf\xe9 \xff\xfe"[..], b"", b"a\x00b", b"x\ry"]);
}

#[test]
fn config_errors_name_the_key() {
    let e = config_error::<Tail>(r#"{"lines": -1}"#);
    assert_eq!(e.key.as_deref(), Some("lines"));
    assert!(e.message.contains("non-negative integer"));
    let e = config_error::<Tail>(r#"{"lines": "20"}"#);
    assert_eq!(e.key.as_deref(), Some("lines"));
    let e = config_error::<Tail>(r#"{"max_bytes": 0}"#);
    assert_eq!(
        (e.key.as_deref(), &*e.message),
        (Some("max_bytes"), "must be at least 1")
    );
    let e = config_error::<Tail>(r#"{"line": 5}"#);
    assert_eq!(e.key.as_deref(), Some("line"));
    assert!(
        e.message.contains("did you mean \"lines\""),
        "{}",
        e.message
    );
}

#[test]
fn describe_lists_the_keys_and_defaults() {
    let info = describe::<Tail>();
    assert_eq!(info.name, "tail");
    let keys: Vec<_> = info
        .config_keys
        .iter()
        .map(|k| (k.name.as_str(), k.default.as_deref()))
        .collect();
    assert_eq!(
        keys,
        [("lines", Some("10")), ("max_bytes", Some("1048576"))]
    );
}

/// The kept lines end as they did in the input, as `tail -n` writes them: a CRLF line keeps
/// its `\r\n`, and the input's last line without a newline stays without one.
#[test]
fn kept_lines_keep_their_terminators() {
    use sluice_plugin_sdk::Terminator;
    let mut s = stage(r#"{"lines": 2}"#);
    s.process([
        Input::new("a").terminator(Terminator::CrLf),
        Input::new("b").terminator(Terminator::CrLf),
    ])
    .unwrap();
    s.process([Input::new("c").terminator(Terminator::None)])
        .unwrap();
    let written: Vec<Vec<u8>> = s.finish().unwrap().iter().map(Emitted::written).collect();
    assert_eq!(written, [b"b\r\n".to_vec(), b"c".to_vec()]);
}

#[test]
fn kept_lines_keep_the_kinds_of_their_fields() {
    let typed = |n: i64| {
        Input::new(format!("n={n}"))
            .typed_field("n", n.to_string(), Kind::Integer)
            .field("msg", "x")
    };
    let out = run_in_batches(r#"{"lines": 2}"#, &[typed(1), typed(2), typed(3)], 1);
    assert_eq!(texts(&out), ["n=2", "n=3"]);
    for line in &out {
        assert_eq!(
            (line.kind("n"), line.kind("msg")),
            (Kind::Integer, Kind::Text)
        );
    }
}
