//! `sluice test --conformance PLUGIN`: runs the host's conformance checks
//! ([`sluice_host::conformance`]) on a plugin and reports them one line each:
//!
//! ```text
//! ok   describe
//! FAIL finish: `finish` trapped: wasm `unreachable` executed (in a Rust plugin, a panic)
//!
//! my.wasm: 7 of 8 conformance checks passed
//! ```

use std::io::Write;

use anyhow::Result;
use sluice_host::conformance::{self, Check};
use sluice_host::{Plugin, Runtime, Settings};

use crate::diagnostics;

/// Runs every check on `plugin` created with `config`; returns the number that failed.
pub fn run(
    runtime: &Runtime,
    plugin: &Plugin,
    config: &str,
    settings: &Settings,
    out: &mut impl Write,
) -> Result<usize> {
    let checks = conformance::run(runtime, plugin, config, settings);
    report(plugin.origin(), &checks, out)
}

/// Writes one line per check and a summary; returns the number that failed.
fn report(origin: &str, checks: &[Check], out: &mut impl Write) -> Result<usize> {
    let mut failed = 0;
    for check in checks {
        match &check.outcome {
            Ok(()) => writeln!(out, "ok   {}", check.name)?,
            Err(failure) => {
                failed += 1;
                let hint = failure
                    .stage_error()
                    .map_or("", |err| diagnostics::hint(&err.failure));
                writeln!(out, "FAIL {}: {failure}{hint}", check.name)?;
            }
        }
    }
    writeln!(
        out,
        "\n{origin}: {} of {} conformance checks passed",
        checks.len() - failed,
        checks.len()
    )?;
    Ok(failed)
}
