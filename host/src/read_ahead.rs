//! [`ReadAhead`]: the files after the one being read, opened ahead and read ahead by the
//! kernel, so that many small files do not wait for the disk one after another.
//!
//! A thread opens the inputs that are regular files, in order, a few ahead of the one the
//! pipeline reads ([`READ_AHEAD_FILES`]), and asks the kernel to read the start of each into
//! its page cache now (`posix_fadvise(WILLNEED)`, the first [`READ_AHEAD_BYTES`]), while the
//! pipeline is still busy with the files before it. The pipeline takes each opened file in its
//! turn ([`ReadAhead::take`]), so files are read, and their lines written, in the order of the
//! arguments. Anything else (standard input, a named pipe, whose opening would wait for its
//! writer, a device, a path that is not there) is opened by the pipeline in its turn, as
//! without read-ahead, and an error is reported in its turn. Nothing is read into sluice's own
//! memory: the bytes wait in the kernel's cache, and at most `READ_AHEAD_FILES` files are open
//! ahead, so a run over thousands of files needs a handful of descriptors. A file opened ahead
//! is the file its path named a few files earlier: one renamed away in between is still read
//! whole.

use std::cmp::Ordering;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver};

use crate::input::Input;

/// How many files are opened ahead of the one being read.
pub(crate) const READ_AHEAD_FILES: usize = 4;

/// How much of each file opened ahead the kernel is asked to read: a small file whole, and the
/// start of a large one (whose reading the kernel's own readahead then carries on).
pub(crate) const READ_AHEAD_BYTES: u32 = 8 << 20;

/// The files of a run's inputs, opened ahead by a thread.
pub(crate) struct ReadAhead {
    /// Each file input's index among the inputs and its file when it was opened ahead, in
    /// input order. `None` when there is nothing to read ahead (a single input).
    opened: Option<Receiver<(usize, Option<File>)>>,
    /// What the thread sent for a later input than the one last asked for.
    next: Option<(usize, Option<File>)>,
}

impl ReadAhead {
    /// Starts opening the files among `inputs` ahead, when there are several inputs.
    pub(crate) fn start(inputs: &[Input]) -> ReadAhead {
        if inputs.len() < 2 {
            return ReadAhead {
                opened: None,
                next: None,
            };
        }
        let files: Vec<(usize, PathBuf)> = inputs
            .iter()
            .enumerate()
            .filter_map(|(i, input)| match input {
                Input::File(path) => Some((i, path.clone())),
                Input::Stdin => None,
            })
            .collect();
        // The channel holds the files opened ahead; the thread waits while it is full.
        let (sender, opened) = mpsc::sync_channel(READ_AHEAD_FILES);
        let started = std::thread::Builder::new()
            .name("sluice-read-ahead".to_owned())
            .spawn(move || {
                for (i, path) in files {
                    let file = open_regular(&path);
                    // The pipeline stopped early (a stop request, a sink that wants no more):
                    // nothing more to open.
                    if sender.send((i, file)).is_err() {
                        break;
                    }
                }
            });
        // Without the thread, each file is opened in its turn, as it would be anyway.
        ReadAhead {
            opened: started.ok().map(|_| opened),
            next: None,
        }
    }

    /// Input `index`'s file when it was opened ahead, or `None` when it was not (standard
    /// input, anything but a regular file, a single input, no thread): the caller opens it.
    pub(crate) fn take(&mut self, index: usize) -> Option<io::Result<File>> {
        let opened = self.opened.as_ref()?;
        // The thread sends the file inputs in order, and the caller asks for every input in
        // order: what comes is the input asked for, or a later one when it asks for standard
        // input (kept for its turn).
        loop {
            let next = match self.next.take() {
                Some(next) => next,
                None => opened.recv().ok()?,
            };
            match next.0.cmp(&index) {
                // An input the caller did not ask for.
                Ordering::Less => continue,
                Ordering::Equal => return next.1.map(Ok),
                Ordering::Greater => {
                    self.next = Some(next);
                    return None;
                }
            }
        }
    }
}

/// `path` opened, when it is a regular file, with the kernel asked to read its start now;
/// `None` for anything else, or when it cannot be opened (the pipeline then opens it in its
/// turn and reports the error then, as without read-ahead).
fn open_regular(path: &Path) -> Option<File> {
    // `stat` first: opening a named pipe would wait for its writer.
    if !std::fs::metadata(path).is_ok_and(|m| m.file_type().is_file()) {
        return None;
    }
    let file = File::open(path).ok()?;
    advise_reading(&file);
    Some(file)
}

/// Asks the kernel to read the start of `file` into its cache now.
#[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
fn advise_reading(file: &File) {
    // SAFETY: the descriptor is `file`'s, open for the whole call; the advice only schedules
    // reads into the page cache, and is a hint whose failure changes nothing.
    unsafe {
        libc::posix_fadvise(
            std::os::fd::AsRawFd::as_raw_fd(file),
            0,
            READ_AHEAD_BYTES.into(),
            libc::POSIX_FADV_WILLNEED,
        );
    }
}

/// Elsewhere there is no such advice: the file is only opened ahead.
#[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
fn advise_reading(_file: &File) {}
