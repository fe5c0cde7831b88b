//! The subcommands, which do something other than process input: `inspect`, `test`, `new`,
//! and `completions` and `man`, which print files generated from the arguments' definition. Each prints its result on stdout and maps its outcome to an exit code like the main
//! path does.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use sluice_host::{Runtime, RuntimeOptions, Settings};

use crate::args::{Args, Command};
use crate::diagnostics::{self, exit, fail};
use crate::scaffold::{self, Lang};
use crate::spec::StageSpec;
use crate::{case_tests, conformance, inspect, is_broken_pipe, setup};
use clap::CommandFactory;

/// Runs `command`; returns the exit code.
pub fn run(command: &Command, runtime_options: RuntimeOptions, settings: Settings) -> u8 {
    if let Command::Completions { shell } = command {
        // Into memory first: clap_complete panics when a write fails (a closed pipe).
        let mut script = Vec::new();
        clap_complete::generate(*shell, &mut Args::command(), "sluice", &mut script);
        return print_help_file(|out| out.write_all(&script));
    }
    if let Command::Man = command {
        return print_help_file(|out| clap_mangen::Man::new(Args::command()).render(out));
    }
    if let Command::New { lang, name, dir } = command {
        return match new_project(*lang, name, dir.as_deref()) {
            Ok(()) => exit::OK,
            Err(err) => fail(exit::USAGE, diagnostics::error(&err)),
        };
    }
    let result = Runtime::new(runtime_options).and_then(|runtime| match command {
        Command::Inspect { plugin } => inspect_plugin(&runtime, plugin).map(|()| exit::OK),
        Command::Test {
            conformance: Some(spec),
            ..
        } => conformance_checks(&runtime, spec, settings).map(|failed| {
            if failed == 0 {
                exit::OK
            } else {
                exit::PLUGIN_FAILED
            }
        }),
        Command::Test { dir, bless, .. } => {
            let mut out = io::stdout().lock();
            case_tests::run(&runtime, settings, dir, *bless, &mut out).map(|summary| {
                if summary.failed > 0 {
                    exit::PLUGIN_FAILED
                } else {
                    exit::OK
                }
            })
        }
        Command::New { .. } | Command::Completions { .. } | Command::Man => {
            unreachable!("handled above: it needs no runtime")
        }
        Command::Check { .. } => unreachable!("main runs it: it needs the pipeline's flags"),
    });
    match result {
        Ok(code) => code,
        Err(err) if is_broken_pipe(&err) => exit::OK,
        Err(err) => fail(exit::USAGE, diagnostics::error(&err)),
    }
}

/// Writes a completion script or the man page to stdout; a broken pipe is a quiet end.
fn print_help_file(write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> u8 {
    let mut out = io::stdout().lock();
    match write(&mut out).and_then(|()| out.flush()) {
        Ok(()) => exit::OK,
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => exit::OK,
        Err(err) => fail(exit::IO, format!("cannot write the output: {err}")),
    }
}

/// `sluice new --lang LANG NAME [--dir DIR]`.
fn new_project(lang: Lang, name: &str, dir: Option<&Path>) -> Result<()> {
    let dir = dir.map_or_else(|| PathBuf::from(name), Path::to_path_buf);
    let written = scaffold::create(&dir, name, lang)?;
    let mut out = io::stdout().lock();
    writeln!(out, "created {} ({} files):", dir.display(), written.len())?;
    for path in &written {
        writeln!(out, "    {}", path.display())?;
    }
    writeln!(
        out,
        "next: cd {} && ./build.sh && sluice test",
        dir.display()
    )?;
    Ok(())
}

/// `sluice inspect PLUGIN`.
fn inspect_plugin(runtime: &Runtime, plugin: &str) -> Result<()> {
    let spec = StageSpec::parse(plugin)?;
    let loaded = if spec.is_path() {
        setup::load(runtime, &spec).with_context(|| plugin.to_owned())?
    } else {
        setup::load(runtime, &spec)?
    };
    let mut out = io::stdout().lock();
    inspect::write(&mut out, &loaded)?;
    out.flush()?;
    Ok(())
}

/// `sluice test --conformance SPEC`; returns the number of checks that failed.
fn conformance_checks(runtime: &Runtime, spec: &str, settings: Settings) -> Result<usize> {
    let spec = StageSpec::parse(spec)?;
    let plugin =
        setup::load(runtime, &spec).with_context(|| format!("stage 1 ({})", spec.plugin))?;
    let config = serde_json::Value::Object(spec.config.clone()).to_string();
    let mut out = io::stdout().lock();
    conformance::run(runtime, &plugin, &config, &settings, &mut out)
}
