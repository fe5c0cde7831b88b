//! Token buckets, one for all lines or one per value of a field.
//!
//! A bucket is kept as the *generic cell rate algorithm* keeps it: one number, the theoretical
//! arrival time `tat` of the next line on the monotonic clock (nanoseconds). A line may pass
//! at `now` when `tat - now` is at most the *tolerance*, `(burst - 1)` intervals; passing moves
//! `tat` one interval later. This is exactly a bucket of `burst` tokens refilled at `rate`
//! tokens per second, starting full, in integer arithmetic: no drift, no floating point.

use sluice_plugin_sdk::Line;
use std::collections::BTreeMap;

/// The rate: one token every `interval` nanoseconds, `burst` tokens at most.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Rate {
    /// Nanoseconds per token (0 for rates above a token per nanosecond: no limit).
    interval: u64,
    /// How far ahead of `now` a bucket's `tat` may be for a line to pass:
    /// `(burst - 1) * interval`.
    tolerance: u64,
}

impl Rate {
    /// `per_second` tokens per second (> 0), `burst` tokens at most (>= 1).
    pub(crate) fn new(per_second: f64, burst: u64) -> Rate {
        let interval = (1e9 / per_second).round() as u64;
        Rate {
            interval,
            tolerance: interval.saturating_mul(burst.saturating_sub(1)),
        }
    }
}

/// One token bucket.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Bucket {
    /// When the next line would pass if lines came exactly at the rate (ns, monotonic). A
    /// bucket whose `tat` is not after `now` is full.
    tat: u64,
}

impl Bucket {
    /// Takes a token at `now`, or says how many nanoseconds until one is there.
    pub(crate) fn take(&mut self, rate: &Rate, now: u64) -> Result<(), u64> {
        let tat = self.tat.max(now);
        let ahead = tat - now;
        if ahead <= rate.tolerance {
            self.tat = tat.saturating_add(rate.interval);
            Ok(())
        } else {
            Err(ahead - rate.tolerance)
        }
    }

    /// Takes a token even when there is none: the lines after wait for it.
    pub(crate) fn force(&mut self, rate: &Rate, now: u64) {
        self.tat = self.tat.max(now).saturating_add(rate.interval);
    }

    /// How many nanoseconds until a token is there (0: now).
    pub(crate) fn wait(&self, rate: &Rate, now: u64) -> u64 {
        self.tat.saturating_sub(now).saturating_sub(rate.tolerance)
    }
}

/// The buckets of a stage.
#[derive(Debug)]
pub(crate) enum Buckets {
    /// One bucket for every line.
    One(Bucket),
    /// One bucket per value of a field; lines without the field are not limited.
    ByField {
        field: String,
        /// The most buckets kept.
        max: usize,
        buckets: BTreeMap<Vec<u8>, Bucket>,
    },
}

impl Buckets {
    /// The bucket of a line whose fields are looked up with `field_of`, created full when
    /// new; `None` when the line is not limited.
    pub(crate) fn of<'v>(
        &mut self,
        field_of: impl FnOnce(&str) -> Option<&'v [u8]>,
        now: u64,
    ) -> Option<&mut Bucket> {
        match self {
            Buckets::One(bucket) => Some(bucket),
            Buckets::ByField {
                field,
                max,
                buckets,
            } => {
                let value = field_of(field)?;
                if !buckets.contains_key(value) {
                    if buckets.len() >= *max {
                        forget_some(buckets, *max, now);
                    }
                    buckets.insert(value.to_vec(), Bucket::default());
                }
                buckets.get_mut(value)
            }
        }
    }

    /// The bucket of `line`.
    pub(crate) fn of_line(&mut self, line: &Line<'_>, now: u64) -> Option<&mut Bucket> {
        self.of(|key| line.field(key), now)
    }
}

/// Makes room for a bucket: forgets the full ones (a new bucket is the same), and if none is,
/// about an eighth of them, those closest to full.
fn forget_some(buckets: &mut BTreeMap<Vec<u8>, Bucket>, max: usize, now: u64) {
    buckets.retain(|_, b| b.tat > now);
    if buckets.len() < max {
        return;
    }
    let mut tats: Vec<u64> = buckets.values().map(|b| b.tat).collect();
    let k = tats.len() / 8;
    let (_, &mut threshold, _) = tats.select_nth_unstable(k);
    buckets.retain(|_, b| b.tat > threshold);
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    #[test]
    fn a_full_bucket_lets_a_burst_through_then_one_line_per_interval() {
        let rate = Rate::new(10.0, 3); // a token every 100 ms, 3 at most
        let mut b = Bucket::default();
        let now = 5_000 * MS;
        assert_eq!(b.take(&rate, now), Ok(()));
        assert_eq!(b.take(&rate, now), Ok(()));
        assert_eq!(b.take(&rate, now), Ok(()));
        assert_eq!(b.take(&rate, now), Err(100 * MS));
        assert_eq!(b.wait(&rate, now + 40 * MS), 60 * MS);
        assert_eq!(b.take(&rate, now + 100 * MS), Ok(()));
        assert_eq!(b.take(&rate, now + 150 * MS), Err(50 * MS));
        // Idle for a long time: full again, but never more than the burst.
        for _ in 0..3 {
            assert_eq!(b.take(&rate, now + 10_000 * MS), Ok(()));
        }
        assert!(b.take(&rate, now + 10_000 * MS).is_err());
    }

    #[test]
    fn forcing_goes_into_debt() {
        let rate = Rate::new(1.0, 1);
        let mut b = Bucket::default();
        b.force(&rate, 0);
        b.force(&rate, 0);
        assert_eq!(b.take(&rate, 0), Err(2_000 * MS));
        assert_eq!(b.take(&rate, 2_000 * MS), Ok(()));
    }

    #[test]
    fn fractional_rates() {
        let rate = Rate::new(0.5, 1); // one line every 2 s
        let mut b = Bucket::default();
        assert!(b.take(&rate, 0).is_ok());
        assert_eq!(b.take(&rate, 1_999 * MS), Err(MS));
        assert!(b.take(&rate, 2_000 * MS).is_ok());
    }

    #[test]
    fn by_field_forgets_full_buckets_first_then_those_closest_to_full() {
        let rate = Rate::new(1.0, 1);
        let mut buckets = Buckets::ByField {
            field: "svc".into(),
            max: 16,
            buckets: BTreeMap::new(),
        };
        let names: Vec<String> = (0..40).map(|n| format!("svc-{n}")).collect();
        for (n, name) in names.iter().enumerate() {
            let now = n as u64 * 10 * MS;
            let bucket = buckets.of(|_| Some(name.as_bytes()), now).unwrap();
            assert!(bucket.take(&rate, now).is_ok(), "a new value starts full");
        }
        let Buckets::ByField { buckets: map, .. } = &buckets else {
            unreachable!()
        };
        assert!(map.len() <= 16);
        assert!(map.contains_key(&b"svc-39"[..]), "the newest is kept");
        assert!(!map.contains_key(&b"svc-0"[..]), "the oldest is forgotten");
        assert!(buckets.of(|_| None, 0).is_none(), "no field: not limited");
    }
}
