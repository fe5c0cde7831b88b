//! [`Emitter`]: runs what the read loop hands on through the chain and passes the result to
//! the [`Sink`]: batches of complete lines, windows of over-long lines, the lines stages
//! emit when ticked or finished, and the waits a stage that holds input back asks for.
//!
//! Every method answers [`ControlFlow::Break`] once the sink said it wants no more.
//!
//! With `--positions`, the emitter also keeps the [`Positions`]: a batch handed to the sink is
//! told with its output's largest origin ([`crate::origin`]), or with the batch's own end when
//! no stage of the chain keeps state between lines ([`Chain::keeps_no_state`]: nothing is held,
//! so lines a filter dropped are done too), and every flush of the sink goes through
//! [`Emitter::flush`], which tells the positions the sink's mark and what it acknowledged. A
//! batch handed on when the last flush is an interval old flushes too
//! ([`Positions::flush_due`]).

use std::io;
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use crate::chain::{Chain, Position};
use crate::framing::Terminator;
use crate::line_buffer::LineBuffer;
use crate::lines::Lines;
use crate::origin::{self, Placed};
use crate::pipeline::RunError;
use crate::positions::Positions;
use crate::say;
use crate::sink::Sink;
use crate::stop::StopRequest;

/// Whether the run goes on: [`ControlFlow::Break`] once the sink wants no more lines.
pub(crate) type Flow = ControlFlow<()>;

/// Turns a sink's answer into a [`Flow`].
pub(crate) fn flow(more: io::Result<bool>) -> Result<Flow, RunError> {
    match more {
        Ok(true) => Ok(Flow::Continue(())),
        Ok(false) => Ok(Flow::Break(())),
        Err(err) => Err(RunError::Output(err)),
    }
}

/// The part of the pipeline that owns the chain; split from the inputs so that lines can be
/// borrowed from an input's buffer while the chain runs.
pub(crate) struct Emitter {
    pub(crate) chain: Chain,
    /// Bytes kept from the end of each window (`Settings::boundary_overlap`).
    overlap: usize,
    /// The batch being run through the chain; reused.
    batch: Lines,
    /// The tail of the last window, on its way back into the buffer; reused.
    tail: Vec<u8>,
    /// Where each line of the current frame ends, as `next_frame` records it; reused.
    pub(crate) line_ends: Vec<u32>,
    /// How far each input file was written and flushed, with `--positions`.
    pub(crate) positions: Option<Positions>,
    /// The longest a stage may hold input back without a break (`Settings::max_hold`).
    max_hold: Duration,
    /// Since when the chain has held input back without a break, while it does, and whether
    /// the hold has passed `max_hold` (and was said): set by [`Emitter::wait_while_held`],
    /// cleared once no stage holds.
    held_since: Option<(Instant, bool)>,
}

impl Emitter {
    pub(crate) fn new(chain: Chain, overlap: usize, max_hold: Duration) -> Emitter {
        Emitter {
            chain,
            overlap,
            batch: Lines::default(),
            tail: Vec::new(),
            line_ends: Vec::new(),
            positions: None,
            max_hold,
            held_since: None,
        }
    }

    /// Flushes the sink; the [`Positions`] are told under which mark, and what the sink has
    /// acknowledged so far.
    pub(crate) fn flush(&mut self, sink: &mut dyn Sink) -> Result<(), RunError> {
        sink.flush().map_err(RunError::Output)?;
        match &mut self.positions {
            Some(positions) => {
                let mark = sink.mark();
                let acknowledged = sink.acknowledged();
                positions
                    .flushed(mark, acknowledged)
                    .map_err(RunError::Positions)
            }
            None => Ok(()),
        }
    }

    /// Tells the [`Positions`] that the lines of entry `file` that end at `origin` or before
    /// were handed to the sink (nothing when no line had an origin).
    pub(crate) fn handed(&mut self, file: usize, origin: Option<u64>) {
        if let (Some(origin), Some(positions)) = (origin, &mut self.positions) {
            positions.handed(file, origin);
        }
    }

    /// Runs complete lines (`raw`, terminators included, ending at `self.line_ends`) through
    /// the chain and hands the result to `sink`. `placed` says where `raw` is in its file when
    /// the file's position is kept.
    pub(crate) fn lines(
        &mut self,
        raw: &[u8],
        source: &str,
        at: Position<'_>,
        placed: Option<Placed>,
        sink: &mut dyn Sink,
    ) -> Result<Flow, RunError> {
        self.batch.clear();
        self.batch.set_source(source);
        self.batch.push_framed(raw, &self.line_ends);
        if let Some(placed) = placed {
            origin::set_framed(&mut self.batch, placed.at, placed.start, &self.line_ends);
        }
        // Where the batch ends in its file: a chain whose stages keep nothing between lines
        // holds none of them back, so once its output is handed on the whole batch is done,
        // the lines it dropped included.
        let batch_end = origin::largest(&self.batch).filter(|_| self.chain.keeps_no_state());
        sink.input(&self.batch);
        // Parts of an output too large to hold at once come first (see `crate::output`).
        let (mut more, mut parts_end) = (Ok(true), None);
        let changed = self.chain.run(&mut self.batch, 0, at, &mut |part| {
            parts_end = parts_end.max(origin::largest(part));
            emit_to(sink, part, &mut more);
        })?;
        if flow(more)?.is_break() {
            return Ok(Flow::Break(()));
        }
        let flow = if changed {
            flow(sink.changed(&self.batch))
        } else {
            flow(sink.unchanged(raw, &self.batch))
        }?;
        if let Some(placed) = placed {
            let done = batch_end.or_else(|| origin::largest(&self.batch).max(parts_end));
            self.handed(placed.file, done);
            if self.positions.as_ref().is_some_and(Positions::flush_due) {
                self.flush(sink)?;
            }
        }
        Ok(flow)
    }

