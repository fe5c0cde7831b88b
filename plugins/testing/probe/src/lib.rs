//! `probe`: a plugin that misbehaves on request, for the host's tests. Not a built-in.
//!
//! Each key (all optional) turns on one behaviour; with none, every line passes through.
//!
//! | key | behaviour |
//! |---|---|
//! | `trap` | `"create"`, `"process"` or `"finish"`: panic there, which traps the wasm instance. |
//! | `loop` | `true`: loop forever in `process` (to test the host's timeouts). |
//! | `fail` | a message: `process` returns it as an error. |
//! | `bad_output` | `true`: bypass the SDK and answer `process` with a `source` naming an input line that does not exist. |
//! | `grow` | `true`: allocate memory without bound in `process` (to test memory limits). |
//! | `repeat` | n: output each line n times (0 drops every line). By default, 1. |
//! | `finish_lines` | lines that `finish` emits. |
//! | `tag` | append `\|` and the tag to every line this stage outputs (finish lines included), to observe chain order. |
//!
//! Since `describe` cannot depend on configuration, the probe is never boundary-safe.

use sluice_plugin_sdk::{
    Batch, BatchOutput, Config, ConfigError, ConfigKey, Line, Output, Plugin, Trailing,
    export_plugin,
};
use std::hint::black_box;

/// Where to trap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Trap {
    Process,
    Finish,
}

/// A probe stage.
pub struct Probe {
    trap: Option<Trap>,
    spin: bool,
    fail: Option<String>,
    bad_output: bool,
    grow: bool,
    repeat: u64,
    finish_lines: Vec<String>,
    /// `|` and the tag, or empty.
    suffix: Vec<u8>,
}

impl Probe {
    /// Emits `line` with the tag appended.
    fn write(&self, bytes: &[u8], out: &mut Output<'_>) {
        if self.suffix.is_empty() {
            out.keep();
        } else {
            out.emit_with(|buf| {
                buf.extend_from_slice(bytes);
                buf.extend_from_slice(&self.suffix);
            });
        }
    }
}

impl Plugin for Probe {
    const NAME: &'static str = "probe";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const SUMMARY: &'static str =
        "Misbehave on request (trap, loop, fail, bad output, grow) for host tests";
    const CONFIG_KEYS: &'static [ConfigKey] = &[
        ConfigKey::new("trap", "string", "create, process or finish: trap there."),
        ConfigKey::new("loop", "bool", "true: loop forever in process."),
        ConfigKey::new(
            "fail",
            "string",
            "A message that process returns as an error.",
        ),
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
        ConfigKey::new("tag", "string", "Append |tag to every line output."),
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
            spin: config.bool("loop")?.unwrap_or(false),
            fail: config.str("fail")?.map(str::to_owned),
            bad_output: config.bool("bad_output")?.unwrap_or(false),
            grow: config.bool("grow")?.unwrap_or(false),
            repeat: config.u64("repeat")?.unwrap_or(1),
            finish_lines,
            suffix,
        })
    }

    fn process(&mut self, line: &Line<'_>, out: &mut Output<'_>) {
        for _ in 0..self.repeat {
            self.write(line.bytes(), out);
        }
    }

    fn process_batch(&mut self, batch: &Batch<'_>, out: &mut BatchOutput) -> Result<(), String> {
        if self.trap == Some(Trap::Process) {
            panic!("probe: trap in process, as configured");
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
            return Err(message.clone());
        }
        if self.bad_output {
            out.unchecked_push_source(batch.len() as u32 + 7);
            return Ok(());
        }
        for line in batch.lines() {
            self.process(&line, &mut out.line(&line));
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut Trailing) -> Result<(), String> {
        if self.trap == Some(Trap::Finish) {
            panic!("probe: trap in finish, as configured");
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
