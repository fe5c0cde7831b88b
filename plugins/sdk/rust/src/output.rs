//! Where a stage's results go: [`BatchOutput`] for a batch, [`Output`] for one input line,
//! [`Trailing`] for the lines `finish` emits, and [`LineBuf`] to write a new line in place.
//!
//! The contract (`output` in `wit/plugin.wit`) describes output lines by their source: an
//! output line names the input line it comes from and carries that line's bytes and fields
//! unless it is *rewritten* or has fields set on top. These builders keep that shape's
//! invariants by construction: sources only move forward, rewritten indexes are appended in
//! order, names are interned, and a key set twice on one line keeps only the later value.

use crate::batch::{Batch, Line};
use crate::bindings::sluice::plugin::types;
use crate::{Field, Kind, Sink, Terminator};
use std::fmt;
use std::io;
use std::mem::MaybeUninit;

/// The output of one batch, owned by the SDK and handed to [`crate::Plugin::process_batch`].
///
/// Give it the batch's lines in order: [`BatchOutput::line`] returns the [`Output`] of one
/// input line; [`BatchOutput::keep`] is a shortcut for passing a line through. A line that is
/// never given here is dropped.
#[derive(Debug, Default)]
pub struct BatchOutput {
    /// `source[j]`: the input line of output line `j`. Non-decreasing.
    source: Vec<u32>,
    /// Ascending output indexes of the rewritten lines.
    rewritten: Vec<u32>,
    /// The rewritten lines' bytes, back to back.
    data: Vec<u8>,
    /// `ends[k]`: one past the end of `rewritten[k]`'s bytes in `data`.
    ends: Vec<u32>,
    /// Ascending output indexes of lines that inherit no fields or timestamp.
    detached: Vec<u32>,
    /// (output index, key) of fields taken off output lines.
    removed: Vec<(u32, String)>,
    /// Fields set on output lines (indexed by output line).
    fields: FieldBuilder,
    /// (output index, timestamp) set on output lines, ascending.
    timestamps: Vec<(u32, i64)>,
    /// (output index, terminator) set on output lines, ascending.
    terminators: Vec<(u32, types::Terminator)>,
    /// The number of lines in the input batch.
    inputs: u32,
    /// The smallest input index that may still be output: the last one given, or 0.
    next_input: u32,
    /// Capacities the previous batch needed, to allocate the next batch's buffers once.
    hints: Hints,
}

/// Buffer sizes the previous batch ended with.
#[derive(Clone, Copy, Debug, Default)]
struct Hints {
    rewritten: usize,
    data: usize,
    fields: usize,
    values: usize,
}

impl BatchOutput {
    /// Prepares for a batch of `inputs` lines.
    pub(crate) fn begin(&mut self, inputs: usize) {
        self.inputs = inputs as u32;
        self.next_input = 0;
        self.source.clear();
        self.source.reserve(inputs);
    }

