//! [`Stage`]: one configured stage of a chain, and the calls into its plugin.
//!
//! A stage is one plugin instance in its own store, with one or more guest `stage` resources
//! created from the same configuration. A stage whose plugin declares `per-source` state gets
//! one resource per source ([`SourceInstance`]): the resource created at start serves the
//! first source that arrives, and each new source gets a new one, so what the plugin keeps
//! between lines (a multiline block, grep's context) never spans two files. Each resource has
//! its own wake-up; a source's resource is finished and dropped when the source ends
//! ([`Stage::end_source`]), the others at the end of the stream ([`Stage::finish`]). Other
//! stages have exactly one resource, which sees every line.
//!
//! A call that fails returns only the length of its message; [`errors`] asks the plugin for
//! as much of it as a diagnostic shows. Every call is timed and every batch counted for
//! `--stats` ([`StageCounters`]).
//!
//! When a call fails, the stage's failure policy ([`OnError`]) decides: the error goes up and
//! the run stops, or the stage is started afresh in a new store, from its configuration
//! ([`Stage::recover`]), and the batch it failed on goes on unchanged or is dropped.

mod errors;
mod handover;
mod recovery;
mod seed;
mod sources;

pub use seed::StageSeed;
use sources::SourceInstance;

use std::collections::HashMap;
use std::mem;
use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::component::ResourceAny;
use wasmtime::{Store, Trap};

use super::bindings::{self, Batch, Fields, Grants, PluginPre};
use super::plugin::Reach;
use super::store_recipe::StoreRecipe;
use super::{Plugin, PluginInfo, Runtime, StageState};
use crate::error::{Call, Failure, Malformed, StageError};
use crate::fields::FieldTable;
use crate::framing::Terminator;
use crate::lines::Lines;
use crate::on_error::OnError;
use crate::output::{HandOn, StageOutput, Wake};
use crate::plugin_text::plugin_text;
use crate::report::ReportTarget;
use crate::settings::Settings;
use crate::stats::{BatchCount, StageCounters};
use sluice_contract::Kind;

/// What the host grants a stage beyond its configuration and the pipeline's settings.
#[derive(Clone, Debug, Default)]
pub struct StageGrants {
    /// Environment variables, as (name, value), from the config's `env` key.
    pub env: Vec<(String, String)>,
    /// Where the stage's reports go, from the config's `report` key (for the plugin's
    /// messages; the caller does the writing).
    pub report: Option<String>,
}

/// Why [`Stage::process`] stopped short.
#[derive(Debug)]
pub(crate) enum Halt {
    /// The stage failed: its failure policy says what happens next ([`Stage::recover`]).
    Failed(StageError),
    /// A node after the stage failed on a part of its output handed on early: the error goes
    /// up as it is (that node's policy was applied already).
    Downstream(StageError),
}

/// What a stage emitted on its own, from `tick` or `finish`.
#[derive(Debug, Default)]
pub(crate) struct Emitted {
    /// Lines to run through the stages after this one, in order, one batch per run of lines
    /// from one source.
    pub(crate) lines: Vec<Lines>,
    /// A report for the host to write where the stage's `report` key says.
    pub(crate) report: Option<Vec<u8>>,
}

/// One stage of a chain: a plugin instance in its own store, created with its config.
pub struct Stage {
    /// `stage N (origin)`, the prefix of every message about this stage.
    label: String,
    info: PluginInfo,
    store: Store<StageState>,
    instance: bindings::Plugin,
    /// What it takes to start the stage afresh after a failure, or another instance of it
    /// (boxed: rarely used, and it would double the size of every chain node).
    fresh: Box<(StoreRecipe, PluginPre<StageState>)>,
    /// What a failure does to the stream (what failures cost is counted with the rest, in
    /// `counters`).
    on_error: OnError,
    /// The guest's `stage` resources, in the order they were created: never empty until the
    /// stage is finished. Exactly one unless the plugin's state is per source; then at most
    /// one per source, and only the first may be unbound.
    instances: Vec<SourceInstance>,
    /// The configuration and grants each resource is created with.
    config: String,
    grants: Grants,
    limits: CallLimits,
    /// The previous batch's storage, reused to build the next output batch.
    spare: Lines,
    /// The batch's terminators in the contract's type, reused from batch to batch.
    terminators: Vec<bindings::Terminator>,
    /// Where the stage's reports go.
    report_target: ReportTarget,
    /// What the stage has done, for `--stats`; kept across restarts, and shared with the
    /// stage's other instances in a parallel run.
    counters: Arc<StageCounters>,
    /// The stage's other instances, which ran on the worker lanes of a parallel run and were
    /// handed back at its end ([`Stage::adopt`]), so that finishing the stage finishes them.
    siblings: Vec<Stage>,
    /// What the first resource said of its state in `reach` (see [`handover`]).
    reach: Reach,
    /// True for a lane's instance of a stage that carries: one resource for every source,
    /// started from the guess before each batch.
    guess: bool,
    /// By source, what lines on the lanes left, for the source's resource to resume from
    /// before its next call ([`Stage::settle`]). Empty unless the stage carries.
    carried: HashMap<String, Vec<u8>>,
    /// The batches counted since [`Stage::take_counted`]: on a lane, a task's share of the
    /// counters, taken back should the task run again on the reading thread.
    counted: BatchCount,
}

