//! Inputs: what the user named ([`Input`]), the reader of one ([`Source`]), and the state of
//! one input being read ([`Reading`]): its buffer of bytes not yet handed on and how far it is.

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::PathBuf;
use std::time::Duration;

use crate::line_buffer::LineBuffer;
use crate::settings::Settings;

/// One input: standard input or a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    Stdin,
    File(PathBuf),
}

impl Input {
    /// `-` is standard input; anything else a file path.
    pub fn from_arg(arg: &str) -> Input {
        if arg == "-" {
            Input::Stdin
        } else {
            Input::File(arg.into())
        }
    }

    /// What stages see as the lines' source: the path as given, or `-`.
    fn source(&self) -> String {
        match self {
            Input::Stdin => "-".to_owned(),
            Input::File(path) => path.display().to_string(),
        }
    }

    /// Opens the input for reading.
    pub(crate) fn open(&self) -> io::Result<Source> {
        Ok(match self {
            Input::Stdin => Source::Stdin(io::stdin().lock()),
            Input::File(path) => Source::File(File::open(path)?),
        })
    }
}

impl fmt::Display for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Input::Stdin => f.write_str("<stdin>"),
            Input::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// A reader of one input that can wait, with a timeout, for bytes to read.
pub(crate) enum Source {
    Stdin(io::StdinLock<'static>),
    File(File),
}

impl Read for Source {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Source::Stdin(stdin) => stdin.read(buf),
            Source::File(file) => file.read(buf),
        }
    }
}

impl Source {
    /// Waits until a read would not block or `timeout` passes; true when input is ready. A
    /// file is always ready.
    pub(crate) fn wait_readable(&self, timeout: Duration) -> bool {
        match self {
            Source::File(_) => true,
            Source::Stdin(_) => wait_readable(libc::STDIN_FILENO, timeout),
        }
    }
}

/// `poll(2)` on one descriptor: true when it is readable (or at its end, or in error: the read
/// will tell) before `timeout`.
fn wait_readable(fd: libc::c_int, timeout: Duration) -> bool {
    let mut pollfd = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // Round up, so that a deadline is never missed by a sub-millisecond wait that returns early.
    let ms = timeout.as_micros().div_ceil(1000).min(i32::MAX as u128) as libc::c_int;
    // SAFETY: `pollfd` is a valid, initialised array of one element that outlives the call.
    let ready = unsafe { libc::poll(&mut pollfd, 1, ms) };
    ready != 0
}

/// One input being read: its bytes not yet handed on, and where it is.
pub(crate) struct Reading {
    /// The input's name for messages (`<stdin>` or the path).
    pub(crate) name: String,
    /// What stages see as the source (`-` or the path).
    pub(crate) source: String,
    /// Bytes read and not yet handed on. Invariant: never more than a line cap plus a
    /// possible `\r\n` pending (see `framing`).
    pub(crate) buffer: LineBuffer,
    /// Lines of this input handed on so far.
    pub(crate) line: u64,
    /// True while an over-long line of this input is being handed on in pieces: until its
    /// last piece, no other input's lines may enter the chain (stages keep one line's state).
    pub(crate) mid_line: bool,
}

impl Reading {
    pub(crate) fn new(input: &Input, settings: &Settings) -> Reading {
        Reading {
            name: input.to_string(),
            source: input.source(),
            buffer: LineBuffer::new(settings.max_line_bytes + 2, settings.read_size),
            line: 0,
            mid_line: false,
        }
    }
}
