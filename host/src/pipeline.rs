//! [`Pipeline`]: bytes in, lines through the chain, lines out to a [`Sink`].
//!
//! The loop, per input: ask [`next_frame`] what the pending bytes allow; hand complete lines
//! to the chain as one batch, cut a window off an over-long line, or — when nothing can be
//! handed on — flush the sink and read once more. Reading happens only when the pending bytes
//! are used up, and the sink is flushed *before* every read that may block, so a line written
//! to sluice's stdin comes out at once, however slowly the input trickles in: no polling
//! interval, no batch that waits to fill up.
//!
//! Time enters in two places here. A stage may ask to be ticked at a deadline (a multiline
//! block flushed after a quiet spell): due ticks run before each batch, and a read that may
//! block waits for input only until the next deadline (`poll(2)` on the input). A stage may
//! hold input back (a rate limiter delaying lines): the loop then sleeps to its deadline and
//! ticks it before reading on. Following files (`--follow`) is the same loop over several
//! growing files; it lives in [`crate::follow`].
//!
//! A stop request ([`crate::stop`]) wakes a wait for input; the input then ends where it is
//! (what was read is handed on, a last line without its terminator as at any end), no other
//! input is opened, and the chain is finished as at the end of the input.
//!
//! The lines go to the sink through [`crate::emit`]. When the chain is empty and the sink takes
//! bytes as they are (raw output), input is copied in bulk instead ([`Pipeline::copy_input`]).
//!
//! With [`Pipeline::track_positions`], a regular file resumes from its recorded offset, the
//! loop tells [`crate::positions`] what it reads, hands on and flushes, and the positions are
//! written at the end of the run whatever the end ([`Pipeline::settle`]).

use std::fmt;
use std::io::{self, Read};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::chain::{Chain, Position};
use crate::emit::{Emitter, Flow, flow};
use crate::error::StageError;
use crate::framing::{Frame, Limits, next_frame};
use crate::input::{Input, Reading, Source, Wait, Waiter};
use crate::on_error::Failures;
use crate::origin::Placed;
use crate::positions::{Positions, PositionsError};
use crate::read_ahead::ReadAhead;
use crate::say;
use crate::settings::Settings;
use crate::sink::Sink;
use crate::stats::{CountingSink, RunCounters, Stats};
use crate::stop::StopRequest;

/// Why a run stopped early.
#[derive(Debug)]
pub enum RunError {
    /// A stage failed; the error names it and the input position.
    Stage(StageError),
    /// The sink failed (writing the output). A broken pipe is reported here too; the caller
    /// decides that it is a quiet end.
    Output(io::Error),
    /// The positions file could not be written (`--positions`).
    Positions(PositionsError),
}

impl From<StageError> for RunError {
    fn from(err: StageError) -> RunError {
        RunError::Stage(err)
    }
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Stage(err) => write!(f, "{err}"),
            RunError::Output(err) => write!(f, "cannot write the output: {err}"),
            RunError::Positions(err) => write!(f, "{err}"),
        }
    }
}

impl std::error::Error for RunError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RunError::Stage(err) => Some(err),
            RunError::Output(err) => Some(err),
            RunError::Positions(err) => Some(err),
        }
    }
}

/// The whole path from input bytes to the sink.
pub struct Pipeline {
    pub(crate) settings: Settings,
    pub(crate) limits: Limits,
    pub(crate) emitter: Emitter,
    /// Ends the run as at the end of the input when requested ([`Pipeline::stop_on`]).
    pub(crate) stop: StopRequest,
    /// What the run read and wrote so far ([`Pipeline::stats`]).
    pub(crate) counters: Arc<RunCounters>,
    /// When the pipeline was made: the start of the run, for its rate.
    started: Instant,
    /// Whether lines copied in bulk are counted ([`Pipeline::count_lines_in_bulk`]).
    pub(crate) count_bulk_lines: bool,
}

impl Pipeline {
    /// A pipeline running `chain` with `settings`, which must pass [`Settings::check`].
    pub fn new(chain: Chain, settings: Settings) -> Pipeline {
        debug_assert_eq!(settings.check(), Ok(()));
        let limits = Limits {
            max_line_bytes: settings.max_line_bytes,
            max_batch_lines: settings.max_batch_lines.max(1),
            max_batch_bytes: settings.max_batch_bytes.max(1),
        };
        Pipeline {
            settings,
            limits,
            emitter: Emitter::new(chain, &settings),
            stop: StopRequest::never(),
            counters: Arc::default(),
            started: Instant::now(),
            count_bulk_lines: false,
        }
    }

