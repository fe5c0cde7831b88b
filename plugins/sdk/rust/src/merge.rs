//! Container log lines merged back into the messages a runtime split: the table that `cri`
//! (`P` lines up to an `F` line) and `docker` (entries whose `log` lacks its trailing newline)
//! share.
//!
//! A container runtime splits a long message into several log lines on each stream of each
//! container log file, and stdout and stderr interleave in one file. So a merge is keyed by
//! where its lines were read from (the batch's [`crate::Batch::source`], given to
//! [`Merges::set_source`]) and its [`Stream`]. At most [`MAX_OPEN`] merges are open at once;
//! opening one more closes the oldest, for the stage to flush.
//!
//! A merged line goes out as one line with the field [`STREAM_FIELD`] set to its stream and
//! the timestamp of its first piece ([`Merge::emit`]); the merges still open at the end of the
//! stream go out from `finish` ([`Merges::finish`]).

use crate::Terminator;
use crate::output::{Output, Trailing};

/// How many merges may be open at once; beyond, the oldest is closed.
pub const MAX_OPEN: usize = 64;

/// The field a container log line's stream goes to.
pub const STREAM_FIELD: &str = "stream";

/// The stream a container wrote a line to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

impl Stream {
    /// `stdout` or `stderr`, as container logs write it.
    pub fn name(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }

    /// The stream named `name` (`stdout` or `stderr`, exactly).
    pub fn from_name(name: &[u8]) -> Option<Stream> {
        match name {
            b"stdout" => Some(Stream::Stdout),
            b"stderr" => Some(Stream::Stderr),
            _ => None,
        }
    }

    /// Labels `out`'s latest output line: [`STREAM_FIELD`] set to this stream, and
    /// `timestamp`.
    pub fn label(self, out: &mut Output<'_>, timestamp: i64) {
        out.set_field(STREAM_FIELD, self.name().as_bytes());
        out.set_timestamp(timestamp);
    }
}

/// A message being merged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Merge {
    /// The source of the batch its pieces came from.
    pub source: String,
    /// The stream its pieces were written to.
    pub stream: Stream,
    /// The timestamp of its first piece, which the merged line gets.
    pub timestamp: i64,
    /// How many pieces it holds.
    pub pieces: u64,
    /// The message so far.
    pub bytes: Vec<u8>,
    /// Whether it was cut at a size limit, for stages that cut: later pieces add nothing.
    /// Starts false.
    pub truncated: bool,
    /// How the input line of its latest piece ended, which the merged line ends in when it
    /// goes out on its own (detached, or from `finish`); the stage sets it with each piece.
    /// Starts as `\n`.
    pub terminator: Terminator,
    /// When it was opened (a count of the merges opened before), to close the oldest first.
    opened: u64,
}

impl Merge {
    /// Writes the merged message as a line at `out`'s place, labelled with its stream and first
    /// timestamp; `detached` when it owes nothing to that input line (it is from another
    /// input or stream: it then inherits none of the line's fields).
    pub fn emit(self, out: &mut Output<'_>, detached: bool) {
        if detached {
            out.emit_held(&self.bytes, self.terminator);
        } else {
            out.emit(&self.bytes);
        }
        self.stream.label(out, self.timestamp);
    }
}

/// The open merges, at most one per (source, stream).
#[derive(Clone, Debug, Default)]
pub struct Merges {
    /// Unordered (`opened` gives the age); at most [`MAX_OPEN`] long, no two with the same
    /// source and stream.
    open: Vec<Merge>,
    /// The `opened` of the next merge.
    next: u64,
    /// The source of the batch being processed: [`Merges::find`] and [`Merges::open`] are
    /// about its merges.
    source: String,
}

impl Merges {
    /// Says where the lines of the batch being processed were read from (call it at the start
    /// of each batch).
    pub fn set_source(&mut self, source: &str) {
        if self.source != source {
            self.source.clear();
            self.source.push_str(source);
        }
    }

    /// The index of the current source's merge of `stream`, if one is open.
    pub fn find(&self, stream: Stream) -> Option<usize> {
        self.open
            .iter()
            .position(|m| m.stream == stream && m.source == self.source)
    }

    /// The open merge at `index` (from [`Merges::find`] or [`Merges::open`]).
    pub fn get_mut(&mut self, index: usize) -> &mut Merge {
        &mut self.open[index]
    }

    /// Closes merge `index` and returns it. Other indexes may change.
    pub fn remove(&mut self, index: usize) -> Merge {
        self.open.swap_remove(index)
    }

