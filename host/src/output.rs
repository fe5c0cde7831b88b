//! What a stage returns for a batch, and how the host turns it into the next batch.
//!
//! A stage describes its output lines by where they come from (see the WIT `output` record):
//! `source[j]` is the input line of output line `j`; `rewritten` names the output lines with new
//! bytes; `detached` the ones that inherit no fields or timestamp; `removed`, `fields` and
//! `timestamps` change what they carry. The rules are the contract's, shared with the guest SDK
//! ([`sluice_contract`]): [`StageOutput::check`] checks every index before the host uses one, so
//! a plugin bug is reported as malformed output, never a panic or a wrong byte, and
//! [`StageOutput::build`] resolves the answer into lines with [`sluice_contract::resolve`],
//! adding only what the contract leaves to the host: terminators (inherited, or set by the
//! stage for a line it held) and interned field names. Two shortcuts keep the common answers
//! cheap, both checked against the general rules by property tests: bytes are copied a run of
//! adjacent lines at a time ([`runs`]), and a field table that merging would only copy is taken
//! as it is ([`StageOutput::fields_unmerged`]).
//!
//! An answer may legally make far more than it weighs: `source = [0; 10_000_000]` is 40 MB
//! that repeats one line ten million times. So the output is built in parts
//! ([`StageOutput::apply_in_place_handing_on`]): once the lines built so far reach [`PART_BYTES`] of
//! bytes and field values, or [`PART_LINES`] lines, they are handed on (down the chain and out)
//! before the next are built. What the host holds for one answer is then the answer itself —
//! which the plugin had to hold in its own capped memory, and wasmtime copies out only within
//! the hostcall limit — plus one part.

use std::convert::Infallible;
use std::ops::Range;

use sluice_contract::resolve::{self, End, FieldFrom};
use sluice_contract::{LineList, OutputView, Violation};

use crate::fields::FieldTable;
use crate::framing::Terminator;
use crate::lines::Lines;
use crate::origin;
use runs::ByteRuns;

/// A part of an answer's output is handed on once it holds this many bytes of lines and field
/// values (one line more at most: parts are cut between lines).
pub(crate) const PART_BYTES: usize = 4 << 20;

/// A part of an answer's output is handed on once it holds this many lines.
pub(crate) const PART_LINES: usize = 16 << 10;

/// How large a part of an answer's output may grow: [`PART_LINES`] and [`PART_BYTES`], or less
/// in tests.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PartSize {
    pub(crate) lines: usize,
    pub(crate) bytes: usize,
}

impl PartSize {
    pub(crate) const DEFAULT: PartSize = PartSize {
        lines: PART_LINES,
        bytes: PART_BYTES,
    };

    /// True when `part` is as large as a part may be.
    fn is_full(self, part: &Lines) -> bool {
        part.len() >= self.lines || part.byte_len() + part.fields.values.len() >= self.bytes
    }
}

/// Takes a part of an answer's output, in order, and hands it on; its error stops the
/// building.
pub(crate) type HandOn<'a, E> = dyn FnMut(&mut Lines) -> Result<(), E> + 'a;

/// When a stage wants `tick` called; mirrors the WIT `wake` record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wake {
    /// Call `tick` this many milliseconds after this answer (a later answer replaces it).
    pub(crate) after_ms: u32,
    /// Read no more input until a `tick` returns without `hold`.
    pub(crate) hold: bool,
}

