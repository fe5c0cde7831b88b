//! The `sanitize` built-in: snapshots on realistic logs, the acceptance cases, config errors.

use insta::assert_snapshot;

use crate::util::{run, run_cmd, sluice, transform, transform_fixture};

#[test]
fn redacts_password_and_bearer_keeping_the_rest() {
    let out = transform(
        &["-p", "sanitize"],
        b"user=bob password=hunter2\nAuthorization: Bearer abc.def.ghi\n",
    );
    let out = String::from_utf8(out).unwrap();
    assert!(
        !out.contains("hunter2") && !out.contains("abc.def.ghi"),
        "{out}"
    );
    assert_eq!(
        out,
        "user=bob password=[REDACTED]\nAuthorization: Bearer [REDACTED]\n"
    );
}

#[test]
fn secrets_fixture() {
    assert_snapshot!(transform_fixture(&["-p", "sanitize"], "secrets.log"));
}

/// One example of each default rule and its near misses (the table in
/// `docs/stages/sanitize.md`).
#[test]
fn provider_secrets_fixture() {
    assert_snapshot!(transform_fixture(
        &["-p", "sanitize"],
        "provider_secrets.log"
    ));
}

#[test]
fn disable_turns_default_rules_off() {
    let input = b"pass=hunter2 t=eyJhbGci.eyJzdWIi npm_FAKE0123456789abcdefghijklmnopqrstuv\n";
    let out = transform(
        &["-p", r#"sanitize={"disable":["jwt","npm-token"]}"#],
        input,
    );
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "pass=[REDACTED] t=eyJhbGci.eyJzdWIi npm_FAKE0123456789abcdefghijklmnopqrstuv\n"
    );
}

#[test]
fn unknown_rule_in_disable_is_a_config_error_with_a_suggestion() {
    let run = run(
        &["-p", r#"sanitize={"disable":["jwt","slack-tokens"]}"#],
        b"",
    );
    let message = run.fails(2);
    assert!(
        message.starts_with(
            "sluice: stage 1 (sanitize): config key `disable`: item 1 (\"slack-tokens\") is not \
             a default rule; did you mean \"slack-token\"? the default rules are: key-value, \
             authorization, url-credentials,"
        ),
        "{message}"
    );
}

/// `sluice inspect sanitize` names every default rule (in the doc of `disable`).
#[test]
fn inspect_lists_the_default_rules() {
    let out = String::from_utf8(transform(&["inspect", "sanitize"], b"")).unwrap();
    assert!(
        out.contains("    disable (list of strings, default [])\n"),
        "{out}"
    );
    for rule in [
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
    ] {
        assert!(out.contains(rule), "{rule} missing from:\n{out}");
    }
}

#[test]
fn nginx_access_log() {
    assert_snapshot!(transform_fixture(&["-p", "sanitize"], "nginx_access.log"));
}

#[test]
fn json_app_log() {
    assert_snapshot!(transform_fixture(&["-p", "sanitize"], "app_json.log"));
}

#[test]
fn logfmt_log() {
    assert_snapshot!(transform_fixture(&["-p", "sanitize"], "logfmt.log"));
}

#[test]
fn java_stack_trace_is_untouched_crlf_included() {
    let input = std::fs::read(crate::util::fixture("java_stacktrace.log")).unwrap();
    assert!(transform(&["-p", "sanitize"], &input) == input);
}

#[test]
fn odd_bytes_are_kept_around_redactions() {
    let input = std::fs::read(crate::util::fixture("odd_bytes.log")).unwrap();
    let out = transform(&["-p", "sanitize"], &input);
    assert_snapshot!(format!("{:?}", bstr_lines(&out)));
}

#[test]
fn extra_rules_literals_and_replacement() {
    let out = transform(
        &[
            "-p",
            r#"sanitize={"rules":["card=(?P<secret>\\d{4})"],"literals":["tiger"],"replacement":"***"}"#,
        ],
        b"card=1234 pet=tiger password=x\n",
    );
    assert_eq!(out, b"card=*** pet=*** password=***\n");
}

#[test]
fn env_secret_values_are_redacted() {
    let run = run_cmd(
        sluice()
            .args(["-p", r#"sanitize={"env":["DB_PASS"]}"#])
            .env("DB_PASS", "pg-Zq81"),
        b"connecting with pg-Zq81 to db\n",
    );
    assert_eq!(run.ok(), b"connecting with [REDACTED] to db\n");
}

#[test]
fn unset_env_variable_is_a_config_error() {
    let run = run_cmd(
        sluice()
            .args(["-p", r#"sanitize={"env":["SLUICE_TEST_UNSET_VAR"]}"#])
            .env_remove("SLUICE_TEST_UNSET_VAR"),
        b"",
    );
    assert_eq!(
        run.fails(2),
        "sluice: stage 1 (sanitize): config key `env`: environment variable `SLUICE_TEST_UNSET_VAR` is not set"
    );
}

#[test]
fn invalid_rule_is_a_config_error_naming_the_key() {
    let run = run(&["-p", r#"sanitize={"rules":["ok","(unclosed"]}"#], b"");
    let message = run.fails(2);
    assert!(
        message.starts_with("sluice: stage 1 (sanitize): config key `rules`"),
        "{message}"
    );
}

#[test]
fn unknown_config_key_is_rejected() {
    let run = run(&["-p", r#"sanitize={"replacment":"x"}"#], b"");
    let message = run.fails(2);
    assert!(message.contains("`replacment`"), "{message}");
}

/// Lines of possibly non-UTF-8 output, for readable snapshots.
pub fn bstr_lines(out: &[u8]) -> Vec<String> {
    out.split_inclusive(|&b| b == b'\n')
        .map(|line| line.escape_ascii().to_string())
        .collect()
}
