//! Splitting logfmt text into `key=value` pairs, without allocating.
//!
//! The grammar is go-logfmt's, made lenient so that nothing is ever an error:
//!
//! - pairs are separated by whitespace (any byte `<= b' '`: spaces, tabs, NUL, other control
//!   bytes);
//! - a key is a run of bytes above `b' '` other than `=` and `"`;
//! - `key=value`: an unquoted value runs to the next separator and may hold `=` and `"`
//!   (`url=/a?b=c` is one pair), go-logfmt would reject those;
//! - `key="quoted value"`: the value runs to the next unescaped `"`; escapes are JSON's;
//! - `key=` has an empty value, and so has a bare `key`;
//! - what is not a pair is skipped up to the next separator, taking a quoted string whole:
//!   a token starting with `=` or `"` (`="x"`, `"just text"`), a key glued to a quote
//!   (`key"x"`), and a quoted value whose closing quote never comes (which runs to the end).
//!   Bytes glued after a closing quote (`k="a"b`) are skipped the same way.

/// One pair of a logfmt text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Pair<'a> {
    pub(crate) key: &'a [u8],
    /// The value's bytes: for a quoted value, what is between the quotes, still escaped.
    pub(crate) value: &'a [u8],
    /// Whether the value was quoted.
    pub(crate) quoted: bool,
    /// Whether the quoted value holds a backslash (and must be unescaped).
    pub(crate) escaped: bool,
    /// The offset one past the pair's last byte.
    pub(crate) end: usize,
}

/// The pairs of a logfmt text, in order.
#[derive(Clone, Debug)]
pub(crate) struct Pairs<'a> {
    text: &'a [u8],
    pos: usize,
}

impl<'a> Pairs<'a> {
    pub(crate) fn new(text: &'a [u8]) -> Pairs<'a> {
        Pairs { text, pos: 0 }
    }

    fn at(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    /// Skips a token that is not a pair: to the next separator, quoted strings whole.
    fn skip_token(&mut self) {
        while let Some(b) = self.at() {
            if b <= b' ' {
                return;
            }
            if b == b'"' {
                self.pos = self
                    .closing_quote(self.pos + 1)
                    .map_or(self.text.len(), |q| q + 1);
            } else {
                self.pos += 1;
            }
        }
    }

    /// The offset of the unescaped `"` that closes a string whose contents start at `from`.
    fn closing_quote(&self, from: usize) -> Option<usize> {
        let mut i = from;
        while i < self.text.len() {
            match self.text[i] {
                b'"' => return Some(i),
                b'\\' => i += 2,
                _ => i += 1,
            }
        }
        None
    }
}

impl<'a> Iterator for Pairs<'a> {
    type Item = Pair<'a>;

    fn next(&mut self) -> Option<Pair<'a>> {
        let text = self.text;
        loop {
            while self.at().is_some_and(|b| b <= b' ') {
                self.pos += 1;
            }
            self.at()?;
            let key_start = self.pos;
            while self
                .at()
                .is_some_and(|b| b > b' ' && b != b'=' && b != b'"')
            {
                self.pos += 1;
            }
            let key = &text[key_start..self.pos];
            match self.at() {
                _ if key.is_empty() => {
                    self.skip_token();
                    continue;
                }
                None => {}
                Some(b) if b <= b' ' => {}
                Some(b'"') => {
                    self.skip_token();
                    continue;
                }
                Some(_) => {
                    // '='
                    self.pos += 1;
                    if self.at() == Some(b'"') {
                        let start = self.pos + 1;
                        let Some(close) = self.closing_quote(start) else {
                            self.pos = text.len();
                            continue;
                        };
                        let value = &text[start..close];
                        self.pos = close + 1;
                        let pair = Pair {
                            key,
                            value,
                            quoted: true,
                            escaped: value.contains(&b'\\'),
                            end: self.pos,
                        };
                        self.skip_token();
                        return Some(pair);
                    }
                    let start = self.pos;
                    while self.at().is_some_and(|b| b > b' ') {
                        self.pos += 1;
                    }
                    return Some(Pair {
                        key,
                        value: &text[start..self.pos],
                        quoted: false,
                        escaped: false,
                        end: self.pos,
                    });
                }
            }
            // A bare key.
            return Some(Pair {
                key,
                value: b"",
                quoted: false,
                escaped: false,
                end: self.pos,
            });
        }
    }
}

/// Appends the unescaped contents of a quoted value to `out`. The escapes are JSON's (`\"`,
/// `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`, `\uXXXX` with surrogate pairs); any other
/// backslash is kept as it is, and a `\u` escape of a lone surrogate becomes U+FFFD.
pub(crate) fn unescape(raw: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < raw.len() {
        let run = raw[i..]
            .iter()
            .position(|&b| b == b'\\')
            .map_or(raw.len(), |n| i + n);
        out.extend_from_slice(&raw[i..run]);
        i = run;
        if i == raw.len() {
            return;
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
                out.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
                i += len;
                continue;
            }
            _ => {
                out.push(b'\\');
                i += 1;
                continue;
            }
        };
        out.push(byte);
        i += 2;
    }
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

    /// (key, value as written, quoted) of each pair.
    fn pairs(text: &[u8]) -> Vec<(String, String, bool)> {
        Pairs::new(text)
            .map(|p| {
                (
                    String::from_utf8_lossy(p.key).into_owned(),
                    String::from_utf8_lossy(p.value).into_owned(),
                    p.quoted,
                )
            })
            .collect()
    }

    fn p(key: &str, value: &str, quoted: bool) -> (String, String, bool) {
        (key.to_owned(), value.to_owned(), quoted)
    }

    #[test]
    fn splits_pairs() {
        assert_eq!(
            pairs(br#"ts=2024-10-10T13:55:36Z level=info msg="hello \"world\"" dry_run empty= url=/a?b=c&d=e"#),
            [
                p("ts", "2024-10-10T13:55:36Z", false),
                p("level", "info", false),
                p("msg", r#"hello \"world\""#, true),
                p("dry_run", "", false),
                p("empty", "", false),
                p("url", "/a?b=c&d=e", false),
            ]
        );
    }

    #[test]
    fn skips_what_is_not_a_pair() {
        assert_eq!(
            pairs(br#"  "quoted text" a=1 =x ="y z" b"c d" e="f"g h=2 i="unterminated j=3"#),
            [p("a", "1", false), p("e", "f", true), p("h", "2", false)]
        );
        assert_eq!(pairs(b""), []);
        assert_eq!(pairs(b" \t "), []);
        assert_eq!(pairs(b"="), []);
        assert_eq!(pairs(b"\""), []);
        assert_eq!(pairs(b"k=\""), []);
        assert_eq!(pairs(b"k=\"\\"), []);
    }

    #[test]
    fn separators_are_any_control_byte() {
        assert_eq!(
            pairs(b"a=1\tb=2\x00c=3\rd"),
            [
                p("a", "1", false),
                p("b", "2", false),
                p("c", "3", false),
                p("d", "", false)
            ]
        );
    }

    #[test]
    fn pair_ends() {
        let ends: Vec<usize> = Pairs::new(br#"a=1 b="x" c"#).map(|p| p.end).collect();
        assert_eq!(ends, [3, 9, 11]);
    }

    #[test]
    fn unescapes_quoted_values() {
        let mut out = Vec::new();
        unescape(
            br#"a\"b\\c\/d\n\t\u00e9\ud83d\ude00 \x \ud800 end\"#,
            &mut out,
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "a\"b\\c/d\n\té😀 \\x \u{fffd} end\\"
        );
    }
}
