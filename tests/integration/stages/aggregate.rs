//! `aggregate`: see docs/stages/aggregate.md.
