//! Reading a field's value as a quantity: a plain number (`1656`, `-0.5`, `1e3`), a duration
//! (`918ms`, `1.5s`, Go's `1h2m3.5s`) or a size (`4KB`, `1.5 MiB`), so that stages that add or
//! compare values (`aggregate`, `drop`, `metrics`) understand what logs write.
//!
//! Durations are read in seconds and sizes in bytes, the base units Prometheus and
//! OpenTelemetry use:
//!
//! | unit | what | in base units |
//! |---|---|---|
//! | none | a number | itself |
//! | `ns`, `us` (`µs`), `ms`, `s`, `m`, `h`, `d` | a duration (lower case, as Go writes them); several may follow each other, largest first: `1m30s` | seconds |
//! | `B`, `KB`, `MB`, `GB`, `TB` | a size in powers of 1000 (any case: `kB`, `kb`) | bytes |
//! | `KiB`, `MiB`, `GiB`, `TiB` | a size in powers of 1024 (any case) | bytes |
//!
//! Spaces around the value, and between a number and its unit, are ignored. `m` is minutes,
//! never megabytes: a size always ends in `b` or `B`. Anything else (`12 apples`, `1,5`, `NaN`,
//! an overflow to infinity) is not a quantity.

/// What a quantity measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dimension {
    /// A plain number, without a unit.
    Number,
    /// A duration, in seconds.
    Duration,
    /// A size, in bytes.
    Size,
}

/// A value read as a number in its dimension's base unit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Quantity {
    /// The amount, in seconds for a duration, bytes for a size; always finite.
    pub amount: f64,
    /// What it measures.
    pub dimension: Dimension,
}

impl Quantity {
    /// Reads `value` (see the module docs); `None` when it is not a quantity.
    pub fn parse(value: &[u8]) -> Option<Quantity> {
        let text = std::str::from_utf8(value).ok()?.trim();
        let (negative, mut rest) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let mut amount = 0.0;
        let mut dimension = None;
        // The smallest duration unit so far: each next one must be smaller (`1m30s`).
        let mut last_seconds = f64::INFINITY;
        while !rest.is_empty() {
            let (number, after) = leading_number(rest, dimension.is_none())?;
            let after = after.trim_start();
            let unit_len = after
                .find(|c: char| c.is_ascii_digit() || c == '.' || c == ' ')
                .unwrap_or(after.len());
            let (unit, after) = after.split_at(unit_len);
            let (this, times, per) = unit_scale(unit)?;
            let scale = times / per;
            match (dimension, this) {
                (None, _) => dimension = Some(this),
                (Some(Dimension::Duration), Dimension::Duration) if scale < last_seconds => {}
                _ => return None,
            }
            if this == Dimension::Duration {
                last_seconds = scale;
            }
            // Dividing by an exact power of ten rounds once: `918ms` is the double nearest 0.918.
            amount += number * times / per;
            rest = after;
            if this != Dimension::Duration && !rest.is_empty() {
                return None;
            }
        }
        let amount = if negative { -amount } else { amount };
        (amount.is_finite()).then_some(Quantity {
            amount,
            dimension: dimension?,
        })
    }
}

/// The decimal number at the start of `text` (with an exponent when `exponent` is allowed),
/// and the rest.
fn leading_number(text: &str, exponent: bool) -> Option<(f64, &str)> {
    let bytes = text.as_bytes();
    let digits = |from: usize| {
        bytes[from..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let whole = digits(0);
    let mut end = whole;
    if bytes.get(end) == Some(&b'.') {
        end += 1 + digits(end + 1);
    }
    if whole == 0 && end <= 1 {
        return None;
    }
    if exponent && matches!(bytes.get(end), Some(b'e' | b'E')) {
        let mut at = end + 1;
        if matches!(bytes.get(at), Some(b'+' | b'-')) {
            at += 1;
        }
        let exponent_digits = digits(at);
        if exponent_digits > 0 {
            end = at + exponent_digits;
        }
    }
    let number: f64 = text[..end].parse().ok()?;
    Some((number, &text[end..]))
}

/// What `unit` measures and its size in base units, as `times / per` (each exact).
fn unit_scale(unit: &str) -> Option<(Dimension, f64, f64)> {
    let (times, per) = match unit {
        "" => return Some((Dimension::Number, 1.0, 1.0)),
        "ns" => (1.0, 1e9),
        "us" | "µs" | "μs" => (1.0, 1e6),
        "ms" => (1.0, 1e3),
        "s" => (1.0, 1.0),
        "m" => (60.0, 1.0),
        "h" => (3600.0, 1.0),
        "d" => (86400.0, 1.0),
        _ => {
            let size = match unit.to_ascii_lowercase().as_str() {
                "b" => 1.0,
                "kb" => 1e3,
                "mb" => 1e6,
                "gb" => 1e9,
                "tb" => 1e12,
                "kib" => 1024.0,
                "mib" => 1024.0 * 1024.0,
                "gib" => 1024.0 * 1024.0 * 1024.0,
                "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
                _ => return None,
            };
            return Some((Dimension::Size, size, 1.0));
        }
    };
    Some((Dimension::Duration, times, per))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Option<(f64, Dimension)> {
        Quantity::parse(text.as_bytes()).map(|q| (q.amount, q.dimension))
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1.0)
    }

    #[test]
    fn reads_numbers_durations_and_sizes() {
        use Dimension::*;
        for (text, amount, dimension) in [
            ("1656", 1656.0, Number),
            (" -0.5 ", -0.5, Number),
            ("1e3", 1000.0, Number),
            ("+2", 2.0, Number),
            (".5", 0.5, Number),
            ("918ms", 0.918, Duration),
            ("1.5s", 1.5, Duration),
            ("1.5 s", 1.5, Duration),
            ("250us", 0.00025, Duration),
            ("3µs", 0.000003, Duration),
            ("1h2m3.5s", 3723.5, Duration),
            ("1m30s", 90.0, Duration),
            ("-5ms", -0.005, Duration),
            ("2d", 172800.0, Duration),
            ("4KB", 4000.0, Size),
            ("4kb", 4000.0, Size),
            ("4KiB", 4096.0, Size),
            ("1.5 MiB", 1572864.0, Size),
            ("512B", 512.0, Size),
            ("2GB", 2e9, Size),
        ] {
            let (got, got_dimension) =
                read(text).unwrap_or_else(|| panic!("{text:?} is not a quantity"));
            assert!(close(got, amount), "{text:?}: {got} != {amount}");
            assert_eq!(got_dimension, dimension, "{text:?}");
        }
    }

    #[test]
    fn rejects_what_is_not_a_quantity() {
        for text in [
            "",
            " ",
            "-",
            ".",
            "ms",
            "12 apples",
            "1,5",
            "NaN",
            "inf",
            "1e999",
            "4M",
            "5S",
            "1s30m",
            "1s1s",
            "4KB2",
            "4KB 1s",
            "1.2.3",
            "\u{0}",
            "1s 2",
        ] {
            assert_eq!(read(text), None, "{text:?}");
        }
        assert_eq!(Quantity::parse(b"\xff1"), None);
    }
}
