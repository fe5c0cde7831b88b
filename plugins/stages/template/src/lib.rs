//! `template`: builds each line, or a field, from a Jinja template (minijinja), as Promtail's
//! `template` stage does with Go templates.
//!
//! ```text
//! {"level":"warn","msg":"disk 91% full"}        (fields: level=warn, msg=disk 91% full)
//! {"template": "{{ level|upper }}: {{ msg }}"}
//! WARN: disk 91% full
//! ```
//!
//! The template sees each field of the line by name (values are strings, invalid UTF-8
//! replaced by U+FFFD, or numbers when a stage typed them: `context.rs`), `line` (the line as text), `timestamp` (RFC 3339, or none), `source`
//! (the file read, `-` for standard input) and `fields` (every field, for names a built-in
//! shadows or that are not identifiers: `fields["http.status"]`). A missing field renders as
//! an empty string; `{{ x|default("-") }}` chooses another text.
//!
//! - this file: the stage; the template is compiled once, when the stage is created, and a
//!   syntax error is a config error naming `template`, with minijinja's message and position.
//! - `context.rs`: the context object, filled from each line without allocating.
//!
//! With `target`, the result becomes that field and the line passes unchanged; otherwise it
//! becomes the line (fields and timestamp kept). A line whose rendering fails (`{{ 1 / 0 }}`,
//! a filter given the wrong type) is left unchanged; failures are counted and reported at the
//! end.
//!
//! # Over-long lines
//!
//! The pieces of a line cut into pieces pass unchanged: the template would need the whole
//! line. With `target`, the template is rendered at the last piece, where the line's fields
//! are, with `line` undefined (the line's bytes went by in pieces).

mod context;

use context::Contexts;
use minijinja::{AutoEscape, Environment, ErrorKind, UndefinedBehavior};
use sluice_plugin_sdk::{
    Batch, BatchOutput, Config, ConfigError, ConfigKey, Line, LongLine, Output, Piece, Plugin,
    Trailing, export_plugin,
};

/// The name the template is stored under in the environment.
const NAME: &str = "template";

/// A template stage.
pub struct TemplateStage {
    /// Holds the compiled template, under [`NAME`].
    env: Environment<'static>,
    /// The template's text, to point at errors in it.
    source: String,
    /// The field the result goes to; `None` for the line.
    target: Option<String>,
    contexts: Contexts,
    /// The result of the latest render for `target`, reused.
    rendered: Vec<u8>,
    /// Whether the previous line was a partial piece: the current one continues it.
    long_line: LongLine,
    /// Lines whose rendering failed, and the first error.
    failures: u64,
    first_failure: Option<String>,
    /// Whether the user named a report destination: then a report is made even with no failure.
    always_report: bool,
}

impl TemplateStage {
    fn render_line(&mut self, line: &Line<'_>, out: &mut Output<'_>, source: &str) {
        let piece = self.long_line.next(line) != Piece::Whole;
        if line.is_partial() || (piece && self.target.is_none()) {
            out.keep();
            return;
        }
        let context = self.contexts.for_line(line, !piece, source);
        let Ok(template) = self.env.get_template(NAME) else {
            out.keep();
            return;
        };
        let result = match &self.target {
            None => out.emit_with(|buf| {
                let result = template.render_captured_to(&context, &mut *buf).map(drop);
                if result.is_err() {
                    buf.truncate(0);
                    buf.extend_from_slice(line.bytes());
                }
                result
            }),
            Some(target) => {
                self.rendered.clear();
                let result = template
                    .render_captured_to(&context, &mut self.rendered)
                    .map(drop);
                out.keep();
                if result.is_ok() {
                    out.set_field(target, &self.rendered);
                }
                result
            }
        };
        drop(context);
        if let Err(e) = result {
            self.failures += 1;
            if self.first_failure.is_none() {
                self.first_failure = Some(describe_error(&self.source, &e));
            }
        }
    }
}

