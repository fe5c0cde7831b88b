//! [`Stage`]: one configured instance of a plugin, and the calls into it.

use std::mem;
use std::time::{Duration, Instant};

use wasmtime::component::ResourceAny;
use wasmtime::{Store, Trap};

use super::bindings::{self, Batch, Fields, Grants};
use super::{Plugin, PluginInfo, Runtime, StageState};
use crate::error::{Call, Failure, Malformed, StageError};
use crate::fields::FieldTable;
use crate::lines::Lines;
use crate::output::{StageOutput, Wake};
use crate::plugin_text::plugin_text;
use crate::report::ReportTarget;
use crate::settings::Settings;

/// What the host grants a stage beyond its configuration and the pipeline's settings.
#[derive(Clone, Debug, Default)]
pub struct StageGrants {
    /// Environment variables, as (name, value), from the config's `env` key.
    pub env: Vec<(String, String)>,
    /// Where the stage's reports go, from the config's `report` key (for the plugin's
    /// messages; the caller does the writing).
    pub report: Option<String>,
}

/// What a stage emitted on its own, from `tick` or `finish`.
#[derive(Debug, Default)]
pub(crate) struct Emitted {
    /// Lines, each ending in `\n`, to run through the stages after this one.
    pub(crate) lines: Lines,
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
    /// The guest's `stage` resource.
    handle: ResourceAny,
    limits: CallLimits,
    /// The previous batch's storage, reused to build the next output batch.
    spare: Lines,
    /// When `tick` is due, from the stage's latest answer, and whether it holds input back.
    wake: Option<(Instant, bool)>,
    /// Where the stage's reports go.
    report_target: ReportTarget,
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
        let mut store = runtime.new_store(&label, &grants.env);
        let instance = plugin.pre.instantiate(&mut store).map_err(|err| {
            StageError::new(
                &label,
                Call::Start,
                Failure::Instantiate(root_message(&err)),
            )
        })?;
        let created = instance.sluice_plugin_transform().stage().call_create(
            &mut store,
            config,
            &Grants {
                env: grants.env,
                report: grants.report,
                max_line_bytes: settings.max_line_bytes as u32,
                boundary_overlap: settings.boundary_overlap as u32,
            },
        );
        let handle = match created {
            Ok(Ok(handle)) => handle,
            Ok(Err(rejected)) => {
                let failure = Failure::Config {
                    key: rejected.key.as_deref().map(plugin_text),
                    message: plugin_text(&rejected.message),
                };
                return Err(StageError::new(&label, Call::Create, failure));
            }
            Err(err) => {
                let failure = limits.failure(&err, &mut store);
                return Err(StageError::new(&label, Call::Create, failure));
            }
        };
        store.data_mut().wasi.settled = true;
        Ok(Stage {
            label,
            info: plugin.info.clone(),
            store,
            instance,
            handle,
            limits,
            spare: Lines::default(),
            wake: None,
            report_target,
        })
    }

    /// Where the stage's reports go.
    pub(crate) fn report_target(&self) -> &ReportTarget {
        &self.report_target
    }

    /// When the stage's `tick` is due, if it asked for one.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.wake.map(|(at, _)| at)
    }

    /// True when the stage holds lines back and no more input may be read until its `tick`.
    pub(crate) fn holds(&self) -> bool {
        self.wake.is_some_and(|(_, hold)| hold)
    }

    fn set_wake(&mut self, wake: Option<Wake>) {
        self.wake = wake.map(|w| {
            (
                Instant::now() + Duration::from_millis(w.after_ms.into()),
                w.hold,
            )
        });
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

    /// Runs the stage on `lines`, replacing them with its output. Returns false when the stage
    /// left the batch unchanged (then `lines` is untouched). The error says what went wrong;
    /// the caller places it (see [`StageError`]).
    pub(crate) fn process(&mut self, lines: &mut Lines) -> Result<bool, Failure> {
        let batch = Batch {
            data: mem::take(&mut lines.data),
            ends: mem::take(&mut lines.ends),
            partial: mem::take(&mut lines.partial),
            fields: take_fields(&mut lines.fields),
            timestamps: mem::take(&mut lines.timestamps),
            source: mem::take(&mut lines.source),
        };
        self.store.set_epoch_deadline(self.limits.deadline_ticks);
        let result = self
            .instance
            .sluice_plugin_transform()
            .stage()
            .call_process(&mut self.store, self.handle, &batch);
        lines.data = batch.data;
        lines.ends = batch.ends;
        lines.partial = batch.partial;
        lines.fields = restore_fields(batch.fields);
        lines.timestamps = batch.timestamps;
        lines.source = batch.source;

        let output = match result {
            Ok(Ok(output)) => output,
            Ok(Err(message)) => return Err(Failure::Plugin(plugin_text(&message))),
            Err(err) => return Err(self.limits.failure(&err, &mut self.store)),
        };
        let output = StageOutput {
            source: output.source,
            rewritten: output.rewritten,
            data: output.data,
            ends: output.ends,
            detached: output.detached,
            removed: output.removed,
            fields: restore_fields(output.fields),
            timestamps: output.timestamps,
            wake: output.wake.map(wake_from),
        };
        output
            .check(lines.len())
            .map_err(|violation| Failure::Malformed(Malformed::Answer(violation)))?;
        self.set_wake(output.wake);
        Ok(output.apply_in_place(lines, &mut self.spare))
    }

    /// Calls the stage's `tick` (its deadline passed) and returns what it emitted. Errors are
    /// as for [`Stage::process`].
    pub(crate) fn tick(&mut self) -> Result<Emitted, Failure> {
        self.wake = None;
        self.store.set_epoch_deadline(self.limits.deadline_ticks);
        let result = self
            .instance
            .sluice_plugin_transform()
            .stage()
            .call_tick(&mut self.store, self.handle);
        let emitted = match result {
            Ok(Ok(emitted)) => emitted,
            Ok(Err(message)) => return Err(Failure::Plugin(plugin_text(&message))),
            Err(err) => return Err(self.limits.failure(&err, &mut self.store)),
        };
        // A stage that asks for its next tick at once from every tick is held to one tick a
        // millisecond: ticks cannot take all the time there is.
        let wake = emitted.wake.map(|w| Wake {
            after_ms: w.after_ms.max(MIN_TICK_INTERVAL_MS),
            ..wake_from(w)
        });
        self.set_wake(wake);
        emitted_lines(emitted)
    }

    /// Calls the stage's `finish` and returns its trailing lines, each ending in `\n`, and its
    /// report. Errors are as for [`Stage::process`].
    pub(crate) fn finish(&mut self) -> Result<Emitted, Failure> {
        self.wake = None;
        self.store.set_epoch_deadline(self.limits.deadline_ticks);
        let result = self
            .instance
            .sluice_plugin_transform()
            .stage()
            .call_finish(&mut self.store, self.handle);
        match result {
            Ok(Ok(emitted)) => emitted_lines(emitted),
            Ok(Err(message)) => Err(Failure::Plugin(plugin_text(&message))),
            Err(err) => Err(self.limits.failure(&err, &mut self.store)),
        }
    }
}

