//! docroot on WASI 0.2: the glue between `wasi:http/incoming-handler@0.2`
//! and the core. The incoming request becomes a [`Request`], the core's
//! [`Response`] is written back; nothing else is decided here.
//!
//! The site's calls answer at once on 0.2, so the core's futures are run by
//! [`ready::run`]. The configuration and the root are worked out once per
//! instance ([`docroot::instance`]).
//! A file body is read and written in chunks of at most 256 KiB, so guest
//! memory stays bounded whatever the file's size.

#![cfg(target_os = "wasi")]

mod site;

/// The WASI types [`shared`] is compiled against.
mod host {
    pub use wasi::filesystem::types::{DescriptorStat, DescriptorType, ErrorCode};
    pub use wasi::http::types::{Method, Scheme};
}

#[path = "../../shared/wasi.rs"]
mod shared;

use anyhow::{anyhow, bail};
use docroot::codec::Transcoder;
use docroot::config::{AccessLog, Config};
use docroot::http::{Body, Request, Response};
use docroot::instance::Instance;
use docroot::stall::{self, StallLimit};
use docroot::{access_log, app, ready};
use site::WasiFiles;
use std::io::Write as _;
use std::rc::Rc;
use std::time::{Instant, SystemTime};
use wasi::clocks::monotonic_clock;
use wasi::filesystem::types::Descriptor;
use wasi::http::types::{
    ErrorCode, Fields, IncomingRequest, OutgoingBody, OutgoingResponse, ResponseOutparam,
};
use wasi::io::poll::Pollable;
use wasi::io::streams::{OutputStream, StreamError};

#[allow(unsafe_code, missing_docs)]
mod bindings {
    // Only the export is generated; every import is the `wasi` crate's type.
    wit_bindgen::generate!({
        path: "../../wit",
        world: "docroot-p2",
        with: {
            "wasi:cli/environment@0.2.12": wasi::cli::environment,
            "wasi:cli/exit@0.2.12": wasi::cli::exit,
            "wasi:cli/stderr@0.2.12": wasi::cli::stderr,
            "wasi:cli/stdin@0.2.12": wasi::cli::stdin,
            "wasi:cli/stdout@0.2.12": wasi::cli::stdout,
            "wasi:cli/terminal-input@0.2.12": wasi::cli::terminal_input,
            "wasi:cli/terminal-output@0.2.12": wasi::cli::terminal_output,
            "wasi:cli/terminal-stderr@0.2.12": wasi::cli::terminal_stderr,
            "wasi:cli/terminal-stdin@0.2.12": wasi::cli::terminal_stdin,
            "wasi:cli/terminal-stdout@0.2.12": wasi::cli::terminal_stdout,
            "wasi:clocks/monotonic-clock@0.2.12": wasi::clocks::monotonic_clock,
            "wasi:clocks/wall-clock@0.2.12": wasi::clocks::wall_clock,
            "wasi:filesystem/preopens@0.2.12": wasi::filesystem::preopens,
            "wasi:filesystem/types@0.2.12": wasi::filesystem::types,
            "wasi:http/types@0.2.12": wasi::http::types,
            "wasi:io/error@0.2.12": wasi::io::error,
            "wasi:io/poll@0.2.12": wasi::io::poll,
            "wasi:io/streams@0.2.12": wasi::io::streams,
        },
    });

    use super::Component;
    export!(Component with_types_in crate::bindings);
}

/// The exported `wasi:http/incoming-handler`.
struct Component;

thread_local! {
    /// This instance's configuration and site. Most 0.2 hosts give each
    /// request an instance of its own; jco serve, and wasmtime serve with
    /// `--max-instance-reuse-count`, reuse one, and then these are worked
    /// out once.
    static INSTANCE: Rc<Instance<WasiFiles>> = Rc::new(Instance::new());
}

