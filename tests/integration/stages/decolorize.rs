//! `decolorize`: see docs/stages/decolorize.md.

use insta::assert_snapshot;

use crate::util::{run, show_controls, transform};

fn decolorize(input: &[u8]) -> String {
    show_controls(&transform(&["-p", "decolorize"], input))
}

const PIECES: [&str; 4] = ["--max-line-bytes", "64", "--boundary-overlap", "16"];

#[test]
fn spring_boot_console_output() {
    let input = b"2024-10-10 13:55:36.123  \x1b[32m INFO\x1b[0;39m \x1b[35m4242\x1b[0;39m --- [           main] \x1b[36mc.e.Application\x1b[0;39m : Started in 2.1s\n\x1b[1;31mERROR\x1b[0m \x1b[33m[worker-1]\x1b[0m job failed\n";
    assert_snapshot!(decolorize(input), @r"
    2024-10-10 13:55:36.123   INFO 4242 --- [           main] c.e.Application : Started in 2.1s
    ERROR [worker-1] job failed
    ");
}

#[test]
fn every_documented_form_is_removed() {
    let input = b"CSI: \x1b[1;31mERROR\x1b[0m \x1b[?25lcursor\x1b[?25h \x1b[38:2:255:0:0mtruecolor\x1b[m \x1b[2K\x1b[1Gprogress 100%
OSC: \x1b]0;my title\x07title set, \x1b]8;;https://example.com\x1b\\link\x1b]8;;\x1b\\ done
strings: \x1bPq#0;2;0;0;0\x1b\\a \x1bXsos\x1b\\b \x1b^pm\x07c \x1b_apc\x1b\\d
intermediates: \x1b(Bascii \x1b)0g \x1b#8h; two-byte: \x1b7saved\x1b8 \x1b=keypad \x1bMup \x1bcreset
C1 in UTF-8: \xc2\x9b31mred\xc2\x9b0m \xc2\x9d0;title\xc2\x9c after \xc2\x90dcs\xc2\x9c x \xc2\x98sos\xc2\x9c y \xc2\x9epm\xc2\x9c z \xc2\x9fapc\xc2\x9c end
";
    assert_snapshot!(decolorize(input), @r"
    CSI: ERROR cursor truecolor progress 100%
    OSC: title set, link done
    strings: a b c d
    intermediates: ascii g h; two-byte: saved keypad up reset
    C1 in UTF-8: red  after  x  y  z  end
    ");
}

