//! `output`: replaces each line with the value of one of its fields, as Promtail's `output`
//! stage does.
//!
//! ```text
//! {"user":"alexis","message":"hello, world!"}   (fields: user=alexis, message=hello, world!)
//! hello, world!                                 (same fields)
//! ```
//!
//! A line without the field passes unchanged. The new line keeps the line's fields and
//! timestamp; with `keep_field: false` the field it was made from is removed. The value's
//! bytes are written as they are (not necessarily UTF-8).
//!
//! # Over-long lines
//!
//! A line cut into pieces has its fields on its last piece, which arrives after the earlier
//! pieces have gone on unchanged: replacing only the last piece would glue the value to the
//! start of the old line. So every piece of an over-long line passes unchanged, fields
//! included, as if the line had no such field.

use sluice_plugin_sdk::{
    Config, ConfigError, ConfigKey, Line, LongLine, Output, Piece, Plugin, export_plugin,
};

/// An output stage.
pub struct OutputStage {
    /// The field whose value becomes the line.
    source: String,
    /// Whether the new line keeps that field.
    keep_field: bool,
    /// Whether the previous line was a partial piece: the current one belongs to it.
    long_line: LongLine,
}

impl Plugin for OutputStage {
    const STATE: sluice_plugin_sdk::State = sluice_plugin_sdk::State::None;
    const NAME: &'static str = "output";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const SUMMARY: &'static str = "Replace each line with the value of a field";
    const CONFIG_KEYS: &'static [ConfigKey] = &[
        ConfigKey::new(
            "source",
            "string",
            "The field whose value becomes the line (required); lines without it pass \
             unchanged.",
        ),
        ConfigKey::new(
            "keep_field",
            "bool",
            "Whether the new line keeps the field it was made from.",
        )
        .default("true"),
    ];

    fn new(config: Config) -> Result<Self, ConfigError> {
        let source = config.required_str("source")?;
        if source.is_empty() {
            return Err(ConfigError::new("source", "a field name cannot be empty"));
        }
        Ok(OutputStage {
            source: source.to_owned(),
            keep_field: config.bool("keep_field")?.unwrap_or(true),
            long_line: LongLine::new(),
        })
    }

    #[inline]
    fn process(&mut self, line: &Line<'_>, out: &mut Output<'_>) {
        let piece = self.long_line.next(line) != Piece::Whole;
        match line.field(&self.source) {
            Some(value) if !piece => {
                if value == line.bytes() {
                    out.keep();
                } else {
                    out.emit(value);
                }
                if !self.keep_field {
                    out.remove_field(&self.source);
                }
            }
            _ => out.keep(),
        }
    }
}

