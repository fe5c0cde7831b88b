//! Each input is its own stream for the stages that keep state per source (multiline, grep's
//! context, tail, cri, docker): a block, a context or a merge never spans two files, with or
//! without `-f`, and what such a stage holds comes out at the end of its file, before the next
//! file's lines. Lines keep their source and terminator however they travel (the terminator
//! rule is tested stage by stage, against GNU grep and coreutils tail where they exist).

use std::fs;
use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::util::{lines_of, run, show, sluice, start, tempdir, test_plugin};

/// The `line` and `source` of each JSON record sluice wrote.
fn line_and_source(out: &[u8]) -> Vec<(String, String)> {
    String::from_utf8_lossy(out)
        .lines()
        .map(|record| {
            let record: Value = serde_json::from_str(record).unwrap();
            let text = |key: &str| record[key].as_str().unwrap_or_default().to_owned();
            (text("line"), text("source"))
        })
        .collect()
}

fn pair(line: &str, source: &Path) -> (String, String) {
    (line.to_owned(), source.display().to_string())
}

/// The issue's reproduction: m2's orphan line used to join m1's block, which then went out
/// labelled m2.log.
#[test]
fn a_multiline_block_never_spans_two_files() {
    let dir = tempdir("sources-multiline");
    let (m1, m2) = (dir.join("m1.log"), dir.join("m2.log"));
    fs::write(&m1, "A1\n cont\n").unwrap();
    fs::write(&m2, " orphan\nA9\n").unwrap();
    let out = run(
        &[
            "-p",
            r#"multiline={"firstline":"^A"}"#,
            "-o",
            "json",
            m1.to_str().unwrap(),
            m2.to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(
        line_and_source(out.ok()),
        [
            pair("A1\n cont", &m1),
            pair(" orphan", &m2),
            pair("A9", &m2)
        ]
    );
}

#[test]
fn grep_context_never_crosses_into_the_next_file() {
    let dir = tempdir("sources-grep");
    let (a, b) = (dir.join("a.log"), dir.join("b.log"));
    fs::write(&a, "a-context\na-match M\na-after\n").unwrap();
    fs::write(&b, "b-first M\nb-2\nb-3\n").unwrap();
    let spec = r#"grep={"expression":"M","context":1}"#;
    let out = run(&["-p", spec, a.to_str().unwrap(), b.to_str().unwrap()], b"");
    // a-after is a's after-context; b-first is a match of its own. b starts afresh, as if
    // grep ran on each file in turn: no separator before its first group.
    assert_eq!(
        show(out.ok()),
        show(b"a-context\na-match M\na-after\nb-first M\nb-2\n")
    );
    // With nothing matching in a, b's first line is not a's context.
    fs::write(&a, "a1\na2\n").unwrap();
    let out = run(&["-p", spec, a.to_str().unwrap(), b.to_str().unwrap()], b"");
    assert_eq!(show(out.ok()), show(b"b-first M\nb-2\n"));
}

/// A whole-stream stage sees every file: aggregate counts across them, and the lines a
/// per-source stage held come out before the next file, so the counts see them in order.
#[test]
fn whole_stream_stages_still_see_every_file() {
    let dir = tempdir("sources-whole");
    let (a, b) = (dir.join("a.log"), dir.join("b.log"));
    fs::write(&a, "level=info\nlevel=error\n").unwrap();
    fs::write(&b, "level=info\n").unwrap();
    let out = run(
        &[
            "-p",
            "logfmt",
            "-p",
            r#"aggregate={"group_by":"level"}"#,
            a.to_str().unwrap(),
            b.to_str().unwrap(),
        ],
        b"",
    );
    let text = out.text();
    assert!(text.contains("info") && text.contains('2'), "{text}");
}

/// Followed files interleave line by line, but each keeps its own block: a continuation
/// appended to a joins a's block even after b's lines came in between.
#[test]
fn followed_files_keep_their_own_blocks() {
    let dir = tempdir("sources-follow");
    let (a, b) = (dir.join("a.log"), dir.join("b.log"));
    fs::write(&a, "").unwrap();
    fs::write(&b, "").unwrap();
    let spec = r#"multiline={"firstline":"^S","max_wait":"10s"}"#;
    let mut child = start(
        sluice()
            .args(["-f", "-o", "json", "-p", spec])
            .arg(&a)
            .arg(&b),
    );
    let rx = lines_of(&mut child);
    append_and_wait(&a, "S a1\n  a-cont 1\n");
    append_and_wait(&b, "S b1\n  b-cont 1\n");
    append_and_wait(&a, "  a-cont 2\n");
    append_and_wait(&b, "S b2\n");
    let record = rx.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(
        line_and_source(record.as_bytes()),
        [pair("S b1\n  b-cont 1", &b)]
    );
    // SAFETY: kill(2) with a child's pid and a valid signal number has no memory effects.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    let mut rest: Vec<(String, String)> = Vec::new();
    while let Ok(record) = rx.recv_timeout(Duration::from_secs(10)) {
        rest.extend(line_and_source(record.as_bytes()));
    }
    rest.sort();
    assert_eq!(
        rest,
        [pair("S a1\n  a-cont 1\n  a-cont 2", &a), pair("S b2", &b)]
    );
    assert_eq!(child.wait().unwrap().code(), Some(143));
}

/// Appends `text` to `path`, then gives sluice time to read it (so files interleave).
fn append_and_wait(path: &Path, text: &str) {
    use std::io::Write;
    let mut file = fs::OpenOptions::new().append(true).open(path).unwrap();
    file.write_all(text.as_bytes()).unwrap();
    std::thread::sleep(Duration::from_millis(300));
}

/// Starts `sluice -f -o json` with `args` on `a` and `b`, runs `write`, then ends it with
/// SIGTERM and returns every record it wrote, as (line, source), in order.
fn follow_two(args: &[&str], a: &Path, b: &Path, write: impl FnOnce()) -> Vec<(String, String)> {
    fs::write(a, "").unwrap();
    fs::write(b, "").unwrap();
    let mut child = start(sluice().args(["-f", "-o", "json"]).args(args).arg(a).arg(b));
    let rx = lines_of(&mut child);
    std::thread::sleep(Duration::from_millis(300));
    write();
    // SAFETY: kill(2) with a child's pid and a valid signal number has no memory effects.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    let mut records = Vec::new();
    while let Ok(record) = rx.recv_timeout(Duration::from_secs(10)) {
        records.extend(line_and_source(record.as_bytes()));
    }
    assert_eq!(child.wait().unwrap().code(), Some(143));
    records
}

/// Followed files interleave, but grep's before-context is the line before in the same file,
/// not the last line read from any file.
#[test]
fn followed_files_keep_their_own_grep_context() {
    let dir = tempdir("sources-follow-grep");
    let (a, b) = (dir.join("a.log"), dir.join("b.log"));
    let spec = r#"grep={"expression":"MATCH","before":1}"#;
    let records = follow_two(&["-p", spec], &a, &b, || {
        append_and_wait(&a, "a context\n");
        append_and_wait(&b, "b line\n");
        append_and_wait(&a, "a MATCH\n");
    });
    assert_eq!(records, [pair("a context", &a), pair("a MATCH", &a)]);
}

/// With -f, tail's lines go out when sluice is stopped: the last lines of each file, from it.
#[test]
fn followed_files_keep_their_own_tail() {
    let dir = tempdir("sources-follow-tail");
    let (a, b) = (dir.join("a.log"), dir.join("b.log"));
    let records = follow_two(&["-p", r#"tail={"lines":1}"#], &a, &b, || {
        append_and_wait(&a, "a1\n");
        append_and_wait(&b, "b1\n");
        append_and_wait(&a, "a2\n");
    });
    let mut records = records;
    records.sort();
    assert_eq!(records, [pair("a2", &a), pair("b1", &b)]);
}

/// The issue's reproduction: lines `tail` emits at the end used to have no source, so `prefix`
/// after it printed none; they keep their file, and their terminators.
#[test]
fn lines_emitted_at_the_end_keep_their_source() {
    let dir = tempdir("sources-emitted");
    let log = dir.join("q.log");
    fs::write(&log, "a\r\nb").unwrap();
    let path = log.to_str().unwrap();
    let out = run(
        &[
            "-p",
            r#"tail={"lines":2}"#,
            "-p",
            r#"prefix={"parts":["source"]}"#,
            path,
        ],
        b"",
    );
    assert_eq!(
        show(out.ok()),
        show(format!("{path} a\r\n{path} b").as_bytes())
    );
}

/// A plugin built for an older contract is named as such, with what to do.
#[test]
fn a_plugin_built_for_an_older_contract_is_told_to_rebuild() {
    let old = crate::util::repo_root().join("tests/fixtures/plugins/identity-contract-0.2.0.wasm");
    let out = run(&["-p", old.to_str().unwrap()], b"a\n");
    let stderr = out.fails(2);
    assert!(
        stderr.contains("built for the plugin contract sluice:plugin@0.2.0")
            && stderr.contains("speaks sluice:plugin@0.7.0")
            && stderr.contains("rebuild it"),
        "{stderr}"
    );
    // The current build of the same plugin loads.
    let current = run(&["-p", &test_plugin("identity")], b"a\n");
    assert_eq!(current.ok(), b"a\n");
}
