//! JSON text for plugins that write it (a report, a table row): strings that stay valid JSON
//! whatever the bytes, in the convention every built-in shares (`pack`, `outcome`,
//! `aggregate`, and the host's `--output json`): bytes that are not UTF-8 become the text
//! `\xNN`.

/// Writes `bytes` as a JSON string. Valid UTF-8 is kept (quotes, backslashes and control
/// characters escaped); each byte that is not valid UTF-8 becomes the text `\xNN` (written
/// `\\xNN`), as the `pack` stage does, so the output is always valid JSON.
pub fn write_string(bytes: &[u8], out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    for chunk in bytes.utf8_chunks() {
        for &b in chunk.valid().as_bytes() {
            match b {
                b'"' => out.extend_from_slice(b"\\\""),
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                b'\t' => out.extend_from_slice(b"\\t"),
                0..0x20 => {
                    out.extend_from_slice(b"\\u00");
                    out.push(HEX[(b >> 4) as usize]);
                    out.push(HEX[(b & 15) as usize]);
                }
                _ => out.push(b),
            }
        }
        for &b in chunk.invalid() {
            out.extend_from_slice(b"\\\\x");
            out.push(HEX[(b >> 4) as usize]);
            out.push(HEX[(b & 15) as usize]);
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_stay_valid() {
        let mut out = Vec::new();
        write_string(b"a\"b\\c\n\r\t\x00\x1f\x7f caf\xc3\xa9 \xff\xc3", &mut out);
        assert_eq!(
            String::from_utf8(out.clone()).unwrap(),
            r#""a\"b\\c\n\r\t\u0000\u001f"#.to_owned() + "\u{7f} café \\\\xff\\\\xc3\""
        );
        let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(value, "a\"b\\c\n\r\t\u{0}\u{1f}\u{7f} café \\xff\\xc3");
    }
}
