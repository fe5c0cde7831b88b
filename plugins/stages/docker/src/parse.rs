//! Parsing a line of Docker's json-file log driver:
//! `{"log":"message\n","stream":"stderr","time":"2019-04-30T02:12:41.844351500Z"}`.
//!
//! The line must be one JSON object holding `log` (a string), `stream` (`"stdout"` or
//! `"stderr"`) and `time` (an RFC 3339 string, parsed with jiff); other members (`attrs`) are
//! validated and ignored, and a later duplicate key wins. Anything else is not a Docker line.
//! The JSON is checked strictly by the SDK's scanner (RFC 8259), except that bytes that are not
//! UTF-8 are accepted inside strings. Nothing is allocated: `log` is returned still escaped,
//! to be unescaped (with the SDK's `unescape`) straight into the output line.

use sluice_plugin_sdk::json::Scanner;
use sluice_plugin_sdk::merge::Stream;

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
    let mut s = Scanner::new(line).with_max_depth(MAX_DEPTH);
    s.ws();
    if !s.eat(b'{') {
        return None;
    }
    let (mut log, mut stream, mut time) = (None, None, None);
    s.members(|s, key| {
        let slot = match &line[key.contents] {
            b"log" => &mut log,
            b"stream" => &mut stream,
            b"time" => &mut time,
            _ => return s.skip_value(0),
        };
        *slot = Some(&line[s.string()?.contents]);
        Ok(())
    })
    .ok()?;
    s.ws();
    if !s.at_end() {
        return None;
    }
    let stream = Stream::from_name(stream?)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_plugin_sdk::json::unescape;

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
