//! A file's identity from its bytes: a 128-bit XXH3 digest
//! (`xxhash-rust`), from which its strong `ETag` is made
//! ([`crate::files::conditional`]) and which a packed site's manifest
//! records ([`crate::manifest`]).
//!
//! Why XXH3-128 and not a cryptographic hash: an `ETag` only has to tell
//! one version of a file from another, and no one gains by making two of
//! them collide but the site's owner, against their own visitors (tags are
//! per site, never compared across tenants). 128 bits make an accidental
//! collision among any site's files negligible (the birthday bound is
//! 2^64 files), and XXH3 hashes at memory speed: the files the cache holds
//! are hashed as they are read, on every request that reads one in
//! `docroot_p2.wasm`, where SHA-256 would cost tens of times more.

#![forbid(unsafe_code)]

use std::fmt;

/// The largest file read whole to take its digest when nothing holds its
/// bytes (`docroot_p2.wasm`, and `docroot.wasm` with its file cache off);
/// a larger one is named by its size and time unless a manifest names it.
/// Measured (`benches/ab.py`, `docroot_p2.wasm` before and after, a fresh
/// instance a request, host CPU a request): a file of 16 KiB costs the same
/// read whole and hashed as streamed, 32 KiB 8 % more, 64 KiB 9 %, 96 KiB
/// 18 %, 128 KiB 21 %; of that, hashing is 35 µs for 128 KiB, the rest is
/// holding the whole file in a fresh instance's memory.
pub const READ_MAX: u64 = 16 * 1024;

/// The digest of a file's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest(pub u128);

impl Digest {
    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Digest {
        Digest(xxhash_rust::xxh3::xxh3_128(bytes))
    }

    /// Parses the 32 lowercase hex digits [`Digest`]'s `Display` writes.
    pub fn parse(hex: &str) -> Option<Digest> {
        let lower = |b: u8| b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
        if hex.len() != 32 || !hex.bytes().all(lower) {
            return None;
        }
        u128::from_str_radix(hex, 16).ok().map(Digest)
    }
}

impl fmt::Display for Digest {
    /// 32 lowercase hex digits.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

/// A digest made from bytes given in pieces, equal to [`Digest::of`] their
/// concatenation (for files read in chunks, as `scripts/pack` reads them).
#[derive(Clone)]
pub struct Hasher(xxhash_rust::xxh3::Xxh3);

impl Hasher {
    /// No bytes yet.
    pub fn new() -> Hasher {
        Hasher(xxhash_rust::xxh3::Xxh3::new())
    }

    /// Adds `bytes`.
    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// The digest of everything added.
    pub fn finish(&self) -> Digest {
        Digest(self.0.digest128())
    }
}

impl Default for Hasher {
    fn default() -> Self {
        Hasher::new()
    }
}

impl fmt::Debug for Hasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Hasher")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digest_is_written_as_32_hex_digits_and_read_back() {
        let d = Digest::of(b"hello");
        let hex = d.to_string();
        assert_eq!(hex.len(), 32);
        assert_eq!(Digest::parse(&hex), Some(d));
        assert_eq!(Digest(1).to_string(), format!("{}1", "0".repeat(31)));
        for bad in ["", "0", &"0".repeat(31), &"0".repeat(33), &"A".repeat(32)] {
            assert_eq!(Digest::parse(bad), None, "{bad:?}");
        }
        assert_eq!(Digest::parse(&format!("+{}", "0".repeat(31))), None);
    }

    #[test]
    fn the_pieces_hash_as_the_whole() {
        let bytes: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut h = Hasher::new();
        for chunk in bytes.chunks(4093) {
            h.update(chunk);
        }
        assert_eq!(h.finish(), Digest::of(&bytes));
        assert_ne!(Digest::of(b"a"), Digest::of(b"b"));
        // XXH3-128's published value for the empty input.
        assert_eq!(
            Digest::of(b"").to_string(),
            "99aa06d3014798d86001c324468d497f"
        );
    }
}
