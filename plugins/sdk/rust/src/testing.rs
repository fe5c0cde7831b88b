//! Run a plugin natively, without wasm, to unit-test its logic with plain `cargo test`.
//!
//! [`Harness`] drives a [`Plugin`] through exactly the code path the wasm exports use: it
//! builds the contract's batch from [`Input`] lines, runs the stage, checks the output against
//! every invariant of the contract ([`check_output`]), and resolves it into [`Emitted`] lines
//! with their effective bytes and fields. Checking and resolving are the host's own code (the
//! `sluice-contract` crate), so an answer that passes here is one the host accepts, and it
//! becomes the same lines.
//!
//! ```
//! use sluice_plugin_sdk::testing::{Harness, Input};
//! # use sluice_plugin_sdk::{Config, ConfigError, Line, Output, Plugin};
//! # struct Upper;
//! # impl Plugin for Upper {
//! #     const NAME: &'static str = "upper";
//! #     const VERSION: &'static str = "1.0.0";
//! #     const SUMMARY: &'static str = "Upper-case lines";
//! #     fn new(_: Config) -> Result<Self, ConfigError> { Ok(Upper) }
//! #     fn process(&mut self, line: &Line<'_>, out: &mut Output<'_>) {
//! #         out.emit(&line.bytes().to_ascii_uppercase());
//! #     }
//! # }
//! let mut stage = Harness::<Upper>::new("{}").unwrap();
//! let out = stage
//!     .process([Input::new("level=info"), Input::new("b").field("k", "v")])
//!     .unwrap();
//! assert_eq!(out[0].text(), "LEVEL=INFO");
//! assert_eq!(out[1].field_str("k"), Some("v")); // fields are inherited
//! ```
//!
//! [`Harness::process_long_line`] simulates how the host feeds an over-long line to a
//! boundary-safe stage, window by window, so that a redactor can be tested at every cut.

use crate::batch::{Batch, batch_view, fields_view};
use crate::bindings::sluice::plugin::types;
use crate::config::ConfigError;
use crate::output::LineBuf;
use crate::stage::{self, StageCore};
use crate::{Kind, Plugin, Terminator};
use sluice_contract::resolve::{self, End, FieldFrom};
use sluice_contract::{EmittedView, LineList, OutputView};

/// One input line for [`Harness::process`]: bytes, a partial flag and fields.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Input {
    /// The line's bytes, without terminator.
    pub bytes: Vec<u8>,
    /// Whether the line is a partial piece of an over-long line.
    pub partial: bool,
    /// The fields earlier stages attached, in order.
    pub fields: Vec<(String, Vec<u8>)>,
    /// The kinds of the fields that are not text, by key (a key not listed is text).
    pub kinds: Vec<(String, Kind)>,
    /// The line's timestamp, if an earlier stage set one.
    pub timestamp: Option<i64>,
    /// How the line ended in the input (`\n` by default; a partial piece has none whatever
    /// this says).
    pub terminator: Terminator,
}

impl Input {
    /// A complete line without fields.
    pub fn new(bytes: impl AsRef<[u8]>) -> Input {
        Input {
            bytes: bytes.as_ref().to_vec(),
            ..Input::default()
        }
    }

    /// Gives the line a timestamp (nanoseconds since the Unix epoch).
    pub fn timestamp(mut self, timestamp: i64) -> Input {
        self.timestamp = Some(timestamp);
        self
    }

    /// Gives the line another terminator than `\n`.
    pub fn terminator(mut self, terminator: Terminator) -> Input {
        self.terminator = terminator;
        self
    }

    /// Marks the line as a partial piece.
    pub fn partial(mut self) -> Input {
        self.partial = true;
        self
    }

    /// Adds a text field (replacing an earlier one with the same key).
    pub fn field(self, key: &str, value: impl AsRef<[u8]>) -> Input {
        self.typed_field(key, value, Kind::Text)
    }

    /// Adds a field of `kind` (replacing an earlier one with the same key), as a stage that
    /// knows what its values are sets it ([`crate::Output::set_field_as`]).
    pub fn typed_field(mut self, key: &str, value: impl AsRef<[u8]>, kind: Kind) -> Input {
        self.fields.retain(|(k, _)| k != key);
        self.kinds.retain(|(k, _)| k != key);
        self.fields.push((key.to_owned(), value.as_ref().to_vec()));
        if kind != Kind::Text {
            self.kinds.push((key.to_owned(), kind));
        }
        self
    }

    /// The kind of field `key` (text when not listed in [`Input::kinds`]).
    pub fn kind(&self, key: &str) -> Kind {
        kind_in(&self.kinds, key)
    }
}

/// The kind of `key` in a list of the kinds that are not text.
fn kind_in(kinds: &[(String, Kind)], key: &str) -> Kind {
    kinds
        .iter()
        .find(|(k, _)| k == key)
        .map_or(Kind::Text, |&(_, kind)| kind)
}

impl From<&Emitted> for Input {
    /// The line as the next stage receives it: bytes, fields with their kinds, timestamp and
    /// terminator, as a complete line.
    fn from(line: &Emitted) -> Input {
        Input {
            bytes: line.bytes.clone(),
            partial: false,
            fields: line.fields.clone(),
            kinds: line.kinds.clone(),
            timestamp: line.timestamp,
            terminator: line.terminator,
        }
    }
}

impl From<&str> for Input {
    fn from(s: &str) -> Input {
        Input::new(s)
    }
}

