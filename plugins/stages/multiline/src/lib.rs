//! `multiline`: joins the lines of one event — a Java stack trace, a Python traceback — into one
//! entry, as Promtail's `multiline` stage does.
//!
//! ```text
//! 2024-10-10 13:55:36 ERROR request failed          ┐
//! java.lang.IllegalStateException: boom             ├ one entry, lines joined with "\n"
//! \tat com.example.Main.main(Main.java:12)          ┘
//! 2024-10-10 13:55:37 INFO retrying                 ─ the next entry starts here
//! ```
//!
//! A line matching `firstline` starts a *block*; the lines after it that do not match join it.
//! A block goes out, as one line whose parts are joined with `separator`, when the next
//! `firstline` line arrives, when it reaches `max_lines` lines or would pass `max_bytes`
//! bytes, after `max_wait` without input (see [`Plugin::wake`]), or at end of stream. It keeps
//! the fields and timestamp of the line that started it. Lines before the first match pass
//! through on their own.
//!
//! # A tour
//!
//! - [`Multiline`] (here) holds the configuration and walks each batch line by line.
//! - `event.rs` holds the state: the *event* being joined (its head line and its open block)
//!   and how a block is emitted. A block that lies wholly in one batch costs no copy of its
//!   head's fields: it goes out at its head line's position, inheriting them (a block of one
//!   line is passed through with `keep`). Only a block still open when a batch ends is copied,
//!   with its head's fields and timestamp, and later goes out detached with them restored.
//!
//! # Limits
//!
//! A block that reaches `max_lines` lines goes out; so does a block before a line that would
//! take it past `max_bytes`. The lines after it that do not match `firstline` start a new block
//! of the same event, with the same head's fields and timestamp (as Promtail does). So memory
//! holds at most `max_bytes` bytes, or one line when a line alone is longer.
//!
//! # Over-long lines
//!
//! The pieces of a line longer than the host's maximum are never joined (that would hold a
//! whole line in memory): the open block goes out before the first piece, the pieces pass
//! through unchanged, and the event ends. The line after the last piece starts afresh, as at
//! the start of the stream: it opens a block only if it matches `firstline`.

mod event;
#[cfg(test)]
mod tests;

use event::Joiner;
use regex::bytes::Regex;
use sluice_plugin_sdk::{
    Batch, BatchOutput, Config, ConfigError, ConfigKey, Line, Plugin, Trailing, Wake, export_plugin,
};
use std::time::Duration;

/// By default, a block holds at most this many lines (Promtail's default).
const DEFAULT_MAX_LINES: u64 = 128;

/// By default, a block holds at most this many bytes.
const DEFAULT_MAX_BYTES: u64 = 1 << 20;

/// By default, an open block goes out after this long without input (Promtail's default).
const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(3);

/// A multiline stage.
pub struct Multiline {
    /// Matches the first line of a block.
    firstline: Regex,
    /// The settings and state of the joining.
    joiner: Joiner,
    /// How long an open block waits for more lines.
    max_wait: Duration,
}

/// What a block may hold, and how its lines are joined.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    /// Put between the lines of a block.
    pub separator: Vec<u8>,
    /// A block reaching this many lines goes out; at least 1.
    pub max_lines: usize,
    /// A block goes out before a line that would take it past this many bytes.
    pub max_bytes: usize,
}

impl Plugin for Multiline {
    const STATE: sluice_plugin_sdk::State = sluice_plugin_sdk::State::PerSource;
    const NAME: &'static str = "multiline";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const SUMMARY: &'static str =
        "Join the lines of one event (a stack trace) into one entry, starting at a firstline match";
    const CONFIG_KEYS: &'static [ConfigKey] = &[
        ConfigKey::new(
            "firstline",
            "string",
            "A regex matching the first line of a block (required); the lines that do not match \
             join the block before them.",
        ),
        ConfigKey::new(
            "max_lines",
            "integer",
            "A block that reaches this many lines goes out; the lines after it start a new block.",
        )
        .default("128"),
        ConfigKey::new(
            "max_wait",
            "duration",
            "An open block goes out after this long without input (Promtail's max_wait_time).",
        )
        .default("\"3s\""),
        ConfigKey::new(
            "max_bytes",
            "integer",
            "A block goes out before a line that would take it past this many bytes.",
        )
        .default("1048576"),
        ConfigKey::new("separator", "string", "Put between the lines of a block.")
            .default("\"\\n\""),
    ];

    fn new(config: Config) -> Result<Self, ConfigError> {
        let expression = config.required_str("firstline")?;
        let firstline = Regex::new(expression)
            .map_err(|e| ConfigError::new("firstline", format!("not a valid regex: {e}")))?;
        let max_lines = at_least_one(&config, "max_lines", DEFAULT_MAX_LINES)?;
        let max_bytes = at_least_one(&config, "max_bytes", DEFAULT_MAX_BYTES)?;
        let max_wait = config.duration("max_wait")?.unwrap_or(DEFAULT_MAX_WAIT);
        if max_wait.is_zero() {
            return Err(ConfigError::new(
                "max_wait",
                "must be longer than 0, such as \"3s\": it is how long an open block waits \
                 for more lines",
            ));
        }
        let separator = config.str("separator")?.unwrap_or("\n").as_bytes().to_vec();
        Ok(Multiline {
            firstline,
            joiner: Joiner::new(Settings {
                separator,
                max_lines,
                max_bytes,
            }),
            max_wait,
        })
    }

    fn process_batch(&mut self, batch: &Batch<'_>, out: &mut BatchOutput) -> Result<(), String> {
        let lines: Vec<Line<'_>> = batch.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if self.joiner.in_long_line() {
                self.joiner.long_line_piece(line, out);
            } else if line.is_partial() {
                self.joiner.end_event(&lines, i, out);
                self.joiner.long_line_piece(line, out);
            } else if self.firstline.is_match(line.bytes()) {
                self.joiner.end_event(&lines, i, out);
                self.joiner.start_event(i);
                self.joiner.append(&lines, i, out);
            } else if self.joiner.in_event() {
                self.joiner.append(&lines, i, out);
            } else {
                out.keep(line);
            }
        }
        self.joiner.carry(&lines);
        Ok(())
    }

    fn wake(&self) -> Option<Wake> {
        self.joiner
            .has_open_block()
            .then(|| Wake::after(self.max_wait))
    }

    fn tick(&mut self, out: &mut Trailing) -> Result<(), String> {
        self.joiner.flush_trailing(out);
        Ok(())
    }

    fn finish(&mut self, out: &mut Trailing) -> Result<(), String> {
        self.joiner.flush_trailing(out);
        Ok(())
    }
}

/// The value of integer key `key`, `default` when absent; 0 is rejected.
fn at_least_one(config: &Config, key: &str, default: u64) -> Result<usize, ConfigError> {
    match config.u64(key)?.unwrap_or(default) {
        0 => Err(ConfigError::new(key, "must be at least 1")),
        n => Ok(usize::try_from(n).unwrap_or(usize::MAX)),
    }
}

export_plugin!(Multiline);