    /// Counts the lines of input copied in bulk too (a chain with no stage, raw output), for
    /// [`Pipeline::stats`]: a pass over bytes that are otherwise only copied, so only for a
    /// run whose counts will be shown. Without it such lines are left out of the counts, and
    /// the stats say so.
    pub fn count_lines_in_bulk(&mut self) {
        self.count_bulk_lines = true;
    }

    /// A handle on what the run has done, per stage and in all, which another thread may read
    /// while the run goes on (see [`crate::stats`]).
    pub fn stats(&self) -> Stats {
        let stages = self.emitter.chain.counters();
        Stats::new(self.started, Arc::clone(&self.counters), stages)
    }

    /// What each stage's failures cost, for the stages that failed under `skip` or `drop`.
    pub fn failures(&self) -> Vec<Failures> {
        self.emitter.chain.failures()
    }

    /// Lets `stop` end a run early, as if every input ended where it was: nothing more is
    /// read, what was read goes through the chain, and the chain and the sink are finished as
    /// at the end of the input (see [`crate::stop`]).
    pub fn stop_on(&mut self, stop: StopRequest) {
        self.stop = stop;
    }

    /// Keeps the input files' positions in `positions`: each regular file resumes from its
    /// recorded offset when it is the file recorded, and how far its lines were written and
    /// flushed is written back as the run goes and at its end (see [`crate::positions`]).
    pub fn track_positions(&mut self, positions: Positions) {
        self.emitter.positions = Some(positions);
    }

    /// The positions kept, if any.
    pub fn positions(&self) -> Option<&Positions> {
        self.emitter.positions.as_ref()
    }

    /// Runs every input through the chain in order, then finishes the chain, handing the lines
    /// to `sink` as they come. At the end of each input, the stages that keep state per
    /// source finish it, so what they hold comes out before the next input's lines. An input
    /// that cannot be opened or read is reported to
    /// `input_error` and skipped (what was read of it is kept); the others still run. When a
    /// stage fails, what the chain finished before the failure still reaches the sink. A stop
    /// request ends the input being read where it is and skips the rest.
    pub fn run(
        &mut self,
        inputs: &[Input],
        sink: &mut dyn Sink,
        input_error: &mut dyn FnMut(&Input, io::Error),
    ) -> Result<(), RunError> {
        let counters = Arc::clone(&self.counters);
        let sink = &mut CountingSink::new(sink, &counters, self.count_bulk_lines);
        let result = self.run_all(inputs, sink, input_error);
        self.settle(result, sink)
    }

    fn run_all(
        &mut self,
        inputs: &[Input],
        sink: &mut dyn Sink,
        input_error: &mut dyn FnMut(&Input, io::Error),
    ) -> Result<(), RunError> {
        let mut ahead = ReadAhead::start(inputs);
        for (i, input) in inputs.iter().enumerate() {
            if self.stop.is_requested() {
                break;
            }
            let mut reading = Reading::new(input, &self.settings);
            let opened_ahead = match input {
                Input::File(_) => ahead.take(i),
                Input::Stdin => None,
            };
            let opened = input
                .open(opened_ahead, self.settings.decompress, &self.counters)
                .and_then(|mut source| {
                    self.resume(input, &mut source, &mut reading)
                        .map(|()| source)
                });
            let mut source = match opened {
                Ok(source) => source,
                Err(err) => {
                    input_error(input, err);
                    continue;
                }
            };
            let (flow, read) = self.run_input(&mut source, &mut reading, sink)?;
            if let Err(err) = read {
                input_error(input, err);
            }
            if flow.is_break() || self.emitter.end_source(&reading.source, sink)?.is_break() {
                return Ok(());
            }
        }
        self.finish_chain(sink)
    }

    /// With `--positions`, starts reading a regular file at its recorded offset when it is the
    /// file recorded.
    fn resume(
        &mut self,
        input: &Input,
        source: &mut Source,
        reading: &mut Reading,
    ) -> io::Result<()> {
        if let (Some(_), Some(codec)) = (&self.emitter.positions, source.compressed_file()) {
            say::warning(format_args!(
                "{input} is {codec}-compressed: its position is not kept (--positions), so it \
                 is read whole on every run"
            ));
        }
        let (Some(positions), Input::File(path), Some(file)) =
            (&mut self.emitter.positions, input, source.regular_file())
        else {
            return Ok(());
        };
        let Some(index) = positions.track(path) else {
            return Ok(());
        };
        let offset = positions.open(index, file)?;
        source.seek_to(offset)?;
        reading.tracked = Some(index);
        reading.read_to = offset;
        Ok(())
    }

