//! Compressed input: gzip, zstd, bzip2 and xz streams are recognised by their first bytes
//! (their magic numbers, never the file's name) and decompressed as they are read, so
//! `sluice app.log.1.gz` and `zcat`-free pipelines see lines, not compressed bytes.
//!
//! - [`Codec::sniff`] decides from the first bytes of an input: a codec, plain bytes, or (for
//!   a few bytes that begin a magic number) a request for more.
//! - [`Sniffing`] reads an input whose first bytes are not known yet (a pipe: reading them
//!   may wait), deciding on its first read; a regular file is decided when it is opened
//!   ([`sniff_file`]).
//! - [`Decoded`] reads an input through its codec's decoder. Concatenated streams are one
//!   input (`cat a.gz b.gz`, what `gzip` itself accepts), for every codec. The decoder reads
//!   the compressed bytes through [`Counted`], so that a corrupt or truncated stream is an
//!   error naming the codec and how far into the compressed bytes it was found; what was
//!   decompressed before it has been handed on already.
//!
//! Each decoder is the field's standard one: `flate2`, `zstd` (the reference library),
//! `bzip2` and `liblzma` (the reference library, built from source).

use std::cell::Cell;
use std::fmt;
use std::fs::File;
use std::io::{self, Read, Seek};
use std::rc::Rc;

/// A compression format sluice reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Codec {
    Gzip,
    Zstd,
    Bzip2,
    Xz,
}

/// What the first bytes of an input say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sniff {
    /// A stream of this codec.
    Compressed(Codec),
    /// Plain bytes.
    Plain,
    /// The bytes so far begin a magic number: look at more (unless the input ended).
    NeedMore,
}

impl Codec {
    /// The magic numbers: gzip's two bytes (RFC 1952), zstd's frame magic, bzip2's `BZh` and
    /// a block size digit, xz's six bytes.
    const MAGICS: [(Codec, &'static [u8]); 4] = [
        (Codec::Gzip, &[0x1f, 0x8b]),
        (Codec::Zstd, &[0x28, 0xb5, 0x2f, 0xfd]),
        (Codec::Bzip2, b"BZh"),
        (Codec::Xz, &[0xfd, b'7', b'z', b'X', b'Z', 0x00]),
    ];

    /// The longest magic number: this many bytes always decide.
    pub(crate) const SNIFF_BYTES: usize = 6;

    /// What `head`, the first bytes of an input (all of them when it is shorter than
    /// [`Codec::SNIFF_BYTES`] and ended), says. A bzip2 stream also needs its block size
    /// digit (`1`–`9`) after `BZh`, so that a text line starting with `BZh` stays text.
    pub(crate) fn sniff(head: &[u8]) -> Sniff {
        for (codec, magic) in Codec::MAGICS {
            let n = head.len().min(magic.len());
            if head[..n] != magic[..n] {
                continue;
            }
            if n < magic.len() {
                return Sniff::NeedMore;
            }
            if codec == Codec::Bzip2 {
                return match head.get(3) {
                    None => Sniff::NeedMore,
                    Some(b'1'..=b'9') => Sniff::Compressed(codec),
                    Some(_) => Sniff::Plain,
                };
            }
            return Sniff::Compressed(codec);
        }
        Sniff::Plain
    }

    /// Its usual name.
    pub fn name(self) -> &'static str {
        match self {
            Codec::Gzip => "gzip",
            Codec::Zstd => "zstd",
            Codec::Bzip2 => "bzip2",
            Codec::Xz => "xz",
        }
    }
}

impl fmt::Display for Codec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A reader that counts the bytes read through it, into a counter its owner shares.
struct Counted<R> {
    inner: R,
    count: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// An input read through its codec's decoder.
pub(crate) struct Decoded {
    decoder: Box<dyn Read>,
    codec: Codec,
    /// How many compressed bytes the decoder has taken so far.
    consumed: Rc<Cell<u64>>,
}

impl Decoded {
    /// Decompresses `compressed`, a stream of `codec` (from its first byte).
    pub(crate) fn new(codec: Codec, compressed: impl Read + 'static) -> io::Result<Decoded> {
        let consumed = Rc::new(Cell::new(0));
        let input = Counted {
            inner: compressed,
            count: Rc::clone(&consumed),
        };
        let decoder: Box<dyn Read> = match codec {
            Codec::Gzip => Box::new(flate2::read::MultiGzDecoder::new(input)),
            // The zstd decoder reads every frame of the input, not only the first.
            Codec::Zstd => Box::new(zstd::stream::read::Decoder::new(input)?),
            Codec::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(input)),
            Codec::Xz => Box::new(liblzma::read::XzDecoder::new_multi_decoder(input)),
        };
        Ok(Decoded {
            decoder,
            codec,
            consumed,
        })
    }
}

