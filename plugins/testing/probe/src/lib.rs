//! `probe`: a plugin that misbehaves on request, for the host's tests. Not a built-in.
//!
//! Each key (all optional) turns on one behaviour; with none, every line passes through.
//!
//! | key | behaviour |
//! |---|---|
//! | `trap` | `"create"`, `"process"` or `"finish"`: panic there, which traps the wasm instance. |
//! | `trap_batch` | n: panic in the n-th call of `process` of this stage (counted from 1 from its creation). |
//! | `loop` | `true`: loop forever in `process` (to test the host's timeouts). |
//! | `fail` | a message: `process` returns it as an error. |
//! | `fail_repeat` | n: with `fail`, the error is the message n times over (a 100 MB error from a short config). |
//! | `bad_output` | `true`: bypass the SDK and answer `process` with a `source` naming an input line that does not exist. |
//! | `grow` | `true`: allocate memory without bound in `process` (to test memory limits). |
//! | `repeat` | n: output each line n times (0 drops every line). By default, 1. |
//! | `finish_lines` | lines that `finish` emits. |
//! | `finish_source` | the source `finish` names for its lines (a lie, for the conformance check). |
//! | `tag` | append `\|` and the tag to every line this stage outputs (finish lines included), to observe chain order. |
//! | `tick_after_ms` | n: after each batch, ask to be ticked after n ms; `tick` emits the line `tick` (tagged). |
//! | `tick_forever` | `true`: with `tick_after_ms`, every answer (ticks included) asks for the next tick, and ticks emit nothing (a stage that would starve input). |
//! | `hold` | `true`: with `tick_after_ms`, every answer holds input back until the next tick, and every tick holds it again (a stage that would hold input forever). |
//! | `stamp` | `true`: give the k-th line seen the timestamp k seconds and the field `n` = k. |
//! | `remove` | a field name: take that field off every line. |
//! | `report_lines` | `true`: `finish` reports `probe saw N lines`. |
//! | `report_text` | a text that `finish` reports as it is (escape codes, forged `sluice:` lines). |
//! | `compile_bomb` | an expression: `create` compiles it with the host's `matching` 1000 times, keeping every pattern; `finish` reports how many the host compiled and why it refused the rest. |
//! | `match_lies` | `true`: the first batch asks the host's `matching` with lying `ends`, too many lines and too many groups, then honestly; `finish` reports the answers' lengths. |
//! | `tally` | `"merge"` or `"forget"`: its reach says it tallies; `merge` hands the count of lines seen to the instance that absorbs it, `forget` hands nothing over (a lie, for the conformance check). |
//!
//! It declares no state (`State::None`), which `stamp`, `trap_batch` and `finish_lines` make
//! a lie: the conformance check's `state` rule sees through the first and the last.
//!
//! Since `describe` cannot depend on configuration, the probe is never boundary-safe.

use sluice_plugin_sdk::{
    Batch, BatchOutput, Config, ConfigError, ConfigKey, Line, Output, Plugin, State, Trailing,
    Wake, export_plugin,
};
use std::hint::black_box;

mod host_regex;

/// Where to trap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Trap {
    Process,
    Finish,
}

/// A probe stage.
pub struct Probe {
    trap: Option<Trap>,
    /// Panic in this call of `process` (1-based), counted in `batches`.
    trap_batch: Option<u64>,
    batches: u64,
    spin: bool,
    fail: Option<String>,
    fail_repeat: usize,
    bad_output: bool,
    grow: bool,
    repeat: u64,
    finish_lines: Vec<String>,
    finish_source: Option<String>,
    /// `|` and the tag, or empty.
    suffix: Vec<u8>,
    tick_after_ms: Option<u32>,
    tick_forever: bool,
    hold: bool,
    stamp: bool,
    remove: Option<String>,
    report_lines: bool,
    report_text: Option<String>,
    /// What `compile_bomb` and `match_lies` found, for `finish` to report.
    host_regex: String,
    match_lies: bool,
    /// With `tally`: whether the count of lines seen is handed over (`merge`) or not.
    tally: Option<bool>,
    /// Lines seen so far.
    seen: u64,
    /// True between a batch and the tick it asked for.
    tick_due: bool,
}

