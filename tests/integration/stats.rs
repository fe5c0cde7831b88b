//! `--stats`: the counts equal what actually went in and out of each stage, the JSON form
//! parses, and SIGUSR1 prints them while sluice runs.

use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{run, send, sluice, start, stats_of};

/// INFO/ERROR lines start a block, indented lines continue it, DEBUG lines are dropped.
const LOG: &[u8] = b"INFO start\nDEBUG noise\nERROR boom\n  at a\n  at b\nDEBUG more\nINFO end\n";

const DROP: &str = r#"drop={"expression":"^DEBUG"}"#;
const MULTILINE: &str = r#"multiline={"firstline":"^\\S"}"#;

#[test]
fn counts_equal_the_lines_in_out_and_dropped_of_each_stage() {
    // -j 1: one instance of each stage, so one `finish` call each.
    let args = [
        "-j",
        "1",
        "--stats=json",
        "-p",
        DROP,
        "-p",
        MULTILINE,
        "-p",
        "pack",
    ];
    let run = run(&args, LOG);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let stats = stats_of(&run.stderr);
    let written: Vec<&[u8]> = run.stdout.split_inclusive(|&b| b == b'\n').collect();
    assert_eq!(written.len(), 3, "{}", String::from_utf8_lossy(&run.stdout));

    assert_eq!(stats["lines_read"], 7);
    assert_eq!(stats["bytes_read"], LOG.len());
    assert_eq!(stats["lines_written"], 3);
    assert_eq!(stats["bytes_written"], run.stdout.len());

    let stage = |i: usize, key: &str| stats["stages"][i][key].as_u64().unwrap();
    let names: Vec<&str> = (0..3)
        .map(|i| stats["stages"][i]["plugin"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["drop", "multiline", "pack"]);
    // drop: every line in, the two DEBUG lines out of the stream.
    assert_eq!(
        (
            stage(0, "lines_in"),
            stage(0, "lines_out"),
            stage(0, "dropped")
        ),
        (7, 5, 2)
    );
    assert_eq!(
        stage(0, "bytes_in"),
        (LOG.len() - 7) as u64,
        "bytes without terminators"
    );
    assert_eq!(stage(0, "bytes_out"), stage(1, "bytes_in"));
    // multiline: five lines into three blocks, the last one emitted at the end; every input
    // line not named as the source of a block is counted dropped.
    assert_eq!(stage(1, "lines_in"), 5);
    assert_eq!(stage(1, "lines_out") + stage(1, "emitted"), 3);
    assert_eq!(stage(1, "emitted"), 1, "INFO end is held until the end");
    assert_eq!(stage(1, "dropped"), 5 - stage(1, "lines_out"));
    // pack: one line out per line in.
    assert_eq!(
        (
            stage(2, "lines_in"),
            stage(2, "lines_out"),
            stage(2, "dropped")
        ),
        (3, 3, 0)
    );
    let terminators = 3;
    assert_eq!(
        stage(2, "bytes_out"),
        (run.stdout.len() - terminators) as u64
    );
    // A process call per batch, and a finish each: pack has two batches, the second being the
    // line multiline emitted at the end.
    for (i, calls) in [2, 2, 3].into_iter().enumerate() {
        assert_eq!(stage(i, "calls"), calls, "stage {i}: {stats}");
        assert!(stats["stages"][i]["plugin_seconds"].as_f64().unwrap() > 0.0);
        assert_eq!(stage(i, "failures"), 0);
    }
}

#[test]
fn the_table_names_every_stage_after_a_line_for_the_run() {
    let run = run(&["--stats", "-p", DROP, "-p", "pack"], LOG);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines: Vec<&str> = run.stderr.lines().collect();
    let totals = format!("read 7 lines ({} B), wrote 5 lines", LOG.len());
    assert!(
        lines[0].starts_with("sluice: stats after ") && lines[0].contains(&totals),
        "{}",
        run.stderr
    );
    assert!(lines[1].starts_with("stage") && lines[1].ends_with("share"));
    assert!(lines[2].starts_with("1 (drop)"), "{}", run.stderr);
    assert!(lines[3].starts_with("2 (pack)"), "{}", run.stderr);
    assert_eq!(lines.len(), 4, "{}", run.stderr);
}

#[test]
fn without_the_flag_nothing_is_printed() {
    let run = run(&["-p", DROP], LOG);
    assert_eq!(run.code, 0);
    assert_eq!(run.stderr, "");
}

#[test]
fn a_bad_format_is_a_usage_error() {
    let run = run(&["--stats=yaml"], b"");
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("table, json"), "{}", run.stderr);
}

#[test]
fn sigusr1_prints_the_stats_while_the_run_goes_on() {
    let mut child = start(sluice().args(["--stats=json", "-p", DROP]));
    let mut stdin = child.stdin.take().unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stderr.lines() {
            let _ = tx.send(line.unwrap());
        }
    });
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    send(&mut stdin, b"one\nDEBUG two\nthree\n");
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    stdout.read_line(&mut line).unwrap();
    assert_eq!(line, "one\nthree\n");

    // SAFETY: kill(2) with a child's pid and a valid signal number has no memory effects.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGUSR1) }, 0);
    let printed = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("no stats on SIGUSR1");
    let stats: Value = serde_json::from_str(&printed).unwrap();
    assert_eq!(stats["lines_read"], 3);
    assert_eq!(stats["lines_written"], 2);
    assert_eq!(stats["stages"][0]["dropped"], 1);

    // Still running: more lines go through, and the end prints the final counts.
    send(&mut stdin, b"four\n");
    line.clear();
    stdout.read_line(&mut line).unwrap();
    assert_eq!(line, "four\n");
    drop(stdin);
    let started = Instant::now();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?} after {:?}", started.elapsed());
    let last: Value = serde_json::from_str(&rx.recv().unwrap()).unwrap();
    assert_eq!(last["lines_read"], 4);
    assert_eq!(last["lines_written"], 3);
}

/// With no stage, input is copied in bulk; --stats still counts its lines (a last line
/// without a newline too).
#[test]
fn lines_copied_in_bulk_are_counted_with_stats() {
    let run = run(&["--stats=json"], b"a\nb\r\nno newline");
    assert_eq!(
        (run.code, run.stdout.as_slice()),
        (0, &b"a\nb\r\nno newline"[..])
    );
    let stats = stats_of(&run.stderr);
    assert_eq!(
        (
            stats["lines_read"].as_u64(),
            stats["lines_written"].as_u64()
        ),
        (Some(3), Some(3))
    );
    assert_eq!(stats["bytes_written"], 15);
    assert_eq!(stats["stages"], serde_json::json!([]));
}
