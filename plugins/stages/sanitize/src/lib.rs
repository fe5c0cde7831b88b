//! `sanitize`: redacts secrets from log lines. Boundary-safe.
//!
//! By default it redacts, replacing only the secret with `[REDACTED]`, what these rules find
//! (each has a name; `docs/stages/sanitize.md` has a table with an example that is redacted and
//! a near miss that is left alone for each; `disable` turns rules off by name):
//!
//! - `key-value`: values whose key names a secret, in `key=value`, `key: value` and
//!   JSON/quoted forms (`"key": "value"`, `'key': 'value'`, unquoted values). The key names a
//!   secret when one of its words is or ends with `password`, `passwd`, `secret`, `token`,
//!   `apikey` or `accesskey`, two adjacent words are `api key` or `access key`, or its last
//!   word is `pass` or `pwd`, in any case (words are cut at `_`, `-`, `.`, spaces and other
//!   punctuation, at camelCase humps and between letters and digits: `db.password`,
//!   `x-auth-token`, `userPassword`, `DB_PASS` are secret keys; `tokens_used`, `tokenizer`,
//!   `passage`, `compass`, `bypass_cache` are not; see `rules.rs`). The key, separator and
//!   quotes are kept. An unquoted value ends at whitespace, `&`, `,`, `;` or a quote (in JSON
//!   also at `}` or `]`); a quoted one at its closing quote, or at the end of the text when
//!   there is none;
//! - `authorization`: `Authorization: Bearer …`/`Basic …` credentials, and `Bearer <token>`
//!   anywhere;
//! - `url-credentials`: the password of a URL, `postgres://u:[REDACTED]@host/db`;
//! - `aws-access-key-id`: `AKIA`, `ASIA`, `ABIA`, `ACCA`, `A3T?` + 16 upper-case letters or
//!   digits;
//! - `jwt`: JSON Web Tokens (`eyJ….eyJ…[.signature]`);
//! - `private-key`: the body of private key blocks, on one line or across lines (see
//!   `key_block.rs`);
//! - provider tokens with a fixed prefix, after gitleaks' high-precision rules:
//!   `github-token` (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_` + 36; `github_pat_` + 82),
//!   `gitlab-token` (`glpat-`, `gldt-`, `glrt-` + 20; `glptt-` + 40 hex), `slack-token`
//!   (`xoxb-`, `xoxp-`, `xoxa-`, `xoxr-`, `xoxs-`, `xoxo-`, `xoxe-` + digits, `-`, 8 or more),
//!   `slack-webhook` (the path after `hooks.slack.com/services/`), `stripe-key` (`sk_`/`rk_`,
//!   then `live_`/`test_`/`prod_`, then 10 to 99), `google-api-key` (`AIza` + 35), `npm-token`
//!   (`npm_` + 36) and `azure-storage-key` (`AccountKey=` + 86 base64 + `==`).
//!
//! Configuration (all optional):
//!
//! | key | meaning |
//! |---|---|
//! | `rules` | extra regexes (Rust `regex` syntax, on bytes). A rule with a capture group named `secret` has only that group replaced, else the whole match. |
//! | `literals` | secret strings, matched exactly. |
//! | `env` | names of environment variables whose values are secrets. The host reads them and passes them as grants (a plugin cannot read the environment); their values are treated as literals. |
//! | `replacement` | what replaces a secret. By default, `[REDACTED]`. Must be non-empty and hold no whitespace, quote, `&`, `,` or `;`. |
//! | `disable` | default rules to turn off, by name (above). By default, none. An unknown name is an error that lists the names. |
//!
//! # Speed
//!
//! Most lines hold no secret. A batch is first scanned once, as a whole, for trigger words
//! (`prefilter.rs`); only the lines holding one run the regexes of the matching rule family,
//! and the others are passed through without a copy. On the repository's benchmark log
//! (`cargo bench`: 1M lines of 118 bytes, 2% with a secret) the stage runs at about 4.2–6 M
//! lines/s in wasmtime, 2.7–3.3× as fast as `sed -E` doing comparable redaction (the 14 rules
//! cost 3–5% more CPU than the 6 there were before; the machine measured on is shared). A user
//! rule whose matches all start (or end) with one of a small set of literals is prefiltered
//! the same way; a rule without such a literal (`\d{16}`) runs on every line, which costs a
//! full regex scan of the input. A line holding a URL is a candidate for `url-credentials`,
//! which then costs one search for `@`.
//!
//! # Boundary safety
//!
//! A line longer than the host's maximum is given to this stage in windows (see `partial` in
//! `wit/plugin.wit`): after a window is redacted, the host writes all but its last `overlap`
//! bytes and starts the next window with those bytes, as redacted, followed by the next bytes
//! of the line. Two properties keep every secret out of the output:
//!
//! 1. Redaction is idempotent: on its own output it changes nothing, so the overlap seen
//!    twice stays as it was.
//! 2. A secret cut by a window's end does not leak: a value runs to the end of the text, a
//!    token or a JWT is matched as far as it goes, a key block's body runs to the end; the part
//!    in the window becomes the replacement, and in the next window the rest follows that
//!    replacement directly and is absorbed by it (a replacement absorbs the run of
//!    `[A-Za-z0-9._~+/=-]` after it, so `[REDACTED]RET` becomes `[REDACTED]`). Secrets of
//!    bounded length cut before they can be recognised (an AWS key id, a provider token, the
//!    credentials of a URL, a literal, the first bytes of a token) stay within the overlap and are found whole in the next window, as long
//!    as they are shorter than the overlap (1 KiB by default). User rules get the same
//!    guarantee only when their matches are shorter than the overlap.
//!
//! The price is a little over-redaction: bytes such as `.txt` right after a secret are
//! absorbed with it, and so is text glued to a literal occurrence of the replacement.

