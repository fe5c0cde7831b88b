//! Finding card numbers: digit groups, the numbers they can form, and the Luhn check.
//!
//! # What is a card number
//!
//! A *group* is a maximal run of ASCII digits with no letter or `_` right before or after it
//! (so digits inside `trace_id=4bf92f35…` or `v2024` are not groups), of at least 3 digits.
//! Two groups are *joined* when exactly one space or one dash separates them. A *number* is
//! one group, or several groups joined by the same separator (`4111 1111 1111 1111`,
//! `4111-1111-1111-1111`), of `min_length` to 19 digits in all. A number is a card number
//! when its digits pass the Luhn check.
//!
//! Within a run of joined groups, numbers are looked for from the left: at each group, the
//! longest card number starting there is taken, and the search goes on after it. So in
//! `4111 1111 1111 1111 2024` the card is found and the year left alone.
//!
//! # Windows of an over-long line
//!
//! The stage is boundary-safe: the host gives it windows of an over-long line and re-feeds the
//! last `overlap` bytes of each (as redacted) at the start of the next. In a window that does
//! not end the line, a decision that bytes after the window could change is *deferred*: from
//! the first group whose longest possible number reaches the window's end (a group touching
//! the end, or a separator ending the window that a group may follow), nothing is redacted.
//! Those bytes are at most 19 digits and 19 separators, so with an overlap of at least
//! [`MIN_OVERLAP`] bytes they come back whole at the start of the next window and are decided
//! there. In a window that continues a line, digits at its very start may be the tail of a
//! longer group whose head was in the previous window: they are not a group.
//!
//! Everything before the deferred tail is decided exactly as on the whole line, and a redacted
//! number leaves no digit behind (the replacement holds none), so redacting again changes
//! nothing: the stage is idempotent, and a windowed line comes out as the whole line would.

/// The overlap (`--boundary-overlap`) the host must keep between windows for a card number
/// cut by a window's end to be found whole in the next one: the longest deferred tail (19
/// digits, 18 separators, a trailing separator) plus the byte before it.
pub const MIN_OVERLAP: usize = 40;

/// The most digits a card number has.
pub const MAX_DIGITS: usize = 19;

/// The fewest digits in a group that joins others.
const MIN_GROUP: usize = 3;

/// One run of ASCII digits.
#[derive(Clone, Copy, Debug)]
struct Run {
    start: usize,
    end: usize,
    /// The separator between the previous run and this one, when exactly one space or dash
    /// lies between them.
    joined: Option<u8>,
    /// Whether the run is a group: long enough, and no letter or `_` on either side.
    group: bool,
    /// Whether the run touches the end of a window that does not end the line (it may go on).
    open: bool,
}

impl Run {
    fn digits(&self) -> usize {
        self.end - self.start
    }
}

/// What a scan needs to know about the text besides its bytes.
#[derive(Clone, Copy, Debug)]
pub struct Context {
    /// The text is a window that continues a line (its first bytes may be the tail of a run).
    pub continues: bool,
    /// The text ends the line (or is a field value): nothing follows it.
    pub ends: bool,
}

/// Finds card numbers, with reused scratch space.
#[derive(Debug)]
pub struct Scanner {
    min_digits: usize,
    runs: Vec<Run>,
}

impl Scanner {
    /// A scanner for numbers of `min_digits` (at most [`MAX_DIGITS`]) to 19 digits.
    pub fn new(min_digits: usize) -> Scanner {
        Scanner {
            min_digits,
            runs: Vec::new(),
        }
    }

    /// Pushes onto `spans` the byte ranges of the card numbers in `text`, in order.
    pub fn find(&mut self, text: &[u8], context: Context, spans: &mut Vec<(usize, usize)>) {
        self.collect_runs(text, context);
        let runs = &self.runs;
        let mut i = 0;
        while i < runs.len() {
            if !runs[i].group {
                if runs[i].open {
                    return; // A run at the end that may yet become a group.
                }
                i += 1;
                continue;
            }
            match self.longest_card_from(text, i, context) {
                Decision::Deferred => return,
                Decision::Card(last) => {
                    spans.push((runs[i].start, runs[last].end));
                    i = last + 1;
                }
                Decision::None => i += 1,
            }
        }
    }

    /// Splits `text` into runs of digits.
    fn collect_runs(&mut self, text: &[u8], context: Context) {
        self.runs.clear();
        let mut at = 0;
        while at < text.len() {
            let Some(offset) = text[at..].iter().position(u8::is_ascii_digit) else {
                break;
            };
            let start = at + offset;
            let end = start
                + text[start..]
                    .iter()
                    .position(|b| !b.is_ascii_digit())
                    .unwrap_or(text.len() - start);
            let joined = self.runs.last().and_then(|previous| {
                (previous.end + 1 == start && matches!(text[previous.end], b' ' | b'-'))
                    .then_some(text[previous.end])
            });
            let open = end == text.len() && !context.ends;
            let glued_left = if start == 0 {
                context.continues
            } else {
                is_word(text[start - 1])
            };
            let glued_right = end < text.len() && is_word(text[end]);
            self.runs.push(Run {
                start,
                end,
                joined,
                group: end - start >= MIN_GROUP && !glued_left && !glued_right,
                open,
            });
            at = end;
        }
    }

