//! Turning the groups into output lines: the rows in order, then a table or JSON lines.
//!
//! Rows are sorted by their `group_by` values in *natural order* (values that are numbers
//! first, by value, then the others by bytes; a missing value last), or by the `order_by`
//! column (descending by default, a missing value last either way; ties by the `group_by`
//! values), and cut to `limit`.
//!
//! A table is aligned like dtail's: a header of column names, a rule of dashes, one row per
//! group; cells separated by ` | `, numbers (and text columns whose values are all numbers)
//! right-aligned, other text left-aligned, trailing spaces trimmed. Numbers show at most six
//! decimals, trailing zeros dropped; a missing value shows as `-`. In text, control characters
//! and bytes that are not valid UTF-8 show as `\xNN`, so that a row stays one aligned line.
//!
//! JSON lines are one object per group, keys in column order: `group_by` values and `last`
//! as strings (bytes that are not UTF-8 as the text `\xNN`), counts as integers, other
//! numbers in full precision, missing values as `null`.
//!
//! Either way each row's line carries the row as fields, typed the same way: counts are
//! integers, other finite numbers numbers, `group_by` values and `last` text; a missing value
//! sets no field.

use crate::groups::{Group, Groups};
use crate::select::{Value, number};
use sluice_plugin_sdk::json::write_string;
use sluice_plugin_sdk::{Field, HeldFields, Kind};
use std::cmp::Ordering;
use std::fmt::Write;

/// Where a column's values come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    /// The `group_by` field at this index.
    Group(usize),
    /// The aggregation at this index of `Groups::aggs`.
    Agg(usize),
}

/// One output column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Column {
    pub(crate) name: String,
    pub(crate) source: Source,
}

/// How the rows are laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    Table,
    Json,
}

/// How the rows are chosen and laid out.
#[derive(Clone, Debug)]
pub(crate) struct Layout {
    pub(crate) columns: Vec<Column>,
    pub(crate) format: Format,
    /// The column to sort by, and whether descending.
    pub(crate) order_by: Option<(usize, bool)>,
    pub(crate) limit: Option<usize>,
}

/// One output line and the fields to set on it.
#[derive(Debug, Default)]
pub(crate) struct OutLine {
    pub(crate) bytes: Vec<u8>,
    /// The row's present values, under their column names.
    pub(crate) fields: HeldFields,
}

impl Layout {
    /// The output lines for the groups' current state.
    pub(crate) fn render(&self, groups: &Groups) -> Vec<OutLine> {
        let rows = self.rows(groups);
        match self.format {
            Format::Table => self.table(&rows),
            Format::Json => rows.iter().map(|row| self.json(row)).collect(),
        }
    }

