//! What happened to the lines, and the report made from it at the end of the run.

use std::fmt::Write;

use sluice_plugin_sdk::tally;

/// Counts of lines, by outcome.
#[derive(Debug, Default)]
pub(crate) struct Counts {
    /// Lines seen (an over-long line counts once).
    pub(crate) lines: u64,
    /// Lines that were not valid JSON.
    pub(crate) invalid: u64,
    /// Lines that were valid JSON but not an object.
    pub(crate) not_object: u64,
    /// Over-long lines, which arrive in pieces and cannot be parsed.
    pub(crate) too_long: u64,
    /// Lines without the `source` field.
    pub(crate) no_source: u64,
}

impl Counts {
    /// The counts as bytes, for another instance's [`Counts::absorb`].
    pub(crate) fn tally(&self) -> Vec<u8> {
        let Counts {
            lines,
            invalid,
            not_object,
            too_long,
            no_source,
        } = *self;
        tally::encode(&[lines, invalid, not_object, too_long, no_source])
    }

    /// Adds the counts of another instance's [`Counts::tally`].
    pub(crate) fn absorb(&mut self, tally: &[u8]) -> Result<(), String> {
        let Counts {
            lines,
            invalid,
            not_object,
            too_long,
            no_source,
        } = self;
        tally::add(
            tally,
            &mut [lines, invalid, not_object, too_long, no_source],
        )
    }

    /// The report, if any line failed or lacked its `source` field (the field's name): one
    /// line such as `json: 12 of 3400 lines were not valid JSON and passed unchanged`, with a
    /// clause per outcome, ending in a newline.
    pub(crate) fn report(&self, source: Option<&str>, dropped: bool) -> Option<String> {
        let were = |n: u64| if n == 1 { "was" } else { "were" };
        let fate = |n: u64| {
            if dropped {
                format!("{} dropped", were(n))
            } else {
                "passed unchanged".to_owned()
            }
        };
        let mut clauses: Vec<(u64, String)> = Vec::new();
        if self.invalid > 0 {
            let n = self.invalid;
            clauses.push((n, format!("{} not valid JSON and {}", were(n), fate(n))));
        }
        if self.not_object > 0 {
            let n = self.not_object;
            clauses.push((
                n,
                format!("{} JSON but not an object and {}", were(n), fate(n)),
            ));
        }
        if self.too_long > 0 {
            let n = self.too_long;
            let what = format!(
                "{} too long to parse (over-long lines, in pieces) and passed unchanged",
                were(n)
            );
            clauses.push((n, what));
        }
        if let (Some(source), true) = (source, self.no_source > 0) {
            let what = format!("had no field {source:?} and passed unchanged");
            clauses.push((self.no_source, what));
        }
        let mut report = String::new();
        for (n, what) in clauses {
            if report.is_empty() {
                let lines = if self.lines == 1 { "line" } else { "lines" };
                let _ = write!(report, "{n} of {} {lines} {what}", self.lines);
            } else {
                let _ = write!(report, "; {n} {what}");
            }
        }
        (!report.is_empty()).then(|| report + "\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_handed_over_add_up() {
        let mut a = Counts {
            lines: 10,
            invalid: 2,
            ..Counts::default()
        };
        let b = Counts {
            lines: 5,
            not_object: 1,
            too_long: 1,
            no_source: 3,
            ..Counts::default()
        };
        a.absorb(&b.tally()).unwrap();
        assert_eq!(
            (a.lines, a.invalid, a.not_object, a.too_long, a.no_source),
            (15, 2, 1, 1, 3)
        );
        assert!(a.absorb(&[1, 2, 3]).is_err());
    }

    #[test]
    fn one_clause_per_outcome() {
        let mut c = Counts {
            lines: 3400,
            ..Counts::default()
        };
        assert_eq!(c.report(None, false), None);
        c.invalid = 12;
        assert_eq!(
            c.report(None, false).as_deref(),
            Some("12 of 3400 lines were not valid JSON and passed unchanged\n")
        );
        c.not_object = 1;
        c.too_long = 2;
        c.no_source = 3;
        assert_eq!(
            c.report(Some("log"), true).as_deref(),
            Some(
                "12 of 3400 lines were not valid JSON and were dropped; 1 was JSON but \
                 not an object and was dropped; 2 were too long to parse (over-long lines, in \
                 pieces) and passed unchanged; 3 had no field \"log\" and passed unchanged\n"
            )
        );
        let c = Counts {
            lines: 1,
            too_long: 1,
            ..Counts::default()
        };
        assert_eq!(
            c.report(None, false).as_deref(),
            Some(
                "1 of 1 line was too long to parse (over-long lines, in pieces) and \
                 passed unchanged\n"
            )
        );
    }
}
