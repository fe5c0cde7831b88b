//! The thread that posts batches to the receiver, one request at a time so that records
//! arrive in the order they were read, retrying by [`retry`](super::retry)'s rules.
//!
//! The sink and the thread share a [`Queue`] under one lock, with a condition variable that
//! wakes either side when it changes:
//!
//! - the sink queues numbered batches, at most [`QUEUED_BATCHES`] waiting: when the receiver
//!   is slow or down the queue fills, [`Sender::send`] waits, and the pipeline stops reading,
//!   so memory stays bounded (the queue, the request in flight and the batch being filled);
//! - the thread takes the oldest, posts it until it is delivered, and records its number as
//!   [`Sender::acknowledged`]: `--positions` moves a file's offset past a line only once the
//!   batch that carried it is acknowledged (see [`crate::positions`]);
//! - a failure that ends delivery (a refusal, the retry budget spent) is kept for the sink to
//!   return, and the thread ends;
//! - once a stop was requested, the sink waits only until the [`Drain`] deadline; then it
//!   abandons the queue, and the thread ends at its next wait (a request in flight runs to its
//!   timeout; nobody waits for it).

use std::collections::VecDeque;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::drain::Drain;
use super::resolver::{CachingResolver, Forget};
use super::retry::{Backoff, Verdict, verdict};
use ureq::unversioned::resolver::DefaultResolver;

/// Batches waiting for the request in flight, at most.
pub(crate) const QUEUED_BATCHES: usize = 2;

/// How often a wait checks for a stop request (which does not wake the condition variable).
const STOP_CHECK: Duration = Duration::from_millis(20);

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

/// What the thread did, readable while it works (by `--stats` on SIGUSR1 too).
#[derive(Debug, Default)]
pub(crate) struct Counts {
    pub(crate) sent: AtomicU64,
    pub(crate) retried: AtomicU64,
    pub(crate) rejected: AtomicU64,
    /// Why the receiver rejected records (`partial_success`), the first time.
    first_rejection: Mutex<Option<String>>,
}

impl Counts {
    /// Why the receiver rejected records, the first time it did.
    pub(crate) fn first_rejection(&self) -> Option<String> {
        self.first_rejection.lock().map_or(None, |f| f.clone())
    }
}

/// What the sink and the thread share under the lock.
#[derive(Debug, Default)]
struct Queue {
    /// Batches waiting, oldest first, each with its number. Invariant: at most
    /// [`QUEUED_BATCHES`]; numbers go up by one from the front to the back.
    waiting: VecDeque<(u64, Batch)>,
    /// The number of the batch being posted.
    in_flight: Option<u64>,
    /// The number of the last batch the receiver took (2xx); batches are numbered from 1 in
    /// the order queued, and taken in that order. 0 before the first.
    acknowledged: u64,
    /// Records queued and not yet answered.
    unanswered: u64,
    /// True once the sink queues no more: the thread ends when the queue is empty.
    closed: bool,
    /// True once the sink gave up waiting (the drain deadline passed): the thread ends.
    abandoned: bool,
    /// Why delivery ended, once it did.
    failure: Option<String>,
}

/// The queue, its condition variable and the counts, shared by the sink and the thread.
#[derive(Debug, Default)]
struct Shared {
    queue: Mutex<Queue>,
    /// Notified whenever `queue` changes.
    changed: Condvar,
    counts: Arc<Counts>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // A panic on the other side leaves the queue as it was: go on with it.
        self.queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Waits for a change, or for `timeout`.
    fn wait<'a>(&self, queue: MutexGuard<'a, Queue>, timeout: Duration) -> MutexGuard<'a, Queue> {
        match self.changed.wait_timeout(queue, timeout) {
            Ok((queue, _)) => queue,
            Err(poisoned) => poisoned.into_inner().0,
        }
    }
}

/// The sending thread and its queue.
#[derive(Debug)]
pub(crate) struct Sender {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
    /// The number the next batch queued gets.
    next: u64,
}

impl Sender {
    /// Starts the thread.
    pub(crate) fn start(target: Target) -> io::Result<Sender> {
        let shared = Arc::new(Shared::default());
        let theirs = shared.clone();
        let thread = std::thread::Builder::new()
            .name("otlp-sender".into())
            .spawn(move || deliver(&target, &theirs))?;
        Ok(Sender {
            shared,
            thread: Some(thread),
            next: 1,
        })
    }

    /// The counts, shared: they go on changing while the thread works.
    pub(crate) fn counts(&self) -> Arc<Counts> {
        self.shared.counts.clone()
    }

    /// The number of the last batch queued (0 before the first): once
    /// [`Sender::acknowledged`] reaches it, everything queued so far was delivered.
    pub(crate) fn last_queued(&self) -> u64 {
        self.next - 1
    }

    /// The number of the last batch the receiver took.
    pub(crate) fn acknowledged(&self) -> u64 {
        self.shared.lock().acknowledged
    }

    /// Queues `batch`, waiting while the queue is full; an error once delivery has failed, or
    /// when the drain deadline passes while waiting.
    pub(crate) fn send(&mut self, batch: Batch, drain: &mut Drain) -> io::Result<()> {
        let mut queue = self.shared.lock();
        loop {
            if let Some(failure) = &queue.failure {
                return Err(io::Error::other(failure.clone()));
            }
            if queue.waiting.len() < QUEUED_BATCHES {
                break;
            }
            queue = self.wait_or_abandon(queue, drain)?;
        }
        queue.unanswered += batch.records;
        queue.waiting.push_back((self.next, batch));
        self.next += 1;
        drop(queue);
        self.shared.changed.notify_all();
        Ok(())
    }

