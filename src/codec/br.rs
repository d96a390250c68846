//! brotli as docroot codes a file whole: what one encode holds, and how
//! it takes its input. A WebAssembly memory never shrinks, so what one
//! encode holds at its peak an instance keeps for the rest of its life.
//! Measured by `benches/codecs --whole --only
//! br:5:17,docroot-br:5,br:1:17,docroot-br:1,br-compress:1:17,gzip:1` on
//! the Python documentation's 940 files of at most 128 KiB (32.1 MB),
//! natively.
//!
//! **Quality 5 and 6** (`docroot.wasm`'s files): brotli's own settings held
//! 2,476 KiB to code a file of 128 KiB (its hash table alone is 1 MiB, its
//! command buffer 768 KiB), and every tenant that once coded an answer kept
//! them. Here they hold 1,107 KiB, for about 0.5 % more bytes (0.192 of
//! the input where brotli's own left 0.191):
//!
//! - **a hash table of 2^12 buckets** (256 KiB) instead of 2^14 (1 MiB).
//!   brotli chooses the table from the quality alone; this encoder builds
//!   the same kind of hasher (`H5`: four bytes hashed, 2^(quality − 1)
//!   entries a bucket, four distances checked) smaller, and hands it to
//!   the encoder before it would choose. On files of at most 128 KiB a
//!   larger table finds little more.
//! - **a flush every [`PIECE`] bytes**: brotli sizes its command buffer
//!   for the worst case of the input it takes at once (a command every two
//!   bytes of a 64 KiB block, and a half more: 768 KiB); fed 32 KiB at a
//!   time it needs half. Each flush ends a meta-block, which costs a few
//!   bytes of new codes.
//! - **a window as large as the input** and no larger, down to brotli's
//!   least (2^10). brotli's own choice below 2^17 is a hasher the crate
//!   does not have (it falls back to one that held 34 MiB); this encoder
//!   chooses its own, so a file of at most 64 KiB is coded with a ring
//!   buffer of 192 KiB rather than 320 KiB.
//!
//! **Other qualities** (docroot codes at 1: its own pages, and every file
//! on hosts that give each request a fresh instance): brotli's own
//! settings, given [`PIECE`] bytes at a time. Below quality 2 brotli codes whatever input
//! it has as a block of its own: `brotli::BrotliCompress`, which gave it
//! 4 KiB at a time, left 0.333 of the input at quality 1 (more than gzip at
//! level 1, 0.285); 32 KiB at a time leaves 0.258, holding 398 KiB (the
//! whole file at once: 0.235, holding 1,414 KiB; gzip holds 343 KiB).

#![forbid(unsafe_code)]

use brotli::enc::backward_references::{
    AdvHasher, BrotliHasherParams, H5Sub, H9Opts, Struct1, UnionHasher,
};
use brotli::enc::encode::{BrotliEncoderOperation, BrotliEncoderStateStruct};
use brotli::enc::{Allocator, StandardAlloc};

/// The least quality coded with the compact hasher: below 5 brotli uses
/// other kinds of hasher.
const MIN_QUALITY: u32 = 5;

/// The most quality coded with the compact hasher: from 7 brotli checks
/// more distances and holds more per bucket, which this module has not
/// measured.
const MAX_QUALITY: u32 = 6;

/// The hash table's buckets: 2^12.
const BUCKET_BITS: i32 = 12;

/// How much input the encoder is given at a time.
pub const PIECE: usize = 32 * 1024;

/// The output buffer handed to the encoder each turn.
const OUT_PIECE: usize = 4096;

/// Whether brotli at `quality` is coded with the compact hasher.
pub fn compact(quality: u32) -> bool {
    (MIN_QUALITY..=MAX_QUALITY).contains(&quality)
}

