// The build script of both glue crates (each build.rs includes this file):
// the component's stack, 256 KiB instead of the 1 MiB Rust gives a wasm32
// program.
//
// The stack is part of the instance's linear memory, placed below the data
// (`--stack-first`, Rust's default for wasm), so overrunning it is a trap
// (an access below address 0), never a write over the heap. Every
// instance's memory holds the whole stack, so Rust's 1 MiB made each one
// 768 KiB larger than this. The requests of `python3
// benches/stack-depth.py` (brotli and gzip, a streamed and a decoded file,
// error and info pages, a listing, 2,000 rules, Basic-Auth, a packed site)
// trapped with 16 KiB and all ran with 32 KiB, so 256 KiB is eight times
// the most any of them was seen to need, and leaves room for what later
// changes add.
// `tests/imports.rs` checks the built components carry it.

/// The stack, in bytes.
const STACK_BYTES: u32 = 256 * 1024;

fn main() {
    // Another size, for `benches/stack-depth.py` only, which builds components
    // with smaller stacks to find the least that serves its requests.
    let bytes = match std::env::var("DOCROOT_BENCH_STACK_BYTES") {
        Ok(value) => value
            .parse::<u32>()
            .expect("DOCROOT_BENCH_STACK_BYTES is a number of bytes"),
        Err(_) => STACK_BYTES,
    };
    if std::env::var("CARGO_CFG_TARGET_FAMILY").as_deref() == Ok("wasm") {
        println!("cargo:rustc-cdylib-link-arg=-zstack-size={bytes}");
    }
    println!("cargo:rerun-if-changed=../stack.rs");
    println!("cargo:rerun-if-env-changed=DOCROOT_BENCH_STACK_BYTES");
}
