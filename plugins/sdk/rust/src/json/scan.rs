//! A cursor over a JSON document: the tokens of RFC 8259, checked strictly, for parsers that
//! walk a document once without building a tree (the `json` stage resolving paths, `docker`
//! picking three members).
//!
//! The one leniency is that bytes that are not valid UTF-8 are accepted inside strings (and
//! kept as they are), so one bad byte does not cost a whole line. Every method starts at the
//! cursor (after whitespace: call [`Scanner::ws`] between tokens) and moves it past what it
//! read; an error is an [`Invalid`] naming the byte offset where the document went wrong and
//! what was expected there.

use std::ops::Range;

/// How deep objects and arrays may nest by default (serde_json's limit too).
pub const MAX_DEPTH: u32 = 128;

/// A document is not valid JSON: at byte `at`, `expected` was expected (`"a value"`,
/// `"',' or '}'"`, `"the closing quote"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Invalid {
    /// The offset, in the document, of the byte that went wrong (its length at the end).
    pub at: usize,
    /// What would have been right there, as a few words.
    pub expected: &'static str,
}

/// A string the scanner read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StringSpan {
    /// Where its contents are in the document, without the quotes, still escaped.
    pub contents: Range<usize>,
    /// Whether the contents hold a backslash escape (else they are the string's bytes).
    pub escaped: bool,
}

/// A cursor over one JSON document.
#[derive(Clone, Debug)]
pub struct Scanner<'a> {
    /// The document.
    doc: &'a [u8],
    /// The offset of the next byte to read; at most `doc.len()`.
    pos: usize,
    /// How deep [`Scanner::skip_value`] lets objects and arrays nest.
    max_depth: u32,
}

impl<'a> Scanner<'a> {
    /// A cursor at the start of `doc`, allowing [`MAX_DEPTH`] levels of nesting.
    #[inline]
    pub fn new(doc: &'a [u8]) -> Scanner<'a> {
        Scanner {
            doc,
            pos: 0,
            max_depth: MAX_DEPTH,
        }
    }

    /// The same cursor, letting [`Scanner::skip_value`] nest at most `max_depth` levels.
    #[inline]
    pub fn with_max_depth(self, max_depth: u32) -> Scanner<'a> {
        Scanner { max_depth, ..self }
    }

