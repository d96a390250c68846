//! The WASI 0.3 benchmark floor: answers every request with `200` and
//! `Hello, world!` (13 bytes), written by a spawned task as docroot writes
//! its bodies, and does nothing else.

use wasip3::http::types::{ErrorCode, Fields, Request, Response};
use wasip3::{wit_future, wit_stream};

wasip3::http::service::export!(Floor);

struct Floor;

impl wasip3::exports::http::handler::Guest for Floor {
    async fn handle(request: Request) -> Result<Response, ErrorCode> {
        drop(request);
        let headers = Fields::from_list(&[
            ("content-type".to_owned(), b"text/plain".to_vec()),
            ("content-length".to_owned(), b"13".to_vec()),
        ])
        .expect("valid headers");
        let (mut body, contents) = wit_stream::new();
        let (trailers_tx, trailers) = wit_future::new(|| Ok(None));
        drop(trailers_tx);
        let (response, _delivered) = Response::new(headers, Some(contents), trailers);
        wasip3::spawn_local(async move {
            let rest = body.write_all(b"Hello, world!".to_vec()).await;
            assert!(rest.is_empty(), "the host took the whole body");
        });
        Ok(response)
    }
}
