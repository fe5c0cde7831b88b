//! The positions file: what it holds, how it is read, and how it is written so that a crash
//! at any moment leaves either the old file or the new one, whole.
//!
//! The format is JSON, one object, versioned:
//!
//! ```json
//! {"version": 1, "files": [
//!   {"path": "app.log", "dev": 2049, "inode": 1234, "fingerprint": "323032342d…", "offset": 4096}
//! ]}
//! ```
//!
//! `offset` is where reading resumes; `dev`, `inode` and `fingerprint` (the file's first bytes,
//! at most [`FINGERPRINT_BYTES`], in hex) say which file it is for ([`super::identity`]). A path
//! that is not UTF-8 is written twice: `path` as text with U+FFFD for the bytes that are not
//! UTF-8 (for the reader), and `path_hex`, its bytes in hex, which is what is read back. Keys
//! this version does not know are ignored.
//!
//! Writing ([`write()`]): a temporary file in the same folder (`.NAME.PID.tmp`), written,
//! `fsync`ed, renamed over the file, then the folder `fsync`ed, so the rename itself is on disk.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::{self, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use super::identity::Identity;
use crate::follow::FINGERPRINT_BYTES;

/// The format version this sluice writes and reads.
pub const VERSION: u64 = 1;

/// Where one file was processed up to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Record {
    /// The path as given on the command line.
    pub(crate) path: PathBuf,
    /// Which file the offset is for.
    pub(crate) identity: Identity,
    /// The file's first bytes as read: at most [`FINGERPRINT_BYTES`].
    pub(crate) fingerprint: Vec<u8>,
    /// Where reading resumes.
    pub(crate) offset: u64,
}

/// Why a positions file cannot be used.
#[derive(Debug)]
pub(crate) enum StoreError {
    /// It exists but cannot be read.
    Read(io::Error),
    /// It is not a positions file this sluice can read.
    Invalid(String),
}

/// Reads the records at `path`; `None` when there is no file there (a first run).
pub(crate) fn read(path: &Path) -> Result<Option<Vec<Record>>, StoreError> {
    let text = match fs::read(path) {
        Ok(text) => text,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(StoreError::Read(err)),
    };
    let value: Value = serde_json::from_slice(&text)
        .map_err(|err| StoreError::Invalid(format!("not JSON ({err})")))?;
    parse(&value).map(Some).map_err(StoreError::Invalid)
}

/// The records in `value`, or what is wrong with it.
fn parse(value: &Value) -> Result<Vec<Record>, String> {
    let version = value.get("version").and_then(Value::as_u64);
    if version != Some(VERSION) {
        return Err(match value.get("version") {
            None => "it has no `version`".to_owned(),
            Some(v) => format!("version {v} is not one this sluice reads ({VERSION})"),
        });
    }
    let files = value
        .get("files")
        .and_then(Value::as_array)
        .ok_or("`files` is not a list")?;
    files
        .iter()
        .enumerate()
        .map(|(i, file)| parse_record(file).map_err(|what| format!("files[{i}]: {what}")))
        .collect()
}

fn parse_record(file: &Value) -> Result<Record, String> {
    let number = |key: &str| {
        file.get(key)
            .and_then(Value::as_u64)
            .ok_or(format!("`{key}` is not a whole number"))
    };
    let hex = |key: &str| {
        let text = file
            .get(key)
            .and_then(Value::as_str)
            .ok_or(format!("`{key}` is not a string"))?;
        from_hex(text).ok_or(format!("`{key}` is not hex"))
    };
    let path = if file.get("path_hex").is_some() {
        PathBuf::from(OsString::from_vec(hex("path_hex")?))
    } else {
        let text = file
            .get("path")
            .and_then(Value::as_str)
            .ok_or("`path` is not a string")?;
        PathBuf::from(text)
    };
    let fingerprint = hex("fingerprint")?;
    if fingerprint.len() > FINGERPRINT_BYTES {
        return Err(format!(
            "`fingerprint` is longer than {FINGERPRINT_BYTES} bytes"
        ));
    }
    Ok(Record {
        path,
        identity: Identity {
            dev: number("dev")?,
            inode: number("inode")?,
        },
        fingerprint,
        offset: number("offset")?,
    })
}

/// The file's text for `records`: one line per file, so that it reads and diffs well.
pub(crate) fn render(records: &[Record]) -> String {
    let mut text = format!("{{\"version\":{VERSION},\"files\":[");
    for (i, record) in records.iter().enumerate() {
        let mut entry = Map::new();
        let bytes = record.path.as_os_str().as_bytes();
        entry.insert(
            "path".into(),
            String::from_utf8_lossy(bytes).into_owned().into(),
        );
        if std::str::from_utf8(bytes).is_err() {
            entry.insert("path_hex".into(), to_hex(bytes).into());
        }
        entry.insert("dev".into(), json!(record.identity.dev));
        entry.insert("inode".into(), json!(record.identity.inode));
        entry.insert("fingerprint".into(), to_hex(&record.fingerprint).into());
        entry.insert("offset".into(), json!(record.offset));
        let separator = if i == 0 { "" } else { "," };
        write!(text, "{separator}\n  {}", Value::Object(entry)).unwrap();
    }
    text.push_str("\n]}\n");
    text
}

