//! The checks every plugin must pass, whatever it does (`sluice test --conformance`).
//!
//! Each check creates a fresh stage from the plugin and its config and drives it the way the
//! pipeline does, so the host's own validation (every index a plugin returns is checked)
//! applies:
//!
//! | check | what must hold |
//! |---|---|
//! | describe | a name, a version and a one-line summary |
//! | config error | a configuration that is not a JSON object is rejected as a config error, not a trap |
//! | empty batch | a batch of no lines is answered, with no lines |
//! | large batch | 10,000 lines in one batch are answered with valid output |
//! | empty line | an empty line is handled |
//! | odd bytes | bytes that are not UTF-8, NUL and a lone `\r` are handled |
//! | pieces | the pieces of an over-long line are handled (a boundary-safe plugin returns one line for each) |
//! | finish | `finish` is called once, after the last batch, and answers |
//! | state | lines emitted name only sources the stage was given; a stage that declares no state gives the same output for a batch whatever came before it, and emits nothing at the end |
//!
//! A check fails on an error, a trap, a deadline or memory cap hit, or malformed output
//! ([`CheckFailure`]); the caller words the report.

use std::fmt;

use crate::error::{Failure, StageError};
use crate::framing::Terminator;
use crate::lines::Lines;
use crate::runtime::{Halt, Plugin, Runtime, Stage, StageGrants, StateScope};
use crate::settings::Settings;

/// The result of one check.
#[derive(Debug)]
pub struct Check {
    /// The check's name, from the table above.
    pub name: &'static str,
    /// Whether it held.
    pub outcome: Result<(), CheckFailure>,
}

/// Why a check failed.
#[derive(Debug)]
pub enum CheckFailure {
    /// The stage could not be created with the configuration under test.
    Create(StageError),
    /// A call into the stage failed (the check names the call).
    Call(StageError),
    /// The plugin answered, but not as the check requires.
    Unmet(String),
}

impl CheckFailure {
    /// The stage error behind the failure, if there is one.
    pub fn stage_error(&self) -> Option<&StageError> {
        match self {
            CheckFailure::Create(err) | CheckFailure::Call(err) => Some(err),
            CheckFailure::Unmet(_) => None,
        }
    }
}

impl fmt::Display for CheckFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckFailure::Create(err) => write!(f, "{err}"),
            CheckFailure::Call(err) => write!(f, "{}", err.what()),
            CheckFailure::Unmet(words) => f.write_str(words),
        }
    }
}

/// Runs every check on `plugin` created with `config` (a JSON object) under `settings`.
pub fn run(runtime: &Runtime, plugin: &Plugin, config: &str, settings: &Settings) -> Vec<Check> {
    let under_test = Subject {
        runtime,
        plugin,
        config,
        settings,
    };
    let checks: [(&'static str, CheckFn); 11] = [
        ("describe", describe),
        ("config error", config_error),
        ("empty batch", empty_batch),
        ("large batch", large_batch),
        ("empty line", empty_line),
        ("odd bytes", odd_bytes),
        ("pieces", pieces),
        ("finish", finish),
        ("state", state),
        ("carry", carry),
        ("tally", tally),
    ];
    checks
        .into_iter()
        .map(|(name, check)| Check {
            name,
            outcome: check(&under_test),
        })
        .collect()
}

type Outcome = Result<(), CheckFailure>;

/// One check: drives a fresh stage of the subject and says whether the rule held.
type CheckFn = fn(&Subject<'_>) -> Outcome;

/// The plugin under test and how to make a stage of it.
struct Subject<'a> {
    runtime: &'a Runtime,
    plugin: &'a Plugin,
    config: &'a str,
    settings: &'a Settings,
}

impl Subject<'_> {
    fn stage_with(&self, config: &str) -> Result<Stage, StageError> {
        let grants = StageGrants::default();
        Stage::new(
            self.runtime,
            self.plugin,
            "1",
            config,
            grants,
            self.settings,
        )
    }

    fn stage(&self) -> Result<Stage, CheckFailure> {
        self.stage_with(self.config).map_err(CheckFailure::Create)
    }
}

/// Runs `lines` through `stage`, leaving its whole output in `lines` (the parts of a large
/// output joined again: the checks compare whole outputs).
fn process(stage: &mut Stage, lines: &mut Lines) -> Outcome {
    let mut parts = Lines::default();
    parts.set_source(&lines.source);
    let result = stage.process(lines, &mut |part| {
        parts.extend_from(part, 0..part.len());
        Ok(())
    });
    if let Err(Halt::Failed(err) | Halt::Downstream(err)) = result {
        return Err(CheckFailure::Call(err));
    }
    if !parts.is_empty() {
        parts.extend_from(lines, 0..lines.len());
        *lines = parts;
    }
    Ok(())
}

fn finish_stage(stage: &mut Stage) -> Outcome {
    finish_lines(stage).map(|_| ())
}

