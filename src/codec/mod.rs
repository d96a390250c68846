//! Content codings (RFC 9110 §8.4.1): the codings docroot knows, the ones
//! it makes on the fly (brotli and gzip), and gzip undone for a client that
//! cannot take it. Pure: bytes in, bytes out, no I/O.
//!
//! A coded answer is made one of two ways:
//!
//! - **whole**, for an answer of at most [`WHOLE_MAX`] bytes: coded in one
//!   call, so its length is known (`Content-Length`). In `docroot.wasm` a
//!   file's coded bytes are made once per instance and held in the file
//!   cache ([`crate::cache`]).
//! - **while streaming**, for a larger file: each chunk read is coded on
//!   its way out by a [`Transcoder`], with memory bounded whatever the
//!   file's size, and no `Content-Length`.
//!
//! How hard the coders work is an [`Effort`]: thorough where what is made
//! serves many answers, fast where each answer makes its own. The bytes a
//! coder makes depend on its level and on docroot's settings for it, so
//! both are part of the representation's `ETag` ([`Made::tag`]).
//!
//! zstd is served from a site's `name.zst` files, never made here: the one
//! pure-Rust encoder (ruzstd 0.8, at its only fast level) left 26.3 % of
//! the Python documentation's bytes where gzip at level 6 leaves 17.5 %
//! (`benches/codecs`).

#![forbid(unsafe_code)]

mod br;

use std::io::Write;

/// A content coding docroot knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// `br` (RFC 7932).
    Brotli,
    /// `zstd` (RFC 8878): served from a site's `name.zst`, never made.
    Zstd,
    /// `gzip` (RFC 1952).
    Gzip,
}

impl Encoding {
    /// Every coding, in the server's preference where a client's weights
    /// tie: the smallest first.
    pub const ALL: [Encoding; 3] = [Encoding::Brotli, Encoding::Zstd, Encoding::Gzip];

    /// The codings docroot can make on the fly.
    pub const MADE: [Encoding; 2] = [Encoding::Brotli, Encoding::Gzip];

    /// The `Content-Encoding` token.
    pub fn token(self) -> &'static str {
        match self {
            Encoding::Brotli => "br",
            Encoding::Zstd => "zstd",
            Encoding::Gzip => "gzip",
        }
    }

    /// The suffix of a site's precompressed file in this coding.
    pub fn suffix(self) -> &'static str {
        match self {
            Encoding::Brotli => ".br",
            Encoding::Zstd => ".zst",
            Encoding::Gzip => ".gz",
        }
    }

    /// The coding a token names (case-insensitive; `x-gzip` is gzip,
    /// RFC 9110 §8.4.1.3).
    pub fn from_token(token: &str) -> Option<Encoding> {
        Encoding::ALL
            .into_iter()
            .find(|e| token.eq_ignore_ascii_case(e.token()))
            .or_else(|| {
                token
                    .eq_ignore_ascii_case("x-gzip")
                    .then_some(Encoding::Gzip)
            })
    }
}

/// The largest answer coded whole; a larger file is coded while it
/// streams. It is the largest file the file cache holds, so every file
/// whose coded bytes can be held is coded whole, whatever the cache holds
/// at the moment: a file's representation never depends on the cache.
pub const WHOLE_MAX: u64 = 128 * 1024;

/// The shortest answer worth coding. From `benches/codecs` on the Python
/// documentation (the first N bytes of every file, after the 22 bytes of
/// `content-encoding`): at 128 bytes gzip makes an answer longer, at 256
/// it saves 11 %, from 512 both codings save a third or more.
pub const MIN_LEN: u64 = 512;

/// How hard the coders work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effort {
    /// Where one coding serves many answers (`docroot.wasm`, whose
    /// instances serve many requests and hold coded files): brotli at 5,
    /// gzip at 6. Measured in wasm on the Python documentation: brotli 5
    /// leaves 15.6 % of the bytes at 48 MB/s, gzip 6 17.5 % at 49 MB/s;
    /// brotli 6 to 9 gain under 3 % for a third to a tenth of the speed,
    /// gzip 9 nothing.
    Thorough,
    /// Where each answer is coded for itself (`docroot_p2.wasm`, on hosts
    /// that give each request a fresh instance; and docroot's own pages,
    /// made per request): brotli at 1 (19.9 % at 205 MB/s), gzip at 1
    /// (24.6 % at 181 MB/s), on every compressible file coded in one
    /// stream. As docroot codes a file whole (`br.rs`), on the files of
    /// at most 128 KiB, natively: brotli 1 leaves 25.8 %, gzip 1 28.5 %.
    Fast,
}

