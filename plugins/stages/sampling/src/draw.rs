//! The number each line is judged by: a pseudo-random draw, or a seeded hash of its bytes.
//!
//! Both are small fixed functions written out here, not library calls, so that a decision never
//! changes under a dependency update and is the same on every platform (bytes are read as
//! little-endian words). Changing either function changes which lines a configuration keeps:
//! treat that as a breaking change.

use sluice_plugin_sdk::Line;

/// Where a line's number comes from.
#[derive(Debug)]
pub enum Draw {
    /// The next output of a SplitMix64 generator; `state` advances by one step per line.
    Position {
        /// The generator's state, advanced by [`GAMMA`] per line.
        state: u64,
    },
    /// A hash of the line's bytes.
    Line {
        /// The hash's seed.
        seed: u64,
    },
    /// A hash of a field's value.
    Field {
        /// The hash's seed.
        seed: u64,
        /// The field hashed.
        field: String,
    },
}

/// SplitMix64's increment (the golden ratio in fixed point).
const GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

impl Draw {
    /// Draws by position, from generator state `seed`.
    pub fn position(seed: u64) -> Draw {
        Draw::Position { state: seed }
    }

    /// Hashes each line's bytes with `seed`.
    pub fn line(seed: u64) -> Draw {
        Draw::Line { seed }
    }

    /// Hashes each line's value of `field` with `seed`.
    pub fn field(seed: u64, field: &str) -> Draw {
        Draw::Field {
            seed,
            field: field.to_owned(),
        }
    }

    /// The number of `line`, or `None` when it has none (it lacks the hashed field).
    #[inline]
    pub fn number(&mut self, line: &Line<'_>) -> Option<u64> {
        match self {
            Draw::Position { state } => {
                *state = state.wrapping_add(GAMMA);
                Some(mix(*state))
            }
            Draw::Line { seed } => Some(hash(*seed, line.bytes())),
            Draw::Field { seed, field } => line.field(field).map(|value| hash(*seed, value)),
        }
    }
}

/// SplitMix64's finaliser: a bijection of `u64` whose every output bit depends on every input
/// bit.
#[inline]
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A seeded 64-bit hash of `bytes`: eight bytes at a time, each word multiplied in, then
/// finalised with [`mix`]. Not cryptographic; uniform enough that `hash < rate × 2⁶⁴` holds for
/// a `rate` share of distinct inputs.
pub fn hash(seed: u64, bytes: &[u8]) -> u64 {
    let mut h = mix(seed ^ (bytes.len() as u64).wrapping_mul(GAMMA));
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let w = u64::from_le_bytes(word.try_into().expect("chunks of 8"));
        h = (h ^ w).wrapping_mul(0x9fb2_1c65_1e98_df25);
        h ^= h >> 29;
    }
    let rest = words.remainder();
    if !rest.is_empty() {
        let mut last = [0u8; 8];
        last[..rest.len()].copy_from_slice(rest);
        h = (h ^ u64::from_le_bytes(last)).wrapping_mul(0x9fb2_1c65_1e98_df25);
    }
    mix(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_matches_the_reference_sequence() {
        // The first outputs of SplitMix64 seeded with 0 (from the reference implementation).
        let mut state = 0u64;
        let mut next = || {
            state = state.wrapping_add(GAMMA);
            mix(state)
        };
        assert_eq!(next(), 0xe220_a839_7b1d_cdaf);
        assert_eq!(next(), 0x6e78_9e6a_a1b9_65f4);
        assert_eq!(next(), 0x06c4_5d18_8009_454f);
    }

    #[test]
    fn hash_depends_on_seed_length_and_every_byte() {
        let base = hash(0, b"GET /health 200");
        assert_eq!(base, hash(0, b"GET /health 200"));
        assert_ne!(base, hash(1, b"GET /health 200"));
        assert_ne!(base, hash(0, b"GET /health 201"));
        assert_ne!(base, hash(0, b"GET /health 200\0"));
        assert_ne!(hash(0, b""), hash(0, b"\0"));
        assert_ne!(hash(0, b"12345678"), hash(0, b"12345678\0"));
    }
}
