//! What a secret looks like: the built-in rules, the user's rules, and the words that trigger
//! them.
//!
//! Each rule belongs to a *family*, one bit of a mask. The prefilter (see `prefilter.rs`) scans
//! a whole batch once for the families' trigger words and gives each line the mask of the
//! families whose words it contains; only those families' regexes then run on the line. A
//! rule reports *spans*: the byte ranges of a line to replace (for `key=value`, only the
//! value; for a rule with a capture group named `secret`, only that group).
//!
//! Every built-in rule has a name (the table in `docs/stages/sanitize.md`, and the `disable`
//! setting); several may share a family (the provider tokens do), so that the 32 bits of a
//! mask leave room for user rules.
//!
//! Every built-in rule is written so that running it on its own output changes nothing (the
//! replacement is never a secret), and so that a secret cut by the end of a window is still
//! found: a quoted value with no closing quote yet runs to the end of the text, an unquoted one
//! ends there anyway, a token is matched as far as it goes, and a pattern of bounded length
//! (a provider token, the credentials of a URL) is shorter than the overlap, so it is found
//! whole in the next window.
//!
//! # Which keys name a secret
//!
//! The `key-value` rules find a key that *contains* a secret word with a regex, then judge the
//! whole key with [`key_names_secret`]: the key is cut into words at every byte that is not an
//! ASCII letter or digit (`_`, `-`, `.`, space…), between a lower-case and an upper-case
//! letter (`userPassword`), before the last capital of a run of capitals followed by a
//! lower-case letter (`APIKey` → `API`, `Key`) and between letters and digits. The key names a
//! secret when
//!
//! - a word is, or ends with, `password`, `passwd`, `secret`, `token`, `apikey` or
//!   `accesskey` (`db.password`, `x-auth-token`, `PGPASSWORD`, `csrftoken`), or
//! - two adjacent words are `api` `key` or `access` `key` (`x-api-key`, `accessKey`), or
//! - its last word is `pass` or `pwd` (`pass`, `DB_PASS`, `smtpPass`, `MYSQL_PWD`),
//!
//! in any case, except the keys `PASS` (a test result, `PASS: test_login`) and `PWD` (the
//! shell's working directory, `PWD=/srv/app`), in capitals. So `tokens_used`, `max_tokens`,
//! `tokenizer`, `passage`, `compass`, `bypass_cache` and `pass_through` are not secret keys.

use crate::prefilter::Trigger;
use memchr::memmem::Finder;
use regex::bytes::{CaptureLocations, Regex, RegexBuilder};
use regex_syntax::hir::literal::{ExtractKind, Extractor};
use std::sync::LazyLock;

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
    /// The password of a URL (`scheme://user:password@host`).
    pub const URL_CREDENTIALS: u32 = 1 << 7;
    /// Provider tokens with a fixed prefix (GitHub, GitLab, Slack, Stripe, Google, npm,
    /// Azure): one family, each rule with its own triggers.
    pub const PROVIDER_TOKEN: u32 = 1 << 8;
    /// User rule `i` has bit `USER_FIRST + min(i, USER_SLOTS - 1)`: rules from the last slot
    /// on share a bit.
    pub const USER_FIRST: u32 = 9;
    /// The number of bits for user rules.
    pub const USER_SLOTS: usize = 23;

    /// The bit of user rule `i`.
    pub fn user(i: usize) -> u32 {
        1 << (USER_FIRST as usize + i.min(USER_SLOTS - 1))
    }
}

/// The names of the default rules, in the order of the table in `docs/stages/sanitize.md`.
/// `disable` takes these names.
pub(crate) const RULE_NAMES: &[&str] = &[
    "key-value",
    "authorization",
    "url-credentials",
    "aws-access-key-id",
    "jwt",
    "private-key",
    "github-token",
    "gitlab-token",
    "slack-token",
    "slack-webhook",
    "stripe-key",
    "google-api-key",
    "npm-token",
    "azure-storage-key",
];

/// The name of the private key rule, which is not a regex (see `key_block.rs`).
pub(crate) const PRIVATE_KEY_RULE: &str = "private-key";

/// The name of the URL credentials rule, which is not a regex (see [`find_url_credentials`]).
pub(crate) const URL_CREDENTIALS_RULE: &str = "url-credentials";

