//! [`Drain`]: how long the sink still waits for the receiver once the run was asked to stop.
//!
//! Without a stop, the sink waits as long as delivery can succeed: each batch is retried for
//! `--sink-retry-max`. Once a stop is requested (SIGTERM from a service manager, Ctrl-C), the
//! process has a grace period before it is killed (Kubernetes gives 30 s, systemd 90 s), so
//! what is queued and in flight gets [`OtlpSettings::drain_max`](super::OtlpSettings) from
//! the moment the sink first sees the request; what the receiver has not acknowledged by then
//! is given up, and `--positions` keeps those lines for the next run to send again.

use std::time::{Duration, Instant};

use crate::stop::StopRequest;

/// The stop request the sink watches and the deadline it sets once the request is made.
#[derive(Clone, Debug)]
pub(crate) struct Drain {
    stop: StopRequest,
    /// How long the sink waits for the receiver after the stop.
    max: Duration,
    /// When the sink first saw the stop requested.
    since: Option<Instant>,
}

impl Drain {
    pub(crate) fn new(stop: StopRequest, max: Duration) -> Drain {
        Drain {
            stop,
            max,
            since: None,
        }
    }

    /// When waiting for the receiver must end: `None` while no stop was requested.
    pub(crate) fn deadline(&mut self) -> Option<Instant> {
        if self.since.is_none() && self.stop.is_requested() {
            self.since = Some(Instant::now());
        }
        self.since.map(|since| since + self.max)
    }

    /// The grace the sink has after a stop, for messages.
    pub(crate) fn max(&self) -> Duration {
        self.max
    }
}
