//! The limits of a merge: how many pieces and bytes the SDK's [`Merge`] of `P` lines may
//! grow to, and cutting it on a character boundary when it is truncated.
//!
//! CRI runtimes split a long message into `P` lines followed by an `F` line, on each stream of
//! each container log file, and stdout and stderr interleave in one file; the SDK's
//! [`sluice_plugin_sdk::merge::Merges`] keeps one merge per input and stream.

use sluice_plugin_sdk::merge::Merge;

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

/// Appends a piece's message to `merge`, cut to the room left when truncating; once cut, later
/// pieces add nothing (but count).
pub(crate) fn append(merge: &mut Merge, message: &[u8], limits: &Limits) {
    merge.pieces += 1;
    if merge.truncated {
        return;
    }
    let take = match limits.room(merge.bytes.len()) {
        Some(room) if room < message.len() => {
            merge.truncated = true;
            cut(message, room)
        }
        _ => message.len(),
    };
    merge.bytes.extend_from_slice(&message[..take]);
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
    use sluice_plugin_sdk::merge::{Merges, Stream};

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
    fn truncation_stops_a_merge_growing() {
        let limits = Limits {
            max_pieces: 100,
            max_bytes: 5,
            truncate: true,
        };
        let mut m = Merges::default();
        let (i, _) = m.open(Stream::Stdout, 0);
        let merge = m.get_mut(i);
        append(merge, b"abc", &limits);
        append(merge, b"d\xc3\xa9f", &limits);
        append(merge, b"g", &limits);
        assert_eq!(merge.bytes, b"abcd");
        assert!(merge.truncated);
        assert_eq!(merge.pieces, 3);
    }
}
