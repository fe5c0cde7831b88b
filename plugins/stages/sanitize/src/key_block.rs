//! Private key blocks: `-----BEGIN … PRIVATE KEY-----` … `-----END … PRIVATE KEY-----`.
//!
//! The body of a block is redacted, the markers are kept. A block may sit on one line (a JSON
//! log with `\n` escapes) or span several lines (a key printed as is), so the stage keeps one
//! bit of state across lines: "inside a block". While inside, each line's body (the run of
//! base64 at its end, which is the whole line for a bare key) is redacted until the END
//! marker. A line that does not look like key material (no base64 run of 16 bytes or more at
//! its end, not a `Proc-Type:`/`DEK-Info:` header) closes the block, so that a stray BEGIN in
//! a message cannot blank the rest of a log.
//!
//! For the windows of an over-long line (see the crate docs), the state is only committed at
//! the line's last piece; a window starts inside a block only when the previous window was
//! body from start to end (its output was the replacement alone). When a block opens inside a
//! window, the body runs to the window's end and the next window begins with the kept tail,
//! which holds the BEGIN marker and the replacement, so the same one-line rule finds it again.

use crate::rules::Span;
use regex::bytes::{CaptureLocations, Regex, RegexBuilder};

/// The markers, as regex fragments.
const BEGIN: &str = r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----";
const END: &str = r"-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----";

/// Shortest run of base64 at the end of a line that counts as key material when the line also
/// holds other bytes (a log prefix).
const MIN_BODY_RUN: usize = 16;

/// The compiled private key rules.
pub(crate) struct KeyBlocks {
    /// BEGIN, the body (lazily), then END or the end of the text.
    block: Regex,
    block_locations: CaptureLocations,
    /// The `body` and `end` groups of `block`.
    body_group: usize,
    end_group: usize,
    /// The END marker alone, for lines that start inside a block.
    end: Regex,
    /// The replacement: a body line already redacted is still body.
    replacement: Vec<u8>,
}

/// What [`KeyBlocks::find`] learned about a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BlockState {
    /// A block is open at the end of the line.
    pub open_at_end: bool,
    /// The line started inside a block and is body from start to end.
    pub all_body: bool,
}

impl KeyBlocks {
    pub fn new(replacement: &[u8]) -> KeyBlocks {
        let block = RegexBuilder::new(&format!(r"{BEGIN}(?P<body>(?s:.)*?)(?:(?P<end>{END})|$)"))
            .unicode(false)
            .build()
            .expect("the private key rule compiles");
        let names: Vec<_> = block.capture_names().collect();
        let group = |name| names.iter().position(|n| *n == Some(name)).unwrap();
        KeyBlocks {
            body_group: group("body"),
            end_group: group("end"),
            block_locations: block.capture_locations(),
            block,
            end: RegexBuilder::new(END)
                .unicode(false)
                .build()
                .expect("the END rule compiles"),
            replacement: replacement.to_vec(),
        }
    }

    /// Whether a line met inside a block is key material: blank, a PEM header, all base64,
    /// ending in a long run of base64 (a key line behind a log prefix), or already redacted.
    fn looks_like_body(&self, text: &[u8]) -> bool {
        let trimmed = text.trim_ascii();
        if trimmed.is_empty()
            || trimmed.starts_with(b"Proc-Type:")
            || trimmed.starts_with(b"DEK-Info:")
        {
            return true;
        }
        let run = base64_run_before(trimmed, trimmed.len());
        run == trimmed.len()
            || run >= MIN_BODY_RUN
            || trimmed[..trimmed.len() - run].ends_with(&self.replacement)
    }

    /// Appends the spans of key material in `text`. `inside` says whether the line starts
    /// inside a block; `triggered` whether it mentions a private key at all (else only the
    /// state of an open block matters).
    pub fn find(
        &mut self,
        text: &[u8],
        inside: bool,
        triggered: bool,
        spans: &mut Vec<Span>,
    ) -> BlockState {
        let mut at = 0;
        if inside {
            match self.end.find(text) {
                Some(m) => {
                    push_body_run(&text[..m.start()], spans);
                    at = m.end();
                }
                // A window may end in the middle of the END marker: judge the bytes before it.
                None if self.looks_like_body(&text[..without_end_marker_start(text)]) => {
                    push_body_run(&text[..without_end_marker_start(text)], spans);
                    return BlockState {
                        open_at_end: true,
                        all_body: true,
                    };
                }
                // Not key material after all: the block is closed and the line is ordinary.
                None => {}
            }
        }
        let mut open = false;
        if triggered {
            while at < text.len() {
                let Some(m) = self
                    .block
                    .captures_read_at(&mut self.block_locations, text, at)
                else {
                    break;
                };
                open = self.block_locations.get(self.end_group).is_none();
                if let Some((s, mut e)) = self.block_locations.get(self.body_group) {
                    if open {
                        // The END marker may be cut by the end of a window: keep its start.
                        e = s + without_end_marker_start(&text[s..e]);
                    }
                    if s < e {
                        spans.push((s, e));
                    }
                }
                at = m.end().max(at + 1);
            }
        }
        BlockState {
            open_at_end: open,
            all_body: false,
        }
    }
}

