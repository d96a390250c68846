//! The benchmark floor: answers every request with `200` and `Hello, world!`
//! (13 bytes), and does nothing else.
//!
//! Built with `FLOOR_CALLS=<kind>` in the environment, it also makes ten
//! calls of one kind of host import per request, so that `benches/price-calls`
//! can price a host call against the plain floor (or touches memory, or
//! carries 640 KiB of initialised data: see `extra_calls`). Without it
//! (always, for the benchmark) that code is compiled out.

use wasi::http::types::{Fields, IncomingRequest, OutgoingBody, OutgoingResponse, ResponseOutparam};

wasi::http::proxy::export!(Floor);

struct Floor;

impl wasi::exports::http::incoming_handler::Guest for Floor {
    fn handle(request: IncomingRequest, out: ResponseOutparam) {
        extra_calls(&request);
        drop(request);
        let headers = Fields::from_list(&[
            ("content-type".to_owned(), b"text/plain".to_vec()),
            ("content-length".to_owned(), b"13".to_vec()),
        ])
        .expect("valid headers");
        let response = OutgoingResponse::new(headers);
        let body = response.body().expect("a body");
        ResponseOutparam::set(out, Ok(response));
        let stream = body.write().expect("a stream");
        // A failed write is a client that has gone (wrk closes its
        // connections at the end of a run): the body is then dropped
        // unfinished, never a panic, which would trap.
        let written = stream.blocking_write_and_flush(b"Hello, world!");
        drop(stream);
        if written.is_ok() {
            let _ = OutgoingBody::finish(body, None);
        }
    }
}

/// The kind of extra calls this build makes (`FLOOR_CALLS` at build time).
const KIND: &str = match option_env!("FLOOR_CALLS") {
    Some(kind) => kind,
    None => "",
};

/// Whether `a` is `b` (in a constant).
const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Bytes of initialised data a `big-image` or `image-read` build carries,
/// as a component with large static tables (brotli's) does: 640 KiB, all
/// in the memory image that wasmtime maps into every instance; none in
/// other builds.
const BIG_LEN: usize = if same(KIND, "big-image") || same(KIND, "image-read") {
    640 * 1024
} else {
    0
};
static BIG: [u8; BIG_LEN] = [1; BIG_LEN];

/// Ten calls of the kind named by `FLOOR_CALLS` at build time (or ten fresh
/// pages touched, for `touch-page`, or ten bytes read of the big data, each
/// in a 64 KiB block of its own, for `image-read`); nothing when unset.
fn extra_calls(request: &IncomingRequest) {
    use wasi::filesystem::types::PathFlags;
    let kind = KIND;
    let mut keep = 0u64;
    if kind == "big-image" {
        // Kept in the image, never read.
        std::hint::black_box(BIG.as_ptr());
        return;
    }
    for call in 0..10 {
        keep += match kind {
            "get-environment" => wasi::cli::environment::get_environment().len() as u64,
            "get-directories" => wasi::filesystem::preopens::get_directories().len() as u64,
            "stat-at" => {
                let dirs = wasi::filesystem::preopens::get_directories();
                dirs.first()
                    .and_then(|(dir, _)| dir.stat_at(PathFlags::SYMLINK_FOLLOW, "1k.html").ok())
                    .map_or(0, |stat| stat.size)
            }
            // A file that is not there, as the site's rule files mostly are:
            // following symlinks (as docroot looks at a path), and not.
            "stat-at-missing" | "stat-at-missing-nofollow" => {
                let flags = if kind == "stat-at-missing" {
                    PathFlags::SYMLINK_FOLLOW
                } else {
                    PathFlags::empty()
                };
                let dirs = wasi::filesystem::preopens::get_directories();
                dirs.first()
                    .map_or(0, |(dir, _)| dir.stat_at(flags, "_redirects").is_err() as u64)
            }
            "stat-at-nofollow" => {
                let dirs = wasi::filesystem::preopens::get_directories();
                dirs.first()
                    .and_then(|(dir, _)| dir.stat_at(PathFlags::empty(), "1k.html").ok())
                    .map_or(0, |stat| stat.size)
            }
            "method" => matches!(request.method(), wasi::http::types::Method::Get) as u64,
            "headers-entries" => request.headers().entries().len() as u64,
            "wall-clock-now" => wasi::clocks::wall_clock::now().seconds,
            // Not a call: a fresh 4 KiB page of linear memory written, which
            // the host must fault in and later decommit.
            "touch-page" => {
                let page = std::hint::black_box(vec![1u8; 4096]);
                std::mem::forget(page);
                1
            }
            // Not a call: one byte read from a 64 KiB block of the big
            // data no other read touches, which the host maps from the
            // image (with the kernel's fault-around) and later unmaps.
            "image-read" => {
                let at = std::hint::black_box(call * 65_536 + 4_096);
                u64::from(std::hint::black_box(&BIG)[at])
            }
            _ => return,
        };
    }
    std::hint::black_box(keep);
}
