//! Write sluice plugins in Rust.
//!
//! A sluice plugin is a WebAssembly component that implements the contract in `wit/plugin.wit`
//! (package `sluice:plugin@0.7.0`). That contract is built for speed: a batch of about a
//! thousand lines crosses the boundary as one flat byte buffer plus offsets, and the plugin
//! answers with *where each output line comes from* rather than with copies of the lines. This
//! crate hides all of that behind a trait, so that a plugin is a struct and a few methods:
//!
//! ```
//! use sluice_plugin_sdk::{export_plugin, Config, ConfigError, ConfigKey, Line, Output, Plugin};
//!
//! /// Drops lines that contain a configured word.
//! pub struct Grep {
//!     word: Vec<u8>,
//! }
//!
//! impl Plugin for Grep {
//!     const NAME: &'static str = "grep-out";
//!     const VERSION: &'static str = env!("CARGO_PKG_VERSION");
//!     const SUMMARY: &'static str = "Drop the lines that contain a word";
//!     const CONFIG_KEYS: &'static [ConfigKey] =
//!         &[ConfigKey::new("word", "string", "The word whose lines are dropped (required).")];
//!
//!     fn new(config: Config) -> Result<Self, ConfigError> {
//!         Ok(Grep { word: config.required_str("word")?.as_bytes().to_vec() })
//!     }
//!
//!     fn process(&mut self, line: &Line<'_>, out: &mut Output<'_>) {
//!         if !line.bytes().windows(self.word.len()).any(|w| w == self.word) {
//!             out.keep();
//!         }
//!     }
//! }
//!
//! export_plugin!(Grep);
//! # let lines = sluice_plugin_sdk::testing::run::<Grep>(r#"{"word": "DEBUG"}"#, &["a DEBUG b", "c"]);
//! # assert_eq!(lines, ["c"]);
//! ```
//!
//! # A tour
//!
//! - [`Plugin`] is what you implement. Its constants describe the plugin (`describe` in the
//!   WIT); [`Plugin::new`] validates the configuration and builds a stage; [`Plugin::process`]
//!   is called for each line; [`Plugin::process_batch`] may be overridden to look at a whole
//!   batch at once (to prefilter it, say); [`Plugin::wake`] asks for [`Plugin::tick`] after a
//!   quiet spell; [`Plugin::finish`] may emit trailing lines and a report at end of stream.
//! - [`Line`] is a read-only view of one input line: its bytes (without terminator), its
//!   [`Terminator`], whether it is a *partial piece* of an over-long line, and the fields
//!   earlier stages attached. A [`Batch`] is the view of a whole batch.
//! - [`Plugin::STATE`] says how far the stage's state reaches ([`State`]). The default,
//!   [`State::PerSource`], gives each input file its own instance of the stage, so a plugin
//!   written for one stream (a block, a context, a count of recent lines) never mixes files.
//!   [`Plugin::reach`] may narrow it for one configuration, and says whether the stage can
//!   merge its report's counts across instances ([`Plugin::tally`], [`Plugin::absorb`]) or
//!   hand its carried state over ([`Plugin::carry`], [`Plugin::resume`]), which lets the host
//!   run it on several threads.
//! - [`Output`] is where a line's results go, owned by the caller as in Vector's function
//!   transforms: [`Output::keep`] passes the line through (no copy), [`Output::emit`] writes a
//!   new line made from it (call it several times to turn one line into several),
//!   [`Output::set_field`] attaches a field, and calling nothing drops the line.
//!   [`BatchOutput`] is the same for a whole batch.
//! - Fields are typed: each has a [`Kind`] (text unless a stage says otherwise), which
//!   [`Output::set_field_as`] sets and [`Field::kind`] reads, so that `-o json` and `pack`
//!   write `"latency_ms":1656`, not `"1656"`. A stage that holds a line keeps its fields in
//!   [`HeldFields`] and gives them back, kinds and all, with [`Output::set_fields`].
//!   [`quantity`] reads a value as a number, a duration (`918ms`) or a size (`4KB`).
//! - [`Config`] wraps the stage's JSON configuration with typed getters whose errors name the
//!   key and say what was expected; keys not listed in [`Plugin::CONFIG_KEYS`] are rejected
//!   before [`Plugin::new`] runs.
//! - [`Trailing`] collects the lines (and report) [`Plugin::tick`] and [`Plugin::finish`]
//!   emit. A line a stage held keeps what it had: give it back its terminator
//!   ([`Output::set_terminator`], [`Trailing::set_terminator`]) and, in a whole-stream stage,
//!   its source ([`Trailing::set_source`]).
//! - [`clock`] tells the time; a plugin that calls it imports the host's clock. [`Period`]
//!   times an output made every interval while there is something new.
//! - [`json`] writes bytes as a JSON string with the host's escaping (`\xNN` for bytes that
//!   are not UTF-8), scans JSON documents and unescapes their strings.
//! - [`Sink`] is where written bytes go, a [`LineBuf`] or a `Vec<u8>`, so that a writer is
//!   written once for both.
//! - [`LongLine`] follows the pieces of an over-long line, so that a stage decides on a line's
//!   first piece and finds its fields on the last ([`Piece`]).
//! - [`merge`] holds the messages a container runtime split into lines while they are merged
//!   back, per input and stream.
//! - [`export_plugin!`] exports the plugin from the wasm module.
//! - [`testing`] runs a plugin natively, so its logic is unit-tested with plain `cargo test`.
//!
//! # What the SDK guarantees
//!
//! Whatever a plugin does through this API, the output it sends back satisfies the contract:
//! `source` is non-decreasing (asking for an earlier line's [`Output`] after a later one panics
//! with a clear message instead of producing a malformed batch), `rewritten` is ascending, the
//! field table is well formed with interned names and one value per key and line (the later
//! [`Output::set_field`] wins), and a boundary-safe plugin returns exactly one line for each
//! partial piece (else [`Plugin::process_batch`]'s result becomes an error naming the line).
//!
//! # Cost
//!
//! Passing a line through costs one `u32` pushed onto a vector; the SDK allocates per batch,
//! never per line, and walks the fields table with a cursor. Batches from the host are
//! validated once (a malformed batch is an error, not a trap).

