//! The splitter's rules: where lines end, when a batch is ready, when a line must be cut.
//!
//! [`next_frame`] looks at the bytes pending in the [`LineBuffer`](crate::line_buffer::LineBuffer)
//! and says what can be handed on *now*, without waiting for more input:
//!
//! - [`Frame::Lines`]: complete lines (ending in `\n` or `\r\n`), as many as are already there,
//!   up to the batch limits. A batch is never held back to fill up.
//! - [`Frame::Window`]: the first line's content is longer than the line cap, so its first
//!   `cap` bytes must be force-flushed (see [`crate::chain`] for what happens to a window).
//! - [`Frame::Last`]: at end of input, a final line without terminator.
//! - [`Frame::Wait`]: nothing can be decided until more bytes arrive (or, at end of input,
//!   nothing is left).
//!
//! The rules depend only on the bytes, never on how reads happened to split them, so the same
//! input always gives the same lines and the same cuts. A line is cut when its *content*
//! (without terminator) is longer than `cap` bytes; a line of exactly `cap` bytes is not cut.
//! Because `\r\n` is a terminator, `cap` bytes followed by a lone `\r` are not yet known to be
//! too long: the next byte decides.

/// How a line ended in the input. Reproduced exactly on output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Terminator {
    /// No terminator: the last line of an input without a final newline, or a partial piece
    /// of an over-long line.
    None = 0,
    /// `\n`.
    Lf = 1,
    /// `\r\n`.
    CrLf = 2,
}

impl Terminator {
    /// The terminator's bytes.
    pub fn bytes(self) -> &'static [u8] {
        match self {
            Terminator::None => b"",
            Terminator::Lf => b"\n",
            Terminator::CrLf => b"\r\n",
        }
    }

    /// Splits a line that includes its terminator into its content and terminator.
    pub fn split(line: &[u8]) -> (&[u8], Terminator) {
        match line {
            [content @ .., b'\r', b'\n'] => (content, Terminator::CrLf),
            [content @ .., b'\n'] => (content, Terminator::Lf),
            content => (content, Terminator::None),
        }
    }
}

/// Limits the splitter works within.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// The longest line content, in bytes, handed on whole. Longer lines are cut into windows.
    pub max_line_bytes: usize,
    /// The most lines in one batch.
    pub max_batch_lines: usize,
    /// A batch stops growing once it holds this many bytes.
    pub max_batch_bytes: usize,
}

/// What the pending bytes allow the splitter to hand on now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Frame {
    /// The first `len` pending bytes are `count` complete lines, terminators included.
    Lines { len: usize, count: usize },
    /// The first line is longer than the cap: its first `max_line_bytes` bytes form a window.
    Window,
    /// End of input: all pending bytes are one final line without terminator, short enough to
    /// hand on whole.
    Last,
    /// Nothing to hand on until more bytes arrive (or, at end of input, nothing is left).
    Wait,
}

/// Decides what `pending` allows to hand on now. `eof` says no more bytes will come.
///
/// For [`Frame::Lines`], `line_ends` is set to the offset one past each line's terminator,
/// so that the batch is built without searching the bytes again; otherwise it is left empty.
pub fn next_frame(pending: &[u8], eof: bool, limits: &Limits, line_ends: &mut Vec<u32>) -> Frame {
    let cap = limits.max_line_bytes;
    let mut len = 0;
    line_ends.clear();
    for newline in memchr::memchr_iter(b'\n', pending) {
        let (content, _) = Terminator::split(&pending[len..=newline]);
        if content.len() > cap {
            break;
        }
        len = newline + 1;
        line_ends.push(len as u32);
        if line_ends.len() == limits.max_batch_lines || len >= limits.max_batch_bytes {
            break;
        }
    }
    if !line_ends.is_empty() {
        return Frame::Lines {
            len,
            count: line_ends.len(),
        };
    }
    // No complete line fits: the first line is too long, or has no terminator yet.
    let too_long = match memchr::memchr(b'\n', pending) {
        Some(_) => true,
        None if eof => pending.len() > cap,
        None => certainly_longer_than(pending, cap),
    };
    if too_long {
        Frame::Window
    } else if eof && !pending.is_empty() {
        Frame::Last
    } else {
        Frame::Wait
    }
}

