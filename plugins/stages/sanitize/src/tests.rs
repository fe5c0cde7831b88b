//! Tests of the whole stage on realistic log lines, run natively with the SDK's harness.

use super::*;
use sluice_plugin_sdk::testing::{Harness, Input, config_error, describe};

fn sanitize(lines: &[&str]) -> Vec<String> {
    let mut stage = Harness::<Sanitize>::new("{}").unwrap();
    let out = stage.process(lines.iter().copied()).unwrap();
    out.iter().map(|l| l.text()).collect()
}

fn one(line: &str) -> String {
    sanitize(&[line]).remove(0)
}

const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";

/// Lines of the kinds sluice sees, with and without secrets.
fn corpus() -> Vec<Vec<u8>> {
    let text = [
        r#"203.0.113.7 - - [10/Oct/2024:13:55:36 +0000] "GET /api/v1/users?id=42 HTTP/1.1" 200 2326 "-" "curl/8.5.0""#,
        r#"203.0.113.7 - - [10/Oct/2024:13:55:36 +0000] "GET /login?user=bob&password=hunter2&next=/ HTTP/1.1" 302 0"#,
        r#"{"ts":"2024-10-10T13:55:36Z","level":"INFO","msg":"user logged in","user":"bob","password":"hunter2!","session_token":"abc123"}"#,
        r#"{"ts":"2024-10-10T13:55:37Z","level":"DEBUG","headers":{"Authorization":"Bearer sk-live-0123456789abcdef"},"max_tokens":512}"#,
        r#"ts=2024-10-10T13:55:38Z level=warn msg="retrying" api_key=AbCdEf0123456789 attempt=3"#,
        r#"ts=2024-10-10T13:55:38Z level=info msg="aws creds" aws_access_key_id=AKIAIOSFODNN7EXAMPLE region=eu-west-1"#,
        "Exception in thread \"main\" java.lang.IllegalStateException: token expired",
        "\tat com.example.auth.TokenService.validate(TokenService.java:88)",
        "\tat com.example.Main.main(Main.java:12)",
        "Caused by: java.net.SocketTimeoutException: Read timed out",
        "curl -H 'Authorization: Basic dXNlcjpwYXNzd29yZA==' https://example.com",
        "-----BEGIN RSA PRIVATE KEY-----",
        "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun",
        "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK",
        "-----END RSA PRIVATE KEY-----",
        "after the key: all clear",
        "",
        "plain line with no secret at all",
        "session started with the bearer of the badge",
    ];
    let mut lines: Vec<Vec<u8>> = text.iter().map(|l| l.as_bytes().to_vec()).collect();
    lines.push(format!("jwt={JWT} done").into_bytes());
    lines.push(b"bin \xff\xfe password=\xffsecret\x00x tail".to_vec());
    lines.push(b"nul\x00byte token=abc\x00def".to_vec());
    lines
}

#[test]
fn describes_itself_as_boundary_safe() {
    let info = describe::<Sanitize>();
    assert_eq!(info.name, "sanitize");
    assert!(info.boundary_safe);
    assert_eq!(info.config_keys.len(), 5);
}

/// `sluice inspect sanitize` lists the default rules: the doc of `disable` names each one.
#[test]
fn disable_doc_names_every_default_rule() {
    let info = describe::<Sanitize>();
    let disable = info
        .config_keys
        .iter()
        .find(|k| k.name == "disable")
        .unwrap();
    assert_eq!(disable.default.as_deref(), Some("[]"));
    let listed = disable
        .doc
        .split_once(": ")
        .unwrap()
        .1
        .trim_end_matches('.')
        .split(", ")
        .collect::<Vec<_>>();
    assert_eq!(listed, rules::RULE_NAMES);
}