impl Effort {
    /// The level this effort codes `encoding` at.
    pub fn level(self, encoding: Encoding) -> u32 {
        match (self, encoding) {
            (Effort::Thorough, Encoding::Brotli) => 5,
            (Effort::Thorough, _) => 6,
            (Effort::Fast, _) => 1,
        }
    }

    /// How a coding is made at this effort.
    pub fn made(self, encoding: Encoding) -> Made {
        Made {
            encoding,
            level: self.level(encoding),
        }
    }
}

/// A coding as docroot makes it: the coding and its level, which with
/// docroot's settings for that coding decide the bytes (so the three name
/// the representation's `ETag`, [`Made::tag`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Made {
    /// The coding.
    pub encoding: Encoding,
    /// The coder's level.
    pub level: u32,
}

impl Made {
    /// How the representation's `ETag` names it: `br.5v2`, `br.1v2`,
    /// `gzip.6`, … A strong tag names bytes, so settings that make other
    /// bytes at the same level get another name: `v2` is docroot's second
    /// brotli settings (`br.rs`, issue 32), so a cache that kept bytes made
    /// the first way never puts a range of the new ones with them.
    pub fn tag(self) -> String {
        let settings = if self.encoding == Encoding::Brotli {
            "v2"
        } else {
            ""
        };
        format!("{}.{}{settings}", self.encoding.token(), self.level)
    }

    /// How it is made while a file streams: only gzip is.
    pub fn streaming(self) -> Option<Transform> {
        (self.encoding == Encoding::Gzip).then_some(Transform::Gzip(self.level))
    }
}

/// `bytes` coded whole with `made`; `None` for a coding docroot does not
/// make (zstd) or if the coder failed.
pub fn encode(bytes: &[u8], made: Made) -> Option<Vec<u8>> {
    match made.encoding {
        Encoding::Brotli => br::encode(bytes, made.level),
        Encoding::Gzip => {
            let out = Vec::with_capacity(bytes.len() / 3 + 64);
            let mut gz = flate2::write::GzEncoder::new(out, flate2::Compression::new(made.level));
            gz.write_all(bytes).ok()?;
            gz.finish().ok()
        }
        Encoding::Zstd => None,
    }
}

/// What a [`Transcoder`] does to a file's bytes on their way out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transform {
    /// Codes them with gzip at a level (the one coding made while
    /// streaming: its coder holds 343 KiB whatever the file's size, where
    /// brotli's held 4 to 26 MiB for the same file, in `benches/codecs`).
    Gzip(u32),
    /// Decodes gzip: a site file that exists only as `name.gz`, for a
    /// client that does not take gzip.
    Gunzip,
}

/// The most output a [`Transcoder`] holds before it asks to be emptied.
pub const OUTPUT_CHUNK: usize = 64 * 1024;

/// The most gzip input decoded at a time: deflate expands a byte to at
/// most 1,032, so a decoder's pending output stays under
/// [`OUTPUT_CHUNK`] plus 264 KiB however the file was made.
const GUNZIP_PIECE: usize = 256;

/// Why a coding could not go on: the site's `.gz` file is not valid gzip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodingError(pub String);

impl std::fmt::Display for CodingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A file's bytes coded or decoded as they stream: fed the file in
/// chunks, it gives its output in pieces of about [`OUTPUT_CHUNK`].
///
/// ```text
/// for chunk in file { let mut rest = chunk;
///     while !rest.is_empty() { rest = &rest[t.feed(rest)?..]; send(t.take()) } }
/// send(t.finish()?)
/// ```
pub struct Transcoder {
    inner: Inner,
}

enum Inner {
    Gzip(flate2::write::GzEncoder<Vec<u8>>),
    Gunzip(flate2::write::MultiGzDecoder<Vec<u8>>),
}

