//! `tail`: see docs/stages/tail.md.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use insta::assert_snapshot;

use crate::util::{
    Bytes, fixture, run, show, show_lossy, sluice, tempdir, transform, transform_fixture,
};

/// `tail -n lines` of coreutils on `input`.
fn coreutils_tail(lines: usize, input: &[u8]) -> Vec<u8> {
    let mut child = Command::new("tail")
        .args(["-n", &lines.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("cannot run tail");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(output.status.success());
    output.stdout
}

/// `n` numbered log lines of varied lengths.
fn numbered_log(n: usize) -> Vec<u8> {
    let mut rng = Bytes::new(7);
    let mut out = Vec::new();
    for i in 1..=n {
        let len = (rng.next_u64() % 120) as usize;
        let words = rng.draw(b"abcdefghij ", len);
        out.extend(format!("{i:05} level=info msg=\"").bytes());
        out.extend(words);
        out.extend(b"\"\n");
    }
    out
}

/// The output of sluice with `args` when `input` is written in chunks of random sizes with a
/// pause after each: many small batches.
fn trickle(args: &[&str], input: &[u8]) -> Vec<u8> {
    let mut child = crate::util::start(sluice().args(args));
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let mut rng = Bytes::new(3);
        let most = (input.len() as u64 / 200).max(50);
        let mut rest = &input[..];
        while !rest.is_empty() {
            let n = (1 + rng.next_u64() % most) as usize;
            let (chunk, more) = rest.split_at(n.min(rest.len()));
            stdin.write_all(chunk).unwrap();
            stdin.flush().unwrap();
            rest = more;
            std::thread::sleep(Duration::from_micros(500));
        }
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(output.status.success(), "{output:?}");
    output.stdout
}

#[test]
fn docs_example_last_errors() {
    let input = b"2024-10-10 13:55:36 INFO  order-service starting
2024-10-10 13:55:38 ERROR db: connection refused
2024-10-10 13:55:40 INFO  pool refilled
2024-10-10 13:55:42 ERROR request failed: upstream timeout
2024-10-10 13:55:45 ERROR payment: card declined
2024-10-10 13:55:47 INFO  shutting down
";
    let out = transform(
        &[
            "-p",
            r#"grep={"expression": "ERROR"}"#,
            "-p",
            r#"tail={"lines": 2}"#,
        ],
        input,
    );
    assert_snapshot!(show_lossy(&out), @r"
    2024-10-10 13:55:42 ERROR request failed: upstream timeout
    2024-10-10 13:55:45 ERROR payment: card declined
    ");
}

#[test]
fn default_is_ten_lines_like_tail() {
    let input = numbered_log(30);
    let out = transform(&["-p", "tail"], &input);
    assert_eq!(out, coreutils_tail(10, &input));
    assert!(
        show_lossy(&out).starts_with("00021 "),
        "{}",
        show_lossy(&out)
    );
    // Fewer lines than asked: all of them.
    let out = transform_fixture(&["-p", r#"tail={"lines": 100}"#], "nginx_access.log");
    assert_eq!(
        out,
        std::fs::read_to_string(fixture("nginx_access.log")).unwrap()
    );
    // No input, no output.
    assert_eq!(transform(&["-p", "tail"], b""), b"");
}

#[test]
fn zero_lines_drops_everything() {
    assert_eq!(
        transform(&["-p", r#"tail={"lines": 0}"#], &numbered_log(50)),
        b""
    );
}

#[test]
fn same_as_coreutils_tail_across_batches() {
    let input = numbered_log(3500);
    let dir = tempdir("tail-batches");
    let path = dir.join("app.log");
    std::fs::write(&path, &input).unwrap();
    for lines in [1, 10, 1023, 1024, 1025, 2000, 3499, 3500, 5000] {
        let spec = format!(r#"tail={{"lines": {lines}}}"#);
        let expected = coreutils_tail(lines, &input);
        // From a file (batches of 1024 lines), from stdin at once, and through a slow pipe.
        let from_file = run(&["-p", &spec, path.to_str().unwrap()], b"");
        assert!(from_file.ok() == expected, "{spec} from a file");
        assert!(
            transform(&["-p", &spec], &input) == expected,
            "{spec} at once"
        );
        if [10, 1025].contains(&lines) {
            assert!(trickle(&["-p", &spec], &input) == expected, "{spec} slowly");
        }
    }
}

#[test]
fn fields_and_timestamps_are_kept() {
    let out = transform_fixture(
        &[
            "-p",
            "json",
            "-p",
            r#"timestamp={"source": "ts", "format": "RFC3339"}"#,
            "-p",
            r#"tail={"lines": 2}"#,
            "-p",
            r#"pack={"fields": ["level", "service"]}"#,
        ],
        "app_json.log",
    );
    assert_snapshot!(out, @r#"
    {"_entry":"{\"ts\":\"2026-11-21T06:12:02.511Z\",\"level\":\"DEBUG\",\"service\":\"auth\",\"msg\":\"issued token\",\"access_token\": \"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ\",\"expires_in\":3600}","level":"DEBUG","service":"auth"}
    {"_entry":"{\"ts\":\"2026-11-21T06:12:03.000Z\",\"level\":\"INFO\",\"service\":\"billing\",\"msg\":\"charged card\",\"amount\":\"19.99\",\"currency\":\"EUR\",\"note\":\"tab\\there, quote \\\" and unicode: café ✓\"}","level":"INFO","service":"billing"}
    "#);
    let json = transform(
        &[
            "-p",
            r#"regex={"expression": "^(?P<ts>\\S+) (?P<level>[A-Z]+)"}"#,
            "-p",
            r#"timestamp={"source": "ts", "format": "RFC3339"}"#,
            "-p",
            r#"tail={"lines": 1}"#,
            "-o",
            "json",
        ],
        b"2024-06-01T12:00:00Z INFO a\n2024-06-01T12:00:01Z WARN b\n",
    );
    assert_snapshot!(show_lossy(&json), @r#"{"line":"2024-06-01T12:00:01Z WARN b","timestamp":"2024-06-01T12:00:01Z","fields":{"ts":"2024-06-01T12:00:01Z","level":"WARN"}}"#);
}

#[test]
fn max_bytes_evicts_the_oldest_lines_first() {
    let input = b"1\n2\n3\n4\n5\n";
    // Each line costs 1 byte plus 64 of bookkeeping: 140 bytes hold two.
    assert_eq!(
        transform(&["-p", r#"tail={"lines": 3, "max_bytes": 140}"#], input),
        b"4\n5\n"
    );
    assert_eq!(
        transform(&["-p", r#"tail={"lines": 3, "max_bytes": 195}"#], input),
        b"3\n4\n5\n"
    );
    // Many empty lines are not free.
    let empties = b"\n".repeat(100);
    assert_eq!(
        transform(&["-p", r#"tail={"lines": 50, "max_bytes": 640}"#], &empties),
        b"\n".repeat(10)
    );
    // Field keys and values count too: 132 bytes hold two lines (65 each), but not two lines
    // with a field `n` (67 each).
    let small = r#"tail={"lines": 3, "max_bytes": 132}"#;
    assert_eq!(transform(&["-p", small], input), b"4\n5\n");
    let out = transform(
        &["-p", r#"regex={"expression": "(?P<n>\\d)"}"#, "-p", small],
        input,
    );
    assert_eq!(out, b"5\n");
    // A line longer than max_bytes alone is kept up to its first max_bytes bytes.
    let long = format!("{}\n", "abcdefghij".repeat(10));
    assert_eq!(
        show_lossy(&transform(
            &["-p", r#"tail={"max_bytes": 30}"#],
            long.as_bytes()
        )),
        format!("{}\n", &long[..30])
    );
    // With the defaults, ten lines of 100 KB each still fit; of 110 KB, nine.
    for (len, kept) in [(100_000, 10), (110_000, 9)] {
        let mut input = Vec::new();
        for i in 0..12u8 {
            input.extend(vec![b'a' + i; len]);
            input.push(b'\n');
        }
        let out = transform(&["--max-line-bytes", "1M", "-p", "tail"], &input);
        let lines: Vec<&[u8]> = out
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .collect();
        assert_eq!(lines.len(), kept, "{len}");
        assert_eq!(lines.last().unwrap()[0], b'a' + 11);
        assert!(lines.iter().all(|l| l.len() == len));
    }
}

#[test]
fn lines_keep_their_terminators_byte_for_byte_as_coreutils_tail() {
    // CRLF, LF and a last line without newline, from a file and from a pipe: what tail -n
    // writes, byte for byte.
    let out = transform_fixture(&["-p", r#"tail={"lines": 2}"#], "java_stacktrace.log");
    let input = std::fs::read(fixture("java_stacktrace.log")).unwrap();
    assert_eq!(out.as_bytes(), coreutils_tail(2, &input));
    let mixed: &[u8] = b"a\r\nb\nc\r\nd";
    for lines in 1..=5 {
        let spec = format!(r#"tail={{"lines": {lines}}}"#);
        assert_eq!(
            show(&transform(&["-p", &spec], mixed)),
            show(&coreutils_tail(lines, mixed)),
            "{spec}"
        );
    }
    assert_eq!(
        transform(&["-p", r#"tail={"lines": 3}"#], mixed),
        b"b\nc\r\nd"
    );
    let crlf = b"x\r\ny\r\n";
    assert_eq!(transform(&["-p", r#"tail={"lines": 2}"#], crlf), crlf);
}

/// Each file is its own stream: its last lines go out when it ends, with its name, and the
/// next file's lines come after them (`tail -n` on each file, without the headers).
#[test]
fn each_file_gets_its_own_last_lines() {
    let dir = tempdir("tail-per-file");
    let (a, b) = (dir.join("a.log"), dir.join("b.log"));
    std::fs::write(&a, b"a1\na2\na3\n").unwrap();
    std::fs::write(&b, b"b1\r\nb2\r\n").unwrap();
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    let spec = r#"tail={"lines": 2}"#;
    let raw = run(&["-p", spec, a, b], b"");
    assert_eq!(show(raw.ok()), show(b"a2\na3\nb1\r\nb2\r\n"));
    let json = run(&["-p", spec, "-o", "json", a, b], b"");
    let sources: Vec<String> = json
        .text()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["source"].to_string())
        .collect();
    let (a, b) = (
        serde_json::json!(a).to_string(),
        serde_json::json!(b).to_string(),
    );
    assert_eq!(sources, [a.clone(), a, b.clone(), b]);
}

#[test]
fn odd_bytes_and_empty_lines_are_kept() {
    let input = std::fs::read(fixture("odd_bytes.log")).unwrap();
    let out = transform(&["-p", r#"tail={"lines": 5}"#], &input);
    // All but the first line, each as it was: "crlf line\r\n" keeps its `\r`, the lone `\r`
    // stays, and so does the file's lack of a final newline, if it lacks one.
    assert_eq!(out, coreutils_tail(5, &input));
    assert!(out.starts_with(
        b"latin1 caf\xe9 password=h\xfcnter2\nnul\0byte token=abc\0def\ncrlf line\r\n"
    ));
    assert_eq!(&input[..8], b"ok line\n");
    assert_eq!(
        transform(&["-p", r#"tail={"lines": 3}"#], b"a\n\n\nb\n\n"),
        b"\nb\n\n"
    );
}

#[test]
fn pieces_of_an_over_long_line_come_out_as_one_line() {
    let long = "L".repeat(300);
    let args = ["--max-line-bytes", "64", "--boundary-overlap", "16"];
    let with = |extra: &[&str], input: &str| {
        let mut all = args.to_vec();
        all.extend(extra);
        show_lossy(&transform(&all, input.as_bytes()))
    };
    // The long line counts as one line, wherever it is.
    let input = format!("a\nb\n{long}\nc\n");
    assert_eq!(
        with(&["-p", r#"tail={"lines": 2}"#], &input),
        format!("{long}\nc\n")
    );
    // At the end of an input without a final newline, it ends as the input did: with nothing.
    let input = format!("a\nb\nc\n{long}");
    assert_eq!(
        with(&["-p", r#"tail={"lines": 2}"#], &input),
        format!("c\n{long}")
    );
    assert_eq!(
        with(&["-p", r#"tail={"lines": 1}"#], &input),
        long.to_string()
    );
    // Kept up to max_bytes when it alone passes it.
    assert_eq!(
        with(&["-p", r#"tail={"lines": 2, "max_bytes": 100}"#], &input),
        long[..100].to_string()
    );
    // A line of 500 KB read from a file arrives in pieces over several batches (64 KiB each
    // by default), after 3000 short lines.
    let dir = tempdir("tail-long-line");
    let path = dir.join("app.log");
    let mut input: Vec<u8> = (0..3000)
        .flat_map(|i| format!("{i}\n").into_bytes())
        .collect();
    input.extend(vec![b'x'; 500_000]);
    input.extend(b"\nb\n");
    std::fs::write(&path, &input).unwrap();
    for (lines, expected) in [
        (1, vec![1]),
        (2, vec![500_000, 1]),
        (3, vec![4, 500_000, 1]),
    ] {
        let spec = format!(r#"tail={{"lines": {lines}}}"#);
        let out = run(&["-p", &spec, path.to_str().unwrap()], b"");
        let lengths: Vec<usize> = out.ok()[..out.stdout.len() - 1]
            .split(|&b| b == b'\n')
            .map(|l| l.len())
            .collect();
        assert_eq!(lengths, expected, "{spec}");
        assert!(out.stdout.ends_with(b"b\n"));
    }
    // As one JSON record, with the line's fields (those of its last piece), as without tail.
    let input = format!("a\nuser=bob {long}\n");
    let fields = [
        "-p",
        r#"regex={"expression": "user=(?P<user>\\w+)|(?P<tail>L{3})$"}"#,
        "-o",
        "json",
    ];
    let mut tailed = fields.to_vec();
    tailed.extend(["-p", r#"tail={"lines": 1}"#]);
    let all = with(&fields, &input);
    let last = all.lines().last().unwrap();
    assert_eq!(with(&tailed, &input), format!("{last}\n"));
    assert!(last.contains(&long), "{last}");
}

#[test]
fn config_errors_name_the_key() {
    let cases = [
        (
            r#"tail={"lines": -1}"#,
            "sluice: stage 1 (tail): config key `lines`: expected a non-negative integer, got -1",
        ),
        (
            r#"tail={"lines": "x"}"#,
            "sluice: stage 1 (tail): config key `lines`: expected a non-negative integer, got a string",
        ),
        (
            r#"tail={"max_bytes": 0}"#,
            "sluice: stage 1 (tail): config key `max_bytes`: must be at least 1",
        ),
        (
            r#"tail={"line": 3}"#,
            "sluice: stage 1 (tail): config key `line`: unknown key; did you mean \"lines\"? known keys: lines, max_bytes",
        ),
    ];
    for (spec, message) in cases {
        assert_eq!(run(&["-p", spec], b"").fails(2), message);
    }
}
