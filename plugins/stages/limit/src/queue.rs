//! The lines held back in delay mode, in input order, with their fields, timestamps,
//! terminators and sources: a line that waited goes out as it came in.

use sluice_plugin_sdk::{HeldFields, Line, Output, Terminator, Trailing};
use std::collections::VecDeque;

/// A line held back.
#[derive(Debug, Default)]
pub(crate) struct Held {
    bytes: Vec<u8>,
    fields: HeldFields,
    timestamp: Option<i64>,
    terminator: Terminator,
    /// Where it was read from: the stage sees every source (its limit is the stream's).
    source: String,
}

impl Held {
    /// The value of field `key`.
    pub(crate) fn field(&self, key: &str) -> Option<&[u8]> {
        self.fields.get(key)
    }

    /// Emits the line from `tick` or `finish`.
    pub(crate) fn push_to(&self, out: &mut Trailing) {
        out.set_source(&self.source);
        out.push_held(&self.bytes, self.terminator);
        out.set_fields(self.fields.iter());
        if let Some(ts) = self.timestamp {
            out.set_timestamp(ts);
        }
    }

    /// Emits the line detached, before the line of `out` (of the same batch, so of the same
    /// source: no input is read while lines wait).
    pub(crate) fn emit_before(&self, out: &mut Output<'_>) {
        out.emit_held(&self.bytes, self.terminator);
        out.set_fields(self.fields.iter());
        if let Some(ts) = self.timestamp {
            out.set_timestamp(ts);
        }
    }
}

/// The lines held back, oldest first; at most `max` of them.
#[derive(Debug)]
pub(crate) struct Queue {
    lines: VecDeque<Held>,
    max: usize,
}

impl Queue {
    pub(crate) fn new(max: usize) -> Queue {
        Queue {
            lines: VecDeque::new(),
            max,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The oldest line held.
    pub(crate) fn front(&self) -> Option<&Held> {
        self.lines.front()
    }

    pub(crate) fn pop_front(&mut self) -> Option<Held> {
        self.lines.pop_front()
    }

    /// Holds a copy of `line`, read from `source`; false when the queue is full.
    pub(crate) fn push(&mut self, line: &Line<'_>, source: &str) -> bool {
        if self.lines.len() >= self.max {
            return false;
        }
        self.lines.push_back(Held {
            bytes: line.bytes().to_vec(),
            fields: HeldFields::of(line.fields()),
            timestamp: line.timestamp(),
            terminator: line.terminator(),
            source: source.to_owned(),
        });
        true
    }
}
