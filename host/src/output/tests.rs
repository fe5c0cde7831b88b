//! The rules of `StageOutput`: checks, identity, and how answers resolve into lines.

use super::*;
use sluice_contract::Kind;

fn input() -> Lines {
    let mut lines = Lines::default();
    lines.push(b"a", Terminator::Lf, false);
    lines.push(b"b", Terminator::CrLf, false);
    lines.push(b"c", Terminator::None, true);
    let level = lines.fields.intern("level");
    lines.fields.push(1, level, b"INFO");
    lines
}

fn apply(output: &StageOutput) -> Lines {
    let input = input();
    output.check(input.len()).unwrap();
    let mut out = Lines::default();
    output.apply(&input, &mut out);
    out
}

fn written(lines: &Lines) -> Vec<u8> {
    let mut out = Vec::new();
    lines.write_to(&mut out);
    out
}

#[test]
fn identity() {
    let output = StageOutput {
        source: vec![0, 1, 2],
        ..Default::default()
    };
    assert!(output.is_identity(3));
    assert_eq!(apply(&output), input());
}

#[test]
fn drop_and_rewrite() {
    let output = StageOutput {
        source: vec![1, 2],
        rewritten: vec![0],
        data: b"B".to_vec(),
        ends: vec![1],
        ..Default::default()
    };
    assert!(!output.is_identity(3));
    let out = apply(&output);
    assert_eq!(written(&out), b"B\r\nc");
    assert_eq!(out.partial, [1]);
    assert_eq!(
        out.fields.of_line(0).collect::<Vec<_>>(),
        [("level", &b"INFO"[..])]
    );
}

#[test]
fn one_to_many_uses_the_input_terminator_between() {
    let output = StageOutput {
        source: vec![1, 1, 2, 2],
        rewritten: vec![0, 2],
        data: b"b1c1".to_vec(),
        ends: vec![2, 4],
        ..Default::default()
    };
    let out = apply(&output);
    assert_eq!(written(&out), b"b1\r\nb\r\nc1\nc");
    // Only the last piece of the partial line stays partial.
    assert_eq!(out.partial, [3]);
    // Both lines made from input line 1 inherit its fields.
    assert_eq!(out.fields.of_line(1).count(), 1);
}

#[test]
fn fields_only_keeps_the_lines() {
    let mut fields = FieldTable::default();
    let user = fields.intern("user");
    fields.push(2, user, b"bob");
    let output = StageOutput {
        source: vec![0, 1, 2],
        fields,
        ..Default::default()
    };
    assert!(output.keeps_lines(3) && !output.is_identity(3));
    let input = input();
    let mut merged = FieldTable::default();
    output.merge_fields(&input.fields, &mut merged);
    let mut applied = Lines::default();
    output.apply(&input, &mut applied);
    assert_eq!(merged, applied.fields);
    assert_eq!(
        merged.of_line(1).collect::<Vec<_>>(),
        [("level", &b"INFO"[..])]
    );
    assert_eq!(
        merged.of_line(2).collect::<Vec<_>>(),
        [("user", &b"bob"[..])]
    );
}

#[test]
fn set_fields_override_inherited_ones() {
    let mut fields = FieldTable::default();
    let level = fields.intern("level");
    let user = fields.intern("user");
    fields.push(0, level, b"DEBUG");
    fields.push(0, user, b"x");
    fields.push(0, user, b"bob");
    let output = StageOutput {
        source: vec![1],
        fields,
        ..Default::default()
    };
    let out = apply(&output);
    assert_eq!(
        out.fields.of_line(0).collect::<Vec<_>>(),
        [("level", &b"DEBUG"[..]), ("user", &b"bob"[..])]
    );
}

