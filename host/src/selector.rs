//! [`Selector`]: which lines a `match` stage runs its nested stages on, in LogQL's syntax.
//!
//! ```text
//! {level="error", app=~"api-.*"} |= "timeout" != "retry"
//! ```
//!
//! The braces hold field matchers, all of which must hold: `=` and `!=` compare a field's value,
//! `=~` and `!~` match it against a regex that must match the *whole* value (as in Loki). A
//! field the line does not have counts as the empty string. After the braces (which may be left
//! out) come line filters, all of which must hold: `|=` the line contains the text, `!=` it does
//! not, `|~` a regex matches somewhere in the line, `!~` none does. Strings are in double
//! quotes with `\"` and `\\` escapes, or in backquotes taken literally.

use std::fmt;

use regex::bytes::Regex;

use crate::lines::Lines;

/// A parsed selector.
#[derive(Clone, Debug)]
pub struct Selector {
    text: String,
    fields: Vec<FieldMatcher>,
    filters: Vec<LineFilter>,
}

#[derive(Clone, Debug)]
struct FieldMatcher {
    key: String,
    test: Test,
}

#[derive(Clone, Debug)]
struct LineFilter {
    test: Test,
}

/// One comparison, on a field's value or on the line.
#[derive(Clone, Debug)]
enum Test {
    Equals(Vec<u8>, bool),
    Contains(Box<memchr::memmem::Finder<'static>>, bool),
    Matches(Regex, bool),
}

impl Test {
    fn holds(&self, haystack: &[u8]) -> bool {
        match self {
            Test::Equals(value, want) => (haystack == value.as_slice()) == *want,
            Test::Contains(finder, want) => finder.find(haystack).is_some() == *want,
            Test::Matches(regex, want) => regex.is_match(haystack) == *want,
        }
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Selector {
    /// Parses `text`; the error says what was expected and at which character.
    pub fn parse(text: &str) -> Result<Selector, String> {
        let mut parser = Parser { text, pos: 0 };
        let mut selector = Selector {
            text: text.trim().to_owned(),
            fields: Vec::new(),
            filters: Vec::new(),
        };
        parser.skip_space();
        if parser.eat("{") {
            parser.skip_space();
            if !parser.eat("}") {
                loop {
                    selector.fields.push(parser.field_matcher()?);
                    parser.skip_space();
                    if parser.eat("}") {
                        break;
                    }
                    parser.expect(",")?;
                }
            }
        }
        loop {
            parser.skip_space();
            if parser.at_end() {
                break;
            }
            selector.filters.push(parser.line_filter()?);
        }
        if selector.fields.is_empty() && selector.filters.is_empty() {
            return Err(
                "the selector is empty; write `{field=\"value\"}` and/or `|= \"text\"`".into(),
            );
        }
        Ok(selector)
    }

    /// Whether line `i` of `lines` is selected.
    pub fn selects(&self, lines: &Lines, i: usize) -> bool {
        let line = lines.line(i);
        if !self.filters.iter().all(|f| f.test.holds(line)) {
            return false;
        }
        if self.fields.is_empty() {
            return true;
        }
        let table = &lines.fields;
        let i = i as u32;
        let first = table.line.partition_point(|&l| l < i);
        let last = table.line.partition_point(|&l| l <= i);
        self.fields.iter().all(|m| {
            let value = (first..last)
                .find(|&e| table.key(e) == m.key)
                .map_or(&b""[..], |e| table.value(e));
            m.test.holds(value)
        })
    }
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        &self.text[self.pos..]
    }

    fn at_end(&self) -> bool {
        self.pos == self.text.len()
    }

    fn skip_space(&mut self) {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start().len();
    }

    fn eat(&mut self, token: &str) -> bool {
        if self.rest().starts_with(token) {
            self.pos += token.len();
            true
        } else {
            false
        }
    }

    fn error(&self, expected: &str) -> String {
        let found = match self.rest().chars().next() {
            Some(c) => format!("`{c}`"),
            None => "the end".to_owned(),
        };
        format!(
            "expected {expected} at character {}, found {found}",
            self.text[..self.pos].chars().count() + 1
        )
    }

    fn expect(&mut self, token: &str) -> Result<(), String> {
        if self.eat(token) {
            Ok(())
        } else {
            Err(self.error(&format!("`{token}`")))
        }
    }

    fn field_matcher(&mut self) -> Result<FieldMatcher, String> {
        self.skip_space();
        let rest = self.rest();
        let len = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.' || c == '-'))
            .unwrap_or(rest.len());
        if len == 0 {
            return Err(self.error("a field name"));
        }
        let key = rest[..len].to_owned();
        self.pos += len;
        self.skip_space();
        let op = ["=~", "!~", "!=", "="]
            .into_iter()
            .find(|op| self.eat(op))
            .ok_or_else(|| self.error("`=`, `!=`, `=~` or `!~`"))?;
        self.skip_space();
        let value = self.string()?;
        let test = match op {
            "=" => Test::Equals(value.into_bytes(), true),
            "!=" => Test::Equals(value.into_bytes(), false),
            _ => Test::Matches(regex(&format!("^(?:{value})$"), &value)?, op == "=~"),
        };
        Ok(FieldMatcher { key, test })
    }

    fn line_filter(&mut self) -> Result<LineFilter, String> {
        let op = ["|=", "!=", "|~", "!~"]
            .into_iter()
            .find(|op| self.eat(op))
            .ok_or_else(|| self.error("a line filter (`|=`, `!=`, `|~` or `!~`)"))?;
        self.skip_space();
        let value = self.string()?;
        let test = match op {
            "|=" | "!=" => Test::Contains(
                Box::new(memchr::memmem::Finder::new(value.as_bytes()).into_owned()),
                op == "|=",
            ),
            _ => Test::Matches(regex(&value, &value)?, op == "|~"),
        };
        Ok(LineFilter { test })
    }

    fn string(&mut self) -> Result<String, String> {
        if self.eat("`") {
            let end = self
                .rest()
                .find('`')
                .ok_or_else(|| "a backquoted string is not closed".to_owned())?;
            let value = self.rest()[..end].to_owned();
            self.pos += end + 1;
            return Ok(value);
        }
        if !self.eat("\"") {
            return Err(self.error("a string in double quotes or backquotes"));
        }
        let mut value = String::new();
        let mut chars = self.rest().char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.pos += i + 1;
                    return Ok(value);
                }
                '\\' => match chars.next() {
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, 't')) => value.push('\t'),
                    Some((_, c)) => value.push(c),
                    None => break,
                },
                c => value.push(c),
            }
        }
        Err("a string in double quotes is not closed".into())
    }
}

