//! The fields (key → value) that stages extract and attach to lines.
//!
//! Stored exactly as the WIT `fields` record lays them out, flat, so a batch's table crosses the
//! plugin boundary by moving its vectors, without a copy or a per-line allocation. The rules of
//! such a table are the contract's ([`sluice_contract::check_fields`]); [`FieldTable::view`]
//! lends the table to them.

use sluice_contract::{FieldsView, Kind};

/// The fields of the lines of one batch.
///
/// Entry `i` gives line `line[i]` the field `names[name[i]]` with value
/// `values[value_ends[i - 1]..value_ends[i]]`.
///
/// Invariants (checked by [`sluice_contract::check_fields`] on anything a plugin returns): `line`, `name`
/// and `value_ends` have the same length; `line` is non-decreasing, so one line's entries are
/// contiguous; `value_ends` is non-decreasing and ends at `values.len()`; every `name[i]`
/// indexes `names`; `names` are distinct ([`FieldTable::intern`] keeps them so). A table the
/// host builds also has each key at most once per line; one a plugin returns may set a key
/// twice on a line, and the later value wins when it is resolved.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldTable {
    /// The distinct keys in this table.
    pub(crate) names: Vec<String>,
    /// The line of each entry.
    pub(crate) line: Vec<u32>,
    /// The key of each entry, as an index into `names`.
    pub(crate) name: Vec<u32>,
    /// The values back to back.
    pub(crate) values: Vec<u8>,
    /// The end offset in `values` of each entry's value.
    pub(crate) value_ends: Vec<u32>,
    /// The kind of each entry's value. Invariant: empty (every value is text) or one per
    /// entry, each value of its kind's form ([`sluice_contract::check_kinds`]).
    pub(crate) kinds: Vec<Kind>,
}

