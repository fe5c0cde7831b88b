//! `sluice`: the command-line front of the line path in `sluice-host`.
//!
//! - [`args`]: the options, their defaults and the exit status table (`--help`).
//! - [`spec`]: `-p SPEC` parsing; [`pipeline_file`]: the `--config` TOML file, and
//!   [`sink_table`], its `[sink]` table.
//! - [`setup`]: finding and loading plugins, env grants, creating the chain.
//! - [`commands`]: the subcommands `inspect` ([`inspect`]) and `test` ([`case_tests`],
//!   [`conformance`]).
//! - [`diagnostics`]: exit codes, one-line messages, and the hints that name options.
//! - [`signals`]: SIGINT, SIGTERM and SIGHUP finish the stream, then exit 128 + the signal;
//!   so does the reader of the output going away, quietly.
//! - [`positions`]: `--positions`, checked and loaded before anything is read.
//! - [`shipping`]: the sink's settings (`--sink` and `[sink]`) and what is said of the
//!   receiver's answers.
//! - [`stats`]: `--stats` and SIGUSR1, what each stage did, as a table or JSON;
//!   [`progress`]: the progress bar over input files on a terminal.
//! - `main` (here): the order of things and the mapping of failures to exit codes.
//!
//! Data goes to stdout, diagnostics to stderr, each on one line prefixed `sluice: `.

mod args;
mod case_tests;
mod check;
mod colour;
mod commands;
mod conformance;
mod diagnostics;
mod inspect;
mod pipeline_file;
mod positions;
mod progress;
mod scaffold;
mod setup;
mod shipping;
mod signals;
mod sink_table;
mod spec;
mod stats;

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{CommandFactory, FromArgMatches};
use sluice_host::{
    BUILTINS, Chain, Clock, Input, OtlpSink, Pipeline, RunError, Runtime, RuntimeOptions, Settings,
    StopRequest, Tee, WriteSink,
};

use crate::args::{Args, Command};
use crate::colour::ERROR;
use crate::diagnostics::{exit, fail};
use crate::progress::Progress;
use crate::signals::Ending;
use crate::spec::{NodeSpec, StageSpec};
use crate::stats::StatsFormat;

/// Below this `--boundary-overlap`, a boundary-safe stage cannot keep enough context (a key, a
/// separator and its replacement) to recognise the rest of a secret cut by a window's end.
const MIN_SAFE_OVERLAP: usize = 64;

fn main() -> ExitCode {
    let raw: Vec<std::ffi::OsString> = std::env::args_os().collect();
    colour::choose(&raw);
    let matches = Args::command().get_matches_from(raw);
    let args = Args::from_arg_matches(&matches)
        .unwrap_or_else(|err| err.format(&mut Args::command()).exit());
    if let Some(message) = args::option_not_taken(&args, &matches) {
        return ExitCode::from(fail(exit::USAGE, message));
    }
    ExitCode::from(run(&args))
}

fn run(args: &Args) -> u8 {
    let settings = Settings {
        max_line_bytes: args.max_line_bytes,
        boundary_overlap: args.boundary_overlap,
        max_hold: args.max_hold,
        decompress: !args.no_decompress,
        threads: args.threads(),
        ..Settings::default()
    };
    if let Err(err) = settings.check() {
        return fail(exit::USAGE, diagnostics::settings_error(err));
    }
    let clock = match frozen_clock() {
        Ok(clock) => clock,
        Err(message) => return fail(exit::USAGE, message),
    };
    let runtime_options = RuntimeOptions {
        call_timeout: args.plugin_timeout,
        memory_limit: (args.plugin_memory as usize) << 20,
        clock,
        ..RuntimeOptions::default()
    };
    if args.follow && (args.files.is_empty() || args.files.iter().any(|f| f == "-")) {
        return fail(
            exit::USAGE,
            "--follow needs file paths (standard input cannot be followed; pipe `tail -F` into \
             sluice instead)",
        );
    }
    if args.list_plugins {
        return match Runtime::new(runtime_options).and_then(|runtime| list_plugins(&runtime)) {
            Ok(()) => exit::OK,
            Err(err) if is_broken_pipe(&err) => exit::OK,
            Err(err) => fail(exit::USAGE, diagnostics::error(&err)),
        };
    }
    if let Some(Command::Check { config, plugins }) = &args.command {
        let request = check::Request {
            args,
            config: config.as_deref(),
            plugins,
        };
        return check::run(&request, runtime_options, &settings);
    }
    if let Some(command) = &args.command {
        return commands::run(command, runtime_options, settings);
    }
    // With --follow a missing file is waited for: it may be meant.
    if !args.follow
        && let Some(command) = args::mistyped_command(&args.files)
    {
        return fail(
            exit::USAGE,
            format!(
                "no file `{}`; did you mean the subcommand `sluice {command}`?",
                args.files[0].to_string_lossy()
            ),
        );
    }
    process(args, runtime_options, settings)
}

