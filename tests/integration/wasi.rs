//! Plugins that import WASI: they load, get nothing, and every attempt to reach a file, the
//! environment or the network is refused and reported with the stage that tried.
//!
//! `wasi-probe` (plugins/testing/wasi-probe) calls WASI directly, one host call per attempt,
//! and emits at `finish` what each attempt got back, so each test sees both sides.

use crate::util::{run, run_cmd, sluice, test_plugin};

/// Runs the probe with `config` on two lines; returns (stdout, stderr) with the probe's path
/// shortened to its file name.
fn probe(config: &str) -> (String, String) {
    let spec = format!("{}={config}", test_plugin("wasi-probe"));
    let run = run(&["-p", &spec], b"one\ntwo\n");
    assert_eq!(run.code, 0, "stderr:\n{}", run.stderr);
    let path = test_plugin("wasi-probe");
    (
        run.text().replace(&path, "wasi-probe.wasm"),
        run.stderr.replace(&path, "wasi-probe.wasm"),
    )
}

#[test]
fn opening_a_file_is_denied_and_reported() {
    let (stdout, stderr) = probe(r#"{"open":"/etc/passwd"}"#);
    insta::assert_snapshot!(stdout, @r"
    one
    two
    open /etc/passwd: access
    ");
    insta::assert_snapshot!(stderr, @"sluice: stage 1 (wasi-probe.wasm): denied: open /etc/passwd (plugins are granted no files)");
}

#[test]
fn reading_the_environment_sees_nothing_and_is_reported() {
    let (stdout, stderr) = probe(r#"{"getenv":"HOME"}"#);
    assert!(
        stdout.ends_with("env HOME: unset (0 variables visible)\n"),
        "{stdout}"
    );
    insta::assert_snapshot!(stderr, @"sluice: stage 1 (wasi-probe.wasm): denied: read the environment (no variables granted; list them under the stage's `env` key)");
}

#[test]
fn granted_variables_are_visible_and_nothing_else() {
    let spec = format!(
        r#"{}={{"getenv":"SLUICE_WASI_TEST","env":["SLUICE_WASI_TEST"]}}"#,
        test_plugin("wasi-probe")
    );
    let run = run_cmd(
        sluice()
            .args(["-p", &spec])
            .env("SLUICE_WASI_TEST", "granted")
            .env("SLUICE_WASI_OTHER", "secret"),
        b"",
    );
    assert_eq!(
        String::from_utf8_lossy(run.ok()),
        "env SLUICE_WASI_TEST: set to \"granted\"\n"
    );
}

#[test]
fn opening_a_socket_is_denied_and_reported() {
    let (stdout, stderr) = probe(r#"{"connect":"127.0.0.1:9"}"#);
    assert!(
        stdout.ends_with("connect 127.0.0.1:9: cannot create a socket: access-denied\n"),
        "{stdout}"
    );
    insta::assert_snapshot!(stderr, @"sluice: stage 1 (wasi-probe.wasm): denied: create a TCP socket (IPv4) (plugins are granted no network)");
}

#[test]
fn each_attempt_names_the_stage_that_made_it() {
    let spec = format!(
        r#"{}={{"open":"/root/.ssh/id_rsa","connect":"10.0.0.1:443"}}"#,
        test_plugin("wasi-probe")
    );
    let run = run(&["-p", "sanitize", "-p", &spec], b"x\n");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let stderr = run
        .stderr
        .replace(&test_plugin("wasi-probe"), "wasi-probe.wasm");
    insta::assert_snapshot!(stderr, @r"
    sluice: stage 2 (wasi-probe.wasm): denied: open /root/.ssh/id_rsa (plugins are granted no files)
    sluice: stage 2 (wasi-probe.wasm): denied: create a TCP socket (IPv4) (plugins are granted no network)
    ");
}

#[test]
fn plugin_stdout_and_stderr_go_to_stderr_under_the_stage_label() {
    let (stdout, stderr) = probe(r#"{"say":"hello\nsecond line"}"#);
    // Standard output carries the data and nothing else.
    assert_eq!(stdout, "one\ntwo\n");
    insta::assert_snapshot!(stderr, @r"
    stage 1 (wasi-probe.wasm): hello
    stage 1 (wasi-probe.wasm): second line
    stage 1 (wasi-probe.wasm): err: hello
    stage 1 (wasi-probe.wasm): second line
    ");
}

#[test]
fn inspect_says_what_each_wasi_import_grants() {
    let run = run(&["inspect", &test_plugin("wasi-probe")], b"");
    let text = String::from_utf8_lossy(run.ok()).into_owned();
    let imports = &text[text.find("imports:").expect("an imports section")..];
    insta::assert_snapshot!(imports, @r"
    imports:
        wasi:io/error@0.2.12: streams and polling, for the above
        wasi:io/poll@0.2.12: streams and polling, for the above
        wasi:io/streams@0.2.12: streams and polling, for the above
        wasi:filesystem/types@0.2.12: files: none; opening a path is refused and reported
        wasi:filesystem/preopens@0.2.12: files: none; opening a path is refused and reported
        wasi:cli/environment@0.2.12: environment variables: only those the stage's `env` key grants; reads are reported
        wasi:cli/stdout@0.2.12: output: goes to sluice's stderr, each line prefixed with the stage
        wasi:cli/stderr@0.2.12: output: goes to sluice's stderr, each line prefixed with the stage
        wasi:sockets/network@0.2.12: network: none; making a socket is refused and reported
        wasi:sockets/instance-network@0.2.12: network: none; making a socket is refused and reported
        wasi:clocks/monotonic-clock@0.2.12: the time (sluice's clock); a wait on it ends at the call's deadline
        wasi:sockets/tcp@0.2.12: network: none; making a socket is refused and reported
        wasi:sockets/tcp-create-socket@0.2.12: network: none; making a socket is refused and reported
    ");
}

/// A guest blocked in a WASI sleep is not interrupted by the epoch: the wait itself ends at
/// the call's deadline, and the error says what blocked. The bound checked is far below the
/// 20 s asked for, not a measure of speed.
#[test]
fn a_wasi_sleep_is_cut_at_the_deadline() {
    let spec = format!("{}={{\"sleep_ms\":20000}}", test_plugin("wasi-probe"));
    let started = std::time::Instant::now();
    let cut = run(&["--plugin-timeout", "1s", "-p", &spec], b"one\n");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    let stderr = cut.fails(1);
    assert!(
        stderr.contains(
            "`process` did not finish within 1s and was stopped: it was blocked in \
             wasi:clocks/monotonic-clock.subscribe-duration (20s), cut at the deadline \
             (if the plugin must wait that long, raise --plugin-timeout)"
        ),
        "{stderr}"
    );
    // A wait that fits in the deadline is a wait like any other.
    let spec = format!("{}={{\"sleep_ms\":20}}", test_plugin("wasi-probe"));
    let waited = run(&["--plugin-timeout", "1s", "-p", &spec], b"one\ntwo\n");
    assert_eq!(waited.ok(), b"one\ntwo\n");
}
