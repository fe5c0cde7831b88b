//! `outcome`: see docs/stages/outcome.md.

use insta::assert_snapshot;

use crate::util::{Run, report_of, run, show_lossy, tempdir, transform};

/// Runs `outcome` (with `config`, if any) on `input`: the run, whose stderr is the report
/// (taken off the stage's label, which each of its lines has on stderr).
fn outcome(config: &str, input: &[u8]) -> Run {
    let spec = if config.is_empty() {
        "outcome".to_owned()
    } else {
        format!("outcome={config}")
    };
    let mut out = run(&["-p", &spec], input);
    assert_eq!(out.code, 0, "{}", out.stderr);
    out.stderr = report_of(&out.stderr, "stage 1 (outcome)");
    out
}

/// The report of `outcome` with the default config on `input`, checked to be valid JSON.
fn report(input: &[u8]) -> String {
    let out = outcome("", input);
    serde_json::from_str::<serde_json::Value>(&out.stderr)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", out.stderr));
    out.stderr
}

const CI_STEP: &[u8] = b"+ echo '::set-outcome-var hello-world=42'
::set-outcome-var hello-world=42
Running tests...
::start-multiline-outcome-var summary
{
  \"passed\": 120,
  \"failed\": 0
}
::end-multiline-outcome-var
ok: 120 passed
";

