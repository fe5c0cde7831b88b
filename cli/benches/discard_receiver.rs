//! An OTLP/HTTP receiver that discards, for the bench's `--sink otlp=…` row: what sluice ships
//! to, so that the row times sluice's encoding, gzip and HTTP on loopback, and the receiver's
//! own cost is measured apart.
//!
//! - [`DiscardReceiver::start`] listens on `127.0.0.1:0` (a free port) and serves each
//!   connection on a thread of its own, HTTP/1.1 keep-alive: a request head read up to its
//!   blank line, `Content-Length` bytes of body read and dropped (never decompressed nor
//!   decoded), then an empty `200 OK`, which is a valid empty `ExportLogsServiceResponse`.
//! - [`Tally`]: requests, body bytes (gzipped, as sent) and the connection threads' own CPU
//!   time, each thread's added when its connection ends. [`DiscardReceiver::settled`] waits
//!   for every accepted connection to end before reading them, so that a run's cost is all
//!   there. The accepting thread only sleeps in `accept` and is not counted.
//!
//! A connection closed between requests is the normal end (sluice exited). One closed inside
//! a request, or a head without `Content-Length` (answered `411`, which sluice does not retry,
//! so a bad run fails rather than hangs), counts as broken.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// The answer to every request: an empty body is an empty `ExportLogsServiceResponse`.
const OK: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 0\r\n\r\n";
/// The answer to a head without `Content-Length`; the connection is closed after it.
const LENGTH_REQUIRED: &[u8] =
    b"HTTP/1.1 411 Length Required\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
/// A request head longer than this ends the connection (a receiver that discards still bounds
/// what it holds).
const MAX_HEAD: usize = 64 << 10;

/// A running receiver; its threads live as long as the bench.
pub struct DiscardReceiver {
    addr: SocketAddr,
    tally: Arc<Tally>,
}

/// What the receiver saw, shared by its threads.
#[derive(Default)]
struct Tally {
    /// Connections accepted; counted before the connection's thread starts.
    accepted: AtomicU64,
    /// Connections whose thread has ended and added its CPU time.
    ended: AtomicU64,
    /// Connections that ended inside a request or sent one it could not frame.
    broken: AtomicU64,
    /// Requests answered.
    requests: AtomicU64,
    /// Body bytes read and dropped, as sent (gzipped).
    body_bytes: AtomicU64,
    /// The ended connection threads' CPU time, user and system.
    cpu_nanos: AtomicU64,
}

/// A snapshot of the receiver's counts, all since it started.
#[derive(Clone, Copy, Debug)]
pub struct Received {
    /// Connections accepted (sluice keeps one alive through a run).
    pub connections: u64,
    /// Connections that ended inside a request or sent one it could not frame.
    pub broken: u64,
    /// Requests answered `200 OK`.
    pub requests: u64,
    /// Body bytes read and dropped, as sent (gzipped).
    pub body_bytes: u64,
    /// CPU time of the connection threads.
    pub cpu: Duration,
}

impl DiscardReceiver {
    /// Listens on a free loopback port and accepts connections on a thread of its own.
    pub fn start() -> io::Result<DiscardReceiver> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let tally = Arc::new(Tally::default());
        let shared = tally.clone();
        std::thread::Builder::new()
            .name("discard-accept".into())
            .spawn(move || accept(&listener, &shared))?;
        Ok(DiscardReceiver { addr, tally })
    }

    /// Where it listens (`127.0.0.1:PORT`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The counts once every accepted connection has ended (the clients have exited), or
    /// `None` if some are still open after `patience`.
    pub fn settled(&self, patience: Duration) -> Option<Received> {
        let started = Instant::now();
        while self.tally.ended.load(Relaxed) < self.tally.accepted.load(Relaxed) {
            if started.elapsed() > patience {
                return None;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        Some(Received {
            connections: self.tally.accepted.load(Relaxed),
            broken: self.tally.broken.load(Relaxed),
            requests: self.tally.requests.load(Relaxed),
            body_bytes: self.tally.body_bytes.load(Relaxed),
            cpu: Duration::from_nanos(self.tally.cpu_nanos.load(Relaxed)),
        })
    }
}

/// The accepting thread: a thread per connection, for ever.
fn accept(listener: &TcpListener, tally: &Arc<Tally>) {
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        tally.accepted.fetch_add(1, Relaxed);
        let shared = tally.clone();
        let spawned = std::thread::Builder::new()
            .name("discard-conn".into())
            .spawn(move || serve_and_tally(stream, &shared));
        if spawned.is_err() {
            tally.broken.fetch_add(1, Relaxed);
            tally.ended.fetch_add(1, Relaxed);
        }
    }
}

