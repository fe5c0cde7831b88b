//! What the fan runs on the caller's thread, with the chain's own instances: a ticket through
//! a serial segment, a ticket again through a segment whose guess was wrong, and the rest of
//! the chain for a ticket a lane gave back.
//!
//! Such a run may make more than one part of output (see [`crate::output`]). A lane gives its
//! ticket back then, to be run again here; a serial segment cannot run a batch twice, so it
//! goes on, and the parts are handed on from inside its call, in order:
//!
//! 1. At the first part, every ticket before this one is run out and handed on
//!    ([`super::Until::Before`]): they are at later segments, which the nodes after this one
//!    hold ([`Nodes::split_at`]), or on the lanes.
//! 2. This ticket then takes its turn at every later segment, ahead of the tickets after it,
//!    and what this segment made of it so far, then each part as it comes, runs through the
//!    rest of the chain here and is handed on ([`stream_on`]).
//! 3. When the segment is done, what is left of its output runs through the rest of the chain
//!    too, and the ticket comes out next with what is left of that.
//!
//! So a serial stage that turns one batch into a million lines streams them out in bounded
//! memory, as on one thread, and the order is input order.

use std::mem;

use super::lanes::{Guess, uncount};
use super::{At, Deliver, Fan, State, Ticket, Until};
use crate::chain::{Nodes, Position};
use crate::error::StageError;
use crate::lines::Lines;
use crate::origin;

/// What a segment run here made of a ticket.
// Made once per ticket and segment, and taken apart at once: boxing the batch would save
// nothing that matters.
#[allow(clippy::large_enum_variant)]
enum Ran {
    /// Its output, held: the parts the segment handed on early, then the rest (see
    /// [`Ticket::pieces`]); and whether the segment changed it.
    Held(Vec<Lines>, bool),
    /// It streamed: it went through the rest of the chain, and all but this, what is left of
    /// the output, was handed on; with the largest origin of what was.
    Streamed(Lines, Option<u64>),
}

impl Fan {
    /// Runs ticket `seq`'s `pieces` through segment `s` on `nodes`, its turn come there, and
    /// puts the result in the ticket: the segment passed, or, when the output outgrew one
    /// part, every segment passed and all but the rest of the output handed on.
    pub(super) fn run_here(
        &mut self,
        seq: u64,
        s: usize,
        pieces: Vec<Lines>,
        nodes: &mut Nodes<'_>,
        deliver: &mut dyn Deliver,
    ) {
        let mut ticket = self.tickets.remove(&seq).expect("run while in flight");
        match self.run_segment(seq, s, pieces, &ticket.at, nodes, deliver) {
            Ok(Ran::Held(pieces, changed)) => {
                ticket.pieces = pieces;
                ticket.changed |= changed;
                ticket.segment = s + 1;
            }
            Ok(Ran::Streamed(last, handed_end)) => {
                ticket.pieces = vec![last];
                ticket.changed = true;
                ticket.handed_end = handed_end;
                ticket.segment = self.segments.len();
            }
            Err(err) => ticket.state = State::Failed(err),
        }
        self.tickets.insert(seq, ticket);
    }

    /// [`Fan::run_here`]'s run, with the ticket out of the map: the tickets before it may be
    /// run out meanwhile.
    fn run_segment(
        &mut self,
        seq: u64,
        s: usize,
        pieces: Vec<Lines>,
        at: &At,
        nodes: &mut Nodes<'_>,
        deliver: &mut dyn Deliver,
    ) -> Result<Ran, StageError> {
        let span = self.segments[s].nodes.clone();
        let (mut head, mut rest) = nodes.split_at(span.end);
        let at = at.position();
        let count = pieces.len();
        let mut kept = Vec::with_capacity(count);
        // Set at the first part handed on: the largest origin handed on since.
        let mut streaming: Option<Option<u64>> = None;
        let mut changed = false;
        for (i, mut piece) in pieces.into_iter().enumerate() {
            changed |= head.run_span(&mut piece, span.clone(), at, &mut |part| {
                let handed_end = match &mut streaming {
                    Some(handed_end) => handed_end,
                    None => {
                        self.pump_on(&mut rest, Until::Before(seq), deliver)?;
                        self.claim_turns(seq, s + 1);
                        let handed_end = streaming.insert(None);
                        for mut held in kept.drain(..) {
                            stream_on(&mut rest, &mut held, at, deliver, handed_end)?;
                        }
                        handed_end
                    }
                };
                stream_on(&mut rest, part, at, deliver, handed_end)
            })?;
            let last = i + 1 == count;
            match &mut streaming {
                Some(handed_end) if !last => {
                    stream_on(&mut rest, &mut piece, at, deliver, handed_end)?;
                }
                _ if last || !piece.is_empty() => kept.push(piece),
                _ => {}
            }
        }
        let Some(mut handed_end) = streaming else {
            return Ok(Ran::Held(kept, changed));
        };
        let mut last = kept.pop().expect("the last piece is kept");
        debug_assert!(kept.is_empty(), "the others streamed");
        run_on(&mut rest, &mut last, at, deliver, &mut handed_end)?;
        Ok(Ran::Streamed(last, handed_end))
    }

