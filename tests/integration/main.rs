//! sluice's integration and snapshot tests: one binary (see STYLE.md), run against the real
//! `sluice` executable and the committed built-in plugins.

mod author_tests;
mod boundary;
mod chain;
mod cli;
mod conformance;
mod containment;
mod decompress;
mod matching;
mod new_project;
mod on_error;
mod otlp;
mod otlp_delivery;
mod pack;
mod passthrough;
mod plugin_crates;
mod positions;
mod positions_kill;
mod promtail;
mod read_ahead;
mod regex;
mod sanitize;
mod signals;
mod sources;
mod stages;
mod stats;
mod stream;
mod threads;
mod typed;
mod util;
mod wasi;
