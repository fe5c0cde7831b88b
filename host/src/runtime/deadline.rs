//! [`CallDeadline`]: when the call into a stage that is running must end, in wall time, so
//! that a host call that blocks (a WASI sleep) is cut there too.
//!
//! Epoch interruption stops a guest that computes past its deadline, but it is checked only
//! while wasm runs: a guest blocked inside a host call (`subscribe-duration(20 s).block()`) is
//! not interrupted until the call returns. So the stage arms this deadline before every call,
//! and the WASI clock functions that make a guest wait ([`crate::runtime::wasi`]) wait no
//! longer than what is left of it. When one is cut, the call is remembered; the guest then
//! resumes past its epoch deadline, is interrupted at once, and the error says what blocked.

use std::time::{Duration, Instant};

/// How long past the deadline a cut wait still lasts, so that the epoch, which advances every
/// 10 ms, has passed the deadline when the guest resumes and the interrupt comes at once.
const AFTER_THE_DEADLINE: Duration = Duration::from_millis(25);

/// The deadline of the call running in a store, and the host call that hit it, if one did.
#[derive(Debug, Default)]
pub(crate) struct CallDeadline {
    /// When the running call must end; `None` between calls (nothing is cut then).
    ends_at: Option<Instant>,
    /// The host call whose wait was cut at the deadline during the running call, in words.
    blocked_in: Option<String>,
}

impl CallDeadline {
    /// Arms the deadline for a call starting now that may run for `timeout`.
    pub(crate) fn start(&mut self, timeout: Duration) {
        self.ends_at = Instant::now().checked_add(timeout);
        self.blocked_in = None;
    }

    /// How long a wait asked for by the host call `what` may last: `wanted`, or what is left
    /// until the deadline when that is shorter (then `what` is remembered as the call that
    /// blocked).
    pub(crate) fn cut(&mut self, wanted: Duration, what: impl FnOnce() -> String) -> Duration {
        let Some(ends_at) = self.ends_at else {
            return wanted;
        };
        let left = ends_at.saturating_duration_since(Instant::now()) + AFTER_THE_DEADLINE;
        if wanted <= left {
            return wanted;
        }
        if self.blocked_in.is_none() {
            self.blocked_in = Some(what());
        }
        left
    }

    /// Whether the running call is past its deadline (false before one is armed). A host call
    /// that works in steps (a search over a batch) stops at the next step when it is: the guest
    /// is interrupted as soon as it resumes.
    pub(crate) fn passed(&self) -> bool {
        self.ends_at
            .is_some_and(|ends_at| Instant::now() >= ends_at)
    }

    /// The host call that was cut at the deadline during the last call, if any; clears it.
    pub(crate) fn take_blocked(&mut self) -> Option<String> {
        self.blocked_in.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wait_longer_than_the_time_left_is_cut_and_remembered() {
        let mut deadline = CallDeadline::default();
        let wanted = Duration::from_secs(20);
        assert_eq!(deadline.cut(wanted, || unreachable!()), wanted, "not armed");
        deadline.start(Duration::from_secs(2));
        let short = Duration::from_millis(5);
        assert_eq!(deadline.cut(short, || unreachable!()), short);
        assert_eq!(deadline.take_blocked(), None);
        let cut = deadline.cut(wanted, || "a sleep of 20s".to_owned());
        assert!(
            cut <= Duration::from_secs(2) + AFTER_THE_DEADLINE,
            "{cut:?}"
        );
        assert!(cut > Duration::from_secs(1), "{cut:?}");
        assert_eq!(deadline.take_blocked().as_deref(), Some("a sleep of 20s"));
        assert_eq!(deadline.take_blocked(), None, "taking it clears it");
        assert!(!deadline.passed());
        deadline.start(Duration::ZERO);
        assert!(deadline.passed());
        assert!(deadline.cut(wanted, String::new) <= AFTER_THE_DEADLINE);
    }
}
