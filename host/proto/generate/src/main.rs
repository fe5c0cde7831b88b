//! Generates the Rust types of the OTLP logs protocol from `host/proto/` (the official
//! `opentelemetry-proto` files, vendored at the tag named in `host/proto/VERSION`) into
//! `host/src/otlp/proto/`.

use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = root.join("../src/otlp/proto");
    std::fs::create_dir_all(&out)?;
    let files = protox::compile(
        ["opentelemetry/proto/collector/logs/v1/logs_service.proto"],
        [&root],
    )?;
    prost_build::Config::new()
        .out_dir(&out)
        .include_file("mod.rs")
        .compile_fds(files)?;
    println!("wrote {}", out.display());
    Ok(())
}
