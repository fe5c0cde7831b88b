//! Writing bytes as a JSON string, with exactly the host's escaping (`escape` in the host's
//! `format.rs`, behind `--output json`), so that a plugin's JSON and the host's agree byte for
//! byte:
//!
//! - `"` and `\` become `\"` and `\\`; `\n`, `\r` and `\t` become `\n`, `\r` and `\t`;
//! - every other byte 0x00–0x1F, and DEL (0x7F), becomes `\u00XX` (lowercase hex): `\b` and
//!   `\f` are never used;
//! - valid UTF-8 passes through as it is;
//! - each byte that is not part of valid UTF-8 becomes the four characters `\xNN` (as
//!   Python's `backslashreplace` writes it), that is `\\xNN` in the JSON source, so the decoded
//!   string shows the byte and the output stays valid JSON.
//!
//! The escaping is table-driven ([`ESCAPED`]) and runs eight bytes at a time: a word is stored
//! whole and only the bytes that need escaping, found with bit tricks on the word, are handled
//! one by one. Most log text is ASCII, so ASCII is escaped in the same pass that checks it,
//! and only what follows the first non-ASCII byte is validated as UTF-8.
//!
//! An over-long line arrives in pieces, and a cut may fall inside a multi-byte character:
//! [`PieceEscaper`] carries the (at most 3) bytes of such an incomplete character over to the
//! next piece, so the character is written whole.

use crate::Sink;

/// Writes `bytes` as a JSON string, quotes included.
#[inline]
pub fn write_string(bytes: &[u8], out: &mut impl Sink) {
    out.put_byte(b'"');
    escape(bytes, out);
    out.put_byte(b'"');
}

/// Writes `bytes` as the contents of a JSON string (without the quotes).
#[inline]
pub fn escape(bytes: &[u8], out: &mut impl Sink) {
    escape_until(bytes, true, out);
}

