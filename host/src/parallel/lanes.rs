//! [`Lanes`]: the worker threads of a parallel run.
//!
//! Each worker grows its own instances of the nodes of every parallel segment from their seeds
//! ([`NodeSeed`]) on its own thread when it takes its first task (a run that never hands the
//! lanes a task grows none), and then takes [`Task`]s from one shared queue, whichever worker
//! is free first. It runs a task's pieces through its instances of the task's segment and sends
//! back what came out ([`Done`]), tagged with the task's number: answers come back in any
//! order, and the caller puts them back in order. A task whose output grows past one part (a
//! stage that turned a batch into more than it may hold at once, see [`crate::output`]) is
//! given back as it came ([`Outcome::Overflow`]): a lane holds at most one part of output,
//! and the caller runs the batch itself, handing the parts on as they come. A segment with
//! stages whose state is carried runs each task from the guess that the batch before it left
//! nothing open, and answers with what each such stage left and the task's pieces as they
//! came ([`Guess`]), for the caller to check the guess in input order. When the queue is
//! closed ([`Lanes::retire`]) the workers end and hand their instances back, so that they can
//! be finished with the rest of the chain.

use std::ops::Range;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crate::chain::{Chain, NodeSeed, Nodes, Position, grow_lane};
use crate::error::{Call, Failure, StageError};
use crate::lines::Lines;
use crate::stats::{BatchCount, StageCounters};

/// A batch on its way through one parallel segment.
pub(super) struct Task {
    /// The batch's number in input order.
    pub(super) seq: u64,
    /// The segment to run, as an index into the chain's segments.
    pub(super) segment: usize,
    /// The batch as the nodes before the segment left it: the parts they handed on early, then
    /// the rest (see [`super::Ticket::pieces`]).
    pub(super) pieces: Vec<Lines>,
    /// Where the batch is in the input, for messages.
    pub(super) at: super::At,
}

/// What a worker made of a [`Task`].
pub(super) struct Done {
    pub(super) seq: u64,
    pub(super) outcome: Outcome,
}

/// How a task went.
pub(super) enum Outcome {
    /// The pieces after the segment, whether it changed them, and the guess they were made
    /// from when the segment has stages whose state is carried.
    Ran(Vec<Lines>, bool, Option<Guess>),
    /// The segment's output grew past one part: the task's pieces as they came, for the caller
    /// to run itself.
    Overflow(Vec<Lines>),
    /// The error that stopped the segment.
    Failed(StageError),
}

/// A task run from the guess that the batch before it left nothing open, in the stages of its
/// segment whose state is carried.
pub(super) struct Guess {
    /// The task's pieces as they came, to run again should the guess be wrong.
    pub(super) input: Vec<Lines>,
    /// What each of those stages left after the task, in chain order.
    pub(super) left: Vec<Vec<u8>>,
    /// What the segment's stages counted for the task, to take back should it run again.
    pub(super) counted: Counted,
}

/// What a lane's stages counted for one task, with the counters it went to.
pub(super) type Counted = Vec<(Arc<StageCounters>, BatchCount)>;

/// Takes back what `counted` counted: the batches run again.
pub(super) fn uncount(counted: Counted) {
    for (counters, count) in counted {
        counters.unbatch(count);
    }
}

/// A worker's instances of each segment's nodes: `None` for the serial segments.
type LaneChains = Vec<Option<Chain>>;

/// The workers and the queues between them and the caller.
pub(super) struct Lanes {
    /// Closed by [`Lanes::retire`] (or when the lanes are dropped), which ends the workers.
    tasks: Option<Sender<Task>>,
    done: Receiver<Done>,
    workers: Vec<JoinHandle<LaneChains>>,
}

impl Lanes {
    /// Starts `count` workers, each of which grows its instances from `seeds` (one entry per
    /// segment: the seeds of a parallel segment's nodes, `None` for a serial one).
    pub(super) fn start(count: usize, seeds: &[Option<Vec<NodeSeed>>]) -> Lanes {
        let (tasks, queue) = mpsc::channel::<Task>();
        let queue = Arc::new(Mutex::new(queue));
        let (done_tx, done) = mpsc::channel();
        let workers = (0..count)
            .map(|i| {
                let seeds = seeds.to_vec();
                let queue = Arc::clone(&queue);
                let done = done_tx.clone();
                std::thread::Builder::new()
                    .name(format!("sluice-lane-{}", i + 1))
                    .spawn(move || work(seeds, &queue, &done))
                    .expect("cannot start a worker thread")
            })
            .collect();
        Lanes {
            tasks: Some(tasks),
            done,
            workers,
        }
    }

    /// Queues `task` for the first free worker.
    pub(super) fn send(&self, task: Task) {
        let tasks = self
            .tasks
            .as_ref()
            .expect("tasks are sent before the lanes retire");
        // The workers outlive the queue's sender: they end only once it is closed.
        tasks
            .send(task)
            .expect("the workers take tasks until the lanes retire");
    }

    /// The next answer: waits for one when `wait`, else only takes one that is there.
    pub(super) fn answer(&self, wait: bool) -> Option<Done> {
        if wait {
            // A worker answers every task it takes, so a caller that waits for a task it sent
            // gets an answer; the workers end only once the queue is closed.
            return Some(self.done.recv().expect("the workers answer every task"));
        }
        // Disconnected only once every worker ended, with no task left to answer.
        self.done.try_recv().ok()
    }

