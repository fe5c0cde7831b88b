//! `sampling`: see docs/stages/sampling.md.