impl Read for Decoded {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.decoder.read(buf).map_err(|err| {
            // An error of the input itself (not its bytes) is said as it is.
            if !matches!(
                err.kind(),
                io::ErrorKind::InvalidData
                    | io::ErrorKind::InvalidInput
                    | io::ErrorKind::UnexpectedEof
                    | io::ErrorKind::Other
            ) {
                return err;
            }
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "not a valid {} stream: {err} (within its first {} compressed bytes; the \
                     lines before were handed on; --no-decompress reads the bytes as they are)",
                    self.codec,
                    self.consumed.get()
                ),
            )
        })
    }
}

/// Reads the first bytes of `file` to decide what it holds, then puts the file back at its
/// start. Reads of a regular file never wait.
pub(crate) fn sniff_file(file: &mut File) -> io::Result<Option<Codec>> {
    let mut head = Vec::with_capacity(Codec::SNIFF_BYTES);
    let codec = loop {
        let mut chunk = [0u8; Codec::SNIFF_BYTES];
        let n = file.read(&mut chunk[..Codec::SNIFF_BYTES - head.len()])?;
        head.extend_from_slice(&chunk[..n]);
        match Codec::sniff(&head) {
            Sniff::Compressed(codec) => break Some(codec),
            Sniff::NeedMore if n > 0 => {}
            Sniff::NeedMore | Sniff::Plain => break None,
        }
    };
    file.rewind()?;
    Ok(codec)
}

/// An input (standard input, a pipe) whose first bytes decide, on its first read, whether it
/// is read through a decoder. `decoded` is set once it is: reads may then find bytes the
/// decoder holds while the input itself has none ready, so waiting for the input to be
/// readable no longer tells whether a read would wait.
pub(crate) struct Sniffing<R> {
    state: State<R>,
    decoded: Rc<Cell<bool>>,
}

enum State<R> {
    /// Undecided: the first bytes read so far.
    Head {
        raw: R,
        head: Vec<u8>,
    },
    /// Plain bytes: `head[at..]` first, then `raw`.
    Plain {
        raw: R,
        head: Vec<u8>,
        at: usize,
    },
    Decoded(Decoded),
    /// A decoder could not be made (its error was returned); nothing more is read.
    Failed,
}

impl<R: Read + 'static> Sniffing<R> {
    /// Sniffs `raw` on its first read; `decoded` is set when it turns out compressed.
    pub(crate) fn new(raw: R, decoded: Rc<Cell<bool>>) -> Sniffing<R> {
        Sniffing {
            state: State::Head {
                raw,
                head: Vec::with_capacity(Codec::SNIFF_BYTES),
            },
            decoded,
        }
    }
}

