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
//!   last serial step: tickets come out of [`Fan::next_out`] in number order, so the output is
//!   what one core would have written, byte for byte.
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
//!   that segment on and hands the parts on as they come ([`Out::Stream`]), so that one batch
//!   amplified a millionfold streams out in bounded memory as it does on one thread.
//! - At the end the lanes retire and hand their instances back to the chain ([`Fan::retire`]),
//!   which finishes them with its own.

mod lanes;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::mem;
use std::sync::Arc;

use crate::chain::{Chain, NodeSeed, Position, Segment};
use crate::error::StageError;
use crate::lines::Lines;
use crate::origin::Placed;

use lanes::{Done, Guess, Lanes, Outcome, Task, run_pieces, uncount};

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
    /// The largest origin of the parts of its output already handed to the sink (see
    /// [`Out::Stream`]), for the positions.
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
    guess: Option<Guess>,
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

/// A ticket that came out of the fan, for the sink.
pub(crate) enum Out {
    /// It went through every segment: its pieces go to the sink.
    Done(Ticket),
    /// Its pieces (in [`Ticket::pieces`]) are as they came to the nodes from this one on,
    /// which the caller runs them through itself, handing the parts on as they come.
    Stream(Ticket, usize),
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

    /// Takes `ticket` in; it comes out of [`Fan::next_out`] after every ticket submitted
    /// before it.
    pub(crate) fn submit(&mut self, ticket: Ticket) {
        self.tickets.insert(self.next_seq, ticket);
        self.next_seq += 1;
    }

    /// The next ticket in number order once it went through every segment, moving the
    /// tickets in flight on meanwhile (serial segments run here, on `chain`). When it is not
    /// ready yet: with `wait`, waits for the lanes until it is; else `None`. `None` too when
    /// no ticket is in flight. The error is the one a segment failed with on the next ticket,
    /// after every ticket before it came out.
    pub(crate) fn next_out(
        &mut self,
        chain: &mut Chain,
        wait: bool,
    ) -> Result<Option<Out>, StageError> {
        let mut answers_due = false;
        loop {
            while let Some(done) = self.lanes.as_ref().and_then(|l| l.answer(answers_due)) {
                self.absorb(done);
                answers_due = false;
            }
            self.advance(chain);
            let Some(first) = self.tickets.first_entry() else {
                return Ok(None);
            };
            match first.get().state {
                State::Failed(_) => {
                    let State::Failed(err) = first.remove().state else {
                        unreachable!("matched as failed")
                    };
                    return Err(err);
                }
                State::Here if first.get().segment == self.segments.len() => {
                    return Ok(Some(Out::Done(first.remove())));
                }
                State::Overflow(_) => {
                    let seq = *first.key();
                    let mut ticket = first.remove();
                    let State::Overflow(pieces) = mem::replace(&mut ticket.state, State::Here)
                    else {
                        unreachable!("matched as given back")
                    };
                    ticket.pieces = pieces;
                    ticket.changed = true;
                    // It goes through every segment from its own on now, first of all.
                    let after = self
                        .segments
                        .iter()
                        .zip(&mut self.turn)
                        .skip(ticket.segment);
                    for (segment, turn) in after {
                        if in_turn(segment) {
                            debug_assert_eq!(*turn, seq, "every ticket before it is out");
                            *turn += 1;
                        }
                    }
                    let from = self.segments[ticket.segment].nodes.start;
                    return Ok(Some(Out::Stream(ticket, from)));
                }
                // The first ticket is always on its way: every ticket before it is out, so
                // it is its turn at every serial segment. Here, it is on a lane.
                _ if wait => answers_due = true,
                _ => return Ok(None),
            }
        }
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

    /// Moves every ticket as far as it may go now: through serial segments whose turn it is,
    /// and onto the lanes at parallel ones.
    fn advance(&mut self, chain: &mut Chain) {
        let Fan {
            segments,
            lanes,
            tickets,
            turn,
            guessed_wrong,
            ..
        } = self;
        for (&seq, ticket) in tickets.iter_mut() {
            if ticket.guess.is_some() {
                let s = ticket.segment - 1;
                if turn[s] != seq {
                    continue;
                }
                match check_guess(chain, &segments[s], ticket) {
                    Ok(right) => *guessed_wrong += u64::from(!right),
                    Err(err) => ticket.state = State::Failed(err),
                }
                turn[s] += 1;
            }
            while matches!(ticket.state, State::Here) && ticket.segment < segments.len() {
                let s = ticket.segment;
                let segment = &segments[s];
                if segment.parallel {
                    let lanes = lanes
                        .as_ref()
                        .expect("tickets move only before the lanes retire");
                    lanes.send(Task {
                        seq,
                        segment: s,
                        pieces: mem::take(&mut ticket.pieces),
                        at: ticket.at.clone(),
                    });
                    ticket.state = State::Away;
                } else if turn[s] == seq {
                    let pieces = mem::take(&mut ticket.pieces);
                    let at = ticket.at.position();
                    // A serial stage's output for the ticket stays with it whatever its size:
                    // the stage cannot run the batch a second time.
                    let span = segment.nodes.clone();
                    match run_pieces(chain, span, pieces, at, &mut |_| Ok(())) {
                        Ok((pieces, changed)) => {
                            ticket.pieces = pieces;
                            ticket.changed |= changed;
                            ticket.segment += 1;
                            turn[s] += 1;
                        }
                        Err(err) => ticket.state = State::Failed(err),
                    }
                } else {
                    break;
                }
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

/// Checks the guess `ticket` went through `segment` from, its turn come: every stage whose
/// state is carried was right to start from nothing when its source's lines so far left
/// nothing. Then what the ticket left is where the source stands; else the ticket runs through
/// the segment again here, from the pieces it came with, and the stages here start from where
/// the source stands (see [`crate::runtime::Stage::settle`]). Returns whether the guess was
/// right.
fn check_guess(
    chain: &mut Chain,
    segment: &Segment,
    ticket: &mut Ticket,
) -> Result<bool, StageError> {
    let Guess {
        input,
        left,
        counted,
    } = ticket.guess.take().expect("checked when there is a guess");
    let source = input
        .last()
        .expect("a ticket has a last piece")
        .source
        .clone();
    let mut right = true;
    for &i in &segment.carried {
        if !chain.carried_stage(i).carry_of(&source)?.is_empty() {
            right = false;
            break;
        }
    }
    if right {
        for (&i, left) in segment.carried.iter().zip(left) {
            chain.carried_stage(i).hand_carry(&source, left);
        }
        return Ok(true);
    }
    // The lane's answer is thrown away: its lines are counted when they run here.
    uncount(counted);
    let at = ticket.at.position();
    let (pieces, _) = run_pieces(chain, segment.nodes.clone(), input, at, &mut |_| Ok(()))?;
    ticket.pieces = pieces;
    ticket.changed = true;
    Ok(false)
}
