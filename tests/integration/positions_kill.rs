//! The acceptance test of `--positions`: sluice follows files that grow at a steady pace, is
//! killed with SIGKILL at random points and started again with the same positions file, then
//! ended with SIGTERM once it caught up. The outputs of all runs together must hold every
//! line written, in order per file; a run may start before where the killed one stopped (the
//! lines after the last update come out again), never after, and by no more than what the
//! killed run wrote in about one update interval.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::util::{Bytes, sluice, start, tempdir};

/// How often the positions are written in these tests (`--positions-interval`).
const INTERVAL: &str = "100ms";

/// The lines a run may write again after a kill are those it wrote this long before the kill:
/// one interval, one more for a kill that lands while the positions file is being written,
/// and room for a poll and the scheduler.
const REPLAY_WINDOW: Duration = Duration::from_millis(2 * 100 + 50);

/// What one run of sluice wrote, each line with when the test received it.
struct Output {
    lines: Vec<(Instant, String)>,
    /// When the run was killed; `None` for the last run, ended by SIGTERM.
    killed_at: Option<Instant>,
}

/// A run of sluice whose stdout is read, with times, as it comes.
struct Running {
    child: Child,
    lines: mpsc::Receiver<(Instant, String)>,
}

impl Running {
    fn start(cmd: &mut Command) -> Running {
        let mut child = start(cmd);
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            let mut stdout = BufReader::new(stdout);
            let mut line = String::new();
            // A line cut short by the kill has no newline: it is not a line that was written.
            while stdout.read_line(&mut line).is_ok_and(|n| n > 0) && line.ends_with('\n') {
                line.pop();
                if tx
                    .send((Instant::now(), std::mem::take(&mut line)))
                    .is_err()
                {
                    break;
                }
            }
        });
        Running { child, lines }
    }

    /// Kills the run with `signal` and collects everything it wrote.
    fn end(mut self, signal: libc::c_int, seen: &mut Vec<(Instant, String)>) -> Instant {
        let at = Instant::now();
        // SAFETY: kill(2) with a child's pid and a valid signal number has no memory effects.
        assert_eq!(unsafe { libc::kill(self.child.id() as i32, signal) }, 0);
        let status = self.child.wait().unwrap();
        if signal == libc::SIGTERM {
            assert_eq!(status.code(), Some(143), "{status:?}");
        }
        seen.extend(self.lines.iter());
        at
    }
}

/// How the writer appends: `burst` rounds (one entry to each file), then a pause.
#[derive(Clone, Copy)]
struct Pace {
    burst: u64,
    pause: Duration,
}

/// Appends `make(file, n)` for n = 1, 2, … to each file in turn, at `pace`, until `stop`;
/// returns how many rounds it wrote.
fn writer(
    paths: Vec<PathBuf>,
    pace: Pace,
    stop: Arc<AtomicBool>,
    make: fn(usize, u64) -> String,
) -> JoinHandle<u64> {
    std::thread::spawn(move || {
        let mut files: Vec<_> = paths
            .iter()
            .map(|p| fs::OpenOptions::new().append(true).open(p).unwrap())
            .collect();
        let mut n = 0;
        while !stop.load(Ordering::SeqCst) {
            for _ in 0..pace.burst {
                n += 1;
                for (i, file) in files.iter_mut().enumerate() {
                    // One write(2) per entry: sluice never sees half of one unless it reads in
                    // between, and then it waits for the rest.
                    file.write_all(make(i, n).as_bytes()).unwrap();
                }
            }
            std::thread::sleep(pace.pause);
        }
        n
    })
}

