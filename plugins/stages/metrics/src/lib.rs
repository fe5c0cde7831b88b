//! `metrics`: counters, gauges and histograms computed from lines and their fields, written
//! in the Prometheus text exposition format as the stage's report: Promtail's `metrics` stage,
//! for a command line.
//!
//! ```text
//! {"metrics": {"http_requests_total": {"type": "counter"},
//!              "http_response_bytes": {"type": "histogram", "source": "bytes",
//!                                      "buckets": [1000, 10000]}},
//!  "labels": ["status"], "report": "/var/lib/node_exporter/textfile/app.prom"}
//!
//! # TYPE sluice_http_requests_total counter
//! sluice_http_requests_total{status="200"} 3
//! # TYPE sluice_http_response_bytes histogram
//! sluice_http_response_bytes_bucket{status="200",le="1000"} 1
//! …
//! ```
//!
//! Lines pass through unchanged (no copy). At end of stream, and with `interval` also
//! periodically, the stage hands the host the whole exposition as a report, which the host
//! writes where `report` says: standard error by default, or a file that each report replaces
//! whole (through a rename, so a reader never sees half of it), as node_exporter's textfile
//! collector wants.
//!
//! A tour:
//!
//! - `spec.rs` reads and checks the metric definitions (types, actions, buckets);
//! - `names.rs` checks names against Prometheus' rules and reads `labels`;
//! - `series.rs` keeps each metric's series and applies a line to them;
//! - `expo.rs` writes the exposition format;
//! - this file reads the top-level keys and handles time.
//!
//! A line updates a metric when it has the metric's `source` field (when the metric has one)
//! holding the metric's `value` (when it has one). Label values come from fields named by
//! `labels`; a missing field gives an empty value, and Prometheus treats an empty label as
//! absent. A value that is not a usable number is skipped and counted in the stage's own
//! metric `sluice_metrics_invalid_values_total`. The pieces of an over-long line count as one
//! line, with the fields of its last piece.

mod expo;
mod names;
mod series;
mod spec;

use series::Registry;
use sluice_plugin_sdk::{
    Batch, BatchOutput, Config, ConfigError, ConfigKey, Line, Output, Period, Plugin, Trailing,
    Wake, export_plugin,
};

/// The default cap on the number of series.
const DEFAULT_MAX_SERIES: u64 = 10_000;

/// A metrics stage.
pub struct Metrics {
    registry: Registry,
    /// When the next periodic report is due, with `interval`; dirty when a line arrived since
    /// the last report.
    period: Period,
    /// The bytes of the pieces of the over-long line being received, so far.
    pending_bytes: usize,
}

impl Metrics {
    /// Applies one line (or piece) to the metrics.
    #[inline]
    fn line(&mut self, line: &Line<'_>) {
        if line.is_partial() {
            // The line's fields are on its last piece: count it there, whole.
            self.pending_bytes += line.len();
            return;
        }
        let len = std::mem::take(&mut self.pending_bytes) + line.len();
        self.registry.observe(line, len);
        self.period.touch();
    }
}

impl Plugin for Metrics {
    const STATE: sluice_plugin_sdk::State = sluice_plugin_sdk::State::WholeStream;
    const NAME: &'static str = "metrics";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const SUMMARY: &'static str = "Count lines and fields into Prometheus counters, gauges, histograms (a text-format report)";
    const CONFIG_KEYS: &'static [ConfigKey] = &[
        ConfigKey::new(
            "metrics",
            "object",
            "Required. Metric name → {type: counter|gauge|histogram, description, source, \
             value, action, buckets, count_entry_bytes, labels, prefix}, as in Promtail.",
        ),
        ConfigKey::new(
            "prefix",
            "string",
            "Put before every metric's name (a metric's own prefix overrides it).",
        )
        .default("\"sluice_\""),
        ConfigKey::new(
            "labels",
            "list of strings or object",
            "Fields whose values become labels: a list of field names, or an object of \
             label name → field name. A metric's own labels override it.",
        )
        .default("[]"),
        ConfigKey::new(
            "max_series",
            "integer",
            "The most series (distinct label sets) over all metrics; updates of further \
             ones are dropped and counted.",
        )
        .default("10000"),
        ConfigKey::new(
            "interval",
            "duration",
            "Also report this often (such as \"15s\") while lines arrive, not only at the end.",
        ),
        ConfigKey::REPORT,
    ];

    fn new(config: Config) -> Result<Self, ConfigError> {
        let prefix = config.str("prefix")?.unwrap_or("sluice_");
        names::check_prefix(prefix).map_err(|e| ConfigError::new("prefix", e))?;
        let labels = match config.raw("labels") {
            Some(raw) => names::parse_labels(&config, raw)?,
            None => Vec::new(),
        };
        let metrics = spec::parse(config.raw("metrics"), prefix, &labels)?;
        let max_series = match config.u64("max_series")?.unwrap_or(DEFAULT_MAX_SERIES) {
            0 => return Err(ConfigError::new("max_series", "must be at least 1")),
            n => usize::try_from(n).unwrap_or(usize::MAX),
        };
        let interval = config.duration("interval")?;
        if interval.is_some_and(|d| d.is_zero()) {
            return Err(ConfigError::new(
                "interval",
                "must be longer than zero, such as \"15s\"",
            ));
        }
        Ok(Metrics {
            registry: Registry::new(metrics, max_series),
            period: Period::new(interval),
            pending_bytes: 0,
        })
    }

    fn process(&mut self, line: &Line<'_>, out: &mut Output<'_>) {
        self.line(line);
        out.keep();
    }

    fn process_batch(&mut self, batch: &Batch<'_>, out: &mut BatchOutput) -> Result<(), String> {
        out.keep_all(batch);
        for line in batch.lines() {
            self.line(&line);
        }
        self.period.arm();
        Ok(())
    }

    fn wake(&self) -> Option<Wake> {
        // The time left, not the whole interval: reports come out on time under load too.
        self.period.wake()
    }

    fn tick(&mut self, out: &mut Trailing) -> Result<(), String> {
        if self.period.tick() {
            out.report(expo::write(&self.registry));
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut Trailing) -> Result<(), String> {
        out.report(expo::write(&self.registry));
        Ok(())
    }
}

export_plugin!(Metrics);

#[cfg(test)]
mod tests;
