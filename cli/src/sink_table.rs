//! The `[sink]` table of a pipeline file: where the lines are shipped, as `--sink` and the
//! `--sink-*` options say it on the command line (which win over the table, key by key).
//!
//! ```toml
//! [sink]
//! kind = "otlp"
//! url = "http://otel-collector:4318"
//! tee = false          # also write standard output
//! retry_max = "300s"   # how long one batch is retried
//! drain_max = "10s"    # how long sluice waits for the receiver after SIGTERM
//!
//! [sink.resource]      # resource attributes of every record
//! "service.name" = "checkout"
//! "deployment.environment" = "production"
//! ```

use std::time::Duration;

use anyhow::{Result, bail};

use crate::args::{parse_duration, parse_sink};

/// The keys a `[sink]` table may hold.
const KEYS: [&str; 6] = ["kind", "url", "tee", "retry_max", "drain_max", "resource"];

/// A pipeline file's `[sink]` table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SinkTable {
    /// The receiver's URL (`kind = "otlp"`, the one kind).
    pub url: String,
    pub tee: Option<bool>,
    pub retry_max: Option<Duration>,
    pub drain_max: Option<Duration>,
    /// In the file's order.
    pub resource: Vec<(String, String)>,
}

/// Reads the `[sink]` table `value`; `shown` names the file in messages.
pub fn parse(value: &toml::Value, shown: &str) -> Result<SinkTable> {
    let toml::Value::Table(table) = value else {
        bail!("{shown}: `sink` must be a [sink] table");
    };
    if let Some(key) = table.keys().find(|key| !KEYS.contains(&key.as_str())) {
        let hint = crate::pipeline_file::near_miss(key, &KEYS)
            .map(|meant| format!("; did you mean `{meant}`?"))
            .unwrap_or_default();
        bail!(
            "{shown}: [sink]: unknown key `{key}` (it takes {}){hint}",
            KEYS.map(|k| format!("`{k}`")).join(", ")
        );
    }
    let text = |key: &str| match table.get(key) {
        None => Ok(None),
        Some(toml::Value::String(text)) => Ok(Some(text.as_str())),
        Some(_) => bail!("{shown}: [sink]: `{key}` must be a string"),
    };
    let duration = |key: &str| {
        text(key)?
            .map(|text| {
                parse_duration(text)
                    .map_err(|err| anyhow::anyhow!("{shown}: [sink]: `{key}`: {err}"))
            })
            .transpose()
    };
    let kind = text("kind")?.ok_or_else(|| {
        anyhow::anyhow!("{shown}: [sink]: missing `kind = \"otlp\"` (the one kind of sink)")
    })?;
    let url = text("url")?.ok_or_else(|| {
        anyhow::anyhow!("{shown}: [sink]: missing `url`, such as \"http://localhost:4318\"")
    })?;
    let url = parse_sink(&format!("{kind}={url}"))
        .map_err(|err| anyhow::anyhow!("{shown}: [sink]: {err}"))?;
    let tee = match table.get("tee") {
        None => None,
        Some(toml::Value::Boolean(tee)) => Some(*tee),
        Some(_) => bail!("{shown}: [sink]: `tee` must be true or false"),
    };
    let resource = match table.get("resource") {
        None => Vec::new(),
        Some(toml::Value::Table(attributes)) => attributes
            .iter()
            .map(|(key, value)| match value {
                toml::Value::String(value) => Ok((key.clone(), value.clone())),
                _ => bail!("{shown}: [sink.resource]: `{key}` must be a string"),
            })
            .collect::<Result<_>>()?,
        Some(_) => bail!("{shown}: [sink]: `resource` must be a [sink.resource] table"),
    };
    Ok(SinkTable {
        url,
        tee,
        retry_max: duration("retry_max")?,
        drain_max: duration("drain_max")?,
        resource,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Result<SinkTable> {
        let table: toml::Table = toml::from_str(text).unwrap();
        parse(&table["sink"], "p.toml")
    }

    #[test]
    fn every_key_is_read_and_the_resource_keeps_its_order() {
        let table = parse_text(
            "[sink]\nkind = 'otlp'\nurl = 'http://c:4318'\ntee = true\nretry_max = '30s'\n\
             drain_max = '500ms'\n[sink.resource]\n'service.name' = 'api'\nteam = 'core'\n",
        )
        .unwrap();
        assert_eq!(
            table,
            SinkTable {
                url: "http://c:4318".into(),
                tee: Some(true),
                retry_max: Some(Duration::from_secs(30)),
                drain_max: Some(Duration::from_millis(500)),
                resource: vec![
                    ("service.name".into(), "api".into()),
                    ("team".into(), "core".into())
                ],
            }
        );
    }

    #[test]
    fn mistakes_are_named_with_what_to_write() {
        let err = |text: &str| parse_text(text).unwrap_err().to_string();
        assert_eq!(
            err("[sink]\nurl = 'http://c'\n"),
            "p.toml: [sink]: missing `kind = \"otlp\"` (the one kind of sink)"
        );
        assert_eq!(
            err("[sink]\nkind = 'kafka'\nurl = 'http://c'\n"),
            "p.toml: [sink]: unknown sink `kafka`; the one sink is otlp=URL"
        );
        assert_eq!(
            err("[sink]\nkind = 'otlp'\nurl = 'c:4318'\n"),
            "p.toml: [sink]: `c:4318` is not an http:// or https:// URL"
        );
        assert_eq!(
            err("[sink]\nkind = 'otlp'\nurl = 'http://c'\nretrymax = '1s'\n"),
            "p.toml: [sink]: unknown key `retrymax` (it takes `kind`, `url`, `tee`, \
             `retry_max`, `drain_max`, `resource`); did you mean `retry_max`?"
        );
        assert_eq!(
            err("[sink]\nkind = 'otlp'\nurl = 'http://c'\ndrain_max = 'soon'\n"),
            "p.toml: [sink]: `drain_max`: `soon` is not a duration; expected e.g. 5s or 500ms"
        );
        assert_eq!(
            err("[sink]\nkind = 'otlp'\nurl = 'http://c'\n[sink.resource]\nport = 80\n"),
            "p.toml: [sink.resource]: `port` must be a string"
        );
    }
}
