//! [`Violation`]: which rule of the contract a batch or an answer broke, with the indexes and
//! values that broke it.
//!
//! The words are the host's: `sluice` prints them after `malformed output: ` (and the SDK after
//! `malformed batch from host: `), and tests and snapshots hold them, so a change of wording
//! here is a change of the CLI's output. Some rules share one sentence (an end that goes
//! backwards and an end past the data read the same); the variants still tell them apart.

use std::fmt;

use crate::Kind;

/// One broken rule of the contract. `Display` gives the sentence the host prints; the fields
/// give the indexes (`j` an output line, `k` an entry of a per-line list, `i` an entry of a
/// fields table) and the values at fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Violation {
    /// A batch's `data` or `ends` is too long for `u32` offsets (batch only).
    BatchTooLarge {
        /// The number of lines.
        lines: usize,
        /// The number of data bytes.
        bytes: usize,
    },
    /// `ends[k]` is less than `ends[k - 1]`.
    EndsDecrease {
        /// The index in `ends`.
        k: usize,
        /// `ends[k]`.
        end: u32,
        /// `ends[k - 1]`.
        previous: u32,
        /// `len(data)`.
        data_len: usize,
    },
    /// `ends[k]` is past the end of `data`.
    EndPastData {
        /// The index in `ends`.
        k: usize,
        /// `ends[k]`.
        end: u32,
        /// `len(data)`.
        data_len: usize,
    },
    /// A batch's last end is not `len(data)`: bytes that belong to no line (batch only).
    DataAfterLastLine {
        /// The last end (0 without lines).
        last: u32,
        /// `len(data)`.
        data_len: usize,
    },
    /// `partial[k]` is not a line of the batch (batch only).
    PartialOutOfRange {
        /// The index in `partial`.
        k: usize,
        /// `partial[k]`.
        line: u32,
        /// The number of lines.
        lines: usize,
    },
    /// `partial[k]` is not above `partial[k - 1]` (batch only).
    PartialNotAscending {
        /// The index in `partial`.
        k: usize,
        /// `partial[k]`.
        line: u32,
    },
    /// `source[j]` is not a line of the input batch.
    SourceOutOfRange {
        /// The output line.
        j: usize,
        /// `source[j]`.
        source: u32,
        /// The number of input lines.
        lines: usize,
    },
    /// `source[j]` is less than `source[j - 1]`.
    SourceOutOfOrder {
        /// The output line.
        j: usize,
        /// `source[j]`.
        source: u32,
        /// `source[j - 1]`.
        previous: u32,
    },
    /// `rewritten` and `ends` have different lengths.
    EndsCount {
        /// `len(rewritten)`.
        rewritten: usize,
        /// `len(ends)`.
        ends: usize,
    },
    /// `rewritten[k]` is not an output line.
    RewrittenOutOfRange {
        /// The index in `rewritten`.
        k: usize,
        /// `rewritten[k]`.
        line: u32,
        /// The number of output lines.
        lines: usize,
    },
    /// `rewritten[k]` is not above `rewritten[k - 1]`.
    RewrittenNotAscending {
        /// The index in `rewritten`.
        k: usize,
        /// `rewritten[k]`.
        line: u32,
    },
    /// `detached[k]` is not above `detached[k - 1]`.
    DetachedNotAscending {
        /// The index in `detached`.
        k: usize,
        /// `detached[k]`.
        line: u32,
    },
    /// `detached[k]` is not in `rewritten`.
    DetachedNotRewritten {
        /// The index in `detached`.
        k: usize,
        /// `detached[k]`.
        line: u32,
    },
    /// `removed[k]` is for a line that is not an output line.
    RemovedOutOfRange {
        /// The index in `removed`.
        k: usize,
        /// The output line of `removed[k]`.
        line: u32,
        /// The number of output lines.
        lines: usize,
    },
    /// `removed[k]`'s line is less than `removed[k - 1]`'s.
    RemovedOutOfOrder {
        /// The index in `removed`.
        k: usize,
        /// The output line of `removed[k]`.
        line: u32,
        /// The number of output lines.
        lines: usize,
    },
    /// `timestamps[k]` is for a line that does not exist.
    TimestampOutOfRange {
        /// The index in `timestamps`.
        k: usize,
        /// The line of `timestamps[k]`.
        line: u32,
        /// The number of lines.
        lines: usize,
    },
    /// `timestamps[k]`'s line is not above `timestamps[k - 1]`'s (two timestamps for one line,
    /// or out of order).
    TimestampNotAscending {
        /// The index in `timestamps`.
        k: usize,
        /// The line of `timestamps[k]`.
        line: u32,
    },
    /// A batch's `terminators` does not have one entry per line (batch only).
    TerminatorsCount {
        /// `len(terminators)`.
        terminators: usize,
        /// The number of lines.
        lines: usize,
    },
    /// A batch gives a partial piece a terminator other than `none` (batch only).
    PartialTerminated {
        /// The partial line.
        line: u32,
    },
    /// `list[k]` (an answer's `terminators` or `sources`) is for a line that does not exist.
    LineEntryOutOfRange {
        /// Which list: `terminators` or `sources`.
        list: LineList,
        /// The index in the list.
        k: usize,
        /// The line of `list[k]`.
        line: u32,
        /// The number of lines.
        lines: usize,
    },
    /// `list[k]`'s line is not above `list[k - 1]`'s (two entries for one line, or out of
    /// order).
    LineEntryNotAscending {
        /// Which list: `terminators` or `sources`.
        list: LineList,
        /// The index in the list.
        k: usize,
        /// The line of `list[k]`.
        line: u32,
    },
    /// A fields table's `line`, `name` and `value-ends` have different lengths.
    FieldLengths {
        /// `len(line)`.
        line: usize,
        /// `len(name)`.
        name: usize,
        /// `len(value-ends)`.
        value_ends: usize,
    },
    /// A fields table's `line[i]` is not a line.
    FieldLineOutOfRange {
        /// The entry.
        i: usize,
        /// `line[i]`.
        line: u32,
        /// The number of lines.
        lines: usize,
    },
    /// A fields table's `line[i]` is less than `line[i - 1]`.
    FieldLineOutOfOrder {
        /// The entry.
        i: usize,
        /// `line[i]`.
        line: u32,
        /// `line[i - 1]`.
        previous: u32,
    },
    /// A fields table's `name[i]` does not index `names`.
    FieldNameOutOfRange {
        /// The entry.
        i: usize,
        /// `name[i]`.
        name: u32,
        /// `len(names)`.
        names: usize,
    },
    /// A fields table's `value-ends[i]` is less than `value-ends[i - 1]`.
    ValueEndsDecrease {
        /// The entry.
        i: usize,
        /// `value-ends[i]`.
        end: u32,
        /// `value-ends[i - 1]`.
        previous: u32,
        /// `len(values)`.
        values_len: usize,
    },
    /// A fields table's `value-ends[i]` is past the end of `values`.
    ValueEndPastValues {
        /// The entry.
        i: usize,
        /// `value-ends[i]`.
        end: u32,
        /// `len(values)`.
        values_len: usize,
    },
    /// A fields table's last `value-ends` entry is short of `len(values)`: value bytes that
    /// belong to no entry.
    ValuesAfterLastEntry {
        /// The last `value-ends` entry (0 without entries).
        last: u32,
        /// `len(values)`.
        values_len: usize,
    },
    /// A fields table's `names[i]` repeats `names[first]`.
    NameRepeated {
        /// The later index in `names`.
        i: usize,
        /// The earlier index with the same key.
        first: usize,
        /// The key.
        name: String,
    },
    /// A fields table's `kinds` is neither empty nor one per entry.
    KindsLength {
        /// `len(kinds)`.
        kinds: usize,
        /// The number of entries.
        entries: usize,
    },
    /// A fields table's value is not of the form its kind says.
    ValueNotOfKind {
        /// The entry.
        i: usize,
        /// `kinds[i]`.
        kind: Kind,
        /// The start of the value, as text.
        value: String,
    },
}

