//! [`Search`]: one expression, searched in bounded time, or not at all.
//!
//! A host call cannot be stopped by the epoch deadline that stops a plugin, so the host only
//! runs engines whose work is bounded by the line's length:
//!
//! - the match's span comes from a lazy DFA (forward, then reverse for the start), which is
//!   linear in the line, and is told to give up rather than slow down when its cache thrashes
//!   ([`hybrid::dfa::Config::minimum_cache_clear_count`]); a prefilter of the literals every
//!   match starts with skips ahead to candidates, with SIMD where the CPU has it;
//! - the groups come from a one-pass DFA when the expression is one-pass (linear), else from
//!   the bounded backtracker, whose work is capped by its visited set: a span too long for it
//!   is refused.
//!
//! Whatever is refused (a DFA that gave up, or quit on a Unicode word boundary next to a byte
//! that is not ASCII, a span too long to backtrack, a line over [`MAX_LINE_BYTES`]) is
//! [`Found::Unknown`]: the plugin searches that line with its own engine. The expression means
//! what it means in `regex::bytes::Regex` (same syntax configuration, leftmost-first).
//!
//! The lazy DFA's clear count lasts as long as its cache: once the cache has been cleared
//! [`CLEARS_BEFORE_GIVING_UP`] times over any number of lines, each further clear gives up when
//! fewer than 10 bytes were searched per state built since the last, and the cache is then
//! reset for the next line.

use regex_automata::dfa::onepass;
use regex_automata::hybrid;
use regex_automata::nfa::thompson::{self, WhichCaptures, backtrack};
use regex_automata::util::prefilter::Prefilter;
use regex_automata::util::primitives::NonMaxUsize;
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input, MatchKind, PatternID};

/// The largest compiled NFA, in bytes (`regex`'s own default limit).
const NFA_SIZE_LIMIT: usize = 10 << 20;

/// The lazy DFA's cache, in bytes (`regex`'s own default).
const DFA_CACHE: usize = 2 << 20;

/// The largest one-pass DFA, in bytes (`regex`'s own default limit): past it, the bounded
/// backtracker finds the groups.
const ONEPASS_SIZE_LIMIT: usize = 1 << 20;

/// The bounded backtracker's visited set, in bytes (its default): a span longer than it covers
/// is not backtracked.
const VISITED_CAPACITY: usize = 256 << 10;

/// The longest expression compiled, in bytes: the parser's work is bounded by it.
pub const MAX_EXPRESSION_BYTES: usize = 64 << 10;

/// The longest line searched, in bytes; a longer one is [`Found::Unknown`]. Every engine here is
/// linear in the line, but with constants large enough that a line of hundreds of megabytes
/// could hold a host call for seconds, where the deadline cannot stop it.
pub const MAX_LINE_BYTES: usize = 16 << 20;

/// How many times the lazy DFA's cache may be cleared in one search before it gives up (when it
/// also makes too little progress per state; see `minimum_bytes_per_state`).
const CLEARS_BEFORE_GIVING_UP: usize = 3;

/// What a search found in one line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Found {
    /// No match.
    Nothing,
    /// The first match: each group's span (`None` for a group that took no part), group 0
    /// first.
    Match(Vec<Option<(usize, usize)>>),
    /// The host would not search it in bounded time: the plugin must.
    Unknown,
}

/// A compiled expression and its caches.
pub struct Search {
    span: hybrid::regex::Regex,
    span_cache: hybrid::regex::Cache,
    groups: Groups,
    /// The groups' names, group 0 first (`None` when unnamed).
    names: Vec<Option<String>>,
    slots: Vec<Option<NonMaxUsize>>,
    /// The most heap this search can hold: what was built, plus its caches at full size.
    memory_bytes: usize,
}

/// The engine that finds the groups within a match's span.
enum Groups {
    OnePass(Box<(onepass::DFA, onepass::Cache)>),
    Backtrack(backtrack::BoundedBacktracker, backtrack::Cache),
}

