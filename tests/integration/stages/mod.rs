//! Snapshot tests of the stage library, one module per built-in stage, run through the real
//! binary: each stage's documented behaviour on realistic input, and the edge cases every
//! stage must handle (bytes that are not UTF-8, empty lines, CRLF, pieces of over-long lines).
//! `sanitize`, `regex` and `pack` have their own modules one level up.

mod luhn;
mod replace;
mod json;
mod logfmt;
mod pattern;
mod cri;
mod docker;
mod timestamp;
mod fields;
mod template;
mod output;
mod prefix;
mod decolorize;
mod truncate;
mod drop;
mod sampling;
mod limit;
mod multiline;
mod grep;
mod tail;
mod outcome;
mod aggregate;
mod metrics;
