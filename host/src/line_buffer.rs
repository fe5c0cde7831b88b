//! The reusable input buffer the splitter reads into.
//!
//! Modelled on ripgrep's `grep-searcher/src/line_buffer.rs`: one `Vec<u8>` allocated once, a
//! window `pos..end` of bytes read but not yet handed on, and `roll` moving that window to the
//! front with `copy_within` when the free space runs low. Unlike ripgrep's buffer this one never
//! grows: the framing rules (see [`crate::framing`]) cut any line longer than the line cap, so
//! the pending bytes never exceed `cap + 2` and a buffer of `cap + 2 + read_size` always has
//! room for one more read. That is what keeps memory bounded for a 1 GiB line.

use std::io::{self, Read};

/// A fixed-size buffer of bytes read from one input and not yet consumed.
#[derive(Debug)]
pub struct LineBuffer {
    /// The storage. Its length is the capacity and never changes.
    buf: Vec<u8>,
    /// Start of the pending bytes. Everything before `pos` was consumed and may be overwritten.
    /// Invariant: `pos <= end`.
    pos: usize,
    /// One past the last byte read. Invariant: `end <= buf.len()`.
    end: usize,
    /// The least number of free bytes a read is offered. `roll` runs when fewer are left.
    read_size: usize,
    /// True once the reader returned 0 bytes: everything pending is all there is.
    eof: bool,
}

impl LineBuffer {
    /// A buffer that can hold `max_pending` unconsumed bytes plus one read of `read_size`.
    pub fn new(max_pending: usize, read_size: usize) -> LineBuffer {
        let read_size = read_size.max(1);
        LineBuffer {
            buf: vec![0; max_pending + read_size],
            pos: 0,
            end: 0,
            read_size,
            eof: false,
        }
    }

    /// Starts over for a new input, keeping the allocation.
    pub fn reset(&mut self) {
        self.pos = 0;
        self.end = 0;
        self.eof = false;
    }

    /// The bytes read and not yet consumed.
    pub fn pending(&self) -> &[u8] {
        &self.buf[self.pos..self.end]
    }

    /// True once the input is exhausted.
    pub fn is_eof(&self) -> bool {
        self.eof
    }

    /// Takes back an end of input: a followed file has grown since it read as exhausted.
    pub fn clear_eof(&mut self) {
        self.eof = false;
    }

    /// Treats the input as exhausted (after a read error): what is pending is all there is.
    pub fn set_eof(&mut self) {
        self.eof = true;
    }

    /// Reads once from `rdr`: as many bytes as one `read` call returns, never waiting for more.
    /// Returns the number of bytes read; 0 means end of input. Interrupted reads are retried.
    ///
    /// # Panics
    /// If more bytes are pending than the buffer was sized for (a framing bug).
    pub fn fill<R: Read + ?Sized>(&mut self, rdr: &mut R) -> io::Result<usize> {
        if self.eof {
            return Ok(0);
        }
        if self.buf.len() - self.end < self.read_size {
            self.roll();
        }
        assert!(
            self.buf.len() - self.end >= self.read_size,
            "line buffer overfull: {} bytes pending",
            self.end - self.pos
        );
        loop {
            match rdr.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(0);
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(n);
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(err),
            }
        }
    }

    /// Marks the first `n` pending bytes as consumed.
    pub fn consume(&mut self, n: usize) {
        assert!(n <= self.end - self.pos, "consumed more than is pending");
        self.pos += n;
        if self.pos == self.end {
            self.pos = 0;
            self.end = 0;
        }
    }

    /// Consumes the first `n` pending bytes and puts `keep` in their place, in front of the
    /// rest. This is how the tail of a force-flushed window (already seen, and possibly
    /// rewritten, by boundary-safe stages) becomes the start of the next window.
    ///
    /// # Panics
    /// If `keep` is longer than `n`: the caller only ever keeps part of what it consumed.
    pub fn replace_front(&mut self, n: usize, keep: &[u8]) {
        assert!(keep.len() <= n, "kept more bytes than were consumed");
        self.consume(n);
        if keep.is_empty() {
            return;
        }
        if self.pos == 0 && self.end == 0 {
            self.buf[..keep.len()].copy_from_slice(keep);
            self.end = keep.len();
        } else {
            // `consume` moved `pos` forward by `n >= keep.len()` without resetting, so there is
            // room right before it.
            self.pos -= keep.len();
            self.buf[self.pos..self.pos + keep.len()].copy_from_slice(keep);
        }
    }

    /// Moves the pending bytes to the front of the buffer.
    fn roll(&mut self) {
        self.buf.copy_within(self.pos..self.end, 0);
        self.end -= self.pos;
        self.pos = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that returns its chunks one `read` at a time, like a pipe with a slow writer.
    struct Chunks(Vec<Vec<u8>>);

    impl Read for Chunks {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() {
                return Ok(0);
            }
            let chunk = &mut self.0[0];
            let n = chunk.len().min(out.len());
            out[..n].copy_from_slice(&chunk[..n]);
            chunk.drain(..n);
            if chunk.is_empty() {
                self.0.remove(0);
            }
            Ok(n)
        }
    }

    #[test]
    fn fill_returns_what_one_read_gives() {
        let mut rdr = Chunks(vec![b"ab".to_vec(), b"cd\n".to_vec()]);
        let mut lb = LineBuffer::new(8, 4);
        assert_eq!(lb.fill(&mut rdr).unwrap(), 2);
        assert_eq!(lb.pending(), b"ab");
        assert_eq!(lb.fill(&mut rdr).unwrap(), 3);
        assert_eq!(lb.pending(), b"abcd\n");
        assert_eq!(lb.fill(&mut rdr).unwrap(), 0);
        assert!(lb.is_eof());
    }

    #[test]
    fn roll_keeps_pending_bytes() {
        let mut rdr = Chunks(vec![b"0123456789".to_vec(), b"abc".to_vec()]);
        let mut lb = LineBuffer::new(6, 4);
        assert_eq!(lb.fill(&mut rdr).unwrap(), 10);
        lb.consume(7);
        // No room left at the end: the 3 pending bytes move to the front first.
        assert_eq!(lb.fill(&mut rdr).unwrap(), 3);
        assert_eq!(lb.pending(), b"789abc");
        assert_eq!(lb.fill(&mut rdr).unwrap(), 0);
        assert_eq!(lb.pending(), b"789abc");
    }

    #[test]
    fn replace_front_puts_the_tail_before_the_rest() {
        let mut rdr = Chunks(vec![b"xxxxyyzz".to_vec()]);
        let mut lb = LineBuffer::new(8, 8);
        lb.fill(&mut rdr).unwrap();
        lb.replace_front(6, b"TT");
        assert_eq!(lb.pending(), b"TTzz");
    }

    #[test]
    fn replace_front_of_everything() {
        let mut rdr = Chunks(vec![b"xxxx".to_vec()]);
        let mut lb = LineBuffer::new(8, 8);
        lb.fill(&mut rdr).unwrap();
        lb.replace_front(4, b"T");
        assert_eq!(lb.pending(), b"T");
    }

    #[test]
    fn reset_forgets_eof() {
        let mut lb = LineBuffer::new(4, 4);
        lb.fill(&mut io::empty()).unwrap();
        assert!(lb.is_eof());
        lb.reset();
        assert!(!lb.is_eof());
        assert_eq!(lb.pending(), b"");
    }
}
