//! How the host speaks on stderr, in colour where colour is wanted: its own warnings and the
//! failures a run survives, and the lines of a plugin's own text (its reports, its WASI
//! output), which carry the stage's label in a colour of their own so that they never pass for
//! sluice's words.
//!
//! The choice of colour is the process's (the `colorchoice` crate's, which the CLI sets from
//! `--color` and `NO_COLOR`); [`anstream`] applies it and drops the styles when stderr is not
//! a terminal, so what a pipe or a file gets is the same plain text as without colour.

use std::fmt::Display;
use std::io::{self, Write};

use anstyle::{AnsiColor, Style};

/// The `sluice:` of an error.
pub const ERROR: Style = AnsiColor::Red.on_default().bold();

/// The `sluice: warning:` of a warning.
pub const WARNING: Style = AnsiColor::Yellow.on_default().bold();

/// The label in front of a line of a plugin's own text.
pub const PLUGIN_LABEL: Style = AnsiColor::Cyan.on_default();

/// Standard error, styled as the process's colour choice says.
pub(crate) fn stderr() -> anstream::AutoStream<io::StderrLock<'static>> {
    anstream::AutoStream::auto(io::stderr().lock())
}

/// `sluice: warning: MESSAGE`.
pub(crate) fn warning(message: impl Display) {
    let _ = writeln!(stderr(), "{WARNING}sluice: warning:{WARNING:#} {message}");
}

/// `sluice: MESSAGE`, for a failure the run goes on after.
pub(crate) fn error(message: impl Display) {
    let _ = writeln!(stderr(), "{ERROR}sluice:{ERROR:#} {message}");
}

/// `LABEL: TEXT`, one line of a plugin's text, already made safe to show
/// ([`crate::plugin_text::plugin_line`]).
pub(crate) fn plugin_line(out: &mut impl Write, label: &str, text: &str) -> io::Result<()> {
    writeln!(out, "{PLUGIN_LABEL}{label}:{PLUGIN_LABEL:#} {text}")
}
