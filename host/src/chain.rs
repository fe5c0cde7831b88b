//! [`Chain`]: the stages in order, and the ways lines travel through them.
//!
//! 1. A batch of complete lines runs through every node in order ([`Chain::run`]). A node is a
//!    stage, or a `match` node ([`Match`]) that runs its own nested chain on the lines its
//!    selector picks and passes the others by.
//! 2. A *window*, the first [`max_line_bytes`](crate::Settings::max_line_bytes) bytes of a
//!    line too long to hold, runs through the leading boundary-safe stages only
//!    ([`Chain::run_window`]). The caller then cuts it: all but the last
//!    [`boundary_overlap`](crate::Settings::boundary_overlap) bytes go on as a partial piece
//!    through the remaining nodes ([`Chain::run`] from [`Chain::boundary_safe_prefix`]), and
//!    the tail is put back in front of the line's next bytes. So a secret straddling the cut is
//!    seen whole by the sanitizer in one window or the next, and no byte is lost or repeated.
//! 3. A stage may ask to be woken: [`Chain::next_deadline`] is the earliest such deadline, and
//!    [`Chain::tick_due`] ticks the stages whose deadline has passed; what they emit runs
//!    through the nodes after them. [`Chain::holds`] says a stage holds lines back and no input
//!    may be read until it is ticked.
//! 4. At end of stream, stages are finished in order; each stage's trailing lines run through
//!    the nodes after it before those are finished ([`Chain::finish`]). When one input ends
//!    before others (files read one after the other), the stages that keep state per source
//!    finish that source's instance the same way ([`Chain::end_source`]), so what they hold
//!    comes out before the next file's lines.
//!
//! Reports a stage emits are written as they come ([`crate::report`]). Every error names the
//! stage and where in the input it happened.

mod nodes;
mod seed;

pub(crate) use nodes::Nodes;
pub(crate) use seed::{NodeSeed, Segment, grow_lane};

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use crate::error::{Call, Failure, StageError};
use crate::lines::Lines;
use crate::on_error::Failures;
use crate::output::HandOn;
use crate::runtime::{Emitted, Halt, Stage, StateScope};
use crate::selector::Selector;
use crate::stats::StageCounters;

/// Where in the input a batch came from, for messages.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Position<'a> {
    /// Lines `first..=last` (1-based) of `input`.
    Lines {
        input: &'a str,
        first: u64,
        last: u64,
    },
    /// A piece of the over-long line `line` of `input`.
    Piece { input: &'a str, line: u64 },
    /// Lines a stage emitted on its own, when ticked.
    Tick,
    /// At the end of one input, when the stages that keep state per source finish it.
    EndOf { input: &'a str },
    /// After the last input, when stages are finished.
    End,
}

impl fmt::Display for Position<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Position::Lines { input, first, last } if first == last => {
                write!(f, "line {first} of {input}")
            }
            Position::Lines { input, first, last } => {
                write!(f, "lines {first}-{last} of {input}")
            }
            Position::Piece { input, line } => {
                write!(f, "line {line} of {input} (a piece of an over-long line)")
            }
            Position::Tick => write!(f, "a timed wake-up"),
            Position::EndOf { input } => write!(f, "the end of {input}"),
            Position::End => write!(f, "end of input"),
        }
    }
}

/// One element of a chain.
// A chain has a handful of nodes, built once: boxing the larger variant would save nothing
// that matters and add a pointer to follow on every batch.
#[allow(clippy::large_enum_variant)]
pub enum Node {
    /// A plugin stage.
    Stage(Stage),
    /// Nested stages run on the selected lines only.
    Match(Match),
}

/// A `match` node: runs `chain` on the lines `selector` picks; the others pass by unchanged.
///
/// A batch is cut into runs of consecutive selected and unselected lines; each selected run
/// goes through the nested chain as one batch, so output order is input order and the nested
/// stages see the selected lines as one ordered stream. An over-long line is judged on its
/// first piece, and that decision holds for its other pieces.
pub struct Match {
    selector: Selector,
    chain: Chain,
    /// The decision for the over-long line whose pieces are passing, made on its first piece.
    piece_decision: Option<bool>,
    /// Scratch batches, reused.
    run: Lines,
    out: Lines,
}