/// minijinja's error as one line: kind, detail, and where in `source` (the template) it is.
fn describe_error(source: &str, e: &minijinja::Error) -> String {
    let mut text = match e.detail() {
        Some(detail) => format!("{}: {detail}", e.kind()),
        None => e.kind().to_string(),
    };
    if let Some(line) = e.line() {
        text.push_str(&format!(" at line {line}"));
        if let Some(range) = e.range() {
            let start = range.start.min(source.len());
            let start = (0..=start)
                .rev()
                .find(|&i| source.is_char_boundary(i))
                .unwrap_or(0);
            let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
            let column = source[line_start..start].chars().count() + 1;
            text.push_str(&format!(", column {column}"));
        }
    }
    text
}

/// Renders the template once on an empty line, so that a misspelt filter, test or function
/// is a config error rather than a failure on every line. (minijinja resolves names when it
/// renders; a name in a branch this render does not take is only found on the lines that
/// take it.)
fn check_names(env: &Environment<'_>, source: &str) -> Result<(), ConfigError> {
    let template = env
        .get_template(NAME)
        .map_err(|e| ConfigError::new("template", describe_error(source, &e)))?;
    match template.render_captured_to(Contexts::empty(), std::io::sink()) {
        Err(e)
            if matches!(
                e.kind(),
                ErrorKind::UnknownFilter
                    | ErrorKind::UnknownTest
                    | ErrorKind::UnknownFunction
                    | ErrorKind::UnknownMethod
            ) =>
        {
            Err(ConfigError::new("template", describe_error(source, &e)))
        }
        _ => Ok(()),
    }
}

impl Plugin for TemplateStage {
    // The whole stream: the report at the end counts every failure.
    const STATE: sluice_plugin_sdk::State = sluice_plugin_sdk::State::WholeStream;
    const NAME: &'static str = "template";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const SUMMARY: &'static str = "Build the line or a field from a Jinja template (minijinja)";
    const CONFIG_KEYS: &'static [ConfigKey] = &[
        ConfigKey::new(
            "template",
            "string",
            "The template (required), in minijinja's Jinja2 syntax: {{ level|upper }}: {{ msg }}. \
             It sees every field by name (as strings), line, timestamp, source and fields.",
        ),
        ConfigKey::new(
            "target",
            "string",
            "Write the result to this field instead of replacing the line.",
        ),
        ConfigKey::REPORT,
    ];

    fn new(config: Config) -> Result<Self, ConfigError> {
        let source = config.required_str("template")?;
        let target = match config.str("target")? {
            Some("") => return Err(ConfigError::new("target", "a field name cannot be empty")),
            other => other.map(str::to_owned),
        };
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| AutoEscape::None);
        env.set_undefined_behavior(UndefinedBehavior::Lenient);
        env.add_template_owned(NAME, source.to_owned())
            .map_err(|e| ConfigError::new("template", describe_error(source, &e)))?;
        check_names(&env, source)?;
        Ok(TemplateStage {
            env,
            source: source.to_owned(),
            target,
            contexts: Contexts::default(),
            rendered: Vec::new(),
            long_line: LongLine::new(),
            failures: 0,
            first_failure: None,
            always_report: config.report().is_some(),
        })
    }

    fn process(&mut self, line: &Line<'_>, out: &mut Output<'_>) {
        self.render_line(line, out, "");
    }

    fn process_batch(&mut self, batch: &Batch<'_>, out: &mut BatchOutput) -> Result<(), String> {
        for line in batch.lines() {
            self.render_line(&line, &mut out.line(&line), batch.source());
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut Trailing) -> Result<(), String> {
        if self.failures > 0 || self.always_report {
            let mut text = format!(
                "{} line(s) failed to render and were left unchanged",
                self.failures
            );
            if let Some(first) = &self.first_failure {
                text.push_str(&format!("; first error: {first}"));
            }
            text.push('\n');
            out.report(text.into_bytes());
        }
        Ok(())
    }
}

export_plugin!(TemplateStage);

#[cfg(test)]
mod tests;
