//! The `pack` built-in: one JSON object per line, keys sorted, `_entry` always.

use insta::assert_snapshot;
use serde_json::Value;

use crate::util::{fixture, transform, transform_fixture};

const LEVEL: &str = r#"regex={"expression":"level=(?P<level>INFO|WARN|ERROR)"}"#;

#[test]
fn level_and_entry_on_every_line_valid_json_for_any_bytes() {
    let input = b"ts=1 level=INFO msg=ok\nts=2 level=DEBUG msg=skip\nlevel=ERROR caf\xe9 \xff\0\r\nno level\ttab \"q\" \\ end";
    let out = transform(&["-p", LEVEL, "-p", "pack"], input);
    let lines: Vec<&[u8]> = out.split_inclusive(|&b| b == b'\n').collect();
    assert_eq!(lines.len(), 4, "one object per input line");
    let objects: Vec<Value> = lines
        .iter()
        .map(|line| {
            serde_json::from_slice(line.strip_suffix(b"\n").unwrap_or(line)).expect("valid JSON")
        })
        .collect();
    assert_eq!(objects[0]["level"], "INFO");
    assert_eq!(objects[1].get("level"), None);
    assert_eq!(objects[2]["level"], "ERROR");
    assert_eq!(objects[2]["_entry"], "level=ERROR caf\\xe9 \\xff\u{0}");
    assert_eq!(objects[3]["_entry"], "no level\ttab \"q\" \\ end");
    // Keys sorted, terminators kept (CRLF on the third line, none on the last).
    assert!(lines[0].starts_with(b"{\"_entry\":"));
    assert!(lines[2].ends_with(b"}\r\n"));
    assert!(lines[3].ends_with(b"}"));
}

#[test]
fn json_app_log() {
    assert_snapshot!(transform_fixture(
        &[
            "-p",
            r#"regex={"expression":"\"level\":\"(?P<level>[A-Z]+)\".*\"service\":\"(?P<service>\\w+)\""}"#,
            "-p",
            "pack"
        ],
        "app_json.log"
    ));
}

#[test]
fn sanitize_regex_pack_chain_on_secrets() {
    let input = std::fs::read(fixture("secrets.log")).unwrap();
    let out = transform(
        &[
            "-p",
            "sanitize",
            "-p",
            r#"regex={"expression":"user\\W+(?P<user>\\w+)"}"#,
            "-p",
            "pack",
        ],
        &input,
    );
    let out = String::from_utf8(out).unwrap();
    for secret in [
        "hunter2",
        "abc.def.ghi",
        "AKIAIOSFODNN7EXAMPLE",
        "sk_live_51HxYz",
        "MIIEowIBAAKCAQEAu1SU1",
    ] {
        assert!(!out.contains(secret), "{secret} leaked");
    }
    assert_snapshot!(out);
}

#[test]
fn unknown_fields_key_type_is_rejected() {
    let run = crate::util::run(&["-p", r#"pack={"fields":"level"}"#], b"");
    let message = run.fails(2);
    assert!(message.contains("config key `fields`"), "{message}");
}
