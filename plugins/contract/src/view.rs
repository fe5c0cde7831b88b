//! Borrowed views of the contract's records, as plain slices.
//!
//! The host and the guest SDK hold the records in types of their own (the host's `Lines` and
//! `StageOutput`, the SDK's wit-bindgen structs); each lends its vectors to these views, which
//! cost nothing to build, and this crate reads only the views. A view is just slices: nothing
//! in it is checked until [`check_batch`](crate::check_batch),
//! [`check_output`](crate::check_output) or [`check_emitted`](crate::check_emitted) says so, and
//! the accessors and [`resolve`](crate::resolve) functions may panic on a view that has not
//! passed its check.

use std::ops::Range;

/// A WIT `fields` record: entry `i` gives line `line[i]` the field `names[name[i]]` with value
/// `values[value_ends[i - 1]..value_ends[i]]` (the first value starts at 0).
///
/// Checked ([`check_fields`](crate::check_fields)): `line`, `name` and `value_ends` have the
/// same length; `line` is non-decreasing and below the number of lines; every `name[i]`
/// indexes `names`; `value_ends` is non-decreasing and its last entry is `values.len()` (0
/// when there is no entry); `names` are distinct, so two entries have the same key exactly
/// when they have the same `name`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FieldsView<'a> {
    /// The distinct keys used in the table.
    pub names: &'a [String],
    /// The line of each entry.
    pub line: &'a [u32],
    /// The key of each entry, as an index into `names`.
    pub name: &'a [u32],
    /// The values back to back.
    pub values: &'a [u8],
    /// The end offset in `values` of each entry's value.
    pub value_ends: &'a [u32],
}

impl<'a> FieldsView<'a> {
    /// The number of entries.
    #[inline]
    pub fn len(&self) -> usize {
        self.line.len()
    }

    /// True when no line has a field.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.line.is_empty()
    }

    /// The key of entry `i`.
    #[inline]
    pub fn key(&self, i: usize) -> &'a str {
        &self.names[self.name[i] as usize]
    }

    /// The value of entry `i`.
    #[inline]
    pub fn value(&self, i: usize) -> &'a [u8] {
        &self.values[range(self.value_ends, i)]
    }
}

/// A WIT `batch` record, without its `source` (which no rule reads): line `i` is
/// `data[ends[i - 1]..ends[i]]`.
///
/// Checked ([`check_batch`](crate::check_batch)): `ends` is non-decreasing and its last entry
/// is `data.len()`; `partial` is ascending and names lines; `fields` is a checked table for
/// `ends.len()` lines; `timestamps` is ascending by line, one per line at most.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BatchView<'a> {
    /// The lines' bytes back to back, without terminators.
    pub data: &'a [u8],
    /// `ends[i]` is the offset in `data` one past the end of line `i`.
    pub ends: &'a [u32],
    /// Ascending indexes of the lines that are partial pieces of an over-long line.
    pub partial: &'a [u32],
    /// The fields of the lines.
    pub fields: FieldsView<'a>,
    /// (line, timestamp) by ascending line.
    pub timestamps: &'a [(u32, i64)],
}

impl<'a> BatchView<'a> {
    /// The number of lines.
    #[inline]
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when the batch holds no line.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The bytes of line `i`.
    #[inline]
    pub fn line(&self, i: usize) -> &'a [u8] {
        &self.data[range(self.ends, i)]
    }
}

/// A WIT `output` record, without its `wake` (which no rule reads): output line `j` comes from
/// input line `source[j]`; see [`resolve`](crate::resolve) for what it carries.
///
/// Checked against the input batch's line count ([`check_output`](crate::check_output), whose
/// documentation lists the rules).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OutputView<'a> {
    /// `source[j]`: the input line output line `j` comes from.
    pub source: &'a [u32],
    /// Ascending indexes of the output lines with new bytes.
    pub rewritten: &'a [u32],
    /// The new bytes of the `rewritten` lines, back to back.
    pub data: &'a [u8],
    /// `ends[k]` is the offset in `data` one past the end of `rewritten[k]`'s bytes.
    pub ends: &'a [u32],
    /// Ascending indexes of the output lines that inherit no fields and no timestamp.
    pub detached: &'a [u32],
    /// (output line, key) of the fields taken off output lines, by non-decreasing line.
    pub removed: &'a [(u32, String)],
    /// Fields set on output lines (`line` holds output indexes).
    pub fields: FieldsView<'a>,
    /// (output line, timestamp) set on output lines, by ascending line.
    pub timestamps: &'a [(u32, i64)],
}

impl<'a> OutputView<'a> {
    /// The new bytes of `rewritten[k]`.
    #[inline]
    pub fn rewritten_bytes(&self, k: usize) -> &'a [u8] {
        &self.data[range(self.ends, k)]
    }
}

/// A WIT `emitted` record's lines, without `report` and `wake`: line `i` is
/// `data[ends[i - 1]..ends[i]]`, with the fields and timestamps set on it.
///
/// Checked ([`check_emitted`](crate::check_emitted)): `ends` is non-decreasing and within
/// `data`; `fields` is a checked table for `ends.len()` lines; `timestamps` is ascending by
/// line, one per line at most.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EmittedView<'a> {
    /// The lines' bytes back to back.
    pub data: &'a [u8],
    /// `ends[i]` is the offset in `data` one past the end of line `i`.
    pub ends: &'a [u32],
    /// Fields of the lines.
    pub fields: FieldsView<'a>,
    /// (line, timestamp) by ascending line.
    pub timestamps: &'a [(u32, i64)],
}

impl<'a> EmittedView<'a> {
    /// The number of lines.
    #[inline]
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when nothing was emitted.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The bytes of line `i`.
    #[inline]
    pub fn line(&self, i: usize) -> &'a [u8] {
        &self.data[range(self.ends, i)]
    }
}

/// The range of item `i` in a buffer whose items end at `ends` (the first starts at 0).
#[inline]
pub(crate) fn range(ends: &[u32], i: usize) -> Range<usize> {
    let start = if i == 0 { 0 } else { ends[i - 1] as usize };
    start..ends[i] as usize
}
