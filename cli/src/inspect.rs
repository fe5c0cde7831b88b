//! `sluice inspect PLUGIN` and `--list-plugins`: what a plugin says about itself and what it
//! asks of the host, shown before anything runs.

use std::io::{self, Write};

use sluice_host::{Plugin, PluginInfo};

/// What an import grants, for the interfaces sluice knows.
fn import_meaning(import: &str) -> &'static str {
    let interface = import.split('@').next().unwrap_or(import);
    match interface {
        "sluice:plugin/clock" => "the time (wall clock and a monotonic clock)",
        "sluice:plugin/matching" => {
            "regular expressions run by the host, within the stage's deadline and memory limit"
        }
        "wasi:cli/environment" => {
            "environment variables: only those the stage's `env` key grants; reads are reported"
        }
        "wasi:cli/stdout" | "wasi:cli/stderr" => {
            "output: goes to sluice's stderr, each line prefixed with the stage"
        }
        "wasi:cli/stdin" => "input: always empty",
        "wasi:cli/exit" => "exit: ends the run with an error naming the stage",
        "wasi:clocks/wall-clock" => "the time (sluice's clock)",
        "wasi:clocks/monotonic-clock" => {
            "the time (sluice's clock); a wait on it ends at the call's deadline"
        }
        "wasi:random/random" | "wasi:random/insecure" | "wasi:random/insecure-seed" => {
            "random numbers"
        }
        "wasi:io/error" | "wasi:io/streams" | "wasi:io/poll" => {
            "streams and polling, for the above"
        }
        _ if interface.starts_with("wasi:filesystem/") => {
            "files: none; opening a path is refused and reported"
        }
        _ if interface.starts_with("wasi:sockets/") => {
            "network: none; making a socket is refused and reported"
        }
        _ if interface.starts_with("wasi:") => "WASI, with nothing granted",
        _ => "not provided by sluice: the plugin cannot be loaded",
    }
}

/// The full description of `plugin`.
pub fn write(out: &mut impl Write, plugin: &Plugin) -> io::Result<()> {
    let info = plugin.info();
    writeln!(out, "{} {}", info.name, info.version)?;
    writeln!(out, "    {}", info.summary)?;
    writeln!(out)?;
    writeln!(out, "origin: {}", plugin.origin())?;
    writeln!(
        out,
        "boundary-safe: {}",
        if info.boundary_safe {
            "yes (sees whole windows of over-long lines; put it first in a chain)"
        } else {
            "no"
        }
    )?;
    writeln!(out, "state: {}", info.state.describe())?;
    writeln!(out)?;
    if info.config_keys.is_empty() {
        writeln!(out, "config: none")?;
    } else {
        writeln!(out, "config:")?;
        for key in &info.config_keys {
            let default = match &key.default {
                Some(default) => format!(", default {default}"),
                None => String::new(),
            };
            writeln!(out, "    {} ({}{default})", key.name, key.kind)?;
            writeln!(out, "        {}", key.doc)?;
        }
    }
    writeln!(out)?;
    if info.imports.is_empty() {
        writeln!(
            out,
            "imports: nothing (no files, environment, network or clock)"
        )?;
    } else {
        writeln!(out, "imports:")?;
        for import in &info.imports {
            writeln!(out, "    {import}: {}", import_meaning(import))?;
        }
    }
    Ok(())
}

/// The short form `--list-plugins` prints for each built-in.
pub fn write_summary(out: &mut impl Write, name: &str, info: &PluginInfo) -> io::Result<()> {
    let safe = if info.boundary_safe {
        " (boundary-safe)"
    } else {
        ""
    };
    writeln!(out, "{name}{safe}\n    {}", info.summary)?;
    let width = info
        .config_keys
        .iter()
        .map(|k| k.name.len())
        .max()
        .unwrap_or(0);
    for key in &info.config_keys {
        let default = match &key.default {
            Some(default) => format!(" Default: {default}."),
            None => String::new(),
        };
        writeln!(
            out,
            "    {:<width$}  ({}) {}{default}",
            key.name, key.kind, key.doc
        )?;
    }
    Ok(())
}
