//! Paths into a JSON document (`user.name`, `items[0].id`, `["key.with.dots"]`) and the trie
//! they are compiled into, so that one pass over a line resolves every path at once.
//!
//! The syntax is a subset of JMESPath (what Promtail's `json` stage takes) plus LogQL's bracket
//! keys:
//!
//! ```text
//! path     = key step*
//! key      = identifier | quoted | '[' quoted ']'
//! step     = '.' identifier | '.' quoted | '[' digits ']' | '[' quoted ']'
//! identifier = [A-Za-z_][A-Za-z0-9_]*
//! quoted   = '"' JSON string characters, with JSON escapes '"'
//! ```
//!
//! A path starts with a key of the top-level object. `"a.b"` is JMESPath's quoted identifier;
//! `["a.b"]` is LogQL's bracket key (in JMESPath it would be a multi-select list). Indexes are
//! non-negative. Anything else JMESPath has (wildcards, slices, filters, functions, pipes,
//! negative indexes) is a configuration error.

use sluice_plugin_sdk::json::unescape;
use std::ops::Range;

/// One step of a path: an object member or an array element.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// The member with this key (unescaped bytes).
    Key(Vec<u8>),
    /// The element at this index.
    Index(usize),
}

/// Parses a path; the error says what is wrong, for a message naming the field.
pub(crate) fn parse(path: &str) -> Result<Vec<Step>, String> {
    let bytes = path.as_bytes();
    let mut steps = Vec::new();
    let mut pos = 0;
    if bytes.is_empty() {
        return Err("the path is empty".into());
    }
    while pos < bytes.len() {
        let first = steps.is_empty();
        match bytes[pos] {
            b'[' => {
                let (step, next) = bracket(bytes, pos)?;
                if first && matches!(step, Step::Index(_)) {
                    return Err(format!(
                        "{path:?} starts with an index; a path starts with a key of the line's \
                         object, such as items[0]"
                    ));
                }
                steps.push(step);
                pos = next;
            }
            b'.' if !first => {
                pos += 1;
                let (key, next) = key(bytes, pos, path)?;
                steps.push(Step::Key(key));
                pos = next;
            }
            _ if first => {
                let (key, next) = key(bytes, pos, path)?;
                steps.push(Step::Key(key));
                pos = next;
            }
            other => return Err(unsupported(path, pos, other)),
        }
    }
    Ok(steps)
}

/// An identifier or a quoted key at `pos`; returns it and the position after it.
fn key(bytes: &[u8], pos: usize, path: &str) -> Result<(Vec<u8>, usize), String> {
    match bytes.get(pos) {
        Some(b'"') => quoted(bytes, pos),
        Some(&b) if b == b'_' || b.is_ascii_alphabetic() => {
            let end = bytes[pos..]
                .iter()
                .position(|&b| !(b == b'_' || b.is_ascii_alphanumeric()))
                .map_or(bytes.len(), |n| pos + n);
            Ok((bytes[pos..end].to_vec(), end))
        }
        Some(&b) => Err(unsupported(path, pos, b)),
        None => Err(format!("{path:?} ends with '.'; a key must follow it")),
    }
}

/// `[digits]` or `["key"]` at `pos`.
fn bracket(bytes: &[u8], pos: usize) -> Result<(Step, usize), String> {
    let path = String::from_utf8_lossy(bytes);
    let inner = pos + 1;
    let (step, close) = match bytes.get(inner) {
        Some(b'"') => {
            let (key, next) = quoted(bytes, inner)?;
            (Step::Key(key), next)
        }
        Some(b) if b.is_ascii_digit() => {
            let end = bytes[inner..]
                .iter()
                .position(|b| !b.is_ascii_digit())
                .map_or(bytes.len(), |n| inner + n);
            let index = std::str::from_utf8(&bytes[inner..end])
                .ok()
                .and_then(|s| s.parse::<usize>().ok())
                .ok_or_else(|| format!("{path:?}: the index at byte {inner} is too large"))?;
            (Step::Index(index), end)
        }
        Some(b'-') => {
            return Err(format!(
                "{path:?}: negative indexes are not supported; count from the start, such as [0]"
            ));
        }
        _ => {
            return Err(format!(
                "{path:?}: expected an index such as [0] or a quoted key such as [\"a.b\"] at \
                 byte {pos}; wildcards, slices and filters are not supported"
            ));
        }
    };
    if bytes.get(close) != Some(&b']') {
        return Err(format!("{path:?}: expected ']' at byte {close}"));
    }
    Ok((step, close + 1))
}