    /// The [`Output`] of input line `line`.
    ///
    /// # Panics
    ///
    /// When `line` comes before a line already given (the output must follow the input's
    /// order; giving the same line again is fine and adds more output lines for it).
    #[inline]
    pub fn line(&mut self, line: &Line<'_>) -> Output<'_> {
        let input = line.index() as u32;
        self.advance_to(input);
        Output {
            batch: self,
            input,
            produced: false,
        }
    }

    /// Passes `line` through unchanged: the cheapest output, one `u32` and no copy.
    ///
    /// # Panics
    ///
    /// As [`BatchOutput::line`].
    #[inline]
    pub fn keep(&mut self, line: &Line<'_>) {
        let input = line.index() as u32;
        self.advance_to(input);
        self.source.push(input);
    }

    /// Passes every line of `batch` through unchanged.
    ///
    /// # Panics
    ///
    /// When a line was already given for this batch.
    pub fn keep_all(&mut self, batch: &Batch<'_>) {
        assert!(
            self.source.is_empty() && self.next_input == 0,
            "keep_all must be the only output of a batch"
        );
        self.source.extend(0..batch.len() as u32);
        self.next_input = (batch.len() as u32).saturating_sub(1);
    }

    /// The number of output lines so far.
    pub fn len(&self) -> usize {
        self.source.len()
    }

    /// Whether no output line was produced so far.
    pub fn is_empty(&self) -> bool {
        self.source.is_empty()
    }

    /// Appends `input` to `source` without any check.
    ///
    /// For the `probe` test plugin only, which must produce malformed output on purpose to
    /// test the host. A plugin using this can break the contract; don't.
    #[doc(hidden)]
    pub fn unchecked_push_source(&mut self, input: u32) {
        self.source.push(input);
    }

    #[inline]
    fn advance_to(&mut self, input: u32) {
        assert!(
            input >= self.next_input,
            "lines must be output in input order: line {input} was given after line {}",
            self.next_input
        );
        debug_assert!(input < self.inputs, "line {input} is not in this batch");
        self.next_input = input;
    }

    /// Starts a rewritten output line for `input`; returns the offset where its bytes start.
    #[inline]
    fn start_rewritten(&mut self, input: u32) -> usize {
        let j = self.source.len() as u32;
        self.source.push(input);
        if self.rewritten.capacity() == 0 {
            self.rewritten.reserve(self.hints.rewritten);
            self.ends.reserve(self.hints.rewritten);
            self.data.reserve(self.hints.data);
        }
        self.rewritten.push(j);
        self.data.len()
    }

    #[inline]
    fn end_rewritten(&mut self) {
        self.ends.push(self.data.len() as u32);
    }

    /// Checks what the plugin produced and moves it into the contract's shape, leaving `self`
    /// empty and ready for the next batch.
    ///
    /// `boundary_safe_partials` lists the input lines that a boundary-safe plugin must have
    /// output exactly once (its partial lines); empty for other plugins.
    pub(crate) fn take(&mut self, boundary_safe_partials: &[u32]) -> Result<types::Output, String> {
        for &p in boundary_safe_partials {
            let first = self.source.partition_point(|&s| s < p);
            let count = self.source[first..].partition_point(|&s| s == p);
            if count != 1 {
                return Err(format!(
                    "line {p} of the batch is a partial piece of an over-long line and this \
                     boundary-safe plugin returned {count} lines for it instead of exactly one"
                ));
            }
        }
        self.hints = Hints {
            rewritten: self.rewritten.len(),
            data: self.data.len(),
            fields: self.fields.line.len(),
            values: self.fields.values.len(),
        };
        let out = types::Output {
            source: std::mem::take(&mut self.source),
            rewritten: std::mem::take(&mut self.rewritten),
            data: std::mem::take(&mut self.data),
            ends: std::mem::take(&mut self.ends),
            detached: std::mem::take(&mut self.detached),
            removed: std::mem::take(&mut self.removed),
            fields: self.fields.take(),
            timestamps: std::mem::take(&mut self.timestamps),
            terminators: std::mem::take(&mut self.terminators),
            wake: None,
        };
        self.fields.reserve(self.hints.fields, self.hints.values);
        Ok(out)
    }
}

/// The output of one input line, from [`BatchOutput::line`] (and handed to
/// [`crate::Plugin::process`]).
///
/// Call [`Output::keep`] to pass the line through, [`Output::emit`] (or
/// [`Output::emit_with`]) once per new line made from it, and nothing to drop it.
/// [`Output::emit_detached`] outputs, at this line's place, a line that owes nothing to it (one
/// held from an earlier batch). [`Output::set_field`], [`Output::remove_field`] and
/// [`Output::set_timestamp`] change the most recent of this line's output lines.
#[derive(Debug)]
pub struct Output<'o> {
    batch: &'o mut BatchOutput,
    /// The input line this handle outputs for.
    input: u32,
    /// Whether this handle has produced an output line yet.
    produced: bool,
}

