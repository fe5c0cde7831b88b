//! [`MemoryCap`]: the store's resource limiter, which caps a stage's memory and remembers
//! when the cap refused to grow it, so that the failed call is reported as a memory cap hit
//! (a typed fact) rather than recognised in wasmtime's message.

use wasmtime::{ResourceLimiter, StoreLimits, StoreLimitsBuilder};

/// Caps one store's linear memory at `limit_bytes`; growing past it traps.
pub(crate) struct MemoryCap {
    limits: StoreLimits,
    limit_bytes: usize,
    /// True once a growth past `limit_bytes` was refused; cleared by [`MemoryCap::take_hit`].
    /// Invariant: set only by `memory_growing`, which then also makes the growth trap, so the
    /// call that hit the cap always fails and the mark is taken by its error.
    hit: bool,
}

impl MemoryCap {
    /// A cap of `limit_bytes`.
    pub(crate) fn new(limit_bytes: usize) -> MemoryCap {
        MemoryCap {
            limits: StoreLimitsBuilder::new()
                .memory_size(limit_bytes)
                .trap_on_grow_failure(true)
                .build(),
            limit_bytes,
            hit: false,
        }
    }

    /// The cap, in bytes.
    pub(crate) fn limit_bytes(&self) -> usize {
        self.limit_bytes
    }

    /// True when a growth was refused since the last call; clears the mark.
    pub(crate) fn take_hit(&mut self) -> bool {
        std::mem::take(&mut self.hit)
    }
}

impl ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = self.limits.memory_growing(current, desired, maximum);
        if desired > self.limit_bytes && !matches!(allowed, Ok(true)) {
            self.hit = true;
        }
        allowed
    }

    fn memory_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.limits.memory_grow_failed(error)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.limits.table_growing(current, desired, maximum)
    }

    fn table_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.limits.table_grow_failed(error)
    }

    fn instances(&self) -> usize {
        self.limits.instances()
    }

    fn tables(&self) -> usize {
        self.limits.tables()
    }

    fn memories(&self) -> usize {
        self.limits.memories()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growth_past_the_cap_is_refused_and_remembered() {
        let mut cap = MemoryCap::new(1 << 20);
        assert!(matches!(cap.memory_growing(0, 1 << 20, None), Ok(true)));
        assert!(!cap.take_hit());
        assert!(cap.memory_growing(1 << 20, 2 << 20, None).is_err());
        assert!(cap.take_hit());
        assert!(!cap.take_hit(), "taking the mark clears it");
    }

    #[test]
    fn a_memory_s_own_maximum_is_not_the_cap() {
        let mut cap = MemoryCap::new(4 << 20);
        assert!(matches!(
            cap.memory_growing(0, 2 << 20, Some(1 << 20)),
            Ok(false) | Err(_)
        ));
        assert!(!cap.take_hit());
    }
}