impl std::fmt::Debug for Transcoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.inner {
            Inner::Gzip(_) => "Transcoder(gzip)",
            Inner::Gunzip(_) => "Transcoder(gunzip)",
        })
    }
}

impl Transcoder {
    /// A transcoder for `transform`.
    pub fn new(transform: Transform) -> Transcoder {
        let inner = match transform {
            Transform::Gzip(level) => Inner::Gzip(flate2::write::GzEncoder::new(
                Vec::new(),
                flate2::Compression::new(level),
            )),
            Transform::Gunzip => Inner::Gunzip(flate2::write::MultiGzDecoder::new(Vec::new())),
        };
        Transcoder { inner }
    }

    /// Takes bytes of `input`, as many as it can before its output reaches
    /// [`OUTPUT_CHUNK`] (at least one piece), and says how many it took.
    pub fn feed(&mut self, input: &[u8]) -> Result<usize, CodingError> {
        let invalid = |e: std::io::Error| CodingError(format!("the file is not valid gzip: {e}"));
        match &mut self.inner {
            Inner::Gzip(gz) => {
                gz.write_all(input).map_err(invalid)?;
                Ok(input.len())
            }
            Inner::Gunzip(gz) => {
                let mut taken = 0;
                for piece in input.chunks(GUNZIP_PIECE) {
                    gz.write_all(piece).map_err(invalid)?;
                    taken += piece.len();
                    if gz.get_ref().len() >= OUTPUT_CHUNK {
                        break;
                    }
                }
                Ok(taken)
            }
        }
    }

    /// The output made so far, taken out.
    pub fn take(&mut self) -> Vec<u8> {
        match &mut self.inner {
            Inner::Gzip(gz) => std::mem::take(gz.get_mut()),
            Inner::Gunzip(gz) => std::mem::take(gz.get_mut()),
        }
    }

