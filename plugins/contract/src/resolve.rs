//! How a checked answer turns into lines: their bytes, how each ends, their fields and their
//! timestamps (the WIT `output` and `emitted` records' documentation, as code).
//!
//! - [`lines`]: output line `j` carries input line `source[j]`'s bytes unless `rewritten`
//!   names it. The last output line made from an input line ends as that line did and keeps
//!   its partial mark ([`End::AsSource`]); the ones before it end in the input line's
//!   terminator, or `\n` when it had none, and are never partial ([`End::NewlineIfNone`]).
//! - [`fields`]: an output line inherits its input line's fields unless it is detached, less
//!   the `removed` keys, then takes the ones set on it; a key set replaces the inherited one,
//!   and a key set twice keeps the later value. Order: the inherited fields that stay, in the
//!   input's order, then the set ones, in the order set (a key set twice where it was set
//!   last).
//! - [`timestamps`]: an output line inherits its input line's timestamp unless it is detached;
//!   one set on it replaces it.
//! - [`emitted_fields`]: lines from `tick` or `finish` inherit nothing; a key set twice keeps
//!   the later value.
//!
//! Everything walks the lists with cursors, once, in output order, and hands each result to
//! the caller (an iterator item or a callback), so resolving allocates nothing per line: the
//! host's line path runs through here. [`fields_of`] and [`timestamps_of`] resolve one range of
//! output lines, for a host that hands a large answer on in parts. Every function expects views that passed their check
//! ([`check_output`](crate::check_output) against `input`, or
//! [`check_emitted`](crate::check_emitted)); on others it may panic.

use std::ops::Range;

use crate::view::range;
use crate::{BatchView, FieldsView, OutputView};

impl OutputView<'_> {
    /// True when every input line passes through once with its bytes: at most fields and
    /// timestamps changed, so the lines need no rebuilding, only their annotations.
    pub fn keeps_lines(&self, input_lines: usize) -> bool {
        self.rewritten.is_empty()
            && self.source.len() == input_lines
            && self
                .source
                .iter()
                .enumerate()
                .all(|(j, &s)| s as usize == j)
    }

    /// True when the output is the input unchanged (`source = [0, 1, .., n - 1]` and nothing
    /// else), so the batch can be kept as it is.
    pub fn is_identity(&self, input_lines: usize) -> bool {
        self.fields.is_empty()
            && self.removed.is_empty()
            && self.timestamps.is_empty()
            && self.keeps_lines(input_lines)
    }
}

/// How an output line ends, in terms of its source line's terminator. The crate does not know
/// terminators (the host keeps them, plugins never see them); the caller maps these.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// The source line's terminator (none, when it had none): the last output line made from
    /// its source line.
    AsSource,
    /// The source line's terminator, or `\n` when it had none: an output line followed by
    /// another made from the same source line.
    NewlineIfNone,
}

/// One output line, resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutputLine<'a> {
    /// The input line it comes from (`source[j]`).
    pub source: usize,
    /// Its bytes, without terminator: new when `rewritten`, else the source line's.
    pub bytes: &'a [u8],
    /// True when the stage gave it new bytes.
    pub rewritten: bool,
    /// True when it inherits no fields and no timestamp.
    pub detached: bool,
    /// How it ends.
    pub end: End,
    /// True when it is a partial piece: the source line is one and this is the last output
    /// line made from it.
    pub partial: bool,
}

/// The output lines of `output`, an answer to `input`, in order.
pub fn lines<'a>(output: &OutputView<'a>, input: &BatchView<'a>) -> OutputLines<'a> {
    OutputLines {
        output: *output,
        input: *input,
        next: 0,
        rewritten: 0,
        detached: 0,
        partial: 0,
    }
}

/// The iterator [`lines`] returns.
#[derive(Clone, Debug)]
pub struct OutputLines<'a> {
    output: OutputView<'a>,
    input: BatchView<'a>,
    /// The next output line.
    next: usize,
    /// The first entry of `output.rewritten` not below `next`.
    rewritten: usize,
    /// The first entry of `output.detached` not below `next`.
    detached: usize,
    /// The first entry of `input.partial` not below the source line of `next` (sources do
    /// not decrease).
    partial: usize,
}

