//! What a secret looks like: the built-in rules, the user's rules, and the words that trigger
//! them.
//!
//! Each rule belongs to a *family*, one bit of a mask. The prefilter (see `prefilter.rs`) scans
//! a whole batch once for the families' trigger words and gives each line the mask of the
//! families whose words it contains; only those families' regexes then run on the line. A
//! rule reports *spans*: the byte ranges of a line to replace (for `key=value`, only the
//! value; for a rule with a capture group named `secret`, only that group).
//!
//! Every built-in rule is written so that running it on its own output changes nothing (the
//! replacement is never a secret), and so that a secret cut by the end of a window is still
//! found: a quoted value with no closing quote yet runs to the end of the text, an unquoted one
//! ends there anyway, and a token is matched as far as it goes.

use crate::prefilter::Trigger;
use regex::bytes::{CaptureLocations, Regex, RegexBuilder};
use regex_syntax::hir::literal::{ExtractKind, Extractor};

/// A byte range of a line to replace.
pub(crate) type Span = (usize, usize);

/// The families of rules, one bit each in a line's mask.
pub(crate) mod family {
    /// `key=value`, `key: value`, `"key": "value"` where the key names a secret.
    pub const KEY_VALUE: u32 = 1 << 0;
    /// `Authorization: Bearer …` / `Basic …`, and `Bearer <token>` anywhere.
    pub const AUTHORIZATION: u32 = 1 << 1;
    /// AWS access key ids.
    pub const AWS_KEY_ID: u32 = 1 << 2;
    /// JSON Web Tokens.
    pub const JWT: u32 = 1 << 3;
    /// Private key blocks (see `key_block.rs`).
    pub const PRIVATE_KEY: u32 = 1 << 4;
    /// An earlier replacement, which absorbs secret-like bytes right after it.
    pub const REPLACEMENT: u32 = 1 << 5;
    /// The configured literal secrets (`literals`, `env`).
    pub const LITERAL: u32 = 1 << 6;
    /// User rule `i` has bit `USER_FIRST + min(i, USER_SLOTS - 1)`: rules from the last slot
    /// on share a bit.
    pub const USER_FIRST: u32 = 7;
    /// The number of bits for user rules.
    pub const USER_SLOTS: usize = 25;

    /// The bit of user rule `i`.
    pub fn user(i: usize) -> u32 {
        1 << (USER_FIRST as usize + i.min(USER_SLOTS - 1))
    }
}

/// The words in a key that make its value a secret, as a regex alternation.
const SECRET_KEY_WORDS: &str = r"pass(?:word|wd)|secret|token|api[ _-]?key|access[ _-]?key";

/// Trigger words of the `key=value` family (matched ASCII case-insensitively).
const KEY_VALUE_TRIGGERS: &[&str] = &[
    "passw",
    "secret",
    "token",
    "api_key",
    "api-key",
    "apikey",
    "api key",
    "access_key",
    "access-key",
    "accesskey",
    "access key",
];

/// The bytes a secret token is made of (base64, base64url, hex, JWT, most API tokens). A
/// replacement absorbs a run of them that follows it.
pub(crate) fn is_secret_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'~' | b'+' | b'/' | b'=' | b'-')
}

/// A built-in rule other than private key blocks.
struct Builtin {
    family: u32,
    /// Compiled with Unicode off (ASCII classes, any byte for negated classes).
    pattern: String,
    /// Words one of which every match contains.
    triggers: &'static [&'static str],
    /// Whether the triggers match in either case (as the pattern does).
    ignore_case: bool,
}

