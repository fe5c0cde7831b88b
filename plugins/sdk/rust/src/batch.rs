//! Read-only views of an input batch: [`Batch`], [`Line`] and a line's [`Fields`].
//!
//! The host sends a batch as a handful of flat vectors (see `batch` and `fields` in
//! `wit/plugin.wit`). [`Batch::new`] checks them once, by the contract's rules, which the host
//! shares ([`sluice_contract::check_batch`]); the views then slice them without copying, and
//! iterating over a batch walks the `partial` list and the fields table with cursors, so
//! visiting a line costs a few comparisons whatever the batch's size.

use crate::bindings::sluice::plugin::types;
use crate::{Kind, Terminator};
use sluice_contract::{BatchView, FieldsView, Violation};
use std::fmt;
use std::ops::Range;

/// A batch of input lines, in stream order.
///
/// Lines are numbered from 0 within the batch. Their bytes are stored back to back in
/// [`Batch::data`], without terminators (the host restores them on output), and need not be
/// UTF-8.
#[derive(Clone, Copy, Debug)]
pub struct Batch<'a> {
    /// All lines' bytes back to back.
    data: &'a [u8],
    /// `ends[i]` is one past the last byte of line `i` in `data`; non-decreasing, the last
    /// entry is `data.len()` (checked by [`Batch::new`]).
    ends: &'a [u32],
    /// Ascending indexes of the lines that are partial pieces, each `< ends.len()`.
    partial: &'a [u32],
    /// The fields of the batch's lines, checked: line indexes `< ends.len()`.
    fields: FieldsView<'a>,
    /// The kind of each field's value: empty (all text) or one per entry, checked.
    kinds: &'a [types::Kind],
    /// (line, timestamp) by ascending line, each line `< ends.len()`.
    timestamps: &'a [(u32, i64)],
    /// Where the lines were read from.
    source: &'a str,
    /// How each line ended, one per line; `none` for each partial line.
    terminators: &'a [types::Terminator],
}

impl<'a> Batch<'a> {
    /// Checks the host's batch against the contract and wraps it.
    ///
    /// The error says which invariant is broken; the SDK returns it from `process`, so a host
    /// bug surfaces as a clear error rather than a trap.
    pub(crate) fn new(raw: &'a types::Batch) -> Result<Batch<'a>, MalformedBatch> {
        let view = batch_view(raw);
        sluice_contract::check_batch(&view).map_err(MalformedBatch)?;
        let is_none = |t: &types::Terminator| matches!(t, types::Terminator::None);
        sluice_contract::check_batch_terminators(&raw.terminators, is_none, &view)
            .map_err(MalformedBatch)?;
        // One kind per entry, or none; the values' forms are the host's to check (it did, on
        // the answer that set them), so a batch costs no parse of its numbers here.
        let (kinds, entries) = (raw.fields.kinds.len(), view.fields.len());
        if kinds != 0 && kinds != entries {
            return Err(MalformedBatch(Violation::KindsLength { kinds, entries }));
        }
        Ok(Batch {
            data: view.data,
            ends: view.ends,
            partial: view.partial,
            fields: view.fields,
            kinds: &raw.fields.kinds,
            timestamps: view.timestamps,
            source: &raw.source,
            terminators: &raw.terminators,
        })
    }

    /// The number of lines in the batch.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether the batch holds no line.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Where each line ends in [`Batch::data`].
    pub fn ends(&self) -> &'a [u32] {
        self.ends
    }

    /// All lines' bytes back to back, as the host sent them; line `i` is
    /// `data()[line_range(i)]`. Scanning this buffer once is faster than scanning each line.
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    /// The range of line `index`'s bytes in [`Batch::data`].
    ///
    /// # Panics
    ///
    /// When `index >= len()`.
    pub fn line_range(&self, index: usize) -> Range<usize> {
        let start = if index == 0 {
            0
        } else {
            self.ends[index - 1] as usize
        };
        start..self.ends[index] as usize
    }

    /// The index of the line that holds byte `offset` of [`Batch::data`], or `len()` when
    /// `offset` is past the last byte. Empty lines hold no byte and are never returned.
    pub fn line_at(&self, offset: usize) -> usize {
        self.ends.partition_point(|&end| end as usize <= offset)
    }