impl Output<'_> {
    /// Passes the input line through: its bytes and fields, unchanged, without a copy.
    /// Calling it twice outputs the line twice.
    #[inline]
    pub fn keep(&mut self) {
        self.batch.source.push(self.input);
        self.produced = true;
    }

    /// Outputs a new line made from the input line, with the given bytes (no terminator: the
    /// input's is used). The new line inherits the input line's fields. Call it several times
    /// to turn one line into several.
    #[inline]
    pub fn emit(&mut self, bytes: &[u8]) {
        self.batch.start_rewritten(self.input);
        self.batch.data.extend_from_slice(bytes);
        self.batch.end_rewritten();
        self.produced = true;
    }

    /// Like [`Output::emit`], but `write` writes the line's bytes straight into the output
    /// buffer, with no intermediate allocation.
    #[inline]
    pub fn emit_with<R>(&mut self, write: impl FnOnce(&mut LineBuf<'_>) -> R) -> R {
        let start = self.batch.start_rewritten(self.input);
        let r = write(&mut LineBuf {
            buf: &mut self.batch.data,
            start,
        });
        self.batch.end_rewritten();
        self.produced = true;
        r
    }

    /// Sets field `key` to `value` on this line's most recent output line, on top of the
    /// fields it inherits (a later value for the same key wins).
    ///
    /// # Panics
    ///
    /// When this line has no output line yet (call [`Output::keep`] or [`Output::emit`]
    /// first).
    #[inline]
    pub fn set_field(&mut self, key: &str, value: &[u8]) {
        assert!(
            self.produced,
            "set_field({key:?}) needs an output line: call keep() or emit() first"
        );
        let j = self.batch.source.len() as u32 - 1;
        self.batch.fields.set(j, key, value, Kind::Text);
    }

    /// [`Output::set_field`] with a value of `kind` (`1656` as an integer, `true` as a
    /// boolean, empty as null), which `-o json` and `pack` write as a JSON value rather than
    /// a string. `value` must have the kind's form ([`Kind::admits`]): the host rejects an
    /// answer whose values do not.
    ///
    /// # Panics
    ///
    /// As [`Output::set_field`], and in debug builds when `value` is not of `kind`'s form.
    #[inline]
    pub fn set_field_as(&mut self, key: &str, value: &[u8], kind: Kind) {
        assert!(
            self.produced,
            "set_field_as({key:?}) needs an output line: call keep() or emit() first"
        );
        debug_assert!(kind.admits(value), "{value:?} is not of kind {kind}");
        let j = self.batch.source.len() as u32 - 1;
        self.batch.fields.set(j, key, value, kind);
    }

    /// Sets each of `fields` on this line's most recent output line, with its kind: a line's
    /// fields given back to it, from the batch ([`Line::fields`]) or held
    /// ([`crate::HeldFields::iter`]).
    ///
    /// # Panics
    ///
    /// As [`Output::set_field`].
    #[inline]
    pub fn set_fields<'f>(&mut self, fields: impl IntoIterator<Item = Field<'f>>) {
        for field in fields {
            self.set_field_as(field.key, field.value, field.kind);
        }
    }

    /// Outputs, at this input line's place (before whatever else it outputs next), a line
    /// that is not made from it: one held from an earlier batch, such as a finished multiline
    /// block or grep's context. It inherits no fields and no timestamp (set them with
    /// [`Output::set_field`] and [`Output::set_timestamp`]). It takes the input line's
    /// terminator unless [`Output::set_terminator`] gives it its own, as a held line should:
    /// [`Output::emit_held`] does both.
    #[inline]
    pub fn emit_detached(&mut self, bytes: &[u8]) {
        self.emit(bytes);
        self.batch.detached.push(self.batch.source.len() as u32 - 1);
    }

    /// Outputs, at this input line's place, a line held from an earlier batch with the
    /// terminator it had in the input: [`Output::emit_detached`] then
    /// [`Output::set_terminator`].
    #[inline]
    pub fn emit_held(&mut self, bytes: &[u8], terminator: Terminator) {
        self.emit_detached(bytes);
        self.set_terminator(terminator);
    }

    /// Sets the terminator of this line's most recent output line: a line held from an
    /// earlier batch keeps its own, a merged block takes its last line's. Without it, an
    /// output line ends as its input line did. Ignored on a partial piece, which has none.
    ///
    /// # Panics
    ///
    /// When this line has no output line yet.
    #[inline]
    pub fn set_terminator(&mut self, terminator: Terminator) {
        assert!(
            self.produced,
            "set_terminator needs an output line: call keep() or emit() first"
        );
        let j = self.batch.source.len() as u32 - 1;
        let terminator = terminator.to_wit();
        match self.batch.terminators.last_mut() {
            Some((last, t)) if *last == j => *t = terminator,
            _ => self.batch.terminators.push((j, terminator)),
        }
    }

    /// Like [`Output::emit_detached`], with the bytes written in place.
    #[inline]
    pub fn emit_detached_with<R>(&mut self, write: impl FnOnce(&mut LineBuf<'_>) -> R) -> R {
        let r = self.emit_with(write);
        self.batch.detached.push(self.batch.source.len() as u32 - 1);
        r
    }

    /// Takes field `key` off this line's most recent output line (whether it inherited it or
    /// it was set). Removing a key the line does not have does nothing.
    ///
    /// # Panics
    ///
    /// When this line has no output line yet.
    #[inline]
    pub fn remove_field(&mut self, key: &str) {
        assert!(
            self.produced,
            "remove_field({key:?}) needs an output line: call keep() or emit() first"
        );
        let j = self.batch.source.len() as u32 - 1;
        self.batch.fields.unset(j, key);
        self.batch.removed.push((j, key.to_owned()));
    }

    /// Sets the timestamp (nanoseconds since the Unix epoch) of this line's most recent output
    /// line; later stages and `--output json` see it.
    ///
    /// # Panics
    ///
    /// When this line has no output line yet.
    #[inline]
    pub fn set_timestamp(&mut self, timestamp: i64) {
        assert!(
            self.produced,
            "set_timestamp needs an output line: call keep() or emit() first"
        );
        let j = self.batch.source.len() as u32 - 1;
        match self.batch.timestamps.last_mut() {
            Some((last, ts)) if *last == j => *ts = timestamp,
            _ => self.batch.timestamps.push((j, timestamp)),
        }
    }

    /// Whether this handle has produced an output line.
    pub fn has_output(&self) -> bool {
        self.produced
    }

    /// The index, within its batch, of the input line this handle outputs for.
    pub fn input_index(&self) -> usize {
        self.input as usize
    }
}

