//! Counts as bytes, for [`crate::Plugin::tally`] and [`crate::Plugin::absorb`]: a stage that
//! counts lines for its end-of-run report hands its counts to another instance with
//! [`encode`], and that instance adds them to its own with [`add`].

/// `counts` as bytes: each count as eight little-endian bytes, in order.
pub fn encode(counts: &[u64]) -> Vec<u8> {
    counts
        .iter()
        .flat_map(|count| count.to_le_bytes())
        .collect()
}

/// Adds the counts [`encode`] made `tally` of to `counts`, in order; an error, with nothing
/// added, when `tally` does not hold as many counts (a tally from another configuration).
pub fn add(tally: &[u8], counts: &mut [&mut u64]) -> Result<(), String> {
    if tally.len() != counts.len() * 8 {
        return Err(format!(
            "a tally of {} bytes, where {} counts of 8 bytes were expected",
            tally.len(),
            counts.len()
        ));
    }
    for (count, chunk) in counts.iter_mut().zip(tally.chunks_exact(8)) {
        let more = u64::from_le_bytes(chunk.try_into().expect("chunks of 8 bytes"));
        **count = count.saturating_add(more);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_added_in_order() {
        let (mut a, mut b) = (1, u64::MAX - 1);
        add(&encode(&[2, 5]), &mut [&mut a, &mut b]).unwrap();
        assert_eq!((a, b), (3, u64::MAX));
    }

    #[test]
    fn a_tally_of_the_wrong_length_is_an_error_and_adds_nothing() {
        let mut a = 1;
        let err = add(&encode(&[1, 2]), &mut [&mut a]).unwrap_err();
        assert_eq!(
            err,
            "a tally of 16 bytes, where 1 counts of 8 bytes were expected"
        );
        assert_eq!(a, 1);
    }
}