/// Writes `bytes` escaped. When `at_end` is false, an incomplete UTF-8 sequence at the very end
/// is not written: its length is returned, for the caller to carry over. When `at_end` is true
/// everything is written and 0 is returned.
fn escape_until(bytes: &[u8], at_end: bool, out: &mut impl Sink) -> usize {
    let ascii = escape_text::<true>(bytes, out);
    let mut rest = &bytes[ascii..];
    if rest.is_empty() {
        return 0;
    }
    loop {
        // `from_utf8` reads 4 bytes at a time in wasm32.
        match std::str::from_utf8(rest) {
            Ok(_) => {
                escape_text::<false>(rest, out);
                return 0;
            }
            Err(e) => {
                let valid = e.valid_up_to();
                escape_text::<false>(&rest[..valid], out);
                match e.error_len() {
                    Some(n) => {
                        for &b in &rest[valid..valid + n] {
                            escape_byte(b, out);
                        }
                        rest = &rest[valid + n..];
                    }
                    None if at_end => {
                        for &b in &rest[valid..] {
                            escape_byte(b, out);
                        }
                        return 0;
                    }
                    None => return rest.len() - valid,
                }
            }
        }
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Writes a byte that is not valid UTF-8 as `\\xNN`.
fn escape_byte(b: u8, out: &mut impl Sink) {
    out.put(&[
        b'\\',
        b'\\',
        b'x',
        HEX[(b >> 4) as usize],
        HEX[(b & 15) as usize],
    ]);
}

/// Whether a byte of valid UTF-8 must be escaped inside a JSON string.
const fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\' || b == 0x7f
}

const ONES: u64 = 0x0101_0101_0101_0101;
const LOW7: u64 = ONES * 0x7f;
const HIGH: u64 = ONES * 0x80;

/// The lanes of `w` (8 bytes, little-endian) that [`needs_escape`]: a control byte (< 0x20),
/// `"`, `\` or DEL. Bit 7 of each such lane is set, no other bit.
#[inline(always)]
fn escape_lanes(w: u64) -> u64 {
    // A lane that is not ASCII is never flagged; the others are flagged as ASCII.
    !w & ascii_escape_lanes(w & LOW7)
}

/// [`escape_lanes`] of a word whose bytes are all ASCII (< 0x80).
///
/// Each sum stays within its lane (at most 0xFE) and its bit 7 answers a question about the
/// lane's byte `b`: `b + 0x01` ≥ 0x80 when `b` is DEL; `b + 0x60` ≥ 0x80 when `b` is not a
/// control byte; `(b ^ c) + 0x7F` ≥ 0x80 when `b` is not `c`.
#[inline(always)]
fn ascii_escape_lanes(w: u64) -> u64 {
    let del = w + ONES;
    let plain = (w + ONES * 0x60)
        & ((w ^ (ONES * b'"' as u64)) + LOW7)
        & ((w ^ (ONES * b'\\' as u64)) + LOW7);
    HIGH & (del | !plain)
}

/// Escapes valid UTF-8 `text` eight bytes at a time. With `ASCII`, stops before the first word
/// (of 8 bytes, or before the first byte in the last 7) holding a byte that is not ASCII;
/// returns the number of bytes of `text` written, all of it without `ASCII`.
#[inline(always)]
fn escape_text<const ASCII: bool>(text: &[u8], out: &mut impl Sink) -> usize {
    // Room for the worst case: every byte as `\u00XX`, plus what a store may write past the
    // end (see `escape_words`).
    let room = text.len() * 6 + 8;
    let mut done = 0;
    // SAFETY: `escape_words` initialises the bytes it counts, within `room` bytes, which the
    // room is checked to hold.
    unsafe {
        out.put_uninit(room, |buf| {
            assert!(buf.len() >= room, "a sink gave less room than asked");
            let (written, read) = escape_words::<ASCII>(text, buf.as_mut_ptr().cast::<u8>());
            done = read;
            written
        });
    }
    done
}

/// Writes `text` escaped at `dst`, as [`escape_text`] describes; returns (bytes written, bytes
/// of `text` read).
///
/// Each word is stored whole, then each byte of it that needs escaping (found with bit tricks
/// on the word, [`escape_lanes`]) is overwritten by its escape followed by the rest of the
/// word, so a JSON log line, with a quote every few bytes, costs a few operations per quote
/// rather than per byte. The loop keeps two pointers and nothing else across words, which
/// matters once the wasm is compiled: fewer live values, fewer spills.
///
/// # Safety
///
/// `dst` must be valid for writing `6 * text.len() + 8` bytes. A byte becomes at most 6, so the
/// output of byte `j` starts at most `6 * j` bytes into `dst`, and every write is of 8 bytes at
/// the output of a byte `j <= text.len()`: it never ends past `6 * text.len() + 8`.
#[inline(always)]
unsafe fn escape_words<const ASCII: bool>(text: &[u8], dst: *mut u8) -> (usize, usize) {
    let start = text.as_ptr();
    // SAFETY (pointer arithmetic, reads and writes): within `text`, or within the room for the
    // output as shown above.
    let end = unsafe { start.add(text.len()) };
    let words_end = unsafe { start.add(text.len() & !7) };
    // `from` is the next byte to read and `to` where its output goes; within a word, the
    // output of the byte `k` bytes on goes to `to + k`, `to` moving on as escapes grow.
    let mut from = start;
    let mut to = dst;
    let progress = |from: *const u8, to: *mut u8| unsafe {
        (
            to.offset_from(dst) as usize,
            from.offset_from(start) as usize,
        )
    };
    while from < words_end {
        let w = unsafe { from.cast::<u64>().read_unaligned() };
        if ASCII && w & HIGH != 0 {
            return progress(from, to);
        }
        let mut lanes = if ASCII {
            ascii_escape_lanes(w)
        } else {
            escape_lanes(w)
        };
        unsafe { store(to, w) };
        while lanes != 0 {
            let k = (lanes.trailing_zeros() / 8) as usize;
            let len = unsafe { escape_to(to.add(k), (w >> (8 * k)) as u8) };
            // The word's bytes after the escaped one; shifting by `8 * (k + 1)`, up to 64
            // (giving 0), without a branch.
            let used = 8 * k as u32 + 7;
            unsafe { store(to.add(k + len), (w >> used) >> 1) };
            to = unsafe { to.add(len - 1) };
            lanes &= lanes - 1;
        }
        from = unsafe { from.add(8) };
        to = unsafe { to.add(8) };
    }
    while from < end {
        let b = unsafe { *from };
        if ASCII && b >= 0x80 {
            break;
        }
        to = unsafe { to.add(escape_to(to, b)) };
        from = unsafe { from.add(1) };
    }
    progress(from, to)
}

/// Stores the 8 bytes of `w` at `dst`, unaligned.
///
/// # Safety
///
/// `dst` must be valid for writing 8 bytes.
#[inline(always)]
unsafe fn store(dst: *mut u8, w: u64) {
    // SAFETY: the caller guarantees room for 8 bytes.
    unsafe { dst.cast::<[u8; 8]>().write_unaligned(w.to_le_bytes()) };
}

/// Byte `b` of valid UTF-8 as written in a JSON string: its bytes (1 to 6) in the low bytes of
/// entry `b`, little-endian, and their number in the top byte.
static ESCAPED: [u64; 256] = {
    let mut table = [0u64; 256];
    let mut b = 0;
    while b < 256 {
        let mut bytes = [0u8; 8];
        let len: usize = if !needs_escape(b as u8) {
            bytes[0] = b as u8;
            1
        } else {
            bytes[0] = b'\\';
            let short = match b as u8 {
                b'"' | b'\\' => b as u8,
                b'\n' => b'n',
                b'\r' => b'r',
                b'\t' => b't',
                _ => 0,
            };
            if short != 0 {
                bytes[1] = short;
                2
            } else {
                bytes[1] = b'u';
                bytes[2] = b'0';
                bytes[3] = b'0';
                bytes[4] = HEX[b >> 4];
                bytes[5] = HEX[b & 15];
                6
            }
        };
        bytes[7] = len as u8;
        table[b] = u64::from_le_bytes(bytes);
        b += 1;
    }
    table
};

/// Writes byte `b` of valid UTF-8 at `dst`, escaped when it must be; returns the length.
///
/// # Safety
///
/// `dst` must be valid for writing 8 bytes (the ones past the length are garbage).
#[inline(always)]
unsafe fn escape_to(dst: *mut u8, b: u8) -> usize {
    let entry = ESCAPED[b as usize];
    // SAFETY: the caller guarantees room for 8 bytes.
    unsafe { dst.cast::<[u8; 8]>().write_unaligned(entry.to_le_bytes()) };
    (entry >> 56) as usize
}

/// Escapes the pieces of one over-long line (see `batch.partial` in the WIT), carrying a
/// character that a cut splits over to the next piece, so that the pieces' output joined is
/// the whole line's.
#[derive(Debug, Default)]
pub struct PieceEscaper {
    /// The first bytes (at most 3) of a character that the previous piece cut; empty between
    /// lines.
    carry: Vec<u8>,
}

impl PieceEscaper {
    /// Writes one piece as [`escape`] does; `last` is true for the line's last piece (the one
    /// not marked partial), which writes whatever is still carried.
    pub fn piece(&mut self, piece: &[u8], last: bool, out: &mut impl Sink) {
        let mut rest = piece;
        if !self.carry.is_empty() {
            // Finish the cut character with the piece's first bytes.
            let head = piece.len().min(3);
            let mut joined = std::mem::take(&mut self.carry);
            joined.extend_from_slice(&piece[..head]);
            let tail = escape_until(&joined, last && head == piece.len(), out);
            if tail > head {
                // The piece was too short to finish the character: carry it all on.
                let keep = joined.len() - tail;
                joined.drain(..keep);
                self.carry = joined;
                return;
            }
            rest = &piece[head - tail..];
            joined.clear();
            self.carry = joined;
        }
        let tail = escape_until(rest, last, out);
        self.carry.extend_from_slice(&rest[rest.len() - tail..]);
    }

    /// Whether bytes of a cut character are waiting for the next piece.
    pub fn is_carrying(&self) -> bool {
        !self.carry.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(bytes: &[u8]) -> String {
        let mut out = Vec::new();
        escape(bytes, &mut out);
        String::from_utf8(out).unwrap()
    }

    /// What each byte alone becomes, by the host's rules: a byte 0x80 and up alone is not
    /// UTF-8.
    #[rustfmt::skip]
    const ALL_BYTES: [&str; 256] = [
        "\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004", "\\u0005", "\\u0006", "\\u0007",
        "\\u0008", "\\t", "\\n", "\\u000b", "\\u000c", "\\r", "\\u000e", "\\u000f",
        "\\u0010", "\\u0011", "\\u0012", "\\u0013", "\\u0014", "\\u0015", "\\u0016", "\\u0017",
        "\\u0018", "\\u0019", "\\u001a", "\\u001b", "\\u001c", "\\u001d", "\\u001e", "\\u001f",
        " ", "!", "\\\"", "#", "$", "%", "&", "'",
        "(", ")", "*", "+", ",", "-", ".", "/",
        "0", "1", "2", "3", "4", "5", "6", "7",
        "8", "9", ":", ";", "<", "=", ">", "?",
        "@", "A", "B", "C", "D", "E", "F", "G",
        "H", "I", "J", "K", "L", "M", "N", "O",
        "P", "Q", "R", "S", "T", "U", "V", "W",
        "X", "Y", "Z", "[", "\\\\", "]", "^", "_",
        "`", "a", "b", "c", "d", "e", "f", "g",
        "h", "i", "j", "k", "l", "m", "n", "o",
        "p", "q", "r", "s", "t", "u", "v", "w",
        "x", "y", "z", "{", "|", "}", "~", "\\u007f",
        "\\\\x80", "\\\\x81", "\\\\x82", "\\\\x83", "\\\\x84", "\\\\x85", "\\\\x86", "\\\\x87",
        "\\\\x88", "\\\\x89", "\\\\x8a", "\\\\x8b", "\\\\x8c", "\\\\x8d", "\\\\x8e", "\\\\x8f",
        "\\\\x90", "\\\\x91", "\\\\x92", "\\\\x93", "\\\\x94", "\\\\x95", "\\\\x96", "\\\\x97",
        "\\\\x98", "\\\\x99", "\\\\x9a", "\\\\x9b", "\\\\x9c", "\\\\x9d", "\\\\x9e", "\\\\x9f",
        "\\\\xa0", "\\\\xa1", "\\\\xa2", "\\\\xa3", "\\\\xa4", "\\\\xa5", "\\\\xa6", "\\\\xa7",
        "\\\\xa8", "\\\\xa9", "\\\\xaa", "\\\\xab", "\\\\xac", "\\\\xad", "\\\\xae", "\\\\xaf",
        "\\\\xb0", "\\\\xb1", "\\\\xb2", "\\\\xb3", "\\\\xb4", "\\\\xb5", "\\\\xb6", "\\\\xb7",
        "\\\\xb8", "\\\\xb9", "\\\\xba", "\\\\xbb", "\\\\xbc", "\\\\xbd", "\\\\xbe", "\\\\xbf",
        "\\\\xc0", "\\\\xc1", "\\\\xc2", "\\\\xc3", "\\\\xc4", "\\\\xc5", "\\\\xc6", "\\\\xc7",
        "\\\\xc8", "\\\\xc9", "\\\\xca", "\\\\xcb", "\\\\xcc", "\\\\xcd", "\\\\xce", "\\\\xcf",
        "\\\\xd0", "\\\\xd1", "\\\\xd2", "\\\\xd3", "\\\\xd4", "\\\\xd5", "\\\\xd6", "\\\\xd7",
        "\\\\xd8", "\\\\xd9", "\\\\xda", "\\\\xdb", "\\\\xdc", "\\\\xdd", "\\\\xde", "\\\\xdf",
        "\\\\xe0", "\\\\xe1", "\\\\xe2", "\\\\xe3", "\\\\xe4", "\\\\xe5", "\\\\xe6", "\\\\xe7",
        "\\\\xe8", "\\\\xe9", "\\\\xea", "\\\\xeb", "\\\\xec", "\\\\xed", "\\\\xee", "\\\\xef",
        "\\\\xf0", "\\\\xf1", "\\\\xf2", "\\\\xf3", "\\\\xf4", "\\\\xf5", "\\\\xf6", "\\\\xf7",
        "\\\\xf8", "\\\\xf9", "\\\\xfa", "\\\\xfb", "\\\\xfc", "\\\\xfd", "\\\\xfe", "\\\\xff",
    ];

    /// Every byte value, alone, in a word of ASCII, and at every position of a word.
    #[test]
    fn every_byte_is_escaped_as_the_host_does() {
        for b in 0..=255u8 {
            let want = ALL_BYTES[b as usize];
            assert_eq!(escaped(&[b]), want, "byte {b:#04x}");
            for at in 0..17 {
                let mut text = vec![b'a'; 17];
                text[at] = b;
                let want = format!("{}{want}{}", "a".repeat(at), "a".repeat(16 - at));
                assert_eq!(escaped(&text), want, "byte {b:#04x} at {at}");
            }
        }
    }

    #[test]
    fn multi_byte_characters_are_kept() {
        for text in [
            "é",
            "€",
            "😀",
            "\u{80}\u{9f}",
            "\u{2028}",
            "\u{10ffff}",
            "caf\u{e9} ☕",
        ] {
            assert_eq!(escaped(text.as_bytes()), text);
        }
        assert_eq!(escaped("\"é\"\n😀\x7f".as_bytes()), "\\\"é\\\"\\n😀\\u007f");
    }

    #[test]
    fn invalid_sequences_become_backslash_x_bytes() {
        for (bytes, want) in [
            (&b"\xc3\x28"[..], r"\\xc3("),  // a lead byte without continuation
            (b"x\xe2\x82", r"x\\xe2\\x82"), // truncated at the end
            (b"\xed\xa0\x80", r"\\xed\\xa0\\x80"), // an encoded surrogate
            (b"\xc0\xaf", r"\\xc0\\xaf"),   // overlong
            (b"\xf4\x90\x80\x80", r"\\xf4\\x90\\x80\\x80"), // past U+10FFFF
            (b"\x80\xbf", r"\\x80\\xbf"),   // lone continuation bytes
            (b"\xe2\x82\xac\xe2\x82", r"€\\xe2\\x82"),
            (b"\xff\"", r#"\\xff\""#),
        ] {
            assert_eq!(escaped(bytes), want, "{bytes:x?}");
        }
    }

    /// A plain rendering of the host's rules, compared on random bytes of every length and
    /// alignment.
    #[test]
    fn agrees_with_the_host_rules_on_random_bytes() {
        fn host(bytes: &[u8]) -> String {
            let mut out = String::new();
            for chunk in bytes.utf8_chunks() {
                for c in chunk.valid().chars() {
                    match c {
                        '"' => out.push_str("\\\""),
                        '\\' => out.push_str("\\\\"),
                        '\n' => out.push_str("\\n"),
                        '\r' => out.push_str("\\r"),
                        '\t' => out.push_str("\\t"),
                        '\0'..='\x1f' | '\x7f' => out.push_str(&format!("\\u{:04x}", c as u32)),
                        c => out.push(c),
                    }
                }
                for b in chunk.invalid() {
                    out.push_str(&format!("\\\\x{b:02x}"));
                }
            }
            out
        }
        let alphabet: [&[u8]; 12] = [
            b"a",
            b"0123456789abcdef",
            b"\"",
            b"\\",
            b"\n",
            b"\x01",
            b"\x7f",
            b"\x08",
            b"\xc3\xa9",
            b"\xe2\x82",
            b"\xff",
            "😀".as_bytes(),
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..5000 {
            let mut bytes = Vec::new();
            for _ in 0..next() % 40 {
                bytes.extend_from_slice(alphabet[(next() % alphabet.len() as u64) as usize]);
            }
            assert_eq!(escaped(&bytes), host(&bytes), "{bytes:?}");
        }
    }

    #[test]
    fn ascii_escape_lanes_are_exact_on_ascii() {
        for b in 0..0x80u8 {
            for other in [b'a', 0, b'"', 0x7f, b'\\', 0x1f, 0x20] {
                for pos in 0..8 {
                    let mut word = [other; 8];
                    word[pos] = b;
                    let w = u64::from_le_bytes(word);
                    assert_eq!(ascii_escape_lanes(w), escape_lanes(w), "{word:?}");
                }
            }
        }
    }

    #[test]
    fn escape_lanes_are_exact() {
        for b in 0..=255u8 {
            for other in [b'a', 0, b'"', 0x7f, 0xff, 0x80] {
                for pos in 0..8 {
                    let mut word = [other; 8];
                    word[pos] = b;
                    let lanes = escape_lanes(u64::from_le_bytes(word));
                    for (i, &byte) in word.iter().enumerate() {
                        let flagged = lanes >> (8 * i) & 0xff;
                        let expected = if needs_escape(byte) { 0x80 } else { 0 };
                        assert_eq!(flagged, expected, "{word:?} lane {i}");
                    }
                }
            }
        }
    }

    #[test]
    fn strings_are_quoted_valid_json() {
        let mut out = Vec::new();
        write_string(
            b"a\"b\\c\n\r\t\x00\x08\x1f\x7f caf\xc3\xa9 \xff\xc3",
            &mut out,
        );
        assert_eq!(
            String::from_utf8(out.clone()).unwrap(),
            r#""a\"b\\c\n\r\t\u0000\u0008\u001f\u007f café \\xff\\xc3""#
        );
        let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(value, "a\"b\\c\n\r\t\u{0}\u{8}\u{1f}\u{7f} café \\xff\\xc3");
    }

    #[test]
    fn a_line_buffer_gets_the_same_bytes() {
        let text = b"0123456789\"abc\xff\xc3\xa9";
        let mut line = b"earlier".to_vec();
        crate::testing::write_line(&mut line, |buf| write_string(text, buf));
        let mut vec = b"earlier".to_vec();
        write_string(text, &mut vec);
        assert_eq!(line, vec);
    }

    #[test]
    fn incomplete_tail_is_returned_when_not_at_end() {
        let mut out = Vec::new();
        assert_eq!(escape_until(b"ab\xe2\x82", false, &mut out), 2);
        assert_eq!(out, b"ab");
    }

    /// Every way of cutting a line into three pieces gives the same text as no cut.
    #[test]
    fn pieces_give_the_same_result_as_the_whole_line() {
        let line = "a€b😀\"\\\n\x7f"
            .as_bytes()
            .iter()
            .chain(b"\xff\xe2\x82z\xf0\x9f")
            .copied()
            .collect::<Vec<u8>>();
        let whole = escaped(&line);
        for first in 0..=line.len() {
            for second in first..=line.len() {
                let mut e = PieceEscaper::default();
                let mut out = Vec::new();
                e.piece(&line[..first], false, &mut out);
                e.piece(&line[first..second], false, &mut out);
                e.piece(&line[second..], true, &mut out);
                assert!(!e.is_carrying());
                assert_eq!(
                    String::from_utf8(out).unwrap(),
                    whole,
                    "cuts at {first} and {second}"
                );
            }
        }
    }
}
