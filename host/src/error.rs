//! Typed errors of the calls into plugins.
//!
//! A [`StageError`] says which stage failed (its label, `stage 2 (regex)`), in which [`Call`],
//! where in the input, and what went wrong, as a [`Failure`]: the deadline, the memory cap, a
//! trap, an error the plugin returned, a configuration it rejected, or an answer that broke
//! the contract. Nothing here is classified by searching a message: wasmtime's traps are
//! downcast, the memory cap is recorded by the store's resource limiter when it refuses to
//! grow, and the rest is known where it happens.
//!
//! The host words each failure plainly and names no command-line option. The CLI picks the
//! exit code from the call (a failure while the pipeline is set up is a usage error) and adds
//! hints by kind ("raise --plugin-timeout").

use std::fmt;
use std::io;
use std::time::Duration;

use crate::runtime::{Grew, TABLE_ELEMENT_BYTES};

pub use sluice_contract::Violation;

/// The export of a plugin that a call went to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
    /// Instantiating the component, before any export is called.
    Start,
    /// `describe`: the plugin says what it is, when it is loaded.
    Describe,
    /// `stage.create`: the stage is being set up with its configuration.
    Create,
    /// `stage.process`: a batch of input lines.
    Process,
    /// `stage.tick`: a timed wake-up.
    Tick,
    /// `stage.finish`: the end of the stream.
    Finish,
    /// `stage.reach`: how far the stage's state reaches, right after `create`.
    Reach,
    /// `stage.tally`: the counts of an instance, at the end of a parallel run.
    Tally,
    /// `stage.absorb`: another instance's counts, at the end of a parallel run.
    Absorb,
    /// `stage.carry`: what an instance keeps between lines, after a batch.
    Carry,
    /// `stage.resume`: what another instance kept, before a batch.
    Resume,
}

impl Call {
    /// True for the calls that set a stage up (a failure there means the pipeline never ran).
    pub fn is_setup(self) -> bool {
        matches!(
            self,
            Call::Start | Call::Describe | Call::Create | Call::Reach
        )
    }

    /// The export's name, as the WIT spells it.
    pub fn name(self) -> &'static str {
        match self {
            Call::Start => "start",
            Call::Describe => "describe",
            Call::Create => "create",
            Call::Process => "process",
            Call::Tick => "tick",
            Call::Finish => "finish",
            Call::Reach => "reach",
            Call::Tally => "tally",
            Call::Absorb => "absorb",
            Call::Carry => "carry",
            Call::Resume => "resume",
        }
    }
}

/// What went wrong in one call into a plugin.
#[derive(Debug)]
pub enum Failure {
    /// The call ran past its deadline and was stopped; `blocked_in` names the host call whose
    /// wait was cut at the deadline, when one was (a WASI sleep).
    Deadline {
        timeout: Duration,
        blocked_in: Option<String>,
    },
    /// The plugin tried to grow its memory past the cap; the store's limiter refused.
    MemoryCap { limit_bytes: usize, grew: Grew },
    /// The plugin trapped (in a Rust plugin, `unreachable` is a panic).
    Trap(wasmtime::Trap),
    /// The call failed inside wasmtime for another reason; its innermost message, on one line.
    Runtime(String),
    /// The component could not be instantiated; wasmtime's message, on one line.
    Instantiate(String),
    /// The plugin answered with an error (its message, on one line).
    Plugin(String),
    /// The plugin rejected its configuration, naming the key at fault when there is one.
    Config {
        key: Option<String>,
        message: String,
    },
    /// The plugin's answer broke the contract.
    Malformed(Malformed),
    /// A report the stage made could not be written where its `report` key says.
    Report { target: String, error: io::Error },
}

/// How an answer broke the contract.
#[derive(Debug, PartialEq, Eq)]
pub enum Malformed {
    /// An index, an offset or an order in the answer is wrong: the first rule of the
    /// contract it breaks (the `sluice-contract` crate's verdict).
    Answer(Violation),
    /// A boundary-safe stage answered a window of an over-long line with other than one line.
    WindowLines { returned: usize },
    /// `last-error` answered with more than the `max_bytes` it was asked for.
    LongError { max_bytes: usize },
    /// `tally` or `carry` answered with more than the host takes from them.
    LongHandover { max_bytes: usize },
}

/// A failed call into a stage, with where it happened.
#[derive(Debug)]
pub struct StageError {
    /// `stage N (origin)`.
    pub stage: String,
    /// The call that failed.
    pub call: Call,
    /// Where in the input (`lines 1-2 of app.log`, `end of input`), when the call had input.
    pub at: Option<String>,
    /// What went wrong.
    pub failure: Failure,
}

impl StageError {
    /// A failure of `call` in `stage`, with no input position.
    pub fn new(stage: &str, call: Call, failure: Failure) -> StageError {
        StageError {
            stage: stage.to_owned(),
            call,
            at: None,
            failure,
        }
    }

    /// The same error, placed at `at` in the input.
    pub fn at(mut self, at: impl fmt::Display) -> StageError {
        self.at = Some(at.to_string());
        self
    }
}

impl StageError {
    /// What went wrong, in words, without the stage and the position: for a report that
    /// already names both (a conformance check).
    pub fn what(&self) -> What<'_> {
        What(self)
    }
}

/// [`StageError::what`].
pub struct What<'a>(&'a StageError);

impl fmt::Display for StageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.stage)?;
        if let Some(at) = &self.at {
            write!(f, ", at {at}")?;
        }
        write!(f, ": {}", self.what())
    }
}