/// The bytes of one line being written, from [`Output::emit_with`] or [`Trailing::push_with`].
///
/// It derefs to the bytes written so far; it can only grow or shrink its own line.
#[derive(Debug)]
pub struct LineBuf<'a> {
    buf: &'a mut Vec<u8>,
    /// Where this line starts in `buf`.
    start: usize,
}

impl<'a> LineBuf<'a> {
    /// A line that starts at the end of `buf`.
    pub(crate) fn at_end(buf: &'a mut Vec<u8>) -> LineBuf<'a> {
        let start = buf.len();
        LineBuf { buf, start }
    }

    /// Appends a byte.
    #[inline]
    pub fn push(&mut self, byte: u8) {
        self.buf.push(byte);
    }

    /// Appends bytes.
    #[inline]
    pub fn extend_from_slice(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Reserves room for at least `additional` more bytes.
    #[inline]
    pub fn reserve(&mut self, additional: usize) {
        self.buf.reserve(additional);
    }

    /// Appends bytes written in place, with no intermediate buffer: `write` gets room for
    /// `max` bytes, not initialised, and returns how many it wrote at the start of it. The
    /// same as [`Sink::put_uninit`].
    ///
    /// # Safety
    ///
    /// `write` must initialise the first `n` bytes of the room before returning `n` (`n` greater
    /// than `max` panics).
    #[inline]
    pub unsafe fn append_uninit(
        &mut self,
        max: usize,
        write: impl FnOnce(&mut [MaybeUninit<u8>]) -> usize,
    ) {
        // SAFETY: the same contract.
        unsafe { self.buf.put_uninit(max, write) };
    }

    /// Shortens the line to `len` bytes (no effect when it is shorter).
    #[inline]
    pub fn truncate(&mut self, len: usize) {
        self.buf.truncate(self.start + len);
    }

    /// The bytes written so far.
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[self.start..]
    }
}

impl std::ops::Deref for LineBuf<'_> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

/// A line being written is a [`Sink`]: what is put goes on the end of the line.
impl Sink for LineBuf<'_> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        self.buf.put(bytes);
    }

    #[inline]
    fn put_byte(&mut self, byte: u8) {
        self.buf.put_byte(byte);
    }

    #[inline]
    unsafe fn put_uninit(
        &mut self,
        max: usize,
        write: impl FnOnce(&mut [MaybeUninit<u8>]) -> usize,
    ) {
        // SAFETY: the same contract.
        unsafe { self.buf.put_uninit(max, write) };
    }
}

impl Extend<u8> for LineBuf<'_> {
    fn extend<I: IntoIterator<Item = u8>>(&mut self, bytes: I) {
        self.buf.extend(bytes);
    }
}

impl<'b> Extend<&'b u8> for LineBuf<'_> {
    fn extend<I: IntoIterator<Item = &'b u8>>(&mut self, bytes: I) {
        self.buf.extend(bytes);
    }
}