impl Search {
    /// Compiles `expression` as `regex::bytes::Regex::new` would; the error is why it cannot
    /// be.
    pub fn new(expression: &str) -> Result<Search, String> {
        if expression.len() > MAX_EXPRESSION_BYTES {
            return Err(format!(
                "the expression is {} bytes long; the host compiles at most {MAX_EXPRESSION_BYTES}",
                expression.len()
            ));
        }
        let syntax = syntax::Config::new().utf8(false);
        let thompson = thompson::Config::new()
            .utf8(false)
            .nfa_size_limit(Some(NFA_SIZE_LIMIT));
        // The literals every match starts with, searched for with SIMD (Teddy, memchr) to skip
        // ahead: what makes native search fast on alternations of words. Linear too.
        let prefilter = syntax::parse_with(expression, &syntax)
            .ok()
            .and_then(|hir| Prefilter::from_hir_prefix(MatchKind::LeftmostFirst, &hir));
        let dfa = hybrid::dfa::Config::new()
            .prefilter(prefilter)
            .match_kind(MatchKind::LeftmostFirst)
            .cache_capacity(DFA_CACHE)
            .unicode_word_boundary(true)
            .minimum_cache_clear_count(Some(CLEARS_BEFORE_GIVING_UP))
            .minimum_bytes_per_state(Some(10));
        let span = hybrid::regex::Regex::builder()
            .syntax(syntax)
            .thompson(thompson.clone())
            .dfa(dfa)
            .build(expression)
            .map_err(|e| worded(expression, &e))?;
        let nfa = thompson::Compiler::new()
            .syntax(syntax)
            .configure(thompson.which_captures(WhichCaptures::All))
            .build(expression)
            .map_err(|e| worded(expression, &e))?;
        let slots = vec![None; nfa.group_info().slot_len()];
        let names = nfa
            .group_info()
            .pattern_names(PatternID::ZERO)
            .map(|name| name.map(str::to_owned))
            .collect();
        let nfa_bytes = nfa.memory_usage();
        let onepass = onepass::Config::new()
            .match_kind(MatchKind::LeftmostFirst)
            .size_limit(Some(ONEPASS_SIZE_LIMIT));
        let groups = match onepass::Builder::new()
            .configure(onepass)
            .build_from_nfa(nfa.clone())
        {
            Ok(dfa) => {
                let cache = dfa.create_cache();
                Groups::OnePass(Box::new((dfa, cache)))
            }
            Err(_) => {
                let backtracker = backtrack::Builder::new()
                    .configure(backtrack::Config::new().visited_capacity(VISITED_CAPACITY))
                    .build_from_nfa(nfa)
                    .map_err(|e| worded(expression, &e))?;
                let cache = backtracker.create_cache();
                Groups::Backtrack(backtracker, cache)
            }
        };
        let span_cache = span.create_cache();
        let groups_bytes = match &groups {
            Groups::OnePass(onepass) => onepass.0.memory_usage() + onepass.1.memory_usage(),
            Groups::Backtrack(..) => VISITED_CAPACITY,
        };
        let (forward, reverse) = (span.forward(), span.reverse());
        let memory_bytes = forward.get_nfa().memory_usage()
            + reverse.get_nfa().memory_usage()
            + forward.memory_usage()
            + reverse.memory_usage()
            + 2 * DFA_CACHE
            + nfa_bytes
            + groups_bytes
            + expression.len();
        Ok(Search {
            span,
            span_cache,
            groups,
            names,
            slots,
            memory_bytes,
        })
    }

    /// The most heap this search holds, its caches grown to their limits included.
    pub fn memory_bytes(&self) -> usize {
        self.memory_bytes
    }

    /// The groups' names, group 0 first (`None` for a group without one).
    pub fn names(&self) -> &[Option<String>] {
        &self.names
    }

    /// The number of groups, group 0 (the whole match) included.
    pub fn group_count(&self) -> usize {
        self.slots.len() / 2
    }

    /// The first match in `line`, with its first `groups` groups (at most
    /// [`Search::group_count`]; 0 asks only whether it matches).
    pub fn first(&mut self, line: &[u8], groups: usize) -> Found {
        if line.len() > MAX_LINE_BYTES {
            return Found::Unknown;
        }
        let input = Input::new(line);
        let found = match self.span.try_search(&mut self.span_cache, &input) {
            Ok(found) => found,
            Err(_) => {
                // Given up, or quit: the cache is of no use to the next search as it is.
                self.span_cache.reset(&self.span);
                return Found::Unknown;
            }
        };
        let Some(found) = found else {
            return Found::Nothing;
        };
        let groups = groups.min(self.group_count());
        if groups <= 1 {
            let whole = (found.start(), found.end());
            return Found::Match(if groups == 1 {
                vec![Some(whole)]
            } else {
                Vec::new()
            });
        }
        // The groups of the match that was found: an anchored search of its span finds it
        // again, as `regex`'s own meta engine does.
        let within = input.span(found.range()).anchored(Anchored::Yes);
        self.slots.fill(None);
        let searched = match &mut self.groups {
            Groups::OnePass(onepass) => {
                let (dfa, cache) = &mut **onepass;
                dfa.try_search_slots(cache, &within, &mut self.slots)
            }
            Groups::Backtrack(backtracker, cache) => {
                if found.range().len() > backtracker.max_haystack_len() {
                    return Found::Unknown;
                }
                backtracker.try_search_slots(cache, &within, &mut self.slots)
            }
        };
        match searched {
            Ok(Some(_)) => Found::Match(
                self.slots[..2 * groups]
                    .chunks(2)
                    .map(|slot| match (slot[0], slot[1]) {
                        (Some(s), Some(e)) => Some((s.get(), e.get())),
                        _ => None,
                    })
                    .collect(),
            ),
            // The span was found by the DFA: the same expression matches it.
            Ok(None) | Err(_) => Found::Unknown,
        }
    }
}

/// Why `expression` cannot be compiled, in `regex`'s words when it has them (the same
/// configuration fails the same way), else in `regex-automata`'s.
fn worded(expression: &str, err: &dyn std::fmt::Display) -> String {
    match regex::bytes::Regex::new(expression) {
        Err(regex) => regex.to_string(),
        Ok(_) => err.to_string(),
    }
}

#[cfg(test)]
mod tests;
