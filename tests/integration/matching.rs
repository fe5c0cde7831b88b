//! The host-run regular expressions (`sluice:plugin/matching`): the `grep` built-in searched by
//! the host finds what GNU grep finds and what the plugin's own engine finds, and a plugin that
//! abuses the interface stays within its stage's limits.

use crate::util::*;
use std::process::Command;

/// Lines of a service's log, with the bytes that trip engines up: not UTF-8, NUL, a lone `\r`,
/// non-ASCII letters beside words, a line longer than a line may be, and no final newline.
/// (No CRLF: sluice's `$` is before the terminator, GNU grep's after the `\r`.)
fn corpus() -> Vec<u8> {
    let mut bytes = Bytes::new(0x5eed_0007);
    let words: &[&[u8]] = &[
        b"ERROR",
        b"error",
        b"Warn",
        b"timeout",
        b"refused",
        b"denied",
        b"ok",
        b"d\xc3\xa9but",
        b"caf\xc3\xa9",
        b"\xff\xfe",
        b"\0",
        b"\r",
        b"level=info",
        b"level=error",
        b"user=42",
        b"10.0.0.1",
        b"GET",
        b"/api/v1",
        b"500",
        b"retry",
    ];
    let mut out = Vec::new();
    for i in 0..3000 {
        let count = 1 + bytes.next_u64() % 12;
        for k in 0..count {
            if k > 0 {
                out.push(b' ');
            }
            out.extend_from_slice(words[(bytes.next_u64() % words.len() as u64) as usize]);
        }
        if i == 1500 {
            // Longer than a line may be: it arrives in pieces, decided by the first.
            out.extend(std::iter::repeat_n(b'x', 300_000));
        }
        out.push(b'\n');
    }
    out.extend_from_slice(b"last error without a newline");
    out
}

/// `grep` with `expression`: searched by the host (default memory), and by the plugin alone
/// (a memory cap too small for the host's pattern, so that the host refuses to compile it).
fn grep_both_ways(expression: &str, input: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let stage = format!("grep={}", serde_json::json!({ "expression": expression }));
    let host = transform(&["-j", "1", "-p", &stage], input);
    let own = transform(&["-j", "1", "--plugin-memory", "4", "-p", &stage], input);
    (host, own)
}

/// GNU grep's output for the ERE `pattern` (bytes, NUL as text), with `-i` when asked.
fn gnu_grep(pattern: &str, ignore_case: bool, input: &[u8]) -> Vec<u8> {
    let path = tempdir("matching-gnu").join("input.log");
    std::fs::write(&path, input).unwrap();
    let mut cmd = Command::new("/usr/bin/grep");
    cmd.env("LC_ALL", "C").args(["-a", "-E"]);
    if ignore_case {
        cmd.arg("-i");
    }
    let out = cmd.arg("--").arg(pattern).arg(&path).output().unwrap();
    assert!(out.status.code().unwrap() <= 1, "grep failed on {pattern}");
    out.stdout
}

/// The host's answers are the plugin's own engine's, line for line, and GNU grep's where the
/// two languages agree: for alternations of words (where the host's SIMD search gains most),
/// a case-insensitive pattern, classes, anchors and a pattern without a literal.
#[test]
fn grep_searched_by_the_host_matches_gnu_grep_and_its_own_engine() {
    let input = corpus();
    // (expression for sluice, the same in POSIX ERE, whether grep needs -i)
    let cases = [
        ("ERROR", "ERROR", false),
        ("timeout|refused|denied", "timeout|refused|denied", false),
        ("(?i)error", "error", true),
        ("level=(info|error) user", "level=(info|error) user", false),
        ("^GET", "^GET", false),
        ("500$", "500$", false),
        (
            "[0-9]+\\.[0-9]+\\.[0-9]+",
            "[0-9]+\\.[0-9]+\\.[0-9]+",
            false,
        ),
        ("x{1000}", "x{1000}", false),
        ("ok ok", "ok ok", false),
        // `.` is any byte in GNU grep's C locale, any UTF-8 character in `regex`'s Unicode mode.
        ("retry(?-u:.)*timeout", "retry.*timeout", false),
    ];
    for (expression, ere, ignore_case) in cases {
        let (host, own) = grep_both_ways(expression, &input);
        assert!(host == own, "{expression}: host and plugin differ");
        let gnu = gnu_grep(ere, ignore_case, &input);
        assert!(!gnu.is_empty(), "{expression} matches something");
        // sluice keeps each line's terminator (CRLF included) and adds none to the last line;
        // GNU grep adds a newline to a last line without one.
        let mut expected = gnu;
        if !input.ends_with(b"\n") && expected.ends_with(b"newline\n") {
            expected.pop();
        }
        assert!(
            host == expected,
            "{expression}: sluice and GNU grep differ\n{}\n---\n{}",
            show_lossy(&host[..host.len().min(2000)]),
            show_lossy(&expected[..expected.len().min(2000)])
        );
    }
}

