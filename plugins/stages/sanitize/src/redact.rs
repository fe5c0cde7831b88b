//! Redacting one line: collect the spans every selected rule finds, normalise them, and write
//! the line with each span replaced.
//!
//! Normalising is what makes the result stable under a second pass (the host re-feeds the end
//! of a window, already redacted, with the next bytes of the line):
//!
//! - a span that starts at an earlier replacement covers that whole replacement;
//! - overlapping and touching spans merge into one;
//! - a span's end *absorbs* the run of secret-like bytes (`[A-Za-z0-9._~+/=-]`) right after
//!   it, stopping before a `-----` marker, and so does an earlier replacement found in the
//!   text. A secret cut by a window's end becomes `[REDACTED]` in the first window; its rest
//!   arrives right after that replacement in the next window and is absorbed by it.

use crate::key_block::{BlockState, KeyBlocks};
use crate::rules::{RuleSet, Span, family, find_url_credentials, is_secret_byte};
use aho_corasick::{AhoCorasick, MatchKind};
use sluice_plugin_sdk::LineBuf;

/// The secret matchers of a stage and the scratch space of the current line.
pub(crate) struct Redactor {
    rules: RuleSet,
    key_blocks: KeyBlocks,
    /// The literal secrets, matched exactly (longest first).
    literals: Option<AhoCorasick>,
    /// Finds earlier replacements.
    replacements: AhoCorasick,
    replacement: Vec<u8>,
    /// The current line's spans: after [`Redactor::scan`], sorted, disjoint and not touching.
    spans: Vec<Span>,
}

impl Redactor {
    pub fn new(rules: RuleSet, literals: &[Vec<u8>], replacement: &[u8]) -> Redactor {
        let literals = (!literals.is_empty()).then(|| {
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(literals)
                .expect("literal automaton builds")
        });
        Redactor {
            rules,
            key_blocks: KeyBlocks::new(replacement),
            literals,
            replacements: AhoCorasick::new([replacement]).expect("replacement automaton builds"),
            replacement: replacement.to_vec(),
            spans: Vec::new(),
        }
    }

    /// Finds the secrets of `text` with the families in `mask`; `inside_block` says whether
    /// the line starts inside a private key block. Returns the block state after the line.
    pub fn scan(&mut self, text: &[u8], mask: u32, inside_block: bool) -> BlockState {
        let mask = mask & self.rules.enabled;
        self.spans.clear();
        for rule in &mut self.rules.rules {
            if rule.family & mask != 0 {
                rule.find(text, &mut self.spans);
            }
        }
        if mask & family::URL_CREDENTIALS != 0 {
            find_url_credentials(text, &mut self.spans);
        }
        if let Some(literals) = self
            .literals
            .as_ref()
            .filter(|_| mask & family::LITERAL != 0)
        {
            self.spans
                .extend(literals.find_iter(text).map(|m| (m.start(), m.end())));
        }
        let state = self.key_blocks.find(
            text,
            inside_block,
            mask & family::PRIVATE_KEY != 0,
            &mut self.spans,
        );
        if mask & family::REPLACEMENT != 0 {
            for m in self.replacements.find_iter(text) {
                if absorb(text, m.end()) > m.end() {
                    self.spans.push((m.start(), m.end()));
                }
            }
        }
        self.normalize(text);
        state
    }

    /// Whether redacting the last scanned line, `text`, changes it: some span is not already
    /// the replacement. A line redacted before is passed through as it is, without a copy.
    pub fn changes(&self, text: &[u8]) -> bool {
        self.spans
            .iter()
            .any(|&(start, end)| text[start..end] != self.replacement[..])
    }

    /// Writes the last scanned line, `text`, with its spans replaced.
    pub fn write(&self, text: &[u8], out: &mut LineBuf<'_>) {
        let mut at = 0;
        for &(start, end) in &self.spans {
            out.extend_from_slice(&text[at..start]);
            out.extend_from_slice(&self.replacement);
            at = end;
        }
        out.extend_from_slice(&text[at..]);
    }

