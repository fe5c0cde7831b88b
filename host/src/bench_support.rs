//! For the benchmark's native rows only, not a stable interface: runs a plugin's code compiled
//! for the host on a batch exactly as [`Stage::process`](crate::Stage) runs its wasm build —
//! the batch's vectors lent in the contract's layout, the answer checked by the contract's
//! rules and applied by the host's own code — so a native row does the host's work minus
//! wasm.

use std::mem;

use crate::fields::FieldTable;
use crate::framing::Terminator;
use crate::lines::Lines;
use crate::output::StageOutput;
use sluice_contract::{Kind, Violation};

/// A batch as the WIT `batch` record lays it out (its `fields` record flattened).
#[derive(Debug, Default)]
pub struct RawBatch {
    pub data: Vec<u8>,
    pub ends: Vec<u32>,
    pub partial: Vec<u32>,
    pub names: Vec<String>,
    pub line: Vec<u32>,
    pub name: Vec<u32>,
    pub values: Vec<u8>,
    pub value_ends: Vec<u32>,
    pub kinds: Vec<Kind>,
    pub timestamps: Vec<(u32, i64)>,
    pub source: String,
    pub terminators: Vec<Terminator>,
}

/// A stage's answer as the WIT `output` record lays it out (its `fields` record flattened,
/// without `wake`).
#[derive(Debug, Default)]
pub struct RawOutput {
    pub source: Vec<u32>,
    pub rewritten: Vec<u32>,
    pub data: Vec<u8>,
    pub ends: Vec<u32>,
    pub detached: Vec<u32>,
    pub removed: Vec<(u32, String)>,
    pub names: Vec<String>,
    pub line: Vec<u32>,
    pub name: Vec<u32>,
    pub values: Vec<u8>,
    pub value_ends: Vec<u32>,
    pub kinds: Vec<Kind>,
    pub timestamps: Vec<(u32, i64)>,
    pub terminators: Vec<(u32, Terminator)>,
}

/// Lends `lines` to `stage` as a [`RawBatch`], then checks its answer against the batch and
/// applies it, using `spare` as scratch. Returns whether the batch changed.
pub fn process(
    lines: &mut Lines,
    spare: &mut Lines,
    stage: impl FnOnce(&mut RawBatch) -> RawOutput,
) -> Result<bool, Violation> {
    let mut batch = RawBatch {
        data: mem::take(&mut lines.data),
        ends: mem::take(&mut lines.ends),
        partial: mem::take(&mut lines.partial),
        names: mem::take(&mut lines.fields.names),
        line: mem::take(&mut lines.fields.line),
        name: mem::take(&mut lines.fields.name),
        values: mem::take(&mut lines.fields.values),
        value_ends: mem::take(&mut lines.fields.value_ends),
        kinds: mem::take(&mut lines.fields.kinds),
        timestamps: mem::take(&mut lines.timestamps),
        source: mem::take(&mut lines.source),
        terminators: mem::take(&mut lines.terms),
    };
    let answer = stage(&mut batch);
    lines.data = batch.data;
    lines.ends = batch.ends;
    lines.partial = batch.partial;
    lines.fields = FieldTable {
        names: batch.names,
        line: batch.line,
        name: batch.name,
        values: batch.values,
        value_ends: batch.value_ends,
        kinds: batch.kinds,
    };
    lines.timestamps = batch.timestamps;
    lines.source = batch.source;
    lines.terms = batch.terminators;
    let output = StageOutput {
        source: answer.source,
        rewritten: answer.rewritten,
        data: answer.data,
        ends: answer.ends,
        detached: answer.detached,
        removed: answer.removed,
        fields: FieldTable {
            names: answer.names,
            line: answer.line,
            name: answer.name,
            values: answer.values,
            value_ends: answer.value_ends,
            kinds: answer.kinds,
        },
        timestamps: answer.timestamps,
        terminators: answer.terminators,
        wake: None,
    };
    output.check(lines.len())?;
    Ok(output.apply_in_place(lines, spare))
}