/// A connection's thread: serves it, then adds its own CPU time and how it ended.
fn serve_and_tally(stream: TcpStream, tally: &Tally) {
    let quiet = serve(stream, tally).unwrap_or(false);
    if !quiet {
        tally.broken.fetch_add(1, Relaxed);
    }
    let cpu = thread_cpu_time();
    tally
        .cpu_nanos
        .fetch_add(u64::try_from(cpu.as_nanos()).unwrap_or(u64::MAX), Relaxed);
    tally.ended.fetch_add(1, Relaxed);
}

/// Serves requests until the client closes; `Ok(true)` when it closed between requests.
fn serve(stream: TcpStream, tally: &Tally) -> io::Result<bool> {
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::with_capacity(64 << 10, stream);
    let mut head = Vec::new();
    loop {
        let length = match read_head(&mut reader, &mut head)? {
            Head::Complete {
                content_length: Some(length),
            } => length,
            Head::Complete {
                content_length: None,
            } => {
                writer.write_all(LENGTH_REQUIRED)?;
                return Ok(false);
            }
            Head::Closed => return Ok(true),
            Head::Cut => return Ok(false),
        };
        if !discard(&mut reader, length)? {
            return Ok(false);
        }
        writer.write_all(OK)?;
        tally.requests.fetch_add(1, Relaxed);
        tally.body_bytes.fetch_add(length, Relaxed);
    }
}

/// What came where a request head was expected.
enum Head {
    /// A head up to its blank line, with its `Content-Length` if it has one.
    Complete { content_length: Option<u64> },
    /// The connection ended before the head's first byte: the normal end.
    Closed,
    /// The connection ended inside the head, or the head ran past [`MAX_HEAD`].
    Cut,
}

/// Reads one request head into `head` (cleared first), up to and including its blank line.
fn read_head(reader: &mut impl BufRead, head: &mut Vec<u8>) -> io::Result<Head> {
    head.clear();
    loop {
        if reader.read_until(b'\n', head)? == 0 {
            return Ok(if head.is_empty() {
                Head::Closed
            } else {
                Head::Cut
            });
        }
        if head.len() > MAX_HEAD {
            return Ok(Head::Cut);
        }
        if head.ends_with(b"\r\n\r\n") {
            return Ok(Head::Complete {
                content_length: content_length(head),
            });
        }
    }
}

/// Reads and drops `length` bytes straight from the reader's buffer; `false` if the
/// connection ended first.
fn discard(reader: &mut impl BufRead, mut length: u64) -> io::Result<bool> {
    while length > 0 {
        let available = reader.fill_buf()?.len();
        if available == 0 {
            return Ok(false);
        }
        let dropped = available.min(usize::try_from(length).unwrap_or(usize::MAX));
        reader.consume(dropped);
        length -= dropped as u64;
    }
    Ok(true)
}

/// The `Content-Length` of a request head (header names are case-insensitive).
fn content_length(head: &[u8]) -> Option<u64> {
    let head = std::str::from_utf8(head).ok()?;
    head.split("\r\n").skip(1).find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse().ok())?
    })
}

/// The calling thread's CPU time so far, user and system.
fn thread_cpu_time() -> Duration {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid `timespec` to write to, and the clock id is one Linux defines.
    if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) } != 0 {
        return Duration::ZERO;
    }
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}
