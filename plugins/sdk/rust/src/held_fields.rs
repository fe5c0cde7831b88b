//! [`HeldFields`]: a line's fields copied out of its batch, kinds and all, for a stage that
//! holds the line and outputs it later (a context, a queue, a ring, a block): give them back
//! with [`crate::Output::set_fields`] or [`crate::Trailing::set_fields`].
//!
//! The copy is four flat buffers, not a `Vec` of pairs, so that holding a line allocates
//! nothing once the buffers have grown, and [`HeldFields::bytes`] says what it costs.

use crate::{Field, Kind};

/// Owned copies of a line's fields, in order.
///
/// Invariant: `key_ends`, `value_ends` and `kinds` have one entry per field; entry `i`'s key
/// is `keys[key_ends[i - 1]..key_ends[i]]` (from 0 for the first) and its value likewise in
/// `values`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HeldFields {
    keys: String,
    key_ends: Vec<usize>,
    values: Vec<u8>,
    value_ends: Vec<usize>,
    kinds: Vec<Kind>,
}

impl HeldFields {
    /// No fields.
    pub fn new() -> Self {
        Self::default()
    }

    /// A copy of `fields`.
    pub fn of<'f>(fields: impl IntoIterator<Item = Field<'f>>) -> Self {
        let mut held = Self::new();
        held.extend(fields);
        held
    }

    /// Replaces the fields with a copy of `fields`, reusing the buffers.
    pub fn copy_from<'f>(&mut self, fields: impl IntoIterator<Item = Field<'f>>) {
        self.clear();
        self.extend(fields);
    }

    /// Adds a field at the end (a key already held is added again; the later one wins when
    /// the fields are set on a line).
    pub fn push(&mut self, field: Field<'_>) {
        self.keys.push_str(field.key);
        self.key_ends.push(self.keys.len());
        self.values.extend_from_slice(field.value);
        self.value_ends.push(self.values.len());
        self.kinds.push(field.kind);
    }

    /// Removes every field, keeping the buffers.
    pub fn clear(&mut self) {
        self.keys.clear();
        self.key_ends.clear();
        self.values.clear();
        self.value_ends.clear();
        self.kinds.clear();
    }

    /// The number of fields.
    pub fn len(&self) -> usize {
        self.kinds.len()
    }

    /// Whether there are no fields.
    pub fn is_empty(&self) -> bool {
        self.kinds.is_empty()
    }

    /// The bytes of the keys and values held, for a stage that caps what it holds.
    pub fn bytes(&self) -> usize {
        self.keys.len() + self.values.len()
    }

    /// The value of the last field named `key`.
    pub fn get(&self, key: &str) -> Option<&[u8]> {
        self.iter()
            .filter(|field| field.key == key)
            .last()
            .map(|field| field.value)
    }

    /// The fields, in the order they were added.
    pub fn iter(&self) -> impl Iterator<Item = Field<'_>> + '_ {
        (0..self.len()).map(|i| {
            let start = |ends: &[usize]| if i == 0 { 0 } else { ends[i - 1] };
            Field {
                key: &self.keys[start(&self.key_ends)..self.key_ends[i]],
                value: &self.values[start(&self.value_ends)..self.value_ends[i]],
                kind: self.kinds[i],
            }
        })
    }
}

impl<'f> Extend<Field<'f>> for HeldFields {
    fn extend<I: IntoIterator<Item = Field<'f>>>(&mut self, fields: I) {
        for field in fields {
            self.push(field);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field<'a>(key: &'a str, value: &'a [u8], kind: Kind) -> Field<'a> {
        Field { key, value, kind }
    }

    #[test]
    fn keeps_keys_values_and_kinds_in_order() {
        let mut held = HeldFields::of([
            field("status", b"200", Kind::Integer),
            field("msg", b"\xffok", Kind::Text),
            field("user", b"", Kind::Null),
        ]);
        assert_eq!(held.len(), 3);
        assert_eq!(held.bytes(), "statusmsguser".len() + 6);
        assert_eq!(held.get("msg"), Some(&b"\xffok"[..]));
        assert_eq!(held.get("nope"), None);
        let kinds: Vec<_> = held.iter().map(|f| (f.key, f.kind)).collect();
        assert_eq!(
            kinds,
            [
                ("status", Kind::Integer),
                ("msg", Kind::Text),
                ("user", Kind::Null)
            ]
        );
        held.copy_from([field("a", b"1", Kind::Text)]);
        assert_eq!(
            held.iter().collect::<Vec<_>>(),
            [field("a", b"1", Kind::Text)]
        );
        held.push(field("a", b"2", Kind::Integer));
        assert_eq!(held.get("a"), Some(&b"2"[..]));
        held.clear();
        assert!(held.is_empty());
        assert_eq!(held.iter().count(), 0);
    }
}
