//! [`Sink`]: where the lines that come out of the chain go, and [`WriteSink`], the sink that
//! writes them to a byte stream in one of the `--output` formats.
//!
//! The pipeline hands a sink every line exactly once, in output order, through one of three
//! doors, so a sink can tell them apart (a statistics sink counts them, a network sink ships
//! them):
//!
//! - [`Sink::unchanged`]: a batch no stage changed, with its bytes exactly as read;
//! - [`Sink::changed`]: lines the chain rewrote, dropped some of or annotated, and the pieces
//!   of an over-long line;
//! - [`Sink::emitted`]: lines a stage emitted on its own at a timed wake-up or at the end.
//!
//! [`Sink::input`] sees each batch as read, before any stage. Each door answers `true` to go
//! on or `false` to stop: the pipeline then reads no more, does not finish the chain (its
//! lines would have nowhere to go), and calls [`Sink::finish`]. This is ripgrep's `Sink`
//! (`matched(…) -> Result<bool, _>`, then `finish`). [`Sink::flush`] comes before every read
//! that may block, so what was handed on is visible while sluice waits.

use std::io::{self, Write};

use crate::format::{Formatter, OutputFormat};
use crate::lines::Lines;

/// Receives the pipeline's output lines, in order.
pub trait Sink {
    /// A batch as it was read, before any stage ran. By default, nothing.
    fn input(&mut self, lines: &Lines) {
        let _ = lines;
    }

    /// Lines every stage passed on unchanged; `raw` is their bytes, terminators included,
    /// exactly as read. `Ok(false)` stops the run.
    fn unchanged(&mut self, raw: &[u8], lines: &Lines) -> io::Result<bool>;

    /// Lines the chain changed. A line cut into pieces arrives as several partial lines and a
    /// last one. `Ok(false)` stops the run.
    fn changed(&mut self, lines: &Lines) -> io::Result<bool>;

    /// Lines a stage emitted at a timed wake-up or at the end of the stream, after the stages
    /// after it ran on them. By default, as [`Sink::changed`].
    fn emitted(&mut self, lines: &Lines) -> io::Result<bool> {
        self.changed(lines)
    }

    /// True when the sink writes lines as the bytes they are, so that a chain with no stage
    /// may hand it input in bulk ([`Sink::bytes`]) without splitting it into lines. By
    /// default, false.
    fn takes_bytes(&self) -> bool {
        false
    }

    /// Input bytes copied through in bulk: whole lines, or the pieces of an over-long line as
    /// they arrive. Called only when [`Sink::takes_bytes`]. By default, refused.
    fn bytes(&mut self, raw: &[u8]) -> io::Result<bool> {
        let _ = raw;
        Err(io::Error::other("this sink does not take bytes in bulk"))
    }

    /// Makes everything received so far visible: the pipeline is about to wait for input.
    fn flush(&mut self) -> io::Result<()>;

    /// The run is over. By default, [`Sink::flush`].
    fn finish(&mut self) -> io::Result<()> {
        self.flush()
    }
}

/// A sink borrowed is a sink, so that [`Tee`] can hold sinks its caller keeps.
impl<S: Sink + ?Sized> Sink for &mut S {
    fn input(&mut self, lines: &Lines) {
        (**self).input(lines);
    }

    fn unchanged(&mut self, raw: &[u8], lines: &Lines) -> io::Result<bool> {
        (**self).unchanged(raw, lines)
    }

    fn changed(&mut self, lines: &Lines) -> io::Result<bool> {
        (**self).changed(lines)
    }

    fn emitted(&mut self, lines: &Lines) -> io::Result<bool> {
        (**self).emitted(lines)
    }

    fn takes_bytes(&self) -> bool {
        (**self).takes_bytes()
    }

    fn bytes(&mut self, raw: &[u8]) -> io::Result<bool> {
        (**self).bytes(raw)
    }

    fn flush(&mut self) -> io::Result<()> {
        (**self).flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        (**self).finish()
    }
}

/// The output is written to the writer once this many bytes are buffered (and at every flush).
const WRITE_AT_BYTES: usize = 256 << 10;

/// Writes lines to `W` in one [`OutputFormat`].
pub struct WriteSink<W: Write> {
    writer: W,
    formatter: Formatter,
    /// Formatted output not yet written to `writer`. Invariant: shorter than
    /// [`WRITE_AT_BYTES`] whenever a door returns.
    out: Vec<u8>,
}

impl<W: Write> WriteSink<W> {
    /// A sink writing `format` to `writer`.
    pub fn new(format: OutputFormat, writer: W) -> WriteSink<W> {
        WriteSink {
            writer,
            formatter: Formatter::new(format),
            out: Vec::with_capacity(WRITE_AT_BYTES * 2),
        }
    }

    /// The writer, for tests.
    pub fn into_inner(self) -> W {
        self.writer
    }

    fn write_if_full(&mut self) -> io::Result<bool> {
        if self.out.len() >= WRITE_AT_BYTES {
            self.flush()?;
        }
        Ok(true)
    }
}

