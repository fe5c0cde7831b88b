//! `pattern`: see docs/stages/pattern.md.