    /// The rest of the output, once the whole file was fed; an error when
    /// a gzip file ended early.
    pub fn finish(self) -> Result<Vec<u8>, CodingError> {
        match self.inner {
            Inner::Gzip(gz) => gz.finish().map_err(|e| CodingError(format!("gzip: {e}"))),
            Inner::Gunzip(gz) => gz
                .finish()
                .map_err(|e| CodingError(format!("the file is not valid gzip: {e}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// Text like a site's: repetitive markup with some variety.
    pub(crate) fn page(len: usize) -> Vec<u8> {
        let mut text = Vec::new();
        let mut n = 0u32;
        while text.len() < len {
            text.extend_from_slice(
                format!("<li><a href=\"/docs/page-{n}.html\">Page {n}</a></li>\n").as_bytes(),
            );
            n = n.wrapping_mul(31).wrapping_add(7) % 1000;
        }
        text.truncate(len);
        text
    }

    pub(crate) fn gunzip(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(bytes)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    pub(crate) fn unbrotli(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        brotli::Decompressor::new(bytes, 4096)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn tokens_round_trip_and_x_gzip_is_gzip() {
        for e in Encoding::ALL {
            assert_eq!(Encoding::from_token(e.token()), Some(e));
            assert_eq!(Encoding::from_token(&e.token().to_uppercase()), Some(e));
        }
        assert_eq!(Encoding::from_token("x-gzip"), Some(Encoding::Gzip));
        assert_eq!(Encoding::from_token("deflate"), None);
        assert_eq!(Encoding::from_token("identity"), None);
    }

    #[test]
    fn whole_codings_decode_to_their_input_at_every_effort() {
        for len in [0, 1, 511, 512, 4096, 100_000, WHOLE_MAX as usize] {
            let text = page(len);
            for effort in [Effort::Thorough, Effort::Fast] {
                let br = encode(&text, effort.made(Encoding::Brotli)).unwrap();
                assert_eq!(unbrotli(&br), text, "br {len} {effort:?}");
                let gz = encode(&text, effort.made(Encoding::Gzip)).unwrap();
                assert_eq!(gunzip(&gz), text, "gzip {len} {effort:?}");
                if len >= 4096 {
                    assert!(br.len() < len / 4 && gz.len() < len / 4, "{len}");
                }
            }
            assert_eq!(encode(&text, Effort::Thorough.made(Encoding::Zstd)), None);
        }
    }

    #[test]
    fn the_same_input_and_level_make_the_same_bytes() {
        // A strong ETag names bytes: a coding must make them alike each time.
        let text = page(50_000);
        for made in [
            Effort::Thorough.made(Encoding::Brotli),
            Effort::Fast.made(Encoding::Gzip),
        ] {
            assert_eq!(encode(&text, made), encode(&text, made));
        }
        assert_ne!(
            encode(&text, Effort::Thorough.made(Encoding::Brotli)),
            encode(&text, Effort::Fast.made(Encoding::Brotli)),
            "levels make different bytes, so they name different ETags"
        );
    }

    #[test]
    fn levels_by_effort() {
        assert_eq!(Effort::Thorough.level(Encoding::Brotli), 5);
        assert_eq!(Effort::Thorough.level(Encoding::Gzip), 6);
        assert_eq!(Effort::Fast.level(Encoding::Brotli), 1);
        assert_eq!(Effort::Fast.level(Encoding::Gzip), 1);
    }

    /// Runs `input` through a transcoder in chunks of `chunk` bytes, as the
    /// glues do, checking that no output piece grows past its bound.
    fn stream(transform: Transform, input: &[u8], chunk: usize) -> Result<Vec<u8>, CodingError> {
        let mut t = Transcoder::new(transform);
        let mut out = Vec::new();
        for mut rest in input.chunks(chunk) {
            while !rest.is_empty() {
                let used = t.feed(rest)?;
                assert!(used > 0);
                rest = &rest[used..];
                let piece = t.take();
                assert!(piece.len() <= OUTPUT_CHUNK + chunk + 264 * 1024);
                out.extend(piece);
            }
        }
        out.extend(t.finish()?);
        Ok(out)
    }

    #[test]
    fn streamed_gzip_decodes_to_the_file_whatever_the_chunks() {
        let text = page(700_000);
        for chunk in [1, 1000, 256 * 1024] {
            let gz = stream(
                Transform::Gzip(6),
                &text[..if chunk == 1 { 5000 } else { text.len() }],
                chunk,
            )
            .unwrap();
            assert_eq!(
                gunzip(&gz),
                &text[..if chunk == 1 { 5000 } else { text.len() }]
            );
        }
        assert_eq!(gunzip(&stream(Transform::Gzip(1), b"", 10).unwrap()), b"");
    }

    #[test]
    fn gunzip_streams_a_bomb_in_bounded_pieces() {
        // 64 MiB of zeros: about 64 KiB of gzip.
        let zeros = vec![0u8; 64 << 20];
        let gz = encode(&zeros, Effort::Thorough.made(Encoding::Gzip)).unwrap();
        assert!(gz.len() < 128 * 1024);
        let mut t = Transcoder::new(Transform::Gunzip);
        let mut total = 0;
        let mut rest = &gz[..];
        while !rest.is_empty() {
            let used = t.feed(rest).unwrap();
            rest = &rest[used..];
            let piece = t.take();
            assert!(piece.len() < OUTPUT_CHUNK + 264 * 1024, "{}", piece.len());
            total += piece.len();
        }
        total += t.finish().unwrap().len();
        assert_eq!(total, zeros.len());
    }

    #[test]
    fn gunzip_of_two_members_and_of_bad_input() {
        let mut two = encode(b"first ", Effort::Fast.made(Encoding::Gzip)).unwrap();
        two.extend(encode(b"second", Effort::Fast.made(Encoding::Gzip)).unwrap());
        assert_eq!(stream(Transform::Gunzip, &two, 7).unwrap(), b"first second");
        let gz = encode(&page(10_000), Effort::Fast.made(Encoding::Gzip)).unwrap();
        assert!(
            stream(Transform::Gunzip, &gz[..gz.len() / 2], 100).is_err(),
            "cut short"
        );
        assert!(stream(Transform::Gunzip, b"not gzip at all", 100).is_err());
        let mut flipped = gz.clone();
        flipped[gz.len() / 2] ^= 0xff;
        assert!(stream(Transform::Gunzip, &flipped, 100).is_err(), "corrupt");
    }
}
