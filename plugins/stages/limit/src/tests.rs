use super::*;
use sluice_plugin_sdk::testing::{
    Emitted, Harness, Input, advance_clock, config_error, describe, set_clock,
};

fn stage(config: &str) -> Harness<Limit> {
    set_clock(1_700_000_000_000_000_000, 5_000_000_000);
    Harness::new(config).unwrap()
}

fn texts(lines: &[Emitted]) -> Vec<String> {
    lines.iter().map(Emitted::text).collect()
}

/// JSON app log lines `n`, with a `svc` field and a timestamp.
fn app(n: usize, svc: &str) -> Input {
    Input::new(format!(
        r#"{{"level":"info","svc":"{svc}","msg":"request {n} served","duration_ms":{n}}}"#
    ))
    .field("svc", svc)
    .timestamp(n as i64)
}

fn numbers(lines: &[Emitted]) -> Vec<i64> {
    lines.iter().map(|l| l.timestamp.unwrap()).collect()
}

fn report(h: &Harness<Limit>) -> Vec<String> {
    h.reports()
        .iter()
        .map(|r| String::from_utf8_lossy(r).into_owned())
        .collect()
}

#[test]
fn drop_mode_lets_a_burst_through_then_the_rate() {
    let mut s = stage(r#"{"rate": 10, "burst": 3, "drop": true}"#);
    let out = s.process((0..6).map(|n| app(n, "api"))).unwrap();
    assert_eq!(numbers(&out), [0, 1, 2]);
    assert!(out.iter().all(|l| !l.rewritten));
    assert_eq!(s.wake(), None, "drop mode never holds");
    advance_clock(250); // 2.5 tokens
    let out = s.process((6..10).map(|n| app(n, "api"))).unwrap();
    assert_eq!(numbers(&out), [6, 7]);
    assert!(s.finish().unwrap().is_empty());
    assert_eq!(
        report(&s),
        ["dropped 5 of 10 lines over the rate of 10 lines/s (burst 3)\n"]
    );
}

#[test]
fn no_report_when_nothing_was_dropped() {
    let mut s = stage(r#"{"rate": 100, "drop": true}"#);
    assert_eq!(
        s.process((0..100).map(|n| app(n, "api"))).unwrap().len(),
        100
    );
    s.finish().unwrap();
    assert!(s.reports().is_empty());
}

#[test]
fn delay_mode_holds_the_input_and_lets_lines_out_as_tokens_come() {
    let mut s = stage(r#"{"rate": 2, "burst": 2}"#);
    let out = s.process((0..5).map(|n| app(n, "api"))).unwrap();
    assert_eq!(numbers(&out), [0, 1]);
    assert_eq!(
        s.wake(),
        Some(Wake {
            after_ms: 500,
            hold: true
        })
    );
    advance_clock(500);
    let ticked = s.tick().unwrap();
    assert_eq!(
        texts(&ticked),
        [app(2, "api").bytes].map(|b| String::from_utf8(b).unwrap())
    );
    assert_eq!(ticked[0].field_str("svc"), Some("api"));
    assert_eq!(ticked[0].timestamp, Some(2));
    assert_eq!(s.wake().map(|w| (w.after_ms, w.hold)), Some((500, true)));
    advance_clock(1000);
    assert_eq!(numbers(&s.tick().unwrap()), [3, 4]);
    assert_eq!(s.wake(), None, "the input may flow again");
    // A tick that comes early (the host never does this) lets nothing out.
    let out = s.process((5..8).map(|n| app(n, "api"))).unwrap();
    assert!(out.is_empty(), "the two tokens went to lines 3 and 4");
    assert!(s.tick().unwrap().is_empty());
    assert!(s.wake().unwrap().hold);
}

#[test]
fn delayed_lines_keep_their_order_behind_the_first_one_waiting() {
    let mut s = stage(r#"{"rate": 1, "by_field": "svc"}"#);
    let out = s
        .process([
            app(0, "api"),
            app(1, "api"),
            app(2, "worker"),
            app(3, "worker"),
        ])
        .unwrap();
    // "worker" has a token, but line 2 may not pass line 1.
    assert_eq!(numbers(&out), [0]);
    advance_clock(1000);
    assert_eq!(numbers(&s.tick().unwrap()), [1, 2]);
    assert_eq!(s.wake().map(|w| w.after_ms), Some(1000));
    advance_clock(1000);
    assert_eq!(numbers(&s.tick().unwrap()), [3]);
    assert_eq!(s.wake(), None);
}

#[test]
fn by_field_limits_each_value_and_not_lines_without_it() {
    let mut s = stage(r#"{"rate": 1, "drop": true, "by_field": "svc"}"#);
    let out = s
        .process([
            app(0, "api"),
            app(1, "api"),
            app(2, "worker"),
            Input::new("no svc field").timestamp(3),
            Input::new("no svc field").timestamp(4),
            app(5, "worker"),
        ])
        .unwrap();
    assert_eq!(numbers(&out), [0, 2, 3, 4]);
    s.finish().unwrap();
    assert_eq!(
        report(&s),
        ["dropped 2 of 6 lines over the rate of 1 lines/s (burst 1) per value of field \"svc\"\n"]
    );
}

#[test]
fn max_distinct_bounds_the_buckets() {
    let mut s = stage(r#"{"rate": 1, "drop": true, "by_field": "svc", "max_distinct": 2}"#);
    // Three values take turns: with two buckets, one is always forgotten and comes back full.
    let inputs: Vec<Input> = (0..6).map(|n| app(n, ["a", "b", "c"][n % 3])).collect();
    assert_eq!(s.process(&inputs).unwrap().len(), 6);
    let mut s = stage(r#"{"rate": 1, "drop": true, "by_field": "svc", "max_distinct": 3}"#);
    assert_eq!(s.process(&inputs).unwrap().len(), 3);
}

#[test]
fn a_full_queue_drops_and_reports() {
    let mut s = stage(r#"{"rate": 1, "max_queue": 2}"#);
    let out = s.process((0..5).map(|n| app(n, "api"))).unwrap();
    assert_eq!(numbers(&out), [0]);
    // Lines 1 and 2 wait, 3 and 4 find the queue full. At the end, what waits goes out.
    assert_eq!(numbers(&s.finish().unwrap()), [1, 2]);
    assert_eq!(
        report(&s),
        ["dropped 2 of 5 lines: 2 lines were already waiting (max_queue)\n"]
    );
}

#[test]
fn drop_mode_decides_an_over_long_line_on_its_first_piece() {
    let mut s = stage(r#"{"rate": 1, "drop": true}"#);
    let out = s
        .process([
            Input::new("{\"dump\":\"").partial(),
            Input::new("AAAA").partial(),
            Input::new("\"}").field("k", "v"),
            Input::new("dropped"),
            Input::new("also dropped: ").partial(),
            Input::new("every piece"),
        ])
        .unwrap();
    assert_eq!(texts(&out), ["{\"dump\":\"", "AAAA", "\"}"]);
    assert_eq!(out[2].field_str("k"), Some("v"));
    s.finish().unwrap();
    assert_eq!(
        report(&s),
        ["dropped 2 of 3 lines over the rate of 1 lines/s (burst 1)\n"]
    );
}

#[test]
fn delay_mode_never_holds_an_over_long_line_but_charges_it() {
    let mut s = stage(r#"{"rate": 1}"#);
    let out = s.process([app(0, "api"), app(1, "api")]).unwrap();
    assert_eq!(numbers(&out), [0]);
    // Lines emitted by an earlier stage's tick can still arrive while line 1 waits; a piece
    // then lets line 1 out first, detached, with its fields and timestamp.
    let out = s
        .process([
            Input::new("piece 1").partial(),
            Input::new("piece 2").partial(),
        ])
        .unwrap();
    assert_eq!(texts(&out)[1..], ["piece 1", "piece 2"]);
    assert_eq!(out[0].timestamp, Some(1));
    assert_eq!(out[0].field_str("svc"), Some("api"));
    assert!(out[0].detached && !out[1].rewritten);
    assert_eq!(s.wake(), None);
    // Its last piece passes too; the next line pays for the tokens taken in advance.
    let out = s
        .process([Input::new("last piece"), app(2, "api")])
        .unwrap();
    assert_eq!(texts(&out), ["last piece"]);
    assert_eq!(s.wake().map(|w| (w.after_ms, w.hold)), Some((3000, true)));
}

#[test]
fn fractional_rate_and_default_burst() {
    let mut s = stage(r#"{"rate": 0.5, "drop": true}"#);
    assert_eq!(s.process([app(0, "a"), app(1, "a")]).unwrap().len(), 1);
    advance_clock(1999);
    assert!(s.process([app(2, "a")]).unwrap().is_empty());
    advance_clock(1);
    assert_eq!(s.process([app(3, "a")]).unwrap().len(), 1);
    // The burst is the rate rounded up.
    let mut s = stage(r#"{"rate": 2.5, "drop": true}"#);
    assert_eq!(s.process((0..10).map(|n| app(n, "a"))).unwrap().len(), 3);
}

#[test]
fn bytes_that_are_not_utf8_nul_and_empty_lines_pass_unchanged() {
    let mut s = stage(r#"{"rate": 2}"#);
    let inputs = [
        Input::new(b"caf\xe9 \xff"),
        Input::new(b""),
        Input::new(b"a\x00b\rc").field("k", b"\xfe"),
    ];
    let out = s.process(&inputs).unwrap();
    assert_eq!(out.len(), 2);
    assert_eq!(out[0].bytes, b"caf\xe9 \xff");
    assert_eq!(out[1].bytes, b"");
    advance_clock(500);
    let ticked = s.tick().unwrap();
    assert_eq!(ticked[0].bytes, b"a\x00b\rc");
    assert_eq!(ticked[0].field("k"), Some(&b"\xfe"[..]));
}

#[test]
fn config_errors_name_the_key() {
    let e = config_error::<Limit>("{}");
    assert_eq!(e.key.as_deref(), Some("rate"));
    assert!(e.message.starts_with("is required"));
    for bad in ["0", "-3", "0.0"] {
        let e = config_error::<Limit>(&format!(r#"{{"rate": {bad}}}"#));
        assert_eq!(e.key.as_deref(), Some("rate"), "{bad}");
        assert!(e.message.contains("greater than 0"), "{}", e.message);
    }
    let e = config_error::<Limit>(r#"{"rate": "10/s"}"#);
    assert_eq!(
        (e.key.as_deref(), &*e.message),
        (Some("rate"), "expected a number, got a string")
    );
    let e = config_error::<Limit>(r#"{"rate": 1, "burst": 0}"#);
    assert_eq!(
        (e.key.as_deref(), &*e.message),
        (Some("burst"), "must be at least 1")
    );
    let e = config_error::<Limit>(r#"{"rate": 1, "burst": 1.5}"#);
    assert_eq!(e.key.as_deref(), Some("burst"));
    for key in ["max_queue", "max_distinct"] {
        let e = config_error::<Limit>(&format!(r#"{{"rate": 1, "{key}": 0}}"#));
        assert_eq!(e.key.as_deref(), Some(key));
    }
    let e = config_error::<Limit>(r#"{"rate": 1, "by_field": ""}"#);
    assert_eq!(e.key.as_deref(), Some("by_field"));
    let e = config_error::<Limit>(r#"{"rate": 1, "drop": "yes"}"#);
    assert_eq!(e.key.as_deref(), Some("drop"));
    let e = config_error::<Limit>(r#"{"rate": 1, "by_label_name": "svc"}"#);
    assert_eq!(e.key.as_deref(), Some("by_label_name"));
}

#[test]
fn describe_lists_the_keys_and_report() {
    let info = describe::<Limit>();
    assert_eq!(info.name, "limit");
    let keys: Vec<_> = info
        .config_keys
        .iter()
        .map(|k| (k.name.as_str(), k.default.as_deref()))
        .collect();
    assert_eq!(
        keys,
        [
            ("rate", None),
            ("burst", None),
            ("drop", Some("false")),
            ("by_field", None),
            ("max_distinct", Some("10000")),
            ("max_queue", Some("10000")),
            ("report", Some("\"stderr\"")),
        ]
    );
}

/// A delayed line goes out as it came in: its terminator, and its source, since the limit is
/// the whole stream's and lines of several files wait in one queue.
#[test]
fn delayed_lines_keep_their_terminator_and_source() {
    use sluice_plugin_sdk::Terminator;
    let mut s = stage(r#"{"rate": 1, "burst": 1}"#);
    s.set_source("a.log");
    let lines = [
        app(0, "api"),
        app(1, "api").terminator(Terminator::CrLf),
        app(2, "api").terminator(Terminator::None),
    ];
    let out = s.process(lines).unwrap();
    assert_eq!(numbers(&out), [0]);
    s.set_source("the stage's own, not theirs");
    advance_clock(1000);
    let ticked = s.tick().unwrap();
    assert!(
        ticked[0]
            .written()
            .ends_with(b"served\",\"duration_ms\":1}\r\n")
    );
    assert_eq!(ticked[0].origin, "a.log");
    advance_clock(1000);
    let last = s.finish().unwrap();
    assert_eq!(last[0].terminator, Terminator::None);
    assert_eq!(last[0].origin, "a.log");
}