/// True when `unterminated` (bytes with no `\n`) is the start of a line whose content is
/// longer than `cap` whatever follows.
fn certainly_longer_than(unterminated: &[u8], cap: usize) -> bool {
    match unterminated.len().checked_sub(cap) {
        None | Some(0) => false,
        // `cap` bytes and a `\r` that may yet turn out to be half of `\r\n`.
        Some(1) => unterminated.last() != Some(&b'\r'),
        Some(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(cap: usize) -> Limits {
        Limits {
            max_line_bytes: cap,
            max_batch_lines: 1024,
            max_batch_bytes: 1 << 20,
        }
    }

    fn frame(pending: &[u8], eof: bool, cap: usize) -> Frame {
        let mut ends = Vec::new();
        let frame = next_frame(pending, eof, &limits(cap), &mut ends);
        match frame {
            Frame::Lines { len, count } => {
                assert_eq!(ends.len(), count);
                assert_eq!(*ends.last().unwrap() as usize, len);
            }
            _ => assert!(ends.is_empty()),
        }
        frame
    }

    #[test]
    fn line_ends_are_recorded() {
        let mut ends = Vec::new();
        next_frame(b"a\r\n\nbc\nrest", false, &limits(8), &mut ends);
        assert_eq!(ends, [3, 4, 7]);
    }

    #[test]
    fn empty_input() {
        assert_eq!(frame(b"", false, 8), Frame::Wait);
        assert_eq!(frame(b"", true, 8), Frame::Wait);
    }

    #[test]
    fn empty_lines() {
        assert_eq!(frame(b"\n\n", false, 8), Frame::Lines { len: 2, count: 2 });
    }

    #[test]
    fn crlf_and_lf_mixed() {
        assert_eq!(
            frame(b"a\r\nb\nc", false, 8),
            Frame::Lines { len: 5, count: 2 }
        );
        assert_eq!(Terminator::split(b"a\r\n"), (&b"a"[..], Terminator::CrLf));
        assert_eq!(Terminator::split(b"b\n"), (&b"b"[..], Terminator::Lf));
        assert_eq!(Terminator::split(b"\r\n"), (&b""[..], Terminator::CrLf));
    }

    #[test]
    fn lone_cr_is_content() {
        assert_eq!(frame(b"a\rb", false, 8), Frame::Wait);
        assert_eq!(
            frame(b"a\rb\n", false, 8),
            Frame::Lines { len: 4, count: 1 }
        );
        assert_eq!(Terminator::split(b"a\rb"), (&b"a\rb"[..], Terminator::None));
        assert_eq!(Terminator::split(b"a\r"), (&b"a\r"[..], Terminator::None));
    }

    #[test]
    fn no_trailing_newline_waits_until_eof() {
        assert_eq!(frame(b"abc", false, 8), Frame::Wait);
        assert_eq!(frame(b"abc", true, 8), Frame::Last);
    }

    #[test]
    fn lines_then_unterminated_rest() {
        assert_eq!(frame(b"a\nbc", true, 8), Frame::Lines { len: 2, count: 1 });
        assert_eq!(frame(b"bc", true, 8), Frame::Last);
    }

    #[test]
    fn nul_and_invalid_utf8_are_plain_bytes() {
        assert_eq!(
            frame(b"\0\xff\xfe\n", false, 8),
            Frame::Lines { len: 4, count: 1 }
        );
    }

    #[test]
    fn line_exactly_at_the_cap_is_whole() {
        assert_eq!(
            frame(b"12345678\n", false, 8),
            Frame::Lines { len: 9, count: 1 }
        );
        assert_eq!(
            frame(b"12345678\r\n", false, 8),
            Frame::Lines { len: 10, count: 1 }
        );
        assert_eq!(frame(b"12345678", false, 8), Frame::Wait);
        assert_eq!(frame(b"12345678", true, 8), Frame::Last);
    }

    #[test]
    fn cap_then_cr_waits_for_the_next_byte() {
        assert_eq!(frame(b"12345678\r", false, 8), Frame::Wait);
        assert_eq!(
            frame(b"12345678\r\n", false, 8),
            Frame::Lines { len: 10, count: 1 }
        );
        assert_eq!(frame(b"12345678\rx", false, 8), Frame::Window);
        // At end of input the `\r` is content, so the line is one byte too long.
        assert_eq!(frame(b"12345678\r", true, 8), Frame::Window);
    }

    #[test]
    fn line_one_over_the_cap_is_cut() {
        assert_eq!(frame(b"123456789", false, 8), Frame::Window);
        assert_eq!(frame(b"123456789\n", false, 8), Frame::Window);
        assert_eq!(frame(b"123456789", true, 8), Frame::Window);
    }

    #[test]
    fn line_one_under_the_cap_is_whole() {
        assert_eq!(
            frame(b"1234567\n", false, 8),
            Frame::Lines { len: 8, count: 1 }
        );
        assert_eq!(frame(b"1234567", false, 8), Frame::Wait);
    }

    #[test]
    fn long_line_after_short_ones_waits_its_turn() {
        assert_eq!(
            frame(b"a\n123456789\n", false, 8),
            Frame::Lines { len: 2, count: 1 }
        );
    }

    #[test]
    fn batch_limits() {
        let l = Limits {
            max_line_bytes: 8,
            max_batch_lines: 2,
            max_batch_bytes: 1 << 20,
        };
        assert_eq!(
            next_frame(b"a\nb\nc\n", false, &l, &mut Vec::new()),
            Frame::Lines { len: 4, count: 2 }
        );
        let l = Limits {
            max_line_bytes: 8,
            max_batch_lines: 1024,
            max_batch_bytes: 3,
        };
        assert_eq!(
            next_frame(b"ab\ncd\nef\n", false, &l, &mut Vec::new()),
            Frame::Lines { len: 3, count: 1 }
        );
    }

    #[test]
    fn capacity_zero_cuts_every_nonempty_line() {
        assert_eq!(frame(b"\n", false, 0), Frame::Lines { len: 1, count: 1 });
        assert_eq!(frame(b"a\n", false, 0), Frame::Window);
    }
}