impl From<&[u8]> for Input {
    fn from(b: &[u8]) -> Input {
        Input::new(b)
    }
}

impl From<String> for Input {
    fn from(s: String) -> Input {
        Input::new(s)
    }
}

impl From<Vec<u8>> for Input {
    fn from(b: Vec<u8>) -> Input {
        Input {
            bytes: b,
            ..Input::default()
        }
    }
}

impl From<&Input> for Input {
    fn from(i: &Input) -> Input {
        i.clone()
    }
}

/// One output line, resolved: its bytes, its effective fields (inherited from its input
/// line unless detached, less those removed, then those the stage set on top) and timestamp.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Emitted {
    /// The input line (index in its batch) this line comes from, or sits at when detached;
    /// `None` for lines from `tick` or `finish`.
    pub source: Option<usize>,
    /// Whether the stage gave the line new bytes (rather than passing its input's through).
    pub rewritten: bool,
    /// Whether the line inherits nothing from its source line.
    pub detached: bool,
    /// The line's bytes, without terminator.
    pub bytes: Vec<u8>,
    /// The line's fields, in the host's order: the inherited ones that stay (neither removed
    /// nor set again), in order, then the ones the stage set, in the order set (a key set twice
    /// takes its later value, at its later place).
    pub fields: Vec<(String, Vec<u8>)>,
    /// The kinds of the fields that are not text, by key (a key not listed is text).
    pub kinds: Vec<(String, Kind)>,
    /// The line's timestamp.
    pub timestamp: Option<i64>,
    /// How the line ends on output: its input line's terminator, or the one the stage set.
    pub terminator: Terminator,
    /// Where the line comes from: the batch's source, or for lines from `tick` and `finish`
    /// the source the stage named, else the harness's ([`Harness::set_source`]), as a
    /// per-source stage's lines come from the source it serves.
    pub origin: String,
}

impl Emitted {
    /// The bytes as text (invalid UTF-8 replaced by U+FFFD).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    /// The bytes the host writes for the line: its bytes, then its terminator.
    pub fn written(&self) -> Vec<u8> {
        [&self.bytes[..], self.terminator.bytes()].concat()
    }

    /// The value of field `key`.
    pub fn field(&self, key: &str) -> Option<&[u8]> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_slice())
    }

    /// The value of field `key` as text; `None` when absent or not UTF-8.
    pub fn field_str(&self, key: &str) -> Option<&str> {
        self.field(key).and_then(|v| std::str::from_utf8(v).ok())
    }

    /// The kind of field `key` (text when not listed in [`Emitted::kinds`]).
    pub fn kind(&self, key: &str) -> Kind {
        kind_in(&self.kinds, key)
    }

    /// Adds field `key` from entry `i` of a table whose kinds are `kinds` (empty: all text).
    fn push_field(&mut self, key: &str, value: &[u8], kinds: &[types::Kind], i: usize) {
        self.fields.push((key.to_owned(), value.to_vec()));
        let kind = kinds.get(i).map_or(Kind::Text, |&k| Kind::from(k));
        if kind != Kind::Text {
            self.kinds.push((key.to_owned(), kind));
        }
    }
}

/// A stage of plugin `P`, run natively.
pub struct Harness<P> {
    core: StageCore<P>,
    /// What batches say they were read from.
    source: String,
    /// The reports the stage made, oldest first.
    reports: Vec<Vec<u8>>,
    /// The latest `wake` the stage asked for.
    wake: Option<types::Wake>,
}

impl<P: Plugin> Harness<P> {
    /// Creates a stage with configuration `config` (a JSON object), as `stage.create` does.
    pub fn new(config: &str) -> Result<Harness<P>, ConfigError> {
        Harness::with_env(config, &[])
    }

    /// Creates a stage with configuration `config` and the granted environment variables
    /// `env`, as (name, value).
    pub fn with_env(config: &str, env: &[(&str, &str)]) -> Result<Harness<P>, ConfigError> {
        Harness::with_grants(config, env, None)
    }

