//! The `sluice:plugin/clock` interface: the time, the one thing the host lends plugins.

use std::sync::OnceLock;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::Result;
use wasmtime::component::{HasSelf, Linker};

use super::StageState;
use super::bindings::sluice::plugin::clock;

/// Where plugins' wall-clock time comes from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Clock {
    /// The system's clock.
    #[default]
    System,
    /// Always this time, in nanoseconds since the Unix epoch: for reproducible runs and tests
    /// (`SLUICE_NOW`). The monotonic clock still advances.
    Frozen(i64),
}

impl Clock {
    /// Nanoseconds since the Unix epoch, now.
    pub fn now(self) -> i64 {
        match self {
            Clock::Frozen(at) => at,
            Clock::System => match SystemTime::now().duration_since(UNIX_EPOCH) {
                Ok(since) => i64::try_from(since.as_nanos()).unwrap_or(i64::MAX),
                Err(before) => -i64::try_from(before.duration().as_nanos()).unwrap_or(i64::MAX),
            },
        }
    }
}

/// Nanoseconds since the first call in this process.
pub(super) fn monotonic() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

impl clock::Host for StageState {
    fn now(&mut self) -> i64 {
        self.clock.now()
    }

    fn monotonic(&mut self) -> u64 {
        monotonic()
    }
}

/// Provides the clock to every component linked with `linker`.
pub(super) fn add_to_linker(linker: &mut Linker<StageState>) -> Result<()> {
    clock::add_to_linker::<StageState, HasSelf<StageState>>(linker, |state| state)?;
    Ok(())
}