#[test]
fn redacts_realistic_lines() {
    let out: Vec<String> = {
        let mut stage = Harness::<Sanitize>::new("{}").unwrap();
        stage
            .process(corpus().into_iter().map(Input::from))
            .unwrap()
            .iter()
            .map(|l| l.text())
            .collect()
    };
    let expected = [
        r#"203.0.113.7 - - [10/Oct/2024:13:55:36 +0000] "GET /api/v1/users?id=42 HTTP/1.1" 200 2326 "-" "curl/8.5.0""#,
        r#"203.0.113.7 - - [10/Oct/2024:13:55:36 +0000] "GET /login?user=bob&password=[REDACTED]&next=/ HTTP/1.1" 302 0"#,
        r#"{"ts":"2024-10-10T13:55:36Z","level":"INFO","msg":"user logged in","user":"bob","password":"[REDACTED]","session_token":"[REDACTED]"}"#,
        r#"{"ts":"2024-10-10T13:55:37Z","level":"DEBUG","headers":{"Authorization":"Bearer [REDACTED]"},"max_tokens":512}"#,
        r#"ts=2024-10-10T13:55:38Z level=warn msg="retrying" api_key=[REDACTED] attempt=3"#,
        r#"ts=2024-10-10T13:55:38Z level=info msg="aws creds" aws_access_key_id=[REDACTED] region=eu-west-1"#,
        "Exception in thread \"main\" java.lang.IllegalStateException: token expired",
        "\tat com.example.auth.TokenService.validate(TokenService.java:88)",
        "\tat com.example.Main.main(Main.java:12)",
        "Caused by: java.net.SocketTimeoutException: Read timed out",
        "curl -H 'Authorization: Basic [REDACTED]' https://example.com",
        "-----BEGIN RSA PRIVATE KEY-----",
        "[REDACTED]",
        "[REDACTED]",
        "-----END RSA PRIVATE KEY-----",
        "after the key: all clear",
        "",
        "plain line with no secret at all",
        "session started with the bearer of the badge",
        "jwt=[REDACTED] done",
        "bin \u{fffd}\u{fffd} password=[REDACTED] tail",
        "nul\0byte token=[REDACTED]",
    ];
    for (got, want) in out.iter().zip(expected) {
        assert_eq!(got, want);
    }
    assert_eq!(out.len(), expected.len());
}

#[test]
fn lines_without_secrets_are_kept_not_copied() {
    let mut stage = Harness::<Sanitize>::new("{}").unwrap();
    let out = stage
        .process(["GET /index.html 200", "token=abc", "the token expired"])
        .unwrap();
    assert!(!out[0].rewritten);
    assert!(out[1].rewritten);
    assert!(!out[2].rewritten, "a trigger word alone changes nothing");
}

#[test]
fn invalid_utf8_and_nul_survive_byte_for_byte() {
    let mut stage = Harness::<Sanitize>::new("{}").unwrap();
    let out = stage
        .process([Input::new(b"\xc3\x28 secret=\xe2\x82 \x00\xff ok")])
        .unwrap();
    assert_eq!(out[0].bytes, b"\xc3\x28 secret=[REDACTED] \x00\xff ok");
}

#[test]
fn fields_pass_through() {
    let mut stage = Harness::<Sanitize>::new("{}").unwrap();
    let out = stage
        .process([Input::new("password=x").field("level", "INFO")])
        .unwrap();
    assert_eq!(out[0].text(), "password=[REDACTED]");
    assert_eq!(out[0].field_str("level"), Some("INFO"));
}

#[test]
fn redaction_is_idempotent() {
    let once: Vec<Vec<u8>> = {
        let mut stage = Harness::<Sanitize>::new("{}").unwrap();
        stage
            .process(corpus().into_iter().map(Input::from))
            .unwrap()
            .into_iter()
            .map(|l| l.bytes)
            .collect()
    };
    let mut stage = Harness::<Sanitize>::new("{}").unwrap();
    let twice = stage.process(once.iter().map(Input::new)).unwrap();
    for (a, b) in once.iter().zip(&twice) {
        assert_eq!(String::from_utf8_lossy(a), b.text());
        assert!(!b.rewritten, "second pass rewrote {:?}", b.text());
    }
}

#[test]
fn prefilter_gives_the_same_result_as_every_rule_on_every_line() {
    let config = r#"{"literals": ["hunter2"], "rules": ["sk-live-[0-9a-f]+", "\\d{4}-\\d{4}"]}"#;
    let mut fast = Harness::<Sanitize>::new(config).unwrap();
    let mut slow = Sanitize::new(Config::parse(config).unwrap()).unwrap();
    let lines = corpus();
    let out = fast.process(lines.iter().map(Input::new)).unwrap();
    // Every family on every line, with no prefilter.
    for (line, got) in lines.iter().zip(&out) {
        let want = redact_all(&mut slow, line);
        assert_eq!(got.bytes, want, "line {:?}", String::from_utf8_lossy(line));
    }
}

