//! Inputs: what the user named ([`Input`]), the reader of one ([`Source`]) and how to wait for
//! it ([`Waiter`]: until it is readable, a deadline passes or a stop is requested), and the
//! state of one input being read ([`Reading`]): its buffer of bytes not yet handed on and how
//! far it is.
//!
//! A compressed input is read through its decoder ([`crate::decompress`]): a regular file is
//! sniffed when it is opened, a pipe on its first read. A compressed file's position is not
//! kept (`--positions` counts bytes of the file, and the lines are bytes of what it holds): it
//! is read whole each run.

use std::cell::Cell;
use std::ffi::OsStr;
use std::fmt;
use std::fs::File;
use std::io::{self, Read, Seek};
use std::os::fd::{AsRawFd, RawFd};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use crate::decompress::{self, Codec, Decoded, Sniffing};
use crate::line_buffer::LineBuffer;
use crate::positions::Positions;
use crate::settings::Settings;
use crate::stats::RunCounters;
use crate::stop::{StopRequest, poll_readable};

/// One input: standard input or a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    Stdin,
    File(PathBuf),
}

impl Input {
    /// `-` is standard input; anything else a file path (any name the OS accepts).
    pub fn from_arg(arg: impl AsRef<OsStr>) -> Input {
        let arg = arg.as_ref();
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

    /// Opens the input for reading, through its decoder when `decompress` and it is
    /// compressed; a file that was opened already when `opened` is given (see
    /// [`crate::read_ahead`]). The bytes read from it, as stored, are counted in `counters`.
    pub(crate) fn open(
        &self,
        opened: Option<io::Result<File>>,
        decompress: bool,
        counters: &Arc<RunCounters>,
    ) -> io::Result<Source> {
        let (bytes, fd) = match self {
            Input::Stdin => (RawBytes::Stdin(io::stdin().lock()), libc::STDIN_FILENO),
            Input::File(path) => {
                let file = match opened {
                    Some(opened) => opened?,
                    None => File::open(path)?,
                };
                let fd = file.as_raw_fd();
                (RawBytes::File(file), fd)
            }
        };
        let regular = is_regular_file(fd);
        let decoded = Rc::new(Cell::new(false));
        let counted = |bytes| Raw {
            bytes,
            counters: Arc::clone(counters),
        };
        let reader = match bytes {
            RawBytes::File(mut file) if regular && decompress => {
                match decompress::sniff_file(&mut file)? {
                    Some(codec) => {
                        decoded.set(true);
                        let raw = counted(RawBytes::File(file));
                        Reader::Decoded(Decoded::new(codec, raw)?, codec)
                    }
                    None => Reader::Raw(counted(RawBytes::File(file))),
                }
            }
            // Standard input (a pipe, or a file redirected to it) and other files that are not
            // regular: decided on the first read.
            bytes if decompress => {
                Reader::Sniffing(Sniffing::new(counted(bytes), Rc::clone(&decoded)))
            }
            bytes => Reader::Raw(counted(bytes)),
        };
        Ok(Source {
            reader,
            blocking_fd: (!regular).then_some(fd),
            decoded,
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

/// A reader of one input, and whether a read of it may block.
pub(crate) struct Source {
    reader: Reader,
    /// The descriptor to wait on before a read, when a read may block (a pipe, a terminal, a
    /// socket); `None` for a regular file, whose reads never block.
    blocking_fd: Option<RawFd>,
    /// Set once the input is known to be compressed: its decoder may hold bytes while the
    /// descriptor has none ready, so the descriptor is no longer waited on.
    decoded: Rc<Cell<bool>>,
}

/// An input's bytes as they are stored, counted as they are read (`--stats`, the progress
/// bar).
struct Raw {
    bytes: RawBytes,
    counters: Arc<RunCounters>,
}

enum RawBytes {
    Stdin(io::StdinLock<'static>),
    File(File),
}

impl Read for Raw {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = match &mut self.bytes {
            RawBytes::Stdin(stdin) => stdin.read(buf),
            RawBytes::File(file) => file.read(buf),
        }?;
        self.counters.read_bytes(n as u64);
        Ok(n)
    }
}

enum Reader {
    /// Read as it is (plain, or `--no-decompress`).
    Raw(Raw),
    /// A regular file found compressed when opened.
    Decoded(Decoded, Codec),
    /// A pipe, compressed or not: decided on its first read.
    Sniffing(Sniffing<Raw>),
}

impl Read for Source {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match &mut self.reader {
            Reader::Raw(raw) => raw.read(buf),
            Reader::Decoded(decoded, _) => decoded.read(buf),
            Reader::Sniffing(sniffing) => sniffing.read(buf),
        }
    }
}

impl Source {
    /// The file read, when it is a regular file read as it is: the only kind with a position
    /// to resume.
    pub(crate) fn regular_file(&self) -> Option<&File> {
        match &self.reader {
            Reader::Raw(Raw {
                bytes: RawBytes::File(file),
                ..
            }) if self.blocking_fd.is_none() => Some(file),
            _ => None,
        }
    }

    /// The codec of a regular file found compressed when it was opened.
    pub(crate) fn compressed_file(&self) -> Option<Codec> {
        match &self.reader {
            Reader::Decoded(_, codec) => Some(*codec),
            _ => None,
        }
    }

    /// Moves the reading offset of a regular file read as it is to `offset`; the bytes
    /// skipped count as read.
    pub(crate) fn seek_to(&mut self, offset: u64) -> io::Result<()> {
        if let Reader::Raw(raw) = &mut self.reader
            && let RawBytes::File(file) = &mut raw.bytes
        {
            let from = file.stream_position()?;
            file.seek(io::SeekFrom::Start(offset))?;
            raw.counters.read_bytes(offset.saturating_sub(from));
        }
        Ok(())
    }

    /// What waits for this input to be readable, or for `stop`.
    pub(crate) fn waiter(&self, stop: &StopRequest) -> Waiter {
        Waiter {
            fd: self.blocking_fd,
            decoded: Rc::clone(&self.decoded),
            stop: stop.clone(),
        }
    }
}

/// Whether `fd` is a regular file (fstat fails: not one, to be safe: it is then waited on).
fn is_regular_file(fd: RawFd) -> bool {
    let mut stat = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: `stat` is a valid place for fstat to write a `struct stat`; it is read only when
    // the call succeeded, and so initialised it.
    unsafe {
        libc::fstat(fd, stat.as_mut_ptr()) == 0
            && stat.assume_init().st_mode & libc::S_IFMT == libc::S_IFREG
    }
}

/// What a wait for input ended with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Wait {
    /// A read will not block (bytes, the end, or an error the read will report).
    Ready,
    /// The timeout passed, or a signal interrupted the wait: look again.
    TimedOut,
    /// The run was asked to stop.
    Stopped,
}

/// Waits for one input to be readable, or for a stop request, whichever comes first.
pub(crate) struct Waiter {
    /// The input's descriptor, when a read of it may block.
    fd: Option<RawFd>,
    /// Set once the input turned out compressed: then the descriptor says nothing about the
    /// bytes its decoder holds, and a read is tried at once (it waits for input only when the
    /// decoder needs more).
    decoded: Rc<Cell<bool>>,
    stop: StopRequest,
}

impl Waiter {
    /// A waiter for an input that never blocks, with no stop request: always ready.
    #[cfg(test)]
    pub(crate) fn never_blocks() -> Waiter {
        Waiter {
            fd: None,
            decoded: Rc::new(Cell::new(false)),
            stop: StopRequest::never(),
        }
    }

    /// True when a read would not block now and no stop is requested.
    pub(crate) fn ready_now(&self) -> bool {
        self.wait(Some(Duration::ZERO)) == Wait::Ready
    }

    /// Waits until a read would not block, `timeout` passes (`None`: no limit), or a stop is
    /// requested. Without a stop descriptor to wait on, an unlimited wait is left to the read.
    pub(crate) fn wait(&self, timeout: Option<Duration>) -> Wait {
        if self.stop.is_requested() {
            return Wait::Stopped;
        }
        let Some(fd) = self.fd.filter(|_| !self.decoded.get()) else {
            return Wait::Ready;
        };
        match (self.stop.wake_fd(), timeout) {
            (Some(wake), _) => match poll_readable(&[fd, wake], timeout) {
                [_, true] => Wait::Stopped,
                [true, false] => Wait::Ready,
                [false, false] => Wait::TimedOut,
            },
            (None, None) => Wait::Ready,
            (None, Some(_)) => match poll_readable(&[fd], timeout) {
                [true] => Wait::Ready,
                [false] => Wait::TimedOut,
            },
        }
    }
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
    /// This input's entry in the [`Positions`], when its position is kept (a regular file,
    /// with `--positions`).
    pub(crate) tracked: Option<usize>,
    /// The offset in the input just past the bytes read: where the pending bytes end.
    /// Invariant: at least `buffer.pending().len()`.
    pub(crate) read_to: u64,
    /// Where the over-long line being handed on in pieces started (while `mid_line`).
    pub(crate) line_start: u64,
}

impl Reading {
    pub(crate) fn new(input: &Input, settings: &Settings) -> Reading {
        Reading {
            name: input.to_string(),
            source: input.source(),
            buffer: LineBuffer::new(settings.max_line_bytes + 2, settings.read_size),
            line: 0,
            mid_line: false,
            tracked: None,
            read_to: 0,
            line_start: 0,
        }
    }

    /// Reads once from `rdr` into the buffer ([`LineBuffer::fill`]), keeping track of the
    /// offset, and telling `positions` what was read when this input is tracked.
    pub(crate) fn fill<R: Read + ?Sized>(
        &mut self,
        rdr: &mut R,
        positions: Option<&mut Positions>,
    ) -> io::Result<usize> {
        let n = self.buffer.fill(rdr)?;
        if let (Some(index), Some(positions)) = (self.tracked, positions) {
            let pending = self.buffer.pending();
            positions.read(index, self.read_to, &pending[pending.len() - n..]);
        }
        self.read_to += n as u64;
        Ok(n)
    }

    /// Where the pending bytes start in the input. Exact unless the front of an over-long
    /// line was put back rewritten (`LineBuffer::replace_front`): offsets are exact counted
    /// from the end of what was read.
    pub(crate) fn pending_at(&self) -> u64 {
        self.read_to
            .saturating_sub(self.buffer.pending().len() as u64)
    }

    /// The input starts over from its start (a followed file replaced or rewritten): what was
    /// pending is dropped.
    pub(crate) fn restart(&mut self) {
        self.buffer.reset();
        self.read_to = 0;
        self.mid_line = false;
    }
}
