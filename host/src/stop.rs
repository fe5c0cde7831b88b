//! [`StopRequest`]: a way for the embedder (the CLI, on SIGINT, SIGTERM or SIGHUP) to end a
//! run early *as if the input had ended*: no more bytes are read, the bytes already read go
//! through the chain, every stage is finished (held lines, tables and reports come out), and
//! the sink is finished.
//!
//! A request is a flag and, optionally, a descriptor that becomes readable when the flag is
//! set (the read end of a self-pipe a signal handler writes to). The read loop waits for input
//! with `poll(2)` on its input *and* that descriptor, so a request wakes a read that would
//! otherwise block forever on a quiet pipe; follow's sleeps between polls wake the same way.
//! Reads of regular files never block: for them the flag is checked before each read.
//!
//! The host installs no signal handler: which signals stop a run, and what status the process
//! exits with, are the embedder's decisions.

use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// A request, from outside the run, to end it as at the end of the input.
///
/// Invariant: once `flag` is set, `wake` (if any) stays readable: it is never drained, so
/// every later wait returns at once.
#[derive(Clone, Debug, Default)]
pub struct StopRequest {
    flag: Arc<AtomicBool>,
    wake: Option<Arc<OwnedFd>>,
}

impl StopRequest {
    /// A request that is never made: the run ends with its input.
    pub fn never() -> StopRequest {
        StopRequest::default()
    }

    /// A request made by setting `flag`; whoever sets it also makes `wake` readable (writes a
    /// byte to the other end of its pipe), so that waits for input return.
    pub fn new(flag: Arc<AtomicBool>, wake: OwnedFd) -> StopRequest {
        StopRequest {
            flag,
            wake: Some(Arc::new(wake)),
        }
    }

    /// Whether the run was asked to stop.
    pub fn is_requested(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }

    /// The descriptor to wait on beside an input's.
    pub(crate) fn wake_fd(&self) -> Option<RawFd> {
        self.wake.as_ref().map(|fd| fd.as_raw_fd())
    }

    /// Sleeps for `duration`, or less when the request is made meanwhile.
    pub(crate) fn sleep(&self, duration: Duration) {
        if self.is_requested() {
            return;
        }
        match self.wake_fd() {
            Some(fd) => {
                poll_readable(&[fd], Some(duration));
            }
            None => std::thread::sleep(duration),
        }
    }
}

/// `poll(2)` on `fds` for reading, for at most `timeout` (forever with `None`). Returns which
/// descriptors are readable (or at their end, or in error: a read will tell), all false when
/// the time ran out. An interrupted poll returns early with nothing ready; callers loop.
pub(crate) fn poll_readable<const N: usize>(
    fds: &[RawFd; N],
    timeout: Option<Duration>,
) -> [bool; N] {
    let mut pollfds = fds.map(|fd| libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    });
    // Round up, so that a deadline is never missed by a sub-millisecond wait that returns early.
    let ms = timeout.map_or(-1, |t| {
        t.as_micros().div_ceil(1000).min(i32::MAX as u128) as libc::c_int
    });
    // SAFETY: `pollfds` is a valid, initialised array of N elements that outlives the call.
    let ready = unsafe { libc::poll(pollfds.as_mut_ptr(), N as libc::nfds_t, ms) };
    if ready <= 0 {
        return [false; N];
    }
    pollfds.map(|p| p.revents != 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::unix::net::UnixStream;
    use std::time::Instant;

    #[test]
    fn never_is_never_requested_and_sleeps_the_whole_time() {
        let stop = StopRequest::never();
        assert!(!stop.is_requested());
        let started = Instant::now();
        stop.sleep(Duration::from_millis(20));
        assert!(started.elapsed() >= Duration::from_millis(20));
    }

    #[test]
    fn a_request_wakes_a_sleep_and_every_later_one() {
        let (mut writer, reader) = UnixStream::pair().unwrap();
        let flag = Arc::new(AtomicBool::new(false));
        let stop = StopRequest::new(flag.clone(), reader.into());
        assert!(!stop.is_requested());
        let waker = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            flag.store(true, Ordering::SeqCst);
            writer.write_all(b"x").unwrap();
            writer
        });
        let started = Instant::now();
        stop.sleep(Duration::from_secs(30));
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the request did not wake it"
        );
        let _writer = waker.join().unwrap();
        assert!(stop.is_requested());
        let fd = stop.wake_fd().unwrap();
        assert_eq!(poll_readable(&[fd], Some(Duration::ZERO)), [true]);
        assert_eq!(poll_readable(&[fd], None), [true]);
    }
}
