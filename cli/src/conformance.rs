//! `sluice test --conformance PLUGIN`: the checks every plugin must pass, whatever it does.
//!
//! Each check creates a fresh stage from the plugin and its config and drives it the way the
//! host does, so the host's own validation (every index a plugin returns is checked) applies:
//!
//! | check | what must hold |
//! |---|---|
//! | describe | a name, a version and a one-line summary |
//! | config error | a configuration that is not a JSON object is rejected as an error, not a trap |
//! | empty batch | a batch of no lines is answered, with no lines |
//! | large batch | 10,000 lines in one batch are answered with valid output |
//! | empty line | an empty line is handled |
//! | odd bytes | bytes that are not UTF-8, NUL and a lone `\r` are handled |
//! | pieces | the pieces of an over-long line are handled (a boundary-safe plugin returns one line for each) |
//! | finish | `finish` is called once, after the last batch, and answers |
//!
//! A check fails on an error, a trap, a deadline or memory cap hit, or malformed output; the
//! message is the host's.

use std::io::Write;

use anyhow::Result;
use sluice_host::framing::Terminator;
use sluice_host::lines::Lines;
use sluice_host::runtime::{Plugin, Runtime, Stage, StageGrants};

use crate::setup::Limits;

/// Runs every check on `plugin` created with `config`; returns the number that failed.
pub fn run(
    runtime: &Runtime,
    plugin: &Plugin,
    config: &str,
    limits: Limits,
    out: &mut impl Write,
) -> Result<usize> {
    let grants = || StageGrants {
        env: Vec::new(),
        report: None,
        max_line_bytes: limits.max_line_bytes,
        boundary_overlap: limits.boundary_overlap,
    };
    let stage = || Stage::new(runtime, plugin, "1", config, grants()).map_err(|e| format!("{e:#}"));
    let info = plugin.info();
    let checks: Vec<(&str, Result<(), String>)> = vec![
        ("describe", {
            if info.name.trim().is_empty() {
                Err("the name is empty".into())
            } else if info.version.trim().is_empty() {
                Err("the version is empty".into())
            } else if info.summary.trim().is_empty() || info.summary.contains('\n') {
                Err("the summary is empty or not one line".into())
            } else {
                Ok(())
            }
        }),
        ("config error", {
            match Stage::new(runtime, plugin, "1", "[]", grants()) {
                Ok(_) => Err("the configuration `[]` (not an object) was accepted".into()),
                Err(err) => {
                    let message = format!("{err:#}");
                    if message.contains("trapped") || message.contains("did not finish") {
                        Err(format!("rejected by a trap, not an error: {message}"))
                    } else {
                        Ok(())
                    }
                }
            }
        }),
        ("empty batch", {
            stage().and_then(|mut stage| {
                let mut lines = Lines::default();
                stage.process(&mut lines)?;
                if lines.is_empty() {
                    Ok(())
                } else {
                    Err(format!("it answered with {} lines", lines.len()))
                }
            })
        }),
        ("large batch", {
            let mut lines = Lines::default();
            for i in 0..10_000 {
                let line =
                    format!("2024-06-01T12:00:00Z level=info msg=\"request {i}\" status=200");
                lines.push(line.as_bytes(), Terminator::Lf, false);
            }
            run_batch(stage(), lines)
        }),
        ("empty line", {
            let mut lines = Lines::default();
            lines.push(b"", Terminator::Lf, false);
            lines.push(b"", Terminator::CrLf, false);
            run_batch(stage(), lines)
        }),
        ("odd bytes", {
            let mut lines = Lines::default();
            lines.push(b"caf\xc3\xa9 \xff\xfe invalid", Terminator::Lf, false);
            lines.push(b"nul \0 in the middle", Terminator::Lf, false);
            lines.push(b"lone \r carriage return", Terminator::CrLf, false);
            run_batch(stage(), lines)
        }),
        ("pieces", {
            stage().and_then(|mut stage| {
                let piece = "x".repeat(limits.max_line_bytes as usize / 2);
                let mut first = Lines::default();
                first.push(piece.as_bytes(), Terminator::None, true);
                stage.process(&mut first)?;
                if info.boundary_safe && first.len() != 1 {
                    return Err(format!(
                        "a boundary-safe plugin answered a partial piece with {} lines",
                        first.len()
                    ));
                }
                let mut last = Lines::default();
                last.push(b"end of the long line", Terminator::Lf, false);
                last.push(b"next line", Terminator::Lf, false);
                stage.process(&mut last)?;
                stage.finish().map(|_| ())
            })
        }),
        ("finish", {
            stage().and_then(|mut stage| {
                let mut lines = Lines::default();
                lines.push(b"a line", Terminator::Lf, false);
                stage.process(&mut lines)?;
                stage.finish().map(|_| ())
            })
        }),
    ];
    let mut failed = 0;
    for (name, result) in checks {
        match result {
            Ok(()) => writeln!(out, "ok   {name}")?,
            Err(message) => {
                failed += 1;
                writeln!(out, "FAIL {name}: {message}")?;
            }
        }
    }
    writeln!(
        out,
        "\n{}: {} of 8 conformance checks passed",
        plugin.origin(),
        8 - failed
    )?;
    Ok(failed)
}

/// Creates a stage, runs one batch through it, then finishes it.
fn run_batch(stage: Result<Stage, String>, mut lines: Lines) -> Result<(), String> {
    let mut stage = stage?;
    stage.process(&mut lines)?;
    stage.finish().map(|_| ())
}
