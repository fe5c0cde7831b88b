//! Where to cut: on a UTF-8 character boundary at or before the byte limit, for a whole value
//! ([`cut_point`]) or for a line arriving in pieces ([`Pieces`]).

use sluice_plugin_sdk::LineBuf;

/// The length to keep of `bytes` so that at most `keep` bytes remain and no valid UTF-8
/// character is split: `keep`, or the start of the character that straddles it. A sequence
/// that is not valid UTF-8 (a lone continuation byte, a truncated or overlong sequence) is cut
/// at `keep` exactly. `keep` must be less than `bytes.len()` for a character to straddle it.
pub fn cut_point(bytes: &[u8], keep: usize) -> usize {
    if keep == 0 || keep >= bytes.len() || !is_continuation(bytes[keep]) {
        return keep;
    }
    // The lead byte of a character straddling `keep` is at most 3 bytes before it.
    for start in (keep.saturating_sub(3)..keep).rev() {
        if is_continuation(bytes[start]) {
            continue;
        }
        let width = match bytes[start] {
            0xc2..=0xdf => 2,
            0xe0..=0xef => 3,
            0xf0..=0xf4 => 4,
            _ => return keep,
        };
        let end = start + width;
        let valid =
            end > keep && end <= bytes.len() && std::str::from_utf8(&bytes[start..end]).is_ok();
        return if valid { start } else { keep };
    }
    keep
}

#[inline]
fn is_continuation(byte: u8) -> bool {
    byte & 0xc0 == 0x80
}

/// Truncation of one line that arrives in pieces, so that the pieces joined are what
/// truncating the whole line would give, without holding the line.
///
/// The line is cut at `keep = limit - suffix` bytes (backed off to a character boundary) when
/// it is longer than `limit`. Bytes before `keep - 3` are kept either way and pass at once;
/// bytes from there up to `max(limit + 1, keep + 3)` are *held* until the line is known to
/// be longer than `limit` (or ends), which decides whether they go out or the suffix does.
/// Bytes past that are never output. So at most `suffix + 4` bytes (and never fewer than 6)
/// are held.
#[derive(Debug, Default)]
pub struct Pieces {
    /// Bytes of the current line in the pieces before this one.
    pos: usize,
    /// The undecided bytes, from the start of the held zone.
    held: Vec<u8>,
    /// Whether the line has been cut (the suffix went out); later pieces output nothing.
    cut: bool,
}

/// The geometry of a cut: the zone of undecided bytes.
#[derive(Clone, Copy, Debug)]
pub struct Zone {
    /// The limit: lines longer than this are cut.
    pub limit: usize,
    /// `limit - suffix.len()`: the most bytes of the line kept before the suffix.
    pub keep: usize,
}

impl Zone {
    /// Where the held zone starts.
    fn start(self) -> usize {
        self.keep.saturating_sub(3)
    }

    /// Where it ends: having seen this far, the line is longer than the limit and the
    /// character at `keep` is complete.
    fn end(self) -> usize {
        (self.limit + 1).max(self.keep + 3)
    }
}

impl Pieces {
    /// Whether a line is under way (an earlier piece was seen).
    pub fn in_line(&self) -> bool {
        self.pos > 0 || self.cut || !self.held.is_empty()
    }

    /// Whether the current line has been cut.
    pub fn was_cut(&self) -> bool {
        self.cut
    }

    /// Whether the piece `bytes` passes unchanged: it lies wholly before the held zone (so
    /// nothing is held yet either).
    pub fn unchanged(&self, zone: Zone, bytes: &[u8]) -> bool {
        !self.cut && self.pos + bytes.len() <= zone.start()
    }

    /// Writes what piece `bytes` becomes (`last`: it ends the line); returns whether the line
    /// was cut by this piece.
    pub fn write(
        &mut self,
        zone: Zone,
        suffix: &[u8],
        bytes: &[u8],
        last: bool,
        out: &mut LineBuf<'_>,
    ) -> bool {
        let start = self.pos;
        let end = start + bytes.len();
        self.pos = end;
        if self.cut {
            return false;
        }
        let before = zone.start().saturating_sub(start).min(bytes.len());
        out.extend_from_slice(&bytes[..before]);
        let zone_end = zone.end().saturating_sub(start).clamp(before, bytes.len());
        self.held.extend_from_slice(&bytes[before..zone_end]);
        if end >= zone.end() || (last && end > zone.limit) {
            let base = zone.start();
            let cut = cut_point(&self.held, zone.keep - base);
            out.extend_from_slice(&self.held[..cut]);
            out.extend_from_slice(suffix);
            self.cut = true;
            return true;
        }
        if last {
            out.extend_from_slice(&self.held);
        }
        false
    }

