//! `replace`: see docs/stages/replace.md.
