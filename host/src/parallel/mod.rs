//! Running a chain on several cores with the output in input order (`--threads`).
//!
//! A tour:
//!
//! - The chain is cut into segments ([`Segment`], [`crate::chain`]): runs of nodes any
//!   instance of which may be given any batch (parallel), and runs of the others (serial).
//! - Each batch the read loop hands on becomes a numbered [`Ticket`]. A ticket goes through the
//!   segments in order: a parallel segment on whichever worker lane is free ([`lanes`]), with
//!   the lane's own instances of the segment's stages; a serial segment on the caller's
//!   thread, with the chain's own instances, and in number order only: a ticket enters a
//!   serial segment once every ticket before it has passed it ([`Fan::turn`]). The sink is the
//!   last serial step: tickets are handed to a [`Deliver`] (the emitter's sink side) in number
//!   order ([`Fan::pump`]), so the output is what one core would have written, byte for byte.
//! - At most [`Fan::is_full`] tickets are in flight: the read loop waits for the oldest one
//!   before handing on more, so memory stays bounded whatever the input.
//! - Everything else the chain does (windows of over-long lines, ticks, the end of a source,
//!   the end of the stream) happens on the caller's thread after every ticket is out, with the
//!   chain's own instances ([`crate::emit`] drains the fan first). So the pieces of an
//!   over-long line go through one instance of each stage, in order, and what a stage emits
//!   comes after every line handed on before it.
//! - A stage whose state is carried from batch to batch (a key block open across lines, see
//!   [`crate::runtime::Stage::guess`]) runs on the lanes from the guess that the batch before
//!   left nothing open. The guess is checked in number order, as a serial segment would run
//!   ([`Fan::turn`]): when it was right, what the batch left is handed to the stage on this
//!   thread; when it was wrong, the batch runs again through the segment here, from where the
//!   stream really stood ([`Fan::check_guess`]).
//! - A lane gives a batch back when a stage's output for it grows past one part (see
//!   [`crate::output`]): once every ticket before it is out, the caller runs it itself from
//!   that segment on and hands the parts on as they come ([`Fan::stream_given_back`]), so that
//!   one batch amplified a millionfold streams out in bounded memory as it does on one thread.
//!   A serial segment cannot run a batch twice, so when its output for a ticket grows past one
//!   part, the tickets before it are run out and handed on from inside the segment's call,
//!   and the parts then stream through the nodes after it as they come ([`here`]).
//! - At the end the lanes retire and hand their instances back to the chain ([`Fan::retire`]),
//!   which finishes them with its own.

mod here;
mod lanes;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::mem;
use std::sync::Arc;

use crate::chain::{Chain, NodeSeed, Nodes, Position, Segment};
use crate::error::StageError;
use crate::lines::Lines;
use crate::origin::Placed;

use lanes::{Done, Lanes, Outcome, Task};

/// Where a batch is in the input, owned, for messages about it.
#[derive(Clone, Debug)]
pub(crate) struct At {
    pub(crate) input: Arc<str>,
    pub(crate) first: u64,
    pub(crate) last: u64,
}

impl At {
    pub(crate) fn position(&self) -> Position<'_> {
        Position::Lines {
            input: &self.input,
            first: self.first,
            last: self.last,
        }
    }
}

/// A batch in flight, from the read loop to the sink.
pub(crate) struct Ticket {
    /// The batch as the segments so far left it: the parts a stage handed on early (an output
    /// too large to hold at once, see [`crate::output`]), in order, then the rest, last even
    /// when empty. One piece, the batch itself, when it is handed on.
    pub(crate) pieces: Vec<Lines>,
    /// True when a stage changed the batch; while false, the sink may write `raw`.
    pub(crate) changed: bool,
    /// The largest origin of the parts of its output already handed on, when it streamed
    /// (see [`Deliver::part`]), for the positions.
    pub(crate) handed_end: Option<u64>,
    /// The batch's bytes as read, terminators included.
    pub(crate) raw: Vec<u8>,
    pub(crate) at: At,
    /// Where the batch is in its file, when the file's position is kept.
    pub(crate) placed: Option<Placed>,
    /// Where the batch ends in its file when the chain holds no line back (see
    /// [`crate::emit`]).
    pub(crate) batch_end: Option<u64>,
    /// The next segment the ticket goes through; the number of segments once it went through
    /// all of them.
    segment: usize,
    state: State,
    /// The guess the previous segment ran it from, until the guess is checked.
    guess: Option<lanes::Guess>,
}

