//! `--follow`: files read like `tail -F` does, as they grow and across rotations.
//!
//! - [`file`](mod@file): [`FollowedFile`], one path and the file open under it: reads what was
//!   appended, notices rotation and truncation.
//! - here: [`Pipeline::follow`], the loop. Every file has its own buffer, so lines of
//!   different files never mix; each poll reads what every file has and hands it on through
//!   the same frame loop as a finite input ([`Pipeline::drain`]). While one file's over-long
//!   line passes in pieces, the other files wait for its end. When no file had new bytes, the
//!   loop sleeps [`FOLLOW_POLL`], or less when a stage's tick is due sooner.
//! - A stop request ([`crate::stop`]) wakes that sleep and ends following: what every file
//!   has read goes through the chain (a last line without its terminator as at any end), then
//!   the chain is finished as at the end of the input.
//! - With `--positions`, a file resumes from its recorded offset when it is the file recorded
//!   ([`Pipeline::open_at_position`]), and a file replaced or rewritten while followed is
//!   recorded from its start again.

mod file;

pub(crate) use file::read_at_start;
pub use file::{Change, FINGERPRINT_BYTES, FollowedFile};

use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::emit::Flow;
use crate::input::{Input, Reading};
use crate::pipeline::{Pipeline, RunError};
use crate::sink::Sink;
use crate::stats::CountingSink;

/// How often followed files are polled for new bytes when none had any.
pub const FOLLOW_POLL: Duration = Duration::from_millis(25);

/// One followed file and its reading state.
struct Followed {
    input: Input,
    file: FollowedFile,
    reading: Reading,
    /// The last error reported for this file, so that a retry does not repeat it.
    reported: Option<io::ErrorKind>,
}

impl Followed {
    /// Reports `err` for this file unless the last report was of the same kind.
    fn report(&mut self, err: io::Error, input_error: &mut dyn FnMut(&Input, io::Error)) {
        if self.reported != Some(err.kind()) {
            self.reported = Some(err.kind());
            input_error(&self.input, err);
        }
    }
}

impl Pipeline {
    /// Follows `files` like `tail -F`: reads each from its start, then polls them for new
    /// bytes and across rotations, until a stop is requested ([`Pipeline::stop_on`]), the
    /// sink stops or fails, or a stage fails.
    /// Errors opening or reading a file are reported to `input_error` once per kind of
    /// trouble; the file is retried.
    pub fn follow(
        &mut self,
        files: &[PathBuf],
        sink: &mut dyn Sink,
        input_error: &mut dyn FnMut(&Input, io::Error),
    ) -> Result<(), RunError> {
        let counters = Arc::clone(&self.counters);
        let sink = &mut CountingSink::new(sink, &counters, self.count_bulk_lines);
        let result = self.follow_all(files, sink, input_error);
        self.settle(result, sink)
    }

    fn follow_all(
        &mut self,
        paths: &[PathBuf],
        sink: &mut dyn Sink,
        input_error: &mut dyn FnMut(&Input, io::Error),
    ) -> Result<(), RunError> {
        let mut followed = self.open_followed(paths, input_error);
        for f in &mut followed {
            if let Err(err) = self.open_at_position(f) {
                f.report(err, input_error);
            }
        }
        loop {
            if self.stop.is_requested() {
                return self.end_followed(&mut followed, sink);
            }
            let mut got_bytes = false;
            for i in 0..followed.len() {
                // While one file's over-long line is passing in pieces, only that file is read,
                // so that no other file's lines reach the stages between its pieces.
                if !followed[i].reading.mid_line && followed.iter().any(|f| f.reading.mid_line) {
                    continue;
                }
                let (flow, got) = self.poll_one(&mut followed[i], sink, input_error)?;
                if flow.is_break() {
                    return Ok(());
                }
                got_bytes |= got;
            }
            if self.emitter.settle(sink, &self.stop)?.is_break() {
                return Ok(());
            }
            if got_bytes {
                continue;
            }
            let mut wait = FOLLOW_POLL;
            if let Some(deadline) = self.emitter.chain.next_deadline() {
                let now = Instant::now();
                if deadline <= now {
                    if self.emitter.tick_due(now, sink)?.is_break() {
                        return Ok(());
                    }
                    self.emitter.flush(sink)?;
                    continue;
                }
                wait = wait.min(deadline - now);
            }
            self.stop.sleep(wait);
        }
    }

    /// Ends following on a stop request: each file's pending bytes are handed on as its last
    /// (the file whose over-long line is passing in pieces first, so that its pieces stay
    /// together), then the chain is finished.
    fn end_followed(
        &mut self,
        followed: &mut [Followed],
        sink: &mut dyn Sink,
    ) -> Result<(), RunError> {
        followed.sort_by_key(|f| !f.reading.mid_line);
        for f in followed.iter_mut() {
            f.reading.buffer.set_eof();
            if self.drain(&mut f.reading, sink)?.is_break() {
                return Ok(());
            }
        }
        self.finish_chain(sink)
    }