/// Redacts one line with every rule family, through the redactor directly.
fn redact_all(stage: &mut Sanitize, line: &[u8]) -> Vec<u8> {
    let inside = stage.inside_block;
    let state = stage.redactor.scan(line, u32::MAX, inside);
    stage.inside_block = state.open_at_end;
    let mut out = Vec::new();
    sluice_plugin_sdk::testing::write_line(&mut out, |buf| stage.redactor.write(line, buf));
    out
}

#[test]
fn key_block_across_batches() {
    let mut stage = Harness::<Sanitize>::new("{}").unwrap();
    let out = stage
        .process([
            "start",
            "-----BEGIN PRIVATE KEY-----",
            "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC",
        ])
        .unwrap();
    assert_eq!(out[2].text(), "[REDACTED]");
    let out = stage
        .process([
            "BKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj",
            "Tw==",
            "-----END PRIVATE KEY-----",
            "GET / 200",
        ])
        .unwrap();
    let texts: Vec<_> = out.iter().map(|l| l.text()).collect();
    assert_eq!(
        texts,
        [
            "[REDACTED]",
            "[REDACTED]",
            "-----END PRIVATE KEY-----",
            "GET / 200"
        ]
    );
}

#[test]
fn stray_begin_does_not_blank_the_log() {
    let out = sanitize(&[
        "error: expected -----BEGIN PRIVATE KEY----- in file",
        "GET /health 200",
        "GET /ready 200",
    ]);
    assert_eq!(out[1], "GET /health 200");
    assert_eq!(out[2], "GET /ready 200");
}

#[test]
fn one_line_key_block_in_json() {
    assert_eq!(
        one(
            r#"{"pem":"-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIB\n-----END EC PRIVATE KEY-----\n","ok":1}"#
        ),
        r#"{"pem":"-----BEGIN EC PRIVATE KEY-----[REDACTED]-----END EC PRIVATE KEY-----\n","ok":1}"#
    );
}

#[test]
fn literals_env_rules_and_replacement() {
    let mut stage = Harness::<Sanitize>::with_env(
        r#"{"literals": ["p@ss w0rd"], "rules": ["sk_live_[0-9a-z]+", "pin=(?P<secret>\\d+)", "\\b\\d{4}-\\d{4}\\b"], "replacement": "***"}"#,
        &[("DB_PASS", "corr3ct-h0rse"), ("UNSET", "")],
    )
    .unwrap();
    let out = stage
        .process([
            "login with p@ss w0rd ok",
            "db=postgres://app:corr3ct-h0rse@db/app",
            "charge sk_live_abc123 pin=1234 card 1234-5678 done",
            "nothing here",
        ])
        .unwrap();
    let texts: Vec<_> = out.iter().map(|l| l.text()).collect();
    assert_eq!(
        texts,
        [
            "login with *** ok",
            "db=postgres://app:***@db/app",
            "charge *** pin=*** card *** done",
            "nothing here",
        ]
    );
}