/// Trigger words of the URL credentials family.
const URL_CREDENTIALS_TRIGGERS: &[&str] = &["://"];

/// The longest user name and password [`find_url_credentials`] looks at: a URL's credentials
/// are found whole in a window as long as the overlap is longer than 512 bytes and a scheme.
const MAX_URL_USER_INFO: usize = 256;

/// Whether `b` ends the user information of a URL (or the URL itself).
fn ends_user_info(b: u8) -> bool {
    b.is_ascii_whitespace() || matches!(b, b'/' | b'?' | b'#' | b'"' | b'\'' | b'<' | b'>')
}

/// Appends the spans of the passwords of the URLs in `text`: `scheme://user:password@host`
/// with a scheme of letters, digits, `+`, `.` or `-` right before `://`, a user name without
/// `:` or `@` (possibly empty: `redis://:pw@host`) and a non-empty password that runs to the
/// last `@` before the host (an `@` left unescaped in a password is part of it), neither longer
/// than [`MAX_URL_USER_INFO`]. What ends the user information (`/`, `?`, `#`, whitespace, a
/// quote, `<`, `>`) is never part of it, so `https://host:8443/x` and `ssh://git@host` have
/// none.
///
/// Hand-written rather than a regex: every line holding a URL is a candidate (the trigger is
/// `://`), and on most (no `@`) this costs one `memchr`.
pub(crate) fn find_url_credentials(text: &[u8], spans: &mut Vec<Span>) {
    static SEPARATOR: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"://"));
    // Most lines with a URL have no `@` at all; one byte is the quickest thing to look for.
    let Some(first_at) = memchr::memchr(b'@', text) else {
        return;
    };
    let mut from = first_at.saturating_sub(2 * MAX_URL_USER_INFO + 2 + 3);
    // A URL whose credentials end at the first `@` may start before `from` only if its user
    // information is longer than it may be: searching from there misses nothing.
    while let Some(i) = SEPARATOR.find(&text[from..]) {
        let sep = from + i;
        from = sep + 3;
        let scheme_ok = sep > 0
            && (text[sep - 1].is_ascii_alphanumeric()
                || matches!(text[sep - 1], b'+' | b'.' | b'-'));
        if !scheme_ok {
            continue;
        }
        let start = sep + 3;
        let end = text[start..]
            .iter()
            .take(2 * MAX_URL_USER_INFO + 2)
            .position(|&b| ends_user_info(b))
            .map_or(text.len().min(start + 2 * MAX_URL_USER_INFO + 2), |n| {
                start + n
            });
        let info = &text[start..end];
        let Some(colon) = info.iter().position(|&b| b == b':' || b == b'@') else {
            continue;
        };
        if info[colon] != b':' || colon > MAX_URL_USER_INFO {
            continue;
        }
        let Some(at) = info.iter().rposition(|&b| b == b'@') else {
            continue;
        };
        if at > colon + 1 && at - colon - 1 <= MAX_URL_USER_INFO {
            spans.push((start + colon + 1, start + at));
        }
    }
}

/// The words in a key that may make its value a secret, as a regex alternation. The regex
/// finds candidates; [`key_names_secret`] judges the whole key.
const SECRET_KEY_WORDS: &str = r"pass(?:word|wd)?|pwd|secret|token|api[ _-]?key|access[ _-]?key";

/// Trigger words of the `key=value` family (matched ASCII case-insensitively).
const KEY_VALUE_TRIGGERS: &[&str] = &[
    "pass",
    "pwd",
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

/// Words that make a key secret when a word of the key is, or ends with, one of them.
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "token",
    "apikey",
    "accesskey",
];

/// Words that make a key secret when they are its last word (`db_pass`, not `pass_through`).
const SECRET_LAST_WORDS: &[&str] = &["pass", "pwd"];

/// Keys that are not secret although their last word is: a test result (`PASS: test_x`) and
/// the shell's working directory (`PWD=/srv/app`). Compared exactly.
const NOT_SECRET_KEYS: &[&[u8]] = &[b"PASS", b"PWD"];

