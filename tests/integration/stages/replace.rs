//! `replace`: see docs/stages/replace.md.

use insta::assert_snapshot;

use crate::util::{run, show, transform, transform_fixture};

fn replace(config: &str, input: &[u8]) -> String {
    show(&transform(&["-p", &format!("replace={config}")], input))
}

const PIECES: [&str; 4] = ["--max-line-bytes", "64", "--boundary-overlap", "16"];

#[test]
fn masks_client_addresses_in_an_nginx_log() {
    let out = transform_fixture(
        &[
            "-p",
            r#"replace={"expression": "^(\\d+)\\.(\\d+)\\.\\d+\\.\\d+ ", "replace": "$1.$2.0.0 "}"#,
        ],
        "nginx_access.log",
    );
    assert_snapshot!(out, @r#"
    203.0.0.0 - - [21/Nov/2026:06:12:01 +0000] "GET /api/v1/orders?page=2 HTTP/1.1" 200 5123 "-" "Mozilla/5.0 (X11; Linux x86_64)" rt=0.012
    198.51.0.0 - alice [21/Nov/2026:06:12:02 +0000] "POST /login HTTP/1.1" 302 0 "https://shop.example.com/" "curl/8.5.0" rt=0.087
    203.0.0.0 - - [21/Nov/2026:06:12:02 +0000] "GET /reset?token=9f8e7d6c5b4a3921&user=bob HTTP/1.1" 200 812 "-" "Mozilla/5.0" rt=0.004
    192.0.0.0 - - [21/Nov/2026:06:12:03 +0000] "GET /static/app.3f9a.js HTTP/2.0" 304 0 "https://shop.example.com/cart" "Mozilla/5.0 (Macintosh)" rt=0.001
    192.0.0.0 - - [21/Nov/2026:06:12:04 +0000] "GET /api/v1/search?q=%E2%9C%93&api_key=AbC123xYz HTTP/1.1" 500 97 "-" "python-requests/2.31" rt=1.204
    "#);
}

#[test]
fn pipeline_example_email_in_a_field_and_amount_in_the_line() {
    let input = br#"{"msg":"mail sent to jane.doe+orders@mail.example.co.uk","note":"amount=12"}
{"msg":"no address here","note":"amount=7 amount=300"}
"#;
    let out = transform(
        &[
            "-p",
            "json",
            "-p",
            r#"replace={"source": "msg", "expression": "[\\w.+-]+@([\\w-]+\\.)+\\w+", "replace": "<email>"}"#,
            "-p",
            r#"replace={"expression": "amount=(?P<n>\\d+)", "replace": "amount=$$${n}.00"}"#,
            "-o",
            "json",
        ],
        input,
    );
    assert_snapshot!(show(&out), @r#"
    {"line":"{\"msg\":\"mail sent to jane.doe+orders@mail.example.co.uk\",\"note\":\"amount=$12.00\"}","fields":{"note":"amount=12","msg":"mail sent to <email>"}}
    {"line":"{\"msg\":\"no address here\",\"note\":\"amount=$7.00 amount=$300.00\"}","fields":{"msg":"no address here","note":"amount=7 amount=300"}}
    "#);
}

#[test]
fn replacement_syntax() {
    let input = b"user=alice id=42\n";
    let cases = [
        // Groups by number, with braces, by name; the whole match; a literal dollar.
        r#"{"expression": "(\\w+)=(\\w+)", "replace": "$2:$1"}"#,
        r#"{"expression": "(\\w+)=(\\w+)", "replace": "${1}_$2"}"#,
        r#"{"expression": "(?P<key>\\w+)=(?P<value>\\w+)", "replace": "${value}<-$key"}"#,
        r#"{"expression": "\\d+", "replace": "[$0]"}"#,
        r#"{"expression": "id=", "replace": "$$"}"#,
        // A `$` that starts no reference is literal; so is one at the end.
        r#"{"expression": "id=", "replace": "$ 5 $"}"#,
        // A group that took no part in the match inserts nothing.
        r#"{"expression": "(x)?(\\d+)", "replace": "<$1|$2>"}"#,
        // The empty default deletes the matches.
        r#"{"expression": " ?id=\\d+"}"#,
    ];
    let out: Vec<String> = cases.iter().map(|c| replace(c, input)).collect();
    assert_snapshot!(out.concat(), @r#"
    alice:user 42:id
    user_alice id_42
    alice<-user 42<-id
    user=alice id=[42]
    user=alice $42
    user=alice $ 5 $42
    user=alice id=<|42>
    user=alice
    "#);
}

#[test]
fn limit_replaces_the_leftmost_matches() {
    let input = b"10.0.0.1 -> 10.0.0.2 -> 10.0.0.3\nnone\n1 2\n";
    assert_snapshot!(replace(r#"{"expression": "\\d+\\.\\d+\\.\\d+\\.\\d+", "replace": "IP", "limit": 2}"#, input), @r#"
    IP -> IP -> 10.0.0.3
    none
    1 2
    "#);
    assert_snapshot!(replace(r#"{"expression": "\\d+\\.\\d+\\.\\d+\\.\\d+", "replace": "IP", "limit": 0}"#, input), @r#"
    IP -> IP -> IP
    none
    1 2
    "#);
}

#[test]
fn matches_are_leftmost_first_and_do_not_overlap() {
    // An empty match right after the previous match is skipped, as in `replace_all`; an empty
    // line can match.
    let input = b"baaac\n\nx\naaaa\n";
    assert_snapshot!(replace(r#"{"expression": "a*", "replace": "-"}"#, input), @r#"
    -b-c-
    -
    -x-
    -
    "#);
    assert_snapshot!(replace(r#"{"expression": "^$", "replace": "(empty)"}"#, input), @r#"
    baaac
    (empty)
    x
    aaaa
    "#);
    assert_snapshot!(replace(r#"{"expression": "aa", "replace": "b"}"#, input), @r#"
    bbac

    x
    bb
    "#);
}

#[test]
fn bytes_not_text() {
    // Latin-1 bytes, NUL and a lone `\r` are searched and copied as they are; Unicode classes
    // match characters, never other bytes; `(?-u:...)` matches raw bytes.
    let input = b"caf\xe9 \xff\xfe na\xc3\xafve\0nul\rcr\n";
    assert_snapshot!(replace(r#"{"expression": "\\w+", "replace": "W"}"#, input), @r#"W\xe9 \xff\xfe W\0W\rW"#);
    assert_snapshot!(replace(r#"{"expression": "(?-u:[\\x80-\\xff]+)", "replace": "?"}"#, input), @r#"caf? ? na?ve\0nul\rcr"#);
    assert_snapshot!(replace(r#"{"expression": "\\x00|\\r", "replace": "|"}"#, input), @r#"caf\xe9 \xff\xfe naïve|nul|cr"#);
    assert_snapshot!(replace(r#"{"expression": "(?-u:\\xff)", "replace": "FF"}"#, input), @r#"caf\xe9 FF\xfe naïve\0nul\rcr"#);
}

#[test]
fn the_terminator_cannot_be_matched_and_is_kept() {
    // `\r` of a CRLF terminator is not part of the line; a lone `\r` inside is. A last line
    // without newline stays without.
    let input = b"a\rb\r\nline two\r\n\r\nend";
    assert_eq!(
        replace(r#"{"expression": "\\r", "replace": "<CR>"}"#, input),
        "a<CR>b\\r\nline two\\r\n\\r\nend[no final newline]"
    );
    assert_eq!(
        replace(r#"{"expression": "$", "replace": ";"}"#, input),
        "a\\rb;\\r\nline two;\\r\n;\\r\nend;[no final newline]"
    );
    // Lines without a match come out exactly as they went in.
    let fixture = std::fs::read(crate::util::fixture("java_stacktrace.log")).unwrap();
    assert!(transform(&["-p", r#"replace={"expression": "nomatch"}"#], &fixture) == fixture);
}

#[test]
fn source_replaces_in_a_field_and_leaves_the_line() {
    let input = b"ip=10.1.2.3 user=bob\nuser=eve\nip=::1 user=root\n";
    let out = transform(
        &[
            "-p",
            r#"regex={"expression": "ip=(?P<ip>\\S+)"}"#,
            "-p",
            r#"replace={"source": "ip", "expression": "\\.\\d+$", "replace": ".0"}"#,
            "-o",
            "json",
        ],
        input,
    );
    assert_snapshot!(show(&out), @r#"
    {"line":"ip=10.1.2.3 user=bob","fields":{"ip":"10.1.2.0"}}
    {"line":"user=eve"}
    {"line":"ip=::1 user=root","fields":{"ip":"::1"}}
    "#);
}

#[test]
fn over_long_lines_are_replaced_piece_by_piece() {
    // Pieces of 48 bytes: 0..48, 48..96, 96..144, 144..192, then the rest. `^` and `$` see each
    // cut as the start and end of the text; a match straddling a cut is not found; matches
    // inside pieces are.
    let mut line: String = (0..230u8).map(|i| char::from(b'a' + i % 26)).collect();
    line.replace_range(45..51, "SECRET"); // straddles the cut at 48
    line.replace_range(60..66, "SECRET"); // inside the second piece
    line.push('\n');
    let mut args = PIECES.to_vec();
    args.extend([
        "-p",
        r#"replace={"expression": "^.|.$|SECRET", "replace": "|"}"#,
    ]);
    let out = String::from_utf8(transform(&args, line.as_bytes())).unwrap();
    // Each piece on its own: its first and last byte, and a SECRET wholly inside it.
    let mut expected = String::new();
    for (start, end) in [(0, 48), (48, 96), (96, 144), (144, 192), (192, 230)] {
        let inner = line[start + 1..end - 1].replace("SECRET", "|");
        expected.push_str(&format!("|{inner}|"));
    }
    expected.push('\n');
    assert_eq!(out, expected);
    assert_eq!(out.matches("SECRET").count(), 0, "neither is left whole");
    assert!(
        out.contains("SE||ET"),
        "the straddling one is cut in two: {out}"
    );
    // Without pieces, one match at each end and both secrets.
    let whole = replace(
        r#"{"expression": "^.|.$|SECRET", "replace": "|"}"#,
        line.as_bytes(),
    );
    assert_eq!(whole.matches('|').count(), 4);
}

#[test]
fn limit_counts_matches_across_the_pieces_of_a_line() {
    // 100 `a`s separated by spaces: 200 bytes in 5 pieces; the next line starts a new count.
    let line = "a ".repeat(100);
    let input = format!("{line}\n{line}\n");
    let mut args = PIECES.to_vec();
    args.extend([
        "-p",
        r##"replace={"expression": "a", "replace": "#", "limit": 30}"##,
    ]);
    let out = String::from_utf8(transform(&args, input.as_bytes())).unwrap();
    let expected = format!("{}{}", "# ".repeat(30), "a ".repeat(70));
    assert_eq!(out, format!("{expected}\n{expected}\n"));
}

#[test]
fn over_long_lines_without_a_match_pass_byte_for_byte() {
    let mut input = Vec::new();
    for i in 0..4u8 {
        input.extend(std::iter::repeat_n(b'a' + i, 300));
        input.extend_from_slice(b"\xff\0\r\r\n");
    }
    input.extend_from_slice(&[b'z'; 200]);
    let mut args = PIECES.to_vec();
    args.extend(["-p", r#"replace={"expression": "SECRET", "replace": "x"}"#]);
    assert!(transform(&args, &input) == input);
}

#[test]
fn config_errors_name_the_key() {
    let error = |config: &str| run(&["-p", config], b"").fails(2).to_owned();
    assert_snapshot!(error("replace"), @"sluice: stage 1 (replace): config key `expression`: is required (a string)");
    assert_snapshot!(error(r#"replace={"expression": "(a"}"#), @"sluice: stage 1 (replace): config key `expression`: not a valid regex: regex parse error: (a ^ error: unclosed group");
    assert_snapshot!(error(r#"replace={"expression": "(a)", "replace": "$1a"}"#), @r#"sluice: stage 1 (replace): config key `replace`: refers to a group named "1a", which the expression does not have; for group 1 followed by "a", write ${1}a"#);
    assert_snapshot!(error(r#"replace={"expression": "(a)", "replace": "${2}"}"#), @"sluice: stage 1 (replace): config key `replace`: refers to group 2, but the expression has 1 group besides $0");
    assert_snapshot!(error(r#"replace={"expression": "(a)", "replace": "$name"}"#), @r#"sluice: stage 1 (replace): config key `replace`: refers to a group named "name", which the expression does not have; name one with (?P<name>…), or write $$ for a literal $"#);
    assert_snapshot!(error(r#"replace={"expression": "a", "limit": -1}"#), @"sluice: stage 1 (replace): config key `limit`: expected a non-negative integer, got -1");
    assert_snapshot!(error(r#"replace={"expression": "a", "replacement": "x"}"#), @"sluice: stage 1 (replace): config key `replacement`: unknown key; known keys: expression, replace, limit, source");
}