/// The built-in rules other than private key blocks.
fn builtin() -> Vec<Builtin> {
    // A quoted value: its content only; it runs to the end of the text when the closing quote
    // is missing (a value cut by the end of a window, or a truncated line).
    let dq = r#""(?P<dq>(?:[^"\\]|\\.)*\\?)(?:"|$)"#;
    let sq = r#"'(?P<sq>(?:[^'\\]|\\.)*\\?)(?:'|$)"#;
    vec![
        // "key": value, 'key': value — JSON and friends: an unquoted value (a number, or the
        // replacement) ends at a closing brace or bracket too.
        Builtin {
            family: family::KEY_VALUE,
            pattern: format!(
                r#"(?i)(?:"[^"]*?(?:{SECRET_KEY_WORDS})[^"]*"|'[^']*?(?:{SECRET_KEY_WORDS})[^']*')\s*[:=]\s*(?:{dq}|{sq}|(?P<bare>[^\s&,;"'}}\]]+))"#
            ),
            triggers: KEY_VALUE_TRIGGERS,
            ignore_case: true,
        },
        // key=value, key: value.
        Builtin {
            family: family::KEY_VALUE,
            pattern: format!(
                r#"(?i)(?P<key>[A-Za-z0-9_.\-]*(?:{SECRET_KEY_WORDS})[A-Za-z0-9_.\-]*)\s*[:=]\s*(?:{dq}|{sq}|(?P<bare>[^\s&,;"']+))"#
            ),
            triggers: KEY_VALUE_TRIGGERS,
            ignore_case: true,
        },
        // Authorization: Bearer/Basic <credentials>, and Bearer <token> anywhere (a token of
        // at least 8 bytes, so that prose such as "the bearer of" is left alone).
        Builtin {
            family: family::AUTHORIZATION,
            pattern: r#"(?i)authorization["']?\s*[:=]\s*["']?\s*(?:bearer|basic)\s+(?P<secret>[A-Za-z0-9._~+/=\-]+)|bearer\s+(?P<token>[A-Za-z0-9._~+/=\-]{8,})"#.to_owned(),
            triggers: &["authorization", "bearer"],
            ignore_case: true,
        },
        // AWS access key ids: a four-letter prefix and 16 upper-case letters or digits.
        Builtin {
            family: family::AWS_KEY_ID,
            pattern: r"\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b".to_owned(),
            triggers: &["AKIA", "ASIA", "ABIA", "ACCA", "A3T"],
            ignore_case: false,
        },
        // JSON Web Tokens: header.payload[.signature], both base64url JSON objects ("eyJ"),
        // wherever they appear (`id_token_eyJ…` has no word boundary).
        Builtin {
            family: family::JWT,
            // A dash run inside a part is at most 4 long: `-----` starts a PEM marker.
            pattern: r"eyJ[A-Za-z0-9_\-]{4,}\.eyJ[A-Za-z0-9_\-]{4,}(?:\.[A-Za-z0-9_]+(?:-{1,4}[A-Za-z0-9_]+)*)?"
                .to_owned(),
            triggers: &["eyJ"],
            ignore_case: false,
        },
    ]
}

/// Trigger words of the private key family (the markers are upper-case).
pub(crate) const PRIVATE_KEY_TRIGGERS: &[&str] = &["PRIVATE KEY"];

/// Source file extensions: `Name.java:88` in a stack trace is a file and a line number, not a
/// key and its value, even when the name contains `token` or `secret`.
const SOURCE_EXTENSIONS: &[&str] = &[
    "c", "cc", "clj", "cpp", "cs", "dart", "erl", "ex", "exs", "go", "groovy", "h", "hpp", "java",
    "js", "jsx", "kt", "lua", "m", "mjs", "php", "pl", "py", "rb", "rs", "scala", "sh", "swift",
    "ts", "tsx",
];

/// A compiled rule and its reusable capture buffer.
pub(crate) struct Rule {
    /// The family bit that selects this rule for a line.
    pub family: u32,
    regex: Regex,
    /// Indexes of the capture groups that hold the secret; empty means the whole match.
    secret_groups: Vec<usize>,
    /// The group holding the key of a `key: value` rule, to skip `File.java:88`.
    key_group: Option<usize>,
    locations: CaptureLocations,
}

impl Rule {
    /// A built-in rule: every named group but `key` holds a secret.
    fn new(family: u32, regex: Regex) -> Rule {
        let names: Vec<Option<&str>> = regex.capture_names().collect();
        let secret_groups = (0..names.len())
            .filter(|&i| names[i].is_some_and(|n| n != "key"))
            .collect();
        let key_group = names.iter().position(|&n| n == Some("key"));
        let mut rule = Rule::with_groups(family, regex, secret_groups);
        rule.key_group = key_group;
        rule
    }

    fn with_groups(family: u32, regex: Regex, secret_groups: Vec<usize>) -> Rule {
        let locations = regex.capture_locations();
        Rule {
            family,
            regex,
            secret_groups,
            key_group: None,
            locations,
        }
    }

    /// Whether the current match is a source file reference (`TokenService.java:88`).
    fn is_source_reference(&self, text: &[u8]) -> bool {
        let Some((start, end)) = self.key_group.and_then(|g| self.locations.get(g)) else {
            return false;
        };
        let key = &text[start..end];
        let Some(dot) = key.iter().rposition(|&b| b == b'.') else {
            return false;
        };
        let extension = &key[dot + 1..];
        let after = &text[end..];
        SOURCE_EXTENSIONS.iter().any(|e| e.as_bytes() == extension)
            && after.first() == Some(&b':')
            && after.get(1).is_some_and(u8::is_ascii_digit)
    }

