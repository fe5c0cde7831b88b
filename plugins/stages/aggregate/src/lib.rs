//! `aggregate`: counts, sums, averages and extremes of fields per group of lines, printed as a
//! table (or JSON lines) at the end of the stream and, optionally, every interval: dtail's map
//! mode (`select count(...) ... group by ...`) as a stage.
//!
//! ```text
//! {"group_by": ["status"], "select": ["count", "sum(bytes)", "avg(latency_ms)"]}
//!
//!  status | count | sum(bytes) | avg(latency_ms)
//! --------|-------|------------|----------------
//!     200 |     3 |       6978 |       12.333333
//!     404 |     1 |        153 |               3
//! ```
//!
//! The values come from fields that earlier stages extracted (`regex`, `logfmt`, `json`). By
//! default the input lines are dropped and only the table comes out; with `pass` they flow on
//! and the table follows them. The table's lines are *trailing* lines: they go on through the
//! stages after this one, with each row's values also set as fields (under the column names).
//!
//! A tour:
//!
//! - `select.rs` parses the `select` items and keeps one accumulator per item and group;
//! - `groups.rs` finds a line's group by its `group_by` values, within `max_groups`;
//! - `render.rs` sorts the groups and writes the table or the JSON lines;
//! - this file reads the configuration and handles time: with `interval`, the table is
//!   printed at most once per interval, when lines arrived since the last one.
//!
//! Decisions where dtail is silent or differs: a line that lacks a `group_by` field is
//! aggregated in the group where that field is *missing* (shown as `-` or `null`, sorted
//! last), as SQL groups NULLs; `avg` divides by the number of numeric values, not of lines;
//! values that are not numbers are skipped and counted, and the counts are reported (to
//! standard error by default) at the end. With `interval`, the aggregates keep accumulating
//! across intervals as dtail's do, unless `reset` is set.

mod config;
mod groups;
mod render;
mod select;

use groups::Groups;
use render::{Layout, Source};
use sluice_plugin_sdk::{
    Batch, BatchOutput, Config, ConfigError, ConfigKey, Line, Output, Period, Plugin, Trailing,
    Wake, export_plugin,
};

/// The default cap on the number of groups.
pub(crate) const DEFAULT_MAX_GROUPS: u64 = 10_000;

/// An aggregate stage.
pub struct Aggregate {
    groups: Groups,
    layout: Layout,
    /// Whether input lines pass through.
    pass: bool,
    /// When the next table is due, with `interval`; dirty when a line was aggregated since
    /// the last table.
    period: Period,
    /// Forget the groups after each interval's table.
    reset: bool,
    /// Whether an interval's table was printed.
    printed: bool,
}

impl Aggregate {
    /// Pushes the current table (or JSON lines) to `out`.
    fn print(&self, out: &mut Trailing) {
        for line in self.layout.render(&self.groups) {
            out.push(&line.bytes);
            out.set_fields(line.fields.iter());
        }
    }

    /// What was skipped over the run, on one line; `None` when nothing was.
    fn summary(&self) -> Option<String> {
        let mut parts = Vec::new();
        let names = self.layout.columns.iter().filter_map(|c| match c.source {
            Source::Agg(j) => Some((j, &c.name)),
            Source::Group(_) => None,
        });
        for (j, name) in names {
            let n = self.groups.skipped[j];
            let m = self.groups.mismatched[j];
            const OTHER: &str = "of another dimension than their group's first value (a number, \
                                 a duration or a size)";
            match (n, m) {
                (0, 0) => {}
                (n, 0) => parts.push(format!(
                    "{name}: skipped {n} value(s) that were not numbers"
                )),
                (0, m) => parts.push(format!("{name}: skipped {m} value(s) {OTHER}")),
                (n, m) => parts.push(format!(
                    "{name}: skipped {n} value(s) that were not numbers and {m} {OTHER}"
                )),
            }
        }
        if self.groups.overflow > 0 {
            parts.push(format!(
                "{} line(s) of groups beyond max_groups were not aggregated",
                self.groups.overflow
            ));
        }
        (!parts.is_empty()).then(|| format!("{}\n", parts.join("; ")))
    }
}

