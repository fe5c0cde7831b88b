//! [`Handing`]: the sink's side of a run on worker lanes, which the fan hands its output to
//! ([`Deliver`]) in input order, as [`super::Emitter::lines`] hands a batch's on one thread:
//! the parts of an output too large to hold first, then the rest, the positions told, and the
//! batch's storage kept for the next ticket.

use super::{emit_to, flush_sink, handed};
use crate::lines::Lines;
use crate::origin;
use crate::parallel::{Deliver, Ticket};
use crate::pipeline::RunError;
use crate::positions::Positions;
use crate::sink::Sink;

/// The most batches kept for reuse by the tickets to come.
const SPARE_TICKETS: usize = 64;

/// Hands what the fan delivers to the sink until the sink wants no more or fails.
pub(super) struct Handing<'a> {
    sink: &'a mut dyn Sink,
    positions: &'a mut Option<Positions>,
    spare: &'a mut Vec<(Lines, Vec<u8>)>,
    /// `Ok(true)` while the sink wants more; then its refusal, or the first error.
    more: Result<bool, RunError>,
}

impl<'a> Handing<'a> {
    pub(super) fn new(
        sink: &'a mut dyn Sink,
        positions: &'a mut Option<Positions>,
        spare: &'a mut Vec<(Lines, Vec<u8>)>,
    ) -> Handing<'a> {
        Handing {
            sink,
            positions,
            spare,
            more: Ok(true),
        }
    }

    /// Whether the sink wants more, or what failed.
    pub(super) fn into_more(self) -> Result<bool, RunError> {
        self.more
    }

    /// Hands `ticket` to the sink; false once the sink wants no more.
    fn hand(&mut self, mut ticket: Ticket) -> Result<bool, RunError> {
        let last = ticket.pieces.pop().expect("a ticket keeps its last piece");
        let (mut more, mut parts_end) = (Ok(true), ticket.handed_end);
        for part in &ticket.pieces {
            parts_end = parts_end.max(origin::largest(part));
            emit_to(self.sink, part, &mut more);
        }
        if !more.map_err(RunError::Output)? {
            return Ok(false);
        }
        let more = if ticket.changed {
            self.sink.changed(&last)
        } else {
            self.sink.unchanged(&ticket.raw, &last)
        };
        let more = more.map_err(RunError::Output)?;
        if let Some(placed) = ticket.placed {
            let done = ticket
                .batch_end
                .or_else(|| origin::largest(&last).max(parts_end));
            handed(self.positions, placed.file, done);
            if self.positions.as_ref().is_some_and(Positions::flush_due) {
                flush_sink(self.sink, self.positions)?;
            }
        }
        if self.spare.len() < SPARE_TICKETS {
            self.spare.push((last, ticket.raw));
        }
        Ok(more)
    }
}

impl Deliver for Handing<'_> {
    fn part(&mut self, part: &Lines) {
        if !self.stopped() {
            self.more = self.sink.emitted(part).map_err(RunError::Output);
        }
    }

    fn ticket(&mut self, ticket: Ticket) {
        if !self.stopped() {
            self.more = self.hand(ticket);
        }
    }

    fn stopped(&self) -> bool {
        !matches!(self.more, Ok(true))
    }
}