    /// Where the lines were read from: a file's path as the user gave it, `-` for standard
    /// input, or empty for lines a stage emitted on its own.
    pub fn source(&self) -> &'a str {
        self.source
    }

    /// Whether any line of the batch is a partial piece.
    pub fn has_partial(&self) -> bool {
        !self.partial.is_empty()
    }

    /// The lines in order.
    pub fn lines(&self) -> Lines<'a> {
        Lines {
            batch: *self,
            next: 0,
            partial_pos: 0,
            field_pos: 0,
            timestamp_pos: 0,
        }
    }

    /// Line `index`. Iterating with [`Batch::lines`] is cheaper for visiting every line.
    ///
    /// # Panics
    ///
    /// When `index >= len()`.
    pub fn line(&self, index: usize) -> Line<'a> {
        let range = self.line_range(index);
        let i = index as u32;
        let field_start = self.fields.line.partition_point(|&l| l < i);
        let field_end = field_start + self.fields.line[field_start..].partition_point(|&l| l == i);
        Line {
            index: i,
            start: range.start as u32,
            bytes: &self.data[range],
            terminator: Terminator::from_wit(self.terminators[index]),
            partial: self.partial.binary_search(&i).is_ok(),
            timestamp: self
                .timestamps
                .binary_search_by_key(&i, |&(line, _)| line)
                .ok()
                .map(|k| self.timestamps[k].1),
            fields: Fields {
                table: self.fields,
                kinds: self.kinds,
                entries: field_start as u32..field_end as u32,
            },
        }
    }
}

impl<'a> IntoIterator for &Batch<'a> {
    type Item = Line<'a>;
    type IntoIter = Lines<'a>;

    fn into_iter(self) -> Lines<'a> {
        self.lines()
    }
}

/// An iterator over a batch's lines, from [`Batch::lines`].
#[derive(Clone, Debug)]
pub struct Lines<'a> {
    batch: Batch<'a>,
    /// The index of the next line to yield.
    next: usize,
    /// The first entry of `batch.partial` not yet passed: every entry before it is `< next`.
    partial_pos: usize,
    /// The first entry of the fields table not yet passed: entries before it belong to lines
    /// `< next`.
    field_pos: usize,
    /// The first entry of `batch.timestamps` not yet passed.
    timestamp_pos: usize,
}

impl<'a> Iterator for Lines<'a> {
    type Item = Line<'a>;

    #[inline]
    fn next(&mut self) -> Option<Line<'a>> {
        let batch = &self.batch;
        let index = self.next;
        let end = *batch.ends.get(index)? as usize;
        let start = if index == 0 {
            0
        } else {
            batch.ends[index - 1] as usize
        };
        self.next += 1;
        let i = index as u32;

        let partial = batch.partial.get(self.partial_pos) == Some(&i);
        if partial {
            self.partial_pos += 1;
        }

        let table_lines = batch.fields.line;
        let field_start = self.field_pos;
        let mut field_end = field_start;
        while field_end < table_lines.len() && table_lines[field_end] == i {
            field_end += 1;
        }
        self.field_pos = field_end;

        let timestamp = match batch.timestamps.get(self.timestamp_pos) {
            Some(&(line, ts)) if line == i => {
                self.timestamp_pos += 1;
                Some(ts)
            }
            _ => None,
        };

        Some(Line {
            index: i,
            start: start as u32,
            bytes: &batch.data[start..end],
            terminator: Terminator::from_wit(batch.terminators[index]),
            partial,
            timestamp,
            fields: Fields {
                table: batch.fields,
                kinds: batch.kinds,
                entries: field_start as u32..field_end as u32,
            },
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.batch.len() - self.next;
        (left, Some(left))
    }
}

impl ExactSizeIterator for Lines<'_> {}

/// One input line: its bytes, whether it is a partial piece, and its fields.
#[derive(Clone, Debug)]
pub struct Line<'a> {
    /// The line's index in its batch.
    index: u32,
    /// The offset of the line's first byte in the batch's data.
    start: u32,
    /// The line's bytes, without terminator.
    bytes: &'a [u8],
    /// How the line ended in the input.
    terminator: Terminator,
    /// Whether more bytes of the same line follow in a later line.
    partial: bool,
    /// The line's timestamp, in nanoseconds since the Unix epoch.
    timestamp: Option<i64>,
    /// The line's fields.
    fields: Fields<'a>,
}

