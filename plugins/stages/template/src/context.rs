//! What a template sees: the line, its fields, timestamp and source, as a minijinja object.
//!
//! A [`LineContext`] holds copies of one line's bytes and fields and answers lookups lazily:
//! a value becomes a minijinja value only when the template reads it, so a template that
//! reads one field of a line with twenty converts one. A field a stage typed as an integer or
//! a number becomes a minijinja number, so `{{ bytes / 1024 }}` and
//! `{% if latency_ms > 1000 %}` work, when it renders as the same text ([`typed`]); any other
//! value is a string. The stage refills one context in place
//! from line to line (see [`Contexts`]): only the values a template reads are allocated.

use jiff::Timestamp;
use minijinja::Value;
use minijinja::value::{Enumerator, Object};
use sluice_plugin_sdk::{Kind, Line};
use std::sync::Arc;

/// The names the template sees besides the fields; they win over fields of the same name,
/// which stay reachable as `fields["name"]`.
const BUILT_INS: [&str; 4] = ["line", "timestamp", "source", "fields"];

/// One line, as the template's root context.
#[derive(Debug, Default)]
pub struct LineContext {
    /// The line's bytes, when `has_line`.
    line: Vec<u8>,
    /// False for the last piece of an over-long line, whose bytes are only a piece: then
    /// `line` is undefined.
    has_line: bool,
    /// The field names back to back; `key_ends[i]` ends name `i`.
    keys: String,
    key_ends: Vec<usize>,
    /// The field values back to back; `value_ends[i]` ends value `i`.
    values: Vec<u8>,
    value_ends: Vec<usize>,
    /// The kind of each value.
    kinds: Vec<Kind>,
    timestamp: Option<i64>,
    source: String,
}

impl LineContext {
    /// Fills the context from `line`, reusing its buffers.
    fn fill(&mut self, line: &Line<'_>, with_bytes: bool, source: &str) {
        self.line.clear();
        self.has_line = with_bytes;
        if with_bytes {
            self.line.extend_from_slice(line.bytes());
        }
        self.keys.clear();
        self.key_ends.clear();
        self.values.clear();
        self.value_ends.clear();
        self.kinds.clear();
        for field in line.fields() {
            self.kinds.push(field.kind);
            self.keys.push_str(field.key);
            self.key_ends.push(self.keys.len());
            self.values.extend_from_slice(field.value);
            self.value_ends.push(self.values.len());
        }
        self.timestamp = line.timestamp();
        self.source.clear();
        self.source.push_str(source);
    }

    fn field_count(&self) -> usize {
        self.key_ends.len()
    }

    fn key(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.key_ends[i - 1] };
        &self.keys[start..self.key_ends[i]]
    }

    fn value(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.value_ends[i - 1] };
        &self.values[start..self.value_ends[i]]
    }

    /// The field `key` as a value: typed when [`typed`] allows, else a string (lossy UTF-8).
    fn field(&self, key: &str) -> Option<Value> {
        (0..self.field_count())
            .find(|&i| self.key(i) == key)
            .map(|i| typed(self.value(i), self.kinds[i]).unwrap_or_else(|| text(self.value(i))))
    }
}

/// A value of `kind` as a minijinja integer or float, when it renders as the very text it was
/// (`0.5` does; `1e3` would render `1000.0` and `-0` as `0`, so they stay strings, as do
/// booleans, which minijinja prints `True`): a template that only prints a field never alters
/// it.
fn typed(value: &[u8], kind: Kind) -> Option<Value> {
    let text = std::str::from_utf8(value).ok()?;
    let typed = match kind {
        Kind::Integer => Value::from(text.parse::<i64>().ok()?),
        Kind::Number => Value::from(text.parse::<f64>().ok()?),
        Kind::Text | Kind::Boolean | Kind::Null | Kind::Bytes => return None,
    };
    (typed.to_string() == text).then_some(typed)
}

/// Bytes as a minijinja string, invalid UTF-8 replaced by U+FFFD.
fn text(bytes: &[u8]) -> Value {
    Value::from(String::from_utf8_lossy(bytes).into_owned())
}