    /// Closes the queue, waits for the workers to end and returns each one's instances, in
    /// the order the workers were started.
    pub(super) fn retire(mut self) -> Vec<LaneChains> {
        self.tasks = None;
        std::mem::take(&mut self.workers)
            .into_iter()
            .map(|worker| worker.join().unwrap_or_default())
            .collect()
    }
}

impl Drop for Lanes {
    fn drop(&mut self) {
        // A run that ends early (an error, a sink that wants no more) lets the workers finish
        // the task in hand and end; their instances are dropped unfinished.
        self.tasks = None;
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}

/// A worker: grows its instances at its first task, then answers tasks until the queue closes.
/// A worker that never gets a task (every batch of a short run went through the reading
/// thread, see `crate::emit`) grows nothing, so such a run neither pays for the lanes'
/// instances nor waits for them at its end.
fn work(
    seeds: Vec<Option<Vec<NodeSeed>>>,
    queue: &Mutex<Receiver<Task>>,
    done: &Sender<Done>,
) -> LaneChains {
    let Some(first) = next_task(queue) else {
        return Vec::new();
    };
    let mut tasks = std::iter::once(first).chain(std::iter::from_fn(|| next_task(queue)));
    let grown: Result<LaneChains, StageError> = seeds
        .into_iter()
        .map(|seeds| seeds.map(grow_lane).transpose())
        .collect();
    let mut chains = match grown {
        Ok(chains) => chains,
        Err(err) => {
            // The same configuration was created once already, so this is rare (memory); every
            // task this worker takes fails with the error, which ends the run.
            for task in tasks {
                let err = StageError::new(
                    &err.stage,
                    err.call,
                    Failure::Runtime(err.what().to_string()),
                );
                let outcome = Outcome::Failed(err);
                let _ = done.send(Done {
                    seq: task.seq,
                    outcome,
                });
            }
            return Vec::new();
        }
    };
    for task in tasks.by_ref() {
        let seq = task.seq;
        let chain = chains[task.segment]
            .as_mut()
            .expect("tasks are for parallel segments");
        let outcome = run_task(chain, task);
        if done.send(Done { seq, outcome }).is_err() {
            break;
        }
    }
    chains
}

/// The next task, or `None` once the queue is closed.
fn next_task(queue: &Mutex<Receiver<Task>>) -> Option<Task> {
    // One worker at a time waits on the queue; the others wait for the lock.
    let queue = queue
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    queue.recv().ok()
}

/// Runs a task's pieces through the whole of `chain` (a lane's instances of its segment),
/// unless the output grows past one part; the stages whose state is carried start from the
/// guess.
fn run_task(chain: &mut Chain, task: Task) -> Outcome {
    // Kept until the task is done, to be given back should the output grow past one part, or
    // run again should the guess be wrong.
    let saved = task.pieces.clone();
    chain.take_counted();
    if let Err(err) = chain.guessing().try_for_each(|stage| stage.start_guess()) {
        return Outcome::Failed(err);
    }
    let mut overflowed = false;
    let mut nodes = chain.nodes();
    let span = nodes.span();
    let ran = run_pieces(
        &mut nodes,
        span,
        task.pieces,
        task.at.position(),
        &mut |_| {
            overflowed = true;
            // Stops the run; told apart from a stage's error by `overflowed`.
            Err(StageError::new(
                "",
                Call::Process,
                Failure::Runtime(String::new()),
            ))
        },
    );
    match ran {
        _ if overflowed => {
            // The caller runs it again, and counts it then.
            uncount(chain.take_counted());
            Outcome::Overflow(saved)
        }
        Ok((pieces, changed)) => {
            let left: Result<Vec<Vec<u8>>, StageError> = chain
                .guessing()
                .map(|stage| stage.carried_after())
                .collect();
            match left {
                Ok(left) if left.is_empty() => Outcome::Ran(pieces, changed, None),
                Ok(left) => {
                    let guess = Guess {
                        input: saved,
                        left,
                        counted: chain.take_counted(),
                    };
                    Outcome::Ran(pieces, changed, Some(guess))
                }
                Err(err) => Outcome::Failed(err),
            }
        }
        Err(err) => Outcome::Failed(err),
    }
}

/// Runs `pieces` through the nodes `span` of `nodes`, in order: each piece's early parts, then
/// what is left of it; the last piece stays last even when empty. Returns the pieces after the
/// span and whether any node changed them. A part handed on early goes to `on_part` first,
/// which may stop the run with an error.
fn run_pieces(
    nodes: &mut Nodes<'_>,
    span: Range<usize>,
    pieces: Vec<Lines>,
    at: Position<'_>,
    on_part: &mut dyn FnMut(&Lines) -> Result<(), StageError>,
) -> Result<(Vec<Lines>, bool), StageError> {
    let count = pieces.len();
    let mut out = Vec::with_capacity(count);
    let mut changed = false;
    for (i, mut piece) in pieces.into_iter().enumerate() {
        changed |= nodes.run_span(&mut piece, span.clone(), at, &mut |part| {
            on_part(part)?;
            out.push(part.clone());
            Ok(())
        })?;
        if i + 1 == count || !piece.is_empty() {
            out.push(piece);
        }
    }
    Ok((out, changed))
}