#[test]
fn docs_example_report_to_a_file() {
    let dir = tempdir("outcome-docs");
    let path = dir.join("outcome.json");
    std::fs::write(&path, "stale content that is replaced whole\n").unwrap();
    let spec = format!(r#"outcome={{"report": "{}"}}"#, path.display());
    let out = transform(&["-p", &spec], CI_STEP);
    assert_snapshot!(show_lossy(&out), @r"
    + echo '::set-outcome-var hello-world=42'
    Running tests...
    ok: 120 passed
    ");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "{\"hello-world\":\"42\",\"summary\":\"{\\n  \\\"passed\\\": 120,\\n  \\\"failed\\\": 0\\n}\"}\n"
    );
}

#[test]
fn the_report_goes_to_stderr_by_default_and_always_exists() {
    let out = outcome("", CI_STEP);
    assert_eq!(
        out.stderr,
        "{\"hello-world\":\"42\",\"summary\":\"{\\n  \\\"passed\\\": 120,\\n  \\\"failed\\\": 0\\n}\"}\n"
    );
    assert_eq!(report(b"nothing to see\n"), "{}\n");
    assert_eq!(report(b""), "{}\n");
    let dir = tempdir("outcome-empty");
    let path = dir.join("outcome.json");
    let spec = format!(r#"outcome={{"report": "{}"}}"#, path.display());
    assert_eq!(transform(&["-p", &spec], b"plain log\n"), b"plain log\n");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "{}\n");
}

#[test]
fn set_takes_the_value_verbatim_and_a_later_value_wins() {
    let input = b"::set-outcome-var url=https://x.test/a?b=c&d=e
::set-outcome-var  \t padded=  spaces kept  
::set-outcome-var empty=
::set-outcome-var first=1
::set-outcome-var Mixed_Case-key9=ok
::set-outcome-var first=2
";
    let out = outcome("", input);
    assert_eq!(out.stdout, b"");
    // `first` keeps the place where it was first seen.
    assert_snapshot!(out.stderr, @r#"{"url":"https://x.test/a?b=c&d=e","padded":"  spaces kept  ","empty":"","first":"2","Mixed_Case-key9":"ok"}"#);
}

#[test]
fn lines_that_are_not_directives_pass_unchanged() {
    let input = b" ::set-outcome-var indented=1
2024-06-01T12:00:00Z ::set-outcome-var prefixed=1
::set-outcome-var my.key=1
::set-outcome-var k =1
::set-outcome-var =1
::set-outcome-var novalue
::set-outcome-varx=1
::SET-OUTCOME-VAR upper=1
::set-output name=gh::v
::start-multiline-outcome-var
::start-multiline-outcome-var two keys
::start-multiline-outcome-var k=v
::end-multiline-outcome-var
::end-multiline-outcome-varX
";
    let out = outcome("", input);
    assert_eq!(out.stdout, input);
    assert_eq!(out.stderr, "{}\n");
}

#[test]
fn multiline_blocks_capture_their_lines() {
    let input = b"before
::start-multiline-outcome-var notes
a

::set-outcome-var inner=1
b
::end-multiline-outcome-var notes (the key here is ignored)
::start-multiline-outcome-var\t empty \t
::end-multiline-outcome-var
::set-outcome-var notes=replaced later
::start-multiline-outcome-var again
x
::end-multiline-outcome-var
::start-multiline-outcome-var again
y
::end-multiline-outcome-var
after
";
    let out = outcome("", input);
    assert_eq!(show_lossy(&out.stdout), "before\nafter\n");
    // A `set` inside a block is content; a block replaces an earlier value.
    assert_snapshot!(out.stderr, @r#"{"notes":"replaced later","empty":"","again":"y"}"#);
    let out = outcome(
        "",
        b"::start-multiline-outcome-var notes\na\n\nb\n::end-multiline-outcome-var\n",
    );
    assert_eq!(out.stderr, "{\"notes\":\"a\\n\\nb\"}\n");
}

#[test]
fn blocks_nest() {
    let input = b"::start-multiline-outcome-var outer
o1
::start-multiline-outcome-var inner
i1
i2
::end-multiline-outcome-var
o2
::end-multiline-outcome-var
";
    let out = outcome("", input);
    assert_eq!(out.stdout, b"");
    assert_snapshot!(out.stderr, @r#"{"outer":"o1\no2","inner":"i1\ni2"}"#);
    // At most 64 deep: a 65th start directive is content of the innermost block.
    let mut deep = Vec::new();
    for k in 1..=65 {
        deep.extend(format!("::start-multiline-outcome-var k{k}\n").bytes());
    }
    deep.extend(b"content\n");
    for _ in 1..=64 {
        deep.extend(b"::end-multiline-outcome-var\n");
    }
    deep.extend(b"after\n");
    let out = outcome("", &deep);
    assert_eq!(show_lossy(&out.stdout), "after\n");
    let vars: serde_json::Value = serde_json::from_str(&out.stderr).unwrap();
    let vars = vars.as_object().unwrap();
    assert_eq!(vars.len(), 64);
    assert_eq!(vars["k64"], "::start-multiline-outcome-var k65\ncontent");
    assert_eq!(vars["k1"], "");
}

#[test]
fn trace_lines_pass_inside_blocks() {
    let input = b"+ echo ::set-outcome-var traced=1
::start-multiline-outcome-var summary
+ cat summary.txt
line 1
++ nested shell
+++\ttabbed
+added line
+
+ echo ::end-multiline-outcome-var
::end-multiline-outcome-var
+ echo done
";
    let out = outcome("", input);
    // Outside a block a trace line is an ordinary line; inside, `+`s and a blank pass.
    assert_snapshot!(show_lossy(&out.stdout), @r"
    + echo ::set-outcome-var traced=1
    + cat summary.txt
    ++ nested shell
    +++	tabbed
    + echo ::end-multiline-outcome-var
    + echo done
    ");
    assert_eq!(out.stderr, "{\"summary\":\"line 1\\n+added line\\n+\"}\n");
    // skip_trace false: captured like any line, and the trace of the end directive does
    // not end the block either (it is not a directive).
    let out = outcome(r#"{"skip_trace": false}"#, input);
    assert_eq!(
        show_lossy(&out.stdout),
        "+ echo ::set-outcome-var traced=1\n+ echo done\n"
    );
    assert_eq!(
        out.stderr,
        "{\"summary\":\"+ cat summary.txt\\nline 1\\n++ nested shell\\n+++\\ttabbed\\n+added line\\n+\\n+ echo ::end-multiline-outcome-var\"}\n"
    );
}

#[test]
fn a_block_open_at_end_of_input_is_kept_with_a_warning() {
    let input = b"log line\n::start-multiline-outcome-var summary\nfirst\nsecond\n";
    let out = outcome("", input);
    assert_eq!(
        show_lossy(&out.stdout),
        "log line\nsluice outcome: the multiline variable \"summary\" was not ended (no ::end-multiline-outcome-var before the end of input); its 2 line(s) were captured\n"
    );
    assert_eq!(out.stderr, "{\"summary\":\"first\\nsecond\"}\n");
    // Nested, both open: innermost first.
    let out = outcome(
        "",
        b"::start-multiline-outcome-var a\nx\n::start-multiline-outcome-var b\n",
    );
    assert_snapshot!(show_lossy(&out.stdout), @r#"
    sluice outcome: the multiline variable "b" was not ended (no ::end-multiline-outcome-var before the end of input); its 0 line(s) were captured
    sluice outcome: the multiline variable "a" was not ended (no ::end-multiline-outcome-var before the end of input); its 1 line(s) were captured
    "#);
    assert_eq!(out.stderr, "{\"a\":\"x\",\"b\":\"\"}\n");
}

#[test]
fn max_bytes_cuts_values_and_leaves_keys_out() {
    let input = b"::set-outcome-var a=1234567890
::set-outcome-var b=1234567890
::set-outcome-var c=1
::set-outcome-var d=2
";
    let out = outcome(r#"{"max_bytes": 16}"#, input);
    assert_eq!(
        show_lossy(&out.stdout),
        "sluice outcome: the variables exceeded max_bytes (16 bytes); cut short: b; 2 left out, among them: c, d\n"
    );
    assert_eq!(out.stderr, "{\"a\":\"1234567890\",\"b\":\"1234\"}\n");
    // Replacing a value frees the old one's bytes.
    let input =
        b"::set-outcome-var a=1234567890\n::set-outcome-var a=x\n::set-outcome-var b=1234567890\n";
    let out = outcome(r#"{"max_bytes": 16}"#, input);
    assert_eq!(out.stdout, b"");
    assert_eq!(out.stderr, "{\"a\":\"x\",\"b\":\"1234567890\"}\n");
}

#[test]
fn values_are_escaped_into_valid_json() {
    let input = b"::set-outcome-var quote=say \"hi\" \\ bye
::set-outcome-var ctl=tab\there nul\0 lone\rcr esc\x1b[0m
::set-outcome-var bytes=caf\xe9 \xff\xfe caf\xc3\xa9
";
    let out = report(input);
    assert_snapshot!(out, @r#"{"quote":"say \"hi\" \\ bye","ctl":"tab\there nul\u0000 lone\rcr esc\u001b[0m","bytes":"caf\\xe9 \\xff\\xfe café"}"#);
}

#[test]
fn crlf_lines_keep_their_terminators_and_values_do_not_hold_them() {
    let input = b"start\r\n::set-outcome-var k=v\r\n::start-multiline-outcome-var m\r\na\r\nb\r\n::end-multiline-outcome-var\r\nend\r\n";
    let out = outcome("", input);
    assert_eq!(out.stdout, b"start\r\nend\r\n");
    assert_eq!(out.stderr, "{\"k\":\"v\",\"m\":\"a\\nb\"}\n");
}

#[test]
fn a_last_line_without_newline() {
    // A directive as the last line is read; a plain last line stays without newline.
    let out = outcome("", b"log\n::set-outcome-var k=v");
    assert_eq!(out.stdout, b"log\n");
    assert_eq!(out.stderr, "{\"k\":\"v\"}\n");
    let out = outcome("", b"::set-outcome-var k=v\nlog");
    assert_eq!(out.stdout, b"log");
}

#[test]
fn a_warning_after_a_last_line_without_newline_starts_a_line() {
    // Actual: "+ tracesluice outcome: …".
    let out = outcome("", b"::start-multiline-outcome-var s\n+ trace");
    assert_eq!(
        show_lossy(&out.stdout),
        "+ trace\nsluice outcome: the multiline variable \"s\" was not ended (no ::end-multiline-outcome-var before the end of input); its 0 line(s) were captured\n"
    );
}

#[test]
fn passing_lines_keep_fields_and_odd_bytes() {
    let out = run(
        &[
            "-p",
            r#"regex={"expression": "^(?P<word>\\w+)"}"#,
            "-p",
            "outcome",
            "-o",
            "json",
        ],
        b"hello world\n::set-outcome-var k=v\nbye\n",
    );
    assert_eq!(out.stderr, "stage 2 (outcome): {\"k\":\"v\"}\n");
    assert_snapshot!(show_lossy(&out.stdout), @r#"
    {"line":"hello world","fields":{"word":"hello"}}
    {"line":"bye","fields":{"word":"bye"}}
    "#);
    let input = b"nul\0byte\n\ncaf\xe9\nlone\rcr\n";
    assert_eq!(outcome("", input).stdout, input);
}

#[test]
fn over_long_lines_follow_their_first_piece() {
    let long = "v".repeat(300);
    let args = |spec: &str| {
        vec![
            "--max-line-bytes".to_owned(),
            "64".to_owned(),
            "--boundary-overlap".to_owned(),
            "16".to_owned(),
            "-p".to_owned(),
            spec.to_owned(),
        ]
    };
    let input = format!(
        "::set-outcome-var big={long}\nplain {long}\n::start-multiline-outcome-var m\nshort\n{long}\n::end-multiline-outcome-var\n"
    );
    let out = run(
        &args("outcome")
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        input.as_bytes(),
    );
    // The directive's pieces are all removed and its value runs across them; a content line
    // is captured whole; another line passes piece by piece, unchanged.
    assert_eq!(show_lossy(&out.stdout), format!("plain {long}\n"));
    let report = report_of(&out.stderr, "stage 1 (outcome)");
    let vars: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(vars["big"], long.as_str());
    assert_eq!(vars["m"], format!("short\n{long}"));
}

#[test]
fn config_errors_name_the_key() {
    let cases = [
        (
            r#"outcome={"skip_trace": 1}"#,
            "sluice: stage 1 (outcome): config key `skip_trace`: expected true or false, got a number",
        ),
        (
            r#"outcome={"max_bytes": "x"}"#,
            "sluice: stage 1 (outcome): config key `max_bytes`: expected a non-negative integer, got a string",
        ),
        (
            r#"outcome={"report": 5}"#,
            "sluice: stage 1 (outcome): config key `report`: expected a file path or \"stderr\", got a number",
        ),
        (
            r#"outcome={"reprt": "x"}"#,
            "sluice: stage 1 (outcome): config key `reprt`: unknown key; did you mean \"report\"? known keys: skip_trace, max_bytes, report",
        ),
    ];
    for (spec, message) in cases {
        assert_eq!(run(&["-p", spec], b"").fails(2), message);
    }
}
