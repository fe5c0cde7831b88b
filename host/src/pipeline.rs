//! [`Pipeline`]: bytes in, lines through the chain, bytes out.
//!
//! The loop, per input: ask [`next_frame`] what the pending bytes allow; hand complete lines
//! to the chain as one batch, cut a window off an over-long line, or — when nothing can be
//! handed on — flush the output and read once more. Reading happens only when the pending
//! bytes are used up, and the output is flushed *before* every read that may block, so a line
//! written to sluice's stdin comes out at once, however slowly the input trickles in: no
//! polling interval, no batch that waits to fill up.
//!
//! When no stage changes a batch, its raw bytes (lines and terminators as read) are written
//! as they are; a chain with no stages is a copy from input to output through the splitter.

use std::fmt;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::PathBuf;

use anyhow::Result;

use crate::chain::{Chain, Position};
use crate::framing::{Frame, Limits, Terminator, next_frame};
use crate::line_buffer::LineBuffer;
use crate::lines::Lines;

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
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            max_line_bytes: 64 << 10,
            boundary_overlap: 1 << 10,
            max_batch_lines: 1024,
            max_batch_bytes: 256 << 10,
            read_size: 256 << 10,
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

/// The whole path from input bytes to output bytes.
pub struct Pipeline {
    buffer: LineBuffer,
    limits: Limits,
    emitter: Emitter,
    /// True when inputs are copied in bulk ([`Pipeline::copy_input`]): the chain is empty.
    bulk_copy: bool,
}

