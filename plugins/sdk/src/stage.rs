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
        summary: P::SUMMARY.to_owned(),
        config_keys: P::CONFIG_KEYS
            .iter()
            .map(|&(k, d)| (k.to_owned(), d.to_owned()))
            .collect(),
        boundary_safe: P::BOUNDARY_SAFE,
    }
}

/// One stage: a plugin value plus the output buffers reused from batch to batch.
pub(crate) struct StageCore<P> {
    plugin: P,
    output: BatchOutput,
    trailing: Trailing,
}

impl<P: Plugin> StageCore<P> {
    /// Parses and checks the configuration, then builds the plugin.
    pub(crate) fn create(config: &str, env: Vec<(String, String)>) -> Result<Self, ConfigError> {
        let config = Config::parse(config)?.with_env(env);
        let known: Vec<&str> = P::CONFIG_KEYS.iter().map(|&(k, _)| k).collect();
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
        output
    }

    pub(crate) fn finish(&mut self) -> Result<types::Lines, String> {
        let result = self.plugin.finish(&mut self.trailing);
        let lines = self.trailing.take();
        result.map(|()| lines)
    }
}

/// Implements the generated `Guest` trait for plugin `P`; named by [`crate::export_plugin!`].
pub struct Adapter<P>(PhantomData<P>);

/// The `stage` resource of plugin `P`.
pub struct StageResource<P> {
    core: RefCell<StageCore<P>>,
}

impl<P: Plugin> Guest for Adapter<P> {
    type Stage = StageResource<P>;

    fn describe() -> types::Info {
        describe::<P>()
    }
}

impl<P: Plugin> GuestStage for StageResource<P> {
    fn create(
        config: String,
        grants: types::Grants,
    ) -> Result<transform::Stage, types::ConfigError> {
        match StageCore::<P>::create(&config, grants.env) {
            Ok(core) => Ok(transform::Stage::new(StageResource {
                core: RefCell::new(core),
            })),
            Err(e) => Err(types::ConfigError {
                key: e.key,
                message: e.message,
            }),
        }
    }

    fn process(&self, batch: types::Batch) -> Result<types::Output, String> {
        self.core.borrow_mut().process(&batch)
    }

    fn finish(&self) -> Result<types::Lines, String> {
        self.core.borrow_mut().finish()
    }
}
