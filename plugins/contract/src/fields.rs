//! The rules of a `fields` table, the same for a batch, an output and emitted lines.

use crate::{FieldsView, Violation};

/// Checks that `f` is a well-formed fields table for `lines` lines; the error names the first
/// broken rule, in this order: the three per-entry lists have one length; then, entry by
/// entry, `line[i]` is a line, `line` does not decrease, `name[i]` indexes `names`,
/// `value-ends` does not decrease nor pass `len(values)`; then the last `value-ends` entry is
/// `len(values)` (0 without entries: `values` is then empty); then `names` are distinct.
///
/// A key set twice on one line is allowed: the later value wins
/// ([`resolve`](crate::resolve)). Cost: linear in the entries, quadratic in `names` (which
/// holds a few keys; the host's interning of names is quadratic in them too).
pub fn check_fields(f: &FieldsView<'_>, lines: usize) -> Result<(), Violation> {
    let n = f.line.len();
    if f.name.len() != n || f.value_ends.len() != n {
        return Err(Violation::FieldLengths {
            line: n,
            name: f.name.len(),
            value_ends: f.value_ends.len(),
        });
    }
    let mut previous_line = 0;
    let mut previous_end = 0;
    for i in 0..n {
        let (line, name, end) = (f.line[i], f.name[i], f.value_ends[i]);
        if line as usize >= lines {
            return Err(Violation::FieldLineOutOfRange { i, line, lines });
        }
        if line < previous_line {
            return Err(Violation::FieldLineOutOfOrder {
                i,
                line,
                previous: previous_line,
            });
        }
        if name as usize >= f.names.len() {
            return Err(Violation::FieldNameOutOfRange {
                i,
                name,
                names: f.names.len(),
            });
        }
        if end < previous_end {
            return Err(Violation::ValueEndsDecrease {
                i,
                end,
                previous: previous_end,
                values_len: f.values.len(),
            });
        }
        if end as usize > f.values.len() {
            return Err(Violation::ValueEndPastValues {
                i,
                end,
                values_len: f.values.len(),
            });
        }
        previous_line = line;
        previous_end = end;
    }
    if previous_end as usize != f.values.len() {
        return Err(Violation::ValuesAfterLastEntry {
            last: previous_end,
            values_len: f.values.len(),
        });
    }
    for (i, name) in f.names.iter().enumerate().skip(1) {
        if let Some(first) = f.names[..i].iter().position(|earlier| earlier == name) {
            return Err(Violation::NameRepeated {
                i,
                first,
                name: name.clone(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A table built by the tests: names, then (line, name, value) entries.
    struct Table {
        names: Vec<String>,
        line: Vec<u32>,
        name: Vec<u32>,
        values: Vec<u8>,
        value_ends: Vec<u32>,
    }

    impl Table {
        fn new(names: &[&str], entries: &[(u32, u32, &str)]) -> Table {
            let mut t = Table {
                names: names.iter().map(|n| n.to_string()).collect(),
                line: vec![],
                name: vec![],
                values: vec![],
                value_ends: vec![],
            };
            for &(line, name, value) in entries {
                t.line.push(line);
                t.name.push(name);
                t.values.extend_from_slice(value.as_bytes());
                t.value_ends.push(t.values.len() as u32);
            }
            t
        }

        fn view(&self) -> FieldsView<'_> {
            FieldsView {
                names: &self.names,
                line: &self.line,
                name: &self.name,
                values: &self.values,
                value_ends: &self.value_ends,
            }
        }

        fn check(&self, lines: usize) -> Result<(), Violation> {
            check_fields(&self.view(), lines)
        }
    }

    fn table() -> Table {
        Table::new(
            &["level", "user"],
            &[(0, 0, "INFO"), (2, 0, "WARN"), (2, 1, "bob")],
        )
    }

    #[test]
    fn well_formed_table_passes() {
        assert_eq!(table().check(3), Ok(()));
        assert_eq!(Table::new(&[], &[]).check(0), Ok(()));
    }

    #[test]
    fn lengths_differ() {
        let mut t = table();
        t.value_ends.pop();
        assert_eq!(
            t.check(3),
            Err(Violation::FieldLengths {
                line: 3,
                name: 3,
                value_ends: 2
            })
        );
        let mut t = table();
        t.name.push(0);
        assert!(matches!(
            t.check(3),
            Err(Violation::FieldLengths { name: 4, .. })
        ));
    }

    #[test]
    fn line_past_the_last_line() {
        assert_eq!(
            table().check(2),
            Err(Violation::FieldLineOutOfRange {
                i: 1,
                line: 2,
                lines: 2
            })
        );
    }

    #[test]
    fn line_goes_backwards() {
        let mut t = table();
        t.line[2] = 1;
        assert_eq!(
            t.check(3),
            Err(Violation::FieldLineOutOfOrder {
                i: 2,
                line: 1,
                previous: 2
            })
        );
    }

    #[test]
    fn name_past_the_names() {
        let mut t = table();
        t.name[0] = 9;
        assert_eq!(
            t.check(3),
            Err(Violation::FieldNameOutOfRange {
                i: 0,
                name: 9,
                names: 2
            })
        );
    }

    #[test]
    fn value_ends_go_backwards() {
        let mut t = table();
        t.value_ends[1] = 3;
        assert_eq!(
            t.check(3),
            Err(Violation::ValueEndsDecrease {
                i: 1,
                end: 3,
                previous: 4,
                values_len: 11
            })
        );
    }

    #[test]
    fn value_end_past_the_values() {
        let mut t = table();
        t.value_ends[2] = 99;
        assert_eq!(
            t.check(3),
            Err(Violation::ValueEndPastValues {
                i: 2,
                end: 99,
                values_len: 11
            })
        );
    }

    /// The WIT: "its last entry is `len(values)`", required back from plugins.
    #[test]
    fn unused_value_bytes_after_the_last_end() {
        let mut t = table();
        t.values.push(b'x');
        assert_eq!(
            t.check(3),
            Err(Violation::ValuesAfterLastEntry {
                last: 11,
                values_len: 12
            })
        );
    }

    #[test]
    fn value_bytes_without_entries() {
        let mut t = Table::new(&["k"], &[]);
        t.values.push(b'x');
        assert_eq!(
            t.check(1),
            Err(Violation::ValuesAfterLastEntry {
                last: 0,
                values_len: 1
            })
        );
    }

    /// The WIT: `names` holds "the distinct keys used in this table".
    #[test]
    fn name_repeated() {
        let t = Table::new(&["level", "user", "level"], &[(0, 0, "a"), (0, 2, "b")]);
        assert_eq!(
            t.check(1),
            Err(Violation::NameRepeated {
                i: 2,
                first: 0,
                name: "level".into()
            })
        );
    }

    /// The WIT: "when a plugin sets a key twice on one line, the later value wins", so it is
    /// not malformed.
    #[test]
    fn key_set_twice_on_one_line_passes() {
        let t = Table::new(&["user"], &[(0, 0, "x"), (0, 0, "bob")]);
        assert_eq!(t.check(1), Ok(()));
    }

    #[test]
    fn names_unused_by_any_entry_pass() {
        let t = Table::new(&["gone", "user"], &[(0, 1, "bob")]);
        assert_eq!(t.check(1), Ok(()));
    }

    #[test]
    fn empty_values_at_the_end_pass() {
        let t = Table::new(&["a", "b"], &[(0, 0, "x"), (0, 1, "")]);
        assert_eq!(t.check(1), Ok(()));
    }
}
