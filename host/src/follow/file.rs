//! [`FollowedFile`]: a file read like `tail -F` does, as it grows, across rotations.
//!
//! The file is read from its start and then polled: new bytes are read as they are appended.
//! A file is known by its device and inode *and* a fingerprint: its first bytes
//! ([`FINGERPRINT_BYTES`] at most), as Vector's file source and Fluent Bit's tail know theirs.
//!
//! - Before each read, the open file is checked ([`FollowedFile::restart_if_rewritten`]): if
//!   it is shorter than what was read (truncated in place, `> file`, logrotate's
//!   `copytruncate`) or its first bytes are no longer the ones read (truncated and written
//!   again past the old offset between two polls), reading starts over from its start, so
//!   the new content is read whole and nothing of the old is taken for new.
//! - After reading, the path is checked with `stat` ([`FollowedFile::check`]): if it names
//!   another file than the one open (logrotate's rename-and-create, or a file deleted and
//!   created again, or replaced by a rename), the open file has been read to its end, and the
//!   new one is opened and read from its start, so no line written before the rotation is lost;
//!   if it is missing, the open file (if any) is kept until the path appears again.
//!
//! What cannot be told apart: a file rewritten with the same first bytes and grown past the
//! old offset between two polls looks like a file that grew.

use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::PathBuf;

/// How many of a file's first bytes make its fingerprint: enough to hold a timestamp and some
/// text of the first line or lines of a log, little to read again at each poll.
pub const FINGERPRINT_BYTES: usize = 256;

/// What [`FollowedFile::check`] found about the path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// Nothing to do.
    None,
    /// The path now names another file. Read the open one to its end, then call
    /// [`FollowedFile::reopen`].
    Replaced,
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
    /// The open file's first bytes as read: its first `min(offset, FINGERPRINT_BYTES)`.
    fingerprint: Vec<u8>,
}

impl FollowedFile {
    /// Follows `path`; opens it if it exists (an error other than "not found" is returned).
    pub fn new(path: PathBuf) -> io::Result<FollowedFile> {
        let mut followed = FollowedFile {
            path,
            file: None,
            identity: None,
            offset: 0,
            fingerprint: Vec::new(),
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

    /// The file open under the path, if any.
    pub fn file(&self) -> Option<&File> {
        self.file.as_ref()
    }

    /// Reads the open file from `offset` on, as if what comes before had been read: its first
    /// bytes become the fingerprint (a resumed `--positions` offset).
    pub fn start_at(&mut self, offset: u64) -> io::Result<()> {
        let Some(file) = &mut self.file else {
            return Ok(());
        };
        let mut head = [0; FINGERPRINT_BYTES];
        let wanted = offset.min(FINGERPRINT_BYTES as u64) as usize;
        let got = read_at_start(file, &mut head[..wanted])?;
        file.seek(SeekFrom::Start(offset))?;
        self.fingerprint.clear();
        self.fingerprint.extend_from_slice(&head[..got]);
        self.offset = offset;
        Ok(())
    }

    /// Opens the file the path names now, from its start.
    pub fn reopen(&mut self) -> io::Result<()> {
        let file = File::open(&self.path)?;
        let meta = file.metadata()?;
        self.identity = Some((meta.dev(), meta.ino()));
        self.file = Some(file);
        self.offset = 0;
        self.fingerprint.clear();
        Ok(())
    }

    /// Starts reading the open file over from its start when it was rewritten since the last
    /// read: it is shorter than what was read, or its first bytes changed. True when it did;
    /// what was read of the old content and not yet handed on is then complete.
    pub fn restart_if_rewritten(&mut self) -> io::Result<bool> {
        let Some(file) = &mut self.file else {
            return Ok(false);
        };
        let len = file.metadata()?.len();
        let rewritten = len < self.offset || {
            // On the stack: this runs before every read of a followed file.
            let mut head = [0; FINGERPRINT_BYTES];
            let head = &mut head[..self.fingerprint.len()];
            read_at_start(file, head)? < head.len() || *head != *self.fingerprint
        };
        if rewritten {
            file.seek(SeekFrom::Start(0))?;
            self.offset = 0;
            self.fingerprint.clear();
        }
        Ok(rewritten)
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
        Ok(Change::None)
    }
}

/// Reads `buf.len()` bytes from the start of `file` (fewer at its end) without moving its
/// offset; returns how many.
pub(crate) fn read_at_start(file: &File, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read_at(&mut buf[filled..], filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(filled)
}

impl Read for FollowedFile {
    /// Reads from the open file; 0 when there is nothing new (or no file yet).
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Some(file) = &mut self.file else {
            return Ok(0);
        };
        let n = file.read(buf)?;
        let room = FINGERPRINT_BYTES.saturating_sub(self.fingerprint.len());
        self.fingerprint.extend_from_slice(&buf[..n.min(room)]);
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
        assert!(f.restart_if_rewritten().unwrap());
        assert_eq!(f.check().unwrap(), Change::None);
        assert_eq!(read_all(&mut f), b"5\n");
        assert!(!f.restart_if_rewritten().unwrap(), "a file that only grew");
        fs::remove_dir_all(&dir).unwrap();
    }

    /// The reproduction of the issue: truncated and written again past the old offset
    /// between two polls. The size alone says nothing; the first bytes do.
    #[test]
    fn a_file_rewritten_past_the_old_offset_is_read_again_whole() {
        let dir = std::env::temp_dir().join(format!("sluice-refill-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.log");
        fs::write(&path, b"old-line-1\n").unwrap();
        let mut f = FollowedFile::new(path.clone()).unwrap();
        assert_eq!(read_all(&mut f), b"old-line-1\n");
        fs::write(&path, b"NEW-LINE-AFTER-TRUNCATE\n").unwrap();
        assert!(f.restart_if_rewritten().unwrap());
        assert_eq!(read_all(&mut f), b"NEW-LINE-AFTER-TRUNCATE\n");

        // copytruncate: copied away, truncated, written again by a writer in append mode.
        let long: Vec<u8> = (0..FINGERPRINT_BYTES * 2)
            .map(|i| b'a' + (i % 26) as u8)
            .collect();
        fs::write(&path, &long).unwrap();
        assert!(f.restart_if_rewritten().unwrap());
        assert_eq!(read_all(&mut f), long);
        fs::copy(&path, dir.join("t.log.1")).unwrap();
        let writer = fs::OpenOptions::new().append(true).open(&path).unwrap();
        writer.set_len(0).unwrap();
        let mut writer = writer;
        let refill = [b"after copytruncate\n".repeat(40)].concat();
        writer.write_all(&refill).unwrap();
        assert!(f.restart_if_rewritten().unwrap());
        assert_eq!(read_all(&mut f), refill);
        assert!(!f.restart_if_rewritten().unwrap());
        fs::remove_dir_all(&dir).unwrap();
    }
}
