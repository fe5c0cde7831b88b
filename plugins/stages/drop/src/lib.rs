//! `drop`: drops the lines that meet every given condition, as Loki's `drop` stage does.
//!
//! Configuration (at least one condition):
//!
//! | key | meaning |
//! |---|---|
//! | `expression` | a regex (Rust `regex` syntax, on bytes) the line, or the `source` value, must match. |
//! | `source` | a field name, or a list of names whose values are joined with `separator`. With `value` the joined value must equal it; with `expression` it must match; alone, the line must have every listed field. A line lacking one of them does not meet the condition. |
//! | `separator` | what joins the values of a list of sources. By default, `;`. |
//! | `value` | the exact value `source` must have (not together with `expression`). |
//! | `longer_than` | a size in bytes (`1000`, `"8KiB"`): the line must be longer. |
//! | `older_than` | a duration (`"24h"`): the line's timestamp must be older than now minus this. A line without a timestamp does not meet it. |
//! | `greater_than`, `less_than` | a number (`1000`), a duration (`"500ms"`) or a size (`"4KB"`): the value of the one `source` field, read the same way, must be above (below) it. A value of another dimension, or not a quantity, does not meet it (see `bounds.rs`). |
//! | `drop_counter_reason` | the `reason` label of the count in the report. By default, `drop_stage`. |
//! | `report` | where the count of dropped lines goes at end of stream (host-handled). By default, no report. |
//!
//! Several conditions must all hold (an AND, as in Loki); for an OR, chain several `drop`
//! stages.
//!
//! # Over-long lines
//!
//! The stage is not boundary-safe: a line longer than the host's maximum arrives in pieces.
//! The first piece decides for the whole line: `expression` is matched against its bytes,
//! `longer_than` holds when the piece alone is longer (the line is longer still), and fields and
//! the timestamp are those the first piece carries (a line's fields belong to its last piece, so
//! usually none: such a condition does not hold and the line is kept).

mod bounds;
mod conditions;

use conditions::Conditions;
use sluice_plugin_sdk::{
    Batch, BatchOutput, Config, ConfigError, ConfigKey, Line, LongLine, Output, Plugin, Trailing,
    clock, export_plugin,
};

/// A drop stage.
pub struct Drop {
    conditions: Conditions,
    /// The `reason` label of the report.
    reason: String,
    /// Whether the user asked for a report (its `report` key).
    report: bool,
    /// Lines dropped so far (an over-long line counts once).
    dropped: u64,
    /// While the pieces of an over-long line arrive: whether its first piece was dropped.
    long_line: LongLine<bool>,
}

impl Drop {
    /// Drops or keeps `line`, whose batch was read at `now` (when `older_than` needs it).
    #[inline]
    fn handle(&mut self, line: &Line<'_>, now: i64, out: &mut Output<'_>) {
        let drop = self.long_line.decide(line, || {
            let drop = self.conditions.hold(line, now);
            self.dropped += u64::from(drop);
            drop
        });
        if !drop {
            out.keep();
        }
    }

    /// The report: the count of dropped lines, as a Prometheus sample named after Loki's
    /// `logentry_dropped_lines_total`.
    fn report_text(&self) -> String {
        let reason = self
            .reason
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n");
        format!(
            "dropped_lines_total{{reason=\"{reason}\"}} {}\n",
            self.dropped
        )
    }
}

impl Plugin for Drop {
    const STATE: sluice_plugin_sdk::State = sluice_plugin_sdk::State::None;
    const NAME: &'static str = "drop";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const SUMMARY: &'static str = "Drop lines matching every condition: regex, field value, number/duration/size bound, length, age";
    const CONFIG_KEYS: &'static [ConfigKey] = &[
        ConfigKey::new(
            "expression",
            "string",
            "A regex the line (or the source value) must match.",
        ),
        ConfigKey::new(
            "source",
            "string or list of strings",
            "Field(s) to test instead of the line; alone, drops lines that have them.",
        ),
        ConfigKey::new(
            "separator",
            "string",
            "Joins the values of a list of sources.",
        )
        .default("\";\""),
        ConfigKey::new(
            "value",
            "string",
            "The exact value the source must have (not with expression).",
        ),
        ConfigKey::new(
            "longer_than",
            "integer or size",
            "Drop lines longer than this many bytes (\"8KiB\" works).",
        ),
        ConfigKey::new(
            "older_than",
            "duration",
            "Drop lines whose timestamp is older than now minus this (\"24h\").",
        ),
        ConfigKey::new(
            "greater_than",
            "number, duration or size",
            "Drop lines whose source value is above this (1000, \"500ms\", \"4KB\").",
        ),
        ConfigKey::new(
            "less_than",
            "number, duration or size",
            "Drop lines whose source value is below this (1000, \"500ms\", \"4KB\").",
        ),
        ConfigKey::new(
            "drop_counter_reason",
            "string",
            "The reason label of the dropped-lines count in the report.",
        )
        .default("\"drop_stage\""),
        ConfigKey::REPORT_ON_REQUEST,
    ];

    fn new(config: Config) -> Result<Self, ConfigError> {
        let conditions = Conditions::new(&config)?;
        let reason = config
            .str("drop_counter_reason")?
            .unwrap_or("drop_stage")
            .to_owned();
        // The host takes `report` out of the configuration and grants it; the test harness
        // leaves it in. Either way it means the user asked.
        let report = config.report().is_some() || config.str("report")?.is_some();
        Ok(Drop {
            conditions,
            reason,
            report,
            dropped: 0,
            long_line: LongLine::new(),
        })
    }

    fn process(&mut self, line: &Line<'_>, out: &mut Output<'_>) {
        let now = self.conditions.needs_clock().then(clock::now).unwrap_or(0);
        self.handle(line, now, out);
    }

    /// Reads the clock once per batch (when `older_than` needs it), not once per line.
    fn process_batch(&mut self, batch: &Batch<'_>, out: &mut BatchOutput) -> Result<(), String> {
        let now = self.conditions.needs_clock().then(clock::now).unwrap_or(0);
        for line in batch.lines() {
            self.handle(&line, now, &mut out.line(&line));
        }
        Ok(())
    }

    fn reach(&self) -> sluice_plugin_sdk::Reach {
        sluice_plugin_sdk::Reach::of(Self::STATE).tallying()
    }

    fn tally(&mut self) -> Vec<u8> {
        sluice_plugin_sdk::tally::encode(&[std::mem::take(&mut self.dropped)])
    }

    fn absorb(&mut self, tally: &[u8]) -> Result<(), String> {
        sluice_plugin_sdk::tally::add(tally, &mut [&mut self.dropped])
    }

    fn finish(&mut self, out: &mut Trailing) -> Result<(), String> {
        if self.report {
            out.report(self.report_text().into_bytes());
        }
        Ok(())
    }
}

export_plugin!(Drop);

#[cfg(test)]
mod tests;