impl FieldTable {
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.line.len()
    }

    /// True when no line has a field.
    pub fn is_empty(&self) -> bool {
        self.line.is_empty()
    }

    /// Empties the table, keeping its allocations.
    pub(crate) fn clear(&mut self) {
        self.names.clear();
        self.line.clear();
        self.name.clear();
        self.values.clear();
        self.value_ends.clear();
        self.kinds.clear();
    }

    /// The line entry `i` belongs to (entries are in line order).
    pub fn line_of(&self, i: usize) -> usize {
        self.line[i] as usize
    }

    /// The key of entry `i`.
    pub fn key(&self, i: usize) -> &str {
        &self.names[self.name[i] as usize]
    }

    /// The value of entry `i`.
    pub fn value(&self, i: usize) -> &[u8] {
        let start = if i == 0 {
            0
        } else {
            self.value_ends[i - 1] as usize
        };
        &self.values[start..self.value_ends[i] as usize]
    }

    /// The index of `key` in `names`, adding it if it is new.
    pub(crate) fn intern(&mut self, key: &str) -> u32 {
        match self.names.iter().position(|n| n == key) {
            Some(i) => i as u32,
            None => {
                self.names.push(key.to_owned());
                (self.names.len() - 1) as u32
            }
        }
    }

    /// Appends a text entry. Entries must be pushed in line order.
    pub(crate) fn push(&mut self, line: u32, name: u32, value: &[u8]) {
        self.push_kind(line, name, value, Kind::Text);
    }

    /// Appends an entry of `kind`, whose form `value` must have. Entries must be pushed in
    /// line order.
    pub(crate) fn push_kind(&mut self, line: u32, name: u32, value: &[u8], kind: Kind) {
        debug_assert!(self.line.last().is_none_or(|&last| last <= line));
        debug_assert!(kind.admits(value));
        // Kinds are kept only once a value is not text: until then the list stays empty.
        if kind != Kind::Text || !self.kinds.is_empty() {
            self.kinds.resize(self.line.len(), Kind::Text);
            self.kinds.push(kind);
        }
        self.line.push(line);
        self.name.push(name);
        self.values.extend_from_slice(value);
        self.value_ends.push(self.values.len() as u32);
    }

    /// Makes this table a copy of `other`, keeping its allocations where they are large
    /// enough.
    pub(crate) fn copy_from(&mut self, other: &FieldTable) {
        self.names.clone_from(&other.names);
        self.line.clone_from(&other.line);
        self.name.clone_from(&other.name);
        self.values.clone_from(&other.values);
        self.value_ends.clone_from(&other.value_ends);
        self.kinds.clone_from(&other.kinds);
    }

    /// True when no line has the same key twice, as in every table the host builds (a
    /// plugin's may set a key twice on a line, see [`FieldTable`]).
    pub(crate) fn has_each_key_once_a_line(&self) -> bool {
        let mut line_start = 0;
        (0..self.len()).all(|i| {
            if self.line[i] != self.line[line_start] {
                line_start = i;
            }
            !self.name[line_start..i].contains(&self.name[i])
        })
    }

    /// The kind of entry `i`'s value.
    pub fn kind(&self, i: usize) -> Kind {
        self.kinds.get(i).copied().unwrap_or(Kind::Text)
    }

    /// The fields of `line` as (key, value) pairs. Linear in the table size; for tests and
    /// diagnostics, not the per-line path.
    pub fn of_line(&self, line: u32) -> impl Iterator<Item = (&str, &[u8])> {
        (0..self.len())
            .filter(move |&i| self.line[i] == line)
            .map(|i| (self.key(i), self.value(i)))
    }

    /// Checks the invariants for a batch of `lines` lines; the error says which one broke.
    #[cfg(test)]
    pub(crate) fn check(&self, lines: usize) -> Result<(), sluice_contract::Violation> {
        sluice_contract::check_fields(&self.view(), lines)
    }

    /// The table as the contract's view.
    pub(crate) fn view(&self) -> FieldsView<'_> {
        FieldsView {
            names: &self.names,
            line: &self.line,
            name: &self.name,
            values: &self.values,
            value_ends: &self.value_ends,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_contract::Violation;

    fn table() -> FieldTable {
        let mut t = FieldTable::default();
        let level = t.intern("level");
        let user = t.intern("user");
        t.push(0, level, b"INFO");
        t.push(2, level, b"WARN");
        t.push(2, user, b"bob");
        t
    }

    #[test]
    fn kinds_are_kept_from_the_first_value_that_is_not_text() {
        let mut t = FieldTable::default();
        let n = t.intern("n");
        t.push(0, n, b"text");
        assert!(t.kinds.is_empty());
        t.push_kind(0, n, b"1656", Kind::Integer);
        t.push(1, n, b"x");
        assert_eq!(t.kinds, [Kind::Text, Kind::Integer, Kind::Text]);
        let mut first = FieldTable::default();
        first.push_kind(0, n, b"", Kind::Null);
        assert_eq!(first.kinds, [Kind::Null]);
        assert_eq!(first.kind(0), Kind::Null);
    }

    #[test]
    fn intern_reuses_names() {
        let mut t = table();
        assert_eq!(t.intern("user"), 1);
        assert_eq!(t.intern("host"), 2);
    }

    #[test]
    fn of_line() {
        let t = table();
        assert_eq!(t.of_line(0).collect::<Vec<_>>(), [("level", &b"INFO"[..])]);
        assert_eq!(t.of_line(1).count(), 0);
        assert_eq!(
            t.of_line(2).collect::<Vec<_>>(),
            [("level", &b"WARN"[..]), ("user", &b"bob"[..])]
        );
    }

    #[test]
    fn check_accepts_a_well_formed_table() {
        assert_eq!(table().check(3), Ok(()));
    }

    #[test]
    fn check_rejects_line_out_of_range() {
        let words = table().check(2).unwrap_err().to_string();
        assert_eq!(words, "fields: line[1] = 2, but there are only 2 lines");
    }

    #[test]
    fn check_rejects_unordered_lines() {
        let mut t = table();
        t.line[2] = 1;
        assert!(t.check(3).unwrap_err().to_string().contains("line order"));
    }

    #[test]
    fn check_rejects_bad_name_and_value_ends() {
        let mut t = table();
        t.name[0] = 9;
        assert!(matches!(
            t.check(3),
            Err(Violation::FieldNameOutOfRange { i: 0, name: 9, .. })
        ));
        let mut t = table();
        t.value_ends[2] = 99;
        assert!(matches!(
            t.check(3),
            Err(Violation::ValueEndPastValues { i: 2, end: 99, .. })
        ));
        let mut t = table();
        t.value_ends.pop();
        assert!(
            t.check(3)
                .unwrap_err()
                .to_string()
                .contains("must be equal")
        );
    }

    /// Drift decided by the WIT ("its last entry is `len(values)`", required back): the host
    /// used to check only that each end was within `values`.
    #[test]
    fn check_rejects_unused_value_bytes_after_the_last_end() {
        let mut t = table();
        t.values.extend_from_slice(b"junk");
        assert_eq!(
            t.check(3),
            Err(Violation::ValuesAfterLastEntry {
                last: 11,
                values_len: 15
            })
        );
    }

    /// Drift decided by the WIT (`names`: "the distinct keys"): the harness checked it, the
    /// host did not.
    #[test]
    fn check_rejects_a_repeated_name() {
        let mut t = table();
        t.names.push("level".into());
        assert!(matches!(
            t.check(3),
            Err(Violation::NameRepeated { i: 2, first: 0, .. })
        ));
    }

    /// Drift decided by the WIT ("when a plugin sets a key twice on one line, the later value
    /// wins"): not malformed; [`crate::output`] resolves it.
    #[test]
    fn check_accepts_a_key_twice_on_one_line() {
        let mut t = table();
        t.push(2, 1, b"eve");
        assert_eq!(t.check(3), Ok(()));
    }
}
