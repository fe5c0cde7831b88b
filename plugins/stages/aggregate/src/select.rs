//! The `select` items: parsing them, and the accumulator each keeps per group.
//!
//! An item is an aggregation of a field, written as dtail writes them:
//!
//! | item | value per group |
//! |---|---|
//! | `count` or `count(*)` | the number of lines |
//! | `count(f)` | the number of lines that have field `f` |
//! | `sum(f)` | the sum of `f`'s numeric values (0 when there is none) |
//! | `avg(f)` | their mean |
//! | `min(f)`, `max(f)` | the smallest, the largest |
//! | `last(f)` | the value of `f` on the group's latest line that has it |
//! | `f` (a bare field name) | a `group_by` field's column, placed here; for any other field, `last(f)` |
//!
//! Function names are case-insensitive; spaces around names and inside the parentheses are
//! ignored. A value is numeric when, spaces trimmed, it is a finite number such as `12`,
//! `-0.5` or `1e3`, a duration such as `918ms` or `1m30s` (taken in seconds) or a size such as
//! `4KB` or `1.5MiB` (taken in bytes), read by the SDK's [`Quantity`]. The first numeric value
//! of a group fixes what the aggregate measures: later values of another dimension (a size
//! among durations, a plain number among sizes) are skipped and counted, as are values that
//! are not numeric; a line without the field leaves the aggregate alone.

use sluice_plugin_sdk::Line;
use sluice_plugin_sdk::quantity::{Dimension, Quantity};

/// What a `select` item computes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Agg {
    /// `count`: lines.
    Count,
    /// `count(f)`: lines with the field.
    CountOf(String),
    Sum(String),
    Avg(String),
    Min(String),
    Max(String),
    /// `last(f)`, or a bare field name that is not a `group_by` field.
    Last(String),
}

/// A parsed `select` item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Item {
    /// An aggregation, with its column name.
    Agg(Agg, String),
    /// A bare field name (a `group_by` column, or `last` of the field).
    Bare(String),
}

impl Item {
    /// The column name: the item as normalised (`sum(bytes)`, `count`, `host`).
    pub(crate) fn name(&self) -> &str {
        match self {
            Item::Agg(_, name) | Item::Bare(name) => name,
        }
    }
}

/// Parses one item; the error says what is wrong with it.
pub(crate) fn parse(item: &str) -> Result<Item, String> {
    let item = item.trim();
    if item.is_empty() {
        return Err("is empty".into());
    }
    let Some(open) = item.find('(') else {
        if item.contains(')') {
            return Err("has a `)` without a `(`".into());
        }
        if item.eq_ignore_ascii_case("count") {
            return Ok(Item::Agg(Agg::Count, "count".into()));
        }
        return Ok(Item::Bare(item.to_owned()));
    };
    let Some(inner) = item[open + 1..].strip_suffix(')') else {
        return Err("must end with `)`, as in sum(bytes)".into());
    };
    let function = item[..open].trim().to_ascii_lowercase();
    let field = inner.trim();
    if field.contains(['(', ')']) {
        return Err("has nested parentheses; write function(field)".into());
    }
    let needs_field = |make: fn(String) -> Agg| {
        if field.is_empty() || field == "*" {
            Err(format!(
                "{function}() needs a field name, as in {function}(bytes)"
            ))
        } else {
            let agg = make(field.to_owned());
            Ok(Item::Agg(agg, format!("{function}({field})")))
        }
    };
    match function.as_str() {
        "count" if field.is_empty() || field == "*" => Ok(Item::Agg(Agg::Count, "count".into())),
        "count" => needs_field(Agg::CountOf),
        "sum" => needs_field(Agg::Sum),
        "avg" => needs_field(Agg::Avg),
        "min" => needs_field(Agg::Min),
        "max" => needs_field(Agg::Max),
        "last" => needs_field(Agg::Last),
        _ => Err(format!(
            "unknown function {function:?}; use count, count(field), sum(field), avg(field), \
             min(field), max(field), last(field) or a field name"
        )),
    }
}

/// One aggregation's state for one group.
#[derive(Clone, Debug)]
pub(crate) enum Acc {
    Count(u64),
    /// For sum, avg, min and max: the numeric values seen, all of `dimension` (set by the
    /// first; `None` while `n` is 0).
    Numbers {
        n: u64,
        sum: f64,
        min: f64,
        max: f64,
        dimension: Option<Dimension>,
    },
    /// The latest value, if any (its buffer is reused).
    Last(Option<Vec<u8>>),
}

/// What became of a line's value in [`Agg::update`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Update {
    /// Aggregated (or the line lacks the field, which leaves the aggregate alone).
    Done,
    /// Skipped: not a number, a duration or a size.
    NotNumeric,
    /// Skipped: numeric, but of another dimension than the group's first value.
    OtherDimension,
}

