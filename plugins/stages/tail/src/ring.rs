//! The kept lines: at most `capacity` of them and about `max_bytes` bytes, oldest first.
//!
//! Each kept line costs its bytes, its fields' keys and values, and [`OVERHEAD`] bytes of
//! bookkeeping (so that a million empty lines are not free). When the cost passes
//! `max_bytes`, the oldest lines are evicted; the newest line always stays, its bytes cut at
//! `max_bytes` if it alone is longer.

use sluice_plugin_sdk::{HeldFields, Line, LongLine, Terminator, Trailing};
use std::collections::VecDeque;

/// What a kept line costs besides its bytes and fields: about the memory it takes.
pub(crate) const OVERHEAD: usize = 64;

/// A kept line.
#[derive(Debug, Default)]
struct Held {
    /// Its bytes; for an over-long line, its pieces joined (at most `max_bytes`).
    bytes: Vec<u8>,
    /// The fields of its last piece.
    fields: HeldFields,
    timestamp: Option<i64>,
    /// How it ended in the input (its last piece's terminator); given back on output.
    terminator: Terminator,
}

impl Held {
    fn cost(&self) -> usize {
        OVERHEAD + self.bytes.len() + self.fields.bytes()
    }
}

/// The kept lines.
#[derive(Debug)]
pub(crate) struct Ring {
    /// The most lines kept.
    capacity: usize,
    /// The most bytes kept (see the module docs).
    max_bytes: usize,
    /// The kept lines, oldest first; at most `capacity`.
    lines: VecDeque<Held>,
    /// The sum of the lines' costs; at most `max_bytes` unless one line is kept.
    cost: usize,
    /// Whether the newest line's last piece is still to come.
    long_line: LongLine,
}

impl Ring {
    pub(crate) fn new(capacity: usize, max_bytes: usize) -> Ring {
        Ring {
            capacity,
            max_bytes,
            lines: VecDeque::new(),
            cost: 0,
            long_line: LongLine::new(),
        }
    }

    /// The most lines kept.
    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// Whether the next line of input continues the newest kept line (a copy, to look ahead
    /// with).
    pub(crate) fn long_line(&self) -> LongLine {
        self.long_line
    }

    /// Forgets every line.
    pub(crate) fn clear(&mut self) {
        self.lines.clear();
        self.cost = 0;
        self.long_line = LongLine::new();
    }

    /// Keeps `line`: a new line when `starting`, else the next piece of the newest line.
    pub(crate) fn push(&mut self, line: &Line<'_>, starting: bool) {
        if starting {
            let mut held = if self.lines.len() >= self.capacity {
                self.evict_oldest().unwrap_or_default()
            } else {
                Held::default()
            };
            held.bytes.clear();
            held.fields.clear();
            held.timestamp = None;
            held.terminator = Terminator::None;
            self.cost += held.cost();
            self.lines.push_back(held);
        }
        self.long_line.next(line);
        self.make_room(line.len());
        let max_bytes = self.max_bytes;
        let Some(newest) = self.lines.back_mut() else {
            return;
        };
        let room = max_bytes.saturating_sub(newest.bytes.len());
        let bytes = &line.bytes()[..line.len().min(room)];
        newest.bytes.extend_from_slice(bytes);
        self.cost += bytes.len();
        if !line.is_partial() {
            newest.terminator = line.terminator();
            newest.timestamp = line.timestamp();
            for field in line.fields() {
                newest.fields.push(field);
                self.cost += field.key.len() + field.value.len();
            }
            self.make_room(0);
        }
    }

    /// Evicts the oldest lines, but never the newest, until `more` bytes fit in `max_bytes`.
    fn make_room(&mut self, more: usize) {
        while self.lines.len() > 1 && self.cost.saturating_add(more) > self.max_bytes {
            self.evict_oldest();
        }
    }

    fn evict_oldest(&mut self) -> Option<Held> {
        let held = self.lines.pop_front()?;
        self.cost -= held.cost();
        Some(held)
    }

    /// Emits the kept lines, oldest first, with their fields, timestamps and terminators.
    /// A line whose last piece never came (the stream ended inside it) ends as the stream
    /// did: with nothing.
    pub(crate) fn drain_into(&mut self, out: &mut Trailing) {
        for held in self.lines.drain(..) {
            out.push_held(&held.bytes, held.terminator);
            out.set_fields(held.fields.iter());
            if let Some(ts) = held.timestamp {
                out.set_timestamp(ts);
            }
        }
        self.cost = 0;
        self.long_line = LongLine::new();
    }
}
