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
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::chain::{Chain, Position};
use crate::framing::Terminator;
use crate::line_buffer::LineBuffer;
use crate::lines::Lines;
use crate::origin::{self, Placed};
use crate::parallel::{At, Fan, Ticket, Until};
use crate::pipeline::RunError;
use crate::positions::Positions;
use crate::say;
use crate::settings::Settings;
use crate::sink::Sink;
use crate::stop::StopRequest;

mod handing;

use handing::Handing;

/// With worker lanes, a batch of fewer lines than a full batch's (`max_batch_lines`) divided by
/// this, handed on while no batch is in flight, runs on this thread: input that trickles in (a
/// slow writer, a followed file) then comes out without two hand-offs between threads (0.2 ms
/// a line rather than 0.4), and there is nothing a lane could overlap it with. Once input
/// comes faster than this thread keeps up with, the batches grow past it and go to the lanes.
/// By default, fewer than 64 lines.
const TRICKLE_DIVISOR: usize = 16;

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
    /// The worker lanes and the batches in flight, when the chain runs on several threads.
    fan: Option<Fan>,
    /// A batch of fewer lines runs on this thread while none is in flight ([`TRICKLE_DIVISOR`]).
    trickle_lines: usize,
    /// How many batches ran on this thread by that rule (for tests).
    #[cfg(test)]
    trickled: u64,
    /// Set once the sink, given a ticket's lines, wanted no more: nothing more is handed on.
    sink_done: bool,
    /// Batches and their raw bytes, back from the sink, for the next tickets.
    spare: Vec<(Lines, Vec<u8>)>,
    /// The name of the input of the latest ticket, shared by the tickets of that input.
    ticket_input: Option<Arc<str>>,
}

impl Emitter {
    /// An emitter running `chain` with `settings`, on worker lanes as well when
    /// `settings.threads` asks for them and the chain has a parallel segment.
    pub(crate) fn new(chain: Chain, settings: &Settings) -> Emitter {
        Emitter {
            fan: Fan::start(&chain, settings.threads),
            trickle_lines: settings.max_batch_lines / TRICKLE_DIVISOR,
            #[cfg(test)]
            trickled: 0,
            chain,
            overlap: settings.boundary_overlap,
            batch: Lines::default(),
            tail: Vec::new(),
            line_ends: Vec::new(),
            positions: None,
            max_hold: settings.max_hold,
            held_since: None,
            sink_done: false,
            spare: Vec::new(),
            ticket_input: None,
        }
    }

    /// True when the chain runs on worker lanes too.
    pub(crate) fn is_parallel(&self) -> bool {
        self.fan.is_some()
    }

    /// How many batches ran through a segment again because a lane's guess of a stage's
    /// carried state was wrong.
    #[cfg(test)]
    pub(crate) fn guessed_wrong(&self) -> u64 {
        self.fan.as_ref().map_or(0, Fan::guessed_wrong)
    }

    /// How many batches ran on this thread because they were small while none was in flight.
    #[cfg(test)]
    pub(crate) fn trickled(&self) -> u64 {
        self.trickled
    }

    /// Flushes the sink, once every batch in flight went to it; the [`Positions`] are told
    /// under which mark, and what the sink has acknowledged so far.
    pub(crate) fn flush(&mut self, sink: &mut dyn Sink) -> Result<(), RunError> {
        // A sink that wants no more lines is kept in `sink_done`, which the next batch sees.
        let _wants_more = self.drain(sink)?;
        self.flush_sink(sink)
    }

    /// Flushes the sink (and tells the positions), whatever is in flight.
    fn flush_sink(&mut self, sink: &mut dyn Sink) -> Result<(), RunError> {
        flush_sink(sink, &mut self.positions)
    }

    /// Tells the [`Positions`] that the lines of entry `file` that end at `origin` or before
    /// were handed to the sink (nothing when no line had an origin).
    pub(crate) fn handed(&mut self, file: usize, origin: Option<u64>) {
        handed(&mut self.positions, file, origin);
    }

