//! Over-long lines are cut into pieces, and a secret straddling a cut is still redacted.

use crate::util::{Bytes, run_cmd, sluice, transform};

/// Filler that cannot spell any word a sanitize rule looks for.
fn filler(rng: &mut Bytes, len: usize) -> Vec<u8> {
    rng.draw(b"0123456789qvxz ,.-", len)
}

/// A 300 KiB line with `secret` placed so that it straddles content byte `cut`; returns the
/// line and the line as it should come out.
fn line_with_secret_at(cut: usize, secret: &[u8], redacted: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut rng = Bytes::new(cut as u64);
    let start = cut - secret.len() / 2;
    let before = filler(&mut rng, start);
    let after = filler(&mut rng, 300 * 1024 - start - secret.len());
    let line = [&before[..], secret, &after[..], b"\n"].concat();
    let expected = [&before[..], redacted, &after[..], b"\n"].concat();
    (line, expected)
}

/// The default cuts: the first window ends at 65,536; the second starts 1,024 bytes earlier
/// (the kept overlap) and so ends at 65,536 + 64,512.
const FIRST_CUT: usize = 65_536;
const SECOND_CUT: usize = 65_536 + 65_536 - 1_024;

#[test]
fn key_value_secret_straddling_the_first_cut() {
    let (line, expected) = line_with_secret_at(
        FIRST_CUT,
        b" password=SECRETVALUE12345 ",
        b" password=[REDACTED] ",
    );
    let out = transform(&["-p", "sanitize"], &line);
    assert!(!contains(&out, b"SECRETVALUE12345"));
    assert!(
        out == expected,
        "output differs from the input with the value redacted"
    );
}

#[test]
fn key_value_secret_straddling_the_second_cut() {
    let (line, expected) = line_with_secret_at(
        SECOND_CUT,
        b" password=SECRETVALUE12345 ",
        b" password=[REDACTED] ",
    );
    let out = transform(&["-p", "sanitize"], &line);
    assert!(!contains(&out, b"SECRETVALUE12345"));
    assert!(
        out == expected,
        "output differs from the input with the value redacted"
    );
}

#[test]
fn env_literal_straddling_either_cut() {
    for cut in [FIRST_CUT, SECOND_CUT] {
        let (line, expected) =
            line_with_secret_at(cut, b" Xq7-LITERAL-SECRET-93kd ", b" [REDACTED] ");
        let run = run_cmd(
            sluice()
                .args(["-p", r#"sanitize={"env":["MY_SECRET"]}"#])
                .env("MY_SECRET", "Xq7-LITERAL-SECRET-93kd"),
            &line,
        );
        let out = run.ok();
        assert!(!contains(out, b"LITERAL-SECRET"), "cut {cut}");
        assert!(out == expected, "cut {cut}: output differs");
    }
}

#[test]
fn secret_at_every_offset_around_a_small_cut() {
    // With a 128-byte cap and a 64-byte overlap, a cut falls every 64 bytes from byte 128 on;
    // put the secret at every offset across the first few cuts, one line each, in one run.
    let secret = b"password=SECRETVALUE12345";
    let mut input = Vec::new();
    let mut expected = Vec::new();
    for start in 90..300 {
        let pad = |n: usize| vec![b'.'; n];
        input.extend([&pad(start)[..], b" ", secret, b" ", &pad(40)[..], b"\n"].concat());
        expected.extend(
            [
                &pad(start)[..],
                b" password=[REDACTED] ",
                &pad(40)[..],
                b"\n",
            ]
            .concat(),
        );
    }
    let out = transform(
        &[
            "--max-line-bytes",
            "128",
            "--boundary-overlap",
            "64",
            "-p",
            "sanitize",
        ],
        &input,
    );
    assert!(!contains(&out, b"SECRETVALUE"), "a secret leaked");
    assert_eq!(
        String::from_utf8(out).unwrap(),
        String::from_utf8(expected).unwrap()
    );
}

#[test]
fn pieces_are_joined_without_inserting_anything() {
    let line = [&vec![b'x'; 200_000][..], b"\r\n", &vec![b'y'; 100][..]].concat();
    assert!(transform(&["-p", "sanitize"], &line) == line);
    assert!(
        transform(
            &[
                "-p",
                "sanitize",
                "-p",
                "regex={\"expression\":\"(?P<x>x+)\"}"
            ],
            &line
        ) == line
    );
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
