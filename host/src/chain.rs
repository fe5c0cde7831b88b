//! [`Chain`]: the stages in order, and the three ways lines travel through them.
//!
//! 1. A batch of complete lines runs through every stage in order ([`Chain::run`]).
//! 2. A *window* — the first `--max-line-bytes` bytes of a line too long to hold — runs
//!    through the leading boundary-safe stages only ([`Chain::run_window`]). The caller then
//!    cuts it: all but the last `--boundary-overlap` bytes go on as a partial piece through the
//!    remaining stages ([`Chain::run`] from [`Chain::boundary_safe_prefix`]), and the tail is
//!    put back in front of the line's next bytes. So a secret straddling the cut is seen whole
//!    by the sanitizer in one window or the next, and no byte is lost or repeated.
//! 3. At end of stream, stages are finished in order; each stage's trailing lines run through
//!    the stages after it before those are finished ([`Chain::finish`]).
//!
//! Every error names the stage and where in the input it happened.

use std::fmt;
use std::ops::Range;

use anyhow::{Result, anyhow};

use crate::lines::Lines;
use crate::runtime::Stage;

/// Where in the input a batch came from, for messages.
#[derive(Clone, Copy, Debug)]
pub enum Position<'a> {
    /// Lines `first..=last` (1-based) of `input`.
    Lines {
        input: &'a str,
        first: u64,
        last: u64,
    },
    /// A piece of the over-long line `line` of `input`.
    Piece { input: &'a str, line: u64 },
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
            Position::End => write!(f, "end of input"),
        }
    }
}

/// The stages of a pipeline, in order.
pub struct Chain {
    stages: Vec<Stage>,
    /// The number of leading stages that are boundary-safe: the ones that see whole windows.
    boundary_safe_prefix: usize,
}

impl Chain {
    /// A chain of `stages`, run in the given order.
    pub fn new(stages: Vec<Stage>) -> Chain {
        let boundary_safe_prefix = stages
            .iter()
            .take_while(|stage| stage.info().boundary_safe)
            .count();
        Chain {
            stages,
            boundary_safe_prefix,
        }
    }

    /// True when the chain has no stage: lines pass through untouched.
    pub fn is_empty(&self) -> bool {
        self.stages.is_empty()
    }

    /// The number of stages.
    pub fn len(&self) -> usize {
        self.stages.len()
    }

    /// The number of leading boundary-safe stages.
    pub fn boundary_safe_prefix(&self) -> usize {
        self.boundary_safe_prefix
    }

    /// Warnings about the chain's shape, for the user: a boundary-safe stage placed after a
    /// stage that is not sees over-long lines only in pieces, so it loses its guarantee.
    pub fn warnings(&self) -> Vec<String> {
        self.stages[self.boundary_safe_prefix..]
            .iter()
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

    /// Runs `lines` through the stages in `range`. Returns true when any stage changed them.
    pub fn run(
        &mut self,
        lines: &mut Lines,
        range: Range<usize>,
        at: Position<'_>,
    ) -> Result<bool> {
        let mut changed = false;
        for stage in &mut self.stages[range] {
            if lines.is_empty() {
                break;
            }
            changed |= stage
                .process(lines)
                .map_err(|message| anyhow!("{}, at {at}: {message}", stage.label()))?;
        }
        Ok(changed)
    }

    /// Runs a window (a batch of one partial line) through the boundary-safe prefix. Each of
    /// those stages must give back exactly one line.
    pub fn run_window(&mut self, window: &mut Lines, at: Position<'_>) -> Result<()> {
        for stage in &mut self.stages[..self.boundary_safe_prefix] {
            stage
                .process(window)
                .map_err(|message| anyhow!("{}, at {at}: {message}", stage.label()))?;
            if window.len() != 1 {
                return Err(anyhow!(
                    "{}, at {at}: malformed output: a boundary-safe stage must return exactly one \
                     line for a partial line, it returned {}",
                    stage.label(),
                    window.len()
                ));
            }
        }
        Ok(())
    }

    /// Finishes every stage in order, handing each one's trailing lines to `emit` after they
    /// ran through the stages after it.
    pub fn finish(&mut self, mut emit: impl FnMut(&Lines)) -> Result<()> {
        for i in 0..self.stages.len() {
            let stage = &mut self.stages[i];
            let mut trailing = stage
                .finish()
                .map_err(|message| anyhow!("{}, at end of input: {message}", stage.label()))?;
            if trailing.is_empty() {
                continue;
            }
            self.run(&mut trailing, i + 1..self.stages.len(), Position::End)?;
            emit(&trailing);
        }
        Ok(())
    }
}
