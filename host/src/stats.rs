//! What a run has done so far, counted as it goes: per stage ([`StageCounters`]) and for the
//! whole run ([`RunCounters`]), read together as a [`Snapshot`] (`--stats`).
//!
//! The counters are atomics behind `Arc`s, so another thread (the CLI's, on SIGUSR1) can take
//! a snapshot while the run goes on without stopping it. They are always kept: a few relaxed
//! additions per batch and two clock readings per call into a plugin, which is cheap enough
//! that `--stats` only decides whether the numbers are printed.
//!
//! What is counted where:
//!
//! - A stage counts in its own calls ([`crate::runtime::Stage`]): every `process`, `tick` and
//!   `finish` is a call, and the time from entering the call to having its answer (copying the
//!   batch in and the answer out included) is plugin time. A batch's lines are its `lines in`;
//!   the lines of its answer its `lines out`; the input lines its answer names no output line
//!   for (filtered out, or held to come out later, as a multiline block's first lines) its
//!   `dropped`. Lines a stage emits from `tick` or `finish` are its `emitted`. A piece of an
//!   over-long line counts as a line each time a stage sees it (a boundary-safe stage sees
//!   each window's overlap twice). Bytes are the lines' bytes without terminators.
//! - The run counts what it reads (lines handed to the chain, bytes read from its inputs as
//!   they are stored, so a compressed file counts its compressed bytes) and what it writes
//!   (lines and their bytes, terminators included, before `--output` formats them).
//!
//! The counts of one snapshot are each exact, but taken one after the other: a snapshot taken
//! while a batch is on its way may show it counted by one stage and not yet by the next.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::lines::Lines;
use crate::output::StageOutput;
use crate::sink::Sink;

/// What one stage has done.
#[derive(Debug, Default)]
pub struct StageCounters {
    lines_in: AtomicU64,
    lines_out: AtomicU64,
    dropped: AtomicU64,
    emitted: AtomicU64,
    calls: AtomicU64,
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
    plugin_nanos: AtomicU64,
    failures: AtomicU64,
    /// The lines of the batches failures passed on unchanged or dropped.
    failed_lines: AtomicU64,
}

/// What one batch did in a stage, to be added to its counters.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct BatchCount {
    pub(crate) lines_in: u64,
    pub(crate) lines_out: u64,
    pub(crate) dropped: u64,
    pub(crate) bytes_in: u64,
    pub(crate) bytes_out: u64,
}

impl BatchCount {
    /// Adds `other`'s counts to these.
    pub(crate) fn add(&mut self, other: BatchCount) {
        self.lines_in += other.lines_in;
        self.lines_out += other.lines_out;
        self.dropped += other.dropped;
        self.bytes_in += other.bytes_in;
        self.bytes_out += other.bytes_out;
    }

    /// What answering `input` with `output` did, for the stage's counters: the input lines no
    /// output line comes from were dropped; an output line has its input line's bytes unless it
    /// was rewritten.
    pub(crate) fn of(input: &Lines, output: &StageOutput) -> BatchCount {
        let mut kept = 0;
        let mut inherited_bytes = 0;
        let mut rewritten = output.rewritten.iter().peekable();
        let mut previous = None;
        for (j, &from) in output.source.iter().enumerate() {
            if previous != Some(from) {
                kept += 1;
                previous = Some(from);
            }
            if rewritten.next_if(|&&r| r as usize == j).is_none() {
                inherited_bytes += input.line(from as usize).len() as u64;
            }
        }
        let rewritten_bytes = output.ends.last().map_or(0, |&end| end as u64);
        BatchCount {
            lines_in: input.len() as u64,
            lines_out: output.source.len() as u64,
            dropped: input.len() as u64 - kept,
            bytes_in: input.data.len() as u64,
            bytes_out: inherited_bytes + rewritten_bytes,
        }
    }
}

impl StageCounters {
    /// One call into the plugin, which took `took`.
    pub(crate) fn call(&self, took: Duration) {
        add(&self.calls, 1);
        add(&self.plugin_nanos, took.as_nanos() as u64);
    }

    /// A batch the stage answered.
    pub(crate) fn batch(&self, count: BatchCount) {
        add(&self.lines_in, count.lines_in);
        add(&self.lines_out, count.lines_out);
        add(&self.dropped, count.dropped);
        add(&self.bytes_in, count.bytes_in);
        add(&self.bytes_out, count.bytes_out);
    }

    /// Takes back a batch counted by [`StageCounters::batch`] whose answer was thrown away
    /// and that is run again (a worker lane's, see [`crate::parallel`]): its lines and bytes
    /// are counted once, when they are answered for good. Its calls and time stay counted: the
    /// plugin did that work.
    pub(crate) fn unbatch(&self, count: BatchCount) {
        sub(&self.lines_in, count.lines_in);
        sub(&self.lines_out, count.lines_out);
        sub(&self.dropped, count.dropped);
        sub(&self.bytes_in, count.bytes_in);
        sub(&self.bytes_out, count.bytes_out);
    }

