//! Tests of the whole stage, run natively with the SDK's harness.

use super::*;
use sluice_plugin_sdk::testing::{Emitted, Harness, Input, config_error, describe};

fn stage() -> Harness<Decolorize> {
    Harness::new("{}").unwrap()
}

fn texts(out: &[Emitted]) -> Vec<String> {
    out.iter().map(Emitted::text).collect()
}

#[test]
fn describes_itself_and_takes_no_configuration() {
    let info = describe::<Decolorize>();
    assert_eq!(info.name, "decolorize");
    assert!(info.config_keys.is_empty());
    assert!(!info.boundary_safe);
    let e = config_error::<Decolorize>(r#"{"mode": "all"}"#);
    assert_eq!(e.key.as_deref(), Some("mode"));
    assert_eq!(e.message, "unknown key; this plugin takes no configuration");
}

#[test]
fn strips_colours_from_realistic_lines() {
    let out = stage()
        .process([
            // Loki's example, with the `m` its documentation leaves out.
            Input::new("[2022-11-04 22:17:57.811] \x1b[0;32mhttp\x1b[0m: GET /_health (0 ms) 204")
                .field("app", "web"),
            // Spring Boot's coloured console.
            Input::new(
                "2024-10-10 13:55:36.123  \x1b[32m INFO\x1b[0;39m \x1b[35m4242\x1b[0;39m --- \
                 [           main] \x1b[36mc.e.Application\x1b[0;39m : Started in 2.1s",
            ),
            // A bold red error with a 256-colour code and a hyperlink.
            Input::new(
                "\x1b[1m\x1b[38;5;196merror\x1b[0m: see \x1b]8;;https://errors.example/E42\x1b\\E42\x1b]8;;\x1b\\",
            ),
            Input::new("plain line, nothing to strip"),
        ])
        .unwrap();
    assert_eq!(
        texts(&out),
        [
            "[2022-11-04 22:17:57.811] http: GET /_health (0 ms) 204",
            "2024-10-10 13:55:36.123   INFO 4242 --- [           main] c.e.Application : Started in 2.1s",
            "error: see E42",
            "plain line, nothing to strip",
        ]
    );
    assert_eq!(out[0].field_str("app"), Some("web"), "fields are inherited");
    assert!(out[0].rewritten);
    assert!(!out[3].rewritten, "a line without ESC is passed through");
}

#[test]
fn progress_bars_titles_and_cursor_moves() {
    let out = stage()
        .process([
            "\x1b]0;npm install\x07\x1b[2K\x1b[1G[####      ] 40% fetching",
            "\x1b[?25l\x1b[1A\x1b[2Kdone\x1b[?25h",
            "\x1b(B\x1b[mreset",
        ])
        .unwrap();
    assert_eq!(texts(&out), ["[####      ] 40% fetching", "done", "reset"]);
}

#[test]
fn odd_bytes_pass_through_byte_for_byte() {
    let out = stage()
        .process([
            Input::new(b"\xff\x1b[31m\xfe\x9b red\x1b[0m\x80"),
            Input::new(b"nul\0\x1b[1mbold\x1b[0m\0"),
            Input::new("carriage\r\x1b[Kreturn"),
            Input::new(""),
            Input::new("ünïcödé \u{1b}[4munderlined\u{1b}[24m ©"),
        ])
        .unwrap();
    assert_eq!(out[0].bytes, b"\xff\xfe\x9b red\x80");
    assert_eq!(out[1].bytes, b"nul\0bold\0");
    assert_eq!(out[2].bytes, b"carriage\rreturn");
    assert_eq!(out[3].bytes, b"");
    assert!(!out[3].rewritten);
    assert_eq!(out[4].text(), "ünïcödé underlined ©");
}

#[test]
fn c1_controls_written_as_utf8_are_stripped_raw_c1_bytes_are_not() {
    let out = stage()
        .process([
            Input::new("\u{9b}1mbold\u{9b}0m and \u{9d}2;title\u{9c}done"),
            Input::new(b"\x9b1m raw byte is not a CSI"),
            Input::new("Û is C3 9B, ¢ is C2 A2"),
        ])
        .unwrap();
    assert_eq!(out[0].text(), "bold and done");
    assert_eq!(out[1].bytes, b"\x9b1m raw byte is not a CSI");
    assert!(!out[1].rewritten);
    assert!(!out[2].rewritten);
}

#[test]
fn a_sequence_cut_between_pieces_is_stripped_whole() {
    let mut s = stage();
    let out = s
        .process([
            Input::new("INFO \x1b[3").partial(),
            Input::new("2mgreen\x1b").partial(),
            Input::new(b"[0m tail \xc2").partial(),
            Input::new(&"\u{a9} 2024".as_bytes()[1..]).field("k", "v"),
        ])
        .unwrap();
    let joined: Vec<u8> = out.iter().flat_map(|l| l.bytes.clone()).collect();
    assert_eq!(String::from_utf8(joined).unwrap(), "INFO green tail © 2024");
    assert_eq!(texts(&out[..2]), ["INFO ", "green"]);
    assert_eq!(out[3].field_str("k"), Some("v"));
    // The `0xC2` that ended a piece is held back and written with the next one.
    assert_eq!(out[2].bytes, b" tail ");
    assert_eq!(out[3].bytes, "© 2024".as_bytes());
}

#[test]
fn a_piece_made_only_of_a_sequence_becomes_empty() {
    let mut s = stage();
    let out = s
        .process([
            Input::new("a\x1b]8;;https://exa").partial(),
            Input::new("mple.com/a/very/long/url").partial(),
            Input::new("\x1b\\b"),
        ])
        .unwrap();
    assert_eq!(texts(&out), ["a", "", "b"]);
}

#[test]
fn state_is_reset_at_the_end_of_each_line() {
    let mut s = stage();
    let out = s
        .process([
            "unterminated title \x1b]0;oops",
            "next line is intact",
            "dangling \x1b[1;3",
            "41m not eaten",
        ])
        .unwrap();
    assert_eq!(
        texts(&out),
        [
            "unterminated title ",
            "next line is intact",
            "dangling ",
            "41m not eaten"
        ]
    );
    // Across batches too: a partial piece's open state ends with its line's last piece.
    let out = s
        .process([Input::new("x \x1b[").partial(), Input::new("")])
        .unwrap();
    assert_eq!(texts(&out), ["x ", ""]);
    assert_eq!(texts(&s.process(["1m stays"]).unwrap()), ["1m stays"]);
}

#[test]
fn stripping_twice_changes_nothing() {
    let lines = [
        "\x1b[1;31mERROR\x1b[0m db: \x1b]0;t\x07timeout",
        "\u{9b}32mok\u{9b}0m",
        "lone \x1b and \x1b\x1b[m",
    ];
    let once = stage().process(lines).unwrap();
    let twice = stage()
        .process(once.iter().map(|l| Input::new(&l.bytes)))
        .unwrap();
    for (a, b) in once.iter().zip(&twice) {
        assert_eq!(a.bytes, b.bytes);
        assert!(!b.rewritten);
    }
}
