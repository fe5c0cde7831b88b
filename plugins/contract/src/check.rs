//! The rules of a batch, an output and emitted lines: every index in range and in order, so
//! that [`resolve`](crate::resolve) and the views' accessors never index out of bounds.
//!
//! Each check returns the first broken rule, in the order the host has always checked them
//! (its messages name one rule, and which one is part of the CLI's output).

use crate::violation::LineList;
use crate::{BatchView, EmittedView, OutputView, Violation, check_fields};

/// Checks the host's batch: `data` and the line count fit `u32` offsets; `ends` does not
/// decrease nor pass `len(data)`, and its last entry is `len(data)`; `partial` is ascending
/// and names lines; the fields table and the timestamps are well formed for the batch's lines.
///
/// Does not look for a key twice on one line, which the host never sends (it resolves every
/// answer first): that would cost a comparison per pair of fields on every line of every
/// batch, in the plugin's hot path.
pub fn check_batch(batch: &BatchView<'_>) -> Result<(), Violation> {
    let lines = batch.ends.len();
    if u32::try_from(lines).is_err() || u32::try_from(batch.data.len()).is_err() {
        return Err(Violation::BatchTooLarge {
            lines,
            bytes: batch.data.len(),
        });
    }
    let last = check_ends(batch.ends, batch.data.len())?;
    if last as usize != batch.data.len() {
        return Err(Violation::DataAfterLastLine {
            last,
            data_len: batch.data.len(),
        });
    }
    let mut previous = None;
    for (k, &line) in batch.partial.iter().enumerate() {
        if line as usize >= lines {
            return Err(Violation::PartialOutOfRange { k, line, lines });
        }
        if previous.is_some_and(|p| line <= p) {
            return Err(Violation::PartialNotAscending { k, line });
        }
        previous = Some(line);
    }
    check_fields(&batch.fields, lines)?;
    check_timestamps(batch.timestamps, lines)
}

/// Checks a stage's answer to a batch of `input_lines` lines: `source` names input lines and
/// does not decrease; `rewritten` and `ends` have one length; `rewritten` is ascending and
/// names output lines; `ends` does not decrease nor pass `len(data)` (bytes after the last end
/// are allowed, and unused); `detached` is ascending and a subset of `rewritten`; `removed`
/// names output lines and does not decrease (a line may lose several keys); then the
/// timestamps and the fields table are well formed for the output lines.
pub fn check_output(output: &OutputView<'_>, input_lines: usize) -> Result<(), Violation> {
    let mut previous = 0;
    for (j, &source) in output.source.iter().enumerate() {
        if source as usize >= input_lines {
            return Err(Violation::SourceOutOfRange {
                j,
                source,
                lines: input_lines,
            });
        }
        if source < previous {
            return Err(Violation::SourceOutOfOrder {
                j,
                source,
                previous,
            });
        }
        previous = source;
    }
    let lines = output.source.len();
    if output.ends.len() != output.rewritten.len() {
        return Err(Violation::EndsCount {
            rewritten: output.rewritten.len(),
            ends: output.ends.len(),
        });
    }
    let mut previous = None;
    for (k, &line) in output.rewritten.iter().enumerate() {
        if line as usize >= lines {
            return Err(Violation::RewrittenOutOfRange { k, line, lines });
        }
        if previous.is_some_and(|p| line <= p) {
            return Err(Violation::RewrittenNotAscending { k, line });
        }
        previous = Some(line);
    }
    check_ends(output.ends, output.data.len())?;
    let mut rewritten = output.rewritten.iter().peekable();
    let mut previous = None;
    for (k, &line) in output.detached.iter().enumerate() {
        if previous.is_some_and(|p| line <= p) {
            return Err(Violation::DetachedNotAscending { k, line });
        }
        previous = Some(line);
        while rewritten.next_if(|&&r| r < line).is_some() {}
        if rewritten.peek() != Some(&&line) {
            return Err(Violation::DetachedNotRewritten { k, line });
        }
    }
    let mut previous = 0;
    for (k, &(line, _)) in output.removed.iter().enumerate() {
        if line as usize >= lines {
            return Err(Violation::RemovedOutOfRange { k, line, lines });
        }
        if line < previous {
            return Err(Violation::RemovedOutOfOrder { k, line, lines });
        }
        previous = line;
    }
    check_timestamps(output.timestamps, lines)?;
    check_fields(&output.fields, lines)
}

