//! `-j`/`--threads`: the same bytes out whatever the number of threads, files read in order,
//! and only the stages that declare no state run on several threads. (The host's own tests run
//! every built-in, alone and in chains, over random read splits: `host/src/parallel/tests.rs`.)

use std::fs;

use crate::util::{report_of, run, stats_of, tempdir, test_plugin};

/// Lines of many shapes, some over the line cap given below, some CRLF, one without its
/// terminator at the end.
fn log(lines: usize, salt: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for n in 0..lines {
        let line = match (n * 7 + salt) % 9 {
            0 => format!(r#"{{"level":"warn","n":{n},"msg":"card 4111111111111111"}}"#),
            1 => format!(
                "level=error user=u{n} password=hunter{n} ip=10.0.0.{}",
                n % 255
            ),
            2 => format!("{}secret=abc{n}", "x".repeat(300 + n % 50)),
            3 => "  at com.example.Thing.method(Thing.java:42)".to_owned(),
            _ => format!(
                "level=info user=u{} latency_ms={} msg=\"ok {n}\"",
                n % 5,
                n % 900
            ),
        };
        out.extend_from_slice(line.as_bytes());
        out.extend_from_slice(if n % 4 == 0 { b"\r\n" } else { b"\n" });
    }
    out.extend_from_slice(b"level=info last line without its terminator");
    out
}

#[test]
fn the_output_is_the_same_on_one_thread_and_on_four() {
    let dir = tempdir("threads-same");
    let (a, b) = (dir.join("a.log"), dir.join("b.log"));
    fs::write(&a, log(3000, 0)).unwrap();
    fs::write(&b, log(1000, 4)).unwrap();
    let files = [a.to_str().unwrap(), b.to_str().unwrap()];
    let chains: [&[&str]; 3] = [
        &[
            "-p",
            "sanitize",
            "-p",
            "regex={\"expression\":\"level=(?P<level>\\\\w+)\"}",
            "-p",
            "pack",
        ],
        // Parallel, serial (per source), parallel, whole-stream, parallel.
        &[
            "-p",
            "logfmt",
            "-p",
            "multiline={\"firstline\":\"^\\\\S\",\"max_wait\":\"1h\"}",
            "-p",
            "luhn",
            "-p",
            "json",
            "-p",
            "replace={\"expression\":\"u(\\\\d)\",\"replace\":\"user-$1\"}",
        ],
        &[
            "-p",
            "decolorize",
            "-p",
            "grep={\"expression\":\"error\",\"context\":1}",
            "-p",
            "pack",
        ],
    ];
    for chain in chains {
        for format in ["raw", "json"] {
            let with = |threads: &str| {
                let mut args = vec![
                    "-j",
                    threads,
                    "--max-line-bytes",
                    "256",
                    "--boundary-overlap",
                    "64",
                ];
                args.extend_from_slice(&["-o", format]);
                args.extend_from_slice(chain);
                args.extend_from_slice(&files);
                let out = run(&args, b"");
                assert_eq!(out.code, 0, "{chain:?} -j {threads}: {}", out.stderr);
                out
            };
            let (one, four) = (with("1"), with("4"));
            assert!(one.stdout.len() > 10_000, "{chain:?}");
            assert!(
                one.stdout == four.stdout,
                "{chain:?} -o {format}: -j 4 differs from -j 1"
            );
            assert_eq!(one.stderr, four.stderr, "{chain:?}");
        }
    }
}

/// How many calls the `--stats=json` run made into each stage, over one batch of 64 lines (a
/// batch of fewer runs on the reading thread when none is in flight).
fn calls(args: &[&str]) -> Vec<u64> {
    let out = run(args, "a\n".repeat(64).as_bytes());
    assert_eq!(out.code, 0, "{}", out.stderr);
    let stats = stats_of(&out.stderr);
    let stages = stats["stages"].as_array().unwrap();
    stages
        .iter()
        .map(|s| s["calls"].as_u64().unwrap())
        .collect()
}

/// A stage that declares no state runs in an instance on every thread, each of which is
/// finished at the end; one that says nothing of its state (the SDK's default, per source, as
/// for the `identity` test plugin) runs in one instance, as `sluice check` says.
#[test]
fn only_stages_declaring_no_state_run_on_every_thread() {
    let probe = test_plugin("probe");
    let identity = test_plugin("identity");
    // One batch: one `process` (on a thread), then `finish` for the stage's own instance and
    // for the one of the thread that ran it (the other threads, given no batch, made none).
    assert_eq!(calls(&["--stats=json", "-j", "4", "-p", &probe]), [3]);
    assert_eq!(calls(&["--stats=json", "-j", "1", "-p", &probe]), [2]);
    assert_eq!(calls(&["--stats=json", "-j", "4", "-p", &identity]), [2]);
    let both = calls(&["--stats=json", "-j", "4", "-p", &identity, "-p", &probe]);
    assert_eq!(both, [2, 3]);

    let check = run(&["check", "-p", &probe, "-p", &identity], b"");
    assert_eq!(check.code, 0, "{}", check.stderr);
    let text = check.text();
    let said: Vec<&str> = text.lines().take(2).collect();
    assert!(
        said[0].contains("no state (runs on every -j thread)"),
        "{}",
        said[0]
    );
    assert!(said[1].contains("state per source"), "{}", said[1]);
    // A report sent somewhere is one instance's report: that stage stays on one thread.
    let reporting = format!(r#"{probe}={{"report_lines":true,"report":"stderr"}}"#);
    let check = run(&["check", "-p", &reporting], b"");
    assert!(
        check
            .text()
            .contains("no state (one thread: its report goes where chosen)")
    );
    assert_eq!(calls(&["--stats=json", "-j", "4", "-p", &reporting]), [2]);
}

#[test]
fn threads_must_be_between_one_and_256() {
    for bad in ["0", "257", "many"] {
        let out = run(&["-j", bad], b"");
        assert_eq!(out.code, 2, "-j {bad}");
        assert!(out.stderr.contains("--threads <N>"), "{}", out.stderr);
    }
}

/// A configuration may keep less than its plugin declares, and a stage whose instances merge
/// their counts makes one report for every line: `grep` without context and `json` run on
/// every thread, and `json`'s report with four threads is the report with one.
#[test]
fn stages_that_narrow_their_state_or_merge_their_counts_run_on_every_thread() {
    let check = run(
        &[
            "check",
            "-p",
            r#"grep={"expression":"a"}"#,
            "-p",
            r#"grep={"expression":"a","context":1}"#,
            "-p",
            "json",
            "-p",
            "sanitize",
        ],
        b"",
    );
    assert_eq!(check.code, 0, "{}", check.stderr);
    let text = check.text();
    let said: Vec<&str> = text.lines().take(4).collect();
    assert!(
        said[0].contains("no state (runs on every -j thread)"),
        "{}",
        said[0]
    );
    assert!(said[1].contains("; state per source;"), "{}", said[1]);
    let merged = "no state, counts merged for its report (runs on every -j thread)";
    assert!(said[2].contains(merged), "{}", said[2]);
    let carried = "state per source, carried from batch to batch (runs on every -j thread)";
    assert!(said[3].contains(carried), "{}", said[3]);

    let mut input = Vec::new();
    for n in 0..20_000 {
        let line = if n % 7 == 0 {
            format!("not json {n}\n")
        } else {
            format!("{{\"n\":{n}}}\n")
        };
        input.extend_from_slice(line.as_bytes());
    }
    let one = run(&["-j", "1", "-p", "json"], &input);
    let four = run(&["-j", "4", "-p", "json"], &input);
    assert_eq!(one.code, 0, "{}", one.stderr);
    assert_eq!(four.stdout, one.stdout);
    assert!(
        one.stderr
            .contains("2858 of 20000 lines were not valid JSON and passed unchanged"),
        "{}",
        one.stderr
    );
    assert_eq!(four.stderr, one.stderr);
    assert_eq!(calls(&["--stats=json", "-j", "4", "-p", "json"]), [3]);
}

/// A batch a thread gives back, because a stage made more of it than one part may hold, runs
/// again on the reading thread and streams out; `--stats` counts its lines once, and the calls
/// the plugin answered twice.
#[test]
fn a_batch_run_again_on_the_reading_thread_is_counted_once() {
    // 64 lines, so that the batch goes to a lane (a smaller one, with nothing in flight, runs
    // on the reading thread), made 19,200: more than the 16,384 lines of one part.
    let probe = format!(r#"{}={{"repeat":300}}"#, test_plugin("probe"));
    let stage = |threads: &str| stage_counts(threads, &probe, &"a\n".repeat(64));
    // One `process` and one `finish`.
    assert_eq!(stage("1"), (64, 19_200, 2));
    // The lane's `process`, the one here, and a `finish` for the stage's own instance and for
    // the lane's (the other lane, given no batch, made none).
    assert_eq!(stage("2"), (64, 19_200, 4));
}

/// A batch of a few lines handed on while none is in flight (input that trickles in) runs on
/// the reading thread, without a round trip through a lane: the chain's own instance saw the
/// lines, and the lanes, given no batch, made no instances (which would report too).
#[test]
fn a_small_batch_with_nothing_in_flight_runs_on_the_reading_thread() {
    let probe = test_plugin("probe");
    let stage = format!(r#"{probe}={{"report_lines":true}}"#);
    let run = run(&["-j", "2", "-p", &stage], b"a\nb\n");
    assert_eq!((run.code, run.stdout.as_slice()), (0, &b"a\nb\n"[..]));
    assert_eq!(
        report_of(&run.stderr, &format!("stage 1 ({probe})")),
        "probe saw 2 lines\n"
    );
}

/// The lines in, lines out and calls `--stats` counts for the only stage, `stage`, over
/// `input` with `threads` threads.
fn stage_counts(threads: &str, stage: &str, input: &str) -> (u64, u64, u64) {
    let out = run(
        &["--stats=json", "-j", threads, "-p", stage],
        input.as_bytes(),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let stats = stats_of(&out.stderr);
    let stage = &stats["stages"][0];
    let count = |key: &str| stage[key].as_u64().unwrap();
    (count("lines_in"), count("lines_out"), count("calls"))
}

/// A stage that merges its counts reports once, for every line, wherever its report goes,
/// however many threads ran it.
#[test]
fn a_report_sent_somewhere_covers_every_line_when_the_instances_merge_their_counts() {
    let dir = tempdir("threads-tally");
    let log = dir.join("in.log");
    let mut input = Vec::new();
    for n in 0..50_000 {
        input.extend_from_slice(format!("line {n}\n").as_bytes());
    }
    fs::write(&log, &input).unwrap();
    let calls = |threads: &str| -> u64 {
        let report = dir.join(format!("report-{threads}.txt"));
        let spec = format!(
            r#"{}={{"report_lines": true, "tally": "merge", "report": "{}"}}"#,
            test_plugin("probe"),
            report.display()
        );
        let args = [
            "-j",
            threads,
            "--stats=json",
            "-p",
            &spec,
            log.to_str().unwrap(),
        ];
        let out = run(&args, b"");
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(out.stdout == input, "-j {threads}: the lines changed");
        let said = fs::read_to_string(&report).unwrap();
        assert_eq!(said, "probe saw 50000 lines\n", "-j {threads}");
        stats_of(&out.stderr)["stages"][0]["calls"]
            .as_u64()
            .unwrap()
    };
    // The same batches, and with four threads a `finish` for the instance of each thread that
    // was given a batch (which ones are, and so how many, depends on timing): it ran on the
    // threads.
    let (one, four) = (calls("1"), calls("4"));
    assert!(
        (one + 1..=one + 4).contains(&four),
        "{one} calls, then {four}"
    );
}

/// A serial stage (in a `match`) that makes more of some batches than one part may hold, with
/// stages on every thread before and after it: the batches before such a batch come out first,
/// some of them still on a thread when it grows, then its output streams on through the
/// stages after it. With four threads the bytes are one thread's, in order.
#[test]
fn a_serial_stage_that_amplifies_some_batches_keeps_the_order_with_threads_after_it() {
    let dir = tempdir("threads-amplify");
    let probe = test_plugin("probe");
    let identity = test_plugin("identity");
    // Its report, sent to stderr, keeps the nested probe on one thread; `identity` is serial
    // too, between two stages that run on every thread.
    let pipeline = dir.join("pipeline.toml");
    fs::write(
        &pipeline,
        format!(
            "[[stage]]\nplugin = '{probe}'\ntag = 'a'\n\
             [[stage]]\nmatch = '|= \"amp\"'\n  [[stage.stages]]\n  plugin = '{probe}'\n  \
             repeat = 20000\n  report_lines = true\n  report = 'stderr'\n\
             [[stage]]\nplugin = '{probe}'\ntag = 'b'\n\
             [[stage]]\nplugin = '{identity}'\n\
             [[stage]]\nplugin = '{probe}'\ntag = 'c'\n"
        ),
    )
    .unwrap();
    // Batches of 1024 lines: one line in about every third batch is made 20000 lines.
    let mut input = String::new();
    let mut expected = String::new();
    for n in 0..12_000 {
        let line = if n % 3000 == 1500 {
            format!("amp {n}")
        } else {
            format!("line {n}")
        };
        input.push_str(&line);
        input.push('\n');
        let copies = if line.starts_with("amp") { 20_000 } else { 1 };
        for _ in 0..copies {
            expected.push_str(&line);
            expected.push_str("|a|b|c\n");
        }
    }
    let log = dir.join("in.log");
    fs::write(&log, &input).unwrap();
    for threads in ["1", "4"] {
        let args = [
            "-j",
            threads,
            "-c",
            pipeline.to_str().unwrap(),
            log.to_str().unwrap(),
        ];
        let out = run(&args, b"");
        assert_eq!(out.code, 0, "-j {threads}: {}", out.stderr);
        assert!(
            out.stdout == expected.as_bytes(),
            "-j {threads}: {} bytes out, {} expected",
            out.stdout.len(),
            expected.len()
        );
        assert!(out.stderr.contains("probe saw 4 lines"), "{}", out.stderr);
    }
}