#[test]
fn raw_c1_bytes_and_other_text_are_kept() {
    // A lone 0x9B is a continuation byte, not a CSI; `Û` is C3 9B. Text between sequences is
    // copied byte for byte: bytes that are not UTF-8, NUL, tabs, lone `\r`, BEL outside a
    // sequence.
    let input = b"raw \x9b31m kept, \xc3\x9b kept, \xc2 alone, \xc2\xa9 kept\n\x00\xff\xfe\t\rbell\x07 \x1b[1mbold\x1b[0m\xff\n";
    assert_snapshot!(decolorize(input), @r"
    raw \x9b31m kept, Û kept, \xc2 alone, © kept
    \0\xff\xfe\t\rbell\a bold\xff
    ");
}

#[test]
fn malformed_sequences() {
    let input = b"control: \x1b\x01a, DEL: \x1b\x7fb, non-ASCII: \x1b\xc3\xa9c, bad byte: \x1b\xffd
non-ASCII ends a CSI: \x1b[31\xc3\xa9 and \x1b[1\xff
CAN and SUB cancel: \x1b[31\x18X \x1b]0;title\x1aY
ESC restarts: \x1b[3\x1b[32mZ \x1b]0;t\x1b[1mW
tab inside a CSI kept: \x1b[3\t1mT; DEL inside dropped: \x1b[3\x7f1mD
ESC at the end\x1b
";
    assert_snapshot!(decolorize(input), @r"
    control: \u{1}a, DEL: \u{7f}b, non-ASCII: éc, bad byte: \xffd
    non-ASCII ends a CSI: é and \xff
    CAN and SUB cancel: X Y
    ESC restarts: Z W
    tab inside a CSI kept: \tT; DEL inside dropped: D
    ESC at the end
    ");
}

#[test]
fn an_unterminated_string_ends_with_its_line() {
    let input = b"before\x1b]0;a title that never ends\nnext line is clean \x1b[32mgreen\x1b[0m\nC1 too: \xc2\x9d0;title \r\nclean again\nan ESC in the string starts a new sequence: \x1b]0;title \x1b[1m more\n";
    assert_snapshot!(decolorize(input), @r"
    before
    next line is clean green
    C1 too: \r
    clean again
    an ESC in the string starts a new sequence:  more
    ");
}

#[test]
fn terminators_empty_lines_and_no_final_newline() {
    let input = b"\x1b[32mok\x1b[0m\r\n\r\n\n\x1b[0m\n\x1b[31mlast, no newline\x1b[0m";
    let out = transform(&["-p", "decolorize"], input);
    assert_eq!(out, b"ok\r\n\r\n\n\nlast, no newline");
}

#[test]
fn lines_without_escapes_pass_byte_for_byte() {
    for name in ["java_stacktrace.log", "odd_bytes.log", "nginx_access.log"] {
        let input = std::fs::read(crate::util::fixture(name)).unwrap();
        assert!(transform(&["-p", "decolorize"], &input) == input, "{name}");
    }
}

/// `text` with `seq` inserted at byte `at`.
fn with_at(text: &[u8], at: usize, seq: &[u8]) -> Vec<u8> {
    [&text[..at], seq, &text[at..]].concat()
}

#[test]
fn a_sequence_cut_between_pieces_is_removed_whole() {
    // Pieces of 48 bytes (64-byte cap, 16-byte overlap): put each sequence at every offset
    // around the cuts at 48 and 96, one line each.
    let text: Vec<u8> = (0..200u8).map(|i| b'a' + i % 26).collect();
    let sequences: [&[u8]; 6] = [
        b"\x1b[38;5;208m",
        b"\x1b]8;;https://example.com/a/long/path\x1b\\",
        b"\x1b]0;title\x07",
        b"\xc2\x9b1;32m",
        b"\x1b(B",
        b"\x1b7",
    ];
    let mut input = Vec::new();
    let mut expected = Vec::new();
    for seq in sequences {
        for at in (30..50).chain(80..98) {
            input.extend(with_at(&text, at, seq));
            input.push(b'\n');
            expected.extend(&text);
            expected.push(b'\n');
        }
    }
    let mut args = PIECES.to_vec();
    args.extend(["-p", "decolorize"]);
    let out = transform(&args, &input);
    for (i, (got, want)) in out
        .split(|&b| b == b'\n')
        .zip(expected.split(|&b| b == b'\n'))
        .enumerate()
    {
        assert_eq!(show_controls(got), show_controls(want), "line {i}");
    }
    assert!(out == expected);
}

#[test]
fn pieces_holding_only_a_sequence_become_empty() {
    // A hyperlink whose URL spans several whole pieces, then text; a C2 byte ending a piece
    // (byte 47) followed by 0x9B is a C1 CSI, followed by 0xA9 it is `©`.
    let url = "x".repeat(150);
    let mut input =
        format!("see \x1b]8;;https://example.com/{url}\x1b\\the docs\x1b]8;;\x1b\\ now\n")
            .into_bytes();
    let mut c1 = vec![b'.'; 47];
    c1.extend_from_slice(b"\xc2\x9b1mbold\xc2\x9b0m after");
    c1.extend_from_slice(&[b'.'; 60]);
    c1.push(b'\n');
    input.extend(&c1);
    let mut copyright = vec![b'.'; 47];
    copyright.extend_from_slice("\u{a9} 2024 ".as_bytes());
    copyright.extend_from_slice(&[b'.'; 60]);
    copyright.push(b'\n');
    input.extend(&copyright);
    let mut args = PIECES.to_vec();
    args.extend(["-p", "decolorize"]);
    let out = transform(&args, &input);
    let expected = [
        &b"see the docs now\n"[..],
        &[&[b'.'; 47][..], b"bold after", &[b'.'; 60], b"\n"].concat(),
        &copyright,
    ]
    .concat();
    assert_eq!(show_controls(&out), show_controls(&expected));
}

#[test]
fn an_unterminated_string_in_an_over_long_line_ends_with_it() {
    let mut input = b"start \x1b]0;".to_vec();
    input.extend_from_slice(&[b't'; 300]);
    input.extend_from_slice(b"\nnext \x1b[1mline\x1b[0m\n");
    let mut args = PIECES.to_vec();
    args.extend(["-p", "decolorize"]);
    assert_eq!(
        show_controls(&transform(&args, &input)),
        "start \nnext line\n"
    );
}

#[test]
fn any_key_is_a_config_error() {
    assert_eq!(
        run(&["-p", r#"decolorize={"mode": "all"}"#], b"").fails(2),
        "sluice: stage 1 (decolorize): config key `mode`: unknown key; this plugin takes no configuration"
    );
    // An empty object is no configuration.
    assert_eq!(transform(&["-p", "decolorize={}"], b"\x1b[1mx\n"), b"x\n");
}
