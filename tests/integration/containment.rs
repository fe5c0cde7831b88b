//! A hostile plugin costs the user nothing it should not: an answer that amplifies one line
//! into millions streams in bounded memory, a table bomb stops at the memory cap, and what a
//! plugin says on stderr comes out escaped, cut and labelled with its stage.

use std::io::{BufRead, BufReader, Read};

use crate::util::*;

const MIB: u64 = 1 << 20;

/// What `--plugin-memory` is by default, in bytes.
const DEFAULT_PLUGIN_MEMORY: u64 = 256 * MIB;

/// One 100-byte line answered with ten million copies (a 40 MB answer that makes 1 GB), then
/// tagged by a second stage: every copy comes out, in order, through the stage after it, and
/// sluice's peak memory stays within the plugin memory cap plus 256 MiB (it was over 2 GiB
/// when the host built the whole answer before handing it on).
#[test]
fn one_line_made_ten_million_streams_in_bounded_memory() {
    let probe = test_plugin("probe");
    let amplify = format!(r#"{probe}={{"repeat":10000000}}"#);
    let diagnostics = ten_million_tagged_copies_in_bounded_memory(&["-p", &amplify]);
    assert_eq!(diagnostics, "");
}

/// The same with a serial stage (its report sent to stderr keeps it on one thread) and the
/// stage after it on every thread (`-j 2`): the copies stream through the threads' stage as
/// they come, instead of being held for it, which took over 2 GiB.
#[test]
fn one_line_made_ten_million_by_a_serial_stage_streams_through_the_threads_after_it() {
    let probe = test_plugin("probe");
    let amplify = format!(r#"{probe}={{"repeat":10000000,"report_lines":true,"report":"stderr"}}"#);
    let diagnostics = ten_million_tagged_copies_in_bounded_memory(&["-j", "2", "-p", &amplify]);
    assert!(diagnostics.contains("probe saw 1 lines"), "{diagnostics}");
}

/// Runs sluice with `args` (which make ten million copies of a line), then a probe that tags
/// each line `t`, on one 100-byte line; checks every copy and the peak memory, and returns
/// what sluice said on stderr.
fn ten_million_tagged_copies_in_bounded_memory(args: &[&str]) -> String {
    let line = "x".repeat(99);
    let tag = format!(r#"{}={{"tag":"t"}}"#, test_plugin("probe"));
    let mut child = start(sluice().args(args).args(["-p", &tag]));
    let mut stdin = child.stdin.take().unwrap();
    send(&mut stdin, format!("{line}\n").as_bytes());
    drop(stdin);
    let mut stderr = child.stderr.take().unwrap();
    let stdout = BufReader::with_capacity(1 << 20, child.stdout.take().unwrap());
    let expected = format!("{line}|t");
    let mut count = 0u64;
    for got in stdout.split(b'\n') {
        let got = got.unwrap();
        assert!(
            got == expected.as_bytes(),
            "line {}: {}",
            count + 1,
            show(&got)
        );
        count += 1;
    }
    let (code, peak) = wait_with_peak_memory(child);
    let mut diagnostics = String::new();
    stderr.read_to_string(&mut diagnostics).unwrap();
    assert_eq!(code, 0, "{diagnostics}");
    assert_eq!(count, 10_000_000);
    assert!(
        peak < DEFAULT_PLUGIN_MEMORY + 256 * MIB,
        "peak memory {} MiB",
        peak / MIB
    );
    diagnostics
}

/// The same inside a `match` node: the parts of an answer too large for one batch leave the
/// node after the lines before them and before the lines after them, through the next stage.
#[test]
fn an_amplified_answer_inside_a_match_keeps_its_place() {
    let dir = tempdir("containment-match");
    let probe = test_plugin("probe");
    let file = dir.join("pipeline.toml");
    std::fs::write(
        &file,
        format!(
            "[[stage]]\nmatch = '|= \"amp\"'\n  [[stage.stages]]\n  plugin = '{probe}'\n  \
             repeat = 40000\n[[stage]]\nplugin = '{probe}'\ntag = 't'\n"
        ),
    )
    .unwrap();
    let out = run(&["-c", file.to_str().unwrap()], b"a\nampX\nb\nampY\nc")
        .ok()
        .to_vec();
    let mut expected = String::from("a|t\n");
    expected.push_str(&"ampX|t\n".repeat(40000));
    expected.push_str("b|t\n");
    expected.push_str(&"ampY|t\n".repeat(40000));
    expected.push_str("c|t");
    assert!(out == expected.as_bytes(), "{} bytes", out.len());
}

/// sluice with `args` on `stdin`: its exit code, stdout, stderr and peak memory in bytes.
fn run_measured(args: &[&str], stdin: &[u8]) -> (i32, Vec<u8>, String, u64) {
    let mut child = start(sluice().args(args));
    let mut input = child.stdin.take().unwrap();
    send(&mut input, stdin);
    drop(input);
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        stderr.read_to_string(&mut text).unwrap();
        text
    });
    let mut out = Vec::new();
    stdout.read_to_end(&mut out).unwrap();
    let (code, peak) = wait_with_peak_memory(child);
    (code, out, errors.join().unwrap(), peak)
}

/// A plugin growing a table without end (a table's elements are the host's memory, not the
/// plugin's linear memory) is stopped at `--plugin-memory`, and the message says so. Without
/// the cap counting tables, the same plugin took 2.5–3 GiB.
#[test]
fn a_table_bomb_is_stopped_at_the_cap() {
    let bomb = test_plugin("table-bomb");
    let (code, out, stderr, peak) = run_measured(&["--plugin-memory", "64", "-p", &bomb], b"x\n");
    assert_eq!((code, out.as_slice()), (2, &b""[..]), "{stderr}");
    assert_eq!(
        stderr,
        format!(
            "sluice: stage 1 ({bomb}): `describe` exceeded the memory limit of 64 MiB growing a \
             table to 8388609 elements (a table's elements count toward it, 8 bytes each)\n"
        )
    );
    assert!(
        peak < 64 * MIB + 128 * MIB,
        "peak memory {} MiB",
        peak / MIB
    );
}

/// A 100 MB error string: the message shows the documented 4096 bytes and counts the rest,
/// and costs the host under 64 MiB beyond the plugin's own copy of it (in the plugin's capped
/// memory): the host asks `last-error` for 4096 bytes and may copy no more out of the guest.
/// It used to split the message into words twice, peaking at 1.2 GiB; with the message in the
/// answer (contract 0.3.0), wasmtime lifted all of it, peaking at 214 MiB.
#[test]
fn a_hundred_megabyte_error_is_cut_and_costs_little() {
    let piece = "\u{1b}[2K\rsluice: stage 1 (sanitize): all secrets redacted\u{7}\0\u{202e}.";
    let repeat = 100_000_000 / piece.len();
    let config = serde_json::json!({"fail": piece, "fail_repeat": repeat}).to_string();
    let probe = format!("{}={config}", test_plugin("probe"));
    let (code, out, stderr, peak) = run_measured(&["-p", &probe], b"x\n");
    assert_eq!((code, out.as_slice()), (1, &b""[..]), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    let left_out = piece.len() * repeat - 4096;
    assert!(
        lines[0].ends_with(&format!(" … ({left_out} more bytes left out)")),
        "{}",
        &lines[0][lines[0].len() - 200..]
    );
    assert!(!stderr.contains(['\x1b', '\x07', '\0', '\r', '\u{202e}']));
    assert!(lines[0].len() < 4096 * 7, "{} bytes", lines[0].len());
    let string = (piece.len() * repeat) as u64;
    assert!(peak < string + 64 * MIB, "peak memory {} MiB", peak / MIB);
}

/// A report a plugin writes on stderr cannot pass for sluice's own words or drive the
/// terminal: each of its lines comes after the stage's label, escape codes escaped.
#[test]
fn a_report_on_stderr_is_labelled_and_escaped() {
    let report = "\u{1b}[2K\rsluice: stage 1 (sanitize): all secrets redacted\u{7}\n\nline two\n";
    let config = serde_json::json!({ "report_text": report }).to_string();
    let probe = test_plugin("probe");
    // -j 1: one instance, so one report.
    let run = run(&["-j", "1", "-p", &format!("{probe}={config}")], b"x\n");
    assert_eq!((run.code, run.stdout.as_slice()), (0, &b"x\n"[..]));
    assert_eq!(
        run.stderr,
        format!(
            "stage 1 ({probe}): \\u{{1b}}[2K\\u{{d}}sluice: stage 1 (sanitize): all secrets \
             redacted\\u{{7}}\nstage 1 ({probe}): \nstage 1 ({probe}): line two\n"
        )
    );
}

/// A plugin whose `last-error` answers with more than it was asked for (one byte more, or 64
/// times more than the host lets the call copy out) gets its message replaced by the host's
/// word that it could not be read; the run fails as for any error.
#[test]
fn an_error_message_longer_than_asked_for_is_not_shown() {
    let liar = test_plugin("liar");
    for config in [r#"{"by": "a byte"}"#, "{}"] {
        let run = run(&["-p", &format!("{liar}={config}")], b"x\n");
        assert_eq!(
            run.fails(1),
            format!(
                "sluice: stage 1 ({liar}), at line 1 of <stdin>: `process` failed, and its \
                 error message could not be read: `last-error` answered with more than the \
                 4096 bytes it was asked for"
            ),
            "{config}"
        );
    }
}