    /// Opens an empty merge of `stream` for the current source, which must not have one open;
    /// returns its index. When [`MAX_OPEN`] are open, the oldest is closed first and returned,
    /// to be flushed.
    pub fn open(&mut self, stream: Stream, timestamp: i64) -> (usize, Option<Merge>) {
        debug_assert!(self.find(stream).is_none());
        let evicted = (self.open.len() >= MAX_OPEN).then(|| {
            let oldest = (0..self.open.len())
                .min_by_key(|&i| self.open[i].opened)
                .unwrap_or(0);
            self.open.swap_remove(oldest)
        });
        self.open.push(Merge {
            source: self.source.clone(),
            stream,
            timestamp,
            pieces: 0,
            bytes: Vec::new(),
            truncated: false,
            terminator: Terminator::Lf,
            opened: self.next,
        });
        self.next += 1;
        (self.open.len() - 1, evicted)
    }

    /// Closes every merge and returns them, oldest first.
    pub fn drain(&mut self) -> Vec<Merge> {
        let mut all = std::mem::take(&mut self.open);
        all.sort_by_key(|m| m.opened);
        all
    }

    /// Closes every merge and pushes each, oldest first, as a line labelled with its stream
    /// and first timestamp, from its source and ending as its latest piece did: what a
    /// stage's `finish` does.
    pub fn finish(&mut self, out: &mut Trailing) {
        for merge in self.drain() {
            out.set_source(&merge.source);
            out.push_held(&merge.bytes, merge.terminator);
            out.set_field(STREAM_FIELD, merge.stream.name().as_bytes());
            out.set_timestamp(merge.timestamp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Stream::{Stderr, Stdout};

    #[test]
    fn merges_are_keyed_by_source_and_stream() {
        let mut m = Merges::default();
        m.set_source("a.log");
        let (a, none) = m.open(Stdout, 1);
        assert!(none.is_none());
        m.get_mut(a).bytes.push(b'x');
        let (b, _) = m.open(Stderr, 2);
        assert_eq!(m.find(Stdout), Some(a));
        assert_eq!(m.find(Stderr), Some(b));
        m.set_source("b.log");
        assert_eq!(m.find(Stdout), None);
        m.set_source("a.log");
        let closed = m.remove(a);
        assert_eq!((closed.bytes, closed.timestamp), (b"x".to_vec(), 1));
        assert_eq!(m.find(Stdout), None);
        assert_eq!(m.find(Stderr), Some(0));
    }

    #[test]
    fn the_oldest_is_closed_past_max_open() {
        let mut m = Merges::default();
        m.set_source("a.log");
        let (a, _) = m.open(Stdout, 1);
        m.get_mut(a).bytes.push(b'x');
        for i in 1..MAX_OPEN {
            m.set_source(&format!("{i}.log"));
            assert!(m.open(Stderr, 2).1.is_none());
        }
        m.set_source("late.log");
        let evicted = m.open(Stdout, 3).1.expect("the oldest goes");
        assert_eq!(
            (evicted.source.as_str(), evicted.bytes.as_slice()),
            ("a.log", &b"x"[..])
        );
        let drained = m.drain();
        assert_eq!(drained.len(), MAX_OPEN);
        assert_eq!(drained[0].source, "1.log");
        assert_eq!(drained.last().unwrap().source, "late.log");
        assert!(m.drain().is_empty());
    }

    #[test]
    fn streams_by_name() {
        for stream in [Stdout, Stderr] {
            assert_eq!(Stream::from_name(stream.name().as_bytes()), Some(stream));
        }
        assert_eq!(Stream::from_name(b"stdin"), None);
        assert_eq!(Stream::from_name(b"STDOUT"), None);
    }

    #[test]
    fn finish_pushes_labelled_lines_oldest_first() {
        let mut m = Merges::default();
        m.set_source("-");
        let (i, _) = m.open(Stderr, 7);
        m.get_mut(i).bytes.extend_from_slice(b"first");
        let (j, _) = m.open(Stdout, 9);
        m.get_mut(j).bytes.extend_from_slice(b"second");
        let mut out = Trailing::default();
        m.finish(&mut out);
        assert!(m.drain().is_empty());
        let emitted = out.take();
        assert_eq!(emitted.data, b"firstsecond");
        assert_eq!(emitted.ends, [5, 11]);
        assert_eq!(emitted.timestamps, [(0, 7), (1, 9)]);
        assert_eq!(emitted.fields.names, [STREAM_FIELD]);
        assert_eq!(emitted.fields.line, [0, 1]);
        assert_eq!(emitted.fields.values, b"stderrstdout");
    }
}
