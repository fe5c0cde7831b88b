//! The escape-sequence stripper: a byte-level state machine after ECMA-48 (the grammar that
//! terminals, and parsers such as `vte`, implement), which copies text through byte for byte
//! and drops the sequences.
//!
//! What is removed:
//!
//! - control sequences, CSI: `ESC [`, then parameter bytes (`0x30`–`0x3F`) and intermediate
//!   bytes (`0x20`–`0x2F`), then a final byte (`0x40`–`0x7E`): colours (`ESC[1;31m`), cursor
//!   moves, erases;
//! - control strings: OSC (`ESC ]`, window titles, `ESC]8;;url` hyperlinks), DCS (`ESC P`),
//!   SOS (`ESC X`), PM (`ESC ^`) and APC (`ESC _`), up to BEL (`0x07`) or ST (`ESC \`);
//! - other escapes: `ESC` + intermediates + a final byte (`ESC ( B`), and two-byte ones
//!   (`ESC 7`, `ESC =`, `ESC M`);
//! - the same introducers in their 8-bit C1 form *as UTF-8 characters* — U+009B (CSI),
//!   U+009D (OSC), U+0090 (DCS), U+0098 (SOS), U+009E (PM), U+009F (APC), and U+009C (ST)
//!   ending a string — which some programs write and `strip-ansi` removes. Raw C1 *bytes*
//!   (`0x9B` alone) are left alone: in UTF-8 text they are continuation bytes (`Û` is
//!   `C3 9B`), and stripping them would corrupt characters.
//!
//! What a malformed sequence does: `ESC` followed by a byte that starts no sequence (a control
//! character, DEL, a non-ASCII byte) is dropped alone and the byte kept; CAN (`0x18`) or SUB
//! (`0x1A`) cancels a sequence (and is dropped with it); a non-ASCII byte inside a control
//! sequence ends it and is kept as text; `ESC` inside one starts a new sequence. A C0 control
//! inside a control sequence (a tab, a NUL) is kept, as a terminal would execute it, and DEL
//! there is dropped. A control string left open runs to the end of the line.
//!
//! The state survives the end of a piece of an over-long line, so a sequence cut by a piece
//! boundary is still removed whole; it is reset at the end of each complete line.

use memchr::{memchr2, memchr3};
use sluice_plugin_sdk::Sink;

const ESC: u8 = 0x1b;
/// The first byte of U+0080–U+00BF in UTF-8, among them the C1 controls.
const C2: u8 = 0xc2;

/// Where the stripper is between two bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum State {
    /// In text: bytes are copied.
    #[default]
    Text,
    /// In text, after a `0xC2` that ended a piece: held back until the next byte tells a C1
    /// introducer (dropped) from a character such as `©` (`C2 A9`, written out).
    TextC2,
    /// After `ESC`.
    Escape,
    /// After `ESC` and intermediate bytes (`0x20`–`0x2F`).
    EscapeIntermediate,
    /// Inside a control sequence, before its final byte.
    Csi,
    /// Inside a control string, before BEL or ST.
    String,
    /// After `ESC` inside a control string: `\` completes ST.
    StringEscape,
    /// After `0xC2` inside a control string: `0x9C` completes U+009C (ST).
    StringC2,
}

/// The state a C1 introducer (the byte after `0xC2`) opens, if `byte` is one.
#[inline]
fn c1(byte: u8) -> Option<State> {
    match byte {
        0x9b => Some(State::Csi),
        0x90 | 0x98 | 0x9d..=0x9f => Some(State::String),
        _ => None,
    }
}

/// Where in `text` stripping would first change something, starting in `state`; `None` when
/// `text` passes unchanged. `ends_line` is false for a partial piece, after which more of the
/// line follows (so a final `0xC2` must be held back).
pub fn first_change(state: State, text: &[u8], ends_line: bool) -> Option<usize> {
    if state != State::Text {
        return Some(0);
    }
    let mut from = 0;
    while let Some(found) = memchr2(ESC, C2, &text[from..]) {
        let at = from + found;
        if text[at] == ESC {
            return Some(at);
        }
        match text.get(at + 1) {
            None => return (!ends_line).then_some(at),
            Some(&next) if c1(next).is_some() => return Some(at),
            Some(_) => from = at + 1,
        }
    }
    None
}

