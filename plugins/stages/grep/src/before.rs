//! The pending lines: lines not printed (yet) that would be the before-context of a match.
//!
//! Pending lines are always the lines right before the current one, oldest first, at most
//! `before` of them: a printed line clears them (it is either their match or after-context,
//! which leaves none pending), and a new one pushes the oldest out. Those of the current batch
//! are only indexes ([`Before::here`]); when a batch ends they are copied into
//! [`Before::held`], which holds at most `max_bytes` bytes (the oldest lines are let go first).
//!
//! When a match comes, the held lines go out detached, with their fields, timestamps and
//! terminators restored, at the position of the first pending line of the batch (or of the match), and the
//! pending lines of the batch are passed through with `keep`, with all their pieces.

use sluice_plugin_sdk::{BatchOutput, HeldFields, Line, Terminator};
use std::collections::VecDeque;

/// How many let-go lines are kept to reuse their buffers.
const SPARE_LINES: usize = 64;

/// Buffers bigger than this are not kept for reuse.
const SPARE_BYTES: usize = 16 << 10;

/// A pending line copied from an earlier batch.
#[derive(Debug, Default)]
struct Held {
    /// Its bytes: all its pieces, joined.
    bytes: Vec<u8>,
    /// The fields of its last piece (empty until `complete`).
    fields: HeldFields,
    /// The timestamp of its last piece.
    timestamp: Option<i64>,
    /// How its last piece ended in the input.
    terminator: Terminator,
    /// Whether its last piece was seen (only the newest held line may lack it).
    complete: bool,
}

/// The pending lines.
#[derive(Debug)]
pub(crate) struct Before {
    /// The most lines pending: the before-context asked for. 0: no line is ever pending.
    limit: usize,
    /// The most bytes in `held`.
    max_bytes: usize,
    /// Pending lines from earlier batches, oldest first; all before those of `here`.
    held: VecDeque<Held>,
    /// The sum of the lengths of `held`'s bytes; at most `max_bytes` between calls.
    held_bytes: usize,
    /// The indexes in the current batch of the first pieces of the batch's pending lines,
    /// ascending. A pending line's pieces run up to the next entry (the last one's, up to the
    /// current line). `held.len() + here.len() <= limit`.
    here: VecDeque<usize>,
    /// Held lines let go, kept to reuse their buffers.
    spare: Vec<Held>,
}

impl Before {
    pub(crate) fn new(limit: usize, max_bytes: usize) -> Before {
        Before {
            limit,
            max_bytes,
            held: VecDeque::new(),
            held_bytes: 0,
            here: VecDeque::new(),
            spare: Vec::new(),
        }
    }

    /// The number of pending lines.
    /// True when it holds no line, ever: no before-context was asked for.
    pub(crate) fn holds_nothing(&self) -> bool {
        self.limit == 0
    }

    pub(crate) fn len(&self) -> usize {
        self.held.len() + self.here.len()
    }

    /// The index of the first pending line of the current batch.
    pub(crate) fn first_here(&self) -> Option<usize> {
        self.here.front().copied()
    }

    /// Makes line `i` of the batch pending, letting the oldest go beyond `before` lines;
    /// false when no line is ever pending.
    pub(crate) fn push(&mut self, i: usize) -> bool {
        if self.limit == 0 {
            return false;
        }
        self.here.push_back(i);
        if self.len() > self.limit && !self.let_oldest_go() {
            self.here.pop_front();
        }
        true
    }

    /// A later piece of the newest pending line. When its first piece is in this batch, the
    /// piece is already covered by its index; when it is held, the piece's bytes are added
    /// (the line is let go if it passes `max_bytes`).
    pub(crate) fn piece(&mut self, line: &Line<'_>) {
        if !self.here.is_empty() {
            return;
        }
        let Some(held) = self.held.back_mut().filter(|h| !h.complete) else {
            return; // let go already
        };
        held.bytes.extend_from_slice(line.bytes());
        self.held_bytes += line.len();
        if !line.is_partial() {
            set_meta(held, line);
        }
        self.enforce_max_bytes();
    }

    /// Prints the pending lines, before the line at `i`: the held ones detached at line `at`,
    /// then those of the batch (`at` is the first of them, or `i`).
    pub(crate) fn print(&mut self, lines: &[Line<'_>], at: usize, i: usize, out: &mut BatchOutput) {
        while let Some(held) = self.held.pop_front() {
            let mut o = out.line(&lines[at]);
            o.emit_held(&held.bytes, held.terminator);
            o.set_fields(held.fields.iter());
            if let Some(ts) = held.timestamp {
                o.set_timestamp(ts);
            }
            self.recycle(held);
        }
        self.held_bytes = 0;
        if let Some(&first) = self.here.front() {
            for line in &lines[first..i] {
                out.keep(line);
            }
        }
        self.here.clear();
    }

    /// Forgets every pending line.
    pub(crate) fn clear(&mut self) {
        while self.let_oldest_go() {}
        self.here.clear();
    }

    /// At the end of a batch: copies its pending lines, since the batch goes away.
    pub(crate) fn carry(&mut self, lines: &[Line<'_>]) {
        for k in 0..self.here.len() {
            let start = self.here[k];
            let end = self.here.get(k + 1).copied().unwrap_or(lines.len());
            let mut held = self.spare.pop().unwrap_or_default();
            held.bytes.clear();
            for line in &lines[start..end] {
                held.bytes.extend_from_slice(line.bytes());
            }
            let last = &lines[end - 1];
            held.complete = false;
            held.fields.clear();
            held.timestamp = None;
            held.terminator = Terminator::None;
            if !last.is_partial() {
                set_meta(&mut held, last);
            }
            self.held_bytes += held.bytes.len();
            self.held.push_back(held);
        }
        self.here.clear();
        self.enforce_max_bytes();
    }

    /// Lets the oldest held lines go while they pass `max_bytes`.
    fn enforce_max_bytes(&mut self) {
        while self.held_bytes > self.max_bytes && self.let_oldest_go() {}
    }

    /// Keeps a held line's buffers for reuse, unless they are big or enough are kept.
    fn recycle(&mut self, held: Held) {
        if self.spare.len() < SPARE_LINES && held.bytes.capacity() <= SPARE_BYTES {
            self.spare.push(held);
        }
    }

    /// Lets the oldest held line go; false when none is held.
    fn let_oldest_go(&mut self) -> bool {
        match self.held.pop_front() {
            Some(held) => {
                self.held_bytes -= held.bytes.len();
                self.recycle(held);
                true
            }
            None => false,
        }
    }
}

/// Copies the fields, timestamp and terminator of a line's last piece; the line is complete.
fn set_meta(held: &mut Held, last: &Line<'_>) {
    held.terminator = last.terminator();
    held.fields.copy_from(last.fields());
    held.timestamp = last.timestamp();
    held.complete = true;
}
