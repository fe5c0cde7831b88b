//! `first`'s answers: their shape, the calls refused, and the deadline.

use std::cell::Cell;

use super::{MAX_ANSWER, MAX_LINES, NONE, Search, UNKNOWN, answer};

const NEVER: &dyn Fn() -> bool = &|| false;

/// An answer refused whole.
const REFUSED: [u32; 0] = [];

/// Three lines, the second without a match, asked for more groups than the expression has.
#[test]
fn each_line_answers_its_groups_and_groups_past_the_last_are_none() {
    let mut search = Search::new(r"level=(?P<level>\w+)").unwrap();
    let text = b"a level=info\nnothing\nlevel=warn";
    let ends = [13, 21, 31];
    assert_eq!(
        answer(&mut search, text, &ends, 3, NEVER),
        [
            [2, 12, 8, 12, NONE, NONE],
            [NONE; 6],
            [0, 10, 6, 10, NONE, NONE],
        ]
        .concat()
    );
    assert_eq!(
        answer(&mut search, text, &ends, 1, NEVER),
        [2, 12, NONE, NONE, 0, 10]
    );
    assert_eq!(
        search.names(),
        [None, Some("level".to_owned())],
        "group 0 first"
    );
}

/// Empty lines (equal ends) and no lines at all are answered; lies about `ends` are not.
#[test]
fn ends_that_lie_are_refused_with_an_empty_answer() {
    let mut search = Search::new("x*").unwrap();
    assert_eq!(
        answer(&mut search, b"xx", &[0, 0, 2], 1, NEVER),
        [0, 0, 0, 0, 0, 2]
    );
    assert_eq!(answer(&mut search, b"xx", &[], 1, NEVER), REFUSED);
    assert_eq!(
        answer(&mut search, b"xx", &[2, 1], 1, NEVER),
        REFUSED,
        "decreasing"
    );
    assert_eq!(
        answer(&mut search, b"xx", &[3], 1, NEVER),
        REFUSED,
        "past the text"
    );
    assert_eq!(
        answer(&mut search, b"xx", &[2], 0, NEVER),
        REFUSED,
        "no groups"
    );
}

/// A call whose answer would be too big for the host to build is refused whole.
#[test]
fn a_call_too_big_is_refused() {
    let mut search = Search::new("a").unwrap();
    let lines = vec![0u32; MAX_LINES + 1];
    assert_eq!(answer(&mut search, b"", &lines, 1, NEVER), REFUSED);
    let lines = vec![0u32; MAX_LINES];
    assert_eq!(
        answer(&mut search, b"", &lines, 1, NEVER).len(),
        2 * MAX_LINES
    );
    let groups = MAX_ANSWER / 2 / MAX_LINES + 1;
    assert_eq!(answer(&mut search, b"", &lines, groups, NEVER), REFUSED);
    assert_eq!(
        answer(&mut search, b"", &[0], u32::MAX as usize, NEVER),
        REFUSED,
        "four billion groups of one line"
    );
}

/// Past the deadline, the lines left are `unknown` (the plugin, interrupted as it resumes,
/// never gets to search them); the lines before were searched.
#[test]
fn the_lines_left_at_the_deadline_are_unknown() {
    let mut search = Search::new("a").unwrap();
    let text = vec![b'a'; 1000];
    let ends: Vec<u32> = (1..=1000).collect();
    let asked = Cell::new(0);
    let passed = || {
        asked.set(asked.get() + 1);
        asked.get() > 1
    };
    let answered = answer(&mut search, &text, &ends, 1, &passed);
    assert_eq!(answered.len(), 2000);
    let searched = answered
        .chunks(2)
        .take_while(|span| span == &[0, 1])
        .count();
    assert_eq!(searched, 511, "the clock is read every 256 lines");
    assert!(
        answered[2 * searched..]
            .chunks(2)
            .all(|span| span == [UNKNOWN, NONE])
    );
}