impl Match {
    /// A node running `chain` on the lines `selector` picks.
    pub fn new(selector: Selector, chain: Chain) -> Match {
        Match {
            selector,
            chain,
            piece_decision: None,
            run: Lines::default(),
            out: Lines::default(),
        }
    }

    /// Runs `lines` through; returns true when anything changed. A part of the nested chain's
    /// output handed on early goes to `hand_on` after what comes before it in the node's
    /// output, so order holds.
    fn process(
        &mut self,
        lines: &mut Lines,
        at: Position<'_>,
        hand_on: &mut HandOn<'_, StageError>,
    ) -> Result<bool, StageError> {
        let selected: Vec<bool> = (0..lines.len())
            .map(|i| {
                let decision = match self.piece_decision {
                    Some(decision) => decision,
                    None => self.selector.selects(lines, i),
                };
                self.piece_decision = lines.is_partial(i).then_some(decision);
                decision
            })
            .collect();
        if !selected.contains(&true) {
            return Ok(false);
        }
        if !selected.contains(&false) {
            return run_nodes(&mut self.chain.nodes, lines, at, hand_on);
        }
        let out = &mut self.out;
        out.clear();
        out.set_source(&lines.source);
        let mut start = 0;
        while start < lines.len() {
            let pick = selected[start];
            let end = (start..lines.len())
                .find(|&i| selected[i] != pick)
                .unwrap_or(lines.len());
            if pick {
                self.run.clear();
                self.run.set_source(&lines.source);
                self.run.extend_from(lines, start..end);
                run_nodes(&mut self.chain.nodes, &mut self.run, at, &mut |part| {
                    if !out.is_empty() {
                        hand_on(out)?;
                        out.clear();
                        out.set_source(&part.source);
                    }
                    hand_on(part)
                })?;
                out.extend_from(&self.run, 0..self.run.len());
            } else {
                out.extend_from(lines, start..end);
            }
            start = end;
        }
        std::mem::swap(lines, out);
        Ok(true)
    }
}

/// The nodes of a pipeline, in order.
pub struct Chain {
    nodes: Vec<Node>,
    /// The number of leading nodes that are boundary-safe stages: the ones that see whole
    /// windows.
    boundary_safe_prefix: usize,
    /// True when every stage, nested ones included, declares that it keeps no state between
    /// lines: the chain then never holds a line back.
    keeps_no_state: bool,
}

impl Chain {
    /// A chain of `nodes`, run in the given order.
    pub fn new(nodes: Vec<Node>) -> Chain {
        let boundary_safe_prefix = nodes
            .iter()
            .take_while(|node| matches!(node, Node::Stage(stage) if stage.info().boundary_safe))
            .count();
        let mut chain = Chain {
            nodes,
            boundary_safe_prefix,
            keeps_no_state: false,
        };
        chain.keeps_no_state = chain
            .stages()
            .iter()
            .all(|stage| stage.info().state == StateScope::None);
        chain
    }

    /// True when no stage keeps state between lines (each declares `none`), so no line is
    /// ever held back: once a batch's output is handed on, every line of the batch is done.
    pub(crate) fn keeps_no_state(&self) -> bool {
        self.keeps_no_state
    }

    /// True when the chain has no node: lines pass through untouched.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The number of leading boundary-safe stages.
    pub fn boundary_safe_prefix(&self) -> usize {
        self.boundary_safe_prefix
    }

    /// Every stage, nested ones included, in chain order.
    pub fn stages(&self) -> Vec<&Stage> {
        let mut stages = Vec::new();
        for node in &self.nodes {
            match node {
                Node::Stage(stage) => stages.push(stage),
                Node::Match(m) => stages.extend(m.chain.stages()),
            }
        }
        stages
    }

