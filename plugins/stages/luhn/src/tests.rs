//! Tests of the whole stage, run natively with the SDK's harness.

use super::*;
use sluice_plugin_sdk::testing::{Emitted, Harness, Input, config_error, describe};

fn stage(config: &str) -> Harness<Luhn> {
    Harness::new(config).unwrap()
}

fn redact(lines: &[&str]) -> Vec<String> {
    stage("{}")
        .process(lines.iter().copied())
        .unwrap()
        .iter()
        .map(Emitted::text)
        .collect()
}

/// Test card numbers (they pass the Luhn check) as they are written in logs.
const CARDS: [&str; 7] = [
    "4111111111111111",
    "4111 1111 1111 1111",
    "5500-0000-0000-0004",
    "3782 822463 10005",
    "4222222222222",
    "6011000990139424",
    "6304 0000 0000 0000 018",
];

#[test]
fn describes_itself_as_boundary_safe() {
    let info = describe::<Luhn>();
    assert_eq!(info.name, "luhn");
    assert!(info.boundary_safe);
    let replacement = &info.config_keys[0];
    assert_eq!(replacement.default.as_deref(), Some("\"**REDACTED**\""));
}

#[test]
fn redacts_card_numbers_in_realistic_lines() {
    let out = redact(&[
        r#"{"ts":"2024-10-10T13:55:36Z","level":"INFO","msg":"charge ok","card":"4111111111111111","amount":1299}"#,
        r#"203.0.113.7 - - [10/Oct/2024:13:55:36 +0000] "POST /pay?cc=4111-1111-1111-1111&exp=12-25 HTTP/1.1" 402 0"#,
        "ts=2024-10-10T13:55:36Z level=warn msg=\"card declined\" pan=\"3782 822463 10005\" attempt=2",
        "java.lang.IllegalArgumentException: invalid card 6011000990139424 for order 98765",
        "ts=2024-10-10T13:55:36Z level=info msg=\"no card here\" order=12345678 took=250ms",
    ]);
    assert_eq!(
        out,
        [
            r#"{"ts":"2024-10-10T13:55:36Z","level":"INFO","msg":"charge ok","card":"**REDACTED**","amount":1299}"#,
            r#"203.0.113.7 - - [10/Oct/2024:13:55:36 +0000] "POST /pay?cc=**REDACTED**&exp=12-25 HTTP/1.1" 402 0"#,
            "ts=2024-10-10T13:55:36Z level=warn msg=\"card declined\" pan=\"**REDACTED**\" attempt=2",
            "java.lang.IllegalArgumentException: invalid card **REDACTED** for order 98765",
            "ts=2024-10-10T13:55:36Z level=info msg=\"no card here\" order=12345678 took=250ms",
        ]
    );
}

#[test]
fn every_written_form_is_redacted() {
    for card in CARDS {
        assert_eq!(
            redact(&[&format!("card {card} end")]),
            ["card **REDACTED** end"],
            "{card}"
        );
    }
    // A card next to more numbers: the longest card number from the left is taken.
    assert_eq!(
        redact(&["4111 1111 1111 1111 2025 12"]),
        ["**REDACTED** 2025 12"]
    );
}

#[test]
fn numbers_that_are_not_card_numbers_are_left_alone() {
    let lines = [
        "card 4111111111111112 fails the check",
        "trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7",
        "uuid 123e4567-e89b-12d3-a456-426614174000",
        "glued id4111111111111111 and 4111111111111111x",
        "too long 41111111111111111111 (20 digits)",
        "date 2024-10-10 13:55:36 phone +1 555-123-4567",
        "short groups 41 11 11 11 11 11 11 11",
        "mixed separators 4111-1111 1111-1111",
        "double space 4111  1111 1111 1111",
    ];
    let mut s = stage("{}");
    let out = s.process(lines).unwrap();
    for (line, got) in lines.iter().zip(&out) {
        assert_eq!(&got.text(), line);
        assert!(!got.rewritten, "{line}");
    }
}

