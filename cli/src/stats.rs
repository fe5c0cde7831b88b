//! `--stats`: what each stage did, printed on stderr at the end of the run, and on SIGUSR1
//! while it runs (as `dd` does), as a table for people or one JSON object for machines.
//!
//! The numbers are the host's counters ([`sluice_host::stats`], which says what each counts)
//! and, with a sink, what it shipped ([`OtlpCounter`]: records the receiver took, records sent
//! again after a retryable failure, records it rejected); this module only lays them out.

use std::io::{self, Write};
use std::time::Duration;

use indicatif::ProgressBar;
use serde_json::{Value, json};
use signal_hook::consts::SIGUSR1;
use signal_hook::iterator::Signals;
use sluice_host::stats::{Snapshot, StageRow, Stats};
use sluice_host::{OtlpCounter, OtlpCounts};

/// How the stats are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum StatsFormat {
    /// A table, for people.
    Table,
    /// One JSON object on one line, for machines.
    Json,
}

/// What the stats are taken from: the run's counters and the sink's, if any.
#[derive(Clone, Debug)]
pub struct Watched {
    pub stats: Stats,
    pub shipped: Option<OtlpCounter>,
}

/// Prints the stats of `watched` on stderr in `format` each time SIGUSR1 arrives, from a
/// thread of its own, for as long as the process runs; a progress `bar` is hidden meanwhile.
pub fn print_on_sigusr1(
    watched: Watched,
    format: StatsFormat,
    bar: Option<ProgressBar>,
) -> io::Result<()> {
    let mut signals = Signals::new([SIGUSR1])?;
    std::thread::Builder::new()
        .name("sluice-stats".into())
        .spawn(move || {
            for _ in signals.forever() {
                match &bar {
                    Some(bar) => bar.suspend(|| print(&watched, format)),
                    None => print(&watched, format),
                }
            }
        })?;
    Ok(())
}

/// Prints the stats of `watched` now on stderr in `format`, in one write so that other
/// diagnostics do not cut through it.
pub fn print(watched: &Watched, format: StatsFormat) {
    let snapshot = watched.stats.snapshot();
    let shipped = watched.shipped.as_ref().map(OtlpCounter::counts);
    let text = match format {
        StatsFormat::Table => {
            let mut text = table(&snapshot);
            if let Some(shipped) = &shipped {
                text.push_str(&shipped_line(shipped));
            }
            text
        }
        StatsFormat::Json => {
            let mut value = to_json(&snapshot);
            if let Some(shipped) = &shipped {
                value["sink"] = shipped_json(shipped);
            }
            format!("{value}\n")
        }
    };
    // Nothing to do about a stderr that cannot be written.
    let _ = io::stderr().lock().write_all(text.as_bytes());
}

const HEADERS: [&str; 10] = [
    "stage",
    "lines in",
    "lines out",
    "dropped",
    "emitted",
    "calls",
    "bytes in",
    "bytes out",
    "plugin time",
    "share",
];

/// The stats as a table: a line for the run, then a row per stage.
pub fn table(snapshot: &Snapshot) -> String {
    let elapsed = snapshot.elapsed.as_secs_f64();
    if !snapshot.lines_counted {
        return format!(
            "sluice: stats after {}: read {}, wrote {} (no stage: bytes are copied in bulk and \
             their lines not counted; --stats counts them)\n",
            duration(snapshot.elapsed),
            bytes(snapshot.bytes_read),
            bytes(snapshot.bytes_written),
        );
    }
    let mut text = format!(
        "sluice: stats after {}: read {} lines ({}), wrote {} lines ({}), {} lines/s\n",
        duration(snapshot.elapsed),
        grouped(snapshot.lines_read),
        bytes(snapshot.bytes_read),
        grouped(snapshot.lines_written),
        bytes(snapshot.bytes_written),
        grouped(rate(snapshot.lines_read, elapsed)),
    );
    if snapshot.stages.is_empty() {
        return text;
    }
    let rows: Vec<[String; 10]> = snapshot
        .stages
        .iter()
        .map(|row| {
            [
                row.label
                    .strip_prefix("stage ")
                    .unwrap_or(&row.label)
                    .to_owned(),
                grouped(row.lines_in),
                grouped(row.lines_out),
                grouped(row.dropped),
                grouped(row.emitted),
                grouped(row.calls),
                bytes(row.bytes_in),
                bytes(row.bytes_out),
                duration(row.plugin_time),
                format!("{:.1}%", share(row.plugin_time, snapshot.elapsed)),
            ]
        })
        .collect();
    let widths: Vec<usize> = (0..HEADERS.len())
        .map(|c| {
            let widest = rows.iter().map(|row| row[c].chars().count()).max();
            widest.unwrap_or(0).max(HEADERS[c].len())
        })
        .collect();
    let mut line = |cells: &[&str]| {
        let mut out = String::new();
        for (c, cell) in cells.iter().enumerate() {
            let pad = widths[c] - cell.chars().count();
            if c == 0 {
                out.push_str(cell);
                out.push_str(&" ".repeat(pad));
            } else {
                out.push_str("  ");
                out.push_str(&" ".repeat(pad));
                out.push_str(cell);
            }
        }
        text.push_str(out.trim_end());
        text.push('\n');
    };
    line(&HEADERS);
    for row in &rows {
        line(&row.each_ref().map(String::as_str));
    }
    text
}

/// What the sink shipped, as the table's last line.
fn shipped_line(shipped: &OtlpCounts) -> String {
    format!(
        "sink: the receiver took {} records, {} were sent again after a retryable failure, {} \
         rejected\n",
        grouped(shipped.sent),
        grouped(shipped.retried),
        grouped(shipped.rejected)
    )
}