export_plugin!(OutputStage);

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_plugin_sdk::testing::{Emitted, Harness, Input, config_error, describe};

    fn run(config: &str, inputs: Vec<Input>) -> Vec<Emitted> {
        Harness::<OutputStage>::new(config)
            .unwrap()
            .process(inputs)
            .unwrap()
    }

    fn json_line() -> Input {
        Input::new(r#"{"user": "alexis", "message": "hello, world!"}"#)
            .field("user", "alexis")
            .field("message", "hello, world!")
            .timestamp(1_717_243_200_000_000_000)
    }

    #[test]
    fn replaces_the_line_with_the_field_and_keeps_fields_and_timestamp() {
        let out = run(r#"{"source": "message"}"#, vec![json_line()]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].text(), "hello, world!");
        assert!(out[0].rewritten);
        assert_eq!(out[0].field_str("message"), Some("hello, world!"));
        assert_eq!(out[0].field_str("user"), Some("alexis"));
        assert_eq!(out[0].timestamp, Some(1_717_243_200_000_000_000));
    }

    #[test]
    fn keep_field_false_removes_the_field() {
        let out = run(
            r#"{"source": "message", "keep_field": false}"#,
            vec![json_line(), Input::new("no field").field("user", "bob")],
        );
        assert_eq!(out[0].text(), "hello, world!");
        assert_eq!(out[0].field("message"), None);
        assert_eq!(out[0].field_str("user"), Some("alexis"));
        // Without the field, nothing changes.
        assert_eq!(out[1].text(), "no field");
        assert_eq!(out[1].field_str("user"), Some("bob"));
    }

    #[test]
    fn lines_without_the_field_pass_unchanged() {
        let inputs = vec![
            Input::new("10.0.0.1 - - [01/Jun/2024:12:00:00 +0000] \"GET / HTTP/1.1\" 200 612"),
            Input::new(""),
            Input::new(b"nul\0cr\r\xff").field("msg", "not the source"),
        ];
        let out = run(r#"{"source": "message"}"#, inputs.clone());
        assert_eq!(out.len(), 3);
        for (input, line) in inputs.iter().zip(&out) {
            assert_eq!(line.bytes, input.bytes);
            assert!(!line.rewritten);
            assert_eq!(line.fields, input.fields);
        }
    }

    #[test]
    fn values_are_bytes_empty_or_not_utf8() {
        let out = run(
            r#"{"source": "log"}"#,
            vec![
                Input::new("docker json").field("log", b"caf\xe9\0\rend"),
                Input::new("whole line").field("log", ""),
                Input::new(b"\xff same").field("log", b"\xff same"),
            ],
        );
        assert_eq!(out[0].bytes, b"caf\xe9\0\rend");
        assert_eq!(out[1].bytes, b"");
        assert!(out[1].rewritten);
        assert_eq!(out[2].bytes, b"\xff same");
        assert!(
            !out[2].rewritten,
            "a value equal to the line is kept, not copied"
        );
    }

    #[test]
    fn pieces_of_an_over_long_line_pass_unchanged_across_batches() {
        let mut stage =
            Harness::<OutputStage>::new(r#"{"source": "msg", "keep_field": false}"#).unwrap();
        let first = stage
            .process([
                Input::new("short").field("msg", "S"),
                Input::new("{\"msg\":\"aaaa").partial(),
            ])
            .unwrap();
        let second = stage
            .process([
                Input::new("aaaa").partial().field("msg", "x"),
                Input::new("aa\"}").field("msg", "aaaaaaaaaa"),
                Input::new("after").field("msg", "A"),
            ])
            .unwrap();
        let text: Vec<String> = first.iter().chain(&second).map(Emitted::text).collect();
        assert_eq!(text, ["S", "{\"msg\":\"aaaa", "aaaa", "aa\"}", "A"]);
        assert_eq!(
            second[1].field_str("msg"),
            Some("aaaaaaaaaa"),
            "left as it was"
        );
        assert_eq!(second[2].field("msg"), None);
    }

    #[test]
    fn config_errors_name_the_key() {
        assert_eq!(
            config_error::<OutputStage>("{}").key.as_deref(),
            Some("source")
        );
        assert_eq!(
            config_error::<OutputStage>(r#"{"source": ""}"#)
                .key
                .as_deref(),
            Some("source")
        );
        assert_eq!(
            config_error::<OutputStage>(r#"{"source": "m", "keep_field": "no"}"#)
                .key
                .as_deref(),
            Some("keep_field")
        );
        assert_eq!(
            config_error::<OutputStage>(r#"{"source": "m", "field": "x"}"#)
                .key
                .as_deref(),
            Some("field")
        );
    }

    #[test]
    fn several_lines_in_one_batch_each_get_their_own_value() {
        let out = run(
            r#"{"source": "msg"}"#,
            (0..5)
                .map(|i| Input::new(format!("level=info msg=m{i}")).field("msg", format!("m{i}")))
                .collect(),
        );
        let text: Vec<String> = out.iter().map(Emitted::text).collect();
        assert_eq!(text, ["m0", "m1", "m2", "m3", "m4"]);
    }

    #[test]
    fn describes_its_keys() {
        let info = describe::<OutputStage>();
        assert_eq!(info.name, "output");
        let keys: Vec<_> = info
            .config_keys
            .iter()
            .map(|k| (k.name.as_str(), k.default.as_deref()))
            .collect();
        assert_eq!(keys, [("source", None), ("keep_field", Some("true"))]);
    }
}
