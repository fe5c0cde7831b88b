//! [`StoreRecipe`]: what it takes to make a stage's store (the engine, the limits, the clock,
//! the folder WASI guests see), taken from the [`Runtime`](super::Runtime) once, so that a
//! stage that failed can be started afresh on its own ([`crate::on_error`]).

use std::path::PathBuf;
use std::time::Duration;

use wasmtime::{Engine, Store};

use super::StageState;
use super::clock::Clock;
use super::deadline::CallDeadline;
use super::memory_cap::MemoryCap;
use super::wasi::StageWasi;

/// The makings of a stage's store.
#[derive(Clone)]
pub(super) struct StoreRecipe {
    pub(super) engine: Engine,
    pub(super) memory_limit: usize,
    pub(super) clock: Clock,
    /// The empty directory WASI guests see as `/`, if one could be made.
    pub(super) empty_root: Option<PathBuf>,
    /// The deadline of a call, in epoch ticks and as a duration.
    pub(super) deadline_ticks: u64,
    pub(super) call_timeout: Duration,
}

impl StoreRecipe {
    /// A store for the stage `label`, with the limits, WASI granting the environment variables
    /// `env`, and a deadline set for the first call.
    pub(super) fn store(&self, label: &str, env: &[(String, String)]) -> Store<StageState> {
        let mut store = Store::new(
            &self.engine,
            StageState {
                limits: MemoryCap::new(self.memory_limit),
                deadline: CallDeadline::default(),
                clock: self.clock,
                wasi: StageWasi::new(label, env, self.clock, self.empty_root.as_deref()),
            },
        );
        store.limiter(|state| &mut state.limits);
        // What one call may copy out of the guest (an answer, a string): wasmtime's default is
        // 128 MiB whatever the memory cap. An answer lives in the guest's memory, so the memory
        // cap already bounds it: the same number, and one limit for the user (--plugin-memory).
        store.set_hostcall_fuel(self.memory_limit);
        store.set_epoch_deadline(self.deadline_ticks);
        store.data_mut().deadline.start(self.call_timeout);
        store
    }
}