impl<'a> Line<'a> {
    /// The line's bytes, without its terminator (`\n` or `\r\n`, which the host keeps and
    /// restores on output). Not necessarily UTF-8; may contain NUL and lone `\r`.
    #[inline]
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// How the line ended in the input: `\n`, `\r\n`, or nothing (the input's last line, or
    /// a partial piece). A stage that holds the line and emits it later gives this back
    /// ([`crate::Output::set_terminator`], [`crate::Trailing::set_terminator`]).
    #[inline]
    pub fn terminator(&self) -> Terminator {
        self.terminator
    }

    /// The line's bytes as UTF-8 text, when they are valid UTF-8.
    pub fn to_str(&self) -> Option<&'a str> {
        std::str::from_utf8(self.bytes).ok()
    }

    /// The number of bytes in the line.
    #[inline]
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the line has no byte.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The line's index in its batch.
    #[inline]
    pub fn index(&self) -> usize {
        self.index as usize
    }

    /// The offset of the line's first byte in [`Batch::data`].
    #[inline]
    pub fn offset(&self) -> usize {
        self.start as usize
    }

    /// Whether this line is a *partial piece* of an over-long line: more bytes of the same
    /// line follow in a later line (possibly in a later batch). The host joins the pieces
    /// again on output with nothing in between.
    #[inline]
    pub fn is_partial(&self) -> bool {
        self.partial
    }

    /// The line's timestamp (nanoseconds since 1970-01-01T00:00:00Z), when a stage such as
    /// `timestamp` gave it one.
    #[inline]
    pub fn timestamp(&self) -> Option<i64> {
        self.timestamp
    }

    /// The value of the field named `key`, if the line has one.
    #[inline]
    pub fn field(&self, key: &str) -> Option<&'a [u8]> {
        self.fields.get(key)
    }

    /// The line's fields, in the order the host sent them.
    #[inline]
    pub fn fields(&self) -> Fields<'a> {
        self.fields.clone()
    }
}

/// One field of a line: a key and a value (bytes, not necessarily UTF-8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field<'a> {
    /// The field's name.
    pub key: &'a str,
    /// The field's value.
    pub value: &'a [u8],
    /// What the value is (text unless a stage said otherwise).
    pub kind: Kind,
}

/// The fields of one line; iterate over it for each [`Field`].
#[derive(Clone, Debug)]
pub struct Fields<'a> {
    table: FieldsView<'a>,
    /// The table's kinds: empty (all text) or one per entry.
    kinds: &'a [types::Kind],
    /// The line's entries in the table.
    entries: Range<u32>,
}

impl<'a> Fields<'a> {
    /// The number of fields.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the line has no field.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The field named `key`, with its kind.
    #[inline]
    pub fn find(&self, key: &str) -> Option<Field<'a>> {
        Iterator::find(&mut self.clone(), |field: &Field<'a>| field.key == key)
    }

    /// The value of the field named `key`.
    #[inline]
    pub fn get(&self, key: &str) -> Option<&'a [u8]> {
        let table = &self.table;
        (self.entries.start as usize..self.entries.end as usize)
            .find(|&i| table.key(i) == key)
            .map(|i| table.value(i))
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Field<'a>;

    #[inline]
    fn next(&mut self) -> Option<Field<'a>> {
        let i = self.entries.next()? as usize;
        Some(Field {
            key: self.table.key(i),
            value: self.table.value(i),
            kind: self
                .kinds
                .get(i)
                .map_or(Kind::Text, |&kind| Kind::from(kind)),
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.entries.len(), Some(self.entries.len()))
    }
}

impl ExactSizeIterator for Fields<'_> {}

/// A batch from the host that breaks the contract (a host bug), with the rule it broke.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MalformedBatch(pub(crate) Violation);

