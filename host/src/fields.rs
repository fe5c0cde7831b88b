//! The fields (key → value) that stages extract and attach to lines.
//!
//! Stored exactly as the WIT `fields` record lays them out, flat, so a batch's table crosses the
//! plugin boundary by moving its vectors, without a copy or a per-line allocation.

/// The fields of the lines of one batch.
///
/// Entry `i` gives line `line[i]` the field `names[name[i]]` with value
/// `values[value_ends[i - 1]..value_ends[i]]`.
///
/// Invariants (checked by [`FieldTable::check`] on anything a plugin returns): `line`, `name`
/// and `value_ends` have the same length; `line` is non-decreasing, so one line's entries are
/// contiguous; `value_ends` is non-decreasing and ends at `values.len()`; every `name[i]`
/// indexes `names`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldTable {
    /// The distinct keys in this table.
    pub names: Vec<String>,
    /// The line of each entry.
    pub line: Vec<u32>,
    /// The key of each entry, as an index into `names`.
    pub name: Vec<u32>,
    /// The values back to back.
    pub values: Vec<u8>,
    /// The end offset in `values` of each entry's value.
    pub value_ends: Vec<u32>,
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
    pub fn clear(&mut self) {
        self.names.clear();
        self.line.clear();
        self.name.clear();
        self.values.clear();
        self.value_ends.clear();
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
    pub fn intern(&mut self, key: &str) -> u32 {
        match self.names.iter().position(|n| n == key) {
            Some(i) => i as u32,
            None => {
                self.names.push(key.to_owned());
                (self.names.len() - 1) as u32
            }
        }
    }

    /// Appends an entry. Entries must be pushed in line order.
    pub fn push(&mut self, line: u32, name: u32, value: &[u8]) {
        debug_assert!(self.line.last().is_none_or(|&last| last <= line));
        self.line.push(line);
        self.name.push(name);
        self.values.extend_from_slice(value);
        self.value_ends.push(self.values.len() as u32);
    }

    /// The fields of `line` as (key, value) pairs. Linear in the table size; for tests and
    /// diagnostics, not the per-line path.
    pub fn of_line(&self, line: u32) -> impl Iterator<Item = (&str, &[u8])> {
        (0..self.len())
            .filter(move |&i| self.line[i] == line)
            .map(|i| (self.key(i), self.value(i)))
    }

    /// Checks the invariants for a batch of `lines` lines; the error says which one broke.
    pub fn check(&self, lines: usize) -> Result<(), String> {
        let n = self.line.len();
        if self.name.len() != n || self.value_ends.len() != n {
            return Err(format!(
                "fields: `line`, `name` and `value-ends` have lengths {}, {} and {}; they must be equal",
                n,
                self.name.len(),
                self.value_ends.len()
            ));
        }
        let mut prev_line = 0;
        let mut prev_end = 0;
        for i in 0..n {
            let (line, name, end) = (self.line[i], self.name[i], self.value_ends[i]);
            if line as usize >= lines {
                return Err(format!(
                    "fields: line[{i}] = {line}, but there are only {lines} lines"
                ));
            }
            if line < prev_line {
                return Err(format!(
                    "fields: line[{i}] = {line} comes after {prev_line}; entries must be in line order"
                ));
            }
            if name as usize >= self.names.len() {
                return Err(format!(
                    "fields: name[{i}] = {name}, but there are only {} names",
                    self.names.len()
                ));
            }
            if end < prev_end || end as usize > self.values.len() {
                return Err(format!(
                    "fields: value-ends[{i}] = {end} is out of order or past the {} value bytes",
                    self.values.len()
                ));
            }
            prev_line = line;
            prev_end = end;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(table().check(2).unwrap_err().contains("line[1] = 2"));
    }

    #[test]
    fn check_rejects_unordered_lines() {
        let mut t = table();
        t.line[2] = 1;
        assert!(t.check(3).unwrap_err().contains("line order"));
    }

    #[test]
    fn check_rejects_bad_name_and_value_ends() {
        let mut t = table();
        t.name[0] = 9;
        assert!(t.check(3).unwrap_err().contains("name[0] = 9"));
        let mut t = table();
        t.value_ends[2] = 99;
        assert!(t.check(3).unwrap_err().contains("value-ends[2] = 99"));
        let mut t = table();
        t.value_ends.pop();
        assert!(t.check(3).unwrap_err().contains("must be equal"));
    }
}
