//! `tail`: see docs/stages/tail.md.
