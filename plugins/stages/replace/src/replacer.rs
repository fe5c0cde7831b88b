//! Finding matches and writing the text with them replaced, without allocating per line.
//!
//! Matches are found with `regex::bytes::Regex::captures_read_at` (or `find_at` when the
//! replacement uses no group) and a reused [`CaptureLocations`], and iterated exactly as
//! `Regex::replacen` iterates them: leftmost-first, non-overlapping, and an empty match right
//! where the previous match ended is skipped (so `a*` on `baaac` gives `-b-c-`, not `-b--c-`).

use crate::template::{Part, Template};
use regex::bytes::{CaptureLocations, Regex};
use sluice_plugin_sdk::Sink;

/// A compiled expression, its replacement and the spans of the last match.
pub(crate) struct Replacer {
    regex: Regex,
    template: Template,
    /// The groups of the last match, when the replacement refers to some.
    locations: Option<CaptureLocations>,
}

/// One match: its span.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Found {
    start: usize,
    end: usize,
}

impl Replacer {
    pub(crate) fn new(regex: Regex, template: Template) -> Replacer {
        let locations = template.needs_groups().then(|| regex.capture_locations());
        Replacer {
            regex,
            template,
            locations,
        }
    }

    /// The first match in `haystack` at or after `at`, with its groups recorded.
    #[inline]
    pub(crate) fn find_at(&mut self, haystack: &[u8], at: usize) -> Option<Found> {
        let m = match &mut self.locations {
            Some(locations) => self.regex.captures_read_at(locations, haystack, at)?,
            None => self.regex.find_at(haystack, at)?,
        };
        Some(Found {
            start: m.start(),
            end: m.end(),
        })
    }

    /// Writes `haystack` with at most `max` matches replaced (`None`: all), `first` being the
    /// first match (just found, its groups recorded); returns how many were replaced.
    pub(crate) fn write(
        &mut self,
        haystack: &[u8],
        first: Found,
        max: Option<usize>,
        out: &mut impl Sink,
    ) -> usize {
        let mut written = 0; // `haystack[..written]` is out.
        let mut count = 0;
        let mut next = Some(first);
        let mut last_end = None;
        while let Some(m) = next {
            if max.is_some_and(|max| count >= max) {
                break;
            }
            if m.start == m.end && Some(m.end) == last_end {
                // An empty match where the previous one ended: not a match of its own.
                next = self.find_after_empty(haystack, m.end);
                continue;
            }
            out.put(&haystack[written..m.start]);
            self.expand(haystack, m, out);
            written = m.end;
            last_end = Some(m.end);
            count += 1;
            next = if m.start == m.end {
                self.find_after_empty(haystack, m.end)
            } else {
                self.find_at(haystack, m.end)
            };
        }
        out.put(&haystack[written..]);
        count
    }

    /// The next match after an empty match at `at`: searching resumes one byte further.
    fn find_after_empty(&mut self, haystack: &[u8], at: usize) -> Option<Found> {
        if at >= haystack.len() {
            return None;
        }
        self.find_at(haystack, at + 1)
    }

    /// Writes the replacement of match `m`.
    fn expand(&self, haystack: &[u8], m: Found, out: &mut impl Sink) {
        for part in &self.template.parts {
            match part {
                Part::Literal(range) => out.put(&self.template.literals[range.clone()]),
                Part::Group(0) => out.put(&haystack[m.start..m.end]),
                Part::Group(g) => {
                    if let Some((s, e)) = self.locations.as_ref().and_then(|l| l.get(*g)) {
                        out.put(&haystack[s..e]);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A replacer for `pattern` → `replacement`, and the `regex` it was built from.
    fn build(pattern: &str, replacement: &str) -> (Replacer, Regex) {
        let regex = Regex::new(pattern).unwrap();
        let template = Template::parse(replacement, regex.captures_len(), |name| {
            regex.capture_names().position(|n| n == Some(name))
        })
        .unwrap();
        (Replacer::new(regex.clone(), template), regex)
    }

    /// Replaces with ours and with `regex`'s own `replacen`.
    fn both(
        (r, regex): &mut (Replacer, Regex),
        replacement: &str,
        haystack: &[u8],
        limit: usize,
    ) -> (Vec<u8>, Vec<u8>) {
        let want = regex
            .replacen(haystack, limit, replacement.as_bytes())
            .into_owned();
        let mut got = Vec::new();
        match r.find_at(haystack, 0) {
            Some(first) => {
                let max = (limit > 0).then_some(limit);
                r.write(haystack, first, max, &mut got);
            }
            None => got.extend_from_slice(haystack),
        }
        (got, want)
    }

    #[test]
    fn empty_matches_like_regex() {
        for (pattern, haystack) in [("a*", "baaac"), ("", "abc"), ("x*", ""), ("\\b", "ab cd")] {
            let (got, want) = both(&mut build(pattern, "-"), "-", haystack.as_bytes(), 0);
            assert_eq!(got, want, "{pattern} on {haystack}");
        }
        assert_eq!(both(&mut build("a*", "-"), "-", b"baaac", 0).0, b"-b-c-");
    }

    /// The same output as `regex`'s `replacen`, on random lines, limits and replacements.
    #[test]
    fn agrees_with_regex_replacen_on_random_lines() {
        let patterns = [
            (r"(?P<k>\w+)=(?P<v>\d+)", "${v}=${k}"),
            (r"\d+", "#"),
            (r"a*", "[$0]"),
            (r"(?-u:\xff)|é", "?"),
            (r"\b", "|"),
            (r"(x)?y", "<$1>"),
            (r"^|$", "^"),
            (r"(?m)^.", "$$$0"),
        ];
        let pieces: [&[u8]; 10] = [
            b"a",
            b"b",
            b"=",
            b"12",
            b" ",
            b"x",
            b"y",
            "é".as_bytes(),
            b"\xff",
            b"\n",
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as usize
        };
        for (pattern, replacement) in patterns {
            let mut built = build(pattern, replacement);
            for _ in 0..1500 {
                let mut line = Vec::new();
                for _ in 0..next() % 16 {
                    line.extend_from_slice(pieces[next() % pieces.len()]);
                }
                let limit = next() % 4;
                let (got, want) = both(&mut built, replacement, &line, limit);
                assert_eq!(
                    got,
                    want,
                    "{pattern} → {replacement} (limit {limit}) on {:?}",
                    String::from_utf8_lossy(&line)
                );
            }
        }
    }
}
