//! `truncate`: see docs/stages/truncate.md.
