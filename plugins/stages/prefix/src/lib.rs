//! `prefix`: prepends to each line its time, the time elapsed since the first line, or where
//! it was read from.
//!
//! ```text
//! GET /health 200
//! 2024-06-01T12:00:00.123Z GET /health 200                    parts: ["time"]
//! [   12.345s] access.log GET /health 200                      parts: ["elapsed", "source"]
//! ```
//!
//! Parts, in the order `parts` lists them, each followed by `separator`:
//!
//! - `time`: the line's timestamp (set by `timestamp`, say), or the clock's time now when it
//!   has none, in UTC, formatted with `time_format` (a strftime pattern; by default RFC 3339
//!   with milliseconds: `2024-06-01T12:00:00.123Z`);
//! - `elapsed`: the time since the stage saw its first line, on the monotonic clock, as
//!   `[SSSSS.mmms]` with the seconds right-aligned in five columns (`[   12.345s]`);
//! - `source`: the path of the file the line was read from, `-` for standard input. Lines a
//!   stage emitted on their own have no source: the part is left out, with its separator.
//!
//! The clock is read at most once per batch for each of `time` and `elapsed` (a batch's lines
//! arrive together). Every line is rewritten: its bytes are copied after the prefix, written in
//! place; its fields and timestamp are kept.
//!
//! # Over-long lines
//!
//! Only the first piece of a line cut into pieces gets the prefix: the host joins the pieces
//! with nothing in between, so the prefix appears once, at the start of the line. The stage
//! remembers across batches whether the previous line was a partial piece. The `time` of such
//! a line is its first piece's timestamp, if the piece has one (a `timestamp` stage sets it on
//! the last piece, where the fields are), else the clock's.

mod parts;

use parts::{Part, Parts};
use sluice_plugin_sdk::{
    Batch, BatchOutput, Config, ConfigError, ConfigKey, Line, LongLine, Output, Plugin, clock,
    export_plugin,
};

/// A prefix stage.
pub struct Prefix {
    parts: Parts,
    /// The monotonic time of the first line, once seen.
    start: Option<u64>,
    /// Whether the previous line was a partial piece: the next one continues it.
    long_line: LongLine,
}

/// The clock readings for one batch, taken when first needed.
#[derive(Default)]
struct Readings {
    now: Option<i64>,
    elapsed: Option<u64>,
}

impl Prefix {
    fn prefix_line(
        &mut self,
        line: &Line<'_>,
        out: &mut Output<'_>,
        source: &str,
        readings: &mut Readings,
    ) {
        if !self.long_line.next(line).starts() {
            out.keep();
            return;
        }
        let time = self.parts.has(Part::Time).then(|| {
            line.timestamp()
                .unwrap_or_else(|| *readings.now.get_or_insert_with(clock::now))
        });
        let elapsed = self.parts.has(Part::Elapsed).then(|| {
            *readings.elapsed.get_or_insert_with(|| {
                let now = clock::monotonic();
                now.saturating_sub(*self.start.get_or_insert(now))
            })
        });
        let parts = &self.parts;
        out.emit_with(|buf| {
            parts.write(buf, time, elapsed, source);
            buf.extend_from_slice(line.bytes());
        });
    }
}

impl Plugin for Prefix {
    const STATE: sluice_plugin_sdk::State = sluice_plugin_sdk::State::WholeStream;
    const NAME: &'static str = "prefix";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const SUMMARY: &'static str =
        "Prepend the line's time, the time elapsed or its source file to each line";
    const CONFIG_KEYS: &'static [ConfigKey] = &[
        ConfigKey::new(
            "parts",
            "list of strings",
            "What to prepend, in order: time (the line's timestamp, else now), elapsed (since \
             the first line, as [   12.345s]), source (the file read; - for stdin).",
        )
        .default("[\"time\"]"),
        ConfigKey::new(
            "time_format",
            "string",
            "A strftime pattern for `time`, in UTC; by default RFC 3339 with milliseconds \
             (2024-06-01T12:00:00.123Z).",
        )
        .default("\"%Y-%m-%dT%H:%M:%S%.3fZ\""),
        ConfigKey::new(
            "separator",
            "string",
            "Written after each part, so also between the last part and the line.",
        )
        .default("\" \""),
    ];

    fn new(config: Config) -> Result<Self, ConfigError> {
        Ok(Prefix {
            parts: Parts::from_config(&config)?,
            start: None,
            long_line: LongLine::new(),
        })
    }

    fn process(&mut self, line: &Line<'_>, out: &mut Output<'_>) {
        self.prefix_line(line, out, "", &mut Readings::default());
    }

    fn process_batch(&mut self, batch: &Batch<'_>, out: &mut BatchOutput) -> Result<(), String> {
        let mut readings = Readings::default();
        for line in batch.lines() {
            self.prefix_line(&line, &mut out.line(&line), batch.source(), &mut readings);
        }
        Ok(())
    }
}

export_plugin!(Prefix);

#[cfg(test)]
mod tests;
