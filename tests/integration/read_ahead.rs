//! Several input files: the next ones are opened and read ahead while one is processed
//! (`host/src/read_ahead.rs`), and still come out in the order of the arguments, with an
//! input that cannot be read reported in its turn; a named pipe among them is opened in its
//! turn; and a run over many files works under a low limit of open descriptors.

use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};

use crate::util::{run, run_cmd, sluice, tempdir, test_plugin};

/// `count` files of a few numbered lines each, of several sizes, the last without its final
/// newline; their paths and everything they hold, in order.
fn files(dir: &Path, count: usize) -> (Vec<PathBuf>, Vec<u8>) {
    let mut all = Vec::new();
    let paths = (0..count)
        .map(|i| {
            let mut text = String::new();
            for n in 0..(i % 13) * 7 {
                text.push_str(&format!("file {i} line {n} level=info\n"));
            }
            if i + 1 == count {
                text.push_str("the last line, without its newline");
            }
            let path = dir.join(format!("{i:04}.log"));
            fs::write(&path, &text).unwrap();
            all.extend_from_slice(text.as_bytes());
            path
        })
        .collect();
    (paths, all)
}

fn args(paths: &[PathBuf]) -> Vec<&str> {
    paths.iter().map(|p| p.to_str().unwrap()).collect()
}

#[test]
fn files_come_out_in_argument_order_and_errors_are_reported_in_their_turn() {
    let dir = tempdir("read-ahead-order");
    let (mut paths, expected) = files(&dir, 60);
    paths.insert(10, dir.join("missing.log"));
    paths.insert(30, dir.clone());
    let identity = test_plugin("identity");
    for chain in [vec![], vec!["-p", identity.as_str()]] {
        let mut argv = chain.clone();
        argv.extend(args(&paths));
        let out = run(&argv, b"");
        assert_eq!(out.code, 3, "{}", out.stderr);
        assert!(out.stdout == expected, "{chain:?}: the lines differ");
        let errors: Vec<&str> = out.stderr.lines().collect();
        assert_eq!(errors.len(), 2, "{}", out.stderr);
        assert!(
            errors[0].contains("missing.log: No such file"),
            "{}",
            errors[0]
        );
        assert!(errors[1].contains("Is a directory"), "{}", errors[1]);
    }
}

#[test]
fn standard_input_among_the_files_is_read_in_its_turn() {
    let dir = tempdir("read-ahead-stdin");
    let (paths, _) = files(&dir, 9);
    let mut argv = args(&paths);
    argv.insert(3, "-");
    let out = run(&argv, b"from standard input\n");
    assert_eq!(out.code, 0, "{}", out.stderr);
    let mut expected = Vec::new();
    for (i, path) in paths.iter().enumerate() {
        if i == 3 {
            expected.extend_from_slice(b"from standard input\n");
        }
        expected.extend(fs::read(path).unwrap());
    }
    assert!(
        out.stdout == expected,
        "standard input's line is not in its place"
    );
}

#[test]
fn a_named_pipe_among_the_files_is_read_in_its_turn() {
    let dir = tempdir("read-ahead-fifo");
    let (mut paths, _) = files(&dir, 8);
    let fifo = dir.join("pipe");
    let name = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid C string; creates a named pipe.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
    paths.insert(4, fifo.clone());
    let writer = std::thread::spawn(move || fs::write(&fifo, b"from the pipe\n").unwrap());
    let out = run(&args(&paths), b"");
    writer.join().unwrap();
    assert_eq!(out.code, 0, "{}", out.stderr);
    let mut expected = Vec::new();
    for path in &paths {
        match path.file_name().unwrap().to_str().unwrap() {
            "pipe" => expected.extend_from_slice(b"from the pipe\n"),
            _ => expected.extend(fs::read(path).unwrap()),
        }
    }
    assert!(
        out.stdout == expected,
        "the pipe's line is not in its place"
    );
}

#[test]
fn many_files_are_read_under_a_low_descriptor_limit() {
    let dir = tempdir("read-ahead-descriptors");
    let (paths, expected) = files(&dir, 400);
    let mut cmd = sluice();
    cmd.args(["-j", "2", "-p", "pack"]).args(args(&paths));
    // SAFETY: setrlimit is async-signal-safe; it runs in the child before exec.
    unsafe {
        cmd.pre_exec(|| {
            // Enough for the process itself, its worker threads and the files read ahead; far
            // fewer than the 400 files.
            let limit = libc::rlimit {
                rlim_cur: 48,
                rlim_max: 48,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = run_cmd(&mut cmd, b"");
    assert_eq!(out.code, 0, "{}", out.stderr);
    let lines = out.stdout.split(|&b| b == b'\n').filter(|l| !l.is_empty());
    let expected_lines = expected.split(|&b| b == b'\n').filter(|l| !l.is_empty());
    assert_eq!(lines.count(), expected_lines.count());
}
