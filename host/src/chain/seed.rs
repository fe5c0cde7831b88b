//! The parts of a chain that may run on any core, and copies of them for the worker lanes of a
//! parallel run ([`crate::parallel`]).
//!
//! A node *runs anywhere* when any instance of it may be given any batch: a stage that keeps
//! no state between lines with its configuration (its `reach` says `none`) and whose reports
//! go nowhere of the user's choosing (a report is about the whole stream, so it is one
//! instance's) unless its instances merge what they counted (`tallies`); or a `match` node
//! whose nested nodes all run anywhere. A top-level stage whose state is per source but
//! carried from batch to batch (`carries`, see [`crate::runtime::Stage::guess`]) runs on the
//! lanes too, and its batches are checked in order ([`Segment::carried`]).
//! [`Chain::segments`] cuts the chain at the nodes that do neither: each run of nodes that run
//! on the lanes is a parallel segment, each run of the others a serial one. [`Chain::seeds`]
//! takes what it takes to make another instance of each node of a span ([`NodeSeed`]), which a
//! worker grows into a chain of its own ([`grow_lane`]); at the end of the run, [`Chain::adopt`]
//! gives the instances back to the nodes they copy, so that finishing the chain finishes them.

use std::ops::Range;
use std::sync::Arc;

use super::{Chain, Match, Node};
use crate::error::StageError;
use crate::runtime::{Stage, StageSeed, StateScope};
use crate::selector::Selector;
use crate::stats::{BatchCount, StageCounters};

/// A run of consecutive top-level nodes of a chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Segment {
    /// The nodes, as indexes into the chain's nodes.
    pub(crate) nodes: Range<usize>,
    /// True when every node of the segment runs anywhere.
    pub(crate) parallel: bool,
    /// The nodes of a parallel segment whose state is carried from batch to batch, in order:
    /// a lane runs a batch through them from the guess that the batch before it left nothing,
    /// and the guess is checked in input order ([`crate::parallel`]).
    pub(crate) carried: Vec<usize>,
}

/// What it takes to make another instance of a node.
#[derive(Clone)]
pub(crate) enum NodeSeed {
    Stage(Box<StageSeed>),
    Match(Selector, Vec<NodeSeed>),
}

impl NodeSeed {
    /// A new instance of the node, with new instances of its stages.
    fn grow(self) -> Result<Node, StageError> {
        match self {
            NodeSeed::Stage(seed) => Ok(Node::Stage((*seed).grow()?)),
            NodeSeed::Match(selector, nested) => {
                Ok(Node::Match(Match::new(selector, grow_chain(nested)?)))
            }
        }
    }
}

/// A chain of new instances of the nodes `seeds` describe, in order.
pub(crate) fn grow_chain(seeds: Vec<NodeSeed>) -> Result<Chain, StageError> {
    let nodes = seeds
        .into_iter()
        .map(NodeSeed::grow)
        .collect::<Result<_, _>>()?;
    Ok(Chain::new(nodes))
}

/// A lane's chain of new instances of the top-level nodes `seeds` describe: as
/// [`grow_chain`], and the stages whose state is carried start each batch from the guess.
pub(crate) fn grow_lane(seeds: Vec<NodeSeed>) -> Result<Chain, StageError> {
    let mut chain = grow_chain(seeds)?;
    for node in &mut chain.nodes {
        if let Node::Stage(stage) = node
            && stage.carries_across()
        {
            stage.guess();
        }
    }
    Ok(chain)
}

impl Stage {
    /// True when any instance of the stage may be given any batch (see the module's doc), so
    /// that it runs on every worker lane of a parallel run.
    pub fn runs_anywhere(&self) -> bool {
        let reach = self.reach();
        reach.state == StateScope::None && (!self.reports_chosen() || reach.tallies)
    }

    /// True when the stage's state is per source and carried from batch to batch, so that it
    /// runs on the worker lanes of a parallel run when it is not nested in a `match`.
    pub fn carries_across(&self) -> bool {
        let reach = self.reach();
        reach.carries && reach.state == StateScope::PerSource && !self.reports_chosen()
    }
}

impl Node {
    /// True when the node runs anywhere (see the module's doc); a top-level node `on_top`.
    fn runs_anywhere(&self, on_top: bool) -> bool {
        match self {
            Node::Stage(stage) => stage.runs_anywhere() || (on_top && stage.carries_across()),
            Node::Match(m) => m.chain.nodes.iter().all(|node| node.runs_anywhere(false)),
        }
    }

    /// True for a stage that runs on the lanes because its state is carried.
    fn carried(&self) -> bool {
        matches!(self, Node::Stage(stage) if !stage.runs_anywhere() && stage.carries_across())
    }

    fn seed(&self) -> NodeSeed {
        match self {
            Node::Stage(stage) => NodeSeed::Stage(Box::new(stage.seed())),
            Node::Match(m) => {
                let nested = m.chain.seeds(0..m.chain.nodes.len());
                NodeSeed::Match(m.selector.clone(), nested)
            }
        }
    }

    /// Takes `copy`, an instance of this node grown from its seed.
    fn adopt(&mut self, copy: Node) {
        match (self, copy) {
            (Node::Stage(stage), Node::Stage(copy)) => stage.adopt(copy),
            (Node::Match(m), Node::Match(copy)) => m.chain.adopt(0, copy.chain),
            _ => unreachable!("a node's copy is grown from its own seed"),
        }
    }
}

impl Chain {
    /// The chain cut into serial and parallel segments, in order (see the module's doc).
    pub(crate) fn segments(&self) -> Vec<Segment> {
        let mut segments: Vec<Segment> = Vec::new();
        for (i, node) in self.nodes.iter().enumerate() {
            let parallel = node.runs_anywhere(true);
            match segments.last_mut() {
                Some(last) if last.parallel == parallel => last.nodes.end = i + 1,
                _ => segments.push(Segment {
                    nodes: i..i + 1,
                    parallel,
                    carried: Vec::new(),
                }),
            }
            if node.carried() {
                let last = segments.last_mut().expect("pushed above");
                last.carried.push(i);
            }
        }
        segments
    }

    /// What every stage (nested ones too) counted since it was last asked, with its counters
    /// (see [`Stage::take_counted`]).
    pub(crate) fn take_counted(&mut self) -> Vec<(Arc<StageCounters>, BatchCount)> {
        let mut counted = Vec::new();
        for node in &mut self.nodes {
            match node {
                Node::Stage(stage) => counted.push(stage.take_counted()),
                Node::Match(m) => counted.extend(m.chain.take_counted()),
            }
        }
        counted
    }

    /// A lane's stages whose state is carried, in order (see [`grow_lane`]).
    pub(crate) fn guessing(&mut self) -> impl Iterator<Item = &mut Stage> {
        self.nodes.iter_mut().filter_map(|node| match node {
            Node::Stage(stage) if stage.guesses() => Some(stage),
            _ => None,
        })
    }

    /// What it takes to make new instances of the nodes `span`.
    pub(crate) fn seeds(&self, span: Range<usize>) -> Vec<NodeSeed> {
        self.nodes[span].iter().map(Node::seed).collect()
    }

    /// Gives the nodes of `copy`, grown from the seeds of the nodes from `first` on, back to
    /// those nodes.
    pub(crate) fn adopt(&mut self, first: usize, copy: Chain) {
        for (node, copy) in self.nodes[first..].iter_mut().zip(copy.nodes) {
            node.adopt(copy);
        }
    }
}
