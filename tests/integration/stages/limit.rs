//! `limit`: see docs/stages/limit.md.
