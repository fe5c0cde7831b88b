//! `decolorize`: see docs/stages/decolorize.md.
