//! `--on-plugin-error` and a stage's `on_error` key: a stage that fails (here the probe,
//! trapping in its third batch, and again in the third batch of each fresh start) stops the
//! run (`fail`), or lets the stream go on with the batch it failed on passed on unchanged
//! (`skip`) or dropped (`drop`), is started afresh, and is reported and summed up; the run then
//! ends with status 1. A boundary-safe stage (a redactor) refuses a plain `skip`.

use std::io::Write;
use std::time::Duration;

use crate::util::{run, spawn, test_plugin};

/// Generous: the lines come back one by one as they are sent.
const PATIENCE: Duration = Duration::from_secs(20);

/// The probe tagging what it outputs with `|p` and trapping in the third call of `process`.
fn trapping_probe() -> String {
    format!(
        "{}={{\"tag\":\"p\",\"trap_batch\":3}}",
        test_plugin("probe")
    )
}

/// Sends lines `1`..=`n` one batch each (the next once the last came out, or after a moment
/// when it does not: dropped, or the run stopped) under `policy`; returns stdout's lines, the
/// exit code and stderr.
fn one_batch_each(policy: &str, n: u32) -> (Vec<String>, Option<i32>, String) {
    // -j 1: `trap_batch` counts one instance's batches.
    let args = [
        "-j",
        "1",
        "--on-plugin-error",
        policy,
        "-p",
        &trapping_probe(),
    ];
    let (child, mut stdin, rx) = spawn(&args);
    let every_line_comes_out = policy == "skip";
    let patience = if every_line_comes_out {
        PATIENCE
    } else {
        Duration::from_millis(700)
    };
    let mut lines = Vec::new();
    for i in 1..=n {
        // After `fail`, sluice is gone and the pipe broken: that is the point.
        let _ = stdin.write_all(format!("{i}\n").as_bytes());
        let _ = stdin.flush();
        match rx.recv_timeout(patience) {
            Ok(line) => lines.push(line),
            Err(err) if every_line_comes_out => panic!("line {i}: {err}"),
            Err(_) => {}
        }
    }
    drop(stdin);
    lines.extend(rx.iter());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (lines, output.status.code(), stderr)
}

#[test]
fn skip_passes_the_failed_batch_on_and_starts_the_stage_afresh() {
    let (lines, code, stderr) = one_batch_each("skip", 7);
    assert_eq!(lines, ["1|p", "2|p", "3", "4|p", "5|p", "6", "7|p"]);
    assert_eq!(code, Some(1), "{stderr}");
    let said: Vec<&str> = stderr.lines().collect();
    assert_eq!(said.len(), 3, "{stderr}");
    assert!(
        said[0].ends_with(
            "at line 3 of <stdin>: `process` trapped: wasm `unreachable` executed (in a Rust \
             plugin, a panic); the batch's 1 line went on unchanged (on_error = skip) and the \
             stage started afresh: what it held is lost"
        ),
        "{stderr}"
    );
    assert!(said[1].contains("at line 6 of <stdin>"), "{stderr}");
    assert!(
        said[2].ends_with(
            "probe.wasm) failed 2 times; 2 lines of the batches it failed on passed on unchanged"
        ),
        "{stderr}"
    );
}

#[test]
fn drop_drops_the_failed_batch_and_starts_the_stage_afresh() {
    let (lines, code, stderr) = one_batch_each("drop", 7);
    assert_eq!(lines, ["1|p", "2|p", "4|p", "5|p", "7|p"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("the batch's 1 line was dropped (on_error = drop)"));
    assert!(stderr.contains("failed 2 times; 2 lines of the batches it failed on dropped"));
}

#[test]
fn fail_stops_the_run_with_what_came_before() {
    let (lines, code, stderr) = one_batch_each("fail", 3);
    assert_eq!(lines, ["1|p", "2|p"]);
    assert_eq!(code, Some(1));
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("at line 3 of <stdin>: `process` trapped"));
}