impl<R: Read + 'static> Read for Sniffing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match &mut self.state {
                State::Head { raw, head } => {
                    // Read as much as the caller asks for, as the plain input would have: a
                    // short read would leave bytes in a buffer of `raw` (standard input's)
                    // that waiting on the descriptor cannot see.
                    let n = raw.read(buf)?;
                    head.extend_from_slice(&buf[..n]);
                    let sniffed = Codec::sniff(&head[..head.len().min(Codec::SNIFF_BYTES)]);
                    if sniffed == Sniff::NeedMore && n > 0 {
                        continue;
                    }
                    let State::Head { raw, head } =
                        std::mem::replace(&mut self.state, State::Failed)
                    else {
                        unreachable!("matched above")
                    };
                    match sniffed {
                        Sniff::Compressed(codec) => {
                            let compressed = io::Cursor::new(head).chain(raw);
                            self.decoded.set(true);
                            self.state = State::Decoded(Decoded::new(codec, compressed)?);
                        }
                        Sniff::Plain | Sniff::NeedMore => {
                            // The bytes of this read are in `buf` already; earlier ones (the
                            // start of a magic number) come first.
                            let earlier = head.len() - n;
                            if earlier == 0 {
                                self.state = State::Plain {
                                    raw,
                                    head: Vec::new(),
                                    at: 0,
                                };
                                return Ok(n);
                            }
                            self.state = State::Plain { raw, head, at: 0 };
                        }
                    }
                }
                State::Plain { raw, head, at } => {
                    if *at == head.len() {
                        return raw.read(buf);
                    }
                    let n = buf.len().min(head.len() - *at);
                    buf[..n].copy_from_slice(&head[*at..*at + n]);
                    *at += n;
                    return Ok(n);
                }
                State::Decoded(decoded) => return decoded.read(buf),
                State::Failed => return Ok(0),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    fn compressed(codec: Codec, bytes: &[u8]) -> Vec<u8> {
        match codec {
            Codec::Gzip => gzip(bytes),
            Codec::Zstd => zstd::stream::encode_all(bytes, 1).unwrap(),
            Codec::Bzip2 => {
                let mut encoder =
                    bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
                encoder.write_all(bytes).unwrap();
                encoder.finish().unwrap()
            }
            Codec::Xz => {
                let mut encoder = liblzma::write::XzEncoder::new(Vec::new(), 1);
                encoder.write_all(bytes).unwrap();
                encoder.finish().unwrap()
            }
        }
    }

    fn decoded(codec: Codec, compressed: Vec<u8>) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        Decoded::new(codec, io::Cursor::new(compressed))?.read_to_end(&mut out)?;
        Ok(out)
    }

    const ALL: [Codec; 4] = [Codec::Gzip, Codec::Zstd, Codec::Bzip2, Codec::Xz];

    #[test]
    fn each_codec_is_sniffed_from_what_its_encoder_writes() {
        for codec in ALL {
            let bytes = compressed(codec, b"a\n");
            assert_eq!(Codec::sniff(&bytes), Sniff::Compressed(codec), "{codec}");
            assert_eq!(Codec::sniff(&bytes[..1]), Sniff::NeedMore, "{codec}");
        }
    }

    #[test]
    fn text_is_plain_even_when_it_starts_like_a_magic_number() {
        assert_eq!(Codec::sniff(b"hello\n"), Sniff::Plain);
        assert_eq!(Codec::sniff(b"BZh is a word\n"), Sniff::Plain);
        assert_eq!(Codec::sniff(b"\x1fx"), Sniff::Plain);
        assert_eq!(Codec::sniff(b""), Sniff::NeedMore);
        assert_eq!(Codec::sniff(b"B"), Sniff::NeedMore);
    }

    /// A reader that hands out one byte per read, as a slow pipe may.
    struct Trickle(io::Cursor<Vec<u8>>);

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(1);
            self.0.read(&mut buf[..n])
        }
    }

    fn sniffed(bytes: Vec<u8>) -> (Vec<u8>, bool) {
        let decoded = Rc::new(Cell::new(false));
        let mut reader = Sniffing::new(Trickle(io::Cursor::new(bytes)), Rc::clone(&decoded));
        let mut out = Vec::new();
        reader.read_to_end(&mut out).unwrap();
        (out, decoded.get())
    }

    #[test]
    fn a_pipe_is_sniffed_on_its_first_bytes_however_they_trickle_in() {
        for codec in ALL {
            let (out, decoded) = sniffed(compressed(codec, b"x\ny\n"));
            assert_eq!((out.as_slice(), decoded), (&b"x\ny\n"[..], true), "{codec}");
        }
        for plain in [
            &b"plain\n"[..],
            b"",
            b"\x1f",
            b"BZh",
            b"BZhx and more\n",
            b"\xfd7zXZ",
        ] {
            assert_eq!(sniffed(plain.to_vec()), (plain.to_vec(), false));
        }
    }

    #[test]
    fn concatenated_streams_are_one_input() {
        for codec in ALL {
            let mut both = compressed(codec, b"first\n");
            both.extend(compressed(codec, b"second\nthird"));
            assert_eq!(
                decoded(codec, both).unwrap(),
                b"first\nsecond\nthird",
                "{codec}"
            );
        }
    }

    #[test]
    fn a_corrupt_or_cut_stream_is_an_error_naming_the_codec() {
        let text: Vec<u8> = (0..20_000u32)
            .flat_map(|i| format!("line {i} {}\n", i * 7919 % 10007).into_bytes())
            .collect();
        for codec in ALL {
            let whole = compressed(codec, &text);
            let cut = whole[..whole.len() / 2].to_vec();
            let err = decoded(codec, cut).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{codec}: {err}");
            let message = err.to_string();
            assert!(
                message.starts_with(&format!("not a valid {codec} stream: ")),
                "{message}"
            );
            // Garbled bytes are caught by the stream's checksum; a zstd frame has one only
            // when its writer chose to (`zstd` writes none by default), so zstd may pass them.
            if codec == Codec::Zstd {
                continue;
            }
            let mut garbled = whole.clone();
            let middle = garbled.len() / 2;
            for byte in &mut garbled[middle..middle + 64] {
                *byte ^= 0x5a;
            }
            assert!(decoded(codec, garbled).is_err(), "{codec}");
        }
    }
}