/// Where a ticket is.
enum State {
    /// With the fan, waiting for its turn or ready for the sink.
    Here,
    /// On a worker lane.
    Away,
    /// A segment failed on it: the run ends with the error once the ticket's turn comes.
    Failed(StageError),
    /// A lane gave it back, as it came to the segment, because the segment's output grew past
    /// one part.
    Overflow(Vec<Lines>),
}

/// Where the fan hands what comes out of it, in input order: the emitter's sink side.
pub(crate) trait Deliver {
    /// Takes a part of the output of the ticket that comes out next, handed on ahead of the
    /// rest of it (an output too large to hold at once, see [`crate::output`]).
    fn part(&mut self, part: &Lines);
    /// Takes a ticket that went through every segment: its pieces are what is left of its
    /// output.
    fn ticket(&mut self, ticket: Ticket);
    /// True once nothing more is wanted (the sink refused more lines, or failed).
    fn stopped(&self) -> bool;
}

/// How long [`Fan::pump`] goes on.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Until {
    /// Until one more ticket may be submitted.
    Room,
    /// Until no ticket is in flight.
    Empty,
    /// Until every ticket numbered lower than this one came out (whatever [`Deliver::stopped`]
    /// says: a segment runs that one meanwhile, and the turns it takes assume it).
    Before(u64),
}

impl Ticket {
    /// A ticket for `batch`, read as `raw`, at `at`.
    pub(crate) fn new(
        batch: Lines,
        raw: Vec<u8>,
        at: At,
        placed: Option<Placed>,
        batch_end: Option<u64>,
    ) -> Ticket {
        Ticket {
            pieces: vec![batch],
            changed: false,
            handed_end: None,
            raw,
            at,
            placed,
            batch_end,
            segment: 0,
            state: State::Here,
            guess: None,
        }
    }
}

/// The tickets in flight, the worker lanes, and the order they keep.
pub(crate) struct Fan {
    segments: Vec<Segment>,
    /// `None` once retired.
    lanes: Option<Lanes>,
    /// By number.
    tickets: BTreeMap<u64, Ticket>,
    /// The number of the next ticket submitted.
    next_seq: u64,
    /// For each segment, the number of the next ticket it takes, when it is serial: every
    /// ticket numbered lower went through it, and none numbered higher did. For a parallel
    /// segment with stages whose state is carried, the next ticket whose guess is checked.
    turn: Vec<u64>,
    /// The most tickets in flight at once.
    max_in_flight: usize,
    /// How many tickets ran through a segment again because its guess was wrong.
    guessed_wrong: u64,
}

impl Fan {
    /// Starts `threads` worker lanes for `chain`, if any of its nodes can run on them; `None`
    /// when none can (the chain then runs on the caller's thread alone).
    pub(crate) fn start(chain: &Chain, threads: usize) -> Option<Fan> {
        let segments = chain.segments();
        if threads < 2 || !segments.iter().any(|segment| segment.parallel) {
            return None;
        }
        let seeds: Vec<Option<Vec<NodeSeed>>> = segments
            .iter()
            .map(|segment| segment.parallel.then(|| chain.seeds(segment.nodes.clone())))
            .collect();
        Some(Fan {
            turn: vec![0; segments.len()],
            segments,
            lanes: Some(Lanes::start(threads, &seeds)),
            tickets: BTreeMap::new(),
            next_seq: 0,
            guessed_wrong: 0,
            // Two batches per lane keep every lane busy while the caller writes; the few more
            // let the serial segments and the sink run ahead of a slow lane.
            max_in_flight: 2 * threads + 2,
        })
    }

