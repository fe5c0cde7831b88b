//! `truncate`: see docs/stages/truncate.md.

use insta::assert_snapshot;

use crate::util::{run, show, tempdir, transform, transform_fixture};

/// What truncating `line` to `limit` bytes must give, by the documented rule: unchanged when it
/// fits, else the longest start that ends on a character boundary and leaves room for the
/// suffix, then the suffix. `line` is valid UTF-8.
fn expected(line: &str, limit: usize, suffix: &str) -> String {
    if line.len() <= limit {
        return line.to_owned();
    }
    let keep = limit - suffix.len();
    let end = (0..=keep)
        .rev()
        .find(|&i| line.is_char_boundary(i))
        .unwrap();
    format!("{}{suffix}", &line[..end])
}

/// Lines with a `width`-byte character starting at every offset around `keep` (the most bytes
/// kept before the suffix), so that it straddles it, ends at it or starts at it; `len` bytes
/// long at least.
fn lines_around(keep: usize, len: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for c in ['é', '€', '😀'] {
        let width = c.len_utf8();
        for start in keep.saturating_sub(width + 1)..=keep + 1 {
            let mut line = "a".repeat(start);
            line.push(c);
            line.push_str(&"z".repeat(len.saturating_sub(line.len()).max(20)));
            lines.push(line);
        }
    }
    lines
}

