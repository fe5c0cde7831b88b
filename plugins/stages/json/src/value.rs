//! Turning a scanned value into a field value: strings unescaped, numbers and booleans as their
//! JSON text, `null` as the empty string, objects and arrays as compact JSON text.

use crate::scan::{Kind, Span};

/// The field value of `span` in `doc`: borrowed from the document when it can be, else written
/// into `scratch`.
pub(crate) fn field_value<'a>(doc: &'a [u8], span: Span, scratch: &'a mut Vec<u8>) -> &'a [u8] {
    let raw = span.of(doc);
    match span.kind {
        Kind::String { escaped: false } | Kind::Literal => raw,
        Kind::Null => b"",
        Kind::String { escaped: true } => {
            scratch.clear();
            unescape(raw, scratch);
            scratch
        }
        Kind::Container => {
            scratch.clear();
            compact(raw, scratch);
            scratch
        }
    }
}

/// Appends the unescaped contents of a JSON string (without its quotes) to `out`. Returns false
/// at an invalid escape (what came before it is appended). A `\u` escape of a lone surrogate
/// becomes U+FFFD, as in Go and JavaScript. Bytes that are not UTF-8 are copied as they are.
pub(crate) fn unescape(raw: &[u8], out: &mut Vec<u8>) -> bool {
    let mut i = 0;
    while i < raw.len() {
        let run = raw[i..]
            .iter()
            .position(|&b| b == b'\\')
            .map_or(raw.len(), |n| i + n);
        out.extend_from_slice(&raw[i..run]);
        i = run;
        if i == raw.len() {
            break;
        }
        let Some(&e) = raw.get(i + 1) else {
            return false;
        };
        i += 2;
        let byte = match e {
            b'"' => b'"',
            b'\\' => b'\\',
            b'/' => b'/',
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => {
                let Some(unit) = hex4(raw, i) else {
                    return false;
                };
                i += 4;
                let c = if (0xd800..0xdc00).contains(&unit) {
                    // A high surrogate: a low one must follow to make a character.
                    match (raw.get(i..i + 2), hex4(raw, i + 2)) {
                        (Some(b"\\u"), Some(low)) if (0xdc00..0xe000).contains(&low) => {
                            i += 6;
                            let c = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
                            char::from_u32(c).unwrap_or('\u{fffd}')
                        }
                        _ => '\u{fffd}',
                    }
                } else {
                    char::from_u32(unit).unwrap_or('\u{fffd}')
                };
                let mut utf8 = [0; 4];
                out.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
                continue;
            }
            _ => return false,
        };
        out.push(byte);
    }
    true
}

/// The 4 hex digits at `raw[at..]` as a number.
fn hex4(raw: &[u8], at: usize) -> Option<u32> {
    let digits = raw.get(at..at + 4)?;
    digits.iter().try_fold(0u32, |n, &b| {
        let d = (b as char).to_digit(16)?;
        Some(n * 16 + d)
    })
}

/// Appends a scanned object or array to `out` without the whitespace between tokens; strings
/// are copied as written (still escaped).
pub(crate) fn compact(raw: &[u8], out: &mut Vec<u8>) {
    let mut in_string = false;
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if in_string {
            out.push(b);
            match b {
                b'\\' => {
                    if let Some(&next) = raw.get(i + 1) {
                        out.push(next);
                    }
                    i += 1;
                }
                b'"' => in_string = false,
                _ => {}
            }
        } else {
            match b {
                b' ' | b'\t' | b'\n' | b'\r' => {}
                b'"' => {
                    in_string = true;
                    out.push(b);
                }
                _ => out.push(b),
            }
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unescaped(raw: &str) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        unescape(raw.as_bytes(), &mut out).then_some(out)
    }

    #[test]
    fn unescapes_json_strings() {
        assert_eq!(unescaped(r#"a\"b\\c\/d"#).unwrap(), b"a\"b\\c/d");
        assert_eq!(unescaped(r"\b\f\n\r\t").unwrap(), b"\x08\x0c\n\r\t");
        assert_eq!(unescaped(r"caf\u00e9 \u20AC").unwrap(), "café €".as_bytes());
        assert_eq!(unescaped(r"\ud83d\ude00!").unwrap(), "😀!".as_bytes());
        assert_eq!(unescaped(r"\u0000").unwrap(), b"\0");
        // Lone surrogates become U+FFFD.
        assert_eq!(unescaped(r"\ud83d x").unwrap(), "\u{fffd} x".as_bytes());
        assert_eq!(unescaped(r"\ude00").unwrap(), "\u{fffd}".as_bytes());
        assert_eq!(unescaped(r"\ud83d\u0041").unwrap(), "\u{fffd}A".as_bytes());
        assert_eq!(unescaped(r"\x"), None);
        assert_eq!(unescaped(r"\u12"), None);
        assert_eq!(unescaped("\\"), None);
        let mut out = Vec::new();
        assert!(unescape(b"\xff\\n\xfe", &mut out));
        assert_eq!(out, b"\xff\n\xfe");
    }

    #[test]
    fn compacts_containers() {
        let mut out = Vec::new();
        compact(br#"{ "a b" : [ 1 , "x\" y" ,{ } ] ,"c":"\\" }"#, &mut out);
        assert_eq!(out, br#"{"a b":[1,"x\" y",{}],"c":"\\"}"#);
    }
}