/// Checks what `tick` or `finish` returned: `ends` does not decrease nor pass `len(data)`
/// (bytes after the last end are allowed, and unused), then the fields table and the
/// timestamps are well formed for the emitted lines.
pub fn check_emitted(emitted: &EmittedView<'_>) -> Result<(), Violation> {
    check_ends(emitted.ends, emitted.data.len())?;
    check_fields(&emitted.fields, emitted.ends.len())?;
    check_timestamps(emitted.timestamps, emitted.ends.len())
}

/// Checks that `timestamps` names lines below `lines`, each at most once, in ascending order.
pub fn check_timestamps(timestamps: &[(u32, i64)], lines: usize) -> Result<(), Violation> {
    let mut previous = None;
    for (k, &(line, _)) in timestamps.iter().enumerate() {
        if line as usize >= lines {
            return Err(Violation::TimestampOutOfRange { k, line, lines });
        }
        if previous.is_some_and(|p| line <= p) {
            return Err(Violation::TimestampNotAscending { k, line });
        }
        previous = Some(line);
    }
    Ok(())
}

/// Checks a batch's `terminators` (one per line of `batch`, which passed [`check_batch`]):
/// there is one per line, and every partial piece's is the `none` terminator (`is_none` says
/// which one that is, as the host and the SDK each have their own type for it).
pub fn check_batch_terminators<T>(
    terminators: &[T],
    is_none: impl Fn(&T) -> bool,
    batch: &BatchView<'_>,
) -> Result<(), Violation> {
    if terminators.len() != batch.len() {
        return Err(Violation::TerminatorsCount {
            terminators: terminators.len(),
            lines: batch.len(),
        });
    }
    match batch
        .partial
        .iter()
        .find(|&&line| !is_none(&terminators[line as usize]))
    {
        Some(&line) => Err(Violation::PartialTerminated { line }),
        None => Ok(()),
    }
}

/// Checks an answer's `terminators` or `sources` (as `list` says): each entry names a line
/// below `lines`, at most once, in ascending order.
pub fn check_line_entries<T>(
    list: LineList,
    entries: &[(u32, T)],
    lines: usize,
) -> Result<(), Violation> {
    let mut previous = None;
    for (k, &(line, _)) in entries.iter().enumerate() {
        if line as usize >= lines {
            return Err(Violation::LineEntryOutOfRange {
                list,
                k,
                line,
                lines,
            });
        }
        if previous.is_some_and(|p| line <= p) {
            return Err(Violation::LineEntryNotAscending { list, k, line });
        }
        previous = Some(line);
    }
    Ok(())
}

