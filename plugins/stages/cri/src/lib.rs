//! `cri`: parses the lines of CRI container logs (containerd, CRI-O; what Kubernetes writes
//! under `/var/log/pods`), as Promtail's `cri` stage does.
//!
//! ```text
//! 2019-04-30T02:12:41.8443515Z stdout F message
//!   → message, with field stream=stdout and timestamp 2019-04-30T02:12:41.8443515Z
//! ```
//!
//! Each CRI line becomes its message; the stream becomes the field `stream` and the time the
//! line's timestamp. A message the runtime split into `P` (partial) lines is merged back into
//! one line when its `F` line arrives, separately for each input and stream (stdout and stderr
//! interleave). Lines that are not CRI pass unchanged.
//!
//! A tour: `parse.rs` reads a line's header; the SDK's [`Merges`] holds the messages being
//! merged, and `merge.rs` their limits; this file decides, line by line, what goes out,
//! including for the pieces of over-long lines (see [`Long`]).
//!
//! Where merged lines go: a merge is emitted at the line that completes it (its `F` line, or
//! the `P` line that reaches a limit), made from that line. Merges still open at the end are
//! emitted by `finish`; a merge pushed out because too many are open is emitted, detached, at
//! the line that pushed it out. Either way it gets the stream and the timestamp of its first
//! piece.

mod merge;
mod parse;

use merge::{Limits, append, cut};
use parse::{Cri, parse};
use sluice_plugin_sdk::merge::{Merges, Stream};
use sluice_plugin_sdk::{
    Batch, BatchOutput, Config, ConfigError, ConfigKey, Line, Output, Plugin, Terminator, Trailing,
    export_plugin,
};

/// A cri stage.
pub struct CriStage {
    limits: Limits,
    merges: Merges,
    /// While the pieces of an over-long line arrive: what its first piece decided.
    long: Option<Long>,
}

/// An over-long line, arriving in pieces: its first piece holds the CRI header.
///
/// Merging it whole would mean holding it whole, so it ends any merge of its stream: the
/// merged message so far is written in front of its first piece, and the line goes out as its
/// pieces come (header removed), even when tagged `P`.
#[derive(Debug)]
enum Long {
    /// The first piece was not CRI: every piece passes unchanged.
    Other,
    /// The first piece was CRI; the last piece gets the stream and timestamp.
    Cri {
        stream: Stream,
        timestamp: i64,
        /// When the merge is truncated: how many more bytes may go out.
        room: Option<usize>,
    },
}

