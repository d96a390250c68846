//! The WASI 0.3 benchmark floor: answers every request with `200` and
//! `Hello, world!` (13 bytes), written by a spawned task as docroot writes
//! its bodies, and does nothing else.
//!
//! Built with `FLOOR3_IO=docroot` in the environment, it also does the
//! host I/O that any file server must do and docroot does for a held 1 KiB
//! file: it reads the request's method, target and headers, and answers
//! with docroot's eight headers (as docroot sends them since its `ETag`
//! is the content's digest and its `Cache-Control` fresh by default) and a
//! 1 KiB body. That prices the floor a
//! full-featured file server can reach, against the plain floor (see
//! BENCHMARKS.md). Without it (always, for `scripts/bench`) that code is
//! compiled out.

use wasip3::http::types::{ErrorCode, Fields, Request, Response};
use wasip3::{wit_future, wit_stream};

wasip3::http::service::export!(Floor);

struct Floor;

impl wasip3::exports::http::handler::Guest for Floor {
    async fn handle(request: Request) -> Result<Response, ErrorCode> {
        let like_docroot = option_env!("FLOOR3_IO") == Some("docroot");
        if like_docroot {
            let method = request.get_method();
            let target = request.get_path_with_query();
            let headers = request.get_headers().copy_all();
            drop((method, target, headers));
        }
        drop(request);
        let mut list = vec![
            ("content-type".to_owned(), b"text/plain".to_vec()),
            ("content-length".to_owned(), b"13".to_vec()),
        ];
        let mut body = b"Hello, world!".to_vec();
        if like_docroot {
            list = [
                ("content-type", "text/html; charset=utf-8"),
                ("content-length", "1024"),
                ("accept-ranges", "bytes"),
                ("etag", "\"445dcf97d7880d62fc56a7ce85b3164a\""),
                ("last-modified", "Mon, 07 Dec 2026 22:28:32 GMT"),
                ("vary", "Accept-Encoding"),
                ("cache-control", "public, max-age=0, must-revalidate"),
                ("x-content-type-options", "nosniff"),
            ]
            .map(|(name, value)| (name.to_owned(), value.as_bytes().to_vec()))
            .to_vec();
            body = vec![b'x'; 1024];
        }
        let headers = Fields::from_list(&list).expect("valid headers");
        let (mut tx, contents) = wit_stream::new();
        let (trailers_tx, trailers) = wit_future::new(|| Ok(None));
        drop(trailers_tx);
        let (response, _delivered) = Response::new(headers, Some(contents), trailers);
        wasip3::spawn_local(async move {
            // What the host did not take is dropped: the client has gone
            // (wrk closes its connections at the end of a run). A panic
            // here would trap the instance and every request it serves.
            let _rest = tx.write_all(body).await;
        });
        Ok(response)
    }
}