/// A stage's answer for one batch; mirrors the WIT `output` record.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StageOutput {
    /// `source[j]`: the input line output line `j` comes from. Non-decreasing.
    pub(crate) source: Vec<u32>,
    /// Ascending indexes of the output lines with new bytes.
    pub(crate) rewritten: Vec<u32>,
    /// The new bytes of the `rewritten` lines, back to back (bytes after the last end are
    /// allowed, and unused).
    pub(crate) data: Vec<u8>,
    /// End offsets in `data`, one per `rewritten` entry.
    pub(crate) ends: Vec<u32>,
    /// Ascending output indexes of lines that inherit no fields or timestamp (all rewritten).
    pub(crate) detached: Vec<u32>,
    /// (output index, key) of fields taken off output lines, by ascending index.
    pub(crate) removed: Vec<(u32, String)>,
    /// Fields set on output lines, keyed by output index; a key set twice on one line keeps
    /// the later value.
    pub(crate) fields: FieldTable,
    /// (output index, timestamp) set on output lines, by ascending index.
    pub(crate) timestamps: Vec<(u32, i64)>,
    /// (output index, terminator) set on output lines, by ascending index; ignored on a
    /// partial piece, which has none.
    pub(crate) terminators: Vec<(u32, Terminator)>,
    /// When the stage wants `tick` called.
    pub(crate) wake: Option<Wake>,
}