/// An answer's list of (line, value) entries other than `timestamps`, which has its own
/// variants: the rules are the same (lines in range, strictly ascending).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineList {
    /// `terminators` of an `output` or `emitted` record.
    Terminators,
    /// `sources` of an `emitted` record.
    Sources,
}

impl fmt::Display for LineList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LineList::Terminators => "terminators",
            LineList::Sources => "sources",
        })
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Violation::*;
        match self {
            BatchTooLarge { lines, bytes } => write!(
                f,
                "more than 4 GiB: {lines} lines of {bytes} bytes do not fit u32 offsets"
            ),
            EndsDecrease {
                k, end, data_len, ..
            }
            | EndPastData { k, end, data_len } => write!(
                f,
                "ends[{k}] = {end} is out of order or past the {data_len} data bytes"
            ),
            DataAfterLastLine { last, data_len } => {
                write!(f, "the last end is {last} but data holds {data_len} bytes")
            }
            PartialOutOfRange { k, line, lines } => {
                write!(f, "partial[{k}] = {line}, but the batch has {lines} lines")
            }
            PartialNotAscending { k, line } => write!(f, "partial[{k}] = {line} is not ascending"),
            SourceOutOfRange { j, source, lines } => {
                write!(f, "source[{j}] = {source}, but the batch has {lines} lines")
            }
            SourceOutOfOrder {
                j,
                source,
                previous,
            } => write!(
                f,
                "source[{j}] = {source} comes after {previous}; output must keep input order"
            ),
            EndsCount { rewritten, ends } => {
                write!(f, "{rewritten} rewritten lines but {ends} ends")
            }
            RewrittenOutOfRange { k, line, lines } => write!(
                f,
                "rewritten[{k}] = {line}, but there are {lines} output lines"
            ),
            RewrittenNotAscending { k, line } => {
                write!(f, "rewritten[{k}] = {line} is not ascending")
            }
            DetachedNotAscending { k, line } => {
                write!(f, "detached[{k}] = {line} is not ascending")
            }
            DetachedNotRewritten { k, line } => write!(
                f,
                "detached[{k}] = {line} is not rewritten; a detached line needs new bytes"
            ),
            RemovedOutOfRange { k, line, lines } | RemovedOutOfOrder { k, line, lines } => write!(
                f,
                "removed[{k}] is for output line {line}, out of range or order ({lines} output lines)"
            ),
            TimestampOutOfRange { k, line, lines } => write!(
                f,
                "timestamps[{k}] is for line {line}, but there are {lines} lines"
            ),
            TimestampNotAscending { k, line } => {
                write!(f, "timestamps[{k}] (line {line}) is not in ascending order")
            }
            TerminatorsCount { terminators, lines } => write!(
                f,
                "{terminators} terminators for {lines} lines; there must be one per line"
            ),
            PartialTerminated { line } => write!(
                f,
                "line {line} is a partial piece but its terminator is not `none`"
            ),
            LineEntryOutOfRange {
                list,
                k,
                line,
                lines,
            } => write!(
                f,
                "{list}[{k}] is for line {line}, but there are {lines} lines"
            ),
            LineEntryNotAscending { list, k, line } => {
                write!(f, "{list}[{k}] (line {line}) is not in ascending order")
            }
            FieldLengths {
                line,
                name,
                value_ends,
            } => write!(
                f,
                "fields: `line`, `name` and `value-ends` have lengths {line}, {name} and \
                 {value_ends}; they must be equal"
            ),
            FieldLineOutOfRange { i, line, lines } => write!(
                f,
                "fields: line[{i}] = {line}, but there are only {lines} lines"
            ),
            FieldLineOutOfOrder { i, line, previous } => write!(
                f,
                "fields: line[{i}] = {line} comes after {previous}; entries must be in line order"
            ),
            FieldNameOutOfRange { i, name, names } => write!(
                f,
                "fields: name[{i}] = {name}, but there are only {names} names"
            ),
            ValueEndsDecrease {
                i, end, values_len, ..
            }
            | ValueEndPastValues { i, end, values_len } => write!(
                f,
                "fields: value-ends[{i}] = {end} is out of order or past the {values_len} value \
                 bytes"
            ),
            ValuesAfterLastEntry { last, values_len } => write!(
                f,
                "fields: the last value-ends entry is {last}, but there are {values_len} value \
                 bytes; it must be len(values)"
            ),
            NameRepeated { i, first, name } => write!(
                f,
                "fields: names[{i}] = {name:?} repeats names[{first}]; names must be distinct"
            ),
            KindsLength { kinds, entries } => write!(
                f,
                "fields: `kinds` has {kinds} entries for {entries} fields; it must be empty (all \
                 text) or one per field"
            ),
            ValueNotOfKind { i, kind, value } => write!(
                f,
                "fields: kinds[{i}] says {kind}, but the value is {value:?}"
            ),
        }
    }
}