impl fmt::Display for MalformedBatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed batch from host: {}", self.0)
    }
}

impl std::error::Error for MalformedBatch {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

/// For `process`, whose errors are text: `?` words it.
impl From<MalformedBatch> for String {
    fn from(malformed: MalformedBatch) -> String {
        malformed.to_string()
    }
}

/// The host's batch as the contract's view.
pub(crate) fn batch_view(raw: &types::Batch) -> BatchView<'_> {
    BatchView {
        data: &raw.data,
        ends: &raw.ends,
        partial: &raw.partial,
        fields: fields_view(&raw.fields),
        timestamps: &raw.timestamps,
    }
}

/// A fields table as the contract's view.
pub(crate) fn fields_view(raw: &types::Fields) -> FieldsView<'_> {
    FieldsView {
        names: &raw.names,
        line: &raw.line,
        name: &raw.name,
        values: &raw.values,
        value_ends: &raw.value_ends,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(names: &[&str], entries: &[(u32, u32, &str)]) -> types::Fields {
        let mut f = types::Fields {
            names: names.iter().map(|s| s.to_string()).collect(),
            line: vec![],
            name: vec![],
            values: vec![],
            value_ends: vec![],
            kinds: Vec::new(),
        };
        for &(line, name, value) in entries {
            f.line.push(line);
            f.name.push(name);
            f.values.extend_from_slice(value.as_bytes());
            f.value_ends.push(f.values.len() as u32);
        }
        f
    }

    fn batch(lines: &[&str], partial: &[u32], fields: types::Fields) -> types::Batch {
        let mut b = types::Batch {
            data: vec![],
            ends: vec![],
            partial: partial.to_vec(),
            fields,
            timestamps: vec![],
            source: "app.log".into(),
            terminators: vec![],
        };
        for (i, l) in lines.iter().enumerate() {
            b.data.extend_from_slice(l.as_bytes());
            b.ends.push(b.data.len() as u32);
            b.terminators.push(if partial.contains(&(i as u32)) {
                types::Terminator::None
            } else {
                types::Terminator::Lf
            });
        }
        b
    }

    #[test]
    fn lines_carry_their_terminators_and_a_partial_piece_has_none() {
        let mut raw = batch(&["a", "b", "piece"], &[2], fields(&[], &[]));
        raw.terminators[0] = types::Terminator::Crlf;
        let batch = Batch::new(&raw).unwrap();
        let terms: Vec<Terminator> = batch.lines().map(|l| l.terminator()).collect();
        assert_eq!(terms, [Terminator::CrLf, Terminator::Lf, Terminator::None]);
        assert_eq!(batch.line(0).terminator(), Terminator::CrLf);
        raw.terminators[2] = types::Terminator::Lf;
        let err = Batch::new(&raw).unwrap_err().to_string();
        assert!(err.contains("line 2 is a partial piece"), "{err}");
        raw.terminators.pop();
        let err = Batch::new(&raw).unwrap_err().to_string();
        assert!(err.contains("2 terminators for 3 lines"), "{err}");
    }

    #[test]
    fn iterates_lines_partial_and_fields_with_cursors() {
        let raw = batch(
            &["GET /a", "", "piece", "tail"],
            &[2],
            fields(
                &["level", "path"],
                &[(0, 0, "INFO"), (0, 1, "/a"), (3, 1, "/t")],
            ),
        );
        let b = Batch::new(&raw).unwrap();
        let lines: Vec<_> = b.lines().collect();
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[0].bytes(), b"GET /a");
        assert_eq!(lines[0].field("level"), Some(&b"INFO"[..]));
        assert_eq!(lines[0].field("path"), Some(&b"/a"[..]));
        assert_eq!(lines[0].field("nope"), None);
        assert!(lines[1].is_empty());
        assert!(lines[1].fields().is_empty());
        assert!(lines[2].is_partial());
        assert!(!lines[3].is_partial());
        let f: Vec<_> = lines[3].fields().collect();
        assert_eq!(
            f,
            [Field {
                key: "path",
                value: b"/t",
                kind: Kind::Text,
            }]
        );
        assert_eq!(lines[3].offset(), 11);
        assert_eq!(b.source(), "app.log");
        for (i, l) in lines.iter().enumerate() {
            let random = b.line(i);
            assert_eq!(random.bytes(), l.bytes());
            assert_eq!(random.is_partial(), l.is_partial());
            assert_eq!(random.fields().count(), l.fields().count());
        }
    }

    #[test]
    fn timestamps_follow_their_lines() {
        let mut raw = batch(&["a", "b", "c"], &[], fields(&[], &[]));
        raw.timestamps = vec![(0, -1), (2, 7)];
        let b = Batch::new(&raw).unwrap();
        let ts: Vec<_> = b.lines().map(|l| l.timestamp()).collect();
        assert_eq!(ts, [Some(-1), None, Some(7)]);
        assert_eq!(b.line(2).timestamp(), Some(7));
        raw.timestamps = vec![(2, 0), (1, 0)];
        assert_eq!(
            Batch::new(&raw).unwrap_err().0,
            Violation::TimestampNotAscending { k: 1, line: 1 }
        );
    }

    #[test]
    fn line_at_maps_offsets_and_skips_empty_lines() {
        let raw = batch(&["ab", "", "c"], &[], fields(&[], &[]));
        let b = Batch::new(&raw).unwrap();
        assert_eq!(b.line_at(0), 0);
        assert_eq!(b.line_at(1), 0);
        assert_eq!(b.line_at(2), 2);
        assert_eq!(b.line_at(3), 3);
    }

    #[test]
    fn empty_batch() {
        let raw = batch(&[], &[], fields(&[], &[]));
        let b = Batch::new(&raw).unwrap();
        assert!(b.is_empty());
        assert_eq!(b.lines().count(), 0);
    }

    #[test]
    fn rejects_malformed_batches() {
        let rule = |raw: &types::Batch| Batch::new(raw).unwrap_err().0;
        let mut raw = batch(&["a", "b"], &[], fields(&[], &[]));
        raw.ends = vec![2, 1];
        assert!(matches!(rule(&raw), Violation::EndsDecrease { k: 1, .. }));
        raw.ends = vec![1, 3];
        assert!(matches!(rule(&raw), Violation::EndPastData { k: 1, .. }));
        raw.ends = vec![1, 1];
        assert!(matches!(rule(&raw), Violation::DataAfterLastLine { .. }));
        raw.ends = vec![1, 2];
        raw.partial = vec![1, 0];
        assert!(matches!(rule(&raw), Violation::PartialNotAscending { .. }));
        raw.partial = vec![2];
        assert!(matches!(rule(&raw), Violation::PartialOutOfRange { .. }));
        raw.partial = vec![];
        raw.fields = fields(&["k"], &[(1, 0, "v"), (0, 0, "w")]);
        assert!(matches!(rule(&raw), Violation::FieldLineOutOfOrder { .. }));
        raw.fields = fields(&["k"], &[(0, 1, "v")]);
        assert!(matches!(rule(&raw), Violation::FieldNameOutOfRange { .. }));
        raw.fields = fields(&["k", "k"], &[(0, 0, "v")]);
        assert!(matches!(rule(&raw), Violation::NameRepeated { .. }));
    }

    /// The WIT: the last `value-ends` entry is `len(values)`. The SDK always required it; the
    /// host now does too, with the same rule.
    #[test]
    fn rejects_value_bytes_after_the_last_entry() {
        let mut raw = batch(&["a"], &[], fields(&["k"], &[(0, 0, "v")]));
        raw.fields.values.push(b'x');
        assert_eq!(
            Batch::new(&raw).unwrap_err().0,
            Violation::ValuesAfterLastEntry {
                last: 1,
                values_len: 2
            }
        );
    }

    #[test]
    fn errors_say_the_batch_came_from_the_host() {
        let mut raw = batch(&["a", "b"], &[], fields(&[], &[]));
        raw.ends = vec![1, 3];
        let words: String = Batch::new(&raw).unwrap_err().into();
        assert_eq!(
            words,
            "malformed batch from host: ends[1] = 3 is out of order or past the 2 data bytes"
        );
    }
}