#[test]
fn detached_lines_inherit_nothing_and_removed_fields_go() {
    let mut input = input();
    input.timestamps = vec![(1, 42)];
    let user = input.fields.intern("user");
    input.fields.push(1, user, b"bob");
    let mut fields = FieldTable::default();
    let block = fields.intern("block");
    fields.push(0, block, b"yes");
    let output = StageOutput {
        source: vec![1, 1, 1],
        rewritten: vec![0],
        data: b"held".to_vec(),
        ends: vec![4],
        detached: vec![0],
        removed: vec![(2, "level".into())],
        fields,
        timestamps: vec![(0, 7)],
        ..Default::default()
    };
    output.check(input.len()).unwrap();
    let mut out = Lines::default();
    output.apply(&input, &mut out);
    assert_eq!(written(&out), b"held\r\nb\r\nb\r\n");
    assert_eq!(
        out.fields.of_line(0).collect::<Vec<_>>(),
        [("block", &b"yes"[..])]
    );
    assert_eq!(out.fields.of_line(1).count(), 2);
    assert_eq!(
        out.fields.of_line(2).collect::<Vec<_>>(),
        [("user", &b"bob"[..])]
    );
    assert_eq!(out.timestamps, [(0, 7), (1, 42), (2, 42)]);
}

#[test]
fn timestamps_only_keeps_the_lines() {
    let output = StageOutput {
        source: vec![0, 1, 2],
        timestamps: vec![(2, -5)],
        ..Default::default()
    };
    assert!(output.keeps_lines(3) && !output.is_identity(3));
    let mut lines = input();
    let mut spare = Lines::default();
    assert!(output.apply_in_place(&mut lines, &mut spare));
    assert_eq!(lines.timestamps, [(2, -5)]);
    assert_eq!(lines.timestamp(2), Some(-5));
}

#[test]
fn check_rejects_bad_annotations() {
    let base = StageOutput {
        source: vec![0, 1],
        rewritten: vec![1],
        data: b"x".to_vec(),
        ends: vec![1],
        ..Default::default()
    };
    let detached_not_rewritten = StageOutput {
        detached: vec![0],
        ..base.clone()
    };
    assert!(
        detached_not_rewritten
            .check(3)
            .unwrap_err()
            .to_string()
            .contains("detached[0] = 0 is not rewritten")
    );
    let removed_out_of_range = StageOutput {
        removed: vec![(2, "k".into())],
        ..base.clone()
    };
    assert!(
        removed_out_of_range
            .check(3)
            .unwrap_err()
            .to_string()
            .contains("removed[0]")
    );
    let timestamps_unordered = StageOutput {
        timestamps: vec![(1, 0), (0, 0)],
        ..base
    };
    assert!(
        timestamps_unordered
            .check(3)
            .unwrap_err()
            .to_string()
            .contains("not in ascending order")
    );
}

#[test]
fn check_rejects_source_out_of_range() {
    let output = StageOutput {
        source: vec![0, 5],
        ..Default::default()
    };
    assert_eq!(
        output.check(3).unwrap_err().to_string(),
        "source[1] = 5, but the batch has 3 lines"
    );
}

#[test]
fn check_rejects_reordering() {
    let output = StageOutput {
        source: vec![2, 1],
        ..Default::default()
    };
    assert!(
        output
            .check(3)
            .unwrap_err()
            .to_string()
            .contains("keep input order")
    );
}

#[test]
fn check_rejects_bad_rewrites() {
    let output = StageOutput {
        source: vec![0],
        rewritten: vec![0],
        data: b"x".to_vec(),
        ends: vec![2],
        ..Default::default()
    };
    assert!(
        output
            .check(3)
            .unwrap_err()
            .to_string()
            .contains("ends[0] = 2")
    );
    let output = StageOutput {
        source: vec![0],
        rewritten: vec![1],
        data: b"x".to_vec(),
        ends: vec![1],
        ..Default::default()
    };
    assert!(
        output
            .check(3)
            .unwrap_err()
            .to_string()
            .contains("rewritten[0] = 1")
    );
}

#[test]
fn a_replaced_key_comes_after_the_inherited_ones() {
    let mut input = input();
    let user = input.fields.intern("user");
    input.fields.push(1, user, b"bob");
    let mut fields = FieldTable::default();
    let level = fields.intern("level");
    fields.push(0, level, b"WARN");
    let output = StageOutput {
        source: vec![1],
        fields,
        ..Default::default()
    };
    output.check(input.len()).unwrap();
    let mut out = Lines::default();
    output.apply(&input, &mut out);
    assert_eq!(
        out.fields.of_line(0).collect::<Vec<_>>(),
        [("user", &b"bob"[..]), ("level", &b"WARN"[..])]
    );
}

