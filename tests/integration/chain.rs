//! Chain behaviour and plugin failures, seen through the `probe` test plugin
//! (`plugins/testing/probe`), which misbehaves on request.

use std::time::{Duration, Instant};

use crate::util::{run, tempdir, test_plugin, transform};

fn probe(config: &str) -> String {
    format!("{}={config}", test_plugin("probe"))
}

#[test]
fn one_line_in_many_lines_out_keeps_terminators() {
    let out = transform(&["-p", &probe(r#"{"repeat":2}"#)], b"a\r\nb\nc");
    assert_eq!(out, b"a\r\na\r\nb\nb\nc\nc");
}

#[test]
fn a_stage_can_drop_every_line() {
    assert_eq!(
        transform(&["-p", &probe(r#"{"repeat":0}"#)], b"a\nb\n"),
        b""
    );
}

#[test]
fn stages_run_in_order_and_finish_flows_downstream() {
    // -j 1: the probe declares no state, which these keys make a lie; on several threads
    // each instance would keep its own.
    let out = transform(
        &[
            "-j",
            "1",
            "-p",
            &probe(r#"{"tag":"a","finish_lines":["end-a"]}"#),
            "-p",
            &probe(r#"{"tag":"b","finish_lines":["end-b"]}"#),
        ],
        b"x\ny\n",
    );
    // The probe tags every line it emits, its trailing lines included: `end-a` was emitted by
    // stage 1's finish and then went through stage 2; stage 2 finished last.
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "x|a|b\ny|a|b\nend-a|a|b\nend-b|b\n"
    );
}

#[test]
fn identity_plugin_is_byte_identical() {
    let input = b"a\r\n\xff\0\nlast";
    let out = transform(&["-p", &test_plugin("identity")], input);
    assert_eq!(out, input);
}

#[test]
fn trap_in_process_names_stage_and_position() {
    let input = b"one\ntwo\n";
    let run = run(
        &["-p", "sanitize", "-p", &probe(r#"{"trap":"process"}"#)],
        input,
    );
    let message = run.fails(1);
    assert!(message.contains("stage 2 ("), "{message}");
    assert!(message.contains("at lines 1-2 of <stdin>"), "{message}");
    assert!(message.contains("trapped"), "{message}");
}

#[test]
fn trap_in_create_is_a_setup_error() {
    let run = run(&["-p", &probe(r#"{"trap":"create"}"#)], b"x\n");
    let message = run.fails(2);
    assert!(
        message.contains("stage 1 (") && message.contains("`create` trapped"),
        "{message}"
    );
}

#[test]
fn trap_in_finish() {
    let run = run(&["-p", &probe(r#"{"trap":"finish"}"#)], b"x\n");
    let message = run.fails(1);
    assert!(
        message.contains("at end of input") && message.contains("`finish` trapped"),
        "{message}"
    );
    // Lines processed before the end were written.
    assert_eq!(run.stdout, b"x\n");
}

#[test]
fn endless_loop_is_stopped_by_the_deadline() {
    let started = Instant::now();
    let run = run(
        &[
            "--plugin-timeout",
            "300ms",
            "-p",
            &probe(r#"{"loop":true}"#),
        ],
        b"x\n",
    );
    let message = run.fails(1);
    assert!(message.contains("did not finish within 300ms"), "{message}");
    // A generous bound: the point is that it ends at all.
    assert!(started.elapsed() < Duration::from_secs(60));
}

#[test]
fn memory_cap_is_enforced() {
    let run = run(
        &["--plugin-memory", "32", "-p", &probe(r#"{"grow":true}"#)],
        b"x\n",
    );
    let message = run.fails(1);
    assert!(message.contains("memory limit of 32 MiB"), "{message}");
}

#[test]
fn malformed_output_is_reported() {
    let run = run(&["-p", &probe(r#"{"bad_output":true}"#)], b"x\ny\n");
    let message = run.fails(1);
    assert!(message.contains("malformed output: source["), "{message}");
}

#[test]
fn plugin_error_message_is_shown() {
    let run = run(&["-p", &probe(r#"{"fail":"upstream said no"}"#)], b"x\n");
    let message = run.fails(1);
    assert!(message.ends_with(": upstream said no"), "{message}");
}

/// A plugin's words cannot rewrite the terminal: escape sequences, a forged `sluice:` line
/// and bidi controls come out escaped on the stage's one labelled line, and a huge message is
/// cut at the documented length with the rest counted. The same for a rejected config's key.
#[test]
fn plugin_text_is_escaped_labelled_and_cut() {
    let forged = r#"{"fail":"\u001b[2K\rdone\nsluice: stage 1 (sanitize): all secrets redacted\u0007 \u202egnp.exe"}"#;
    let message = run(&["-p", &probe(forged)], b"x\n").fails(1).to_owned();
    assert!(
        message.starts_with("sluice: stage 1 (")
            && message.ends_with(
                r": \u{1b}[2K done sluice: stage 1 (sanitize): all secrets redacted\u{7} \u{202e}gnp.exe"
            ),
        "{message}"
    );

    // One argument may hold 128 KiB at most.
    let huge = format!(r#"{{"fail":"{}"}}"#, "x".repeat(100_000));
    let message = run(&["-p", &probe(&huge)], b"x\n").fails(1).to_owned();
    let shown = "x".repeat(4096);
    assert!(
        message.ends_with(&format!(
            ": {shown} … ({} more bytes left out)",
            100_000 - 4096
        )),
        "{}",
        &message[message.len() - 100..]
    );

    let key = run(&["-p", &probe(r#"{"\u001b[31mkey":1}"#)], b"")
        .fails(2)
        .to_owned();
    assert!(
        !key.contains('\x1b') && key.contains(r"\u{1b}[31mkey"),
        "{key}"
    );
}

#[test]
fn not_a_component() {
    let dir = tempdir("chain-not-a-component");
    let junk = dir.join("junk.wasm");
    std::fs::write(&junk, b"this is not wasm").unwrap();
    let core = dir.join("core.wasm");
    std::fs::write(&core, b"\0asm\x01\0\0\0").unwrap();
    let message = run(&["-p", junk.to_str().unwrap()], b"")
        .fails(2)
        .to_owned();
    assert!(
        message.contains("junk.wasm): not a WebAssembly file"),
        "{message}"
    );
    let message = run(&["-p", core.to_str().unwrap()], b"")
        .fails(2)
        .to_owned();
    assert!(
        message.contains("core.wasm): a core wasm module, not a component"),
        "{message}"
    );
}
