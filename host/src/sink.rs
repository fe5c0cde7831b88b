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
//! A sink that delivers later than it flushes (a network sink: the receiver answers after the
//! request is sent) says what is delivered by marks: right after each [`Sink::flush`] the
//! pipeline asks for [`Sink::mark`], a number standing for everything handed on so far, and
//! once [`Sink::acknowledged`] reaches that number, all of it was delivered. `--positions`
//! records an offset only then. A sink that delivers when it flushes answers 0 to both: every
//! mark is acknowledged at once. The two have no default, so that a sink wrapping another
//! cannot forget to pass them on (and so move positions past what was never delivered).
//!
//! [`Sink::input`] sees each batch as read, before any stage. Each door answers `true` to go
//! on or `false` to stop: the pipeline then reads no more, does not finish the chain (its
//! lines would have nowhere to go), and calls [`Sink::finish`]. This is ripgrep's `Sink`
//! (`matched(…) -> Result<bool, _>`, then `finish`). [`Sink::flush`] comes before every read
//! that may block, so what was handed on is visible while sluice waits.

use std::collections::VecDeque;
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

    /// Right after a flush: a number standing for everything handed on so far, delivered once
    /// [`Sink::acknowledged`] reaches it. Marks never go down. A sink that delivers when it
    /// flushes answers 0.
    fn mark(&mut self) -> u64;

    /// The largest mark whose lines were delivered (see [`Sink::mark`]).
    fn acknowledged(&mut self) -> u64;

    /// The run is over. By default, [`Sink::flush`]. When it returns `Ok`, everything handed
    /// on was delivered.
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

    fn mark(&mut self) -> u64 {
        (**self).mark()
    }

    fn acknowledged(&mut self) -> u64 {
        (**self).acknowledged()
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

    /// What is flushed is written: delivered.
    fn mark(&mut self) -> u64 {
        0
    }

    fn acknowledged(&mut self) -> u64 {
        0
    }
}

/// Hands every line to two sinks, `first` then `second` (`--tee`: standard output and a
/// network sink). A door stops the run when either sink says so.
///
/// Its marks are its own: each new pair of the two sinks' marks gets the next number, and a
/// number is acknowledged once both sinks acknowledged their marks of it.
pub struct Tee<A, B> {
    first: A,
    second: B,
    /// The pairs of marks handed out and not yet acknowledged by both, with their numbers.
    /// Invariant: numbers, and each sink's marks, go up from the front to the back.
    awaiting: VecDeque<(u64, u64, u64)>,
    /// The last number handed out.
    marked: u64,
    /// The last number acknowledged by both sinks.
    acknowledged: u64,
}

impl<A: Sink, B: Sink> Tee<A, B> {
    /// Both sinks, in the order they receive lines.
    pub fn new(first: A, second: B) -> Tee<A, B> {
        Tee {
            first,
            second,
            awaiting: VecDeque::new(),
            marked: 0,
            acknowledged: 0,
        }
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

    fn mark(&mut self) -> u64 {
        let marks = (self.first.mark(), self.second.mark());
        let last = self.awaiting.back().map(|&(_, a, b)| (a, b));
        if last != Some(marks) {
            self.marked += 1;
            self.awaiting.push_back((self.marked, marks.0, marks.1));
        }
        self.marked
    }

    fn acknowledged(&mut self) -> u64 {
        let (first, second) = (self.first.acknowledged(), self.second.acknowledged());
        while let Some(&(number, a, b)) = self.awaiting.front() {
            if a > first || b > second {
                break;
            }
            self.acknowledged = number;
            self.awaiting.pop_front();
        }
        self.acknowledged
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

    /// A sink that delivers later: each flush with new lines makes a new mark, and the test
    /// says which are acknowledged.
    #[derive(Default)]
    struct Later {
        handed: u64,
        marked: u64,
        acknowledged: u64,
    }

    impl Sink for Later {
        fn unchanged(&mut self, _: &[u8], lines: &Lines) -> io::Result<bool> {
            self.changed(lines)
        }
        fn changed(&mut self, lines: &Lines) -> io::Result<bool> {
            self.handed += lines.len() as u64;
            Ok(true)
        }
        fn flush(&mut self) -> io::Result<()> {
            self.marked = self.handed;
            Ok(())
        }
        fn mark(&mut self) -> u64 {
            self.marked
        }
        fn acknowledged(&mut self) -> u64 {
            self.acknowledged
        }
    }

    #[test]
    fn a_tee_acknowledges_a_mark_once_both_sinks_did() {
        let mut later = Later::default();
        let mut stdout = WriteSink::new(OutputFormat::Raw, Vec::new());
        let mut tee = Tee::new(&mut stdout, &mut later);
        tee.changed(&batch(&[b"a", b"b"])).unwrap();
        tee.flush().unwrap();
        let first = tee.mark();
        assert_eq!(
            tee.acknowledged(),
            0,
            "the second sink has not acknowledged"
        );
        tee.changed(&batch(&[b"c"])).unwrap();
        tee.flush().unwrap();
        let second = tee.mark();
        assert!(second > first);
        assert_eq!(tee.mark(), second, "nothing new: the same mark");
        tee.second.acknowledged = 2;
        assert_eq!(tee.acknowledged(), first);
        tee.second.acknowledged = 3;
        assert_eq!(tee.acknowledged(), second);
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
