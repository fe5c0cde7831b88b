//! What a stage returns for a batch, and how the host turns it into the next batch.
//!
//! A stage describes its output lines by where they come from (see the WIT `output` record):
//! `source[j]` is the input line of output line `j`; `rewritten` names the output lines with new
//! bytes; `detached` the ones that inherit no fields or timestamp; `removed`, `fields` and
//! `timestamps` change what they carry. The host checks every index before it uses one, so a
//! plugin bug is reported as malformed output, never a panic or a wrong byte.

use crate::fields::FieldTable;
use crate::framing::Terminator;
use crate::lines::{Lines, check_timestamps};

/// When a stage wants `tick` called; mirrors the WIT `wake` record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wake {
    /// Call `tick` this many milliseconds after this answer (a later answer replaces it).
    pub after_ms: u32,
    /// Read no more input until a `tick` returns without `hold`.
    pub hold: bool,
}

/// A stage's answer for one batch; mirrors the WIT `output` record.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StageOutput {
    /// `source[j]`: the input line output line `j` comes from. Non-decreasing.
    pub source: Vec<u32>,
    /// Ascending indexes of the output lines with new bytes.
    pub rewritten: Vec<u32>,
    /// The new bytes of the `rewritten` lines, back to back.
    pub data: Vec<u8>,
    /// End offsets in `data`, one per `rewritten` entry.
    pub ends: Vec<u32>,
    /// Ascending output indexes of lines that inherit no fields or timestamp (all rewritten).
    pub detached: Vec<u32>,
    /// (output index, key) of fields taken off output lines, by ascending index.
    pub removed: Vec<(u32, String)>,
    /// Fields set on output lines, keyed by output index.
    pub fields: FieldTable,
    /// (output index, timestamp) set on output lines, by ascending index.
    pub timestamps: Vec<(u32, i64)>,
    /// When the stage wants `tick` called.
    pub wake: Option<Wake>,
}

impl StageOutput {
    /// True when the output is the input unchanged, so the host can keep the batch as it is.
    pub fn is_identity(&self, input_lines: usize) -> bool {
        self.fields.is_empty()
            && self.removed.is_empty()
            && self.timestamps.is_empty()
            && self.keeps_lines(input_lines)
    }

    /// True when every input line passes through once with its bytes: at most fields and
    /// timestamps changed, so only those need rebuilding ([`StageOutput::merge_fields`]).
    pub fn keeps_lines(&self, input_lines: usize) -> bool {
        self.rewritten.is_empty()
            && self.source.len() == input_lines
            && self
                .source
                .iter()
                .enumerate()
                .all(|(j, &s)| s as usize == j)
    }

    /// Checks every index against the input batch; the error names the first broken rule.
    pub fn check(&self, input_lines: usize) -> Result<(), String> {
        let mut prev = 0;
        for (j, &s) in self.source.iter().enumerate() {
            if s as usize >= input_lines {
                return Err(format!(
                    "source[{j}] = {s}, but the batch has {input_lines} lines"
                ));
            }
            if s < prev {
                return Err(format!(
                    "source[{j}] = {s} comes after {prev}; output must keep input order"
                ));
            }
            prev = s;
        }
        if self.ends.len() != self.rewritten.len() {
            return Err(format!(
                "{} rewritten lines but {} ends",
                self.rewritten.len(),
                self.ends.len()
            ));
        }
        let mut prev_j = None;
        for (k, &j) in self.rewritten.iter().enumerate() {
            if j as usize >= self.source.len() {
                return Err(format!(
                    "rewritten[{k}] = {j}, but there are {} output lines",
                    self.source.len()
                ));
            }
            if prev_j.is_some_and(|p| j <= p) {
                return Err(format!("rewritten[{k}] = {j} is not ascending"));
            }
            prev_j = Some(j);
        }
        let mut prev_end = 0;
        for (k, &end) in self.ends.iter().enumerate() {
            if end < prev_end || end as usize > self.data.len() {
                return Err(format!(
                    "ends[{k}] = {end} is out of order or past the {} data bytes",
                    self.data.len()
                ));
            }
            prev_end = end;
        }
        let mut rewritten = self.rewritten.iter().peekable();
        let mut prev_j = None;
        for (k, &j) in self.detached.iter().enumerate() {
            if prev_j.is_some_and(|p| j <= p) {
                return Err(format!("detached[{k}] = {j} is not ascending"));
            }
            prev_j = Some(j);
            while rewritten.next_if(|&&r| r < j).is_some() {}
            if rewritten.peek() != Some(&&j) {
                return Err(format!(
                    "detached[{k}] = {j} is not rewritten; a detached line needs new bytes"
                ));
            }
        }
        let mut prev_j = 0;
        for (k, (j, _)) in self.removed.iter().enumerate() {
            if *j as usize >= self.source.len() || *j < prev_j {
                return Err(format!(
                    "removed[{k}] is for output line {j}, out of range or order ({} output lines)",
                    self.source.len()
                ));
            }
            prev_j = *j;
        }
        check_timestamps(&self.timestamps, self.source.len())?;
        self.fields.check(self.source.len())
    }