/// Finishes `stage` and returns the batches it emitted.
fn finish_lines(stage: &mut Stage) -> Result<Vec<Lines>, CheckFailure> {
    let all = stage.finish().map_err(CheckFailure::Call)?;
    Ok(all.into_iter().flat_map(|emitted| emitted.lines).collect())
}

/// Creates a stage, runs one batch of `lines` through it, then finishes it.
fn run_batch(subject: &Subject<'_>, lines: &[(&[u8], Terminator)]) -> Outcome {
    let mut stage = subject.stage()?;
    let mut batch = Lines::default();
    for &(line, term) in lines {
        batch.push(line, term, false);
    }
    process(&mut stage, &mut batch)?;
    finish_stage(&mut stage)
}

fn describe(subject: &Subject<'_>) -> Outcome {
    let info = subject.plugin.info();
    let unmet = |words: &str| Err(CheckFailure::Unmet(words.to_owned()));
    if info.name.trim().is_empty() {
        unmet("the name is empty")
    } else if info.version.trim().is_empty() {
        unmet("the version is empty")
    } else if info.summary.trim().is_empty() || info.summary.contains('\n') {
        unmet("the summary is empty or not one line")
    } else {
        Ok(())
    }
}

fn config_error(subject: &Subject<'_>) -> Outcome {
    let err = match subject.stage_with("[]") {
        Ok(_) => {
            return Err(CheckFailure::Unmet(
                "the configuration `[]` (not an object) was accepted".into(),
            ));
        }
        Err(err) => err,
    };
    match err.failure {
        Failure::Config { .. } => Ok(()),
        Failure::Trap(_) | Failure::Deadline { .. } | Failure::MemoryCap { .. } => Err(
            CheckFailure::Unmet(format!("rejected by a trap, not an error: {err}")),
        ),
        _ => Err(CheckFailure::Unmet(format!(
            "not rejected with a config error: {err}"
        ))),
    }
}

fn empty_batch(subject: &Subject<'_>) -> Outcome {
    let mut stage = subject.stage()?;
    let mut lines = Lines::default();
    process(&mut stage, &mut lines)?;
    if lines.is_empty() {
        Ok(())
    } else {
        Err(CheckFailure::Unmet(format!(
            "it answered with {} lines",
            lines.len()
        )))
    }
}

fn large_batch(subject: &Subject<'_>) -> Outcome {
    let lines: Vec<String> = (0..10_000)
        .map(|i| format!("2024-06-01T12:00:00Z level=info msg=\"request {i}\" status=200"))
        .collect();
    let batch: Vec<(&[u8], Terminator)> = lines
        .iter()
        .map(|line| (line.as_bytes(), Terminator::Lf))
        .collect();
    run_batch(subject, &batch)
}

fn empty_line(subject: &Subject<'_>) -> Outcome {
    run_batch(subject, &[(b"", Terminator::Lf), (b"", Terminator::CrLf)])
}

fn odd_bytes(subject: &Subject<'_>) -> Outcome {
    run_batch(
        subject,
        &[
            (b"caf\xc3\xa9 \xff\xfe invalid", Terminator::Lf),
            (b"nul \0 in the middle", Terminator::Lf),
            (b"lone \r carriage return", Terminator::CrLf),
        ],
    )
}

fn pieces(subject: &Subject<'_>) -> Outcome {
    let mut stage = subject.stage()?;
    let piece = "x".repeat(subject.settings.max_line_bytes / 2);
    let mut first = Lines::default();
    first.push(piece.as_bytes(), Terminator::None, true);
    process(&mut stage, &mut first)?;
    if subject.plugin.info().boundary_safe && first.len() != 1 {
        return Err(CheckFailure::Unmet(format!(
            "a boundary-safe plugin answered a partial piece with {} lines",
            first.len()
        )));
    }
    let mut last = Lines::default();
    last.push(b"end of the long line", Terminator::Lf, false);
    last.push(b"next line", Terminator::Lf, false);
    process(&mut stage, &mut last)?;
    finish_stage(&mut stage)
}

fn finish(subject: &Subject<'_>) -> Outcome {
    run_batch(subject, &[(b"a line", Terminator::Lf)])
}

/// Lines that a stage keeping state would treat differently after [`EARLIER`]: a block's
/// continuation, a repeat, a line of a count.
const LATER: &[&str] = &[
    "  continuation of nothing",
    "2024-06-01T12:00:01Z level=error msg=\"request 2\" status=500",
    "2024-06-01T12:00:01Z level=error msg=\"request 2\" status=500",
];

/// What comes before [`LATER`] in the seasoned run.
const EARLIER: &[&str] = &[
    "2024-06-01T12:00:00Z level=info msg=\"request 1\" status=200",
    "  continuation",
    "2024-06-01T12:00:01Z level=error msg=\"request 2\" status=500",
];

