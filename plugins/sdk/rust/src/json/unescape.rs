//! Decoding the contents of a JSON string (the span [`crate::json::Scanner::string`] returns,
//! or a logfmt quoted value, whose escapes are JSON's) into its bytes.

use crate::Sink;

/// Appends the unescaped contents of a JSON string (without its quotes) to `out`; returns
/// whether every backslash started a valid escape (always, on contents the scanner accepted).
///
/// The escapes are JSON's: `\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t` and `\uXXXX`, where
/// a high surrogate followed by the `\u` escape of a low one makes one character. A lone
/// surrogate becomes U+FFFD, as in Go and JavaScript. Bytes that are not UTF-8 are copied as
/// they are. On contents the scanner accepted that is all; on other text (logfmt is lenient) a
/// backslash that starts no valid escape is kept as it is, with what follows it.
pub fn unescape(raw: &[u8], out: &mut impl Sink) -> bool {
    let mut valid = true;
    let mut i = 0;
    while i < raw.len() {
        let run = memchr::memchr(b'\\', &raw[i..]).map_or(raw.len(), |n| i + n);
        out.put(&raw[i..run]);
        i = run;
        if i == raw.len() {
            break;
        }
        let byte = match raw.get(i + 1) {
            Some(b'"') => b'"',
            Some(b'\\') => b'\\',
            Some(b'/') => b'/',
            Some(b'b') => 0x08,
            Some(b'f') => 0x0c,
            Some(b'n') => b'\n',
            Some(b'r') => b'\r',
            Some(b't') => b'\t',
            Some(b'u') if hex4(raw, i + 2).is_some() => {
                let (c, len) = unicode_escape(raw, i);
                let mut utf8 = [0; 4];
                out.put(c.encode_utf8(&mut utf8).as_bytes());
                i += len;
                continue;
            }
            _ => {
                out.put_byte(b'\\');
                valid = false;
                i += 1;
                continue;
            }
        };
        out.put_byte(byte);
        i += 2;
    }
    valid
}

/// The character of the `\uXXXX` escape at `raw[at..]` (followed by a low surrogate's escape
/// when it is a high surrogate), and how many bytes it took.
fn unicode_escape(raw: &[u8], at: usize) -> (char, usize) {
    let unit = hex4(raw, at + 2).unwrap_or(0xfffd);
    if (0xd800..0xdc00).contains(&unit)
        && raw.get(at + 6..at + 8) == Some(b"\\u")
        && let Some(low @ 0xdc00..0xe000) = hex4(raw, at + 8)
    {
        let c = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
        return (char::from_u32(c).unwrap_or('\u{fffd}'), 12);
    }
    (char::from_u32(unit).unwrap_or('\u{fffd}'), 6)
}

/// The 4 hex digits at `raw[at..]` as a number.
fn hex4(raw: &[u8], at: usize) -> Option<u32> {
    raw.get(at..at + 4)?.iter().try_fold(0u32, |n, &b| {
        let d = (b as char).to_digit(16)?;
        Some(n * 16 + d)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unescaped(raw: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        unescape(raw, &mut out);
        out
    }

    #[test]
    fn every_json_escape() {
        assert_eq!(unescaped(br#"a\"b\\c\/d"#), b"a\"b\\c/d");
        assert_eq!(unescaped(br"\b\f\n\r\t"), b"\x08\x0c\n\r\t");
        assert_eq!(unescaped(br"caf\u00e9 \u20AC"), "café €".as_bytes());
        assert_eq!(unescaped(br"\u0000"), b"\0");
        assert_eq!(unescaped(b""), b"");
    }

    #[test]
    fn surrogate_pairs_make_one_character_and_lone_ones_u_fffd() {
        assert_eq!(unescaped(br"\ud83d\ude00!"), "😀!".as_bytes());
        assert_eq!(unescaped(br"\ud83d x"), "\u{fffd} x".as_bytes());
        assert_eq!(unescaped(br"\ude00"), "\u{fffd}".as_bytes());
        assert_eq!(unescaped(br"\ud83d\u0041"), "\u{fffd}A".as_bytes());
        assert_eq!(unescaped(br"\ud800\ud800"), "\u{fffd}\u{fffd}".as_bytes());
    }

    #[test]
    fn bytes_that_are_not_utf8_are_copied() {
        assert_eq!(unescaped(b"\xff\\n\xfe"), b"\xff\n\xfe");
    }

    #[test]
    fn a_backslash_that_starts_no_escape_is_kept() {
        assert_eq!(unescaped(br"\x \u12 end\"), br"\x \u12 end\");
        assert_eq!(unescaped(b"\\"), b"\\");
        assert_eq!(
            String::from_utf8(unescaped(
                br#"a\"b\\c\/d\n\t\u00e9\ud83d\ude00 \x \ud800 end\"#
            )),
            Ok("a\"b\\c/d\n\té😀 \\x \u{fffd} end\\".to_owned())
        );
    }

    #[test]
    fn says_whether_every_escape_was_valid() {
        let valid = |raw: &[u8]| unescape(raw, &mut Vec::new());
        assert!(valid(br#"a\"b\\c\/\b\f\n\r\t\u00e9\ud800 plain"#));
        assert!(valid(b""));
        assert!(!valid(br"\x"));
        assert!(!valid(br"ok \u12"));
        assert!(!valid(b"end\\"));
    }

    #[test]
    fn a_line_buffer_gets_the_same_bytes() {
        let raw = br#"GET /a \"b\" \\ 200\n"#;
        let mut line = Vec::new();
        crate::testing::write_line(&mut line, |buf| unescape(raw, buf));
        assert_eq!(line, unescaped(raw));
    }
}