    /// Turns `lines` (the batch the stage was given) into the stage's output, using `spare`
    /// as scratch storage (its allocations are reused). Returns false when the output is the
    /// input unchanged, and then touches nothing. `self` must have passed
    /// [`StageOutput::check`] against `lines`.
    pub fn apply_in_place(&self, lines: &mut Lines, spare: &mut Lines) -> bool {
        if self.is_identity(lines.len()) {
            return false;
        }
        if self.keeps_lines(lines.len()) {
            // Only fields or timestamps changed: the lines' bytes stay where they are.
            self.merge_fields(&lines.fields, &mut spare.fields);
            std::mem::swap(&mut lines.fields, &mut spare.fields);
            self.merge_timestamps(&lines.timestamps, &mut spare.timestamps);
            std::mem::swap(&mut lines.timestamps, &mut spare.timestamps);
        } else {
            self.apply(lines, spare);
            std::mem::swap(lines, spare);
        }
        true
    }

    /// Builds the output batch into `out` (cleared first; it keeps `input`'s source). `self`
    /// must have passed [`StageOutput::check`] against `input`.
    ///
    /// Each output line takes its input line's terminator; when one input line became several,
    /// all but the last end in that terminator, or in `\n` when the input line had none, and
    /// only the last stays partial if the input was. Fields are merged as
    /// [`StageOutput::merge_fields`] says.
    pub fn apply(&self, input: &Lines, out: &mut Lines) {
        out.clear();
        let mut rewritten = self.rewritten.iter().zip(&self.ends).peekable();
        let mut new_start = 0;
        let mut partial = input.partial.iter().peekable();
        for (j, &src) in self.source.iter().enumerate() {
            let src = src as usize;
            let is_last_of_src = self.source.get(j + 1) != Some(&(src as u32));
            let content = match rewritten.peek() {
                Some(&(&r, &end)) if r as usize == j => {
                    rewritten.next();
                    let bytes = &self.data[new_start..end as usize];
                    new_start = end as usize;
                    bytes
                }
                _ => input.line(src),
            };
            while partial.peek().is_some_and(|&&p| (p as usize) < src) {
                partial.next();
            }
            let src_partial = partial.peek().is_some_and(|&&p| p as usize == src);
            let (term, is_partial) = if is_last_of_src {
                (input.terms[src], src_partial)
            } else if input.terms[src] == Terminator::None {
                (Terminator::Lf, false)
            } else {
                (input.terms[src], false)
            };
            out.push(content, term, is_partial);
        }
        self.merge_fields(&input.fields, &mut out.fields);
        self.merge_timestamps(&input.timestamps, &mut out.timestamps);
        out.set_source(&input.source);
    }

