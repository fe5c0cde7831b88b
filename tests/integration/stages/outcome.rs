//! `outcome`: see docs/stages/outcome.md.