    /// Finishes the chain at the end of the input (or of a stop request) and hands on what it
    /// emits; then every line read is in what the sink was given.
    pub(crate) fn finish_chain(&mut self, sink: &mut dyn Sink) -> Result<(), RunError> {
        let flow = self.emitter.finish(sink)?;
        // Whether the sink wants more after the last lines changes nothing: the run ends.
        if let (Flow::Continue(()), Some(positions)) = (flow, &mut self.emitter.positions) {
            positions.complete();
        }
        Ok(())
    }

    /// Runs one input to its end (or to where a stop request finds it), or until the sink
    /// stops. The error stops the run; the read error beside the flow is one after which what
    /// was read is still processed.
    fn run_input(
        &mut self,
        source: &mut Source,
        reading: &mut Reading,
        sink: &mut dyn Sink,
    ) -> Result<(Flow, io::Result<()>), RunError> {
        let waiter = source.waiter(&self.stop);
        if self.emitter.chain.is_empty() && sink.takes_bytes() {
            return self.copy_input(source, &waiter, reading, sink);
        }
        let mut read_error = None;
        loop {
            if self.drain(reading, sink)?.is_break() {
                return Ok((Flow::Break(()), Ok(())));
            }
            let eof = reading.buffer.is_eof();
            // About to read, which may block, or at the end: everything handed on so far goes
            // out first, and due ticks run while waiting. With worker lanes, only when the
            // read would block: the batches in flight keep the lanes busy while more is read.
            let settle = if self.emitter.is_parallel() {
                eof || !waiter.ready_now()
            } else {
                !eof
            };
            if settle && self.emitter.settle(sink, &self.stop)?.is_break() {
                return Ok((Flow::Break(()), Ok(())));
            }
            if eof {
                break;
            }
            match self.wait_for_input(&waiter, sink)? {
                Waited::Input => {}
                Waited::Stop => {
                    // What was read is handed on as this input's last bytes.
                    reading.buffer.set_eof();
                    continue;
                }
                Waited::SinkDone => return Ok((Flow::Break(()), Ok(()))),
            }
            if let Err(err) = reading.fill(source, self.emitter.positions.as_mut()) {
                read_error = Some(err);
                reading.buffer.set_eof();
            }
        }
        Ok((Flow::Continue(()), read_error.map_or(Ok(()), Err)))
    }

    /// Waits until the input can be read without blocking, running the ticks that come due
    /// meanwhile, or until a stop is requested.
    fn wait_for_input(&mut self, waiter: &Waiter, sink: &mut dyn Sink) -> Result<Waited, RunError> {
        loop {
            let deadline = self.emitter.chain.next_deadline();
            let now = Instant::now();
            if let Some(deadline) = deadline
                && deadline <= now
            {
                if self.emitter.tick_due(now, sink)?.is_break() {
                    return Ok(Waited::SinkDone);
                }
                self.emitter.flush(sink)?;
                // Input is read between ticks, whatever a stage asks for: a stage that always
                // wants its next tick at once cannot keep the input waiting.
                match waiter.wait(Some(Duration::ZERO)) {
                    Wait::Ready => return Ok(Waited::Input),
                    Wait::Stopped => return Ok(Waited::Stop),
                    Wait::TimedOut => continue,
                }
            }
            match waiter.wait(deadline.map(|d| d - now)) {
                Wait::Ready => return Ok(Waited::Input),
                Wait::Stopped => return Ok(Waited::Stop),
                // A deadline came, or a signal interrupted the wait: look again.
                Wait::TimedOut => {}
            }
        }
    }

    /// Hands on every frame the pending bytes of `reading` allow (at its end, all of them),
    /// then returns: more bytes are needed.
    pub(crate) fn drain(
        &mut self,
        reading: &mut Reading,
        sink: &mut dyn Sink,
    ) -> Result<Flow, RunError> {
        loop {
            let frame = next_frame(
                reading.buffer.pending(),
                reading.buffer.is_eof(),
                &self.limits,
                &mut self.emitter.line_ends,
            );
            if matches!(frame, Frame::Wait) {
                return Ok(Flow::Continue(()));
            }
            if self.emitter.tick_if_due(sink)?.is_break() {
                return Ok(Flow::Break(()));
            }
            let flow = self.hand_on(frame, reading, sink)?;
            if flow.is_break() || self.emitter.wait_while_held(sink, &self.stop)?.is_break() {
                return Ok(Flow::Break(()));
            }
        }
    }

