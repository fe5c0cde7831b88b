//! The messages being merged from partial Docker entries, one per (input, stream).
//!
//! Docker splits a message longer than 16 KiB into entries whose `log` does not end in a
//! newline, followed by one that does; stdout and stderr interleave in one file. So a merge is
//! keyed by where the line was read from (the batch's source) and its stream. At most
//! [`MAX_MERGES`] merges are open at once, each of at most `max_partial_lines` entries.

use crate::parse::Stream;

/// How many merges may be open at once (pairs of input and stream); beyond, the oldest is
/// flushed.
pub(crate) const MAX_MERGES: usize = 64;

/// A message being merged.
#[derive(Debug)]
pub(crate) struct Merge {
    /// The source of the batch its entries came from.
    pub(crate) source: String,
    pub(crate) stream: Stream,
    /// The timestamp of its first entry, which the merged line gets.
    pub(crate) timestamp: i64,
    /// How many entries it holds.
    pub(crate) pieces: u64,
    /// The message so far, unescaped.
    pub(crate) bytes: Vec<u8>,
    /// When it was opened, to flush the oldest first.
    opened: u64,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_are_keyed_by_source_and_stream_and_bounded() {
        let mut m = Merges::default();
        let (a, none) = m.open("a.log", Stream::Stdout, 1);
        assert!(none.is_none());
        m.get_mut(a).bytes.push(b'x');
        assert_eq!(m.find("a.log", Stream::Stdout), Some(a));
        assert_eq!(m.find("a.log", Stream::Stderr), None);
        assert_eq!(m.find("b.log", Stream::Stdout), None);
        for i in 1..MAX_MERGES {
            assert!(m.open(&format!("{i}.log"), Stream::Stderr, 2).1.is_none());
        }
        let evicted = m
            .open("late.log", Stream::Stdout, 3)
            .1
            .expect("the oldest goes");
        assert_eq!(
            (evicted.source.as_str(), evicted.bytes.as_slice()),
            ("a.log", &b"x"[..])
        );
        let drained = m.drain();
        assert_eq!(drained.len(), MAX_MERGES);
        assert_eq!(drained[0].source, "1.log");
        assert_eq!(drained.last().unwrap().source, "late.log");
    }
}