    /// Hands on what was read of a file's content that ended (rotated away or rewritten) as
    /// its last bytes, then empties the buffer for what comes next.
    fn end_content(&mut self, f: &mut Followed, sink: &mut dyn Sink) -> Result<Flow, RunError> {
        f.reading.buffer.set_eof();
        let flow = self.drain(&mut f.reading, sink)?;
        f.reading.restart();
        Ok(flow)
    }

    /// With `--positions`, claims the file's entry and, when the file open under its path is
    /// the one recorded, starts reading it at the recorded offset.
    fn open_at_position(&mut self, f: &mut Followed) -> io::Result<()> {
        let Some(positions) = &mut self.emitter.positions else {
            return Ok(());
        };
        if f.reading.tracked.is_none() {
            let Input::File(path) = &f.input else {
                return Ok(());
            };
            f.reading.tracked = positions.track(path);
        }
        let (Some(index), Some(file)) = (f.reading.tracked, f.file.file()) else {
            return Ok(());
        };
        let resumed = positions
            .open(index, file)
            .and_then(|offset| f.file.start_at(offset).map(|()| offset));
        match resumed {
            Ok(offset) => {
                f.reading.read_to = offset;
                Ok(())
            }
            Err(err) => {
                // Read from its start, and recorded no more: a position not known to be the
                // file's is not written.
                f.reading.tracked = None;
                Err(err)
            }
        }
    }

    /// Opens every path to follow; a path that does not exist yet is waited for.
    fn open_followed(
        &self,
        paths: &[PathBuf],
        input_error: &mut dyn FnMut(&Input, io::Error),
    ) -> Vec<Followed> {
        let mut followed = Vec::with_capacity(paths.len());
        for path in paths {
            let input = Input::File(path.clone());
            let reading = Reading::new(&input, &self.settings);
            let file = match FollowedFile::new(path.clone()) {
                Ok(file) => file,
                Err(err) => {
                    input_error(&input, err);
                    continue;
                }
            };
            let mut entry = Followed {
                input,
                file,
                reading,
                reported: None,
            };
            if !entry.file.is_open() {
                let err = io::Error::new(
                    io::ErrorKind::NotFound,
                    "no such file yet; waiting for it to appear",
                );
                entry.report(err, input_error);
            }
            followed.push(entry);
        }
        followed
    }

    /// Reads what one file has, handing lines on as they complete, then checks its path for a
    /// rotation. Returns the flow and whether the file had anything new.
    fn poll_one(
        &mut self,
        f: &mut Followed,
        sink: &mut dyn Sink,
        input_error: &mut dyn FnMut(&Input, io::Error),
    ) -> Result<(Flow, bool), RunError> {
        let mut got_bytes = false;
        // A file that grows as fast as it is read would keep this loop going: a stop request
        // ends it.
        while !self.stop.is_requested() {
            // Before every read, not once a poll: lines handed on above may already have
            // reached a reader that rewrites the file in answer.
            match f.file.restart_if_rewritten() {
                Ok(false) => {}
                Ok(true) => {
                    // The old content's last line, even without a terminator, is complete: it
                    // is not joined to the new content's first.
                    got_bytes = true;
                    if self.end_content(f, sink)?.is_break() {
                        return Ok((Flow::Break(()), true));
                    }
                    if let (Some(positions), Some(index)) =
                        (&mut self.emitter.positions, f.reading.tracked)
                    {
                        positions.restarted(index);
                    }
                }
                Err(err) => {
                    f.report(err, input_error);
                    break;
                }
            }
            if f.reading.tracked.is_some() {
                // What was handed on goes out before each read, as for a file read once, so
                // that the position moves while a long backlog is caught up with too.
                self.emitter.flush(sink)?;
            }
            match f.reading.fill(&mut f.file, self.emitter.positions.as_mut()) {
                Ok(0) => {
                    f.reading.buffer.clear_eof();
                    break;
                }
                Ok(n) => {
                    self.counters.read_bytes(n as u64);
                    got_bytes = true;
                }
                Err(err) => {
                    f.report(err, input_error);
                    break;
                }
            }
            if self.drain(&mut f.reading, sink)?.is_break() {
                return Ok((Flow::Break(()), got_bytes));
            }
        }
        let change = match f.file.check() {
            Ok(change) => change,
            Err(err) => {
                f.report(err, input_error);
                return Ok((Flow::Continue(()), got_bytes));
            }
        };
        if change != Change::Replaced {
            return Ok((Flow::Continue(()), got_bytes));
        }
        // The old file was read to its end above; its last line, even without a terminator,
        // is complete now.
        if self.end_content(f, sink)?.is_break() {
            return Ok((Flow::Break(()), true));
        }
        match f.file.reopen().and_then(|()| self.open_at_position(f)) {
            Ok(()) => f.reported = None,
            Err(err) => f.report(err, input_error),
        }
        Ok((Flow::Continue(()), true))
    }
}
