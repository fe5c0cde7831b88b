//! How a run ends before its input does.
//!
//! - SIGINT, SIGTERM and SIGHUP end it the way the end of the input does: sluice stops
//!   reading, finishes every stage (held lines, tables and reports come out), writes
//!   everything, and exits with 128 + the signal's number (130, 143, 129). A second of those
//!   signals ends the process at once, by the signal's default action.
//! - When the reader of standard output goes away (`sluice -f app.log | head -1`), the run
//!   ends the same way at once, as `tail -F` does, instead of at the next line it would write;
//!   finishing then meets the broken pipe, which is a quiet exit.
//!
//! SIGUSR1 is not one of them: it prints the stats and the run goes on (`crate::stats`).
//!
//! A signal ignored when sluice starts (`nohup` ignores SIGHUP, a shell ignores SIGINT for a
//! background job) stays ignored.
//!
//! The handlers are signal-hook's: on each signal, in this order, the second-signal check
//! (the default action if the run was already asked to end), the number of the signal, the
//! flag the read loop checks, and a byte written to a socket whose other end the read loop
//! waits on beside its input, so that a read blocked on a quiet pipe wakes. A thread watches
//! standard output and does the last two when it breaks.

use std::io::{self, Write};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::{flag, low_level::pipe};
use sluice_host::StopRequest;

/// The signals that finish the stream.
const FINISHING: [i32; 3] = [SIGINT, SIGTERM, SIGHUP];

/// What can end a run early, and which signal did.
pub struct Ending {
    /// Set once the run is asked to end; the read loop's [`StopRequest`] reads it.
    requested: Arc<AtomicBool>,
    /// The end of the socket that wakes the read loop.
    wake: UnixStream,
    /// The number of the last finishing signal received; 0 before any.
    received: Arc<AtomicUsize>,
}

impl Ending {
    /// Installs the signal handlers; the returned request is made by the first signal.
    pub fn install() -> io::Result<(Ending, StopRequest)> {
        let requested = Arc::new(AtomicBool::new(false));
        let received = Arc::new(AtomicUsize::new(0));
        let (wake_reader, wake) = UnixStream::pair()?;
        wake.set_nonblocking(true)?;
        for signal in FINISHING {
            if is_ignored(signal)? {
                // `nohup` ignores SIGHUP, a shell ignores SIGINT for a background job: what the
                // caller ignored stays ignored, as unix tools do.
                continue;
            }
            flag::register_conditional_default(signal, requested.clone())?;
            flag::register_usize(signal, received.clone(), signal as usize)?;
            flag::register(signal, requested.clone())?;
            pipe::register(signal, wake.try_clone()?)?;
        }
        let stop = StopRequest::new(requested.clone(), wake_reader.into());
        let ending = Ending {
            requested,
            wake,
            received,
        };
        Ok((ending, stop))
    }

    /// Also ends the run when standard output breaks: its reader went away (a pipe reports
    /// an error) or its terminal hung up. A thread waits for that in `poll(2)`.
    pub fn on_output_gone(&self) -> io::Result<()> {
        let requested = self.requested.clone();
        let mut wake = self.wake.try_clone()?;
        std::thread::Builder::new()
            .name("stdout-watch".into())
            .spawn(move || {
                if wait_until_broken(libc::STDOUT_FILENO) {
                    requested.store(true, Ordering::SeqCst);
                    let _ = wake.write(&[0]);
                }
            })?;
        Ok(())
    }

    /// The exit status a received signal calls for: 128 + its number.
    pub fn signal_status(&self) -> Option<u8> {
        match self.received.load(Ordering::SeqCst) {
            0 => None,
            signal => Some(128 + signal as u8),
        }
    }
}

/// Whether `signal` is ignored (SIG_IGN), as sluice was started.
fn is_ignored(signal: libc::c_int) -> io::Result<bool> {
    let mut current = std::mem::MaybeUninit::<libc::sigaction>::uninit();
    // SAFETY: a null new action only reads the current one into `current`, a valid place for
    // a `struct sigaction`; it is read only when the call succeeded, and so initialised it.
    unsafe {
        if libc::sigaction(signal, std::ptr::null(), current.as_mut_ptr()) != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(current.assume_init().sa_sigaction == libc::SIG_IGN)
    }
}

/// Waits until `fd` reports an error or a hang-up; false when it cannot tell (not open, or
/// `poll` fails), so that the caller gives up watching. Asking for no event, a pipe's write
/// end wakes only when its last reader closes, and a regular file never.
fn wait_until_broken(fd: libc::c_int) -> bool {
    loop {
        let mut pollfd = libc::pollfd {
            fd,
            events: 0,
            revents: 0,
        };
        // SAFETY: `pollfd` is a valid, initialised array of one element that outlives the call.
        let ready = unsafe { libc::poll(&mut pollfd, 1, -1) };
        if ready < 0 {
            if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return false;
        }
        if pollfd.revents & libc::POLLNVAL != 0 {
            return false;
        }
        if pollfd.revents & (libc::POLLERR | libc::POLLHUP) != 0 {
            return true;
        }
    }
}
