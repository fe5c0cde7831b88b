//! The metric definitions under the `metrics` key, checked once when the stage is created.
//!
//! Each entry is `name → {type, …}` as in Promtail's `metrics` stage; the keys Promtail keeps
//! in a nested `config` object may be written there or directly in the definition. An error
//! is reported against the `metrics` key and names the metric and its key:
//! `metric "errors_total": key "action": unknown value "push"; expected one of: inc, add`.

use crate::names::{check_prefix, is_metric_name, parse_labels};
use serde_json::{Map, Value};
use sluice_plugin_sdk::{Config, ConfigError};

/// One metric to maintain.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Metric {
    /// The full name: prefix and key.
    pub(crate) name: String,
    pub(crate) help: Option<String>,
    /// The field read; `None` for a counter (or gauge `inc`/`dec`) of every line.
    pub(crate) source: Option<String>,
    /// Only lines whose source field holds exactly this value update the metric.
    pub(crate) value: Option<Vec<u8>>,
    pub(crate) labels: Vec<Label>,
    pub(crate) kind: Kind,
}

/// A Prometheus label and the field whose value it takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Label {
    pub(crate) name: String,
    pub(crate) field: String,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Kind {
    Counter(CounterAction),
    Gauge(GaugeAction),
    /// The upper bounds of the buckets, finite and strictly increasing (`+Inf` is implied).
    Histogram(Vec<f64>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CounterAction {
    /// +1 per line.
    Inc,
    /// + the source field's value.
    Add,
    /// + the line's length in bytes.
    AddBytes,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GaugeAction {
    Set,
    Inc,
    Dec,
    Add,
    Sub,
}

/// The keys of one metric's definition.
const KEYS: &[&str] = &[
    "type",
    "description",
    "source",
    "value",
    "action",
    "buckets",
    "match_all",
    "count_entry_bytes",
    "labels",
    "prefix",
];

/// Parses the `metrics` object; the metrics come sorted by full name.
pub(crate) fn parse(
    metrics: Option<&Value>,
    prefix: &str,
    labels: &[Label],
) -> Result<Vec<Metric>, ConfigError> {
    let example = r#"such as {"lines_total": {"type": "counter"}}"#;
    let map = match metrics {
        Some(Value::Object(map)) if !map.is_empty() => map,
        Some(Value::Object(_)) => {
            return Err(ConfigError::new(
                "metrics",
                format!("is empty; define at least one metric, {example}"),
            ));
        }
        Some(_) => {
            return Err(ConfigError::new(
                "metrics",
                format!("expected an object of metric definitions, {example}"),
            ));
        }
        None => {
            return Err(ConfigError::new(
                "metrics",
                format!("is required: an object of metric definitions, {example}"),
            ));
        }
    };
    let mut out = Vec::with_capacity(map.len());
    for (key, definition) in map {
        let metric = parse_metric(key, definition, prefix, labels)
            .map_err(|e| ConfigError::new("metrics", format!("metric {key:?}: {e}")))?;
        out.push(metric);
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    check_names(&out)?;
    Ok(out)
}

/// Parses one definition; errors name a key of the definition (the caller adds the metric).
fn parse_metric(
    key: &str,
    definition: &Value,
    prefix: &str,
    labels: &[Label],
) -> Result<Metric, ConfigError> {
    let Value::Object(object) = definition else {
        return Err(ConfigError::general(
            r#"expected an object such as {"type": "counter"}"#,
        ));
    };
    let c = Config::parse(&Value::Object(flatten(object)?).to_string())?;
    c.deny_unknown(KEYS)?;

    let prefix = match c.str("prefix")? {
        Some(p) => {
            check_prefix(p).map_err(|e| ConfigError::new("prefix", e))?;
            p
        }
        None => prefix,
    };
    let name = format!("{prefix}{key}");
    if !is_metric_name(&name) {
        return Err(ConfigError::general(format!(
            "{name:?} is not a valid Prometheus metric name: use letters, digits, `_` and \
             `:`, not starting with a digit"
        )));
    }
    let kind_name = c.required_str("type")?.to_ascii_lowercase();
    let source = c.str("source")?.map(str::to_owned);
    let value = c.str("value")?.map(|v| v.as_bytes().to_vec());
    if value.is_some() && source.is_none() {
        return Err(ConfigError::new(
            "value",
            "filters on the source field's value; set \"source\" too",
        ));
    }
    if c.bool("match_all")? == Some(true) && (source.is_some() || value.is_some()) {
        return Err(ConfigError::new(
            "match_all",
            "counts every line, so \"source\" and \"value\" do not apply; remove one or the other",
        ));
    }
    let entry_bytes = c.bool("count_entry_bytes")?.unwrap_or(false);
    let not_for =
        |key: &str, kinds: &str| ConfigError::new(key, format!("only applies to {kinds}"));
    if c.contains("buckets") && kind_name != "histogram" {
        return Err(not_for("buckets", "histograms"));
    }
    if entry_bytes && kind_name != "counter" {
        return Err(not_for("count_entry_bytes", "counters"));
    }
    let needs_source = |action: &str| {
        if source.is_none() {
            Err(ConfigError::new(
                "source",
                format!("is required for {action}: the field whose number is used"),
            ))
        } else {
            Ok(())
        }
    };

    let kind = match kind_name.as_str() {
        "counter" => match (c.one_of("action", &["inc", "add"])?, entry_bytes) {
            (Some("add") | None, true) => {
                if source.is_some() {
                    return Err(ConfigError::new(
                        "count_entry_bytes",
                        "adds each line's length, so \"source\" does not apply",
                    ));
                }
                Kind::Counter(CounterAction::AddBytes)
            }
            (Some(_), true) => {
                return Err(ConfigError::new(
                    "count_entry_bytes",
                    "adds each line's length: use it with \"action\": \"add\"",
                ));
            }
            (Some("add"), false) => {
                needs_source("a counter's add")?;
                Kind::Counter(CounterAction::Add)
            }
            _ => Kind::Counter(CounterAction::Inc),
        },
        "gauge" => {
            let action = match c.one_of("action", &["set", "inc", "dec", "add", "sub"])? {
                None | Some("set") => GaugeAction::Set,
                Some("inc") => GaugeAction::Inc,
                Some("dec") => GaugeAction::Dec,
                Some("add") => GaugeAction::Add,
                Some(_) => GaugeAction::Sub,
            };
            if matches!(
                action,
                GaugeAction::Set | GaugeAction::Add | GaugeAction::Sub
            ) {
                needs_source("a gauge's set, add and sub")?;
            }
            Kind::Gauge(action)
        }
        "histogram" => {
            if c.contains("action") {
                return Err(not_for("action", "counters and gauges"));
            }
            needs_source("a histogram")?;
            Kind::Histogram(buckets(c.raw("buckets"))?)
        }
        other => {
            return Err(ConfigError::new(
                "type",
                format!("unknown type {other:?}; expected counter, gauge or histogram"),
            ));
        }
    };

    let labels = match c.raw("labels") {
        Some(raw) => parse_labels(&c, raw)?,
        None => labels.to_vec(),
    };
    if matches!(kind, Kind::Histogram(_)) && labels.iter().any(|l| l.name == "le") {
        return Err(ConfigError::new(
            "labels",
            "\"le\" is reserved for a histogram's buckets; name the label otherwise",
        ));
    }
    Ok(Metric {
        name,
        help: c.str("description")?.map(str::to_owned),
        source,
        value,
        labels,
        kind,
    })
}

/// The definition with the keys of a nested `config` object (Promtail's layout) moved up.
fn flatten(object: &Map<String, Value>) -> Result<Map<String, Value>, ConfigError> {
    let mut flat = object.clone();
    match flat.remove("config") {
        None => {}
        Some(Value::Object(nested)) => {
            for (k, v) in nested {
                if flat.contains_key(&k) {
                    return Err(ConfigError::new(
                        k,
                        "is given twice, directly and under \"config\"; keep one",
                    ));
                }
                flat.insert(k, v);
            }
        }
        Some(_) => {
            return Err(ConfigError::new(
                "config",
                "expected an object (Promtail's config block)",
            ));
        }
    }
    Ok(flat)
}

/// A histogram's `buckets`: a non-empty list of finite, strictly increasing numbers.
fn buckets(raw: Option<&Value>) -> Result<Vec<f64>, ConfigError> {
    let bad = |what: &str| ConfigError::new("buckets", what);
    let Some(Value::Array(items)) = raw else {
        return Err(bad(
            "is required for a histogram: a list of upper bounds such as [0.1, 0.5, 1]",
        ));
    };
    if items.is_empty() {
        return Err(bad("is empty; list at least one upper bound"));
    }
    let mut bounds = Vec::with_capacity(items.len());
    for item in items {
        let Some(bound) = item.as_f64() else {
            return Err(bad(&format!("expected numbers, got {item}")));
        };
        if bounds.last().is_some_and(|&last| bound <= last) {
            return Err(bad("must be in strictly increasing order"));
        }
        bounds.push(bound);
    }
    Ok(bounds)
}

/// Whether no two metrics share a name, counting a histogram's `_bucket`, `_sum`, `_count`
/// series and the stage's own metrics.
fn check_names(metrics: &[Metric]) -> Result<(), ConfigError> {
    let mut taken: Vec<(String, &str)> = crate::expo::OWN_METRICS
        .iter()
        .map(|n| (n.to_string(), "one of the stage's own metrics"))
        .collect();
    for metric in metrics {
        let mut names = vec![metric.name.clone()];
        if matches!(metric.kind, Kind::Histogram(_)) {
            for suffix in ["_bucket", "_sum", "_count"] {
                names.push(format!("{}{suffix}", metric.name));
            }
        }
        for name in names {
            if let Some((_, owner)) = taken.iter().find(|(n, _)| *n == name) {
                return Err(ConfigError::new(
                    "metrics",
                    format!("the name {name:?} is used twice (by {owner}); rename one"),
                ));
            }
            taken.push((name, &metric.name));
        }
    }
    Ok(())
}
