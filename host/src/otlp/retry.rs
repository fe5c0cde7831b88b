//! What an OTLP/HTTP response means, by the spec's "Failures" and "Throttling" rules, and how
//! long to wait before trying again.
//!
//! - 2xx: delivered; a `partial_success` in the `ExportLogsServiceResponse` says how many
//!   records the receiver rejected, and why (they are not sent again: the spec says not to).
//! - 429, 502, 503, 504, and a connection that failed or timed out: retried, after the
//!   `Retry-After` the receiver gave (in seconds), else after an exponential backoff with
//!   jitter: 200 ms doubled at each attempt up to 30 s, each wait drawn between half and all of
//!   that (as the OpenTelemetry Collector's exporters do), until the retry budget runs out.
//! - Any other status: not retried; the error is the message of the `google.rpc.Status` in the
//!   body (or the body's text, or the status line).

use std::time::Duration;

use prost::Message;

use super::proto::opentelemetry::proto::collector::logs::v1::ExportLogsServiceResponse;

/// The first backoff, doubled at each attempt.
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
/// The longest backoff.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// What to do after a response.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Delivered; `rejected` records were refused by the receiver for `reason`.
    Delivered { rejected: u64, reason: String },
    /// Try again, after `after` when the receiver said how long.
    Retry {
        after: Option<Duration>,
        why: String,
    },
    /// Give up: the request will never succeed.
    Fail(String),
}

/// The verdict on a response with `status`, its `Retry-After` header and its body.
pub(crate) fn verdict(status: u16, retry_after: Option<&str>, body: &[u8]) -> Verdict {
    match status {
        200..=299 => {
            let response = ExportLogsServiceResponse::decode(body).unwrap_or_default();
            let partial = response.partial_success.unwrap_or_default();
            Verdict::Delivered {
                rejected: u64::try_from(partial.rejected_log_records).unwrap_or(0),
                reason: partial.error_message,
            }
        }
        429 | 502 | 503 | 504 => Verdict::Retry {
            after: retry_after
                .and_then(|text| text.trim().parse().ok())
                .map(Duration::from_secs),
            why: format!(
                "HTTP {status}{}",
                message_of(body).map_or(String::new(), |m| format!(": {m}"))
            ),
        },
        _ => Verdict::Fail(format!(
            "HTTP {status}{}",
            message_of(body).map_or(String::new(), |m| format!(": {m}"))
        )),
    }
}

/// `google.rpc.Status`, the error body OTLP/HTTP receivers send (only what is read here).
#[derive(Clone, PartialEq, Message)]
struct Status {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
}

/// The message in an error body: a `google.rpc.Status`, else the body as text (one line, at
/// most 500 bytes); `None` when empty.
fn message_of(body: &[u8]) -> Option<String> {
    if let Ok(status) = Status::decode(body)
        && !status.message.is_empty()
    {
        return Some(status.message);
    }
    let text = String::from_utf8_lossy(&body[..body.len().min(500)]);
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (!text.is_empty()).then_some(text)
}

/// The waits between attempts at one request.
#[derive(Debug)]
pub(crate) struct Backoff {
    next: Duration,
    /// xorshift state, for the jitter.
    seed: u64,
}

impl Backoff {
    pub(crate) fn new(seed: u64) -> Backoff {
        Backoff {
            next: FIRST_BACKOFF,
            seed: seed | 1,
        }
    }

    /// The wait before the next attempt: `after` when the receiver gave one, else the
    /// backoff's next step, between half and all of it.
    pub(crate) fn wait(&mut self, after: Option<Duration>) -> Duration {
        let step = self.next;
        self.next = (self.next * 2).min(MAX_BACKOFF);
        if let Some(after) = after {
            return after;
        }
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        let fraction = 0.5 + (self.seed % 1000) as f64 / 2000.0;
        step.mul_f64(fraction)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::proto::opentelemetry::proto::collector::logs::v1::ExportLogsPartialSuccess;

    #[test]
    fn statuses_are_delivered_retried_or_failed_as_the_spec_says() {
        assert_eq!(
            verdict(200, None, b""),
            Verdict::Delivered {
                rejected: 0,
                reason: String::new()
            }
        );
        let partial = ExportLogsServiceResponse {
            partial_success: Some(ExportLogsPartialSuccess {
                rejected_log_records: 3,
                error_message: "too old".into(),
            }),
        };
        assert_eq!(
            verdict(200, None, &partial.encode_to_vec()),
            Verdict::Delivered {
                rejected: 3,
                reason: "too old".into()
            }
        );
        for status in [429, 502, 503, 504] {
            assert!(matches!(
                verdict(status, None, b""),
                Verdict::Retry { after: None, .. }
            ));
        }
        assert_eq!(
            verdict(429, Some("7"), b""),
            Verdict::Retry {
                after: Some(Duration::from_secs(7)),
                why: "HTTP 429".into()
            }
        );
        let status = Status {
            code: 3,
            message: "invalid log record".into(),
        };
        assert_eq!(
            verdict(400, None, &status.encode_to_vec()),
            Verdict::Fail("HTTP 400: invalid log record".into())
        );
        assert_eq!(
            verdict(404, None, b"404 page\nnot found\n"),
            Verdict::Fail("HTTP 404: 404 page not found".into())
        );
        assert!(matches!(verdict(500, None, b""), Verdict::Fail(_)));
    }

    #[test]
    fn backoff_doubles_to_its_cap_with_jitter_and_honours_retry_after() {
        let mut backoff = Backoff::new(42);
        let mut step = FIRST_BACKOFF;
        for _ in 0..12 {
            let wait = backoff.wait(None);
            assert!(
                wait >= step / 2 && wait <= step,
                "{wait:?} for a step of {step:?}"
            );
            step = (step * 2).min(MAX_BACKOFF);
        }
        assert_eq!(
            backoff.wait(Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
    }
}