impl Stage {
    /// Instantiates `plugin` as the stage at `position` (`3`, or `3.1` for the first stage
    /// nested in the third) and creates it with `config` (a JSON object), `grants` and the
    /// line cap and overlap of `settings`.
    pub fn new(
        runtime: &Runtime,
        plugin: &Plugin,
        position: &str,
        config: &str,
        grants: StageGrants,
        settings: &Settings,
    ) -> Result<Stage, StageError> {
        let label = format!("stage {position} ({})", plugin.origin);
        let limits = CallLimits {
            deadline_ticks: runtime.deadline_ticks(),
            timeout: runtime.options().call_timeout,
        };
        let report_target = ReportTarget::parse(grants.report.as_deref().unwrap_or("stderr"));
        report_target.check().map_err(|error| {
            let target = report_target.to_string();
            StageError::new(&label, Call::Start, Failure::Report { target, error })
        })?;
        StageSeed {
            label,
            info: plugin.info.clone(),
            fresh: (runtime.store_recipe(), plugin.pre.clone()),
            on_error: OnError::Fail,
            config: config.to_owned(),
            grants: Grants {
                env: grants.env,
                report: grants.report,
                max_line_bytes: settings.max_line_bytes as u32,
                boundary_overlap: settings.boundary_overlap as u32,
            },
            limits,
            report_target,
            counters: Arc::default(),
        }
        .grow()
    }

    /// Creates the stage's first guest resource, in a fresh instance.
    fn create_first(&mut self) -> Result<(), StageError> {
        let handle = self
            .create()
            .map_err(|failure| self.error(Call::Create, failure))?;
        self.instances.push(SourceInstance {
            source: None,
            handle,
            wake: None,
        });
        self.store.data_mut().wasi.settled = true;
        self.ask_reach()
    }

    /// Sets the deadline of the call about to be made: the epoch's for wasm, and the same one
    /// in wall time for waits in host calls.
    fn arm(&mut self) {
        self.store.set_epoch_deadline(self.limits.deadline_ticks);
        self.store.data_mut().deadline.start(self.limits.timeout);
    }

    /// Creates a guest `stage` resource with the stage's configuration.
    fn create(&mut self) -> Result<ResourceAny, Failure> {
        self.arm();
        let created = self.instance.sluice_plugin_transform().stage().call_create(
            &mut self.store,
            &self.config,
            &self.grants,
        );
        match created {
            Ok(Ok(handle)) => Ok(handle),
            Ok(Err(failed)) => {
                let (key, message) = self.last_error(failed)?;
                Err(Failure::Config { key, message })
            }
            Err(err) => Err(self.limits.failure(&err, &mut self.store)),
        }
    }

    /// True when the user chose where the stage's reports go (its `report` key).
    pub(crate) fn reports_chosen(&self) -> bool {
        self.grants.report.is_some()
    }

    /// Where the stage's reports go.
    pub(crate) fn report_target(&self) -> &ReportTarget {
        &self.report_target
    }

