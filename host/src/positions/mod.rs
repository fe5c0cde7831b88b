//! `--positions FILE`: how far each input file was processed, kept across runs, so that a run
//! started again resumes where the last one stopped. Promtail's positions file and Fluent
//! Bit's tail database are the models.
//!
//! - [`store`]: the file itself: versioned JSON, written atomically.
//! - [`identity`]: what makes a file the one recorded: device, inode and first bytes.
//! - here: [`Positions`], what the read loop tells as it goes, and when it is written.
//!
//! What an offset means: every line that ends before it has been *delivered* downstream, in
//! whatever it became: written and flushed, or, with a network sink, acknowledged by the
//! receiver. The read loop tells the tracker three things:
//!
//! 1. a file was opened ([`Positions::open`]): it resumes from its recorded offset when it is
//!    the file recorded, else it is read from its start (and so is a file `-f` sees replaced
//!    or rewritten: [`Positions::restarted`]); bytes were read ([`Positions::read`]);
//! 2. a batch was handed to the sink ([`Positions::handed`]) with the largest origin of its
//!    output lines ([`crate::origin`]): lines a stage holds or drops are in no output, so they
//!    hold the position back (unless no stage of the chain keeps state between lines: then the
//!    batch's own end is told, see `emit.rs`);
//! 3. the sink flushed ([`Positions::flushed`]), with its mark and what it acknowledged (see
//!    [`crate::sink::Sink::mark`]): what was handed waits under that mark until the sink
//!    acknowledges it, then it is the recorded offset (at once with a sink that delivers when
//!    it flushes). The file is written when [`Positions::interval`] has passed since the last
//!    write.
//!
//! At a normal end (the input exhausted, or a caught signal: the chain finished and everything
//! was delivered), every file's offset becomes how far it was read ([`Positions::settle`]);
//! when the sink could not deliver everything (a receiver down past the drain deadline), what
//! it acknowledged is recorded. The file is written then too. After a crash (`kill -9`), a
//! restart reads again what was read after the last write: at-least-once, never a line lost.
//!
//! Records of paths this run does not read are kept and written back as they were.

mod identity;
mod store;

use std::collections::VecDeque;
use std::fmt;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use identity::{Identity, Opened, resume_offset};
use store::{Record, StoreError};

use crate::follow::FINGERPRINT_BYTES;

/// How often positions are written by default: a crash replays at most about this much.
pub const DEFAULT_POSITIONS_INTERVAL: Duration = Duration::from_secs(1);

/// Why positions cannot be kept.
#[derive(Debug)]
pub enum PositionsError {
    /// The positions file exists but cannot be read.
    Read { path: PathBuf, error: io::Error },
    /// The positions file is not one this sluice can read; starting over is the user's call.
    Invalid { path: PathBuf, why: String },
    /// The positions file cannot be written.
    Write { path: PathBuf, error: io::Error },
}

impl fmt::Display for PositionsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PositionsError::Read { path, error } => {
                write!(
                    f,
                    "cannot read the positions file {}: {error}",
                    path.display()
                )
            }
            PositionsError::Invalid { path, why } => write!(
                f,
                "{} is not a positions file sluice can read: {why}; fix it, or remove it to \
                 read every file from its start",
                path.display()
            ),
            PositionsError::Write { path, error } => {
                write!(
                    f,
                    "cannot write the positions file {}: {error}",
                    path.display()
                )
            }
        }
    }
}

impl std::error::Error for PositionsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PositionsError::Read { error, .. } | PositionsError::Write { error, .. } => Some(error),
            PositionsError::Invalid { .. } => None,
        }
    }
}

/// One path's position: as recorded until the path is opened in this run, then as the run goes.
#[derive(Debug)]
struct Tracked {
    path: PathBuf,
    /// The file the offsets are for; `None` while nothing is known (never recorded, not open).
    identity: Option<Identity>,
    /// The file's first bytes as read, at most [`FINGERPRINT_BYTES`].
    fingerprint: Vec<u8>,
    /// The recorded offset: every line ending before it is delivered downstream.
    /// Invariant: `delivered <= handed <= read` while the file is open; it goes back only when
    /// the file is another or was rewritten (then to 0).
    delivered: u64,
    /// The largest origin handed to the sink since the file was opened.
    handed: u64,
    /// How far the file was read: the offset at a normal end.
    read: u64,
    /// True once the path was claimed by an input of this run ([`Positions::track`]).
    claimed: bool,
    /// True once opened in this run: then `read` is meaningful.
    opened: bool,
}

