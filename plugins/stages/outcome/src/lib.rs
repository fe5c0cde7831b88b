//! `outcome`: captures a CI job's outcome variables from directive lines in its log and
//! reports them as one JSON object at the end, as the OpsLevel runner's `SetOutcomeVar`
//! processor does.
//!
//! ```text
//! ::set-outcome-var KEY=VALUE           sets KEY to VALUE
//! ::start-multiline-outcome-var KEY     the lines up to the matching end, joined with "\n",
//! ...                                   become KEY's value
//! ::end-multiline-outcome-var
//! ```
//!
//! Directive lines, and every line of a multiline block including its start and end lines,
//! are removed from the output; every other line passes unchanged (no copy). At end of stream
//! the variables go to the host as a report, `{"KEY":"VALUE",…}` on one line: keys in the
//! order they were first seen, a later value for a key replacing the earlier one. The host
//! writes the report where the stage's `report` key says (standard error by default).
//!
//! A tour:
//!
//! - `directive.rs` recognises directive lines (exact prefix at the start of the line) and
//!   shell-trace lines (`+ echo …`, as `set -x` prints them);
//! - `vars.rs` holds the variables within a byte budget and writes the JSON;
//! - this file is the state machine: the stack of open multiline blocks, and what the first
//!   piece of an over-long line decided for the pieces after it.
//!
//! Rules the runner set and this stage keeps: inside a block, trace lines pass through and are
//! not captured (a `set -x` trace of `echo "::end-multiline-outcome-var"` must not end the
//! block), a `::set-outcome-var` line is content, and a `::start-multiline-outcome-var` opens a
//! nested block whose lines go to the inner variable until its own end. An end directive
//! outside any block is not a directive and passes through, as does a malformed directive.
//!
//! Decisions of this stage where the runner was silent: a block still open at end of stream
//! keeps what it captured, and a warning line says so; the variables' keys and values are
//! capped at `max_bytes` in all (what does not fit is cut, and a warning line says which);
//! blocks nest at most [`MAX_DEPTH`] deep (a deeper start is content).

mod directive;
mod vars;

use directive::Directive;
use sluice_plugin_sdk::{
    Config, ConfigError, ConfigKey, Line, LongLine, Output, Plugin, Trailing, export_plugin,
};
use vars::Vars;

/// How deep multiline blocks nest; a start directive deeper than this is content.
pub const MAX_DEPTH: usize = 64;

/// The default budget for captured keys and values, in bytes.
const DEFAULT_MAX_BYTES: u64 = 1 << 20;

/// An outcome stage.
pub struct Outcome {
    /// Whether trace lines inside a block pass through instead of being captured.
    skip_trace: bool,
    vars: Vars,
    /// The open multiline blocks, innermost last; at most [`MAX_DEPTH`].
    blocks: Vec<Block>,
    /// While the pieces of an over-long line arrive: what its first piece decided.
    long_line: LongLine<Decision>,
}

/// An open multiline block.
#[derive(Debug)]
struct Block {
    /// Its key, for the warning when it is never ended.
    key: String,
    /// The variable its lines go to; `None` when the key found no room in the budget.
    var: Option<usize>,
    /// How many lines it captured so far.
    lines: usize,
}

/// What the first piece of an over-long line decided for the pieces after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Decision {
    /// The line passes through.
    Pass,
    /// The line is removed; its bytes go on the end of this variable's value (if any).
    Capture(Option<usize>),
}