/// `input` coded with brotli at `quality`; `None` if the encoder refused.
pub fn encode(input: &[u8], quality: u32) -> Option<Vec<u8>> {
    let mut s = BrotliEncoderStateStruct::new(StandardAlloc::default());
    s.params.quality = quality as i32;
    s.params.size_hint = input.len();
    if compact(quality) {
        s.params.lgwin = window_bits(input.len());
        give_compact_hasher(&mut s, quality as i32);
    } else {
        s.params.lgwin = window_bits(input.len()).max(17);
    }
    // Each piece ends with a flush where the compact hasher is used (which
    // bounds the command buffer); below quality 2 brotli codes each piece
    // as it comes anyway.
    let between = if compact(quality) {
        BrotliEncoderOperation::BROTLI_OPERATION_FLUSH
    } else {
        BrotliEncoderOperation::BROTLI_OPERATION_PROCESS
    };
    let mut out = Vec::with_capacity(input.len() / 3 + 64);
    let mut piece = [0u8; OUT_PIECE];
    let mut taken = 0;
    loop {
        let end = (taken + PIECE).min(input.len());
        let last = end == input.len();
        let op = if last {
            BrotliEncoderOperation::BROTLI_OPERATION_FINISH
        } else {
            between
        };
        let mut available_in = end - taken;
        let mut next_in = taken;
        loop {
            let mut available_out = OUT_PIECE;
            let mut next_out = 0;
            let ok = s.compress_stream(
                op,
                &mut available_in,
                input,
                &mut next_in,
                &mut available_out,
                &mut piece,
                &mut next_out,
                &mut None,
                &mut |_, _, _, _| (),
            );
            if !ok {
                return None;
            }
            out.extend_from_slice(&piece[..next_out]);
            let done = if last {
                s.is_finished()
            } else {
                !s.has_more_output()
            };
            if available_in == 0 && done {
                break;
            }
        }
        taken = end;
        if last {
            return Some(out);
        }
    }
}

/// Hands the encoder the hasher brotli would choose at `quality` (its
/// `ChooseHasher`: `H5`, four distances checked, 2^(quality − 1) entries
/// a bucket) with 2^[`BUCKET_BITS`] buckets, before it chooses one itself.
fn give_compact_hasher(s: &mut BrotliEncoderStateStruct<StandardAlloc>, quality: i32) {
    let block_bits = quality - 1;
    let hasher = BrotliHasherParams {
        type_: 5,
        bucket_bits: BUCKET_BITS,
        block_bits,
        hash_len: 4,
        num_last_distances_to_check: 4,
        literal_byte_score: 0,
    };
    s.params.hasher = hasher;
    let buckets =
        <StandardAlloc as Allocator<u32>>::alloc_cell(&mut s.m8, 1 << (BUCKET_BITS + block_bits));
    let num = <StandardAlloc as Allocator<u16>>::alloc_cell(&mut s.m8, 1 << BUCKET_BITS);
    s.hasher_ = UnionHasher::H5(AdvHasher {
        buckets,
        num,
        h9_opts: H9Opts::new(&hasher),
        GetHasherCommon: Struct1 {
            params: hasher,
            is_prepared_: 1,
            dict_num_lookups: 0,
            dict_num_matches: 0,
        },
        specialization: H5Sub {
            hash_shift_: 32 - BUCKET_BITS,
            bucket_size_: 1 << BUCKET_BITS,
            block_bits_: block_bits,
            block_mask_: (1 << block_bits) - 1,
        },
    });
}

/// The window for an input of `len` bytes: as large as the input, from
/// brotli's least (2^10) to its most (2^22).
fn window_bits(len: usize) -> i32 {
    let bits = usize::BITS - len.saturating_sub(1).leading_zeros();
    bits.clamp(10, 22) as i32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::tests::{page, unbrotli};

    #[test]
    fn decodes_to_its_input_at_every_size_and_quality() {
        for len in [
            0,
            1,
            100,
            1023,
            1024,
            4097,
            32 * 1024,
            32 * 1024 + 1,
            65_537,
            128 * 1024,
        ] {
            let text = page(len);
            for quality in 0..=MAX_QUALITY {
                let coded = encode(&text, quality).unwrap();
                assert_eq!(unbrotli(&coded), text, "{len} bytes at {quality}");
            }
        }
    }

    #[test]
    fn bytes_no_text_compresses_still_round_trip() {
        // xorshift noise: nothing to find, every meta-block stored.
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let noise: Vec<u8> = (0..100_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        for quality in [1, 5] {
            let coded = encode(&noise, quality).unwrap();
            assert_eq!(unbrotli(&coded), noise);
            assert!(coded.len() < noise.len() + noise.len() / 100);
        }
    }

    #[test]
    fn the_window_fits_the_input() {
        assert_eq!(window_bits(0), 10);
        assert_eq!(window_bits(1024), 10);
        assert_eq!(window_bits(1025), 11);
        assert_eq!(window_bits(64 * 1024), 16);
        assert_eq!(window_bits(128 * 1024), 17);
        assert_eq!(window_bits(usize::MAX), 22);
    }
}