fn regex(pattern: &str, shown: &str) -> Result<Regex, String> {
    Regex::new(pattern).map_err(|err| {
        let detail = err.to_string();
        let last = detail.lines().last().unwrap_or("").trim();
        format!("invalid regex `{shown}`: {last}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framing::Terminator;

    fn lines() -> Lines {
        let mut lines = Lines::default();
        lines.push(b"GET /api timeout", Terminator::Lf, false);
        lines.push(b"POST /login ok", Terminator::Lf, false);
        lines.push(b"\xff timeout retry", Terminator::Lf, false);
        let level = lines.fields.intern("level");
        lines.fields.push(0, level, b"error");
        lines.fields.push(1, level, b"info");
        lines
    }

    fn selected(selector: &str) -> Vec<usize> {
        let selector = Selector::parse(selector).unwrap();
        let lines = lines();
        (0..lines.len())
            .filter(|&i| selector.selects(&lines, i))
            .collect()
    }

    #[test]
    fn field_matchers() {
        assert_eq!(selected(r#"{level="error"}"#), [0]);
        assert_eq!(selected(r#"{level!="error"}"#), [1, 2]);
        assert_eq!(selected(r#"{level=~"error|info"}"#), [0, 1]);
        // Anchored: `err` does not match `error` whole.
        assert_eq!(selected(r#"{level=~"err"}"#), Vec::<usize>::new());
        // A missing field is the empty string.
        assert_eq!(selected(r#"{level=""}"#), [2]);
        assert_eq!(selected(r#"{ level !~ "e.*" , level != "" }"#), [1]);
    }

    #[test]
    fn line_filters() {
        assert_eq!(selected(r#"|= "timeout""#), [0, 2]);
        assert_eq!(selected(r#"|= "timeout" != "retry""#), [0]);
        assert_eq!(selected(r#"|~ "^(GET|POST) ""#), [0, 1]);
        assert_eq!(selected(r#"!~ `^\w+ /`"#), [2]);
        assert_eq!(selected(r#"{level="error"} |= "api""#), [0]);
    }

    #[test]
    fn errors_say_where() {
        let err = |s: &str| Selector::parse(s).unwrap_err();
        assert_eq!(
            err(""),
            "the selector is empty; write `{field=\"value\"}` and/or `|= \"text\"`"
        );
        assert_eq!(
            err(r#"{level "x"}"#),
            "expected `=`, `!=`, `=~` or `!~` at character 8, found `\"`"
        );
        assert_eq!(
            err(r#"{level="x""#),
            "expected `,` at character 11, found the end"
        );
        assert_eq!(
            err(r#"|= "open"#),
            "a string in double quotes is not closed"
        );
        assert!(err(r#"|~ "(""#).starts_with("invalid regex `(`"));
        assert_eq!(
            err("timeout"),
            "expected a line filter (`|=`, `!=`, `|~` or `!~`) at character 1, found `t`"
        );
    }
}
