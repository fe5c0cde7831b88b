//! `template`: see docs/stages/template.md.

use std::fs;

use insta::assert_snapshot;
use serde_json::{Value, json};

use crate::util::{config_error, fixture, run, tempdir, transform, visible};

/// The output of `args` on `input` as text, asserting a clean exit.
fn text(args: &[&str], input: &[u8]) -> String {
    String::from_utf8(transform(args, input)).unwrap()
}

/// A template stage with `template` (JSON-escaped here).
fn template(template: &str) -> String {
    format!(
        r#"template={{"template": {}}}"#,
        serde_json::to_string(template).unwrap()
    )
}

#[test]
fn documented_example_json_logs_to_text() {
    let input = concat!(
        r#"{"time":"12:00:01","level":"info","msg":"listening on :8080"}"#,
        "\n",
        r#"{"time":"12:00:02","level":"error","msg":"db timeout","req.id":"a1b2"}"#,
        "\n",
    );
    let out = text(
        &[
            "-p",
            "json",
            "-p",
            &template(
                r#"{{ time }} {{ level|upper }} [{{ fields["req.id"]|default("-") }}] {{ msg }}"#,
            ),
        ],
        input.as_bytes(),
    );
    assert_snapshot!(out, @r"
    12:00:01 INFO [-] listening on :8080
    12:00:02 ERROR [a1b2] db timeout
    ");
}

#[test]
fn filters_upper_lower_trim_default_replace() {
    let input = b"level=WARN msg=\"  login password=hunter2 \" user=\" Bob \" path=/api/v1/users\nlevel=info msg=ok\n";
    let out = text(
        &[
            "-p",
            "logfmt",
            "-p",
            &template(
                "{{ level|lower }}/{{ level|upper }}: [{{ msg|trim|replace(\"password=hunter2\", \"password=***\") }}] \
                 user={{ user|default(\"anonymous\")|trim|lower }} who={{ who|default(\"anonymous\") }} \
                 route={{ path|default(\"/\")|replace(\"/api/v1\", \"\") }} missing=[{{ missing }}]",
            ),
        ],
        input,
    );
    // An undefined field prints as nothing; `default` replaces it.
    assert_snapshot!(out, @r"
    warn/WARN: [login password=***] user=bob who=anonymous route=/users missing=[]
    info/INFO: [ok] user=anonymous who=anonymous route=/ missing=[]
    ");
}

#[test]
fn documented_table_of_examples() {
    let mut shown = String::new();
    for (tpl, input) in [
        (
            "{{ level|upper }}: {{ msg }}",
            "level=warn msg=\"disk full\"",
        ),
        (
            "{{ msg|trim|replace(\"password=hunter2\", \"password=***\") }}",
            "msg=\"  login password=hunter2 \"",
        ),
        (
            "{{ user|default(\"-\") }} {{ method }} {{ path }}",
            "method=GET path=/",
        ),
        ("{{ line|lower }}", "GET / HTTP/1.1"),
        (
            "{% if status|int >= 500 %}ERROR{% else %}ok{% endif %}",
            "status=503",
        ),
        (
            "{% if status|int >= 500 %}ERROR{% else %}ok{% endif %}",
            "status=200",
        ),
        (
            "{% for k, v in fields|items %}{{ k }}={{ v }} {% endfor %}|",
            "a=1 b=2",
        ),
        ("{{ status|int + 1 }}", "status=41"),
        ("{{ none }} {{ true }} {{ 1 == 2 }}", "x"),
    ] {
        let out = text(
            &["-p", "logfmt", "-p", &template(tpl)],
            format!("{input}\n").as_bytes(),
        );
        shown.push_str(&format!("{tpl}\n  {input}\n  → {out}"));
    }
    assert_snapshot!(shown, @r#"
    {{ level|upper }}: {{ msg }}
      level=warn msg="disk full"
      → WARN: disk full
    {{ msg|trim|replace("password=hunter2", "password=***") }}
      msg="  login password=hunter2 "
      → login password=***
    {{ user|default("-") }} {{ method }} {{ path }}
      method=GET path=/
      → - GET /
    {{ line|lower }}
      GET / HTTP/1.1
      → get / http/1.1
    {% if status|int >= 500 %}ERROR{% else %}ok{% endif %}
      status=503
      → ERROR
    {% if status|int >= 500 %}ERROR{% else %}ok{% endif %}
      status=200
      → ok
    {% for k, v in fields|items %}{{ k }}={{ v }} {% endfor %}|
      a=1 b=2
      → a=1 b=2 |
    {{ status|int + 1 }}
      status=41
      → 42
    {{ none }} {{ true }} {{ 1 == 2 }}
      x
      → None True False
    "#);
}

#[test]
fn line_timestamp_source_and_fields() {
    // From a file: `source` is its path; `cri` gave the timestamp.
    let out = text(
        &[
            "-p",
            "cri",
            "-p",
            &template("{{ timestamp or \"-\" }} {{ stream }} {{ source }}: {{ line }}"),
            "tests/fixtures/k8s_cri.log",
        ],
        b"",
    );
    assert_snapshot!(out.lines().take(3).collect::<Vec<_>>().join("\n"), @r#"
    2024-06-01T12:00:00.000000001Z stdout tests/fixtures/k8s_cri.log: {"time":"2024-06-01T12:00:00.123Z","level":"info","msg":"server started","port":8080}
    2024-06-01T12:00:01.5Z stdout tests/fixtures/k8s_cri.log: {"time":"2024-06-01T12:00:01.499Z","level":"debug","msg":"cache warmup","entries":512}
    2024-06-01T12:00:02.00000005Z stdout tests/fixtures/k8s_cri.log: {"time":"2024-06-01T12:00:02.002Z","level":"info","msg":"request done","path":"/healthz","status":200}
    "#);
    // From stdin, without a timestamp.
    let out = text(
        &[
            "-p",
            &template("{{ timestamp or \"-\" }} [{{ source }}] {{ line }} {{ timestamp }}"),
        ],
        b"GET /\n",
    );
    assert_eq!(out, "- [-] GET / None\n");
    // Fields named like the built-ins, or not identifiers, through `fields`.
    let out = text(
        &[
            "-p",
            "json",
            "-p",
            &template(
                "{{ fields.line }} {{ fields.source }} {{ fields.timestamp }} {{ fields[\"fields\"] }} \
                 {{ fields[\"http.status\"] }} | {{ line|length }} {{ source }}",
            ),
        ],
        br#"{"line":"L","source":"S","timestamp":"T","fields":"F","http.status":"502"}"#,
    );
    assert_eq!(out, "L S T F 502 | 74 -");
}

#[test]
fn target_writes_a_field_and_keeps_the_line() {
    let input = b"method=get path=/api/v1/users status=200\n";
    let args = [
        "-p",
        "logfmt",
        "-p",
        r#"template={"target": "route", "template": "{{ method|upper }} {{ path|replace('/api/v1', '') }}"}"#,
    ];
    assert_eq!(transform(&args, input), input);
    let out = text(&[&args[..], &["-o", "json"]].concat(), input);
    assert_snapshot!(out, @r#"{"line":"method=get path=/api/v1/users status=200","fields":{"method":"get","path":"/api/v1/users","status":200,"route":"GET /users"}}"#);
}

#[test]
fn new_lines_keep_fields_timestamp_and_terminator() {
    let input = b"2024-06-01T12:00:00Z stdout F level=warn msg=one\r\n2024-06-01T12:00:01Z stderr F level=error msg=two\n";
    let args = [
        "-p",
        "cri",
        "-p",
        "logfmt",
        "-p",
        &template("{{ level|upper }}: {{ msg }}"),
    ];
    assert_eq!(
        visible(&transform(&args, input)),
        "WARN: one\\r\\n\nERROR: two\\n\n"
    );
    let out = text(&[&args[..], &["-o", "json"]].concat(), input);
    assert_snapshot!(out, @r#"
    {"line":"WARN: one","timestamp":"2024-06-01T12:00:00Z","fields":{"stream":"stdout","level":"warn","msg":"one"}}
    {"line":"ERROR: two","timestamp":"2024-06-01T12:00:01Z","fields":{"stream":"stderr","level":"error","msg":"two"}}
    "#);
}

#[test]
fn line_breaks_in_the_template() {
    // Two physical lines, each block ending with its line's terminator; one trailing newline
    // of the template is dropped.
    let out = transform(&["-p", &template("{{ line }}\nsecond\n")], b"one\r\ntwo\n");
    assert_eq!(visible(&out), "one\\n\nsecond\\r\\n\ntwo\\n\nsecond\\n\n");
}

#[test]
fn bytes_that_are_not_utf8_nul_cr_and_empty_lines() {
    let input = b"a=caf\xe9\r\nb=\xff\x00x\r\n\r\nlone\rcr\nlast";
    // Rewritten lines are UTF-8 (U+FFFD for bad bytes); NUL and `\r` are ordinary characters.
    let out = transform(
        &[
            "-p",
            "logfmt",
            "-p",
            &template("[{{ line }}|{{ a }}{{ b }}]"),
        ],
        input,
    );
    assert_snapshot!(visible(&out), @r"
    [a=caf\xef\xbf\xbd|caf\xef\xbf\xbd]\r\n
    [b=\xef\xbf\xbd\0x|\xef\xbf\xbd]\r\n
    [|]\r\n
    [lone\rcr|]\n
    [last|]
    ");
    // With `target`, the line's bytes are never touched.
    let args = [
        "-p",
        "logfmt",
        "-p",
        r#"template={"target": "t", "template": "[{{ line }}|{{ a }}{{ b }}]"}"#,
    ];
    assert_eq!(transform(&args, input), input);
    let out = text(&[&args[..], &["-o", "json"]].concat(), input);
    assert_snapshot!(out, @r#"
    {"line":"a=caf\\xe9","fields":{"a":"caf\\xe9","t":"[a=caf�|caf�]"}}
    {"line":"b=\\xff\u0000x","fields":{"b":"\\xff","x":"","t":"[b=�\u0000x|�]"}}
    {"line":"","fields":{"t":"[|]"}}
    {"line":"lone\rcr","fields":{"lone":"","cr":"","t":"[lone\rcr|]"}}
    {"line":"last","fields":{"last":"","t":"[last|]"}}
    "#);
}

#[test]
fn no_html_escaping() {
    let out = text(
        &["-p", "logfmt", "-p", &template("{{ q }} {{ line }}")],
        br#"q="<b>&amp;'x'</b>" tag=<br>"#,
    );
    assert_eq!(out, r#"<b>&amp;'x'</b> q="<b>&amp;'x'</b>" tag=<br>"#);
}

#[test]
fn render_errors_leave_the_line_unchanged_and_are_reported() {
    let input = b"status=503 x\nstatus=abc y\nz\nstatus=oops w\n";
    let failed = run(
        &["-p", "logfmt", "-p", &template("{{ status|int + 1 }}")],
        input,
    );
    assert_eq!(failed.code, 0);
    // `z` has no status: undefined|int is 0.
    assert_eq!(failed.text(), "504\nstatus=abc y\n1\nstatus=oops w\n");
    assert_eq!(
        failed.stderr,
        "stage 2 (template): 2 line(s) failed to render and were left unchanged; first error: invalid \
         operation: invalid float literal at line 1, column 11\n"
    );
    // With `target`, the field is not set; the report goes to the file named.
    let dir = tempdir("stages-template-report");
    let path = dir.join("report.txt");
    let stage = format!(
        r#"template={{"target": "next", "template": "{{{{ status|int + 1 }}}}", "report": "{}"}}"#,
        path.display()
    );
    let targeted = run(&["-p", "logfmt", "-p", &stage, "-o", "json"], input);
    assert_eq!(targeted.stderr, "");
    let next: Vec<Value> = targeted
        .text()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["fields"]["next"].clone())
        .collect();
    assert_eq!(next, [json!("504"), Value::Null, json!("1"), Value::Null]);
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        "2 line(s) failed to render and were left unchanged; first error: invalid \
         operation: invalid float literal at line 1, column 11\n"
    );
    // With `report` given, a report is written even when nothing failed.
    let stage = format!(
        r#"template={{"template": "{{{{ line }}}}", "report": "{}"}}"#,
        path.display()
    );
    assert_eq!(text(&["-p", &stage], b"ok\n"), "ok\n");
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        "0 line(s) failed to render and were left unchanged\n"
    );
}

#[test]
fn a_name_in_a_branch_not_taken_at_start_fails_when_a_line_takes_it() {
    let run = run(
        &[
            "-p",
            "logfmt",
            "-p",
            &template("{% if level %}{{ level|uper }}{% else %}-{% endif %}"),
        ],
        b"msg=x\nlevel=warn\n",
    );
    assert_eq!(run.code, 0);
    assert_eq!(run.text(), "-\nlevel=warn\n");
    assert_eq!(
        run.stderr,
        "stage 2 (template): 1 line(s) failed to render and were left unchanged; first error: unknown \
         filter: filter uper is unknown at line 1, column 24\n"
    );
}

#[test]
fn over_long_lines_pass_unchanged_and_target_renders_at_the_last_piece() {
    let long = format!("level=warn msg={}", "x".repeat(300));
    let input = format!("{long}\r\nlevel=info msg=short\r\n{long}");
    let limits = ["--max-line-bytes", "64", "--boundary-overlap", "16"];
    let out = transform(
        &[
            &limits[..],
            &[
                "-p",
                "logfmt",
                "-p",
                &template("{{ level|upper }}: {{ msg }}"),
            ],
        ]
        .concat(),
        input.as_bytes(),
    );
    assert_eq!(
        String::from_utf8(out).unwrap(),
        format!("{long}\r\nINFO: short\r\n{long}")
    );
    // With `target`: rendered at the last piece, which carries the fields; `line` is undefined.
    let stage = r#"template={"target": "t", "template": "{{ level|upper }} line={{ line }} defined={{ line is defined }}"}"#;
    let args = [&limits[..], &["-p", "logfmt", "-p", stage]].concat();
    assert!(transform(&args, input.as_bytes()) == input.as_bytes());
    let out = text(&[&args[..], &["-o", "json"]].concat(), input.as_bytes());
    let t: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["fields"]["t"].clone())
        .collect();
    assert_eq!(
        t,
        [
            json!("WARN line= defined=False"),
            json!("INFO line=level=info msg=short defined=True"),
            json!("WARN line= defined=False"),
        ]
    );
}

#[test]
fn java_stack_trace_with_crlf_and_no_final_newline() {
    let input = fs::read(fixture("java_stacktrace.log")).unwrap();
    let out = transform(&["-p", &template("{{ line|trim|upper }}")], &input);
    assert_snapshot!(visible(&out), @r"
    2026-11-21 06:12:01.120 ERROR [MAIN] C.E.ORDERS.ORDERSERVICE - FAILED TO PROCESS ORDER 48121\r\n
    JAVA.LANG.ILLEGALSTATEEXCEPTION: PAYMENT GATEWAY RETURNED 502\r\n
    AT COM.EXAMPLE.ORDERS.PAYMENTCLIENT.CHARGE(PAYMENTCLIENT.JAVA:88)\r\n
    AT COM.EXAMPLE.ORDERS.ORDERSERVICE.PROCESS(ORDERSERVICE.JAVA:142)\r\n
    AT JAVA.BASE/JAVA.LANG.THREAD.RUN(THREAD.JAVA:1583)\r\n
    CAUSED BY: JAVA.NET.SOCKETTIMEOUTEXCEPTION: READ TIMED OUT\r\n
    ... 3 MORE\r\n
    2026-11-21 06:12:01.502 INFO  [MAIN] C.E.ORDERS.ORDERSERVICE - RETRYING ORDER 48121
    ");
}

#[test]
fn syntax_and_name_errors_are_config_errors() {
    let messages: Vec<String> = [
        "template",
        &template("{{ level|uper }}"),
        &template("{{ level"),
        &template("{% if x %}"),
        &template("{{ 1 + }}"),
        &template("ok\n{% for %}"),
        &template("{{ foo() }}"),
        &template("{{ x is bogus }}"),
        r#"template={"template": "x", "target": ""}"#,
        r#"template={"template": 5}"#,
        r#"template={"templat": "x"}"#,
    ]
    .iter()
    .map(|stage| config_error(stage))
    .collect();
    assert_snapshot!(messages.join("\n"), @r#"
    sluice: stage 1 (template): config key `template`: is required (a string)
    sluice: stage 1 (template): config key `template`: unknown filter: filter uper is unknown at line 1, column 10
    sluice: stage 1 (template): config key `template`: syntax error: unexpected end of input, expected end of variable block at line 1, column 4
    sluice: stage 1 (template): config key `template`: syntax error: unexpected end of input, expected end of block at line 1, column 9
    sluice: stage 1 (template): config key `template`: syntax error: unexpected end of variable block at line 1, column 8
    sluice: stage 1 (template): config key `template`: syntax error: unexpected end of block, expected in at line 2, column 8
    sluice: stage 1 (template): config key `template`: unknown function: foo is unknown at line 1, column 4
    sluice: stage 1 (template): config key `template`: unknown test: test bogus is unknown at line 1, column 9
    sluice: stage 1 (template): config key `target`: a field name cannot be empty
    sluice: stage 1 (template): config key `template`: expected a string, got a number
    sluice: stage 1 (template): config key `templat`: unknown key; did you mean "template"? known keys: template, target, report
    "#);
}