    /// Force-flushes the first `cap` pending bytes, which belong to a line too long to hold.
    pub(crate) fn window(
        &mut self,
        buffer: &mut LineBuffer,
        source: &str,
        cap: usize,
        at: Position<'_>,
        sink: &mut dyn Sink,
    ) -> Result<Flow, RunError> {
        let window = &mut self.batch;
        window.clear();
        window.set_source(source);
        window.push(&buffer.pending()[..cap], Terminator::None, true);
        self.chain.run_window(window, at)?;
        if window.is_empty() {
            // A stage failed on the window and its policy dropped it. The window's last
            // `overlap` bytes, as read, stay for the next window, so that what straddles the
            // cut is still seen whole.
            let kept = cap.min(self.overlap);
            self.tail.clear();
            self.tail
                .extend_from_slice(&buffer.pending()[cap - kept..cap]);
            buffer.replace_front(cap, &self.tail);
            return Ok(Flow::Continue(()));
        }

        // Keep the last `overlap` bytes (as the boundary-safe stages left them) for the next
        // window; the rest is a partial piece.
        let seen = window.line(0);
        let head_len = seen.len().saturating_sub(self.overlap);
        self.tail.clear();
        self.tail.extend_from_slice(&seen[head_len..]);
        buffer.replace_front(cap, &self.tail);
        if head_len == 0 {
            return Ok(Flow::Continue(()));
        }
        window.data.truncate(head_len);
        window.ends[0] = head_len as u32;

        let rest = self.chain.boundary_safe_prefix();
        let mut more = Ok(true);
        self.chain
            .run(window, rest, at, &mut |part| emit_to(sink, part, &mut more))?;
        if flow(more)?.is_break() {
            return Ok(Flow::Break(()));
        }
        flow(sink.changed(window))
    }

    /// Ticks the stages whose deadline has passed and hands on what they emit.
    pub(crate) fn tick_due(&mut self, now: Instant, sink: &mut dyn Sink) -> Result<Flow, RunError> {
        let mut more = Ok(true);
        self.chain
            .tick_due(now, &mut |lines| emit_to(sink, lines, &mut more))?;
        flow(more)
    }

    /// Ends the input `source` for the stages that keep state per source and hands on what
    /// they emit.
    pub(crate) fn end_source(
        &mut self,
        source: &str,
        sink: &mut dyn Sink,
    ) -> Result<Flow, RunError> {
        let mut more = Ok(true);
        self.chain
            .end_source(source, &mut |lines| emit_to(sink, lines, &mut more))?;
        flow(more)
    }

    /// Finishes the chain and hands on what its stages emit.
    pub(crate) fn finish(&mut self, sink: &mut dyn Sink) -> Result<Flow, RunError> {
        let mut more = Ok(true);
        self.chain
            .finish(&mut |lines| emit_to(sink, lines, &mut more))?;
        flow(more)
    }

    /// While a stage holds input back, flushes, sleeps to its deadline and ticks.
    ///
    /// Not for ever: once the chain has held input back for `max_hold` without a break, input
    /// is read again (the holding stage goes on, and is ticked as it asks) and the stage is
    /// named once on stderr; and a stop request ends the wait at once, so that the read loop
    /// ends the input and the chain finishes.
    pub(crate) fn wait_while_held(
        &mut self,
        sink: &mut dyn Sink,
        stop: &StopRequest,
    ) -> Result<Flow, RunError> {
        while self.chain.holds() {
            let (since, overrun) = *self.held_since.get_or_insert((Instant::now(), false));
            let until = since + self.max_hold;
            let now = Instant::now();
            if stop.is_requested() || overrun {
                break;
            }
            if now >= until {
                if let Some(label) = self.chain.holder() {
                    say::warning(format_args!(
                        "{label} held the input back for {:?}; reading on while it holds \
                         (--max-hold)",
                        self.max_hold
                    ));
                }
                self.held_since = Some((since, true));
                break;
            }
            self.flush(sink)?;
            if let Some(deadline) = self.chain.next_deadline()
                && deadline > now
            {
                stop.sleep(deadline.min(until) - now);
            }
            if self.tick_due(Instant::now(), sink)?.is_break() {
                return Ok(Flow::Break(()));
            }
        }
        if !self.chain.holds() {
            self.held_since = None;
        }
        Ok(Flow::Continue(()))
    }

    /// Ticks what is due, if anything asked for a tick.
    pub(crate) fn tick_if_due(&mut self, sink: &mut dyn Sink) -> Result<Flow, RunError> {
        if self.chain.next_deadline().is_some() {
            self.tick_due(Instant::now(), sink)
        } else {
            Ok(Flow::Continue(()))
        }
    }
}

/// Hands emitted lines to `sink` while it still wants them; its first refusal or error is
/// kept in `more`.
fn emit_to(sink: &mut dyn Sink, lines: &Lines, more: &mut io::Result<bool>) {
    if matches!(more, Ok(true)) {
        *more = sink.emitted(lines);
    }
}
