//! Parsing a line of Docker's json-file log driver:
//! `{"log":"message\n","stream":"stderr","time":"2019-04-30T02:12:41.844351500Z"}`.
//!
//! The line must be one JSON object holding `log` (a string), `stream` (`"stdout"` or
//! `"stderr"`) and `time` (an RFC 3339 string, parsed with jiff); other members (`attrs`) are
//! validated and ignored, and a later duplicate key wins. Anything else is not a Docker line.
//! The JSON is checked strictly (RFC 8259), except that bytes that are not UTF-8 are accepted
//! inside strings. Nothing is allocated: `log` is returned still escaped, to be unescaped
//! straight into the output line.

/// The stream a Docker line was written to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }
}

/// A parsed Docker line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Docker<'a> {
    /// The `log` string's contents, still escaped.
    pub(crate) log: &'a [u8],
    pub(crate) stream: Stream,
    /// Nanoseconds since the Unix epoch.
    pub(crate) timestamp: i64,
}

/// How deep `attrs` and other ignored values may nest.
const MAX_DEPTH: u32 = 64;

/// Parses `line` as a Docker json-file line.
pub(crate) fn parse(line: &[u8]) -> Option<Docker<'_>> {
    let mut s = Scanner { doc: line, pos: 0 };
    s.ws();
    s.eat(b'{')?;
    s.ws();
    let (mut log, mut stream, mut time) = (None, None, None);
    if s.eat(b'}').is_none() {
        loop {
            let key = s.string()?;
            s.ws();
            s.eat(b':')?;
            s.ws();
            match key {
                b"log" => log = Some(s.string()?),
                b"stream" => stream = Some(s.string()?),
                b"time" => time = Some(s.string()?),
                _ => s.skip_value(0)?,
            }
            s.ws();
            match s.next()? {
                b',' => s.ws(),
                b'}' => break,
                _ => return None,
            }
        }
    }
    s.ws();
    if s.pos != line.len() {
        return None;
    }
    let stream = match stream? {
        b"stdout" => Stream::Stdout,
        b"stderr" => Stream::Stderr,
        _ => return None,
    };
    let time: jiff::Timestamp = std::str::from_utf8(time?).ok()?.parse().ok()?;
    Some(Docker {
        log: log?,
        stream,
        timestamp: i64::try_from(time.as_nanosecond()).ok()?,
    })
}

/// Whether the escaped contents of a JSON string end in a newline (`\n` or `\u000a`).
pub(crate) fn ends_with_newline(raw: &[u8]) -> bool {
    let escape_at = if raw.ends_with(b"\\n") {
        raw.len() - 2
    } else if raw.len() >= 6 && raw[raw.len() - 6..].eq_ignore_ascii_case(b"\\u000a") {
        raw.len() - 6
    } else {
        return false;
    };
    // The backslash starts an escape only if the backslashes before it pair up.
    let before = raw[..escape_at]
        .iter()
        .rev()
        .take_while(|&&b| b == b'\\')
        .count();
    before % 2 == 0
}

/// Appends the unescaped contents of a JSON string (validated by [`parse`]) to `out`. A `\u`
/// escape of a lone surrogate becomes U+FFFD.
pub(crate) fn unescape<O>(raw: &[u8], out: &mut O)
where
    O: Extend<u8> + for<'b> Extend<&'b u8>,
{
    let mut i = 0;
    while i < raw.len() {
        let run = memchr::memchr(b'\\', &raw[i..]).map_or(raw.len(), |n| i + n);
        out.extend(&raw[i..run]);
        if run + 1 >= raw.len() {
            return;
        }
        i = run + 2;
        let byte = match raw[run + 1] {
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => {
                let unit = hex4(raw, i).unwrap_or(0xfffd);
                i += 4;
                let mut c = char::from_u32(unit).unwrap_or('\u{fffd}');
                if (0xd800..0xdc00).contains(&unit)
                    && raw.get(i..i + 2) == Some(b"\\u")
                    && let Some(low @ 0xdc00..0xe000) = hex4(raw, i + 2)
                {
                    let code = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
                    c = char::from_u32(code).unwrap_or('\u{fffd}');
                    i += 6;
                }
                let mut utf8 = [0; 4];
                out.extend(c.encode_utf8(&mut utf8).as_bytes());
                continue;
            }
            other => other, // '"', '\\', '/'
        };
        out.extend([byte]);
    }
}

