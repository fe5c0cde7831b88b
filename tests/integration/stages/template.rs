//! `template`: see docs/stages/template.md.