/// The length of `body` without a suffix that may be the start of an END marker cut by the end
/// of a window (`-`, `-----EN`, `-----END RSA PRIV`…). Key material holds no `-`.
fn without_end_marker_start(body: &[u8]) -> usize {
    const LONGEST: usize = "-----END ENCRYPTED PRIVATE KEY BLOCK----".len();
    let from = body.len().saturating_sub(LONGEST);
    for start in from..body.len() {
        if body[start] != b'-' || (start > 0 && body[start - 1] == b'-') {
            continue;
        }
        let suffix = &body[start..];
        let dashes = suffix.iter().take_while(|&&b| b == b'-').count();
        let after = &suffix[dashes..];
        let is_marker_start = after.is_empty()
            || (dashes == 5
                && b"END".starts_with(&after[..after.len().min(3)])
                && after.iter().skip(3).all(|&b| {
                    b.is_ascii_uppercase() || b.is_ascii_digit() || b == b' ' || b == b'-'
                }));
        if dashes <= 5 && is_marker_start {
            return start;
        }
    }
    body.len()
}

/// Pushes the span of the base64 run that ends `text` (before trailing whitespace).
fn push_body_run(text: &[u8], spans: &mut Vec<Span>) {
    let end = text.trim_ascii_end().len();
    let run = base64_run_before(text, end);
    if run > 0 {
        spans.push((end - run, end));
    }
}

/// The length of the run of base64 bytes that ends at `end`.
fn base64_run_before(text: &[u8], end: usize) -> usize {
    text[..end]
        .iter()
        .rev()
        .take_while(|&&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str, inside: bool) -> (Vec<String>, BlockState) {
        let mut k = KeyBlocks::new(b"[REDACTED]");
        let mut spans = Vec::new();
        let state = k.find(text.as_bytes(), inside, true, &mut spans);
        (
            spans.iter().map(|&(s, e)| text[s..e].to_owned()).collect(),
            state,
        )
    }

    #[test]
    fn one_line_block() {
        let (spans, state) = run(
            r#"{"key":"-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nAAA=\n-----END RSA PRIVATE KEY-----\n"}"#,
            false,
        );
        assert_eq!(spans, [r"\nMIIEow\nAAA=\n"]);
        assert!(!state.open_at_end);
    }

    #[test]
    fn block_opening_at_the_end_of_a_line() {
        let (spans, state) = run("-----BEGIN OPENSSH PRIVATE KEY-----", false);
        assert!(spans.is_empty());
        assert!(state.open_at_end);
        let (spans, state) = run("k=-----BEGIN PRIVATE KEY-----MIIEvQIBADAN", false);
        assert_eq!(spans, ["MIIEvQIBADAN"]);
        assert!(state.open_at_end);
    }

    #[test]
    fn end_marker_cut_by_the_window_is_kept() {
        let (spans, state) = run(r"-----BEGIN PRIVATE KEY-----\nMIIEvQ\n-----END PRIV", false);
        assert_eq!(spans, [r"\nMIIEvQ\n"]);
        assert!(state.open_at_end);
        let (spans, _) = run(r"-----BEGIN PRIVATE KEY-----\nMIIEvQ\n--", false);
        assert_eq!(spans, [r"\nMIIEvQ\n"]);
        let (spans, _) = run(r"-----BEGIN PRIVATE KEY-----\nMIIEvQ\n-----X", false);
        assert_eq!(spans, [r"\nMIIEvQ\n-----X"]);
        assert_eq!(without_end_marker_start(b"abc-----END RSA "), 3);
        assert_eq!(without_end_marker_start(b"abc"), 3);
        assert_eq!(without_end_marker_start(b"abc------"), 9);
    }

    #[test]
    fn lines_inside_a_block() {
        let (spans, state) = run("MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7", true);
        assert_eq!(
            spans,
            ["MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7"]
        );
        assert_eq!(
            state,
            BlockState {
                open_at_end: true,
                all_body: true
            }
        );
        let (spans, _) = run("2024-05-01T10:00:00Z app: MIIEvQIBADANBgkqhkiG9w0B", true);
        assert_eq!(spans, ["MIIEvQIBADANBgkqhkiG9w0B"]);
        let (spans, state) = run("Tw==", true);
        assert_eq!(spans, ["Tw=="]);
        assert!(state.open_at_end);
        let (spans, state) = run("abc==-----END PRIVATE KEY----- after", true);
        assert_eq!(spans, ["abc=="]);
        assert!(!state.open_at_end);
    }

    #[test]
    fn a_redacted_body_line_is_still_body() {
        let (spans, state) = run("[REDACTED]", true);
        assert!(spans.is_empty());
        assert!(state.open_at_end);
        let (spans, _) = run("[REDACTED]MIIEvQ", true);
        assert_eq!(spans, ["MIIEvQ"]);
    }

    #[test]
    fn an_ordinary_line_closes_a_stray_block() {
        let (spans, state) = run("GET /health 200 in 3 ms", true);
        assert!(spans.is_empty());
        assert!(!state.open_at_end);
    }

    #[test]
    fn redacted_output_is_stable() {
        let (spans, _) = run(
            "-----BEGIN PRIVATE KEY-----[REDACTED]-----END PRIVATE KEY-----",
            false,
        );
        assert_eq!(spans, ["[REDACTED]"]);
    }
}
