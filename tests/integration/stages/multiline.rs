//! `multiline`: see docs/stages/multiline.md.
