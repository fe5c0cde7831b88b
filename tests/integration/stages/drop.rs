//! `drop`: see docs/stages/drop.md.