impl Probe {
    /// Emits `line` with the tag appended, stamped and with `remove` removed.
    fn write(&self, bytes: &[u8], out: &mut Output<'_>) {
        if self.suffix.is_empty() {
            out.keep();
        } else {
            out.emit_with(|buf| {
                buf.extend_from_slice(bytes);
                buf.extend_from_slice(&self.suffix);
            });
        }
        if self.stamp {
            out.set_timestamp(self.seen as i64 * 1_000_000_000);
            out.set_field("n", self.seen.to_string().as_bytes());
        }
        if let Some(key) = &self.remove {
            out.remove_field(key);
        }
    }
}

impl Plugin for Probe {
    const STATE: State = State::None;
    const NAME: &'static str = "probe";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const SUMMARY: &'static str =
        "Misbehave on request (trap, loop, fail, bad output, grow) for host tests";
    const CONFIG_KEYS: &'static [ConfigKey] = &[
        ConfigKey::new("trap", "string", "create, process or finish: trap there."),
        ConfigKey::new(
            "trap_batch",
            "integer",
            "Trap in this call of process (from 1).",
        ),
        ConfigKey::new("loop", "bool", "true: loop forever in process."),
        ConfigKey::new(
            "fail",
            "string",
            "A message that process returns as an error.",
        ),
        ConfigKey::new(
            "fail_repeat",
            "integer",
            "With fail: the error is the message this many times over.",
        )
        .default("1"),
        ConfigKey::new(
            "bad_output",
            "bool",
            "true: answer process with a source index out of range.",
        ),
        ConfigKey::new(
            "grow",
            "bool",
            "true: allocate memory without bound in process.",
        ),
        ConfigKey::new(
            "repeat",
            "integer",
            "Output each line this many times (0 drops all).",
        )
        .default("1"),
        ConfigKey::new(
            "finish_lines",
            "list of strings",
            "Lines that finish emits.",
        ),
        ConfigKey::new(
            "finish_source",
            "string",
            "The source finish names for its lines.",
        ),
        ConfigKey::new("tag", "string", "Append |tag to every line output."),
        ConfigKey::new(
            "tick_after_ms",
            "integer",
            "Ask for a tick this long after each batch; tick emits `tick`.",
        ),
        ConfigKey::new(
            "tick_forever",
            "bool",
            "With tick_after_ms: ask for a tick after every answer; ticks emit nothing.",
        ),
        ConfigKey::new(
            "hold",
            "bool",
            "With tick_after_ms: hold input back after every answer, ticks included.",
        ),
        ConfigKey::new(
            "stamp",
            "bool",
            "Give the k-th line timestamp k s and field n = k.",
        ),
        ConfigKey::new("remove", "string", "A field to take off every line."),
        ConfigKey::new(
            "report_lines",
            "bool",
            "finish reports how many lines the stage saw.",
        ),
        ConfigKey::new(
            "report_text",
            "string",
            "A text that finish reports as it is.",
        ),
        ConfigKey::new(
            "compile_bomb",
            "string",
            "Compile this expression with the host 1000 times in create; finish reports.",
        ),
        ConfigKey::new(
            "match_lies",
            "bool",
            "Lie to the host's regex search in the first batch; finish reports.",
        ),
        ConfigKey::new(
            "tally",
            "string",
            "merge or forget: say it tallies, and hand the count of lines over or not.",
        ),
    ];

    fn new(config: Config) -> Result<Self, ConfigError> {
        let trap = match config.one_of("trap", &["create", "process", "finish"])? {
            Some("create") => panic!("probe: trap in create, as configured"),
            Some("process") => Some(Trap::Process),
            Some(_) => Some(Trap::Finish),
            None => None,
        };
        let finish_lines = config
            .strings("finish_lines")?
            .unwrap_or_default()
            .into_iter()
            .map(str::to_owned)
            .collect();
        let suffix = match config.str("tag")? {
            Some(tag) => format!("|{tag}").into_bytes(),
            None => Vec::new(),
        };
        Ok(Probe {
            trap,
            trap_batch: config.u64("trap_batch")?,
            batches: 0,
            spin: config.bool("loop")?.unwrap_or(false),
            fail: config.str("fail")?.map(str::to_owned),
            fail_repeat: config.u64("fail_repeat")?.unwrap_or(1) as usize,
            bad_output: config.bool("bad_output")?.unwrap_or(false),
            grow: config.bool("grow")?.unwrap_or(false),
            repeat: config.u64("repeat")?.unwrap_or(1),
            finish_lines,
            finish_source: config.str("finish_source")?.map(str::to_owned),
            suffix,
            tick_after_ms: config
                .u64("tick_after_ms")?
                .map(|ms| ms.min(u32::MAX as u64) as u32),
            tick_forever: config.bool("tick_forever")?.unwrap_or(false),
            hold: config.bool("hold")?.unwrap_or(false),
            stamp: config.bool("stamp")?.unwrap_or(false),
            remove: config.str("remove")?.map(str::to_owned),
            report_lines: config.bool("report_lines")?.unwrap_or(false),
            report_text: config.str("report_text")?.map(str::to_owned),
            tally: config
                .one_of("tally", &["merge", "forget"])?
                .map(|how| how == "merge"),
            host_regex: config
                .str("compile_bomb")?
                .map(host_regex::compile_bomb)
                .unwrap_or_default(),
            match_lies: config.bool("match_lies")?.unwrap_or(false),
            seen: 0,
            tick_due: false,
        })
    }

    fn process(&mut self, line: &Line<'_>, out: &mut Output<'_>) {
        self.seen += 1;
        for _ in 0..self.repeat {
            self.write(line.bytes(), out);
        }
    }

    fn wake(&self) -> Option<Wake> {
        match self.tick_after_ms {
            Some(after_ms) if self.tick_due => Some(Wake {
                after_ms,
                hold: self.hold,
            }),
            _ => None,
        }
    }

    fn tick(&mut self, out: &mut Trailing) -> Result<(), String> {
        if self.tick_forever || self.hold {
            return Ok(());
        }
        self.tick_due = false;
        out.push_with(|buf| {
            buf.extend_from_slice(b"tick");
            buf.extend_from_slice(&self.suffix);
        });
        Ok(())
    }

    fn process_batch(&mut self, batch: &Batch<'_>, out: &mut BatchOutput) -> Result<(), String> {
        if self.trap == Some(Trap::Process) {
            panic!("probe: trap in process, as configured");
        }
        self.batches += 1;
        if self.trap_batch == Some(self.batches) {
            panic!("probe: trap in batch {}, as configured", self.batches);
        }
        if self.spin {
            let mut n = 0u64;
            loop {
                n = black_box(n.wrapping_add(1));
            }
        }
        if self.grow {
            let mut hoard: Vec<Vec<u8>> = Vec::new();
            loop {
                let mut block = vec![0u8; 1 << 20];
                block[0] = 1;
                hoard.push(black_box(block));
            }
        }
        if let Some(message) = &self.fail {
            return Err(message.repeat(self.fail_repeat));
        }
        if self.bad_output {
            out.unchecked_push_source(batch.len() as u32 + 7);
            return Ok(());
        }
        if std::mem::take(&mut self.match_lies) {
            self.host_regex += &host_regex::lies(batch.data(), batch.len());
        }
        for line in batch.lines() {
            self.process(&line, &mut out.line(&line));
        }
        self.tick_due = true;
        Ok(())
    }

    fn reach(&self) -> sluice_plugin_sdk::Reach {
        let reach = sluice_plugin_sdk::Reach::of(Self::STATE);
        if self.tally.is_some() {
            reach.tallying()
        } else {
            reach
        }
    }

    fn tally(&mut self) -> Vec<u8> {
        match self.tally {
            Some(true) => sluice_plugin_sdk::tally::encode(&[std::mem::take(&mut self.seen)]),
            _ => Vec::new(),
        }
    }

    fn absorb(&mut self, tally: &[u8]) -> Result<(), String> {
        match self.tally {
            Some(true) => sluice_plugin_sdk::tally::add(tally, &mut [&mut self.seen]),
            _ => Ok(()),
        }
    }

    fn finish(&mut self, out: &mut Trailing) -> Result<(), String> {
        if self.trap == Some(Trap::Finish) {
            panic!("probe: trap in finish, as configured");
        }
        if self.report_lines {
            out.report(format!("probe saw {} lines\n", self.seen).into_bytes());
        }
        if !self.host_regex.is_empty() {
            out.report(self.host_regex.clone().into_bytes());
        }
        if let Some(report) = &self.report_text {
            out.report(report.clone().into_bytes());
        }
        if let Some(source) = &self.finish_source {
            out.set_source(source);
        }
        for line in &self.finish_lines {
            out.push_with(|buf| {
                buf.extend_from_slice(line.as_bytes());
                buf.extend_from_slice(&self.suffix);
            });
        }
        Ok(())
    }
}