/// The positions of the input files: loaded from the positions file, updated as the run goes,
/// written back at an interval and at the end.
#[derive(Debug)]
pub struct Positions {
    /// The positions file.
    path: PathBuf,
    /// The longest a delivered offset waits before it is written.
    interval: Duration,
    /// Every path recorded or tracked; the ones of this run are claimed.
    files: Vec<Tracked>,
    /// When the file was last written; `None` before the first write of this run.
    written_at: Option<Instant>,
    /// When the sink was last flushed ([`Positions::flushed`]); `None` before the first flush.
    flushed_at: Option<Instant>,
    /// Offsets handed to the sink, waiting for it to acknowledge the mark they were flushed
    /// under: `(mark, [(entry, offset)])`. Invariant: marks go up from the front to the back,
    /// and every offset is above its entry's `delivered` when it was put here (an entry that
    /// restarts is taken out).
    awaiting: VecDeque<(u64, Vec<(usize, u64)>)>,
    /// True when an offset or identity changed since the last write.
    dirty: bool,
    /// True once the chain finished and everything it wrote was handed to the sink.
    complete: bool,
}

impl Positions {
    /// The positions kept at `path`, written at most every `interval` while the run goes. No
    /// file there is a first run: every file is read from its start.
    pub fn load(path: PathBuf, interval: Duration) -> Result<Positions, PositionsError> {
        let records = store::read(&path).map_err(|err| match err {
            StoreError::Read(error) => PositionsError::Read {
                path: path.clone(),
                error,
            },
            StoreError::Invalid(why) => PositionsError::Invalid {
                path: path.clone(),
                why,
            },
        })?;
        let files = records
            .unwrap_or_default()
            .into_iter()
            .map(|record| Tracked {
                path: record.path,
                identity: Some(record.identity),
                fingerprint: record.fingerprint,
                delivered: record.offset,
                handed: record.offset,
                read: record.offset,
                claimed: false,
                opened: false,
            })
            .collect();
        Ok(Positions {
            path,
            interval,
            files,
            written_at: None,
            flushed_at: None,
            awaiting: VecDeque::new(),
            dirty: false,
            complete: false,
        })
    }

    /// Where the positions are kept.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How often positions are written while the run goes.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// The recorded offset of `path`, if any.
    pub fn offset(&self, path: &Path) -> Option<u64> {
        self.files
            .iter()
            .find(|t| t.path == path && t.identity.is_some())
            .map(|t| t.delivered)
    }

    /// Writes the positions file now (atomically).
    pub fn write(&mut self) -> Result<(), PositionsError> {
        let records: Vec<Record> = self
            .files
            .iter()
            .filter_map(|t| {
                Some(Record {
                    path: t.path.clone(),
                    identity: t.identity?,
                    fingerprint: t.fingerprint.clone(),
                    offset: t.delivered,
                })
            })
            .collect();
        store::write(&self.path, &records).map_err(|error| PositionsError::Write {
            path: self.path.clone(),
            error,
        })?;
        self.written_at = Some(Instant::now());
        self.dirty = false;
        Ok(())
    }

    /// The entry for the input file `path` of this run; `None` when another input of this run
    /// already has it (a path given twice is read twice, but its position is the first's).
    pub(crate) fn track(&mut self, path: &Path) -> Option<usize> {
        let index = match self.files.iter().position(|t| t.path == path) {
            Some(index) => index,
            None => {
                self.files.push(Tracked {
                    path: path.to_owned(),
                    identity: None,
                    fingerprint: Vec::new(),
                    delivered: 0,
                    handed: 0,
                    read: 0,
                    claimed: false,
                    opened: false,
                });
                self.files.len() - 1
            }
        };
        let tracked = &mut self.files[index];
        if tracked.claimed {
            return None;
        }
        tracked.claimed = true;
        Some(index)
    }