/// Strips `text`, starting in `*state`, into `out`; leaves in `*state` where the text ended,
/// or [`State::Text`] when `ends_line` (a held `0xC2` is then written out, an open sequence
/// dropped).
pub fn strip(state: &mut State, text: &[u8], ends_line: bool, out: &mut impl Sink) {
    let mut i = 0;
    while i < text.len() {
        let byte = text[i];
        // Each arm either consumes `byte` (`i += 1`) or changes the state and leaves `byte`
        // to be read again in the new state.
        match *state {
            State::Text => match memchr2(ESC, C2, &text[i..]) {
                None => {
                    out.put(&text[i..]);
                    i = text.len();
                }
                Some(run) => {
                    out.put(&text[i..i + run]);
                    i += run;
                    if text[i] == ESC {
                        *state = State::Escape;
                    } else if let Some(next) = text.get(i + 1).and_then(|&b| c1(b)) {
                        *state = next;
                        i += 1;
                    } else if i + 1 == text.len() && !ends_line {
                        *state = State::TextC2;
                    } else {
                        out.put(&[C2]);
                    }
                    i += 1;
                }
            },
            State::TextC2 => match c1(byte) {
                Some(next) => {
                    *state = next;
                    i += 1;
                }
                None => {
                    out.put(&[C2]);
                    *state = State::Text;
                }
            },
            State::Escape => {
                *state = match byte {
                    b'[' => State::Csi,
                    b']' | b'P' | b'X' | b'^' | b'_' => State::String,
                    0x20..=0x2f => State::EscapeIntermediate,
                    0x30..=0x7e => State::Text,
                    ESC => State::Escape,
                    // A lone ESC: dropped; the byte is text.
                    _ => {
                        *state = State::Text;
                        continue;
                    }
                };
                i += 1;
            }
            State::EscapeIntermediate => {
                *state = match byte {
                    0x20..=0x2f => State::EscapeIntermediate,
                    0x30..=0x7e => State::Text,
                    ESC => State::Escape,
                    _ => {
                        *state = State::Text;
                        continue;
                    }
                };
                i += 1;
            }
            State::Csi => {
                match byte {
                    0x20..=0x3f | 0x7f => {}
                    0x40..=0x7e | 0x18 | 0x1a => *state = State::Text,
                    ESC => *state = State::Escape,
                    0x00..=0x1f => out.put(&[byte]),
                    // Not part of any sequence: the sequence ends, the byte is text.
                    _ => {
                        *state = State::Text;
                        continue;
                    }
                }
                i += 1;
            }
            State::String => {
                // Skip the string's body up to a byte that may end it.
                let body = &text[i..];
                let stop = memchr3(0x07, ESC, C2, body)
                    .into_iter()
                    .chain(body.iter().position(|&b| b == 0x18 || b == 0x1a))
                    .min();
                let Some(stop) = stop else {
                    i = text.len();
                    continue;
                };
                i += stop;
                *state = match text[i] {
                    ESC => State::StringEscape,
                    C2 => State::StringC2,
                    _ => State::Text,
                };
                i += 1;
            }
            State::StringEscape => {
                if byte == b'\\' {
                    *state = State::Text;
                    i += 1;
                } else {
                    // ESC ended the string and starts a new sequence.
                    *state = State::Escape;
                }
            }
            State::StringC2 => {
                if byte == 0x9c {
                    *state = State::Text;
                    i += 1;
                } else {
                    *state = State::String;
                }
            }
        }
    }
    if ends_line {
        if *state == State::TextC2 {
            out.put(&[C2]);
        }
        *state = State::Text;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stripped(text: &[u8]) -> Vec<u8> {
        let mut state = State::Text;
        let mut out = Vec::new();
        strip(&mut state, text, true, &mut out);
        out
    }

    #[test]
    fn sequences_of_every_kind() {
        let cases: [(&[u8], &[u8]); 14] = [
            (b"\x1b[0;32mgreen\x1b[0m", b"green"),
            (b"\x1b[38;5;196mred\x1b[39m", b"red"),
            (b"\x1b[38:2:255:0:0mrgb", b"rgb"),
            (b"a\x1b[2K\x1b[1Gb", b"ab"),
            (b"\x1b[?25lhidden cursor\x1b[?25h", b"hidden cursor"),
            (b"\x1b]0;title\x07text", b"text"),
            (
                b"\x1b]8;;https://example.com\x1b\\link\x1b]8;;\x1b\\",
                b"link",
            ),
            (b"\x1bPq#0;2;0;0;0\x1b\\after", b"after"),
            (b"\x1b_apc\x1b\\x\x1b^pm\x07y\x1bXsos\x1b\\z", b"xyz"),
            (b"\x1b(Bcharset\x1b)0", b"charset"),
            (b"\x1b7saved\x1b8\x1b=\x1bM", b"saved"),
            ("\u{9b}31mC1 csi\u{9b}0m".as_bytes(), b"C1 csi"),
            ("\u{9d}0;title\u{9c}after".as_bytes(), b"after"),
            ("\u{90}dcs\u{1b}\\ok ©".as_bytes(), "ok ©".as_bytes()),
        ];
        for (input, want) in cases {
            assert_eq!(
                stripped(input),
                want,
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn malformed_sequences() {
        let cases: [(&[u8], &[u8]); 10] = [
            (b"lone \x1b", b"lone "),
            (b"esc\x1b\tthen tab", b"esc\tthen tab"),
            (b"esc\x1b\x1b[1mdouble", b"escdouble"),
            (b"csi \x1b[31\xc3\xa9t\xc3\xa9", "csi été".as_bytes()),
            (b"cancel \x1b[31\x18x", b"cancel x"),
            (b"tab in \x1b[3\t1mcsi", b"tab in \tcsi"),
            (b"del \x1b[3\x7f1mok", b"del ok"),
            (b"open \x1b]0;title to the end", b"open "),
            (b"new \x1b]0;t\x1b[1mx", b"new x"),
            (b"\x1b[", b""),
        ];
        for (input, want) in cases {
            assert_eq!(
                stripped(input),
                want,
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn text_passes_byte_for_byte() {
        let texts: [&[u8]; 6] = [
            b"plain",
            "café ©2024 ±1° Û".as_bytes(),
            b"bad \xff\xfe\x9b\x9d bytes",
            b"trailing \xc2",
            b"nul\0 and \r and \x07 bell",
            b"",
        ];
        for text in texts {
            assert_eq!(first_change(State::Text, text, true), None);
            assert_eq!(stripped(text), text);
        }
        assert_eq!(first_change(State::Text, b"x\xc2", false), Some(1));
        assert_eq!(first_change(State::Text, b"ab\x1b[m", true), Some(2));
        assert_eq!(
            first_change(State::Text, "©\u{9b}m".as_bytes(), true),
            Some(2)
        );
        assert_eq!(first_change(State::Csi, b"plain", true), Some(0));
    }

    /// Every way of cutting a line into two pieces gives the same result as the whole line.
    #[test]
    fn sequences_cut_between_pieces() {
        let text = "a\u{1b}[1;31mred\u{1b}[0m ©\u{9b}1m\u{1b}]8;;http://x\u{1b}\\l\u{1b}]0;t\u{9c}\u{1b}(B\u{1b}7 é";
        let line = &[text.as_bytes(), b"\xc2"].concat()[..];
        let whole = stripped(line);
        assert_eq!(whole, [&b"ared \xc2\xa9l \xc3\xa9"[..], b"\xc2"].concat());
        for cut in 0..=line.len() {
            for second in cut..=line.len() {
                let mut state = State::Text;
                let mut out = Vec::new();
                strip(&mut state, &line[..cut], false, &mut out);
                strip(&mut state, &line[cut..second], false, &mut out);
                strip(&mut state, &line[second..], true, &mut out);
                assert_eq!(out, whole, "cuts at {cut} and {second}");
                assert_eq!(state, State::Text);
            }
        }
    }
}