    /// When the stage's next `tick` is due, if it asked for one.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.instances
            .iter()
            .filter_map(|instance| instance.wake.map(|(at, _)| at))
            .min()
    }

    /// True when the stage holds lines back and no more input may be read until its `tick`.
    pub(crate) fn holds(&self) -> bool {
        self.instances
            .iter()
            .any(|instance| instance.wake.is_some_and(|(_, hold)| hold))
    }

    /// `stage N (origin)`.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// `failure` in `call` of this stage, as an error naming it.
    pub(crate) fn error(&self, call: Call, failure: Failure) -> StageError {
        StageError::new(&self.label, call, failure)
    }

    /// What the plugin said about itself.
    pub fn info(&self) -> &PluginInfo {
        &self.info
    }

    /// What the stage has done so far.
    pub(crate) fn counters(&self) -> &Arc<StageCounters> {
        &self.counters
    }

    /// The batches the stage counted since it was last asked, and its counters, to take them
    /// back from should those batches run again ([`StageCounters::unbatch`]).
    pub(crate) fn take_counted(&mut self) -> (Arc<StageCounters>, BatchCount) {
        (Arc::clone(&self.counters), mem::take(&mut self.counted))
    }

    /// Runs the stage on `lines`, replacing them with its output. Returns false when the stage
    /// left the batch unchanged (then `lines` is untouched). An output too large to hold as one
    /// batch is handed to `hand_on` in parts as it is built (see [`crate::output`]); `lines`
    /// then ends up holding the last part.
    pub(crate) fn process(
        &mut self,
        lines: &mut Lines,
        hand_on: &mut HandOn<'_, StageError>,
    ) -> Result<bool, Halt> {
        let output = self.answer_batch(lines).map_err(Halt::Failed)?;
        output
            .apply_in_place_handing_on(lines, &mut self.spare, Some(hand_on))
            .map_err(Halt::Downstream)
    }

    /// Runs the stage on a window of an over-long line (a batch of one partial line), which
    /// it must answer with exactly one line.
    pub(crate) fn process_window(&mut self, window: &mut Lines) -> Result<(), StageError> {
        let output = self.answer_batch(window)?;
        if output.source.len() != 1 {
            let returned = output.source.len();
            let failure = Failure::Malformed(Malformed::WindowLines { returned });
            return Err(self.error(Call::Process, failure));
        }
        output.apply_in_place(window, &mut self.spare);
        Ok(())
    }

    /// The stage's checked answer to `lines`, from the resource for their source. The error
    /// says what went wrong; the caller places it (see [`StageError`]).
    fn answer_batch(&mut self, lines: &mut Lines) -> Result<StageOutput, StageError> {
        let i = self.instance_for(&lines.source)?;
        self.settle(i)?;
        self.process_on(i, lines)
            .map_err(|failure| self.error(Call::Process, failure))
    }

    fn process_on(&mut self, i: usize, lines: &mut Lines) -> Result<StageOutput, Failure> {
        self.terminators.clear();
        self.terminators
            .extend(lines.terms.iter().map(|&t| to_wit(t)));
        let batch = Batch {
            data: mem::take(&mut lines.data),
            ends: mem::take(&mut lines.ends),
            partial: mem::take(&mut lines.partial),
            fields: take_fields(&mut lines.fields),
            timestamps: mem::take(&mut lines.timestamps),
            source: mem::take(&mut lines.source),
            terminators: mem::take(&mut self.terminators),
        };
        self.arm();
        let started = Instant::now();
        let result = self
            .instance
            .sluice_plugin_transform()
            .stage()
            .call_process(&mut self.store, self.instances[i].handle, &batch);
        self.counters.call(started.elapsed());
        lines.data = batch.data;
        lines.ends = batch.ends;
        lines.partial = batch.partial;
        lines.fields = restore_fields(batch.fields);
        lines.timestamps = batch.timestamps;
        lines.source = batch.source;
        self.terminators = batch.terminators;

        let output = self.answer(result)?;
        let output = StageOutput {
            source: output.source,
            rewritten: output.rewritten,
            data: output.data,
            ends: output.ends,
            detached: output.detached,
            removed: output.removed,
            fields: restore_fields(output.fields),
            timestamps: output.timestamps,
            terminators: output
                .terminators
                .into_iter()
                .map(|(j, t)| (j, from_wit(t)))
                .collect(),
            wake: output.wake.map(wake_from),
        };
        output
            .check(lines.len())
            .map_err(|violation| Failure::Malformed(Malformed::Answer(violation)))?;
        let count = BatchCount::of(lines, &output);
        self.counters.batch(count);
        self.counted.add(count);
        self.instances[i].wake = output.wake.map(deadline);
        Ok(output)
    }

    /// Calls `tick` on each of the stage's resources whose deadline is at or before `now`, in
    /// the order they were created, and returns what each emitted. Errors are as for
    /// [`Stage::process`].
    pub(crate) fn tick_due(&mut self, now: Instant) -> Result<Vec<Emitted>, StageError> {
        let mut all = Vec::new();
        for i in 0..self.instances.len() {
            if self.instances[i].wake.is_some_and(|(at, _)| at <= now) {
                self.settle(i)?;
                let emitted = self
                    .tick(i)
                    .map_err(|failure| self.error(Call::Tick, failure))?;
                all.push(emitted);
            }
        }
        Ok(all)
    }

    fn tick(&mut self, i: usize) -> Result<Emitted, Failure> {
        self.instances[i].wake = None;
        self.arm();
        let handle = self.instances[i].handle;
        let started = Instant::now();
        let result = self
            .instance
            .sluice_plugin_transform()
            .stage()
            .call_tick(&mut self.store, handle);
        self.counters.call(started.elapsed());
        let emitted = self.answer(result)?;
        // A stage that asks for its next tick at once from every tick is held to one tick a
        // millisecond: ticks cannot take all the time there is.
        self.instances[i].wake = emitted.wake.map(|w| {
            deadline(Wake {
                after_ms: w.after_ms.max(MIN_TICK_INTERVAL_MS),
                ..wake_from(w)
            })
        });
        self.emitted_lines(emitted, i)
    }

    /// Calls `finish` on each of the stage's resources, in the order they were created, and
    /// returns what each emitted: trailing lines and a report. Errors are as for
    /// [`Stage::process`]. The instances the stage adopted from a parallel run are finished
    /// after its own, in the order they were adopted.
    pub(crate) fn finish(&mut self) -> Result<Vec<Emitted>, StageError> {
        if self.guess {
            // A lane's resource is left as its last batch left it, which its source's own
            // resource finished from already.
            self.start_guess()?;
        }
        self.absorb_siblings()?;
        let mut all = Vec::new();
        for i in 0..self.instances.len() {
            self.settle(i)?;
            let emitted = self
                .finish_instance(i)
                .map_err(|failure| self.error(Call::Finish, failure))?;
            all.push(emitted);
        }
        for sibling in &mut self.siblings {
            let mut emitted = sibling.finish()?;
            if self.reach.tallies {
                // What they counted went into the first resource's report.
                emitted.iter_mut().for_each(|emitted| emitted.report = None);
            }
            all.extend(emitted);
        }
        Ok(all)
    }

    fn finish_instance(&mut self, i: usize) -> Result<Emitted, Failure> {
        self.instances[i].wake = None;
        self.arm();
        let handle = self.instances[i].handle;
        let started = Instant::now();
        let result = self
            .instance
            .sluice_plugin_transform()
            .stage()
            .call_finish(&mut self.store, handle);
        self.counters.call(started.elapsed());
        let emitted = self.answer(result)?;
        self.emitted_lines(emitted, i)
    }

    /// What resource `i` emitted, checked and counted.
    fn emitted_lines(&self, emitted: bindings::Emitted, i: usize) -> Result<Emitted, Failure> {
        let emitted = emitted_lines(emitted, self.instances[i].own_source())?;
        let lines = emitted.lines.iter().map(|batch| batch.len() as u64).sum();
        let bytes = emitted.lines.iter().map(|batch| batch.data.len() as u64);
        self.counters.emitted(lines, bytes.sum());
        Ok(emitted)
    }
}

