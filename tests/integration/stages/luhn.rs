//! `luhn`: see docs/stages/luhn.md.