/// What the sink shipped, as the `sink` object of the JSON stats.
fn shipped_json(shipped: &OtlpCounts) -> Value {
    json!({
        "kind": "otlp",
        "records_sent": shipped.sent,
        "records_retried": shipped.retried,
        "records_rejected": shipped.rejected,
    })
}

/// The stats as one JSON object.
pub fn to_json(snapshot: &Snapshot) -> Value {
    let elapsed = snapshot.elapsed.as_secs_f64();
    // Lines copied in bulk without counting them: null, not a wrong number.
    let lines = |n: u64| snapshot.lines_counted.then_some(n);
    json!({
        "elapsed_seconds": elapsed,
        "lines_read": lines(snapshot.lines_read),
        "bytes_read": snapshot.bytes_read,
        "lines_written": lines(snapshot.lines_written),
        "bytes_written": snapshot.bytes_written,
        "lines_per_second": lines(rate(snapshot.lines_read, elapsed)),
        "stages": snapshot.stages.iter().map(|row| stage_json(row, snapshot.elapsed)).collect::<Vec<_>>(),
    })
}

fn stage_json(row: &StageRow, elapsed: Duration) -> Value {
    // `stage N (origin)`: the position has no space, the origin may have anything.
    let (position, plugin) = row
        .label
        .strip_prefix("stage ")
        .and_then(|rest| rest.split_once(" ("))
        .map(|(position, rest)| (position, rest.strip_suffix(')').unwrap_or(rest)))
        .unwrap_or((&row.label, ""));
    json!({
        "stage": position,
        "plugin": plugin,
        "lines_in": row.lines_in,
        "lines_out": row.lines_out,
        "dropped": row.dropped,
        "emitted": row.emitted,
        "calls": row.calls,
        "bytes_in": row.bytes_in,
        "bytes_out": row.bytes_out,
        "plugin_seconds": row.plugin_time.as_secs_f64(),
        "share": share(row.plugin_time, elapsed) / 100.0,
        "failures": row.failures,
    })
}

/// `part` as a percentage of `whole`.
fn share(part: Duration, whole: Duration) -> f64 {
    if whole.is_zero() {
        return 0.0;
    }
    100.0 * part.as_secs_f64() / whole.as_secs_f64()
}

/// Lines per second, rounded down.
fn rate(lines: u64, seconds: f64) -> u64 {
    if seconds > 0.0 {
        (lines as f64 / seconds) as u64
    } else {
        0
    }
}

/// `1,234,567`: digits in groups of three, for the table.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// `812 B`, `4.0 KiB`, `1.5 MiB`, `2.3 GiB`.
fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// `850 µs`, `12.3 ms`, `4.56 s`.
fn duration(d: Duration) -> String {
    let micros = d.as_micros();
    if micros < 1000 {
        format!("{micros} µs")
    } else if micros < 1_000_000 {
        format!("{:.1} ms", d.as_secs_f64() * 1e3)
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot() -> Snapshot {
        Snapshot {
            elapsed: Duration::from_millis(2000),
            lines_read: 10,
            bytes_read: 2048,
            lines_written: 4,
            bytes_written: 100,
            lines_counted: true,
            stages: vec![StageRow {
                label: "stage 1.2 (./my (odd) plugin.wasm)".into(),
                lines_in: 10,
                lines_out: 4,
                dropped: 6,
                emitted: 0,
                calls: 2,
                bytes_in: 2000,
                bytes_out: 90,
                plugin_time: Duration::from_millis(500),
                failures: 0,
            }],
        }
    }

    #[test]
    fn the_table_has_a_run_line_and_aligned_rows() {
        let text = table(&snapshot());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "sluice: stats after 2.00 s: read 10 lines (2.0 KiB), wrote 4 lines (100 B), 5 lines/s"
        );
        assert!(lines[1].starts_with("stage "), "{text}");
        assert!(
            lines[2].starts_with("1.2 (./my (odd) plugin.wasm)"),
            "{text}"
        );
        assert!(lines[2].ends_with("500.0 ms  25.0%"), "{text}");
        // Right-aligned: every number column ends where its header does.
        assert_eq!(lines[1].len(), lines[2].chars().count(), "{text}");
    }

    #[test]
    fn json_names_the_stage_and_its_plugin() {
        let value = to_json(&snapshot());
        assert_eq!(value["stages"][0]["stage"], "1.2");
        assert_eq!(value["stages"][0]["plugin"], "./my (odd) plugin.wasm");
        assert_eq!(value["stages"][0]["share"], 0.25);
        assert_eq!(value["lines_per_second"], 5);
    }

    #[test]
    fn lines_copied_in_bulk_and_not_counted_are_not_shown_as_zero() {
        let uncounted = Snapshot {
            lines_counted: false,
            stages: Vec::new(),
            ..snapshot()
        };
        assert!(table(&uncounted).contains("read 2.0 KiB, wrote 100 B (no stage"));
        assert!(to_json(&uncounted)["lines_read"].is_null());
    }

    #[test]
    fn sizes_and_times_read_naturally() {
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(3 << 30), "3.0 GiB");
        assert_eq!(duration(Duration::from_micros(850)), "850 µs");
        assert_eq!(duration(Duration::from_micros(12_345)), "12.3 ms");
        assert_eq!(duration(Duration::from_millis(4560)), "4.56 s");
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(508_669), "508,669");
        assert_eq!(grouped(1_428_660), "1,428,660");
    }
}