    /// Runs a ticket a lane gave back, its turn come, through every node from its segment's
    /// first on, here, handing the parts of the output on as they come; returns it with what
    /// is left of the output.
    pub(super) fn stream_given_back(
        &mut self,
        seq: u64,
        mut ticket: Ticket,
        nodes: &mut Nodes<'_>,
        deliver: &mut dyn Deliver,
    ) -> Result<Ticket, StageError> {
        let State::Overflow(pieces) = mem::replace(&mut ticket.state, State::Here) else {
            unreachable!("given back")
        };
        self.claim_turns(seq, ticket.segment);
        let (_, mut rest) = nodes.split_at(self.segments[ticket.segment].nodes.start);
        let at = ticket.at.position();
        let count = pieces.len();
        let mut handed_end = None;
        for (i, mut piece) in pieces.into_iter().enumerate() {
            if i + 1 < count {
                stream_on(&mut rest, &mut piece, at, deliver, &mut handed_end)?;
            } else {
                run_on(&mut rest, &mut piece, at, deliver, &mut handed_end)?;
                ticket.pieces.push(piece);
            }
        }
        ticket.changed = true;
        ticket.handed_end = handed_end;
        ticket.segment = self.segments.len();
        Ok(ticket)
    }

    /// Checks the guess ticket `seq` went through segment `s` from, its turn come: every stage
    /// whose state is carried was right to start from nothing when its source's lines so far
    /// left nothing. Then what the ticket left is where the source stands, and this returns
    /// `None`. Else the lane's answer is thrown away, and this returns the pieces the ticket
    /// came with, to run through the segment again here, from where the source stands (see
    /// [`crate::runtime::Stage::settle`]).
    pub(super) fn check_guess(
        &mut self,
        s: usize,
        seq: u64,
        nodes: &mut Nodes<'_>,
    ) -> Result<Option<Vec<Lines>>, StageError> {
        let ticket = self.tickets.get_mut(&seq).expect("checked while in flight");
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
        let carried = &self.segments[s].carried;
        for &i in carried {
            if !nodes.carried_stage(i).carry_of(&source)?.is_empty() {
                // Its lines are counted when they run here.
                uncount(counted);
                ticket.changed = true;
                self.guessed_wrong += 1;
                return Ok(Some(input));
            }
        }
        for (&i, left) in carried.iter().zip(left) {
            nodes.carried_stage(i).hand_carry(&source, left);
        }
        Ok(None)
    }
}

/// Runs `lines` through every node of `rest`, handing the parts of the output to `deliver` as
/// they come; `lines` keeps what is left of it. `handed_end` grows to the largest origin
/// handed on.
fn run_on(
    rest: &mut Nodes<'_>,
    lines: &mut Lines,
    at: Position<'_>,
    deliver: &mut dyn Deliver,
    handed_end: &mut Option<u64>,
) -> Result<(), StageError> {
    let span = rest.span();
    rest.run_span(lines, span, at, &mut |part| {
        hand_on(part, deliver, handed_end);
        Ok(())
    })?;
    Ok(())
}

/// [`run_on`], then hands on what is left too.
fn stream_on(
    rest: &mut Nodes<'_>,
    lines: &mut Lines,
    at: Position<'_>,
    deliver: &mut dyn Deliver,
    handed_end: &mut Option<u64>,
) -> Result<(), StageError> {
    run_on(rest, lines, at, deliver, handed_end)?;
    if !lines.is_empty() {
        hand_on(lines, deliver, handed_end);
    }
    Ok(())
}

/// Hands `part` to `deliver`; `handed_end` grows to its largest origin.
fn hand_on(part: &Lines, deliver: &mut dyn Deliver, handed_end: &mut Option<u64>) {
    *handed_end = (*handed_end).max(origin::largest(part));
    deliver.part(part);
}