    /// The rows' values, in column order, sorted and cut to the limit.
    fn rows<'a>(&self, groups: &'a Groups) -> Vec<Vec<Value<'a>>> {
        let mut rows: Vec<(&'a Group, Vec<Value<'a>>)> = groups
            .groups()
            .iter()
            .map(|group| {
                let cells = self
                    .columns
                    .iter()
                    .map(|column| match column.source {
                        Source::Group(i) => group.values[i]
                            .as_deref()
                            .map_or(Value::Missing, Value::Text),
                        Source::Agg(j) => groups.aggs()[j].value(&group.accs[j]),
                    })
                    .collect();
                (group, cells)
            })
            .collect();
        rows.sort_by(|(ga, a), (gb, b)| {
            let by_column = match self.order_by {
                Some((c, descending)) => missing_last(present(a[c]), present(b[c]), |x, y| {
                    let o = compare(x, y);
                    if descending { o.reverse() } else { o }
                }),
                None => Ordering::Equal,
            };
            by_column.then_with(|| compare_keys(ga, gb))
        });
        rows.truncate(self.limit.unwrap_or(usize::MAX));
        rows.into_iter().map(|(_, cells)| cells).collect()
    }

    fn table(&self, rows: &[Vec<Value<'_>>]) -> Vec<OutLine> {
        let texts: Vec<Vec<String>> = rows
            .iter()
            .map(|row| row.iter().map(|&v| table_text(v)).collect())
            .collect();
        let mut widths: Vec<usize> = self.columns.iter().map(|c| width(&c.name)).collect();
        for row in &texts {
            for (w, text) in widths.iter_mut().zip(row) {
                *w = (*w).max(width(text));
            }
        }
        let right: Vec<bool> = (0..self.columns.len())
            .map(|c| {
                rows.iter().all(|row| match row[c] {
                    Value::Text(t) => number(t).is_some(),
                    _ => true,
                })
            })
            .collect();
        let line = |cells: &mut dyn Iterator<Item = &str>| {
            let mut text = String::new();
            for (c, cell) in cells.enumerate() {
                text.push_str(if c == 0 { " " } else { " | " });
                let pad = widths[c] - width(cell);
                if right[c] {
                    text.extend(std::iter::repeat_n(' ', pad));
                    text.push_str(cell);
                } else {
                    text.push_str(cell);
                    text.extend(std::iter::repeat_n(' ', pad));
                }
            }
            text.truncate(text.trim_end().len());
            text.into_bytes()
        };
        let mut lines = Vec::with_capacity(rows.len() + 2);
        lines.push(OutLine {
            bytes: line(&mut self.columns.iter().map(|c| c.name.as_str())),
            fields: HeldFields::new(),
        });
        let rule: Vec<String> = widths.iter().map(|&w| "-".repeat(w + 2)).collect();
        lines.push(OutLine {
            bytes: rule.join("|").into_bytes(),
            fields: HeldFields::new(),
        });
        for (row, text) in rows.iter().zip(&texts) {
            lines.push(OutLine {
                bytes: line(&mut text.iter().map(String::as_str)),
                fields: self.fields(row),
            });
        }
        lines
    }

    fn json(&self, row: &[Value<'_>]) -> OutLine {
        let mut text = Vec::new();
        text.push(b'{');
        for (c, (column, &value)) in self.columns.iter().zip(row).enumerate() {
            if c > 0 {
                text.push(b',');
            }
            write_string(column.name.as_bytes(), &mut text);
            text.push(b':');
            match value {
                Value::Missing => text.extend_from_slice(b"null"),
                Value::Count(n) => text.extend_from_slice(n.to_string().as_bytes()),
                Value::Number(x) if x.is_finite() => {
                    text.extend_from_slice(x.to_string().as_bytes())
                }
                Value::Number(_) => text.extend_from_slice(b"null"),
                Value::Text(t) => write_string(t, &mut text),
            }
        }
        text.push(b'}');
        OutLine {
            bytes: text,
            fields: self.fields(row),
        }
    }

    /// The fields of a row: each present value under its column's name, counts as integers,
    /// finite numbers as numbers in full precision, text as its bytes.
    fn fields(&self, row: &[Value<'_>]) -> HeldFields {
        let mut fields = HeldFields::new();
        for (column, &value) in self.columns.iter().zip(row) {
            let (text, kind) = match value {
                Value::Missing => continue,
                Value::Count(n) => (n.to_string(), Kind::Integer),
                Value::Number(x) if x.is_finite() => (x.to_string(), Kind::Number),
                Value::Number(x) => (x.to_string(), Kind::Text),
                Value::Text(value) => {
                    let key = &column.name;
                    fields.push(Field {
                        key,
                        value,
                        kind: Kind::Text,
                    });
                    continue;
                }
            };
            let key = &column.name;
            fields.push(Field {
                key,
                value: text.as_bytes(),
                kind,
            });
        }
        fields
    }
}

/// Orders two groups by their `group_by` values.
fn compare_keys(a: &Group, b: &Group) -> Ordering {
    for (x, y) in a.values.iter().zip(&b.values) {
        let o = missing_last(x.as_deref(), y.as_deref(), natural);
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

/// Orders present values with `present`, a missing value after every present one.
fn missing_last<T>(a: Option<T>, b: Option<T>, present: impl FnOnce(T, T) -> Ordering) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => present(a, b),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// `value`, unless it is missing.
fn present(value: Value<'_>) -> Option<Value<'_>> {
    (value != Value::Missing).then_some(value)
}

/// A total order on present values: numbers (and text that is a number) by value first, then
/// other text by bytes.
fn compare<'a>(a: Value<'a>, b: Value<'a>) -> Ordering {
    let numeric = |v: Value<'_>| match v {
        Value::Count(n) => Some(n as f64),
        Value::Number(x) => Some(x),
        Value::Text(t) => number(t),
        Value::Missing => None,
    };
    let bytes = |v: Value<'a>| -> &'a [u8] {
        match v {
            Value::Text(t) => t,
            _ => &[],
        }
    };
    match (numeric(a), numeric(b)) {
        (Some(x), Some(y)) => x.total_cmp(&y).then_with(|| bytes(a).cmp(bytes(b))),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => bytes(a).cmp(bytes(b)),
    }
}

/// Natural order on bytes: see [`compare`].
fn natural(a: &[u8], b: &[u8]) -> Ordering {
    compare(Value::Text(a), Value::Text(b))
}

/// A value as a table cell.
fn table_text(value: Value<'_>) -> String {
    match value {
        Value::Missing => "-".into(),
        Value::Count(n) => n.to_string(),
        Value::Number(x) => decimal(x),
        Value::Text(t) => {
            let mut text = String::with_capacity(t.len());
            for chunk in t.utf8_chunks() {
                for c in chunk.valid().chars() {
                    if c.is_control() && (c as u32) < 0x80 {
                        let _ = write!(text, "\\x{:02x}", c as u32);
                    } else {
                        text.push(c);
                    }
                }
                for b in chunk.invalid() {
                    let _ = write!(text, "\\x{b:02x}");
                }
            }
            text
        }
    }
}

/// A number with at most six decimals, trailing zeros dropped: `12`, `0.333333`, `-2.5`.
pub(crate) fn decimal(x: f64) -> String {
    if !x.is_finite() {
        return if x.is_nan() {
            "NaN"
        } else if x > 0.0 {
            "inf"
        } else {
            "-inf"
        }
        .into();
    }
    let mut text = format!("{x:.6}");
    let trimmed = text.trim_end_matches('0').trim_end_matches('.').len();
    text.truncate(trimmed);
    if text == "-0" {
        text.remove(0);
    }
    text
}

/// The width of a cell, in characters.
fn width(text: &str) -> usize {
    text.chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals() {
        assert_eq!(decimal(12.0), "12");
        assert_eq!(decimal(1.0 / 3.0), "0.333333");
        assert_eq!(decimal(-2.5), "-2.5");
        assert_eq!(decimal(-0.0000001), "0");
        assert_eq!(decimal(1e15), "1000000000000000");
    }

    #[test]
    fn natural_order_is_total() {
        let mut values: Vec<&[u8]> = vec![b"b", b"10", b"9", b"", b"a", b"-1", b"9.0", b"\xff"];
        values.sort_by(|a, b| natural(a, b));
        assert_eq!(
            values,
            [&b"-1"[..], b"9", b"9.0", b"10", b"", b"a", b"b", b"\xff"]
        );
    }

    #[test]
    fn table_text_escapes_what_breaks_a_row() {
        assert_eq!(
            table_text(Value::Text(b"caf\xc3\xa9\t\x1b[0m \xff")),
            "café\\x09\\x1b[0m \\xff"
        );
        assert_eq!(table_text(Value::Missing), "-");
    }
}