/// The main path: build the chain, run the inputs through it to standard output.
fn process(args: &Args, runtime_options: RuntimeOptions, settings: Settings) -> u8 {
    let (specs, sink_table) = match pipeline_of(args.config.as_deref(), &args.plugins) {
        Ok(file) => (file.stages, file.sink),
        Err(err) => return fail(exit::USAGE, diagnostics::error(&err)),
    };
    let shipping = match shipping::plan(args, sink_table.as_ref()) {
        Ok(shipping) => shipping,
        Err(message) => return fail(exit::USAGE, message),
    };
    // No stage, no engine: sluice then starts as fast as `cat`.
    let chain = if specs.is_empty() {
        Ok(Chain::new(Vec::new()))
    } else {
        Runtime::new(runtime_options).and_then(|runtime| {
            let making = setup::Making {
                runtime: &runtime,
                settings: &settings,
                on_error: args.on_plugin_error,
            };
            setup::build_chain(&making, &specs)
        })
    };
    let chain = match chain {
        Ok(chain) => chain,
        Err(err) => return fail(exit::USAGE, diagnostics::error(&err)),
    };
    warn_about(&chain, &settings);

    let inputs: Vec<Input> = if args.files.is_empty() {
        vec![Input::Stdin]
    } else {
        args.files.iter().map(Input::from_arg).collect()
    };
    let mut unreadable = false;
    let mut report = |input: &Input, err: io::Error| {
        unreadable = true;
        // Through the host's words, which the progress bar makes room for.
        sluice_host::say::error(format_args!("{input}: {err}"));
    };
    let mut pipeline = Pipeline::new(chain, settings);
    match positions::load(args, &inputs) {
        Ok(Some(positions)) => pipeline.track_positions(positions),
        Ok(None) => {}
        Err(message) => return fail(exit::USAGE, message),
    }
    let mut stop = StopRequest::never();
    let ending = match Ending::install() {
        Ok((ending, request)) => {
            stop = request.clone();
            pipeline.stop_on(request);
            if let Err(err) = ending.on_output_gone() {
                colour::warn(format!(
                    "cannot watch the output for its reader leaving: {err}"
                ));
            }
            Some(ending)
        }
        Err(err) => {
            colour::warn(format!("signals will end sluice at once: {err}"));
            None
        }
    };
    let (mut otlp, tee) = match shipping {
        None => (None, false),
        Some(shipping) => match OtlpSink::start(shipping.settings, stop) {
            Ok(sink) => (Some(sink), shipping.tee),
            Err(err) => {
                return fail(exit::IO, format!("cannot start the OTLP sender: {err}"));
            }
        },
    };
    if args.stats.is_some() {
        pipeline.count_lines_in_bulk();
    }
    let stats = pipeline.stats();
    let shipped = otlp.as_ref().map(OtlpSink::counter);
    let progress = progress::length(&inputs, args.follow, args.no_progress)
        .map(|length| Progress::start(length, &stats, colour::on_stderr()));
    let stats_format = args.stats.unwrap_or(StatsFormat::Table);
    let bar = progress.as_ref().map(|progress| progress.bar().clone());
    let watched = stats::Watched {
        stats: stats.clone(),
        shipped: shipped.clone(),
    };
    if let Err(err) = stats::print_on_sigusr1(watched, stats_format, bar) {
        colour::warn(format!("SIGUSR1 will not print stats: {err}"));
    }
    let mut stdout = WriteSink::new(args.output, io::stdout().lock());
    let result = {
        let mut both;
        let sink: &mut dyn sluice_host::Sink = match (&mut otlp, tee) {
            (None, _) => &mut stdout,
            (Some(otlp), false) => otlp,
            (Some(otlp), true) => {
                both = Tee::new(&mut stdout, otlp);
                &mut both
            }
        };
        if args.follow {
            let paths: Vec<_> = args.files.iter().map(std::path::PathBuf::from).collect();
            pipeline.follow(&paths, sink, &mut report)
        } else {
            pipeline.run(&inputs, sink, &mut report)
        }
    };
    if let Some(progress) = progress {
        progress.finish();
    }
    if let Some(shipped) = &shipped {
        shipping::report(&shipped.counts());
    }
    // Stages that failed under `skip` or `drop`: the run went on; say what it cost.
    let failures = pipeline.failures();
    for failures in &failures {
        anstream::eprintln!("{ERROR}sluice:{ERROR:#} {failures}");
    }
    if let Some(format) = args.stats {
        stats::print(&stats::Watched { stats, shipped }, format);
    }
    let status = match result {
        Ok(()) if !failures.is_empty() => exit::PLUGIN_FAILED,
        Ok(()) if unreadable => exit::IO,
        Ok(()) => exit::OK,
        Err(RunError::Output(err)) if err.kind() == io::ErrorKind::BrokenPipe => exit::OK,
        Err(err @ (RunError::Output(_) | RunError::Positions(_))) => fail(exit::IO, err),
        Err(RunError::Stage(err)) => {
            fail(diagnostics::exit_code(&err), diagnostics::stage_error(&err))
        }
    };
    // A signal's status tells the caller the run was cut short; a plugin failure while
    // finishing is the more specific news.
    match ending.and_then(|e| e.signal_status()) {
        Some(signal_status) if status != exit::PLUGIN_FAILED => signal_status,
        _ => status,
    }
}

