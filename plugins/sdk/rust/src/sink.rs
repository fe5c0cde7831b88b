//! Where written bytes go: [`Sink`], one trait for a line being written in place
//! ([`crate::LineBuf`], from [`crate::Output::emit_with`]; its impl is in `output.rs`) and for
//! a buffer of the plugin's own (`Vec<u8>`: a merge being built, a field value, a report), so
//! that code that writes bytes (a replacer, an escape stripper, [`crate::json::write_string`])
//! is written once for both.
//!
//! [`Sink::put`] is all most writers need. [`Sink::put_uninit`] lets a writer that knows an
//! upper bound of what it writes (an escaper) store straight into the destination's spare
//! room, with no intermediate copy and no per-byte capacity check.

use std::mem::MaybeUninit;

/// A destination for bytes: a line being written ([`crate::LineBuf`]) or a `Vec<u8>`.
pub trait Sink {
    /// Appends bytes.
    fn put(&mut self, bytes: &[u8]);

    /// Appends one byte. By default, [`Sink::put`] of a one-byte slice.
    #[inline]
    fn put_byte(&mut self, byte: u8) {
        self.put(&[byte]);
    }

    /// Appends bytes written in place: `write` gets room for at least `max` bytes, not
    /// initialised, and returns how many it wrote at the start of it. By default, the bytes are
    /// written into a temporary buffer and then [`Sink::put`].
    ///
    /// A writer must not rely on the room being longer than `max`, and must check its length
    /// before writing through raw pointers (an implementation outside the SDK may be wrong).
    ///
    /// # Safety
    ///
    /// `write` must initialise the first `n` bytes of the room before returning `n`;
    /// implementations panic when `n` is greater than `max`.
    #[inline]
    unsafe fn put_uninit(
        &mut self,
        max: usize,
        write: impl FnOnce(&mut [MaybeUninit<u8>]) -> usize,
    ) {
        let mut buf = Vec::new();
        // SAFETY: the caller's `write` initialises what it counts.
        unsafe { buf.put_uninit(max, write) };
        self.put(&buf);
    }
}

impl Sink for Vec<u8> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }

    #[inline]
    fn put_byte(&mut self, byte: u8) {
        self.push(byte);
    }

    #[inline]
    unsafe fn put_uninit(
        &mut self,
        max: usize,
        write: impl FnOnce(&mut [MaybeUninit<u8>]) -> usize,
    ) {
        self.reserve(max);
        let len = self.len();
        let n = write(&mut self.spare_capacity_mut()[..max]);
        assert!(n <= max, "put_uninit: wrote {n} bytes in a room of {max}");
        // SAFETY: `n <= max` fits the capacity reserved, and the caller initialised those bytes.
        unsafe { self.set_len(len + n) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sink that only implements `put`, to exercise the default methods.
    struct Plain(Vec<u8>);

    impl Sink for Plain {
        fn put(&mut self, bytes: &[u8]) {
            self.0.extend_from_slice(bytes);
        }
    }

    fn write_abc(out: &mut impl Sink) {
        out.put(b"a");
        out.put_byte(b'b');
        // SAFETY: one byte is initialised before 1 is returned.
        unsafe {
            out.put_uninit(8, |room| {
                room[0].write(b'c');
                1
            })
        };
    }

    #[test]
    fn every_sink_appends_the_same_bytes() {
        let mut vec = b">".to_vec();
        write_abc(&mut vec);
        assert_eq!(vec, b">abc");
        let mut plain = Plain(b">".to_vec());
        write_abc(&mut plain);
        assert_eq!(plain.0, b">abc");
        let mut lines = b"earlier line".to_vec();
        crate::testing::write_line(&mut lines, |buf| write_abc(buf));
        assert_eq!(lines, b"earlier lineabc");
    }

    #[test]
    #[should_panic(expected = "wrote 3 bytes in a room of 2")]
    fn put_uninit_refuses_more_than_the_room() {
        let mut vec = Vec::new();
        // SAFETY: the bytes are initialised; the count is too large on purpose.
        unsafe {
            vec.put_uninit(2, |room| {
                room.fill(MaybeUninit::new(0));
                3
            })
        };
    }
}