/// A stage's own key wins over the flag, both ways.
#[test]
fn a_stage_s_on_error_key_overrides_the_flag() {
    let spec = format!(
        "{}={{\"tag\":\"p\",\"trap_batch\":1,\"on_error\":\"skip\"}}",
        test_plugin("probe")
    );
    let skipped = run(&["-p", &spec], b"a\n");
    assert_eq!(skipped.code, 1);
    assert_eq!(skipped.stdout, b"a\n");
    let spec = format!(
        "{}={{\"trap_batch\":1,\"on_error\":\"fail\"}}",
        test_plugin("probe")
    );
    let failed = run(&["--on-plugin-error", "drop", "-p", &spec], b"a\n");
    assert!(failed.fails(1).contains("`process` trapped"));
    let bad = run(&["-p", r#"tail={"on_error":"ignore"}"#], b"a\n");
    assert_eq!(
        bad.fails(2),
        "sluice: stage 1 (tail): config key `on_error`: unknown policy \"ignore\"; expected one \
         of: fail, skip, drop, skip-unsafe"
    );
}

/// Skipping a redactor's failed batch would pass secrets on: `skip` is refused on a
/// boundary-safe stage unless that stage says `skip-unsafe`; `drop` is fine.
#[test]
fn a_boundary_safe_stage_refuses_a_plain_skip() {
    let refused = run(
        &["--on-plugin-error", "skip", "-p", "sanitize"],
        b"token=abc\n",
    );
    assert_eq!(
        refused.fails(2),
        "sluice: stage 1 (sanitize): on_error `skip` would pass the batches it fails on \
         unredacted: it is boundary-safe (a redactor); give it `\"on_error\": \"drop\"`, or \
         `\"on_error\": \"skip-unsafe\"` to accept that"
    );
    assert!(refused.stdout.is_empty());
    for key in ["drop", "skip-unsafe"] {
        let spec = format!("sanitize={{\"on_error\":\"{key}\"}}");
        let ok = run(
            &["--on-plugin-error", "skip", "-p", &spec],
            b"password=hunter2\n",
        );
        assert_eq!(ok.code, 0, "{key}: {}", ok.stderr);
        assert!(!String::from_utf8_lossy(&ok.stdout).contains("hunter2"));
    }
}

/// The windows of an over-long line follow the policy too. `sanitize` under an 8 MiB cap
/// cannot take a 12 MiB window: with `drop`, each window is dropped but for its last
/// `--boundary-overlap` bytes, which stay for the next window (what straddles a cut is still
/// seen whole), the line's rest goes on, and the lines around it are untouched; with
/// `skip-unsafe` the line passes whole, unredacted, as that policy says it may.
#[test]
fn a_window_of_an_over_long_line_follows_the_policy() {
    const CAP: usize = 12 << 20;
    const OVERLAP: usize = 64;
    let line: Vec<u8> = (0..3 * (CAP - OVERLAP) + 100_000)
        .map(|i| b'a' + (i % 26) as u8)
        .collect();
    let mut input = b"a=1\n".to_vec();
    input.extend_from_slice(&line);
    input.extend_from_slice(b"\nb=2\n");
    let args = |policy: &str| {
        vec![
            "--plugin-memory".to_owned(),
            "8".to_owned(),
            "--max-line-bytes".to_owned(),
            CAP.to_string(),
            "--boundary-overlap".to_owned(),
            OVERLAP.to_string(),
            "-p".to_owned(),
            format!("sanitize={{\"on_error\":\"{policy}\"}}"),
        ]
    };
    let run_with = |policy: &str| {
        let args = args(policy);
        run(&args.iter().map(String::as_str).collect::<Vec<_>>(), &input)
    };

    let dropped = run_with("drop");
    let mut expected = b"a=1\n".to_vec();
    expected.extend_from_slice(&line[3 * (CAP - OVERLAP)..]);
    expected.extend_from_slice(b"\nb=2\n");
    assert_eq!(dropped.code, 1, "{}", dropped.stderr);
    assert!(dropped.stdout == expected, "{} bytes", dropped.stdout.len());
    let reports: Vec<&str> = dropped.stderr.lines().collect();
    assert_eq!(reports.len(), 4, "{}", dropped.stderr);
    for report in &reports[..3] {
        assert!(
            report.starts_with(
                "sluice: stage 1 (sanitize), at line 2 of <stdin> (a piece of an over-long \
                 line): `process` exceeded the memory limit of 8 MiB; the batch's 1 line was \
                 dropped (on_error = drop)"
            ),
            "{report}"
        );
    }

    let skipped = run_with("skip-unsafe");
    assert_eq!(skipped.code, 1, "{}", skipped.stderr);
    assert!(skipped.stdout == input, "{} bytes", skipped.stdout.len());
}