/// A JSON string at `pos` (which holds its opening quote), unescaped; returns it and the
/// position after its closing quote.
fn quoted(bytes: &[u8], pos: usize) -> Result<(Vec<u8>, usize), String> {
    let path = String::from_utf8_lossy(bytes);
    let mut end = pos + 1;
    loop {
        match bytes.get(end) {
            None => return Err(format!("{path:?}: the quote at byte {pos} is not closed")),
            Some(b'"') => break,
            Some(b'\\') => end += 2,
            Some(_) => end += 1,
        }
    }
    let mut key = Vec::new();
    if !unescape(&bytes[pos + 1..end], &mut key) {
        return Err(format!(
            "{path:?}: the quoted key at byte {pos} has an invalid escape; use JSON escapes \
             such as \\\" or \\u00e9"
        ));
    }
    Ok((key, end + 1))
}

/// The message for a byte the syntax does not allow.
fn unsupported(path: &str, pos: usize, byte: u8) -> String {
    format!(
        "{path:?}: unexpected {:?} at byte {pos}; a path is keys and indexes such as \
         user.name, items[0].id, \"key.with.dots\" or [\"key.with.dots\"] (a JMESPath subset)",
        byte as char
    )
}

/// The paths of a stage as a trie: node 0 is the top-level object.
///
/// Each target (a field to extract) ends at one node. Targets are numbered in depth-first
/// order, so the targets under a node form the contiguous range `Node::subtree`: when a key
/// occurs twice in an object, the later member wins by clearing that range before it is
/// resolved again.
#[derive(Debug, Default)]
pub(crate) struct Trie {
    pub(crate) nodes: Vec<Node>,
}

/// One node of a [`Trie`].
#[derive(Debug, Default)]
pub(crate) struct Node {
    /// The members to descend into: (unescaped key, child node).
    pub(crate) keys: Vec<(Vec<u8>, usize)>,
    /// The elements to descend into: (index, child node).
    pub(crate) indexes: Vec<(usize, usize)>,
    /// The targets that end here.
    pub(crate) targets: Range<usize>,
    /// The targets that end here or below.
    pub(crate) subtree: Range<usize>,
}

impl Trie {
    /// Builds the trie of `paths`; returns it and, for each path in order, its target number.
    pub(crate) fn build(paths: &[Vec<Step>]) -> (Trie, Vec<usize>) {
        let mut nodes = vec![Node::default()];
        // The node where each path ends.
        let ends: Vec<usize> = paths
            .iter()
            .map(|steps| {
                let mut node = 0;
                for step in steps {
                    node = child(&mut nodes, node, step);
                }
                node
            })
            .collect();
        // Number the targets depth-first: a node's own targets, then its children's.
        let mut trie = Trie { nodes };
        let mut next = 0;
        let mut order = vec![usize::MAX; paths.len()];
        trie.number(0, &ends, &mut order, &mut next);
        (trie, order)
    }

    fn number(&mut self, node: usize, ends: &[usize], order: &mut [usize], next: &mut usize) {
        let start = *next;
        for (path, &end) in ends.iter().enumerate() {
            if end == node {
                order[path] = *next;
                *next += 1;
            }
        }
        self.nodes[node].targets = start..*next;
        let children: Vec<usize> = {
            let n = &self.nodes[node];
            n.keys
                .iter()
                .map(|&(_, c)| c)
                .chain(n.indexes.iter().map(|&(_, c)| c))
                .collect()
        };
        for c in children {
            self.number(c, ends, order, next);
        }
        self.nodes[node].subtree = start..*next;
    }
}