/// Drift decided by the WIT ("when a plugin sets a key twice on one line, the later value
/// wins"): the SDK's harness used to reject it; the host accepts it, as before.
#[test]
fn a_key_set_twice_on_one_line_is_well_formed_and_the_later_value_wins() {
    let mut fields = FieldTable::default();
    let user = fields.intern("user");
    fields.push(2, user, b"first");
    fields.push(2, user, b"later");
    let output = StageOutput {
        source: vec![0, 1, 2],
        fields,
        ..Default::default()
    };
    assert_eq!(output.check(3), Ok(()));
    let mut lines = input();
    let mut spare = Lines::default();
    assert!(output.apply_in_place(&mut lines, &mut spare));
    assert_eq!(
        lines.fields.of_line(2).collect::<Vec<_>>(),
        [("user", &b"later"[..])]
    );
}

/// Drift decided by the WIT ("its last entry is `len(values)`", among the invariants the
/// host "requires back"): the host used to check bounds only.
#[test]
fn unused_value_bytes_after_the_last_end_are_malformed() {
    let mut fields = FieldTable::default();
    let user = fields.intern("user");
    fields.push(0, user, b"bob");
    fields.values.extend_from_slice(b"junk");
    let output = StageOutput {
        source: vec![0],
        fields,
        ..Default::default()
    };
    assert_eq!(
        output.check(3),
        Err(Violation::ValuesAfterLastEntry {
            last: 3,
            values_len: 7
        })
    );
}

/// Drift decided by the WIT, which does not say an output's last end is `len(data)`: the
/// harness used to require it; the host checks bounds only, as before, and reads only the
/// ranges.
#[test]
fn unused_data_bytes_after_the_last_end_are_well_formed_and_ignored() {
    let output = StageOutput {
        source: vec![0],
        rewritten: vec![0],
        data: b"Ajunk".to_vec(),
        ends: vec![1],
        ..Default::default()
    };
    let out = apply(&output);
    assert_eq!(written(&out), b"A\n");
}

/// Drift decided by the WIT (`names`: "the distinct keys used in this table"): the harness
/// checked it, the host did not.
#[test]
fn repeated_names_are_malformed() {
    let fields = FieldTable {
        names: vec!["user".into(), "user".into()],
        ..FieldTable::default()
    };
    let output = StageOutput {
        source: vec![0],
        fields,
        ..Default::default()
    };
    assert!(matches!(
        output.check(3),
        Err(Violation::NameRepeated { i: 1, first: 0, .. })
    ));
}

/// A held line emitted before line 1 gets its own terminator back; one set on a partial piece
/// is ignored (a piece has none); and an answer that only sets terminators is not the identity.
#[test]
fn terminators_set_by_the_stage_replace_the_inherited_ones() {
    let output = StageOutput {
        source: vec![0, 1, 1, 2],
        rewritten: vec![1],
        data: b"held".to_vec(),
        ends: vec![4],
        detached: vec![1],
        terminators: vec![(1, Terminator::None), (3, Terminator::Lf)],
        ..Default::default()
    };
    let out = apply(&output);
    assert_eq!(written(&out), b"a\nheldb\r\nc");
    assert_eq!(out.partial, [3]);

    let relabel = StageOutput {
        source: vec![0, 1, 2],
        terminators: vec![(0, Terminator::CrLf)],
        ..Default::default()
    };
    assert!(!relabel.is_identity(3));
    assert!(relabel.keeps_lines(3));
    let mut lines = input();
    assert!(relabel.apply_in_place(&mut lines, &mut Lines::default()));
    assert_eq!(written(&lines), b"a\r\nb\r\nc");
}

