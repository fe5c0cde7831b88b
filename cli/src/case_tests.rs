//! `sluice test [DIR]`: snapshot tests for plugin authors.
//!
//! A test case is a folder holding a pipeline and an input; its expected output is a snapshot
//! beside them, in insta's `.snap` layout (a short header between `---` lines, then the
//! output), so reviewing a change to it looks like reviewing any insta snapshot:
//!
//! ```text
//! tests/
//!   levels/
//!     pipeline.toml      # [[stage]] tables, as for `sluice --config`
//!     input.log          # the lines to run through it
//!     output.snap        # written on the first run; compared on every later one
//! ```
//!
//! Every folder under DIR (default `tests`) that holds a `pipeline.toml` is a case; cases run
//! in name order, each through the same code path as `sluice --config pipeline.toml
//! input.log`. A case without a snapshot gets one written (and passes, with a note to review
//! it); a case whose output differs fails with a line diff; `--bless` writes the new output
//! as the snapshot instead. Output bytes are stored as they are: the comparison is exact, byte
//! for byte, terminators and invalid UTF-8 included.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use sluice_host::{Input, OutputFormat, Pipeline, Runtime, Settings, WriteSink};

use crate::pipeline_file;
use crate::setup;

const PIPELINE: &str = "pipeline.toml";
const INPUT: &str = "input.log";
const SNAPSHOT: &str = "output.snap";

/// What a run of the cases found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub passed: usize,
    pub failed: usize,
    pub written: usize,
}

/// Runs every case under `dir`, reporting each on `out`.
pub fn run(
    runtime: &Runtime,
    settings: Settings,
    dir: &Path,
    bless: bool,
    out: &mut impl Write,
) -> Result<Summary> {
    let cases = find_cases(dir)?;
    if cases.is_empty() {
        bail!(
            "no test cases in {}: a case is a folder with {PIPELINE} and {INPUT}",
            dir.display()
        );
    }
    let mut summary = Summary::default();
    for case in &cases {
        let name = case.strip_prefix(dir).unwrap_or(case).display().to_string();
        let actual = match run_case(runtime, settings, case) {
            Ok(actual) => actual,
            Err(err) => {
                writeln!(out, "FAIL {name}: {err:#}")?;
                summary.failed += 1;
                continue;
            }
        };
        let snapshot_path = case.join(SNAPSHOT);
        let expected = match fs::read(&snapshot_path) {
            Ok(bytes) => Some(
                snapshot_body(&bytes)
                    .with_context(|| format!("{} is not a snapshot", snapshot_path.display()))?,
            ),
            Err(err) if err.kind() == io::ErrorKind::NotFound => None,
            Err(err) => {
                return Err(err)
                    .with_context(|| format!("cannot read {}", snapshot_path.display()));
            }
        };
        match expected {
            Some(expected) if expected == actual => {
                writeln!(out, "ok   {name}")?;
                summary.passed += 1;
            }
            Some(expected) if !bless => {
                writeln!(out, "FAIL {name}: the output differs from {SNAPSHOT}")?;
                write_diff(out, &expected, &actual)?;
                summary.failed += 1;
            }
            previous => {
                write_snapshot(&snapshot_path, &actual)?;
                let what = if previous.is_some() { "updated" } else { "new" };
                writeln!(out, "{what:<4} {name}: wrote {SNAPSHOT}; review it")?;
                summary.written += 1;
            }
        }
    }
    writeln!(
        out,
        "\n{} passed, {} failed, {} snapshots written",
        summary.passed, summary.failed, summary.written
    )?;
    if summary.failed > 0 && !bless {
        writeln!(out, "run `sluice test --bless` to accept the new output")?;
    }
    Ok(summary)
}

/// The case folders under `dir`, in name order.
fn find_cases(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut cases = Vec::new();
    let entries = fs::read_dir(dir)
        .with_context(|| format!("cannot read the test folder {}", dir.display()))?;
    for entry in entries {
        let path = entry?.path();
        if path.join(PIPELINE).is_file() {
            cases.push(path);
        }
    }
    cases.sort();
    Ok(cases)
}