    /// Warnings about the chain's shape, for the user: a boundary-safe stage placed after a
    /// node that is not one sees over-long lines only in pieces, so it loses its guarantee.
    pub fn warnings(&self) -> Vec<String> {
        self.stages()
            .into_iter()
            .skip(self.boundary_safe_prefix)
            .filter(|stage| stage.info().boundary_safe)
            .map(|stage| {
                format!(
                    "{} is boundary-safe but follows a stage that is not, so over-long lines reach \
                     it in pieces and a match straddling a cut can be missed; put it first",
                    stage.label()
                )
            })
            .collect()
    }

    /// Runs `lines` through the nodes from `from` on. Returns true when any node changed them.
    /// When a stage's output is too large to hold as one batch, its earlier parts run through
    /// the nodes after it and go to `emit` before this returns; `lines` holds what comes last
    /// (see [`crate::output`]).
    pub(crate) fn run(
        &mut self,
        lines: &mut Lines,
        from: usize,
        at: Position<'_>,
        emit: &mut dyn FnMut(&Lines),
    ) -> Result<bool, StageError> {
        run_nodes(&mut self.nodes[from..], lines, at, &mut |part| {
            emit(part);
            Ok(())
        })
    }

    /// Runs a window (a batch of one partial line) through the boundary-safe prefix. Each of
    /// those stages must give back exactly one line. A stage that fails does what its failure
    /// policy says: under `drop` the window comes back empty.
    pub(crate) fn run_window(
        &mut self,
        window: &mut Lines,
        at: Position<'_>,
    ) -> Result<(), StageError> {
        for node in &mut self.nodes[..self.boundary_safe_prefix] {
            let Node::Stage(stage) = node else {
                unreachable!("the boundary-safe prefix holds stages only")
            };
            if let Err(err) = stage.process_window(window) {
                stage.recover(err.at(at), window)?;
                if window.is_empty() {
                    break;
                }
            }
        }
        Ok(())
    }

    /// The earliest deadline a stage asked to be ticked at.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.nodes
            .iter()
            .filter_map(|node| match node {
                Node::Stage(stage) => stage.deadline(),
                Node::Match(m) => m.chain.next_deadline(),
            })
            .min()
    }

    /// Every stage's counters, nested ones included, in chain order, with its label.
    pub(crate) fn counters(&self) -> Vec<(String, Arc<StageCounters>)> {
        self.stages()
            .iter()
            .map(|stage| (stage.label().to_owned(), Arc::clone(stage.counters())))
            .collect()
    }

    /// What the failures of each stage that failed (under `skip` or `drop`) cost, in chain
    /// order.
    pub fn failures(&self) -> Vec<Failures> {
        self.stages()
            .iter()
            .filter_map(|stage| stage.failures())
            .collect()
    }

    /// The label of the first stage that holds lines back, if one does.
    pub(crate) fn holder(&self) -> Option<&str> {
        self.nodes.iter().find_map(|node| match node {
            Node::Stage(stage) => stage.holds().then(|| stage.label()),
            Node::Match(m) => m.chain.holder(),
        })
    }

    /// True when a stage holds lines back until its tick: read no input meanwhile.
    pub(crate) fn holds(&self) -> bool {
        self.nodes.iter().any(|node| match node {
            Node::Stage(stage) => stage.holds(),
            Node::Match(m) => m.chain.holds(),
        })
    }

    /// Ticks every stage whose deadline is at or before `now`, in chain order; what each emits
    /// runs through the nodes after it and is handed to `emit`.
    pub(crate) fn tick_due(
        &mut self,
        now: Instant,
        emit: &mut dyn FnMut(&Lines),
    ) -> Result<(), StageError> {
        self.each_stage_then_run(Position::Tick, emit, &mut |stage, emitted| {
            if stage.deadline().is_some_and(|at| at <= now) {
                match stage.tick_due(now) {
                    Ok(all) => {
                        for out in all {
                            emitted.extend(deliver(stage, Call::Tick, out)?);
                        }
                    }
                    Err(err) => stage.recover_call(err.at(Position::Tick), true)?,
                }
            }
            Ok(())
        })
    }

    /// The end of the input `source` while others follow: every stage that keeps state per
    /// source finishes its instance for `source`, in chain order, and what each emits runs
    /// through the nodes after it and is handed to `emit`.
    pub(crate) fn end_source(
        &mut self,
        source: &str,
        emit: &mut dyn FnMut(&Lines),
    ) -> Result<(), StageError> {
        let at = Position::EndOf { input: source };
        self.each_stage_then_run(at, emit, &mut |stage, emitted| {
            match stage.end_source(source) {
                Ok(Some(out)) => emitted.extend(deliver(stage, Call::Finish, out)?),
                Ok(None) => {}
                Err(err) => stage.recover_call(err.at(at), true)?,
            }
            Ok(())
        })
    }

    /// Finishes every stage in order, handing each one's trailing lines to `emit` after they
    /// ran through the nodes after it.
    pub(crate) fn finish(&mut self, emit: &mut dyn FnMut(&Lines)) -> Result<(), StageError> {
        self.each_stage_then_run(Position::End, emit, &mut |stage, emitted| {
            match stage.finish() {
                Ok(all) => {
                    for out in all {
                        emitted.extend(deliver(stage, Call::Finish, out)?);
                    }
                }
                Err(err) => stage.recover_call(err.at(Position::End), false)?,
            }
            Ok(())
        })
    }

    /// For each node in order: `call` each of its stages (nested ones too), which pushes the
    /// batches they emit; then runs those through the nodes after it and hands them to `emit`.
    fn each_stage_then_run(
        &mut self,
        at: Position<'_>,
        emit: &mut dyn FnMut(&Lines),
        call: &mut StageCall<'_>,
    ) -> Result<(), StageError> {
        for i in 0..self.nodes.len() {
            let mut emitted = Vec::new();
            match &mut self.nodes[i] {
                Node::Stage(stage) => call(stage, &mut emitted)?,
                Node::Match(m) => m.chain.each_stage_then_run(
                    at,
                    &mut |lines| emitted.push(lines.clone()),
                    call,
                )?,
            }
            for mut lines in emitted {
                self.run(&mut lines, i + 1, at, emit)?;
                if !lines.is_empty() {
                    emit(&lines);
                }
            }
        }
        Ok(())
    }
}