    /// `file` is open under the path of entry `index`: returns the offset to read it from, its
    /// recorded one if it is the file recorded (see [`identity`]), else 0.
    pub(crate) fn open(&mut self, index: usize, file: &File) -> io::Result<u64> {
        let opened = Opened::of(file)?;
        let t = &mut self.files[index];
        let offset = match t.identity {
            Some(identity) => resume_offset(file, &opened, identity, &t.fingerprint, t.delivered)?,
            None => 0,
        };
        if offset == 0 {
            t.fingerprint.clear();
        }
        t.identity = Some(opened.identity);
        t.delivered = offset;
        t.handed = offset;
        t.read = offset;
        t.opened = true;
        self.forget_awaiting(index);
        self.dirty = true;
        Ok(offset)
    }

    /// The file of entry `index` was rewritten in place (truncated, or other first bytes): it is
    /// read again from its start.
    pub(crate) fn restarted(&mut self, index: usize) {
        let t = &mut self.files[index];
        t.fingerprint.clear();
        t.delivered = 0;
        t.handed = 0;
        t.read = 0;
        self.forget_awaiting(index);
        self.dirty = true;
    }

    /// Takes entry `index` out of the offsets awaiting acknowledgement: they were of the
    /// file as it was before it was opened again or rewritten.
    fn forget_awaiting(&mut self, index: usize) {
        for (_, offsets) in &mut self.awaiting {
            offsets.retain(|&(entry, _)| entry != index);
        }
    }

    /// `bytes` were read from the file of entry `index`, at offset `at`.
    pub(crate) fn read(&mut self, index: usize, at: u64, bytes: &[u8]) {
        let t = &mut self.files[index];
        let known = t.fingerprint.len();
        if at == known as u64 && known < FINGERPRINT_BYTES {
            let room = FINGERPRINT_BYTES - known;
            t.fingerprint
                .extend_from_slice(&bytes[..bytes.len().min(room)]);
        }
        t.read = at + bytes.len() as u64;
    }

    /// Lines of entry `index` that end at `origin` or before are handed to the sink.
    pub(crate) fn handed(&mut self, index: usize, origin: u64) {
        let t = &mut self.files[index];
        t.handed = t.handed.max(origin);
    }

    /// The sink flushed everything handed to it, under `mark`, and has acknowledged every
    /// mark up to `acknowledged` (see [`crate::sink::Sink::mark`]): what was handed waits for
    /// its mark to be acknowledged, what was acknowledged is recorded, and the file is written
    /// when the interval has passed since the last write.
    pub(crate) fn flushed(&mut self, mark: u64, acknowledged: u64) -> Result<(), PositionsError> {
        let handed: Vec<(usize, u64)> = (self.files.iter().enumerate())
            .filter(|(_, t)| t.handed > t.delivered)
            .map(|(index, t)| (index, t.handed))
            .collect();
        match self.awaiting.back_mut() {
            // Handed only grows: the later offsets stand for the earlier ones.
            Some((last, offsets)) if *last == mark => *offsets = handed,
            _ if !handed.is_empty() => self.awaiting.push_back((mark, handed)),
            _ => {}
        }
        self.acknowledge(acknowledged);
        self.flushed_at = Some(Instant::now());
        let due = self
            .written_at
            .is_none_or(|at| at.elapsed() >= self.interval);
        if self.dirty && due {
            self.write()?;
        }
        Ok(())
    }

    /// True when the sink was last flushed an interval ago or more. The read loop flushes
    /// before every read that may block; while input keeps coming, or while a slow receiver
    /// holds the loop in the sink, the emitter also flushes when this says so, so that the
    /// offset keeps up with what the receiver acknowledged.
    pub(crate) fn flush_due(&self) -> bool {
        self.flushed_at
            .is_none_or(|at| at.elapsed() >= self.interval)
    }

