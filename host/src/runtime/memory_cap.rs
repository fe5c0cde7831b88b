//! [`MemoryCap`]: the store's resource limiter. Everything a plugin can grow counts against
//! one cap (`--plugin-memory`): its linear memories, its tables, whose elements the host
//! stores (a table of ten million function references is 80 MB of the host's memory even
//! though no linear memory grew), and what the host holds at its request (the patterns it
//! compiled for it, see `matching`). The limiter remembers what hit the cap, so that the failed
//! call is reported as a cap hit naming what grew (a typed fact) rather than recognised in
//! wasmtime's message.

use wasmtime::ResourceLimiter;

/// What one table element costs the host: a pointer (a function or external reference).
pub const TABLE_ELEMENT_BYTES: usize = 8;

/// The most instances, tables and memories a store may hold. A component makes all of them
/// when it is instantiated (nothing in a running guest can make more), so this bounds only a
/// component's shape; these are wasmtime's defaults.
const MAX_OBJECTS: usize = 10_000;

/// What grew past the cap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grew {
    /// A linear memory.
    Memory,
    /// A table, to this many elements.
    Table { elements: usize },
}

/// Caps one store's memories and tables together at `limit_bytes`; growing past it traps.
pub(crate) struct MemoryCap {
    limit_bytes: usize,
    /// The bytes of the store's linear memories and of its tables' elements, as grown so far.
    /// Invariant: at most `limit_bytes` (a growth that would pass it is refused).
    memory_bytes: usize,
    table_bytes: usize,
    /// The bytes the host holds for the stage ([`MemoryCap::hold`]), under the same invariant.
    held_bytes: usize,
    /// What was refused at the cap, since the last [`MemoryCap::take_hit`]. Invariant: set
    /// only by a refused growth, which then also traps, so the call that hit the cap always
    /// fails and the mark is taken by its error.
    hit: Option<Grew>,
}

impl MemoryCap {
    /// A cap of `limit_bytes`.
    pub(crate) fn new(limit_bytes: usize) -> MemoryCap {
        MemoryCap {
            limit_bytes,
            memory_bytes: 0,
            table_bytes: 0,
            held_bytes: 0,
            hit: None,
        }
    }

    /// The cap, in bytes.
    pub(crate) fn limit_bytes(&self) -> usize {
        self.limit_bytes
    }

    /// Takes `bytes` of the cap for something the host keeps on the stage's behalf; false, with
    /// nothing taken, when that would pass the cap. (A refusal here is the host's answer to the
    /// plugin, not a trap, so it is not remembered as a hit.)
    pub(crate) fn hold(&mut self, bytes: usize) -> bool {
        let after = self.held_bytes.saturating_add(bytes);
        let total = after
            .saturating_add(self.memory_bytes)
            .saturating_add(self.table_bytes);
        if total > self.limit_bytes {
            return false;
        }
        self.held_bytes = after;
        true
    }

    /// Gives back `bytes` taken by [`MemoryCap::hold`].
    pub(crate) fn release(&mut self, bytes: usize) {
        self.held_bytes = self.held_bytes.saturating_sub(bytes);
    }

    /// What hit the cap since the last call, if anything; clears the mark.
    pub(crate) fn take_hit(&mut self) -> Option<Grew> {
        self.hit.take()
    }

    /// Whether growing something that holds `current` bytes to `desired` (within its own
    /// `maximum`, when it has one) fits under the cap beside `others` bytes; on a refusal at the
    /// cap, remembers `grew` and fails, which traps the guest.
    fn grow(
        &mut self,
        held: usize,
        others: usize,
        (current, desired): (usize, usize),
        within_maximum: bool,
        grew: Grew,
    ) -> wasmtime::Result<Option<usize>> {
        let after = held.saturating_sub(current).saturating_add(desired);
        if after.saturating_add(others) > self.limit_bytes {
            self.hit = Some(grew);
            wasmtime::bail!(
                "growing past the limit of {} bytes for this stage's memory and tables",
                self.limit_bytes
            );
        }
        Ok(within_maximum.then_some(after))
    }
}

