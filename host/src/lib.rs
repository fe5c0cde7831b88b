//! The sluice line path: bytes in, lines through a chain of WebAssembly plugins, lines out.
//!
//! A tour, in the order bytes travel:
//!
//! - [`input`]: what the user named (a file or standard input), its reader, and the state of
//!   one input being read; [`decompress`] reads gzip, zstd, bzip2 and xz input, recognised by
//!   its first bytes.
//!   [`read_ahead`] opens the next files while one is read and has the kernel read them ahead.
//! - [`line_buffer`]: one fixed buffer per input that bytes are read into, once per read call.
//! - [`framing`]: the splitter's rules. Finds line ends with `memchr`, keeps each line's
//!   terminator (`\n`, `\r\n` or none), decides when complete lines form a batch and when a
//!   line too long to hold must be cut into a *window*.
//! - [`pipeline`]: the read/frame loop that ties them together, flushing the output before
//!   every read that may block; [`follow`] runs the same loop over files that grow, like
//!   `tail -F`. A [`stop`] request (the CLI's signals) ends either loop as at the end of the
//!   input. With `--positions`, [`positions`] records how far each file was written and
//!   flushed, so that a run started again resumes there.
//! - [`emit`]: runs what the loop hands on (batches, windows, ticks, the end) through the
//!   chain and hands the result to the [`Sink`]; with `-j`, [`parallel`] runs the stages that
//!   declare no state on worker threads and puts their output back in input order.
//! - [`lines`]: [`Lines`], a batch as it travels the chain: flat bytes plus
//!   offsets, terminators, partial-piece marks and [`fields`], and with `--positions` each
//!   line's [`origin`] in its file.
//! - [`chain`]: the stages in order; batches, windows of over-long lines (boundary-safe
//!   stages first, then the cut), timed wake-ups and the end-of-stream `finish`. A `match`
//!   node runs nested stages on the lines a [`selector`] picks.
//! - [`runtime`]: wasmtime's component model. Compiles (and caches) plugins, creates one
//!   sandboxed instance per stage, calls it under a memory cap and a deadline.
//! - [`output`]: what a stage returns and how it becomes the next batch, by the contract's
//!   rules (the `sluice-contract` crate, shared with the guest SDK).
//! - [`error`]: what a failed call into a plugin is, typed: deadline, memory cap, trap, the
//!   plugin's own error, a rejected config, a malformed answer; [`plugin_text`] makes a
//!   plugin's words safe to print (escaped, on one line, cut at a documented length).
//! - [`sink`]: where lines go: the [`Sink`] trait and [`WriteSink`], which writes them raw,
//!   as JSON or as logfmt ([`format`](mod@format)); [`otlp`] ships them as OpenTelemetry logs
//!   over OTLP/HTTP; [`report`] writes what stages report.
//! - [`say`]: how the host speaks on stderr (warnings, failures a run survives, a plugin's
//!   own text under its label), in colour where the process's colour choice says.
//! - [`stats`]: what the run and each stage did, counted as it goes (`--stats`), readable
//!   from another thread while the run goes on.
//! - [`conformance`]: the checks every plugin must pass, with structured results.
//! - [`builtin`]: the built-in plugins, embedded in the binary.
//!
//! Nothing on this path decodes text: lines are bytes, and bytes the chain does not change are
//! written exactly as they were read.
//!
//! # Embedding
//!
//! The public surface is what the CLI, the benchmark and tests need: build a [`Runtime`],
//! load [`Plugin`]s, create [`Stage`]s from [`Settings`], put them in a [`Chain`] (with
//! [`Match`] nodes), and run a [`Pipeline`] over [`Input`]s into a [`Sink`], which a
//! [`StopRequest`] may end early and [`Positions`] may resume where an earlier run stopped.
//! Everything else is internal and keeps its invariants to itself.

// The tour above names the private modules: read it in the source or with
// `cargo doc --document-private-items`.
#![allow(rustdoc::private_intra_doc_links)]

mod builtin;
mod chain;
pub mod conformance;
mod decompress;
mod emit;
mod error;
mod fields;
mod follow;
mod format;
mod framing;
mod input;
mod line_buffer;
mod lines;
mod on_error;
mod origin;
mod otlp;
mod output;
mod parallel;
mod pipeline;
mod plugin_text;
mod positions;
mod read_ahead;
mod report;
mod runtime;
pub mod say;
mod selector;
mod settings;
mod sink;
pub mod stats;
mod stop;

pub use builtin::{BUILTINS, Builtin, find as find_builtin};
pub use chain::{Chain, Match, Node};
pub use error::{Call, Failure, Malformed, StageError, Violation};
pub use fields::FieldTable;
pub use format::OutputFormat;
pub use framing::Terminator;
pub use input::Input;
pub use lines::Lines;
pub use on_error::{Failures, OnError};
pub use otlp::{DEFAULT_DRAIN_MAX, OtlpCounter, OtlpCounts, OtlpSettings, OtlpSink};
pub use pipeline::{Pipeline, RunError};
pub use plugin_text::MAX_PLUGIN_TEXT_BYTES;
pub use positions::{DEFAULT_POSITIONS_INTERVAL, Positions, PositionsError};
pub use runtime::{
    CONTRACT_VERSION, Clock, ConfigKeyInfo, Grew, Plugin, PluginInfo, Reach, Runtime,
    RuntimeOptions, Stage, StageGrants, StateScope, TABLE_ELEMENT_BYTES,
};
pub use selector::Selector;
pub use settings::{DEFAULT_MAX_HOLD, MAX_LINE_BYTES, Settings, SettingsError};
pub use sink::{Sink, Tee, WriteSink};
pub use stop::StopRequest;

#[doc(hidden)]
pub mod bench_support;
