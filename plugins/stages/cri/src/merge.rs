//! The messages being merged from `P` lines, one per (input, stream), and their limits.
//!
//! CRI runtimes split a long message into `P` lines followed by an `F` line, on each stream of
//! each container log file, and stdout and stderr interleave in one file. So a merge is keyed
//! by where the line was read from (the batch's source) and its stream. At most
//! [`MAX_MERGES`] merges are open at once; bytes are bounded by the limits.

use crate::parse::Stream;

/// How many merges may be open at once (pairs of input and stream); beyond, the oldest is
/// flushed.
pub(crate) const MAX_MERGES: usize = 64;

/// When a merge must stop growing.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// The most pieces (lines) one merged message is made of (`max_partial_lines`, >= 1).
    pub(crate) max_pieces: u64,
    /// The most bytes a merged message may hold (`max_partial_line_size`); 0 for no limit.
    pub(crate) max_bytes: usize,
    /// Whether a merged message is cut at `max_bytes` (else it is flushed before it would
    /// pass it).
    pub(crate) truncate: bool,
}

impl Limits {
    /// The bytes a truncated merge may still take, or `None` when merges are not truncated.
    pub(crate) fn room(&self, held: usize) -> Option<usize> {
        (self.truncate && self.max_bytes > 0).then(|| self.max_bytes.saturating_sub(held))
    }
}

/// A message being merged.
#[derive(Debug)]
pub(crate) struct Merge {
    /// The source of the batch its pieces came from.
    pub(crate) source: String,
    pub(crate) stream: Stream,
    /// The timestamp of its first piece, which the merged line gets.
    pub(crate) timestamp: i64,
    /// How many pieces it holds.
    pub(crate) pieces: u64,
    /// The message so far.
    pub(crate) bytes: Vec<u8>,
    /// Whether it was cut at the size limit: later pieces add nothing.
    pub(crate) truncated: bool,
    /// When it was opened, to flush the oldest first.
    opened: u64,
}

impl Merge {
    /// Appends a piece's message, cut to `room` bytes when truncating.
    pub(crate) fn append(&mut self, message: &[u8], limits: &Limits) {
        self.pieces += 1;
        if self.truncated {
            return;
        }
        let take = match limits.room(self.bytes.len()) {
            Some(room) if room < message.len() => {
                self.truncated = true;
                cut(message, room)
            }
            _ => message.len(),
        };
        self.bytes.extend_from_slice(&message[..take]);
    }
}

/// The open merges.
#[derive(Debug, Default)]
pub(crate) struct Merges {
    /// Unordered; `opened` gives the age.
    open: Vec<Merge>,
    next: u64,
}

impl Merges {
    /// The index of the merge of (`source`, `stream`), if one is open.
    pub(crate) fn find(&self, source: &str, stream: Stream) -> Option<usize> {
        self.open
            .iter()
            .position(|m| m.stream == stream && m.source == source)
    }

    pub(crate) fn get_mut(&mut self, index: usize) -> &mut Merge {
        &mut self.open[index]
    }

    /// Closes merge `index` and returns it.
    pub(crate) fn remove(&mut self, index: usize) -> Merge {
        self.open.swap_remove(index)
    }

    /// Opens an empty merge; returns its index. When [`MAX_MERGES`] are open, the oldest is
    /// closed first and returned, to be flushed.
    pub(crate) fn open(
        &mut self,
        source: &str,
        stream: Stream,
        timestamp: i64,
    ) -> (usize, Option<Merge>) {
        let evicted = (self.open.len() >= MAX_MERGES).then(|| {
            let oldest = (0..self.open.len())
                .min_by_key(|&i| self.open[i].opened)
                .unwrap_or(0);
            self.open.swap_remove(oldest)
        });
        self.open.push(Merge {
            source: source.to_owned(),
            stream,
            timestamp,
            pieces: 0,
            bytes: Vec::new(),
            truncated: false,
            opened: self.next,
        });
        self.next += 1;
        (self.open.len() - 1, evicted)
    }

    /// Closes every merge and returns them, oldest first.
    pub(crate) fn drain(&mut self) -> Vec<Merge> {
        let mut all = std::mem::take(&mut self.open);
        all.sort_by_key(|m| m.opened);
        all
    }
}

/// The length of the longest prefix of `bytes` of at most `max` bytes that does not end in
/// the middle of a UTF-8 character (on text that is not UTF-8, up to 3 bytes shorter than
/// `max`).
pub(crate) fn cut(bytes: &[u8], max: usize) -> usize {
    if max >= bytes.len() {
        return bytes.len();
    }
    let mut end = max;
    // Back off while the byte after the cut continues a character started before it.
    while end > 0 && max - end < 3 && bytes[end] & 0xc0 == 0x80 {
        end -= 1;
    }
    if bytes[end] & 0xc0 == 0x80 { max } else { end }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_keeps_characters_whole() {
        let text = "aé€😀".as_bytes(); // 1 + 2 + 3 + 4 bytes
        assert_eq!(cut(text, 0), 0);
        assert_eq!(cut(text, 1), 1);
        assert_eq!(cut(text, 2), 1);
        assert_eq!(cut(text, 3), 3);
        assert_eq!(cut(text, 5), 3);
        assert_eq!(cut(text, 6), 6);
        assert_eq!(cut(text, 9), 6);
        assert_eq!(cut(text, 10), 10);
        assert_eq!(cut(text, 99), 10);
        // Not UTF-8: continuation bytes with no start.
        assert_eq!(cut(b"\x80\x80\x80\x80\x80", 4), 4);
    }

    #[test]
    fn merges_are_keyed_by_source_and_stream_and_bounded() {
        let mut m = Merges::default();
        let (a, none) = m.open("a.log", Stream::Stdout, 1);
        assert!(none.is_none());
        m.get_mut(a).append(
            b"x",
            &Limits {
                max_pieces: 9,
                max_bytes: 0,
                truncate: false,
            },
        );
        assert_eq!(m.find("a.log", Stream::Stdout), Some(a));
        assert_eq!(m.find("a.log", Stream::Stderr), None);
        assert_eq!(m.find("b.log", Stream::Stdout), None);
        for i in 1..MAX_MERGES {
            let (_, evicted) = m.open(&format!("{i}.log"), Stream::Stderr, 2);
            assert!(evicted.is_none());
        }
        let (_, evicted) = m.open("late.log", Stream::Stdout, 3);
        let evicted = evicted.expect("the oldest is flushed");
        assert_eq!(
            (evicted.source.as_str(), evicted.bytes.as_slice()),
            ("a.log", &b"x"[..])
        );
        let drained = m.drain();
        assert_eq!(drained.len(), MAX_MERGES);
        assert_eq!(drained[0].source, "1.log");
        assert_eq!(drained.last().unwrap().source, "late.log");
    }

    #[test]
    fn truncation_stops_a_merge_growing() {
        let limits = Limits {
            max_pieces: 100,
            max_bytes: 5,
            truncate: true,
        };
        let mut m = Merges::default();
        let (i, _) = m.open("-", Stream::Stdout, 0);
        let merge = m.get_mut(i);
        merge.append(b"abc", &limits);
        merge.append(b"d\xc3\xa9f", &limits);
        merge.append(b"g", &limits);
        assert_eq!(merge.bytes, b"abcd");
        assert!(merge.truncated);
        assert_eq!(merge.pieces, 3);
    }
}
