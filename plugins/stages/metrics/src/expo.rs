//! Writing the metrics in the Prometheus text exposition format (version 0.0.4), the format
//! node_exporter's textfile collector reads.
//!
//! Per metric family, in order of name: `# HELP name text` (when it has a description; `\`
//! and line feeds escaped as `\\` and `\n`), `# TYPE name counter|gauge|histogram`, then one
//! sample line per series, sorted by label values. A histogram's series is its cumulative
//! buckets `name_bucket{…,le="bound"}` in increasing order ending with `le="+Inf"` (which
//! equals the count), then `name_sum` and `name_count`. Labels come in configured order, `le`
//! last; a label whose value is empty is left out (Prometheus treats both alike). In label
//! values `\`, `"` and line feeds are escaped as `\\`, `\"` and `\n`; bytes that are not valid
//! UTF-8 are written as the text `\xNN` (so `\\xNN` in the file), keeping the file UTF-8.
//! Numbers are written in the shortest form that reads back exactly, `+Inf`, `-Inf` and `NaN`
//! as such. No timestamps (the textfile collector rejects them). Families without a series
//! (labelled metrics no line updated) are left out. Every line ends in `\n`.
//!
//! Two families of the stage's own follow when they have something to say, labelled with the
//! metric concerned: values that were not usable numbers, and updates dropped at
//! `max_series`.

use crate::series::{Family, Registry, State};
use crate::spec::Kind;
use std::fmt::Write;

/// The names of the stage's own metrics, which user metrics may not take.
pub(crate) const OWN_METRICS: [&str; 2] = [INVALID, DROPPED];

const INVALID: &str = "sluice_metrics_invalid_values_total";
const DROPPED: &str = "sluice_metrics_dropped_updates_total";

/// The whole exposition.
pub(crate) fn write(registry: &Registry) -> Vec<u8> {
    let mut out = String::new();
    for family in &registry.families {
        if family.series.is_empty() {
            continue;
        }
        write_family(family, &mut out);
    }
    write_own(
        registry,
        INVALID,
        "Values of a metric's source field that were not numbers (or were negative for a \
         counter), skipped.",
        |f| f.invalid,
        &mut out,
    );
    write_own(
        registry,
        DROPPED,
        "Updates that would have created a series beyond max_series, dropped.",
        |f| f.dropped,
        &mut out,
    );
    out.into_bytes()
}

fn write_family(family: &Family, out: &mut String) {
    let metric = &family.metric;
    let name = &metric.name;
    if let Some(help) = &metric.help {
        let _ = write!(out, "# HELP {name} ");
        for c in help.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                c => out.push(c),
            }
        }
        out.push('\n');
    }
    let kind = match metric.kind {
        Kind::Counter(_) => "counter",
        Kind::Gauge(_) => "gauge",
        Kind::Histogram(_) => "histogram",
    };
    let _ = writeln!(out, "# TYPE {name} {kind}");

    let mut series: Vec<_> = family.series.iter().collect();
    series.sort_by(|a, b| a.labels.cmp(&b.labels));
    for s in series {
        let labels: Vec<(&str, &[u8])> = metric
            .labels
            .iter()
            .zip(&s.labels)
            .filter(|(_, value)| !value.is_empty())
            .map(|(label, value)| (label.name.as_str(), value.as_slice()))
            .collect();
        match (&s.state, &metric.kind) {
            (State::Value(v), _) => sample(out, name, "", &labels, None, *v),
            (State::Histogram { counts, sum, count }, Kind::Histogram(bounds)) => {
                let mut cumulative = 0;
                for (i, n) in counts.iter().enumerate() {
                    cumulative += n;
                    let le = bounds.get(i).map_or_else(|| "+Inf".into(), |&b| float(b));
                    sample(out, name, "_bucket", &labels, Some(&le), cumulative as f64);
                }
                sample(out, name, "_sum", &labels, None, *sum);
                sample(out, name, "_count", &labels, None, *count as f64);
            }
            (State::Histogram { .. }, _) => {}
        }
    }
}

/// One of the stage's own counters, labelled by metric; nothing when every count is zero.
fn write_own(
    registry: &Registry,
    name: &str,
    help: &str,
    count: impl Fn(&Family) -> u64,
    out: &mut String,
) {
    if registry.families.iter().all(|f| count(f) == 0) {
        return;
    }
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} counter");
    for family in registry.families.iter().filter(|f| count(f) > 0) {
        let labels = [("metric", family.metric.name.as_bytes())];
        sample(out, name, "", &labels, None, count(family) as f64);
    }
}

/// Writes `name{labels,le="…"} value`.
fn sample(
    out: &mut String,
    name: &str,
    suffix: &str,
    labels: &[(&str, &[u8])],
    le: Option<&str>,
    value: f64,
) {
    out.push_str(name);
    out.push_str(suffix);
    if !labels.is_empty() || le.is_some() {
        out.push('{');
        for (i, (label, value)) in labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(label);
            out.push_str("=\"");
            label_value(value, out);
            out.push('"');
        }
        if let Some(le) = le {
            if !labels.is_empty() {
                out.push(',');
            }
            let _ = write!(out, "le=\"{le}\"");
        }
        out.push('}');
    }
    out.push(' ');
    out.push_str(&float(value));
    out.push('\n');
}

/// Writes a label value, escaped.
fn label_value(bytes: &[u8], out: &mut String) {
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '"' => out.push_str("\\\""),
                '\n' => out.push_str("\\n"),
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\\\x{b:02x}");
        }
    }
}

/// A number as Prometheus reads it: the shortest exact decimal, or `+Inf`, `-Inf`, `NaN`.
pub(crate) fn float(x: f64) -> String {
    if x.is_nan() {
        "NaN".into()
    } else if x.is_infinite() {
        if x > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        x.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats() {
        assert_eq!(float(3.0), "3");
        assert_eq!(float(0.005), "0.005");
        assert_eq!(float(-1.5), "-1.5");
        assert_eq!(float(1e-7), "0.0000001");
        assert_eq!(float(f64::INFINITY), "+Inf");
        assert_eq!(float(f64::NEG_INFINITY), "-Inf");
        assert_eq!(float(f64::NAN), "NaN");
        // Every form reads back exactly.
        for x in [0.1, 1.0 / 3.0, 123456789.125, 1e21, 5e-324] {
            assert_eq!(float(x).parse::<f64>().unwrap(), x);
        }
    }

    #[test]
    fn label_values_are_escaped() {
        let mut out = String::new();
        label_value(b"a\\b\"c\nd\re\x00 caf\xc3\xa9 \xff", &mut out);
        assert_eq!(out, "a\\\\b\\\"c\\nd\re\u{0} café \\\\xff");
    }
}
