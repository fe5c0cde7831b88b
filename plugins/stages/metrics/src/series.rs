//! The state of every metric: one series per distinct set of label values, updated by lines.
//!
//! A line's series is found by its *key*, the label values encoded in a reusable buffer (each
//! value's length, then its bytes), so a line of a known series costs no allocation. All
//! metrics together hold at most `max_series` series; an update that would create one more is
//! dropped and counted. A metric without labels has its one series from the start, at zero,
//! as a Prometheus client library's plain (not vector) metrics do.

use crate::spec::{CounterAction, GaugeAction, Kind, Metric};
use sluice_plugin_sdk::Line;
use sluice_plugin_sdk::quantity::Quantity;
use std::collections::BTreeMap;

/// One series' value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum State {
    /// A counter's or gauge's value.
    Value(f64),
    /// A histogram: per bucket (the last one is `+Inf`) the observations that fell in it (not
    /// cumulative), their sum and count.
    Histogram {
        counts: Vec<u64>,
        sum: f64,
        count: u64,
    },
}

/// One series: label values (in the metric's label order; empty when the line lacked the
/// field) and its value.
#[derive(Clone, Debug)]
pub(crate) struct Series {
    pub(crate) labels: Vec<Vec<u8>>,
    pub(crate) state: State,
}

/// A metric's definition and series.
///
/// Invariant: `index` maps the key of every series in `series` to its position.
#[derive(Debug)]
pub(crate) struct Family {
    pub(crate) metric: Metric,
    index: BTreeMap<Vec<u8>, usize>,
    pub(crate) series: Vec<Series>,
    /// Source values that were not usable numbers, over the run.
    pub(crate) invalid: u64,
    /// Updates dropped because `max_series` was reached, over the run.
    pub(crate) dropped: u64,
}

/// Every metric's state.
#[derive(Debug)]
pub(crate) struct Registry {
    pub(crate) families: Vec<Family>,
    /// Series held, over all families; at most `max_series` (beyond the unlabelled ones).
    held: usize,
    max_series: usize,
    /// The key of the line being handled (reused).
    key: Vec<u8>,
}

impl Registry {
    pub(crate) fn new(metrics: Vec<Metric>, max_series: usize) -> Registry {
        let mut held = 0;
        let families = metrics
            .into_iter()
            .map(|metric| {
                let mut family = Family {
                    index: BTreeMap::new(),
                    series: Vec::new(),
                    invalid: 0,
                    dropped: 0,
                    metric,
                };
                if family.metric.labels.is_empty() {
                    family.index.insert(Vec::new(), 0);
                    family.series.push(Series {
                        labels: Vec::new(),
                        state: zero(&family.metric.kind),
                    });
                    held += 1;
                }
                family
            })
            .collect();
        Registry {
            families,
            held,
            max_series: max_series.max(held),
            key: Vec::new(),
        }
    }

    /// Updates every metric with a complete line of `len` bytes (all its pieces).
    #[inline]
    pub(crate) fn observe(&mut self, line: &Line<'_>, len: usize) {
        for family in &mut self.families {
            let metric = &family.metric;
            let field = match &metric.source {
                Some(source) => match line.field(source) {
                    Some(value) => Some(value),
                    None => continue,
                },
                None => None,
            };
            if let Some(want) = &metric.value
                && field != Some(want.as_slice())
            {
                continue;
            }
            let amount = match metric.kind {
                Kind::Counter(CounterAction::Inc) | Kind::Gauge(GaugeAction::Inc) => 1.0,
                Kind::Gauge(GaugeAction::Dec) => -1.0,
                Kind::Counter(CounterAction::AddBytes) => len as f64,
                _ => match field.and_then(number) {
                    // A counter only goes up.
                    Some(x) if x < 0.0 && metric.kind == Kind::Counter(CounterAction::Add) => {
                        family.invalid += 1;
                        continue;
                    }
                    Some(x) => x,
                    None => {
                        family.invalid += 1;
                        continue;
                    }
                },
            };

            // Find (or make) the series.
            self.key.clear();
            for label in &metric.labels {
                let value = line.field(&label.field).unwrap_or_default();
                self.key
                    .extend_from_slice(&(value.len() as u32).to_le_bytes());
                self.key.extend_from_slice(value);
            }
            let i = match family.index.get(self.key.as_slice()) {
                Some(&i) => i,
                None if self.held >= self.max_series => {
                    family.dropped += 1;
                    continue;
                }
                None => {
                    let labels = metric
                        .labels
                        .iter()
                        .map(|l| line.field(&l.field).unwrap_or_default().to_vec())
                        .collect();
                    family.series.push(Series {
                        labels,
                        state: zero(&metric.kind),
                    });
                    family
                        .index
                        .insert(self.key.clone(), family.series.len() - 1);
                    self.held += 1;
                    family.series.len() - 1
                }
            };

            match (&metric.kind, &mut family.series[i].state) {
                (Kind::Gauge(GaugeAction::Set), State::Value(v)) => *v = amount,
                (Kind::Gauge(GaugeAction::Sub), State::Value(v)) => *v -= amount,
                (_, State::Value(v)) => *v += amount,
                (Kind::Histogram(bounds), State::Histogram { counts, sum, count }) => {
                    // The first bucket whose upper bound is at least the value (`le`).
                    counts[bounds.partition_point(|&b| b < amount)] += 1;
                    *sum += amount;
                    *count += 1;
                }
                (_, State::Histogram { .. }) => {}
            }
        }
    }
}

/// A new series' value.
fn zero(kind: &Kind) -> State {
    match kind {
        Kind::Histogram(bounds) => State::Histogram {
            counts: vec![0; bounds.len() + 1],
            sum: 0.0,
            count: 0,
        },
        _ => State::Value(0.0),
    }
}

/// A field's value as a number, as Promtail reads them, by the SDK's [`Quantity`] rule shared
/// with `aggregate` and `drop`: a decimal number (`12`, `-0.5`, `1e3`), a duration in seconds
/// (`250ms` → 0.25, `1m30s` → 90), a size in bytes (`4KB` → 4000, `1KiB` → 1024); and
/// `true`/`false` (1/0). Spaces around it are ignored. `None` for anything else, and for
/// infinities and NaN.
pub(crate) fn number(bytes: &[u8]) -> Option<f64> {
    match bytes.trim_ascii() {
        b"true" => Some(1.0),
        b"false" => Some(0.0),
        _ => Quantity::parse(bytes).map(|q| q.amount),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(number(b" 42 "), Some(42.0));
        assert_eq!(number(b"-0.5"), Some(-0.5));
        assert_eq!(number(b"1e3"), Some(1000.0));
        assert_eq!(number(b"250ms"), Some(0.25));
        assert_eq!(number(b"1m30s"), Some(90.0));
        assert_eq!(number(b"true"), Some(1.0));
        assert_eq!(number(b"false"), Some(0.0));
        assert_eq!(number(b"12kb"), Some(12000.0));
        assert_eq!(number(b"1KiB"), Some(1024.0));
        assert_eq!(number(b"5 s"), Some(5.0));
        for not in [&b""[..], b"-", b"abc", b"inf", b"NaN", b"\xff", b"5 apples"] {
            assert_eq!(number(not), None, "{}", String::from_utf8_lossy(not));
        }
    }
}
