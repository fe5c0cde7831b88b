//! The bounded search finds what `regex::bytes::Regex` finds, or says it will not search.

use super::{Found, Search};
use proptest::prelude::*;
use regex::bytes::Regex;

/// What `regex` finds, in [`Found`]'s terms, with every group.
fn reference(regex: &Regex, line: &[u8]) -> Found {
    match regex.captures(line) {
        None => Found::Nothing,
        Some(caps) => Found::Match(
            (0..caps.len())
                .map(|g| caps.get(g).map(|m| (m.start(), m.end())))
                .collect(),
        ),
    }
}

const EXPRESSIONS: &[&str] = &[
    r"level=(?P<level>\w+)",
    r"(?i)error|warn(ing)?",
    r"timeout|refused|denied|forbidden|unavailable",
    r"(\d+)\.(\d+)\.(\d+)\.(\d+)",
    r"^(\S+) (\S+) (\S+) \[([^\]]+)\]",
    r"(a|ab)(c|bcd)(d*)",
    r#""([^"\\]|\\.)*""#,
    r"x*",
    r"(?-u:\xff)+",
    r"[[:alpha:]]+(?P<n>\d)?",
];

const LINES: &[&[u8]] = &[
    b"level=info msg=\"started\" took=12ms",
    b"WARNING: disk 91% full",
    b"connection refused by 10.0.0.1",
    b"127.0.0.1 - - [04/Dec/2026:01:02:03 +0000] \"GET / HTTP/1.1\" 200",
    b"abcd",
    b"say \"hi \\\"there\\\"\" twice",
    b"",
    b"\xff\xfe\xff not utf-8 \x00 nul",
    b"caf\xc3\xa9 level=d\xc3\xa9bug",
];

#[test]
fn every_match_is_the_regex_crates() {
    for expression in EXPRESSIONS {
        let regex = Regex::new(expression).unwrap();
        let mut search = Search::new(expression).unwrap();
        assert_eq!(search.group_count(), regex.captures_len(), "{expression}");
        for line in LINES {
            let found = search.first(line, search.group_count());
            assert_eq!(found, reference(&regex, line), "{expression} on {line:?}");
            let whole = search.first(line, 1);
            let expected = regex.find(line).map_or(Found::Nothing, |m| {
                Found::Match(vec![Some((m.start(), m.end()))])
            });
            assert_eq!(whole, expected, "{expression} on {line:?}");
        }
    }
}

#[test]
fn an_invalid_expression_says_why() {
    let err = Search::new("(unclosed").err().unwrap();
    assert!(err.contains("unclosed group"), "{err}");
}

/// A Unicode word boundary next to a byte that is not ASCII is left to the plugin; next to
/// ASCII it is searched.
#[test]
fn a_unicode_word_boundary_beside_non_ascii_is_left_to_the_plugin() {
    let mut search = Search::new(r"\bdébut\b").unwrap();
    assert_eq!(search.first("le début".as_bytes(), 1), Found::Unknown);
    let mut search = Search::new(r"\bstart\b").unwrap();
    assert_eq!(
        search.first(b"a start here", 1),
        Found::Match(vec![Some((2, 7))])
    );
}

/// An expression whose lazy DFA would need a new state at almost every byte gives up rather
/// than slow down, and the next line is searched afresh.
#[test]
fn a_search_that_would_thrash_gives_up() {
    // The classic blow-up: the n-th byte from the end is an `a`.
    let mut search = Search::new(r"a[ab]{20}$").unwrap();
    let mut state = 0x2545_f491_u32;
    let line: Vec<u8> = (0..400_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            if state & 1 == 0 { b'a' } else { b'b' }
        })
        .collect();
    assert_eq!(search.first(&line, 1), Found::Unknown);
    assert_eq!(search.first(b"xx", 1), Found::Nothing);
}

proptest! {
    #[test]
    fn random_lines_match_as_in_regex(line in proptest::collection::vec(
        prop_oneof![Just(b'a'), Just(b'b'), Just(b'c'), Just(b'd'), Just(b'='), Just(b'"'),
                    Just(b'\\'), Just(b' '), Just(b'1'), Just(b'.'), any::<u8>()],
        0..80,
    )) {
        for expression in EXPRESSIONS {
            let regex = Regex::new(expression).unwrap();
            let mut search = Search::new(expression).unwrap();
            let found = search.first(&line, search.group_count());
            if found != Found::Unknown {
                prop_assert_eq!(found, reference(&regex, &line), "{}", expression);
            }
        }
    }
}
