//! Compressed input: gzip, zstd, bzip2 and xz files and standard input are recognised by
//! their first bytes and decompressed as they are read; a corrupt stream is an input error
//! (exit 3) after the lines before it; `--no-decompress` reads the bytes as they are.

use std::fs;
use std::io::Write;

use crate::util::*;

/// Lines with what logs have: CRLF, a NUL, bytes that are not UTF-8, an empty line, and no
/// final newline.
const TEXT: &[u8] = b"2024-06-01 INFO started\r\n\0nul \xff\xfe\n\nlast without newline";

#[derive(Clone, Copy, Debug)]
enum Codec {
    Gzip,
    Zstd,
    Bzip2,
    Xz,
}

const ALL: [Codec; 4] = [Codec::Gzip, Codec::Zstd, Codec::Bzip2, Codec::Xz];

fn compress(codec: Codec, bytes: &[u8]) -> Vec<u8> {
    match codec {
        Codec::Gzip => {
            let mut encoder = flate2::write::GzEncoder::new(Vec::new(), Default::default());
            encoder.write_all(bytes).unwrap();
            encoder.finish().unwrap()
        }
        Codec::Zstd => zstd::stream::encode_all(bytes, 3).unwrap(),
        Codec::Bzip2 => {
            let mut encoder = bzip2::write::BzEncoder::new(Vec::new(), Default::default());
            encoder.write_all(bytes).unwrap();
            encoder.finish().unwrap()
        }
        Codec::Xz => {
            let mut encoder = liblzma::write::XzEncoder::new(Vec::new(), 6);
            encoder.write_all(bytes).unwrap();
            encoder.finish().unwrap()
        }
    }
}

/// Files and standard input, with and without a stage, come out as the text they hold.
#[test]
fn each_format_is_decompressed_from_a_file_and_from_stdin() {
    let dir = tempdir("decompress-formats");
    for codec in ALL {
        let compressed = compress(codec, TEXT);
        // Named so that nothing could guess the format from the name.
        let path = dir.join(format!("{codec:?}.log"));
        fs::write(&path, &compressed).unwrap();
        let file = path.to_str().unwrap();
        assert_eq!(transform(&[file], b""), TEXT, "{codec:?} file");
        assert_eq!(transform(&[], &compressed), TEXT, "{codec:?} stdin");
        let redirected = sluice()
            .stdin(fs::File::open(&path).unwrap())
            .output()
            .unwrap();
        assert_eq!(redirected.stdout, TEXT, "{codec:?}: `sluice < file`");
        let tagged = transform(&["-p", "prefix={\"parts\":[\"source\"]}", file], b"");
        let expected = format!("{file} 2024-06-01 INFO started\r\n");
        assert!(tagged.starts_with(expected.as_bytes()), "{}", show(&tagged));
    }
}

/// Streams back to back are one input, for every format (`cat a.gz b.gz > c.gz`).
#[test]
fn concatenated_streams_are_read_through() {
    for codec in ALL {
        let mut both = compress(codec, b"first\nsecond\n");
        both.extend(compress(codec, b"third\n"));
        assert_eq!(
            transform(&[], &both),
            b"first\nsecond\nthird\n",
            "{codec:?}"
        );
    }
}

/// A stream cut short or garbled is an input error naming the input and the format: the
/// lines before it are written, the next file is still read, and the run exits 3.
#[test]
fn a_corrupt_stream_is_an_input_error_after_the_lines_before_it() {
    let dir = tempdir("decompress-corrupt");
    let text: Vec<u8> = (0..200_000u32)
        .flat_map(|i| format!("line {i}\n").into_bytes())
        .collect();
    for codec in ALL {
        let whole = compress(codec, &text);
        let cut = dir.join(format!("cut-{codec:?}.log"));
        fs::write(&cut, &whole[..whole.len() * 3 / 4]).unwrap();
        let next = dir.join("next.log");
        fs::write(&next, "next\n").unwrap();
        let run = run(&[cut.to_str().unwrap(), next.to_str().unwrap()], b"");
        assert_eq!(run.code, 3, "{codec:?}: {}", run.stderr);
        let name = format!("{codec:?}").to_lowercase();
        let said = format!("sluice: {}: not a valid {name} stream: ", cut.display());
        assert!(
            run.stderr.starts_with(&said) && run.stderr.lines().count() == 1,
            "{}",
            run.stderr
        );
        // What came out is a prefix of the text, ended by the next file.
        let out = &run.stdout;
        assert!(out.ends_with(b"next\n"), "{codec:?}");
        let before = &out[..out.len() - 5];
        assert!(text.starts_with(before), "{codec:?}");
        assert!(
            before.len() > 1000,
            "{codec:?}: only {} bytes",
            before.len()
        );
    }
}

/// `--no-decompress` reads the bytes as they are; text that merely starts like a magic
/// number is text.
#[test]
fn no_decompress_and_text_that_looks_like_a_magic_number() {
    let gz = compress(Codec::Gzip, b"a\n");
    assert_eq!(transform(&["--no-decompress"], &gz), gz);
    for text in [&b"BZh is not bzip2\n"[..], b"\x1f not gzip\n", b"BZh", b""] {
        assert_eq!(transform(&[], text), text);
    }
}