#[test]
fn terminators_must_name_output_lines_in_order() {
    let output = StageOutput {
        source: vec![0, 1],
        terminators: vec![(1, Terminator::Lf), (1, Terminator::CrLf)],
        ..Default::default()
    };
    assert_eq!(
        output.check(3).unwrap_err().to_string(),
        "terminators[1] (line 1) is not in ascending order"
    );
    let output = StageOutput {
        source: vec![0],
        terminators: vec![(1, Terminator::Lf)],
        ..Default::default()
    };
    assert_eq!(
        output.check(3).unwrap_err().to_string(),
        "terminators[0] is for line 1, but there are 1 lines"
    );
}

mod properties {
    //! Whatever a plugin answers, the host either refuses the answer with a [`Violation`] or
    //! turns it into lines without panicking, with every output line that the answer passes
    //! through carrying its input line's bytes, and the annotations well formed.

    use super::*;
    use proptest::collection::vec;
    use proptest::prelude::*;

    fn terminator() -> impl Strategy<Value = Terminator> {
        prop_oneof![
            Just(Terminator::Lf),
            Just(Terminator::CrLf),
            Just(Terminator::None)
        ]
    }

    /// Each line of `lines` with all it carries: bytes, terminator, partial mark, fields,
    /// timestamp and origin.
    #[allow(clippy::type_complexity)]
    fn described(
        lines: &Lines,
    ) -> Vec<(
        Vec<u8>,
        Terminator,
        bool,
        Vec<(String, Vec<u8>)>,
        Option<i64>,
        u64,
    )> {
        (0..lines.len())
            .map(|i| {
                let fields = lines
                    .fields
                    .of_line(i as u32)
                    .map(|(k, v)| (k.to_owned(), v.to_vec()))
                    .collect();
                let origin = lines.origins.get(i).copied().unwrap_or(crate::origin::NONE);
                (
                    lines.line(i).to_vec(),
                    lines.terminator(i),
                    lines.is_partial(i),
                    fields,
                    lines.timestamp(i),
                    origin,
                )
            })
            .collect()
    }

    /// A batch of up to 6 lines, the last maybe a partial piece, with a field or two.
    fn batch() -> impl Strategy<Value = Lines> {
        (
            vec((vec(any::<u8>(), 0..6), terminator()), 0..6),
            any::<bool>(),
        )
            .prop_map(|(lines, last_partial)| {
                let mut batch = Lines::default();
                let n = lines.len();
                for (i, (bytes, term)) in lines.into_iter().enumerate() {
                    let partial = last_partial && i + 1 == n;
                    let term = if partial { Terminator::None } else { term };
                    batch.push(&bytes, term, partial);
                }
                if n > 0 {
                    let key = batch.fields.intern("k");
                    batch.fields.push(0, key, b"v");
                }
                batch
            })
    }

    /// A well-formed answer for `n` input lines: sources in order, some lines rewritten (some
    /// of those detached), fields removed and set, timestamps and terminators, all in range
    /// and order.
    fn well_formed(n: usize) -> impl Strategy<Value = StageOutput> {
        let sources = vec(0..n.max(1) as u32, 0..8).prop_map(move |mut s| {
            if n == 0 {
                s.clear();
            }
            s.sort_unstable();
            s
        });
        sources
            .prop_flat_map(|source| {
                let m = source.len();
                let picks = vec(any::<bool>(), m);
                (
                    Just(source),
                    picks.clone(),
                    picks.clone(),
                    vec(vec(any::<u8>(), 0..5), m),
                    vec((0..m.max(1) as u32, "[ab]", vec(any::<u8>(), 0..3)), 0..3),
                    picks.clone(),
                    vec(terminator(), m),
                    picks,
                )
            })
            .prop_map(
                |(source, rewrite, detach, bytes, set, stamp, terms, term)| {
                    let m = source.len();
                    let mut out = StageOutput {
                        source,
                        ..StageOutput::default()
                    };
                    for j in 0..m {
                        if rewrite[j] {
                            out.rewritten.push(j as u32);
                            out.data.extend_from_slice(&bytes[j]);
                            out.ends.push(out.data.len() as u32);
                            if detach[j] {
                                out.detached.push(j as u32);
                            }
                        }
                        if stamp[j] {
                            out.timestamps.push((j as u32, j as i64));
                        }
                        if term[j] {
                            out.terminators.push((j as u32, terms[j]));
                        }
                    }
                    let mut set: Vec<_> = set
                        .into_iter()
                        .filter(|(j, _, _)| (*j as usize) < m)
                        .collect();
                    set.sort_by_key(|(j, _, _)| *j);
                    for (j, key, value) in set {
                        let name = out.fields.intern(&key);
                        out.fields.push(j, name, &value);
                        out.removed.push((j, "k".to_owned()));
                    }
                    out
                },
            )
    }