    /// Lines the stage emitted from `tick` or `finish`, with their bytes.
    pub(crate) fn emitted(&self, lines: u64, bytes: u64) {
        add(&self.emitted, lines);
        add(&self.bytes_out, bytes);
    }

    /// A failure the stage's policy let the run survive (`skip` or `drop`), which cost the
    /// `lines` of the batch it failed on (none for a failed `tick` or `finish`).
    pub(crate) fn failed(&self, lines: u64) {
        add(&self.failures, 1);
        add(&self.failed_lines, lines);
    }

    /// How many failures the run survived so far.
    pub(crate) fn failures(&self) -> u64 {
        get(&self.failures)
    }

    /// How many lines the failures passed on unchanged or dropped.
    pub(crate) fn failed_lines(&self) -> u64 {
        get(&self.failed_lines)
    }

    pub(crate) fn read(&self, label: &str) -> StageRow {
        StageRow {
            label: label.to_owned(),
            lines_in: get(&self.lines_in),
            lines_out: get(&self.lines_out),
            dropped: get(&self.dropped),
            emitted: get(&self.emitted),
            calls: get(&self.calls),
            bytes_in: get(&self.bytes_in),
            bytes_out: get(&self.bytes_out),
            plugin_time: Duration::from_nanos(get(&self.plugin_nanos)),
            failures: get(&self.failures),
        }
    }
}

/// What the whole run has read and written.
#[derive(Debug, Default)]
pub struct RunCounters {
    lines_read: AtomicU64,
    bytes_read: AtomicU64,
    lines_written: AtomicU64,
    bytes_written: AtomicU64,
    /// Set when bytes were copied in bulk without counting their lines (see [`CountingSink`]).
    lines_uncounted: AtomicBool,
}

impl RunCounters {
    /// Lines handed from the input to the chain.
    pub(crate) fn read_lines(&self, lines: u64) {
        add(&self.lines_read, lines);
    }

    /// Bytes read from an input, as stored.
    pub(crate) fn read_bytes(&self, bytes: u64) {
        add(&self.bytes_read, bytes);
    }

    /// Lines given to the sink, with their bytes.
    pub(crate) fn wrote(&self, lines: u64, bytes: u64) {
        add(&self.lines_written, lines);
        add(&self.bytes_written, bytes);
    }

    /// The bytes read from the inputs so far, as stored: what a progress bar shows.
    pub fn bytes_read(&self) -> u64 {
        get(&self.bytes_read)
    }
}

/// A handle on a run's counters, which may be read from any thread ([`Stats::snapshot`]).
#[derive(Clone, Debug)]
pub struct Stats {
    started: Instant,
    run: Arc<RunCounters>,
    /// Every stage, nested ones included, in chain order, with its label.
    stages: Vec<(String, Arc<StageCounters>)>,
}

impl Stats {
    pub(crate) fn new(
        started: Instant,
        run: Arc<RunCounters>,
        stages: Vec<(String, Arc<StageCounters>)>,
    ) -> Stats {
        Stats {
            started,
            run,
            stages,
        }
    }

    /// The run's counters, for a progress bar.
    pub fn run(&self) -> &RunCounters {
        &self.run
    }

    /// The counts now.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            elapsed: self.started.elapsed(),
            lines_read: get(&self.run.lines_read),
            bytes_read: get(&self.run.bytes_read),
            lines_written: get(&self.run.lines_written),
            lines_counted: !self.run.lines_uncounted.load(Ordering::Relaxed),
            bytes_written: get(&self.run.bytes_written),
            stages: self
                .stages
                .iter()
                .map(|(label, counters)| counters.read(label))
                .collect(),
        }
    }
}

/// The counts of a run at one moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// Since the pipeline was made.
    pub elapsed: Duration,
    pub lines_read: u64,
    /// Bytes read from the inputs as stored (compressed bytes for a compressed file).
    pub bytes_read: u64,
    pub lines_written: u64,
    /// False when input was copied in bulk (no stage, raw output) without counting its lines:
    /// `lines_read` and `lines_written` then leave those lines out.
    pub lines_counted: bool,
    /// Bytes of the lines written, terminators included, before `--output` formats them.
    pub bytes_written: u64,
    pub stages: Vec<StageRow>,
}

/// The counts of one stage (see the module docs for what each means).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StageRow {
    /// `stage N (origin)`.
    pub label: String,
    pub lines_in: u64,
    pub lines_out: u64,
    pub dropped: u64,
    pub emitted: u64,
    pub calls: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub plugin_time: Duration,
    pub failures: u64,
}

