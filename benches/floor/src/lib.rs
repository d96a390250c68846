//! The benchmark floor: answers every request with `200` and `Hello, world!`
//! (13 bytes), and does nothing else.

use wasi::http::types::{Fields, IncomingRequest, OutgoingBody, OutgoingResponse, ResponseOutparam};

wasi::http::proxy::export!(Floor);

struct Floor;

impl wasi::exports::http::incoming_handler::Guest for Floor {
    fn handle(_request: IncomingRequest, out: ResponseOutparam) {
        let headers = Fields::from_list(&[
            ("content-type".to_owned(), b"text/plain".to_vec()),
            ("content-length".to_owned(), b"13".to_vec()),
        ])
        .expect("valid headers");
        let response = OutgoingResponse::new(headers);
        let body = response.body().expect("a body");
        ResponseOutparam::set(out, Ok(response));
        let stream = body.write().expect("a stream");
        stream
            .blocking_write_and_flush(b"Hello, world!")
            .expect("written");
        drop(stream);
        OutgoingBody::finish(body, None).expect("finished");
    }
}
