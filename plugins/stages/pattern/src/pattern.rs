//! Loki's pattern syntax: parsing `<ip> - - [<_>] "<method> <path> <_>" <status>` and matching
//! lines against it.
//!
//! A pattern is literal text with captures in it: `<name>` captures into a field, `<_>` skips.
//! A name is an identifier (`[A-Za-z_][A-Za-z0-9_]*`), as in Loki's lexer; a `<` that does not
//! open one is literal text (`<->`, `<b class="x">`), except that something shaped like a failed
//! attempt at a name (`<user-agent>`, `<1st>`, `<a.b>`) is an error rather than silently
//! literal.
//!
//! Matching follows Loki: a leading literal must start the line; each capture takes the bytes
//! up to the first occurrence of the literal after it; a capture at the end takes the rest of
//! the line; text after a trailing literal is ignored. Unlike Loki, which keeps the captures
//! made before a literal it cannot find (and gives the capture before it the rest of the line),
//! a line where a literal is missing does not match at all and gets no field.

use memchr::memmem::Finder;

/// A compiled pattern.
#[derive(Debug)]
pub(crate) struct Pattern {
    /// The literal the line must start with, if the pattern starts with one.
    prefix: Vec<u8>,
    /// The captures in order, each with the literal that ends it.
    steps: Vec<Step>,
    /// The names of the named captures, in order.
    names: Vec<String>,
}

/// A capture and the literal after it.
#[derive(Debug)]
struct Step {
    /// The index of its name in `names`, or `None` for `<_>`.
    name: Option<usize>,
    /// The literal that ends it; `None` for a capture at the end, which takes the rest.
    until: Option<Finder<'static>>,
}

/// One token of a pattern's text.
enum Token {
    Literal(u8),
    Capture(Option<String>),
}

impl Pattern {
    /// Parses a pattern; the error says what is wrong and how to fix it.
    pub(crate) fn new(text: &str) -> Result<Pattern, String> {
        if text.is_empty() {
            return Err("is empty; write literal text with captures, such as \
                        \"<ip> - - [<_>] \\\"<method> <path> <_>\\\" <status> <_>\""
                .into());
        }
        let tokens = tokens(text)?;
        // Group the tokens into a leading literal and (capture, literal) steps.
        let mut prefix = Vec::new();
        let mut steps: Vec<Step> = Vec::new();
        let mut names: Vec<String> = Vec::new();
        let mut literal: Vec<u8> = Vec::new();
        let mut open: Option<Option<usize>> = None; // a capture waiting for its literal
        let mut previous_capture: Option<String> = None;
        for token in tokens {
            match token {
                Token::Literal(b) => literal.push(b),
                Token::Capture(name) => {
                    let shown = format!("<{}>", name.as_deref().unwrap_or("_"));
                    if literal.is_empty()
                        && let Some(previous) = &previous_capture
                    {
                        return Err(format!(
                            "{previous} and {shown} have no literal text between them, so \
                             where one ends is undefined; put text between them"
                        ));
                    }
                    match open.take() {
                        Some(name) => steps.push(Step {
                            name,
                            until: Some(Finder::new(&literal).into_owned()),
                        }),
                        None => prefix = std::mem::take(&mut literal),
                    }
                    literal.clear();
                    let index = match name {
                        Some(name) if names.contains(&name) => {
                            return Err(format!(
                                "captures <{name}> twice; each name must be used once"
                            ));
                        }
                        Some(name) => {
                            names.push(name);
                            Some(names.len() - 1)
                        }
                        None => None,
                    };
                    open = Some(index);
                    previous_capture = Some(shown);
                }
            }
        }
        match open {
            Some(name) => steps.push(Step {
                name,
                until: (!literal.is_empty()).then(|| Finder::new(&literal).into_owned()),
            }),
            None => prefix = literal,
        }
        if names.is_empty() {
            return Err(
                "has no named capture, so it would extract nothing: name one, such as \
                        <status> (<_> only skips)"
                    .into(),
            );
        }
        Ok(Pattern {
            prefix,
            steps,
            names,
        })
    }

    /// The capture names, in order.
    pub(crate) fn names(&self) -> &[String] {
        &self.names
    }

    /// Matches `line`; on a match, `spans[i]` is the span of capture `names[i]`.
    pub(crate) fn matches(&self, line: &[u8], spans: &mut [(usize, usize)]) -> bool {
        if line.is_empty() || !line.starts_with(&self.prefix) {
            return false;
        }
        let mut pos = self.prefix.len();
        for step in &self.steps {
            let end = match &step.until {
                Some(literal) => match literal.find(&line[pos..]) {
                    Some(i) => pos + i,
                    None => return false,
                },
                None => line.len(),
            };
            if let Some(name) = step.name {
                spans[name] = (pos, end);
            }
            pos = end + step.until.as_ref().map_or(0, |l| l.needle().len());
        }
        true
    }
}

