//! WASI for plugins that import it, with nothing granted.
//!
//! Components built by componentize-py or componentize-js, or from C with stdio, import WASI
//! interfaces (files, environment, sockets, stdio, clocks, random). sluice links wasmtime-wasi's
//! preview 2 implementation so that they load, and configures each stage's [`WasiCtx`] so that
//! it grants nothing a pure plugin would not have:
//!
//! - **stdin** is empty; **stdout and stderr** go to sluice's stderr, a line at a time, each
//!   line prefixed with the stage's label (`stage 2 (level.wasm): …`). Standard output is
//!   sluice's data stream, so a plugin can never write into it.
//! - **files**: the guest sees one directory, `/`, backed by an empty directory of sluice's own
//!   (see [`EmptyRoot`]), and every attempt to open or stat a path in it is refused with
//!   `access` and reported on stderr (`denied: open /etc/passwd`). Without a preopened
//!   directory, the guest's libc would refuse the path itself and the user would never see it.
//! - **environment**: only the variables the stage's `env` key grants (which the contract's
//!   `grants` also carries). Reading it when nothing is granted is reported once per stage,
//!   except on the instance's first call, where language runtimes read it as they start.
//! - **network**: creating a TCP or UDP socket and looking up a name are refused and reported,
//!   so no host socket is ever made; as a second line of defence every socket address is
//!   refused too.
//! - **clocks** follow sluice's [`Clock`] (so `SLUICE_NOW` freezes them too), and a wait on
//!   the monotonic clock ends at the running call's deadline at the latest; **random** is the
//!   default generator.
//!
//! Invariant: every shadowed function is re-defined right after `add_to_linker_sync`, with
//! shadowing switched on only for that, so no WASI function sluice means to refuse can reach
//! wasmtime-wasi's own implementation.

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::plugin_text::{plugin_line, plugin_text};
use crate::say;
use anyhow::Result;
use wasmtime::StoreContextMut;
use wasmtime::component::{Linker, Resource, ResourceTable, Val};
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::filesystem::Descriptor;
use wasmtime_wasi::p2::bindings::filesystem::types::{
    DescriptorFlags, DescriptorStat, ErrorCode, OpenFlags, PathFlags,
};
use wasmtime_wasi::p2::bindings::sockets::network::{
    ErrorCode as SocketErrorCode, IpAddressFamily,
};
use wasmtime_wasi::p2::{
    DynPollable, OutputStream, Pollable, StreamResult, TcpSocket, UdpSocket, subscribe,
};
use wasmtime_wasi::sockets::SocketAddrUse;
use wasmtime_wasi::{
    FsPerms, HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView,
};

use super::StageState;
use super::clock::{Clock, monotonic};

/// The WASI version whose interfaces wasmtime-wasi 48 defines; imports of any 0.2.x match.
const WASI_VERSION: &str = "0.2.12";

/// A stage's WASI state: its context and the table of resources (files, streams, sockets) the
/// guest holds handles to.
pub(super) struct StageWasi {
    ctx: WasiCtx,
    pub(super) table: ResourceTable,
    /// The stage's label, for reports.
    label: Arc<str>,
    /// The environment variables granted to the stage.
    env: Vec<(String, String)>,
    /// Set once the environment read has been reported, so it is reported once.
    env_reported: bool,
    /// False until the instance's first call (`describe` or `create`) has returned. Language
    /// runtimes read the whole environment as they start, on that first call (CPython does),
    /// which is not the plugin asking for a variable; reads before then are not reported.
    pub(super) settled: bool,
}

impl StageWasi {
    /// The context for the stage `label`, granting the environment variables `env`.
    pub(super) fn new(
        label: &str,
        env: &[(String, String)],
        clock: Clock,
        root: Option<&Path>,
    ) -> StageWasi {
        let label: Arc<str> = Arc::from(label);
        let mut builder = WasiCtxBuilder::new();
        builder
            .stdout(PrefixedStderr::new(&label))
            .stderr(PrefixedStderr::new(&label))
            .envs(env)
            .wall_clock(WallClock(clock))
            .monotonic_clock(MonotonicClock)
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false);
        let socket_label = Arc::clone(&label);
        builder.socket_addr_check(move |addr, usage| {
            report_denied(&socket_label, &describe_socket_use(addr, usage), NO_NETWORK);
            Box::pin(async { false })
        });
        if let Some(root) = root {
            // Best effort: without the root, paths are refused by the guest's own libc.
            let _ = builder.preopened_dir(root, "/", FsPerms::ReadOnly);
        }
        StageWasi {
            ctx: builder.build(),
            table: ResourceTable::new(),
            label,
            env: env.to_vec(),
            env_reported: false,
            settled: false,
        }
    }
}