impl bindings::exports::wasi::http0_2_12::incoming_handler::Guest for Component {
    fn handle(incoming: IncomingRequest, out: ResponseOutparam) {
        #[cfg(feature = "bench-floor")]
        if incoming.path_with_query().as_deref() == Some("/__floor") {
            return floor(out);
        }
        // Every host call costs more than the work between them, so each
        // one here is made only when the response needs it.
        let instance = INSTANCE.with(Rc::clone);
        let instance_config = instance.config(|| Config::from_vars(std::env::vars_os()));
        let config = (*instance_config).as_ref();
        let req = request(&incoming, config.ok());
        drop(incoming);
        let (mut response, access_log) = match config {
            Err(err) => (app::misconfigured(&req, err.clone()), None),
            Ok(config) => {
                let started = (config.access_log != AccessLog::Off)
                    .then(|| (config.access_log, Instant::now(), SystemTime::now()));
                let open = || std::future::ready(WasiFiles::open(&config.root));
                let response = match ready::run(instance.site(open)) {
                    // On the heap: the answer's future is over 1.5 KiB, and
                    // in this frame it took the request a second page of
                    // stack, which a fresh instance pays a fault for.
                    Ok(fs) => ready::run(Box::pin(app::handle_with(
                        &req,
                        config,
                        &*fs,
                        SystemTime::now,
                        instance.rules(),
                    ))),
                    Err(err) => app::misconfigured(&req, err.into()),
                };
                (response, started)
            }
        };
        for note in std::mem::take(&mut response.notes) {
            log_line(&format!("docroot: {note}"));
        }
        if let Some(why) = response.log.take() {
            log_line(&format!("docroot: {why}"));
        }
        let status = response.status;
        let mut sent = 0;
        if let Err(err) = send(response, out, &mut sent) {
            log_line(&format!(
                "docroot: {} {}: response aborted: {err:#}",
                req.method.escape_debug(),
                req.path_with_query.escape_debug()
            ));
        }
        if let Some((format, started, arrived)) = access_log {
            let done = access_log::Done {
                req: &req,
                status,
                bytes: sent,
                arrived,
                micros: u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
                memory: core::arch::wasm32::memory_size(0) as u64 * 65_536,
            };
            if let Some(line) = access_log::line(format, &done) {
                log_line(&line);
            }
        }
    }
}

/// The floor's answer (benches/floor): `200` and `Hello, world!`, and
/// nothing else, for the benchmark's price of an instance of this component.
#[cfg(feature = "bench-floor")]
fn floor(out: ResponseOutparam) {
    let Ok(headers) = Fields::from_list(&[
        ("content-type".to_owned(), b"text/plain".to_vec()),
        ("content-length".to_owned(), b"13".to_vec()),
    ]) else {
        return;
    };
    let response = OutgoingResponse::new(headers);
    let Ok(body) = response.body() else { return };
    ResponseOutparam::set(out, Ok(response));
    let Ok(stream) = body.write() else { return };
    let written = stream.blocking_write_and_flush(b"Hello, world!");
    drop(stream);
    if written.is_ok() {
        let _ = OutgoingBody::finish(body, None);
    }
}

/// Writes one line to stderr in one write, so that a host that runs
/// instances side by side cannot split it with another's output
/// (`eprintln!` writes its pieces one call each).
fn log_line(line: &str) {
    let _ = std::io::stderr().write_all(format!("{line}\n").as_bytes());
}

/// The incoming request as plain data ([`shared::request`]).
fn request(incoming: &IncomingRequest, config: Option<&Config>) -> Request {
    let origin = || (incoming.scheme(), incoming.authority());
    let (method, target) = (incoming.method(), incoming.path_with_query());
    shared::request(method, target, incoming.headers().entries(), config, origin)
}

/// Writes `response`, counting the body bytes handed to the host in `sent`
/// (so an aborted response's count is what went out before it failed).
fn send(
    response: Response<Descriptor>,
    out: ResponseOutparam,
    sent: &mut u64,
) -> anyhow::Result<()> {
    let fields = match Fields::from_list(response.head.fields()) {
        Ok(fields) => fields,
        Err(err) => {
            ResponseOutparam::set(out, Err(ErrorCode::InternalError(None)));
            bail!("invalid response header: {err:?}");
        }
    };
    let outgoing = OutgoingResponse::new(fields);
    if response.status != 200 {
        outgoing
            .set_status_code(response.status)
            .map_err(|()| anyhow!("invalid status {}", response.status))?;
    }
    // Every response gets a body resource, even an empty one: jco's shim
    // fails on a response without one.
    let body = outgoing
        .body()
        .map_err(|()| anyhow!("the response body was already taken"))?;
    ResponseOutparam::set(out, Ok(outgoing));
    let empty = matches!(response.body, Body::Empty);
    let written = write_body(&body, response.body, sent);
    // Finish even after a failed write: with fewer bytes than the
    // Content-Length, finishing fails and the host aborts the response
    // instead of ending it as if it were complete.
    let finished = OutgoingBody::finish(body, None);
    written?;
    match finished {
        Ok(()) => Ok(()),
        // A HEAD response keeps its GET's Content-Length, and wasmtime holds
        // the (empty) body to it; the client has the headers, which is all
        // a HEAD asks for.
        Err(_) if empty => Ok(()),
        Err(e) => bail!("finishing the body: {e:?}"),
    }
}

