//! [`Lines`]: a batch of lines as it travels down the chain.
//!
//! Its layout is the WIT `batch` record's; the rules it keeps are the contract's
//! ([`sluice_contract`]), which [`Lines::view`] lends it to.

use sluice_contract::{BatchView, EmittedView, LineList, Violation};

use crate::fields::FieldTable;
use crate::framing::Terminator;

/// A batch of lines: their bytes without terminators, back to back, plus what the host keeps
/// about each line (its terminator, whether it is a partial piece), the fields and timestamps
/// stages have set and where the lines were read from. The layout is the WIT `batch` record's,
/// so a batch is handed to a plugin by moving its vectors.
///
/// Invariants: `ends` and `terms` have one entry per line; `ends` is non-decreasing and its last
/// entry is `data.len()` (except while a stage's output is built into it, run by run:
/// [`Lines::push_end`]); `partial` holds ascending line indexes, and a partial line's
/// terminator is [`Terminator::None`]; `fields` satisfies [`sluice_contract::check_fields`]; `timestamps`
/// holds at most one entry per line, by ascending line index; `origins` is empty (the lines
/// carry no origin) or has one entry per line (see [`crate::origin`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lines {
    /// The lines' bytes back to back, without terminators.
    pub(crate) data: Vec<u8>,
    /// `ends[i]` is the offset in `data` one past the end of line `i`.
    pub(crate) ends: Vec<u32>,
    /// How each line ended in the input, restored on output.
    pub(crate) terms: Vec<Terminator>,
    /// Ascending indexes of the lines that are partial pieces of an over-long line.
    pub(crate) partial: Vec<u32>,
    /// The fields of the lines.
    pub(crate) fields: FieldTable,
    /// (line, nanoseconds since the Unix epoch) for the lines that have a timestamp.
    pub(crate) timestamps: Vec<(u32, i64)>,
    /// Where the lines were read from (`-` for stdin), or empty for lines a stage emitted.
    pub(crate) source: String,
    /// `origins[i]`: the offset in its file just past line `i` as read, terminator included
    /// ([`crate::origin`]); empty unless `--positions` is on and the lines came from a file.
    pub(crate) origins: Vec<u64>,
    /// Where the batch's first line started in its file: the origin of a line that stands
    /// before the first one. Meaningful only when `origins` is not empty.
    pub(crate) origin_start: u64,
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
    pub(crate) fn clear(&mut self) {
        self.data.clear();
        self.ends.clear();
        self.terms.clear();
        self.partial.clear();
        self.fields.clear();
        self.timestamps.clear();
        self.source.clear();
        self.origins.clear();
        self.origin_start = 0;
    }

    /// Sets where the lines come from.
    pub(crate) fn set_source(&mut self, source: &str) {
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
    #[cfg(test)]
    pub(crate) fn check_annotations(&self) -> Result<(), Violation> {
        self.fields.check(self.len())?;
        sluice_contract::check_timestamps(&self.timestamps, self.len())
    }

    /// The batch as the contract's view (what a plugin is sent, less `source`).
    pub(crate) fn view(&self) -> BatchView<'_> {
        BatchView {
            data: &self.data,
            ends: &self.ends,
            partial: &self.partial,
            fields: self.fields.view(),
            timestamps: &self.timestamps,
        }
    }

    /// The lines a stage emitted from `tick` or `finish` (the WIT `emitted` record's `data`,
    /// `ends`, `fields`, `timestamps`, `terminators` and `sources`), checked by the contract's
    /// rules, with a key set twice on one line resolved to its later value, as batches: one per
    /// run of lines from one source, in order. A line ends in `\n` unless `terminators` says
    /// otherwise; lines before the first entry of `sources` come from `own_source`.
    pub(crate) fn from_emitted(
        data: &[u8],
        ends: &[u32],
        fields: FieldTable,
        timestamps: Vec<(u32, i64)>,
        terminators: &[(u32, Terminator)],
        sources: &[(u32, String)],
        own_source: &str,
    ) -> Result<Vec<Lines>, Violation> {
        let emitted = EmittedView {
            data,
            ends,
            fields: fields.view(),
            timestamps: &timestamps,
        };
        sluice_contract::check_emitted(&emitted)?;
        sluice_contract::check_kinds(&fields.kinds, &fields.view(), |kind| kind)?;
        let count = emitted.len();
        sluice_contract::check_line_entries(LineList::Terminators, terminators, count)?;
        sluice_contract::check_line_entries(LineList::Sources, sources, count)?;
        let mut lines = Lines::default();
        let mut set = terminators.iter().peekable();
        for i in 0..count {
            let term = match set.next_if(|&&(line, _)| line as usize == i) {
                Some(&(_, term)) => term,
                None => Terminator::Lf,
            };
            lines.push(emitted.line(i), term, false);
        }
        let mut effective = 0;
        sluice_contract::resolve::emitted_fields(&fields.view(), |_, _| effective += 1);
        lines.fields = if effective == fields.len() {
            fields
        } else {
            let mut resolved = FieldTable {
                names: fields.names.clone(),
                ..FieldTable::default()
            };
            sluice_contract::resolve::emitted_fields(&fields.view(), |line, i| {
                resolved.push_kind(line, fields.name[i], fields.value(i), fields.kind(i));
            });
            resolved
        };
        lines.timestamps = timestamps;
        if count == 0 {
            return Ok(Vec::new());
        }
        // Runs of lines from one source: (first line, source).
        let mut runs: Vec<(usize, &str)> = Vec::with_capacity(sources.len() + 1);
        if sources.first().is_none_or(|&(first, _)| first > 0) {
            runs.push((0, own_source));
        }
        runs.extend(
            sources
                .iter()
                .map(|(first, source)| (*first as usize, source.as_str())),
        );
        if let [(_, source)] = runs[..] {
            lines.set_source(source);
            return Ok(vec![lines]);
        }
        let batches = runs
            .iter()
            .enumerate()
            .map(|(r, &(first, source))| {
                let end = runs.get(r + 1).map_or(count, |&(next, _)| next);
                let mut batch = Lines::default();
                batch.set_source(source);
                batch.extend_from(&lines, first..end);
                batch
            })
            .collect();
        Ok(batches)
    }

    /// How line `i` ended in the input: `\n`, `\r\n`, or nothing (the input's last line, or a
    /// partial piece).
    pub fn terminator(&self, i: usize) -> Terminator {
        self.terms[i]
    }

    /// Where the lines were read from: a path as given, `-` for standard input, or empty for
    /// lines a stage emitted on its own.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The fields stages set on the lines.
    pub fn fields(&self) -> &FieldTable {
        &self.fields
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
        self.data.extend_from_slice(content);
        self.push_end(self.data.len(), term, partial);
    }

    /// Appends a line that ends at `end` in `data`, without its bytes: the caller has put them
    /// there, or puts them there before `data` is read (a run of lines copied at once, see
    /// [`crate::output`]).
    #[inline]
    pub(crate) fn push_end(&mut self, end: usize, term: Terminator, partial: bool) {
        debug_assert!(!partial || term == Terminator::None);
        if partial {
            self.partial.push(self.ends.len() as u32);
        }
        self.ends.push(end as u32);
        self.terms.push(term);
        if !self.origins.is_empty() {
            self.origins.push(crate::origin::NONE);
        }
    }

    /// The number of bytes of the lines: one past the last line's end. While a stage's output
    /// is built this may be more than `data` holds yet (see [`Lines::push_end`]).
    pub(crate) fn byte_len(&self) -> usize {
        self.ends.last().map_or(0, |&end| end as usize)
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
    /// past each `\n`, as `framing::next_frame` records them).
    pub(crate) fn push_framed(&mut self, raw: &[u8], line_ends: &[u32]) {
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
    pub(crate) fn extend_from(&mut self, other: &Lines, range: std::ops::Range<usize>) {
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
        crate::origin::extend(self, offset as usize, other, range.clone());
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

    /// Emitted lines with only bytes, fields and timestamps, from a stage with no source.
    fn emitted(
        data: &[u8],
        ends: &[u32],
        fields: FieldTable,
        timestamps: Vec<(u32, i64)>,
    ) -> Result<Lines, Violation> {
        let mut batches = Lines::from_emitted(data, ends, fields, timestamps, &[], &[], "")?;
        assert!(batches.len() <= 1, "one source, at most one batch");
        Ok(batches.pop().unwrap_or_default())
    }

    fn written(lines: &Lines) -> Vec<u8> {
        let mut out = Vec::new();
        lines.write_to(&mut out);
        out
    }

    #[test]
    fn from_emitted_ends_every_line_in_a_newline() {
        let lines = emitted(b"ab", &[1, 1, 2], FieldTable::default(), vec![(2, 5)]).unwrap();
        assert_eq!(written(&lines), b"a\n\nb\n");
        assert_eq!(lines.timestamps, [(2, 5)]);
        assert!(lines.source.is_empty());
    }

    #[test]
    fn from_emitted_gives_lines_the_terminators_set() {
        let terms = [(0, Terminator::CrLf), (2, Terminator::None)];
        let batches = Lines::from_emitted(
            b"abc",
            &[1, 2, 3],
            FieldTable::default(),
            vec![],
            &terms,
            &[],
            "f",
        )
        .unwrap();
        assert_eq!(batches.len(), 1);
        assert_eq!(written(&batches[0]), b"a\r\nb\nc");
        assert_eq!(batches[0].source(), "f");
    }

    /// Lines keep the source the stage gives them: one batch per run, in order, with their
    /// fields, timestamps and terminators; lines before the first run have the stage's own.
    #[test]
    fn from_emitted_cuts_runs_of_sources_into_batches() {
        let mut fields = FieldTable::default();
        let key = fields.intern("k");
        fields.push(2, key, b"v");
        let sources = [(1, "a.log".to_owned()), (3, "b.log".to_owned())];
        let batches = Lines::from_emitted(
            b"0123",
            &[1, 2, 3, 4],
            fields,
            vec![(3, 9)],
            &[(2, Terminator::CrLf)],
            &sources,
            "own",
        )
        .unwrap();
        let summary: Vec<(&str, Vec<u8>)> =
            batches.iter().map(|b| (b.source(), written(b))).collect();
        assert_eq!(
            summary,
            [
                ("own", b"0\n".to_vec()),
                ("a.log", b"1\n2\r\n".to_vec()),
                ("b.log", b"3\n".to_vec())
            ]
        );
        assert_eq!(
            batches[1].fields.of_line(1).collect::<Vec<_>>(),
            [("k", &b"v"[..])]
        );
        assert_eq!(batches[2].timestamps, [(0, 9)]);
        let from_the_first = [(0, "z".to_owned())];
        let table = FieldTable::default;
        let batches =
            Lines::from_emitted(b"x", &[1], table(), vec![], &[], &from_the_first, "own").unwrap();
        assert_eq!(batches.len(), 1);
        assert_eq!(batches[0].source(), "z");
        let none = Lines::from_emitted(b"", &[], FieldTable::default(), vec![], &[], &[], "s");
        assert_eq!(none.unwrap().len(), 0);
    }

    /// Drift decided by the WIT ("when a plugin sets a key twice on one line, the later value
    /// wins"): emitted lines used to go downstream with both entries.
    #[test]
    fn from_emitted_keeps_the_later_value_of_a_key_set_twice() {
        let mut fields = FieldTable::default();
        let key = fields.intern("k");
        let other = fields.intern("other");
        fields.push(0, key, b"first");
        fields.push(0, other, b"o");
        fields.push(0, key, b"later");
        let lines = emitted(b"a", &[1], fields, vec![]).unwrap();
        assert_eq!(
            lines.fields.of_line(0).collect::<Vec<_>>(),
            [("other", &b"o"[..]), ("k", &b"later"[..])]
        );
        assert_eq!(lines.check_annotations(), Ok(()));
    }

    /// Drift decided by the WIT, which does not say an `emitted` record's last end is
    /// `len(data)`: bytes after it are unused, as for an `output`.
    #[test]
    fn from_emitted_ignores_unused_data_after_the_last_end() {
        let lines = emitted(b"abjunk", &[2], FieldTable::default(), vec![]).unwrap();
        assert_eq!(lines.data, b"ab");
    }

    #[test]
    fn from_emitted_rejects_what_breaks_the_contract() {
        let words = |r: Result<Lines, Violation>| r.unwrap_err().to_string();
        assert_eq!(
            words(emitted(b"ab", &[3], FieldTable::default(), vec![])),
            "ends[0] = 3 is out of order or past the 2 data bytes"
        );
        assert_eq!(
            words(emitted(b"ab", &[2], FieldTable::default(), vec![(1, 0)])),
            "timestamps[0] is for line 1, but there are 1 lines"
        );
        let mut fields = FieldTable::default();
        fields.values.push(b'x');
        assert!(matches!(
            emitted(b"ab", &[2], fields, vec![]),
            Err(Violation::ValuesAfterLastEntry { .. })
        ));
        let table = FieldTable::default;
        let terms = [(1, Terminator::CrLf)];
        let err = Lines::from_emitted(b"ab", &[2], table(), vec![], &terms, &[], "").unwrap_err();
        assert_eq!(
            err.to_string(),
            "terminators[0] is for line 1, but there are 1 lines"
        );
        let sources = [(1, "b".to_owned()), (1, "c".to_owned())];
        let err =
            Lines::from_emitted(b"ab", &[1, 2], table(), vec![], &[], &sources, "").unwrap_err();
        assert_eq!(
            err.to_string(),
            "sources[1] (line 1) is not in ascending order"
        );
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
