//! Bytes the chain does not change come out exactly as they went in.

use crate::util::{Bytes, fixture, run, sluice, transform};

/// Inputs that stress the splitter: every edge the framing rules name.
fn edge_inputs() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("empty", b"".to_vec()),
        ("only newlines", b"\n\n".to_vec()),
        ("crlf", b"a\r\nb\r\n".to_vec()),
        ("mixed terminators", b"a\r\nb\nc\r\n\r\n\n".to_vec()),
        ("lone cr", b"a\rb\r\n\rc\r".to_vec()),
        ("nul", b"\0\n\0\0x\0\n".to_vec()),
        ("invalid utf-8", b"caf\xe9\n\xff\xfe\n\xc3\n".to_vec()),
        ("no final newline", b"first\nsecond".to_vec()),
        ("single char", b"x".to_vec()),
        ("cr at end", b"x\r".to_vec()),
    ]
}

#[test]
fn edge_inputs_without_plugins_are_byte_identical() {
    for (name, input) in edge_inputs() {
        assert_eq!(transform(&[], &input), input, "{name}");
    }
}

#[test]
fn edge_inputs_through_sanitize_are_byte_identical() {
    for (name, input) in edge_inputs() {
        assert_eq!(transform(&["-p", "sanitize"], &input), input, "{name}");
    }
}

/// Random bytes with many `\n` and `\r`, with a small line cap so that lines are cut too.
fn random_input(seed: u64) -> Vec<u8> {
    let mut rng = Bytes::new(seed);
    let mut alphabet: Vec<u8> = (0..=255).collect();
    alphabet.extend_from_slice(&[b'\n'; 24]);
    alphabet.extend_from_slice(&[b'\r'; 8]);
    let len = (rng.next_u64() % 20_000) as usize;
    rng.draw(&alphabet, len)
}

#[test]
fn random_bytes_are_byte_identical() {
    for seed in 1..=12 {
        let input = random_input(seed);
        for args in [
            &[][..],
            &["-p", "sanitize"][..],
            &["--max-line-bytes", "17", "--boundary-overlap", "5"][..],
            &[
                "--max-line-bytes",
                "17",
                "--boundary-overlap",
                "5",
                "-p",
                "sanitize",
            ][..],
            &[
                "--max-line-bytes",
                "1",
                "--boundary-overlap",
                "0",
                "-p",
                "sanitize",
            ][..],
        ] {
            let run = run(args, &input);
            assert_eq!(run.code, 0, "seed {seed} {args:?}: {}", run.stderr);
            assert!(run.stdout == input, "seed {seed} {args:?}: output differs");
        }
    }
}

#[test]
fn long_lines_around_the_cap_are_byte_identical() {
    let cap = 64;
    let mut input = Vec::new();
    for len in [cap - 1, cap, cap + 1, cap * 2, cap * 2 + 1, cap * 10 + 3] {
        input.extend(std::iter::repeat_n(b'a', len));
        input.push(b'\n');
        input.extend(std::iter::repeat_n(b'b', len));
        input.extend_from_slice(b"\r\n");
    }
    input.extend(std::iter::repeat_n(b'c', cap * 3 + 7)); // no final newline
    for overlap in ["0", "1", "16", "63"] {
        // Overlaps this small draw a warning on stderr; the bytes must still be exact.
        let args = [
            "--max-line-bytes",
            "64",
            "--boundary-overlap",
            overlap,
            "-p",
            "sanitize",
        ];
        let run = run(&args, &input);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(run.stdout == input, "overlap {overlap}: output differs");
    }
}

#[test]
fn files_are_read_in_order_like_cat() {
    let a = fixture("logfmt.log");
    let b = fixture("java_stacktrace.log"); // ends without a newline
    let expected = [
        std::fs::read(&b).unwrap(),
        std::fs::read(&a).unwrap(),
        b"stdin\n".to_vec(),
    ]
    .concat();
    let run = crate::util::run_cmd(sluice().arg(&b).arg(&a).arg("-"), b"stdin\n");
    assert_eq!(run.ok(), expected);
}

#[test]
fn a_large_line_without_newline_streams_through() {
    // 8 MiB in one line, far above the cap: it must come out whole, through pieces.
    let mut rng = Bytes::new(7);
    let input = rng.draw(b"abcdefghij =:/\"", 8 << 20);
    let out = transform(&["-p", "sanitize"], &input);
    assert!(out == input, "output differs");
}
