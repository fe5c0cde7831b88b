//! Copying an output's lines' bytes a run at a time.
//!
//! A stage's output lines come in runs whose bytes are contiguous: input lines passed through
//! one after another sit back to back in the input batch, and the lines a stage rewrote sit
//! back to back in its `data`. [`ByteRuns`] copies each run with one `memcpy`, where copying
//! line by line made one call per line of about a hundred bytes (3% of the sanitize → regex →
//! pack chain in `perf`). A stage that passes most lines through and rewrites a few
//! (`sanitize`) costs a copy per rewritten line; one that rewrites every line (`pack`) one copy
//! per batch.

use std::ops::Range;

use crate::framing::Terminator;
use crate::lines::Lines;

/// Where an output line's bytes are: in the input batch or in the stage's new bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Buffer {
    Input,
    Rewritten,
}

/// The run of bytes not copied yet while a batch is built from a stage's output.
///
/// Invariant: while a run is pending, `out.data` lacks its bytes, which the lines last pushed
/// end in: `out.ends` runs ahead of `out.data` by exactly `pending.len()`. Whatever reads
/// `out.data` (handing a part on, the end of building) comes after [`ByteRuns::flush`].
pub(super) struct ByteRuns<'a> {
    input: &'a [u8],
    rewritten: &'a [u8],
    /// The pending run's buffer and range in it; an empty range when nothing is pending.
    from: Buffer,
    pending: Range<usize>,
}

impl<'a> ByteRuns<'a> {
    /// Runs over lines whose bytes are in `input` (the batch the stage was given) or
    /// `rewritten` (the stage's new bytes).
    pub(super) fn new(input: &'a [u8], rewritten: &'a [u8]) -> Self {
        ByteRuns {
            input,
            rewritten,
            from: Buffer::Input,
            pending: 0..0,
        }
    }

    /// Appends a line to `out`: its end, terminator and partial mark now, its bytes with
    /// their run. `bytes` must lie in the stage's new bytes when `rewritten`, else in the
    /// input (as [`sluice_contract::resolve::lines`] gives them).
    ///
    /// # Panics
    ///
    /// When `bytes` does not lie in that buffer: copying the run would copy other bytes.
    #[inline]
    pub(super) fn push(
        &mut self,
        out: &mut Lines,
        bytes: &[u8],
        rewritten: bool,
        term: Terminator,
        partial: bool,
    ) {
        let from = if rewritten {
            Buffer::Rewritten
        } else {
            Buffer::Input
        };
        let range = self.range_in(from, bytes);
        if from == self.from && range.start == self.pending.end {
            self.pending.end = range.end;
        } else {
            self.flush(out);
            self.from = from;
            self.pending = range;
        }
        out.push_end(out.data.len() + self.pending.len(), term, partial);
    }

    /// Copies the pending run into `out.data`, which then holds every line pushed.
    pub(super) fn flush(&mut self, out: &mut Lines) {
        out.data
            .extend_from_slice(&self.buffer(self.from)[self.pending.clone()]);
        self.pending = 0..0;
    }

    /// The bytes `which` names.
    #[inline]
    fn buffer(&self, which: Buffer) -> &'a [u8] {
        match which {
            Buffer::Input => self.input,
            Buffer::Rewritten => self.rewritten,
        }
    }

    /// Where `bytes` lies in the buffer `from` names.
    #[inline]
    fn range_in(&self, from: Buffer, bytes: &[u8]) -> Range<usize> {
        let buffer = self.buffer(from);
        let start = (bytes.as_ptr() as usize).wrapping_sub(buffer.as_ptr() as usize);
        assert!(
            start <= buffer.len() && bytes.len() <= buffer.len() - start,
            "an output line's bytes are not in the buffer they are said to come from"
        );
        start..start + bytes.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adjacent_lines_of_one_buffer_are_copied_as_one_run() {
        let input = b"aaabbbccc";
        let rewritten = b"XY";
        let mut out = Lines::default();
        let mut runs = ByteRuns::new(input, rewritten);
        runs.push(&mut out, &input[0..3], false, Terminator::Lf, false);
        runs.push(&mut out, &input[3..6], false, Terminator::CrLf, false);
        assert!(out.data.is_empty(), "the run is still pending");
        assert_eq!(out.ends, [3, 6]);
        runs.push(&mut out, &rewritten[0..1], true, Terminator::Lf, false);
        assert_eq!(
            out.data, b"aaabbb",
            "a run from the other buffer flushed the first"
        );
        // Not adjacent to the line before it: a run of its own.
        runs.push(&mut out, &input[6..9], false, Terminator::None, true);
        runs.push(&mut out, &rewritten[1..2], true, Terminator::Lf, false);
        runs.flush(&mut out);
        let mut written = Vec::new();
        out.write_to(&mut written);
        assert_eq!(written, b"aaa\nbbb\r\nX\ncccY\n");
        assert_eq!(out.ends, [3, 6, 7, 10, 11]);
        assert_eq!(out.partial, [3]);
    }

    #[test]
    fn a_line_repeated_is_copied_each_time() {
        let input = b"ab";
        let mut out = Lines::default();
        let mut runs = ByteRuns::new(input, &[]);
        runs.push(&mut out, &input[..], false, Terminator::Lf, false);
        runs.push(&mut out, &input[..], false, Terminator::Lf, false);
        runs.push(&mut out, &input[2..], false, Terminator::Lf, false);
        runs.flush(&mut out);
        assert_eq!(out.data, b"abab");
        assert_eq!(out.ends, [2, 4, 4]);
    }

    #[test]
    #[should_panic(expected = "not in the buffer")]
    fn bytes_from_elsewhere_are_refused() {
        let input = b"abc";
        let elsewhere = b"xyz".to_vec();
        let mut out = Lines::default();
        ByteRuns::new(input, &[]).push(&mut out, &elsewhere, false, Terminator::Lf, false);
    }
}
