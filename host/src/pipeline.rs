//! [`Pipeline`]: bytes in, lines through the chain, bytes out.
//!
//! The loop, per input: ask [`next_frame`] what the pending bytes allow; hand complete lines
//! to the chain as one batch, cut a window off an over-long line, or — when nothing can be
//! handed on — flush the output and read once more. Reading happens only when the pending
//! bytes are used up, and the output is flushed *before* every read that may block, so a line
//! written to sluice's stdin comes out at once, however slowly the input trickles in: no
//! polling interval, no batch that waits to fill up.
//!
//! Time enters in three places. A stage may ask to be ticked at a deadline (a multiline block
//! flushed after a quiet spell): due ticks run before each batch, and a read that may block
//! waits for input only until the next deadline (`poll(2)` on standard input). A stage may
//! hold input back (a rate limiter delaying lines): the loop then sleeps to its deadline and
//! ticks it before reading on. And with `--follow`, files are polled for new bytes every
//! [`FOLLOW_POLL`] ([`crate::follow`]), each with its own buffer so lines of different files
//! never mix; while one file's over-long line passes in pieces, the other files wait for its
//! end.
//!
//! When no stage changes a batch and the output is raw, its bytes (lines and terminators as
//! read) are written as they are; a chain with no stages is a copy from input to output.

use std::fmt;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Result;

use crate::chain::{Chain, Position};
use crate::follow::{Change, FollowedFile};
use crate::format::{Formatter, OutputFormat};
use crate::framing::{Frame, Limits, Terminator, next_frame};
use crate::line_buffer::LineBuffer;
use crate::lines::Lines;

/// How often followed files are polled for new bytes when none had any.
pub const FOLLOW_POLL: Duration = Duration::from_millis(25);

/// The output is written to the sink once this many bytes are buffered (and before any read).
const OUTPUT_FLUSH_BYTES: usize = 256 << 10;

/// How a pipeline splits, batches and reads.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// Lines whose content is longer are cut into windows. By default, 64 KiB.
    pub max_line_bytes: usize,
    /// How many bytes at the end of a window are kept and joined to the line's next bytes, so
    /// that a boundary-safe stage sees a match straddling the cut. Must be smaller than
    /// `max_line_bytes`. By default, 1 KiB.
    pub boundary_overlap: usize,
    /// The most lines in a batch. By default, 1024.
    pub max_batch_lines: usize,
    /// A batch stops growing at this many bytes. By default, 256 KiB.
    pub max_batch_bytes: usize,
    /// The most bytes asked of one read. By default, 256 KiB.
    pub read_size: usize,
    /// How lines are written. By default, raw.
    pub format: OutputFormat,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            max_line_bytes: 64 << 10,
            boundary_overlap: 1 << 10,
            max_batch_lines: 1024,
            max_batch_bytes: 256 << 10,
            read_size: 256 << 10,
            format: OutputFormat::Raw,
        }
    }
}

impl Settings {
    /// Checks the settings against each other; the error names the option at fault.
    pub fn check(&self) -> Result<(), String> {
        if self.max_line_bytes == 0 {
            return Err("--max-line-bytes must be at least 1".into());
        }
        if self.boundary_overlap >= self.max_line_bytes {
            return Err(format!(
                "--boundary-overlap ({}) must be smaller than --max-line-bytes ({})",
                self.boundary_overlap, self.max_line_bytes
            ));
        }
        if self.max_line_bytes > u32::MAX as usize / 4 {
            return Err(format!(
                "--max-line-bytes ({}) must be at most {}",
                self.max_line_bytes,
                u32::MAX / 4
            ));
        }
        Ok(())
    }
}

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
}

impl fmt::Display for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Input::Stdin => f.write_str("<stdin>"),
            Input::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// Why a run stopped early.
