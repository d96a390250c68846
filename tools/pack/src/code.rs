//! Bytes in, bytes out: a file's digest read in chunks, a copy that
//! hashes what it writes, and the two codings made once for a packed
//! site (brotli at quality 11, gzip by zopfli), each streamed so that
//! memory does not grow with the file.

use std::io::{self, Read, Write};
use std::num::NonZeroU64;

use docroot::codec::Encoding;
use docroot::digest::{Digest, Hasher};

/// How much of a file is read at a time.
pub const CHUNK: usize = 256 * 1024;

/// brotli's best quality.
const BROTLI_QUALITY: i32 = 11;

/// The digest and length of everything `from` gives, read in chunks.
pub fn digest(from: &mut impl Read) -> io::Result<(Digest, u64)> {
    let mut out = Hashing::new(io::sink());
    pump(from, &mut out)?;
    Ok(out.finish().1)
}

/// Copies `from` into `to` in chunks: the digest and length of the bytes
/// written.
pub fn copy(from: &mut impl Read, to: impl Write) -> io::Result<(Digest, u64)> {
    let mut out = Hashing::new(to);
    pump(from, &mut out)?;
    let (mut to, made) = out.finish();
    to.flush()?;
    Ok(made)
}

/// Codes `from` (`len` bytes) with `encoding` into `to`: the digest and
/// length of the coded bytes. brotli at quality 11, with a window as large
/// as the file (from 2^16, so small files cost little memory, to brotli's
/// largest standard window, 2^24: on the Python documentation's C API
/// pages, the same bytes as a window of 2^22); gzip by zopfli, the
/// smallest gzip a pure-Rust coder makes ([`zopfli_options`]).
pub fn encode(
    encoding: Encoding,
    from: &mut impl Read,
    len: u64,
    to: impl Write,
) -> io::Result<(Digest, u64)> {
    let mut out = Hashing::new(io::BufWriter::with_capacity(CHUNK, to));
    let mut from = io::BufReader::with_capacity(CHUNK, from);
    match encoding {
        Encoding::Brotli => {
            let params = brotli::enc::BrotliEncoderParams {
                quality: BROTLI_QUALITY,
                lgwin: window_bits(len),
                size_hint: usize::try_from(len).unwrap_or(usize::MAX),
                ..Default::default()
            };
            brotli::BrotliCompress(&mut from, &mut out, &params)?;
        }
        Encoding::Gzip => zopfli::compress(zopfli_options(), zopfli::Format::Gzip, from, &mut out)?,
        Encoding::Zstd => {
            return Err(io::Error::other("zstd is never made, only copied"));
        }
    }
    let (mut to, made) = out.finish();
    to.flush()?;
    Ok(made)
}

/// zopfli's effort: its default 15 iterations, but stopping after 3 that
/// gain nothing. On the Python documentation's C API pages (3.9 MB of
/// HTML) that left 12.612 % of the bytes where the default left 12.611 %,
/// in about two thirds of the time (0.17 MB/s against 0.11 on one core;
/// flate2 at level 9 left 13.121 %, brotli at 11 9.766 % at 0.5 MB/s).
fn zopfli_options() -> zopfli::Options {
    zopfli::Options {
        iterations_without_improvement: NonZeroU64::new(3).unwrap_or(NonZeroU64::MIN),
        ..zopfli::Options::default()
    }
}

/// brotli's window for a file of `len` bytes: as large as the file, from
/// 2^16 to 2^24. A window larger than the file finds nothing more.
fn window_bits(len: u64) -> i32 {
    let bits = u64::BITS - len.saturating_sub(1).leading_zeros();
    bits.clamp(16, 24) as i32
}

/// Writes everything `from` gives into `to`, [`CHUNK`] at a time.
fn pump(from: &mut impl Read, to: &mut impl Write) -> io::Result<()> {
    let mut buf = vec![0; CHUNK];
    loop {
        match from.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => to.write_all(&buf[..n])?,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
}

/// A writer that hashes and counts what goes through it.
struct Hashing<W> {
    inner: W,
    hasher: Hasher,
    len: u64,
}

impl<W: Write> Hashing<W> {
    fn new(inner: W) -> Hashing<W> {
        Hashing {
            inner,
            hasher: Hasher::new(),
            len: 0,
        }
    }

    /// The writer, and the digest and length of what was written.
    fn finish(self) -> (W, (Digest, u64)) {
        let made = (self.hasher.finish(), self.len);
        (self.inner, made)
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(len: usize) -> Vec<u8> {
        (0..len)
            .map(|i| b"<p>The quick brown fox, again and again.</p>\n"[i % 45])
            .collect()
    }

    #[test]
    fn a_digest_read_in_chunks_is_the_whole_bytes_digest() {
        let bytes: Vec<u8> = (0..1_000_000u32).map(|i| (i * 31 % 253) as u8).collect();
        assert_eq!(
            digest(&mut &bytes[..]).unwrap(),
            (Digest::of(&bytes), bytes.len() as u64)
        );
        let mut copied = Vec::new();
        assert_eq!(
            copy(&mut &bytes[..], &mut copied).unwrap(),
            (Digest::of(&bytes), bytes.len() as u64)
        );
        assert_eq!(copied, bytes);
    }

    #[test]
    fn each_coding_decodes_to_the_bytes_and_is_smaller() {
        let bytes = text(4000);
        let mut br = Vec::new();
        let made = encode(Encoding::Brotli, &mut &bytes[..], 4000, &mut br).unwrap();
        assert_eq!(made, (Digest::of(&br), br.len() as u64));
        assert!(br.len() < 200, "{}", br.len());
        let mut back = Vec::new();
        brotli::Decompressor::new(&br[..], 4096)
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, bytes);

        let mut gz = Vec::new();
        encode(Encoding::Gzip, &mut &bytes[..], 4000, &mut gz).unwrap();
        assert_eq!(&gz[..2], [0x1f, 0x8b], "gzip's magic");
        assert!(gz.len() < 200, "{}", gz.len());
        assert!(encode(Encoding::Zstd, &mut &bytes[..], 4000, io::sink()).is_err());
    }

    #[test]
    fn the_brotli_window_follows_the_file() {
        assert_eq!(window_bits(0), 16);
        assert_eq!(window_bits(512), 16);
        assert_eq!(window_bits(65_536), 16);
        assert_eq!(window_bits(65_537), 17);
        assert_eq!(window_bits(4 << 20), 22);
        assert_eq!(window_bits(1 << 40), 24);
    }
}
