//! What Prometheus accepts as names: metric names, label names, prefixes; and the `labels`
//! key, which maps fields to labels.

use crate::spec::Label;
use serde_json::Value;
use sluice_plugin_sdk::{Config, ConfigError};

/// Parses `labels`: a list of field names (each used as its label's name) or an object of
/// label name → field name. Errors name `labels`.
pub(crate) fn parse_labels(config: &Config, raw: &Value) -> Result<Vec<Label>, ConfigError> {
    let pairs: Vec<(String, String)> = match raw {
        Value::Object(_) => config
            .string_map("labels")?
            .unwrap_or_default()
            .into_iter()
            .map(|(l, f)| (l.to_owned(), f.to_owned()))
            .collect(),
        _ => config
            .strings("labels")?
            .unwrap_or_default()
            .into_iter()
            .map(|f| (f.to_owned(), f.to_owned()))
            .collect(),
    };
    let mut pairs = pairs;
    if raw.is_object() {
        // JSON objects are unordered: give the labels a fixed order, by name.
        pairs.sort();
    }
    let mut labels: Vec<Label> = Vec::with_capacity(pairs.len());
    for (name, field) in pairs {
        if !is_label_name(&name) {
            return Err(ConfigError::new(
                "labels",
                format!(
                    "{name:?} is not a valid Prometheus label name (letters, digits and `_`, \
                     not starting with a digit or `__`); map it to a valid name with an \
                     object such as {{\"status_code\": {name:?}}}"
                ),
            ));
        }
        if labels.iter().any(|l| l.name == name) {
            return Err(ConfigError::new(
                "labels",
                format!("names the label {name:?} twice"),
            ));
        }
        labels.push(Label { name, field });
    }
    Ok(labels)
}

/// Checks a prefix: the start of a valid metric name, possibly empty.
pub(crate) fn check_prefix(prefix: &str) -> Result<(), String> {
    if prefix.is_empty() || is_metric_name(prefix) {
        Ok(())
    } else {
        Err(format!(
            "{prefix:?} cannot start a Prometheus metric name: use letters, digits, `_` and \
             `:`, not starting with a digit"
        ))
    }
}

/// `[a-zA-Z_:][a-zA-Z0-9_:]*`.
pub(crate) fn is_metric_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_' || b == b':')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':')
}

/// `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__` (reserved for Prometheus).
fn is_label_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    !name.starts_with("__")
        && bytes
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for good in ["a", "_a", "a:b_c9", "http_requests_total"] {
            assert!(is_metric_name(good), "{good}");
        }
        for bad in ["", "9a", "a-b", "a.b", "é"] {
            assert!(!is_metric_name(bad), "{bad}");
        }
        assert!(is_label_name("status_code"));
        for bad in ["__name__", "a:b", "1a", "", "a-b"] {
            assert!(!is_label_name(bad), "{bad}");
        }
    }
}