impl<'a> Iterator for OutputLines<'a> {
    type Item = OutputLine<'a>;

    #[inline]
    fn next(&mut self) -> Option<OutputLine<'a>> {
        let (output, input) = (&self.output, &self.input);
        let j = self.next;
        let src = *output.source.get(j)?;
        self.next += 1;
        let j32 = j as u32;
        let rewritten = output.rewritten.get(self.rewritten) == Some(&j32);
        let bytes = if rewritten {
            self.rewritten += 1;
            &output.data[range(output.ends, self.rewritten - 1)]
        } else {
            input.line(src as usize)
        };
        let detached = output.detached.get(self.detached) == Some(&j32);
        if detached {
            self.detached += 1;
        }
        while input.partial.get(self.partial).is_some_and(|&p| p < src) {
            self.partial += 1;
        }
        let (end, partial) = if output.source.get(j + 1) == Some(&src) {
            (End::NewlineIfNone, false)
        } else {
            (End::AsSource, input.partial.get(self.partial) == Some(&src))
        };
        Some(OutputLine {
            source: src as usize,
            bytes,
            rewritten,
            detached,
            end,
            partial,
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.output.source.len() - self.next;
        (left, Some(left))
    }
}

impl ExactSizeIterator for OutputLines<'_> {}

/// Where a field of an output line comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldFrom {
    /// Entry `i` of the input batch's fields table: inherited from the source line.
    Inherited(usize),
    /// Entry `i` of the output's `fields` table: set by the stage.
    Set(usize),
}

/// Calls `emit(j, from)` for each field of each output line of `output` (an answer to a batch
/// whose fields table is `input`), by ascending `j`, in the order the module documentation
/// gives. Allocates once per call (a map between the two tables' names), never per line.
pub fn fields(output: &OutputView<'_>, input: &FieldsView<'_>, emit: impl FnMut(u32, FieldFrom)) {
    fields_of(output, input, 0..output.source.len(), emit);
}

/// [`fields`] for the output lines in `lines` only (output indexes; `emit` still gets each
/// line's index in the whole output), for a host that hands a large answer on in parts. The
/// cursors start where `lines` starts (found by binary search), so a part costs its own lines
/// only.
pub fn fields_of(
    output: &OutputView<'_>,
    input: &FieldsView<'_>,
    lines: Range<usize>,
    mut emit: impl FnMut(u32, FieldFrom),
) {
    let set = &output.fields;
    if (input.is_empty() && set.is_empty()) || lines.is_empty() {
        return;
    }
    // For each input name, the index of the same key in `set.names`, or UNSET. Names are
    // distinct within a table, so within one table equal keys are equal indexes.
    const UNSET: u32 = u32::MAX;
    let set_name_of: Vec<u32> = if input.is_empty() || set.is_empty() {
        Vec::new()
    } else {
        input
            .names
            .iter()
            .map(|n| {
                set.names
                    .iter()
                    .position(|m| m == n)
                    .map_or(UNSET, |p| p as u32)
            })
            .collect()
    };
    let first = lines.start as u32;
    let mut inherited = input
        .line
        .partition_point(|&l| l < output.source[lines.start]);
    let mut set_at = set.line.partition_point(|&l| l < first);
    let mut detached = output.detached.partition_point(|&d| d < first);
    let mut removed = output.removed.partition_point(|&(r, _)| r < first);
    for (j, &src) in output.source[lines.clone()].iter().enumerate() {
        let j = first + j as u32;
        while inherited < input.len() && input.line[inherited] < src {
            inherited += 1;
        }
        while set.line.get(set_at).is_some_and(|&l| l < j) {
            set_at += 1;
        }
        let sets_start = set_at;
        while set.line.get(set_at) == Some(&j) {
            set_at += 1;
        }
        let sets = sets_start..set_at;
        let is_detached = output.detached.get(detached) == Some(&j);
        if is_detached {
            detached += 1;
        }
        while output.removed.get(removed).is_some_and(|&(r, _)| r < j) {
            removed += 1;
        }
        let removed_start = removed;
        while output.removed.get(removed).is_some_and(|&(r, _)| r == j) {
            removed += 1;
        }
        let removed_here = &output.removed[removed_start..removed];
        let mut i = inherited;
        while !is_detached && i < input.len() && input.line[i] == src {
            let overridden = !sets.is_empty() && {
                let same = set_name_of[input.name[i] as usize];
                set.name[sets.clone()].contains(&same)
            };
            let is_removed = !removed_here.is_empty() && {
                let key = input.key(i);
                removed_here.iter().any(|(_, k)| k == key)
            };
            if !overridden && !is_removed {
                emit(j, FieldFrom::Inherited(i));
            }
            i += 1;
        }
        for s in sets.clone() {
            if !set.name[s + 1..sets.end].contains(&set.name[s]) {
                emit(j, FieldFrom::Set(s));
            }
        }
    }
}