/// A file body is read in chunks of at most this many bytes, each written
/// on before the next is read, so guest memory stays bounded by this,
/// whatever the file's size. (Not `splice`: jco's shim does not count
/// spliced bytes against the Content-Length, and then refuses to finish
/// the body. Reads and writes work the same on every host.)
const CHUNK: u64 = 256 * 1024;

/// Writes the body; the output stream is dropped on return, as `finish`
/// requires. A body of at most 4096 bytes goes in one
/// `blocking-write-and-flush`, into the buffer the host has just made; a
/// larger one in pieces, each when the host has room, then one flush.
fn write_body(
    body: &OutgoingBody,
    content: Body<Descriptor>,
    sent: &mut u64,
) -> anyhow::Result<()> {
    let stream = body
        .write()
        .map_err(|()| anyhow!("the body stream was already taken"))?;
    let mut out = Writer {
        stream,
        sent,
        stall: StallLimit::new(stall::LIMIT_NS),
        timer: None,
    };
    match content {
        Body::Empty => Ok(()),
        Body::Bytes(bytes) if bytes.len() <= SMALL => out.small(&bytes),
        Body::Bytes(bytes) => {
            out.write(&bytes)?;
            out.flush()
        }
        Body::Shared(bytes) if bytes.len() <= SMALL => out.small(&bytes),
        Body::Shared(bytes) => {
            out.write(&bytes)?;
            out.flush()
        }
        Body::Stream {
            file,
            len,
            transform,
        } => out.file(&file, 0, len, Some(Transcoder::new(transform))),
        Body::File { file, offset, len } if len <= SMALL as u64 => {
            let bytes = read_chunk(&file, offset, len)?;
            if (bytes.len() as u64) < len {
                bail!("the file ended after {} of {len} bytes", bytes.len());
            }
            out.small(&bytes)
        }
        Body::File { file, offset, len } => out.file(&file, offset, len, None),
    }
}

/// Reads up to `len` bytes of `file` from `offset`, in as many `read` calls
/// as the host needs; fewer only where the file ends.
fn read_chunk(file: &Descriptor, offset: u64, len: u64) -> anyhow::Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(len as usize);
    while (bytes.len() as u64) < len {
        let at = offset + bytes.len() as u64;
        let (chunk, end) = file
            .read(len - bytes.len() as u64, at)
            .map_err(|e| anyhow!("reading the file: {e}"))?;
        bytes.extend_from_slice(&chunk);
        if end || chunk.is_empty() {
            break;
        }
    }
    Ok(bytes)
}

/// The most `blocking-write-and-flush` takes in one call.
const SMALL: usize = 4096;

/// A response body's stream, the bytes the host has taken, and the stall
/// limit ([`crate::stall`]) with the one timer it has armed.
struct Writer<'a> {
    stream: OutputStream,
    sent: &'a mut u64,
    stall: StallLimit,
    timer: Option<Pollable>,
}

