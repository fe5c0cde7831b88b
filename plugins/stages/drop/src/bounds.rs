//! `greater_than` and `less_than`: the `source` field's value compared with a threshold, both
//! read as quantities by the SDK's [`Quantity`] rule (a number, a duration such as `918ms`, a
//! size such as `4KB`), so that `{"source": "duration", "greater_than": "1s"}` drops slow
//! requests whether the log wrote `1.5s` or `1500ms`.
//!
//! A value is compared only with a threshold of its dimension: a duration with a duration, a
//! size with a size, a plain number with a plain number (`latency_ms=1656` against `1000`). A
//! value of another dimension, or that is not a quantity at all, does not meet the condition
//! (the line is kept: nothing is dropped on a guess).

use sluice_plugin_sdk::quantity::{Dimension, Quantity};
use sluice_plugin_sdk::{Config, ConfigError};

/// The configured bounds; a value meets them when it is above `greater_than` and below
/// `less_than` (each when given), both of `dimension`.
#[derive(Debug)]
pub(crate) struct Bounds {
    greater_than: Option<f64>,
    less_than: Option<f64>,
    dimension: Dimension,
}

impl Bounds {
    /// Reads `greater_than` and `less_than`; `None` when neither is given. `sources` is the
    /// number of `source` fields configured: the bounds need exactly one.
    pub(crate) fn from_config(
        config: &Config,
        sources: usize,
    ) -> Result<Option<Bounds>, ConfigError> {
        let greater_than = threshold(config, "greater_than")?;
        let less_than = threshold(config, "less_than")?;
        let (key, dimension) = match (greater_than, less_than) {
            (None, None) => return Ok(None),
            (Some(q), _) => ("greater_than", q.dimension),
            (None, Some(q)) => ("less_than", q.dimension),
        };
        if sources != 1 {
            return Err(ConfigError::new(
                key,
                "compares one field's value: set \"source\" to the name of one field",
            ));
        }
        if let (Some(low), Some(high)) = (greater_than, less_than) {
            if low.dimension != high.dimension {
                return Err(ConfigError::new(
                    "less_than",
                    format!(
                        "is {}, but greater_than is {}: give both as numbers, both as \
                         durations or both as sizes",
                        what(high.dimension),
                        what(low.dimension)
                    ),
                ));
            }
            if low.amount >= high.amount {
                return Err(ConfigError::new(
                    "less_than",
                    "is not above greater_than, so no value lies between them and the \
                     condition never holds",
                ));
            }
        }
        Ok(Some(Bounds {
            greater_than: greater_than.map(|q| q.amount),
            less_than: less_than.map(|q| q.amount),
            dimension,
        }))
    }

    /// Whether `value` is a quantity of the bounds' dimension within them.
    pub(crate) fn hold(&self, value: &[u8]) -> bool {
        let Some(q) = Quantity::parse(value) else {
            return false;
        };
        q.dimension == self.dimension
            && self.greater_than.is_none_or(|low| q.amount > low)
            && self.less_than.is_none_or(|high| q.amount < high)
    }
}

/// A threshold: a JSON number, or a string that is a quantity.
fn threshold(config: &Config, key: &str) -> Result<Option<Quantity>, ConfigError> {
    let bad = |text: &str| {
        ConfigError::new(
            key,
            format!(
                "{text} is not a number, a duration or a size; write a number (1000), a \
                 duration (\"500ms\", \"1m30s\") or a size (\"4KB\", \"1MiB\")"
            ),
        )
    };
    match config.raw(key) {
        None => Ok(None),
        Some(serde_json::Value::Number(n)) => match n.as_f64().filter(|x| x.is_finite()) {
            Some(amount) => Ok(Some(Quantity {
                amount,
                dimension: Dimension::Number,
            })),
            None => Err(bad(&n.to_string())),
        },
        Some(serde_json::Value::String(text)) => Quantity::parse(text.as_bytes())
            .map(Some)
            .ok_or_else(|| bad(&format!("{text:?}"))),
        Some(other) => Err(bad(&other.to_string())),
    }
}

/// A dimension in a sentence.
fn what(dimension: Dimension) -> &'static str {
    match dimension {
        Dimension::Number => "a number",
        Dimension::Duration => "a duration",
        Dimension::Size => "a size",
    }
}
