//! Origins: where in its file each line of a batch came from, so that `--positions` records an
//! offset only once everything the lines before it became is written and flushed
//! ([`crate::positions`]).
//!
//! A line's *origin* is the offset in its source file just past the line as read, terminator
//! included: resuming a file there reads nothing the line was made of. A batch keeps one origin
//! per line in [`Lines::origins`] (parallel to `ends`), or none at all: with `--positions` off,
//! for standard input and for the lines a stage emits at a tick or at the end, the vector stays
//! empty and nothing here runs. [`NONE`] marks a line without origin inside a batch that has
//! them.
//!
//! How an origin travels:
//!
//! - The read loop frames lines and sets their origins from the read offset ([`set_framed`]),
//!   and the batch's [`Lines::origin_start`]: where its first line started. The pieces of an
//!   over-long line carry none: a restart reads the whole line again, and only the line's last
//!   part, handed on with its terminator, takes the line's end.
//! - A stage's answer ([`of_output_line`]): output line `j` made from input line `i` takes
//!   `origins[i]`, except a line the stage both rewrote and detached, which is how a stage emits
//!   a line it held from earlier (a multiline block emitted when the next block's first line
//!   arrives): it takes the origin of the line *before* `i` (the batch's start for `i = 0`).
//!   That is the conservative choice: the held block records the start of the line that made
//!   it come out, and that line is itself now held.
//! - A `match` node cuts a batch into runs and joins them again ([`extend`]).
//!
//! After a batch is written and flushed, its largest origin ([`largest`]) is how far its file
//! may resume from. A line a stage holds is in no output yet, so it holds its file's position
//! back; a line a filter drops is in none either, so a filter that drops every line does not
//! move the position until a line passes (after a restart those lines are read and dropped
//! again, never written twice).

use std::ops::Range;

use sluice_contract::resolve::OutputLine;

use crate::lines::Lines;

/// The origin of a line that has none (in a batch whose other lines have one).
pub(crate) const NONE: u64 = u64::MAX;

/// Where a batch the read loop hands on sits in its file, when the file's position is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Placed {
    /// The file's entry in the [`crate::positions::Positions`].
    pub(crate) file: usize,
    /// The offset of the batch's first byte as read.
    pub(crate) at: u64,
    /// Where the batch's first line started: `at`, or before it when the line's first pieces
    /// went on earlier (an over-long line).
    pub(crate) start: u64,
}

/// Sets the origins of `lines`, just framed from bytes that start at offset `at` of their file
/// and whose lines end at `line_ends` (offsets in those bytes, terminators included); `start`
/// is where the batch's first line started (at most `at`). `lines` held those lines only.
pub(crate) fn set_framed(lines: &mut Lines, at: u64, start: u64, line_ends: &[u32]) {
    debug_assert_eq!(lines.len(), line_ends.len());
    lines.origins.clear();
    lines
        .origins
        .extend(line_ends.iter().map(|&end| at + u64::from(end)));
    lines.origin_start = start;
}

/// The origin of `line`, an output line a stage's answer made from `input` (which carries
/// origins), as the module docs say.
pub(crate) fn of_output_line(line: &OutputLine<'_>, input: &Lines) -> u64 {
    let i = line.source;
    match (line.rewritten && line.detached, i) {
        (true, 0) => input.origin_start,
        (true, i) => input.origins[i - 1],
        (false, i) => input.origins[i],
    }
}

/// Keeps `to`'s origins in step after [`Lines::extend_from`] appended lines `range` of `from`
/// to the `before` lines it had: either side without origins gets [`NONE`] for its lines.
pub(crate) fn extend(to: &mut Lines, before: usize, from: &Lines, range: Range<usize>) {
    if from.origins.is_empty() {
        if !to.origins.is_empty() {
            to.origins.resize(to.len(), NONE);
        }
        return;
    }
    if before == 0 {
        to.origin_start = match range.start {
            0 => from.origin_start,
            i => from.origins[i - 1],
        };
    }
    to.origins.resize(before, NONE);
    to.origins.extend_from_slice(&from.origins[range]);
}

/// The largest origin in `lines`, if any line has one.
pub(crate) fn largest(lines: &Lines) -> Option<u64> {
    lines.origins.iter().copied().filter(|&o| o != NONE).max()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framing::Terminator;
    use crate::output::StageOutput;

    /// Lines `a`, `b`, `c` read at offset 100 (`a\nb\nc\n`).
    fn read_at_100() -> Lines {
        let mut lines = Lines::default();
        lines.push_framed(b"a\nb\nc\n", &[2, 4, 6]);
        set_framed(&mut lines, 100, 90, &[2, 4, 6]);
        lines
    }

    #[test]
    fn framed_lines_end_where_their_terminator_ends() {
        let lines = read_at_100();
        assert_eq!(lines.origins, [102, 104, 106]);
        assert_eq!(lines.origin_start, 90);
        assert_eq!(largest(&lines), Some(106));
    }

    #[test]
    fn a_kept_or_rewritten_line_takes_its_input_lines_origin() {
        let input = read_at_100();
        // Drops `a`, rewrites `b`, splits `c` in two.
        let output = StageOutput {
            source: vec![1, 2, 2],
            rewritten: vec![0],
            data: b"B".to_vec(),
            ends: vec![1],
            ..StageOutput::default()
        };
        let mut out = Lines::default();
        output.apply(&input, &mut out);
        assert_eq!(out.origins, [104, 106, 106]);
    }

    #[test]
    fn a_held_line_emitted_detached_takes_the_origin_before_its_source() {
        let input = read_at_100();
        // A block held from an earlier batch comes out before `a` (detached), then `a` and a
        // block held from this batch before `c`.
        let output = StageOutput {
            source: vec![0, 0, 2],
            rewritten: vec![0, 2],
            data: b"oldnew".to_vec(),
            ends: vec![3, 6],
            detached: vec![0, 2],
            ..StageOutput::default()
        };
        let mut out = Lines::default();
        output.apply(&input, &mut out);
        assert_eq!(out.origins, [90, 102, 104]);
        assert_eq!(out.origin_start, 90);
    }

    #[test]
    fn lines_without_origins_stay_without() {
        let mut input = Lines::default();
        input.push(b"x", Terminator::Lf, false);
        let output = StageOutput {
            source: vec![0],
            rewritten: vec![0],
            data: b"y".to_vec(),
            ends: vec![1],
            detached: vec![0],
            ..StageOutput::default()
        };
        let mut out = Lines::default();
        output.apply(&input, &mut out);
        assert!(out.origins.is_empty());
        assert_eq!(largest(&out), None);
    }

    #[test]
    fn runs_cut_and_joined_keep_their_origins_and_starts() {
        let input = read_at_100();
        let mut run = Lines::default();
        run.extend_from(&input, 1..3);
        assert_eq!(run.origins, [104, 106]);
        assert_eq!(run.origin_start, 102);
        let mut joined = Lines::default();
        joined.extend_from(&input, 0..1);
        joined.extend_from(&run, 0..2);
        assert_eq!(joined, input);
    }

    #[test]
    fn joining_lines_with_and_without_origins_marks_the_ones_without() {
        let input = read_at_100();
        let mut emitted = Lines::default();
        emitted.push(b"e", Terminator::Lf, false);
        let mut joined = Lines::default();
        joined.extend_from(&emitted, 0..1);
        joined.extend_from(&input, 0..1);
        joined.push(b"p", Terminator::Lf, false);
        joined.extend_from(&emitted, 0..1);
        assert_eq!(joined.origins, [NONE, 102, NONE, NONE]);
        assert_eq!(largest(&joined), Some(102));
    }
}
