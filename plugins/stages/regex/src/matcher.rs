//! The compiled expression: the same regex as `regex::bytes::Regex` (same syntax, same
//! configuration, same leftmost-first matches), built on `regex-automata`'s meta engine so that
//! it can be searched in ways `regex` does not offer.
//!
//! # A literal prefix
//!
//! Many expressions start with a literal (`level=(?P<level>\w+)`): every match begins with it.
//! For those, a line is searched for the literal with `memchr`, and the expression is run
//! *anchored* at each occurrence, leftmost first: the first occurrence where it matches is where
//! the leftmost match starts, and the match found there is the one an unanchored search finds
//! (leftmost-first semantics pick the leftmost start, then the preferred match at it). An
//! anchored search skips the meta engine's forward and reverse DFA passes that find the match's
//! span before the capture engine runs on it: in wasm, where those passes cost most of a line,
//! this made the stage about 2× faster. A line without the literal costs one `memchr` scan.
//!
//! An anchored search stops where the match (or its failure) is decided, but that can be the
//! end of the line (`level.*x`). So that many occurrences on one line cannot make a search
//! quadratic, after [`MAX_ANCHORED`] failed attempts the rest of the line is searched once,
//! unanchored, from the next occurrence.
//!
//! # Without a literal prefix: the host searches
//!
//! An expression without one (`(?i)error`, `timeout|refused`, `^(?P<ip>\S+)`) is handed to the
//! host too (`sluice_plugin_sdk::matching::HostSearch`), which searches a whole batch natively,
//! with SIMD literal scans wasm lacks. [`Matcher::prepare`] asks it once per batch; each line
//! then reads its answer, and a line the host left `unknown` is searched here. The host runs the
//! same `regex` engines with the same configuration, so the matches and spans are the same.
//! With a literal prefix the host gains nothing (`memchr`'s wasm `memmem` finds the literal as
//! fast), so those are searched here only.

use memchr::memmem::Finder;
use regex_automata::util::primitives::NonMaxUsize;
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input, MatchKind, PatternID, meta};
use regex_syntax::hir::literal::{ExtractKind, Extractor};
use sluice_plugin_sdk::matching::{Answers, Found, HostSearch};

/// Failed anchored attempts on one line before the rest is searched unanchored.
const MAX_ANCHORED: usize = 4;

/// A compiled expression and the spans of its last match.
pub(crate) struct Matcher {
    regex: meta::Regex,
    cache: meta::Cache,
    /// After a match, group `g`'s span is `slots[2g]..slots[2g + 1]` (for the groups tracked).
    slots: Vec<Option<NonMaxUsize>>,
    /// The literal every match starts with, when there is one.
    prefix: Option<Finder<'static>>,
    /// The host's compilation, for an expression without a prefix (when the host took it).
    host: Option<HostSearch>,
    /// The host's answers for the haystacks of the batch in hand, from [`Matcher::prepare`].
    answers: Option<Answers>,
}

impl Matcher {
    /// Compiles `expression` as `regex::bytes::Regex::new` does; the error is `regex`'s own.
    pub(crate) fn new(expression: &str) -> Result<Matcher, regex::Error> {
        // `regex::bytes::Regex`'s configuration (see its `Builder::build_one_bytes`).
        let syntax_config = syntax::Config::new().utf8(false);
        let meta_config = meta::Config::new()
            .nfa_size_limit(Some(10 * (1 << 20)))
            .hybrid_cache_capacity(2 * (1 << 20))
            .match_kind(MatchKind::LeftmostFirst)
            .utf8_empty(false);
        let built = syntax::parse_with(expression, &syntax_config)
            .ok()
            .and_then(|hir| {
                let regex = meta::Builder::new()
                    .configure(meta_config)
                    .build_from_hir(&hir)
                    .ok()?;
                Some((hir, regex))
            });
        let Some((hir, regex)) = built else {
            // The same configuration fails the same way: let `regex` word the error.
            return Err(regex::bytes::Regex::new(expression)
                .err()
                .unwrap_or_else(|| regex::Error::Syntax("cannot compile".into())));
        };
        let prefix = Extractor::new()
            .kind(ExtractKind::Prefix)
            .extract(&hir)
            .literals()
            .and_then(|literals| {
                let (first, rest) = literals.split_first()?;
                let mut common = first.as_bytes();
                for literal in rest {
                    let same = common
                        .iter()
                        .zip(literal.as_bytes())
                        .take_while(|(a, b)| a == b)
                        .count();
                    common = &common[..same];
                }
                (!common.is_empty()).then(|| Finder::new(common).into_owned())
            });
        let host = match prefix {
            None => HostSearch::compile(expression),
            Some(_) => None,
        };
        Ok(Matcher {
            cache: regex.create_cache(),
            slots: vec![None; regex.group_info().slot_len()],
            regex,
            prefix,
            host,
            answers: None,
        })
    }

    /// The named groups, as (group index, name), in the expression's order.
    pub(crate) fn named_groups(&self) -> Vec<(usize, String)> {
        self.regex
            .group_info()
            .pattern_names(PatternID::ZERO)
            .enumerate()
            .filter_map(|(i, name)| name.map(|n| (i, n.to_owned())))
            .collect()
    }

    /// Tracks the spans of groups `0..=last` only (none when `None`): a search that needs no
    /// group's span is cheaper.
    pub(crate) fn track_groups(&mut self, last: Option<usize>) {
        let len = last.map_or(0, |g| 2 * (g + 1));
        self.slots.truncate(len);
    }

    /// Whether the host searches this expression ([`Matcher::prepare`] needs the haystacks).
    pub(crate) fn searched_by_host(&self) -> bool {
        self.host.is_some()
    }