impl std::error::Error for Violation {}

/// For callers that still report errors as text: `?` words the violation.
impl From<Violation> for String {
    fn from(violation: Violation) -> String {
        violation.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sentences the host has always printed: `tests/` and snapshots hold them.
    #[test]
    fn host_words_are_unchanged() {
        let cases = [
            (
                Violation::SourceOutOfRange {
                    j: 1,
                    source: 5,
                    lines: 3,
                },
                "source[1] = 5, but the batch has 3 lines",
            ),
            (
                Violation::SourceOutOfOrder {
                    j: 1,
                    source: 1,
                    previous: 2,
                },
                "source[1] = 1 comes after 2; output must keep input order",
            ),
            (
                Violation::EndsCount {
                    rewritten: 2,
                    ends: 1,
                },
                "2 rewritten lines but 1 ends",
            ),
            (
                Violation::RewrittenOutOfRange {
                    k: 0,
                    line: 1,
                    lines: 1,
                },
                "rewritten[0] = 1, but there are 1 output lines",
            ),
            (
                Violation::RewrittenNotAscending { k: 1, line: 0 },
                "rewritten[1] = 0 is not ascending",
            ),
            (
                Violation::EndsDecrease {
                    k: 1,
                    end: 0,
                    previous: 1,
                    data_len: 1,
                },
                "ends[1] = 0 is out of order or past the 1 data bytes",
            ),
            (
                Violation::EndPastData {
                    k: 0,
                    end: 2,
                    data_len: 1,
                },
                "ends[0] = 2 is out of order or past the 1 data bytes",
            ),
            (
                Violation::DetachedNotAscending { k: 1, line: 0 },
                "detached[1] = 0 is not ascending",
            ),
            (
                Violation::DetachedNotRewritten { k: 0, line: 0 },
                "detached[0] = 0 is not rewritten; a detached line needs new bytes",
            ),
            (
                Violation::RemovedOutOfRange {
                    k: 0,
                    line: 2,
                    lines: 2,
                },
                "removed[0] is for output line 2, out of range or order (2 output lines)",
            ),
            (
                Violation::RemovedOutOfOrder {
                    k: 1,
                    line: 0,
                    lines: 2,
                },
                "removed[1] is for output line 0, out of range or order (2 output lines)",
            ),
            (
                Violation::TimestampOutOfRange {
                    k: 0,
                    line: 3,
                    lines: 3,
                },
                "timestamps[0] is for line 3, but there are 3 lines",
            ),
            (
                Violation::TimestampNotAscending { k: 1, line: 0 },
                "timestamps[1] (line 0) is not in ascending order",
            ),
            (
                Violation::FieldLengths {
                    line: 3,
                    name: 3,
                    value_ends: 2,
                },
                "fields: `line`, `name` and `value-ends` have lengths 3, 3 and 2; they must be equal",
            ),
            (
                Violation::FieldLineOutOfRange {
                    i: 1,
                    line: 2,
                    lines: 2,
                },
                "fields: line[1] = 2, but there are only 2 lines",
            ),
            (
                Violation::FieldLineOutOfOrder {
                    i: 2,
                    line: 1,
                    previous: 2,
                },
                "fields: line[2] = 1 comes after 2; entries must be in line order",
            ),
            (
                Violation::FieldNameOutOfRange {
                    i: 0,
                    name: 9,
                    names: 2,
                },
                "fields: name[0] = 9, but there are only 2 names",
            ),
            (
                Violation::ValueEndsDecrease {
                    i: 2,
                    end: 1,
                    previous: 3,
                    values_len: 11,
                },
                "fields: value-ends[2] = 1 is out of order or past the 11 value bytes",
            ),
            (
                Violation::ValueEndPastValues {
                    i: 2,
                    end: 99,
                    values_len: 11,
                },
                "fields: value-ends[2] = 99 is out of order or past the 11 value bytes",
            ),
        ];
        for (violation, words) in cases {
            assert_eq!(violation.to_string(), words);
        }
    }

    #[test]
    fn new_rules_say_what_is_required() {
        let unused = Violation::ValuesAfterLastEntry {
            last: 1,
            values_len: 2,
        };
        assert_eq!(
            unused.to_string(),
            "fields: the last value-ends entry is 1, but there are 2 value bytes; it must be \
             len(values)"
        );
        let repeated = Violation::NameRepeated {
            i: 2,
            first: 0,
            name: "level".into(),
        };
        assert_eq!(
            repeated.to_string(),
            "fields: names[2] = \"level\" repeats names[0]; names must be distinct"
        );
    }

    #[test]
    fn question_mark_words_a_violation_for_string_errors() {
        fn text() -> Result<(), String> {
            Err(Violation::TimestampNotAscending { k: 1, line: 0 })?
        }
        assert_eq!(
            text().unwrap_err(),
            "timestamps[1] (line 0) is not in ascending order"
        );
    }
}
