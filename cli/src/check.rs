//! `sluice check`: a pipeline checked without reading any input. The stages are parsed, every
//! plugin loaded and every stage created with its config (so a bad key is found now, not when
//! the first line arrives), then each stage is printed with what it declares, and the sink
//! (`--sink` or the file's `[sink]` table) with the settings a run would ship with. The
//! receiver is not contacted.

use std::path::Path;

use anyhow::{Result, bail};
use sluice_host::{Chain, Runtime, RuntimeOptions, Settings, StateScope};

use crate::args::Args;
use crate::diagnostics::{self, exit, fail};
use crate::shipping::{self, Shipping};
use crate::{pipeline_of, setup, warn_about};

/// What to check: the pipeline of the top-level `-c`/`-p`, and of `check`'s own.
pub struct Request<'a> {
    pub args: &'a Args,
    pub config: Option<&'a Path>,
    pub plugins: &'a [String],
}

/// Checks the pipeline; prints its stages on stdout. Returns the exit code.
pub fn run(request: &Request<'_>, options: RuntimeOptions, settings: &Settings) -> u8 {
    let (chain, shipping) = match build(request, options, settings) {
        Ok(built) => built,
        Err(err) => return fail(exit::USAGE, diagnostics::error(&err)),
    };
    warn_about(&chain, settings);
    let stages = chain.stages();
    for stage in &stages {
        let info = stage.info();
        let safe = if info.boundary_safe {
            "boundary-safe"
        } else {
            "not boundary-safe"
        };
        // What this configuration of the stage keeps, which may be less than its plugin
        // declares (`grep` without context keeps nothing).
        let reach = stage.reach();
        let state = match reach.state {
            StateScope::None if stage.runs_anywhere() && reach.tallies => {
                "no state, counts merged for its report (runs on every -j thread)"
            }
            StateScope::None if stage.runs_anywhere() => "no state (runs on every -j thread)",
            StateScope::None => "no state (one thread: its report goes where chosen)",
            StateScope::PerSource if stage.carries_across() => {
                "state per source, carried from batch to batch (runs on every -j thread)"
            }
            StateScope::PerSource => "state per source",
            StateScope::WholeStream => "whole-stream state",
        };
        println!(
            "{}: {} {}; {safe}; {state}; on_error {}",
            stage.label(),
            info.name,
            info.version,
            stage.on_error()
        );
    }
    if let Some(shipping) = &shipping {
        println!("{}", sink_line(shipping));
    }
    let n = stages.len();
    println!(
        "ok: {n} stage{} would start; no input was read",
        if n == 1 { "" } else { "s" }
    );
    exit::OK
}

/// The chain, and the shipping when a sink is given.
fn build(
    request: &Request<'_>,
    options: RuntimeOptions,
    settings: &Settings,
) -> Result<(Chain, Option<Shipping>)> {
    let args = request.args;
    let config = match (args.config.as_deref(), request.config) {
        (Some(_), Some(_)) => bail!("give the pipeline file once: -c before `check` or after it"),
        (config, None) | (None, config) => config,
    };
    let plugins: Vec<String> = args
        .plugins
        .iter()
        .chain(request.plugins)
        .cloned()
        .collect();
    let file = pipeline_of(config, &plugins)?;
    let shipping = shipping::plan(args, file.sink.as_ref()).map_err(anyhow::Error::msg)?;
    if file.stages.is_empty() && shipping.is_none() {
        bail!("nothing to check: give the stages with -c FILE or -p SPEC");
    }
    let runtime = Runtime::new(options)?;
    let making = setup::Making {
        runtime: &runtime,
        settings,
        on_error: args.on_plugin_error,
    };
    Ok((setup::build_chain(&making, &file.stages)?, shipping))
}

/// The sink as a run would ship to it: `sink: otlp to URL; …`.
fn sink_line(shipping: &Shipping) -> String {
    let settings = &shipping.settings;
    let mut line = format!("sink: otlp to {}", settings.url);
    if !settings.resource.is_empty() {
        let resource: Vec<String> = settings
            .resource
            .iter()
            .map(|(key, value)| format!("{key}={value}"))
            .collect();
        line.push_str(&format!("; resource {}", resource.join(", ")));
    }
    // `Duration`'s own form (`300s`, `500ms`) is the one the `--sink-*` options take, and the
    // host's messages use it too.
    line.push_str(&format!(
        "; a batch retried for up to {:?}, and waited for up to {:?} once stopped",
        settings.retry_max, settings.drain_max
    ));
    if shipping.tee {
        line.push_str("; standard output written too");
    }
    line
}