/// Runs `lines` through `nodes` in order; returns true when any node changed them. A part of a
/// stage's output handed on early runs through the nodes after that stage and then goes to
/// `hand_on`, so the parts `hand_on` gets, then what `lines` holds at the end, are the
/// nodes' output in order.
fn run_nodes(
    nodes: &mut [Node],
    lines: &mut Lines,
    at: Position<'_>,
    hand_on: &mut HandOn<'_, StageError>,
) -> Result<bool, StageError> {
    let mut changed = false;
    let mut nodes = nodes;
    while let Some((node, rest)) = nodes.split_first_mut() {
        if lines.is_empty() {
            break;
        }
        let mut after = |part: &mut Lines| -> Result<(), StageError> {
            run_nodes(rest, part, at, hand_on)?;
            if part.is_empty() {
                return Ok(());
            }
            hand_on(part)
        };
        changed |= match node {
            Node::Stage(stage) => match stage.process(lines, &mut after) {
                Ok(changed) => changed,
                Err(Halt::Failed(err)) => stage.recover(err.at(at), lines)?,
                Err(Halt::Downstream(err)) => return Err(err),
            },
            Node::Match(m) => m.process(lines, at, &mut after)?,
        };
        nodes = rest;
    }
    Ok(changed)
}

/// What [`Chain::each_stage_then_run`] does to each stage: call it, pushing the batches it
/// emits.
type StageCall<'a> = dyn FnMut(&mut Stage, &mut Vec<Lines>) -> Result<(), StageError> + 'a;

/// Writes what a stage reported (answering `call`) and returns the batches of lines it
/// emitted.
fn deliver(stage: &Stage, call: Call, emitted: Emitted) -> Result<Vec<Lines>, StageError> {
    if let Some(report) = emitted.report {
        let target = stage.report_target();
        target.write(stage.label(), &report).map_err(|error| {
            let target = target.to_string();
            stage.error(call, Failure::Report { target, error })
        })?;
    }
    Ok(emitted.lines)
}
