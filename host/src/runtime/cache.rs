//! The on-disk cache of compiled components.
//!
//! Cranelift takes from half a second (a regex plugin) to over ten seconds (a Python or
//! JavaScript component) to compile a component; deserializing the compiled form takes well
//! under a millisecond. So every component is compiled once and its compiled form stored as
//! `<dir>/<engine>/<content>.cwasm`, where `<engine>` hashes everything that makes compiled
//! code compatible (wasmtime's version, the engine's settings, the CPU features) and
//! `<content>` is the SHA-256 of the component's bytes. A changed plugin or a new sluice
//! therefore never loads a stale entry.
//!
//! A pipeline's plugins that are not cached yet are compiled side by side, one thread each
//! ([`ComponentCache::compile_ahead`]), before its stages load them one by one from the cache;
//! the caller is told which, so that a first run can say why it pauses.
//!
//! The cache is best effort: when the directory cannot be created or written, sluice compiles
//! in memory and goes on. Entries are written to a temporary file and renamed into place, so
//! concurrent runs never see half an entry.

use std::fs;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use anyhow::Result;
use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// Where compiled components are kept, if anywhere.
#[derive(Clone, Debug)]
pub struct ComponentCache {
    /// The directory for this engine's entries; `None` disables the cache.
    dir: Option<PathBuf>,
}

impl ComponentCache {
    /// A cache under `root` (see [`ComponentCache::default_root`]), or none.
    pub fn new(engine: &Engine, root: Option<PathBuf>) -> ComponentCache {
        let dir = root.map(|root| root.join(engine_key(engine)));
        ComponentCache { dir }
    }

    /// The default root: `$SLUICE_CACHE_DIR`, else `$XDG_CACHE_HOME/sluice`, else
    /// `$HOME/.cache/sluice`. `SLUICE_CACHE_DIR=off` (or empty) disables caching.
    pub fn default_root() -> Option<PathBuf> {
        if let Some(dir) = std::env::var_os("SLUICE_CACHE_DIR") {
            return (!dir.is_empty() && dir != "off").then(|| PathBuf::from(dir));
        }
        if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
            return Some(PathBuf::from(dir).join("sluice"));
        }
        std::env::var_os("HOME")
            .filter(|d| !d.is_empty())
            .map(|home| PathBuf::from(home).join(".cache").join("sluice"))
    }

    /// Where the compiled form of `bytes` is kept, if the cache is on.
    fn entry(&self, bytes: &[u8]) -> Option<PathBuf> {
        let dir = self.dir.as_ref()?;
        Some(dir.join(format!("{}.cwasm", hex(&Sha256::digest(bytes)))))
    }

    /// Compiles into the cache, side by side, the components of `plugins` (name, bytes) that
    /// it does not hold yet, after telling `compiling` their names (not called when there are
    /// none, or the cache is off: loads then compile as they go). Errors are left for the
    /// load that follows to report.
    pub fn compile_ahead(
        &self,
        engine: &Engine,
        plugins: &[(&str, &[u8])],
        compiling: impl FnOnce(&[&str]),
    ) {
        let mut missing: Vec<(&str, &[u8])> = Vec::new();
        for &(name, bytes) in plugins {
            let new = self.entry(bytes).is_some_and(|path| !path.is_file());
            if new && !missing.iter().any(|&(_, seen)| seen == bytes) {
                missing.push((name, bytes));
            }
        }
        if missing.is_empty() {
            return;
        }
        let names: Vec<&str> = missing.iter().map(|&(name, _)| name).collect();
        compiling(&names);
        std::thread::scope(|scope| {
            for &(_, bytes) in &missing {
                scope.spawn(move || {
                    let _ = self.load(engine, bytes);
                });
            }
        });
    }

    /// Compiles `bytes`, or loads the compiled form from the cache.
    pub fn load(&self, engine: &Engine, bytes: &[u8]) -> Result<Component> {
        let (Some(dir), Some(path)) = (&self.dir, self.entry(bytes)) else {
            return Ok(Component::new(engine, bytes)?);
        };
        if path.is_file() {
            // SAFETY: the file is one this cache wrote from `Component::serialize` for an engine
            // with the same compatibility hash (it is in the directory named after it), and the
            // name is the hash of the component it was compiled from. wasmtime's own cache
            // makes the same trust decision about its cache directory.
            if let Ok(component) = unsafe { Component::deserialize_file(engine, &path) } {
                return Ok(component);
            }
            // A damaged entry: recompile and overwrite it below.
        }
        let component = Component::new(engine, bytes)?;
        if let Ok(compiled) = component.serialize() {
            let _ = store(dir, &path, &compiled);
        }
        Ok(component)
    }
}

/// Writes `bytes` to `path` atomically: a temporary file in the same directory, then a rename.
fn store(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    fs::create_dir_all(dir)?;
    // Named after the entry too: threads of one process may store side by side.
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = dir.join(format!(".{}.{name}.tmp", std::process::id()));
    fs::write(&tmp, bytes)?;
    fs::rename(&tmp, path).inspect_err(|_| {
        let _ = fs::remove_file(&tmp);
    })
}

/// A short hex name for everything that makes compiled code loadable by `engine`.
fn engine_key(engine: &Engine) -> String {
    let mut hasher = Sha256Hasher(Sha256::new());
    engine.precompile_compatibility_hash().hash(&mut hasher);
    hex(&hasher.0.finalize()[..8])
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Feeds `Hash` output into SHA-256, which, unlike `DefaultHasher`, is stable across Rust
/// releases.
struct Sha256Hasher(Sha256);

impl Hasher for Sha256Hasher {
    fn finish(&self) -> u64 {
        unreachable!("only the digest is used")
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}
