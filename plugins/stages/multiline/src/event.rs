//! The joining state: the event being joined, its open block, and how a block goes out.
//!
//! An *event* starts at a `firstline` line, its *head*, and lasts until the next one (or an
//! over-long line, or the end). Its lines are joined into *blocks*: usually one, more when a
//! block reaches a limit or times out and the event goes on. Every block of an event carries
//! the head's fields and timestamp.
//!
//! While the head is in the current batch, a block goes out *at the head's position*: the
//! lines after the head produce no output of their own, so the head's output can still be
//! given (the SDK only requires outputs in non-decreasing input order), and the block inherits
//! the head's fields and timestamp for free. When a batch ends with the event still going, the
//! open block's lines are copied into [`Joiner::carried`] and the head's fields and timestamp
//! into [`Joiner::head`]; the block later goes out detached, at the position of the line that
//! closes it, or from `tick`/`finish`, with them restored.
//!
//! A block ends as its last line did in the input (`\n`, `\r\n`, or nothing at the end of an
//! input without a final newline): at its last line's position it inherits that terminator;
//! a carried block gets back the one kept in [`Joiner::carried_terminator`].

use crate::Settings;
use sluice_plugin_sdk::{BatchOutput, HeldFields, Line, LineBuf, LongLine, Terminator, Trailing};

/// Where an event's head line is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Head {
    /// Line `i` of the current batch.
    Here(usize),
    /// In an earlier batch; its fields and timestamp are in [`Joiner::head`].
    Stored,
}

/// The event being joined.
#[derive(Clone, Copy, Debug)]
struct Event {
    head: Head,
    /// The open block, if any: `None` after a block went out on a limit or a timeout, until
    /// the next line of the event opens another.
    block: Option<Block>,
}

/// An open block: some lines carried from earlier calls, then some lines of the current batch.
#[derive(Clone, Copy, Debug, Default)]
struct Block {
    /// How many of its lines are joined in [`Joiner::carried`].
    carried_lines: usize,
    /// Its lines in the current batch, `first..=last` (always the latest lines seen).
    here: Option<(usize, usize)>,
    /// Its number of lines.
    lines: usize,
    /// The length of its lines joined.
    bytes: usize,
}

/// The fields and timestamp of a head line from an earlier batch.
#[derive(Debug, Default)]
struct StoredHead {
    fields: HeldFields,
    timestamp: Option<i64>,
}

/// Joins lines into blocks.
#[derive(Debug)]
pub(crate) struct Joiner {
    settings: Settings,
    /// The event being joined; `None` before the first `firstline` line and after an
    /// over-long line (lines that do not match pass through).
    event: Option<Event>,
    /// Whether the pieces of an over-long line are passing through (its last piece not yet
    /// seen).
    long_line: LongLine,
    /// The joined bytes of the open block's lines from earlier calls
    /// (`Block::carried_lines` of them); empty when no block is carried.
    carried: Vec<u8>,
    /// How the last line in `carried` ended in the input.
    carried_terminator: Terminator,
    /// The head's fields and timestamp when it is [`Head::Stored`].
    head: StoredHead,
}

impl Joiner {
    pub(crate) fn new(settings: Settings) -> Joiner {
        Joiner {
            settings,
            event: None,
            long_line: LongLine::new(),
            carried: Vec::new(),
            carried_terminator: Terminator::Lf,
            head: StoredHead::default(),
        }
    }

    /// Whether the pieces of an over-long line are passing through.
    pub(crate) fn in_long_line(&self) -> bool {
        self.long_line.continues()
    }

    /// Whether an event is going on (a line that does not match `firstline` joins it).
    pub(crate) fn in_event(&self) -> bool {
        self.event.is_some()
    }

    /// Whether a block is open (and should go out after a quiet spell).
    pub(crate) fn has_open_block(&self) -> bool {
        self.event.is_some_and(|e| e.block.is_some())
    }

    /// Passes a piece of an over-long line through.
    pub(crate) fn long_line_piece(&mut self, line: &Line<'_>, out: &mut BatchOutput) {
        out.keep(line);
        self.long_line.next(line);
    }

    /// Starts an event whose head is line `i` of the batch (no event is going on).
    pub(crate) fn start_event(&mut self, i: usize) {
        debug_assert!(self.event.is_none());
        self.event = Some(Event {
            head: Head::Here(i),
            block: None,
        });
    }