/// Runs sluice with `args` on `paths` while a writer appends `make`'s entries, killing it with
/// SIGKILL after each of `lives` and starting it again, then lets the last run catch up until
/// it wrote `last_line(n)` for the writer's last round and ends it with SIGTERM. Returns the
/// outputs and the number of rounds written.
fn kill_and_restart(
    dir: &Path,
    args: &[&str],
    paths: &[PathBuf],
    lives: &[Duration],
    pace: Pace,
    make: fn(usize, u64) -> String,
    last_line: fn(u64) -> Vec<String>,
) -> (Vec<Output>, u64) {
    for path in paths {
        fs::write(path, "").unwrap();
    }
    let positions = dir.join("positions.json");
    let mut cmd = sluice();
    cmd.args(["-f", "--positions-interval", INTERVAL, "--positions"])
        .arg(&positions)
        .args(args)
        .args(paths);
    let stop = Arc::new(AtomicBool::new(false));
    let writer = writer(paths.to_vec(), pace, stop.clone(), make);
    let mut outputs = Vec::new();
    for &life in lives {
        let run = Running::start(&mut cmd);
        std::thread::sleep(life);
        let mut lines = Vec::new();
        let killed_at = run.end(libc::SIGKILL, &mut lines);
        outputs.push(Output {
            lines,
            killed_at: Some(killed_at),
        });
    }
    let run = Running::start(&mut cmd);
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::SeqCst);
    let rounds = writer.join().unwrap();
    let mut wanted = last_line(rounds);
    let mut lines = Vec::new();
    let started = Instant::now();
    while !wanted.is_empty() {
        let line = run
            .lines
            .recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|_| {
                panic!("the last run did not catch up: still waiting for {wanted:?}")
            });
        wanted.retain(|w| *w != line.1);
        lines.push(line);
        assert!(started.elapsed() < Duration::from_secs(20));
    }
    run.end(libc::SIGTERM, &mut lines);
    outputs.push(Output {
        lines,
        killed_at: None,
    });
    (outputs, rounds)
}

/// A deterministic life for each of `runs` runs, between `min` and `min + spread` ms.
fn lives(seed: u64, runs: usize, min: u64, spread: u64) -> Vec<Duration> {
    let mut random = Bytes::new(seed);
    (0..runs)
        .map(|_| Duration::from_millis(min + random.next_u64() % spread))
        .collect()
}

/// Checks the numbers one key's lines carry, run by run: within a run consecutive; each run
/// starting at 1 or at most one past where the one before stopped; the last run ending at
/// `last`; and a run starting before where the one before stopped by no more than
/// `allowed[r]`, the lines of this key the killed run `r` wrote in its replay window. Returns
/// how many lines each restart wrote again.
fn check_runs(key: &str, runs: &[Vec<u64>], allowed: &[usize], last: u64) -> Vec<u64> {
    let mut replayed = Vec::new();
    let mut done = 0;
    for (r, numbers) in runs.iter().enumerate() {
        for pair in numbers.windows(2) {
            assert_eq!(
                pair[1],
                pair[0] + 1,
                "{key}: run {r} skipped or repeated a line"
            );
        }
        if let Some(&first) = numbers.first() {
            assert!(
                first <= done + 1,
                "{key}: run {r} started at {first}, after {done}: lines lost"
            );
            let again = done + 1 - first;
            if r > 0 {
                assert!(
                    again as usize <= allowed[r - 1],
                    "{key}: run {r} wrote {again} lines again, more than the {} run {} wrote in \
                     its last {REPLAY_WINDOW:?}",
                    allowed[r - 1],
                    r - 1
                );
            }
            replayed.push(again);
            done = done.max(*numbers.last().unwrap());
        }
    }
    assert_eq!(done, last, "{key}: the last lines are missing");
    replayed
}

/// The lines of `output` that were written in the replay window before its kill.
fn in_replay_window(output: &Output) -> impl Iterator<Item = &String> {
    let from = output.killed_at.map(|at| at - REPLAY_WINDOW);
    output
        .lines
        .iter()
        .filter(move |(t, _)| from.is_some_and(|from| *t >= from))
        .map(|(_, line)| line)
}

#[test]
fn sigkill_at_random_points_loses_no_line_and_replays_at_most_an_interval() {
    let dir = tempdir("positions-kill");
    let paths = vec![dir.join("f1.log"), dir.join("f2.log")];
    let make = |file: usize, n: u64| format!("f{} {n:06}\n", file + 1);
    let last = |n: u64| vec![format!("f1 {n:06}"), format!("f2 {n:06}")];
    // A steady trickle: one line to each file every 2 ms.
    let pace = Pace {
        burst: 1,
        pause: Duration::from_millis(2),
    };
    let lives = lives(7, 5, 400, 500);
    let (outputs, rounds) = kill_and_restart(&dir, &[], &paths, &lives, pace, make, last);
    let mut report = BTreeMap::new();
    for key in ["f1", "f2"] {
        let runs: Vec<Vec<u64>> = outputs
            .iter()
            .map(|o| o.lines.iter().filter_map(|(_, l)| number(l, key)).collect())
            .collect();
        let allowed: Vec<usize> = outputs
            .iter()
            .map(|o| {
                in_replay_window(o)
                    .filter(|l| number(l, key).is_some())
                    .count()
            })
            .collect();
        let replayed = check_runs(key, &runs, &allowed, rounds);
        report.insert(key, (replayed, allowed));
    }
    for line in outputs.iter().flat_map(|o| &o.lines) {
        assert!(
            number(&line.1, "f1").is_some() || number(&line.1, "f2").is_some(),
            "a line that was never written: {:?}",
            line.1
        );
    }
    eprintln!(
        "positions-kill: {rounds} lines per file; (replayed, allowed) per restart: {report:?}"
    );
}