impl Plugin for Aggregate {
    const STATE: sluice_plugin_sdk::State = sluice_plugin_sdk::State::WholeStream;
    const NAME: &'static str = "aggregate";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const SUMMARY: &'static str =
        "Count, sum, average fields per group (dtail's map mode); print a table at the end";
    const CONFIG_KEYS: &'static [ConfigKey] = &[
        ConfigKey::new(
            "group_by",
            "string or list of strings",
            "The fields whose values make a group; none: one group of all lines.",
        )
        .default("[]"),
        ConfigKey::new(
            "select",
            "string or list of strings",
            "The columns: count, count(f), sum(f), avg(f), min(f), max(f), last(f), or a \
             group_by field's name to place its column; a string is split at commas.",
        )
        .default("[\"count\"]"),
        ConfigKey::new(
            "format",
            "string",
            "table (aligned columns under a header) or json (one object per group per line).",
        )
        .default("\"table\""),
        ConfigKey::new(
            "order_by",
            "string",
            "Sort the rows by this column (a select item or group_by field) rather than by \
             the group_by values.",
        ),
        ConfigKey::new(
            "order",
            "string",
            "desc (largest first, as dtail's `order by`) or asc; needs order_by.",
        )
        .default("\"desc\""),
        ConfigKey::new("limit", "integer", "Print at most this many rows."),
        ConfigKey::new(
            "interval",
            "duration",
            "Also print the table this often (such as \"10s\") while lines arrive.",
        ),
        ConfigKey::new(
            "reset",
            "bool",
            "Start the aggregates afresh after each interval's table; needs interval.",
        )
        .default("false"),
        ConfigKey::new(
            "pass",
            "bool",
            "Let the input lines through (the table follows them) instead of dropping them.",
        )
        .default("false"),
        ConfigKey::new(
            "max_groups",
            "integer",
            "The most groups held; lines of further groups are counted, not aggregated.",
        )
        .default("10000"),
        ConfigKey::REPORT,
    ];

    fn new(config: Config) -> Result<Self, ConfigError> {
        let settings = config::parse(&config)?;
        Ok(Aggregate {
            groups: settings.groups,
            layout: settings.layout,
            pass: settings.pass,
            period: Period::new(settings.interval),
            reset: settings.reset,
            printed: false,
        })
    }

    fn process(&mut self, line: &Line<'_>, out: &mut Output<'_>) {
        // `process_batch` does the work; this serves callers of the per-line API.
        if !line.is_partial() {
            self.groups.add(line);
            self.period.touch();
        }
        if self.pass {
            out.keep();
        }
    }

    fn process_batch(&mut self, batch: &Batch<'_>, out: &mut BatchOutput) -> Result<(), String> {
        if self.pass {
            out.keep_all(batch);
        }
        // A line's fields are on its last piece: aggregate each line once, there.
        for line in batch.lines().filter(|line| !line.is_partial()) {
            self.groups.add(&line);
            self.period.touch();
        }
        self.period.arm();
        Ok(())
    }

    fn wake(&self) -> Option<Wake> {
        // The time left, not the whole interval: the table comes out on time under load too.
        self.period.wake()
    }

    fn tick(&mut self, out: &mut Trailing) -> Result<(), String> {
        if self.period.tick() {
            self.print(out);
            self.printed = true;
            if self.reset {
                self.groups.clear();
            }
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut Trailing) -> Result<(), String> {
        // With `reset`, a table of nothing new since the last interval's would be empty.
        if !(self.reset && self.printed && !self.period.is_dirty()) {
            self.print(out);
        }
        if let Some(summary) = self.summary() {
            out.report(summary.into_bytes());
        }
        Ok(())
    }
}

export_plugin!(Aggregate);

#[cfg(test)]
mod tests;
