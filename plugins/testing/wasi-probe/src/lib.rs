//! `wasi-probe`: a plugin that imports WASI and tries to use it, for the host's sandbox tests.
//!
//! Not a built-in. Configured with what to try, it tries it at `finish` (`say` when the stage is
//! created) and emits one line per attempt saying what it got back (`open /etc/passwd:
//! access`), so a test sees both sides: the guest's error and the host's report on stderr. It calls WASI
//! directly through bindings generated from WASI's own WIT (`wit/deps`, copied from
//! wasmtime-wasi 48), with no libc in between, so each attempt is exactly one host call.
//!
//! Keys: `open` (a path), `getenv` (a variable name), `connect` (`a.b.c.d:port`), `say` (text
//! written to stdout, and to stderr with `err: ` in front), `sleep_ms` (block that long on
//! WASI's monotonic clock in every `process` call, as a plugin waiting on something would).

use sluice_plugin_sdk::{
    Config, ConfigError, ConfigKey, Line, Output, Plugin, Trailing, export_plugin,
};

#[cfg(target_arch = "wasm32")]
mod wasi_bindings {
    wit_bindgen::generate!({
        path: "wit",
        world: "wasi-imports",
        generate_all,
    });
}

/// The probe: what to try at `finish`.
pub struct WasiProbe {
    open: Option<String>,
    getenv: Option<String>,
    connect: Option<(String, ([u8; 4], u16))>,
    sleep_ms: Option<u64>,
}

impl Plugin for WasiProbe {
    const NAME: &'static str = "wasi-probe";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const SUMMARY: &'static str = "Try to reach files, the environment and the network (for tests)";
    const CONFIG_KEYS: &'static [ConfigKey] = &[
        ConfigKey::new("open", "string", "A path to open for reading."),
        ConfigKey::new("getenv", "string", "An environment variable to read."),
        ConfigKey::new(
            "connect",
            "string",
            "An IPv4 address and port to connect to.",
        ),
        ConfigKey::new("say", "string", "Text to write to stdout and stderr."),
        ConfigKey::new(
            "sleep_ms",
            "integer",
            "Block this long on the monotonic clock in every process call.",
        ),
    ];

    fn new(config: Config) -> Result<Self, ConfigError> {
        if let Some(text) = config.str("say")? {
            attempts::say(text);
        }
        let connect = match config.str("connect")? {
            Some(addr) => Some((
                addr.to_owned(),
                parse_ipv4(addr)
                    .ok_or_else(|| ConfigError::new("connect", "expected a.b.c.d:port"))?,
            )),
            None => None,
        };
        Ok(WasiProbe {
            open: config.str("open")?.map(str::to_owned),
            getenv: config.str("getenv")?.map(str::to_owned),
            connect,
            sleep_ms: config.u64("sleep_ms")?,
        })
    }

    fn process(&mut self, _line: &Line<'_>, out: &mut Output<'_>) {
        if let Some(ms) = self.sleep_ms {
            attempts::sleep(ms);
        }
        out.keep();
    }

    fn finish(&mut self, out: &mut Trailing) -> Result<(), String> {
        if let Some(path) = &self.open {
            out.push(format!("open {path}: {}", attempts::open(path)).as_bytes());
        }
        if let Some(name) = &self.getenv {
            out.push(format!("env {name}: {}", attempts::env(name)).as_bytes());
        }
        if let Some((text, addr)) = &self.connect {
            out.push(format!("connect {text}: {}", attempts::connect(*addr)).as_bytes());
        }
        Ok(())
    }
}

/// `a.b.c.d:port`.
fn parse_ipv4(text: &str) -> Option<([u8; 4], u16)> {
    let (ip, port) = text.split_once(':')?;
    let mut octets = [0u8; 4];
    let mut parts = ip.split('.');
    for octet in &mut octets {
        *octet = parts.next()?.parse().ok()?;
    }
    if parts.next().is_some() {
        return None;
    }
    Some((octets, port.parse().ok()?))
}

#[cfg(target_arch = "wasm32")]
mod attempts {
    use super::wasi_bindings::wasi::cli::{environment, stderr, stdout};
    use super::wasi_bindings::wasi::clocks::monotonic_clock;
    use super::wasi_bindings::wasi::filesystem::{preopens, types};
    use super::wasi_bindings::wasi::sockets::{instance_network, network, tcp_create_socket};

    /// Blocks for `ms` milliseconds: one subscribe, one block.
    pub fn sleep(ms: u64) {
        monotonic_clock::subscribe_duration(ms.saturating_mul(1_000_000)).block();
    }

    pub fn say(text: &str) {
        let _ = stdout::get_stdout().blocking_write_and_flush(format!("{text}\n").as_bytes());
        let _ = stderr::get_stderr().blocking_write_and_flush(format!("err: {text}\n").as_bytes());
    }

    /// Opens `path` under the preopened directory that contains it.
    pub fn open(path: &str) -> String {
        let dirs = preopens::get_directories();
        let Some((dir, _)) = dirs
            .iter()
            .find(|(_, guest)| path.starts_with(guest.as_str()))
        else {
            return format!("no preopened directory ({} in all)", dirs.len());
        };
        let relative = path.trim_start_matches('/');
        match dir.open_at(
            types::PathFlags::empty(),
            relative,
            types::OpenFlags::empty(),
            types::DescriptorFlags::READ,
        ) {
            Ok(_) => "opened".to_owned(),
            Err(code) => code.name().to_owned(),
        }
    }

    pub fn env(name: &str) -> String {
        let vars = environment::get_environment();
        match vars.iter().find(|(key, _)| key == name) {
            Some((_, value)) => format!("set to {value:?}"),
            None => format!("unset ({} variables visible)", vars.len()),
        }
    }

    pub fn connect((ip, port): ([u8; 4], u16)) -> String {
        let net = instance_network::instance_network();
        let socket = match tcp_create_socket::create_tcp_socket(network::IpAddressFamily::Ipv4) {
            Ok(socket) => socket,
            Err(code) => return format!("cannot create a socket: {}", code.name()),
        };
        let address = network::IpSocketAddress::Ipv4(network::Ipv4SocketAddress {
            port,
            address: (ip[0], ip[1], ip[2], ip[3]),
        });
        match socket.start_connect(&net, address) {
            Ok(()) => "connecting".to_owned(),
            Err(code) => code.name().to_owned(),
        }
    }
}

/// Natively (the crate's unit tests) there is no WASI to call.
#[cfg(not(target_arch = "wasm32"))]
mod attempts {
    pub fn say(_text: &str) {}
    pub fn sleep(ms: u64) {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
    pub fn open(_path: &str) -> String {
        "native".to_owned()
    }
    pub fn env(_name: &str) -> String {
        "native".to_owned()
    }
    pub fn connect(_addr: ([u8; 4], u16)) -> String {
        "native".to_owned()
    }
}

export_plugin!(WasiProbe);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ipv4_addresses() {
        assert_eq!(parse_ipv4("127.0.0.1:9"), Some(([127, 0, 0, 1], 9)));
        assert_eq!(parse_ipv4("127.0.0.1"), None);
        assert_eq!(parse_ipv4("1.2.3:4"), None);
        assert_eq!(parse_ipv4("1.2.3.4.5:6"), None);
    }
}
