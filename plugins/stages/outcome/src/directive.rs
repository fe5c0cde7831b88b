//! Recognising directive lines and shell-trace lines.
//!
//! A directive starts at the first byte of a line, exactly as written here (case matters, no
//! leading whitespace, no prefix such as a timestamp):
//!
//! ```text
//! ::set-outcome-var KEY=VALUE
//! ::start-multiline-outcome-var KEY
//! ::end-multiline-outcome-var
//! ```
//!
//! One or more spaces or tabs separate the directive's name from the key. A key is one or more
//! ASCII letters, digits, `_` or `-` (the OpsLevel runner's `[\w-]+`). In `set`, the key is
//! followed directly by `=` and the value is everything after that first `=`, verbatim
//! (leading and trailing spaces and further `=` included). In `start`, only spaces or tabs may
//! follow the key. `end` may be followed by spaces or tabs and any text (a reminder of the key,
//! say), which is ignored. A line that does not fit these shapes is not a directive.

/// A directive line, parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Directive<'a> {
    /// `::set-outcome-var KEY=VALUE`.
    Set { key: &'a str, value: &'a [u8] },
    /// `::start-multiline-outcome-var KEY`.
    Start { key: &'a str },
    /// `::end-multiline-outcome-var`.
    End,
}

const SET: &[u8] = b"::set-outcome-var";
const START: &[u8] = b"::start-multiline-outcome-var";
const END: &[u8] = b"::end-multiline-outcome-var";

/// Parses `line` as a directive; `None` when it is not one.
#[inline]
pub(crate) fn parse(line: &[u8]) -> Option<Directive<'_>> {
    // The common case, decided by two byte comparisons.
    if !line.starts_with(b"::") {
        return None;
    }
    if let Some(rest) = line.strip_prefix(SET) {
        let (key, rest) = key(blanks(rest)?)?;
        let value = rest.strip_prefix(b"=")?;
        Some(Directive::Set { key, value })
    } else if let Some(rest) = line.strip_prefix(START) {
        let (key, rest) = key(blanks(rest)?)?;
        rest.iter()
            .all(|&b| is_blank(b))
            .then_some(Directive::Start { key })
    } else if let Some(rest) = line.strip_prefix(END) {
        (rest.is_empty() || is_blank(rest[0])).then_some(Directive::End)
    } else {
        None
    }
}

/// Whether `line` is a shell trace line, as `set -x` prints them: one or more `+` (bash repeats
/// it per level of nesting) followed by a space or a tab.
#[inline]
pub(crate) fn is_trace(line: &[u8]) -> bool {
    let plus = line.iter().take_while(|&&b| b == b'+').count();
    plus > 0 && line.get(plus).is_some_and(|&b| is_blank(b))
}

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Skips one or more blanks; `None` when there is none.
fn blanks(rest: &[u8]) -> Option<&[u8]> {
    let n = rest.iter().take_while(|&&b| is_blank(b)).count();
    (n > 0).then(|| &rest[n..])
}

/// Splits a key off the front of `rest`; `None` when `rest` does not start with one.
fn key(rest: &[u8]) -> Option<(&str, &[u8])> {
    let n = rest
        .iter()
        .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        .count();
    if n == 0 {
        return None;
    }
    // The key is ASCII, so this cannot fail.
    let key = std::str::from_utf8(&rest[..n]).ok()?;
    Some((key, &rest[n..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_directives() {
        assert_eq!(
            parse(b"::set-outcome-var hello-world=42"),
            Some(Directive::Set {
                key: "hello-world",
                value: b"42"
            })
        );
        assert_eq!(
            parse(b"::set-outcome-var\t \tk= a=b "),
            Some(Directive::Set {
                key: "k",
                value: b" a=b "
            })
        );
        assert_eq!(
            parse(b"::set-outcome-var empty="),
            Some(Directive::Set {
                key: "empty",
                value: b""
            })
        );
        for not in [
            &b"::set-outcome-var"[..],
            b"::set-outcome-var ",
            b"::set-outcome-varx=1",
            b"::set-outcome-var =1",
            b"::set-outcome-var k =1",
            b"::set-outcome-var k.v=1",
            b"::set-outcome-var k",
            b" ::set-outcome-var k=1",
            b"::SET-OUTCOME-VAR k=1",
            b"::set-output name=k::v",
        ] {
            assert_eq!(parse(not), None, "{}", String::from_utf8_lossy(not));
        }
    }

    #[test]
    fn block_directives() {
        assert_eq!(
            parse(b"::start-multiline-outcome-var multi_var "),
            Some(Directive::Start { key: "multi_var" })
        );
        assert_eq!(parse(b"::start-multiline-outcome-var"), None);
        assert_eq!(parse(b"::start-multiline-outcome-var a b"), None);
        assert_eq!(parse(b"::start-multiline-outcome-var a=b"), None);
        assert_eq!(parse(b"::end-multiline-outcome-var"), Some(Directive::End));
        assert_eq!(
            parse(b"::end-multiline-outcome-var multi_var"),
            Some(Directive::End)
        );
        assert_eq!(parse(b"::end-multiline-outcome-varX"), None);
    }

    #[test]
    fn trace_lines() {
        assert!(is_trace(b"+ echo ::set-outcome-var k=v"));
        assert!(is_trace(b"+++\tcd /src"));
        assert!(!is_trace(b"+added line"));
        assert!(!is_trace(b"+"));
        assert!(!is_trace(b" + x"));
        assert!(!is_trace(b""));
    }
}