/// The shortest time between a stage's `tick` and its next: a stage asking for less gets this.
pub(crate) const MIN_TICK_INTERVAL_MS: u32 = 1;

fn wake_from(wake: bindings::Wake) -> Wake {
    Wake {
        after_ms: wake.after_ms,
        hold: wake.hold,
    }
}

/// Checks what `tick` or `finish` returned and turns it into lines ending in `\n`.
fn emitted_lines(emitted: bindings::Emitted) -> Result<Emitted, Failure> {
    let fields = restore_fields(emitted.fields);
    let lines = Lines::from_emitted(&emitted.data, &emitted.ends, fields, emitted.timestamps)
        .map_err(|violation| Failure::Malformed(Malformed::Answer(violation)))?;
    Ok(Emitted {
        lines,
        report: emitted.report,
    })
}

/// The limits a stage's calls run under.
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
        if cap.take_hit() {
            return Failure::MemoryCap {
                limit_bytes: cap.limit_bytes(),
            };
        }
        match err.downcast_ref::<Trap>() {
            Some(Trap::Interrupt) => Failure::Deadline {
                timeout: self.timeout,
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
    }
}

fn restore_fields(fields: Fields) -> FieldTable {
    FieldTable {
        names: fields.names,
        line: fields.line,
        name: fields.name,
        values: fields.values,
        value_ends: fields.value_ends,
    }
}