/// What the host leaves to the plugin (a Unicode word boundary beside a letter that is not
/// ASCII) the plugin searches itself: the same lines as when it searches everything.
#[test]
fn lines_the_host_leaves_unknown_are_searched_by_the_plugin() {
    let input = corpus();
    for expression in [r"\bdébut\b", r"\bcafé error", r"(?i)\w+ TIMEOUT\b"] {
        let (host, own) = grep_both_ways(expression, &input);
        assert!(!own.is_empty(), "{expression} matches something");
        assert!(host == own, "{expression}: host and plugin differ");
    }
}

/// The `regex` built-in hands an expression without a literal prefix to the host: the lines it
/// keeps and the fields it extracts are those its own engine gives, with the line or a field
/// as the haystack.
#[test]
fn regex_searched_by_the_host_extracts_what_its_own_engine_does() {
    let input = corpus();
    let level = r#"regex={"expression":"level=(?P<level>\\w+)"}"#;
    let cases: [&[&str]; 5] = [
        &[
            "-p",
            r#"regex={"expression":"(?i)(?P<word>error|warn)(?P<tail>\\S*)"}"#,
        ],
        &[
            "-p",
            r#"regex={"expression":"^(?P<first>\\S+) (?P<second>\\S+)?"}"#,
        ],
        &[
            "-p",
            r#"regex={"expression":"(?P<ip>[0-9]+\\.[0-9]+\\.[0-9]+)|(?P<user>user=[0-9]+)","mode":"keep"}"#,
        ],
        &[
            "-p",
            r#"regex={"expression":"\\b(?P<w>début)\\b","mode":"drop"}"#,
        ],
        &[
            "-p",
            level,
            "-p",
            r#"regex={"expression":"(?i)(?P<severe>ERROR|WARN)","source":"level","mode":"keep"}"#,
        ],
    ];
    for args in cases {
        let host = records(&[&["-j", "1"], args].concat(), &input);
        let own = records(
            &[&["-j", "1", "--plugin-memory", "4"], args].concat(),
            &input,
        );
        assert!(host.len() > 10_000, "{args:?}: {} bytes", host.len());
        assert!(host == own, "{args:?}: host and plugin differ");
    }
}

/// A plugin compiling one expression a thousand times, keeping every pattern, is refused once
/// the patterns' memory would pass `--plugin-memory`, and gets it back when it drops them; the
/// host's answers to `first` calls that lie are empty, and an honest one has its shape.
#[test]
fn a_plugin_abusing_the_host_s_regex_stays_within_its_limits() {
    let probe = test_plugin("probe");
    let stage = format!(r#"{probe}={{"compile_bomb":"a","match_lies":true}}"#);
    let run = run(
        &["-j", "1", "--plugin-memory", "64", "-p", &stage],
        b"a\nb\nc\n",
    );
    assert_eq!((run.code, run.stdout.as_slice()), (0, &b"a\nb\nc\n"[..]));
    let report = report_of(&run.stderr, &format!("stage 1 ({probe})"));
    let (bomb, lies) = report.split_once('\n').unwrap();
    let compiled: usize = bomb
        .strip_prefix("compiled ")
        .and_then(|rest| rest.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{bomb}"));
    assert!((1..16).contains(&compiled), "{bomb}");
    assert!(
        bomb.contains(&format!("refused {}", 1000 - compiled))
            && bomb.contains("past this stage's memory limit of 67108864 bytes")
            && bomb.ends_with("after dropping them: true"),
        "{bomb}"
    );
    assert_eq!(
        lies,
        "decreasing 0, past the text 0, too many lines 0, too many groups 0, honest 18\n"
    );
}

/// Compiling costs the host time the epoch cannot interrupt, but each compile is bounded, so
/// a plugin compiling slow expressions without end is stopped at the call's deadline. (The
/// thousand compiles take over 5 s here; the run stops after about 0.14 s.)
#[test]
fn a_plugin_compiling_without_end_is_stopped_at_the_deadline() {
    let probe = test_plugin("probe");
    let stage = format!(r#"{probe}={{"compile_bomb":"\\w{{50}}"}}"#);
    let run = run(
        &["-j", "1", "--plugin-timeout", "100ms", "-p", &stage],
        b"a\n",
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        format!(
            "sluice: stage 1 ({probe}): `create` did not finish within 100ms and was stopped (an \
             endless loop? if the plugin is just slow, raise --plugin-timeout)\n"
        )
    );
}
