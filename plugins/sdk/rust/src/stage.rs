//! The glue between a [`Plugin`] and the contract: [`StageCore`] runs a plugin on the
//! contract's types (the wasm exports and the native [`crate::testing`] harness both use it),
//! and [`Adapter`]/[`StageResource`] implement the generated `Guest` traits on top of it.

use crate::Plugin;
use crate::batch::Batch;
use crate::bindings::exports::sluice::plugin::transform::{self, Guest, GuestStage};
use crate::bindings::sluice::plugin::types;
use crate::config::{Config, ConfigError};
use crate::output::{BatchOutput, Trailing};
use std::cell::RefCell;
use std::marker::PhantomData;

/// A plugin's `describe` answer, from its constants.
pub(crate) fn describe<P: Plugin>() -> types::Info {
    types::Info {
        name: P::NAME.to_owned(),
        version: P::VERSION.to_owned(),
        summary: P::SUMMARY.to_owned(),
        config_keys: P::CONFIG_KEYS
            .iter()
            .map(|key| types::ConfigKey {
                name: key.name.to_owned(),
                kind: key.kind.to_owned(),
                default: key.default.map(str::to_owned),
                doc: key.doc.to_owned(),
            })
            .collect(),
        boundary_safe: P::BOUNDARY_SAFE,
        state: P::STATE.to_wit(),
    }
}

fn wake_of<P: Plugin>(plugin: &P) -> Option<types::Wake> {
    plugin.wake().map(|w| types::Wake {
        after_ms: w.after_ms,
        hold: w.hold,
    })
}

/// One stage: a plugin value plus the output buffers reused from batch to batch.
pub(crate) struct StageCore<P> {
    plugin: P,
    output: BatchOutput,
    trailing: Trailing,
}

impl<P: Plugin> StageCore<P> {
    /// Parses and checks the configuration, then builds the plugin.
    pub(crate) fn create(
        config: &str,
        env: Vec<(String, String)>,
        report: Option<String>,
        limits: (u32, u32),
    ) -> Result<Self, ConfigError> {
        let config = Config::parse(config)?
            .with_env(env)
            .with_report(report)
            .with_limits(limits.0, limits.1);
        let known: Vec<&str> = P::CONFIG_KEYS.iter().map(|key| key.name).collect();
        config.deny_unknown(&known)?;
        Ok(StageCore {
            plugin: P::new(config)?,
            output: BatchOutput::default(),
            trailing: Trailing::default(),
        })
    }

    pub(crate) fn process(&mut self, raw: &types::Batch) -> Result<types::Output, String> {
        let batch = Batch::new(raw)?;
        self.output.begin(batch.len());
        let result = self.plugin.process_batch(&batch, &mut self.output);
        let partials: &[u32] = if P::BOUNDARY_SAFE { &raw.partial } else { &[] };
        let output = self.output.take(partials);
        result?;
        let mut output = output?;
        output.wake = wake_of(&self.plugin);
        Ok(output)
    }

    pub(crate) fn tick(&mut self) -> Result<types::Emitted, String> {
        let result = self.plugin.tick(&mut self.trailing);
        let mut emitted = self.trailing.take();
        result?;
        emitted.wake = wake_of(&self.plugin);
        Ok(emitted)
    }

    pub(crate) fn finish(&mut self) -> Result<types::Emitted, String> {
        let result = self.plugin.finish(&mut self.trailing);
        let emitted = self.trailing.take();
        result.map(|()| emitted)
    }

    pub(crate) fn plugin(&self) -> &P {
        &self.plugin
    }

    pub(crate) fn plugin_mut(&mut self) -> &mut P {
        &mut self.plugin
    }
}

/// Implements the generated `Guest` trait for plugin `P`; named by [`crate::export_plugin!`].
pub struct Adapter<P>(PhantomData<P>);

/// The `stage` resource of plugin `P`.
pub struct StageResource<P> {
    core: RefCell<StageCore<P>>,
}

thread_local! {
    /// The key and message of the latest call that failed, kept for `last-error`.
    static LAST_ERROR: RefCell<(Option<String>, String)> = const {
        RefCell::new((None, String::new()))
    };
}

/// Keeps `key` and `message` for `last-error` and says how long the message is.
fn failed(key: Option<String>, message: String) -> types::Failed {
    let failed = types::Failed {
        message_bytes: message.len() as u64,
    };
    LAST_ERROR.with(|last| *last.borrow_mut() = (key, message));
    failed
}

/// The start of `text`, at most `max_bytes` long, cut at a character boundary.
fn cut(text: &str, max_bytes: usize) -> String {
    let mut end = max_bytes.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

impl<P: Plugin> Guest for Adapter<P> {
    type Stage = StageResource<P>;

    fn describe() -> types::Info {
        describe::<P>()
    }

    fn last_error(max_bytes: u32) -> types::Error {
        LAST_ERROR.with(|last| {
            let (key, message) = &*last.borrow();
            types::Error {
                key: key.as_deref().map(|key| cut(key, max_bytes as usize)),
                message: cut(message, max_bytes as usize),
            }
        })
    }
}

impl<P: Plugin> GuestStage for StageResource<P> {
    fn create(config: String, grants: types::Grants) -> Result<transform::Stage, types::Failed> {
        let limits = (grants.max_line_bytes, grants.boundary_overlap);
        match StageCore::<P>::create(&config, grants.env, grants.report, limits) {
            Ok(core) => Ok(transform::Stage::new(StageResource {
                core: RefCell::new(core),
            })),
            Err(e) => Err(failed(e.key, e.message)),
        }
    }

    fn process(&self, batch: types::Batch) -> Result<types::Output, types::Failed> {
        self.core
            .borrow_mut()
            .process(&batch)
            .map_err(|message| failed(None, message))
    }

    fn tick(&self) -> Result<types::Emitted, types::Failed> {
        self.core
            .borrow_mut()
            .tick()
            .map_err(|message| failed(None, message))
    }

    fn finish(&self) -> Result<types::Emitted, types::Failed> {
        self.core
            .borrow_mut()
            .finish()
            .map_err(|message| failed(None, message))
    }

    fn reach(&self) -> types::Reach {
        self.core.borrow().plugin().reach().to_wit()
    }

    fn tally(&self) -> Vec<u8> {
        self.core.borrow_mut().plugin_mut().tally()
    }

    fn absorb(&self, tally: Vec<u8>) -> Result<(), types::Failed> {
        self.core
            .borrow_mut()
            .plugin_mut()
            .absorb(&tally)
            .map_err(|message| failed(None, message))
    }

    fn carry(&self) -> Vec<u8> {
        self.core.borrow().plugin().carry()
    }

    fn resume(&self, carried: Vec<u8>) -> Result<(), types::Failed> {
        self.core
            .borrow_mut()
            .plugin_mut()
            .resume(&carried)
            .map_err(|message| failed(None, message))
    }
}