impl<W: Write> Sink for WriteSink<W> {
    fn input(&mut self, lines: &Lines) {
        self.formatter.saw_input(lines);
    }

    fn unchanged(&mut self, raw: &[u8], lines: &Lines) -> io::Result<bool> {
        if self.formatter.format() != OutputFormat::Raw {
            return self.changed(lines);
        }
        if self.out.is_empty() {
            self.writer.write_all(raw)?;
        } else {
            self.out.extend_from_slice(raw);
        }
        self.formatter.wrote_raw(raw);
        self.write_if_full()
    }

    fn changed(&mut self, lines: &Lines) -> io::Result<bool> {
        self.formatter.write(lines, &mut self.out);
        self.write_if_full()
    }

    fn takes_bytes(&self) -> bool {
        self.formatter.format() == OutputFormat::Raw
    }

    fn bytes(&mut self, raw: &[u8]) -> io::Result<bool> {
        self.flush()?;
        self.writer.write_all(raw)?;
        self.formatter.wrote_raw(raw);
        self.writer.flush()?;
        Ok(true)
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.out.is_empty() {
            self.writer.write_all(&self.out)?;
            self.out.clear();
        }
        self.writer.flush()
    }
}

/// Hands every line to two sinks, `first` then `second` (`--tee`: standard output and a
/// network sink). A door stops the run when either sink says so.
pub struct Tee<A, B> {
    first: A,
    second: B,
}

impl<A: Sink, B: Sink> Tee<A, B> {
    /// Both sinks, in the order they receive lines.
    pub fn new(first: A, second: B) -> Tee<A, B> {
        Tee { first, second }
    }

    /// The two sinks back.
    pub fn into_inner(self) -> (A, B) {
        (self.first, self.second)
    }
}

impl<A: Sink, B: Sink> Sink for Tee<A, B> {
    fn input(&mut self, lines: &Lines) {
        self.first.input(lines);
        self.second.input(lines);
    }

    fn unchanged(&mut self, raw: &[u8], lines: &Lines) -> io::Result<bool> {
        Ok(self.first.unchanged(raw, lines)? & self.second.unchanged(raw, lines)?)
    }

    fn changed(&mut self, lines: &Lines) -> io::Result<bool> {
        Ok(self.first.changed(lines)? & self.second.changed(lines)?)
    }

    fn emitted(&mut self, lines: &Lines) -> io::Result<bool> {
        Ok(self.first.emitted(lines)? & self.second.emitted(lines)?)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.first.flush()?;
        self.second.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        let first = self.first.finish();
        let second = self.second.finish();
        first.and(second)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framing::Terminator;

    fn batch(lines: &[&[u8]]) -> Lines {
        let mut batch = Lines::default();
        for line in lines {
            batch.push(line, Terminator::Lf, false);
        }
        batch
    }

    #[test]
    fn unchanged_raw_batches_are_the_bytes_as_read() {
        let mut sink = WriteSink::new(OutputFormat::Raw, Vec::new());
        // The bytes as read win over the batch: they are what was read.
        sink.unchanged(b"a\r\nb\n", &batch(&[b"a", b"b"])).unwrap();
        sink.changed(&batch(&[b"c"])).unwrap();
        sink.finish().unwrap();
        assert_eq!(sink.into_inner(), b"a\r\nb\nc\n");
    }

    #[test]
    fn unchanged_batches_are_formatted_when_the_output_is_not_raw() {
        let mut sink = WriteSink::new(OutputFormat::Json, Vec::new());
        assert!(!sink.takes_bytes());
        sink.unchanged(b"a\n", &batch(&[b"a"])).unwrap();
        sink.finish().unwrap();
        assert_eq!(sink.into_inner(), b"{\"line\":\"a\"}\n");
    }

    #[test]
    fn nothing_reaches_the_writer_before_a_flush_or_a_full_buffer() {
        let mut sink = WriteSink::new(OutputFormat::Raw, Vec::new());
        sink.changed(&batch(&[b"queued"])).unwrap();
        assert!(sink.writer.is_empty());
        // An unchanged batch after queued output goes behind it, in order.
        sink.unchanged(b"raw\n", &batch(&[b"raw"])).unwrap();
        sink.flush().unwrap();
        assert_eq!(sink.writer, b"queued\nraw\n");
        let big = vec![b'x'; WRITE_AT_BYTES];
        sink.changed(&batch(&[&big])).unwrap();
        assert_eq!(
            sink.writer.len(),
            b"queued\nraw\n".len() + WRITE_AT_BYTES + 1
        );
    }

    #[test]
    fn a_line_emitted_after_bulk_bytes_without_a_terminator_starts_a_new_line() {
        let mut sink = WriteSink::new(OutputFormat::Raw, Vec::new());
        assert!(sink.takes_bytes());
        sink.bytes(b"a\r\nlast").unwrap();
        sink.emitted(&batch(&[b"summary"])).unwrap();
        sink.finish().unwrap();
        assert_eq!(sink.into_inner(), b"a\r\nlast\r\nsummary\n");
    }
}