    /// Hands one frame of `reading` on: a batch of complete lines, the input's last line, or
    /// a window of an over-long line.
    fn hand_on(
        &mut self,
        frame: Frame,
        reading: &mut Reading,
        sink: &mut dyn Sink,
    ) -> Result<Flow, RunError> {
        let first = reading.line + 1;
        let (len, count) = match frame {
            Frame::Lines { len, count } => (len, count as u64),
            Frame::Last => {
                let len = reading.buffer.pending().len();
                self.emitter.line_ends.clear();
                self.emitter.line_ends.push(len as u32);
                (len, 1)
            }
            Frame::Window => {
                let at = Position::Piece {
                    input: &reading.name,
                    line: first,
                };
                let cap = self.limits.max_line_bytes;
                if !reading.mid_line {
                    reading.line_start = reading.pending_at();
                }
                reading.mid_line = true;
                return self
                    .emitter
                    .window(&mut reading.buffer, &reading.source, cap, at, sink);
            }
            Frame::Wait => unreachable!("drain returns before a wait"),
        };
        let at = Position::Lines {
            input: &reading.name,
            first,
            last: reading.line + count,
        };
        let placed = reading.tracked.map(|file| {
            let at = reading.pending_at();
            let start = if reading.mid_line {
                reading.line_start
            } else {
                at
            };
            Placed { file, at, start }
        });
        let raw = &reading.buffer.pending()[..len];
        self.counters.read_lines(count);
        let flow = self
            .emitter
            .lines(raw, &reading.source, at, placed, reading.mid_line, sink)?;
        reading.buffer.consume(len);
        reading.line += count;
        reading.mid_line = false;
        Ok(flow)
    }

    /// [`Pipeline::run_input`] for a chain with no stage and a sink that takes bytes: nothing
    /// looks at single lines, so complete lines are copied through in bulk, up to the last
    /// terminator read so far (one `memrchr` per read instead of one `memchr` per line). The
    /// bytes and the moments they are written are the same as with the line loop; an
    /// over-long line is written in pieces as it arrives, so memory stays bounded.
    pub(crate) fn copy_input(
        &mut self,
        rdr: &mut dyn Read,
        waiter: &Waiter,
        reading: &mut Reading,
        sink: &mut dyn Sink,
    ) -> Result<(Flow, io::Result<()>), RunError> {
        let cap = self.limits.max_line_bytes;
        let mut read_error = None;
        loop {
            let buffer = &mut reading.buffer;
            let pending = buffer.pending();
            let len = if buffer.is_eof() || pending.len() > cap {
                pending.len()
            } else {
                memchr::memrchr(b'\n', pending).map_or(0, |i| i + 1)
            };
            if len > 0 {
                if flow(sink.bytes(&pending[..len]))?.is_break() {
                    return Ok((Flow::Break(()), Ok(())));
                }
                buffer.consume(len);
                if let Some(file) = reading.tracked {
                    // Bytes go out as they are: the position is exact, even inside a line.
                    self.emitter.handed(file, Some(reading.pending_at()));
                    self.emitter.flush(sink)?;
                }
            }
            let buffer = &mut reading.buffer;
            if buffer.is_eof() {
                return Ok((Flow::Continue(()), read_error.map_or(Ok(()), Err)));
            }
            match waiter.wait(None) {
                Wait::Ready => {}
                Wait::TimedOut => continue,
                Wait::Stopped => {
                    buffer.set_eof();
                    continue;
                }
            }
            if let Err(err) = reading.fill(rdr, self.emitter.positions.as_mut()) {
                read_error = Some(err);
                reading.buffer.set_eof();
            }
        }
    }
}

/// What a wait for input ended with, seen from the read loop.
enum Waited {
    /// The input can be read.
    Input,
    /// A stop was requested: the input ends here.
    Stop,
    /// The sink wants no more lines (a tick's lines were its last).
    SinkDone,
}

impl Pipeline {
    /// Ends a run: the sink is finished whether the run ended, stopped or a stage failed (what
    /// the chain finished before a failure is not lost); a stage failure is still the result.
    /// Then the positions are written: how far each file was read when the chain finished and
    /// the sink delivered everything, else what the sink acknowledged.
    pub(crate) fn settle(
        &mut self,
        result: Result<(), RunError>,
        sink: &mut dyn Sink,
    ) -> Result<(), RunError> {
        let (result, delivered) = match result {
            Ok(()) => {
                let finished = sink.finish().map_err(RunError::Output);
                let delivered = finished.is_ok();
                (finished, delivered)
            }
            Err(err @ (RunError::Stage(_) | RunError::Positions(_))) => {
                let delivered = sink.finish().is_ok();
                (Err(err), delivered)
            }
            Err(err @ RunError::Output(_)) => (Err(err), false),
        };
        let Some(positions) = &mut self.emitter.positions else {
            return result;
        };
        let written = positions
            .settle(delivered, sink.acknowledged())
            .map_err(RunError::Positions);
        result.and(written)
    }
}

#[cfg(test)]
pub(crate) mod tests;
