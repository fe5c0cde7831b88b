//! `fields`: sets, renames, copies, keeps and drops fields: Promtail's `static_labels`,
//! `labeldrop` and `labelallow`, plus renames, in one stage.
//!
//! ```text
//! GET /health 200   (fields: status=200, pod=web-1, hash=79f5)
//! {"set": {"env": "prod"}, "rename": {"pod": "host"}, "drop": ["hash"]}
//! GET /health 200   (fields: status=200, host=web-1, env=prod)
//! ```
//!
//! The operations apply in a fixed order, each to the result of the one before:
//!
//! 1. `set` (key → static string value) adds or replaces fields;
//! 2. `rename` (old → new) moves a field; a missing old key does nothing, an existing new key
//!    is replaced. All renames happen at once, so `{"a": "b", "b": "a"}` swaps two fields;
//! 3. `copy` (from → to) duplicates a field, also all at once;
//! 4. `keep` (list) removes every field not listed;
//! 5. `drop` (list) removes the fields listed.
//!
//! # How
//!
//! No per-line model of the fields is built: [`Ops::value_after`] answers "what does key `k`
//! hold after step N" by walking the steps backwards down to the input line, borrowing every
//! value. The stage then visits each key that may have changed (the line's own fields and the
//! keys the configuration writes) and sets or removes it where the answer differs from the
//! input. Lines pass through with `keep()`; only their fields change.
//!
//! # Over-long lines
//!
//! A line's fields belong to its last piece, so only complete lines and last pieces are
//! changed; the pieces before pass unchanged.

mod ops;

use ops::Ops;
use sluice_plugin_sdk::{Config, ConfigError, ConfigKey, Line, Output, Plugin, export_plugin};

/// A fields stage.
pub struct FieldsStage {
    ops: Ops,
}

impl Plugin for FieldsStage {
    const STATE: sluice_plugin_sdk::State = sluice_plugin_sdk::State::None;
    const NAME: &'static str = "fields";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const SUMMARY: &'static str = "Set, rename, copy, keep and drop fields";
    const CONFIG_KEYS: &'static [ConfigKey] = &[
        ConfigKey::new(
            "set",
            "object",
            "Fields to add or replace, key → value; values are strings (write \"200\", not \
             200). Applied first.",
        ),
        ConfigKey::new(
            "rename",
            "object",
            "Fields to rename, old → new; a missing old key does nothing, an existing new key \
             is replaced. Applied after `set`.",
        ),
        ConfigKey::new(
            "copy",
            "object",
            "Fields to copy, from → to; an existing `to` is replaced. Applied after `rename`.",
        ),
        ConfigKey::new(
            "keep",
            "list of strings",
            "Remove every field not listed. Applied after `copy`.",
        ),
        ConfigKey::new(
            "drop",
            "list of strings",
            "Remove the fields listed. Applied last.",
        ),
    ];

    fn new(config: Config) -> Result<Self, ConfigError> {
        Ok(FieldsStage {
            ops: Ops::from_config(&config)?,
        })
    }

    #[inline]
    fn process(&mut self, line: &Line<'_>, out: &mut Output<'_>) {
        out.keep();
        if !line.is_partial() {
            self.ops.apply(line, out);
        }
    }
}

export_plugin!(FieldsStage);

#[cfg(test)]
mod tests;