impl ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let within = maximum.is_none_or(|max| desired <= max);
        let sizes = (current, desired);
        let grown = self.grow(
            self.memory_bytes,
            self.table_bytes + self.held_bytes,
            sizes,
            within,
            Grew::Memory,
        )?;
        if let Some(bytes) = grown {
            self.memory_bytes = bytes;
        }
        Ok(grown.is_some())
    }

    fn memory_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        Err(error)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let within = maximum.is_none_or(|max| desired <= max);
        let bytes = |elements: usize| elements.saturating_mul(TABLE_ELEMENT_BYTES);
        let sizes = (bytes(current), bytes(desired));
        let grew = Grew::Table { elements: desired };
        let others = self.memory_bytes + self.held_bytes;
        let grown = self.grow(self.table_bytes, others, sizes, within, grew)?;
        if let Some(bytes) = grown {
            self.table_bytes = bytes;
        }
        Ok(grown.is_some())
    }

    fn table_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        Err(error)
    }

    fn instances(&self) -> usize {
        MAX_OBJECTS
    }

    fn tables(&self) -> usize {
        MAX_OBJECTS
    }

    fn memories(&self) -> usize {
        MAX_OBJECTS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growth_past_the_cap_is_refused_and_remembered() {
        let mut cap = MemoryCap::new(1 << 20);
        assert!(matches!(cap.memory_growing(0, 1 << 20, None), Ok(true)));
        assert_eq!(cap.take_hit(), None);
        assert!(cap.memory_growing(1 << 20, 2 << 20, None).is_err());
        assert_eq!(cap.take_hit(), Some(Grew::Memory));
        assert_eq!(cap.take_hit(), None, "taking the mark clears it");
    }

    #[test]
    fn a_memory_s_own_maximum_is_not_the_cap() {
        let mut cap = MemoryCap::new(4 << 20);
        assert!(matches!(
            cap.memory_growing(0, 2 << 20, Some(1 << 20)),
            Ok(false)
        ));
        assert_eq!(cap.take_hit(), None);
    }

    /// Patterns the host compiled for the stage take their share of the cap from its memory.
    #[test]
    fn what_the_host_holds_shares_the_cap() {
        let mut cap = MemoryCap::new(1 << 20);
        assert!(cap.hold(768 << 10));
        assert!(!cap.hold(512 << 10), "past the cap");
        assert!(matches!(cap.memory_growing(0, 256 << 10, None), Ok(true)));
        assert!(
            cap.memory_growing(256 << 10, (256 << 10) + 1, None)
                .is_err()
        );
        assert_eq!(cap.take_hit(), Some(Grew::Memory));
        assert!(!cap.hold(1), "the memory took the rest");
        cap.release(768 << 10);
        assert!(cap.hold(768 << 10), "given back");
        assert_eq!(cap.take_hit(), None, "a refused hold is not a hit");
    }

    /// A table bomb: elements count as host memory, beside the linear memory, against one cap.
    #[test]
    fn tables_and_memories_share_the_cap() {
        let mut cap = MemoryCap::new(1 << 20);
        assert!(matches!(cap.memory_growing(0, 512 << 10, None), Ok(true)));
        let half = (512 << 10) / TABLE_ELEMENT_BYTES;
        assert!(matches!(cap.table_growing(0, half, None), Ok(true)));
        assert!(cap.table_growing(half, half + 1, None).is_err());
        assert_eq!(cap.take_hit(), Some(Grew::Table { elements: half + 1 }));
        assert!(
            cap.memory_growing(512 << 10, (512 << 10) + 1, None)
                .is_err()
        );
        assert_eq!(cap.take_hit(), Some(Grew::Memory));
        let mut bomb = MemoryCap::new(256 << 20);
        let mut elements = 0;
        while bomb
            .table_growing(elements, elements + 1_000_000, None)
            .is_ok()
        {
            elements += 1_000_000;
        }
        assert_eq!(
            elements, 33_000_000,
            "256 MiB holds 33.5M elements of 8 bytes"
        );
        assert!(matches!(bomb.take_hit(), Some(Grew::Table { .. })));
        assert!(
            matches!(
                bomb.table_growing(elements, elements + 1, Some(elements)),
                Ok(false)
            ),
            "a table's own maximum is not the cap"
        );
    }
}
