//! The thread that posts batches to the receiver, one request at a time so that records
//! arrive in the order they were read, retrying by [`retry`](super::retry)'s rules.
//!
//! The sink hands batches over a bounded queue ([`QUEUED_BATCHES`]): when the receiver is slow
//! or down the queue fills, [`Sender::send`] blocks, and the pipeline stops reading, so memory
//! stays bounded (at most the queue, the request in flight and the batch being filled). The
//! thread's counts are shared with the sink; a failure that ends delivery is kept for the sink
//! to return.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::retry::{Backoff, Verdict, verdict};

/// Batches waiting for the request in flight, at most.
pub(crate) const QUEUED_BATCHES: usize = 2;

/// One request's body: an `ExportLogsServiceRequest`, encoded and gzipped.
#[derive(Debug)]
pub(crate) struct Batch {
    pub(crate) body: Vec<u8>,
    pub(crate) records: u64,
}

/// How the sender reaches the receiver.
#[derive(Clone, Debug)]
pub(crate) struct Target {
    /// Where requests are posted (`…/v1/logs`).
    pub(crate) url: String,
    /// How long one batch may be retried before sluice gives up on it.
    pub(crate) retry_max: Duration,
    /// How long one request may take.
    pub(crate) timeout: Duration,
}

/// What the thread did, readable while it works.
#[derive(Debug, Default)]
pub(crate) struct Counts {
    pub(crate) sent: AtomicU64,
    pub(crate) retried: AtomicU64,
    pub(crate) rejected: AtomicU64,
    /// The failure that ended delivery.
    failure: Mutex<Option<String>>,
    /// Why the receiver rejected records (`partial_success`), the first time.
    first_rejection: Mutex<Option<String>>,
}

impl Counts {
    /// The failure that ended delivery, if any.
    pub(crate) fn failure(&self) -> Option<String> {
        self.failure.lock().map_or(None, |f| f.clone())
    }

    /// Why the receiver rejected records, the first time it did.
    pub(crate) fn first_rejection(&self) -> Option<String> {
        self.first_rejection.lock().map_or(None, |f| f.clone())
    }
}

/// The sending thread and the queue to it.
#[derive(Debug)]
pub(crate) struct Sender {
    queue: Option<SyncSender<Batch>>,
    thread: Option<JoinHandle<()>>,
    counts: Arc<Counts>,
}

impl Sender {
    /// Starts the thread.
    pub(crate) fn start(target: Target) -> io::Result<Sender> {
        let (queue, batches) = sync_channel(QUEUED_BATCHES);
        let counts = Arc::new(Counts::default());
        let shared = counts.clone();
        let thread = std::thread::Builder::new()
            .name("otlp-sender".into())
            .spawn(move || deliver(&target, &batches, &shared))?;
        Ok(Sender {
            queue: Some(queue),
            thread: Some(thread),
            counts,
        })
    }

    pub(crate) fn counts(&self) -> &Counts {
        &self.counts
    }

    /// Queues `batch`, waiting while the queue is full; an error once delivery has failed.
    pub(crate) fn send(&mut self, batch: Batch) -> io::Result<()> {
        let sent = self
            .queue
            .as_ref()
            .is_some_and(|queue| queue.send(batch).is_ok());
        if sent {
            return Ok(());
        }
        Err(self.failed())
    }

    /// Waits for every queued batch to be delivered; the failure that ended delivery, if any.
    pub(crate) fn finish(&mut self) -> io::Result<()> {
        self.queue = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        match self.counts.failure() {
            Some(_) => Err(self.failed()),
            None => Ok(()),
        }
    }

    fn failed(&self) -> io::Error {
        io::Error::other(
            self.counts
                .failure()
                .unwrap_or_else(|| "the OTLP sender stopped".into()),
        )
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        let _ = self.finish();
    }
}

/// The thread: each batch in turn, until the queue closes or a batch cannot be delivered.
fn deliver(target: &Target, batches: &Receiver<Batch>, counts: &Counts) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(target.timeout))
        .build()
        .into();
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64);
    for batch in batches {
        if let Err(failure) = post(&agent, target, &batch, counts, seed) {
            if let Ok(mut slot) = counts.failure.lock() {
                slot.get_or_insert(failure);
            }
            return;
        }
    }
}

/// Posts one batch until it is delivered, rejected for good, or out of retry budget.
fn post(
    agent: &ureq::Agent,
    target: &Target,
    batch: &Batch,
    counts: &Counts,
    seed: u64,
) -> Result<(), String> {
    let started = Instant::now();
    let mut backoff = Backoff::new(seed);
    loop {
        let answer = agent
            .post(&target.url)
            .header("Content-Type", "application/x-protobuf")
            .header("Content-Encoding", "gzip")
            .send(&batch.body[..]);
        let verdict = match answer {
            Ok(mut response) => {
                let status = response.status().as_u16();
                let retry_after = response
                    .headers()
                    .get("retry-after")
                    .and_then(|value| value.to_str().ok())
                    .map(str::to_owned);
                let body = response
                    .body_mut()
                    .with_config()
                    .limit(1 << 20)
                    .read_to_vec()
                    .unwrap_or_default();
                verdict(status, retry_after.as_deref(), &body)
            }
            Err(err) => Verdict::Retry {
                after: None,
                why: err.to_string(),
            },
        };
        match verdict {
            Verdict::Delivered { rejected, reason } => {
                counts.sent.fetch_add(
                    batch.records - rejected.min(batch.records),
                    Ordering::Relaxed,
                );
                if rejected > 0 {
                    counts.rejected.fetch_add(rejected, Ordering::Relaxed);
                    if let Ok(mut slot) = counts.first_rejection.lock() {
                        slot.get_or_insert(reason);
                    }
                }
                return Ok(());
            }
            Verdict::Fail(why) => {
                return Err(format!(
                    "{}: the receiver refused {} record(s): {why}",
                    target.url, batch.records
                ));
            }
            Verdict::Retry { after, why } => {
                let wait = backoff.wait(after);
                if started.elapsed() + wait > target.retry_max {
                    return Err(format!(
                        "{}: gave up on {} record(s) after retrying for {:.1}s (--sink-retry-max): \
                         {why}",
                        target.url,
                        batch.records,
                        started.elapsed().as_secs_f64()
                    ));
                }
                counts.retried.fetch_add(batch.records, Ordering::Relaxed);
                std::thread::sleep(wait);
            }
        }
    }
}
