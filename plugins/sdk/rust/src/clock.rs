//! The time, for plugins that need it: rate limits, ages, elapsed-time prefixes.
//!
//! In a wasm component these call the host's `sluice:plugin/clock` interface, which the
//! component then imports (`sluice inspect` shows it); a plugin that never calls them imports
//! nothing. Natively (in tests) they read the system clock, or the clock set with
//! [`crate::testing::set_clock`].

/// The wall-clock time now, in nanoseconds since 1970-01-01T00:00:00Z.
pub fn now() -> i64 {
    #[cfg(target_arch = "wasm32")]
    {
        crate::bindings::sluice::plugin::clock::now()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        if let Some((now, _)) = fake() {
            return now;
        }
        let since = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        since.as_nanos() as i64
    }
}

/// Nanoseconds since a point fixed for the run; never goes backwards.
pub fn monotonic() -> u64 {
    #[cfg(target_arch = "wasm32")]
    {
        crate::bindings::sluice::plugin::clock::monotonic()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        if let Some((_, monotonic)) = fake() {
            return monotonic;
        }
        static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
        START
            .get_or_init(std::time::Instant::now)
            .elapsed()
            .as_nanos() as u64
    }
}

#[cfg(not(target_arch = "wasm32"))]
thread_local! {
    static FAKE: std::cell::Cell<Option<(i64, u64)>> = const { std::cell::Cell::new(None) };
}

/// The clock set by [`crate::testing::set_clock`] on this thread.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn fake() -> Option<(i64, u64)> {
    FAKE.with(|f| f.get())
}

#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn set_fake(clock: Option<(i64, u64)>) {
    FAKE.with(|f| f.set(clock));
}

#[cfg(target_arch = "wasm32")]
pub(crate) fn fake() -> Option<(i64, u64)> {
    None
}

#[cfg(target_arch = "wasm32")]
pub(crate) fn set_fake(_: Option<(i64, u64)>) {}