/// The part of the pipeline that owns the chain and the output; split from the buffer so that
/// lines can be borrowed from the buffer while the chain runs.
struct Emitter {
    chain: Chain,
    overlap: usize,
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
            bulk_copy: chain.is_empty(),
            // Pending bytes never exceed a line cap plus a possible `\r\n`; see `framing`.
            buffer: LineBuffer::new(settings.max_line_bytes + 2, settings.read_size),
            limits,
            emitter: Emitter {
                chain,
                overlap: settings.boundary_overlap,
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

    fn run_all(
        &mut self,
        inputs: &[Input],
        sink: &mut dyn Write,
        input_error: &mut dyn FnMut(&Input, io::Error),
    ) -> Result<(), RunError> {
        for input in inputs {
            let name = input.to_string();
            let result = match input {
                Input::Stdin => self.run_input(&mut io::stdin().lock(), &name, sink),
                Input::File(path) => match File::open(path) {
                    Ok(mut file) => self.run_input(&mut file, &name, sink),
                    Err(err) => Ok(Err(err)),
                },
            }?;
            if let Err(err) = result {
                input_error(input, err);
            }
        }
        let Emitter { chain, out, .. } = &mut self.emitter;
        chain
            .finish(|lines| lines.write_to(out))
            .map_err(RunError::Stage)?;
        self.emitter.flush(sink)?;
        sink.flush().map_err(RunError::Output)
    }

    /// Runs one input. The outer error stops the run; the inner one is a read error, after
    /// which what was read is still processed.
    fn run_input(
        &mut self,
        rdr: &mut dyn Read,
        name: &str,
        sink: &mut dyn Write,
    ) -> Result<io::Result<()>, RunError> {
        self.buffer.reset();
        if self.bulk_copy {
            return self.copy_input(rdr, sink);
        }
        let mut read_error = None;
        let mut line = 0u64; // lines of this input handed on so far
        loop {
            let frame = next_frame(
                self.buffer.pending(),
                self.buffer.is_eof(),
                &self.limits,
                &mut self.emitter.line_ends,
            );
            match frame {
                Frame::Lines { len, count } => {
                    let at = Position::Lines {
                        input: name,
                        first: line + 1,
                        last: line + count as u64,
                    };
                    self.emitter
                        .lines(&self.buffer.pending()[..len], at, sink)?;
                    self.buffer.consume(len);
                    line += count as u64;
                }
                Frame::Last => {
                    let at = Position::Lines {
                        input: name,
                        first: line + 1,
                        last: line + 1,
                    };
                    let len = self.buffer.pending().len();
                    self.emitter.line_ends.clear();
                    self.emitter.line_ends.push(len as u32);
                    self.emitter.lines(self.buffer.pending(), at, sink)?;
                    self.buffer.consume(len);
                    line += 1;
                }
                Frame::Window => {
                    let at = Position::Piece {
                        input: name,
                        line: line + 1,
                    };
                    self.emitter
                        .window(&mut self.buffer, self.limits.max_line_bytes, at)?;
                }
                Frame::Wait if self.buffer.is_eof() => break,
                Frame::Wait => {
                    // About to block on a read: everything handed on so far goes out first.
                    self.emitter.flush(sink)?;
                    if let Err(err) = self.buffer.fill(rdr) {
                        read_error = Some(err);
                        self.buffer.set_eof();
                    }
                }
            }
            if self.emitter.out.len() >= OUTPUT_FLUSH_BYTES {
                self.emitter.flush(sink)?;
            }
        }
        Ok(read_error.map_or(Ok(()), Err))
    }

    /// [`Pipeline::run_input`] for a chain with no stage: nothing looks at single lines, so
    /// complete lines are copied through in bulk, up to the last terminator read so far (one
    /// `memrchr` per read instead of one `memchr` per line). The bytes and the moments they
    /// are written are the same as with the line loop; an over-long line is written in pieces
    /// as it arrives, so memory stays bounded.
    fn copy_input(
        &mut self,
        rdr: &mut dyn Read,
        sink: &mut dyn Write,
    ) -> Result<io::Result<()>, RunError> {
        let cap = self.limits.max_line_bytes;
        let mut read_error = None;
        loop {
            let pending = self.buffer.pending();
            let len = if self.buffer.is_eof() || pending.len() > cap {
                pending.len()
            } else {
                memchr::memrchr(b'\n', pending).map_or(0, |i| i + 1)
            };
            if len > 0 {
                sink.write_all(&pending[..len])
                    .and_then(|()| sink.flush())
                    .map_err(RunError::Output)?;
                self.buffer.consume(len);
            }
            if self.buffer.is_eof() {
                return Ok(read_error.map_or(Ok(()), Err));
            }
            if let Err(err) = self.buffer.fill(rdr) {
                read_error = Some(err);
                self.buffer.set_eof();
            }
        }
    }
}

impl Emitter {
    /// Runs complete lines (`raw`, terminators included, ending at `self.line_ends`) through
    /// the chain and queues the result for output. A batch no stage changed is written as it
    /// was read.
    fn lines(
        &mut self,
        raw: &[u8],
        at: Position<'_>,
        sink: &mut dyn Write,
    ) -> Result<(), RunError> {
        self.batch.clear();
        self.batch.push_framed(raw, &self.line_ends);
        let changed = self
            .chain
            .run(&mut self.batch, 0..self.chain.len(), at)
            .map_err(RunError::Stage)?;
        if changed {
            self.batch.write_to(&mut self.out);
        } else if self.out.is_empty() {
            sink.write_all(raw).map_err(RunError::Output)?;
        } else {
            self.out.extend_from_slice(raw);
        }
        Ok(())
    }

    /// Force-flushes the first `cap` pending bytes, which belong to a line too long to hold.
    fn window(
        &mut self,
        buffer: &mut LineBuffer,
        cap: usize,
        at: Position<'_>,
    ) -> Result<(), RunError> {
        let window = &mut self.batch;
        window.clear();
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

        let rest = self.chain.boundary_safe_prefix()..self.chain.len();
        self.chain.run(window, rest, at).map_err(RunError::Stage)?;
        window.write_to(&mut self.out);
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
        pipeline.bulk_copy = bulk_copy;
        let mut out = Vec::new();
        let mut rdr = Trickle {
            data: input,
            sizes: sizes.to_vec(),
            turn: 0,
        };
        pipeline
            .run_input(&mut rdr, "test", &mut out)
            .unwrap()
            .unwrap();
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