mod batch;
pub mod clock;
mod config;
mod held_fields;
pub mod json;
mod kind;
mod long_line;
pub mod matching;
pub mod merge;
mod output;
mod period;
pub mod quantity;
mod sink;
mod stage;
pub mod tally;
mod terminator;
pub mod testing;

pub use batch::{Batch, Field, Fields, Line, Lines};
pub use config::{Config, ConfigError, did_you_mean, parse_duration, parse_size};
pub use held_fields::HeldFields;
pub use kind::Kind;
pub use long_line::{LongLine, Piece};
pub use output::{BatchOutput, LineBuf, Output, Trailing};
pub use period::Period;
pub use sink::Sink;
pub use terminator::{Reach, State, Terminator};

/// The bindings `wit-bindgen` generates for `wit/plugin.wit`.
///
/// Plugins do not need them: [`Plugin`] and [`export_plugin!`] cover the whole contract. They
/// are public so that [`export_plugin!`] can reach them from the plugin's crate, and for the
/// rare plugin that must bypass the SDK.
#[doc(hidden)]
#[allow(missing_docs, clippy::all)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../../../wit",
        world: "plugin",
        pub_export_macro: true,
        default_bindings_module: "sluice_plugin_sdk::bindings",
        export_macro_name: "export",
    });
}

/// The glue between [`Plugin`] and the generated bindings, used by [`export_plugin!`].
#[doc(hidden)]
pub mod __export {
    pub use crate::stage::{Adapter, StageResource};
}

/// Compiles the Rust examples of `plugins/README.md` as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;

/// One configuration key a plugin understands, for `describe` (`sluice inspect`,
/// `--list-plugins`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConfigKey {
    /// The key.
    pub name: &'static str,
    /// Its JSON type in a few words: `string`, `bool`, `integer`, `number`, `duration`,
    /// `list of strings`, `object`.
    pub kind: &'static str,
    /// Its default as JSON (`"\"replace\""`, `"100"`), or `None` when it is required or has
    /// no default.
    pub default: Option<&'static str>,
    /// One or two sentences on what it does.
    pub doc: &'static str,
}