impl Object for LineContext {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let key = key.as_str()?;
        match key {
            "line" => self.has_line.then(|| text(&self.line)),
            "timestamp" => Some(match self.timestamp {
                Some(ns) => Timestamp::from_nanosecond(i128::from(ns))
                    .map_or(Value::from(()), |ts| Value::from(ts.to_string())),
                None => Value::from(()),
            }),
            "source" => Some(Value::from(self.source.as_str())),
            "fields" => Some(Value::from_object(FieldsView(self.clone()))),
            _ => self.field(key),
        }
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        let mut keys: Vec<Value> = BUILT_INS.iter().map(|&k| Value::from(k)).collect();
        keys.extend(
            (0..self.field_count())
                .map(|i| self.key(i))
                .filter(|k| !BUILT_INS.contains(k))
                .map(Value::from),
        );
        Enumerator::Values(keys)
    }
}

/// `fields`: every field of the line, by name, including those whose names are taken by a
/// built-in or are not identifiers (`fields["http.status"]`).
#[derive(Debug)]
struct FieldsView(Arc<LineContext>);

impl Object for FieldsView {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.0.field(key.as_str()?)
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        let context = &self.0;
        Enumerator::Values(
            (0..context.field_count())
                .map(|i| Value::from(context.key(i)))
                .collect(),
        )
    }
}

/// Hands out the context of each line, refilling one allocation in place.
#[derive(Debug, Default)]
pub struct Contexts {
    /// The context of the previous line. Only this holds it once rendering is over (values
    /// made during rendering are dropped with it), so it can be refilled in place.
    current: Arc<LineContext>,
}

impl Contexts {
    /// The context of an empty line without fields, for a trial render.
    pub fn empty() -> Value {
        Value::from_object(LineContext::default())
    }

    /// The context of `line` as the template's root value; `with_bytes` false leaves `line`
    /// undefined.
    pub fn for_line(&mut self, line: &Line<'_>, with_bytes: bool, source: &str) -> Value {
        if Arc::get_mut(&mut self.current).is_none() {
            self.current = Arc::default();
        }
        if let Some(context) = Arc::get_mut(&mut self.current) {
            context.fill(line, with_bytes, source);
        }
        Value::from_dyn_object(self.current.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_plugin_sdk::testing::{Input, build_batch, with_batch};

    #[test]
    fn one_context_is_refilled_in_place_after_rendering() {
        let mut env = minijinja::Environment::new();
        env.add_template("t", "{{ line }} {{ fields.a }} {{ b }}")
            .unwrap();
        let raw = build_batch(&[
            Input::new("first").field("a", "1").field("b", "2"),
            Input::new("second").field("a", "3"),
        ]);
        let mut contexts = Contexts::default();
        let mut seen = Vec::new();
        with_batch(&raw, |batch| {
            for line in batch.lines() {
                let context = contexts.for_line(&line, true, "-");
                let rendered = env.get_template("t").unwrap().render(&context).unwrap();
                drop(context);
                seen.push((rendered, Arc::as_ptr(&contexts.current)));
                assert!(
                    Arc::get_mut(&mut contexts.current).is_some(),
                    "nothing else holds it"
                );
            }
        });
        assert_eq!(seen[0].0, "first 1 2");
        assert_eq!(seen[1].0, "second 3 ");
        assert_eq!(
            seen[0].1, seen[1].1,
            "the same allocation serves both lines"
        );
    }

    #[test]
    fn typed_values_are_numbers_and_booleans_when_they_print_the_same() {
        assert_eq!(typed(b"1656", Kind::Integer), Some(Value::from(1656)));
        assert_eq!(typed(b"0.5", Kind::Number), Some(Value::from(0.5)));
        for (value, kind) in [
            (&b"1e3"[..], Kind::Number),
            (b"-0", Kind::Integer),
            (b"2.50", Kind::Number),
            (b"true", Kind::Boolean),
            (b"7", Kind::Text),
            (b"", Kind::Null),
        ] {
            assert_eq!(typed(value, kind), None, "{value:?} {kind}");
        }
    }
}