    /// Asks the host for the first match in each haystack of a batch (haystack `i` ends at
    /// `ends[i]` in `text`), for [`Matcher::matches_at`]; forgets the last batch's answers.
    pub(crate) fn prepare(&mut self, text: &[u8], ends: &[u32]) {
        let groups = (self.slots.len() / 2).max(1);
        self.answers = self
            .host
            .as_ref()
            .and_then(|host| host.search(text, ends, groups));
    }

    /// Whether `haystack`, haystack `i` of the batch prepared, matches; the tracked groups'
    /// spans are then in [`Matcher::group`].
    #[inline]
    pub(crate) fn matches_at(&mut self, i: usize, haystack: &[u8]) -> bool {
        match self.answers.as_ref().map(|answers| answers.line(i)) {
            Some(Found::Nothing) => false,
            Some(Found::Match(spans)) => {
                for (g, slot) in self.slots.chunks_exact_mut(2).enumerate() {
                    let (start, end) = spans.group(g).unzip();
                    slot[0] = start.and_then(NonMaxUsize::new);
                    slot[1] = end.and_then(NonMaxUsize::new);
                }
                true
            }
            Some(Found::Unknown) | None => self.matches(haystack),
        }
    }

    /// Whether `haystack` matches; the tracked groups' spans are then in [`Matcher::group`].
    #[inline]
    pub(crate) fn matches(&mut self, haystack: &[u8]) -> bool {
        let Matcher {
            regex,
            cache,
            slots,
            prefix,
            ..
        } = self;
        let Some(prefix) = prefix else {
            return regex
                .search_slots_with(cache, &Input::new(haystack), slots)
                .is_some();
        };
        let mut from = 0;
        for _ in 0..MAX_ANCHORED {
            let Some(i) = prefix.find(&haystack[from..]) else {
                return false;
            };
            let start = from + i;
            let input = Input::new(haystack).range(start..).anchored(Anchored::Yes);
            if regex.search_slots_with(cache, &input, slots).is_some() {
                return true;
            }
            from = start + 1;
        }
        // No match starts before `from`: the leftmost one, if any, starts at or after it.
        let input = Input::new(haystack).range(from..);
        regex.search_slots_with(cache, &input, slots).is_some()
    }

    /// Group `g`'s span in the last matched haystack, if it took part in the match.
    #[inline]
    pub(crate) fn group(&self, g: usize) -> Option<(usize, usize)> {
        let start = self.slots.get(2 * g).copied().flatten()?;
        let end = self.slots.get(2 * g + 1).copied().flatten()?;
        Some((start.get(), end.get()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The spans `regex::bytes::Regex` finds, per group.
    fn reference(
        regex: &regex::bytes::Regex,
        haystack: &[u8],
    ) -> Option<Vec<Option<(usize, usize)>>> {
        let caps = regex.captures(haystack)?;
        Some(
            caps.iter()
                .map(|m| m.map(|m| (m.start(), m.end())))
                .collect(),
        )
    }

    fn ours(
        matcher: &mut Matcher,
        groups: usize,
        haystack: &[u8],
    ) -> Option<Vec<Option<(usize, usize)>>> {
        matcher
            .matches(haystack)
            .then(|| (0..groups).map(|g| matcher.group(g)).collect())
    }

    #[test]
    fn prefix_literals() {
        let prefix = |e: &str| Matcher::new(e).unwrap().prefix.map(|f| f.needle().to_vec());
        assert_eq!(
            prefix(r#"level[=":]+(?P<level>\w+)"#).as_deref(),
            Some(&b"level"[..])
        );
        assert_eq!(
            prefix(r"lvl=(?P<a>\w+)|level=(?P<b>\w+)").as_deref(),
            Some(&b"l"[..])
        );
        assert_eq!(
            prefix(r"\blevel=(?P<a>\w+)").as_deref(),
            Some(&b"level="[..])
        );
        assert_eq!(prefix(r"(?i)level=(?P<a>\w+)"), None);
        assert_eq!(prefix(r"^(?P<a>\S+) "), None);
        assert_eq!(prefix(r"(?P<a>x*)"), None);
    }

    /// The same matches and spans as `regex`, on random lines built from the patterns' pieces.
    #[test]
    fn agrees_with_regex_on_random_lines() {
        let patterns = [
            r#"level[=":]+(?P<level>\w+)"#,
            r"level=(?P<level>\w+)|lvl:(?P<lvl>\w+)",
            r"\blevel=(?P<v>[a-z]*)\b",
            r"(?m)^level=(?P<v>\w+)$",
            r"lev(?P<a>e)?l.*(?P<b>x)",
            r"le(?:vel|v)(?P<v>=+)",
            r"(?-u:l\xff(?P<v>.))",
            r"le\w*?(?P<v>l)",
            r"x+y",
        ];
        let pieces: [&[u8]; 12] = [
            b"level",
            b"lev",
            b"l",
            b"e",
            b"=",
            b":",
            b"\"",
            b" ",
            b"x",
            b"y",
            b"\xc3\xa9",
            b"\xff",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for pattern in patterns {
            let regex = regex::bytes::Regex::new(pattern).unwrap();
            let mut matcher = Matcher::new(pattern).unwrap();
            let groups = regex.captures_len();
            for _ in 0..3000 {
                let mut line = Vec::new();
                for _ in 0..next() % 24 {
                    line.extend_from_slice(pieces[(next() % pieces.len() as u64) as usize]);
                }
                assert_eq!(
                    ours(&mut matcher, groups, &line),
                    reference(&regex, &line),
                    "{pattern} on {:?}",
                    String::from_utf8_lossy(&line)
                );
            }
        }
    }
}