    /// The longest card number made of groups `first..=last` for some `last`.
    fn longest_card_from(&self, text: &[u8], first: usize, context: Context) -> Decision {
        let runs = &self.runs;
        let mut best = Decision::None;
        let mut last = first;
        let mut digits = runs[first].digits();
        let mut separator = None;
        loop {
            if runs[last].open {
                return Decision::Deferred;
            }
            if (self.min_digits..=MAX_DIGITS).contains(&digits)
                && luhn(&text[runs[first].start..runs[last].end])
            {
                best = Decision::Card(last);
            }
            let Some(next) = runs.get(last + 1) else {
                // A separator ending an unfinished window may be followed by a group.
                let end = runs[last].end;
                let trailing_separator = end + 1 == text.len()
                    && matches!(text[end], b' ' | b'-')
                    && separator.is_none_or(|s| s == text[end]);
                if trailing_separator && !context.ends && digits + MIN_GROUP <= MAX_DIGITS {
                    return Decision::Deferred;
                }
                return best;
            };
            let joins = next.joined.is_some() && (separator.is_none() || separator == next.joined);
            if !joins || digits + next.digits() > MAX_DIGITS {
                return best;
            }
            if next.open {
                return Decision::Deferred;
            }
            if !next.group {
                return best;
            }
            separator = next.joined;
            digits += next.digits();
            last += 1;
        }
    }
}

/// What the numbers starting at a group came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Decision {
    /// None is a card number.
    None,
    /// The longest card number ends with this group.
    Card(usize),
    /// Bytes after the window could change the answer.
    Deferred,
}

/// Whether `byte` glues a run of digits to a word: an ASCII letter or `_`.
#[inline]
fn is_word(byte: u8) -> bool {
    byte.is_ascii_alphabetic() || byte == b'_'
}

/// Whether the digits of `number` (separators skipped) pass the Luhn check.
pub fn luhn(number: &[u8]) -> bool {
    let mut sum = 0u32;
    let mut double = false;
    for &b in number.iter().rev() {
        if !b.is_ascii_digit() {
            continue;
        }
        let mut d = u32::from(b - b'0');
        if double {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
        double = !double;
    }
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    const WHOLE: Context = Context {
        continues: false,
        ends: true,
    };

    fn cards(text: &str, context: Context) -> Vec<&str> {
        let mut spans = Vec::new();
        Scanner::new(13).find(text.as_bytes(), context, &mut spans);
        spans.iter().map(|&(s, e)| &text[s..e]).collect()
    }

    #[test]
    fn luhn_check() {
        assert!(luhn(b"4111111111111111"));
        assert!(luhn(b"4111 1111 1111 1111"));
        assert!(luhn(b"378282246310005"));
        assert!(luhn(b"6011-1111-1111-1117"));
        assert!(luhn(b"79927398713"));
        assert!(!luhn(b"4111111111111112"));
        assert!(!luhn(b"79927398710"));
    }

    #[test]
    fn numbers_groups_and_boundaries() {
        assert_eq!(cards("card=4111111111111111;", WHOLE), ["4111111111111111"]);
        assert_eq!(
            cards("4111 1111 1111 1111 2024", WHOLE),
            ["4111 1111 1111 1111"]
        );
        assert_eq!(cards("4111-1111-1111-1111", WHOLE), ["4111-1111-1111-1111"]);
        assert_eq!(
            cards("amex 3782 822463 10005.", WHOLE),
            ["3782 822463 10005"]
        );
        assert_eq!(cards("x4111111111111111", WHOLE), Vec::<&str>::new());
        assert_eq!(cards("4111111111111111_x", WHOLE), Vec::<&str>::new());
        assert_eq!(
            cards("4111-1111 1111-1111", WHOLE),
            Vec::<&str>::new(),
            "mixed"
        );
        assert_eq!(
            cards("4111  1111 1111 1111", WHOLE),
            Vec::<&str>::new(),
            "two spaces"
        );
        assert_eq!(
            cards("41 11 11 11 11 11 11 11", WHOLE),
            Vec::<&str>::new(),
            "short groups"
        );
        assert_eq!(
            cards("4111111111111112", WHOLE),
            Vec::<&str>::new(),
            "fails Luhn"
        );
        assert_eq!(
            cards("41111111111111111111", WHOLE),
            Vec::<&str>::new(),
            "20 digits"
        );
        assert_eq!(cards("12 4111111111111111", WHOLE), ["4111111111111111"]);
        assert_eq!(
            cards("a 4111111111111111 5500000000000004 b", WHOLE),
            ["4111111111111111", "5500000000000004"]
        );
    }

    #[test]
    fn deferred_at_the_end_of_an_unfinished_window() {
        let partial = Context {
            continues: false,
            ends: false,
        };
        assert_eq!(cards("pay 4111111111111111", partial), Vec::<&str>::new());
        assert_eq!(
            cards("pay 4111 1111 1111 1111 ", partial),
            Vec::<&str>::new()
        );
        assert_eq!(
            cards("pay 4111 1111 1111 1111 2", partial),
            Vec::<&str>::new()
        );
        // Decided: nothing after the window can change these.
        assert_eq!(
            cards("pay 4111111111111111 ok", partial),
            ["4111111111111111"]
        );
        assert_eq!(
            cards("4111111111111111 5500 0000 0000 0004 x 12", partial),
            ["4111111111111111", "5500 0000 0000 0004"]
        );
        // A 16-digit group cannot join a following group: 16 + 3 > 19.
        assert_eq!(
            cards("4111111111111111 5500000000000004", partial),
            ["4111111111111111"]
        );
        // At the start of a continuing window, digits may be the tail of a longer run.
        let continues = Context {
            continues: true,
            ends: true,
        };
        assert_eq!(
            cards("4111111111111111 done", continues),
            Vec::<&str>::new()
        );
        assert_eq!(
            cards(" 4111111111111111 done", continues),
            ["4111111111111111"]
        );
    }
}