#[derive(Debug)]
pub enum RunError {
    /// A stage failed; the message names it and the input position.
    Stage(anyhow::Error),
    /// Writing the output failed. A broken pipe is reported here too; the caller decides that
    /// it is a quiet end.
    Output(io::Error),
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Stage(err) => write!(f, "{err:#}"),
            RunError::Output(err) => write!(f, "cannot write the output: {err}"),
        }
    }
}

impl std::error::Error for RunError {}

/// A reader of one input that can wait, with a timeout, for bytes to read.
enum Source {
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
    fn wait_readable(&self, timeout: Duration) -> bool {
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
struct Reading {
    /// The input's name for messages (`<stdin>` or the path).
    name: String,
    /// What stages see as the source (`-` or the path).
    source: String,
    buffer: LineBuffer,
    /// Lines of this input handed on so far.
    line: u64,
    /// True while an over-long line of this input is being handed on in pieces: until its
    /// last piece, no other input's lines may enter the chain (stages keep one line's state).
    mid_line: bool,
}

impl Reading {
    fn new(input: &Input, settings: &Settings) -> Reading {
        Reading {
            name: input.to_string(),
            source: input.source(),
            // Pending bytes never exceed a line cap plus a possible `\r\n`; see `framing`.
            buffer: LineBuffer::new(settings.max_line_bytes + 2, settings.read_size),
            line: 0,
            mid_line: false,
        }
    }
}

/// The whole path from input bytes to output bytes.
pub struct Pipeline {
    settings: Settings,
    limits: Limits,
    emitter: Emitter,
    /// True when inputs are copied in bulk ([`Pipeline::copy_input`]): the chain is empty and
    /// the output raw.
    bulk_copy: bool,
}

/// The part of the pipeline that owns the chain and the output; split from the inputs so that
/// lines can be borrowed from an input's buffer while the chain runs.
struct Emitter {
    chain: Chain,
    overlap: usize,
    formatter: Formatter,
    /// The batch being run through the chain; reused.
    batch: Lines,
    /// The tail of the last window, on its way back into the buffer; reused.
    tail: Vec<u8>,
    /// Output not yet written to the sink.
    out: Vec<u8>,
    /// Where each line of the current frame ends, as `next_frame` records it; reused.
    line_ends: Vec<u32>,
}

impl Pipeline {
    /// A pipeline running `chain` with `settings`, which must pass [`Settings::check`].
    pub fn new(chain: Chain, settings: Settings) -> Pipeline {
        debug_assert_eq!(settings.check(), Ok(()));
        let limits = Limits {
            max_line_bytes: settings.max_line_bytes,
            max_batch_lines: settings.max_batch_lines.max(1),
            max_batch_bytes: settings.max_batch_bytes.max(1),
        };
        Pipeline {
            bulk_copy: chain.is_empty() && settings.format == OutputFormat::Raw,
            settings,
            limits,
            emitter: Emitter {
                chain,
                overlap: settings.boundary_overlap,
                formatter: Formatter::new(settings.format),
                batch: Lines::default(),
                tail: Vec::new(),
                out: Vec::with_capacity(OUTPUT_FLUSH_BYTES * 2),
                line_ends: Vec::new(),
            },
        }
    }

    /// Runs every input through the chain in order, then finishes the chain, writing to
    /// `sink` as it goes. An input that cannot be opened or read is reported to
    /// `input_error` and skipped (what was read of it is kept); the others still run.
    pub fn run(
        &mut self,
        inputs: &[Input],
        sink: &mut dyn Write,
        input_error: &mut dyn FnMut(&Input, io::Error),
    ) -> Result<(), RunError> {
        let result = self.run_all(inputs, sink, input_error);
        if let Err(RunError::Stage(_)) = result {
            // What the chain finished before the failure is still written: no silent loss.
            let _ = self.emitter.flush(sink);
        }
        result
    }

    /// Follows `files` like `tail -F`: reads each from its start, then polls them for new
    /// bytes and across rotations, forever (until the output closes or a stage fails).
    /// Errors opening or reading a file are reported to `input_error` once per kind of
    /// trouble; the file is retried.
    pub fn follow(
        &mut self,
        files: &[PathBuf],
        sink: &mut dyn Write,
        input_error: &mut dyn FnMut(&Input, io::Error),
    ) -> Result<(), RunError> {
        let result = self.follow_all(files, sink, input_error);
        if let Err(RunError::Stage(_)) = result {
            let _ = self.emitter.flush(sink);
        }
        result
    }

    fn run_all(
        &mut self,
        inputs: &[Input],
        sink: &mut dyn Write,
        input_error: &mut dyn FnMut(&Input, io::Error),
    ) -> Result<(), RunError> {
        for input in inputs {
            let mut source = match input {
                Input::Stdin => Source::Stdin(io::stdin().lock()),
                Input::File(path) => match File::open(path) {
                    Ok(file) => Source::File(file),
                    Err(err) => {
                        input_error(input, err);
                        continue;
                    }
                },
            };
            let mut reading = Reading::new(input, &self.settings);
            if let Err(err) = self.run_input(&mut source, &mut reading, sink)? {
                input_error(input, err);
            }
        }
        let Emitter {
            chain,
            out,
            formatter,
            ..
        } = &mut self.emitter;
        chain
            .finish(&mut |lines| formatter.write(lines, out))
            .map_err(RunError::Stage)?;
        self.emitter.flush(sink)?;
        sink.flush().map_err(RunError::Output)
    }

    /// Runs one input to its end. The outer error stops the run; the inner one is a read
    /// error, after which what was read is still processed.
    fn run_input(
        &mut self,
        source: &mut Source,
        reading: &mut Reading,
        sink: &mut dyn Write,
    ) -> Result<io::Result<()>, RunError> {
        if self.bulk_copy {
            return self.copy_input(source, &mut reading.buffer, sink);
        }
        let mut read_error = None;
        loop {
            self.drain(reading, sink)?;
            if reading.buffer.is_eof() {
                break;
            }
            // About to read, which may block: everything handed on so far goes out first,
            // and due ticks run while waiting.
            self.emitter.flush(sink)?;
            while let Some(deadline) = self.emitter.chain.next_deadline() {
                let now = Instant::now();
                if deadline <= now {
                    self.emitter.tick_due(now)?;
                    self.emitter.flush(sink)?;
                } else if source.wait_readable(deadline - now) {
                    break;
                }
            }
            if let Err(err) = reading.buffer.fill(source) {
                read_error = Some(err);
                reading.buffer.set_eof();
            }
        }
        Ok(read_error.map_or(Ok(()), Err))
    }

    /// Hands on every frame the pending bytes of `reading` allow (at its end, all of them),
    /// then returns: more bytes are needed.
    fn drain(&mut self, reading: &mut Reading, sink: &mut dyn Write) -> Result<(), RunError> {
        loop {
            let frame = next_frame(
                reading.buffer.pending(),
                reading.buffer.is_eof(),
                &self.limits,
                &mut self.emitter.line_ends,
            );
            if !matches!(frame, Frame::Wait) && self.emitter.chain.next_deadline().is_some() {
                self.emitter.tick_due(Instant::now())?;
            }
            let first = reading.line + 1;
            match frame {
                Frame::Lines { len, count } => {
                    let at = Position::Lines {
                        input: &reading.name,
                        first,
                        last: reading.line + count as u64,
                    };
                    let raw = &reading.buffer.pending()[..len];
                    self.emitter.lines(raw, &reading.source, at, sink)?;
                    reading.buffer.consume(len);
                    reading.line += count as u64;
                    reading.mid_line = false;
                }
                Frame::Last => {
                    let at = Position::Lines {
                        input: &reading.name,
                        first,
                        last: first,
                    };
                    let len = reading.buffer.pending().len();
                    self.emitter.line_ends.clear();
                    self.emitter.line_ends.push(len as u32);
                    let raw = reading.buffer.pending();
                    self.emitter.lines(raw, &reading.source, at, sink)?;
                    reading.buffer.consume(len);
                    reading.line += 1;
                    reading.mid_line = false;
                }
                Frame::Window => {
                    let at = Position::Piece {
                        input: &reading.name,
                        line: first,
                    };
                    let cap = self.limits.max_line_bytes;
                    self.emitter
                        .window(&mut reading.buffer, &reading.source, cap, at)?;
                    reading.mid_line = true;
                }
                Frame::Wait => return Ok(()),
            }
            self.emitter.wait_while_held(sink)?;
            if self.emitter.out.len() >= OUTPUT_FLUSH_BYTES {
                self.emitter.flush(sink)?;
            }
        }
    }

    /// [`Pipeline::run_input`] for a chain with no stage and raw output: nothing looks at
    /// single lines, so complete lines are copied through in bulk, up to the last terminator
    /// read so far (one `memrchr` per read instead of one `memchr` per line). The bytes and
    /// the moments they are written are the same as with the line loop; an over-long line is
    /// written in pieces as it arrives, so memory stays bounded.
    fn copy_input(
        &mut self,
        rdr: &mut dyn Read,
        buffer: &mut LineBuffer,
        sink: &mut dyn Write,
    ) -> Result<io::Result<()>, RunError> {
        let cap = self.limits.max_line_bytes;
        let mut read_error = None;
        loop {
            let pending = buffer.pending();
            let len = if buffer.is_eof() || pending.len() > cap {
                pending.len()
            } else {
                memchr::memrchr(b'\n', pending).map_or(0, |i| i + 1)
            };
            if len > 0 {
                sink.write_all(&pending[..len])
                    .and_then(|()| sink.flush())
                    .map_err(RunError::Output)?;
                buffer.consume(len);
            }
            if buffer.is_eof() {
                return Ok(read_error.map_or(Ok(()), Err));
            }
            if let Err(err) = buffer.fill(rdr) {
                read_error = Some(err);
                buffer.set_eof();
            }
        }
    }

    fn follow_all(
        &mut self,
        paths: &[PathBuf],
        sink: &mut dyn Write,
        input_error: &mut dyn FnMut(&Input, io::Error),
    ) -> Result<(), RunError> {
        struct Followed {
            input: Input,
            file: FollowedFile,
            reading: Reading,
            /// The last error reported for this file, so that a retry does not repeat it.
            reported: Option<io::ErrorKind>,
        }
        let mut followed = Vec::with_capacity(paths.len());
        for path in paths {
            let input = Input::File(path.clone());
            let reading = Reading::new(&input, &self.settings);
            let (file, reported) = match FollowedFile::new(path.clone()) {
                Ok(file) => {
                    if !file.is_open() {
                        let err = io::Error::new(
                            io::ErrorKind::NotFound,
                            "no such file yet; waiting for it to appear",
                        );
                        input_error(&input, err);
                    }
                    let reported = (!file.is_open()).then_some(io::ErrorKind::NotFound);
                    (file, reported)
                }
                Err(err) => {
                    input_error(&input, err);
                    continue;
                }
            };
            followed.push(Followed {
                input,
                file,
                reading,
                reported,
            });
        }
        loop {
            let mut got_bytes = false;
            for i in 0..followed.len() {
                // While one file's over-long line is passing in pieces, only that file is read,
                // so that no other file's lines reach the stages between its pieces.
                if !followed[i].reading.mid_line && followed.iter().any(|f| f.reading.mid_line) {
                    continue;
                }
                let f = &mut followed[i];
                // Read what there is, handing lines on as they complete.
                loop {
                    match f.reading.buffer.fill(&mut f.file) {
                        Ok(0) => {
                            f.reading.buffer.clear_eof();
                            break;
                        }
                        Ok(_) => got_bytes = true,
                        Err(err) => {
                            if f.reported != Some(err.kind()) {
                                f.reported = Some(err.kind());
                                input_error(&f.input, err);
                            }
                            break;
                        }
                    }
                    self.drain(&mut f.reading, sink)?;
                }
                let change = match f.file.check() {
                    Ok(change) => change,
                    Err(err) => {
                        if f.reported != Some(err.kind()) {
                            f.reported = Some(err.kind());
                            input_error(&f.input, err);
                        }
                        continue;
                    }
                };
                if change == Change::Replaced {
                    // The old file was read to its end above; its last line, even without
                    // a terminator, is complete now.
                    f.reading.buffer.set_eof();
                    self.drain(&mut f.reading, sink)?;
                    f.reading.buffer.reset();
                    match f.file.reopen() {
                        Ok(()) => f.reported = None,
                        Err(err) => {
                            if f.reported != Some(err.kind()) {
                                f.reported = Some(err.kind());
                                input_error(&f.input, err);
                            }
                        }
                    }
                    got_bytes = true;
                }
            }
            self.emitter.flush(sink)?;
            if got_bytes {
                continue;
            }
            let mut wait = FOLLOW_POLL;
            if let Some(deadline) = self.emitter.chain.next_deadline() {
                let now = Instant::now();
                if deadline <= now {
                    self.emitter.tick_due(now)?;
                    self.emitter.flush(sink)?;
                    continue;
                }
                wait = wait.min(deadline - now);
            }
            std::thread::sleep(wait);
        }
    }
}

impl Emitter {
    /// Runs complete lines (`raw`, terminators included, ending at `self.line_ends`) through
    /// the chain and queues the result for output. A batch no stage changed is written as it
    /// was read, when the output is raw.
    fn lines(
        &mut self,
        raw: &[u8],
        source: &str,
        at: Position<'_>,
        sink: &mut dyn Write,
    ) -> Result<(), RunError> {
        self.batch.clear();
        self.batch.set_source(source);
        self.batch.push_framed(raw, &self.line_ends);
        self.formatter.saw_input(&self.batch);
        let changed = self
            .chain
            .run(&mut self.batch, 0, at)
            .map_err(RunError::Stage)?;
        if changed || self.formatter.format() != OutputFormat::Raw {
            self.formatter.write(&self.batch, &mut self.out);
        } else if self.out.is_empty() {
            sink.write_all(raw).map_err(RunError::Output)?;
            self.formatter.wrote_raw(raw);
        } else {
            self.out.extend_from_slice(raw);
            self.formatter.wrote_raw(raw);
        }
        Ok(())
    }

    /// Force-flushes the first `cap` pending bytes, which belong to a line too long to hold.
    fn window(
        &mut self,
        buffer: &mut LineBuffer,
        source: &str,
        cap: usize,
        at: Position<'_>,
    ) -> Result<(), RunError> {
        let window = &mut self.batch;
        window.clear();
        window.set_source(source);
        window.push(&buffer.pending()[..cap], Terminator::None, true);
        self.chain.run_window(window, at).map_err(RunError::Stage)?;

        // Keep the last `overlap` bytes (as the boundary-safe stages left them) for the next
        // window; the rest is a partial piece.
        let seen = window.line(0);
        let head_len = seen.len().saturating_sub(self.overlap);
        self.tail.clear();
        self.tail.extend_from_slice(&seen[head_len..]);
        buffer.replace_front(cap, &self.tail);
        if head_len == 0 {
            return Ok(());
        }
        window.data.truncate(head_len);
        window.ends[0] = head_len as u32;

        let rest = self.chain.boundary_safe_prefix();
        self.chain.run(window, rest, at).map_err(RunError::Stage)?;
        self.formatter.write(window, &mut self.out);
        Ok(())
    }

    /// Ticks the stages whose deadline has passed and queues what they emit.
    fn tick_due(&mut self, now: Instant) -> Result<(), RunError> {
        let Emitter {
            chain,
            out,
            formatter,
            ..
        } = self;
        chain
            .tick_due(now, &mut |lines| formatter.write(lines, out))
            .map_err(RunError::Stage)
    }

    /// While a stage holds input back, writes what is queued, sleeps to its deadline and ticks.
    fn wait_while_held(&mut self, sink: &mut dyn Write) -> Result<(), RunError> {
        while self.chain.holds() {
            self.flush(sink)?;
            if let Some(deadline) = self.chain.next_deadline() {
                let now = Instant::now();
                if deadline > now {
                    std::thread::sleep(deadline - now);
                }
            }
            self.tick_due(Instant::now())?;
        }
        Ok(())
    }

    /// Writes the queued output to `sink` and flushes it (batches written straight to the sink
    /// may sit in its buffer too).
    fn flush(&mut self, sink: &mut dyn Write) -> Result<(), RunError> {
        if !self.out.is_empty() {
            sink.write_all(&self.out).map_err(RunError::Output)?;
            self.out.clear();
        }
        sink.flush().map_err(RunError::Output)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that returns at most the next chunk size per read, cycling through `sizes`.
    struct Trickle<'a> {
        data: &'a [u8],
        sizes: Vec<usize>,
        turn: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let size = self.sizes[self.turn % self.sizes.len()];
            self.turn += 1;
            let n = size.min(out.len()).min(self.data.len());
            out[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    /// Runs `input` through an empty chain, read in chunks of `sizes`, by the line loop or
    /// the bulk copy.
    fn run(input: &[u8], sizes: &[usize], settings: Settings, bulk_copy: bool) -> Vec<u8> {
        let mut pipeline = Pipeline::new(Chain::new(Vec::new()), settings);
        let mut out = Vec::new();
        let mut rdr = Trickle {
            data: input,
            sizes: sizes.to_vec(),
            turn: 0,
        };
        let mut reading = Reading::new(&Input::Stdin, &settings);
        if bulk_copy {
            pipeline
                .copy_input(&mut rdr, &mut reading.buffer, &mut out)
                .unwrap()
                .unwrap();
        } else {
            loop {
                pipeline.drain(&mut reading, &mut out).unwrap();
                if reading.buffer.is_eof() {
                    break;
                }
                reading.buffer.fill(&mut rdr).unwrap();
            }
        }
        pipeline.emitter.flush(&mut out).unwrap();
        out
    }

    fn small(cap: usize, overlap: usize) -> Settings {
        Settings {
            max_line_bytes: cap,
            boundary_overlap: overlap,
            max_batch_lines: 3,
            max_batch_bytes: 40,
            read_size: 7,
            format: OutputFormat::Raw,
        }
    }

    #[test]
    fn output_does_not_depend_on_how_reads_split_the_input() {
        let input: &[u8] =
            b"short\r\n\nexactly-ten\nthis line is well over the cap\r\nlone\rcr\n\xff\0tail";
        for (cap, overlap) in [(10, 0), (10, 3), (10, 9), (1, 0), (64, 16)] {
            for sizes in [&[1][..], &[2, 5], &[7], &[3, 1, 4, 1, 5]] {
                for bulk_copy in [false, true] {
                    assert_eq!(
                        run(input, sizes, small(cap, overlap), bulk_copy),
                        input,
                        "cap {cap} overlap {overlap} reads {sizes:?} bulk {bulk_copy}"
                    );
                }
            }
        }
    }

    #[test]
    fn empty_input_gives_empty_output() {
        assert_eq!(run(b"", &[4], small(8, 2), false), b"");
        assert_eq!(run(b"", &[4], small(8, 2), true), b"");
    }

    #[test]
    fn settings_check() {
        assert_eq!(Settings::default().check(), Ok(()));
        assert!(
            small(8, 8)
                .check()
                .unwrap_err()
                .contains("--boundary-overlap (8)")
        );
        assert!(small(0, 0).check().unwrap_err().contains("at least 1"));
    }
}