/// A batch of `texts` read from `source`.
fn batch_of(texts: &[&str], source: &str) -> Lines {
    let mut lines = Lines::default();
    lines.set_source(source);
    for text in texts {
        lines.push(text.as_bytes(), Terminator::Lf, false);
    }
    lines
}

fn state(subject: &Subject<'_>) -> Outcome {
    let sources = ["a.log", "b.log"];
    let mut fresh = subject.stage()?;
    let mut alone = batch_of(LATER, sources[1]);
    process(&mut fresh, &mut alone)?;
    let mut seasoned = subject.stage()?;
    process(&mut seasoned, &mut batch_of(EARLIER, sources[0]))?;
    let mut after = batch_of(LATER, sources[1]);
    process(&mut seasoned, &mut after)?;
    let mut emitted = seasoned
        .end_source(sources[0])
        .map_err(CheckFailure::Call)?
        .map_or_else(Vec::new, |emitted| emitted.lines);
    emitted.extend(finish_lines(&mut seasoned)?);
    if let Some(lines) = emitted
        .iter()
        .find(|lines| !lines.source().is_empty() && !sources.contains(&lines.source()))
    {
        return Err(CheckFailure::Unmet(format!(
            "it emitted a line from source {:?}, which it was never given",
            lines.source()
        )));
    }
    if seasoned.reach().state != StateScope::None {
        return Ok(());
    }
    let declare = "declare `per-source` or `whole-stream` state";
    if alone != after {
        return Err(CheckFailure::Unmet(format!(
            "it declares no state, but its output for a batch changed after an earlier batch; \
             {declare}"
        )));
    }
    if emitted.iter().any(|lines| !lines.is_empty()) {
        return Err(CheckFailure::Unmet(format!(
            "it declares no state, but emitted lines at the end; {declare}"
        )));
    }
    Ok(())
}

/// What comes before [`LATER`] when a stage's state is handed over: [`EARLIER`], then a line
/// that leaves something open (a private key block, for a redactor).
const EARLIER_OPEN: &[&str] = &[
    "2024-06-01T12:00:00Z level=info msg=\"request 1\" status=200",
    "  continuation",
    "-----BEGIN PRIVATE KEY-----",
];

/// A stage whose reach says it carries its state: an instance resumed from what another left
/// answers the next batch as the other does.
fn carry(subject: &Subject<'_>) -> Outcome {
    let source = "a.log";
    let mut first = subject.stage()?;
    if !first.reach().carries {
        return Ok(());
    }
    process(&mut first, &mut batch_of(EARLIER_OPEN, source))?;
    let left = first.carry_of(source).map_err(CheckFailure::Call)?;
    let mut second = subject.stage()?;
    second.hand_carry(source, left);
    let mut went_on = batch_of(LATER, source);
    process(&mut first, &mut went_on)?;
    let mut resumed = batch_of(LATER, source);
    process(&mut second, &mut resumed)?;
    if went_on != resumed {
        return Err(CheckFailure::Unmet(
            "its reach says it carries its state, but an instance resumed from what another \
             left (`carry`, `resume`) answered the next batch otherwise; carry all that a batch \
             leaves, or do not say it carries"
                .to_owned(),
        ));
    }
    Ok(())
}

/// A stage whose reach says it tallies: two instances that saw a part of the lines each, the
/// counts of one absorbed by the other, report what one instance that saw them all reports.
fn tally(subject: &Subject<'_>) -> Outcome {
    let source = "a.log";
    let mut whole = subject.stage()?;
    if !whole.reach().tallies {
        return Ok(());
    }
    process(&mut whole, &mut batch_of(EARLIER, source))?;
    process(&mut whole, &mut batch_of(LATER, source))?;
    let mut first = subject.stage()?;
    process(&mut first, &mut batch_of(EARLIER, source))?;
    let mut second = subject.stage()?;
    process(&mut second, &mut batch_of(LATER, source))?;
    // Finishing the first finishes the second too, as the lanes' instances are at the end of
    // a run: the second's counts go to the first, whose report then covers every line.
    first.adopt(second);
    let reports = |stage: &mut Stage| -> Result<Vec<Vec<u8>>, CheckFailure> {
        let all = stage.finish().map_err(CheckFailure::Call)?;
        Ok(all
            .into_iter()
            .filter_map(|emitted| emitted.report)
            .collect())
    };
    let (one, merged) = (reports(&mut whole)?, reports(&mut first)?);
    if one != merged {
        let show = |reports: &[Vec<u8>]| {
            let text: Vec<String> = reports
                .iter()
                .map(|r| String::from_utf8_lossy(r).trim_end().to_owned())
                .collect();
            format!("{text:?}")
        };
        return Err(CheckFailure::Unmet(format!(
            "its reach says it tallies, but two instances' counts merged (`tally`, `absorb`) \
             report {} where one instance that saw every line reports {}",
            show(&merged),
            show(&one)
        )));
    }
    Ok(())
}
