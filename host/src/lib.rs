//! The sluice line path: bytes in, lines through a chain of WebAssembly plugins, bytes out.
//!
//! A tour, in the order bytes travel:
//!
//! - [`line_buffer`]: one fixed buffer per run that inputs are read into, once per read call.
//! - [`framing`]: the splitter's rules. Finds line ends with `memchr`, keeps each line's
//!   terminator (`\n`, `\r\n` or none), decides when complete lines form a batch and when a
//!   line too long to hold must be cut into a *window*.
//! - [`lines`]: [`Lines`](lines::Lines), a batch as it travels the chain: flat bytes plus
//!   offsets, terminators, partial-piece marks and [`fields`].
//! - [`chain`]: the stages in order; batches, windows of over-long lines (boundary-safe
//!   stages first, then the cut), timed wake-ups and the end-of-stream `finish`. A `match`
//!   node runs nested stages on the lines a [`selector`] picks.
//! - [`runtime`]: wasmtime's component model. Compiles (and caches) plugins, creates one
//!   sandboxed instance per stage, calls it under a memory cap and a deadline.
//! - [`output`]: what a stage returns and how it becomes the next batch, checked index by index.
//! - [`pipeline`]: the loop that ties them together and writes the output in order, flushing
//!   before every read that may block; [`follow`] watches files like `tail -F`; [`format`]
//!   writes lines raw, as JSON or as logfmt; [`report`] writes what stages report.
//! - [`builtin`]: the built-in plugins, embedded in the binary.
//!
//! Nothing on this path decodes text: lines are bytes, and bytes the chain does not change are
//! written exactly as they were read.

pub mod builtin;
pub mod chain;
pub mod fields;
pub mod follow;
pub mod format;
pub mod framing;
pub mod line_buffer;
pub mod lines;
pub mod output;
pub mod pipeline;
pub mod report;
pub mod runtime;
pub mod selector;
