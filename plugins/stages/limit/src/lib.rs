//! `limit`: rate-limits lines with a token bucket, as Promtail's `limit` stage does: lines over
//! the rate are delayed (by default) or dropped.
//!
//! A bucket holds up to `burst` tokens and gains `rate` tokens per second on the monotonic
//! clock; it starts full. Each line takes a token. With `by_field`, each value of that field
//! has its own bucket (Promtail's `by_label_name`), and lines without the field are not
//! limited.
//!
//! - **Delay** (`drop: false`): a line that finds no token waits, and so does every line after
//!   it, in order. The stage answers `wake(..).holding()`, so the host reads no more input
//!   until [`Plugin::tick`] has let the waiting lines out, as tokens come. This is
//!   back-pressure: the input is read at the rate.
//! - **Drop** (`drop: true`): a line that finds no token is dropped, and counted; at end of
//!   stream, if any were dropped, a report says how many.
//!
//! # A tour
//!
//! - [`Limit`] (here) decides each line and answers `wake`.
//! - `bucket.rs`: the buckets, kept as the generic cell rate algorithm keeps them (one
//!   timestamp each, integer nanoseconds).
//! - `queue.rs`: the lines waiting in delay mode, copied with their fields, timestamps,
//!   terminators and sources; they go out from `tick` (or `finish`) as they came in.
//!
//! # Bounds
//!
//! Since the host reads nothing while lines wait, at most one batch waits (plus lines that
//! stages before this one emit on their own meanwhile); `max_queue` caps it anyway: a line
//! arriving when it is full is dropped and counted in the report. At most `max_distinct`
//! buckets are kept: past that, the buckets that are full again are forgotten first (a new
//! bucket is the same), then those closest to full.
//!
//! # Over-long lines
//!
//! A line longer than the host's maximum arrives in pieces and takes one token, decided on its
//! first piece: in drop mode all its pieces pass or none. In delay mode it never waits (that
//! would hold a whole line in memory): lines waiting before it go out at once, it passes, and
//! its token is taken in advance, so the lines after it wait for it. With `by_field`, its
//! bucket is that of the field's value on its first piece, which usually has none (fields
//! belong to a line's last piece): such lines are then not limited.

mod bucket;
mod queue;
#[cfg(test)]
mod tests;

use bucket::{Buckets, Rate};
use queue::Queue;
use sluice_plugin_sdk::{
    Batch, BatchOutput, Config, ConfigError, ConfigKey, Line, LongLine, Plugin, Trailing, Wake,
    clock, export_plugin,
};
use std::collections::BTreeMap;
use std::time::Duration;

/// By default, the most buckets kept with `by_field` (Promtail's default).
const DEFAULT_MAX_DISTINCT: u64 = 10_000;

/// By default, the most lines waiting in delay mode.
const DEFAULT_MAX_QUEUE: u64 = 10_000;

/// A limit stage.
pub struct Limit {
    rate: Rate,
    /// The configured rate and burst, for the report.
    per_second: f64,
    burst: u64,
    /// Drop lines over the rate rather than delay them.
    drop: bool,
    buckets: Buckets,
    /// The lines waiting (delay mode).
    queue: Queue,
    max_queue: usize,
    /// While the pieces of an over-long line arrive: whether it passes.
    long_line: LongLine<bool>,
    /// Lines seen; the pieces of a line count once.
    lines: u64,
    /// Lines dropped over the rate (drop mode).
    dropped: u64,
    /// Lines dropped because `max_queue` lines were waiting (delay mode).
    overflowed: u64,
    /// The answer to `wake`: while lines wait, when the oldest may go.
    wake: Option<Wake>,
}

impl Limit {
    /// Drop mode: whether `line` passes (taking a token).
    fn take(&mut self, line: &Line<'_>, now: u64) -> bool {
        let rate = self.rate;
        self.buckets
            .of_line(line, now)
            .is_none_or(|bucket| bucket.take(&rate, now).is_ok())
    }

    /// Delay mode: passes `line` (read from `source`) or holds it back.
    fn delay(&mut self, line: &Line<'_>, source: &str, now: u64, out: &mut BatchOutput) {
        let rate = self.rate;
        if line.is_partial() {
            // The first piece of an over-long line: it never waits, nor do the lines before.
            let mut o = out.line(line);
            while let Some(held) = self.queue.pop_front() {
                if let Some(bucket) = self.buckets.of(|key| held.field(key), now) {
                    bucket.force(&rate, now);
                }
                held.emit_before(&mut o);
            }
            if let Some(bucket) = self.buckets.of_line(line, now) {
                bucket.force(&rate, now);
            }
            o.keep();
        } else if self.queue.is_empty() && self.take(line, now) {
            out.keep(line);
        } else if !self.queue.push(line, source) {
            self.overflowed += 1;
        }
    }

    /// Lets out the waiting lines that find a token, in order.
    fn release(&mut self, now: u64, out: &mut Trailing) {
        let rate = self.rate;
        while let Some(front) = self.queue.front() {
            let bucket = self.buckets.of(|key| front.field(key), now);
            if bucket.is_some_and(|bucket| bucket.take(&rate, now).is_err()) {
                break;
            }
            if let Some(held) = self.queue.pop_front() {
                held.push_to(out);
            }
        }
    }

    /// While lines wait: hold the input until the oldest one's token is there.
    fn next_wake(&mut self, now: u64) -> Option<Wake> {
        let front = self.queue.front()?;
        let rate = self.rate;
        let wait = self
            .buckets
            .of(|key| front.field(key), now)
            .map_or(0, |bucket| bucket.wait(&rate, now));
        Some(Wake::after(Duration::from_nanos(wait.max(1))).holding())
    }

