//! One pass over a JSON document: validates it and records where the wanted values are.
//!
//! The walk never builds a tree and never allocates once its buffers have grown: it reads the
//! bytes once with the SDK's [`Scanner`], descending into the members and elements the
//! [`Trie`] asks for and skipping the rest, and records the byte span of each value a path ends
//! at ([`Span`]). Top-level members can be collected too, for `all`. Turning a span into a
//! field value (unescaping, compacting) is `value.rs`'s job, done only for the values actually
//! extracted.
//!
//! The grammar is the scanner's: RFC 8259's, strictly (no comments, trailing commas, single
//! quotes, `NaN`), with one leniency: bytes that are not valid UTF-8 are accepted inside
//! strings (and kept as they are), so one bad byte does not cost a whole line its fields.
//! Nesting deeper than [`MAX_DEPTH`] is an error, which bounds the recursion.

use crate::path::Trie;
use sluice_plugin_sdk::json::{Invalid, MAX_DEPTH, Scanner, StringSpan, unescape};

/// What a value is, as far as writing it as a field goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A string; the span is its contents without the quotes.
    String {
        /// Whether the contents hold a backslash escape.
        escaped: bool,
    },
    /// A number, `true` or `false`: written as its JSON text.
    Literal,
    /// `null`: written as the empty string.
    Null,
    /// An object or array; the span includes the brackets.
    Container,
}

/// Where a value is in the document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) kind: Kind,
}

impl Span {
    /// The span's bytes in `doc`.
    pub(crate) fn of<'a>(&self, doc: &'a [u8]) -> &'a [u8] {
        &doc[self.start..self.end]
    }

    /// The span of a string's contents.
    fn string(string: StringSpan) -> Span {
        Span {
            start: string.contents.start,
            end: string.contents.end,
            kind: Kind::String {
                escaped: string.escaped,
            },
        }
    }
}

/// A member of the top-level object: its key (a string span) and value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Member {
    pub(crate) key: Span,
    pub(crate) value: Span,
}

/// Why a line is not what the stage can parse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    /// Not JSON: what was expected, and where.
    Invalid { at: usize, expected: &'static str },
    /// Valid JSON, but not an object.
    NotObject,
}

impl From<Invalid> for Failure {
    fn from(e: Invalid) -> Failure {
        Failure::Invalid {
            at: e.at,
            expected: e.expected,
        }
    }
}

/// What a scan fills in; reused from line to line.
#[derive(Debug, Default)]
pub(crate) struct Found {
    /// For each target of the trie, the span of its value, if the path resolved.
    pub(crate) targets: Vec<Option<Span>>,
    /// The top-level members, in order, when collecting them.
    pub(crate) members: Vec<Member>,
    /// Scratch for unescaping keys that hold escapes.
    key: Vec<u8>,
}

/// Scans `doc`, which must be a JSON object, resolving `trie`'s paths into `found` (and
/// collecting the top-level members when `members` is true).
pub(crate) fn scan(
    doc: &[u8],
    trie: &Trie,
    members: bool,
    found: &mut Found,
) -> Result<(), Failure> {
    found.targets.clear();
    found.targets.resize(trie.nodes[0].subtree.end, None);
    found.members.clear();
    let mut s = Scanner::new(doc);
    s.ws();
    if s.peek() != Some(b'{') {
        // Tell a valid non-object apart from garbage, for the report.
        s.skip_value(0)?;
        s.ws();
        return Err(if s.at_end() {
            Failure::NotObject
        } else {
            s.fail("the end of the line").into()
        });
    }
    let mut walk = Walk {
        doc,
        trie,
        found,
        members,
    };
    walk.value(&mut s, Some(0), 0)?;
    s.ws();
    if !s.at_end() {
        return Err(s.fail("the end of the line").into());
    }
    Ok(())
}

/// What a walk records into, beside the cursor.
struct Walk<'a, 'f> {
    doc: &'a [u8],
    trie: &'a Trie,
    found: &'f mut Found,
    /// Whether to collect the top-level members.
    members: bool,
}

