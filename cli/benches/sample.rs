//! Realistic logs for the benchmark, generated from a fixed seed: the same bytes every run.
//!
//! [`Mix::All`] is a mix of nginx access lines (40%), logfmt application lines (30%), JSON
//! application lines (25%) and Java stack trace lines (5%), about 120 bytes on average; about 2%
//! of the lines carry a secret (a password, a bearer token, an AWS key, a JWT) for `sanitize`
//! to find. The other mixes hold one kind of line only, for the parsers' rows:
//! [`Mix::Json`], [`Mix::Logfmt`], and [`Mix::JavaTraces`] (an error line with a timestamp
//! followed by 2–12 stack frames, for `multiline`).

/// xorshift64*: small, fast, reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }

    fn token(&mut self, len: usize) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        (0..len)
            .map(|_| ALPHABET[self.below(ALPHABET.len() as u64) as usize] as char)
            .collect()
    }
}

const PATHS: &[&str] = &[
    "/api/v1/orders",
    "/api/v1/orders/48121",
    "/api/v2/search?q=boots&page=2",
    "/static/app.3f9a1c.js",
    "/healthz",
    "/login",
    "/api/v1/users/me",
    "/cart/checkout",
];
const AGENTS: &[&str] = &[
    "Mozilla/5.0 (X11; Linux x86_64)",
    "curl/8.5.0",
    "python-requests/2.31",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1)",
];
const LEVELS: &[&str] = &["info", "info", "info", "debug", "warn", "error"];
const SERVICES: &[&str] = &["orders", "auth", "billing", "search", "gateway"];
const MESSAGES: &[&str] = &[
    "request done",
    "cache miss",
    "order created",
    "retrying upstream call",
    "slow query",
    "user logged in",
    "connection pool exhausted",
];

/// Which kinds of lines a sample holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mix {
    All,
    Json,
    Logfmt,
    JavaTraces,
}

/// `lines` lines of log, each ending in `\n`.
pub fn generate(lines: usize, seed: u64, mix: Mix) -> Vec<u8> {
    let mut rng = Rng(seed | 1);
    let mut out = Vec::with_capacity(lines * 150);
    let mut frames_left = 0;
    for i in 0..lines {
        let second = i / 2000;
        let time = Time(second / 3600 % 24, second / 60 % 60, second % 60);
        let secret = rng.below(50) == 0;
        let kind = match mix {
            Mix::All => rng.below(20),
            Mix::Json => 14,
            Mix::Logfmt => 8,
            Mix::JavaTraces if frames_left > 0 => {
                frames_left -= 1;
                19
            }
            Mix::JavaTraces => {
                frames_left = 2 + rng.below(11);
                20
            }
        };
        let line = match kind {
            0..=7 => access_line(&mut rng, time, secret),
            8..=13 => logfmt_line(&mut rng, time, secret),
            14..=18 => json_line(&mut rng, time, secret),
            20 => trace_line(&mut rng, time),
            _ => frame_line(&mut rng),
        };
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
    }
    out
}

/// The time of day a line is stamped with: hours, minutes, seconds.
#[derive(Clone, Copy)]
struct Time(usize, usize, usize);

/// An nginx access line; a secret is a reset token in the query.
fn access_line(rng: &mut Rng, Time(h, m, s): Time, secret: bool) -> String {
    let ip = format!(
        "{}.{}.{}.{}",
        10 + rng.below(200),
        rng.below(255),
        rng.below(255),
        rng.below(255)
    );
    let path = if secret {
        format!("/reset?token={}&user=bob", rng.token(20))
    } else {
        rng.pick(PATHS).to_owned()
    };
    format!(
        "{ip} - - [21/Nov/2026:{h:02}:{m:02}:{s:02} +0000] \"GET {path} HTTP/1.1\" {} {} \"-\" \"{}\"",
        [200, 200, 200, 304, 404, 500][rng.below(6) as usize],
        rng.below(20_000),
        rng.pick(AGENTS)
    )
}

/// A logfmt application line; a secret is a password pair.
fn logfmt_line(rng: &mut Rng, Time(h, m, s): Time, secret: bool) -> String {
    let extra = if secret {
        format!(" password={}", rng.token(14))
    } else {
        format!(" duration={}ms", rng.below(900))
    };
    format!(
        "time=2026-11-21T{h:02}:{m:02}:{s:02}Z level={} service={} msg=\"{}\" request_id={}{extra}",
        rng.pick(LEVELS),
        rng.pick(SERVICES),
        rng.pick(MESSAGES),
        rng.token(12)
    )
}

/// A JSON application line; a secret is a bearer token, an AWS key or a JWT.
fn json_line(rng: &mut Rng, Time(h, m, s): Time, secret: bool) -> String {
    let extra = if secret {
        match rng.below(3) {
            0 => format!(",\"authorization\":\"Bearer {}\"", rng.token(32)),
            1 => format!(
                ",\"aws_key\":\"AKIA{}\"",
                rng.token(16).to_ascii_uppercase()
            ),
            _ => format!(
                ",\"session\":\"eyJhbGciOiJIUzI1NiJ9.eyJ{}.{}\"",
                rng.token(24),
                rng.token(22)
            ),
        }
    } else {
        format!(",\"latency_ms\":{}", rng.below(900))
    };
    format!(
        "{{\"ts\":\"2026-11-21T{h:02}:{m:02}:{s:02}.{:03}Z\",\"level\":\"{}\",\"service\":\"{}\",\"msg\":\"{}\",\"user_id\":{}{extra}}}",
        rng.below(1000),
        rng.pick(LEVELS).to_ascii_uppercase(),
        rng.pick(SERVICES),
        rng.pick(MESSAGES),
        rng.below(100_000)
    )
}

/// The first line of a Java stack trace: a timestamped error.
fn trace_line(rng: &mut Rng, Time(h, m, s): Time) -> String {
    format!(
        "2026-11-21 {h:02}:{m:02}:{s:02}.{:03} ERROR [{}] request {} failed: java.lang.IllegalStateException: {}",
        rng.below(1000),
        rng.pick(SERVICES),
        rng.token(12),
        rng.pick(MESSAGES)
    )
}

/// A stack frame of a Java stack trace.
fn frame_line(rng: &mut Rng) -> String {
    format!(
        "\tat com.example.{}.{}Service.handle({}Service.java:{})",
        rng.pick(SERVICES),
        rng.pick(&["Order", "Payment", "Session", "Search"]),
        rng.pick(&["Order", "Payment", "Session", "Search"]),
        rng.below(400)
    )
}
