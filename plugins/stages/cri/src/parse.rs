//! Parsing the header of a CRI log line: `<time> <stream> <tag>[:<more tags>] <message>`.
//!
//! ```text
//! 2019-04-30T02:12:41.8443515Z stdout F message
//! 2019-05-07T18:57:50.904275087+00:00 stderr P first part of a long message
//! ```
//!
//! The time is RFC 3339 (parsed with jiff, any offset); the stream is `stdout` or `stderr`;
//! the first tag is `F` (full: the message ends here) or `P` (partial: it continues in the
//! stream's next line); tags after a `:` are ignored. Fields are separated by exactly one space.
//! The message is everything after the space that follows the tags, and is empty when the line
//! ends right after them. A line that does not have this shape is not CRI.

use sluice_plugin_sdk::merge::Stream;

/// A parsed CRI line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Cri<'a> {
    /// Nanoseconds since the Unix epoch.
    pub(crate) timestamp: i64,
    pub(crate) stream: Stream,
    /// Whether the message continues in the stream's next line (tag `P`).
    pub(crate) partial: bool,
    pub(crate) message: &'a [u8],
}

/// Parses `line` as a CRI line.
pub(crate) fn parse(line: &[u8]) -> Option<Cri<'_>> {
    let space = memchr::memchr(b' ', line)?;
    let timestamp = timestamp(&line[..space])?;
    let rest = &line[space + 1..];
    let (stream, rest) = if let Some(rest) = rest.strip_prefix(b"stdout ") {
        (Stream::Stdout, rest)
    } else {
        (Stream::Stderr, rest.strip_prefix(b"stderr ")?)
    };
    let (tags, message) = match memchr::memchr(b' ', rest) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &rest[rest.len()..]),
    };
    let tag = tags.split(|&b| b == b':').next().unwrap_or_default();
    let partial = match tag {
        b"P" => true,
        b"F" => false,
        _ => return None,
    };
    Some(Cri {
        timestamp,
        stream,
        partial,
        message,
    })
}

/// An RFC 3339 time as nanoseconds since the Unix epoch.
fn timestamp(text: &[u8]) -> Option<i64> {
    // Cheap shape check first, so that lines that are not CRI cost no parse (and no error).
    let shaped = text.len() >= 20
        && text[..4].iter().all(u8::is_ascii_digit)
        && text[4] == b'-'
        && matches!(text[10], b'T' | b't' | b' ');
    if !shaped {
        return None;
    }
    let ts: jiff::Timestamp = std::str::from_utf8(text).ok()?.parse().ok()?;
    i64::try_from(ts.as_nanosecond()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cri_lines() {
        let c = parse(b"2019-04-30T02:12:41.8443515Z stdout F message").unwrap();
        assert_eq!(c.timestamp, 1_556_590_361_844_351_500);
        assert_eq!(c.stream, Stream::Stdout);
        assert!(!c.partial);
        assert_eq!(c.message, b"message");
        let c = parse(b"2019-05-07T18:57:50.904275087+02:00 stderr P  two  spaces ").unwrap();
        assert_eq!(c.timestamp, 1_557_248_270_904_275_087);
        assert_eq!(c.stream, Stream::Stderr);
        assert!(c.partial);
        assert_eq!(c.message, b" two  spaces ");
        let c = parse(b"2019-04-30T02:12:41Z stdout F:x:y").unwrap();
        assert_eq!(c.message, b"");
        assert_eq!(c.timestamp, 1_556_590_361_000_000_000);
        let c = parse(b"2019-04-30T02:12:41Z stdout P ").unwrap();
        assert!(c.partial);
        assert_eq!(c.message, b"");
    }

    #[test]
    fn rejects_other_lines() {
        for line in [
            &b""[..],
            b"plain text",
            b"2019-04-30T02:12:41Z stdout",
            b"2019-04-30T02:12:41Z stdin F x",
            b"2019-04-30T02:12:41Z stdout X x",
            b"2019-04-30T02:12:41Z  stdout F x",
            b"2019-04-30T02:12:41Z stdout  F x",
            b"2019-04-30 T02:12:41Z stdout F x",
            b"2019-13-30T02:12:41Z stdout F x",
            b"2019-04-30T02:12:41 stdout F x",
            b"\xff019-04-30T02:12:41Z stdout F x",
            b"2019-04-30T02:12:41Z\x00stdout F x",
        ] {
            assert_eq!(parse(line), None, "{}", String::from_utf8_lossy(line));
        }
    }
}
