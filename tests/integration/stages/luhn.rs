//! `luhn`: see docs/stages/luhn.md.

use insta::assert_snapshot;

use crate::util::{Bytes, run, show, transform};

fn luhn(input: &[u8]) -> String {
    show(&transform(&["-p", "luhn"], input))
}

/// Card numbers as they are written in logs, each passing the Luhn check: 16-digit Visa
/// plain, with dashes and spaces, 15-digit Amex in 4-6-5, 13-digit Visa, 19 digits in groups.
const CARDS: [&str; 6] = [
    "4111111111111111",
    "4111-1111-1111-1111",
    "4111 1111 1111 1111",
    "3782 822463 10005",
    "4222222222222",
    "6222 0210 0010 0000 008",
];

#[test]
fn documented_example() {
    let input =
        br#"{"ts":"2024-10-10T13:55:36Z","msg":"charge ok","card":"4111111111111111","amount":1299}
POST /pay?cc=4111-1111-1111-1111&exp=12-25 402
ts=2024-10-10T13:55:37Z msg="card declined" pan="3782 822463 10005" order=12345678
"#;
    assert_snapshot!(luhn(input), @r#"
    {"ts":"2024-10-10T13:55:36Z","msg":"charge ok","card":"**REDACTED**","amount":1299}
    POST /pay?cc=**REDACTED**&exp=12-25 402
    ts=2024-10-10T13:55:37Z msg="card declined" pan="**REDACTED**" order=12345678
    "#);
}

#[test]
fn what_counts_as_a_card_number() {
    let input = b"every form: 4111111111111111 4111-1111-1111-1111 / 3782 822463 10005 / 4222222222222 / 6222 0210 0010 0000 008
glued to letters or _: id4111111111111111 4111111111111111x _4111111111111111 trace_id=4bf92f3577b34da6
punctuation bounds a group: trace_id=4111111111111111,(4111111111111111)
mixed separators 4111-1111 1111-1111, two spaces 4111  1111 1111 1111, a space then a dash 4111 -1111-1111-1111
groups too short: 41 11 11 11 11 11 11 11
fails the check: 4111111111111112 4111 1111 1111 1112
too long, 20 digits: 41111111111111111110 and 4111 1111 1111 1111 1110
card then more groups: 4111 1111 1111 1111 2025 12
too few digits: 411111111111 (12)
";
    assert_snapshot!(luhn(input), @r"
    every form: **REDACTED** **REDACTED** / **REDACTED** / **REDACTED** / **REDACTED**
    glued to letters or _: id4111111111111111 4111111111111111x _4111111111111111 trace_id=4bf92f3577b34da6
    punctuation bounds a group: trace_id=**REDACTED**,(**REDACTED**)
    mixed separators 4111-1111 1111-1111, two spaces 4111  1111 1111 1111, a space then a dash 4111 -1111-1111-1111
    groups too short: 41 11 11 11 11 11 11 11
    fails the check: 4111111111111112 4111 1111 1111 1112
    too long, 20 digits: 41111111111111111110 and **REDACTED** 1110
    card then more groups: **REDACTED** 2025 12
    too few digits: 411111111111 (12)
    ");
}

#[test]
fn min_length_and_replacement() {
    let input = b"13 digits 4222222222222, 15 digits 378282246310005, 16 digits 4111111111111111\n";
    let out = transform(
        &["-p", r#"luhn={"min_length": 15, "replacement": "[card]"}"#],
        input,
    );
    assert_snapshot!(show(&out), @"13 digits 4222222222222, 15 digits [card], 16 digits [card]");
    // 12 digits is allowed as a minimum: 411111111117 passes the check, ...113 does not.
    let input = b"pin 411111111117 and 4111 1111 1117, not 411111111113\n";
    let out = transform(&["-p", r#"luhn={"min_length": 12}"#], input);
    assert_eq!(luhn(input), show(input), "12 digits are too few by default");
    assert_snapshot!(show(&out), @"pin **REDACTED** and **REDACTED**, not 411111111113");
}

#[test]
fn source_redacts_a_field_and_leaves_the_line() {
    let input = br#"{"user":"bob","payment":"card 4111 1111 1111 1111 exp 12/25","order":"4111111111111111"}
{"user":"eve","order":"4111111111111111"}
"#;
    let run = run(
        &[
            "-p",
            "json",
            "-p",
            r#"luhn={"source": "payment"}"#,
            "-o",
            "json",
        ],
        input,
    );
    assert_eq!(run.code, 0);
    // The host's warning for a boundary-safe stage after one that is not; nothing else.
    assert_eq!(
        run.stderr,
        "sluice: warning: stage 2 (luhn) is boundary-safe but follows a stage that is not, so over-long lines reach it in pieces and a match straddling a cut can be missed; put it first\n"
    );
    assert_snapshot!(show(&run.stdout), @r#"
    {"line":"{\"user\":\"bob\",\"payment\":\"card 4111 1111 1111 1111 exp 12/25\",\"order\":\"4111111111111111\"}","fields":{"user":"bob","order":"4111111111111111","payment":"card **REDACTED** exp 12/25"}}
    {"line":"{\"user\":\"eve\",\"order\":\"4111111111111111\"}","fields":{"user":"eve","order":"4111111111111111"}}
    "#);
}

#[test]
fn odd_bytes_bound_a_number_and_pass_through() {
    // Non-ASCII letters, bytes that are not UTF-8, NUL and `\r` are neither letters nor
    // separators; CRLF terminators, empty lines and a last line without newline are kept.
    let input = b"caf\xc3\xa94111111111111111\xff4111111111111111\x004111111111111111\r4111111111111111\r\n\n\xfe\xff no card \x00\r\n\r\nlast 4111-1111-1111-1111";
    assert_snapshot!(luhn(input), @r"
    café**REDACTED**\xff**REDACTED**\0**REDACTED**\r**REDACTED**\r

    \xfe\xff no card \0\r
    \r
    last **REDACTED**[no final newline]
    ");
}

#[test]
fn idempotent_and_lines_without_cards_are_untouched() {
    let input = std::fs::read(crate::util::fixture("nginx_access.log")).unwrap();
    assert!(transform(&["-p", "luhn"], &input) == input);
    let input = std::fs::read(crate::util::fixture("odd_bytes.log")).unwrap();
    assert!(transform(&["-p", "luhn"], &input) == input);
    // Redacting the output again changes nothing, even with a replacement that holds
    // separators and the cards' neighbours.
    let input =
        b"a 4111 1111 1111 1111 4111 1111 1111 1111 b\n5500-0000-0000-0004 4111111111111111\n";
    let once = transform(&["-p", r#"luhn={"replacement": "X X"}"#], input);
    let twice = transform(
        &[
            "-p",
            r#"luhn={"replacement": "X X"}"#,
            "-p",
            r#"luhn={"replacement": "X X"}"#,
        ],
        input,
    );
    assert_eq!(show(&once), show(&twice));
    assert_snapshot!(show(&once), @r"
    a X X X X b
    X X X X
    ");
}

/// The output of a clean run, allowing only sluice's warning that an overlap under 64 bytes
/// is too small for boundary-safe stages (it is enough for `luhn`: 40 bytes).
fn ok_but_small_overlap(run: crate::util::Run) -> Vec<u8> {
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.is_empty()
            || run.stderr.starts_with("sluice: warning: --boundary-overlap ")
                && run.stderr.ends_with(" is too small for boundary-safe stages to catch a secret straddling a cut; use at least 64\n")
                && run.stderr.lines().count() == 1,
        "{}",
        run.stderr
    );
    run.stdout
}

/// Filler with no digit, letter or separator: punctuation, which bounds a number.
fn filler(rng: &mut Bytes, len: usize) -> Vec<u8> {
    rng.draw(b".,:;/()=&#\"'", len)
}

#[test]
fn a_card_straddling_a_window_cut_is_redacted_at_every_offset() {
    // With a 128-byte cap and a 64-byte overlap, windows are cut at bytes 128, 192, 256, ...
    // Each line holds one card starting at every offset from well before the first cut to past
    // the third, so that the cut falls at every byte of it (and before and after it).
    let mut rng = Bytes::new(7);
    let mut input = Vec::new();
    let mut expected = Vec::new();
    let mut lines = 0;
    for card in CARDS {
        for start in 80..300 {
            let before = filler(&mut rng, start);
            let after = filler(&mut rng, 120);
            input.extend([&before[..], card.as_bytes(), &after[..], b"\n"].concat());
            expected.extend([&before[..], b"**REDACTED**", &after[..], b"\n"].concat());
            lines += 1;
        }
    }
    let out = transform(
        &[
            "--max-line-bytes",
            "128",
            "--boundary-overlap",
            "64",
            "-p",
            "luhn",
        ],
        &input,
    );
    assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), lines);
    let out = String::from_utf8(out).unwrap();
    let expected = String::from_utf8(expected).unwrap();
    for (i, (got, want)) in out.lines().zip(expected.lines()).enumerate() {
        assert_eq!(got, want, "line {i}: card {:?}", CARDS[i / 220]);
    }
    assert_eq!(out, expected);
}

#[test]
fn a_card_straddling_the_default_cuts_is_redacted() {
    // Default settings: windows of 64 KiB, 1 KiB kept between them, so cuts at 65,536 and
    // 65,536 + 64,512. The card is placed across each cut at every offset.
    let card = b"4111 1111 1111 1111";
    let mut rng = Bytes::new(99);
    let mut input = Vec::new();
    let mut expected = Vec::new();
    for cut in [65_536, 65_536 + 64_512] {
        for start in cut - card.len()..=cut {
            let before = filler(&mut rng, start);
            let after = filler(&mut rng, 140 * 1024 - start);
            input.extend([&before[..], card, &after[..], b"\n"].concat());
            expected.extend([&before[..], b"**REDACTED**", &after[..], b"\n"].concat());
        }
    }
    let out = transform(&["-p", "luhn"], &input);
    assert!(!out.windows(4).any(|w| w == b"4111"), "a card leaked");
    assert!(
        out == expected,
        "output differs from the input with the cards redacted"
    );
}

#[test]
fn a_windowed_line_comes_out_as_the_whole_line_would() {
    // Lines of digits, spaces, dashes, letters and cards, 300 to 600 bytes long: cut into
    // windows (128-byte cap, overlaps from the documented minimum of 40 bytes up) they come out
    // exactly as without cuts.
    let mut rng = Bytes::new(42);
    let mut input = Vec::new();
    for _ in 0..200 {
        let len = 300 + (rng.next_u64() % 300) as usize;
        let mut line = Vec::new();
        while line.len() < len {
            let (kind, n) = (rng.next_u64() % 6, rng.next_u64() as usize);
            match kind {
                0 => line.extend_from_slice(CARDS[n % CARDS.len()].as_bytes()),
                1 | 2 => line.extend(rng.draw(b"0123456789", 1 + n % 8)),
                3 => line.extend(rng.draw(b" -", 1 + n % 2)),
                _ => line.extend(rng.draw(b" -ab_.=\xff", 1 + n % 3)),
            }
        }
        input.extend_from_slice(&line);
        input.push(b'\n');
    }
    let whole = transform(&["-p", "luhn"], &input);
    assert!(whole != input, "the input holds card numbers");
    for overlap in ["40", "41", "64", "100"] {
        let windowed = ok_but_small_overlap(run(
            &[
                "--max-line-bytes",
                "128",
                "--boundary-overlap",
                overlap,
                "-p",
                "luhn",
            ],
            &input,
        ));
        for (i, (w, l)) in windowed
            .split(|&b| b == b'\n')
            .zip(whole.split(|&b| b == b'\n'))
            .enumerate()
        {
            assert_eq!(show(w), show(l), "overlap {overlap}, line {i}");
        }
        assert!(windowed == whole, "overlap {overlap}");
    }
}

#[test]
fn pieces_of_an_over_long_line_without_cards_pass_byte_for_byte() {
    let mut rng = Bytes::new(3);
    let mut input = Vec::new();
    for _ in 0..20 {
        // Digits in short runs and glued to letters: no card number anywhere.
        input.extend(rng.draw(b"12 a-x\xff\0\r", 400));
        input.extend_from_slice(b"\r\n");
    }
    let out = ok_but_small_overlap(run(
        &[
            "--max-line-bytes",
            "64",
            "--boundary-overlap",
            "48",
            "-p",
            "luhn",
        ],
        &input,
    ));
    assert!(out == input);
}

#[test]
fn config_errors_name_the_key() {
    let error = |config: &str| run(&["-p", config], b"").fails(2).to_owned();
    assert_snapshot!(error(r#"luhn={"replacement": "card-0"}"#), @r#"sluice: stage 1 (luhn): config key `replacement`: "card-0" holds a digit, which could be taken for part of a card number when the stage sees its own output; use one without digits, such as "**REDACTED**""#);
    assert_snapshot!(error(r#"luhn={"min_length": 11}"#), @"sluice: stage 1 (luhn): config key `min_length`: must be from 12 to 19 (card numbers have 12 to 19 digits), got 11");
    assert_snapshot!(error(r#"luhn={"min_length": 20}"#), @"sluice: stage 1 (luhn): config key `min_length`: must be from 12 to 19 (card numbers have 12 to 19 digits), got 20");
    assert!(
        error(r#"luhn={"min_length": "13"}"#)
            .starts_with("sluice: stage 1 (luhn): config key `min_length`: ")
    );
    assert!(
        error(r#"luhn={"source": 1}"#).starts_with("sluice: stage 1 (luhn): config key `source`: ")
    );
    assert!(
        error(r#"luhn={"replace": "x"}"#)
            .starts_with("sluice: stage 1 (luhn): config key `replace`: unknown key")
    );
}