impl StageOutput {
    /// The answer as the contract's view.
    pub(crate) fn view(&self) -> OutputView<'_> {
        OutputView {
            source: &self.source,
            rewritten: &self.rewritten,
            data: &self.data,
            ends: &self.ends,
            detached: &self.detached,
            removed: &self.removed,
            fields: self.fields.view(),
            timestamps: &self.timestamps,
        }
    }

    /// True when the output is the input unchanged, so the host can keep the batch as it is.
    pub(crate) fn is_identity(&self, input_lines: usize) -> bool {
        self.terminators.is_empty() && self.view().is_identity(input_lines)
    }

    /// True when every input line passes through once with its bytes: at most fields and
    /// timestamps changed, so only those need rebuilding ([`StageOutput::merge_fields`]).
    pub(crate) fn keeps_lines(&self, input_lines: usize) -> bool {
        self.view().keeps_lines(input_lines)
    }

    /// Checks every index against the input batch; the error names the first broken rule
    /// ([`sluice_contract::check_output`]).
    pub(crate) fn check(&self, input_lines: usize) -> Result<(), Violation> {
        sluice_contract::check_output(&self.view(), input_lines)?;
        let fields = &self.fields;
        sluice_contract::check_kinds(&fields.kinds, &fields.view(), |kind| kind)?;
        let lines = self.source.len();
        sluice_contract::check_line_entries(LineList::Terminators, &self.terminators, lines)
    }

    /// Turns `lines` (the batch the stage was given) into the stage's output, using `spare`
    /// as scratch storage (its allocations are reused). Returns false when the output is the
    /// input unchanged, and then touches nothing. `self` must have passed
    /// [`StageOutput::check`] against `lines`.
    pub(crate) fn apply_in_place(&self, lines: &mut Lines, spare: &mut Lines) -> bool {
        let whole = self.apply_in_place_handing_on::<Infallible>(lines, spare, None);
        whole.unwrap_or_else(|never| match never {})
    }

    /// [`StageOutput::apply_in_place`], handing the parts of a large output to `hand_on` as
    /// they are built (see [`StageOutput::build`]); `lines` ends up holding the last part.
    /// Returns `hand_on`'s error if it fails.
    pub(crate) fn apply_in_place_handing_on<E>(
        &self,
        lines: &mut Lines,
        spare: &mut Lines,
        hand_on: Option<&mut HandOn<'_, E>>,
    ) -> Result<bool, E> {
        if self.is_identity(lines.len()) {
            return Ok(false);
        }
        if self.keeps_lines(lines.len()) {
            // Only fields or timestamps changed: the lines' bytes stay where they are.
            self.merge_fields(&lines.fields, &mut spare.fields);
            std::mem::swap(&mut lines.fields, &mut spare.fields);
            self.merge_timestamps(&lines.timestamps, &mut spare.timestamps);
            std::mem::swap(&mut lines.timestamps, &mut spare.timestamps);
            for &(j, term) in &self.terminators {
                if !lines.is_partial(j as usize) {
                    lines.terms[j as usize] = term;
                }
            }
        } else {
            self.build(lines, spare, hand_on, PartSize::DEFAULT)?;
            std::mem::swap(lines, spare);
        }
        Ok(true)
    }

    /// Builds the whole output into `out`, as one batch ([`StageOutput::build`]).
    #[cfg(test)]
    pub(crate) fn apply(&self, input: &Lines, out: &mut Lines) {
        let whole = self.build::<Infallible>(input, out, None, PartSize::DEFAULT);
        whole.unwrap_or_else(|never| match never {})
    }

    /// Builds the output into `out` (cleared first; it keeps `input`'s source). `self` must
    /// have passed [`StageOutput::check`] against `input`.
    ///
    /// The lines, their bytes and partial marks are [`resolve::lines`]'s (the bytes copied a
    /// run of adjacent lines at a time, [`ByteRuns`]); the host supplies the terminators. A
    /// line the stage set a terminator on takes it (unless it is a partial piece); otherwise
    /// the last output line made from an input line ([`End::AsSource`]) takes that line's
    /// terminator, and the ones before it ([`End::NewlineIfNone`]) take it too, or `\n` when
    /// the input line had none. Fields are merged as [`StageOutput::merge_fields`] says,
    /// origins set as [`origin::of_output_line`] says.
    ///
    /// It is built in parts when `hand_on` is given: whenever the lines built into `out` reach
    /// `size` ([`PartSize::DEFAULT`] but in tests) and more follow, `out` is completed (bytes,
    /// fields, timestamps, origins) and handed to `hand_on`, then cleared, and building goes
    /// on; `out` ends up holding the last part. Every part keeps `input`'s source; line indexes
    /// in a part count from its first line. Returns `hand_on`'s error if it fails.
    pub(crate) fn build<E>(
        &self,
        input: &Lines,
        out: &mut Lines,
        mut hand_on: Option<&mut HandOn<'_, E>>,
        size: PartSize,
    ) -> Result<(), E> {
        start_part(input, out, input.origin_start);
        let with_origins = !input.origins.is_empty();
        let mut first = 0;
        let mut set = self.terminators.iter().peekable();
        let mut runs = ByteRuns::new(&input.data, &self.data);
        for (j, line) in resolve::lines(&self.view(), &input.view()).enumerate() {
            if let Some(hand_on) = hand_on.as_deref_mut()
                && size.is_full(out)
            {
                runs.flush(out);
                self.annotate(input, first..j, out);
                let next_start = out.origins.last().copied().unwrap_or(input.origin_start);
                hand_on(out)?;
                start_part(input, out, next_start);
                first = j;
            }
            let inherited = match (line.end, input.terms[line.source]) {
                (End::NewlineIfNone, Terminator::None) => Terminator::Lf,
                (_, term) => term,
            };
            let term = match set.next_if(|&&(k, _)| k as usize == j) {
                Some(&(_, term)) if !line.partial => term,
                _ => inherited,
            };
            runs.push(out, line.bytes, line.rewritten, term, line.partial);
            if with_origins {
                let origin = origin::of_output_line(&line, input);
                // The push marked the line as without origin once the part had one.
                out.origins.truncate(out.len() - 1);
                out.origins.push(origin);
            }
        }
        runs.flush(out);
        self.annotate(input, first..self.source.len(), out);
        Ok(())
    }

    /// Sets the fields and timestamps of `out`, which holds output lines `part`.
    fn annotate(&self, input: &Lines, part: Range<usize>, out: &mut Lines) {
        self.merge_fields_of(&input.fields, part.clone(), &mut out.fields);
        self.merge_timestamps_of(&input.timestamps, part, &mut out.timestamps);
    }

    /// Builds the output lines' timestamps into `out` (cleared first), as
    /// [`resolve::timestamps`] says: each output line's input line's timestamp unless it is
    /// detached, replaced by the one the stage set.
    pub(crate) fn merge_timestamps(&self, input: &[(u32, i64)], out: &mut Vec<(u32, i64)>) {
        self.merge_timestamps_of(input, 0..self.source.len(), out);
    }

    /// [`StageOutput::merge_timestamps`] for output lines `part`, indexed from its start.
    fn merge_timestamps_of(
        &self,
        input: &[(u32, i64)],
        part: Range<usize>,
        out: &mut Vec<(u32, i64)>,
    ) {
        out.clear();
        let first = part.start as u32;
        resolve::timestamps_of(&self.view(), input, part, |j, ts| out.push((j - first, ts)));
    }

    /// Builds the output lines' field table into `out` (cleared first), as
    /// [`resolve::fields`] says: for each output line, its input line's fields (none for a
    /// detached line) less the removed ones, then the ones the stage set, a set key replacing
    /// an inherited one and a key set twice keeping the later value. `out`'s names are
    /// `input`'s, then the stage's new ones.
    pub(crate) fn merge_fields(&self, input: &FieldTable, out: &mut FieldTable) {
        self.merge_fields_of(input, 0..self.source.len(), out);
    }

    /// [`StageOutput::merge_fields`] for output lines `part`, indexed from its start.
    fn merge_fields_of(&self, input: &FieldTable, part: Range<usize>, out: &mut FieldTable) {
        if part == (0..self.source.len())
            && let Some(table) = self.fields_unmerged(input)
        {
            out.copy_from(table);
        } else {
            self.merge_entries(input, part, out);
        }
    }

    /// [`StageOutput::merge_fields_of`] entry by entry, as [`resolve::fields_of`] says.
    fn merge_entries(&self, input: &FieldTable, part: Range<usize>, out: &mut FieldTable) {
        out.clear();
        let remap_in: Vec<u32> = input.names.iter().map(|n| out.intern(n)).collect();
        let remap_set: Vec<u32> = self.fields.names.iter().map(|n| out.intern(n)).collect();
        let first = part.start as u32;
        resolve::fields_of(&self.view(), &input.view(), part, |j, from| match from {
            FieldFrom::Inherited(i) => {
                let name = remap_in[input.name[i] as usize];
                out.push_kind(j - first, name, input.value(i), input.kind(i));
            }
            FieldFrom::Set(s) => {
                let set = &self.fields;
                let name = remap_set[set.name[s] as usize];
                out.push_kind(j - first, name, set.value(s), set.kind(s));
            }
        });
    }

    /// The whole output's field table, when it is one of the two tables as it is, so that
    /// merging entry by entry ([`resolve::fields`]) would build a copy of it:
    ///
    /// - `input`, when the stage set, removed and detached nothing, and passed every line with
    ///   a field through once, in order (`source` starts `0, 1, 2, …`): what a stage that
    ///   rewrites lines one for one answers (`pack`, `truncate`);
    /// - the fields the stage set, when the lines had none and it set each key at most once a
    ///   line: what the first stage to extract fields answers (`regex`, `json`).
    ///
    /// Both tables keep their names in the order merging interns them, and their entries in
    /// line order; `input`, built by the host, has each key at most once a line.
    fn fields_unmerged<'t>(&'t self, input: &'t FieldTable) -> Option<&'t FieldTable> {
        let set = &self.fields;
        if set.names.is_empty() && self.removed.is_empty() && self.detached.is_empty() {
            let lines_with_fields = input.line.last().map_or(0, |&last| last as usize + 1);
            // Those lines in order, each once: `source` starts `0, 1, …, lines_with_fields - 1`
            // and goes on past them (it does not decrease).
            let in_order = self.source.len() >= lines_with_fields
                && (0..lines_with_fields).all(|j| self.source[j] as usize == j)
                && (self.source.get(lines_with_fields))
                    .is_none_or(|&next| next as usize >= lines_with_fields);
            return in_order.then_some(input);
        }
        (input.names.is_empty() && set.has_each_key_once_a_line()).then_some(set)
    }
}

/// Empties `out` for the next part of `input`'s output, whose first line starts at `start`
/// in its file ([`Lines::origin_start`]).
fn start_part(input: &Lines, out: &mut Lines, start: u64) {
    out.clear();
    out.set_source(&input.source);
    out.origin_start = start;
}

mod runs;
#[cfg(test)]
mod tests;