impl io::Write for LineBuf<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.buf.extend_from_slice(bytes);
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl fmt::Write for LineBuf<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.buf.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// What [`crate::Plugin::tick`] and [`crate::Plugin::finish`] emit on their own: lines (which
/// go through the stages after this one) and a report.
///
/// A line ends in `\n` and comes from the stage's own source (for a per-source stage, the
/// source it serves) unless [`Trailing::set_terminator`] and [`Trailing::set_source`] say
/// otherwise: a line the stage held gets back what it had in the input.
#[derive(Debug, Default)]
pub struct Trailing {
    data: Vec<u8>,
    ends: Vec<u32>,
    fields: FieldBuilder,
    timestamps: Vec<(u32, i64)>,
    /// (line, terminator) of the lines that do not end in `\n`, ascending.
    terminators: Vec<(u32, types::Terminator)>,
    /// Runs of lines from one source: (first line, source), ascending.
    sources: Vec<(u32, String)>,
    /// The source the next lines pushed come from, when [`Trailing::set_source`] named one
    /// that no run has yet.
    next_source: Option<String>,
    report: Option<Vec<u8>>,
}

impl Trailing {
    /// Emits a line with the given bytes (no terminator).
    pub fn push(&mut self, bytes: &[u8]) {
        self.data.extend_from_slice(bytes);
        self.end_line();
    }

    /// Emits a line whose bytes `write` writes in place.
    pub fn push_with<R>(&mut self, write: impl FnOnce(&mut LineBuf<'_>) -> R) -> R {
        let start = self.data.len();
        let r = write(&mut LineBuf {
            buf: &mut self.data,
            start,
        });
        self.end_line();
        r
    }

    /// Emits a line the stage held, with the terminator it had in the input: [`Trailing::push`]
    /// then [`Trailing::set_terminator`].
    pub fn push_held(&mut self, bytes: &[u8], terminator: Terminator) {
        self.push(bytes);
        self.set_terminator(terminator);
    }

    fn end_line(&mut self) {
        let line = self.ends.len() as u32;
        self.ends.push(self.data.len() as u32);
        if let Some(source) = self.next_source.take() {
            self.sources.push((line, source));
        }
    }

    /// Sets the terminator of the most recently pushed line (by default `\n`).
    ///
    /// # Panics
    ///
    /// When no line was pushed yet.
    pub fn set_terminator(&mut self, terminator: Terminator) {
        assert!(
            !self.ends.is_empty(),
            "set_terminator needs a line: call push() first"
        );
        let line = self.ends.len() as u32 - 1;
        self.terminators.retain(|&(l, _)| l != line);
        if terminator != Terminator::Lf {
            self.terminators.push((line, terminator.to_wit()));
        }
    }

    /// The lines pushed from now on, in this `tick` or `finish`, come from `source` (a path as
    /// the batch named it, `-` for standard input): a whole-stream stage that held lines from several sources gives
    /// each back its own ([`crate::Batch::source`]). A per-source stage need not call it: its
    /// lines come from its source.
    pub fn set_source(&mut self, source: &str) {
        let current = match &self.next_source {
            Some(next) => Some(next.as_str()),
            None => self.sources.last().map(|(_, s)| s.as_str()),
        };
        if current != Some(source) {
            self.next_source = Some(source.to_owned());
        }
    }

    /// Sets field `key` on the most recently pushed line (a later value for the same key
    /// wins).
    ///
    /// # Panics
    ///
    /// When no line was pushed yet.
    pub fn set_field(&mut self, key: &str, value: &[u8]) {
        assert!(
            !self.ends.is_empty(),
            "set_field({key:?}) needs a line: call push() first"
        );
        self.fields
            .set(self.ends.len() as u32 - 1, key, value, Kind::Text);
    }

    /// [`Trailing::set_field`] with a value of `kind` (see [`Output::set_field_as`]).
    pub fn set_field_as(&mut self, key: &str, value: &[u8], kind: Kind) {
        assert!(
            !self.ends.is_empty(),
            "set_field_as({key:?}) needs a line: call push() first"
        );
        debug_assert!(kind.admits(value), "{value:?} is not of kind {kind}");
        self.fields
            .set(self.ends.len() as u32 - 1, key, value, kind);
    }

    /// Sets each of `fields` on the most recently pushed line, with its kind (see
    /// [`Output::set_fields`]).
    ///
    /// # Panics
    ///
    /// When no line was pushed yet.
    pub fn set_fields<'f>(&mut self, fields: impl IntoIterator<Item = Field<'f>>) {
        for field in fields {
            self.set_field_as(field.key, field.value, field.kind);
        }
    }

