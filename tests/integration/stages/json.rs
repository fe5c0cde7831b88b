//! `json`: see docs/stages/json.md.
