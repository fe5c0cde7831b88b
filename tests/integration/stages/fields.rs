//! `fields`: see docs/stages/fields.md.