/// The output of one case's pipeline on its input.
fn run_case(runtime: &Runtime, settings: Settings, case: &Path) -> Result<Vec<u8>> {
    let file = pipeline_file::read(&case.join(PIPELINE))?;
    if file.sink.is_some() {
        bail!("{PIPELINE} has a [sink] table: a case's output is compared, so it ships nothing");
    }
    let specs = file.stages;
    let input = case.join(INPUT);
    if !input.is_file() {
        bail!("no {INPUT} beside {PIPELINE}");
    }
    let making = setup::Making {
        runtime,
        settings: &settings,
        on_error: sluice_host::OnError::Fail,
    };
    let chain = setup::build_chain(&making, &specs)?;
    let mut sink = WriteSink::new(OutputFormat::Raw, Vec::new());
    let mut read_error = None;
    Pipeline::new(chain, settings)
        .run(&[Input::File(input)], &mut sink, &mut |_, err| {
            read_error = Some(err)
        })
        .map_err(|err| anyhow::anyhow!("{err}"))?;
    if let Some(err) = read_error {
        bail!("cannot read {INPUT}: {err}");
    }
    Ok(sink.into_inner())
}

/// The output stored in a snapshot: what follows its header.
fn snapshot_body(bytes: &[u8]) -> Result<Vec<u8>> {
    let rest = bytes
        .strip_prefix(b"---\n")
        .context("it does not start with a `---` header")?;
    let end = rest
        .windows(5)
        .position(|w| w == b"\n---\n")
        .context("its header has no closing `---`")?;
    Ok(rest[end + 5..].to_vec())
}

fn write_snapshot(path: &Path, output: &[u8]) -> Result<()> {
    let mut bytes =
        format!("---\nsource: sluice test\ninput: {INPUT}\npipeline: {PIPELINE}\n---\n")
            .into_bytes();
    bytes.extend_from_slice(output);
    fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

/// A line diff of the expected and actual output, `-` for expected and `+` for actual lines,
/// with three lines of context.
fn write_diff(out: &mut impl Write, expected: &[u8], actual: &[u8]) -> io::Result<()> {
    let diff = similar::TextDiff::from_lines(expected, actual);
    for group in diff.grouped_ops(3) {
        for op in group {
            for change in diff.iter_changes(&op) {
                let sign = match change.tag() {
                    similar::ChangeTag::Delete => '-',
                    similar::ChangeTag::Insert => '+',
                    similar::ChangeTag::Equal => ' ',
                };
                let line = String::from_utf8_lossy(change.value());
                let line = line.strip_suffix('\n').unwrap_or(&line);
                let line = line
                    .strip_suffix('\r')
                    .map_or_else(|| line.to_owned(), |without| format!("{without}␍"));
                writeln!(out, "    {sign} {line}")?;
            }
        }
        writeln!(out, "    ...")?;
    }
    if expected.ends_with(b"\n") != actual.ends_with(b"\n") {
        writeln!(out, "    (one ends with a newline, the other does not)")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_bodies_round_trip() {
        let dir = std::env::temp_dir().join(format!("sluice-case-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join(SNAPSHOT);
        let output = b"a\r\n---\nno final newline \xff";
        write_snapshot(&path, output).unwrap();
        assert_eq!(snapshot_body(&fs::read(&path).unwrap()).unwrap(), output);
        fs::remove_dir_all(&dir).unwrap();
        assert!(snapshot_body(b"plain").is_err());
        assert!(snapshot_body(b"---\nsource: x\n").is_err());
    }

    #[test]
    fn diffs_show_changed_lines_with_context() {
        let mut out = Vec::new();
        write_diff(&mut out, b"a\nb\nc\n", b"a\nB\nc\r\n").unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("      a\n    - b\n"), "{text}");
        assert!(text.contains("    + B\n    + c␍\n"), "{text}");
    }
}
