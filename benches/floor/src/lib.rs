//! The benchmark floor: answers every request with `200` and `Hello, world!`
//! (13 bytes), and does nothing else.
//!
//! Built with `FLOOR_CALLS=<kind>` in the environment, it also makes ten
//! calls of one kind of host import per request, so that `benches/price-calls`
//! can price a host call against the plain floor. Without it (always, for
//! the benchmark) that code is compiled out.

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

/// Ten calls of the kind named by `FLOOR_CALLS` at build time (or ten fresh
/// pages touched, for `touch-page`); nothing when unset.
fn extra_calls(request: &IncomingRequest) {
    use wasi::filesystem::types::PathFlags;
    let kind = option_env!("FLOOR_CALLS").unwrap_or("");
    let mut keep = 0u64;
    for _ in 0..10 {
        keep += match kind {
            "get-environment" => wasi::cli::environment::get_environment().len() as u64,
            "get-directories" => wasi::filesystem::preopens::get_directories().len() as u64,
            "stat-at" => {
                let dirs = wasi::filesystem::preopens::get_directories();
                dirs.first()
                    .and_then(|(dir, _)| dir.stat_at(PathFlags::SYMLINK_FOLLOW, "1k.html").ok())
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
            _ => return,
        };
    }
    std::hint::black_box(keep);
}
