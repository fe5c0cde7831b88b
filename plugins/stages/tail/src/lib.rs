//! `tail`: keeps the last lines of the stream and emits them at its end, as `tail -n` does.
//!
//! Nothing goes out while input flows; at end of stream the last `lines` lines go out, oldest
//! first, with their fields, timestamps and terminators, byte for byte as `tail -n` writes
//! them. The state is per source: with several files, each file's last lines go out when
//! that file ends. Memory is bounded twice: by `lines`, and by
//! `max_bytes`, which evicts the oldest lines first (so fewer than `lines` may come out when
//! they are long).
//!
//! # A tour
//!
//! - [`Tail`] (here) picks, in each batch, the lines that can still be among the last ones:
//!   of the lines that start in a batch, only the last `lines` can be, so the others are not
//!   even copied.
//! - `ring.rs` holds the kept lines, with their fields and timestamps, and enforces the two
//!   bounds.
//!
//! # Over-long lines
//!
//! The pieces of a line longer than the host's maximum count as one line and are kept joined
//! (they come out as one line). A line that alone passes `max_bytes` is kept up to its first
//! `max_bytes` bytes: the rest of it is dropped.

mod ring;
#[cfg(test)]
mod tests;

use ring::Ring;
use sluice_plugin_sdk::{
    Batch, BatchOutput, Config, ConfigError, ConfigKey, Plugin, Trailing, export_plugin,
};

/// By default, the number of lines kept (as `tail`).
const DEFAULT_LINES: u64 = 10;

/// By default, the most bytes kept.
const DEFAULT_MAX_BYTES: u64 = 1 << 20;

/// A tail stage.
pub struct Tail {
    /// The lines kept so far.
    ring: Ring,
}

impl Plugin for Tail {
    const STATE: sluice_plugin_sdk::State = sluice_plugin_sdk::State::PerSource;
    const NAME: &'static str = "tail";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const SUMMARY: &'static str = "Keep the last N lines and emit them at end of stream (tail -n)";
    const CONFIG_KEYS: &'static [ConfigKey] = &[
        ConfigKey::new(
            "lines",
            "integer",
            "How many lines to keep; they go out at end of stream, oldest first.",
        )
        .default("10"),
        ConfigKey::new(
            "max_bytes",
            "integer",
            "The most bytes kept (lines, fields and 64 bytes of bookkeeping per line); the oldest \
             lines are evicted first, and a line longer than this is cut to it.",
        )
        .default("1048576"),
    ];

    fn new(config: Config) -> Result<Self, ConfigError> {
        let lines = config.u64("lines")?.unwrap_or(DEFAULT_LINES);
        let max_bytes = match config.u64("max_bytes")?.unwrap_or(DEFAULT_MAX_BYTES) {
            0 => return Err(ConfigError::new("max_bytes", "must be at least 1")),
            n => n,
        };
        let size = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        Ok(Tail {
            ring: Ring::new(size(lines), size(max_bytes)),
        })
    }

    fn process_batch(&mut self, batch: &Batch<'_>, _: &mut BatchOutput) -> Result<(), String> {
        if self.ring.capacity() == 0 {
            return Ok(());
        }
        // A line of the batch starts a line of the stream unless it continues an over-long one.
        let mut long_line = self.ring.long_line();
        let mut starts = 0;
        for line in batch.lines() {
            starts += usize::from(long_line.next(&line).starts());
        }
        // Of the lines starting here, only the last `capacity` can be among the last lines:
        // the others are skipped, and so is every line kept so far.
        let skip = starts.saturating_sub(self.ring.capacity());
        let mut long_line = self.ring.long_line();
        if skip > 0 {
            self.ring.clear();
        }
        // The number of the line of the stream that `line` is part of, among those starting
        // here; -1 for the pieces of a line that started earlier.
        let mut number: isize = -1;
        for line in batch.lines() {
            let starting = long_line.next(&line).starts();
            number += isize::from(starting);
            if skip == 0 || number >= skip as isize {
                self.ring.push(&line, starting);
            }
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut Trailing) -> Result<(), String> {
        self.ring.drain_into(out);
        Ok(())
    }
}

export_plugin!(Tail);
