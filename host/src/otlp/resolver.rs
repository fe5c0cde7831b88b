//! [`CachingResolver`]: the receiver's address, looked up once and kept for [`KEEP`] instead of
//! before every request.
//!
//! ureq looks the host name up before each request, even one that goes out on a pooled
//! connection, and with a request timeout set it does so on a thread of its own: the bench's
//! 1,081 requests cost as many lookups and thread starts. In Kubernetes, where `ndots:5` in
//! `resolv.conf` turns one lookup of `otel-collector` into several DNS queries, that would be
//! several queries a request. Like the JVM's default (`networkaddress.cache.ttl`, 30 s), the
//! answer is kept for a while; a request that could not connect forgets it
//! ([`Forget::forget`]), so a receiver that moved is looked up again at the next attempt.
//!
//! ureq's resolver interface is outside its semver promise (`ureq::unversioned`), so ureq is
//! pinned to 3.5.x in the workspace's `Cargo.toml`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

/// How long an answer is kept.
const KEEP: Duration = Duration::from_secs(30);

/// The last answer: the URI's scheme and authority it is for, the addresses, and when.
type Answer = Option<(String, ResolvedSocketAddrs, Instant)>;

/// Looks addresses up with `R` and keeps the last answer for [`KEEP`].
#[derive(Debug)]
pub(crate) struct CachingResolver<R = DefaultResolver> {
    inner: R,
    last: Arc<Mutex<Answer>>,
}

/// Makes a [`CachingResolver`] forget its answer.
#[derive(Clone, Debug)]
pub(crate) struct Forget(Arc<Mutex<Answer>>);

impl Forget {
    /// The next request looks the address up again.
    pub(crate) fn forget(&self) {
        if let Ok(mut last) = self.0.lock() {
            *last = None;
        }
    }
}

impl<R: Resolver> CachingResolver<R> {
    pub(crate) fn new(inner: R) -> (CachingResolver<R>, Forget) {
        let last = Arc::new(Mutex::new(None));
        let forget = Forget(last.clone());
        (CachingResolver { inner, last }, forget)
    }
}

impl<R: Resolver> Resolver for CachingResolver<R> {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let key = format!(
            "{}://{}",
            uri.scheme_str().unwrap_or(""),
            uri.authority().map_or("", |a| a.as_str())
        );
        if let Ok(last) = self.last.lock()
            && let Some((for_key, addresses, at)) = &*last
            && *for_key == key
            && at.elapsed() < KEEP
        {
            return Ok(addresses.clone());
        }
        let addresses = self.inner.resolve(uri, config, timeout)?;
        if let Ok(mut last) = self.last.lock() {
            *last = Some((key, addresses.clone(), Instant::now()));
        }
        Ok(addresses)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::SocketAddr;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use ureq::Timeout;
    use ureq::unversioned::transport::time::Duration as UreqDuration;

    /// Answers 127.0.0.1 at the URI's port and counts the lookups.
    #[derive(Debug, Default)]
    struct Counting(AtomicUsize);

    impl Resolver for Counting {
        fn resolve(
            &self,
            uri: &Uri,
            _: &Config,
            _: NextTimeout,
        ) -> Result<ResolvedSocketAddrs, ureq::Error> {
            self.0.fetch_add(1, Ordering::Relaxed);
            let mut addresses = self.empty();
            let port = uri.port_u16().unwrap_or(80);
            addresses.push(SocketAddr::from(([127, 0, 0, 1], port)));
            Ok(addresses)
        }
    }

    fn lookup(resolver: &CachingResolver<Counting>, uri: &str) -> u16 {
        let timeout = NextTimeout {
            after: UreqDuration::NotHappening,
            reason: Timeout::Resolve,
            per_read: None,
            per_write: None,
        };
        let uri: Uri = uri.parse().unwrap();
        resolver.resolve(&uri, &Config::default(), timeout).unwrap()[0].port()
    }

    #[test]
    fn an_answer_is_kept_for_the_same_host_and_forgotten_on_request() {
        let (resolver, forget) = CachingResolver::new(Counting::default());
        let lookups = |r: &CachingResolver<Counting>| r.inner.0.load(Ordering::Relaxed);
        assert_eq!(lookup(&resolver, "http://collector:4318/v1/logs"), 4318);
        assert_eq!(lookup(&resolver, "http://collector:4318/v1/logs"), 4318);
        assert_eq!(
            lookups(&resolver),
            1,
            "the second request used the kept answer"
        );
        assert_eq!(lookup(&resolver, "http://other:4318/v1/logs"), 4318);
        assert_eq!(lookups(&resolver), 2, "another host is looked up");
        forget.forget();
        lookup(&resolver, "http://other:4318/v1/logs");
        assert_eq!(lookups(&resolver), 3, "forgotten: looked up again");
    }
}