    /// Sends the open block out, if any, at line `i`, and ends the event.
    pub(crate) fn end_event(&mut self, lines: &[Line<'_>], i: usize, out: &mut BatchOutput) {
        self.flush(lines, i, out);
        self.event = None;
    }

    /// Adds line `i` of the batch to the event's open block (opening one if needed); a block
    /// that would pass `max_bytes` goes out first, one that reaches `max_lines` after.
    pub(crate) fn append(&mut self, lines: &[Line<'_>], i: usize, out: &mut BatchOutput) {
        let len = lines[i].len();
        let sep = self.settings.separator.len();
        if let Some(Event {
            block: Some(block), ..
        }) = self.event
            && block.bytes.saturating_add(sep).saturating_add(len) > self.settings.max_bytes
        {
            self.flush(lines, i, out);
        }
        let Some(event) = &mut self.event else {
            return;
        };
        let block = event.block.get_or_insert_with(Block::default);
        block.bytes += if block.lines > 0 { sep + len } else { len };
        block.lines += 1;
        block.here = Some((block.here.map_or(i, |(first, _)| first), i));
        if block.lines >= self.settings.max_lines {
            self.flush(lines, i, out);
        }
    }

    /// Sends the open block out, if any; the event goes on. `i` is the line being handled,
    /// the position for a block whose head is in an earlier batch.
    fn flush(&mut self, lines: &[Line<'_>], i: usize, out: &mut BatchOutput) {
        let Some(event) = &mut self.event else {
            return;
        };
        let Some(block) = event.block.take() else {
            return;
        };
        // The block goes out where its last line is (so it ends with that line's terminator),
        // or, when all its lines came in earlier batches, before the line that closed it.
        let at = block.here.map_or(i, |(_, last)| last);
        let held = block.here.is_none().then_some(self.carried_terminator);
        match event.head {
            Head::Here(h) if block.here == Some((h, h)) => {
                out.line(&lines[h]).keep(); // the head alone: no copy
            }
            Head::Here(h) => {
                let mut o = out.line(&lines[at]);
                o.emit_detached_with(|buf| self.write(&block, lines, buf));
                if let Some(terminator) = held {
                    o.set_terminator(terminator);
                }
                o.set_fields(lines[h].fields());
                if let Some(ts) = lines[h].timestamp() {
                    o.set_timestamp(ts);
                }
            }
            Head::Stored => {
                let mut o = out.line(&lines[at]);
                o.emit_detached_with(|buf| self.write(&block, lines, buf));
                if let Some(terminator) = held {
                    o.set_terminator(terminator);
                }
                o.set_fields(self.head.fields.iter());
                if let Some(ts) = self.head.timestamp {
                    o.set_timestamp(ts);
                }
            }
        }
        self.carried.clear();
    }

    /// Writes `block`'s lines, joined.
    fn write(&self, block: &Block, lines: &[Line<'_>], buf: &mut LineBuf<'_>) {
        buf.extend_from_slice(&self.carried);
        if let Some((first, last)) = block.here {
            for (k, line) in lines.iter().enumerate().take(last + 1).skip(first) {
                if block.carried_lines > 0 || k > first {
                    buf.extend_from_slice(&self.settings.separator);
                }
                buf.extend_from_slice(line.bytes());
            }
        }
    }

    /// At the end of a batch: copies what the event still needs from it (the open block's
    /// lines, the head's fields and timestamp), since the batch goes away.
    pub(crate) fn carry(&mut self, lines: &[Line<'_>]) {
        let Some(event) = &mut self.event else {
            return;
        };
        if let Some(block) = &mut event.block
            && let Some((first, last)) = block.here.take()
        {
            for (k, line) in lines.iter().enumerate().take(last + 1).skip(first) {
                if block.carried_lines > 0 || k > first {
                    self.carried.extend_from_slice(&self.settings.separator);
                }
                self.carried.extend_from_slice(line.bytes());
                self.carried_terminator = line.terminator();
            }
            block.carried_lines = block.lines;
        }
        if let Head::Here(h) = event.head {
            let head = &lines[h];
            self.head.fields.copy_from(head.fields());
            self.head.timestamp = head.timestamp();
            event.head = Head::Stored;
        }
    }

    /// From `tick` or `finish` (between batches): sends the open block out, if any, with the
    /// head's fields and timestamp; the event goes on.
    pub(crate) fn flush_trailing(&mut self, out: &mut Trailing) {
        let Some(event) = &mut self.event else {
            return;
        };
        let Some(block) = event.block.take() else {
            return;
        };
        debug_assert!(block.here.is_none() && event.head == Head::Stored);
        out.push_held(&self.carried, self.carried_terminator);
        out.set_fields(self.head.fields.iter());
        if let Some(ts) = self.head.timestamp {
            out.set_timestamp(ts);
        }
        self.carried.clear();
    }
}