    /// True when no more tickets may be submitted until one comes out.
    pub(crate) fn is_full(&self) -> bool {
        self.tickets.len() >= self.max_in_flight
    }

    /// How many tickets ran through a segment again because its guess was wrong.
    #[cfg(test)]
    pub(crate) fn guessed_wrong(&self) -> u64 {
        self.guessed_wrong
    }

    /// True when no ticket is in flight.
    pub(crate) fn is_empty(&self) -> bool {
        self.tickets.is_empty()
    }

    /// Takes `ticket` in; it is handed on by [`Fan::pump`] after every ticket submitted
    /// before it.
    pub(crate) fn submit(&mut self, ticket: Ticket) {
        self.tickets.insert(self.next_seq, ticket);
        self.next_seq += 1;
    }

    /// Moves the tickets in flight on and hands those that came through, in number order, to
    /// `deliver`, as `until` says: serial segments run here, on `chain`; while `until` is not
    /// met, the lanes are waited for. The error is the one a segment failed with on the next
    /// ticket, after every ticket before it came out.
    pub(crate) fn pump(
        &mut self,
        chain: &mut Chain,
        until: Until,
        deliver: &mut dyn Deliver,
    ) -> Result<(), StageError> {
        self.pump_on(&mut chain.nodes(), until, deliver)
    }

    /// [`Fan::pump`] on `nodes`, which hold every node of the segments the tickets it moves
    /// are at.
    fn pump_on(
        &mut self,
        nodes: &mut Nodes<'_>,
        until: Until,
        deliver: &mut dyn Deliver,
    ) -> Result<(), StageError> {
        let before = match until {
            Until::Before(seq) => seq,
            Until::Room | Until::Empty => u64::MAX,
        };
        let mut answers_due = false;
        loop {
            while let Some(done) = self.lanes.as_ref().and_then(|l| l.answer(answers_due)) {
                self.absorb(done);
                answers_due = false;
            }
            self.advance(nodes, before, deliver);
            self.hand_out(nodes, before, deliver)?;
            // The first ticket left, if any, is on a lane: every ticket before it is out, so it
            // is its turn at every serial segment.
            let waiting = match until {
                Until::Room => self.is_full() && !deliver.stopped(),
                Until::Empty => !self.is_empty() && !deliver.stopped(),
                Until::Before(seq) => self.tickets.range(..seq).next().is_some(),
            };
            if !waiting {
                return Ok(());
            }
            answers_due = true;
        }
    }

    /// Hands the tickets numbered before `before` that came through to `deliver`, in number
    /// order, up to the first that did not; a ticket a lane gave back runs through the rest of
    /// the chain here first, streaming.
    fn hand_out(
        &mut self,
        nodes: &mut Nodes<'_>,
        before: u64,
        deliver: &mut dyn Deliver,
    ) -> Result<(), StageError> {
        while let Some(first) = self.tickets.first_entry() {
            if *first.key() >= before {
                break;
            }
            match first.get().state {
                State::Failed(_) => {
                    let State::Failed(err) = first.remove().state else {
                        unreachable!("matched as failed")
                    };
                    return Err(err);
                }
                State::Here if first.get().segment == self.segments.len() => {
                    deliver.ticket(first.remove());
                }
                State::Overflow(_) => {
                    let seq = *first.key();
                    let ticket = first.remove();
                    let ticket = self.stream_given_back(seq, ticket, nodes, deliver)?;
                    deliver.ticket(ticket);
                }
                _ => break,
            }
        }
        Ok(())
    }