    /// Appends the spans of the secrets this rule finds in `text`.
    pub fn find(&mut self, text: &[u8], spans: &mut Vec<Span>) {
        let mut at = 0;
        while at <= text.len() {
            let Some(m) = self.regex.captures_read_at(&mut self.locations, text, at) else {
                break;
            };
            if self.is_source_reference(text) {
                // Not a secret; look again from the byte after the key's start.
            } else if self.secret_groups.is_empty() {
                if m.start() < m.end() {
                    spans.push((m.start(), m.end()));
                }
            } else {
                for &g in &self.secret_groups {
                    if let Some((s, e)) = self.locations.get(g).filter(|(s, e)| s < e) {
                        spans.push((s, e));
                    }
                }
            }
            at = if m.end() > m.start() {
                m.end()
            } else {
                m.end() + 1
            };
        }
    }
}

/// A compiled rule set: the built-in rules and the user's, with the trigger words of each.
pub(crate) struct RuleSet {
    pub rules: Vec<Rule>,
    /// The words that select each family, for the prefilter.
    pub triggers: Vec<Trigger>,
    /// The families that run on every line: user rules without a usable literal.
    pub always: u32,
}

/// Compiles a built-in pattern (Unicode off).
fn compile_builtin(pattern: &str) -> Regex {
    RegexBuilder::new(pattern)
        .unicode(false)
        .build()
        .unwrap_or_else(|e| panic!("built-in rule {pattern} does not compile: {e}"))
}

impl RuleSet {
    /// The built-in rules plus `user` rules (already compiled, in order).
    pub fn new(user: Vec<Regex>) -> RuleSet {
        let mut set = RuleSet {
            rules: Vec::new(),
            triggers: Vec::new(),
            always: 0,
        };
        for rule in builtin() {
            set.rules
                .push(Rule::new(rule.family, compile_builtin(&rule.pattern)));
            set.add_triggers(rule.triggers, rule.ignore_case, rule.family);
        }
        set.add_triggers(PRIVATE_KEY_TRIGGERS, false, family::PRIVATE_KEY);
        for (i, regex) in user.into_iter().enumerate() {
            let bit = family::user(i);
            match required_literals(regex.as_str()) {
                Some(literals) => set
                    .triggers
                    .extend(literals.into_iter().map(|bytes| Trigger {
                        bytes,
                        ignore_case: false,
                        family: bit,
                    })),
                None => set.always |= bit,
            }
            let groups = regex
                .capture_names()
                .position(|n| n == Some("secret"))
                .into_iter()
                .collect();
            set.rules.push(Rule::with_groups(bit, regex, groups));
        }
        set
    }

    fn add_triggers(&mut self, words: &[&str], ignore_case: bool, family: u32) {
        self.triggers.extend(words.iter().map(|w| Trigger {
            bytes: w.as_bytes().to_vec(),
            ignore_case,
            family,
        }));
    }
}