/// A new store for the stage `label` (granting it `env`) and the plugin's instance in it.
fn start(
    recipe: &StoreRecipe,
    pre: &PluginPre<StageState>,
    label: &str,
    env: &[(String, String)],
) -> Result<(Store<StageState>, bindings::Plugin), StageError> {
    let mut store = recipe.store(label, env);
    let instance = pre.instantiate(&mut store).map_err(|err| {
        StageError::new(label, Call::Start, Failure::Instantiate(root_message(&err)))
    })?;
    Ok((store, instance))
}

/// The shortest time between a stage's `tick` and its next: a stage asking for less gets this.
pub(crate) const MIN_TICK_INTERVAL_MS: u32 = 1;

/// When a wake asked for now falls due, and whether it holds input back.
fn deadline(wake: Wake) -> (Instant, bool) {
    let at = Instant::now() + Duration::from_millis(wake.after_ms.into());
    (at, wake.hold)
}

fn wake_from(wake: bindings::Wake) -> Wake {
    Wake {
        after_ms: wake.after_ms,
        hold: wake.hold,
    }
}

/// Checks what `tick` or `finish` returned and turns it into batches of lines, one per run
/// of lines from one source; lines that name no source have `own_source`.
fn emitted_lines(emitted: bindings::Emitted, own_source: &str) -> Result<Emitted, Failure> {
    let terminators: Vec<(u32, Terminator)> = emitted
        .terminators
        .into_iter()
        .map(|(line, t)| (line, from_wit(t)))
        .collect();
    let lines = Lines::from_emitted(
        &emitted.data,
        &emitted.ends,
        restore_fields(emitted.fields),
        emitted.timestamps,
        &terminators,
        &emitted.sources,
        own_source,
    )
    .map_err(|violation| Failure::Malformed(Malformed::Answer(violation)))?;
    Ok(Emitted {
        lines,
        report: emitted.report,
    })
}

