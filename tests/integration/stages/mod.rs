//! Snapshot tests of the stage library, one module per built-in stage, run through the real
//! binary: each stage's documented behaviour on realistic input, and the edge cases every
//! stage must handle (bytes that are not UTF-8, empty lines, CRLF, pieces of over-long lines).
//! `sanitize`, `regex` and `pack` have their own modules one level up.

mod aggregate;
mod cri;
mod decolorize;
mod docker;
mod drop;
mod fields;
mod grep;
mod json;
mod limit;
mod logfmt;
mod luhn;
mod metrics;
mod multiline;
mod outcome;
mod output;
mod pattern;
mod prefix;
mod replace;
mod sampling;
mod tail;
mod template;
mod timestamp;
mod truncate;
