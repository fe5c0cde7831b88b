//! [`FollowedFile`]: a file read like `tail -F` does, as it grows, across rotations.
//!
//! The file is read from its start and then polled: new bytes are read as they are appended.
//! Between polls the path is checked with `stat`:
//!
//! - it names another file than the one open (logrotate's rename-and-create, or a file
//!   deleted and created again): the open file is read to its end first, then the new one is
//!   opened and read from its start, so no line written before the rotation is lost;
//! - it is shorter than what was read (truncated in place, `> file`): reading starts over;
//! - it is missing: the open file (if any) is kept until the path appears again.

use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

/// What [`FollowedFile::check`] found about the path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// Nothing to do.
    None,
    /// The path now names another file. Read the open one to its end, then call
    /// [`FollowedFile::reopen`].
    Replaced,
    /// The file shrank below what was read; reading has started over from its start.
    Truncated,
}

/// One followed path and the file open under it.
#[derive(Debug)]
pub struct FollowedFile {
    path: PathBuf,
    file: Option<File>,
    /// (device, inode) of the open file.
    identity: Option<(u64, u64)>,
    /// Bytes read from the open file.
    offset: u64,
}

impl FollowedFile {
    /// Follows `path`; opens it if it exists (an error other than "not found" is returned).
    pub fn new(path: PathBuf) -> io::Result<FollowedFile> {
        let mut followed = FollowedFile {
            path,
            file: None,
            identity: None,
            offset: 0,
        };
        match followed.reopen() {
            Ok(()) => Ok(followed),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(followed),
            Err(err) => Err(err),
        }
    }

    /// True while a file is open under the path.
    pub fn is_open(&self) -> bool {
        self.file.is_some()
    }

    /// Opens the file the path names now, from its start.
    pub fn reopen(&mut self) -> io::Result<()> {
        let file = File::open(&self.path)?;
        let meta = file.metadata()?;
        self.identity = Some((meta.dev(), meta.ino()));
        self.file = Some(file);
        self.offset = 0;
        Ok(())
    }

    /// Looks at what the path names now (see [`Change`]).
    pub fn check(&mut self) -> io::Result<Change> {
        let meta = match fs::metadata(&self.path) {
            Ok(meta) => meta,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Change::None),
            Err(err) => return Err(err),
        };
        let Some(identity) = self.identity else {
            return Ok(Change::Replaced);
        };
        if identity != (meta.dev(), meta.ino()) {
            return Ok(Change::Replaced);
        }
        if meta.len() < self.offset {
            if let Some(file) = &mut self.file {
                file.seek(SeekFrom::Start(0))?;
            }
            self.offset = 0;
            return Ok(Change::Truncated);
        }
        Ok(Change::None)
    }
}

impl Read for FollowedFile {
    /// Reads from the open file; 0 when there is nothing new (or no file yet).
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Some(file) = &mut self.file else {
            return Ok(0);
        };
        let n = file.read(buf)?;
        self.offset += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn read_all(f: &mut FollowedFile) -> Vec<u8> {
        let mut out = Vec::new();
        f.read_to_end(&mut out).unwrap();
        out
    }

    #[test]
    fn growth_rotation_and_truncation() {
        let dir = std::env::temp_dir().join(format!("sluice-follow-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("app.log");
        let mut f = FollowedFile::new(path.clone()).unwrap();
        assert!(!f.is_open());
        assert_eq!(f.check().unwrap(), Change::None);

        let mut writer = File::create(&path).unwrap();
        assert_eq!(f.check().unwrap(), Change::Replaced);
        f.reopen().unwrap();
        writer.write_all(b"one\n").unwrap();
        assert_eq!(read_all(&mut f), b"one\n");
        writer.write_all(b"two\n").unwrap();
        assert_eq!(read_all(&mut f), b"two\n");

        // Rename and create: the old file still yields what was written to it.
        fs::rename(&path, dir.join("app.log.1")).unwrap();
        writer.write_all(b"three\n").unwrap();
        let mut writer = File::create(&path).unwrap();
        writer.write_all(b"four\n").unwrap();
        assert_eq!(f.check().unwrap(), Change::Replaced);
        assert_eq!(read_all(&mut f), b"three\n");
        f.reopen().unwrap();
        assert_eq!(read_all(&mut f), b"four\n");

        // Truncation starts over.
        writer.set_len(0).unwrap();
        let mut writer = fs::OpenOptions::new().append(true).open(&path).unwrap();
        writer.write_all(b"5\n").unwrap();
        assert_eq!(f.check().unwrap(), Change::Truncated);
        assert_eq!(read_all(&mut f), b"5\n");
        fs::remove_dir_all(&dir).unwrap();
    }
}