/// A [`Sink`] that counts what it passes to the one it wraps, in [`RunCounters`].
///
/// Lines are counted when they are whole: the pieces of an over-long line count as one line,
/// at its last piece. Lines copied in bulk ([`Sink::bytes`], a chain with no stage) are read
/// and written at once, so they count as both, by their newlines, and the last line without
/// one at the end; but only when `count_bulk_lines`, because counting them is a pass over
/// bytes that are otherwise only copied (it made a plain `sluice FILE` a third slower).
pub(crate) struct CountingSink<'a> {
    sink: &'a mut dyn Sink,
    counters: &'a RunCounters,
    count_bulk_lines: bool,
    /// In bulk copying: whether the bytes so far end inside a line.
    mid_line: bool,
}

impl<'a> CountingSink<'a> {
    pub(crate) fn new(
        sink: &'a mut dyn Sink,
        counters: &'a RunCounters,
        count_bulk_lines: bool,
    ) -> CountingSink<'a> {
        CountingSink {
            sink,
            counters,
            count_bulk_lines,
            mid_line: false,
        }
    }

    fn count(&self, lines: &Lines) {
        let whole = lines.len() - lines.partial.len();
        let terminators: usize = lines.terms.iter().map(|t| t.bytes().len()).sum();
        let bytes = lines.data.len() + terminators;
        self.counters.wrote(whole as u64, bytes as u64);
    }
}

impl Sink for CountingSink<'_> {
    fn input(&mut self, lines: &Lines) {
        self.sink.input(lines);
    }

    fn unchanged(&mut self, raw: &[u8], lines: &Lines) -> io::Result<bool> {
        self.counters.wrote(lines.len() as u64, raw.len() as u64);
        self.sink.unchanged(raw, lines)
    }

    fn changed(&mut self, lines: &Lines) -> io::Result<bool> {
        self.count(lines);
        self.sink.changed(lines)
    }

    fn emitted(&mut self, lines: &Lines) -> io::Result<bool> {
        self.count(lines);
        self.sink.emitted(lines)
    }

    fn takes_bytes(&self) -> bool {
        self.sink.takes_bytes()
    }

    fn bytes(&mut self, raw: &[u8]) -> io::Result<bool> {
        if !self.count_bulk_lines {
            self.counters.lines_uncounted.store(true, Ordering::Relaxed);
            self.counters.wrote(0, raw.len() as u64);
            return self.sink.bytes(raw);
        }
        let lines = memchr::memchr_iter(b'\n', raw).count() as u64;
        self.counters.read_lines(lines);
        self.counters.wrote(lines, raw.len() as u64);
        if let Some(&last) = raw.last() {
            self.mid_line = last != b'\n';
        }
        self.sink.bytes(raw)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.sink.flush()
    }

    fn mark(&mut self) -> u64 {
        self.sink.mark()
    }

    fn acknowledged(&mut self) -> u64 {
        self.sink.acknowledged()
    }

    fn finish(&mut self) -> io::Result<()> {
        if std::mem::take(&mut self.mid_line) {
            self.counters.read_lines(1);
            self.counters.wrote(1, 0);
        }
        self.sink.finish()
    }
}

fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

fn sub(counter: &AtomicU64, n: u64) {
    counter.fetch_sub(n, Ordering::Relaxed);
}

fn get(counter: &AtomicU64) -> u64 {
    counter.load(Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_reads_what_was_added() {
        let run = Arc::new(RunCounters::default());
        let stage = Arc::new(StageCounters::default());
        let stats = Stats::new(
            Instant::now(),
            run.clone(),
            vec![("stage 1 (x)".into(), stage.clone())],
        );
        run.read_lines(3);
        run.read_bytes(30);
        run.wrote(2, 20);
        stage.call(Duration::from_millis(2));
        stage.call(Duration::from_millis(3));
        stage.batch(BatchCount {
            lines_in: 3,
            lines_out: 2,
            dropped: 1,
            bytes_in: 27,
            bytes_out: 18,
        });
        stage.emitted(1, 4);
        stage.failed(3);
        let snapshot = stats.snapshot();
        assert!(snapshot.lines_counted);
        assert_eq!(
            (snapshot.lines_read, snapshot.bytes_read),
            (3, 30),
            "{snapshot:?}"
        );
        assert_eq!((snapshot.lines_written, snapshot.bytes_written), (2, 20));
        assert_eq!(
            snapshot.stages,
            vec![StageRow {
                label: "stage 1 (x)".into(),
                lines_in: 3,
                lines_out: 2,
                dropped: 1,
                emitted: 1,
                calls: 2,
                bytes_in: 27,
                bytes_out: 22,
                plugin_time: Duration::from_millis(5),
                failures: 1,
            }]
        );
        assert_eq!(stats.run().bytes_read(), 30);
    }
}
