//! SIGINT, SIGTERM and SIGHUP end a run the way the end of the input does: sluice stops
//! reading, finishes every stage (held lines, tables and reports come out), writes everything,
//! and exits with 128 + the signal's number (130, 143, 129). A second of those signals ends
//! the process at once, by the signal's default action.
//!
//! The handlers are signal-hook's: on each signal, in this order, the second-signal check
//! (the default action if a signal came before), the number of the signal, the flag the read
//! loop checks, and a byte written to a socket whose other end the read loop waits on beside
//! its input, so that a read blocked on a quiet pipe wakes.

use std::io;
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::{flag, low_level::pipe};
use sluice_host::StopRequest;

/// The signals that finish the stream.
const FINISHING: [i32; 3] = [SIGINT, SIGTERM, SIGHUP];

/// Which finishing signal arrived, if any.
pub struct Signals {
    /// The number of the last finishing signal received; 0 before any.
    received: Arc<AtomicUsize>,
}

impl Signals {
    /// Installs the handlers; the returned request is set by the first signal.
    pub fn install() -> io::Result<(Signals, StopRequest)> {
        let requested = Arc::new(AtomicBool::new(false));
        let received = Arc::new(AtomicUsize::new(0));
        let (wake_reader, wake_writer) = UnixStream::pair()?;
        wake_writer.set_nonblocking(true)?;
        for signal in FINISHING {
            flag::register_conditional_default(signal, requested.clone())?;
            flag::register_usize(signal, received.clone(), signal as usize)?;
            flag::register(signal, requested.clone())?;
            pipe::register(signal, wake_writer.try_clone()?)?;
        }
        Ok((
            Signals { received },
            StopRequest::new(requested, wake_reader.into()),
        ))
    }

    /// The exit status a received signal calls for: 128 + its number.
    pub fn exit_status(&self) -> Option<u8> {
        match self.received.load(Ordering::SeqCst) {
            0 => None,
            signal => Some(128 + signal as u8),
        }
    }
}