impl Outcome {
    /// Handles a complete line, or the first piece of an over-long one; returns whether it
    /// passes through, and where the rest of its pieces go.
    fn first_piece(&mut self, bytes: &[u8]) -> Decision {
        let in_block = !self.blocks.is_empty();
        if in_block && self.skip_trace && directive::is_trace(bytes) {
            return Decision::Pass;
        }
        match directive::parse(bytes) {
            Some(Directive::Set { key, value }) if !in_block => {
                let var = self.vars.reset(key);
                if let Some(var) = var {
                    self.vars.append(var, value);
                }
                return Decision::Capture(var);
            }
            Some(Directive::Start { key }) if self.blocks.len() < MAX_DEPTH => {
                let var = self.vars.reset(key);
                self.blocks.push(Block {
                    key: key.to_owned(),
                    var,
                    lines: 0,
                });
                return Decision::Capture(None);
            }
            Some(Directive::End) if in_block => {
                self.blocks.pop();
                return Decision::Capture(None);
            }
            _ => {}
        }
        let Some(block) = self.blocks.last_mut() else {
            return Decision::Pass;
        };
        block.lines += 1;
        if let Some(var) = block.var {
            if block.lines > 1 {
                self.vars.append(var, b"\n");
            }
            self.vars.append(var, bytes);
        }
        Decision::Capture(block.var)
    }

    /// The warnings for the end of stream: blocks never ended, bytes that did not fit.
    fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        for block in self.blocks.iter().rev() {
            warnings.push(format!(
                "sluice outcome: the multiline variable {:?} was not ended \
                 (no ::end-multiline-outcome-var before the end of input); \
                 its {} line(s) were captured",
                block.key, block.lines
            ));
        }
        let truncated: Vec<&str> = self
            .vars
            .entries()
            .iter()
            .filter(|v| v.truncated)
            .map(|v| v.key.as_str())
            .collect();
        let (dropped, dropped_names) = self.vars.dropped();
        if !truncated.is_empty() || dropped > 0 {
            let mut message = format!(
                "sluice outcome: the variables exceeded max_bytes ({} bytes)",
                self.vars.max()
            );
            if !truncated.is_empty() {
                message.push_str(&format!("; cut short: {}", truncated.join(", ")));
            }
            if dropped > 0 {
                message.push_str(&format!(
                    "; {dropped} left out, among them: {}",
                    dropped_names.join(", ")
                ));
            }
            warnings.push(message);
        }
        warnings
    }
}

impl Plugin for Outcome {
    const STATE: sluice_plugin_sdk::State = sluice_plugin_sdk::State::WholeStream;
    const NAME: &'static str = "outcome";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const SUMMARY: &'static str =
        "Capture ::set-outcome-var directives (and multiline blocks) into a JSON report";
    const CONFIG_KEYS: &'static [ConfigKey] = &[
        ConfigKey::new(
            "skip_trace",
            "bool",
            "Inside a multiline block, pass shell-trace lines (`+ cmd`, as `set -x` prints \
             them) through instead of capturing them.",
        )
        .default("true"),
        ConfigKey::new(
            "max_bytes",
            "integer",
            "The most bytes of keys and values held; what does not fit is cut and a warning \
             line says so at the end.",
        )
        .default("1048576"),
        ConfigKey::REPORT,
    ];

    fn new(config: Config) -> Result<Self, ConfigError> {
        let max_bytes = config.u64("max_bytes")?.unwrap_or(DEFAULT_MAX_BYTES);
        let max_bytes = usize::try_from(max_bytes)
            .map_err(|_| ConfigError::new("max_bytes", "is too large for this platform"))?;
        Ok(Outcome {
            skip_trace: config.bool("skip_trace")?.unwrap_or(true),
            vars: Vars::new(max_bytes),
            blocks: Vec::new(),
            long_line: LongLine::new(),
        })
    }

    fn process(&mut self, line: &Line<'_>, out: &mut Output<'_>) {
        let bytes = line.bytes();
        let decision = match self.long_line.decision() {
            // A later piece of an over-long line: its first piece decided.
            Some(decision) => {
                if let Decision::Capture(Some(var)) = decision {
                    self.vars.append(var, bytes);
                }
                decision
            }
            None => self.first_piece(bytes),
        };
        self.long_line.advance(line, decision);
        if decision == Decision::Pass {
            out.keep();
        }
    }

    fn finish(&mut self, out: &mut Trailing) -> Result<(), String> {
        for warning in self.warnings() {
            out.push(warning.as_bytes());
        }
        out.report(self.vars.to_json());
        Ok(())
    }
}

export_plugin!(Outcome);

#[cfg(test)]
mod tests;