impl WasiView for StageState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi.ctx,
            table: &mut self.wasi.table,
        }
    }
}

/// Links WASI preview 2 into `linker`, with the functions that reach files and the
/// environment replaced by ones that refuse and report.
pub(super) fn add_to_linker(linker: &mut Linker<StageState>) -> Result<()> {
    wasmtime_wasi::p2::add_to_linker_sync(linker)?;
    linker.allow_shadowing(true);
    let mut types = linker.instance(&format!("wasi:filesystem/types@{WASI_VERSION}"))?;
    types.func_wrap(
        "[method]descriptor.open-at",
        |store: StoreContextMut<'_, StageState>,
         (_dir, _flags, path, _open, _descriptor): (
            Resource<Descriptor>,
            PathFlags,
            String,
            OpenFlags,
            DescriptorFlags,
        )| {
            let what = format!("open {}", guest_path(&path));
            report_denied(&store.data().wasi.label, &what, NO_FILES);
            Ok((Err::<Resource<Descriptor>, _>(ErrorCode::Access),))
        },
    )?;
    types.func_wrap(
        "[method]descriptor.stat-at",
        |store: StoreContextMut<'_, StageState>,
         (_dir, _flags, path): (Resource<Descriptor>, PathFlags, String)| {
            let what = format!("stat {}", guest_path(&path));
            report_denied(&store.data().wasi.label, &what, NO_FILES);
            Ok((Err::<DescriptorStat, _>(ErrorCode::Access),))
        },
    )?;
    let mut environment = linker.instance(&format!("wasi:cli/environment@{WASI_VERSION}"))?;
    environment.func_wrap(
        "get-environment",
        |mut store: StoreContextMut<'_, StageState>, (): ()| {
            let wasi = &mut store.data_mut().wasi;
            if wasi.settled && wasi.env.is_empty() && !wasi.env_reported {
                wasi.env_reported = true;
                report_denied(&wasi.label, "read the environment", NO_ENVIRONMENT);
            }
            Ok((wasi.env.clone(),))
        },
    )?;
    shadow_sockets(linker)?;
    shadow_clock_waits(linker)?;
    linker.allow_shadowing(false);
    Ok(())
}

/// Makes the clock's waits (`subscribe-duration`, `subscribe-instant`) end no later than the
/// running call's deadline ([`CallDeadline`](super::deadline::CallDeadline)): a guest blocked
/// in one is not interrupted by the epoch, so a 20 s sleep under a 2 s deadline would otherwise
/// hold the run for 20 s. A cut wait ends just past the deadline, and the epoch interrupt then
/// stops the guest as soon as it runs again.
fn shadow_clock_waits(linker: &mut Linker<StageState>) -> Result<()> {
    let mut clock = linker.instance(&format!("wasi:clocks/monotonic-clock@{WASI_VERSION}"))?;
    clock.func_wrap(
        "subscribe-duration",
        |mut store: StoreContextMut<'_, StageState>, (nanos,): (u64,)| {
            let wanted = Duration::from_nanos(nanos);
            let what = || format!("wasi:clocks/monotonic-clock.subscribe-duration ({wanted:?})");
            Ok((subscribe_cut(&mut store, wanted, what)?,))
        },
    )?;
    clock.func_wrap(
        "subscribe-instant",
        |mut store: StoreContextMut<'_, StageState>, (when,): (u64,)| {
            let wanted = Duration::from_nanos(when.saturating_sub(monotonic()));
            let what = || format!("wasi:clocks/monotonic-clock.subscribe-instant ({wanted:?})");
            Ok((subscribe_cut(&mut store, wanted, what)?,))
        },
    )?;
    Ok(())
}