impl<'a> Walk<'a, '_> {
    /// Scans one value at the cursor (after whitespace). `node` is the trie node the value is
    /// at, if any path goes through it; a value no path goes through is only checked.
    fn value(
        &mut self,
        s: &mut Scanner<'a>,
        node: Option<usize>,
        depth: u32,
    ) -> Result<Span, Invalid> {
        let start = s.pos();
        let kind = match s.peek() {
            Some(b'{') => {
                if depth >= MAX_DEPTH {
                    return Err(s.fail("less deeply nested objects"));
                }
                s.bump();
                self.object(s, node, depth)?;
                Kind::Container
            }
            Some(b'[') => {
                if depth >= MAX_DEPTH {
                    return Err(s.fail("less deeply nested arrays"));
                }
                s.bump();
                self.array(s, node, depth)?;
                Kind::Container
            }
            Some(b'"') => {
                let span = Span::string(s.string_at_quote()?);
                if let Some(n) = node {
                    self.record(n, span);
                }
                return Ok(span);
            }
            Some(b't') => {
                s.word(b"true")?;
                Kind::Literal
            }
            Some(b'f') => {
                s.word(b"false")?;
                Kind::Literal
            }
            Some(b'n') => {
                s.word(b"null")?;
                Kind::Null
            }
            Some(b'-' | b'0'..=b'9') => {
                s.number()?;
                Kind::Literal
            }
            _ => return Err(s.fail("a value")),
        };
        let span = Span {
            start,
            end: s.pos(),
            kind,
        };
        if let Some(n) = node {
            self.record(n, span);
        }
        Ok(span)
    }

    /// Records `span` for the targets that end at `node`.
    fn record(&mut self, node: usize, span: Span) {
        for t in self.trie.nodes[node].targets.clone() {
            self.found.targets[t] = Some(span);
        }
    }

    /// The members of an object whose `{` was read.
    fn object(
        &mut self,
        s: &mut Scanner<'a>,
        node: Option<usize>,
        depth: u32,
    ) -> Result<(), Invalid> {
        let descend = node.filter(|&n| !self.trie.nodes[n].keys.is_empty());
        let collect = self.members && depth == 0;
        if descend.is_none() && !collect {
            return s.members(|s, _| s.skip_value(depth + 1));
        }
        s.members(|s, key| {
            let child = descend.and_then(|n| self.member_child(n, &key));
            if let Some(c) = child {
                // A later duplicate key replaces what an earlier one resolved.
                for t in self.trie.nodes[c].subtree.clone() {
                    self.found.targets[t] = None;
                }
            }
            let value = self.value(s, child, depth + 1)?;
            if collect {
                self.found.members.push(Member {
                    key: Span::string(key),
                    value,
                });
            }
            Ok(())
        })
    }

    /// The child of `node` for the member key `key`.
    fn member_child(&mut self, node: usize, key: &StringSpan) -> Option<usize> {
        let raw = &self.doc[key.contents.clone()];
        let key: &[u8] = if key.escaped {
            self.found.key.clear();
            unescape(raw, &mut self.found.key);
            &self.found.key
        } else {
            raw
        };
        self.trie.nodes[node]
            .keys
            .iter()
            .find(|(k, _)| k.as_slice() == key)
            .map(|&(_, c)| c)
    }

    /// The elements of an array whose `[` was read.
    fn array(
        &mut self,
        s: &mut Scanner<'a>,
        node: Option<usize>,
        depth: u32,
    ) -> Result<(), Invalid> {
        let trie = self.trie;
        let indexes = node.map_or(&[][..], |n| &trie.nodes[n].indexes[..]);
        if indexes.is_empty() {
            return s.elements(|s, _| s.skip_value(depth + 1));
        }
        s.elements(|s, index| {
            let child = indexes.iter().find(|&&(i, _)| i == index).map(|&(_, c)| c);
            self.value(s, child, depth + 1).map(drop)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::path::{Trie, parse};

    fn trie(paths: &[&str]) -> (Trie, Vec<usize>) {
        let steps: Vec<_> = paths.iter().map(|p| parse(p).unwrap()).collect();
        Trie::build(&steps)
    }

    /// The text each path resolved to, in the paths' order.
    fn resolve(doc: &str, paths: &[&str]) -> Vec<Option<String>> {
        let (trie, order) = trie(paths);
        let mut found = Found::default();
        scan(doc.as_bytes(), &trie, false, &mut found).unwrap();
        order
            .iter()
            .map(|&t| {
                found.targets[t].map(|s| String::from_utf8(s.of(doc.as_bytes()).to_vec()).unwrap())
            })
            .collect()
    }

    #[test]
    fn resolves_nested_paths_in_one_pass() {
        let doc = r#"{"user":{"name":"bob","id":7},"items":[{"id":"a"},{"id":"b","n":[1,2]}],"ok":true,"x":null,"k.d":1.5e3}"#;
        let got = resolve(
            doc,
            &[
                "user.name",
                "user.id",
                "items[1].id",
                "items[1].n",
                "items[2].id",
                "ok",
                "x",
                "\"k.d\"",
                "user",
                "nope.deeper",
            ],
        );
        let want = [
            Some("bob"),
            Some("7"),
            Some("b"),
            Some("[1,2]"),
            None,
            Some("true"),
            Some("null"),
            Some("1.5e3"),
            Some(r#"{"name":"bob","id":7}"#),
            None,
        ];
        assert_eq!(got, want.map(|w| w.map(str::to_owned)));
    }

    #[test]
    fn later_duplicate_keys_win_whole() {
        let got = resolve(r#"{"a":{"b":1},"a":{"c":2}}"#, &["a.b", "a.c"]);
        assert_eq!(got, [None, Some("2".to_owned())]);
        let got = resolve(r#"{"a":1,"a":2}"#, &["a"]);
        assert_eq!(got, [Some("2".to_owned())]);
    }

    #[test]
    fn escaped_keys_match_their_unescaped_path() {
        let got = resolve(r#"{"us\u0065r":{"n\"q":"x"}}"#, &[r#"user."n\"q""#]);
        assert_eq!(got, [Some("x".to_owned())]);
    }

    #[test]
    fn a_path_through_the_wrong_type_does_not_resolve() {
        let got = resolve(
            r#"{"a":"text","b":[1],"c":{"0":1}}"#,
            &["a.b", "a[0]", "b.x", "c[0]"],
        );
        assert_eq!(got, [None, None, None, None]);
    }

    #[test]
    fn collects_top_level_members() {
        let doc = br#" { "a" : 1 , "b\n" : { "c" : [ ] } } "#;
        let (trie, _) = trie(&[]);
        let mut found = Found::default();
        scan(doc, &trie, true, &mut found).unwrap();
        let members: Vec<_> = found
            .members
            .iter()
            .map(|m| (m.key.of(doc).to_vec(), m.value.of(doc).to_vec(), m.key.kind))
            .collect();
        assert_eq!(
            members,
            [
                (
                    b"a".to_vec(),
                    b"1".to_vec(),
                    Kind::String { escaped: false }
                ),
                (
                    b"b\\n".to_vec(),
                    br#"{ "c" : [ ] }"#.to_vec(),
                    Kind::String { escaped: true }
                ),
            ]
        );
    }

    #[test]
    fn failures() {
        let (trie, _) = trie(&["a"]);
        let mut found = Found::default();
        let mut check = |doc: &[u8]| scan(doc, &trie, false, &mut found);
        assert_eq!(check(b"[1,2]"), Err(Failure::NotObject));
        assert_eq!(check(b" 42 "), Err(Failure::NotObject));
        assert_eq!(check(b"\"s\""), Err(Failure::NotObject));
        assert_eq!(
            check(b"{\"a\":1} x"),
            Err(Failure::Invalid {
                at: 8,
                expected: "the end of the line"
            })
        );
        assert_eq!(
            check(b"{\"a\":}"),
            Err(Failure::Invalid {
                at: 5,
                expected: "a value"
            })
        );
        assert_eq!(
            check(b"hello"),
            Err(Failure::Invalid {
                at: 0,
                expected: "a value"
            })
        );
        assert_eq!(
            check(b"{\"a\":1,}"),
            Err(Failure::Invalid {
                at: 7,
                expected: "a key in quotes"
            })
        );
        assert_eq!(
            check(b""),
            Err(Failure::Invalid {
                at: 0,
                expected: "a value"
            })
        );
        assert!(check(b"{\"a\":\"tab\there\"}").is_err());
        assert!(check(b"{\"a\":01}").is_err());
        assert!(check(b"{\"a\":1.}").is_err());
        assert!(check(b"{\"a\":\"\\x\"}").is_err());
        assert!(check(b"{\"a\":\"\\u12\"}").is_err());
        assert!(check(b"{\"a\":tru}").is_err());
        assert!(check(b"{\"a\":1").is_err());
        // Invalid UTF-8 inside a string is accepted; outside one it is not.
        assert_eq!(check(b"{\"a\":\"\xff\xfe\"}"), Ok(()));
        assert!(check(b"{\"a\":1\xff}").is_err());
    }

    #[test]
    fn nesting_is_bounded() {
        let (trie, _) = trie(&["a"]);
        let mut found = Found::default();
        let ok = format!("{{\"a\":{}{}}}", "[".repeat(126), "]".repeat(126));
        assert_eq!(scan(ok.as_bytes(), &trie, false, &mut found), Ok(()));
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(matches!(
            scan(deep.as_bytes(), &trie, false, &mut found),
            Err(Failure::Invalid { .. })
        ));
    }

    /// The scanner accepts exactly what serde_json accepts, on valid UTF-8 documents.
    #[test]
    fn agrees_with_serde_json() {
        let docs = [
            r#"{}"#,
            r#"{"a":[]}"#,
            r#"{"a":[1,-0,0.5,1e5,1E-5,-1.25e+10]}"#,
            r#"{"a":"\ud83d\ude00 \u00e9 \n\t\\\/\"","b":{"c":[{"d":null}]}}"#,
            r#"{"a":+1}"#,
            r#"{"a":.5}"#,
            r#"{"a":1e}"#,
            r#"{"a":-}"#,
            r#"{"a":[1,]}"#,
            r#"{"a" 1}"#,
            r#"{'a':1}"#,
            r#"{"a":NaN}"#,
            r#"{"a":1}{"b":2}"#,
            r#"{"a":true,"b":false,"c":null}"#,
            r#"  {"a":1}  "#,
            r#"{"a":[[[[]]]]}"#,
            r#"{"a":"unterminated}"#,
            r#"{"a":1,"a":2}"#,
            r#"{,}"#,
            r#"{"a":[1 2]}"#,
        ];
        let (trie, _) = trie(&["a"]);
        let mut found = Found::default();
        for doc in docs {
            let ours = scan(doc.as_bytes(), &trie, true, &mut found).is_ok();
            let theirs =
                serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(doc).is_ok();
            assert_eq!(ours, theirs, "{doc}");
        }
    }
}