impl Writer<'_> {
    /// `len` bytes of `file` from `offset`, read a chunk at a time and each
    /// written on (through `coder` when the body is coded or decoded on its
    /// way out, its output written as it comes, in pieces of at most its
    /// `OUTPUT_CHUNK`), then flushed.
    fn file(
        &mut self,
        file: &Descriptor,
        offset: u64,
        len: u64,
        mut coder: Option<Transcoder>,
    ) -> anyhow::Result<()> {
        let mut read = 0;
        while read < len {
            let bytes = read_chunk(file, offset + read, (len - read).min(CHUNK))?;
            if bytes.is_empty() {
                // Truncated after its size was taken.
                bail!("the file ended after {read} of {len} bytes");
            }
            read += bytes.len() as u64;
            match &mut coder {
                None => self.write(&bytes)?,
                Some(coder) => {
                    let mut rest = &bytes[..];
                    while !rest.is_empty() {
                        let used = coder.feed(rest).map_err(|e| anyhow!("{e}"))?;
                        rest = &rest[used..];
                        self.write(&coder.take())?;
                    }
                }
            }
        }
        if let Some(coder) = coder {
            self.write(&coder.finish().map_err(|e| anyhow!("{e}"))?)?;
        }
        self.flush()
    }

    /// A whole body of at most [`SMALL`] bytes, written and flushed in one
    /// call. Only ever the first write: the call does not wait for room
    /// (jco's shim fails when there is none), and a fresh body stream has
    /// room. It is also the one wait the stall limit does not bound
    /// (wasmtime's flush waits for the host without a limit).
    fn small(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        match self.stream.blocking_write_and_flush(bytes) {
            // `closed`: the host may end the response once it has the whole
            // Content-Length, and drop the stream before the flush returns.
            Ok(()) | Err(StreamError::Closed) => {
                *self.sent = bytes.len() as u64;
                Ok(())
            }
            Err(StreamError::LastOperationFailed(e)) => {
                bail!("writing the body: {}", e.to_debug_string())
            }
        }
    }

    /// Writes `bytes` in pieces as large as `check-write` allows, each when
    /// the host has room, counting each piece taken; an error when the
    /// client is gone or takes nothing for the stall limit.
    fn write(&mut self, mut bytes: &[u8]) -> anyhow::Result<()> {
        while !bytes.is_empty() {
            let room = match self.stream.check_write() {
                Ok(0) => {
                    self.wait()?;
                    continue;
                }
                Ok(room) => room.min(bytes.len() as u64) as usize,
                Err(StreamError::Closed) => bail!("the connection closed"),
                Err(StreamError::LastOperationFailed(e)) => {
                    bail!("writing the body: {}", e.to_debug_string())
                }
            };
            match self.stream.write(&bytes[..room]) {
                Ok(()) => {
                    bytes = &bytes[room..];
                    *self.sent += room as u64;
                    self.stall.took(room as u64);
                }
                Err(StreamError::Closed) => bail!("the connection closed"),
                Err(StreamError::LastOperationFailed(e)) => {
                    bail!("writing the body: {}", e.to_debug_string())
                }
            }
        }
        Ok(())
    }

    /// Waits until the host has taken every byte written. `closed` is not
    /// an error here: once the host has the whole `Content-Length`, it may
    /// finish the response and drop the stream before the flush returns.
    fn flush(&mut self) -> anyhow::Result<()> {
        let failed =
            |e: wasi::io::error::Error| anyhow!("flushing the body: {}", e.to_debug_string());
        match self.stream.flush() {
            Ok(()) => {}
            Err(StreamError::Closed) => return Ok(()),
            Err(StreamError::LastOperationFailed(e)) => return Err(failed(e)),
        }
        self.wait()?;
        match self.stream.check_write() {
            Ok(_) | Err(StreamError::Closed) => Ok(()),
            Err(StreamError::LastOperationFailed(e)) => Err(failed(e)),
        }
    }

    /// Waits until the stream is ready again (room to write, or its flush
    /// done), or until the stall limit says the host has taken nothing for
    /// too long.
    fn wait(&mut self) -> anyhow::Result<()> {
        let ready = self.stream.subscribe();
        if let Some(deadline) = self.stall.before_wait(monotonic_clock::now) {
            self.timer = Some(monotonic_clock::subscribe_instant(deadline));
        }
        loop {
            let Some(timer) = &self.timer else {
                bail!("no stall timer was armed");
            };
            if wasi::io::poll::poll(&[&ready, timer]).contains(&0) {
                return Ok(());
            }
            match self.stall.timer_fired() {
                Ok(deadline) => self.timer = Some(monotonic_clock::subscribe_instant(deadline)),
                Err(stalled) => bail!("the client took no bytes for {} s", stalled.seconds),
            }
        }
    }
}