    /// Waits until every queued batch is answered; the failure that ended delivery, if any, or
    /// what was left undelivered when the drain deadline passed.
    pub(crate) fn finish(&mut self, drain: &mut Drain) -> io::Result<()> {
        let mut queue = self.shared.lock();
        queue.closed = true;
        self.shared.changed.notify_all();
        while queue.failure.is_none() && (!queue.waiting.is_empty() || queue.in_flight.is_some()) {
            queue = self.wait_or_abandon(queue, drain)?;
        }
        if let Some(failure) = &queue.failure {
            return Err(io::Error::other(failure.clone()));
        }
        drop(queue);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        Ok(())
    }

    /// Waits for the queue to change; past the drain deadline, abandons it and says what was
    /// left undelivered.
    fn wait_or_abandon<'a>(
        &self,
        queue: MutexGuard<'a, Queue>,
        drain: &mut Drain,
    ) -> io::Result<MutexGuard<'a, Queue>> {
        let mut queue = self.shared.wait(queue, STOP_CHECK);
        if drain
            .deadline()
            .is_some_and(|deadline| Instant::now() >= deadline)
        {
            queue.abandoned = true;
            self.shared.changed.notify_all();
            return Err(io::Error::other(format!(
                "{} record(s) were not delivered: the receiver had not taken them {:.1}s after \
                 the stop (--sink-drain-max); with --positions, the next run sends them again",
                queue.unanswered,
                drain.max().as_secs_f64()
            )));
        }
        Ok(queue)
    }
}

impl Drop for Sender {
    /// Lets the thread end without waiting for it: whatever it still holds was abandoned or
    /// failed (a finished sender has no thread left).
    fn drop(&mut self) {
        let mut queue = self.shared.lock();
        queue.closed = true;
        queue.abandoned = true;
        drop(queue);
        self.shared.changed.notify_all();
    }
}

/// The thread: each batch in turn, until the queue closes empty, is abandoned, or a batch
/// cannot be delivered.
fn deliver(target: &Target, shared: &Shared) {
    let config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(target.timeout))
        .build();
    let (resolver, forget) = CachingResolver::new(DefaultResolver::default());
    let client = Client {
        agent: ureq::Agent::with_parts(
            config,
            ureq::unversioned::transport::DefaultConnector::default(),
            resolver,
        ),
        forget,
    };
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64);
    loop {
        let mut queue = shared.lock();
        let (number, batch) = loop {
            if queue.abandoned {
                return;
            }
            if let Some(next) = queue.waiting.pop_front() {
                break next;
            }
            if queue.closed {
                return;
            }
            queue = shared.wait(queue, Duration::from_secs(1));
        };
        queue.in_flight = Some(number);
        drop(queue);
        shared.changed.notify_all();

        let posted = post(&client, target, &batch, shared, seed);
        let mut queue = shared.lock();
        queue.in_flight = None;
        let delivered = match posted {
            Ok(()) => {
                queue.acknowledged = number;
                queue.unanswered -= batch.records;
                true
            }
            Err(Undelivered::Failed(why)) => {
                queue.failure.get_or_insert(why);
                false
            }
            Err(Undelivered::Abandoned) => false,
        };
        drop(queue);
        shared.changed.notify_all();
        if !delivered {
            return;
        }
    }
}

/// The HTTP agent, and a way to make it look the receiver's address up again.
struct Client {
    agent: ureq::Agent,
    forget: Forget,
}

/// Why a batch was not delivered.
enum Undelivered {
    /// Refused, or out of retry budget: delivery ends, and so does the run.
    Failed(String),
    /// The sink gave up waiting (the drain deadline passed).
    Abandoned,
}

/// Posts one batch until it is delivered, refused for good, out of retry budget, or
/// abandoned.
fn post(
    client: &Client,
    target: &Target,
    batch: &Batch,
    shared: &Shared,
    seed: u64,
) -> Result<(), Undelivered> {
    let counts = &shared.counts;
    let started = Instant::now();
    let mut backoff = Backoff::new(seed);
    loop {
        let answer = client
            .agent
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
            Err(err) => {
                // The receiver may have moved (a pod rescheduled): look it up again.
                client.forget.forget();
                Verdict::Retry {
                    after: None,
                    why: err.to_string(),
                }
            }
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
                return Err(Undelivered::Failed(format!(
                    "{}: the receiver refused {} record(s): {why}",
                    target.url, batch.records
                )));
            }
            Verdict::Retry { after, why } => {
                let wait = backoff.wait(after);
                if started.elapsed() + wait > target.retry_max {
                    return Err(Undelivered::Failed(format!(
                        "{}: gave up on {} record(s) after retrying for {:.1}s (--sink-retry-max): \
                         {why}",
                        target.url,
                        batch.records,
                        started.elapsed().as_secs_f64()
                    )));
                }
                counts.retried.fetch_add(batch.records, Ordering::Relaxed);
                if !sleep_unless_abandoned(shared, wait) {
                    return Err(Undelivered::Abandoned);
                }
            }
        }
    }
}

/// Sleeps for `wait`; false, at once, when the sink abandons the queue meanwhile.
fn sleep_unless_abandoned(shared: &Shared, wait: Duration) -> bool {
    let until = Instant::now() + wait;
    let mut queue = shared.lock();
    while !queue.abandoned {
        let now = Instant::now();
        if now >= until {
            return true;
        }
        queue = shared.wait(queue, until - now);
    }
    false
}
