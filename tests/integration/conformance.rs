//! `sluice test --conformance`: every built-in passes the checks every plugin must pass, and a
//! plugin that fails them is reported check by check.

use sluice_host::BUILTINS;

use crate::util::{run, test_plugin};

/// Every built-in, with a config for those that require one.
const BUILTIN_SPECS: &[&str] = &[
    r#"sanitize"#,
    r#"luhn"#,
    r#"regex={"expression":"level=(?P<level>\\w+)"}"#,
    r#"replace={"expression":"\\d+","replace":"N"}"#,
    r#"json"#,
    r#"logfmt"#,
    r#"pattern={"pattern":"<ip> - <_>"}"#,
    r#"cri"#,
    r#"docker"#,
    r#"timestamp={"source":"ts","format":"RFC3339"}"#,
    r#"fields={"set":{"env":"prod"}}"#,
    r#"template={"template":"{{ line | upper }}"}"#,
    r#"output={"source":"msg"}"#,
    r#"prefix"#,
    r#"decolorize"#,
    r#"truncate={"limit":40}"#,
    r#"pack"#,
    r#"drop={"expression":"DEBUG"}"#,
    r#"sampling={"rate":0.5}"#,
    r#"limit={"rate":1000000,"drop":true}"#,
    r#"multiline={"firstline":"^\\d{4}"}"#,
    r#"grep={"expression":"status=200","context":1}"#,
    r#"tail"#,
    r#"outcome"#,
    r#"aggregate"#,
    r#"metrics={"metrics":{"lines":{"type":"counter","description":"lines seen"}}}"#,
];

#[test]
fn every_builtin_passes() {
    assert_eq!(
        BUILTIN_SPECS.len(),
        BUILTINS.len(),
        "a built-in is missing from this list"
    );
    for spec in BUILTIN_SPECS {
        let run = run(&["test", "--conformance", spec], b"");
        assert_eq!(run.code, 0, "{spec}:\n{}{}", run.text(), run.stderr);
        assert!(
            run.text()
                .ends_with(": 11 of 11 conformance checks passed\n"),
            "{spec}: {}",
            run.text()
        );
    }
}

#[test]
fn a_failing_plugin_is_reported_check_by_check() {
    let failing = format!("{}={{\"fail\": \"boom\"}}", test_plugin("probe"));
    let failed = run(&["test", "--conformance", &failing], b"");
    assert_eq!(failed.code, 1);
    let text = failed.text();
    assert!(
        text.starts_with("ok   describe\nok   config error\nFAIL empty batch: boom\n"),
        "{text}"
    );
    assert!(
        text.ends_with("probe.wasm: 4 of 11 conformance checks passed\n"),
        "{text}"
    );

    let trapping = format!("{}={{\"trap\": \"finish\"}}", test_plugin("probe"));
    let trapped = run(&["test", "--conformance", &trapping], b"");
    assert_eq!(trapped.code, 1);
    assert!(
        trapped.text().contains("FAIL finish: `finish` trapped"),
        "{}",
        trapped.text()
    );

    // The probe declares no state: keeping a count, or emitting lines at the end, gives it
    // away; and whatever it declares, it may not name a source it was never given.
    for (config, words) in [
        (
            r#"{"stamp": true}"#,
            "FAIL state: it declares no state, but its output for a batch changed after an \
             earlier batch; declare `per-source` or `whole-stream` state",
        ),
        (
            r#"{"finish_lines": ["x"]}"#,
            "FAIL state: it declares no state, but emitted lines at the end",
        ),
        (
            r#"{"finish_lines": ["x"], "finish_source": "elsewhere.log"}"#,
            "FAIL state: it emitted a line from source \"elsewhere.log\", which it was never \
             given",
        ),
        (
            r#"{"report_lines": true, "tally": "forget"}"#,
            "FAIL tally: its reach says it tallies, but two instances' counts merged (`tally`, \
             `absorb`) report [\"probe saw 3 lines\"] where one instance that saw every line \
             reports [\"probe saw 6 lines\"]",
        ),
    ] {
        let spec = format!("{}={config}", test_plugin("probe"));
        let lied = run(&["test", "--conformance", &spec], b"");
        assert_eq!(lied.code, 1, "{config}");
        assert!(lied.text().contains(words), "{config}: {}", lied.text());
    }

    // One that hands its count over passes.
    let merging = format!(
        r#"{}={{"report_lines": true, "tally": "merge"}}"#,
        test_plugin("probe")
    );
    let merged = run(&["test", "--conformance", &merging], b"");
    assert!(merged.text().contains("ok   tally"), "{}", merged.text());

    let unknown = run(&["test", "--conformance", "nope"], b"");
    assert!(unknown.fails(2).contains("unknown plugin `nope`"));
}
