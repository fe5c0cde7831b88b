//! A per-source stage's resources: which guest `stage` resource sees which source's lines
//! ([`Stage::instance_for`]), and the end of a source ([`Stage::end_source`]).
//!
//! A stage whose plugin declares `per-source` state gets one resource per source, created
//! lazily from the stage's configuration; the resource created at start serves the first
//! source that arrives. So what the plugin keeps between lines never spans two files. Other
//! stages have one resource for every line.

use std::time::Instant;

use wasmtime::component::ResourceAny;

use super::{Emitted, Stage};
use crate::error::{Call, StageError};
use crate::runtime::plugin::StateScope;

/// One guest `stage` resource and what the host keeps about it.
pub(super) struct SourceInstance {
    /// The source whose lines it sees, for a per-source stage; `None` for the resource of any
    /// other stage, and for a per-source stage's first resource until a source arrives.
    pub(super) source: Option<String>,
    pub(super) handle: ResourceAny,
    /// When `tick` is due, from the resource's latest answer, and whether it holds input back.
    pub(super) wake: Option<(Instant, bool)>,
}

impl SourceInstance {
    /// The source of the lines it emits when it names none: its own source, or the empty
    /// string (lines the stage made).
    pub(super) fn own_source(&self) -> &str {
        self.source.as_deref().unwrap_or("")
    }
}

impl Stage {
    /// The index of the resource that saw lines from `source`, if one did: a per-source
    /// stage's resource bound to it, or the one resource of another stage.
    pub(super) fn bound_instance(&self, source: &str) -> Option<usize> {
        if self.scope() != StateScope::PerSource {
            return (!self.instances.is_empty()).then_some(0);
        }
        self.instances
            .iter()
            .position(|instance| instance.source.as_deref() == Some(source))
    }

    /// The index of the resource that sees lines from `source`, created (or bound) first if
    /// the stage is per source and has none for it yet.
    pub(super) fn instance_for(&mut self, source: &str) -> Result<usize, StageError> {
        if self.scope() != StateScope::PerSource {
            return Ok(0);
        }
        if let Some(i) = self
            .instances
            .iter()
            .position(|instance| instance.source.as_deref() == Some(source))
        {
            return Ok(i);
        }
        if let Some(i) = self.instances.iter().position(|i| i.source.is_none()) {
            self.instances[i].source = Some(source.to_owned());
            return Ok(i);
        }
        let handle = self
            .create()
            .map_err(|failure| self.error(Call::Create, failure))?;
        self.instances.push(SourceInstance {
            source: Some(source.to_owned()),
            handle,
            wake: None,
        });
        Ok(self.instances.len() - 1)
    }

    /// The end of `source`: a per-source stage's resource for it, if it has one, is finished
    /// and dropped, and what it emitted is returned. Other stages go on; they are finished at
    /// the end of the stream. Errors are as for [`Stage::process`].
    pub(crate) fn end_source(&mut self, source: &str) -> Result<Option<Emitted>, StageError> {
        if self.scope() != StateScope::PerSource {
            return Ok(None);
        }
        if self.carried.contains_key(source) {
            // Its lines ran on the lanes: a resource of its own finishes from where they left
            // it.
            self.instance_for(source)?;
        }
        let Some(i) = self.bound_instance(source) else {
            return Ok(None);
        };
        self.settle(i)?;
        let emitted = self
            .finish_instance(i)
            .map_err(|failure| self.error(Call::Finish, failure))?;
        let instance = self.instances.remove(i);
        // The resource's destructor runs in the guest; a failure there changes no output.
        let _ = instance.handle.resource_drop(&mut self.store);
        Ok(Some(emitted))
    }
}