mod key_block;
mod prefilter;
mod redact;
mod rules;
mod settings;

use prefilter::{Prefilter, Trigger};
use redact::Redactor;
use rules::{RuleSet, family};
use settings::Settings;
use sluice_plugin_sdk::{
    Batch, BatchOutput, Config, ConfigError, ConfigKey, Line, Output, Plugin, export_plugin,
};

/// A sanitize stage.
pub struct Sanitize {
    prefilter: Prefilter,
    redactor: Redactor,
    /// Per-line family masks of the current batch (reused).
    masks: Vec<u32>,
    /// Whether a private key block is open after the last complete line.
    inside_block: bool,
    /// For the next window of an over-long line: whether it starts inside a block. `None`
    /// when the last line seen was complete.
    next_window_inside: Option<bool>,
}

impl Sanitize {
    /// Redacts one line whose families are `mask`, and tracks the key block state.
    fn redact(&mut self, line: &Line<'_>, mask: u32, out: &mut Output<'_>) {
        let inside = self.next_window_inside.take().unwrap_or(self.inside_block);
        if mask == 0 && !inside {
            out.keep();
            if line.is_partial() {
                self.next_window_inside = Some(false);
            } else {
                self.inside_block = false;
            }
            return;
        }
        let text = line.bytes();
        let state = self.redactor.scan(text, mask, inside);
        if line.is_partial() {
            self.next_window_inside = Some(state.all_body);
        } else {
            self.inside_block = state.open_at_end;
        }
        if self.redactor.changes(text) {
            let redactor = &self.redactor;
            out.emit_with(|buf| redactor.write(text, buf));
        } else {
            out.keep();
        }
    }
}

