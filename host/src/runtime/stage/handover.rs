//! What a stage hands from one instance to another, so that it can run on several threads
//! ([`crate::parallel`]): its [`Reach`], asked once after `create`; the counts for its report
//! (`tally`, `absorb`), merged into one instance at the end; and what it keeps between lines
//! (`carry`, `resume`).
//!
//! Carried state, for a stage whose reach says it carries:
//!
//! - A lane's instance ([`Stage::guess`]) serves every source with one resource. Before each
//!   batch it is given the empty state, the guess that the batch before it in its source left
//!   nothing open ([`Stage::start_guess`]), and after it says what it left
//!   ([`Stage::carried_after`]).
//! - The stage on the reading thread is the authority. Once a batch's guess is found right,
//!   what it left is handed to the stage ([`Stage::hand_carry`]): it is kept in `carried` and
//!   given to the source's resource before that resource's next call ([`Stage::settle`]). So
//!   the resource that is finished at the end of its source, or runs an over-long line, starts
//!   from where the stream really is. [`Stage::carry_of`] says where a source stands, for the
//!   check of the next batch's guess.
//!
//! The calls that return bytes (`tally`, `carry`) run under wasmtime's hostcall fuel, so a
//! plugin that answers with more than [`MAX_HANDOVER_BYTES`] is refused, not copied.

use super::{Stage, bindings};
use crate::error::{Call, Failure, Malformed, StageError};
use crate::runtime::plugin::{Reach, StateScope};

/// The most bytes the host takes from one `tally` or `carry`.
pub(crate) const MAX_HANDOVER_BYTES: usize = 1 << 20;

impl Stage {
    /// How far the stage's state reaches with its configuration, and what it hands over.
    pub fn reach(&self) -> Reach {
        self.reach
    }

    /// How many resources the stage has: per source when its state is per source, unless it
    /// is a lane's instance of a stage that carries (which resumes every batch).
    pub(super) fn scope(&self) -> StateScope {
        if self.guess {
            StateScope::None
        } else {
            self.reach.state
        }
    }

    /// Asks the newly created first resource for its reach.
    pub(super) fn ask_reach(&mut self) -> Result<(), StageError> {
        self.arm();
        let handle = self.instances[0].handle;
        let reach = self
            .instance
            .sluice_plugin_transform()
            .stage()
            .call_reach(&mut self.store, handle)
            .map_err(|err| {
                let failure = self.limits.failure(&err, &mut self.store);
                self.error(Call::Reach, failure)
            })?;
        self.reach = Reach::from_wit(reach);
        Ok(())
    }

    /// Makes this a lane's instance: one resource for every source, started from the guess
    /// before each batch.
    pub(crate) fn guess(&mut self) {
        self.guess = true;
    }

    /// True for a lane's instance of a stage that carries (see [`Stage::guess`]).
    pub(crate) fn guesses(&self) -> bool {
        self.guess
    }

    /// Before a batch on a lane: the resource starts from the empty state.
    pub(crate) fn start_guess(&mut self) -> Result<(), StageError> {
        self.resume(0, Vec::new())
            .map_err(|failure| self.error(Call::Resume, failure))
    }

    /// After a batch on a lane: what the resource left.
    pub(crate) fn carried_after(&mut self) -> Result<Vec<u8>, StageError> {
        self.carry(0)
            .map_err(|failure| self.error(Call::Carry, failure))
    }

    /// What `source`'s lines left so far: what was handed over, else what its resource keeps,
    /// else nothing (no line of it came yet).
    pub(crate) fn carry_of(&mut self, source: &str) -> Result<Vec<u8>, StageError> {
        if let Some(carried) = self.carried.get(source) {
            return Ok(carried.clone());
        }
        let Some(i) = self.bound_instance(source) else {
            return Ok(Vec::new());
        };
        self.carry(i)
            .map_err(|failure| self.error(Call::Carry, failure))
    }

    /// `carried` is where `source` now stands: its resource resumes from it before its next
    /// call.
    pub(crate) fn hand_carry(&mut self, source: &str, carried: Vec<u8>) {
        self.carried.insert(source.to_owned(), carried);
    }

    /// Gives resource `i` what was handed over for its source, if anything was, before a call.
    pub(super) fn settle(&mut self, i: usize) -> Result<(), StageError> {
        if self.carried.is_empty() {
            return Ok(());
        }
        let source = self.instances[i].own_source().to_owned();
        match self.carried.remove(&source) {
            Some(carried) => self
                .resume(i, carried)
                .map_err(|failure| self.error(Call::Resume, failure)),
            None => Ok(()),
        }
    }

    /// Merges what the stage's other instances (those adopted from the lanes) counted into
    /// its first resource, when the stage tallies: its report then covers every line.
    pub(super) fn absorb_siblings(&mut self) -> Result<(), StageError> {
        if !self.reach.tallies {
            return Ok(());
        }
        for s in 0..self.siblings.len() {
            let sibling = &mut self.siblings[s];
            let tally = sibling
                .tally(0)
                .map_err(|failure| sibling.error(Call::Tally, failure))?;
            self.absorb(0, tally)
                .map_err(|failure| self.error(Call::Absorb, failure))?;
        }
        Ok(())
    }

    fn resume(&mut self, i: usize, carried: Vec<u8>) -> Result<(), Failure> {
        self.arm();
        let handle = self.instances[i].handle;
        let result = self.instance.sluice_plugin_transform().stage().call_resume(
            &mut self.store,
            handle,
            &carried,
        );
        self.answer(result)
    }

    fn absorb(&mut self, i: usize, tally: Vec<u8>) -> Result<(), Failure> {
        self.arm();
        let handle = self.instances[i].handle;
        let result = self.instance.sluice_plugin_transform().stage().call_absorb(
            &mut self.store,
            handle,
            &tally,
        );
        self.answer(result)
    }

    fn carry(&mut self, i: usize) -> Result<Vec<u8>, Failure> {
        let handle = self.instances[i].handle;
        self.bytes_from(|stage, store| stage.call_carry(store, handle))
    }

    fn tally(&mut self, i: usize) -> Result<Vec<u8>, Failure> {
        let handle = self.instances[i].handle;
        self.bytes_from(|stage, store| stage.call_tally(store, handle))
    }

    /// The bytes a call answers with, at most [`MAX_HANDOVER_BYTES`] of them.
    fn bytes_from(
        &mut self,
        call: impl FnOnce(
            bindings::exports::sluice::plugin::transform::GuestStage<'_>,
            &mut wasmtime::Store<crate::runtime::StageState>,
        ) -> wasmtime::Result<Vec<u8>>,
    ) -> Result<Vec<u8>, Failure> {
        self.arm();
        let fuel = self.store.hostcall_fuel();
        self.store.set_hostcall_fuel(MAX_HANDOVER_BYTES + 1024);
        let result = call(
            self.instance.sluice_plugin_transform().stage(),
            &mut self.store,
        );
        self.store.set_hostcall_fuel(fuel);
        match result {
            Ok(bytes) => Ok(bytes),
            Err(err) if super::errors::is_fuel_out(&err) => {
                Err(Failure::Malformed(Malformed::LongHandover {
                    max_bytes: MAX_HANDOVER_BYTES,
                }))
            }
            Err(err) => Err(self.limits.failure(&err, &mut self.store)),
        }
    }
}
