//! How fast XXH3 hashes the largest file docroot holds whole (128 KiB),
//! built as docroot is (`opt-level = "s"`, wasm32-wasip2) and run under
//! wasmtime, or natively:
//!
//! ```sh
//! cd benches/hash-speed
//! cargo build --release --target wasm32-wasip2 && wasmtime run target/wasm32-wasip2/release/hash-speed.wasm
//! cargo run --release
//! ```

use std::time::Instant;

fn main() {
    let data: Vec<u8> = (0..128 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let n = 2000;
    let hashes: [(&str, fn(&[u8]) -> u64); 3] = [
        ("xxh3_128 (docroot's)", |d| xxhash_rust::xxh3::xxh3_128(d) as u64),
        ("xxh3_64", xxhash_rust::xxh3::xxh3_64),
        ("xxh64", |d| xxhash_rust::xxh64::xxh64(d, 0)),
    ];
    for (name, hash) in hashes {
        let start = Instant::now();
        let mut acc = 0u64;
        for i in 0..n {
            acc ^= hash(&data[i % 7..]);
        }
        let each = start.elapsed().as_secs_f64() / n as f64;
        println!(
            "{name}: {:.1} µs per 128 KiB, {:.0} MB/s ({acc:x})",
            each * 1e6,
            128.0 * 1024.0 / each / 1e6
        );
    }
}