/// The host's terminator as the contract's.
fn to_wit(terminator: Terminator) -> bindings::Terminator {
    match terminator {
        Terminator::Lf => bindings::Terminator::Lf,
        Terminator::CrLf => bindings::Terminator::Crlf,
        Terminator::None => bindings::Terminator::None,
    }
}

/// The contract's terminator as the host's.
fn from_wit(terminator: bindings::Terminator) -> Terminator {
    match terminator {
        bindings::Terminator::Lf => Terminator::Lf,
        bindings::Terminator::Crlf => Terminator::CrLf,
        bindings::Terminator::None => Terminator::None,
    }
}

/// The limits a stage's calls run under.
#[derive(Clone, Copy, Debug)]
struct CallLimits {
    /// The epoch deadline set before each call.
    deadline_ticks: u64,
    /// The same deadline as a duration, for messages.
    timeout: Duration,
}

impl CallLimits {
    /// What made a call into the plugin fail: the memory cap if the store's limiter refused a
    /// growth, else the trap wasmtime raised (an epoch interrupt is the deadline), else
    /// wasmtime's own message.
    fn failure(&self, err: &wasmtime::Error, store: &mut Store<StageState>) -> Failure {
        let cap = &mut store.data_mut().limits;
        if let Some(grew) = cap.take_hit() {
            return Failure::MemoryCap {
                limit_bytes: cap.limit_bytes(),
                grew,
            };
        }
        match err.downcast_ref::<Trap>() {
            Some(Trap::Interrupt) => Failure::Deadline {
                timeout: self.timeout,
                blocked_in: store.data_mut().deadline.take_blocked(),
            },
            Some(&trap) => Failure::Trap(trap),
            None => Failure::Runtime(root_message(err)),
        }
    }
}

/// The innermost cause of `err`, on one line.
fn root_message(err: &wasmtime::Error) -> String {
    plugin_text(&err.root_cause().to_string())
}

fn take_fields(table: &mut FieldTable) -> Fields {
    Fields {
        names: mem::take(&mut table.names),
        line: mem::take(&mut table.line),
        name: mem::take(&mut table.name),
        values: mem::take(&mut table.values),
        value_ends: mem::take(&mut table.value_ends),
        // A table of text only (the usual one) has no kinds: nothing to convert.
        kinds: mem::take(&mut table.kinds)
            .into_iter()
            .map(kind_to_wit)
            .collect(),
    }
}

fn restore_fields(fields: Fields) -> FieldTable {
    FieldTable {
        names: fields.names,
        line: fields.line,
        name: fields.name,
        values: fields.values,
        value_ends: fields.value_ends,
        kinds: fields.kinds.into_iter().map(kind_from_wit).collect(),
    }
}

/// The contract's kind as the WIT's.
fn kind_to_wit(kind: Kind) -> bindings::Kind {
    match kind {
        Kind::Text => bindings::Kind::Text,
        Kind::Integer => bindings::Kind::Integer,
        Kind::Number => bindings::Kind::Number,
        Kind::Boolean => bindings::Kind::Boolean,
        Kind::Null => bindings::Kind::Null,
        Kind::Bytes => bindings::Kind::Bytes,
    }
}

/// The WIT's kind as the contract's.
fn kind_from_wit(kind: bindings::Kind) -> Kind {
    match kind {
        bindings::Kind::Text => Kind::Text,
        bindings::Kind::Integer => Kind::Integer,
        bindings::Kind::Number => Kind::Number,
        bindings::Kind::Boolean => Kind::Boolean,
        bindings::Kind::Null => Kind::Null,
        bindings::Kind::Bytes => Kind::Bytes,
    }
}
