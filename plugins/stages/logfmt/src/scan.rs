//! Splitting logfmt text into `key=value` pairs, without allocating.
//!
//! The grammar is go-logfmt's, made lenient so that nothing is ever an error:
//!
//! - pairs are separated by whitespace (any byte `<= b' '`: spaces, tabs, NUL, other control
//!   bytes);
//! - a key is a run of bytes above `b' '` other than `=` and `"`;
//! - `key=value`: an unquoted value runs to the next separator and may hold `=` and `"`
//!   (`url=/a?b=c` is one pair), go-logfmt would reject those;
//! - `key="quoted value"`: the value runs to the next unescaped `"`; escapes are JSON's
//!   (undone by the SDK's `json::unescape`, which keeps a backslash that starts none);
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
}
