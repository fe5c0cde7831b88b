//! Reports: what a stage hands the host to write outside the line stream (captured variables,
//! metrics, a summary), and where they go.
//!
//! A stage's `report` config key names the destination: `stderr` (the default) or a file path.
//! A file is replaced whole by each report, through a temporary file renamed over it, so a
//! reader never sees half a report. On stderr each line comes after the stage's label, escaped
//! and cut like any text from a plugin ([`crate::plugin_text`]).

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::plugin_text::plugin_line;
use crate::say;

/// Where one stage's reports go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReportTarget {
    /// Standard error, each report as it is.
    Stderr,
    /// A file, replaced by each report.
    File(PathBuf),
}

impl ReportTarget {
    /// `stderr` or a path.
    pub fn parse(value: &str) -> ReportTarget {
        if value == "stderr" {
            ReportTarget::Stderr
        } else {
            ReportTarget::File(value.into())
        }
    }

    /// Checks, before the run, that reports can be written here, the way [`ReportTarget::write`]
    /// writes them: for a file, that the path is not a folder and a temporary file can be
    /// created beside it (it is removed again). So a path that cannot work fails at start,
    /// not after hours of input.
    pub fn check(&self) -> io::Result<()> {
        let ReportTarget::File(path) = self else {
            return Ok(());
        };
        if path.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                "it is a folder, not a file",
            ));
        }
        let temp = temp_path(path)?;
        fs::File::create(&temp)?;
        fs::remove_file(&temp)
    }

    /// Writes `report`, from the stage `label` (`stage 2 (metrics)`), to the target: to a
    /// file as it is; to stderr one line at a time, each after the stage's label and made
    /// safe as [`plugin_line`] says (control and bidirectional characters escaped, cut after
    /// [`MAX_PLUGIN_TEXT_BYTES`](crate::plugin_text::MAX_PLUGIN_TEXT_BYTES)), because a
    /// report is a plugin's text: on stderr it must neither pass for sluice's own words nor
    /// drive the terminal.
    pub fn write(&self, label: &str, report: &[u8]) -> io::Result<()> {
        match self {
            ReportTarget::Stderr => {
                let report = report.strip_suffix(b"\n").unwrap_or(report);
                if report.is_empty() {
                    return Ok(());
                }
                say::speak(|err| {
                    for line in report.split(|&b| b == b'\n') {
                        let text = plugin_line(&String::from_utf8_lossy(line));
                        say::plugin_line(err, label, &text)?;
                    }
                    err.flush()
                })
            }
            ReportTarget::File(path) => replace_file(path, report),
        }
    }
}

impl std::fmt::Display for ReportTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReportTarget::Stderr => f.write_str("stderr"),
            ReportTarget::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// Writes `bytes` to a temporary file next to `path`, then renames it over `path`.
fn replace_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let temp = temp_path(path)?;
    let result = fs::write(&temp, bytes).and_then(|()| fs::rename(&temp, path));
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

/// The temporary file a report is written to before it is renamed over `path`: hidden, beside
/// it, named after this process.
fn temp_path(path: &Path) -> io::Result<PathBuf> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file path"))?;
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(name);
    temp_name.push(format!(".{}.tmp", std::process::id()));
    Ok(path.with_file_name(temp_name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_report_replaces_the_file() {
        let dir = std::env::temp_dir().join(format!("sluice-report-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("outcome.json");
        let target = ReportTarget::parse(path.to_str().unwrap());
        target
            .write("stage 1 (t)", b"first, longer report")
            .unwrap();
        target.write("stage 1 (t)", b"second").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second");
        assert_eq!(
            fs::read_dir(&dir).unwrap().count(),
            1,
            "no temporary file left"
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn check_accepts_a_writable_path_and_leaves_nothing_behind() {
        let dir = std::env::temp_dir().join(format!("sluice-report-check-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("report.prom");
        ReportTarget::parse(path.to_str().unwrap()).check().unwrap();
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 0);
        fs::write(&path, b"kept").unwrap();
        ReportTarget::parse(path.to_str().unwrap()).check().unwrap();
        assert_eq!(
            fs::read(&path).unwrap(),
            b"kept",
            "a check does not touch the report"
        );
        let folder = ReportTarget::parse(dir.to_str().unwrap())
            .check()
            .unwrap_err();
        assert_eq!(folder.kind(), io::ErrorKind::IsADirectory);
        assert!(ReportTarget::Stderr.check().is_ok());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_report_to_a_missing_directory_fails() {
        let missing = ReportTarget::parse("/nonexistent-sluice-dir/report").check();
        assert_eq!(missing.unwrap_err().kind(), io::ErrorKind::NotFound);
        let target = ReportTarget::parse("/nonexistent-sluice-dir/report");
        assert!(target.write("stage 1 (t)", b"x").is_err());
    }
}
