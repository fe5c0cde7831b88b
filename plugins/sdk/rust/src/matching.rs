//! [`Pattern`]: a regular expression the host runs natively over a whole batch, with the
//! plugin's own `regex` as the fallback.
//!
//! Inside wasm, `regex` has no SIMD literal search (its Teddy and `memchr` fast paths are
//! compiled for x86-64 and aarch64 only), so alternations of words and case-insensitive
//! patterns run several times slower than natively. The host's `sluice:plugin/matching`
//! interface compiles the same expression with the same `regex` engines and searches a batch
//! in one call. It answers only what it can search in bounded time; each line it leaves
//! `unknown` is searched here, by `regex::bytes::Regex` compiled on first need. The two give
//! the same matches (leftmost-first, the same syntax), so which one searched a line never
//! shows.
//!
//! When the host will not compile the expression at all (it would pass the stage's memory
//! limit), every line is searched here. Natively (tests, benches), there is no host: `regex`
//! searches everything.
//!
//! A plugin with an engine of its own (the `regex` built-in's, which also takes groups) uses
//! [`HostSearch`] instead: the host's [`Answers`] per line, and its own engine where a line is
//! [`Found::Unknown`].

use std::cell::OnceCell;

use regex::bytes::Regex;

use crate::Batch;
use sluice_contract::matching::{NONE, UNKNOWN};

/// An expression compiled by the host, without a fallback: for a plugin that has its own
/// engine for the lines the host leaves to it ([`Found::Unknown`]). Natively there is no host,
/// and [`HostSearch::compile`] gives `None`.
pub struct HostSearch {
    #[cfg(target_arch = "wasm32")]
    pattern: crate::bindings::sluice::plugin::matching::Pattern,
}

impl HostSearch {
    /// The host's compilation of `expression`, or `None` when the host refused it (invalid, or
    /// past the stage's memory limit), or natively.
    pub fn compile(expression: &str) -> Option<HostSearch> {
        #[cfg(target_arch = "wasm32")]
        return crate::bindings::sluice::plugin::matching::Pattern::compile(expression)
            .ok()
            .map(|pattern| HostSearch { pattern });
        #[cfg(not(target_arch = "wasm32"))]
        {
            let _ = expression;
            None
        }
    }

    /// The first match in each line of `text` (line `i` ends at `ends[i]`, as in a batch), with
    /// the spans of groups `0 .. groups`; `None` when the host refused the call (see the WIT).
    pub fn search(&self, text: &[u8], ends: &[u32], groups: usize) -> Option<Answers> {
        #[cfg(target_arch = "wasm32")]
        {
            let asked = u32::try_from(groups).ok()?;
            let offsets = self.pattern.first(text, ends, asked);
            (groups > 0 && offsets.len() == 2 * groups * ends.len())
                .then_some(Answers { offsets, groups })
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            let _ = (text, ends, groups);
            None
        }
    }
}

/// The host's answers for the lines of one search.
pub struct Answers {
    /// `2 * groups` offsets per line (see the WIT's `first`).
    offsets: Vec<u32>,
    groups: usize,
}

/// What the host found in one line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Found<'a> {
    /// No match.
    Nothing,
    /// A match: the spans of the groups asked for.
    Match(Spans<'a>),
    /// The host did not search the line: search it yourself.
    Unknown,
}

/// The spans of a match's groups, within its line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spans<'a>(&'a [u32]);

impl Spans<'_> {
    /// Group `g`'s span, if it took part in the match (and was asked for).
    pub fn group(&self, g: usize) -> Option<(usize, usize)> {
        match self.0.get(2 * g..2 * g + 2)? {
            &[start, end] if start != NONE => Some((start as usize, end as usize)),
            _ => None,
        }
    }
}

impl Answers {
    /// What the host found in line `i`.
    pub fn line(&self, i: usize) -> Found<'_> {
        let spans = &self.offsets[2 * self.groups * i..2 * self.groups * (i + 1)];
        match spans[0] {
            NONE => Found::Nothing,
            UNKNOWN => Found::Unknown,
            _ => Found::Match(Spans(spans)),
        }
    }
}

/// A compiled expression.
pub struct Pattern {
    /// The host's compiled expression; `None` when the host refused it (or natively).
    host: Option<HostSearch>,
    expression: String,
    /// The plugin's own engine, for the lines the host did not search.
    fallback: OnceCell<Regex>,
}

impl Pattern {
    /// Compiles `expression` (Rust's `regex` syntax, on bytes); the error is `regex`'s own.
    pub fn new(expression: &str) -> Result<Pattern, String> {
        let pattern = Pattern {
            host: HostSearch::compile(expression),
            expression: expression.to_owned(),
            fallback: OnceCell::new(),
        };
        if pattern.host.is_none() {
            // Invalid, refused by the host, or native: compile here now, for `regex`'s error.
            pattern.fallback()?;
        }
        Ok(pattern)
    }

    /// The plugin's own engine, compiled on first need.
    fn fallback(&self) -> Result<&Regex, String> {
        if let Some(regex) = self.fallback.get() {
            return Ok(regex);
        }
        let regex = Regex::new(&self.expression).map_err(|e| e.to_string())?;
        Ok(self.fallback.get_or_init(|| regex))
    }

    /// The plugin's own engine, for an expression the host compiled (so it is valid).
    fn own(&self) -> &Regex {
        self.fallback()
            .expect("an expression the host compiled compiles in the plugin")
    }

    /// Whether each line of `batch` matches somewhere.
    pub fn matches_in(&self, batch: &Batch<'_>) -> Vec<bool> {
        let answers = self
            .host
            .as_ref()
            .and_then(|host| host.search(batch.data(), batch.ends(), 1));
        if let Some(answers) = answers {
            return (0..batch.len())
                .map(|i| match answers.line(i) {
                    Found::Nothing => false,
                    Found::Match(_) => true,
                    Found::Unknown => self.own().is_match(batch.line(i).bytes()),
                })
                .collect();
        }
        let regex = self.own();
        batch
            .lines()
            .map(|line| regex.is_match(line.bytes()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::{Answers, Found, NONE, Pattern, UNKNOWN};

    #[test]
    fn answers_read_line_by_line() {
        let answers = Answers {
            offsets: vec![
                2, 12, 8, 12, NONE, NONE, NONE, NONE, UNKNOWN, NONE, NONE, NONE,
            ],
            groups: 2,
        };
        let Found::Match(spans) = answers.line(0) else {
            panic!("{:?}", answers.line(0));
        };
        assert_eq!(
            (spans.group(0), spans.group(1)),
            (Some((2, 12)), Some((8, 12)))
        );
        assert_eq!(spans.group(2), None, "not asked for");
        assert_eq!(answers.line(1), Found::Nothing);
        assert_eq!(answers.line(2), Found::Unknown);
    }

    #[test]
    fn an_invalid_expression_fails_in_regex_words() {
        let err = Pattern::new("(unclosed").err().unwrap();
        assert!(err.starts_with("regex parse error:"), "{err}");
    }
}