    /// Forgets the line (after its last piece).
    pub fn reset(&mut self) {
        self.pos = 0;
        self.held.clear();
        self.cut = false;
    }

    /// Advances past a piece passed unchanged.
    pub fn skip(&mut self, len: usize) {
        self.pos += len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_plugin_sdk::testing::write_line;

    #[test]
    fn cuts_back_to_the_start_of_a_straddling_character() {
        // "aé" + "€" + "😀": widths 1, 2, 3, 4.
        let text = "aé€😀z".as_bytes();
        let cuts: Vec<usize> = (0..text.len()).map(|k| cut_point(text, k)).collect();
        assert_eq!(cuts, [0, 1, 1, 3, 3, 3, 6, 6, 6, 6, 10]);
        for (k, &c) in cuts.iter().enumerate() {
            assert!(std::str::from_utf8(&text[..c]).is_ok(), "cut {k}");
        }
    }

    #[test]
    fn invalid_utf8_is_cut_at_the_byte() {
        assert_eq!(cut_point(b"ab\x80\x80cd", 3), 3, "lone continuation bytes");
        assert_eq!(
            cut_point(b"ab\xe2\x82", 3),
            3,
            "truncated sequence at the end"
        );
        assert_eq!(cut_point(b"ab\xe2\x82x", 3), 3, "broken sequence");
        assert_eq!(cut_point(b"ab\xc0\x80x", 3), 3, "overlong encoding");
        assert_eq!(cut_point(b"ab\xff\x80x", 3), 3, "invalid lead byte");
        assert_eq!(cut_point(b"\x80\x80\x80\x80\x80", 4), 4);
    }

    /// Feeds `line` in pieces of `size` bytes; returns the joined output and the cut flag.
    fn pieces(line: &[u8], size: usize, limit: usize, suffix: &[u8]) -> (Vec<u8>, bool) {
        let zone = Zone {
            limit,
            keep: limit - suffix.len(),
        };
        let mut p = Pieces::default();
        let mut out = Vec::new();
        let mut was_cut = false;
        let chunks: Vec<&[u8]> = line.chunks(size.max(1)).collect();
        for (i, chunk) in chunks.iter().enumerate() {
            let last = i + 1 == chunks.len();
            if p.unchanged(zone, chunk) {
                out.extend_from_slice(chunk);
                p.skip(chunk.len());
            } else {
                was_cut |= write_line(&mut out, |buf| p.write(zone, suffix, chunk, last, buf));
            }
            if last {
                p.reset();
            }
        }
        (out, was_cut)
    }

    /// The reference: truncating the whole line at once.
    fn whole(line: &[u8], limit: usize, suffix: &[u8]) -> Vec<u8> {
        if line.len() <= limit {
            return line.to_vec();
        }
        let mut out = line[..cut_point(line, limit - suffix.len())].to_vec();
        out.extend_from_slice(suffix);
        out
    }

    #[test]
    fn pieces_join_to_the_whole_line_s_truncation() {
        let lines: [&[u8]; 5] = [
            "ts=1 msg=\"héllo wörld €5 😀😀\" end".as_bytes(),
            b"plain ascii line of some length",
            b"bad \xff\xfe\x80 bytes \xe2\x82 here",
            "😀😀😀😀😀😀".as_bytes(),
            b"",
        ];
        for line in lines {
            for limit in 1..line.len() + 3 {
                for suffix in [&b""[..], "…".as_bytes(), b"..."] {
                    if suffix.len() > limit {
                        continue;
                    }
                    let want = whole(line, limit, suffix);
                    for size in 1..line.len() + 2 {
                        let (got, cut) = pieces(line, size, limit, suffix);
                        assert_eq!(
                            got,
                            want,
                            "line {:?} limit {limit} suffix {suffix:?} pieces of {size}",
                            String::from_utf8_lossy(line)
                        );
                        assert_eq!(cut, line.len() > limit);
                        assert!(got.len() <= limit);
                    }
                }
            }
        }
    }
}
