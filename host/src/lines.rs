//! [`Lines`]: a batch of lines as it travels down the chain.

use crate::fields::FieldTable;
use crate::framing::Terminator;

/// A batch of lines: their bytes without terminators, back to back, plus what the host keeps
/// about each line (its terminator, whether it is a partial piece) and the fields stages have
/// extracted. The layout is the WIT `batch` record's, so a batch is handed to a plugin by moving
/// its vectors.
///
/// Invariants: `ends` and `terms` have one entry per line; `ends` is non-decreasing and its last
/// entry is `data.len()`; `partial` holds ascending line indexes, and a partial line's
/// terminator is [`Terminator::None`]; `fields` satisfies [`FieldTable::check`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lines {
    /// The lines' bytes back to back, without terminators.
    pub data: Vec<u8>,
    /// `ends[i]` is the offset in `data` one past the end of line `i`.
    pub ends: Vec<u32>,
    /// How each line ended in the input, restored on output.
    pub terms: Vec<Terminator>,
    /// Ascending indexes of the lines that are partial pieces of an over-long line.
    pub partial: Vec<u32>,
    /// The fields of the lines.
    pub fields: FieldTable,
}

impl Lines {
    /// Number of lines.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when the batch holds no line.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Empties the batch, keeping its allocations.
    pub fn clear(&mut self) {
        self.data.clear();
        self.ends.clear();
        self.terms.clear();
        self.partial.clear();
        self.fields.clear();
    }

    /// The bytes of line `i`, without terminator.
    pub fn line(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.data[start..self.ends[i] as usize]
    }

    /// True when line `i` is a partial piece.
    pub fn is_partial(&self, i: usize) -> bool {
        self.partial.binary_search(&(i as u32)).is_ok()
    }

    /// Appends a line.
    pub fn push(&mut self, content: &[u8], term: Terminator, partial: bool) {
        debug_assert!(!partial || term == Terminator::None);
        if partial {
            self.partial.push(self.ends.len() as u32);
        }
        self.data.extend_from_slice(content);
        self.ends.push(self.data.len() as u32);
        self.terms.push(term);
    }

    /// Appends the complete lines in `raw`, which holds lines with their terminators as they
    /// were read (the last one may lack a terminator). The line path uses
    /// [`Lines::push_framed`], which does not search the bytes again.
    #[cfg(test)]
    pub fn push_raw(&mut self, raw: &[u8]) {
        let mut start = 0;
        for newline in memchr::memchr_iter(b'\n', raw) {
            let (content, term) = Terminator::split(&raw[start..=newline]);
            self.push(content, term, false);
            start = newline + 1;
        }
        if start < raw.len() {
            self.push(&raw[start..], Terminator::None, false);
        }
    }

    /// Appends the complete lines in `raw`, whose terminators end at `line_ends` (offsets one
    /// past each `\n`, as [`next_frame`](crate::framing::next_frame) records them).
    pub fn push_framed(&mut self, raw: &[u8], line_ends: &[u32]) {
        self.data.reserve(raw.len());
        self.ends.reserve(line_ends.len());
        self.terms.reserve(line_ends.len());
        let mut start = 0;
        for &end in line_ends {
            let (content, term) = Terminator::split(&raw[start..end as usize]);
            self.data.extend_from_slice(content);
            self.ends.push(self.data.len() as u32);
            self.terms.push(term);
            start = end as usize;
        }
    }

    /// Appends every line with its terminator to `out`: the bytes sluice writes.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        let mut start = 0;
        for (&end, term) in self.ends.iter().zip(&self.terms) {
            out.extend_from_slice(&self.data[start..end as usize]);
            out.extend_from_slice(term.bytes());
            start = end as usize;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_raw_keeps_terminators() {
        let raw = b"a\r\n\nb\rc\nlast";
        let mut lines = Lines::default();
        lines.push_raw(raw);
        assert_eq!(lines.len(), 4);
        assert_eq!(lines.line(0), b"a");
        assert_eq!(lines.line(1), b"");
        assert_eq!(lines.line(2), b"b\rc");
        assert_eq!(lines.line(3), b"last");
        assert_eq!(
            lines.terms,
            [
                Terminator::CrLf,
                Terminator::Lf,
                Terminator::Lf,
                Terminator::None
            ]
        );
        let mut out = Vec::new();
        lines.write_to(&mut out);
        assert_eq!(out, raw);
    }

    #[test]
    fn push_framed_matches_push_raw() {
        let raw = b"a\r\n\nb\rc\n";
        let mut framed = Lines::default();
        framed.push_framed(raw, &[3, 4, 8]);
        let mut searched = Lines::default();
        searched.push_raw(raw);
        assert_eq!(framed, searched);
    }

    #[test]
    fn partial_lines_are_recorded() {
        let mut lines = Lines::default();
        lines.push(b"abc", Terminator::Lf, false);
        lines.push(b"piece", Terminator::None, true);
        assert!(!lines.is_partial(0));
        assert!(lines.is_partial(1));
        assert_eq!(lines.partial, [1]);
    }
}