/// Checks that `ends` does not decrease nor pass `data_len`; returns the last end (0 when
/// there is none).
fn check_ends(ends: &[u32], data_len: usize) -> Result<u32, Violation> {
    let mut previous = 0;
    for (k, &end) in ends.iter().enumerate() {
        if end < previous {
            return Err(Violation::EndsDecrease {
                k,
                end,
                previous,
                data_len,
            });
        }
        if end as usize > data_len {
            return Err(Violation::EndPastData { k, end, data_len });
        }
        previous = end;
    }
    Ok(previous)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FieldsView;

    const NAMES: &[String] = &[];

    fn batch<'a>(data: &'a [u8], ends: &'a [u32]) -> BatchView<'a> {
        BatchView {
            data,
            ends,
            ..BatchView::default()
        }
    }

    /// Output lines [a (line 0), b (line 1), x (line 1, new bytes, detached)], with a field
    /// removed, one set and a timestamp.
    fn output<'a>(names: &'a [String], removed: &'a [(u32, String)]) -> OutputView<'a> {
        OutputView {
            source: &[0, 1, 1],
            rewritten: &[2],
            data: b"x",
            ends: &[1],
            detached: &[2],
            removed,
            fields: FieldsView {
                names,
                line: &[0],
                name: &[0],
                values: b"v",
                value_ends: &[1],
            },
            timestamps: &[(1, 5)],
        }
    }

    fn names() -> Vec<String> {
        vec!["k".into()]
    }

    fn removed() -> Vec<(u32, String)> {
        vec![(0, "k".into())]
    }

    #[test]
    fn well_formed_batch_passes() {
        let b = BatchView {
            partial: &[1],
            timestamps: &[(0, 1), (1, -1)],
            ..batch(b"abc", &[1, 3])
        };
        assert_eq!(check_batch(&b), Ok(()));
        assert_eq!(check_batch(&BatchView::default()), Ok(()));
    }

    #[test]
    fn batch_ends_go_backwards() {
        assert_eq!(
            check_batch(&batch(b"ab", &[2, 1])),
            Err(Violation::EndsDecrease {
                k: 1,
                end: 1,
                previous: 2,
                data_len: 2
            })
        );
    }

    #[test]
    fn batch_end_past_the_data() {
        assert_eq!(
            check_batch(&batch(b"ab", &[1, 3])),
            Err(Violation::EndPastData {
                k: 1,
                end: 3,
                data_len: 2
            })
        );
    }

    /// The host sends exactly the lines' bytes (its `Lines` invariant), and the SDK hands
    /// `data` whole to plugins: bytes after the last line would belong to no line.
    #[test]
    fn batch_data_after_the_last_line() {
        assert_eq!(
            check_batch(&batch(b"abc", &[1, 2])),
            Err(Violation::DataAfterLastLine {
                last: 2,
                data_len: 3
            })
        );
        assert_eq!(
            check_batch(&batch(b"a", &[])),
            Err(Violation::DataAfterLastLine {
                last: 0,
                data_len: 1
            })
        );
    }

    #[test]
    fn batch_partial_past_the_last_line() {
        let b = BatchView {
            partial: &[2],
            ..batch(b"ab", &[1, 2])
        };
        assert_eq!(
            check_batch(&b),
            Err(Violation::PartialOutOfRange {
                k: 0,
                line: 2,
                lines: 2
            })
        );
    }

    #[test]
    fn batch_partial_repeated_or_backwards() {
        for partial in [&[1, 0][..], &[1, 1]] {
            let b = BatchView {
                partial,
                ..batch(b"ab", &[1, 2])
            };
            assert_eq!(
                check_batch(&b),
                Err(Violation::PartialNotAscending {
                    k: 1,
                    line: partial[1]
                })
            );
        }
    }

    #[test]
    fn batch_fields_and_timestamps_are_checked() {
        let names = names();
        let b = BatchView {
            fields: FieldsView {
                names: &names,
                line: &[2],
                name: &[0],
                values: b"v",
                value_ends: &[1],
            },
            ..batch(b"ab", &[1, 2])
        };
        assert!(matches!(
            check_batch(&b),
            Err(Violation::FieldLineOutOfRange { .. })
        ));
        let b = BatchView {
            timestamps: &[(1, 0), (0, 0)],
            ..batch(b"ab", &[1, 2])
        };
        assert!(matches!(
            check_batch(&b),
            Err(Violation::TimestampNotAscending { k: 1, line: 0 })
        ));
    }

    #[test]
    fn well_formed_output_passes() {
        let (names, removed) = (names(), removed());
        assert_eq!(check_output(&output(&names, &removed), 2), Ok(()));
        assert_eq!(check_output(&OutputView::default(), 0), Ok(()));
    }

    #[test]
    fn output_source_past_the_input() {
        let o = OutputView {
            source: &[0, 5],
            ..OutputView::default()
        };
        assert_eq!(
            check_output(&o, 3),
            Err(Violation::SourceOutOfRange {
                j: 1,
                source: 5,
                lines: 3
            })
        );
    }

    #[test]
    fn output_source_goes_backwards() {
        let o = OutputView {
            source: &[2, 1],
            ..OutputView::default()
        };
        assert_eq!(
            check_output(&o, 3),
            Err(Violation::SourceOutOfOrder {
                j: 1,
                source: 1,
                previous: 2
            })
        );
    }

    #[test]
    fn output_one_end_per_rewritten_line() {
        let (names, removed) = (names(), removed());
        let o = OutputView {
            ends: &[],
            ..output(&names, &removed)
        };
        assert_eq!(
            check_output(&o, 2),
            Err(Violation::EndsCount {
                rewritten: 1,
                ends: 0
            })
        );
    }

    #[test]
    fn output_rewritten_past_the_output() {
        let (names, removed) = (names(), removed());
        let o = OutputView {
            rewritten: &[3],
            ..output(&names, &removed)
        };
        assert_eq!(
            check_output(&o, 2),
            Err(Violation::RewrittenOutOfRange {
                k: 0,
                line: 3,
                lines: 3
            })
        );
    }

    #[test]
    fn output_rewritten_repeated() {
        let o = OutputView {
            source: &[0, 0],
            rewritten: &[1, 1],
            data: b"ab",
            ends: &[1, 2],
            ..OutputView::default()
        };
        assert_eq!(
            check_output(&o, 1),
            Err(Violation::RewrittenNotAscending { k: 1, line: 1 })
        );
    }

    #[test]
    fn output_ends_go_backwards() {
        let o = OutputView {
            source: &[0, 0],
            rewritten: &[0, 1],
            data: b"ab",
            ends: &[2, 1],
            ..OutputView::default()
        };
        assert!(matches!(
            check_output(&o, 1),
            Err(Violation::EndsDecrease { k: 1, .. })
        ));
    }

    #[test]
    fn output_end_past_the_data() {
        let (names, removed) = (names(), removed());
        let o = OutputView {
            ends: &[2],
            ..output(&names, &removed)
        };
        assert_eq!(
            check_output(&o, 2),
            Err(Violation::EndPastData {
                k: 0,
                end: 2,
                data_len: 1
            })
        );
    }

    /// The WIT does not say the last end is `len(data)` for an output: the host reads only the
    /// ranges, so unused bytes after them are harmless.
    #[test]
    fn output_unused_data_after_the_last_end_passes() {
        let (names, removed) = (names(), removed());
        let o = OutputView {
            data: b"x and more",
            ..output(&names, &removed)
        };
        assert_eq!(check_output(&o, 2), Ok(()));
    }

    #[test]
    fn output_detached_repeated() {
        let o = OutputView {
            source: &[0, 0],
            rewritten: &[0, 1],
            data: b"ab",
            ends: &[1, 2],
            detached: &[1, 1],
            ..OutputView::default()
        };
        assert_eq!(
            check_output(&o, 1),
            Err(Violation::DetachedNotAscending { k: 1, line: 1 })
        );
    }

    #[test]
    fn output_detached_line_not_rewritten() {
        let (names, removed) = (names(), removed());
        let o = OutputView {
            detached: &[0],
            ..output(&names, &removed)
        };
        assert_eq!(
            check_output(&o, 2),
            Err(Violation::DetachedNotRewritten { k: 0, line: 0 })
        );
        let o = OutputView {
            detached: &[2, 3],
            ..output(&names, &removed)
        };
        assert_eq!(
            check_output(&o, 2),
            Err(Violation::DetachedNotRewritten { k: 1, line: 3 })
        );
    }

    #[test]
    fn output_removed_past_the_output() {
        let names = names();
        let removed = vec![(3, "k".to_string())];
        assert_eq!(
            check_output(&output(&names, &removed), 2),
            Err(Violation::RemovedOutOfRange {
                k: 0,
                line: 3,
                lines: 3
            })
        );
    }

    #[test]
    fn output_removed_goes_backwards() {
        let names = names();
        let removed = vec![(1, "k".to_string()), (0, "k".to_string())];
        assert_eq!(
            check_output(&output(&names, &removed), 2),
            Err(Violation::RemovedOutOfOrder {
                k: 1,
                line: 0,
                lines: 3
            })
        );
    }

    /// The WIT's `removed` is "by ascending j", one entry per key: a line may lose several.
    #[test]
    fn output_several_keys_removed_from_one_line_pass() {
        let names = names();
        let removed = vec![(1, "a".to_string()), (1, "b".to_string())];
        assert_eq!(check_output(&output(&names, &removed), 2), Ok(()));
    }

    #[test]
    fn output_timestamp_past_the_output() {
        let (names, removed) = (names(), removed());
        let o = OutputView {
            timestamps: &[(3, 0)],
            ..output(&names, &removed)
        };
        assert_eq!(
            check_output(&o, 2),
            Err(Violation::TimestampOutOfRange {
                k: 0,
                line: 3,
                lines: 3
            })
        );
    }

    #[test]
    fn output_two_timestamps_for_one_line() {
        let (names, removed) = (names(), removed());
        let o = OutputView {
            timestamps: &[(1, 0), (1, 1)],
            ..output(&names, &removed)
        };
        assert_eq!(
            check_output(&o, 2),
            Err(Violation::TimestampNotAscending { k: 1, line: 1 })
        );
    }

    #[test]
    fn output_fields_are_checked_against_the_output_lines() {
        let (names, removed) = (names(), removed());
        let mut o = output(&names, &removed);
        o.fields.line = &[3];
        assert_eq!(
            check_output(&o, 2),
            Err(Violation::FieldLineOutOfRange {
                i: 0,
                line: 3,
                lines: 3
            })
        );
        o.fields.line = &[0];
        o.fields.values = b"vv";
        assert!(matches!(
            check_output(&o, 2),
            Err(Violation::ValuesAfterLastEntry { .. })
        ));
    }

    #[test]
    fn timestamps_are_checked_before_fields() {
        let (names, removed) = (names(), removed());
        let mut o = output(&names, &removed);
        o.fields.name = &[9];
        o.timestamps = &[(9, 0)];
        assert!(matches!(
            check_output(&o, 2),
            Err(Violation::TimestampOutOfRange { .. })
        ));
    }

    #[test]
    fn well_formed_emitted_passes() {
        let names = names();
        let e = EmittedView {
            data: b"ab",
            ends: &[1, 2],
            fields: FieldsView {
                names: &names,
                line: &[1, 1],
                name: &[0, 0],
                values: b"vw",
                value_ends: &[1, 2],
            },
            timestamps: &[(0, 1)],
        };
        assert_eq!(check_emitted(&e), Ok(()));
        assert_eq!(check_emitted(&EmittedView::default()), Ok(()));
    }

    #[test]
    fn emitted_end_past_the_data() {
        let e = EmittedView {
            data: b"ab",
            ends: &[3],
            ..EmittedView::default()
        };
        assert!(matches!(
            check_emitted(&e),
            Err(Violation::EndPastData { k: 0, end: 3, .. })
        ));
    }

    /// As for an output: bounds only.
    #[test]
    fn emitted_unused_data_after_the_last_end_passes() {
        let e = EmittedView {
            data: b"abc",
            ends: &[1],
            ..EmittedView::default()
        };
        assert_eq!(check_emitted(&e), Ok(()));
    }

    #[test]
    fn emitted_fields_are_checked_before_timestamps() {
        let e = EmittedView {
            data: b"a",
            ends: &[1],
            fields: FieldsView {
                names: NAMES,
                line: &[0],
                name: &[0],
                values: b"",
                value_ends: &[0],
            },
            timestamps: &[(5, 0)],
        };
        assert!(matches!(
            check_emitted(&e),
            Err(Violation::FieldNameOutOfRange { .. })
        ));
        let e = EmittedView {
            fields: FieldsView::default(),
            ..e
        };
        assert!(matches!(
            check_emitted(&e),
            Err(Violation::TimestampOutOfRange { k: 0, line: 5, .. })
        ));
    }

    #[test]
    fn batch_terminators_are_one_per_line_and_none_on_partial_pieces() {
        let b = BatchView {
            data: b"abc",
            ends: &[1, 3],
            partial: &[1],
            ..BatchView::default()
        };
        let is_none = |t: &&str| *t == "none";
        assert_eq!(
            check_batch_terminators(&["lf", "none"], is_none, &b),
            Ok(())
        );
        assert_eq!(
            check_batch_terminators(&["lf"], is_none, &b),
            Err(Violation::TerminatorsCount {
                terminators: 1,
                lines: 2
            })
        );
        let err = check_batch_terminators(&["lf", "crlf"], is_none, &b).unwrap_err();
        assert_eq!(err, Violation::PartialTerminated { line: 1 });
        assert_eq!(
            err.to_string(),
            "line 1 is a partial piece but its terminator is not `none`"
        );
    }

    #[test]
    fn line_entries_name_lines_in_ascending_order() {
        let list = LineList::Terminators;
        assert_eq!(check_line_entries(list, &[(0, ()), (2, ())], 3), Ok(()));
        assert_eq!(check_line_entries::<()>(list, &[], 0), Ok(()));
        let err = check_line_entries(list, &[(0, ()), (3, ())], 3).unwrap_err();
        assert_eq!(
            err.to_string(),
            "terminators[1] is for line 3, but there are 3 lines"
        );
        let err = check_line_entries(LineList::Sources, &[(1, ()), (1, ())], 3).unwrap_err();
        assert_eq!(
            err,
            Violation::LineEntryNotAscending {
                list: LineList::Sources,
                k: 1,
                line: 1
            }
        );
        assert_eq!(
            err.to_string(),
            "sources[1] (line 1) is not in ascending order"
        );
    }
}
