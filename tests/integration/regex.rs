//! The `regex` built-in, mostly seen through `pack` so that the extracted fields are visible.

use insta::assert_snapshot;

use crate::util::{run, transform, transform_fixture};

const NGINX: &str = r#"regex={"expression":"^(?P<client>\\S+) \\S+ (?P<user>\\S+) \\[[^]]+\\] \"(?P<method>[A-Z]+) (?P<path>[^ ?\"]+)[^\"]*\" (?P<status>\\d{3})"}"#;

#[test]
fn nginx_fields_packed() {
    assert_snapshot!(transform_fixture(
        &["-p", NGINX, "-p", "pack"],
        "nginx_access.log"
    ));
}

#[test]
fn logfmt_level_and_msg() {
    assert_snapshot!(transform_fixture(
        &[
            "-p",
            r#"regex={"expression":"level=(?P<level>\\w+) msg=\"(?P<msg>[^\"]*)\""}"#,
            "-p",
            r#"pack={"fields":["level"]}"#,
        ],
        "logfmt.log"
    ));
}

#[test]
fn keep_mode_drops_lines_that_do_not_match() {
    let out = transform_fixture(
        &[
            "-p",
            r#"regex={"expression":"level=(?:warn|error)","mode":"keep"}"#,
        ],
        "logfmt.log",
    );
    assert_snapshot!(out);
}

#[test]
fn drop_mode_drops_lines_that_match() {
    let out = transform_fixture(
        &[
            "-p",
            r#"regex={"expression":"^\\s+at |^\\s+\\.\\.\\.","mode":"drop"}"#,
        ],
        "java_stacktrace.log",
    );
    assert_snapshot!(out);
}

#[test]
fn source_matches_a_field_instead_of_the_line() {
    let out = transform(
        &[
            "-p",
            r#"regex={"expression":"path=(?P<path>\\S+)"}"#,
            "-p",
            r#"regex={"expression":"^/(?P<top>[^/]+)","source":"path"}"#,
            "-p",
            r#"pack={"fields":["top"]}"#,
        ],
        b"path=/api/v1 x\nno path here\n",
    );
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "{\"_entry\":\"path=/api/v1 x\",\"top\":\"api\"}\n{\"_entry\":\"no path here\"}\n"
    );
}

#[test]
fn invalid_expression_is_a_config_error() {
    let run = run(&["-p", r#"regex={"expression":"(?P<level>"}"#], b"");
    let message = run.fails(2);
    assert!(
        message.starts_with("sluice: stage 1 (regex): config key `expression`: "),
        "{message}"
    );
}

#[test]
fn missing_expression_is_a_config_error() {
    let run = run(&["-p", "regex"], b"");
    let message = run.fails(2);
    assert!(message.contains("`expression`"), "{message}");
}

#[test]
fn unknown_mode_is_a_config_error() {
    let run = run(
        &["-p", r#"regex={"expression":"(?P<a>a)","mode":"sideways"}"#],
        b"",
    );
    let message = run.fails(2);
    assert!(message.contains("config key `mode`"), "{message}");
}