    /// Creates a stage with configuration `config` and everything the host can grant: the
    /// environment variables `env`, as (name, value), and the destination of its reports (the
    /// value of the user's `report` key, which the host removes from the configuration).
    pub fn with_grants(
        config: &str,
        env: &[(&str, &str)],
        report: Option<&str>,
    ) -> Result<Harness<P>, ConfigError> {
        let env = env
            .iter()
            .map(|&(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        Ok(Harness {
            core: StageCore::create(config, env, report.map(str::to_owned), (64 << 10, 1 << 10))?,
            source: "-".to_owned(),
            reports: Vec::new(),
            wake: None,
        })
    }

    /// The stage's plugin value, to ask what the host asks between calls ([`Plugin::reach`],
    /// [`Plugin::carry`]).
    pub fn plugin(&self) -> &P {
        self.core.plugin()
    }

    /// The stage's plugin value, to call [`Plugin::tally`], [`Plugin::absorb`] or
    /// [`Plugin::resume`] as the host does.
    pub fn plugin_mut(&mut self) -> &mut P {
        self.core.plugin_mut()
    }

    /// Sets what the next batches say they were read from (by default `-`, standard input),
    /// and the source of lines from `tick` and `finish` that name none.
    pub fn set_source(&mut self, source: &str) {
        self.source = source.to_owned();
    }

    /// The `wake` of the stage's latest answer: when it wants `tick`, and whether it holds
    /// input back.
    pub fn wake(&self) -> Option<crate::Wake> {
        self.wake.map(|w| crate::Wake {
            after_ms: w.after_ms,
            hold: w.hold,
        })
    }

    /// The reports the stage made so far (from `tick` and `finish`), oldest first.
    pub fn reports(&self) -> &[Vec<u8>] {
        &self.reports
    }

    /// Calls the stage's `tick`, as the host does once its `wake` deadline passed, and returns
    /// the lines it emitted.
    ///
    /// # Panics
    ///
    /// When the lines break the contract.
    pub fn tick(&mut self) -> Result<Vec<Emitted>, String> {
        let emitted = self.core.tick()?;
        self.wake = emitted.wake;
        Ok(self.resolve_emitted(emitted, "tick"))
    }

    /// Processes one batch made of `lines` and returns the output lines.
    ///
    /// # Panics
    ///
    /// When the stage's output breaks the contract (which the SDK should make impossible).
    pub fn process<I: Into<Input>>(
        &mut self,
        lines: impl IntoIterator<Item = I>,
    ) -> Result<Vec<Emitted>, String> {
        let inputs: Vec<Input> = lines.into_iter().map(Into::into).collect();
        let mut batch = build_batch(&inputs);
        batch.source = self.source.clone();
        let output = self.process_raw(&batch)?;
        if let Err(e) = check_output(&batch, &output) {
            panic!("{}'s output breaks the contract: {e}", P::NAME);
        }
        self.wake = output.wake;
        Ok(resolve(&batch, &output))
    }

    /// Processes a batch in the contract's own shape and returns the raw output, unchecked.
    pub fn process_raw(&mut self, batch: &types::Batch) -> Result<types::Output, String> {
        self.core.process(batch)
    }

    /// Ends the stream and returns the stage's trailing lines.
    ///
    /// # Panics
    ///
    /// When the trailing lines break the contract.
    pub fn finish(&mut self) -> Result<Vec<Emitted>, String> {
        let emitted = self.core.finish()?;
        self.wake = None;
        Ok(self.resolve_emitted(emitted, "finish"))
    }

    fn resolve_emitted(&mut self, emitted: types::Emitted, call: &str) -> Vec<Emitted> {
        if let Err(e) = check_emitted(&emitted) {
            panic!("{}'s lines from {call} break the contract: {e}", P::NAME);
        }
        let lines = resolve_emitted(&emitted, &self.source);
        if let Some(report) = emitted.report {
            self.reports.push(report);
        }
        lines
    }

    /// Feeds one over-long line through the stage the way the host feeds a boundary-safe
    /// stage, and returns the bytes the host would write for it.
    ///
    /// The host cuts windows of at most `window` bytes: each window but the last is processed
    /// as a partial line; all but the last `overlap` bytes of the stage's output are written,
    /// and those `overlap` bytes (as the stage left them) start the next window, followed by
    /// the next bytes of the line. The last window, which holds the line's end, is processed
    /// as a complete line. Each window is its own batch.
    ///
    /// # Panics
    ///
    /// When `overlap >= window`, or when the stage does not return exactly one line for a
    /// partial window.
    pub fn process_long_line(
        &mut self,
        line: &[u8],
        window: usize,
        overlap: usize,
    ) -> Result<Vec<u8>, String> {
        assert!(
            overlap < window,
            "the overlap must be shorter than the window"
        );
        let mut written = Vec::new();
        let mut carried: Vec<u8> = Vec::new();
        let mut rest = line;
        loop {
            let take = (window - carried.len()).min(rest.len());
            let mut bytes = std::mem::take(&mut carried);
            bytes.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if rest.is_empty() {
                for (i, line) in self.process([Input::new(bytes)])?.into_iter().enumerate() {
                    if i > 0 {
                        written.push(b'\n');
                    }
                    written.extend_from_slice(&line.bytes);
                }
                return Ok(written);
            }
            let mut out = self.process([Input::new(bytes).partial()])?;
            assert_eq!(out.len(), 1, "a partial window must give exactly one line");
            let bytes = out.pop().unwrap().bytes;
            let cut = bytes.len().saturating_sub(overlap);
            written.extend_from_slice(&bytes[..cut]);
            carried = bytes[cut..].to_vec();
        }
    }
}

/// Runs plugin `P` with configuration `config` on one batch of `lines`, then finishes it, and
/// returns the output lines' text (trailing lines last).
///
/// # Panics
///
/// When the configuration is rejected or the stage fails.
pub fn run<P: Plugin>(config: &str, lines: &[&str]) -> Vec<String> {
    let mut stage = Harness::<P>::new(config)
        .unwrap_or_else(|e| panic!("{} rejected its configuration: {e}", P::NAME));
    let mut out: Vec<String> = stage
        .process(lines.iter().copied())
        .unwrap_or_else(|e| panic!("{} failed: {e}", P::NAME))
        .iter()
        .map(Emitted::text)
        .collect();
    let trailing = stage
        .finish()
        .unwrap_or_else(|e| panic!("{} failed to finish: {e}", P::NAME));
    out.extend(trailing.iter().map(Emitted::text));
    out
}

/// The error plugin `P` gives for configuration `config`.
///
/// # Panics
///
/// When the configuration is accepted.
pub fn config_error<P: Plugin>(config: &str) -> ConfigError {
    match Harness::<P>::new(config) {
        Ok(_) => panic!("{} accepted {config}", P::NAME),
        Err(e) => e,
    }
}

/// Sets the clock the plugin sees through [`crate::clock`] on this thread: wall-clock time
/// `now` (nanoseconds since the Unix epoch) and monotonic time `monotonic` (nanoseconds), until
/// set again. Natively, without it, the system clock is used.
pub fn set_clock(now: i64, monotonic: u64) {
    crate::clock::set_fake(Some((now, monotonic)));
}

/// Moves the clock set with [`set_clock`] forward by `millis` milliseconds.
///
/// # Panics
///
/// When no clock was set on this thread.
pub fn advance_clock(millis: u64) {
    let (now, monotonic) = crate::clock::fake().expect("set_clock first");
    let nanos = millis * 1_000_000;
    crate::clock::set_fake(Some((now + nanos as i64, monotonic + nanos)));
}

/// The plugin's `describe` answer: name, summary, config keys and boundary safety.
pub fn describe<P: Plugin>() -> types::Info {
    stage::describe::<P>()
}

/// Runs `write` on a [`LineBuf`] that appends one line to `buf`, to unit-test code that
/// writes lines in place (for [`crate::Output::emit_with`]).
pub fn write_line<R>(buf: &mut Vec<u8>, write: impl FnOnce(&mut LineBuf<'_>) -> R) -> R {
    write(&mut LineBuf::at_end(buf))
}

/// Runs `f` on the [`Batch`] view of a batch built with [`build_batch`], to unit-test code
/// that works on whole batches (a prefilter, say).
///
/// # Panics
///
/// When `raw` breaks the contract.
pub fn with_batch<R>(raw: &types::Batch, f: impl FnOnce(&Batch<'_>) -> R) -> R {
    let batch = Batch::new(raw).unwrap_or_else(|e| panic!("{e}"));
    f(&batch)
}

/// Builds the contract's batch from input lines.
pub fn build_batch(inputs: &[Input]) -> types::Batch {
    let mut batch = types::Batch {
        data: Vec::new(),
        ends: Vec::new(),
        partial: Vec::new(),
        fields: empty_fields(),
        timestamps: Vec::new(),
        source: "-".to_owned(),
        terminators: Vec::new(),
    };
    for (i, input) in inputs.iter().enumerate() {
        batch.data.extend_from_slice(&input.bytes);
        batch.ends.push(batch.data.len() as u32);
        if input.partial {
            batch.partial.push(i as u32);
            batch.terminators.push(types::Terminator::None);
        } else {
            batch.terminators.push(input.terminator.to_wit());
        }
        if let Some(ts) = input.timestamp {
            batch.timestamps.push((i as u32, ts));
        }
        for (key, value) in &input.fields {
            let f = &mut batch.fields;
            // Kinds are listed once a value is not text, then for every entry.
            let kind = input.kind(key);
            if kind != Kind::Text || !f.kinds.is_empty() {
                f.kinds.resize(f.line.len(), types::Kind::Text);
                f.kinds.push(kind.into());
            }
            let name = match f.names.iter().position(|n| n == key) {
                Some(n) => n,
                None => {
                    f.names.push(key.clone());
                    f.names.len() - 1
                }
            };
            f.line.push(i as u32);
            f.name.push(name as u32);
            f.values.extend_from_slice(value);
            f.value_ends.push(f.values.len() as u32);
        }
    }
    batch
}

fn empty_fields() -> types::Fields {
    types::Fields {
        names: Vec::new(),
        line: Vec::new(),
        name: Vec::new(),
        values: Vec::new(),
        value_ends: Vec::new(),
        kinds: Vec::new(),
    }
}

/// Checks a stage's output for `batch` against every invariant of `output` and `fields` in
/// `wit/plugin.wit`, with the host's rules ([`sluice_contract::check_output`]); the error is
/// the broken rule in the host's words (what it prints after `malformed output: `).
pub fn check_output(batch: &types::Batch, out: &types::Output) -> Result<(), String> {
    sluice_contract::check_output(&output_view(out), batch.ends.len())?;
    let fields = &out.fields;
    sluice_contract::check_kinds(&fields.kinds, &fields_view(fields), Kind::from)?;
    let lines = out.source.len();
    sluice_contract::check_line_entries(LineList::Terminators, &out.terminators, lines)?;
    Ok(())
}

/// Checks what `tick` or `finish` returned against the invariants of `emitted` in
/// `wit/plugin.wit`, with the host's rules ([`sluice_contract::check_emitted`]); the error is
/// the broken rule in the host's words.
pub fn check_emitted(emitted: &types::Emitted) -> Result<(), String> {
    sluice_contract::check_emitted(&emitted_view(emitted))?;
    let fields = &emitted.fields;
    sluice_contract::check_kinds(&fields.kinds, &fields_view(fields), Kind::from)?;
    let lines = emitted.ends.len();
    sluice_contract::check_line_entries(LineList::Terminators, &emitted.terminators, lines)?;
    sluice_contract::check_line_entries(LineList::Sources, &emitted.sources, lines)?;
    Ok(())
}

fn output_view(out: &types::Output) -> OutputView<'_> {
    OutputView {
        source: &out.source,
        rewritten: &out.rewritten,
        data: &out.data,
        ends: &out.ends,
        detached: &out.detached,
        removed: &out.removed,
        fields: fields_view(&out.fields),
        timestamps: &out.timestamps,
    }
}

fn emitted_view(emitted: &types::Emitted) -> EmittedView<'_> {
    EmittedView {
        data: &emitted.data,
        ends: &emitted.ends,
        fields: fields_view(&emitted.fields),
        timestamps: &emitted.timestamps,
    }
}

/// Resolves an output checked against `batch` into lines with their effective bytes, fields
/// and timestamp, as the host does ([`sluice_contract::resolve`]).
fn resolve(batch: &types::Batch, out: &types::Output) -> Vec<Emitted> {
    let (input, output) = (batch_view(batch), output_view(out));
    let mut set = out.terminators.iter().peekable();
    let mut lines: Vec<Emitted> = resolve::lines(&output, &input)
        .enumerate()
        .map(|(j, line)| {
            let inherited = match (line.end, batch.terminators[line.source]) {
                (End::NewlineIfNone, types::Terminator::None) => types::Terminator::Lf,
                (_, term) => term,
            };
            let terminator = match set.next_if(|&&(k, _)| k as usize == j) {
                Some(&(_, term)) if !line.partial => term,
                _ => inherited,
            };
            Emitted {
                source: Some(line.source),
                rewritten: line.rewritten,
                detached: line.detached,
                bytes: line.bytes.to_vec(),
                fields: Vec::new(),
                kinds: Vec::new(),
                timestamp: None,
                terminator: Terminator::from_wit(terminator),
                origin: batch.source.clone(),
            }
        })
        .collect();
    resolve::fields(&output, &input.fields, |j, from| {
        let (table, kinds, i) = match from {
            FieldFrom::Inherited(i) => (&input.fields, &batch.fields.kinds, i),
            FieldFrom::Set(i) => (&output.fields, &out.fields.kinds, i),
        };
        lines[j as usize].push_field(table.key(i), table.value(i), kinds, i);
    });
    resolve::timestamps(&output, input.timestamps, |j, ts| {
        lines[j as usize].timestamp = Some(ts);
    });
    lines
}

/// Resolves checked lines from `tick` or `finish`: a key set twice on a line keeps its later
/// value, and lines end and come from where the stage said, else in `\n` and from
/// `own_source`, as the host does.
fn resolve_emitted(emitted: &types::Emitted, own_source: &str) -> Vec<Emitted> {
    let view = emitted_view(emitted);
    let mut lines: Vec<Emitted> = (0..view.len())
        .map(|i| Emitted {
            source: None,
            rewritten: true,
            detached: true,
            bytes: view.line(i).to_vec(),
            fields: Vec::new(),
            kinds: Vec::new(),
            timestamp: None,
            terminator: Terminator::Lf,
            origin: own_source.to_owned(),
        })
        .collect();
    for &(line, term) in &emitted.terminators {
        lines[line as usize].terminator = Terminator::from_wit(term);
    }
    for (r, (first, source)) in emitted.sources.iter().enumerate() {
        let end = emitted
            .sources
            .get(r + 1)
            .map_or(lines.len(), |&(next, _)| next as usize);
        for line in &mut lines[*first as usize..end] {
            line.origin = source.clone();
        }
    }
    resolve::emitted_fields(&view.fields, |line, i| {
        let (key, value) = (view.fields.key(i), view.fields.value(i));
        lines[line as usize].push_field(key, value, &emitted.fields.kinds, i);
    });
    for &(line, ts) in view.timestamps {
        lines[line as usize].timestamp = Some(ts);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BatchOutput, Config, ConfigKey, Line, Output, Trailing, Wake};

    /// Exercises the whole output API: keep, emit, 1 → n, drop, fields, finish.
    struct Splitter {
        seen: usize,
    }

    impl Plugin for Splitter {
        const NAME: &'static str = "splitter";
        const VERSION: &'static str = "1.0.0";
        const SUMMARY: &'static str = "Splits lines on commas";
        const CONFIG_KEYS: &'static [ConfigKey] =
            &[ConfigKey::new("unused", "integer", "Nothing.").default("1")];

        fn new(_: Config) -> Result<Self, ConfigError> {
            Ok(Splitter { seen: 0 })
        }

        fn process(&mut self, line: &Line<'_>, out: &mut Output<'_>) {
            self.seen += 1;
            let bytes = line.bytes();
            if bytes.is_empty() {
                return; // drop
            }
            if !bytes.contains(&b',') {
                out.keep();
                out.set_field("parts", b"1");
                return;
            }
            for (i, part) in bytes.split(|&b| b == b',').enumerate() {
                out.emit_with(|buf| buf.extend_from_slice(part));
                out.set_field("part", i.to_string().as_bytes());
                out.set_field("part", (i * 10).to_string().as_bytes());
            }
        }

        fn finish(&mut self, out: &mut Trailing) -> Result<(), String> {
            out.push(format!("seen {}", self.seen).as_bytes());
            out.set_field("summary", b"yes");
            Ok(())
        }
    }

    #[test]
    fn keep_emit_drop_fields_and_finish() {
        let mut h = Harness::<Splitter>::new("{}").unwrap();
        let out = h
            .process([
                Input::new("a,b").field("host", "h1"),
                Input::new(""),
                Input::new("plain").field("parts", "old"),
            ])
            .unwrap();
        assert_eq!(out.len(), 3);
        assert_eq!(out[0].text(), "a");
        assert_eq!(out[0].source, Some(0));
        assert!(out[0].rewritten);
        assert_eq!(out[0].field_str("host"), Some("h1"));
        assert_eq!(out[0].field_str("part"), Some("0"));
        assert_eq!(out[1].text(), "b");
        assert_eq!(out[1].field_str("part"), Some("10"));
        assert_eq!(out[2].text(), "plain");
        assert!(!out[2].rewritten);
        assert_eq!(out[2].fields, [("parts".to_string(), b"1".to_vec())]);
        let trailing = h.finish().unwrap();
        assert_eq!(trailing[0].text(), "seen 3");
        assert_eq!(trailing[0].field_str("summary"), Some("yes"));
    }

    /// Holds each line until the next one, then emits it detached with a timestamp and its
    /// own terminator; reports and flushes on tick, naming the held line's source as a
    /// whole-stream stage must.
    struct Holder {
        held: Option<(Vec<u8>, Terminator, String)>,
    }

    impl Plugin for Holder {
        const NAME: &'static str = "holder";
        const VERSION: &'static str = "1.0.0";
        const SUMMARY: &'static str = "Delays lines by one";

        fn new(_: Config) -> Result<Self, ConfigError> {
            Ok(Holder { held: None })
        }

        fn process_batch(
            &mut self,
            batch: &crate::Batch<'_>,
            out: &mut crate::BatchOutput,
        ) -> Result<(), String> {
            for line in batch.lines() {
                let mut out = out.line(&line);
                if let Some((held, term, _)) = self.held.take() {
                    out.emit_held(&held, term);
                    out.set_timestamp(crate::clock::now());
                    out.set_field("held", b"yes");
                }
                let source = batch.source().to_owned();
                self.held = Some((line.bytes().to_vec(), line.terminator(), source));
            }
            Ok(())
        }

        fn wake(&self) -> Option<Wake> {
            self.held
                .as_ref()
                .map(|_| Wake::after(std::time::Duration::from_millis(1500)))
        }

        fn tick(&mut self, out: &mut Trailing) -> Result<(), String> {
            out.push(b"made by the stage");
            if let Some((held, term, source)) = self.held.take() {
                out.set_source(&source);
                out.push_held(&held, term);
                out.set_timestamp(-1);
            }
            out.report(b"ticked".to_vec());
            Ok(())
        }
    }

    #[test]
    fn detached_lines_timestamps_wake_tick_and_report() {
        set_clock(1_000, 0);
        let mut h = Harness::<Holder>::new("{}").unwrap();
        h.set_source("a.log");
        let crlf = Terminator::CrLf;
        let out = h
            .process([
                Input::new("a").field("k", "v").terminator(crlf),
                Input::new("b").terminator(Terminator::None),
            ])
            .unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].text(), "a");
        assert_eq!(
            out[0].written(),
            b"a\r\n",
            "the held line keeps its own terminator"
        );
        assert_eq!(out[0].origin, "a.log");
        assert!(out[0].detached);
        assert_eq!(out[0].source, Some(1));
        assert_eq!(out[0].fields, [("held".to_string(), b"yes".to_vec())]);
        assert_eq!(out[0].timestamp, Some(1_000));
        assert_eq!(
            h.wake(),
            Some(Wake {
                after_ms: 1500,
                hold: false
            })
        );
        advance_clock(1500);
        h.set_source("other.log");
        let ticked = h.tick().unwrap();
        assert_eq!(ticked[0].written(), b"made by the stage\n");
        assert_eq!(
            ticked[0].origin, "other.log",
            "no source named: the harness's"
        );
        assert_eq!(ticked[1].written(), b"b", "pushed held, with no terminator");
        assert_eq!(ticked[1].origin, "a.log");
        assert_eq!(ticked[1].timestamp, Some(-1));
        assert_eq!(h.reports(), [b"ticked".to_vec()]);
        assert_eq!(h.wake(), None);
        assert_eq!(crate::clock::now(), 1_500_001_000);
    }

