//! Which file a recorded offset is for: its device and inode, and its first bytes, as `-f`
//! knows a followed file ([`crate::follow`]). A file resumes from its recorded offset only when
//! all three still match and it is at least that long ([`resume_offset`]); anything else (a
//! file replaced, truncated, or rewritten with other first bytes) is read from its start.

use std::fs::File;
use std::io;
use std::os::unix::fs::MetadataExt;

use crate::follow::read_at_start;

/// A file's device and inode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Identity {
    pub(crate) dev: u64,
    pub(crate) inode: u64,
}

/// What is known about an open file when it starts being read.
#[derive(Debug)]
pub(crate) struct Opened {
    pub(crate) identity: Identity,
    pub(crate) len: u64,
}

impl Opened {
    pub(crate) fn of(file: &File) -> io::Result<Opened> {
        let meta = file.metadata()?;
        Ok(Opened {
            identity: Identity {
                dev: meta.dev(),
                inode: meta.ino(),
            },
            len: meta.len(),
        })
    }
}

/// Where to start reading `file` (which is `opened`), given what was recorded for its path:
/// the recorded offset when the file is the one recorded (same device and inode, the same
/// first bytes, at least as long), else 0.
pub(crate) fn resume_offset(
    file: &File,
    opened: &Opened,
    identity: Identity,
    fingerprint: &[u8],
    offset: u64,
) -> io::Result<u64> {
    if opened.identity != identity || opened.len < offset {
        return Ok(0);
    }
    let mut head = vec![0; fingerprint.len()];
    let same = read_at_start(file, &mut head)? == head.len() && head == fingerprint;
    Ok(if same { offset } else { 0 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("sluice-ident-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn the_same_file_resumes_and_a_changed_one_starts_over() {
        let dir = scratch("resume");
        let path = dir.join("app.log");
        fs::write(&path, b"first line\nsecond line\n").unwrap();
        let file = File::open(&path).unwrap();
        let opened = Opened::of(&file).unwrap();
        let id = opened.identity;
        let resume = |identity, fingerprint: &[u8], offset| {
            resume_offset(&file, &opened, identity, fingerprint, offset).unwrap()
        };
        assert_eq!(resume(id, b"first line\n", 11), 11);
        assert_eq!(
            resume(id, b"", 23),
            23,
            "nothing was read: only the identity"
        );
        assert_eq!(
            resume(id, b"first line\n", 24),
            0,
            "shorter than the offset"
        );
        assert_eq!(resume(id, b"FIRST line\n", 11), 0, "other first bytes");
        let fingerprint_past_the_end = b"first line\nsecond line\nthird";
        assert_eq!(resume(id, fingerprint_past_the_end, 11), 0);
        let other_inode = Identity {
            inode: id.inode + 1,
            ..id
        };
        assert_eq!(resume(other_inode, b"first line\n", 11), 0);
        fs::remove_dir_all(&dir).unwrap();
    }
}
