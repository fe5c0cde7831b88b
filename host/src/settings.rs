//! [`Settings`]: how a pipeline splits, batches and reads, and the rules they must keep.

use std::fmt;
use std::time::Duration;

/// How a pipeline splits, batches and reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Lines whose content is longer are cut into windows. By default, 64 KiB.
    pub max_line_bytes: usize,
    /// How many bytes at the end of a window are kept and joined to the line's next bytes, so
    /// that a boundary-safe stage sees a match straddling the cut. Must be smaller than
    /// `max_line_bytes`. By default, 1 KiB.
    pub boundary_overlap: usize,
    /// The most lines in a batch. By default, 1024.
    pub max_batch_lines: usize,
    /// A batch stops growing at this many bytes. By default, 256 KiB.
    pub max_batch_bytes: usize,
    /// The most bytes asked of one read. By default, 256 KiB.
    pub read_size: usize,
    /// The longest a stage may hold input back without a break (its answers' `wake.hold`):
    /// past it, input is read again while the stage goes on holding, and this is said once
    /// on stderr. By default, [`DEFAULT_MAX_HOLD`].
    pub max_hold: Duration,
    /// Compressed input (gzip, zstd, bzip2, xz, recognised by its first bytes) is
    /// decompressed as it is read. By default, true.
    pub decompress: bool,
    /// How many worker threads run the chain's parallel segments ([`crate::parallel`]); 1
    /// runs the whole chain on the reading thread. The output is the same whatever the
    /// number. By default, 1.
    pub threads: usize,
}

/// By default, the longest a stage may hold input back: a rate limiter's waits are far shorter,
/// a stage that holds for a minute is stuck or hostile.
pub const DEFAULT_MAX_HOLD: Duration = Duration::from_secs(60);

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            max_line_bytes: 64 << 10,
            boundary_overlap: 1 << 10,
            max_batch_lines: 1024,
            max_batch_bytes: 256 << 10,
            read_size: 256 << 10,
            max_hold: DEFAULT_MAX_HOLD,
            decompress: true,
            threads: 1,
        }
    }
}

/// The largest line cap: a window and its offsets must fit the contract's `u32` offsets with
/// room for a whole batch.
pub const MAX_LINE_BYTES: usize = u32::MAX as usize / 4;

/// Settings that cannot work together.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettingsError {
    /// `max_line_bytes` is 0.
    LineCapZero,
    /// `max_line_bytes` is above [`MAX_LINE_BYTES`].
    LineCapTooLarge { max_line_bytes: usize },
    /// `boundary_overlap` is not smaller than `max_line_bytes`.
    OverlapNotSmaller {
        boundary_overlap: usize,
        max_line_bytes: usize,
    },
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            SettingsError::LineCapZero => f.write_str("the line cap must be at least 1 byte"),
            SettingsError::LineCapTooLarge { max_line_bytes } => write!(
                f,
                "the line cap ({max_line_bytes}) must be at most {MAX_LINE_BYTES} bytes"
            ),
            SettingsError::OverlapNotSmaller {
                boundary_overlap,
                max_line_bytes,
            } => write!(
                f,
                "the boundary overlap ({boundary_overlap}) must be smaller than the line cap \
                 ({max_line_bytes})"
            ),
        }
    }
}

impl std::error::Error for SettingsError {}

impl Settings {
    /// Checks the settings against each other.
    pub fn check(&self) -> Result<(), SettingsError> {
        if self.max_line_bytes == 0 {
            return Err(SettingsError::LineCapZero);
        }
        if self.boundary_overlap >= self.max_line_bytes {
            return Err(SettingsError::OverlapNotSmaller {
                boundary_overlap: self.boundary_overlap,
                max_line_bytes: self.max_line_bytes,
            });
        }
        if self.max_line_bytes > MAX_LINE_BYTES {
            return Err(SettingsError::LineCapTooLarge {
                max_line_bytes: self.max_line_bytes,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(max_line_bytes: usize, boundary_overlap: usize) -> Settings {
        Settings {
            max_line_bytes,
            boundary_overlap,
            ..Settings::default()
        }
    }

    #[test]
    fn defaults_pass() {
        assert_eq!(Settings::default().check(), Ok(()));
    }

    #[test]
    fn overlap_equal_to_the_cap_is_refused() {
        assert_eq!(
            with(8, 8).check(),
            Err(SettingsError::OverlapNotSmaller {
                boundary_overlap: 8,
                max_line_bytes: 8
            })
        );
    }

    #[test]
    fn cap_zero_and_cap_too_large_are_refused() {
        assert_eq!(with(0, 0).check(), Err(SettingsError::LineCapZero));
        assert_eq!(
            with(MAX_LINE_BYTES + 1, 0).check(),
            Err(SettingsError::LineCapTooLarge {
                max_line_bytes: MAX_LINE_BYTES + 1
            })
        );
        assert_eq!(with(MAX_LINE_BYTES, 0).check(), Ok(()));
    }
}
