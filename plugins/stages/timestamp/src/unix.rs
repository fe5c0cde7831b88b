//! Unix timestamps: a decimal number of seconds (possibly with a fraction), milliseconds,
//! microseconds or nanoseconds since the epoch.

/// The unit of a Unix timestamp.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Seconds, possibly with a fraction (`1717243200.123`).
    Seconds,
    /// Whole milliseconds.
    Millis,
    /// Whole microseconds.
    Micros,
    /// Whole nanoseconds.
    Nanos,
}

impl Unit {
    fn nanos(self) -> i64 {
        match self {
            Unit::Seconds => 1_000_000_000,
            Unit::Millis => 1_000_000,
            Unit::Micros => 1_000,
            Unit::Nanos => 1,
        }
    }

    /// Parses `value` into nanoseconds since the epoch: an optional sign, digits, and for
    /// seconds an optional fraction (digits past nanoseconds are ignored). `None` when it is
    /// anything else or does not fit 64 bits of nanoseconds.
    pub fn parse(self, value: &[u8]) -> Option<i64> {
        let (negative, digits) = match value.split_first() {
            Some((b'-', rest)) => (true, rest),
            Some((b'+', rest)) => (false, rest),
            _ => (false, value),
        };
        let (whole, fraction) = match self {
            Unit::Seconds => match digits.iter().position(|&b| b == b'.') {
                Some(dot) => (&digits[..dot], Some(&digits[dot + 1..])),
                None => (digits, None),
            },
            _ => (digits, None),
        };
        if whole.is_empty() && fraction.is_none_or(<[u8]>::is_empty) {
            return None;
        }
        let mut n: i64 = 0;
        for &b in whole {
            if !b.is_ascii_digit() {
                return None;
            }
            n = n.checked_mul(10)?.checked_add(i64::from(b - b'0'))?;
        }
        let mut nanos = n.checked_mul(self.nanos())?;
        if let Some(fraction) = fraction {
            let mut scale = 100_000_000;
            for &b in fraction {
                if !b.is_ascii_digit() {
                    return None;
                }
                nanos = nanos.checked_add(i64::from(b - b'0') * scale)?;
                scale /= 10;
            }
        }
        Some(if negative { -nanos } else { nanos })
    }
}

#[cfg(test)]
mod tests {
    use super::Unit;

    #[test]
    fn unix_values() {
        let p = |v: &str, unit: Unit| unit.parse(v.as_bytes());
        assert_eq!(
            p("1717243200", Unit::Seconds),
            Some(1_717_243_200_000_000_000)
        );
        assert_eq!(
            p("1717243200.5", Unit::Seconds),
            Some(1_717_243_200_500_000_000)
        );
        assert_eq!(p("1.0000000019", Unit::Seconds), Some(1_000_000_001));
        assert_eq!(p(".25", Unit::Seconds), Some(250_000_000));
        assert_eq!(p("-1.5", Unit::Seconds), Some(-1_500_000_000));
        assert_eq!(
            p("1717243200123", Unit::Millis),
            Some(1_717_243_200_123_000_000)
        );
        assert_eq!(
            p("1717243200123456", Unit::Micros),
            Some(1_717_243_200_123_456_000)
        );
        assert_eq!(p("42", Unit::Nanos), Some(42));
        for bad in ["", "-", ".", "1.5", "12a", " 1", "99999999999999999999"] {
            assert_eq!(p(bad, Unit::Millis), None, "{bad:?}");
        }
        assert_eq!(p("1e9", Unit::Seconds), None);
        assert_eq!(p("1.", Unit::Seconds), Some(1_000_000_000));
        assert_eq!(
            p("9999999999999", Unit::Seconds),
            None,
            "overflows i64 nanoseconds"
        );
    }
}