impl fmt::Display for What<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let call = self.0.call.name();
        match &self.0.failure {
            Failure::Deadline {
                timeout,
                blocked_in: None,
            } => {
                write!(
                    f,
                    "`{call}` did not finish within {timeout:?} and was stopped"
                )
            }
            Failure::Deadline {
                timeout,
                blocked_in: Some(what),
            } => {
                write!(
                    f,
                    "`{call}` did not finish within {timeout:?} and was stopped: it was \
                     blocked in {what}, cut at the deadline"
                )
            }
            Failure::MemoryCap {
                limit_bytes,
                grew: Grew::Memory,
            } => write!(
                f,
                "`{call}` exceeded the memory limit of {} MiB",
                limit_bytes >> 20
            ),
            Failure::MemoryCap {
                limit_bytes,
                grew: Grew::Table { elements },
            } => write!(
                f,
                "`{call}` exceeded the memory limit of {} MiB growing a table to {elements} \
                 elements (a table's elements count toward it, {TABLE_ELEMENT_BYTES} bytes each)",
                limit_bytes >> 20
            ),
            Failure::Trap(wasmtime::Trap::UnreachableCodeReached) => write!(
                f,
                "`{call}` trapped: wasm `unreachable` executed (in a Rust plugin, a panic)"
            ),
            Failure::Trap(trap) => write!(f, "`{call}` trapped: {trap}"),
            Failure::Runtime(message) => write!(f, "`{call}` failed: {message}"),
            Failure::Instantiate(message) => write!(f, "failed to start: {message}"),
            Failure::Plugin(message) => f.write_str(message),
            Failure::Config {
                key: Some(key),
                message,
            } => write!(f, "config key `{key}`: {message}"),
            Failure::Config { key: None, message } => write!(f, "bad config: {message}"),
            Failure::Malformed(Malformed::LongError { max_bytes }) => write!(
                f,
                "`{call}` failed, and its error message could not be read: `last-error` \
                 answered with more than the {max_bytes} bytes it was asked for"
            ),
            Failure::Malformed(malformed) => {
                f.write_str("malformed output")?;
                if matches!(self.0.call, Call::Tick | Call::Finish) {
                    write!(f, " from {call}")?;
                }
                match malformed {
                    Malformed::Answer(violation) => write!(f, ": {violation}"),
                    Malformed::WindowLines { returned } => write!(
                        f,
                        ": a boundary-safe stage must return exactly one line for a partial \
                         line, it returned {returned}"
                    ),
                    Malformed::LongHandover { max_bytes } => write!(
                        f,
                        ": more than the {max_bytes} bytes the host takes from `{call}`"
                    ),
                    Malformed::LongError { .. } => unreachable!("said above"),
                }
            }
            Failure::Report { target, error } => {
                write!(f, "cannot write its report to {target}: {error}")
            }
        }
    }
}

impl std::error::Error for StageError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.failure {
            Failure::Report { error, .. } => Some(error),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(call: Call, failure: Failure) -> String {
        StageError::new("stage 2 (probe)", call, failure).to_string()
    }

    #[test]
    fn position_comes_after_the_stage() {
        let err = StageError::new("stage 1 (x)", Call::Process, Failure::Plugin("no".into()))
            .at("lines 1-2 of <stdin>");
        assert_eq!(err.to_string(), "stage 1 (x), at lines 1-2 of <stdin>: no");
    }

    #[test]
    fn limits_are_worded_without_option_names() {
        let deadline = error(
            Call::Process,
            Failure::Deadline {
                timeout: Duration::from_millis(300),
                blocked_in: None,
            },
        );
        assert_eq!(
            deadline,
            "stage 2 (probe): `process` did not finish within 300ms and was stopped"
        );
        let memory = error(
            Call::Create,
            Failure::MemoryCap {
                limit_bytes: 32 << 20,
                grew: Grew::Memory,
            },
        );
        assert_eq!(
            memory,
            "stage 2 (probe): `create` exceeded the memory limit of 32 MiB"
        );
        let table = error(
            Call::Process,
            Failure::MemoryCap {
                limit_bytes: 32 << 20,
                grew: Grew::Table {
                    elements: 4_194_305,
                },
            },
        );
        assert_eq!(
            table,
            "stage 2 (probe): `process` exceeded the memory limit of 32 MiB growing a table to \
             4194305 elements (a table's elements count toward it, 8 bytes each)"
        );
        assert!(!deadline.contains("--") && !memory.contains("--"));
    }

    #[test]
    fn malformed_answers_name_the_call_after_process() {
        let answer = || {
            Failure::Malformed(Malformed::Answer(Violation::SourceOutOfRange {
                j: 1,
                source: 5,
                lines: 3,
            }))
        };
        assert_eq!(
            error(Call::Process, answer()),
            "stage 2 (probe): malformed output: source[1] = 5, but the batch has 3 lines"
        );
        assert_eq!(
            error(Call::Finish, answer()),
            "stage 2 (probe): malformed output from finish: source[1] = 5, but the batch has 3 lines"
        );
    }

    #[test]
    fn a_panic_is_named() {
        assert!(
            error(
                Call::Finish,
                Failure::Trap(wasmtime::Trap::UnreachableCodeReached)
            )
            .ends_with("`finish` trapped: wasm `unreachable` executed (in a Rust plugin, a panic)")
        );
    }

    #[test]
    fn what_leaves_out_the_stage_and_the_position() {
        let err = StageError::new("stage 1 (x)", Call::Finish, Failure::Plugin("no".into()))
            .at("end of input");
        assert_eq!(err.what().to_string(), "no");
    }

    #[test]
    fn setup_calls() {
        assert!(Call::Start.is_setup() && Call::Create.is_setup());
        assert!(!Call::Process.is_setup() && !Call::Finish.is_setup());
    }
}
