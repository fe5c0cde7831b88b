//! The captured variables, in first-seen order, within a byte budget, and their JSON form.

use sluice_plugin_sdk::json::write_string;
use std::collections::BTreeMap;

/// How many names of variables dropped for lack of room are remembered for the warning.
const DROPPED_NAMES: usize = 8;

/// One captured variable.
#[derive(Debug)]
pub(crate) struct Var {
    pub(crate) key: String,
    pub(crate) value: Vec<u8>,
    /// Whether bytes of the value were left out because the budget ran out.
    pub(crate) truncated: bool,
}

/// The captured variables.
///
/// Invariant: `used` is the sum of the lengths of every entry's key and value, and never
/// exceeds `max`; `index` maps each entry's key to its position in `entries`.
#[derive(Debug)]
pub(crate) struct Vars {
    /// The variables in the order their keys were first seen.
    entries: Vec<Var>,
    index: BTreeMap<String, usize>,
    used: usize,
    max: usize,
    /// How many times a new key found no room, and the first few such keys.
    dropped: usize,
    dropped_names: Vec<String>,
}

impl Vars {
    /// No variables, with a budget of `max` bytes of keys and values.
    pub(crate) fn new(max: usize) -> Vars {
        Vars {
            entries: Vec::new(),
            index: BTreeMap::new(),
            used: 0,
            max,
            dropped: 0,
            dropped_names: Vec::new(),
        }
    }

    /// Starts a new value for `key` (a later value replaces an earlier one, which keeps its
    /// place) and returns the variable, or `None` when a new key does not fit the budget.
    pub(crate) fn reset(&mut self, key: &str) -> Option<usize> {
        if let Some(&i) = self.index.get(key) {
            let var = &mut self.entries[i];
            self.used -= var.value.len();
            var.value.clear();
            var.truncated = false;
            return Some(i);
        }
        if self.max - self.used < key.len() {
            self.dropped += 1;
            if self.dropped_names.len() < DROPPED_NAMES
                && !self.dropped_names.iter().any(|n| n == key)
            {
                self.dropped_names.push(key.to_owned());
            }
            return None;
        }
        self.used += key.len();
        self.index.insert(key.to_owned(), self.entries.len());
        self.entries.push(Var {
            key: key.to_owned(),
            value: Vec::new(),
            truncated: false,
        });
        Some(self.entries.len() - 1)
    }

    /// Appends `bytes` to variable `var`'s value, as far as the budget allows.
    pub(crate) fn append(&mut self, var: usize, bytes: &[u8]) {
        let room = self.max - self.used;
        let take = bytes.len().min(room);
        let entry = &mut self.entries[var];
        entry.value.extend_from_slice(&bytes[..take]);
        entry.truncated |= take < bytes.len();
        self.used += take;
    }

    /// The variables, in first-seen order.
    pub(crate) fn entries(&self) -> &[Var] {
        &self.entries
    }

    /// How many new keys found no room, and the first few of them.
    pub(crate) fn dropped(&self) -> (usize, &[String]) {
        (self.dropped, &self.dropped_names)
    }

    /// The budget, in bytes.
    pub(crate) fn max(&self) -> usize {
        self.max
    }

    /// The variables as one JSON object on one line, ending in `\n`.
    pub(crate) fn to_json(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.used + 8 * self.entries.len() + 3);
        out.push(b'{');
        for (i, var) in self.entries.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_string(var.key.as_bytes(), &mut out);
            out.push(b':');
            write_string(&var.value, &mut out);
        }
        out.extend_from_slice(b"}\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_truncates_values_and_drops_keys() {
        let mut vars = Vars::new(10);
        let a = vars.reset("ab").unwrap();
        vars.append(a, b"12345");
        assert_eq!(vars.entries()[a].value, b"12345");
        let c = vars.reset("c").unwrap();
        vars.append(c, b"xyz");
        assert!(vars.entries()[c].truncated);
        assert_eq!(vars.entries()[c].value, b"xy");
        assert_eq!(vars.reset("dd"), None);
        assert_eq!(vars.dropped(), (1, &["dd".to_string()][..]));
        // A later value frees the earlier one's bytes.
        assert_eq!(vars.reset("ab"), Some(a));
        vars.append(a, b"1");
        let d = vars.reset("dd").unwrap();
        vars.append(d, b"!");
        assert_eq!(
            String::from_utf8(vars.to_json()).unwrap(),
            "{\"ab\":\"1\",\"c\":\"xy\",\"dd\":\"!\"}\n"
        );
    }
}