    /// Sets the timestamp of the most recently pushed line.
    ///
    /// # Panics
    ///
    /// When no line was pushed yet.
    pub fn set_timestamp(&mut self, timestamp: i64) {
        assert!(
            !self.ends.is_empty(),
            "set_timestamp needs a line: call push() first"
        );
        let line = self.ends.len() as u32 - 1;
        match self.timestamps.last_mut() {
            Some((last, ts)) if *last == line => *ts = timestamp,
            _ => self.timestamps.push((line, timestamp)),
        }
    }

    /// Hands the host a report, which it writes where the stage's `report` key says (standard
    /// error by default; a file is replaced whole). A later report in the same call replaces
    /// this one.
    pub fn report(&mut self, bytes: Vec<u8>) {
        self.report = Some(bytes);
    }

    /// The number of lines emitted so far.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether no line was emitted so far.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    pub(crate) fn take(&mut self) -> types::Emitted {
        self.next_source = None;
        types::Emitted {
            data: std::mem::take(&mut self.data),
            ends: std::mem::take(&mut self.ends),
            fields: self.fields.take(),
            timestamps: std::mem::take(&mut self.timestamps),
            terminators: std::mem::take(&mut self.terminators),
            sources: std::mem::take(&mut self.sources),
            report: self.report.take(),
            wake: None,
        }
    }
}

/// Builds a fields table (see `fields` in `wit/plugin.wit`) for lines given in order.
#[derive(Debug, Default)]
struct FieldBuilder {
    /// The distinct keys used, in order of first use.
    names: Vec<String>,
    /// Non-decreasing line indexes (callers only set fields on their latest line).
    line: Vec<u32>,
    name: Vec<u32>,
    values: Vec<u8>,
    value_ends: Vec<u32>,
    /// The kind of each entry: empty while every value is text, else one per entry.
    kinds: Vec<Kind>,
    /// The index in `names` after the last key set: lines of one log usually set the same
    /// keys in the same order, so the next key is most often found here at the first try.
    next_name: usize,
}

impl FieldBuilder {
    /// Sets `key` = `value`, of `kind`, on line `line`, which must be the greatest line so far.
    fn set(&mut self, line: u32, key: &str, value: &[u8], kind: Kind) {
        // Kinds are kept only once a value is not text: until then the list stays empty.
        let keep_kinds = kind != Kind::Text || !self.kinds.is_empty();
        if keep_kinds {
            self.kinds.resize(self.line.len(), Kind::Text);
        }
        debug_assert!(self.line.last().is_none_or(|&l| l <= line));
        let name = self.intern(key);
        // The entries of `line` are at the end of the table: look for the same key there.
        let mut i = self.line.len();
        while i > 0 && self.line[i - 1] == line {
            i -= 1;
            if self.name[i] == name {
                self.replace_value(i, value);
                if let Some(k) = self.kinds.get_mut(i) {
                    *k = kind;
                }
                return;
            }
        }
        if keep_kinds {
            self.kinds.push(kind);
        }
        self.line.push(line);
        self.name.push(name);
        self.values.extend_from_slice(value);
        self.value_ends.push(self.values.len() as u32);
    }

    /// The index of `key` in `names`, adding it when new.
    #[inline]
    fn intern(&mut self, key: &str) -> u32 {
        let guess = self.next_name;
        let index = if self.names.get(guess).is_some_and(|n| n == key) {
            guess
        } else if let Some(i) = self.names.iter().position(|n| n == key) {
            i
        } else {
            self.names.push(key.to_owned());
            self.names.len() - 1
        };
        self.next_name = index + 1;
        index as u32
    }

    /// Removes `key` from line `line` (the greatest line so far), if it was set there.
    fn unset(&mut self, line: u32, key: &str) {
        let Some(name) = self.names.iter().position(|n| n == key) else {
            return;
        };
        let mut i = self.line.len();
        while i > 0 && self.line[i - 1] == line {
            i -= 1;
            if self.name[i] as usize == name {
                self.replace_value(i, b"");
                self.line.remove(i);
                self.name.remove(i);
                self.value_ends.remove(i);
                if !self.kinds.is_empty() {
                    self.kinds.remove(i);
                }
                return;
            }
        }
    }

