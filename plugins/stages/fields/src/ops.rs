//! The configured operations and what a key holds after them.
//!
//! Each step is a function of the step before: [`Ops::value_after`] composes them backwards
//! for one key, so that any key's final value is found without materialising the line's
//! fields. Renames and copies are simultaneous (each reads the state before its step), which
//! makes their order in the configuration irrelevant; two that write the same key are a config
//! error.

use sluice_plugin_sdk::{Config, ConfigError, Kind, Line, Output};

/// The operations of one stage, in the order they apply.
#[derive(Debug, Default)]
pub struct Ops {
    /// (key, value) set first.
    set: Vec<(String, Vec<u8>)>,
    /// (old, new); no two share a `new`.
    rename: Vec<(String, String)>,
    /// (from, to); no two share a `to`.
    copy: Vec<(String, String)>,
    /// The only keys left after the copy step, when given.
    keep: Option<Vec<String>>,
    /// Keys removed last.
    drop: Vec<String>,
    /// The keys the steps may create on a line that lacks them (set keys, rename and copy
    /// targets), each once.
    written: Vec<String>,
}

impl Ops {
    /// Reads `set`, `rename`, `copy`, `keep` and `drop`; at least one is required.
    pub fn from_config(config: &Config) -> Result<Ops, ConfigError> {
        let mut ops = Ops::default();
        if let Some(set) = config.string_map("set")? {
            for (key, value) in set {
                non_empty("set", key)?;
                ops.set.push((key.to_owned(), value.as_bytes().to_vec()));
            }
        }
        ops.rename = pairs(config, "rename", "renamed")?;
        ops.copy = pairs(config, "copy", "copied")?;
        ops.keep = config
            .strings("keep")?
            .map(|keys| keys.into_iter().map(str::to_owned).collect());
        ops.drop = config
            .strings("drop")?
            .unwrap_or_default()
            .into_iter()
            .map(str::to_owned)
            .collect();
        if ops.set.is_empty()
            && ops.rename.is_empty()
            && ops.copy.is_empty()
            && ops.keep.is_none()
            && ops.drop.is_empty()
        {
            return Err(ConfigError::general(
                "nothing to do: give at least one of set, rename, copy, keep, drop \
                 (such as {\"drop\": [\"pod_template_hash\"]})",
            ));
        }
        let targets = ops.set.iter().map(|(k, _)| k);
        let targets = targets.chain(ops.rename.iter().map(|(_, new)| new));
        for key in targets.chain(ops.copy.iter().map(|(_, to)| to)) {
            if !ops.written.contains(key) {
                ops.written.push(key.clone());
            }
        }
        Ok(ops)
    }

    /// Sets and removes the fields of `out` (the output of `line`) so that they are what the
    /// steps make of `line`'s.
    pub fn apply(&self, line: &Line<'_>, out: &mut Output<'_>) {
        for field in line.fields() {
            match self.value_after(line, field.key) {
                Some((value, kind)) if value == field.value && kind == field.kind => {}
                Some((value, kind)) => out.set_field_as(field.key, value, kind),
                None => out.remove_field(field.key),
            }
        }
        for key in &self.written {
            if line.field(key).is_none()
                && let Some((value, kind)) = self.value_after(line, key)
            {
                out.set_field_as(key, value, kind);
            }
        }
    }

    /// What `key` holds after every step, and its kind (a value moved keeps its kind; a value
    /// `set` is text).
    pub fn value_after<'a>(&'a self, line: &Line<'a>, key: &str) -> Option<(&'a [u8], Kind)> {
        if self.drop.iter().any(|k| k == key) {
            return None;
        }
        if let Some(keep) = &self.keep
            && !keep.iter().any(|k| k == key)
        {
            return None;
        }
        self.after_copy(line, key)
    }

    fn after_copy<'a>(&'a self, line: &Line<'a>, key: &str) -> Option<(&'a [u8], Kind)> {
        if let Some((from, _)) = self.copy.iter().find(|(_, to)| to == key)
            && let Some(value) = self.after_rename(line, from)
        {
            return Some(value);
        }
        self.after_rename(line, key)
    }

    fn after_rename<'a>(&'a self, line: &Line<'a>, key: &str) -> Option<(&'a [u8], Kind)> {
        if let Some((old, _)) = self.rename.iter().find(|(_, new)| new == key)
            && let Some(value) = self.after_set(line, old)
        {
            return Some(value);
        }
        if self.rename.iter().any(|(old, _)| old == key) {
            return None;
        }
        self.after_set(line, key)
    }

    fn after_set<'a>(&'a self, line: &Line<'a>, key: &str) -> Option<(&'a [u8], Kind)> {
        match self.set.iter().find(|(k, _)| k == key) {
            Some((_, value)) => Some((value, Kind::Text)),
            None => line
                .fields()
                .find(key)
                .map(|field| (field.value, field.kind)),
        }
    }
}

/// Reads an object of key → key for `rename` or `copy`, rejecting two that write one key.
fn pairs(config: &Config, key: &str, verb: &str) -> Result<Vec<(String, String)>, ConfigError> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (from, to) in config.string_map(key)?.unwrap_or_default() {
        non_empty(key, from)?;
        non_empty(key, to)?;
        if let Some((other, _)) = pairs.iter().find(|(_, t)| t == to) {
            return Err(ConfigError::new(
                key,
                format!("{other:?} and {from:?} are both {verb} to {to:?}; keep one"),
            ));
        }
        pairs.push((from.to_owned(), to.to_owned()));
    }
    Ok(pairs)
}

fn non_empty(key: &str, name: &str) -> Result<(), ConfigError> {
    if name.is_empty() {
        return Err(ConfigError::new(key, "a field name cannot be empty"));
    }
    Ok(())
}
