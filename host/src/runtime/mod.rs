//! The plugin runtime: wasmtime's component model, one engine per run.
//!
//! A tour:
//!
//! - [`Runtime`] owns the one [`Engine`], the (empty) [`Linker`], the compile cache and the
//!   limits every stage runs under. A background thread ticks the engine's epoch so that a
//!   call can be given a wall-clock deadline.
//! - [`Plugin`] is a compiled component plus what it said about itself (`describe`).
//!   [`Runtime::load`] compiles it once per run, or loads it from [`cache`].
//! - [`Stage`] is one configured use of a plugin in a chain: its own
//!   [`Store`](wasmtime::Store) (so its own memory and limits) and its own instance, created
//!   by the plugin's `stage.create`. It turns [`Lines`](crate::lines::Lines) into the
//!   plugin's `batch` and the plugin's `output` back into lines, checking everything the
//!   plugin returns. A call that fails says why as a typed [`Failure`](crate::error::Failure).
//!
//! Sandboxing: the linker provides `sluice:plugin/clock` (the time, from [`clock`]) and, for
//! components built with a WASI toolchain (componentize-py, componentize-js, C with stdio),
//! WASI preview 2 with nothing granted ([`wasi`]): no files, no environment, no network, an
//! empty stdin, and stdout/stderr sent to sluice's stderr under the stage's label. Attempts to
//! reach a file, the environment or a socket are refused and reported. A component that
//! imports anything else is refused at load with a message naming the import. What a plugin
//! needs from outside, such as secret values from the environment, the host reads and passes
//! explicitly (`grants`); reports it writes on the plugin's behalf.
//!
//! Limits: each store has a memory cap ([`memory_cap`]: growing past it traps, and the limiter
//! records the hit, so the failure is reported as a memory cap, not guessed from a message)
//! and each call a deadline (epoch interruption, reported from the `Interrupt` trap; a wait in
//! a WASI host call is cut at the same deadline, [`deadline`]). A trap,
//! a deadline, a memory cap hit or malformed output ends the run with an error naming the
//! stage; none of them can panic the host.

mod bindings;
mod cache;
mod clock;
mod deadline;
mod matching;
mod memory_cap;
mod plugin;
mod stage;
mod store_recipe;
mod wasi;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use wasmtime::component::Linker;
use wasmtime::{Config, Engine};

use deadline::CallDeadline;
use memory_cap::MemoryCap;

pub use cache::ComponentCache;
pub use clock::Clock;
pub use memory_cap::{Grew, TABLE_ELEMENT_BYTES};
pub use plugin::{CONTRACT_VERSION, ConfigKeyInfo, Plugin, PluginInfo, Reach, StateScope};
pub(crate) use stage::{Emitted, Halt};
pub use stage::{Stage, StageGrants, StageSeed};

/// How often the epoch advances. Deadlines are rounded up to whole ticks.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// The limits and places a [`Runtime`] works with.
#[derive(Clone, Debug)]
pub struct RuntimeOptions {
    /// The longest a single call into a plugin may run before it is stopped.
    /// By default, 5 seconds.
    pub call_timeout: Duration,
    /// The most linear memory one stage may use, in bytes. By default, 256 MiB.
    pub memory_limit: usize,
    /// Where compiled components are cached; `None` disables the cache.
    /// By default, [`ComponentCache::default_root`].
    pub cache_root: Option<PathBuf>,
    /// The clock plugins see. By default, the system's.
    pub clock: Clock,
}

impl Default for RuntimeOptions {
    fn default() -> RuntimeOptions {
        RuntimeOptions {
            call_timeout: Duration::from_secs(5),
            memory_limit: 256 << 20,
            cache_root: ComponentCache::default_root(),
            clock: Clock::System,
        }
    }
}

/// What a stage's store carries.
struct StageState {
    limits: MemoryCap,
    /// The running call's deadline, which cuts waits in host calls.
    deadline: CallDeadline,
    clock: Clock,
    /// WASI, for components that import it.
    wasi: wasi::StageWasi,
}

/// The engine and everything shared by the stages of a run.
pub struct Runtime {
    engine: Engine,
    linker: Linker<StageState>,
    cache: ComponentCache,
    clock: Clock,
    /// The empty directory WASI guests see as `/`, if one could be made.
    empty_root: Option<PathBuf>,
    options: RuntimeOptions,
}

impl Runtime {
    /// Creates the engine and starts the epoch ticker.
    pub fn new(options: RuntimeOptions) -> Result<Runtime> {
        let mut config = Config::new();
        config.wasm_component_model(true);
        config.epoch_interruption(true);
        let engine = Engine::new(&config)
            .map_err(anyhow::Error::from)
            .context("cannot create the wasm engine")?;
        start_epoch_ticker(&engine);
        let cache = ComponentCache::new(&engine, options.cache_root.clone());
        let mut linker = Linker::new(&engine);
        clock::add_to_linker(&mut linker)?;
        matching::add_to_linker(&mut linker)?;
        wasi::add_to_linker(&mut linker)?;
        Ok(Runtime {
            engine,
            linker,
            cache,
            clock: options.clock,
            empty_root: wasi::EmptyRoot::under(options.cache_root.as_deref()),
            options,
        })
    }

    /// Compiles, side by side, the components of `plugins` (name, bytes) the cache does not
    /// hold yet, after telling `compiling` their names (see
    /// [`ComponentCache::compile_ahead`]), so that loading them afterwards is quick.
    pub fn compile_ahead(&self, plugins: &[(&str, &[u8])], compiling: impl FnOnce(&[&str])) {
        self.cache.compile_ahead(&self.engine, plugins, compiling);
    }

    /// The options this runtime was created with.
    pub fn options(&self) -> &RuntimeOptions {
        &self.options
    }

    /// The deadline for one call, in epoch ticks.
    fn deadline_ticks(&self) -> u64 {
        let ticks = self.options.call_timeout.as_nanos() / EPOCH_TICK.as_nanos();
        // One more tick: the first may come at once.
        (ticks as u64).max(1) + 1
    }
}

/// Advances the engine's epoch every [`EPOCH_TICK`] for as long as the engine lives.
fn start_epoch_ticker(engine: &Engine) {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("sluice-epoch".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .expect("cannot start the epoch thread");
}
