//! Output every interval, while there is something new: the timer `aggregate` (a table) and
//! `metrics` (an exposition) share.
//!
//! A stage that reports periodically notes each change ([`Period::touch`]); after each batch
//! it arms the timer ([`Period::arm`]), which starts counting down at the first change since
//! the last output; its [`crate::Plugin::wake`] answers [`Period::wake`], the time *left*, so
//! that busy input does not postpone the deadline; and its [`crate::Plugin::tick`] asks
//! [`Period::tick`] whether to output now. With no interval, nothing is ever due: the stage
//! outputs at `finish` only.

use crate::{Wake, clock};
use std::time::Duration;

/// A periodic output's timer.
#[derive(Clone, Debug, Default)]
pub struct Period {
    /// How often to output, if at all.
    interval: Option<Duration>,
    /// When the next output is due (monotonic nanoseconds): set by the first change, then by
    /// each tick; `None` before the first change or without an interval.
    next_at: Option<u64>,
    /// Whether something changed since the last output.
    dirty: bool,
}

impl Period {
    /// A timer for an output every `interval` (`None`: never, only at the end).
    pub fn new(interval: Option<Duration>) -> Period {
        Period {
            interval,
            next_at: None,
            dirty: false,
        }
    }

    /// Notes a change: the next output has something new.
    #[inline]
    pub fn touch(&mut self) {
        self.dirty = true;
    }

    /// Whether something changed since the last output.
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    /// Starts the countdown to the next output, if something changed and none is running
    /// (call it after each batch).
    pub fn arm(&mut self) {
        if let Some(interval) = self.interval
            && self.dirty
            && self.next_at.is_none()
        {
            self.next_at = Some(clock::monotonic().saturating_add(nanos(interval)));
        }
    }

    /// What [`crate::Plugin::wake`] answers: the time left until the output is due, while
    /// something changed.
    pub fn wake(&self) -> Option<Wake> {
        let next_at = self.next_at.filter(|_| self.dirty)?;
        let left = next_at.saturating_sub(clock::monotonic());
        Some(Wake::after(Duration::from_nanos(left)))
    }

    /// At a tick: whether to output now (something changed since the last output), which
    /// counts as the output. Restarts the countdown either way. Never true without an interval.
    pub fn tick(&mut self) -> bool {
        let Some(interval) = self.interval else {
            return false;
        };
        let due = std::mem::take(&mut self.dirty);
        self.next_at = Some(clock::monotonic().saturating_add(nanos(interval)));
        due
    }
}

/// A duration in nanoseconds, saturating.
fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `f` with the monotonic clock at `at` nanoseconds.
    fn at<R>(at: u64, f: impl FnOnce() -> R) -> R {
        clock::set_fake(Some((0, at)));
        let r = f();
        clock::set_fake(None);
        r
    }

    const SECOND: u64 = 1_000_000_000;

    #[test]
    fn the_countdown_starts_at_the_first_change() {
        let mut p = Period::new(Some(Duration::from_secs(10)));
        at(0, || p.arm());
        assert_eq!(p.wake(), None, "nothing changed yet");
        p.touch();
        at(3 * SECOND, || p.arm());
        assert_eq!(
            at(4 * SECOND, || p.wake()),
            Some(Wake::after(Duration::from_secs(9)))
        );
        // More changes do not postpone the deadline.
        p.touch();
        at(8 * SECOND, || p.arm());
        assert_eq!(
            at(8 * SECOND, || p.wake()),
            Some(Wake::after(Duration::from_secs(5)))
        );
        assert_eq!(
            at(20 * SECOND, || p.wake()),
            Some(Wake::after(Duration::ZERO))
        );
    }

    #[test]
    fn a_tick_outputs_only_what_changed() {
        let mut p = Period::new(Some(Duration::from_secs(10)));
        p.touch();
        at(0, || p.arm());
        assert!(at(10 * SECOND, || p.tick()));
        assert!(!p.is_dirty());
        assert_eq!(p.wake(), None, "nothing new: no tick wanted");
        assert!(!at(20 * SECOND, || p.tick()));
        p.touch();
        at(21 * SECOND, || p.arm());
        // The countdown restarted at the last tick.
        assert_eq!(
            at(21 * SECOND, || p.wake()),
            Some(Wake::after(Duration::from_secs(9)))
        );
    }

    #[test]
    fn without_an_interval_nothing_is_due() {
        let mut p = Period::new(None);
        p.touch();
        at(0, || p.arm());
        assert_eq!(p.wake(), None);
        assert!(!p.tick());
        assert!(p.is_dirty(), "the change is still there for finish");
    }
}