    /// Runs complete lines (`raw`, terminators included, ending at `self.line_ends`) through
    /// the chain and hands the result to `sink`. `placed` says where `raw` is in its file when
    /// the file's position is kept. `ends_a_long_line` says that the first line is the last
    /// piece of an over-long line whose windows went before: with worker lanes, such a batch
    /// runs here, through the instances that saw those windows, after every batch in flight. So
    /// does a small batch while none is in flight ([`TRICKLE_DIVISOR`]).
    pub(crate) fn lines(
        &mut self,
        raw: &[u8],
        source: &str,
        at: Position<'_>,
        placed: Option<Placed>,
        ends_a_long_line: bool,
        sink: &mut dyn Sink,
    ) -> Result<Flow, RunError> {
        if let Some(fan) = &self.fan {
            let trickles = fan.is_empty() && self.line_ends.len() < self.trickle_lines;
            if !ends_a_long_line && !trickles {
                return self.submit(raw, source, at, placed, sink);
            }
            #[cfg(test)]
            {
                self.trickled += u64::from(trickles);
            }
            if self.drain(sink)?.is_break() {
                return Ok(Flow::Break(()));
            }
        }
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
                self.flush_sink(sink)?;
            }
        }
        Ok(flow)
    }

    /// [`Emitter::lines`] with worker lanes: the batch goes to the fan as a ticket, and what
    /// has come out of it goes to the sink; while the fan is full, the oldest ticket is waited
    /// for.
    fn submit(
        &mut self,
        raw: &[u8],
        source: &str,
        at: Position<'_>,
        placed: Option<Placed>,
        sink: &mut dyn Sink,
    ) -> Result<Flow, RunError> {
        if self.sink_done {
            return Ok(Flow::Break(()));
        }
        let (mut batch, mut copy) = self.spare.pop().unwrap_or_default();
        batch.clear();
        batch.set_source(source);
        batch.push_framed(raw, &self.line_ends);
        if let Some(placed) = placed {
            origin::set_framed(&mut batch, placed.at, placed.start, &self.line_ends);
        }
        let batch_end = origin::largest(&batch).filter(|_| self.chain.keeps_no_state());
        sink.input(&batch);
        copy.clear();
        copy.extend_from_slice(raw);
        let Position::Lines { input, first, last } = at else {
            unreachable!("batches of complete lines are placed by their lines")
        };
        let input = match &self.ticket_input {
            Some(name) if **name == *input => Arc::clone(name),
            _ => Arc::clone(self.ticket_input.insert(Arc::from(input))),
        };
        let at = At { input, first, last };
        let fan = self.fan.as_mut().expect("tickets are submitted with a fan");
        fan.submit(Ticket::new(batch, copy, at, placed, batch_end));
        self.pump(sink, Until::Room)
    }

    /// Hands the tickets that came out of the fan to the sink, in order, waiting for them as
    /// `until` says.
    fn pump(&mut self, sink: &mut dyn Sink, until: Until) -> Result<Flow, RunError> {
        let Some(fan) = &mut self.fan else {
            return Ok(Flow::Continue(()));
        };
        if self.sink_done {
            return Ok(Flow::Break(()));
        }
        let mut handing = Handing::new(sink, &mut self.positions, &mut self.spare);
        fan.pump(&mut self.chain, until, &mut handing)?;
        if handing.into_more()? {
            return Ok(Flow::Continue(()));
        }
        self.sink_done = true;
        Ok(Flow::Break(()))
    }

    /// Waits until every batch in flight went to the sink.
    pub(crate) fn drain(&mut self, sink: &mut dyn Sink) -> Result<Flow, RunError> {
        self.pump(sink, Until::Empty)
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
        // The pieces of an over-long line go through the chain's own instances, in order,
        // after every batch before them.
        if self.drain(sink)?.is_break() {
            return Ok(Flow::Break(()));
        }
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

    /// Ticks the stages whose deadline has passed and hands on what they emit, after every
    /// batch in flight.
    pub(crate) fn tick_due(&mut self, now: Instant, sink: &mut dyn Sink) -> Result<Flow, RunError> {
        if self.chain.next_deadline().is_some_and(|at| at <= now) && self.drain(sink)?.is_break() {
            return Ok(Flow::Break(()));
        }
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
        if self.drain(sink)?.is_break() {
            return Ok(Flow::Break(()));
        }
        let mut more = Ok(true);
        self.chain
            .end_source(source, &mut |lines| emit_to(sink, lines, &mut more))?;
        flow(more)
    }

    /// Finishes the chain and hands on what its stages emit, after every batch in flight; the
    /// worker lanes' instances are finished after the chain's own, stage by stage.
    pub(crate) fn finish(&mut self, sink: &mut dyn Sink) -> Result<Flow, RunError> {
        if self.drain(sink)?.is_break() {
            return Ok(Flow::Break(()));
        }
        if let Some(fan) = &mut self.fan {
            fan.retire(&mut self.chain);
        }
        let mut more = Ok(true);
        self.chain
            .finish(&mut |lines| emit_to(sink, lines, &mut more))?;
        flow(more)
    }

    /// Before a read that may block: everything handed on so far goes out (with worker lanes,
    /// once every batch in flight is done), then, if a stage started to hold input back on one
    /// of those batches, it is waited for as it would have been right after that batch.
    pub(crate) fn settle(
        &mut self,
        sink: &mut dyn Sink,
        stop: &StopRequest,
    ) -> Result<Flow, RunError> {
        self.flush(sink)?;
        self.wait_while_held(sink, stop)
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

/// Flushes `sink` and tells `positions` under which mark, and what the sink has acknowledged
/// so far.
fn flush_sink(sink: &mut dyn Sink, positions: &mut Option<Positions>) -> Result<(), RunError> {
    sink.flush().map_err(RunError::Output)?;
    match positions {
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

/// Tells `positions`, if kept, that the lines of entry `file` that end at `origin` or before
/// were handed to the sink (nothing when no line had an origin).
fn handed(positions: &mut Option<Positions>, file: usize, origin: Option<u64>) {
    if let (Some(origin), Some(positions)) = (origin, positions) {
        positions.handed(file, origin);
    }
}