/// `key NNNNNN`, whole, as the number.
fn number(line: &str, key: &str) -> Option<u64> {
    let digits = line.strip_prefix(key)?.strip_prefix(' ')?;
    (digits.len() == 6).then(|| digits.parse().ok())?
}

/// Blocks (`A n` and then `n % 3` lines ` cont n.j`) held by `multiline` across batches and
/// kills: every block comes out whole in some run, none is lost, in order.
///
/// `multiline` emits a block it held from an earlier batch detached, at its last line; that
/// line's position is taken conservatively as the end of the line before it, so after a kill
/// a block's last line may be read again and come out on its own, before the first block of
/// the next run: a replay of a line already written whole, which is allowed.
#[test]
fn sigkill_with_an_open_multiline_block_loses_no_block() {
    let dir = tempdir("positions-kill-multiline");
    let paths = vec![dir.join("blocks.log")];
    let make = |_, n: u64| {
        let mut block = format!("A {n:06}\n");
        for j in 0..n % 3 {
            block.push_str(&format!(" cont {n:06}.{j}\n"));
        }
        block
    };
    // The last block goes out at the end (SIGTERM finishes the stage); wait for the one before.
    let last = |n: u64| vec![format!("A {:06}", n - 1)];
    let stage = ["-p", r#"multiline={"firstline":"^A ","max_wait":"30s"}"#];
    // Bursts of blocks, then a pause during which the last block stays open (held by the
    // stage, read, not written): a kill in a pause finds one held, at least one update after
    // it was read. Recording how far the file was read, rather than written, loses it.
    let pace = Pace {
        burst: 20,
        pause: Duration::from_millis(300),
    };
    let lives = lives(11, 4, 500, 700);
    let (outputs, rounds) = kill_and_restart(&dir, &stage, &paths, &lives, pace, make, last);

    let mut runs = Vec::new();
    let mut done = 0;
    let mut orphans = Vec::new();
    for (r, output) in outputs.iter().enumerate() {
        let mut blocks: Vec<(u64, Vec<&str>)> = Vec::new();
        let mut replayed = 0;
        for (_, line) in &output.lines {
            if let Some(n) = number(line, "A") {
                blocks.push((n, Vec::new()));
            } else if let Some((_, conts)) = blocks.last_mut() {
                conts.push(line);
            } else {
                let of = line
                    .strip_prefix(" cont ")
                    .and_then(|rest| number(&format!("A {}", rest.get(..6)?), "A"));
                assert!(
                    of.is_some_and(|n| n <= done),
                    "run {r}: a line before any block that is not a replay: {line:?}"
                );
                replayed += 1;
            }
        }
        orphans.push(replayed);
        // A killed run's last block may be cut short between two of its lines: then it was
        // not flushed whole, and the next run writes it again.
        let whole = |(n, conts): &(u64, Vec<&str>)| conts.len() as u64 == n % 3;
        if output.killed_at.is_some() && blocks.last().is_some_and(|b| !whole(b)) {
            blocks.pop();
        }
        let mut numbers = Vec::new();
        for (n, conts) in &blocks {
            let wanted: Vec<String> = (0..n % 3).map(|j| format!(" cont {n:06}.{j}")).collect();
            assert_eq!(conts, &wanted, "run {r}: block {n} is not whole");
            numbers.push(*n);
        }
        done = done.max(numbers.last().copied().unwrap_or(0));
        runs.push(numbers);
    }
    let allowed = vec![usize::MAX; runs.len()];
    let replayed = check_runs("A", &runs, &allowed, rounds);
    eprintln!(
        "positions-kill-multiline: {rounds} blocks; blocks replayed per restart: {replayed:?}, \
         last lines of blocks replayed alone: {orphans:?}"
    );
}