impl Plugin for CriStage {
    const STATE: sluice_plugin_sdk::State = sluice_plugin_sdk::State::PerSource;
    const NAME: &'static str = "cri";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const SUMMARY: &'static str = "Parse CRI container log lines (containerd, CRI-O): message, stream, timestamp; merge partial lines";
    const CONFIG_KEYS: &'static [ConfigKey] = &[
        ConfigKey::new(
            "max_partial_lines",
            "integer",
            "The most lines (P lines and the F line) merged into one message; when reached, \
             the merged message goes out and merging starts over.",
        )
        .default("100"),
        ConfigKey::new(
            "max_partial_line_size",
            "integer",
            "The most bytes of a merged message; 0 for no limit. Past it, the message is cut \
             (with max_partial_line_size_truncate) or goes out and merging starts over.",
        )
        .default("0"),
        ConfigKey::new(
            "max_partial_line_size_truncate",
            "bool",
            "Cut merged messages at max_partial_line_size bytes, dropping the rest of the \
             message.",
        )
        .default("false"),
    ];

    fn new(config: Config) -> Result<Self, ConfigError> {
        let max_pieces = config.u64("max_partial_lines")?.unwrap_or(100);
        if max_pieces == 0 {
            return Err(ConfigError::new(
                "max_partial_lines",
                "must be at least 1 (1 turns merging off: each P line goes out alone)",
            ));
        }
        let max_bytes = config.u64("max_partial_line_size")?.unwrap_or(0);
        let max_bytes = usize::try_from(max_bytes).unwrap_or(usize::MAX);
        let truncate = config
            .bool("max_partial_line_size_truncate")?
            .unwrap_or(false);
        if truncate && max_bytes == 0 {
            return Err(ConfigError::new(
                "max_partial_line_size_truncate",
                "needs \"max_partial_line_size\": the number of bytes to cut merged messages at",
            ));
        }
        Ok(CriStage {
            limits: Limits {
                max_pieces,
                max_bytes,
                truncate,
            },
            merges: Merges::default(),
            long: None,
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
        if let Some(long) = &mut self.long {
            piece(long, line.bytes(), out);
            if !line.is_partial() {
                if let Long::Cri {
                    stream, timestamp, ..
                } = *long
                {
                    stream.label(out, timestamp);
                }
                self.long = None;
            }
            return;
        }
        let parsed = parse(line.bytes());
        if line.is_partial() {
            self.long = Some(match parsed {
                Some(cri) => self.start_long(cri, out),
                None => {
                    out.keep();
                    Long::Other
                }
            });
            return;
        }
        match parsed {
            Some(cri) => self.cri_line(cri, line.terminator(), out),
            None => out.keep(),
        }
    }

    fn finish(&mut self, out: &mut Trailing) -> Result<(), String> {
        self.merges.finish(out);
        Ok(())
    }
}

impl CriStage {
    /// A complete CRI line, ending in `terminator`: goes out alone, or joins its stream's
    /// merge.
    fn cri_line(&mut self, cri: Cri<'_>, terminator: Terminator, out: &mut Output<'_>) {
        let open = self.merges.find(cri.stream);
        let Some(index) = open.or_else(|| cri.partial.then(|| self.open(&cri, out))) else {
            // The common case: a full line, no merge open.
            out.emit(cri.message);
            cri.stream.label(out, cri.timestamp);
            return;
        };
        let limits = self.limits;
        let mut index = index;
        let merge = self.merges.get_mut(index);
        let overflows = !limits.truncate
            && limits.max_bytes > 0
            && merge.pieces > 0
            && merge.bytes.len() + cri.message.len() > limits.max_bytes;
        if overflows {
            // Without truncation, the merge goes out before it would pass the size limit, and
            // this piece starts the next one.
            self.merges.remove(index).emit(out, false);
            index = self.open(&cri, out);
        }
        let merge = self.merges.get_mut(index);
        append(merge, cri.message, &limits);
        merge.terminator = terminator;
        if !cri.partial || merge.pieces >= limits.max_pieces {
            self.merges.remove(index).emit(out, false);
        }
    }

    /// Opens a merge for `cri`'s stream, flushing the oldest merge (detached, at this line)
    /// when too many are open; returns its index.
    fn open(&mut self, cri: &Cri<'_>, out: &mut Output<'_>) -> usize {
        let (index, evicted) = self.merges.open(cri.stream, cri.timestamp);
        if let Some(merge) = evicted {
            merge.emit(out, true);
        }
        index
    }

    /// The first piece of an over-long CRI line: writes the merge so far (if any) and the
    /// piece's message.
    fn start_long(&mut self, cri: Cri<'_>, out: &mut Output<'_>) -> Long {
        let merge = self.merges.find(cri.stream).map(|i| self.merges.remove(i));
        let timestamp = merge.as_ref().map_or(cri.timestamp, |m| m.timestamp);
        let held: &[u8] = merge.as_ref().map_or(&[], |m| &m.bytes);
        let mut room = if merge.is_some() || cri.partial {
            self.limits.room(held.len())
        } else {
            None
        };
        if merge.as_ref().is_some_and(|m| m.truncated) {
            room = Some(0);
        }
        let mut long = Long::Cri {
            stream: cri.stream,
            timestamp,
            room,
        };
        out.emit_with(|buf| {
            buf.extend_from_slice(held);
            if let Long::Cri { room, .. } = &mut long {
                buf.extend_from_slice(take(room, cri.message));
            }
        });
        long
    }
}

/// A later piece of an over-long line.
fn piece(long: &mut Long, bytes: &[u8], out: &mut Output<'_>) {
    match long {
        Long::Cri {
            room: room @ Some(_),
            ..
        } => out.emit(take(room, bytes)),
        _ => out.keep(),
    }
}

/// The part of `bytes` that fits in `room` (all of it when there is no limit); what is taken
/// is subtracted, and once anything is cut nothing more fits.
fn take<'a>(room: &mut Option<usize>, bytes: &'a [u8]) -> &'a [u8] {
    let Some(left) = room else {
        return bytes;
    };
    let n = cut(bytes, *left);
    *left = if n < bytes.len() { 0 } else { *left - n };
    &bytes[..n]
}

export_plugin!(CriStage);

#[cfg(test)]
mod tests;