/// An aggregation's value for one group, for output.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Value<'a> {
    /// No value: a missing `group_by` field, or min/max/avg/last of nothing.
    Missing,
    Count(u64),
    Number(f64),
    Text(&'a [u8]),
}

impl Agg {
    /// The field this aggregation reads, if any.
    fn field(&self) -> Option<&str> {
        match self {
            Agg::Count => None,
            Agg::CountOf(f)
            | Agg::Sum(f)
            | Agg::Avg(f)
            | Agg::Min(f)
            | Agg::Max(f)
            | Agg::Last(f) => Some(f),
        }
    }

    /// A fresh accumulator.
    pub(crate) fn start(&self) -> Acc {
        match self {
            Agg::Count | Agg::CountOf(_) => Acc::Count(0),
            Agg::Last(_) => Acc::Last(None),
            _ => Acc::Numbers {
                n: 0,
                sum: 0.0,
                min: f64::INFINITY,
                max: f64::NEG_INFINITY,
                dimension: None,
            },
        }
    }

    /// Adds `line` to `acc`, or says why its value was skipped.
    #[inline]
    pub(crate) fn update(&self, acc: &mut Acc, line: &Line<'_>) -> Update {
        let value = match self.field() {
            None => None,
            Some(field) => match line.field(field) {
                Some(value) => Some(value),
                None => return Update::Done,
            },
        };
        match acc {
            Acc::Count(n) => *n += 1,
            Acc::Last(last) => {
                let buf = last.get_or_insert_with(Vec::new);
                buf.clear();
                buf.extend_from_slice(value.unwrap_or_default());
            }
            Acc::Numbers {
                n,
                sum,
                min,
                max,
                dimension,
            } => {
                let Some(q) = value.and_then(Quantity::parse) else {
                    return Update::NotNumeric;
                };
                if *dimension.get_or_insert(q.dimension) != q.dimension {
                    return Update::OtherDimension;
                }
                let x = q.amount;
                *n += 1;
                *sum += x;
                *min = min.min(x);
                *max = max.max(x);
            }
        }
        Update::Done
    }

    /// The aggregate's value.
    pub(crate) fn value<'a>(&self, acc: &'a Acc) -> Value<'a> {
        match (self, acc) {
            (_, Acc::Count(n)) => Value::Count(*n),
            (_, Acc::Last(last)) => last.as_deref().map_or(Value::Missing, Value::Text),
            (Agg::Sum(_), Acc::Numbers { sum, .. }) => Value::Number(*sum),
            (_, Acc::Numbers { n: 0, .. }) => Value::Missing,
            (Agg::Avg(_), Acc::Numbers { n, sum, .. }) => Value::Number(*sum / *n as f64),
            (Agg::Min(_), Acc::Numbers { min, .. }) => Value::Number(*min),
            (_, Acc::Numbers { max, .. }) => Value::Number(*max),
        }
    }
}

/// `bytes` as a finite number, spaces around it trimmed.
#[inline]
pub(crate) fn number(bytes: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(bytes.trim_ascii()).ok()?;
    text.parse::<f64>().ok().filter(|x| x.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agg(item: &str) -> (Agg, String) {
        match parse(item).unwrap() {
            Item::Agg(agg, name) => (agg, name),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn parses_items() {
        assert_eq!(agg("count"), (Agg::Count, "count".into()));
        assert_eq!(agg(" COUNT( * ) "), (Agg::Count, "count".into()));
        assert_eq!(agg("count()"), (Agg::Count, "count".into()));
        assert_eq!(
            agg("count(user)"),
            (Agg::CountOf("user".into()), "count(user)".into())
        );
        assert_eq!(
            agg("Sum( bytes )"),
            (Agg::Sum("bytes".into()), "sum(bytes)".into())
        );
        assert_eq!(agg("max(a.b)").0, Agg::Max("a.b".into()));
        assert_eq!(parse(" host ").unwrap(), Item::Bare("host".into()));
    }

    #[test]
    fn rejects_bad_items() {
        for (item, message) in [
            ("", "is empty"),
            ("median(x)", "unknown function \"median\""),
            ("sum()", "sum() needs a field name"),
            ("avg(*)", "avg() needs a field name"),
            ("sum(bytes", "must end with `)`"),
            ("sum((bytes))", "nested"),
            ("bytes)", "without a `(`"),
        ] {
            let e = parse(item).unwrap_err();
            assert!(e.contains(message), "{item}: {e}");
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(number(b" 12 "), Some(12.0));
        assert_eq!(number(b"-0.5"), Some(-0.5));
        assert_eq!(number(b"1e3"), Some(1000.0));
        for not in [&b""[..], b"-", b"12ms", b"inf", b"NaN", b"1,5", b"\xff1"] {
            assert_eq!(number(not), None, "{not:?}");
        }
    }
}
