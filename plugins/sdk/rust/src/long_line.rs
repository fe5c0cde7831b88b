//! Following the pieces of an over-long line from call to call and batch to batch.
//!
//! A line longer than the host's cap reaches a stage that is not boundary-safe in pieces: each
//! piece but the last is marked partial ([`Line::is_partial`]), and the pieces may straddle
//! batches. The contract (`batch.partial` in `wit/plugin.wit`) sets two conventions so that
//! stages agree: a filter decides on a line's *first* piece and applies that decision to every
//! piece (a line is kept or dropped whole), and a line's fields belong to its *last* piece.
//! Both need to know, at each line, whether it continues a line that started earlier: that is
//! [`LongLine`]'s one job, and [`Piece`] is its answer.

use crate::batch::Line;

/// Where a line stands among the pieces of an over-long line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Piece {
    /// A whole line: it starts and ends here.
    Whole,
    /// The first piece of an over-long line (marked partial): the line starts here.
    First,
    /// A piece between the first and the last (marked partial).
    Middle,
    /// The last piece of an over-long line (not marked partial): the line ends here.
    Last,
}

impl Piece {
    /// Where a line stands, from whether the line before it was a partial piece (so this one
    /// continues it) and whether it is one itself.
    #[inline]
    pub fn of(continues: bool, partial: bool) -> Piece {
        match (continues, partial) {
            (false, false) => Piece::Whole,
            (false, true) => Piece::First,
            (true, true) => Piece::Middle,
            (true, false) => Piece::Last,
        }
    }

    /// Whether the line starts here ([`Piece::Whole`] or [`Piece::First`]): where a filter
    /// decides.
    #[inline]
    pub fn starts(self) -> bool {
        matches!(self, Piece::Whole | Piece::First)
    }

    /// Whether the line ends here ([`Piece::Whole`] or [`Piece::Last`]): where its fields
    /// are.
    #[inline]
    pub fn ends(self) -> bool {
        matches!(self, Piece::Whole | Piece::Last)
    }
}

/// Whether the next line continues an over-long line, and what the line's first piece decided
/// (`D`, such as a filter's keep-or-drop; `()` when only the position matters).
///
/// Give it every line, in stream order, once: [`LongLine::next`] (or [`LongLine::advance`]
/// with the decision, [`LongLine::decide`] to make it) returns the line's [`Piece`] and moves
/// past it. By default, no line is in progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LongLine<D = ()> {
    /// `Some` from a partial piece up to the line's last piece (the next line not marked
    /// partial), holding the decision of the line's first piece; `None` when the next line
    /// starts a line.
    first: Option<D>,
}

impl<D> Default for LongLine<D> {
    fn default() -> LongLine<D> {
        LongLine { first: None }
    }
}

impl<D: Copy> LongLine<D> {
    /// No line in progress.
    pub const fn new() -> LongLine<D> {
        LongLine { first: None }
    }

    /// Whether the next line continues an over-long line (a partial piece was seen, the
    /// line's last piece was not).
    #[inline]
    pub fn continues(&self) -> bool {
        self.first.is_some()
    }

    /// What the first piece of the line in progress decided; `None` when the next line starts
    /// a line (and must be decided on).
    #[inline]
    pub fn decision(&self) -> Option<D> {
        self.first
    }

    /// Where `line`, the next line, stands; does not move past it.
    #[inline]
    pub fn piece(&self, line: &Line<'_>) -> Piece {
        Piece::of(self.continues(), line.is_partial())
    }

    /// Moves past `line`, the next line, whose line's first piece decided `decision` (kept
    /// while pieces of the line follow); returns where `line` stood.
    #[inline]
    pub fn advance(&mut self, line: &Line<'_>, decision: D) -> Piece {
        self.advance_partial(line.is_partial(), decision)
    }

    /// The decision for `line`, the next line: the one its line's first piece made, or, when
    /// the line starts here, `decide()`'s (called only then). Moves past `line`.
    #[inline]
    pub fn decide(&mut self, line: &Line<'_>, decide: impl FnOnce() -> D) -> D {
        let decision = match self.first {
            Some(decision) => decision,
            None => decide(),
        };
        self.advance(line, decision);
        decision
    }

    fn advance_partial(&mut self, partial: bool, decision: D) -> Piece {
        let piece = Piece::of(self.continues(), partial);
        self.first = partial.then_some(decision);
        piece
    }
}

impl LongLine {
    /// Moves past `line`, the next line; returns where it stood.
    #[inline]
    pub fn next(&mut self, line: &Line<'_>) -> Piece {
        self.advance(line, ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Input, build_batch, with_batch};

    /// Feeds `partial` flags as lines, each decision being the line's index; returns each
    /// line's piece and decision.
    fn follow(partial: &[bool]) -> Vec<(Piece, usize)> {
        let mut long = LongLine::<usize>::new();
        partial
            .iter()
            .enumerate()
            .map(|(i, &p)| {
                let decision = long.decision().unwrap_or(i);
                (long.advance_partial(p, decision), decision)
            })
            .collect()
    }

    #[test]
    fn pieces_of_a_line_between_whole_lines() {
        use Piece::*;
        assert_eq!(
            follow(&[false, true, true, false, false, true, false]),
            [
                (Whole, 0),
                (First, 1),
                (Middle, 1),
                (Last, 1),
                (Whole, 4),
                (First, 5),
                (Last, 5)
            ]
        );
    }

    #[test]
    fn starts_and_ends() {
        let all = [Piece::Whole, Piece::First, Piece::Middle, Piece::Last];
        let starts: Vec<bool> = all.iter().map(|p| p.starts()).collect();
        let ends: Vec<bool> = all.iter().map(|p| p.ends()).collect();
        assert_eq!(starts, [true, true, false, false]);
        assert_eq!(ends, [true, false, false, true]);
    }

    /// The state is kept across batches: a line's pieces may straddle them.
    #[test]
    fn a_line_continues_in_the_next_batch() {
        let mut long = LongLine::new();
        let first = build_batch(&[Input::new("a"), Input::new("b").partial()]);
        let second = build_batch(&[Input::new("c").partial(), Input::new("d"), "e".into()]);
        let mut pieces = Vec::new();
        for batch in [first, second] {
            with_batch(&batch, |batch| {
                for line in batch.lines() {
                    pieces.push(long.next(&line));
                }
            });
        }
        use Piece::*;
        assert_eq!(pieces, [Whole, First, Middle, Last, Whole]);
        assert!(!long.continues());
    }

    #[test]
    fn decide_runs_once_per_line() {
        let batch = build_batch(&[
            Input::new("a").partial(),
            Input::new("b").partial(),
            Input::new("c"),
            Input::new("d"),
        ]);
        let mut long = LongLine::default();
        let mut calls = 0;
        let decisions: Vec<u32> = with_batch(&batch, |batch| {
            batch
                .lines()
                .map(|line| {
                    long.decide(&line, || {
                        calls += 1;
                        calls
                    })
                })
                .collect()
        });
        assert_eq!(decisions, [1, 1, 1, 2]);
        assert_eq!(long.decision(), None);
    }
}