export_plugin!(Probe);

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_plugin_sdk::testing::{
        Harness, Input, build_batch, check_output, config_error, run,
    };

    #[test]
    fn passes_lines_through_by_default() {
        assert_eq!(run::<Probe>("{}", &["a", "b"]), ["a", "b"]);
    }

    #[test]
    fn repeat_and_tag() {
        assert_eq!(
            run::<Probe>(r#"{"repeat": 2, "tag": "x"}"#, &["a", "b"]),
            ["a|x", "a|x", "b|x", "b|x"]
        );
        assert!(run::<Probe>(r#"{"repeat": 0}"#, &["a", "b"]).is_empty());
    }

    #[test]
    fn finish_lines_are_tagged() {
        assert_eq!(
            run::<Probe>(r#"{"finish_lines": ["end1", "end2"], "tag": "1"}"#, &["a"]),
            ["a|1", "end1|1", "end2|1"]
        );
    }

    #[test]
    fn tick_stamp_remove_and_report() {
        let mut h = Harness::<Probe>::new(
            r#"{"tick_after_ms": 50, "stamp": true, "remove": "x", "report_lines": true}"#,
        )
        .unwrap();
        let out = h
            .process([Input::new("a").field("x", "1"), Input::new("b")])
            .unwrap();
        assert_eq!(out[1].timestamp, Some(2_000_000_000));
        assert_eq!(out[0].fields, [("n".to_string(), b"1".to_vec())]);
        assert_eq!(h.wake().map(|w| w.after_ms), Some(50));
        assert_eq!(h.tick().unwrap()[0].text(), "tick");
        assert_eq!(h.wake(), None);
        h.finish().unwrap();
        assert_eq!(h.reports(), [b"probe saw 2 lines\n".to_vec()]);
    }

    #[test]
    fn fail_returns_the_message() {
        let mut h = Harness::<Probe>::new(r#"{"fail": "boom"}"#).unwrap();
        assert_eq!(h.process(["a"]).unwrap_err(), "boom");
    }

    #[test]
    fn bad_output_breaks_the_contract() {
        let mut h = Harness::<Probe>::new(r#"{"bad_output": true}"#).unwrap();
        let batch = build_batch(&[Input::new("a"), Input::new("b")]);
        let out = h.process_raw(&batch).unwrap();
        assert_eq!(out.source, [9]);
        assert!(
            check_output(&batch, &out)
                .unwrap_err()
                .contains("source[0] = 9")
        );
    }

    #[test]
    #[should_panic(expected = "trap in create")]
    fn trap_in_create() {
        let _ = Harness::<Probe>::new(r#"{"trap": "create"}"#);
    }

    #[test]
    #[should_panic(expected = "trap in process")]
    fn trap_in_process() {
        let _ = Harness::<Probe>::new(r#"{"trap": "process"}"#)
            .unwrap()
            .process(["a"]);
    }

    #[test]
    #[should_panic(expected = "trap in finish")]
    fn trap_in_finish() {
        let mut h = Harness::<Probe>::new(r#"{"trap": "finish"}"#).unwrap();
        assert_eq!(h.process(["a"]).unwrap().len(), 1);
        let _ = h.finish();
    }

    #[test]
    fn config_is_checked() {
        assert_eq!(
            config_error::<Probe>(r#"{"trap": "later"}"#).key.as_deref(),
            Some("trap")
        );
        assert_eq!(
            config_error::<Probe>(r#"{"repeat": -1}"#).key.as_deref(),
            Some("repeat")
        );
        assert_eq!(
            config_error::<Probe>(r#"{"loop": "yes"}"#).key.as_deref(),
            Some("loop")
        );
        assert_eq!(
            config_error::<Probe>(r#"{"boundary_safe": true}"#)
                .key
                .as_deref(),
            Some("boundary_safe")
        );
    }
}