/// Runs truncate with `limit` and `suffix` on `lines` (plus extra args first) and checks each
/// output line against [`expected`], never longer than the limit and always valid UTF-8.
fn check_lines(extra: &[&str], lines: &[String], limit: usize, suffix: &str) {
    let config = format!(r#"truncate={{"limit": {limit}, "suffix": {suffix:?}}}"#);
    let mut args = extra.to_vec();
    args.extend(["-p", &config]);
    let input: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let out = transform(&args, input.as_bytes());
    let out = String::from_utf8(out).expect("a character was split: output is not UTF-8");
    let got: Vec<&str> = out.lines().collect();
    assert_eq!(got.len(), lines.len(), "one output line per input line");
    for (line, got) in lines.iter().zip(got) {
        assert!(got.len() <= limit, "{got:?} is longer than {limit}");
        assert_eq!(
            got,
            expected(line, limit, suffix),
            "limit {limit}, suffix {suffix:?}, args {extra:?}"
        );
    }
}

#[test]
fn documented_examples() {
    let out = transform(&["-p", r#"truncate={"limit": 8}"#], "añññññ\n".as_bytes());
    assert_eq!(show(&out), "aññ…\n");
    assert_eq!(out.len(), 8 + 1);
    let out = transform(&["-p", r#"truncate={"limit": 7}"#], "añññññ\n".as_bytes());
    assert_eq!(show(&out), "añ…\n", "a 4th byte would split an ñ");
}

#[test]
fn java_stack_trace_lines_cut_to_40_bytes_crlf_kept() {
    // CRLF fixture without a final newline: cut lines keep their `\r\n`, the last none.
    let out = transform_fixture(&["-p", r#"truncate={"limit": 40}"#], "java_stacktrace.log");
    assert_snapshot!(show(out.as_bytes()), @r"
    2026-11-21 06:12:01.120 ERROR [main] …\r
    java.lang.IllegalStateException: Paym…\r
    	at com.example.orders.PaymentClient.…\r
    	at com.example.orders.OrderService.p…\r
    	at java.base/java.lang.Thread.run(Th…\r
    Caused by: java.net.SocketTimeoutExce…\r
    	... 3 more\r
    2026-11-21 06:12:01.502 INFO  [main] …[no final newline]
    ");
}

#[test]
fn never_splits_a_2_3_or_4_byte_character_at_the_limit() {
    for (limit, suffix) in [(20, "…"), (20, ""), (21, "..."), (9, "…"), (4, "")] {
        let keep = limit - suffix.len();
        check_lines(&[], &lines_around(keep, limit + 10), limit, suffix);
    }
}

#[test]
fn never_splits_a_character_when_the_limit_falls_in_a_later_piece() {
    // With a 64-byte cap and a 16-byte overlap, a 300-byte line arrives as pieces of 48 bytes
    // (0..48, 48..96, 96..144, ...) and a last one. Put the limit in the third piece and
    // beyond, and the cut (with the bytes held around it) across piece boundaries.
    let pieces = ["--max-line-bytes", "64", "--boundary-overlap", "16"];
    for (limit, suffix) in [
        (100, "…"),
        (99, "…"),
        (96, ""),
        (97, ""),
        (98, "…"),
        (147, "…"),
        (150, "[cut]"),
        (193, "…"),
        (250, ""),
    ] {
        let keep = limit - suffix.len();
        check_lines(&pieces, &lines_around(keep, 300), limit, suffix);
    }
}

#[test]
fn cut_in_a_later_piece_snapshot() {
    let line = format!("{}{}{}\n", "a".repeat(95), "😀", "z".repeat(200));
    let out = transform(
        &[
            "--max-line-bytes",
            "64",
            "--boundary-overlap",
            "16",
            "-p",
            r#"truncate={"limit": 100}"#,
        ],
        line.as_bytes(),
    );
    // keep = 97 falls inside the emoji (bytes 95..99): the cut backs off to 95.
    assert_eq!(show(&out), format!("{}…\n", "a".repeat(95)));
}

#[test]
fn over_long_line_ending_just_within_the_limit_comes_out_whole() {
    let pieces = ["--max-line-bytes", "64", "--boundary-overlap", "16"];
    for len in [197, 198, 199, 200] {
        // Ends with a 3-byte character, so that the last bytes are the held ones.
        let line = format!("{}€", "x".repeat(len - 3));
        check_lines(&pieces, std::slice::from_ref(&line), 200, "…");
    }
    // One byte over: cut, with the suffix.
    let line = format!("{}€\n", "x".repeat(198));
    let out = transform(
        &[
            "--max-line-bytes",
            "64",
            "--boundary-overlap",
            "16",
            "-p",
            r#"truncate={"limit": 200}"#,
        ],
        line.as_bytes(),
    );
    assert_eq!(show(&out), format!("{}…\n", "x".repeat(197)));
}

#[test]
fn over_long_lines_fields_and_marker_on_the_record() {
    // The fields, and `truncated_field`, belong to the last piece; -o json shows the line
    // whole, cut, with them. The next line starts afresh.
    let input = format!("{}\nshort one\n{}\n", "é".repeat(150), "y".repeat(120));
    let out = transform(
        &[
            "--max-line-bytes",
            "64",
            "--boundary-overlap",
            "16",
            "-p",
            r#"truncate={"limit": 100, "truncated_field": "cut"}"#,
            "-o",
            "json",
        ],
        input.as_bytes(),
    );
    assert_snapshot!(show(&out), @r#"
    {"line":"éééééééééééééééééééééééééééééééééééééééééééééééé…","fields":{"cut":"_line"}}
    {"line":"short one"}
    {"line":"yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy…","fields":{"cut":"_line"}}
    "#);
}

#[test]
fn over_long_lines_below_the_limit_pass_byte_for_byte() {
    let mut input = Vec::new();
    for i in 0..5u8 {
        input.extend(std::iter::repeat_n(b'a' + i, 250 + usize::from(i)));
        input.extend_from_slice(b"\xff\0\r\xe2\x82\r\n");
    }
    input.extend_from_slice(&[b'q'; 300]);
    let out = transform(
        &[
            "--max-line-bytes",
            "64",
            "--boundary-overlap",
            "16",
            "-p",
            r#"truncate={"limit": "1KiB"}"#,
        ],
        &input,
    );
    assert!(out == input, "{}", show(&out));
}

#[test]
fn bytes_that_are_not_utf8_are_cut_at_the_byte() {
    // limit 6, no suffix: a lone continuation byte, a truncated sequence, an invalid lead
    // byte and an overlong encoding at the cut are cut where the limit falls; NUL and `\r`
    // are ordinary bytes; a valid character is never split.
    let input = b"abcde\x80\x80\x80\nabcde\xe2\x82\nabcd\xff\xfe\x80\nabcde\xc0\x80x\nab\0\r\0\r\0\r\nabcde\xc3\xa9\xff\n";
    let out = transform(&["-p", r#"truncate={"limit": 6, "suffix": ""}"#], input);
    assert_snapshot!(show(&out), @r"
    abcde\x80
    abcde\xe2
    abcd\xff\xfe
    abcde\xc0
    ab\0\r\0\r\r
    abcde
    ");
}

#[test]
fn only_what_is_too_long_is_touched() {
    // A line of exactly `limit` bytes, shorter lines, empty lines and a last line without
    // newline; CRLF terminators kept on cut and uncut lines.
    let input = b"0123456789\r\n012345678\n\n\r\n0123456789A\r\nno final newline here";
    let run = run(
        &["-p", r#"truncate={"limit": 10, "report": "stderr"}"#],
        input,
    );
    assert_eq!(run.code, 0);
    assert_snapshot!(show(&run.stdout), @r"
    0123456789\r
    012345678

    \r
    0123456…\r
    no fina…[no final newline]
    ");
    assert_eq!(
        run.stderr,
        "stage 1 (truncate): truncated_total{source=\"_line\"} 2\n"
    );
}

#[test]
fn suffix_choices() {
    let input = b"2024-06-01T12:00:00Z level=info msg=\"request served\"\n";
    let cut = |config: &str| show(&transform(&["-p", config], input));
    assert_eq!(
        cut(r#"truncate={"limit": 24, "suffix": ""}"#),
        "2024-06-01T12:00:00Z lev\n"
    );
    assert_eq!(
        cut(r#"truncate={"limit": 24, "suffix": " [...]"}"#),
        "2024-06-01T12:00:0 [...]\n"
    );
    assert_eq!(cut(r#"truncate={"limit": 24}"#), "2024-06-01T12:00:00Z …\n");
    // A suffix as long as the limit: all that is left is the suffix.
    assert_eq!(cut(r#"truncate={"limit": 3}"#), "…\n");
}

#[test]
fn sizes_with_units() {
    let line = format!("{}\n", "x".repeat(3000));
    for (limit, len) in [
        (r#""1KiB""#, 1024),
        (r#""1K""#, 1024),
        (r#""1kb""#, 1000),
        (r#""2000B""#, 2000),
        (r#""512""#, 512),
        ("700", 700),
    ] {
        let config = format!(r#"truncate={{"limit": {limit}, "suffix": ""}}"#);
        let out = transform(&["-p", &config], line.as_bytes());
        assert_eq!(out.len(), len + 1, "limit {limit}");
    }
}

#[test]
fn fields_are_cut_and_marked_the_line_left_alone() {
    // With `fields`, the line is not truncated unless `line` is true.
    let input = br#"{"msg":"connection pool exhausted after 30000ms","user_agent":"Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0","id":"42"}
{"msg":"ok","user_agent":"curl/8.5.0"}
{"id":"43"}
"#;
    let out = transform(
        &[
            "-p",
            "json",
            "-p",
            r#"truncate={"limit": 16, "fields": ["msg", "user_agent"], "truncated_field": "truncated"}"#,
            "-o",
            "json",
        ],
        input,
    );
    assert_snapshot!(show(&out), @r#"
    {"line":"{\"msg\":\"connection pool exhausted after 30000ms\",\"user_agent\":\"Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0\",\"id\":\"42\"}","fields":{"id":"42","msg":"connection po…","user_agent":"Mozilla/5.0 (…","truncated":"msg,user_agent"}}
    {"line":"{\"msg\":\"ok\",\"user_agent\":\"curl/8.5.0\"}","fields":{"msg":"ok","user_agent":"curl/8.5.0"}}
    {"line":"{\"id\":\"43\"}","fields":{"id":"43"}}
    "#);
}

#[test]
fn line_and_fields_with_a_report_file() {
    let dir = tempdir("stages-truncate-line_and_fields_with_a_report_file");
    let report = dir.join("truncate.prom");
    let config = format!(
        r#"truncate={{"limit": 12, "line": true, "fields": ["msg", "level"], "truncated_field": "cut", "report": {:?}}}"#,
        report.display().to_string()
    );
    let input = b"level=informational msg=\"a rather long message\"\nlevel=warn msg=short\nx\n";
    let out = transform(&["-p", "logfmt", "-p", &config, "-o", "json"], input);
    assert_snapshot!(show(&out), @r#"
    {"line":"level=inf…","fields":{"msg":"a rather …","level":"informati…","cut":"_line,msg,level"}}
    {"line":"level=war…","fields":{"level":"warn","msg":"short","cut":"_line"}}
    {"line":"x","fields":{"x":""}}
    "#);
    assert_eq!(
        std::fs::read_to_string(&report).unwrap(),
        "truncated_total{source=\"_line\"} 2\ntruncated_total{source=\"msg\"} 1\ntruncated_total{source=\"level\"} 1\n"
    );
}

#[test]
fn config_errors_name_the_key() {
    let error = |config: &str| run(&["-p", config], b"").fails(2).to_owned();
    assert_eq!(
        error("truncate"),
        "sluice: stage 1 (truncate): config key `limit`: is required (a number of bytes)"
    );
    assert_eq!(
        error(r#"truncate={"limit": 0}"#),
        "sluice: stage 1 (truncate): config key `limit`: must be at least 1 byte"
    );
    assert_eq!(
        error(r#"truncate={"limit": "2 furlongs"}"#),
        "sluice: stage 1 (truncate): config key `limit`: \"2 furlongs\" is not a size; write a number of bytes, optionally with a unit (B, K or KiB, KB, M or MiB, MB, G or GiB, GB), such as \"8KiB\""
    );
    assert_eq!(
        error(r#"truncate={"limit": -1}"#),
        "sluice: stage 1 (truncate): config key `limit`: expected a non-negative integer, got -1, or a size such as \"8KiB\""
    );
    assert_eq!(
        error(r#"truncate={"limit": 2, "suffix": "..."}"#),
        "sluice: stage 1 (truncate): config key `suffix`: is 3 bytes, longer than the limit of 2: shorten it or raise \"limit\""
    );
    assert!(
        error(r#"truncate={"limit": 8, "line": false}"#)
            .starts_with("sluice: stage 1 (truncate): config key `line`: ")
    );
    assert!(
        error(r#"truncate={"limit": 8, "fields": ["a"], "truncated_field": "a"}"#)
            .starts_with("sluice: stage 1 (truncate): config key `truncated_field`: ")
    );
    assert!(
        error(r#"truncate={"limit": 8, "fields": "msg"}"#)
            .starts_with("sluice: stage 1 (truncate): config key `fields`: ")
    );
    assert!(
        error(r#"truncate={"limit": 8, "lines": true}"#)
            .starts_with("sluice: stage 1 (truncate): config key `lines`: unknown key")
    );
}