#[test]
fn config_errors() {
    let e = config_error::<Sanitize>(r#"{"rules": ["("]}"#);
    assert_eq!(e.key.as_deref(), Some("rules"));
    assert!(e.message.starts_with("item 0"), "{}", e.message);
    let e = config_error::<Sanitize>(r#"{"replacment": "x"}"#);
    assert_eq!(e.key.as_deref(), Some("replacment"));
    assert!(e.message.contains("did you mean \"replacement\""));
    let e = config_error::<Sanitize>(r#"{"replacement": ""}"#);
    assert_eq!(e.key.as_deref(), Some("replacement"));
}

const GITHUB_PAT: &str = "ghp_FAKE0123456789abcdefghijklmnopqrstuv";
const GITHUB_FINE_GRAINED: &str =
    "github_pat_FAKE0123456789abcdefgh_FAKE0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJFAKE01234";
const GITLAB_PAT: &str = "glpat-FAKE-0123456789_abcd";
const SLACK_BOT: &str = "xoxb-1234567890-1234567890123-FAKEabcdefghijklmnop0123";
const SLACK_WEBHOOK_PATH: &str = "T00000000/B00000000/FAKEXXXXXXXXXXXXXXXXXXXX";
const STRIPE_LIVE: &str = "sk_live_FAKE0123456789abcdefghij";
const STRIPE_TEST: &str = "sk_test_FAKE0123456789abcdefghij";
const GOOGLE_API_KEY: &str = "AIzaFAKE_0123456789-abcdefghijklmnopqrs";
const NPM_TOKEN: &str = "npm_FAKE0123456789abcdefghijklmnopqrstuv";
const AZURE_ACCOUNT_KEY: &str =
    "FAKE0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+/FAKE0123456789abcd==";

/// A rule's name, lines it redacts with how they come out, and near misses.
type RuleExamples = (&'static str, Vec<(String, String)>, Vec<&'static str>);

/// For each default rule, lines it redacts (and how) and near misses that no rule touches:
/// the examples of the table in `docs/stages/sanitize.md`, and more.
fn rule_examples() -> Vec<RuleExamples> {
    let same = |line: &str, redacted: &str| (line.to_owned(), redacted.to_owned());
    let token = |token: &str| {
        (
            format!("using {token} now"),
            "using [REDACTED] now".to_owned(),
        )
    };
    vec![
        (
            "key-value",
            vec![
                same("user=bob password=hunter2", "user=bob password=[REDACTED]"),
                same("pass=hunter2 next=1", "pass=[REDACTED] next=1"),
                same("pwd: x", "pwd: [REDACTED]"),
                same("DB_PASS=hunter2", "DB_PASS=[REDACTED]"),
                same("smtpPass=hunter2", "smtpPass=[REDACTED]"),
                same("api_token=abc123", "api_token=[REDACTED]"),
                same("x-auth-token: abc123", "x-auth-token: [REDACTED]"),
                same("db.password=hunter2", "db.password=[REDACTED]"),
                same("userPassword=hunter2", "userPassword=[REDACTED]"),
                same("PGPASSWORD=hunter2", "PGPASSWORD=[REDACTED]"),
                same("x-api-key: k1", "x-api-key: [REDACTED]"),
                same("APIKey=k1", "APIKey=[REDACTED]"),
                same(
                    "AWS_SECRET_ACCESS_KEY=abc/def",
                    "AWS_SECRET_ACCESS_KEY=[REDACTED]",
                ),
                same(
                    r#"{"client_secret": "s3cr3t"}"#,
                    r#"{"client_secret": "[REDACTED]"}"#,
                ),
                same(
                    r#"{'refresh token': 'r1'}"#,
                    r#"{'refresh token': '[REDACTED]'}"#,
                ),
            ],
            vec![
                "tokens_used=5",
                r#"{"max_tokens": 512, "tokens": 3}"#,
                "tokenizer=bert",
                "passage=3",
                "compass: north",
                "bypass_cache=true",
                "pass_through=1",
                "PWD=/srv/app",
                "--- PASS: TestLogin (0.00s)",
                "the password was wrong",
                "\tat a.TokenService.validate(TokenService.java:88)",
            ],
        ),
        (
            "authorization",
            vec![
                same(
                    "Authorization: Bearer abc.def-ghi",
                    "Authorization: Bearer [REDACTED]",
                ),
                same(
                    "curl -H 'bearer 0123456789abcdef'",
                    "curl -H 'bearer [REDACTED]'",
                ),
            ],
            vec!["the bearer of bad news"],
        ),
        (
            "url-credentials",
            vec![
                same(
                    "db=postgres://u:p4ss@host/db",
                    "db=postgres://u:[REDACTED]@host/db",
                ),
                same(
                    "GET https://user:pass@host ok",
                    "GET https://user:[REDACTED]@host ok",
                ),
                same(
                    "redis://:s3cr3t@cache:6379/0",
                    "redis://:[REDACTED]@cache:6379/0",
                ),
                same("amqp://app:p@ss@mq/vhost", "amqp://app:[REDACTED]@mq/vhost"),
            ],
            vec![
                "https://host:8443/path?x=1",
                "ssh://git@github.com/org/repo",
                "see https://example.com/a:b@c",
            ],
        ),
        (
            "aws-access-key-id",
            vec![same("key AKIAIOSFODNN7EXAMPLE,", "key [REDACTED],")],
            vec!["AKIAIOSFODNN7EXAMPLEX akiaiosfodnn7example"],
        ),
        (
            "jwt",
            vec![token(JWT), same("t=eyJhbGci.eyJzdWIi", "t=[REDACTED]")],
            vec!["eyJhbGci alone"],
        ),
        (
            "private-key",
            vec![same(
                r#"{"pem":"-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----"}"#,
                r#"{"pem":"-----BEGIN PRIVATE KEY-----[REDACTED]-----END PRIVATE KEY-----"}"#,
            )],
            vec![r#"{"pem":"-----BEGIN PUBLIC KEY-----\nMIIBIjANBg\n-----END PUBLIC KEY-----"}"#],
        ),
        (
            "github-token",
            vec![
                token(GITHUB_PAT),
                token(GITHUB_FINE_GRAINED),
                token(&GITHUB_PAT.replace("ghp_", "ghs_")),
            ],
            vec!["ghp_short ghx_FAKE0123456789abcdefghijklmnopqrstuv"],
        ),
        (
            "gitlab-token",
            vec![token(GITLAB_PAT)],
            vec!["glpat-short glpat_FAKE-0123456789_abcd"],
        ),
        (
            "slack-token",
            vec![
                token(SLACK_BOT),
                token("xoxp-1234567890-1234567890-1234567890-0123456789abcdef"),
            ],
            vec!["xoxb-my-bot-token xoxo-indieweb-1.jpg"],
        ),
        (
            "slack-webhook",
            vec![same(
                &format!("POST https://hooks.slack.com/services/{SLACK_WEBHOOK_PATH} 200"),
                "POST https://hooks.slack.com/services/[REDACTED] 200",
            )],
            vec!["see https://hooks.slack.com/services/ for setup"],
        ),
        (
            "stripe-key",
            vec![
                token(STRIPE_LIVE),
                token(STRIPE_TEST),
                token(&STRIPE_LIVE.replace("sk_", "rk_")),
            ],
            vec!["pk_live_FAKE0123456789abcdefghij sk_live_short"],
        ),
        (
            "google-api-key",
            vec![token(GOOGLE_API_KEY)],
            vec!["AIzaShort AIzaFAKE_0123456789"],
        ),
        (
            "npm-token",
            vec![token(NPM_TOKEN)],
            vec!["npm_config_cache=/tmp/npm npm_FAKE0123"],
        ),
        (
            "azure-storage-key",
            vec![
                same(
                    &format!(
                        "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={AZURE_ACCOUNT_KEY};EndpointSuffix=core.windows.net"
                    ),
                    "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=[REDACTED];EndpointSuffix=core.windows.net",
                ),
                same(
                    &format!(r#"{{"accountKey": "{AZURE_ACCOUNT_KEY}"}}"#),
                    r#"{"accountKey": "[REDACTED]"}"#,
                ),
            ],
            vec!["AccountName=acct;AccountKey=short=="],
        ),
    ]
}

#[test]
fn every_default_rule_has_examples() {
    let names: Vec<&str> = rule_examples().iter().map(|(name, ..)| *name).collect();
    assert_eq!(names, rules::RULE_NAMES);
}

#[test]
fn each_rule_redacts_its_examples_and_leaves_near_misses_alone() {
    for (name, examples, near_misses) in rule_examples() {
        for (line, redacted) in &examples {
            assert_eq!(&one(line), redacted, "rule {name}");
        }
        for line in near_misses {
            assert_eq!(one(line), line, "rule {name}: near miss changed");
        }
    }
}

/// Turning a rule off leaves its examples alone: the name reaches the rule, and no other rule
/// finds what it finds.
#[test]
fn disabled_rule_leaves_its_examples_alone() {
    for (name, examples, _) in rule_examples() {
        let config = format!(r#"{{"disable": ["{name}"]}}"#);
        let mut stage = Harness::<Sanitize>::new(&config).unwrap();
        for (line, _) in &examples {
            let out = stage.process([line.as_str()]).unwrap();
            assert_eq!(&out[0].text(), line, "rule {name} disabled");
        }
    }
}

#[test]
fn disabling_private_key_stops_block_tracking() {
    let mut stage = Harness::<Sanitize>::new(r#"{"disable": ["private-key"]}"#).unwrap();
    let lines = [
        "-----BEGIN PRIVATE KEY-----",
        "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC",
        "-----END PRIVATE KEY-----",
        "password=x",
    ];
    let texts: Vec<_> = stage
        .process(lines)
        .unwrap()
        .iter()
        .map(|l| l.text())
        .collect();
    assert_eq!(texts[..3], lines[..3]);
    assert_eq!(texts[3], "password=[REDACTED]");
}

#[test]
fn provider_tokens_never_leak_at_any_cut() {
    let line = format!(
        "a {GITHUB_PAT} b {GITHUB_FINE_GRAINED} c {GITLAB_PAT} d {SLACK_BOT} \
         e https://hooks.slack.com/services/{SLACK_WEBHOOK_PATH} f {STRIPE_LIVE} g {GOOGLE_API_KEY} \
         h {NPM_TOKEN} i AccountKey={AZURE_ACCOUNT_KEY}; j postgres://app:Zq81-secret@db/app k"
    );
    let expected = "a [REDACTED] b [REDACTED] c [REDACTED] d [REDACTED] \
         e https://hooks.slack.com/services/[REDACTED] f [REDACTED] g [REDACTED] \
         h [REDACTED] i AccountKey=[REDACTED]; j postgres://app:[REDACTED]@db/app k";
    let mut whole = Harness::<Sanitize>::new("{}").unwrap();
    assert_eq!(whole.process([line.as_str()]).unwrap()[0].text(), expected);
    for overlap in [112, 160] {
        let mut stage = Harness::<Sanitize>::new("{}").unwrap();
        for window in overlap + 1..=line.len() + 1 {
            let out = stage
                .process_long_line(line.as_bytes(), window, overlap)
                .unwrap();
            assert_eq!(
                String::from_utf8(out).unwrap(),
                expected,
                "window {window}, overlap {overlap}"
            );
        }
    }
}

/// The line of the boundary test: every kind of secret, some longer than the overlap.
fn boundary_line() -> (String, String) {
    let long_value = "Zx9".repeat(30);
    let line = format!(
        "start user=alice password=SECRETVALUE12345 h=\"Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123456789\" \
         jwt={JWT} aws=AKIAIOSFODNN7EXAMPLE lit hunter2-literal-secret, api_key=\"{long_value}\" end"
    );
    let expected = "start user=alice password=[REDACTED] h=\"Authorization: Bearer [REDACTED]\" \
         jwt=[REDACTED] aws=[REDACTED] lit [REDACTED], api_key=\"[REDACTED]\" end"
        .to_owned();
    (line, expected)
}

#[test]
fn boundary_line_unwindowed() {
    let (line, expected) = boundary_line();
    let mut stage =
        Harness::<Sanitize>::new(r#"{"literals": ["hunter2-literal-secret"]}"#).unwrap();
    assert_eq!(stage.process([line.as_str()]).unwrap()[0].text(), expected);
}

/// Cuts the line at every position, with the host's algorithm: process a window as a partial
/// line, write all but the last `overlap` bytes of the result, start the next window with them.
#[test]
fn secrets_never_leak_at_any_cut() {
    let (line, expected) = boundary_line();
    let secrets = [
        "SECRETVALUE12345",
        "abcdefghijklmnopqrstuvwxyz0123456789",
        "AKIAIOSFODNN7EXAMPLE",
        "hunter2-literal-secret",
        "Zx9Zx9",
        "eyJhbGci",
        "SflKxwRJ",
    ];
    for overlap in [32, 48, 100] {
        let mut stage =
            Harness::<Sanitize>::new(r#"{"literals": ["hunter2-literal-secret"]}"#).unwrap();
        for window in overlap + 1..=line.len() + 1 {
            let out = stage
                .process_long_line(line.as_bytes(), window, overlap)
                .unwrap();
            let out = String::from_utf8(out).unwrap();
            for secret in secrets {
                assert!(
                    !out.contains(secret),
                    "window {window}, overlap {overlap}: {secret} leaked in {out}"
                );
            }
            assert_eq!(out, expected, "window {window}, overlap {overlap}");
        }
    }
}

/// Windows cut inside a multi-line key's body line and inside a one-line block.
#[test]
fn key_blocks_at_any_cut() {
    let body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKjMzEfYyjiWA4R4";
    let one_line = format!(
        "cfg {{\"pem\":\"-----BEGIN PRIVATE KEY-----\\n{body}\\n{body}\\n-----END PRIVATE KEY-----\\n\"}} tail"
    );
    let expected =
        "cfg {\"pem\":\"-----BEGIN PRIVATE KEY-----[REDACTED]-----END PRIVATE KEY-----\\n\"} tail";
    for window in 64..=one_line.len() + 1 {
        let mut stage = Harness::<Sanitize>::new("{}").unwrap();
        let out = stage
            .process_long_line(one_line.as_bytes(), window, 48)
            .unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), expected, "window {window}");
    }
    // A body line of a multi-line block, cut into windows.
    let long_body = body.repeat(4);
    for window in 49..=long_body.len() + 1 {
        let mut stage = Harness::<Sanitize>::new("{}").unwrap();
        stage.process(["-----BEGIN PRIVATE KEY-----"]).unwrap();
        let out = stage
            .process_long_line(long_body.as_bytes(), window, 48)
            .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "[REDACTED]",
            "window {window}"
        );
        let end = stage
            .process(["-----END PRIVATE KEY-----", "GET / 200"])
            .unwrap();
        assert_eq!(end[1].text(), "GET / 200");
    }
}

/// A window that ends a key block early must not leave the next window inside the block.
#[test]
fn window_after_block_end_is_not_redacted() {
    let text = format!(
        "{}-----END PRIVATE KEY----- {}",
        "QUJD".repeat(10),
        "visible words that must stay ".repeat(6)
    );
    for window in 64..=text.len() + 1 {
        let mut stage = Harness::<Sanitize>::new("{}").unwrap();
        stage.process(["-----BEGIN PRIVATE KEY-----"]).unwrap();
        let out = String::from_utf8(
            stage
                .process_long_line(text.as_bytes(), window, 48)
                .unwrap(),
        )
        .unwrap();
        assert!(!out.contains("QUJD"), "window {window}: {out}");
        assert!(
            out.ends_with(&"visible words that must stay ".repeat(6)),
            "window {window}: {out}"
        );
    }
}

/// A small deterministic generator for the randomized test.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.next() % items.len()]
    }
}

/// Random lines of secrets and filler, cut into random windows: the windowed result must be
/// exactly the result of redacting the whole line at once.
#[test]
fn windowed_equals_whole_on_random_lines() {
    let pieces = [
        "password=SECRETVALUE12345",
        "\"api_key\": \"0123456789abcdef0123456789abcdef\"",
        "Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123456789",
        "bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0",
        JWT,
        "AKIAIOSFODNN7EXAMPLE",
        "hunter2-literal-secret",
        "token: 'single quoted token value'",
        "pass=hunter2 tokens_used=5",
        "redis://:s3cr3t@cache:6379/0",
        GITHUB_PAT,
        GITLAB_PAT,
        SLACK_BOT,
        STRIPE_LIVE,
        GOOGLE_API_KEY,
        NPM_TOKEN,
        "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\\n-----END PRIVATE KEY-----",
        " GET /api/v1/items?id=42 HTTP/1.1 200 ",
        " level=info msg=\"request served\" ",
        " at com.example.Handler.run(Handler.java:42) ",
        "{\"ts\":\"2024-10-10T13:55:36Z\",\"n\":1}",
    ];
    let config = r#"{"literals": ["hunter2-literal-secret"]}"#;
    let mut rng = Lcg(0x5eed);
    let mut whole = Harness::<Sanitize>::new(config).unwrap();
    let mut windowed = Harness::<Sanitize>::new(config).unwrap();
    for round in 0..400 {
        // Pieces are separated as in real logs: a secret glued to the next key
        // (`…SECRETbearer …`) is not a case the rules try to handle.
        let line: String = (0..8 + rng.next() % 24)
            .map(|_| {
                format!(
                    "{}{}",
                    rng.pick(&pieces),
                    rng.pick(&[" ", ", ", " | ", "&"])
                )
            })
            .collect();
        let expected = whole.process([line.as_str()]).unwrap().remove(0).text();
        let overlap = 64 + rng.next() % 64;
        let window = overlap + 1 + rng.next() % 200;
        let out = windowed
            .process_long_line(line.as_bytes(), window, overlap)
            .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            expected,
            "round {round}, window {window}, overlap {overlap}, line {line}"
        );
    }
}

/// A synthetic log of `n` lines of ~140 bytes (nginx, JSON and logfmt), 2% with a secret.
fn synthetic_log(n: usize) -> Vec<Vec<u8>> {
    let mut rng = Lcg(7);
    (0..n)
        .map(|i| {
            let mut line = match rng.next() % 3 {
                0 => format!(
                    r#"203.0.113.{} - - [10/Oct/2024:13:55:{:02} +0000] "GET /api/v1/orders/{} HTTP/1.1" 200 {} "https://example.com/" "curl/8.5.0""#,
                    i % 250, i % 60, i % 977, 1000 + i % 9000
                ),
                1 => format!(
                    r#"{{"ts":"2024-10-10T13:55:{:02}.{:03}Z","level":"INFO","svc":"orders","msg":"order {i} processed","dur_ms":{},"user":"u{}"}}"#,
                    i % 60, i % 1000, i % 500, i % 977
                ),
                _ => format!(
                    r#"ts=2024-10-10T13:55:{:02}Z level=info svc=billing msg="charged card" amount={}.99 currency=EUR req_id=r{i:08x} user=u{}"#,
                    i % 60, i % 300, i % 977
                ),
            };
            match rng.next() % 100 {
                0 => line.push_str(" password=hunter2xyz"),
                1 => line.push_str(" Authorization: Bearer abcdef0123456789abcdef"),
                _ => {}
            }
            line.into_bytes()
        })
        .collect()
}

/// Native throughput of the prefilter and of the whole stage:
/// `cargo test --release -p sluice-plugin-sanitize bench -- --ignored --nocapture`.
/// In wasm (wasmtime 48) the whole stage runs at about 6.5 M lines/s on such a log.
#[test]
#[ignore]
fn bench_native_throughput() {
    use sluice_plugin_sdk::testing::{build_batch, with_batch};
    use std::time::Instant;
    let lines = synthetic_log(1 << 19);
    let batches: Vec<_> = lines
        .chunks(1024)
        .map(|c| build_batch(&c.iter().map(Input::new).collect::<Vec<_>>()))
        .collect();
    let per_line = |t: Instant| t.elapsed().as_nanos() as f64 / lines.len() as f64;

    let stage = Sanitize::new(Config::parse("{}").unwrap()).unwrap();
    let mut masks = Vec::new();
    let mut candidates = 0;
    let t = Instant::now();
    for b in &batches {
        with_batch(b, |batch| stage.prefilter.scan(batch, &mut masks));
        candidates += masks.iter().filter(|&&m| m != 0).count();
    }
    eprintln!(
        "prefilter: {:.1} ns/line, {candidates} candidate lines",
        per_line(t)
    );

    let mut stage = Harness::<Sanitize>::new("{}").unwrap();
    let t = Instant::now();
    for b in &batches {
        stage.process_raw(b).unwrap();
    }
    eprintln!("whole stage: {:.1} ns/line", per_line(t));
}

/// What sanitize carries from batch to batch is whether a key block is open: an instance
/// resumed from what another left after a block's first line redacts the block's body as the
/// other does, and the empty carry (no block open) is what the host guesses.
#[test]
fn a_key_block_open_at_the_end_of_a_batch_is_carried_to_another_instance() {
    let mut first = Harness::<Sanitize>::new("{}").unwrap();
    assert!(first.plugin().reach().carries);
    first
        .process(["before", "-----BEGIN PRIVATE KEY-----"])
        .unwrap();
    let left = first.plugin().carry();
    assert!(!left.is_empty(), "a block is open");
    let body = [
        "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7",
        "-----END PRIVATE KEY-----",
        "after",
    ];
    let went_on: Vec<String> = first
        .process(body)
        .unwrap()
        .iter()
        .map(|l| l.text())
        .collect();
    assert!(first.plugin().carry().is_empty(), "the block is closed");

    let mut second = Harness::<Sanitize>::new("{}").unwrap();
    second.plugin_mut().resume(&left).unwrap();
    let resumed: Vec<String> = second
        .process(body)
        .unwrap()
        .iter()
        .map(|l| l.text())
        .collect();
    assert_eq!(resumed, went_on);
    assert_ne!(resumed[0], body[0], "the body is redacted");

    // Resumed from nothing, the same lines are not inside a block.
    let mut fresh = Harness::<Sanitize>::new("{}").unwrap();
    fresh.plugin_mut().resume(&[]).unwrap();
    let outside: Vec<String> = fresh
        .process(body)
        .unwrap()
        .iter()
        .map(|l| l.text())
        .collect();
    assert_eq!(outside[0], body[0]);

    let err = fresh.plugin_mut().resume(&[7]).unwrap_err();
    assert_eq!(err, "cannot resume from [7]: not what carry gives");
}
