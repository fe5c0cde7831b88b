//! Reading the configuration: the columns from `group_by` and `select`, the layout, the
//! timing. Every check happens here, once, with an error naming the key at fault.

use crate::DEFAULT_MAX_GROUPS;
use crate::groups::Groups;
use crate::render::{Column, Format, Layout, Source};
use crate::select::{self, Agg, Item};
use sluice_plugin_sdk::{Config, ConfigError};
use std::time::Duration;

/// What the configuration asks for.
pub(crate) struct Settings {
    pub(crate) groups: Groups,
    pub(crate) layout: Layout,
    pub(crate) pass: bool,
    pub(crate) interval: Option<Duration>,
    pub(crate) reset: bool,
}

/// Reads and checks the configuration.
pub(crate) fn parse(config: &Config) -> Result<Settings, ConfigError> {
    let group_by = group_by(config)?;
    let items = select_items(config)?;

    // The columns: group_by fields not placed by a bare name, then the select items.
    let mut columns = Vec::new();
    let mut aggs = Vec::new();
    for (i, field) in group_by.iter().enumerate() {
        if !items.iter().any(|item| *item == Item::Bare(field.clone())) {
            columns.push(Column {
                name: field.clone(),
                source: Source::Group(i),
            });
        }
    }
    for item in &items {
        let source = match item {
            Item::Bare(field) => match group_by.iter().position(|g| g == field) {
                Some(i) => Source::Group(i),
                None => {
                    aggs.push(Agg::Last(field.clone()));
                    Source::Agg(aggs.len() - 1)
                }
            },
            Item::Agg(agg, _) => {
                aggs.push(agg.clone());
                Source::Agg(aggs.len() - 1)
            }
        };
        let name = item.name().to_owned();
        if columns.iter().any(|c: &Column| c.name == name) {
            return Err(ConfigError::new(
                "select",
                format!("the column {name:?} appears twice; list each column once"),
            ));
        }
        columns.push(Column { name, source });
    }

    let format = match config.one_of("format", &["table", "json"])? {
        Some("json") => Format::Json,
        _ => Format::Table,
    };
    let order_by = match config.str("order_by")? {
        None => None,
        Some(text) => {
            let name = select::parse(text)
                .map(|item| item.name().to_owned())
                .unwrap_or_else(|_| text.trim().to_owned());
            let Some(c) = columns.iter().position(|c| c.name == name) else {
                let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
                return Err(ConfigError::new(
                    "order_by",
                    format!(
                        "{text:?} is not a column; the columns are: {}",
                        names.join(", ")
                    ),
                ));
            };
            Some(c)
        }
    };
    let descending = match config.one_of("order", &["desc", "asc"])? {
        Some(_) if order_by.is_none() => {
            return Err(ConfigError::new(
                "order",
                "only applies with \"order_by\"; name the column to sort by",
            ));
        }
        Some(order) => order == "desc",
        None => true,
    };
    let limit = match config.u64("limit")? {
        Some(0) => {
            return Err(ConfigError::new(
                "limit",
                "must be at least 1 (leave it out to print every row)",
            ));
        }
        limit => limit.map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
    };
    let interval = config.duration("interval")?;
    if interval.is_some_and(|d| d.is_zero()) {
        return Err(ConfigError::new(
            "interval",
            "must be longer than zero, such as \"10s\"",
        ));
    }
    let reset = config.bool("reset")?.unwrap_or(false);
    if reset && interval.is_none() {
        return Err(ConfigError::new(
            "reset",
            "only applies with \"interval\"; set an interval such as \"1m\"",
        ));
    }
    let max_groups = match config.u64("max_groups")?.unwrap_or(DEFAULT_MAX_GROUPS) {
        0 => {
            return Err(ConfigError::new("max_groups", "must be at least 1"));
        }
        n => usize::try_from(n).unwrap_or(usize::MAX),
    };

    Ok(Settings {
        groups: Groups::new(group_by, aggs, max_groups),
        layout: Layout {
            columns,
            format,
            order_by: order_by.map(|c| (c, descending)),
            limit,
        },
        pass: config.bool("pass")?.unwrap_or(false),
        interval,
        reset,
    })
}

/// The `group_by` fields.
fn group_by(config: &Config) -> Result<Vec<String>, ConfigError> {
    let fields = config.string_or_strings("group_by")?.unwrap_or_default();
    let mut out: Vec<String> = Vec::with_capacity(fields.len());
    for field in fields {
        let field = field.trim();
        if field.is_empty() {
            return Err(ConfigError::new("group_by", "holds an empty field name"));
        }
        if out.iter().any(|f| f == field) {
            return Err(ConfigError::new(
                "group_by",
                format!("names {field:?} twice"),
            ));
        }
        out.push(field.to_owned());
    }
    Ok(out)
}

/// The `select` items; a single string is split at commas.
fn select_items(config: &Config) -> Result<Vec<Item>, ConfigError> {
    let texts: Vec<&str> = match config.str("select") {
        Ok(Some(text)) => text.split(',').collect(),
        _ => config.strings("select")?.unwrap_or_else(|| vec!["count"]),
    };
    if texts.is_empty() {
        return Err(ConfigError::new(
            "select",
            "is empty; list at least one column, such as [\"count\"]",
        ));
    }
    texts
        .iter()
        .enumerate()
        .map(|(i, text)| {
            select::parse(text)
                .map_err(|e| ConfigError::new("select", format!("item {} {text:?}: {e}", i + 1)))
        })
        .collect()
}
