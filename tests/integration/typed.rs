//! Typed values (contract 0.5.0) end to end: the kinds `json` and `logfmt` give, carried
//! through other stages (a third-party one that knows nothing of kinds among them), and
//! written by `-o json` and `pack` as JSON values; read back with serde_json, an independent
//! JSON parser. Also the quantities `aggregate` and `drop` read (`918ms`, `4KB`).

use crate::util::{Bytes, records, run, test_plugin, transform};
use serde_json::{Map, Value, json};

/// A JSON scalar or container drawn from values that exercise every kind and its edges.
fn value(rng: &mut Bytes) -> &'static str {
    const VALUES: &[&str] = &[
        "0",
        "-0",
        "1656",
        "-12",
        "9223372036854775807",
        "-9223372036854775808",
        "9223372036854775808",
        "18446744073709551616",
        "0.5",
        "-1.5e3",
        "2.5E-7",
        "1e30",
        "true",
        "false",
        "null",
        r#""text""#,
        r#""1656""#,
        r#""""#,
        r#""caf\u00e9 \"q\" \n""#,
        r#"{"a": [1, 2.5, {"b": null}]}"#,
        "[]",
    ];
    VALUES[(rng.next_u64() % VALUES.len() as u64) as usize]
}

/// Generated JSON log lines of 1 to 6 members each.
fn json_lines(seed: u64, n: usize) -> Vec<String> {
    let mut rng = Bytes::new(seed);
    (0..n)
        .map(|_| {
            let members = 1 + (rng.next_u64() % 6) as usize;
            let body: Vec<String> = (0..members)
                .map(|k| format!(r#""k{k}": {}"#, value(&mut rng)))
                .collect();
            format!("{{{}}}", body.join(", "))
        })
        .collect()
}

/// What a field holds once `json` extracted `original`: scalars as themselves, objects and
/// arrays as their JSON text.
fn as_field(original: &Value) -> Value {
    match original {
        Value::Object(_) | Value::Array(_) => Value::String(original.to_string()),
        scalar => scalar.clone(),
    }
}

/// Compares a field written for a container (its compact text) by parsing it back.
fn same_field(written: &Value, original: &Value) -> bool {
    match (written, original) {
        (Value::String(text), Value::Object(_) | Value::Array(_)) => {
            serde_json::from_str::<Value>(text).ok().as_ref() == Some(original)
        }
        _ => *written == as_field(original),
    }
}

#[test]
fn json_fields_round_trip_through_output_json_and_pack_as_json_values() {
    let lines = json_lines(7, 400);
    let input = lines.join("\n") + "\n";
    // Through a third-party stage that knows nothing of kinds: kept lines keep them.
    let identity = test_plugin("identity");
    let out = records(&["-p", "json", "-p", &identity], input.as_bytes());
    let packed = transform(&["-p", "json", "-p", "pack"], input.as_bytes());
    let packed = String::from_utf8(packed).unwrap();
    for ((line, record), packed) in lines.iter().zip(out.lines()).zip(packed.lines()) {
        let original: Map<String, Value> = serde_json::from_str(line).unwrap();
        let record: Value = serde_json::from_str(record).unwrap();
        let packed: Value = serde_json::from_str(packed).unwrap();
        assert_eq!(packed["_entry"], Value::String(line.clone()));
        for (key, value) in &original {
            assert!(
                same_field(&record["fields"][key], value),
                "{line}: -o json {key}"
            );
            assert!(same_field(&packed[key], value), "{line}: pack {key}");
        }
        let kinds_written = record["fields"].as_object().unwrap().len();
        assert_eq!(kinds_written, original.len(), "{line}");
    }
    assert_eq!(out.lines().count(), lines.len());
}

#[test]
fn json_numbers_keep_their_text_and_null_is_null() {
    let out = records(
        &["-p", "json"],
        br#"{"latency_ms":1656,"ratio":0.50,"big":1.5e3,"neg":-0,"ok":true,"user":null,"s":"1656"}"#,
    );
    assert_eq!(
        out,
        "{\"line\":\"{\\\"latency_ms\\\":1656,\\\"ratio\\\":0.50,\\\"big\\\":1.5e3,\\\"neg\\\":-0,\\\"ok\\\":true,\\\"user\\\":null,\\\"s\\\":\\\"1656\\\"}\",\
\"fields\":{\"latency_ms\":1656,\"ratio\":0.50,\"big\":1.5e3,\"neg\":-0,\"ok\":true,\"user\":null,\"s\":\"1656\"}}\n"
    );
}

#[test]
fn logfmt_types_unquoted_numbers_and_booleans_and_logfmt_output_is_unchanged() {
    let line = b"status=200 ratio=0.25 ok=true quoted=\"200\" zip=02134 ver=1.2.3 msg=hi\n";
    let out = records(&["-p", "logfmt"], line);
    let record: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        record["fields"],
        json!({"status": 200, "ratio": 0.25, "ok": true, "quoted": "200", "zip": "02134",
               "ver": "1.2.3", "msg": "hi"})
    );
    let untyped = records(&["-p", r#"logfmt={"typed": false}"#], line);
    let record: Value = serde_json::from_str(&untyped).unwrap();
    assert_eq!(record["fields"]["status"], "200");
    // Kinds change how a value is written as JSON, never its bytes.
    let logfmt = transform(&["-p", "logfmt", "-o", "logfmt"], line);
    assert_eq!(
        String::from_utf8(logfmt).unwrap(),
        "line=\"status=200 ratio=0.25 ok=true quoted=\\\"200\\\" zip=02134 ver=1.2.3 msg=hi\" \
         status=200 ratio=0.25 ok=true quoted=200 zip=02134 ver=1.2.3 msg=hi\n"
    );
}

#[test]
fn aggregate_adds_durations_in_seconds_and_sizes_in_bytes_into_typed_fields() {
    let input = b"path=/a duration=918ms size=4KB\npath=/a duration=1.5s size=1KiB\n\
path=/b duration=1m30s size=512B\n";
    let out = records(
        &[
            "-p",
            "logfmt",
            "-p",
            r#"aggregate={"group_by": "path", "select": "count, sum(duration), max(size)"}"#,
        ],
        input,
    );
    let rows: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["fields"].clone())
        .filter(|f| f.as_object().is_some_and(|f| !f.is_empty()))
        .collect();
    assert_eq!(
        rows,
        [
            json!({"path": "/a", "count": 2, "sum(duration)": 2.418, "max(size)": 4000}),
            json!({"path": "/b", "count": 1, "sum(duration)": 90, "max(size)": 512}),
        ]
    );
}

#[test]
fn drop_compares_durations_whatever_their_unit() {
    let input = b"d=918ms\nd=1.5s\nd=1500ms\nd=1s\nd=2\nd=n/a\nd=0.002h\n";
    let out = transform(
        &[
            "-p",
            "logfmt",
            "-p",
            r#"drop={"source": "d", "greater_than": "1s"}"#,
        ],
        input,
    );
    assert_eq!(out, b"d=918ms\nd=1s\nd=2\nd=n/a\n");
    let e = run(
        &["-p", r#"drop={"source": "d", "greater_than": "fast"}"#],
        b"",
    );
    assert_eq!(
        e.fails(2),
        "sluice: stage 1 (drop): config key `greater_than`: \"fast\" is not a number, a duration \
         or a size; write a number (1000), a duration (\"500ms\", \"1m30s\") or a size (\"4KB\", \
         \"1MiB\")"
    );
}

#[test]
fn template_computes_with_typed_numbers() {
    let out = transform(
        &[
            "-p",
            "json",
            "-p",
            r#"template={"template": "{{ path }} {{ bytes / 1024 }}KiB{% if latency_ms > 1000 %} slow{% endif %}"}"#,
        ],
        b"{\"path\":\"/a\",\"bytes\":2048,\"latency_ms\":1656}\n{\"path\":\"/b\",\"bytes\":512,\"latency_ms\":12}\n",
    );
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "/a 2.0KiB slow\n/b 0.5KiB\n"
    );
}