    /// A well-formed answer (half the time), or one with one thing broken: an index past the
    /// end, an order reversed, an end past the data, a fields entry for a line that does not
    /// exist.
    fn answer(n: usize) -> impl Strategy<Value = StageOutput> {
        (well_formed(n), 0u8..14, any::<u32>()).prop_map(|(mut out, break_it, any)| {
            match break_it {
                0 => out.source.push(any % 16),
                1 => out.source.reverse(),
                2 => out.ends.push(any % 64),
                3 => out.detached.insert(0, any % 8),
                4 => out.timestamps.push((any % 16, 0)),
                5 => out.terminators.insert(0, (any % 16, Terminator::Lf)),
                6 => out.fields.line.push(any % 16),
                _ => {}
            }
            out
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        #[test]
        fn any_answer_is_refused_or_applied_without_loss(
            (input, output) in batch().prop_flat_map(|b| {
                let n = b.len();
                (Just(b), answer(n))
            })
        ) {
            if output.check(input.len()).is_err() {
                return Ok(());
            }
            let mut out = Lines::default();
            output.apply(&input, &mut out);
            prop_assert_eq!(out.len(), output.source.len());
            prop_assert_eq!(out.terms.len(), out.len());
            prop_assert_eq!(out.check_annotations(), Ok(()));
            prop_assert_eq!(out.data.len(), out.byte_len(), "every line's bytes were copied");
            for (j, &i) in output.source.iter().enumerate() {
                match output.rewritten.iter().position(|&r| r == j as u32) {
                    None => prop_assert_eq!(out.line(j), input.line(i as usize)),
                    Some(k) => {
                        let start = if k == 0 { 0 } else { output.ends[k - 1] as usize };
                        let new = &output.data[start..output.ends[k] as usize];
                        prop_assert_eq!(out.line(j), new);
                    }
                }
            }
        }

        /// An output built in parts of at most a few lines or bytes, the parts joined, is the
        /// output built whole: same lines, terminators, fields, timestamps and origins.
        #[test]
        fn an_output_built_in_parts_is_the_output_built_whole(
            (input, output) in batch().prop_flat_map(|b| {
                let n = b.len();
                (Just(b), well_formed(n))
            }),
            lines in 1usize..4,
            bytes in 1usize..12,
        ) {
            let mut input = input;
            let origins: Vec<u64> = (0..input.len() as u64).map(|i| 100 + 10 * i).collect();
            input.origins = origins;
            input.origin_start = 90;
            prop_assert_eq!(output.check(input.len()), Ok(()));
            let mut whole = Lines::default();
            output.apply(&input, &mut whole);
            let mut joined = Lines::default();
            joined.set_source(&input.source);
            let mut last = Lines::default();
            let mut parts = 0;
            let mut starts = Vec::new();
            let size = PartSize { lines, bytes };
            let built = output.build::<()>(&input, &mut last, Some(&mut |part| {
                assert!(!part.is_empty() && part.len() <= lines);
                assert_eq!(part.check_annotations(), Ok(()));
                starts.push((joined.len(), part.origin_start));
                joined.extend_from(part, 0..part.len());
                parts += 1;
                Ok(())
            }), size);
            prop_assert_eq!(built, Ok(()));
            starts.push((joined.len(), last.origin_start));
            joined.extend_from(&last, 0..last.len());
            prop_assert_eq!(described(&joined), described(&whole));
            // Each part starts where the line before it ends.
            for (first, start) in starts {
                let expected = match first {
                    0 => whole.origin_start,
                    i => whole.origins[i - 1],
                };
                prop_assert_eq!(start, expected, "the part starting at line {}", first);
            }
            if !whole.is_empty() {
                prop_assert_eq!(joined.origin_start, whole.origin_start);
            }
            if whole.len() > lines {
                prop_assert!(parts > 0);
            }
        }

        /// A field table taken as it is gives what merging entry by entry does. Half the
        /// answers are drawn plain (nothing removed or detached; no fields set on lines that
        /// have some), and half the batches without fields, so that both tables it takes
        /// come up.
        #[test]
        fn a_field_table_taken_as_it_is_is_the_table_merged(
            (input, output) in batch().prop_flat_map(|b| {
                let n = b.len();
                (Just(b), well_formed(n), any::<bool>(), any::<bool>())
            }).prop_map(|(mut input, mut output, no_fields, plain)| {
                if no_fields {
                    input.fields.clear();
                }
                if plain {
                    output.removed.clear();
                    output.detached.clear();
                    if !no_fields {
                        output.fields.clear();
                    }
                }
                (input, output)
            })
        ) {
            prop_assert_eq!(output.check(input.len()), Ok(()));
            let entries = |table: &FieldTable| -> Vec<(u32, String, Vec<u8>, Kind)> {
                (0..table.len())
                    .map(|i| (table.line[i], table.key(i).to_owned(), table.value(i).to_vec(),
                        table.kind(i)))
                    .collect()
            };
            let mut taken = FieldTable::default();
            output.merge_fields(&input.fields, &mut taken);
            let mut merged = FieldTable::default();
            output.merge_entries(&input.fields, 0..output.source.len(), &mut merged);
            prop_assert_eq!(entries(&taken), entries(&merged));
            prop_assert_eq!(&taken.names, &merged.names);
        }

        /// The answer every stage that keeps each line gives: always accepted, and the batch is
        /// the same afterwards, byte for byte.
        #[test]
        fn keeping_every_line_changes_nothing(input in batch()) {
            let output = StageOutput {
                source: (0..input.len() as u32).collect(),
                ..StageOutput::default()
            };
            prop_assert_eq!(output.check(input.len()), Ok(()));
            let mut lines = input.clone();
            prop_assert!(!output.apply_in_place(&mut lines, &mut Lines::default()));
            prop_assert_eq!(lines, input);
        }
    }
}

/// A plugin may lie about its values' kinds: the answer is malformed, naming the entry, and
/// kinds are either none or one per entry.
#[test]
fn a_value_not_of_its_kind_is_malformed() {
    let mut fields = FieldTable::default();
    let n = fields.intern("n");
    fields.push_kind(0, n, b"12", Kind::Integer);
    fields.push_kind(1, n, b"bob", Kind::Integer);
    let output = StageOutput {
        source: vec![0, 1],
        fields,
        ..Default::default()
    };
    let e = output.check(3).unwrap_err();
    assert_eq!(
        e.to_string(),
        "fields: kinds[1] says integer, but the value is \"bob\""
    );
    let mut output = output;
    output.fields.kinds.pop();
    assert_eq!(
        output.check(3),
        Err(Violation::KindsLength {
            kinds: 1,
            entries: 2
        })
    );
}

/// A kind set on a kept line reaches the output table; inherited text fields stay text.
#[test]
fn kinds_set_on_a_kept_line_are_kept() {
    let mut fields = FieldTable::default();
    let n = fields.intern("n");
    fields.push_kind(1, n, b"1656", Kind::Integer);
    let output = StageOutput {
        source: vec![0, 1, 2],
        fields,
        ..Default::default()
    };
    let out = apply(&output);
    let line_1: Vec<_> = (0..out.fields.line.len())
        .filter(|&i| out.fields.line[i] == 1)
        .map(|i| (out.fields.key(i).to_owned(), out.fields.kind(i)))
        .collect();
    assert_eq!(
        line_1,
        [
            ("level".to_owned(), Kind::Text),
            ("n".to_owned(), Kind::Integer)
        ]
    );
}