    /// Sorts and merges the spans, extends them over earlier replacements they start at, and
    /// lets each absorb the secret-like bytes that follow it.
    fn normalize(&mut self, text: &[u8]) {
        if self.spans.is_empty() {
            return;
        }
        let n = self.replacement.len();
        for span in &mut self.spans {
            if text[span.0..].starts_with(&self.replacement) {
                span.1 = span.1.max(span.0 + n);
            }
            span.1 = span.0 + before_pem_marker(&text[span.0..span.1]);
        }
        self.spans.retain(|&(start, end)| start < end);
        self.spans.sort_unstable();
        let mut merged = 0;
        for i in 0..self.spans.len() {
            let (start, end) = self.spans[i];
            if merged > 0 && start <= self.spans[merged - 1].1 {
                let last = &mut self.spans[merged - 1];
                last.1 = absorb(text, last.1.max(end));
            } else {
                self.spans[merged] = (start, absorb(text, end));
                merged += 1;
            }
        }
        self.spans.truncate(merged);
        // Absorbing may have made a span reach the next one.
        let mut merged = 0;
        for i in 0..self.spans.len() {
            let (start, end) = self.spans[i];
            if merged > 0 && start <= self.spans[merged - 1].1 {
                let last = &mut self.spans[merged - 1];
                last.1 = last.1.max(end);
            } else {
                self.spans[merged] = (start, end);
                merged += 1;
            }
        }
        self.spans.truncate(merged);
    }
}

/// The length of `span` up to the first PEM marker in it (`-----BEGIN`, `-----END`): a marker
/// is never part of a secret, and a value or token glued to one must not swallow it.
fn before_pem_marker(span: &[u8]) -> usize {
    let mut at = 0;
    while let Some(i) = span[at..].windows(5).position(|w| w == b"-----") {
        let rest = &span[at + i + 5..];
        if rest.starts_with(b"BEGIN") || rest.starts_with(b"END") {
            return at + i;
        }
        at += i + 1;
    }
    span.len()
}

/// The end of the run of secret-like bytes starting at `at`. The run stops before a run of
/// dashes that is five long or reaches the end of the text: that is (the start of) a PEM
/// marker, which is not part of any key.
fn absorb(text: &[u8], mut at: usize) -> usize {
    while at < text.len() && is_secret_byte(text[at]) {
        if text[at] == b'-' {
            let dashes = text[at..].iter().take_while(|&&b| b == b'-').count();
            if dashes >= 5 || at + dashes == text.len() {
                break;
            }
            at += dashes;
            continue;
        }
        at += 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redact(text: &str, literals: &[&str]) -> String {
        let literals: Vec<Vec<u8>> = literals.iter().map(|l| l.as_bytes().to_vec()).collect();
        let mut r = Redactor::new(RuleSet::new(vec![], &[]), &literals, b"[REDACTED]");
        r.scan(text.as_bytes(), u32::MAX, false);
        let mut data = Vec::new();
        sluice_plugin_sdk::testing::write_line(&mut data, |out| r.write(text.as_bytes(), out));
        String::from_utf8(data).unwrap()
    }

    #[test]
    fn absorb_stops_at_other_bytes_and_markers() {
        assert_eq!(absorb(b"abc def", 0), 3);
        assert_eq!(absorb(b"a.b~c+d/e=f-g h", 0), 13);
        assert_eq!(absorb(b"abc-----END", 0), 3);
        assert_eq!(absorb(b"abc--", 0), 3);
        assert_eq!(absorb(b"abc--d", 0), 6);
        assert_eq!(absorb(b"abc", 3), 3);
    }

    #[test]
    fn spans_stop_at_pem_markers() {
        assert_eq!(before_pem_marker(b"abc-----BEGIN X"), 3);
        assert_eq!(before_pem_marker(b"abc-----END X"), 3);
        assert_eq!(before_pem_marker(b"a-----b"), 7);
        assert_eq!(
            redact("Bearer abcdefghijk-----BEGIN PRIVATE KEY-----", &[]),
            "Bearer [REDACTED]-----BEGIN PRIVATE KEY-----"
        );
    }

    #[test]
    fn spans_merge_and_absorb() {
        assert_eq!(redact("x [REDACTED]RET y", &[]), "x [REDACTED] y");
        assert_eq!(redact("x [REDACTED] y", &[]), "x [REDACTED] y");
        assert_eq!(redact("hunter2hunter2 z", &["hunter2"]), "[REDACTED] z");
        assert_eq!(redact("a=hunter2.txt", &["hunter2"]), "a=[REDACTED]");
        assert_eq!(
            redact("password=[REDACTED]ALUE12345 next", &[]),
            "password=[REDACTED] next"
        );
        assert_eq!(
            redact(r#"{"token": [REDACTED]}"#, &[]),
            r#"{"token": [REDACTED]}"#
        );
    }

    #[test]
    fn overlapping_rules_give_one_replacement() {
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln";
        assert_eq!(
            redact(&format!("Authorization: Bearer {jwt} ok"), &[]),
            "Authorization: Bearer [REDACTED] ok"
        );
        assert_eq!(
            redact(&format!("token={jwt}&x=1"), &[]),
            "token=[REDACTED]&x=1"
        );
    }
}
