//! Write sluice plugins in Rust.
//!
//! A sluice plugin is a WebAssembly component that implements the contract in `wit/plugin.wit`
//! (package `sluice:plugin@0.1.0`). That contract is built for speed: a batch of about a
//! thousand lines crosses the boundary as one flat byte buffer plus offsets, and the plugin
//! answers with *where each output line comes from* rather than with copies of the lines. This
//! crate hides all of that behind a trait, so that a plugin is a struct and a few methods:
//!
//! ```
//! use sluice_plugin_sdk::{export_plugin, Config, ConfigError, Line, Output, Plugin};
//!
//! /// Drops lines that contain a configured word.
//! pub struct Grep {
//!     word: Vec<u8>,
//! }
//!
//! impl Plugin for Grep {
//!     const NAME: &'static str = "grep-out";
//!     const SUMMARY: &'static str = "Drop the lines that contain a word";
//!     const CONFIG_KEYS: &'static [(&'static str, &'static str)] =
//!         &[("word", "the word whose lines are dropped (required)")];
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
//!   batch at once (to prefilter it, say); [`Plugin::finish`] may emit trailing lines at end of
//!   stream.
//! - [`Line`] is a read-only view of one input line: its bytes (without terminator), whether
//!   it is a *partial piece* of an over-long line, and the fields earlier stages attached. A
//!   [`Batch`] is the view of a whole batch.
//! - [`Output`] is where a line's results go, owned by the caller as in Vector's function
//!   transforms: [`Output::keep`] passes the line through (no copy), [`Output::emit`] writes a
//!   new line made from it (call it several times to turn one line into several),
//!   [`Output::set_field`] attaches a field, and calling nothing drops the line.
//!   [`BatchOutput`] is the same for a whole batch.
//! - [`Config`] wraps the stage's JSON configuration with typed getters whose errors name the
//!   key and say what was expected; keys not listed in [`Plugin::CONFIG_KEYS`] are rejected
//!   before [`Plugin::new`] runs.
//! - [`Trailing`] collects the lines [`Plugin::finish`] emits.
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
mod config;
mod output;
mod stage;
pub mod testing;

pub use batch::{Batch, Field, Fields, Line, Lines};
pub use config::{Config, ConfigError};
pub use output::{BatchOutput, LineBuf, Output, Trailing};

/// The bindings `wit-bindgen` generates for `wit/plugin.wit`.
///
/// Plugins do not need them: [`Plugin`] and [`export_plugin!`] cover the whole contract. They
/// are public so that [`export_plugin!`] can reach them from the plugin's crate, and for the
/// rare plugin that must bypass the SDK.
#[doc(hidden)]
#[allow(missing_docs, clippy::all)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
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
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

/// A sluice plugin: a configured stage that turns input lines into output lines.
///
/// One value of the implementing type is built per stage of a chain (per `-p`), by
/// [`Plugin::new`] from the stage's configuration. The host then calls
/// [`Plugin::process_batch`] for each batch in stream order, from a single thread, and
/// [`Plugin::finish`] once at end of stream.
pub trait Plugin: Sized + 'static {
    /// A short lowercase name, such as `sanitize`; shown in messages and `--list-plugins`.
    const NAME: &'static str;

    /// One line saying what the plugin does.
    const SUMMARY: &'static str;

    /// The configuration keys the plugin understands, each with a one-line description.
    ///
    /// The SDK rejects any other key before [`Plugin::new`] runs, naming the unknown key and
    /// listing these. By default, the plugin takes no configuration.
    const CONFIG_KEYS: &'static [(&'static str, &'static str)] = &[];

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

    /// Validates the configuration and builds a stage.
    ///
    /// Do all expensive set-up (compiling regexes) here. Return a [`ConfigError`] naming the
    /// key at fault; the [`Config`] getters produce such errors for wrong types.
    fn new(config: Config) -> Result<Self, ConfigError>;

    /// Processes one line: call [`Output::keep`] to pass it through, [`Output::emit`] to
    /// replace it (once per output line), nothing to drop it.
    fn process(&mut self, line: &Line<'_>, out: &mut Output<'_>);

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

    /// Called once at end of stream, after the last batch; may emit trailing lines (a block
    /// still open, a summary). By default, emits nothing.
    fn finish(&mut self, out: &mut Trailing) -> Result<(), String> {
        let _ = out;
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