/// Literals one of which every match of `pattern` starts with (or else ends with), each at
/// least 2 bytes long; `None` when there is no such small set, and the rule must run on every
/// line.
pub(crate) fn required_literals(pattern: &str) -> Option<Vec<Vec<u8>>> {
    let hir = regex_syntax::ParserBuilder::new()
        .utf8(false)
        .build()
        .parse(pattern)
        .ok()?;
    [ExtractKind::Prefix, ExtractKind::Suffix]
        .into_iter()
        .find_map(|kind| {
            let mut seq = Extractor::new().kind(kind).extract(&hir);
            seq.dedup();
            let literals = seq.literals()?;
            if literals.is_empty() || literals.len() > 64 || literals.iter().any(|l| l.len() < 2) {
                return None;
            }
            Some(literals.iter().map(|l| l.as_bytes().to_vec()).collect())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans_of(rule_family: u32, text: &str) -> Vec<String> {
        let mut set = RuleSet::new(vec![]);
        let mut spans = Vec::new();
        for rule in set.rules.iter_mut().filter(|r| r.family == rule_family) {
            rule.find(text.as_bytes(), &mut spans);
        }
        spans.sort();
        spans.iter().map(|&(s, e)| text[s..e].to_owned()).collect()
    }

    #[test]
    fn key_value_forms() {
        let kv = |t| spans_of(family::KEY_VALUE, t);
        assert_eq!(kv("user=bob password=hunter2 ok"), ["hunter2"]);
        assert_eq!(kv("db_passwd: s3cr3t"), ["s3cr3t"]);
        assert_eq!(kv("PASSWORD=X&next=1"), ["X"]);
        assert_eq!(kv("?api_key=abc,def"), ["abc"]);
        assert_eq!(kv("x-api-key: k1;y"), ["k1"]);
        assert_eq!(kv("apikey='single quoted'"), ["single quoted"]);
        assert_eq!(kv("AccessKey=\"dq value\" z"), ["dq value"]);
        assert_eq!(kv(r#"{"client_secret": "a\"b", "n": 1}"#), [r#"a\"b"#]);
        assert_eq!(kv(r#"{"token":12345}"#), ["12345"]);
        assert_eq!(kv(r#"{'api key': 'v'}"#), ["v"]);
        assert_eq!(kv(r#"{"refresh_token": [REDACTED]}"#), ["[REDACTED"]);
        assert!(kv("the password was wrong").is_empty());
        assert!(kv("\tat a.TokenService.validate(TokenService.java:88)").is_empty());
        assert!(kv("at (/app/tokenizer.js:10:5)").is_empty());
        assert_eq!(kv("db.password:hunter2"), ["hunter2"]);
        assert_eq!(kv("spring.datasource.password=s3cr3t"), ["s3cr3t"]);
        assert!(kv("token").is_empty());
    }

    #[test]
    fn open_values_run_to_the_end() {
        let kv = |t| spans_of(family::KEY_VALUE, t);
        assert_eq!(kv(r#"{"password": "cut-in-the-mid"#), ["cut-in-the-mid"]);
        assert_eq!(kv(r#"password='cut"#), ["cut"]);
        assert_eq!(
            kv(r#""secret": "ends-in-backslash\"#),
            [r#"ends-in-backslash\"#]
        );
    }

    #[test]
    fn authorization_forms() {
        let auth = |t| spans_of(family::AUTHORIZATION, t);
        assert_eq!(auth("Authorization: Bearer abc.def-ghi"), ["abc.def-ghi"]);
        assert_eq!(auth("authorization=basic dXNlcjpwYXNz"), ["dXNlcjpwYXNz"]);
        assert_eq!(auth(r#""Authorization": "Bearer t0k3n""#), ["t0k3n"]);
        assert_eq!(
            auth("curl -H 'bearer 0123456789abcdef'"),
            ["0123456789abcdef"]
        );
        assert!(auth("the bearer of bad news").is_empty());
        assert!(auth("Authorization: Bearer [REDACTED]").is_empty());
    }

    #[test]
    fn aws_and_jwt() {
        assert_eq!(
            spans_of(
                family::AWS_KEY_ID,
                "key AKIAIOSFODNN7EXAMPLE, ASIAXXXXXXXXXXXXXXXX."
            ),
            ["AKIAIOSFODNN7EXAMPLE", "ASIAXXXXXXXXXXXXXXXX"]
        );
        assert!(
            spans_of(
                family::AWS_KEY_ID,
                "AKIAIOSFODNN7EXAMPLEX akiaiosfodnn7example"
            )
            .is_empty()
        );
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl";
        assert_eq!(spans_of(family::JWT, &format!("t={jwt} x")), [jwt]);
        assert_eq!(
            spans_of(family::JWT, "eyJhbGci.eyJzdWIi"),
            ["eyJhbGci.eyJzdWIi"]
        );
        assert!(spans_of(family::JWT, "eyJhbGci").is_empty());
    }

    #[test]
    fn required_literals_of_user_rules() {
        assert_eq!(
            required_literals(r"sk_live_[0-9a-z]+"),
            Some(vec![b"sk_live_".to_vec()])
        );
        let mut both = required_literals(r"(?:ghp|gho)_[A-Za-z0-9]{36}").unwrap();
        both.sort();
        assert_eq!(both, [b"gho_".to_vec(), b"ghp_".to_vec()]);
        // A suffix is used when there is no prefix.
        let suffixes = required_literals(r"[0-9]+@corp").unwrap();
        assert_eq!(suffixes.len(), 10);
        assert!(suffixes.iter().all(|s| s.ends_with(b"@corp")));
        // No literal at all: the rule runs on every line.
        assert_eq!(required_literals(r"\d{16}"), None);
        assert_eq!(required_literals(r"(?i)x"), None);
    }

    #[test]
    fn user_rules_get_their_own_bits() {
        let rules = vec![
            Regex::new(r"sk_live_\w+").unwrap(),
            Regex::new(r"\d{16}").unwrap(),
            Regex::new(r"pin=(?P<secret>\d+)").unwrap(),
        ];
        let set = RuleSet::new(rules);
        assert_eq!(set.always, family::user(1));
        assert!(set.triggers.contains(&Trigger {
            bytes: b"sk_live_".to_vec(),
            ignore_case: false,
            family: family::user(0)
        }));
        let pin = set.rules.last().unwrap();
        assert_eq!(pin.secret_groups, [1]);
        assert_eq!(family::user(100), family::user(family::USER_SLOTS - 1));
        assert_eq!(family::user(family::USER_SLOTS - 1), 1 << 31);
    }
}