impl Plugin for Sanitize {
    // Per source: a private key block spans lines (`key_block`), never two files.
    const STATE: sluice_plugin_sdk::State = sluice_plugin_sdk::State::PerSource;
    const NAME: &'static str = "sanitize";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const SUMMARY: &'static str = "Redact secrets: passwords, tokens, URL credentials, cloud and SaaS keys, JWTs, private keys";
    const CONFIG_KEYS: &'static [ConfigKey] = &[
        ConfigKey::new(
            "rules",
            "list of strings",
            "Extra regexes to redact; a group named `secret` limits what is replaced.",
        ),
        ConfigKey::new(
            "literals",
            "list of strings",
            "Secret strings to redact wherever they appear.",
        ),
        ConfigKey::new(
            "env",
            "list of strings",
            "Environment variables whose values are secrets (the host reads them).",
        ),
        ConfigKey::new(
            "replacement",
            "string",
            "What replaces a secret; must not contain characters a secret can contain.",
        )
        .default("\"[REDACTED]\""),
        ConfigKey::new(
            "disable",
            "list of strings",
            "Default rules to turn off, by name: key-value, authorization, url-credentials, \
             aws-access-key-id, jwt, private-key, github-token, gitlab-token, slack-token, \
             slack-webhook, stripe-key, google-api-key, npm-token, azure-storage-key.",
        )
        .default("[]"),
    ];
    const BOUNDARY_SAFE: bool = true;

    fn new(config: Config) -> Result<Self, ConfigError> {
        let settings = Settings::new(&config)?;
        let rules = RuleSet::new(settings.rules, &settings.disable);
        let mut triggers = rules.triggers.clone();
        triggers.extend(settings.literals.iter().map(|l| Trigger {
            bytes: l.clone(),
            ignore_case: false,
            family: family::LITERAL,
        }));
        triggers.push(Trigger {
            bytes: settings.replacement.clone(),
            ignore_case: false,
            family: family::REPLACEMENT,
        });
        let prefilter = Prefilter::new(triggers, rules.always);
        Ok(Sanitize {
            prefilter,
            redactor: Redactor::new(rules, &settings.literals, &settings.replacement),
            masks: Vec::new(),
            inside_block: false,
            next_window_inside: None,
        })
    }

    /// Redacts one line with every rule, without the prefilter (the batch path gives the same
    /// result, faster).
    fn reach(&self) -> sluice_plugin_sdk::Reach {
        // What is carried from line to line is whether a key block is open, which it rarely
        // is at the end of a batch: the host may run the stage on several threads.
        sluice_plugin_sdk::Reach::of(Self::STATE).carrying()
    }

    fn carry(&self) -> Vec<u8> {
        // Empty when no block is open, as at the start of a source: the host's guess.
        match (self.inside_block, self.next_window_inside) {
            (false, None) => Vec::new(),
            (inside, window) => vec![u8::from(inside), window.map_or(0, |w| 1 + u8::from(w))],
        }
    }

    fn resume(&mut self, carried: &[u8]) -> Result<(), String> {
        (self.inside_block, self.next_window_inside) = match *carried {
            [] => (false, None),
            [inside @ (0 | 1), window @ (0..=2)] => {
                (inside == 1, window.checked_sub(1).map(|w| w == 1))
            }
            _ => {
                return Err(format!(
                    "cannot resume from {carried:?}: not what carry gives"
                ));
            }
        };
        Ok(())
    }

    fn process(&mut self, line: &Line<'_>, out: &mut Output<'_>) {
        self.redact(line, u32::MAX, out);
    }

    fn process_batch(&mut self, batch: &Batch<'_>, out: &mut BatchOutput) -> Result<(), String> {
        let mut masks = std::mem::take(&mut self.masks);
        self.prefilter.scan(batch, &mut masks);
        for (line, &mask) in batch.lines().zip(&masks) {
            if mask == 0 && !self.inside_block && self.next_window_inside.is_none() {
                out.keep(&line);
            } else {
                self.redact(&line, mask, &mut out.line(&line));
            }
        }
        self.masks = masks;
        Ok(())
    }
}

export_plugin!(Sanitize);

#[cfg(test)]
mod tests;