/// Calls `emit(line, i)` for each entry `i` of an emitted fields table that takes effect: all
/// but those whose key is set again later on the same line. By ascending line.
pub fn emitted_fields(fields: &FieldsView<'_>, mut emit: impl FnMut(u32, usize)) {
    let mut start = 0;
    while start < fields.len() {
        let line = fields.line[start];
        let mut end = start + 1;
        while fields.line.get(end) == Some(&line) {
            end += 1;
        }
        for i in start..end {
            if !fields.name[i + 1..end].contains(&fields.name[i]) {
                emit(line, i);
            }
        }
        start = end;
    }
}

/// Calls `emit(j, timestamp)` for each output line of `output` that has a timestamp (an answer
/// to a batch whose timestamps are `input`), by ascending `j`.
pub fn timestamps(output: &OutputView<'_>, input: &[(u32, i64)], emit: impl FnMut(u32, i64)) {
    timestamps_of(output, input, 0..output.source.len(), emit);
}

/// [`timestamps`] for the output lines in `lines` only, as [`fields_of`] is for fields.
pub fn timestamps_of(
    output: &OutputView<'_>,
    input: &[(u32, i64)],
    lines: Range<usize>,
    mut emit: impl FnMut(u32, i64),
) {
    if (input.is_empty() && output.timestamps.is_empty()) || lines.is_empty() {
        return;
    }
    let first = lines.start as u32;
    let mut inherited = input.partition_point(|&(l, _)| l < output.source[lines.start]);
    let mut set = output.timestamps.partition_point(|&(l, _)| l < first);
    let mut detached = output.detached.partition_point(|&d| d < first);
    for (j, &src) in output.source[lines.clone()].iter().enumerate() {
        let j = first + j as u32;
        while input.get(inherited).is_some_and(|&(line, _)| line < src) {
            inherited += 1;
        }
        let is_detached = output.detached.get(detached) == Some(&j);
        if is_detached {
            detached += 1;
        }
        if let Some(&(line, ts)) = output.timestamps.get(set)
            && line == j
        {
            set += 1;
            emit(j, ts);
        } else if let Some(&(line, ts)) = input.get(inherited)
            && line == src
            && !is_detached
        {
            emit(j, ts);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Input: "a", "b" (fields level, user; timestamp 42), "c" (partial).
    struct Input {
        names: Vec<String>,
    }

    impl Input {
        fn new() -> Input {
            Input {
                names: vec!["level".into(), "user".into()],
            }
        }

        fn view(&self) -> BatchView<'_> {
            BatchView {
                data: b"abc",
                ends: &[1, 2, 3],
                partial: &[2],
                fields: FieldsView {
                    names: &self.names,
                    line: &[1, 1],
                    name: &[0, 1],
                    values: b"INFObob",
                    value_ends: &[4, 7],
                },
                timestamps: &[(1, 42)],
            }
        }
    }

    fn names(keys: &[&str]) -> Vec<String> {
        keys.iter().map(|k| k.to_string()).collect()
    }

    /// The resolved lines as (source, bytes, end, partial).
    fn resolved(output: &OutputView<'_>) -> Vec<(usize, Vec<u8>, End, bool)> {
        let input = Input::new();
        let input = input.view();
        crate::check_output(output, input.len()).unwrap();
        lines(output, &input)
            .map(|l| (l.source, l.bytes.to_vec(), l.end, l.partial))
            .collect()
    }

    /// The resolved fields as (j, key, value).
    fn resolved_fields(output: &OutputView<'_>) -> Vec<(u32, String, Vec<u8>)> {
        let input = Input::new();
        let input = input.view();
        crate::check_output(output, input.len()).unwrap();
        let mut out = Vec::new();
        fields(output, &input.fields, |j, from| {
            let (key, value) = match from {
                FieldFrom::Inherited(i) => (input.fields.key(i), input.fields.value(i)),
                FieldFrom::Set(s) => (output.fields.key(s), output.fields.value(s)),
            };
            out.push((j, key.to_owned(), value.to_vec()));
        });
        out
    }

    fn resolved_timestamps(output: &OutputView<'_>) -> Vec<(u32, i64)> {
        let input = Input::new();
        let mut out = Vec::new();
        timestamps(output, input.view().timestamps, |j, ts| out.push((j, ts)));
        out
    }

    fn field(j: u32, key: &str, value: &str) -> (u32, String, Vec<u8>) {
        (j, key.to_owned(), value.as_bytes().to_vec())
    }

    #[test]
    fn identity_keeps_everything() {
        let output = OutputView {
            source: &[0, 1, 2],
            ..OutputView::default()
        };
        assert!(output.is_identity(3) && output.keeps_lines(3));
        assert!(!output.is_identity(4));
        assert_eq!(
            resolved(&output),
            [
                (0, b"a".to_vec(), End::AsSource, false),
                (1, b"b".to_vec(), End::AsSource, false),
                (2, b"c".to_vec(), End::AsSource, true),
            ]
        );
        assert_eq!(
            resolved_fields(&output),
            [field(1, "level", "INFO"), field(1, "user", "bob")]
        );
        assert_eq!(resolved_timestamps(&output), [(1, 42)]);
    }

    #[test]
    fn fields_or_timestamps_set_keep_the_lines_but_are_no_identity() {
        let names = names(&["k"]);
        let set_field = OutputView {
            source: &[0, 1, 2],
            fields: FieldsView {
                names: &names,
                line: &[0],
                name: &[0],
                values: b"v",
                value_ends: &[1],
            },
            ..OutputView::default()
        };
        let set_timestamp = OutputView {
            source: &[0, 1, 2],
            timestamps: &[(0, 1)],
            ..OutputView::default()
        };
        let removed = vec![(0, "k".to_string())];
        let removed_field = OutputView {
            source: &[0, 1, 2],
            removed: &removed,
            ..OutputView::default()
        };
        for output in [set_field, set_timestamp, removed_field] {
            assert!(output.keeps_lines(3) && !output.is_identity(3));
        }
        let dropped = OutputView {
            source: &[0, 2],
            ..OutputView::default()
        };
        let rewritten = OutputView {
            source: &[0, 1, 2],
            rewritten: &[0],
            data: b"A",
            ends: &[1],
            ..OutputView::default()
        };
        for output in [dropped, rewritten] {
            assert!(!output.keeps_lines(3));
        }
    }

    #[test]
    fn rewritten_lines_take_new_bytes_others_their_source_bytes() {
        let output = OutputView {
            source: &[1, 2],
            rewritten: &[0],
            data: b"B",
            ends: &[1],
            ..OutputView::default()
        };
        assert_eq!(
            resolved(&output),
            [
                (1, b"B".to_vec(), End::AsSource, false),
                (2, b"c".to_vec(), End::AsSource, true),
            ]
        );
    }

    #[test]
    fn one_to_many_only_the_last_ends_as_its_source_and_stays_partial() {
        let output = OutputView {
            source: &[1, 1, 2, 2],
            rewritten: &[0, 2],
            data: b"b1c1",
            ends: &[2, 4],
            ..OutputView::default()
        };
        assert_eq!(
            resolved(&output),
            [
                (1, b"b1".to_vec(), End::NewlineIfNone, false),
                (1, b"b".to_vec(), End::AsSource, false),
                (2, b"c1".to_vec(), End::NewlineIfNone, false),
                (2, b"c".to_vec(), End::AsSource, true),
            ]
        );
        // Both lines made from input line 1 inherit its fields.
        assert_eq!(resolved_fields(&output).len(), 4);
    }

    #[test]
    fn unused_data_after_the_last_end_is_ignored() {
        let output = OutputView {
            source: &[0],
            rewritten: &[0],
            data: b"new and unused",
            ends: &[3],
            ..OutputView::default()
        };
        assert_eq!(resolved(&output)[0].1, b"new");
    }

    #[test]
    fn detached_lines_inherit_no_fields_and_no_timestamp() {
        let output = OutputView {
            source: &[1, 1],
            rewritten: &[0],
            data: b"held",
            ends: &[4],
            detached: &[0],
            ..OutputView::default()
        };
        let input = Input::new();
        let line = lines(&output, &input.view()).next().unwrap();
        assert!(line.detached && line.rewritten);
        assert_eq!(
            resolved_fields(&output),
            [field(1, "level", "INFO"), field(1, "user", "bob")]
        );
        assert_eq!(resolved_timestamps(&output), [(1, 42)]);
    }

    #[test]
    fn removed_keys_go_from_their_line_only() {
        let removed = vec![(0, "level".to_string()), (0, "absent".to_string())];
        let output = OutputView {
            source: &[1, 1],
            removed: &removed,
            ..OutputView::default()
        };
        assert_eq!(
            resolved_fields(&output),
            [
                field(0, "user", "bob"),
                field(1, "level", "INFO"),
                field(1, "user", "bob")
            ]
        );
    }

    #[test]
    fn a_set_key_replaces_the_inherited_one_and_comes_after_the_rest() {
        let names = names(&["user", "level"]);
        let output = OutputView {
            source: &[1],
            fields: FieldsView {
                names: &names,
                line: &[0],
                name: &[1],
                values: b"DEBUG",
                value_ends: &[5],
            },
            ..OutputView::default()
        };
        assert_eq!(
            resolved_fields(&output),
            [field(0, "user", "bob"), field(0, "level", "DEBUG")]
        );
    }

    /// The WIT: "when a plugin sets a key twice on one line, the later value wins".
    #[test]
    fn a_key_set_twice_on_one_line_keeps_the_later_value() {
        let names = names(&["user", "new"]);
        let output = OutputView {
            source: &[0, 1],
            fields: FieldsView {
                names: &names,
                line: &[0, 0, 0, 1, 1],
                name: &[0, 1, 0, 0, 0],
                values: b"xnybobeve",
                value_ends: &[1, 2, 3, 6, 9],
            },
            ..OutputView::default()
        };
        assert_eq!(
            resolved_fields(&output),
            [
                field(0, "new", "n"),
                field(0, "user", "y"),
                field(1, "level", "INFO"),
                field(1, "user", "eve")
            ]
        );
    }

    #[test]
    fn a_removed_key_set_again_takes_the_set_value() {
        let names = names(&["level"]);
        let removed = vec![(0, "level".to_string())];
        let output = OutputView {
            source: &[1],
            removed: &removed,
            fields: FieldsView {
                names: &names,
                line: &[0],
                name: &[0],
                values: b"WARN",
                value_ends: &[4],
            },
            ..OutputView::default()
        };
        assert_eq!(
            resolved_fields(&output),
            [field(0, "user", "bob"), field(0, "level", "WARN")]
        );
    }

    #[test]
    fn fields_set_on_lines_without_inherited_ones() {
        let names = names(&["k"]);
        let output = OutputView {
            source: &[0, 2],
            fields: FieldsView {
                names: &names,
                line: &[0, 1],
                name: &[0, 0],
                values: b"ab",
                value_ends: &[1, 2],
            },
            ..OutputView::default()
        };
        assert_eq!(
            resolved_fields(&output),
            [field(0, "k", "a"), field(1, "k", "b")]
        );
    }

    #[test]
    fn a_set_timestamp_replaces_the_inherited_one() {
        let output = OutputView {
            source: &[0, 1, 1, 2],
            timestamps: &[(0, 7), (2, -5)],
            ..OutputView::default()
        };
        assert_eq!(resolved_timestamps(&output), [(0, 7), (1, 42), (2, -5)]);
    }

    #[test]
    fn a_detached_line_takes_only_a_set_timestamp() {
        let output = OutputView {
            source: &[1, 1, 1],
            rewritten: &[0, 1],
            data: b"xy",
            ends: &[1, 2],
            detached: &[0, 1],
            timestamps: &[(0, 7)],
            ..OutputView::default()
        };
        assert_eq!(resolved_timestamps(&output), [(0, 7), (2, 42)]);
    }

    #[test]
    fn emitted_fields_keep_the_later_value_of_a_key_set_twice() {
        let names = names(&["a", "b"]);
        let table = FieldsView {
            names: &names,
            line: &[0, 0, 0, 2],
            name: &[0, 1, 0, 0],
            values: b"1234",
            value_ends: &[1, 2, 3, 4],
        };
        let mut out = Vec::new();
        emitted_fields(&table, |line, i| out.push((line, i)));
        assert_eq!(out, [(0, 1), (0, 2), (2, 3)]);
    }

    /// Resolving an answer in parts, cut anywhere, gives what resolving it whole gives.
    #[test]
    fn parts_cut_anywhere_resolve_as_the_whole() {
        let names = names(&["user", "k"]);
        let removed = vec![(1, "level".to_string()), (4, "user".to_string())];
        let output = OutputView {
            source: &[0, 1, 1, 1, 1, 2, 2],
            rewritten: &[1, 5],
            data: b"xy",
            ends: &[1, 2],
            detached: &[1],
            removed: &removed,
            fields: FieldsView {
                names: &names,
                line: &[0, 2, 2, 6],
                name: &[1, 0, 1, 1],
                values: b"abcd",
                value_ends: &[1, 2, 3, 4],
            },
            timestamps: &[(3, 9), (6, 1)],
        };
        let input = Input::new();
        let input = input.view();
        crate::check_output(&output, input.len()).unwrap();
        let mut whole_fields = Vec::new();
        fields(&output, &input.fields, |j, from| {
            whole_fields.push((j, from))
        });
        let mut whole_timestamps = Vec::new();
        timestamps(&output, input.timestamps, |j, ts| {
            whole_timestamps.push((j, ts))
        });
        assert_eq!(whole_fields.len(), 8);
        assert_eq!(whole_timestamps, [(2, 42), (3, 9), (4, 42), (6, 1)]);
        let n = output.source.len();
        for cut in 0..=n {
            for end in cut..=n {
                let (mut parts_fields, mut parts_timestamps) = (Vec::new(), Vec::new());
                for part in [0..cut, cut..end, end..n] {
                    fields_of(&output, &input.fields, part.clone(), |j, from| {
                        parts_fields.push((j, from))
                    });
                    timestamps_of(&output, input.timestamps, part, |j, ts| {
                        parts_timestamps.push((j, ts))
                    });
                }
                assert_eq!(parts_fields, whole_fields, "cut at {cut} and {end}");
                assert_eq!(parts_timestamps, whole_timestamps, "cut at {cut} and {end}");
            }
        }
    }

    #[test]
    fn nothing_in_nothing_out() {
        let output = OutputView::default();
        let input = BatchView::default();
        assert_eq!(lines(&output, &input).len(), 0);
        fields(&output, &input.fields, |_, _| panic!("no field"));
        timestamps(&output, &[], |_, _| panic!("no timestamp"));
        emitted_fields(&FieldsView::default(), |_, _| panic!("no field"));
    }
}