/// A pollable that is ready once `wanted` has passed, or the running call's deadline, when
/// that comes first (at once for zero). A wait cut at the deadline also moves the epoch
/// deadline to now, so the guest is interrupted as soon as it runs again, however far the
/// epoch ticker has got.
fn subscribe_cut(
    store: &mut StoreContextMut<'_, StageState>,
    wanted: Duration,
    what: impl FnOnce() -> String,
) -> wasmtime::Result<Resource<DynPollable>> {
    let wait = store.data_mut().deadline.cut(wanted, what);
    if wait < wanted {
        store.set_epoch_deadline(0);
    }
    let table = &mut store.data_mut().wasi.table;
    let until = tokio::time::Instant::now().checked_add(wait);
    let sleep = table.push(Wait { until })?;
    subscribe(table, sleep)
}

/// A clock wait; `until` is `None` for one too far away to represent (it never ends by itself,
/// but the deadline always cuts a wait when a call is running).
struct Wait {
    until: Option<tokio::time::Instant>,
}

#[wasmtime_wasi::async_trait]
impl Pollable for Wait {
    async fn ready(&mut self) {
        match self.until {
            Some(until) => tokio::time::sleep_until(until).await,
            None => std::future::pending().await,
        }
    }
}

/// Refuses (and reports) making a socket or looking up a name, before any host socket exists.
fn shadow_sockets(linker: &mut Linker<StageState>) -> Result<()> {
    linker
        .instance(&format!("wasi:sockets/tcp-create-socket@{WASI_VERSION}"))?
        .func_wrap(
            "create-tcp-socket",
            |store: StoreContextMut<'_, StageState>, (family,): (IpAddressFamily,)| {
                let what = format!("create a TCP socket ({})", family_name(family));
                report_denied(&store.data().wasi.label, &what, NO_NETWORK);
                Ok((Err::<Resource<TcpSocket>, _>(SocketErrorCode::AccessDenied),))
            },
        )?;
    linker
        .instance(&format!("wasi:sockets/udp-create-socket@{WASI_VERSION}"))?
        .func_wrap(
            "create-udp-socket",
            |store: StoreContextMut<'_, StageState>, (family,): (IpAddressFamily,)| {
                let what = format!("create a UDP socket ({})", family_name(family));
                report_denied(&store.data().wasi.label, &what, NO_NETWORK);
                Ok((Err::<Resource<UdpSocket>, _>(SocketErrorCode::AccessDenied),))
            },
        )?;
    // wasmtime-wasi does not export the type of a lookup's stream, so this one is untyped.
    linker
        .instance(&format!("wasi:sockets/ip-name-lookup@{WASI_VERSION}"))?
        .func_new("resolve-addresses", |store, _ty, params, results| {
            let name = match params.get(1) {
                Some(Val::String(name)) => name.as_str(),
                _ => "?",
            };
            let what = format!("look up the address of {name:?}");
            report_denied(&store.data().wasi.label, &what, NO_NETWORK);
            results[0] = Val::Result(Err(Some(Box::new(Val::Enum("access-denied".into())))));
            Ok(())
        })?;
    Ok(())
}

fn family_name(family: IpAddressFamily) -> &'static str {
    match family {
        IpAddressFamily::Ipv4 => "IPv4",
        IpAddressFamily::Ipv6 => "IPv6",
    }
}

/// A path as the guest gave it, relative to the one preopened directory `/`.
fn guest_path(path: &str) -> String {
    if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    }
}

fn describe_socket_use(addr: SocketAddr, usage: SocketAddrUse) -> String {
    let what = match usage {
        SocketAddrUse::TcpBind => "bind a TCP socket to",
        SocketAddrUse::TcpListen => "listen on",
        SocketAddrUse::TcpAccept => "accept a connection from",
        SocketAddrUse::TcpConnect => "connect to",
        SocketAddrUse::UdpBind => "bind a UDP socket to",
        SocketAddrUse::UdpSend => "send a UDP datagram to",
        SocketAddrUse::UdpReceive => "receive a UDP datagram from",
    };
    format!("{what} {addr}")
}

const NO_FILES: &str = "plugins are granted no files";
const NO_NETWORK: &str = "plugins are granted no network";
const NO_ENVIRONMENT: &str = "no variables granted; list them under the stage's `env` key";

/// Writes `sluice: LABEL: denied: WHAT (WHY)` to stderr.
fn report_denied(label: &str, what: &str, why: &str) {
    let what = plugin_text(what);
    say::error(format_args!("{label}: denied: {what} ({why})"));
}

