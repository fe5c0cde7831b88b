//! The on-disk cache of compiled components.
//!
//! Cranelift takes from half a second (a regex plugin) to over ten seconds (a Python or
//! JavaScript component) to compile a component; deserializing the compiled form takes well
//! under a millisecond. So every component is compiled once and its compiled form stored as
//! `<dir>/<engine>/<content>.cwasm`, where `<engine>` hashes everything that makes compiled
//! code compatible (wasmtime's version, the engine's settings, the CPU features) and
//! `<content>` is the SHA-256 of the component's bytes (for a built-in, computed when sluice
//! was built). A changed plugin or a new sluice therefore never loads a stale entry.
//!
//! A pipeline's plugins are made ready side by side, one thread each
//! ([`ComponentCache::compile_ahead`]): those not cached yet are compiled (the caller is told
//! which, so that a first run can say why it pauses), the others deserialized. The components
//! are kept for the run, so the loads that follow neither hash nor read the cache again.
//!
//! The cache is best effort: when the directory cannot be created or written, sluice compiles
//! in memory and goes on. Entries are written to a temporary file and renamed into place, so
//! concurrent runs never see half an entry.

use std::fs;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::Result;
use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// Where compiled components are kept, if anywhere.
pub struct ComponentCache {
    /// The directory for this engine's entries; `None` disables the cache.
    dir: Option<PathBuf>,
    /// The components [`ComponentCache::compile_ahead`] made ready for this run, with what
    /// they were made from.
    ready: Mutex<Vec<(MadeFrom, Component)>>,
}

/// What a component ready for the run was made from, to find it again by.
enum MadeFrom {
    /// A built-in's embedded bytes, not copied: known by their address
    /// ([`crate::builtin::embedded`]), or else, like a copy, by comparing bytes.
    Builtin(&'static [u8]),
    /// A copy of other bytes, found by comparing bytes, which costs a fraction of hashing them.
    Bytes(Box<[u8]>),
}

impl MadeFrom {
    fn of(bytes: &[u8]) -> MadeFrom {
        match crate::builtin::embedded(bytes) {
            Some(builtin) => MadeFrom::Builtin(builtin.component),
            None => MadeFrom::Bytes(bytes.into()),
        }
    }

    fn is(&self, bytes: &[u8]) -> bool {
        match self {
            MadeFrom::Builtin(embedded) => std::ptr::eq(*embedded, bytes) || **embedded == *bytes,
            MadeFrom::Bytes(copy) => **copy == *bytes,
        }
    }
}

impl ComponentCache {
    /// A cache under `root` (see [`ComponentCache::default_root`]), or none.
    pub fn new(engine: &Engine, root: Option<PathBuf>) -> ComponentCache {
        let dir = root.map(|root| root.join(engine_key(engine)));
        ComponentCache {
            dir,
            ready: Mutex::new(Vec::new()),
        }
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

    /// Where the compiled form of `bytes` is kept, if the cache is on. A built-in's digest was
    /// computed when sluice was built ([`crate::builtin`]); other bytes are hashed here.
    fn entry(&self, bytes: &[u8]) -> Option<PathBuf> {
        let dir = self.dir.as_ref()?;
        let digest = match crate::builtin::embedded(bytes) {
            Some(builtin) => hex(&builtin.digest),
            None => hex(&Sha256::digest(bytes)),
        };
        Some(dir.join(format!("{digest}.cwasm")))
    }

    /// Makes the components of `plugins` (name, bytes) ready for this run, side by side:
    /// compiles into the cache those it does not hold yet, after telling `compiling` their
    /// names (not called when there are none, or the cache is off), and deserializes the
    /// others. Errors are left for the load that follows to report.
    pub fn compile_ahead(
        &self,
        engine: &Engine,
        plugins: &[(&str, &[u8])],
        compiling: impl FnOnce(&[&str]),
    ) {
        let mut distinct: Vec<(&str, &[u8], Option<PathBuf>)> = Vec::new();
        for &(name, bytes) in plugins {
            if !distinct.iter().any(|&(_, seen, _)| seen == bytes) {
                distinct.push((name, bytes, self.entry(bytes)));
            }
        }
        let missing: Vec<&str> = distinct
            .iter()
            .filter(|(_, _, path)| path.as_ref().is_some_and(|path| !path.is_file()))
            .map(|&(name, _, _)| name)
            .collect();
        if !missing.is_empty() {
            compiling(&missing);
        }
        let make_ready = |bytes: &[u8], path: Option<PathBuf>| {
            if let Ok(component) = self.load_from(engine, bytes, path) {
                let mut ready = self.ready.lock().unwrap_or_else(|p| p.into_inner());
                ready.push((MadeFrom::of(bytes), component));
            }
        };
        if let [(_, bytes, path)] = distinct.as_slice() {
            return make_ready(bytes, path.clone());
        }
        let make_ready = &make_ready;
        std::thread::scope(|scope| {
            for (_, bytes, path) in distinct {
                scope.spawn(move || make_ready(bytes, path));
            }
        });
    }

    /// Compiles `bytes`, or takes the component [`ComponentCache::compile_ahead`] made of them,
    /// or loads the compiled form from the cache.
    pub fn load(&self, engine: &Engine, bytes: &[u8]) -> Result<Component> {
        let ready = self.ready.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, component)) = ready.iter().find(|(made_from, _)| made_from.is(bytes)) {
            return Ok(component.clone());
        }
        drop(ready);
        self.load_from(engine, bytes, self.entry(bytes))
    }

    /// Loads `bytes` from the cache entry at `path`, or compiles them (and stores the result
    /// there); with no `path`, just compiles.
    fn load_from(&self, engine: &Engine, bytes: &[u8], path: Option<PathBuf>) -> Result<Component> {
        let (Some(dir), Some(path)) = (&self.dir, path) else {
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
