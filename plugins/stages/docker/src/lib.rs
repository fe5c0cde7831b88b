//! `docker`: parses the lines of Docker's json-file log driver, as Promtail's `docker` stage
//! does, merging the entries Docker split a long message into, as Vector does.
//!
//! ```text
//! {"log":"GET /health 200\n","stream":"stdout","time":"2019-04-30T02:12:41.8443515Z"}
//!   → GET /health 200, with field stream=stdout and timestamp 2019-04-30T02:12:41.8443515Z
//! ```
//!
//! Each Docker line becomes its `log` string, unescaped, without its trailing newline; the
//! stream becomes the field `stream` and the time the line's timestamp. Docker splits a
//! message over 16 KiB into entries whose `log` does not end in a newline: with
//! `merge_partial` (the default) they are merged back into one line when the entry that ends
//! the message arrives, separately for each input and stream. Lines that are not Docker lines
//! pass unchanged.
//!
//! A tour: `parse.rs` checks a line and finds its members without allocating; the SDK's
//! [`Merges`] holds the messages being merged; this file decides what goes out. A merge goes
//! out at the entry that completes it (or the one that reaches `max_partial_lines`), made from
//! that line; merges still open at the end go out from `finish`; a merge pushed out because
//! too many are open goes out detached, at the line that pushed it out. Either way it gets the
//! stream and the timestamp of its first entry.

mod parse;

use parse::{Docker, ends_with_newline, parse};
use sluice_plugin_sdk::json::unescape;
use sluice_plugin_sdk::merge::Merges;
use sluice_plugin_sdk::{
    Batch, BatchOutput, Config, ConfigError, ConfigKey, Line, LongLine, Output, Piece, Plugin,
    Terminator, Trailing, export_plugin,
};

/// A docker stage.
pub struct DockerStage {
    merge_partial: bool,
    /// The most entries merged into one line (>= 1).
    max_pieces: u64,
    merges: Merges,
    /// Whether the pieces of an over-long line are arriving (one was seen, the last was not).
    long_line: LongLine,
}

impl Plugin for DockerStage {
    const STATE: sluice_plugin_sdk::State = sluice_plugin_sdk::State::PerSource;
    const NAME: &'static str = "docker";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const SUMMARY: &'static str =
        "Parse Docker json-file log lines: message, stream, timestamp; merge split messages";
    const CONFIG_KEYS: &'static [ConfigKey] = &[
        ConfigKey::new(
            "merge_partial",
            "bool",
            "Merge the entries Docker split a long message into (a log without a trailing \
             newline continues in the stream's next entry).",
        )
        .default("true"),
        ConfigKey::new(
            "max_partial_lines",
            "integer",
            "The most entries merged into one message; when reached, the merged message goes \
             out and merging starts over.",
        )
        .default("100"),
    ];

    fn new(config: Config) -> Result<Self, ConfigError> {
        let merge_partial = config.bool("merge_partial")?.unwrap_or(true);
        let max_pieces = config.u64("max_partial_lines")?.unwrap_or(100);
        if max_pieces == 0 {
            return Err(ConfigError::new(
                "max_partial_lines",
                "must be at least 1 (or set \"merge_partial\" to false to turn merging off)",
            ));
        }
        Ok(DockerStage {
            merge_partial,
            max_pieces,
            merges: Merges::default(),
            long_line: LongLine::new(),
        })
    }

    fn process_batch(&mut self, batch: &Batch<'_>, out: &mut BatchOutput) -> Result<(), String> {
        self.merges.set_source(batch.source());
        for line in batch.lines() {
            self.process(&line, &mut out.line(&line));
        }
        Ok(())
    }

    fn process(&mut self, line: &Line<'_>, out: &mut Output<'_>) {
        // The pieces of an over-long line cannot be parsed: they pass unchanged.
        if self.long_line.next(line) != Piece::Whole {
            out.keep();
            return;
        }
        match parse(line.bytes()) {
            Some(docker) => self.docker_line(docker, line.terminator(), out),
            None => out.keep(),
        }
    }

    fn finish(&mut self, out: &mut Trailing) -> Result<(), String> {
        self.merges.finish(out);
        Ok(())
    }
}

impl DockerStage {
    /// A JSON log line, ending in `terminator`: goes out alone, or joins its stream's merge.
    fn docker_line(&mut self, docker: Docker<'_>, terminator: Terminator, out: &mut Output<'_>) {
        let complete = !self.merge_partial || ends_with_newline(docker.log);
        let open = self.merges.find(docker.stream);
        let index = match open {
            Some(index) => index,
            None if complete => {
                // The common case: a whole message, no merge open.
                out.emit_with(|buf| {
                    unescape(docker.log, buf);
                    if buf.ends_with(b"\n") {
                        buf.truncate(buf.len() - 1);
                    }
                });
                docker.stream.label(out, docker.timestamp);
                return;
            }
            None => {
                let (index, evicted) = self.merges.open(docker.stream, docker.timestamp);
                if let Some(merge) = evicted {
                    merge.emit(out, true);
                }
                index
            }
        };
        let merge = self.merges.get_mut(index);
        unescape(docker.log, &mut merge.bytes);
        merge.pieces += 1;
        merge.terminator = terminator;
        if complete || merge.pieces >= self.max_pieces {
            let mut merge = self.merges.remove(index);
            if complete && merge.bytes.ends_with(b"\n") {
                merge.bytes.pop();
            }
            merge.emit(out, false);
        }
    }
}

export_plugin!(DockerStage);

#[cfg(test)]
mod tests;