    /// Builds the output lines' timestamps into `out` (cleared first): each output line's input
    /// line's timestamp unless it is detached, replaced by the one the stage set.
    pub fn merge_timestamps(&self, input: &[(u32, i64)], out: &mut Vec<(u32, i64)>) {
        out.clear();
        if input.is_empty() && self.timestamps.is_empty() {
            return;
        }
        let mut inherited = input.iter().peekable();
        let mut set = self.timestamps.iter().peekable();
        let mut detached = self.detached.iter().peekable();
        for (j, &src) in self.source.iter().enumerate() {
            let j = j as u32;
            while inherited.next_if(|&&(line, _)| line < src).is_some() {}
            let is_detached = detached.next_if(|&&d| d == j).is_some();
            if let Some(&(_, ts)) = set.next_if(|&&(line, _)| line == j) {
                out.push((j, ts));
            } else if let (false, Some(&&(line, ts))) = (is_detached, inherited.peek())
                && line == src
            {
                out.push((j, ts));
            }
        }
    }

    /// Builds the output lines' field table into `out` (cleared first): for each output line,
    /// its input line's fields (none for a detached line) less the removed ones, then the ones
    /// the stage set, a set key replacing an inherited one and a key set twice keeping the
    /// later value.
    pub fn merge_fields(&self, input: &FieldTable, out: &mut FieldTable) {
        out.clear();
        let mut detached = self.detached.iter().peekable();
        let mut removed = self.removed.iter().peekable();
        let remap_in: Vec<u32> = input.names.iter().map(|n| out.intern(n)).collect();
        let remap_out: Vec<u32> = self.fields.names.iter().map(|n| out.intern(n)).collect();
        let set = &self.fields;
        let mut in_field = 0; // cursor into `input` (entries are in line order)
        let mut out_field = 0; // cursor into `set`
        for (j, &src) in self.source.iter().enumerate() {
            let src = src as usize;
            while in_field < input.len() && (input.line[in_field] as usize) < src {
                in_field += 1;
            }
            while out_field < set.len() && (set.line[out_field] as usize) < j {
                out_field += 1;
            }
            let set_end = (out_field..set.len())
                .find(|&i| set.line[i] as usize != j)
                .unwrap_or(set.len());
            let sets = out_field..set_end;
            let j32 = j as u32;
            let is_detached = detached.next_if(|&&d| d == j32).is_some();
            let removed_start = removed.clone();
            while removed.next_if(|(r, _)| *r == j32).is_some() {}
            let mut i = in_field;
            while !is_detached && i < input.len() && input.line[i] as usize == src {
                let name = remap_in[input.name[i] as usize];
                let overridden = sets
                    .clone()
                    .any(|s| remap_out[set.name[s] as usize] == name);
                let key = input.key(i);
                let is_removed = removed_start
                    .clone()
                    .take_while(|(r, _)| *r == j32)
                    .any(|(_, k)| k == key);
                if !overridden && !is_removed {
                    out.push(j32, name, input.value(i));
                }
                i += 1;
            }
            for s in sets.clone() {
                let name = remap_out[set.name[s] as usize];
                let set_again =
                    (s + 1..set_end).any(|later| remap_out[set.name[later] as usize] == name);
                if !set_again {
                    out.push(j32, name, set.value(s));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            output.check(3).unwrap_err(),
            "source[1] = 5, but the batch has 3 lines"
        );
    }

    #[test]
    fn check_rejects_reordering() {
        let output = StageOutput {
            source: vec![2, 1],
            ..Default::default()
        };
        assert!(output.check(3).unwrap_err().contains("keep input order"));
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
        assert!(output.check(3).unwrap_err().contains("ends[0] = 2"));
        let output = StageOutput {
            source: vec![0],
            rewritten: vec![1],
            data: b"x".to_vec(),
            ends: vec![1],
            ..Default::default()
        };
        assert!(output.check(3).unwrap_err().contains("rewritten[0] = 1"));
    }
}
