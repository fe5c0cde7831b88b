//! More instances of one stage, for the worker lanes of a parallel run ([`crate::parallel`]).
//!
//! A stage whose state is `none` may be given any batch in any instance. [`Stage::seed`] takes
//! what it takes to make another instance of the stage (the compiled plugin, the
//! configuration, the grants, the limits, the failure policy and the stage's counters) as a
//! value that can go to a worker thread, which grows its own instance from it
//! ([`StageSeed::grow`]): its own store, memory cap and deadlines, created from the same
//! configuration, under the same label. The instances count into the one stage's counters, so
//! `--stats` and the failure summary show one stage. At the end of the run the workers hand
//! their instances back and the stage adopts them ([`Stage::adopt`]), so that finishing the
//! stage finishes them too.

use std::collections::HashMap;
use std::sync::Arc;

use super::{CallLimits, Stage, start};
use crate::error::StageError;
use crate::lines::Lines;
use crate::on_error::OnError;
use crate::report::ReportTarget;
use crate::runtime::PluginInfo;
use crate::runtime::StageState;
use crate::runtime::bindings::{Grants, PluginPre};
use crate::runtime::plugin::Reach;
use crate::runtime::store_recipe::StoreRecipe;
use crate::stats::{BatchCount, StageCounters};

/// Everything a stage is made of but its store and instance: enough to make another instance
/// of it, on any thread.
#[derive(Clone)]
pub struct StageSeed {
    pub(super) label: String,
    pub(super) info: PluginInfo,
    pub(super) fresh: (StoreRecipe, PluginPre<StageState>),
    pub(super) on_error: OnError,
    pub(super) config: String,
    pub(super) grants: Grants,
    pub(super) limits: CallLimits,
    pub(super) report_target: ReportTarget,
    pub(super) counters: Arc<StageCounters>,
}

impl StageSeed {
    /// A new instance of the stage, in a store of its own, created from its configuration.
    pub fn grow(self) -> Result<Stage, StageError> {
        let (recipe, pre) = &self.fresh;
        let (store, instance) = start(recipe, pre, &self.label, &self.grants.env)?;
        let reach = Reach {
            state: self.info.state,
            tallies: false,
            carries: false,
        };
        let mut stage = Stage {
            label: self.label,
            info: self.info,
            store,
            instance,
            fresh: Box::new(self.fresh),
            on_error: self.on_error,
            instances: Vec::new(),
            config: self.config,
            grants: self.grants,
            limits: self.limits,
            spare: Lines::default(),
            terminators: Vec::new(),
            report_target: self.report_target,
            counters: self.counters,
            siblings: Vec::new(),
            reach,
            guess: false,
            carried: HashMap::new(),
            counted: BatchCount::default(),
        };
        stage.create_first()?;
        Ok(stage)
    }
}

impl Stage {
    /// What it takes to make another instance of this stage (see the module's doc).
    pub fn seed(&self) -> StageSeed {
        StageSeed {
            label: self.label.clone(),
            info: self.info.clone(),
            fresh: (*self.fresh).clone(),
            on_error: self.on_error,
            config: self.config.clone(),
            grants: self.grants.clone(),
            limits: self.limits,
            report_target: self.report_target.clone(),
            counters: Arc::clone(&self.counters),
        }
    }

    /// Takes `sibling`, another instance of this stage grown from its seed, so that finishing
    /// this stage finishes it too.
    pub(crate) fn adopt(&mut self, sibling: Stage) {
        self.siblings.push(sibling);
    }
}
