//! `logfmt`: see docs/stages/logfmt.md.
