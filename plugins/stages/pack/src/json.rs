//! Writing bytes as the content of a JSON string, so that the output is always valid JSON and
//! no byte is lost.
//!
//! `"` and `\` are escaped, so are control characters (`\n`, `\r`, `\t`, `\b`, `\f`, others as
//! `\u00XX`); valid UTF-8 passes through as it is. Each byte that is not part of valid UTF-8 is
//! written as the four characters `\xNN` (as Python's `backslashreplace` does), that is `\\xNN`
//! in the JSON source, so the decoded string shows the byte and the output stays valid JSON.
//!
//! An over-long line arrives in pieces, and a cut may fall inside a multi-byte character:
//! [`PieceEscaper`] carries the (at most 3) bytes of such an incomplete character over to the
//! next piece, so the character is written whole.

use sluice_plugin_sdk::LineBuf;

/// Whether a byte must be escaped inside a JSON string.
const fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Writes `bytes` escaped. When `at_end` is false, an incomplete UTF-8 sequence at the very end
/// is not written: its length is returned, for the caller to carry over. When `at_end` is true
/// everything is written and 0 is returned.
pub(crate) fn escape(bytes: &[u8], at_end: bool, out: &mut LineBuf<'_>) -> usize {
    // Most log text is ASCII: escape it in the same pass that checks it, and validate only
    // what follows the first non-ASCII byte (`from_utf8` reads 4 bytes at a time in wasm32).
    let ascii = escape_text::<true>(bytes, out);
    let mut rest = &bytes[ascii..];
    if rest.is_empty() {
        return 0;
    }
    loop {
        match std::str::from_utf8(rest) {
            Ok(_) => {
                escape_utf8(rest, out);
                return 0;
            }
            Err(e) => {
                let valid = e.valid_up_to();
                escape_utf8(&rest[..valid], out);
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

/// Writes a byte that is not valid UTF-8 as `\\xNN`.
fn escape_byte(b: u8, out: &mut LineBuf<'_>) {
    out.extend_from_slice(&[
        b'\\',
        b'\\',
        b'x',
        HEX[(b >> 4) as usize],
        HEX[(b & 15) as usize],
    ]);
}

/// The lanes of `w` that hold a zero byte: bit 7 of each such lane is set, no other bit.
#[inline(always)]
fn zero_lanes(w: u64) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    !(((w & LOW7) + LOW7) | w | LOW7)
}

/// The lanes of `w` (8 bytes, little-endian) that must be escaped: a control byte (< 0x20), `"`
/// or `\`. Bit 7 of each such lane is set, no other bit.
#[inline(always)]
fn escape_lanes(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    zero_lanes(w & (ONES * 0xe0))
        | zero_lanes(w ^ (ONES * b'"' as u64))
        | zero_lanes(w ^ (ONES * b'\\' as u64))
}

/// Writes valid UTF-8, escaping quotes, backslashes and control characters.
///
/// Eight bytes at a time, gathered in a small buffer on the stack: each word is stored whole,
/// and only the bytes that need escaping are handled one by one (found with bit tricks on the
/// word), so a JSON log line, with a quote every few bytes, costs a few operations per quote
/// rather than per byte. The buffer is appended to the line when full: appending each short run
/// between two quotes on its own would cost a `memcpy` call per run.
fn escape_utf8(text: &[u8], out: &mut LineBuf<'_>) {
    escape_text::<false>(text, out);
}

/// Escapes `text` as [`escape_utf8`] does. With `ASCII`, stops before the first word (of 8
/// bytes, or before the first byte in the last 7) holding a byte that is not ASCII; returns the
/// number of bytes written, all of `text` without `ASCII`.
#[inline(always)]
fn escape_text<const ASCII: bool>(text: &[u8], out: &mut LineBuf<'_>) -> usize {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut done = 0;
    // Room for the worst case: every byte as `\u00XX`, plus what a store may write past the
    // end. Before the word at `i`, at most `6 * i` bytes were written; within it, after `j` of
    // its bytes, at most `6 * (i + j)`, and a store (of the word's rest, or of an escape) ends
    // at most 8 bytes further: never past `6 * len + 8`.
    let room = text.len() * 6 + 8;
    // SAFETY: every byte counted in the returned length was written through `dst`, and every
    // write stays within `room` bytes (see above).
    unsafe {
        out.append_uninit(room, |buf| {
            let dst = buf.as_mut_ptr().cast::<u8>();
            let mut n = 0;
            let mut words = text.chunks_exact(8);
            for word in words.by_ref() {
                let mut w = u64::from_le_bytes(word.try_into().unwrap());
                if ASCII && w & HIGH != 0 {
                    return n;
                }
                done += 8;
                let mut lanes = escape_lanes(w);
                let mut left = 8;
                while lanes != 0 {
                    let k = (lanes.trailing_zeros() / 8) as usize;
                    // The bytes before the one to escape, then the escape over the rest.
                    dst.add(n)
                        .cast::<[u8; 8]>()
                        .write_unaligned(w.to_le_bytes());
                    n += k;
                    n += escape_to(dst.add(n), (w >> (8 * k)) as u8);
                    // Shifts by `8 * (k + 1)`, up to 64 (giving 0), without a branch.
                    let used = 8 * k as u32 + 7;
                    w = (w >> used) >> 1;
                    lanes = (lanes >> used) >> 1;
                    left -= k + 1;
                }
                dst.add(n)
                    .cast::<[u8; 8]>()
                    .write_unaligned(w.to_le_bytes());
                n += left;
            }
            for &b in words.remainder() {
                if ASCII && b >= 0x80 {
                    break;
                }
                n += escape_to(dst.add(n), b);
                done += 1;
            }
            n
        });
    }
    done
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
                0x08 => b'b',
                0x0c => b'f',
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

/// Escapes the pieces of one over-long line, carrying an incomplete character across cuts.
#[derive(Debug, Default)]
pub(crate) struct PieceEscaper {
    /// The first bytes (at most 3) of a character that the previous piece cut.
    carry: Vec<u8>,
}

impl PieceEscaper {
    /// Writes one piece; `last` is true for the line's last piece.
    pub fn piece(&mut self, piece: &[u8], last: bool, out: &mut LineBuf<'_>) {
        let mut rest = piece;
        if !self.carry.is_empty() {
            // Finish the cut character with the piece's first bytes.
            let head = piece.len().min(3);
            let mut joined = std::mem::take(&mut self.carry);
            joined.extend_from_slice(&piece[..head]);
            let tail = escape(&joined, last && head == piece.len(), out);
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
        let tail = escape(rest, last, out);
        self.carry.extend_from_slice(&rest[rest.len() - tail..]);
    }

    /// Whether bytes of a cut character are waiting for the next piece.
    #[cfg(test)]
    fn has_carry(&self) -> bool {
        !self.carry.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_plugin_sdk::testing::write_line;

    fn escaped(bytes: &[u8]) -> String {
        let mut out = Vec::new();
        write_line(&mut out, |buf| escape(bytes, true, buf));
        String::from_utf8(out).unwrap()
    }

    fn decoded(bytes: &[u8]) -> String {
        let json = format!("\"{}\"", escaped(bytes));
        serde_json::from_str(&json).unwrap()
    }

    /// The reference for [`ESCAPED`]: writes byte `b` of valid UTF-8 into `dst`, escaped when it must be; returns the length.
    fn escape_into(b: u8, dst: &mut [u8]) -> usize {
        if !needs_escape(b) {
            dst[0] = b;
            return 1;
        }
        dst[0] = b'\\';
        let short = match b {
            b'"' | b'\\' => b,
            b'\n' => b'n',
            b'\r' => b'r',
            b'\t' => b't',
            0x08 => b'b',
            0x0c => b'f',
            _ => {
                dst[1..6].copy_from_slice(&[
                    b'u',
                    b'0',
                    b'0',
                    HEX[(b >> 4) as usize],
                    HEX[(b & 15) as usize],
                ]);
                return 6;
            }
        };
        dst[1] = short;
        2
    }

    /// The same text as a plain reference, on random bytes of every length and alignment.
    #[test]
    fn agrees_with_a_reference_on_random_bytes() {
        fn reference(bytes: &[u8]) -> String {
            let mut out = String::new();
            for chunk in bytes.utf8_chunks() {
                for c in chunk.valid().chars() {
                    match c {
                        '"' => out.push_str("\\\""),
                        '\\' => out.push_str("\\\\"),
                        '\n' => out.push_str("\\n"),
                        '\r' => out.push_str("\\r"),
                        '\t' => out.push_str("\\t"),
                        '\x08' => out.push_str("\\b"),
                        '\x0c' => out.push_str("\\f"),
                        c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                        c => out.push(c),
                    }
                }
                for b in chunk.invalid() {
                    out.push_str(&format!("\\\\x{b:02x}"));
                }
            }
            out
        }
        let alphabet: [&[u8]; 10] = [
            b"a",
            b"0123456789abcdef",
            b"\"",
            b"\\",
            b"\n",
            b"\x01",
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
            assert_eq!(escaped(&bytes), reference(&bytes), "{bytes:?}");
        }
    }

    #[test]
    fn escape_table_is_exact() {
        for b in 0..=255u8 {
            let mut expected = [0u8; 6];
            let len = escape_into(b, &mut expected);
            let mut got = [0u8; 8];
            // SAFETY: `got` has room for 8 bytes.
            let n = unsafe { escape_to(got.as_mut_ptr(), b) };
            assert_eq!(&got[..n], &expected[..len], "byte {b:#x}");
        }
    }

    #[test]
    fn escape_lanes_are_exact() {
        for b in 0..=255u8 {
            for other in [b'a', 0, b'"', 0xff, 0x80] {
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
    fn long_text_with_escapes_everywhere() {
        let text = "0123456789\"abcdefghijklmnop\\qrstuvw\txyz é 😀 0123456789abcdef\n";
        let expected = text
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\t', "\\t")
            .replace('\n', "\\n");
        assert_eq!(escaped(text.as_bytes()), expected);
    }

    #[test]
    fn escapes_json_specials() {
        assert_eq!(escaped(b"plain"), "plain");
        assert_eq!(escaped(b"a\"b\\c"), r#"a\"b\\c"#);
        assert_eq!(escaped(b"\n\r\t\x08\x0c"), r"\n\r\t\b\f");
        assert_eq!(escaped(b"\x00\x1f\x7f"), "\\u0000\\u001f\x7f");
        assert_eq!(escaped("café ☕ 😀".as_bytes()), "café ☕ 😀");
    }

    #[test]
    fn invalid_utf8_bytes_become_backslash_x() {
        assert_eq!(escaped(b"a\xffb"), r"a\\xffb");
        assert_eq!(decoded(b"a\xffb"), r"a\xffb");
        assert_eq!(escaped(b"\xc3\x28"), r"\\xc3(");
        // A truncated sequence at the end of a line.
        assert_eq!(escaped(b"x\xe2\x82"), r"x\\xe2\\x82");
        assert_eq!(decoded(b"\xed\xa0\x80"), r"\xed\xa0\x80");
    }

    #[test]
    fn incomplete_tail_is_returned_when_not_at_end() {
        let mut out = Vec::new();
        let tail = write_line(&mut out, |buf| escape(b"ab\xe2\x82", false, buf));
        assert_eq!(tail, 2);
        assert_eq!(out, b"ab");
    }

    /// Every way of cutting a line into pieces gives the same escaped text as no cut.
    #[test]
    fn pieces_give_the_same_result_as_the_whole_line() {
        let line = "a€b😀\"\\\n"
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
                write_line(&mut out, |buf| {
                    e.piece(&line[..first], false, buf);
                    e.piece(&line[first..second], false, buf);
                    e.piece(&line[second..], true, buf);
                });
                assert!(!e.has_carry());
                assert_eq!(
                    String::from_utf8(out).unwrap(),
                    whole,
                    "cuts at {first} and {second}"
                );
            }
        }
    }
}