    /// The report at end of stream, when lines were dropped.
    fn report(&self) -> Option<Vec<u8>> {
        let per = match &self.buckets {
            Buckets::One(_) => String::new(),
            Buckets::ByField { field, .. } => format!(" per value of field {field:?}"),
        };
        let mut text = String::new();
        if self.dropped > 0 {
            text += &format!(
                "dropped {} of {} lines over the rate of {} lines/s (burst {}){per}\n",
                self.dropped, self.lines, self.per_second, self.burst
            );
        }
        if self.overflowed > 0 {
            text += &format!(
                "dropped {} of {} lines: {} lines were already waiting (max_queue)\n",
                self.overflowed, self.lines, self.max_queue
            );
        }
        (!text.is_empty()).then(|| text.into_bytes())
    }
}

impl Plugin for Limit {
    const STATE: sluice_plugin_sdk::State = sluice_plugin_sdk::State::WholeStream;
    const NAME: &'static str = "limit";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const SUMMARY: &'static str =
        "Rate-limit lines with a token bucket: delay them (back-pressure) or drop them";
    const CONFIG_KEYS: &'static [ConfigKey] = &[
        ConfigKey::new(
            "rate",
            "number",
            "Lines per second (required, greater than 0); fractions such as 0.5 work.",
        ),
        ConfigKey::new(
            "burst",
            "integer",
            "The most lines let through at once after a quiet spell (the bucket's size). By \
             default, the rate rounded up.",
        ),
        ConfigKey::new(
            "drop",
            "bool",
            "Drop the lines over the rate (counted in the report) instead of delaying them.",
        )
        .default("false"),
        ConfigKey::new(
            "by_field",
            "string",
            "Limit each value of this field separately; lines without it are not limited.",
        ),
        ConfigKey::new(
            "max_distinct",
            "integer",
            "With by_field: the most values tracked; past it, the buckets that are full again \
             are forgotten first.",
        )
        .default("10000"),
        ConfigKey::new(
            "max_queue",
            "integer",
            "Delay mode: the most lines waiting; a line arriving when it is full is dropped and \
             counted.",
        )
        .default("10000"),
        ConfigKey::REPORT,
    ];

    fn new(config: Config) -> Result<Self, ConfigError> {
        let per_second = config.f64("rate")?.ok_or_else(|| {
            ConfigError::new("rate", "is required: lines per second, such as 100")
        })?;
        if !(per_second > 0.0 && per_second.is_finite()) {
            return Err(ConfigError::new(
                "rate",
                format!("must be a number of lines per second greater than 0, got {per_second}"),
            ));
        }
        let burst = match config.u64("burst")? {
            Some(0) => return Err(ConfigError::new("burst", "must be at least 1")),
            Some(n) => n,
            None => (per_second.ceil() as u64).max(1),
        };
        let positive = |key: &str, default: u64| match config.u64(key)?.unwrap_or(default) {
            0 => Err(ConfigError::new(key, "must be at least 1")),
            n => Ok(usize::try_from(n).unwrap_or(usize::MAX)),
        };
        let max_distinct = positive("max_distinct", DEFAULT_MAX_DISTINCT)?;
        let max_queue = positive("max_queue", DEFAULT_MAX_QUEUE)?;
        let buckets = match config.str("by_field")? {
            None => Buckets::One(Default::default()),
            Some("") => return Err(ConfigError::new("by_field", "must name a field")),
            Some(field) => Buckets::ByField {
                field: field.to_owned(),
                max: max_distinct,
                buckets: BTreeMap::new(),
            },
        };
        Ok(Limit {
            rate: Rate::new(per_second, burst),
            per_second,
            burst,
            drop: config.bool("drop")?.unwrap_or(false),
            buckets,
            queue: Queue::new(max_queue),
            max_queue,
            long_line: LongLine::new(),
            lines: 0,
            dropped: 0,
            overflowed: 0,
            wake: None,
        })
    }

    fn process_batch(&mut self, batch: &Batch<'_>, out: &mut BatchOutput) -> Result<(), String> {
        let now = clock::monotonic();
        for line in batch.lines() {
            if let Some(passes) = self.long_line.decision() {
                if passes {
                    out.keep(&line);
                }
                self.long_line.advance(&line, passes);
                continue;
            }
            self.lines += 1;
            let passes = if self.drop {
                let passes = self.take(&line, now);
                if passes {
                    out.keep(&line);
                } else {
                    self.dropped += 1;
                }
                passes
            } else {
                self.delay(&line, batch.source(), now, out);
                true // only read for a first piece, which always passes in delay mode
            };
            self.long_line.advance(&line, passes);
        }
        self.wake = self.next_wake(now);
        Ok(())
    }

    fn wake(&self) -> Option<Wake> {
        self.wake
    }

    fn tick(&mut self, out: &mut Trailing) -> Result<(), String> {
        let now = clock::monotonic();
        self.release(now, out);
        self.wake = self.next_wake(now);
        Ok(())
    }

    fn finish(&mut self, out: &mut Trailing) -> Result<(), String> {
        // Nothing can wait past the end: what waits goes out now.
        while let Some(held) = self.queue.pop_front() {
            held.push_to(out);
        }
        self.wake = None;
        if let Some(report) = self.report() {
            out.report(report);
        }
        Ok(())
    }
}

export_plugin!(Limit);
