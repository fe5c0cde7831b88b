//! Command-line arguments.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{CommandFactory, Parser};
use sluice_host::{OnError, OutputFormat};

/// The most worker threads `-j` accepts.
const MAX_THREADS: u16 = 256;

/// The worker threads when `-j` is not given: one per available core, at most this many (each
/// thread holds its own instance of every stage it runs, within --plugin-memory).
const DEFAULT_MAX_THREADS: usize = 8;

const AFTER_HELP: &str = "\
Examples:
  kubectl logs -f api | sluice -p sanitize
  sluice -p 'regex={\"expression\":\"level=(?P<level>\\\\w+)\"}' -p pack app.log
  sluice --config pipeline.toml /var/log/app/*.log

Exit status:
  0  success (also when the reader of the output went away: a broken pipe)
  1  a plugin failed while processing: it trapped, looped past --plugin-timeout, hit
     --plugin-memory, returned an error or malformed output (under --on-plugin-error skip or
     drop, the run went on to its end); for `sluice test`, a case failed or its output
     differs from its snapshot
  2  bad usage or configuration: an argument, the pipeline file, a plugin spec or its config,
     a plugin that cannot be loaded, a --positions file that cannot be read or written;
     nothing was processed
  3  an input could not be read (the other inputs were still processed), the output could
     not be written, the --positions file could not be written while running, or --sink's
     receiver refused records or could not be reached within --sink-retry-max
  129, 130, 143  stopped by SIGHUP, SIGINT or SIGTERM, after finishing the stream as at the
     end of the input: every stage finished, everything written (with --sink, delivered, or
     given up after --sink-drain-max; a second signal ends sluice at once)";

/// A log processor with a chain of sandboxed WebAssembly plugins.
///
/// Reads the FILEs (or standard input) line by line, runs the lines through the plugins given
/// with -p/--config, in order, and writes the result to standard output as soon as each line
/// is done. Bytes are never re-encoded: terminators (LF, CRLF, none) and invalid UTF-8 are kept.
#[derive(Debug, Parser)]
#[command(
    name = "sluice",
    version,
    after_help = AFTER_HELP,
    styles = crate::colour::help_styles(),
    subcommand_value_name = "COMMAND",
    subcommand_help_heading = "Commands (instead of processing input)"
)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Files to read, in order; `-` is standard input. By default, standard input.
    // OsString: any name the OS accepts, UTF-8 or not.
    #[arg(value_name = "FILE", value_parser = clap::value_parser!(OsString))]
    pub files: Vec<OsString>,

    /// Adds a stage: a built-in plugin's name or a path to a .wasm component, optionally
    /// followed by `=` and its config as a JSON object, e.g.
    /// -p 'regex={"expression":"level=(?P<level>\\w+)"}'. Repeatable; stages run in the order
    /// given, after those of --config.
    #[arg(short = 'p', long = "plugin", value_name = "SPEC")]
    pub plugins: Vec<String>,

    /// Reads stages from a TOML pipeline file: one [[stage]] table per stage, with
    /// `plugin = "NAME or PATH"` and the stage's config keys beside it.
    #[arg(short = 'c', long = "config", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Lists the built-in plugins and their config keys, then exits.
    #[arg(long)]
    pub list_plugins: bool,

    /// Follows the FILEs like `tail -F`: reads each from its start, then outputs lines as they
    /// are appended, across rotations (rename and create, truncation), until interrupted.
    #[arg(short = 'f', long)]
    pub follow: bool,

    /// When to colour diagnostics and help: auto (on a terminal, unless NO_COLOR is set),
    /// always or never.
    #[arg(
        long,
        value_name = "WHEN",
        default_value = "auto",
        global = true,
        overrides_with = "color"
    )]
    pub color: crate::colour::When,

    /// Prints what each stage did at the end of the run, on stderr: lines in, out, dropped and
    /// emitted (at a timed wake-up or the end), calls, bytes in and out, time inside the
    /// plugin and its share of the run, then totals and lines/s. `--stats=json` prints one
    /// JSON object instead. SIGUSR1 prints the same while sluice runs (a table without
    /// --stats).
    #[arg(long, value_name = "FORMAT", num_args = 0..=1, require_equals = true,
          default_missing_value = "table")]
    pub stats: Option<crate::stats::StatsFormat>,

    /// Shows no progress bar. Without it, a bar on stderr shows how far through its input
    /// files sluice is (bytes, rate, time left) when stderr is a terminal and every input is a
    /// regular file, and not with -f; it is cleared at the end.
    #[arg(long)]
    pub no_progress: bool,

    /// Reads compressed input as it is: without it, gzip, zstd, bzip2 and xz input (files and
    /// standard input, recognised by their first bytes, not their names) is decompressed as
    /// it is read. Followed files (-f) are always read as they are.
    #[arg(long)]
    pub no_decompress: bool,

    /// Keeps in FILE how far each input file was written and flushed, and resumes from there:
    /// a file that is the one recorded (same device, inode and first bytes) is read from its
    /// recorded offset, any other from its start. Written atomically every
    /// --positions-interval and at the end. After a crash, lines written since the last update
    /// come out again: none is lost. Standard input has no position. A FILE that does not
    /// exist is a first run; one that cannot be read is an error (exit 2).
    #[arg(long, value_name = "FILE")]
    pub positions: Option<PathBuf>,

    /// How often --positions is written while sluice runs (and so, about how much a crash
    /// replays), e.g. 1s or 200ms.
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = parse_duration,
          requires = "positions")]
    pub positions_interval: Duration,

    /// Ships the lines to a receiver instead of standard output: `otlp=URL` posts them as
    /// OpenTelemetry log records over OTLP/HTTP (protobuf, gzip) to URL/v1/logs, such as an
    /// OpenTelemetry Collector (`otlp=http://localhost:4318`) or Loki 3
    /// (`otlp=http://loki:3100/otlp`). Batches close at 1,000 records, 1 MiB or 200 ms; one
    /// request is in flight; a slow or absent receiver stops sluice reading rather than filling
    /// memory. 429, 502, 503, 504 and connection errors are retried (Retry-After honoured, else
    /// exponential backoff with jitter) for --sink-retry-max; any other refusal ends the run
    /// with the receiver's message (exit 3). With --positions, a file's offset moves only past
    /// lines the receiver acknowledged. Also a [sink] table in --config. See docs/shipping.md.
    #[arg(long, value_name = "KIND=URL", value_parser = parse_sink)]
    pub sink: Option<String>,

    /// With a sink, also writes the lines to standard output (in the --output format).
    #[arg(long)]
    pub tee: bool,

    /// With a sink, a resource attribute of every record, as KEY=VALUE (repeatable), such as
    /// service.name=checkout. host.name and service.name are set unless given.
    #[arg(long, value_name = "KEY=VALUE", value_parser = parse_resource)]
    pub resource: Vec<(String, String)>,

    /// With a sink, how long one batch is retried before sluice gives up on it and exits 3,
    /// e.g. 600s or 30s [default: 300s].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub sink_retry_max: Option<Duration>,

    /// With a sink, how long sluice still waits for the receiver after SIGTERM, SIGINT or
    /// SIGHUP before it gives up on what is unacknowledged (kept by --positions for the next
    /// run) [default: 10s].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub sink_drain_max: Option<Duration>,

    /// How lines are written: `raw` (as they are), `json` (one object per line with `line`,
    /// `timestamp`, `source` and `fields`) or `logfmt`.
    #[arg(short = 'o', long, value_name = "FORMAT", default_value = "raw",
          value_parser = parse_format)]
    pub output: OutputFormat,

    /// How many threads run the stages that may run in several instances at once: those
    /// whose plugin declares no state between lines (`sluice inspect` shows it) and whose
    /// report goes nowhere chosen. The output is the same, byte for byte, whatever N; the other
    /// stages, and the pieces of over-long lines, run in order on one thread. 1 runs every
    /// stage on one thread [default: the available cores, at most 8].
    #[arg(short = 'j', long, value_name = "N",
          value_parser = clap::value_parser!(u16).range(1..=i64::from(MAX_THREADS)))]
    pub threads: Option<u16>,

    /// Lines longer than this many bytes are force-flushed in pieces (boundary-safe stages see
    /// each whole window first), so memory stays bounded. Accepts K/M suffixes (KiB/MiB).
    #[arg(long, value_name = "BYTES", default_value = "64K", value_parser = parse_size)]
    pub max_line_bytes: usize,

    /// How many bytes at the end of each force-flushed window are kept and joined to the
    /// line's next bytes, so that a secret straddling the cut is still found. Must be smaller
    /// than --max-line-bytes.
    #[arg(long, value_name = "BYTES", default_value = "1K", value_parser = parse_size)]
    pub boundary_overlap: usize,

    /// What a stage that fails does to the stream: fail (stop the run), skip (pass the batch it
    /// failed on on unchanged) or drop (drop that batch); after skip or drop, the stage is
    /// started afresh and the run ends with status 1. A stage's `on_error` key overrides it;
    /// a boundary-safe stage (a redactor) refuses skip unless its own key says skip-unsafe.
    #[arg(long, value_name = "POLICY", default_value = "fail",
          value_parser = PossibleValuesParser::new(OnError::NAMES)
              .map(|name| name.parse::<OnError>().expect("a listed name")))]
    pub on_plugin_error: OnError,

    /// The longest a stage may hold the input back (a rate limiter delaying lines) without a
    /// break; past it, input is read again while the stage goes on holding, e.g. 1m or 30s.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
    pub max_hold: Duration,

    /// The longest one call into a plugin may run before the run is stopped with an error,
    /// e.g. 5s or 500ms; a wait in a WASI host call (a sleep) ends there too.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    pub plugin_timeout: Duration,

    /// The most memory one stage may use, in MiB: its linear memory and its tables together.
    #[arg(long, value_name = "MIB", default_value_t = 256,
          value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub plugin_memory: u32,
}

/// `otlp=URL`: the only kind of sink; the URL must be http or https.
pub(crate) fn parse_sink(text: &str) -> Result<String, String> {
    let Some((kind, url)) = text.split_once('=') else {
        return Err(format!(
            "`{text}` names no sink; write otlp=URL, such as otlp=http://localhost:4318"
        ));
    };
    if kind != "otlp" {
        return Err(format!("unknown sink `{kind}`; the one sink is otlp=URL"));
    }
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(format!("`{url}` is not an http:// or https:// URL"));
    }
    Ok(url.to_owned())
}

/// `KEY=VALUE`, the key not empty.
fn parse_resource(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err(format!(
            "`{text}` is not KEY=VALUE, such as service.name=checkout"
        )),
    }
}

fn parse_format(text: &str) -> Result<OutputFormat, String> {
    OutputFormat::parse(text)
        .ok_or_else(|| format!("unknown output format `{text}`; use raw, json or logfmt"))
}

/// What sluice can do besides processing input.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Shows what a plugin says about itself (name, version, summary, config keys with types
    /// and defaults) and what it imports, without running it.
    Inspect {
        /// A built-in plugin's name or a path to a .wasm component.
        #[arg(value_name = "PLUGIN")]
        plugin: String,
    },
    /// Runs snapshot test cases: every folder under DIR holding a pipeline.toml and an
    /// input.log is run, and its output compared with the output.snap beside them (written on
    /// the first run). A difference is shown as a diff and makes the exit status 1.
    Test {
        /// The folder holding the cases.
        #[arg(value_name = "DIR", default_value = "tests")]
        dir: PathBuf,
        /// Accepts the new output: writes it to the snapshots that differ.
        #[arg(long, visible_alias = "update")]
        bless: bool,
        /// Instead of running cases, runs the checks every plugin must pass (empty and large
        /// batches, empty lines, odd bytes, pieces of over-long lines, finish, config errors,
        /// the declared state) on SPEC: a built-in's name or a .wasm path, optionally with `=`
        /// and a JSON config.
        #[arg(long, value_name = "SPEC", conflicts_with = "bless")]
        conformance: Option<String>,
    },
    /// Checks a pipeline without reading any input: parses the stages (-c, -p, here or before
    /// `check`), loads every plugin, creates every stage with its config, and prints each
    /// stage with what it declares, and the sink a run would ship to (--sink and its options
    /// before `check`, or the file's [sink]; no receiver is contacted). Exit 0 when the
    /// pipeline would start, 2 with the usual one-line error when not.
    Check {
        /// Reads stages from a TOML pipeline file, as sluice -c does.
        #[arg(short = 'c', long = "config", value_name = "FILE")]
        config: Option<PathBuf>,
        /// Adds a stage, as sluice -p does.
        #[arg(short = 'p', long = "plugin", value_name = "SPEC")]
        plugins: Vec<String>,
    },
    /// Prints the completion script for SHELL on standard output; the README says where to put
    /// it.
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Prints sluice's man page (roff) on standard output: `sluice man > sluice.1`.
    Man,
    /// Starts a plugin project in NAME/ (or --dir): the source of a small working plugin, a
    /// build script, a README and a `sluice test` case.
    New {
        /// The language to write the plugin in.
        #[arg(long, value_enum)]
        lang: crate::scaffold::Lang,
        /// The plugin's name: lowercase letters, digits and `-`.
        #[arg(value_name = "NAME")]
        name: String,
        /// Where to create the project; by default a folder NAME in the current directory.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

/// Parses `65536`, `64K`, `64KiB`, `1M`, `1MiB` (binary multiples).
fn parse_size(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let number: usize = number.parse().map_err(|_| {
        format!("`{text}` is not a size; expected a number of bytes like 65536 or 64K")
    })?;
    let multiple = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        _ => {
            return Err(format!(
                "unknown size unit `{unit}` in `{text}`; use K or M"
            ));
        }
    };
    number
        .checked_mul(multiple)
        .ok_or_else(|| format!("`{text}` is too large"))
}

/// Parses `5`, `5s`, `1.5s`, `500ms`.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, scale) = if let Some(ms) = text.strip_suffix("ms") {
        (ms, 1e-3)
    } else if let Some(s) = text.strip_suffix('s') {
        (s, 1.0)
    } else {
        (text, 1.0)
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a duration; expected e.g. 5s or 500ms"))?;
    if !(value.is_finite() && value > 0.0) {
        return Err(format!("`{text}` must be a positive duration"));
    }
    Ok(Duration::from_secs_f64(value * scale))
}

/// The subcommand a first FILE argument was probably meant to be: one or two edits away from
/// `inspect`, `test` or `new` (`inpsect`, `tset`), and not a path that exists. Without it,
/// `sluice inpsect sanitize` reads two files that do not exist.
pub fn mistyped_command(files: &[OsString]) -> Option<&'static str> {
    let first = files.first()?;
    let word = first.to_str()?;
    if Path::new(first).exists() {
        return None;
    }
    ["inspect", "test", "new"]
        .into_iter()
        .find(|command| strsim::levenshtein(command, word) <= 2)
}

/// Whether `command` takes the option `id` (a field of [`Args`]) when it is given before it.
/// `check` takes them all: they describe the pipeline it checks. `test` runs its cases'
/// pipelines with the options that change how plugins run and lines are cut; `inspect`
/// loads a plugin with the first two; the others print files. The colour choice counts for
/// every message.
fn takes_option(command: &Command, id: &str) -> bool {
    const RUNNING_PLUGINS: [&str; 2] = ["plugin_timeout", "plugin_memory"];
    const CUTTING_LINES: [&str; 5] = [
        "max_line_bytes",
        "boundary_overlap",
        "max_hold",
        "threads",
        "no_decompress",
    ];
    id == "color"
        || match command {
            Command::Check { .. } => true,
            Command::Test { .. } => RUNNING_PLUGINS.contains(&id) || CUTTING_LINES.contains(&id),
            Command::Inspect { .. } => RUNNING_PLUGINS.contains(&id),
            Command::New { .. } | Command::Completions { .. } | Command::Man => false,
        }
}

/// The first option given before the subcommand that the subcommand does not take, as an
/// error message: it would do nothing, and saying nothing would let `sluice -p pack inspect
/// sanitize` look as if `-p pack` had counted.
pub fn option_not_taken(args: &Args, matches: &clap::ArgMatches) -> Option<String> {
    let command = args.command.as_ref()?;
    let (name, _) = matches.subcommand()?;
    let command_line = Args::command();
    let arg = command_line.get_arguments().find(|arg| {
        let id = arg.get_id().as_str();
        matches.value_source(id) == Some(clap::parser::ValueSource::CommandLine)
            && !takes_option(command, id)
    })?;
    let option = match (arg.get_short(), arg.get_long()) {
        (Some(short), Some(long)) => format!("-{short}/--{long}"),
        (None, Some(long)) => format!("--{long}"),
        _ => arg.get_id().to_string(),
    };
    Some(format!(
        "{option} does nothing with `sluice {name}` (it is an option for processing input); \
         leave it out"
    ))
}

impl Args {
    /// The worker threads to run the chain with: `-j`, else one per available core, at most
    /// [`DEFAULT_MAX_THREADS`].
    pub fn threads(&self) -> usize {
        match self.threads {
            Some(n) => usize::from(n),
            None => {
                std::thread::available_parallelism().map_or(1, |n| n.get().min(DEFAULT_MAX_THREADS))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_first_argument_near_a_subcommand_that_is_no_file_is_suggested() {
        let first = |word: &str| mistyped_command(&[OsString::from(word), "x".into()]);
        assert_eq!(first("inpsect"), Some("inspect"));
        assert_eq!(first("insepct"), Some("inspect"));
        assert_eq!(first("tset"), Some("test"));
        assert_eq!(first("nwe"), Some("new"));
        assert_eq!(first("app.log"), None);
        assert_eq!(first("inspection-report.log"), None);
        assert_eq!(mistyped_command(&[]), None);
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("65536"), Ok(65536));
        assert_eq!(parse_size("64K"), Ok(65536));
        assert_eq!(parse_size("64KiB"), Ok(65536));
        assert_eq!(parse_size("1M"), Ok(1 << 20));
        assert!(parse_size("1G").unwrap_err().contains("unknown size unit"));
        assert!(parse_size("lots").unwrap_err().contains("not a size"));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        Args::command().debug_assert();
    }
}