/// Calls `f` with each word of a key, in order: the key is cut at every byte that is not an
/// ASCII letter or digit, between a lower-case letter and a capital (`userPassword`), before
/// the last capital of a run that a lower-case letter follows (`APIKey`), and between letters
/// and digits.
pub(crate) fn for_each_key_word<'k>(key: &'k [u8], mut f: impl FnMut(&'k [u8])) {
    let mut start: Option<usize> = None;
    for (i, &b) in key.iter().enumerate() {
        if !b.is_ascii_alphanumeric() {
            if let Some(s) = start.take() {
                f(&key[s..i]);
            }
            continue;
        }
        let Some(s) = start else {
            start = Some(i);
            continue;
        };
        let prev = key[i - 1];
        let cut = (prev.is_ascii_lowercase() && b.is_ascii_uppercase())
            || prev.is_ascii_digit() != b.is_ascii_digit()
            || (prev.is_ascii_uppercase()
                && b.is_ascii_uppercase()
                && key.get(i + 1).is_some_and(u8::is_ascii_lowercase));
        if cut {
            f(&key[s..i]);
            start = Some(i);
        }
    }
    if let Some(s) = start {
        f(&key[s..]);
    }
}

/// Whether `key` names a secret, by the word rule in the module docs.
pub(crate) fn key_names_secret(key: &[u8]) -> bool {
    if NOT_SECRET_KEYS.contains(&key) {
        return false;
    }
    let ends_with = |word: &[u8], suffix: &str| {
        word.len() >= suffix.len()
            && word[word.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
    };
    let is = |word: &[u8], other: &str| word.eq_ignore_ascii_case(other.as_bytes());
    let mut secret = false;
    // The word before the current one; after the loop, the last word.
    let mut previous: &[u8] = b"";
    for_each_key_word(key, |word| {
        secret |= SECRET_WORDS.iter().any(|s| ends_with(word, s))
            || ((is(previous, "api") || is(previous, "access")) && is(word, "key"));
        previous = word;
    });
    secret || SECRET_LAST_WORDS.iter().any(|s| is(previous, s))
}

/// A built-in rule other than private key blocks.
struct Builtin {
    /// The rule's name, one of [`RULE_NAMES`].
    name: &'static str,
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
            name: "key-value",
            family: family::KEY_VALUE,
            pattern: format!(
                r#"(?i)(?:"(?P<key>[^"]*?(?:{SECRET_KEY_WORDS})[^"]*)"|'(?P<key_sq>[^']*?(?:{SECRET_KEY_WORDS})[^']*)')\s*[:=]\s*(?:{dq}|{sq}|(?P<bare>[^\s&,;"'}}\]]+))"#
            ),
            triggers: KEY_VALUE_TRIGGERS,
            ignore_case: true,
        },
        // key=value, key: value.
        Builtin {
            name: "key-value",
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
            name: "authorization",
            family: family::AUTHORIZATION,
            pattern: r#"(?i)authorization["']?\s*[:=]\s*["']?\s*(?:bearer|basic)\s+(?P<secret>[A-Za-z0-9._~+/=\-]+)|bearer\s+(?P<token>[A-Za-z0-9._~+/=\-]{8,})"#.to_owned(),
            triggers: &["authorization", "bearer"],
            ignore_case: true,
        },
        // AWS access key ids: a four-letter prefix and 16 upper-case letters or digits.
        Builtin {
            name: "aws-access-key-id",
            family: family::AWS_KEY_ID,
            pattern: r"\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b".to_owned(),
            triggers: &["AKIA", "ASIA", "ABIA", "ACCA", "A3T"],
            ignore_case: false,
        },
        // JSON Web Tokens: header.payload[.signature], both base64url JSON objects ("eyJ"),
        // wherever they appear (`id_token_eyJ…` has no word boundary).
        Builtin {
            name: "jwt",
            family: family::JWT,
            // A dash run inside a part is at most 4 long: `-----` starts a PEM marker.
            pattern: r"eyJ[A-Za-z0-9_\-]{4,}\.eyJ[A-Za-z0-9_\-]{4,}(?:\.[A-Za-z0-9_]+(?:-{1,4}[A-Za-z0-9_]+)*)?"
                .to_owned(),
            triggers: &["eyJ"],
            ignore_case: false,
        },
        // GitHub: personal access (ghp_), OAuth (gho_), user-to-server (ghu_), server-to-server
        // (ghs_) and refresh (ghr_) tokens, 36 letters or digits; fine-grained personal access
        // tokens, github_pat_ and 82 letters, digits or `_`.
        Builtin {
            name: "github-token",
            family: family::PROVIDER_TOKEN,
            pattern: r"\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{82})".to_owned(),
            triggers: &["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"],
            ignore_case: false,
        },
        // GitLab: personal access (glpat-), deploy (gldt-) and runner (glrt-) tokens, 20
        // letters, digits, `_` or `-` (a longer, routable token is absorbed whole), and
        // pipeline trigger tokens (glptt-, 40 hex digits).
        Builtin {
            name: "gitlab-token",
            family: family::PROVIDER_TOKEN,
            pattern: r"\b(?:(?:glpat|gldt|glrt)-[A-Za-z0-9_\-]{20}|glptt-[0-9a-f]{40})".to_owned(),
            triggers: &["glpat-", "gldt-", "glrt-", "glptt-"],
            ignore_case: false,
        },
        // Slack tokens: xoxb- (bot), xoxp- (user), xoxa-/xoxr- (workspace access/refresh),
        // xoxs-/xoxo- (legacy), xoxe- (rotating): a digit run, a dash, then at least 8
        // letters, digits or dashes, matched as far as they go. `xoxb-my-bot-token` (no
        // digits) is left alone.
        Builtin {
            name: "slack-token",
            family: family::PROVIDER_TOKEN,
            pattern: r"\bxox[abeoprs]-[0-9]{1,14}-[A-Za-z0-9\-]{8,}".to_owned(),
            triggers: &["xox"],
            ignore_case: false,
        },
        // Slack incoming webhooks: the path after hooks.slack.com/services/ (also workflows/,
        // triggers/), 43 to 56 base64 bytes; the host stays readable.
        Builtin {
            name: "slack-webhook",
            family: family::PROVIDER_TOKEN,
            pattern: r"hooks\.slack\.com/(?:services|workflows|triggers)/(?P<secret>[A-Za-z0-9+/]{43,56})".to_owned(),
            // Not `hooks.slack.com`: the prefilter would register it by `ck`.
            triggers: &["hooks.slack"],
            ignore_case: false,
        },
        // Stripe secret (sk_) and restricted (rk_) keys, live, test or prod: 10 to 99 letters
        // or digits after the prefix. Publishable keys (pk_) are public by design.
        Builtin {
            name: "stripe-key",
            family: family::PROVIDER_TOKEN,
            pattern: r"\b[rs]k_(?:live|test|prod)_[A-Za-z0-9]{10,99}".to_owned(),
            // Not `k_live_`: the prefilter would register it by `ve`, as in `level`.
            triggers: &[
                "sk_live_", "rk_live_", "sk_test_", "rk_test_", "sk_prod_", "rk_prod_",
            ],
            ignore_case: false,
        },
        // Google API keys: AIza and 35 letters, digits, `_` or `-`.
        Builtin {
            name: "google-api-key",
            family: family::PROVIDER_TOKEN,
            pattern: r"\bAIza[A-Za-z0-9_\-]{35}".to_owned(),
            triggers: &["AIza"],
            ignore_case: false,
        },
        // npm access tokens: npm_ and 36 letters or digits.
        Builtin {
            name: "npm-token",
            family: family::PROVIDER_TOKEN,
            pattern: r"\bnpm_[A-Za-z0-9]{36}".to_owned(),
            triggers: &["npm_"],
            ignore_case: false,
        },
        // Azure storage account keys in connection strings (`AccountKey=…;`) and settings
        // (`"accountKey": "…"`): 86 base64 bytes and `==` (a 64-byte key).
        Builtin {
            name: "azure-storage-key",
            family: family::PROVIDER_TOKEN,
            pattern: r#"(?i)\baccountkey["']?\s*[:=]\s*["']?(?P<secret>[A-Za-z0-9+/]{86}==)"#
                .to_owned(),
            triggers: &["accountkey"],
            ignore_case: true,
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
    /// The groups holding the key of a `key: value` rule (one per way of writing the key, at
    /// most one takes part in a match), judged by [`key_names_secret`] and checked against
    /// `File.java:88`.
    key_groups: Vec<usize>,
    locations: CaptureLocations,
}

impl Rule {
    /// A built-in rule: the named groups whose names start with `key` hold the key, every
    /// other named group a secret.
    fn new(family: u32, regex: Regex) -> Rule {
        let names: Vec<Option<&str>> = regex.capture_names().collect();
        let is_key = |n: &str| n.starts_with("key");
        let secret_groups = (0..names.len())
            .filter(|&i| names[i].is_some_and(|n| !is_key(n)))
            .collect();
        let key_groups = (0..names.len())
            .filter(|&i| names[i].is_some_and(is_key))
            .collect();
        let mut rule = Rule::with_groups(family, regex, secret_groups);
        rule.key_groups = key_groups;
        rule
    }

    fn with_groups(family: u32, regex: Regex, secret_groups: Vec<usize>) -> Rule {
        let locations = regex.capture_locations();
        Rule {
            family,
            regex,
            secret_groups,
            key_groups: Vec::new(),
            locations,
        }
    }

    /// The span of the current match's key, for a `key: value` rule.
    fn key_span(&self) -> Option<Span> {
        self.key_groups.iter().find_map(|&g| self.locations.get(g))
    }

    /// Whether the current match's key, `start..end`, is a source file reference
    /// (`TokenService.java:88`).
    fn is_source_reference(text: &[u8], (start, end): Span) -> bool {
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
            if let Some(key) = self.key_span()
                && (Rule::is_source_reference(text, key) || !key_names_secret(&text[key.0..key.1]))
            {
                // Not a secret key; look again from the key's end (its value may hold one).
                at = key.1.max(m.start() + 1);
                continue;
            }
            if self.secret_groups.is_empty() {
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
    /// The families that may run at all: every one but those of disabled rules that are not
    /// regexes (private key blocks, URL credentials; the others are left out of `rules`).
    pub enabled: u32,
}

/// Compiles a built-in pattern (Unicode off).
fn compile_builtin(pattern: &str) -> Regex {
    RegexBuilder::new(pattern)
        .unicode(false)
        .build()
        .unwrap_or_else(|e| panic!("built-in rule {pattern} does not compile: {e}"))
}

impl RuleSet {
    /// The built-in rules but those named in `disabled` (names from [`RULE_NAMES`]), plus
    /// `user` rules (already compiled, in order).
    pub fn new(user: Vec<Regex>, disabled: &[String]) -> RuleSet {
        let is_disabled = |name: &str| disabled.iter().any(|d| d == name);
        let mut set = RuleSet {
            rules: Vec::new(),
            triggers: Vec::new(),
            always: 0,
            enabled: u32::MAX,
        };
        for rule in builtin().into_iter().filter(|r| !is_disabled(r.name)) {
            set.rules
                .push(Rule::new(rule.family, compile_builtin(&rule.pattern)));
            set.add_triggers(rule.triggers, rule.ignore_case, rule.family);
        }
        if is_disabled(PRIVATE_KEY_RULE) {
            set.enabled &= !family::PRIVATE_KEY;
        } else {
            set.add_triggers(PRIVATE_KEY_TRIGGERS, false, family::PRIVATE_KEY);
        }
        if is_disabled(URL_CREDENTIALS_RULE) {
            set.enabled &= !family::URL_CREDENTIALS;
        } else {
            set.add_triggers(URL_CREDENTIALS_TRIGGERS, false, family::URL_CREDENTIALS);
        }
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
        let mut set = RuleSet::new(vec![], &[]);
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
    fn key_words_cut_at_punctuation_humps_and_digits() {
        let words = |k: &str| -> Vec<String> {
            let mut words = Vec::new();
            for_each_key_word(k.as_bytes(), |w| {
                words.push(String::from_utf8_lossy(w).into_owned())
            });
            words
        };
        assert_eq!(words("x-auth-token"), ["x", "auth", "token"]);
        assert_eq!(words("db.password"), ["db", "password"]);
        assert_eq!(words("userPassword"), ["user", "Password"]);
        assert_eq!(words("APIKey"), ["API", "Key"]);
        assert_eq!(
            words("AWS_SECRET_ACCESS_KEY"),
            ["AWS", "SECRET", "ACCESS", "KEY"]
        );
        assert_eq!(words("oauth2Token"), ["oauth", "2", "Token"]);
        assert_eq!(words("api key"), ["api", "key"]);
        assert_eq!(words("--"), Vec::<String>::new());
    }

    #[test]
    fn whole_word_key_rule() {
        for key in [
            "password",
            "passwd",
            "secret",
            "token",
            "api_token",
            "x-auth-token",
            "db.password",
            "userPassword",
            "PGPASSWORD",
            "csrftoken",
            "client_secret",
            "x-api-key",
            "apiKey",
            "APIKEY",
            "accessKey",
            "access key",
            "pass",
            "DB_PASS",
            "smtpPass",
            "pwd",
            "MYSQL_PWD",
            "Pass",
            "token_type",
            "password2",
        ] {
            assert!(key_names_secret(key.as_bytes()), "{key} should be secret");
        }
        for key in [
            "tokens_used",
            "max_tokens",
            "tokenizer",
            "passage",
            "compass",
            "bypass_cache",
            "pass_through",
            "passed",
            "PASS",
            "PWD",
            "OLDPWD",
            "secrets",
            "apikeys",
            "keypass2",
            "monkey",
            "api",
            "key",
        ] {
            assert!(
                !key_names_secret(key.as_bytes()),
                "{key} should not be secret"
            );
        }
    }

    #[test]
    fn rejected_keys_do_not_hide_the_next_pair() {
        let kv = |t| spans_of(family::KEY_VALUE, t);
        assert_eq!(kv("tokens_used=5 password=x"), ["x"]);
        assert_eq!(kv(r#"{"tokens": 3, "token": "t"}"#), ["t"]);
        assert_eq!(kv(r#"compass="n password=y""#), ["y"]);
    }

    #[test]
    fn url_credentials() {
        let url = |t: &str| {
            let mut spans = Vec::new();
            find_url_credentials(t.as_bytes(), &mut spans);
            spans
                .iter()
                .map(|&(s, e)| t[s..e].to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(url("postgres://u:p4ss@host/db"), ["p4ss"]);
        assert_eq!(url("https://user:pass@host"), ["pass"]);
        assert_eq!(url("redis://:pw@cache:6379"), ["pw"]);
        assert_eq!(url("amqp://app:p@ss@mq/v"), ["p@ss"]);
        assert_eq!(url("a://u:x@h b://v:y@h"), ["x", "y"]);
        assert_eq!(url(r#"{"url":"mysql://root:r00t@db:3306"}"#), ["r00t"]);
        assert_eq!(url("cut://u:passw"), Vec::<String>::new());
        for none in [
            "https://host:8443/path",
            "ssh://git@github.com:22/x",
            "https://u:@host",
            "see https://example.com/a:b@c",
            "://u:p@h",
            " ://u:p@h",
            "https://host?x=a:b@c",
        ] {
            assert!(url(none).is_empty(), "{none}");
        }
        let long = format!("s://u:{}@h", "p".repeat(MAX_URL_USER_INFO + 1));
        assert!(url(&long).is_empty());
        let longest = format!("s://{}:{}@h", "u".repeat(256), "p".repeat(256));
        assert_eq!(url(&longest), ["p".repeat(256)]);
    }

    #[test]
    fn rule_names_are_the_builtins() {
        let mut names: Vec<&str> = builtin().iter().map(|b| b.name).collect();
        names.push(PRIVATE_KEY_RULE);
        names.push(URL_CREDENTIALS_RULE);
        names.dedup();
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(
            sorted.len(),
            names.len(),
            "a rule's patterns are not adjacent"
        );
        let mut expected = RULE_NAMES.to_vec();
        expected.sort();
        assert_eq!(sorted, expected);
    }

    #[test]
    fn disabled_rules_are_left_out() {
        let set = RuleSet::new(vec![], &["jwt".to_owned(), "private-key".to_owned()]);
        assert!(set.rules.iter().all(|r| r.family != family::JWT));
        assert!(
            set.triggers
                .iter()
                .all(|t| t.family != family::JWT && t.family != family::PRIVATE_KEY)
        );
        assert_eq!(set.enabled & family::PRIVATE_KEY, 0);
        let all = RuleSet::new(vec![], &[]);
        assert_eq!(all.enabled, u32::MAX);
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
        let set = RuleSet::new(rules, &[]);
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