    /// Records the offsets whose marks are acknowledged.
    fn acknowledge(&mut self, acknowledged: u64) {
        while self
            .awaiting
            .front()
            .is_some_and(|(mark, _)| *mark <= acknowledged)
        {
            let Some((_, offsets)) = self.awaiting.pop_front() else {
                break;
            };
            for (index, offset) in offsets {
                let t = &mut self.files[index];
                if offset > t.delivered {
                    t.delivered = offset;
                    self.dirty = true;
                }
            }
        }
    }

    /// The chain finished: every line read is in what was handed to the sink.
    pub(crate) fn complete(&mut self) {
        self.complete = true;
    }

    /// The run is over. When the sink `delivered` everything, what was handed is recorded,
    /// and when the chain also finished ([`Positions::complete`]), every file's offset is how
    /// far it was read; else what the sink `acknowledged` is recorded. Then the file is
    /// written.
    pub(crate) fn settle(
        &mut self,
        delivered: bool,
        acknowledged: u64,
    ) -> Result<(), PositionsError> {
        self.acknowledge(acknowledged);
        if delivered {
            self.awaiting.clear();
            for t in self.files.iter_mut().filter(|t| t.opened) {
                let end = if self.complete { t.read } else { t.handed };
                if end != t.delivered {
                    t.delivered = end;
                    self.dirty = true;
                }
            }
        }
        self.write()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("sluice-pos-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// Opens `log` as entry `index` and reads it whole, as the read loop would.
    fn open_and_read(positions: &mut Positions, index: usize, log: &Path) -> u64 {
        let file = File::open(log).unwrap();
        let at = positions.open(index, &file).unwrap();
        let bytes = fs::read(log).unwrap();
        positions.read(index, at, &bytes[at as usize..]);
        at
    }

    #[test]
    fn only_flushed_lines_move_the_offset_and_a_complete_end_records_what_was_read() {
        let dir = scratch("flushed");
        let log = dir.join("app.log");
        fs::write(&log, b"one\ntwo\nthree\n").unwrap();
        let file = dir.join("positions.json");
        let mut positions = Positions::load(file.clone(), Duration::ZERO).unwrap();
        let index = positions.track(&log).unwrap();
        assert_eq!(positions.track(&log), None, "a path given twice");
        assert_eq!(open_and_read(&mut positions, index, &log), 0);
        positions.handed(index, 4);
        assert_eq!(positions.offset(&log), Some(0), "handed, not flushed");
        positions.flushed(0, 0).unwrap();
        assert_eq!(positions.offset(&log), Some(4));
        positions.handed(index, 2);
        positions.flushed(0, 0).unwrap();
        assert_eq!(positions.offset(&log), Some(4), "never backwards");
        let on_disk = Positions::load(file.clone(), Duration::ZERO).unwrap();
        assert_eq!(on_disk.offset(&log), Some(4), "written at once: interval 0");

        positions.handed(index, 8);
        positions.settle(false, 0).unwrap();
        assert_eq!(positions.offset(&log), Some(4), "the sink failed to flush");
        positions.complete();
        positions.settle(true, 0).unwrap();
        assert_eq!(positions.offset(&log), Some(14));
        let on_disk = Positions::load(file, Duration::ZERO).unwrap();
        assert_eq!(on_disk.offset(&log), Some(14));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn with_a_sink_that_acknowledges_later_the_offset_waits_for_the_acknowledgement() {
        let dir = scratch("acknowledged");
        let log = dir.join("app.log");
        fs::write(&log, b"one\ntwo\nthree\nfour\n").unwrap();
        let file = dir.join("positions.json");
        let mut positions = Positions::load(file.clone(), Duration::ZERO).unwrap();
        let index = positions.track(&log).unwrap();
        open_and_read(&mut positions, index, &log);
        positions.handed(index, 4);
        positions.flushed(1, 0).unwrap();
        assert_eq!(positions.offset(&log), Some(0), "flushed, not acknowledged");
        positions.handed(index, 8);
        positions.flushed(2, 0).unwrap();
        positions.handed(index, 14);
        positions.flushed(2, 1).unwrap();
        assert_eq!(positions.offset(&log), Some(4), "mark 1 acknowledged");
        positions.flushed(2, 1).unwrap();
        assert_eq!(positions.offset(&log), Some(4), "mark 2 waits");
        positions.flushed(3, 2).unwrap();
        assert_eq!(
            positions.offset(&log),
            Some(14),
            "mark 2 stands for all handed before it was acknowledged"
        );
        let on_disk = Positions::load(file.clone(), Duration::ZERO).unwrap();
        assert_eq!(on_disk.offset(&log), Some(14));

        // The receiver never takes what came after: the end records only what it took, even
        // though the chain finished.
        positions.handed(index, 19);
        positions.flushed(4, 2).unwrap();
        positions.complete();
        positions.settle(false, 3).unwrap();
        assert_eq!(positions.offset(&log), Some(14));
        assert_eq!(
            Positions::load(file, Duration::ZERO).unwrap().offset(&log),
            Some(14)
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_write_waits_for_the_interval() {
        let dir = scratch("interval");
        let log = dir.join("app.log");
        fs::write(&log, b"one\ntwo\n").unwrap();
        let file = dir.join("positions.json");
        let mut positions = Positions::load(file.clone(), Duration::from_secs(3600)).unwrap();
        let index = positions.track(&log).unwrap();
        open_and_read(&mut positions, index, &log);
        positions.handed(index, 4);
        positions.flushed(0, 0).unwrap();
        positions.handed(index, 8);
        positions.flushed(0, 0).unwrap();
        let on_disk = Positions::load(file, Duration::ZERO).unwrap();
        assert_eq!(
            on_disk.offset(&log),
            Some(4),
            "the second flush came too soon"
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_same_file_resumes_and_a_replaced_or_rewritten_one_starts_over() {
        let dir = scratch("resume");
        let log = dir.join("app.log");
        let other = dir.join("other.log");
        fs::write(&log, b"one\ntwo\n").unwrap();
        fs::write(&other, b"kept\n").unwrap();
        let file = dir.join("positions.json");
        let run = |finish: &dyn Fn(&mut Positions, usize)| {
            let mut positions = Positions::load(file.clone(), Duration::ZERO).unwrap();
            let index = positions.track(&log).unwrap();
            let at = open_and_read(&mut positions, index, &log);
            finish(&mut positions, index);
            at
        };
        let complete = |positions: &mut Positions, _| {
            positions.complete();
            positions.settle(true, 0).unwrap();
        };
        // A record of a path this run does not read is kept.
        let mut first = Positions::load(file.clone(), Duration::ZERO).unwrap();
        let index = first.track(&other).unwrap();
        open_and_read(&mut first, index, &other);
        complete(&mut first, index);

        assert_eq!(run(&complete), 0);
        fs::write(&log, b"one\ntwo\nthree\n").unwrap();
        assert_eq!(run(&complete), 8, "grew: resumes");
        fs::write(&log, b"ONE\ntwo\nthree\nfour\n").unwrap();
        assert_eq!(run(&complete), 0, "other first bytes: from the start");
        // Created beside it and renamed over it: another inode, the same first bytes.
        let replacement = dir.join("app.log.new");
        fs::write(&replacement, b"ONE\ntwo\nthree\nfour\nfive\n").unwrap();
        fs::rename(&replacement, &log).unwrap();
        assert_eq!(run(&complete), 0, "another inode: from the start");
        assert_eq!(run(&|_, _| {}), 24, "nothing new");

        let mut positions = Positions::load(file.clone(), Duration::ZERO).unwrap();
        assert_eq!(positions.offset(&other), Some(5));
        let index = positions.track(&log).unwrap();
        open_and_read(&mut positions, index, &log);
        positions.restarted(index);
        positions.settle(true, 0).unwrap();
        assert_eq!(positions.offset(&log), Some(0), "rewritten while followed");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_invalid_file_is_refused_with_why_and_what_to_do() {
        let dir = scratch("invalid");
        let file = dir.join("positions.json");
        fs::write(&file, b"{\"version\":1,\"files\":[{\"path\":3}]}").unwrap();
        let err = Positions::load(file.clone(), Duration::ZERO).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{} is not a positions file sluice can read: files[0]: `path` is not a string; \
                 fix it, or remove it to read every file from its start",
                file.display()
            )
        );
        fs::remove_dir_all(&dir).unwrap();
    }
}