/// The child of `node` for `step`, created when missing.
fn child(nodes: &mut Vec<Node>, node: usize, step: &Step) -> usize {
    let existing = match step {
        Step::Key(k) => nodes[node]
            .keys
            .iter()
            .find(|(key, _)| key == k)
            .map(|e| e.1),
        Step::Index(i) => nodes[node]
            .indexes
            .iter()
            .find(|(index, _)| index == i)
            .map(|e| e.1),
    };
    if let Some(c) = existing {
        return c;
    }
    let c = nodes.len();
    nodes.push(Node::default());
    match step {
        Step::Key(k) => nodes[node].keys.push((k.clone(), c)),
        Step::Index(i) => nodes[node].indexes.push((*i, c)),
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str) -> Step {
        Step::Key(k.as_bytes().to_vec())
    }

    #[test]
    fn parses_the_supported_syntax() {
        assert_eq!(parse("level"), Ok(vec![key("level")]));
        assert_eq!(parse("user.name"), Ok(vec![key("user"), key("name")]));
        assert_eq!(
            parse("items[0].id"),
            Ok(vec![key("items"), Step::Index(0), key("id")])
        );
        assert_eq!(parse(r#""key.with.dots""#), Ok(vec![key("key.with.dots")]));
        assert_eq!(
            parse(r#"["key.with.dots"].x"#),
            Ok(vec![key("key.with.dots"), key("x")])
        );
        assert_eq!(
            parse(r#"request.headers["User-Agent"]"#),
            Ok(vec![key("request"), key("headers"), key("User-Agent")])
        );
        assert_eq!(
            parse(r#"a."b\"c\u00e9"[12][3]"#),
            Ok(vec![
                key("a"),
                key("b\"cé"),
                Step::Index(12),
                Step::Index(3)
            ])
        );
        assert_eq!(parse("_x1"), Ok(vec![key("_x1")]));
    }

    #[test]
    fn rejects_what_it_does_not_support() {
        for (path, says) in [
            ("", "empty"),
            ("a.", "ends with '.'"),
            ("a[-1]", "negative"),
            ("a[*]", "wildcards"),
            ("a[?b==`1`]", "filters"),
            ("[0]", "starts with an index"),
            ("a[0", "expected ']'"),
            ("\"a", "not closed"),
            ("a | b", "unexpected ' '"),
            ("length(a)", "unexpected '('"),
            ("a.*", "unexpected '*'"),
            ("1a", "unexpected '1'"),
            (r#""\x""#, "invalid escape"),
            ("a[99999999999999999999999]", "too large"),
        ] {
            let e = parse(path).unwrap_err();
            assert!(e.contains(says), "{path:?}: {e}");
        }
    }

    #[test]
    fn trie_numbers_subtrees_contiguously() {
        let paths: Vec<Vec<Step>> = ["a.b", "c", "a", "a.d[1]", "a.b"]
            .iter()
            .map(|p| parse(p).unwrap())
            .collect();
        let (trie, order) = Trie::build(&paths);
        let root = &trie.nodes[0];
        assert_eq!(root.targets, 0..0);
        assert_eq!(root.subtree, 0..5);
        let a = trie.nodes[0].keys[0].1;
        assert_eq!(trie.nodes[a].subtree.len(), 4, "a, a.b twice, a.d[1]");
        assert_eq!(order[2], trie.nodes[a].targets.start);
        // Both "a.b" paths end at the same node.
        let b = trie.nodes[a].keys[0].1;
        assert!(trie.nodes[b].targets.contains(&order[0]));
        assert!(trie.nodes[b].targets.contains(&order[4]));
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(sorted, [0, 1, 2, 3, 4]);
    }
}
