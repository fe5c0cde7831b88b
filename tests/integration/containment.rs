//! A hostile plugin costs the user nothing it should not: an answer that amplifies one line
//! into millions streams in bounded memory.

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
    let line = "x".repeat(99);
    let mut child = start(sluice().args([
        "-p",
        &format!("{}={{\"repeat\":10000000}}", test_plugin("probe")),
        "-p",
        &format!("{}={{\"tag\":\"t\"}}", test_plugin("probe")),
    ]));
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
    assert_eq!((code, diagnostics.as_str()), (0, ""));
    assert_eq!(count, 10_000_000);
    assert!(
        peak < DEFAULT_PLUGIN_MEMORY + 256 * MIB,
        "peak memory {} MiB",
        peak / MIB
    );
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
