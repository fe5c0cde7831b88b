//! `metrics`: see docs/stages/metrics.md.
