//! How the host speaks on stderr, in colour where colour is wanted: its own warnings and the
//! failures a run survives, and the lines of a plugin's own text (its reports, its WASI
//! output), which carry the stage's label in a colour of their own so that they never pass for
//! sluice's words.
//!
//! The choice of colour is the process's (the `colorchoice` crate's, which the CLI sets from
//! `--color` and `NO_COLOR`); [`anstream`] applies it and drops the styles when stderr is not
//! a terminal, so what a pipe or a file gets is the same plain text as without colour.
//!
//! Everything the host says goes through [`speak`], which runs it inside what the CLI set
//! with [`set_around`]: while a progress bar is drawn on stderr, the bar is cleared for the
//! lines and drawn again after them, so that a line never starts after the bar's text.

use std::fmt::Display;
use std::io::{self, Write};
use std::sync::{Arc, Mutex};

use anstyle::{AnsiColor, Style};

/// The `sluice:` of an error.
pub const ERROR: Style = AnsiColor::Red.on_default().bold();

/// The `sluice: warning:` of a warning.
pub const WARNING: Style = AnsiColor::Yellow.on_default().bold();

/// The label in front of a line of a plugin's own text.
pub const PLUGIN_LABEL: Style = AnsiColor::Cyan.on_default();

/// Standard error, styled as the process's colour choice says.
pub(crate) type Stderr = anstream::AutoStream<io::StderrLock<'static>>;

/// Runs a write to stderr: see [`set_around`].
pub type Around = dyn Fn(&mut dyn FnMut()) + Send + Sync;

/// What [`speak`] runs its writes inside, when set.
static AROUND: Mutex<Option<Arc<Around>>> = Mutex::new(None);

/// Sets what every write of the host to stderr runs inside, or clears it: `around` gets the
/// write and must call it once (a progress bar hides itself, calls it, and shows itself again:
/// `ProgressBar::suspend`).
pub fn set_around(around: Option<Arc<Around>>) {
    *AROUND
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner()) = around;
}

/// Writes to stderr with `write`, inside what [`set_around`] set.
pub(crate) fn speak<T>(write: impl FnOnce(&mut Stderr) -> T) -> T {
    let around = AROUND
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone();
    let (mut write, mut out) = (Some(write), None);
    let mut run = || {
        if let Some(write) = write.take() {
            out = Some(write(&mut anstream::AutoStream::auto(io::stderr().lock())));
        }
    };
    if let Some(around) = around {
        around(&mut run);
    }
    // Once more, for a hook that did not call it: then it runs here.
    run();
    out.expect("the write ran")
}

/// `sluice: warning: MESSAGE`.
pub(crate) fn warning(message: impl Display) {
    speak(|err| {
        let _ = writeln!(err, "{WARNING}sluice: warning:{WARNING:#} {message}");
    });
}

/// `sluice: MESSAGE`, for a failure the run goes on after.
pub fn error(message: impl Display) {
    speak(|err| {
        let _ = writeln!(err, "{ERROR}sluice:{ERROR:#} {message}");
    });
}

/// `LABEL: TEXT`, one line of a plugin's text, already made safe to show
/// ([`crate::plugin_text::plugin_line`]).
pub(crate) fn plugin_line(out: &mut impl Write, label: &str, text: &str) -> io::Result<()> {
    writeln!(out, "{PLUGIN_LABEL}{label}:{PLUGIN_LABEL:#} {text}")
}
