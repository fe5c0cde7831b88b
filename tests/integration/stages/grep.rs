//! `grep`: see docs/stages/grep.md.
