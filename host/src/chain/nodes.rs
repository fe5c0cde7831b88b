//! [`Nodes`]: a chain's top-level nodes from one on, borrowed, to run spans of them on.
//!
//! The fan ([`crate::parallel`]) runs a serial segment's stages while the parts of their
//! output go on through the nodes after them, on the same thread: the chain is split at the
//! segment's end ([`Nodes::split_at`]), and each side is run on its own. Node indexes stay the
//! chain's own on both sides, so a span or a segment means the same nodes everywhere.

use std::ops::Range;

use super::{Chain, Node, Position, run_nodes};
use crate::error::StageError;
use crate::lines::Lines;
use crate::output::HandOn;
use crate::runtime::Stage;

/// The nodes `offset..offset + nodes.len()` of a chain.
pub(crate) struct Nodes<'a> {
    nodes: &'a mut [Node],
    offset: usize,
}

impl Chain {
    /// Every top-level node, to run spans of.
    pub(crate) fn nodes(&mut self) -> Nodes<'_> {
        Nodes {
            nodes: &mut self.nodes,
            offset: 0,
        }
    }
}

impl Nodes<'_> {
    /// The indexes of the nodes.
    pub(crate) fn span(&self) -> Range<usize> {
        self.offset..self.offset + self.nodes.len()
    }

    /// The nodes before `mid`, and the nodes from `mid` on.
    pub(crate) fn split_at(&mut self, mid: usize) -> (Nodes<'_>, Nodes<'_>) {
        let (head, tail) = self.nodes.split_at_mut(mid - self.offset);
        let head = Nodes {
            nodes: head,
            offset: self.offset,
        };
        (
            head,
            Nodes {
                nodes: tail,
                offset: mid,
            },
        )
    }

    /// Runs `lines` through the nodes `span` only, as [`Chain::run`] does through the nodes
    /// from one on: parts of an output too large to hold go to `hand_on` after the nodes of
    /// the span after their stage ran on them. An error `hand_on` returns stops the run and is
    /// returned as it is.
    pub(crate) fn run_span(
        &mut self,
        lines: &mut Lines,
        span: Range<usize>,
        at: Position<'_>,
        hand_on: &mut HandOn<'_, StageError>,
    ) -> Result<bool, StageError> {
        let span = span.start - self.offset..span.end - self.offset;
        run_nodes(&mut self.nodes[span], lines, at, hand_on)
    }

    /// The stage at node `i`, which is one (a node of [`super::Segment::carried`]).
    pub(crate) fn carried_stage(&mut self, i: usize) -> &mut Stage {
        match &mut self.nodes[i - self.offset] {
            Node::Stage(stage) => stage,
            Node::Match(_) => unreachable!("carried nodes are stages"),
        }
    }
}
