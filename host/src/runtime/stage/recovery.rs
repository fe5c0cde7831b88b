//! What a stage does when one of its calls fails: its failure policy ([`OnError`]), what the
//! failures cost ([`Failures`]), and starting the stage afresh ([`Stage::recover`]).
//!
//! A trapped instance cannot be called again, so "afresh" means a new store and a new instance
//! of the plugin, created from the stage's configuration: what the stage held is lost, and a
//! per-source stage starts its sources over.

use std::mem;

use super::{Stage, start};
use crate::error::StageError;
use crate::lines::Lines;
use crate::on_error::{Failures, OnError};
use crate::say;

impl Stage {
    /// What the stage does to the stream when it fails ([`OnError`]; by default, stop).
    pub fn on_error(&self) -> OnError {
        self.on_error
    }

    /// Sets what the stage does to the stream when it fails. The caller keeps the rule that a
    /// boundary-safe stage is not given a plain `skip` ([`OnError::refuses_boundary_safe`]).
    pub fn set_on_error(&mut self, on_error: OnError) {
        self.on_error = on_error;
    }

    /// What the stage's failures cost so far, if it failed (under `skip` or `drop`).
    pub fn failures(&self) -> Option<Failures> {
        let count = self.counters.failures();
        (count > 0).then(|| Failures {
            label: self.label.clone(),
            count,
            lines: self.counters.failed_lines(),
            on_error: self.on_error,
        })
    }

    /// After `err`, a failed `process` of `lines` (as the stage got them): under `fail`, the
    /// error; else the failure is said and counted, the stage is started afresh, and `lines`
    /// go on unchanged (`skip`) or are dropped (`drop`). Returns whether `lines` changed.
    pub(crate) fn recover(
        &mut self,
        err: StageError,
        lines: &mut Lines,
    ) -> Result<bool, StageError> {
        if self.on_error.stops() {
            return Err(err);
        }
        let n = lines.len();
        let lines_went = match (n, self.on_error.skips()) {
            (1, true) => "1 line went on unchanged".to_owned(),
            (n, true) => format!("{n} lines went on unchanged"),
            (1, false) => "1 line was dropped".to_owned(),
            (n, false) => format!("{n} lines were dropped"),
        };
        say::error(format_args!(
            "{err}; the batch's {lines_went} (on_error = {}) and the stage started afresh: \
             what it held is lost",
            self.on_error
        ));
        self.counters.failed(n as u64);
        self.restart()?;
        if self.on_error.skips() {
            return Ok(false);
        }
        let source = mem::take(&mut lines.source);
        lines.clear();
        lines.source = source;
        Ok(true)
    }

    /// After `err`, a failed `tick` or `finish` (or the end of a source): under `fail`, the
    /// error; else the failure is said and counted, what the call would have emitted is lost,
    /// and the stage is started afresh when `restart` (not after `finish`: nothing follows).
    pub(crate) fn recover_call(
        &mut self,
        err: StageError,
        restart: bool,
    ) -> Result<(), StageError> {
        if self.on_error.stops() {
            return Err(err);
        }
        let then = if restart {
            " and the stage started afresh: what it held is lost"
        } else {
            ""
        };
        say::error(format_args!(
            "{err}; what it would have emitted is lost (on_error = {}){then}",
            self.on_error
        ));
        self.counters.failed(0);
        if restart {
            self.restart()?;
        }
        Ok(())
    }

    /// Starts the stage afresh after a failure: a new store and instance (a trapped instance
    /// cannot be called again), created from its configuration; its sources start over.
    fn restart(&mut self) -> Result<(), StageError> {
        let (recipe, pre) = &*self.fresh;
        let (store, instance) = start(recipe, pre, &self.label, &self.grants.env)?;
        self.store = store;
        self.instance = instance;
        self.instances.clear();
        self.create_first()
    }
}
