//! `output`: see docs/stages/output.md.