    /// Replaces entry `i`'s value, shifting the values after it.
    fn replace_value(&mut self, i: usize, value: &[u8]) {
        let start = if i == 0 {
            0
        } else {
            self.value_ends[i - 1] as usize
        };
        let end = self.value_ends[i] as usize;
        self.values.splice(start..end, value.iter().copied());
        let delta = value.len() as i64 - (end - start) as i64;
        for e in &mut self.value_ends[i..] {
            *e = (*e as i64 + delta) as u32;
        }
    }

    fn reserve(&mut self, entries: usize, values: usize) {
        self.line.reserve(entries);
        self.name.reserve(entries);
        self.value_ends.reserve(entries);
        self.values.reserve(values);
    }

    fn take(&mut self) -> types::Fields {
        self.next_name = 0;
        types::Fields {
            names: std::mem::take(&mut self.names),
            line: std::mem::take(&mut self.line),
            name: std::mem::take(&mut self.name),
            values: std::mem::take(&mut self.values),
            value_ends: std::mem::take(&mut self.value_ends),
            kinds: std::mem::take(&mut self.kinds)
                .into_iter()
                .map(types::Kind::from)
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_builder_interns_and_later_value_wins() {
        let mut f = FieldBuilder::default();
        f.set(0, "a", b"1", Kind::Text);
        f.set(0, "b", b"22", Kind::Text);
        f.set(0, "a", b"333", Kind::Text);
        f.set(2, "b", b"4", Kind::Text);
        f.set(2, "b", b"", Kind::Text);
        let t = f.take();
        assert_eq!(t.names, ["a", "b"]);
        assert_eq!(t.line, [0, 0, 2]);
        assert_eq!(t.name, [0, 1, 1]);
        assert_eq!(t.values, b"33322");
        assert_eq!(t.value_ends, [3, 5, 5]);
    }

    #[test]
    fn field_builder_unsets() {
        let mut f = FieldBuilder::default();
        f.set(0, "a", b"1", Kind::Text);
        f.set(1, "a", b"22", Kind::Text);
        f.set(1, "b", b"3", Kind::Text);
        f.unset(1, "a");
        f.unset(1, "zzz");
        let t = f.take();
        assert_eq!(t.line, [0, 1]);
        assert_eq!(t.name, [0, 1]);
        assert_eq!(t.values, b"13");
        assert_eq!(t.value_ends, [1, 2]);
    }

    #[test]
    fn line_buf_only_sees_its_line() {
        let mut data = b"previous".to_vec();
        let mut buf = LineBuf {
            buf: &mut data,
            start: 8,
        };
        buf.extend_from_slice(b"abc");
        buf.push(b'd');
        fmt::Write::write_str(&mut buf, "ef").unwrap();
        buf.extend(b"gh".iter().map(u8::to_ascii_uppercase));
        assert_eq!(&*buf, b"abcdefGH");
        buf.truncate(2);
        assert_eq!(buf.as_bytes(), b"ab");
        assert_eq!(data, b"previousab");
    }

    #[test]
    fn trailing_lines_and_fields() {
        let mut t = Trailing::default();
        t.push(b"one");
        t.set_field("k", b"v");
        t.push_with(|b| b.extend_from_slice(b"two"));
        let lines = t.take();
        assert_eq!(lines.data, b"onetwo");
        assert_eq!(lines.ends, [3, 6]);
        assert_eq!(lines.fields.line, [0]);
    }

    #[test]
    fn trailing_terminators_and_sources() {
        let mut t = Trailing::default();
        t.push(b"own");
        t.set_source("a.log");
        t.set_source("a.log");
        t.push_held(b"a1", Terminator::CrLf);
        t.push(b"a2");
        t.set_terminator(Terminator::None);
        t.set_terminator(Terminator::Lf);
        t.set_source("b.log");
        t.push_held(b"b1", Terminator::None);
        let lines = t.take();
        assert_eq!(lines.ends, [3, 5, 7, 9]);
        assert_eq!(
            lines.terminators,
            [(1, types::Terminator::Crlf), (3, types::Terminator::None)]
        );
        assert_eq!(
            lines.sources,
            [(1, "a.log".to_owned()), (3, "b.log".to_owned())]
        );
        t.push(b"next call");
        assert!(t.take().sources.is_empty(), "sources do not outlive a call");
    }

    #[test]
    #[should_panic(expected = "needs a line")]
    fn trailing_field_without_line_panics() {
        Trailing::default().set_field("k", b"v");
    }
}