    /// A lane's answer, back into its ticket.
    fn absorb(&mut self, done: Done) {
        let ticket = self
            .tickets
            .get_mut(&done.seq)
            .expect("a ticket stays in flight while it is on a lane");
        match done.outcome {
            Outcome::Ran(pieces, changed, guess) => {
                ticket.pieces = pieces;
                ticket.changed |= changed;
                ticket.segment += 1;
                ticket.state = State::Here;
                ticket.guess = guess;
            }
            Outcome::Overflow(pieces) => ticket.state = State::Overflow(pieces),
            Outcome::Failed(err) => ticket.state = State::Failed(err),
        }
    }

    /// Moves every ticket numbered before `before` as far as it may go now: through serial
    /// segments whose turn it is, and onto the lanes at parallel ones.
    fn advance(&mut self, nodes: &mut Nodes<'_>, before: u64, deliver: &mut dyn Deliver) {
        let mut next = 0;
        while let Some(&seq) = self.tickets.range(next..before).next().map(|(seq, _)| seq) {
            next = seq + 1;
            self.step(seq, nodes, deliver);
        }
    }

    /// Moves ticket `seq` as far as it may go now: its guess checked once its turn comes,
    /// then through the segments.
    fn step(&mut self, seq: u64, nodes: &mut Nodes<'_>, deliver: &mut dyn Deliver) {
        loop {
            let ticket = self.tickets.get_mut(&seq).expect("moved while in flight");
            if ticket.guess.is_some() {
                let s = ticket.segment - 1;
                if self.turn[s] != seq {
                    return;
                }
                match self.check_guess(s, seq, nodes) {
                    Ok(None) => {}
                    Ok(Some(input)) => self.run_here(seq, s, input, nodes, deliver),
                    Err(err) => self.fail(seq, err),
                }
                self.turn[s] += 1;
                continue;
            }
            let s = ticket.segment;
            if !matches!(ticket.state, State::Here) || s == self.segments.len() {
                return;
            }
            if self.segments[s].parallel {
                let lanes = self
                    .lanes
                    .as_ref()
                    .expect("tickets move only before the lanes retire");
                lanes.send(Task {
                    seq,
                    segment: s,
                    pieces: mem::take(&mut ticket.pieces),
                    at: ticket.at.clone(),
                });
                ticket.state = State::Away;
                return;
            }
            if self.turn[s] != seq {
                return;
            }
            let pieces = mem::take(&mut ticket.pieces);
            self.run_here(seq, s, pieces, nodes, deliver);
            self.turn[s] += 1;
        }
    }

    /// Ticket `seq` failed with `err`: the run ends with it once the ticket's turn comes.
    fn fail(&mut self, seq: u64, err: StageError) {
        let ticket = self.tickets.get_mut(&seq).expect("fails while in flight");
        ticket.state = State::Failed(err);
    }

    /// Ticket `seq` goes through every segment from `from` on now, on this thread, ahead of
    /// every ticket after it: it takes its turn at each segment that keeps one.
    fn claim_turns(&mut self, seq: u64, from: usize) {
        let after = self.segments.iter().zip(&mut self.turn).skip(from);
        for (segment, turn) in after {
            if in_turn(segment) {
                debug_assert_eq!(*turn, seq, "every ticket before it is out");
                *turn += 1;
            }
        }
    }

    /// Ends the lanes, once no ticket is in flight, and gives their instances of the parallel
    /// segments' stages back to `chain`, which finishes them with its own.
    pub(crate) fn retire(&mut self, chain: &mut Chain) {
        debug_assert!(self.tickets.is_empty());
        let Some(lanes) = self.lanes.take() else {
            return;
        };
        for lane in lanes.retire() {
            for (segment, copy) in self.segments.iter().zip(lane) {
                if let Some(copy) = copy {
                    chain.adopt(segment.nodes.start, copy);
                }
            }
        }
    }
}

/// True when tickets pass `segment` in number order: a serial segment, or a parallel one whose
/// guesses are checked.
fn in_turn(segment: &Segment) -> bool {
    !segment.parallel || !segment.carried.is_empty()
}
