//! `prefix`: see docs/stages/prefix.md.