/// Splits a pattern's text into literal bytes and captures.
fn tokens(text: &str) -> Result<Vec<Token>, String> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'<'
            && let Some((name, next)) = capture(bytes, i)?
        {
            tokens.push(Token::Capture(name));
            i = next;
            continue;
        }
        tokens.push(Token::Literal(bytes[i]));
        i += 1;
    }
    Ok(tokens)
}

/// The capture opening at `bytes[at]` (a `<`), if one does: its name (`None` for `<_>`) and
/// the position after its `>`.
fn capture(bytes: &[u8], at: usize) -> Result<Option<(Option<String>, usize)>, String> {
    let inner = at + 1;
    let len = bytes[inner..]
        .iter()
        .take_while(|&&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        .count();
    let word = &bytes[inner..inner + len];
    if len == 0 || bytes.get(inner + len) != Some(&b'>') {
        return Ok(None);
    }
    let identifier = (word[0] == b'_' || word[0].is_ascii_alphabetic())
        && word.iter().all(|&b| b == b'_' || b.is_ascii_alphanumeric());
    let word = std::str::from_utf8(word).unwrap_or_default();
    if identifier {
        let name = (word != "_").then(|| word.to_owned());
        Ok(Some((name, inner + len + 1)))
    } else if word.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
        Err(format!(
            "<{word}> is not a valid capture name: use letters, digits and _, not starting \
             with a digit (such as <{}>)",
            suggest(word)
        ))
    } else {
        Ok(None)
    }
}

/// A valid name close to `word`.
fn suggest(word: &str) -> String {
    let mut name: String = word
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, '_');
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The captures of `line`, as (name, text), or `None` when it does not match.
    fn captures(pattern: &str, line: &str) -> Option<Vec<(String, String)>> {
        let p = Pattern::new(pattern).unwrap();
        let mut spans = vec![(0, 0); p.names().len()];
        p.matches(line.as_bytes(), &mut spans).then(|| {
            p.names()
                .iter()
                .zip(&spans)
                .map(|(n, &(s, e))| (n.clone(), line[s..e].to_owned()))
                .collect()
        })
    }

    fn caps(list: &[(&str, &str)]) -> Option<Vec<(String, String)>> {
        Some(
            list.iter()
                .map(|&(n, v)| (n.to_owned(), v.to_owned()))
                .collect(),
        )
    }

    #[test]
    fn matches_like_loki() {
        assert_eq!(
            captures("<a> <b>", "one two three"),
            caps(&[("a", "one"), ("b", "two three")]),
            "a capture ends at the first occurrence of the next literal; the last takes the rest"
        );
        assert_eq!(captures("GET <path>", "GET /x"), caps(&[("path", "/x")]));
        assert_eq!(
            captures("GET <path>", "POST /x"),
            None,
            "a leading literal starts the line"
        );
        assert_eq!(captures("GET <path>", "GET "), caps(&[("path", "")]));
        assert_eq!(
            captures("<a> end", "x end and more"),
            caps(&[("a", "x")]),
            "text after a trailing literal is ignored"
        );
        assert_eq!(
            captures("<a>:<b>;", "1:2"),
            None,
            "a missing literal: no match"
        );
        assert_eq!(captures("<a>", ""), None, "an empty line never matches");
        assert_eq!(captures("<_>=<v>", "k=v=w"), caps(&[("v", "v=w")]));
    }

    #[test]
    fn angle_brackets_that_are_not_captures_are_literal() {
        assert_eq!(
            captures("<-> <a> <b class=\"x\"> < <>", "<-> 1 <b class=\"x\"> < <>"),
            caps(&[("a", "1")])
        );
    }

    #[test]
    fn rejects_bad_patterns() {
        for (pattern, says) in [
            ("", "is empty"),
            ("plain text", "no named capture"),
            ("<_> and <_>", "no named capture"),
            ("<a><b>", "<a> and <b> have no literal text between them"),
            ("<a> <_><b>", "<_> and <b>"),
            ("<a> <a>", "captures <a> twice"),
            ("<user-agent> x", "<user-agent> is not a valid capture name"),
            ("<1st> x", "such as <_1st>"),
            ("<a.b> x", "such as <a_b>"),
        ] {
            let e = Pattern::new(pattern).unwrap_err();
            assert!(e.contains(says), "{pattern:?}: {e}");
        }
    }
}
