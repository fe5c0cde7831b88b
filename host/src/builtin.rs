//! The built-in plugins: components built from `plugins/` by `plugins/build`, committed under
//! `plugins/dist/` and embedded here, so that sluice needs no wasm toolchain to build or run.

/// A built-in plugin: its name (what `-p NAME` selects) and its component's bytes.
#[derive(Clone, Copy, Debug)]
pub struct Builtin {
    pub name: &'static str,
    pub component: &'static [u8],
    /// The SHA-256 of `component`, computed when sluice was built (`host/build.rs`), so that
    /// the compile cache finds the entry without hashing the bytes at every start.
    pub digest: [u8; 32],
}

/// The built-in `NAME`: `plugins/dist/NAME.wasm` embedded, and its digest.
macro_rules! builtin {
    ($name:literal) => {
        Builtin {
            name: $name,
            component: include_bytes!(concat!("../../plugins/dist/", $name, ".wasm")),
            digest: include!(concat!(env!("OUT_DIR"), "/digests/", $name, ".rs")),
        }
    };
}

/// Every built-in plugin, in the order `--list-plugins` shows them.
///
/// A `static`, not a `const`: a constant is copied into every place that names it, and with it
/// the components it points to (the binary held every one twice), while [`embedded`] knows a
/// component by its one address.
pub static BUILTINS: &[Builtin] = &[
    builtin!("sanitize"),
    builtin!("luhn"),
    builtin!("regex"),
    builtin!("replace"),
    builtin!("json"),
    builtin!("logfmt"),
    builtin!("pattern"),
    builtin!("cri"),
    builtin!("docker"),
    builtin!("timestamp"),
    builtin!("fields"),
    builtin!("template"),
    builtin!("output"),
    builtin!("prefix"),
    builtin!("decolorize"),
    builtin!("truncate"),
    builtin!("pack"),
    builtin!("drop"),
    builtin!("sampling"),
    builtin!("limit"),
    builtin!("multiline"),
    builtin!("grep"),
    builtin!("tail"),
    builtin!("outcome"),
    builtin!("aggregate"),
    builtin!("metrics"),
];

/// The built-in plugin called `name`.
pub fn find(name: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|builtin| builtin.name == name)
}

/// The built-in whose embedded component `bytes` are: the same address and length, not
/// merely equal bytes (a copy is hashed and compared like any plugin file's).
pub(crate) fn embedded(bytes: &[u8]) -> Option<&'static Builtin> {
    BUILTINS
        .iter()
        .find(|builtin| std::ptr::eq(builtin.component, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    #[test]
    fn each_digest_is_the_hash_of_the_embedded_bytes() {
        for builtin in BUILTINS {
            let digest: [u8; 32] = Sha256::digest(builtin.component).into();
            assert_eq!(builtin.digest, digest, "{}", builtin.name);
        }
    }

    #[test]
    fn only_the_embedded_bytes_themselves_are_known() {
        let pack = find("pack").unwrap();
        assert_eq!(embedded(pack.component).map(|b| b.name), Some("pack"));
        let copy = pack.component.to_vec();
        assert!(embedded(&copy).is_none(), "a copy is not");
        assert!(embedded(&pack.component[1..]).is_none());
        assert!(embedded(&pack.component[..pack.component.len() - 1]).is_none());
    }
}