#[test]
fn min_length_and_replacement() {
    let mut s = stage(r#"{"min_length": 15, "replacement": "[CARD]"}"#);
    let out = s
        .process(["visa13 4222222222222 amex15 378282246310005"])
        .unwrap();
    assert_eq!(out[0].text(), "visa13 4222222222222 amex15 [CARD]");
    let mut s = stage(r#"{"replacement": ""}"#);
    assert_eq!(
        s.process(["a 4111111111111111 b"]).unwrap()[0].text(),
        "a  b"
    );
}

#[test]
fn redaction_is_idempotent_and_fields_pass_through() {
    let mut s = stage("{}");
    let once = s
        .process([Input::new("cc=4111111111111111 again 5500 0000 0000 0004").field("user", "bob")])
        .unwrap();
    assert_eq!(once[0].text(), "cc=**REDACTED** again **REDACTED**");
    assert_eq!(once[0].field_str("user"), Some("bob"));
    let twice = s.process([Input::new(&once[0].bytes)]).unwrap();
    assert!(!twice[0].rewritten);
}

#[test]
fn odd_bytes_nul_empty_lines_and_carriage_returns() {
    let out = stage("{}")
        .process([
            Input::new(b"\xff4111111111111111\x00caf\xe9"),
            Input::new(b"\x004111 1111 1111 1111\r"),
            Input::new(""),
            Input::new(b"\xc3\xa94111111111111111"),
        ])
        .unwrap();
    assert_eq!(out[0].bytes, b"\xff**REDACTED**\x00caf\xe9");
    assert_eq!(out[1].bytes, b"\x00**REDACTED**\r");
    assert_eq!(out[2].bytes, b"");
    assert_eq!(
        out[3].bytes, b"\xc3\xa9**REDACTED**",
        "é is not an ASCII letter"
    );
}

#[test]
fn source_field_is_redacted_and_the_line_kept() {
    let mut s = stage(r#"{"source": "payment"}"#);
    let out = s
        .process([
            Input::new("charge 4111111111111111").field("payment", "visa 4111 1111 1111 1111"),
            Input::new("no field 4111111111111111"),
        ])
        .unwrap();
    assert_eq!(out[0].text(), "charge 4111111111111111");
    assert_eq!(out[0].field_str("payment"), Some("visa **REDACTED**"));
    assert_eq!(out[1].text(), "no field 4111111111111111");
    // Windows of an over-long line get exactly one line each.
    let line = format!("{} 4111111111111111", "x".repeat(100));
    let out = s.process_long_line(line.as_bytes(), 64, 40).unwrap();
    assert_eq!(out, line.as_bytes());
}

/// A long line with card numbers in every form, at its start and end and between words.
fn boundary_line() -> String {
    format!(
        "4111111111111111 start {} mid={};amex \"3782 822463 10005\" {} dash 5500-0000-0000-0004 \
         19 digits 6304 0000 0000 0000 018 not 4111111111111112 glued x4111111111111111 \
         prefix 4111 1111 1111 1111 003 end 4222222222222",
        "lorem ipsum ".repeat(5),
        "6011000990139424",
        "order=12345678 id=42 ".repeat(3),
    )
}

/// Cuts the line at every position, with the host's algorithm: the windowed output must be
/// the whole line's, with no card number left.
#[test]
fn cards_are_redacted_at_any_cut() {
    let line = boundary_line();
    let expected = stage("{}")
        .process([line.as_str()])
        .unwrap()
        .remove(0)
        .text();
    assert_eq!(expected.matches("**REDACTED**").count(), 7);
    // Its first 16 digits are a card too: a window cut after them must not redact them alone.
    assert!(luhn(b"4111111111111111") && luhn(b"4111111111111111003"));
    assert!(expected.contains("prefix **REDACTED** end"));
    assert!(expected.contains("not 4111111111111112 glued x4111111111111111 prefix"));
    for overlap in [MIN_OVERLAP, 48, 100] {
        let mut s = stage("{}");
        for window in overlap + 1..=line.len() + 1 {
            let out = s
                .process_long_line(line.as_bytes(), window, overlap)
                .unwrap();
            let out = String::from_utf8(out).unwrap();
            assert_eq!(out, expected, "window {window}, overlap {overlap}");
        }
    }
}

/// A small deterministic generator for the randomized test.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize
    }
}

/// Random lines of cards, numbers and words, cut into random windows: the windowed result is
/// exactly the whole line's.
#[test]
fn windowed_equals_whole_on_random_lines() {
    let pieces = [
        "4111111111111111",
        "4111 1111 1111 1111",
        "5500-0000-0000-0004",
        "3782 822463 10005",
        "4222222222222",
        "1234",
        "12",
        "2024-10-10",
        "987654321",
        "abc",
        "x",
        "_",
        "é",
        "-",
        " ",
        "  ",
    ];
    let mut rng = Lcg(0x5eed);
    let mut whole = stage("{}");
    let mut windowed = stage("{}");
    for round in 0..600 {
        let line: String = (0..10 + rng.next() % 40)
            .map(|_| pieces[rng.next() % pieces.len()])
            .collect();
        let expected = whole.process([line.as_str()]).unwrap().remove(0).bytes;
        let overlap = MIN_OVERLAP + rng.next() % 40;
        let window = overlap + 1 + rng.next() % 80;
        let out = windowed
            .process_long_line(line.as_bytes(), window, overlap)
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out),
            String::from_utf8_lossy(&expected),
            "round {round}, window {window}, overlap {overlap}, line {line}"
        );
    }
}

#[test]
fn config_errors_name_the_key() {
    let e = config_error::<Luhn>(r#"{"replacement": "XXXX-1234"}"#);
    assert_eq!(e.key.as_deref(), Some("replacement"));
    assert!(e.message.contains("holds a digit"), "{}", e.message);
    for bad in ["11", "20"] {
        let e = config_error::<Luhn>(&format!(r#"{{"min_length": {bad}}}"#));
        assert_eq!(e.key.as_deref(), Some("min_length"));
        assert!(
            e.message.starts_with("must be from 12 to 19"),
            "{}",
            e.message
        );
    }
    let e = config_error::<Luhn>(r#"{"min_length": "13"}"#);
    assert_eq!(e.key.as_deref(), Some("min_length"));
    let e = config_error::<Luhn>(r#"{"source": 1}"#);
    assert_eq!(e.key.as_deref(), Some("source"));
    let e = config_error::<Luhn>(r#"{"min_lenght": 13}"#);
    assert_eq!(e.key.as_deref(), Some("min_lenght"));
    assert!(e.message.contains("did you mean \"min_length\""));
}
