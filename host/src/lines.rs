//! [`Lines`]: a batch of lines as it travels down the chain.

use crate::fields::FieldTable;
use crate::framing::Terminator;

/// A batch of lines: their bytes without terminators, back to back, plus what the host keeps
/// about each line (its terminator, whether it is a partial piece), the fields and timestamps
/// stages have set and where the lines were read from. The layout is the WIT `batch` record's,
/// so a batch is handed to a plugin by moving its vectors.
///
/// Invariants: `ends` and `terms` have one entry per line; `ends` is non-decreasing and its last
/// entry is `data.len()`; `partial` holds ascending line indexes, and a partial line's
/// terminator is [`Terminator::None`]; `fields` satisfies [`FieldTable::check`]; `timestamps`
/// holds at most one entry per line, by ascending line index.
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
    /// (line, nanoseconds since the Unix epoch) for the lines that have a timestamp.
    pub timestamps: Vec<(u32, i64)>,
    /// Where the lines were read from (`-` for stdin), or empty for lines a stage emitted.
    pub source: String,
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
        self.timestamps.clear();
        self.source.clear();
    }

    /// Sets where the lines come from.
    pub fn set_source(&mut self, source: &str) {
        self.source.clear();
        self.source.push_str(source);
    }

    /// The timestamp of line `i`, if it has one.
    pub fn timestamp(&self, i: usize) -> Option<i64> {
        let i = i as u32;
        self.timestamps
            .binary_search_by_key(&i, |&(line, _)| line)
            .ok()
            .map(|k| self.timestamps[k].1)
    }

    /// Checks the invariants that a plugin's answer can break (fields and timestamps); the
    /// others hold by construction.
    pub fn check_annotations(&self) -> Result<(), String> {
        self.fields.check(self.len())?;
        check_timestamps(&self.timestamps, self.len())
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

    /// Appends lines `range` of `other`, with their terminators, partial marks, fields and
    /// timestamps. Used to split a batch into runs (a `match` stage's selected lines).
    pub fn extend_from(&mut self, other: &Lines, range: std::ops::Range<usize>) {
        let offset = self.len() as u32;
        let base = if range.start == 0 {
            0
        } else {
            other.ends[range.start - 1]
        };
        let end = if range.end == 0 {
            0
        } else {
            other.ends[range.end - 1]
        };
        let data_offset = self.data.len() as u32;
        self.data
            .extend_from_slice(&other.data[base as usize..end as usize]);
        self.ends.extend(
            other.ends[range.clone()]
                .iter()
                .map(|&e| e - base + data_offset),
        );
        self.terms.extend_from_slice(&other.terms[range.clone()]);
        let (start, stop) = (range.start as u32, range.end as u32);
        self.partial.extend(
            other
                .partial
                .iter()
                .filter(|&&p| p >= start && p < stop)
                .map(|&p| p - start + offset),
        );
        self.timestamps.extend(
            other
                .timestamps
                .iter()
                .filter(|&&(l, _)| l >= start && l < stop)
                .map(|&(l, ts)| (l - start + offset, ts)),
        );
        let first = other.fields.line.partition_point(|&l| l < start);
        let last = other.fields.line.partition_point(|&l| l < stop);
        for i in first..last {
            let name = self.fields.intern(other.fields.key(i));
            self.fields.push(
                other.fields.line[i] - start + offset,
                name,
                other.fields.value(i),
            );
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

/// Checks that `timestamps` names lines below `lines`, each at most once, in ascending order.
pub fn check_timestamps(timestamps: &[(u32, i64)], lines: usize) -> Result<(), String> {
    let mut previous = None;
    for (k, &(line, _)) in timestamps.iter().enumerate() {
        if line as usize >= lines {
            return Err(format!(
                "timestamps[{k}] is for line {line}, but there are {lines} lines"
            ));
        }
        if previous.is_some_and(|p| line <= p) {
            return Err(format!(
                "timestamps[{k}] (line {line}) is not in ascending order"
            ));
        }
        previous = Some(line);
    }
    Ok(())
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
    fn extend_from_copies_a_range_with_its_annotations() {
        let mut source = Lines::default();
        source.push(b"a", Terminator::Lf, false);
        source.push(b"bb", Terminator::CrLf, false);
        source.push(b"ccc", Terminator::None, true);
        let key = source.fields.intern("k");
        source.fields.push(1, key, b"v1");
        source.fields.push(2, key, b"v2");
        source.timestamps = vec![(0, 1), (2, 3)];
        let mut copy = Lines::default();
        copy.push(b"x", Terminator::Lf, false);
        copy.extend_from(&source, 1..3);
        let mut out = Vec::new();
        copy.write_to(&mut out);
        assert_eq!(out, b"x\nbb\r\nccc");
        assert_eq!(copy.partial, [2]);
        assert_eq!(copy.timestamps, [(2, 3)]);
        assert_eq!(
            copy.fields.of_line(1).collect::<Vec<_>>(),
            [("k", &b"v1"[..])]
        );
        assert_eq!(copy.check_annotations(), Ok(()));
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
