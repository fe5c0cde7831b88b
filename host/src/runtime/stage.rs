//! [`Stage`]: one configured instance of a plugin, and the calls into it.

use std::mem;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};
use wasmtime::component::ResourceAny;
use wasmtime::{Store, Trap};

use super::bindings::{self, Batch, Fields, Grants};
use super::{Plugin, PluginInfo, Runtime, StageState};
use crate::fields::FieldTable;
use crate::framing::Terminator;
use crate::lines::Lines;
use crate::output::{StageOutput, Wake};
use crate::report::ReportTarget;

/// What the host grants a stage beyond its configuration.
#[derive(Clone, Debug)]
pub struct StageGrants {
    /// Environment variables, as (name, value), from the config's `env` key.
    pub env: Vec<(String, String)>,
    /// Where the stage's reports go, from the config's `report` key (for the plugin's
    /// messages; the caller does the writing).
    pub report: Option<String>,
    /// The line cap and the window overlap the pipeline runs with.
    pub max_line_bytes: u32,
    pub boundary_overlap: u32,
}

/// What a stage emitted on its own, from `tick` or `finish`.
#[derive(Debug, Default)]
pub struct Emitted {
    /// Lines, each ending in `\n`, to run through the stages after this one.
    pub lines: Lines,
    /// A report for the host to write where the stage's `report` key says.
    pub report: Option<Vec<u8>>,
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
    /// nested in the third) and creates it with `config` (a JSON object) and `grants`.
    pub fn new(
        runtime: &Runtime,
        plugin: &Plugin,
        position: &str,
        config: &str,
        grants: StageGrants,
    ) -> Result<Stage> {
        let label = format!("stage {position} ({})", plugin.origin);
        let limits = CallLimits {
            deadline_ticks: runtime.deadline_ticks(),
            timeout: runtime.options().call_timeout,
            memory_limit: runtime.options().memory_limit,
        };
        let report_target = ReportTarget::parse(grants.report.as_deref().unwrap_or("stderr"));
        let mut store = runtime.new_store(&label, &grants.env);
        let instance = plugin
            .pre
            .instantiate(&mut store)
            .map_err(|err| anyhow!("{label}: failed to start: {}", root_message(&err)))?;
        let created = instance.sluice_plugin_transform().stage().call_create(
            &mut store,
            config,
            &Grants {
                env: grants.env,
                report: grants.report,
                max_line_bytes: grants.max_line_bytes,
                boundary_overlap: grants.boundary_overlap,
            },
        );
        let handle = match created {
            Ok(Ok(handle)) => handle,
            Ok(Err(rejected)) => {
                let message = one_line(&rejected.message);
                return Err(match rejected.key {
                    Some(key) => anyhow!("{label}: config key `{key}`: {message}"),
                    None => anyhow!("{label}: bad config: {message}"),
                });
            }
            Err(err) => return Err(anyhow!("{label}: {}", limits.describe(&err, "create"))),
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
    pub fn report_target(&self) -> &ReportTarget {
        &self.report_target
    }

    /// When the stage's `tick` is due, if it asked for one.
    pub fn deadline(&self) -> Option<Instant> {
        self.wake.map(|(at, _)| at)
    }

    /// True when the stage holds lines back and no more input may be read until its `tick`.
    pub fn holds(&self) -> bool {
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

    /// What the plugin said about itself.
    pub fn info(&self) -> &PluginInfo {
        &self.info
    }

    /// Runs the stage on `lines`, replacing them with its output. Returns false when the stage
    /// left the batch unchanged (then `lines` is untouched). An error is one line saying what
    /// went wrong; the caller adds the stage's label and the input position.
    pub fn process(&mut self, lines: &mut Lines) -> Result<bool, String> {
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
            Ok(Err(message)) => return Err(one_line(&message)),
            Err(err) => return Err(self.limits.describe(&err, "process")),
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
            .map_err(|e| format!("malformed output: {e}"))?;
        self.set_wake(output.wake);
        Ok(output.apply_in_place(lines, &mut self.spare))
    }

    /// Calls the stage's `tick` (its deadline passed) and returns what it emitted. Errors are
    /// as for [`Stage::process`].
    pub fn tick(&mut self) -> Result<Emitted, String> {
        self.wake = None;
        self.store.set_epoch_deadline(self.limits.deadline_ticks);
        let result = self
            .instance
            .sluice_plugin_transform()
            .stage()
            .call_tick(&mut self.store, self.handle);
        let emitted = match result {
            Ok(Ok(emitted)) => emitted,
            Ok(Err(message)) => return Err(one_line(&message)),
            Err(err) => return Err(self.limits.describe(&err, "tick")),
        };
        self.set_wake(emitted.wake.map(wake_from));
        emitted_lines(emitted).map_err(|e| format!("malformed output from tick: {e}"))
    }

    /// Calls the stage's `finish` and returns its trailing lines, each ending in `\n`, and its
    /// report. Errors are as for [`Stage::process`].
    pub fn finish(&mut self) -> Result<Emitted, String> {
        self.wake = None;
        self.store.set_epoch_deadline(self.limits.deadline_ticks);
        let result = self
            .instance
            .sluice_plugin_transform()
            .stage()
            .call_finish(&mut self.store, self.handle);
        match result {
            Ok(Ok(emitted)) => {
                emitted_lines(emitted).map_err(|e| format!("malformed output from finish: {e}"))
            }
            Ok(Err(message)) => Err(one_line(&message)),
            Err(err) => Err(self.limits.describe(&err, "finish")),
        }
    }
}

fn wake_from(wake: bindings::Wake) -> Wake {
    Wake {
        after_ms: wake.after_ms,
        hold: wake.hold,
    }
}

/// Checks what `tick` or `finish` returned and turns it into lines ending in `\n`.
fn emitted_lines(emitted: bindings::Emitted) -> Result<Emitted, String> {
    let mut lines = Lines::default();
    let mut start = 0;
    for (i, &end) in emitted.ends.iter().enumerate() {
        if end < start || end as usize > emitted.data.len() {
            return Err(format!(
                "ends[{i}] = {end} is out of order or past the {} data bytes",
                emitted.data.len()
            ));
        }
        lines.push(
            &emitted.data[start as usize..end as usize],
            Terminator::Lf,
            false,
        );
        start = end;
    }
    lines.fields = restore_fields(emitted.fields);
    lines.timestamps = emitted.timestamps;
    lines.check_annotations()?;
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
    timeout: std::time::Duration,
    /// The store's memory cap in bytes, for messages.
    memory_limit: usize,
}

impl CallLimits {
    /// One line saying why a call into a plugin failed.
    fn describe(&self, err: &wasmtime::Error, call: &str) -> String {
        match err.downcast_ref::<Trap>() {
            Some(Trap::Interrupt) => format!(
                "`{call}` did not finish within {:?} and was stopped (an endless loop? if the \
                 plugin is just slow, raise --plugin-timeout)",
                self.timeout
            ),
            Some(Trap::UnreachableCodeReached) => {
                format!("`{call}` trapped: wasm `unreachable` executed (in a Rust plugin, a panic)")
            }
            Some(trap) => format!("`{call}` trapped: {trap}"),
            None => {
                let message = root_message(err);
                if message.contains("forcing trap when growing memory") {
                    format!(
                        "`{call}` exceeded the memory limit of {} MiB (raise --plugin-memory)",
                        self.memory_limit >> 20
                    )
                } else {
                    format!("`{call}` failed: {message}")
                }
            }
        }
    }
}

/// The innermost cause of `err`, on one line.
fn root_message(err: &wasmtime::Error) -> String {
    one_line(&err.root_cause().to_string())
}

/// Collapses a message onto one line: plugin messages end up in one-line diagnostics.
fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
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