/// Warnings about the chain's shape and the overlap it runs with.
pub(crate) fn warn_about(chain: &Chain, settings: &Settings) {
    for warning in chain.warnings() {
        colour::warn(warning);
    }
    if chain.boundary_safe_prefix() > 0 && settings.boundary_overlap < MIN_SAFE_OVERLAP {
        colour::warn(format!(
            "--boundary-overlap {} is too small for boundary-safe stages to catch a secret \
             straddling a cut; use at least {MIN_SAFE_OVERLAP}",
            settings.boundary_overlap
        ));
    }
}

/// The pipeline file `config`, if any, with the stages of `plugins` (`-p` specs) after its
/// own, in order.
pub(crate) fn pipeline_of(
    config: Option<&std::path::Path>,
    plugins: &[String],
) -> Result<pipeline_file::PipelineFile> {
    let mut file = match config {
        Some(path) => pipeline_file::read(path)?,
        None => pipeline_file::PipelineFile::default(),
    };
    // A file with only a [sink] ships lines as they are: that is meant.
    if let Some(path) = config.filter(|_| file.stages.is_empty() && file.sink.is_none()) {
        colour::warn(format!(
            "{} has no [[stage]] table: without -p, lines pass through unchanged",
            path.display()
        ));
    }
    for spec in plugins {
        file.stages.push(NodeSpec::Stage(StageSpec::parse(spec)?));
    }
    Ok(file)
}

/// `SLUICE_NOW` (seconds since the Unix epoch, possibly fractional) freezes the clock that
/// plugins see, for reproducible runs and tests.
fn frozen_clock() -> Result<Clock, String> {
    let Some(value) = std::env::var_os("SLUICE_NOW") else {
        return Ok(Clock::System);
    };
    let text = value.to_string_lossy();
    parse_unix_nanos(text.trim()).map(Clock::Frozen).ok_or_else(|| {
        format!(
            "SLUICE_NOW={text:?} is not a time; give seconds since 1970-01-01 UTC, e.g. 1717243200 or 1717243200.5"
        )
    })
}

/// `[-]SECONDS[.FRACTION]` as nanoseconds, exactly (no float rounding; digits past the ninth
/// are ignored).
fn parse_unix_nanos(text: &str) -> Option<i64> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) {
        return None;
    }
    let seconds: i64 = whole.parse().ok()?;
    let mut nanos: i64 = 0;
    for (i, digit) in fraction.bytes().take(9).enumerate() {
        nanos += i64::from(digit - b'0') * 10i64.pow(8 - i as u32);
    }
    let total = seconds.checked_mul(1_000_000_000)?.checked_add(nanos)?;
    Some(if negative { -total } else { total })
}

fn list_plugins(runtime: &Runtime) -> Result<()> {
    let mut out = io::stdout().lock();
    for (i, builtin) in BUILTINS.iter().enumerate() {
        let plugin = runtime
            .load(builtin.name, builtin.component)
            .with_context(|| format!("built-in plugin {}", builtin.name))?;
        if i > 0 {
            writeln!(out)?;
        }
        inspect::write_summary(&mut out, builtin.name, plugin.info())?;
    }
    out.flush()?;
    Ok(())
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.downcast_ref::<io::Error>()
        .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
}

#[cfg(test)]
mod tests {
    use super::parse_unix_nanos;

    #[test]
    fn unix_seconds_are_exact() {
        assert_eq!(
            parse_unix_nanos("1717243200.123"),
            Some(1_717_243_200_123_000_000)
        );
        assert_eq!(parse_unix_nanos("0.000000001"), Some(1));
        assert_eq!(parse_unix_nanos("-1.5"), Some(-1_500_000_000));
        assert_eq!(parse_unix_nanos("12"), Some(12_000_000_000));
        for bad in ["", ".5", "1e9", "soon", "1.2.3", "99999999999999999999"] {
            assert_eq!(parse_unix_nanos(bad), None, "{bad}");
        }
    }
}