    /// The document.
    #[inline]
    pub fn doc(&self) -> &'a [u8] {
        self.doc
    }

    /// The offset of the next byte to read.
    #[inline]
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Whether the whole document has been read.
    #[inline]
    pub fn at_end(&self) -> bool {
        self.pos == self.doc.len()
    }

    /// The next byte, without reading it.
    #[inline]
    pub fn peek(&self) -> Option<u8> {
        self.doc.get(self.pos).copied()
    }

    /// Reads the next byte if it is `byte`; returns whether it was.
    #[inline]
    pub fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        self.pos += usize::from(found);
        found
    }

    /// Moves past one byte the caller has peeked at (such as the `{` of an object).
    #[inline]
    pub fn bump(&mut self) {
        debug_assert!(self.pos < self.doc.len(), "bump at the end of the document");
        self.pos += 1;
    }

    /// The error "`expected` was expected here".
    #[inline]
    pub fn fail(&self, expected: &'static str) -> Invalid {
        Invalid {
            at: self.pos,
            expected,
        }
    }

    /// Skips whitespace (space, tab, line feed, carriage return).
    #[inline]
    pub fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// Reads a string, failing with "a string" when the cursor is not at a `"`. Returns the
    /// span of its contents and whether they hold an escape; the escapes are checked, not
    /// decoded (see [`crate::json::unescape`]).
    pub fn string(&mut self) -> Result<StringSpan, Invalid> {
        if self.peek() != Some(b'"') {
            return Err(self.fail("a string"));
        }
        self.string_at_quote()
    }

    /// [`Scanner::string`] for a caller that has seen the opening quote at the cursor (else
    /// the byte there is taken for one). Checking again costs, in a loop over every string of
    /// every line, a few percent of a JSON stage's time.
    pub fn string_at_quote(&mut self) -> Result<StringSpan, Invalid> {
        debug_assert_eq!(self.peek(), Some(b'"'));
        self.pos += 1;
        let start = self.pos;
        let mut escaped = false;
        let doc = self.doc;
        loop {
            // The common bytes first, in a tight loop.
            while let Some(&b) = doc.get(self.pos) {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            match self.peek() {
                Some(b'"') => {
                    let end = self.pos;
                    self.pos += 1;
                    return Ok(StringSpan {
                        contents: start..end,
                        escaped,
                    });
                }
                Some(b'\\') => {
                    escaped = true;
                    self.pos += 1;
                    match self.peek() {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                            self.pos += 1
                        }
                        Some(b'u') => {
                            self.pos += 1;
                            for _ in 0..4 {
                                if !self.peek().is_some_and(|b| b.is_ascii_hexdigit()) {
                                    return Err(self.fail("4 hex digits after \\u"));
                                }
                                self.pos += 1;
                            }
                        }
                        _ => return Err(self.fail("an escape such as \\n or \\u00e9")),
                    }
                }
                Some(_) => return Err(self.fail("no control character in a string")),
                None => return Err(self.fail("the closing quote")),
            }
        }
    }

    /// Reads the literal `word` (`true`, `false`, `null`), failing with "a value".
    #[inline]
    pub fn word(&mut self, word: &'static [u8]) -> Result<(), Invalid> {
        if self.doc[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(self.fail("a value"))
        }
    }

    /// Reads a number: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    pub fn number(&mut self) -> Result<(), Invalid> {
        self.eat(b'-');
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.fail("a digit")),
        }
        if self.eat(b'.') {
            if !self.peek().is_some_and(|b| b.is_ascii_digit()) {
                return Err(self.fail("a digit after '.'"));
            }
            self.digits();
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if !self.peek().is_some_and(|b| b.is_ascii_digit()) {
                return Err(self.fail("a digit in the exponent"));
            }
            self.digits();
        }
        Ok(())
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
    }

    /// Reads a scalar (string, number, `true`, `false`, `null`) at the cursor, failing with "a
    /// value" at anything else (an object or an array included).
    fn scalar(&mut self) -> Result<(), Invalid> {
        match self.peek() {
            Some(b'"') => self.string_at_quote().map(drop),
            Some(b't') => self.word(b"true"),
            Some(b'f') => self.word(b"false"),
            Some(b'n') => self.word(b"null"),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.fail("a value")),
        }
    }

    /// Reads any value and checks it, `depth` levels deep (0 for a document's top-level
    /// value): objects and arrays nesting deeper than the scanner's limit are an error.
    pub fn skip_value(&mut self, depth: u32) -> Result<(), Invalid> {
        match self.peek() {
            Some(b'{') => {
                if depth >= self.max_depth {
                    return Err(self.fail("less deeply nested objects"));
                }
                self.pos += 1;
                self.members(|s, _| s.skip_value(depth + 1))
            }
            Some(b'[') => {
                if depth >= self.max_depth {
                    return Err(self.fail("less deeply nested arrays"));
                }
                self.pos += 1;
                self.elements(|s, _| s.skip_value(depth + 1))
            }
            _ => self.scalar(),
        }
    }

    /// Reads the members of an object whose `{` was just read, up to and including its `}`:
    /// for each, reads the key and the `:`, then calls `value` with the cursor at the value
    /// (the key's span given) to read it.
    #[inline]
    pub fn members(
        &mut self,
        mut value: impl FnMut(&mut Self, StringSpan) -> Result<(), Invalid>,
    ) -> Result<(), Invalid> {
        self.ws();
        if self.eat(b'}') {
            return Ok(());
        }
        loop {
            if self.peek() != Some(b'"') {
                return Err(self.fail("a key in quotes"));
            }
            let key = self.string_at_quote()?;
            self.ws();
            if !self.eat(b':') {
                return Err(self.fail("':'"));
            }
            self.ws();
            value(self, key)?;
            if !self.after_item(b'}', "',' or '}'")? {
                return Ok(());
            }
        }
    }

    /// Reads the elements of an array whose `[` was just read, up to and including its `]`:
    /// calls `element` with the cursor at each element (and its index) to read it.
    #[inline]
    pub fn elements(
        &mut self,
        mut element: impl FnMut(&mut Self, usize) -> Result<(), Invalid>,
    ) -> Result<(), Invalid> {
        self.ws();
        if self.eat(b']') {
            return Ok(());
        }
        let mut index = 0;
        loop {
            element(self, index)?;
            index += 1;
            if !self.after_item(b']', "',' or ']'")? {
                return Ok(());
            }
        }
    }

    /// Reads what follows a member or an element: a `,` (and the whitespace after it), giving
    /// true as another item follows, or the container's `close`, giving false.
    #[inline]
    fn after_item(&mut self, close: u8, expected: &'static str) -> Result<bool, Invalid> {
        self.ws();
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                self.ws();
                Ok(true)
            }
            Some(b) if b == close => {
                self.pos += 1;
                Ok(false)
            }
            _ => Err(self.fail(expected)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks `doc` as one document.
    fn check(doc: &[u8]) -> Result<(), Invalid> {
        let mut s = Scanner::new(doc);
        s.ws();
        s.skip_value(0)?;
        s.ws();
        if s.at_end() {
            Ok(())
        } else {
            Err(s.fail("the end"))
        }
    }

    fn invalid(at: usize, expected: &'static str) -> Result<(), Invalid> {
        Err(Invalid { at, expected })
    }

    #[test]
    fn strings_give_their_escaped_contents() {
        let doc = b"\"plain\" \"a\\\"b\\u00e9\" \"caf\xc3\xa9 \xff\"";
        let mut s = Scanner::new(doc);
        let plain = s.string().unwrap();
        assert_eq!(
            (&doc[plain.contents], plain.escaped),
            (&b"plain"[..], false)
        );
        s.ws();
        let escaped = s.string().unwrap();
        assert_eq!(&doc[escaped.contents], br#"a\"b\u00e9"#);
        assert!(escaped.escaped);
        s.ws();
        // Bytes that are not UTF-8 are accepted inside a string.
        assert!(!s.string().unwrap().escaped);
        assert!(s.at_end());
    }

    #[test]
    fn errors_say_where_and_what() {
        assert_eq!(check(b"{\"a\":}"), invalid(5, "a value"));
        assert_eq!(check(b"{\"a\":1,}"), invalid(7, "a key in quotes"));
        assert_eq!(check(b"{\"a\" 1}"), invalid(5, "':'"));
        assert_eq!(check(b"{\"a\":1 2}"), invalid(7, "',' or '}'"));
        assert_eq!(check(b"[1 2]"), invalid(3, "',' or ']'"));
        assert_eq!(check(b"\"\\u12\""), invalid(5, "4 hex digits after \\u"));
        assert_eq!(
            check(b"\"\\x\""),
            invalid(2, "an escape such as \\n or \\u00e9")
        );
        assert_eq!(
            check(b"\"tab\there\""),
            invalid(4, "no control character in a string")
        );
        assert_eq!(check(b"\"open"), invalid(5, "the closing quote"));
        assert_eq!(check(b"-x"), invalid(1, "a digit"));
        assert_eq!(check(b"1.e5"), invalid(2, "a digit after '.'"));
        assert_eq!(check(b"1e+"), invalid(3, "a digit in the exponent"));
        assert_eq!(check(b"tru"), invalid(0, "a value"));
        assert_eq!(check(b""), invalid(0, "a value"));
        assert_eq!(check(b"01"), invalid(1, "the end"));
        assert_eq!(
            Scanner::new(b"x").string(),
            Err(Invalid {
                at: 0,
                expected: "a string"
            })
        );
    }

    #[test]
    fn nesting_is_bounded() {
        let ok = format!("{}{}", "[".repeat(128), "]".repeat(128));
        assert_eq!(check(ok.as_bytes()), Ok(()));
        let deep = format!("{}{}", "[".repeat(129), "]".repeat(129));
        assert_eq!(
            check(deep.as_bytes()),
            invalid(128, "less deeply nested arrays")
        );
        let objects = "{\"a\":".repeat(3) + "1" + &"}".repeat(3);
        let mut s = Scanner::new(objects.as_bytes()).with_max_depth(2);
        assert_eq!(
            s.skip_value(0),
            Err(Invalid {
                at: 10,
                expected: "less deeply nested objects"
            })
        );
        let huge = "[".repeat(100_000);
        assert!(check(huge.as_bytes()).is_err());
    }

    #[test]
    fn members_and_elements_visit_in_order() {
        let doc = br#"{ "a" : [ 1 , "x" ] , "b\n" : { } }"#;
        let mut s = Scanner::new(doc);
        s.bump();
        let mut seen = Vec::new();
        s.members(|s, key| {
            seen.push(String::from_utf8(doc[key.contents].to_vec()).unwrap());
            if s.eat(b'[') {
                s.elements(|s, i| {
                    seen.push(i.to_string());
                    s.skip_value(2)
                })
            } else {
                s.skip_value(1)
            }
        })
        .unwrap();
        assert!(s.at_end());
        assert_eq!(seen, ["a", "0", "1", "b\\n"]);
    }

    /// The scanner accepts exactly what serde_json accepts, on valid UTF-8 documents.
    #[test]
    fn agrees_with_serde_json() {
        let docs = [
            r#"[]"#,
            r#"[1,-0,0.5,1e5,1E-5,-1.25e+10,true,false,null]"#,
            r#"["\ud83d\ude00 \u00e9 \n\t\\\/\"",{"c":[{"d":null}]}]"#,
            r#"+1"#,
            r#".5"#,
            r#"1e"#,
            r#"-"#,
            r#"[1,]"#,
            r#"{"a" 1}"#,
            r#"'a'"#,
            r#"NaN"#,
            r#"1 2"#,
            r#"  [1, "two", {"3": [4]}]  "#,
            r#"[[[[]]]]"#,
            r#""unterminated"#,
            r#"{"a":1,"a":2}"#,
            r#"[,]"#,
            r#""just a string""#,
            r#"-0.0e-0"#,
            r#"00"#,
            r#""\u00"#,
        ];
        for doc in docs {
            let ours = check(doc.as_bytes()).is_ok();
            let theirs = serde_json::from_str::<serde_json::Value>(doc).is_ok();
            assert_eq!(ours, theirs, "{doc}");
        }
    }
}
