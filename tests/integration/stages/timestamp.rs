//! `timestamp`: see docs/stages/timestamp.md.
