//! The read loop's tests: output independent of read sizes, empty input, a sink that stops.

use super::*;
use crate::format::OutputFormat;
use crate::lines::Lines;
use crate::sink::WriteSink;
use proptest::strategy::Just;

/// A reader that returns at most the next chunk size per read, cycling through `sizes`.
pub(crate) struct Trickle<'a> {
    data: &'a [u8],
    sizes: Vec<usize>,
    turn: usize,
}

impl Trickle<'_> {
    pub(crate) fn new<'a>(data: &'a [u8], sizes: &[usize]) -> Trickle<'a> {
        Trickle {
            data,
            sizes: sizes.to_vec(),
            turn: 0,
        }
    }
}

impl Read for Trickle<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let size = self.sizes[self.turn % self.sizes.len()];
        self.turn += 1;
        let n = size.min(out.len()).min(self.data.len());
        out[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// Runs `input` through an empty chain, read in chunks of `sizes`, by the line loop or
/// the bulk copy.
fn run(input: &[u8], sizes: &[usize], settings: Settings, bulk_copy: bool) -> Vec<u8> {
    let mut pipeline = Pipeline::new(Chain::new(Vec::new()), settings);
    let mut sink = WriteSink::new(OutputFormat::Raw, Vec::new());
    let mut rdr = Trickle::new(input, sizes);
    let mut reading = Reading::new(&Input::Stdin, &settings);
    if bulk_copy {
        let (flow, read) = pipeline
            .copy_input(&mut rdr, &Waiter::never_blocks(), &mut reading, &mut sink)
            .unwrap();
        assert!(flow.is_continue());
        read.unwrap();
    } else {
        loop {
            assert!(
                pipeline
                    .drain(&mut reading, &mut sink)
                    .unwrap()
                    .is_continue()
            );
            if reading.buffer.is_eof() {
                break;
            }
            reading.buffer.fill(&mut rdr).unwrap();
        }
    }
    sink.finish().unwrap();
    sink.into_inner()
}

fn small(cap: usize, overlap: usize) -> Settings {
    Settings {
        max_line_bytes: cap,
        boundary_overlap: overlap,
        max_batch_lines: 3,
        max_batch_bytes: 40,
        read_size: 7,
        ..Settings::default()
    }
}

#[test]
fn output_does_not_depend_on_how_reads_split_the_input() {
    let input: &[u8] =
        b"short\r\n\nexactly-ten\nthis line is well over the cap\r\nlone\rcr\n\xff\0tail";
    for (cap, overlap) in [(10, 0), (10, 3), (10, 9), (1, 0), (64, 16)] {
        for sizes in [&[1][..], &[2, 5], &[7], &[3, 1, 4, 1, 5]] {
            for bulk_copy in [false, true] {
                assert_eq!(
                    run(input, sizes, small(cap, overlap), bulk_copy),
                    input,
                    "cap {cap} overlap {overlap} reads {sizes:?} bulk {bulk_copy}"
                );
            }
        }
    }
}

#[test]
fn empty_input_gives_empty_output() {
    assert_eq!(run(b"", &[4], small(8, 2), false), b"");
    assert_eq!(run(b"", &[4], small(8, 2), true), b"");
}

/// Takes lines until it has `limit`, then says stop; counts what it was offered.
struct Head {
    limit: usize,
    taken: usize,
    finished: bool,
}

impl Sink for Head {
    fn unchanged(&mut self, _: &[u8], lines: &Lines) -> io::Result<bool> {
        self.changed(lines)
    }

    fn changed(&mut self, lines: &Lines) -> io::Result<bool> {
        self.taken += lines.len();
        Ok(self.taken < self.limit)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn mark(&mut self) -> u64 {
        0
    }

    fn acknowledged(&mut self) -> u64 {
        0
    }

    fn finish(&mut self) -> io::Result<()> {
        self.finished = true;
        Ok(())
    }
}

#[test]
fn a_sink_that_says_stop_ends_the_run_and_is_still_finished() {
    let settings = small(64, 16);
    let mut pipeline = Pipeline::new(Chain::new(Vec::new()), settings);
    let mut sink = Head {
        limit: 4,
        taken: 0,
        finished: false,
    };
    let mut reading = Reading::new(&Input::Stdin, &settings);
    let mut rdr = Trickle::new(b"1\n2\n3\n4\n5\n6\n7\n8\n9\n", &[100]);
    reading.buffer.fill(&mut rdr).unwrap();
    // Batches hold at most 3 lines: the sink stops in the second one.
    assert!(pipeline.drain(&mut reading, &mut sink).unwrap().is_break());
    assert_eq!(sink.taken, 6);
    assert_eq!(
        pipeline
            .settle(Ok(()), &mut sink)
            .map_err(|e| e.to_string()),
        Ok(())
    );
    assert!(sink.finished);
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config::with_cases(256))]

    /// Whatever the bytes (terminators, lone `\r`, NUL, no final newline), the line cap and
    /// the read sizes, an empty chain writes the input back byte for byte, by the line loop
    /// and by the bulk copy.
    #[test]
    fn any_input_read_any_way_comes_out_unchanged(
        input in proptest::collection::vec(
            proptest::prop_oneof![Just(b'\n'), Just(b'\r'), Just(0u8), proptest::num::u8::ANY],
            0..300,
        ),
        sizes in proptest::collection::vec(1usize..40, 1..5),
        cap in 1usize..48,
        overlap_share in 0usize..100,
        bulk_copy in proptest::bool::ANY,
    ) {
        let overlap = cap * overlap_share / 100;
        let out = run(&input, &sizes, small(cap, overlap.min(cap - 1)), bulk_copy);
        proptest::prop_assert_eq!(out, input);
    }
}
