//! The replacement, parsed once: literal bytes and references to capture groups.
//!
//! The syntax is the `regex` crate's (`Captures::expand`): `$name` or `${name}` is the group
//! named `name`, `$2` or `${2}` is group 2 (`$0` is the whole match), `$$` is a literal `$`.
//! A name runs as long as it can (`[_0-9A-Za-z]`), so `$1a` is the group named `1a`: write
//! `${1}a` for group 1 followed by `a`. A `$` that starts no reference is a literal `$`.
//!
//! Unlike `regex`, which silently inserts nothing for a group the expression lacks, such a
//! reference is a configuration error here: it is almost always a typo.

use std::ops::Range;

/// One piece of the replacement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Part {
    /// Bytes copied as they are: `literals[range]`.
    Literal(Range<usize>),
    /// The bytes of capture group `n` (0 is the whole match); nothing when it did not take part.
    Group(usize),
}

/// A parsed replacement.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Template {
    pub(crate) parts: Vec<Part>,
    /// The literal bytes of every [`Part::Literal`], back to back.
    pub(crate) literals: Vec<u8>,
}

impl Template {
    /// Parses `text`, resolving group names with `group_index` (name → index) and checking
    /// numbers against `groups` (the number of groups, the whole match included). The error
    /// says which reference is wrong and how to fix it.
    pub(crate) fn parse(
        text: &str,
        groups: usize,
        group_index: impl Fn(&str) -> Option<usize>,
    ) -> Result<Template, String> {
        let mut template = Template::default();
        let bytes = text.as_bytes();
        let mut i = 0;
        let mut literal_start = template.literals.len();
        while i < bytes.len() {
            if bytes[i] != b'$' {
                template.literals.push(bytes[i]);
                i += 1;
                continue;
            }
            if bytes.get(i + 1) == Some(&b'$') {
                template.literals.push(b'$');
                i += 2;
                continue;
            }
            let Some((name, end)) = reference(bytes, i) else {
                template.literals.push(b'$');
                i += 1;
                continue;
            };
            let group = match name.parse::<usize>() {
                Ok(n) if n < groups => n,
                Ok(n) => {
                    return Err(format!(
                        "refers to group {n}, but the expression has {} group{} besides $0",
                        groups - 1,
                        if groups == 2 { "" } else { "s" }
                    ));
                }
                Err(_) => group_index(name).ok_or_else(|| unknown_name(name))?,
            };
            if template.literals.len() > literal_start {
                template
                    .parts
                    .push(Part::Literal(literal_start..template.literals.len()));
            }
            template.parts.push(Part::Group(group));
            literal_start = template.literals.len();
            i = end;
        }
        if template.literals.len() > literal_start {
            template
                .parts
                .push(Part::Literal(literal_start..template.literals.len()));
        }
        Ok(template)
    }

    /// Whether expanding needs the spans of groups other than the whole match.
    pub(crate) fn needs_groups(&self) -> bool {
        self.parts
            .iter()
            .any(|p| matches!(p, Part::Group(g) if *g > 0))
    }
}

/// The reference starting at the `$` at `at`: its name and where it ends, as `regex` reads
/// it; `None` when the `$` starts no reference.
fn reference(bytes: &[u8], at: usize) -> Option<(&str, usize)> {
    let rest = &bytes[at + 1..];
    if rest.first() == Some(&b'{') {
        let close = rest.iter().position(|&b| b == b'}')?;
        let name = std::str::from_utf8(&rest[1..close]).ok()?;
        return Some((name, at + 1 + close + 1));
    }
    let len = rest
        .iter()
        .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'_')
        .count();
    if len == 0 {
        return None;
    }
    let name = std::str::from_utf8(&rest[..len]).ok()?;
    Some((name, at + 1 + len))
}

/// The error for a group name the expression lacks.
fn unknown_name(name: &str) -> String {
    let digits = name.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 && digits < name.len() {
        let (number, rest) = name.split_at(digits);
        format!(
            "refers to a group named {name:?}, which the expression does not have; for group \
             {number} followed by {rest:?}, write ${{{number}}}{rest}"
        )
    } else {
        format!(
            "refers to a group named {name:?}, which the expression does not have; name one \
             with (?P<{name}>…), or write $$ for a literal $"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<String>, String> {
        let t = Template::parse(text, 3, |name| (name == "user").then_some(2))?;
        Ok(t.parts
            .iter()
            .map(|p| match p {
                Part::Literal(r) => String::from_utf8(t.literals[r.clone()].to_vec()).unwrap(),
                Part::Group(g) => format!("<{g}>"),
            })
            .collect())
    }

    #[test]
    fn references_and_literals() {
        assert_eq!(parse("plain").unwrap(), ["plain"]);
        assert_eq!(parse("").unwrap(), Vec::<String>::new());
        assert_eq!(
            parse("$1-${2}x$0").unwrap(),
            ["<1>", "-", "<2>", "x", "<0>"]
        );
        assert_eq!(parse("user=$user!").unwrap(), ["user=", "<2>", "!"]);
        assert_eq!(parse("${user}_x").unwrap(), ["<2>", "_x"]);
        assert_eq!(parse("cost: $$5").unwrap(), ["cost: $5"]);
        assert_eq!(parse("$ and $- and ${").unwrap(), ["$ and $- and ${"]);
        assert_eq!(parse("é$1é").unwrap(), ["é", "<1>", "é"]);
    }

    #[test]
    fn unknown_references_are_errors_that_say_what_to_write() {
        let e = parse("$1a").unwrap_err();
        assert!(e.contains("write ${1}a"), "{e}");
        let e = parse("$3").unwrap_err();
        assert_eq!(
            e,
            "refers to group 3, but the expression has 2 groups besides $0"
        );
        let e = parse("${usr}").unwrap_err();
        assert!(e.contains("(?P<usr>…)"), "{e}");
        assert!(parse("${}").is_err());
    }
}