    #[test]
    fn removed_fields_and_timestamps_are_inherited_or_not() {
        struct Tidy;
        impl Plugin for Tidy {
            const NAME: &'static str = "tidy";
            const VERSION: &'static str = "1.0.0";
            const SUMMARY: &'static str = "Removes `a`, renames `b` to `c`";
            fn new(_: Config) -> Result<Self, ConfigError> {
                Ok(Tidy)
            }
            fn process(&mut self, line: &Line<'_>, out: &mut Output<'_>) {
                out.keep();
                out.remove_field("a");
                if let Some(b) = line.field("b") {
                    out.remove_field("b");
                    out.set_field("c", b);
                }
            }
        }
        let out = Harness::<Tidy>::new("{}")
            .unwrap()
            .process([Input::new("x").field("a", "1").field("b", "2").timestamp(9)])
            .unwrap();
        assert_eq!(out[0].fields, [("c".to_string(), b"2".to_vec())]);
        assert_eq!(out[0].timestamp, Some(9));
    }

    #[test]
    fn unknown_keys_are_rejected_before_new() {
        let e = config_error::<Splitter>(r#"{"unsed": 1}"#);
        assert_eq!(e.key.as_deref(), Some("unsed"));
        assert!(e.message.contains("did you mean \"unused\""));
    }

    #[test]
    fn describe_uses_the_constants() {
        let info = describe::<Splitter>();
        assert_eq!(info.name, "splitter");
        assert_eq!(info.version, "1.0.0");
        let key = &info.config_keys[0];
        assert_eq!(
            (&*key.name, &*key.kind, key.default.as_deref(), &*key.doc),
            ("unused", "integer", Some("1"), "Nothing.")
        );
        assert!(!info.boundary_safe);
    }

    #[test]
    fn run_returns_texts() {
        assert_eq!(
            run::<Splitter>("{}", &["x,y", "z"]),
            ["x", "y", "z", "seen 2"]
        );
    }

    struct Backwards;

    impl Plugin for Backwards {
        const NAME: &'static str = "backwards";
        const VERSION: &'static str = "1.0.0";
        const SUMMARY: &'static str = "Outputs lines in reverse order (not allowed)";

        fn new(_: Config) -> Result<Self, ConfigError> {
            Ok(Backwards)
        }

        fn process(&mut self, _: &Line<'_>, out: &mut Output<'_>) {
            out.keep();
        }

        fn process_batch(
            &mut self,
            batch: &Batch<'_>,
            out: &mut BatchOutput,
        ) -> Result<(), String> {
            let lines: Vec<_> = batch.lines().collect();
            for line in lines.iter().rev() {
                out.keep(line);
            }
            Ok(())
        }
    }

    #[test]
    #[should_panic(expected = "lines must be output in input order: line 0 was given after line 1")]
    fn out_of_order_output_panics() {
        let _ = Harness::<Backwards>::new("{}").unwrap().process(["a", "b"]);
    }

    struct Dropper;

    impl Plugin for Dropper {
        const NAME: &'static str = "dropper";
        const VERSION: &'static str = "1.0.0";
        const SUMMARY: &'static str = "Drops everything, claiming to be boundary-safe";
        const BOUNDARY_SAFE: bool = true;

        fn new(_: Config) -> Result<Self, ConfigError> {
            Ok(Dropper)
        }

        fn process(&mut self, _: &Line<'_>, _: &mut Output<'_>) {}
    }

    #[test]
    fn boundary_safe_plugin_must_return_one_line_per_partial() {
        let mut h = Harness::<Dropper>::new("{}").unwrap();
        assert_eq!(h.process(["complete"]).unwrap(), []);
        let e = h
            .process([Input::new("a"), Input::new("piece").partial()])
            .unwrap_err();
        assert!(e.contains("line 1 of the batch is a partial piece"), "{e}");
        assert!(e.contains("returned 0 lines"), "{e}");
    }

    struct FieldFirst;

    impl Plugin for FieldFirst {
        const NAME: &'static str = "field-first";
        const VERSION: &'static str = "1.0.0";
        const SUMMARY: &'static str = "Sets a field before producing a line (not allowed)";

        fn new(_: Config) -> Result<Self, ConfigError> {
            Ok(FieldFirst)
        }

        fn process(&mut self, _: &Line<'_>, out: &mut Output<'_>) {
            out.set_field("k", b"v");
        }
    }

    #[test]
    #[should_panic(expected = "call keep() or emit() first")]
    fn set_field_without_output_panics() {
        let _ = Harness::<FieldFirst>::new("{}").unwrap().process(["a"]);
    }

    #[test]
    fn check_output_catches_every_broken_invariant() {
        let batch = build_batch(&[Input::new("a"), Input::new("b")]);
        let good = || types::Output {
            source: vec![0, 1, 1],
            rewritten: vec![2],
            data: b"x".to_vec(),
            ends: vec![1],
            detached: vec![2],
            removed: vec![(0, "k".into())],
            fields: types::Fields {
                names: vec!["k".into()],
                line: vec![0],
                name: vec![0],
                values: b"v".to_vec(),
                value_ends: vec![1],
                kinds: Vec::new(),
            },
            timestamps: vec![(1, 5)],
            terminators: vec![(2, types::Terminator::Crlf)],
            wake: None,
        };
        assert_eq!(check_output(&batch, &good()), Ok(()));
        type Break = fn(&mut types::Output);
        let cases: Vec<(Break, &str)> = vec![
            (
                |o| o.source = vec![2],
                "source[0] = 2, but the batch has 2 lines",
            ),
            (
                |o| o.source = vec![1, 0, 1],
                "source[1] = 0 comes after 1; output must keep input order",
            ),
            (
                |o| o.rewritten = vec![3],
                "rewritten[0] = 3, but there are 3 output lines",
            ),
            (
                |o| o.ends = vec![2],
                "ends[0] = 2 is out of order or past the 1 data bytes",
            ),
            (
                |o| o.fields.name = vec![1],
                "fields: name[0] = 1, but there are only 1 names",
            ),
            (|o| o.detached = vec![1], "detached[0] = 1 is not rewritten"),
            (|o| o.removed = vec![(3, "k".into())], "removed[0]"),
            (
                |o| o.timestamps = vec![(1, 0), (1, 1)],
                "timestamps[1] (line 1) is not in ascending order",
            ),
            (
                |o| o.fields.line = vec![3],
                "fields: line[0] = 3, but there are only 3 lines",
            ),
            (
                |o| o.fields.values.push(b'x'),
                "the last value-ends entry is 1, but there are 2 value bytes",
            ),
            (
                |o| o.fields.names.push("k".into()),
                "names must be distinct",
            ),
            (
                |o| o.terminators = vec![(3, types::Terminator::Lf)],
                "terminators[0] is for line 3, but there are 3 lines",
            ),
        ];
        for (breaks, message) in cases {
            let mut out = good();
            breaks(&mut out);
            let e = check_output(&batch, &out).unwrap_err();
            assert!(e.contains(message), "{e} should mention {message}");
        }
    }

    /// A raw answer: output line 0 from input line 0, rewritten as `x`.
    fn raw_output(data: &[u8], fields: types::Fields) -> types::Output {
        types::Output {
            source: vec![0],
            rewritten: vec![0],
            data: data.to_vec(),
            ends: vec![1],
            detached: vec![],
            removed: vec![],
            fields,
            timestamps: vec![],
            terminators: vec![],
            wake: None,
        }
    }

    /// Drift decided by the WIT ("when a plugin sets a key twice on one line, the later value
    /// wins"): the harness used to reject it, the host merges it.
    #[test]
    fn a_key_set_twice_on_one_line_passes_and_the_later_value_wins() {
        let batch = build_batch(&[Input::new("a").field("k", "inherited")]);
        let fields = types::Fields {
            names: vec!["k".into()],
            line: vec![0, 0],
            name: vec![0, 0],
            values: b"firstlater".to_vec(),
            value_ends: vec![5, 10],
            kinds: Vec::new(),
        };
        let out = raw_output(b"x", fields);
        assert_eq!(check_output(&batch, &out), Ok(()));
        let lines = resolve(&batch, &out);
        assert_eq!(lines[0].fields, [("k".to_string(), b"later".to_vec())]);
    }

    /// Drift decided by the WIT, which does not say an output's last end is `len(data)`: the
    /// harness used to require it, the host checks bounds only and reads only the ranges.
    #[test]
    fn unused_data_after_the_last_end_passes_and_is_ignored() {
        let batch = build_batch(&[Input::new("a")]);
        let out = raw_output(b"xjunk", empty_fields());
        assert_eq!(check_output(&batch, &out), Ok(()));
        assert_eq!(resolve(&batch, &out)[0].bytes, b"x");
        let emitted = types::Emitted {
            data: b"tjunk".to_vec(),
            ends: vec![1],
            fields: empty_fields(),
            timestamps: vec![],
            terminators: vec![],
            sources: vec![],
            report: None,
            wake: None,
        };
        assert_eq!(check_emitted(&emitted), Ok(()));
        assert_eq!(resolve_emitted(&emitted, "-")[0].bytes, b"t");
    }

    /// Drift decided by the WIT ("its last entry is `len(values)`", required back): the
    /// harness always required it; now the host does too, so this is where a plugin learns.
    #[test]
    fn unused_value_bytes_after_the_last_end_break_the_contract() {
        let batch = build_batch(&[Input::new("a")]);
        let mut fields = empty_fields();
        fields.values = b"junk".to_vec();
        let e = check_output(&batch, &raw_output(b"x", fields)).unwrap_err();
        assert_eq!(
            e,
            "fields: the last value-ends entry is 0, but there are 4 value bytes; it must be \
             len(values)"
        );
    }

    /// As for `process`: a key set twice on an emitted line keeps the later value.
    #[test]
    fn emitted_lines_keep_the_later_value_of_a_key_set_twice() {
        let emitted = types::Emitted {
            data: b"t".to_vec(),
            ends: vec![1],
            fields: types::Fields {
                names: vec!["k".into(), "o".into()],
                line: vec![0, 0, 0],
                name: vec![0, 1, 0],
                values: b"12o".to_vec(),
                value_ends: vec![1, 2, 3],
                kinds: Vec::new(),
            },
            timestamps: vec![(0, 9)],
            terminators: vec![],
            sources: vec![],
            report: None,
            wake: None,
        };
        assert_eq!(check_emitted(&emitted), Ok(()));
        let lines = resolve_emitted(&emitted, "-");
        assert_eq!(
            lines[0].fields,
            [
                ("o".to_string(), b"2".to_vec()),
                ("k".to_string(), b"o".to_vec())
            ]
        );
        assert_eq!(lines[0].timestamp, Some(9));
    }

    /// Field order is the host's: a key the stage set comes after the inherited ones that
    /// stay (the harness used to keep it at its inherited place).
    #[test]
    fn a_replaced_key_comes_after_the_inherited_ones() {
        struct Relevel;
        impl Plugin for Relevel {
            const NAME: &'static str = "relevel";
            const VERSION: &'static str = "1.0.0";
            const SUMMARY: &'static str = "Sets `level`";
            fn new(_: Config) -> Result<Self, ConfigError> {
                Ok(Relevel)
            }
            fn process(&mut self, _: &Line<'_>, out: &mut Output<'_>) {
                out.keep();
                out.set_field("level", b"warn");
            }
        }
        let out = Harness::<Relevel>::new("{}")
            .unwrap()
            .process([Input::new("x").field("level", "info").field("user", "bob")])
            .unwrap();
        assert_eq!(
            out[0].fields,
            [
                ("user".to_string(), b"bob".to_vec()),
                ("level".to_string(), b"warn".to_vec())
            ]
        );
    }

    /// Replaces "secret" with "[X]", like a tiny redactor.
    struct Redact;

    impl Plugin for Redact {
        const NAME: &'static str = "redact";
        const VERSION: &'static str = "1.0.0";
        const SUMMARY: &'static str = "Redacts a word";
        const BOUNDARY_SAFE: bool = true;

        fn new(_: Config) -> Result<Self, ConfigError> {
            Ok(Redact)
        }

        fn process(&mut self, line: &Line<'_>, out: &mut Output<'_>) {
            let text = String::from_utf8_lossy(line.bytes()).replace("secret", "[X]");
            out.emit(text.as_bytes());
        }
    }

    #[test]
    fn long_lines_are_fed_window_by_window() {
        let line = b"0123456789 secret 0123456789 secret 0123456789";
        for window in 9..60 {
            let mut h = Harness::<Redact>::new("{}").unwrap();
            let out = h.process_long_line(line, window, 8).unwrap();
            assert_eq!(
                String::from_utf8(out).unwrap(),
                "0123456789 [X] 0123456789 [X] 0123456789",
                "window {window}"
            );
        }
    }
}
