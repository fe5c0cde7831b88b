//! The groups: one set of accumulators per distinct combination of `group_by` values.
//!
//! A line's group is found by its *key*, the `group_by` values encoded in a reusable buffer
//! (for each field, a tag byte saying whether the line has it, then its length and bytes), so
//! a line of a known group costs no allocation. At most `max_groups` groups are held; a line
//! that would start one more is not aggregated, only counted.

use crate::select::{Acc, Agg, Update};
use sluice_plugin_sdk::Line;
use std::collections::BTreeMap;

/// One group.
#[derive(Debug)]
pub(crate) struct Group {
    /// The `group_by` values, in `group_by` order; `None` where the lines lack the field.
    pub(crate) values: Vec<Option<Vec<u8>>>,
    /// One accumulator per aggregation, in the order of `Groups::aggs`.
    pub(crate) accs: Vec<Acc>,
}

/// The groups seen so far.
///
/// Invariant: `index` maps the key of every group in `groups` to its position, and
/// `groups.len() <= max_groups`.
#[derive(Debug)]
pub(crate) struct Groups {
    group_by: Vec<String>,
    aggs: Vec<Agg>,
    index: BTreeMap<Vec<u8>, usize>,
    groups: Vec<Group>,
    max_groups: usize,
    /// The key of the line being added (reused).
    key: Vec<u8>,
    /// Per aggregation: how many values were skipped as not numeric, over the whole run.
    pub(crate) skipped: Vec<u64>,
    /// Per aggregation: how many numeric values were skipped as of another dimension than
    /// their group's first (a duration among plain numbers), over the whole run.
    pub(crate) mismatched: Vec<u64>,
    /// Lines not aggregated because `max_groups` was reached, over the whole run.
    pub(crate) overflow: u64,
}

impl Groups {
    pub(crate) fn new(group_by: Vec<String>, aggs: Vec<Agg>, max_groups: usize) -> Groups {
        let skipped = vec![0; aggs.len()];
        let mismatched = vec![0; aggs.len()];
        let mut groups = Groups {
            group_by,
            aggs,
            index: BTreeMap::new(),
            groups: Vec::new(),
            max_groups,
            key: Vec::new(),
            skipped,
            mismatched,
            overflow: 0,
        };
        groups.clear();
        groups
    }

    /// The aggregations, in `select` order (bare `group_by` names left out).
    pub(crate) fn aggs(&self) -> &[Agg] {
        &self.aggs
    }

    /// The groups, in the order they were first seen.
    pub(crate) fn groups(&self) -> &[Group] {
        &self.groups
    }

    /// Forgets every group (the skip counts stay). Without `group_by` there is always exactly
    /// one group, so that `count` reads 0 rather than nothing.
    pub(crate) fn clear(&mut self) {
        self.index.clear();
        self.groups.clear();
        if self.group_by.is_empty() {
            self.index.insert(Vec::new(), 0);
            self.groups.push(Group {
                values: Vec::new(),
                accs: self.aggs.iter().map(Agg::start).collect(),
            });
        }
    }

    /// Adds a complete line to its group.
    #[inline]
    pub(crate) fn add(&mut self, line: &Line<'_>) {
        self.key.clear();
        for field in &self.group_by {
            match line.field(field) {
                Some(value) => {
                    self.key.push(1);
                    self.key
                        .extend_from_slice(&(value.len() as u32).to_le_bytes());
                    self.key.extend_from_slice(value);
                }
                None => self.key.push(0),
            }
        }
        let i = match self.index.get(self.key.as_slice()) {
            Some(&i) => i,
            None if self.groups.len() >= self.max_groups => {
                self.overflow += 1;
                return;
            }
            None => {
                let values = self
                    .group_by
                    .iter()
                    .map(|f| line.field(f).map(<[u8]>::to_vec))
                    .collect();
                let accs = self.aggs.iter().map(Agg::start).collect();
                self.groups.push(Group { values, accs });
                self.index.insert(self.key.clone(), self.groups.len() - 1);
                self.groups.len() - 1
            }
        };
        let group = &mut self.groups[i];
        for (j, (agg, acc)) in self.aggs.iter().zip(&mut group.accs).enumerate() {
            match agg.update(acc, line) {
                Update::Done => {}
                Update::NotNumeric => self.skipped[j] += 1,
                Update::OtherDimension => self.mismatched[j] += 1,
            }
        }
    }
}