/// A plugin's stdout or stderr: complete lines go to sluice's stderr with the stage's label in
/// front; a line without its end yet waits for it (or for the stream to be flushed).
#[derive(Clone)]
struct PrefixedStderr {
    label: Arc<str>,
}

impl PrefixedStderr {
    fn new(label: &Arc<str>) -> PrefixedStderr {
        PrefixedStderr {
            label: Arc::clone(label),
        }
    }

    fn writer(&self) -> PrefixedWriter {
        PrefixedWriter {
            label: Arc::clone(&self.label),
            pending: Vec::new(),
        }
    }
}

impl IsTerminal for PrefixedStderr {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for PrefixedStderr {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.writer())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.writer())
    }
}

/// The most a partial line may hold before it is written anyway.
const PENDING_LIMIT: usize = 8 << 10;

/// Buffers one stream's partial line.
struct PrefixedWriter {
    label: Arc<str>,
    /// Bytes after the last line break written so far.
    pending: Vec<u8>,
}

impl PrefixedWriter {
    fn push(&mut self, bytes: &[u8]) {
        self.pending.extend_from_slice(bytes);
        let complete = match memchr::memrchr(b'\n', &self.pending) {
            Some(last) => last + 1,
            None if self.pending.len() >= PENDING_LIMIT => self.pending.len(),
            None => return,
        };
        self.emit(complete);
    }

    /// Writes the first `len` pending bytes, a prefixed line each.
    fn emit(&mut self, len: usize) {
        say::speak(|err| {
            for line in self.pending[..len].split_inclusive(|&b| b == b'\n') {
                let line = line.strip_suffix(b"\n").unwrap_or(line);
                let text = plugin_line(&String::from_utf8_lossy(line));
                let _ = say::plugin_line(err, &self.label, &text);
            }
        });
        self.pending.drain(..len);
    }

    fn flush_pending(&mut self) {
        if !self.pending.is_empty() {
            self.emit(self.pending.len());
        }
    }
}

impl Drop for PrefixedWriter {
    fn drop(&mut self) {
        self.flush_pending();
    }
}

impl OutputStream for PrefixedWriter {
    fn write(&mut self, bytes: bytes::Bytes) -> StreamResult<()> {
        self.push(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(64 << 10)
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for PrefixedWriter {
    async fn ready(&mut self) {}
}

impl tokio::io::AsyncWrite for PrefixedWriter {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.push(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.flush_pending();
        Poll::Ready(Ok(()))
    }
}

/// WASI's wall clock, from sluice's [`Clock`].
struct WallClock(Clock);

impl HostWallClock for WallClock {
    fn resolution(&self) -> Duration {
        Duration::from_nanos(1)
    }

    fn now(&self) -> Duration {
        // WASI's wall clock cannot go before 1970.
        Duration::from_nanos(self.0.now().max(0) as u64)
    }
}

/// WASI's monotonic clock: the same as the contract's `clock.monotonic`.
struct MonotonicClock;

impl HostMonotonicClock for MonotonicClock {
    fn resolution(&self) -> u64 {
        1
    }

    fn now(&self) -> u64 {
        monotonic()
    }
}

/// The empty directory the guest sees as `/`.
///
/// Only `open-at` and `stat-at` are shadowed; the other functions that take a path (read a
/// link, list a directory) reach this directory, so it must be empty. It is `empty-root` in
/// sluice's cache directory, or else in the temporary directory, and is used only when it is
/// a real directory (not a link), owned by this user and empty.
pub(super) struct EmptyRoot;

impl EmptyRoot {
    /// The directory, created if needed; `None` when no suitable one could be made.
    pub(super) fn under(cache_root: Option<&Path>) -> Option<PathBuf> {
        use std::os::unix::fs::MetadataExt;

        let dir = match cache_root {
            Some(root) => root.join("empty-root"),
            // SAFETY: geteuid has no preconditions and cannot fail.
            None => std::env::temp_dir()
                .join(format!("sluice-empty-root-{}", unsafe { libc::geteuid() })),
        };
        std::fs::create_dir_all(&dir).ok()?;
        let meta = std::fs::symlink_metadata(&dir).ok()?;
        // SAFETY: as above.
        let ours = meta.uid() == unsafe { libc::geteuid() };
        let empty = std::fs::read_dir(&dir).ok()?.next().is_none();
        (meta.is_dir() && ours && empty).then_some(dir)
    }
}