/// The 4 hex digits at `raw[at..]` as a number.
fn hex4(raw: &[u8], at: usize) -> Option<u32> {
    raw.get(at..at + 4)?.iter().try_fold(0u32, |n, &b| {
        let d = (b as char).to_digit(16)?;
        Some(n * 16 + d)
    })
}

struct Scanner<'a> {
    doc: &'a [u8],
    pos: usize,
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.doc.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        Some(b)
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.peek() == Some(byte)).then(|| self.pos += 1)
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// A string at the current position; returns its contents, still escaped.
    fn string(&mut self) -> Option<&'a [u8]> {
        self.eat(b'"')?;
        let start = self.pos;
        loop {
            match self.next()? {
                b'"' => return Some(&self.doc[start..self.pos - 1]),
                b'\\' => match self.next()? {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                    b'u' => {
                        hex4(self.doc, self.pos)?;
                        self.pos += 4;
                    }
                    _ => return None,
                },
                b if b < 0x20 => return None,
                _ => {}
            }
        }
    }

    /// Skips any JSON value, checking it.
    fn skip_value(&mut self, depth: u32) -> Option<()> {
        match self.peek()? {
            b'"' => self.string().map(|_| ()),
            open @ (b'{' | b'[') => {
                if depth >= MAX_DEPTH {
                    return None;
                }
                let close = if open == b'{' { b'}' } else { b']' };
                self.pos += 1;
                self.ws();
                if self.eat(close).is_some() {
                    return Some(());
                }
                loop {
                    if open == b'{' {
                        self.string()?;
                        self.ws();
                        self.eat(b':')?;
                        self.ws();
                    }
                    self.skip_value(depth + 1)?;
                    self.ws();
                    match self.next()? {
                        b',' => self.ws(),
                        b if b == close => return Some(()),
                        _ => return None,
                    }
                }
            }
            b't' => self.word(b"true"),
            b'f' => self.word(b"false"),
            b'n' => self.word(b"null"),
            _ => self.number(),
        }
    }

    fn word(&mut self, word: &[u8]) -> Option<()> {
        self.doc[self.pos..]
            .starts_with(word)
            .then(|| self.pos += word.len())
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    fn number(&mut self) -> Option<()> {
        self.eat(b'-');
        match self.next()? {
            b'0' => {}
            b'1'..=b'9' => self.digits(0)?,
            _ => return None,
        }
        if self.eat(b'.').is_some() {
            self.digits(1)?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            self.digits(1)?;
        }
        Some(())
    }

    /// Skips digits; `None` when fewer than `min` were there.
    fn digits(&mut self, min: usize) -> Option<()> {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        (self.pos - start >= min).then_some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_docker_lines() {
        let d = parse(br#"{"log":"GET /health 200\n","stream":"stdout","time":"2019-04-30T02:12:41.8443515Z"}"#).unwrap();
        assert_eq!(d.log, br"GET /health 200\n");
        assert_eq!(d.stream, Stream::Stdout);
        assert_eq!(d.timestamp, 1_556_590_361_844_351_500);
        let d = parse(
            br#" { "time" : "2019-04-30T02:12:41Z" , "attrs" : {"tag":["a", 1, -2.5e3, true, null, {}]}, "stream":"stderr", "log" : "" } "#,
        )
        .unwrap();
        assert_eq!((d.log, d.stream), (&b""[..], Stream::Stderr));
    }

    #[test]
    fn rejects_other_lines() {
        for line in [
            &br#"{"level":"info","msg":"an app's own JSON"}"#[..],
            br#"{"log":"x","stream":"stdout"}"#,
            br#"{"log":"x","stream":"stdin","time":"2019-04-30T02:12:41Z"}"#,
            br#"{"log":"x","stream":"stdout","time":"yesterday"}"#,
            br#"{"log":1,"stream":"stdout","time":"2019-04-30T02:12:41Z"}"#,
            br#"{"log":"x","stream":"stdout","time":"2019-04-30T02:12:41Z"} trailing"#,
            br#"{"log":"x","stream":"stdout","time":"2019-04-30T02:12:41Z",}"#,
            br#"{"log":"a\qb","stream":"stdout","time":"2019-04-30T02:12:41Z"}"#,
            br#"{"log":"x","stream":"stdout","time":"2019-04-30T02:12:41Z","n":01}"#,
            b"{\"log\":\"tab\tinside\",\"stream\":\"stdout\",\"time\":\"2019-04-30T02:12:41Z\"}",
            b"",
            b"plain text",
            b"{",
        ] {
            assert_eq!(parse(line), None, "{}", String::from_utf8_lossy(line));
        }
    }

    #[test]
    fn newline_at_the_end() {
        assert!(ends_with_newline(br"abc\n"));
        assert!(ends_with_newline(br"\n"));
        assert!(ends_with_newline(br"abc\u000A"));
        assert!(ends_with_newline(br"a\\\n"));
        assert!(!ends_with_newline(br"a\\n"), "an escaped backslash, then n");
        assert!(!ends_with_newline(br"abc"));
        assert!(!ends_with_newline(br""));
        assert!(!ends_with_newline(br"\u000b"));
    }

    #[test]
    fn unescapes() {
        let mut out = Vec::new();
        unescape(br#"a\"b\\c\/\b\f\n\r\t\u00e9\ud83d\ude00\ud800!"#, &mut out);
        assert_eq!(out, "a\"b\\c/\x08\x0c\n\r\té😀\u{fffd}!".as_bytes());
    }

    /// Mutated lines never panic the parser, which accepts them exactly when serde_json finds
    /// a Docker object in them (on UTF-8 text without `\u` escapes), with the same message.
    #[test]
    fn mutated_lines_agree_with_serde_json() {
        let seed = br#"{"log":"GET /a \"b\" \\ 200\n","stream":"stdout","attrs":{"k":[1,-2.5e3,true,null]},"time":"2024-10-10T13:55:36.5Z"}"#;
        let alphabet = b"{}[]\",:0123456789.-+eEtrufalsn \\/\t\x00\xff";
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let mut accepted = 0;
        for _ in 0..5000 {
            let mut line = seed.to_vec();
            for _ in 0..1 + next(2) {
                let at = next(line.len() + 1);
                let byte = alphabet[next(alphabet.len())];
                match next(3) {
                    0 if at < line.len() => line[at] = byte,
                    1 if at < line.len() => {
                        line.remove(at);
                    }
                    _ => line.insert(at, byte),
                }
            }
            let ours = parse(&line);
            let Ok(text) = std::str::from_utf8(&line) else {
                continue;
            };
            if text.contains("\\u") {
                continue;
            }
            let theirs = serde_json::from_str::<serde_json::Value>(text)
                .ok()
                .and_then(|v| {
                    let log = v.get("log")?.as_str()?.to_owned();
                    let stream = v.get("stream")?.as_str()?;
                    let time = v.get("time")?.as_str()?;
                    let valid = matches!(stream, "stdout" | "stderr")
                        && time
                            .parse::<jiff::Timestamp>()
                            .is_ok_and(|t| i64::try_from(t.as_nanosecond()).is_ok());
                    valid.then_some(log)
                });
            let ours = ours.map(|d| {
                let mut log = Vec::new();
                unescape(d.log, &mut log);
                String::from_utf8(log).unwrap()
            });
            if ours.is_some() {
                accepted += 1;
            }
            assert_eq!(ours, theirs, "{text}");
        }
        assert!(accepted > 100, "only {accepted} mutated lines were valid");
    }
}