impl ConfigKey {
    /// A key without a default.
    pub const fn new(name: &'static str, kind: &'static str, doc: &'static str) -> ConfigKey {
        ConfigKey {
            name,
            kind,
            default: None,
            doc,
        }
    }

    /// The same key with a default, as JSON.
    pub const fn default(self, json: &'static str) -> ConfigKey {
        ConfigKey {
            default: Some(json),
            ..self
        }
    }
}

/// When a stage wants [`Plugin::tick`] called (see [`Plugin::wake`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wake {
    /// Call `tick` this many milliseconds after this answer (unless a later answer replaces it).
    pub after_ms: u32,
    /// The stage holds lines back: read no more input until a `tick` returns without `hold`.
    pub hold: bool,
}

impl Wake {
    /// Tick `duration` after this answer (rounded up to a millisecond).
    pub fn after(duration: std::time::Duration) -> Wake {
        let ms = duration.as_nanos().div_ceil(1_000_000);
        Wake {
            after_ms: ms.min(u32::MAX as u128) as u32,
            hold: false,
        }
    }

    /// The same wake, holding input back until then.
    pub fn holding(self) -> Wake {
        Wake { hold: true, ..self }
    }
}

/// A sluice plugin: a configured stage that turns input lines into output lines.
///
/// One value of the implementing type is built per stage of a chain (per `-p`), by
/// [`Plugin::new`] from the stage's configuration. The host then calls
/// [`Plugin::process_batch`] for each batch in stream order, from a single thread, and
/// [`Plugin::finish`] once at end of stream.
pub trait Plugin: Sized + 'static {
    /// A short lowercase name, such as `sanitize`; shown in messages and `--list-plugins`.
    const NAME: &'static str;

    /// The plugin's version; write `env!("CARGO_PKG_VERSION")`.
    const VERSION: &'static str;

    /// One line saying what the plugin does.
    const SUMMARY: &'static str;

    /// The configuration keys the plugin understands.
    ///
    /// The SDK rejects any other key before [`Plugin::new`] runs, naming the unknown key and
    /// listing these. By default, the plugin takes no configuration.
    const CONFIG_KEYS: &'static [ConfigKey] = &[];

    /// Whether the plugin must see the whole window of an over-long line before the host cuts
    /// it, as a secret redactor must.
    ///
    /// A boundary-safe plugin sees the last `overlap` bytes of each window twice: once at the
    /// end of a window (as part of a line marked partial) and again, as it left them, at the
    /// start of the next. So it must be idempotent (running on its own output changes nothing)
    /// and must return exactly one line for each partial line (the SDK checks this). See the
    /// plugins README for the rules. By default, a plugin is not boundary-safe: it sees each
    /// byte of an over-long line once, in pieces.
    const BOUNDARY_SAFE: bool = false;

    /// How far what the stage keeps between lines reaches.
    ///
    /// [`State::PerSource`] (the default) makes the host create one stage per source, each
    /// fed the lines of one input file (or standard input) in order and finished when that
    /// source ends: right for any stage that relates a line to the lines around it, and
    /// harmless for one that does not. Declare [`State::None`] when each line is handled on
    /// its own (the host may then share or parallelise instances freely), and
    /// [`State::WholeStream`] when one stage must see every file's lines (a total count, a
    /// rate limit). `sluice test --conformance` checks that a `None` stage's output for a
    /// batch does not depend on the batches before it.
    const STATE: State = State::PerSource;

    /// Validates the configuration and builds a stage.
    ///
    /// Do all expensive set-up (compiling regexes) here. Return a [`ConfigError`] naming the
    /// key at fault; the [`Config`] getters produce such errors for wrong types.
    fn new(config: Config) -> Result<Self, ConfigError>;

    /// Processes one line: call [`Output::keep`] to pass it through, [`Output::emit`] to
    /// replace it (once per output line), nothing to drop it.
    ///
    /// By default, passes the line through: a plugin that overrides
    /// [`Plugin::process_batch`] need not implement it.
    fn process(&mut self, line: &Line<'_>, out: &mut Output<'_>) {
        let _ = line;
        out.keep();
    }

    /// Processes a batch. By default, calls [`Plugin::process`] for each line in order.
    ///
    /// Override it to look at the whole batch at once, for example to scan the batch's bytes
    /// for trigger words and only run expensive matching on the lines that contain one. Lines
    /// must be given to `out` in order (a line may be skipped, which drops it). An error stops
    /// the run; the host reports it with the plugin's name and the batch's position.
    fn process_batch(&mut self, batch: &Batch<'_>, out: &mut BatchOutput) -> Result<(), String> {
        for line in batch.lines() {
            self.process(&line, &mut out.line(&line));
        }
        Ok(())
    }

    /// When the stage wants [`Plugin::tick`] called, asked after every call into the stage.
    ///
    /// Return `Some` while the stage holds something that must go out even if no more input
    /// comes (an open multiline block: `Wake::after(max_wait)`, re-armed by every batch, so
    /// the tick comes once the input has been quiet that long), or to run periodically (return
    /// the time left until the next period, so that busy input does not postpone it). The
    /// deadline counts from this answer; each answer replaces the previous one, `None` cancels
    /// it. By default, never.
    fn wake(&self) -> Option<Wake> {
        None
    }

    /// Called when the deadline of the latest [`Plugin::wake`] passed; may emit lines and a
    /// report. By default, does nothing.
    fn tick(&mut self, out: &mut Trailing) -> Result<(), String> {
        let _ = out;
        Ok(())
    }

    /// Called once at end of stream, after the last batch; may emit trailing lines (a block
    /// still open, a summary) and a report. By default, emits nothing.
    fn finish(&mut self, out: &mut Trailing) -> Result<(), String> {
        let _ = out;
        Ok(())
    }

    /// How far this configured stage's state reaches, and what it can hand to another
    /// instance ([`Reach`]); asked once, right after [`Plugin::new`]. By default,
    /// [`Plugin::STATE`] and nothing handed over.
    ///
    /// Narrow the state when the configuration makes the stage keep less (`grep` without
    /// context lines keeps nothing), and say [`Reach::tallies`] or [`Reach::carries`] when the
    /// stage implements [`Plugin::tally`] and [`Plugin::absorb`], or [`Plugin::carry`] and
    /// [`Plugin::resume`]: the host can then run it on several threads.
    fn reach(&self) -> Reach {
        Reach::of(Self::STATE)
    }

    /// What this instance counted for its end-of-run report, in the plugin's own encoding;
    /// the instance then forgets it, so that its own report no longer counts it. Asked at the
    /// end of the stream, before [`Plugin::finish`], when [`Plugin::reach`] says it tallies.
    /// By default, nothing.
    fn tally(&mut self) -> Vec<u8> {
        Vec::new()
    }

    /// Adds what another instance of the same configuration gave in [`Plugin::tally`], so
    /// that this instance's report covers it too. By default, ignores it.
    fn absorb(&mut self, tally: &[u8]) -> Result<(), String> {
        let _ = tally;
        Ok(())
    }

    /// What this instance keeps between lines after its latest batch, in the plugin's own
    /// encoding: empty when it keeps nothing, as at the start of a source. Asked after a batch
    /// when [`Plugin::reach`] says it carries; never in the middle of an over-long line. By
    /// default, nothing.
    fn carry(&self) -> Vec<u8> {
        Vec::new()
    }

    /// Starts the next batch from `carried`, what [`Plugin::carry`] gave on an instance of
    /// the same configuration (empty: the start of a source), in place of what this instance
    /// kept. By default, ignores it.
    fn resume(&mut self, carried: &[u8]) -> Result<(), String> {
        let _ = carried;
        Ok(())
    }
}

/// Exports a [`Plugin`] as the component's implementation of `sluice:plugin/transform`.
///
/// Use it once per plugin crate, at the top level: `export_plugin!(MyPlugin);`. The crate must
/// be a `cdylib` (`crate-type = ["cdylib", "rlib"]` keeps native unit tests working). On
/// targets other than `wasm32` it expands to nothing, so native builds and tests do not carry
/// the wasm exports.
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ty) => {
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            type __SluiceExportedPlugin = $crate::__export::Adapter<$plugin>;
    $crate::bindings::export!(__SluiceExportedPlugin with_types_in $crate::bindings);
        };
    };
}