/// Writes `records` to `path` atomically (see the module docs).
pub(crate) fn write(path: &Path, records: &[Record]) -> io::Result<()> {
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file name"))?;
    let mut temp_name = OsString::from(".");
    temp_name.push(name);
    temp_name.push(format!(".{}.tmp", std::process::id()));
    let temp = folder.join(temp_name);
    let written = (|| {
        let mut file = File::create(&temp)?;
        file.write_all(render(records).as_bytes())?;
        file.sync_all()?;
        fs::rename(&temp, path)
    })();
    if let Err(err) = written {
        let _ = fs::remove_file(&temp);
        return Err(err);
    }
    // The rename is in the folder: sync it too, or a crash may bring the old file back.
    File::open(folder)?.sync_all()
}

fn to_hex(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        write!(text, "{b:02x}").unwrap();
    }
    text
}

fn from_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("sluice-store-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn record(path: PathBuf, offset: u64) -> Record {
        Record {
            path,
            identity: Identity {
                dev: 2049,
                inode: u64::MAX,
            },
            fingerprint: b"2024-06-01 first line\n".to_vec(),
            offset,
        }
    }

    #[test]
    fn records_round_trip_non_utf8_paths_included() {
        let dir = scratch("round-trip");
        let file = dir.join("positions.json");
        let records = vec![
            record("app.log".into(), 4096),
            record(OsStr::from_bytes(b"caf\xe9.log").into(), 0),
        ];
        write(&file, &records).unwrap();
        assert_eq!(read(&file).unwrap(), Some(records));
        let text = fs::read_to_string(&file).unwrap();
        assert!(text.starts_with("{\"version\":1,\"files\":[\n  {\"path\":\"app.log\""));
        assert!(text.contains("\"path\":\"caf\u{fffd}.log\",\"path_hex\":\"636166e92e6c6f67\""));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_write_leaves_no_temporary_file() {
        let dir = scratch("atomic");
        let file = dir.join("positions.json");
        write(&file, &[record("a.log".into(), 1)]).unwrap();
        write(&file, &[record("a.log".into(), 2)]).unwrap();
        let names: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["positions.json"]);
        assert_eq!(read(&file).unwrap().unwrap()[0].offset, 2);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_write_into_a_missing_folder_fails_and_leaves_nothing() {
        let dir = scratch("missing");
        let file = dir.join("nowhere/positions.json");
        assert!(write(&file, &[]).is_err());
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 0);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn no_file_is_a_first_run() {
        let dir = scratch("none");
        assert_eq!(read(&dir.join("positions.json")).unwrap(), None);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_empty_list_is_a_valid_file() {
        assert_eq!(parse(&json!({"version": 1, "files": []})), Ok(vec![]));
    }

    #[test]
    fn what_is_not_a_positions_file_says_why() {
        let why = |text: &str| match read_text(text) {
            Err(StoreError::Invalid(why)) => why,
            other => panic!("{other:?}"),
        };
        assert!(why("{\"version\":1,").starts_with("not JSON"));
        assert!(why("").starts_with("not JSON"));
        assert_eq!(why("{}"), "it has no `version`");
        assert_eq!(
            why("{\"version\":2,\"files\":[]}"),
            "version 2 is not one this sluice reads (1)"
        );
        assert_eq!(why("{\"version\":1}"), "`files` is not a list");
        let entry = "\"path\":\"a\",\"dev\":1,\"inode\":2,\"fingerprint\":\"61\"";
        assert_eq!(
            why(&format!(
                "{{\"version\":1,\"files\":[{{{entry},\"offset\":-1}}]}}"
            )),
            "files[0]: `offset` is not a whole number"
        );
        assert_eq!(
            why(&format!(
                "{{\"version\":1,\"files\":[{{{entry},\"offset\":1,\"path_hex\":\"6\"}}]}}"
            )),
            "files[0]: `path_hex` is not hex"
        );
        let long = "61".repeat(FINGERPRINT_BYTES + 1);
        assert_eq!(
            why(&format!(
                "{{\"version\":1,\"files\":[{{\"path\":\"a\",\"dev\":1,\"inode\":2,\
                 \"fingerprint\":\"{long}\",\"offset\":0}}]}}"
            )),
            format!("files[0]: `fingerprint` is longer than {FINGERPRINT_BYTES} bytes")
        );
    }

    fn read_text(text: &str) -> Result<Option<Vec<Record>>, StoreError> {
        let dir = scratch("text");
        let file = dir.join("positions.json");
        fs::write(&file, text).unwrap();
        let result = read(&file);
        fs::remove_dir_all(&dir).unwrap();
        result
    }
}
