//! A response body, written into its `stream<u8>` by the task the handler
//! spawns, under the stall limit ([`docroot::stall`]).
//!
//! A file is read through `read-via-stream` from its offset, at most
//! [`CHUNK`] bytes at a time, and each chunk is written on before the next
//! is read, so the instance's memory stays bounded by one chunk per
//! response in flight, whatever the file's size. A range stops reading after
//! its length.
//!
//! A body of at most [`SMALL`] bytes is written without a stall timer: the
//! host takes it into its own buffers whether or not the client reads
//! (hyper buffers far more than that before it waits for the socket;
//! `tests/instance.rs` holds wasmtime serve to it), so it cannot stall, and
//! a timer would cost every small response two host calls. The 0.2 glue
//! draws the same line.

use crate::site::read_up_to;
use docroot::cache::CachedFile;
use docroot::codec::{CodingError, Transcoder};
use docroot::http::Body;
use docroot::stall::{self, StallLimit};
use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::task::Poll;
use wasip3::clocks::monotonic_clock;
use wasip3::filesystem::types::{Descriptor, ErrorCode};
use wasip3::wit_bindgen::{StreamResult, StreamWriter};

/// The most bytes of a file read and written at a time.
const CHUNK: u64 = 256 * 1024;

/// The largest body written without a stall timer: one the host takes
/// whether or not the client reads, into its HTTP stack's write buffer
/// (hyper's, under wasmtime serve) and the connection's (a socket's send
/// buffer starts at 16 KiB on Linux, and the client's receive window adds
/// to it); `tests/instance.rs` holds wasmtime serve to it. Arming the timer
/// costs two clock calls, which made a 5 KiB info page a fifth dearer for
/// the host than a 4 KiB one.
const SMALL: u64 = 16 * 1024;

/// Why a body was not written whole, for the log line and the trailers.
/// (A plain enum: this is all the component needs of an error type.)
#[derive(Debug)]
pub enum Aborted {
    /// The host dropped the body's stream: the client has gone.
    Closed,
    /// The host cancelled the write.
    Cancelled,
    /// The client took no bytes for the stall limit, in seconds.
    Stalled(u64),
    /// Reading the file failed.
    Read(ErrorCode),
    /// The file ended after `sent` of the `len` bytes its size promised.
    Truncated { sent: u64, len: u64 },
    /// A range outside the held bytes (the outcome took both from one size).
    OutOfRange,
    /// The file could not be coded or decoded (a `.gz` that is not gzip).
    Coding(CodingError),
}

impl fmt::Display for Aborted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Aborted::Closed => f.write_str("the connection closed"),
            Aborted::Cancelled => f.write_str("the write was cancelled"),
            Aborted::Stalled(seconds) => write!(f, "the client took no bytes for {seconds} s"),
            Aborted::Read(code) => write!(f, "reading the file: {code:?}"),
            Aborted::Truncated { sent, len } => {
                write!(f, "the file ended after {sent} of {len} bytes")
            }
            Aborted::OutOfRange => f.write_str("a range outside the cached file"),
            Aborted::Coding(err) => write!(f, "{err}"),
        }
    }
}

/// Writes `body` into `tx`, counting in `sent` the bytes the host took (so
/// an aborted response's count is what went out before it failed).
pub async fn write(
    tx: &mut StreamWriter<u8>,
    body: Body<CachedFile<Descriptor>>,
    sent: &mut u64,
) -> Result<(), Aborted> {
    let len = match &body {
        Body::Empty => 0,
        Body::Bytes(bytes) => bytes.len() as u64,
        Body::Shared(bytes) => bytes.len() as u64,
        Body::File { len, .. } => *len,
        // Its output's length is not known: it may come to any size.
        Body::Stream { .. } => u64::MAX,
    };
    let mut out = Writer {
        tx,
        sent,
        stall: (len > SMALL).then(|| StallLimit::new(stall::LIMIT_NS)),
        timer: None,
    };
    match body {
        Body::Empty => Ok(()),
        Body::Bytes(bytes) => out.write(bytes).await,
        Body::Shared(bytes) => out.write(bytes.to_vec()).await,
        Body::Stream {
            file,
            len,
            transform,
        } => {
            out.file(file, 0, len, Some(Transcoder::new(transform)))
                .await
        }
        Body::File { file, offset, len } => out.file(file, offset, len, None).await,
    }
}

/// The timer the stall limit armed, as a future that ends at its deadline.
type Timer = Pin<Box<dyn Future<Output = ()>>>;

/// A response body's stream, the bytes the host has taken, and the stall
/// limit (none for a small body) with the one timer it has armed.
struct Writer<'a> {
    tx: &'a mut StreamWriter<u8>,
    sent: &'a mut u64,
    stall: Option<StallLimit>,
    timer: Option<Timer>,
}

impl Writer<'_> {
    /// `len` bytes of `file` from `offset`, each chunk written on as it is
    /// read (through `coder` when the body is coded or decoded on its way
    /// out).
    async fn file(
        &mut self,
        file: CachedFile<Descriptor>,
        offset: u64,
        len: u64,
        mut coder: Option<Transcoder>,
    ) -> Result<(), Aborted> {
        let (mut rx, done) = match file {
            CachedFile::Held(bytes) => {
                // The outcome took offset and len from this file's size.
                let start = usize::try_from(offset).map_err(|_| Aborted::OutOfRange)?;
                let part = usize::try_from(len)
                    .ok()
                    .and_then(|len| bytes.get(start..start.checked_add(len)?))
                    .ok_or(Aborted::OutOfRange)?;
                return match coder {
                    None => self.write(part.to_vec()).await,
                    Some(mut coder) => {
                        for chunk in part.chunks(CHUNK as usize) {
                            self.code(&mut coder, chunk).await?;
                        }
                        self.finish(coder).await
                    }
                };
            }
            CachedFile::Open(file) => file.read_via_stream(offset),
        };
        let mut left = len;
        // Whether the host has ended the file's stream (then it is not
        // read again: see `read_up_to`).
        let mut ended = false;
        while left > 0 && !ended {
            let chunk;
            (chunk, ended) = read_up_to(&mut rx, left.min(CHUNK) as usize).await;
            left -= chunk.len() as u64;
            match &mut coder {
                Some(coder) => self.code(coder, &chunk).await?,
                None if chunk.is_empty() => {}
                None => self.write(chunk).await?,
            }
        }
        if left > 0 {
            // Truncated after its size was taken, or unreadable.
            drop(rx);
            return Err(match done.await {
                Err(code) => Aborted::Read(code),
                Ok(()) => Aborted::Truncated {
                    sent: len - left,
                    len,
                },
            });
        }
        match coder {
            Some(coder) => self.finish(coder).await,
            None => Ok(()),
        }
    }

    /// Codes `input` with `coder`, writing its output as it comes.
    async fn code(&mut self, coder: &mut Transcoder, mut input: &[u8]) -> Result<(), Aborted> {
        while !input.is_empty() {
            let used = coder.feed(input).map_err(Aborted::Coding)?;
            input = &input[used..];
            let output = coder.take();
            if !output.is_empty() {
                self.write(output).await?;
            }
        }
        Ok(())
    }

    /// Writes the rest of `coder`'s output.
    async fn finish(&mut self, coder: Transcoder) -> Result<(), Aborted> {
        let rest = coder.finish().map_err(Aborted::Coding)?;
        if rest.is_empty() {
            return Ok(());
        }
        self.write(rest).await
    }

    /// Writes all of `bytes`, in as many writes as the host takes them; an
    /// error when the client is gone or takes nothing for the stall limit.
    async fn write(&mut self, bytes: Vec<u8>) -> Result<(), Aborted> {
        let Writer {
            tx,
            sent,
            stall,
            timer,
        } = self;
        let mut write = tx.write(bytes);
        loop {
            let (result, rest) = {
                let mut pending = pin!(write);
                loop {
                    let Some(stall) = stall else {
                        break pending.as_mut().await;
                    };
                    if let Some(done) = race(pending.as_mut(), stall, timer).await {
                        break done;
                    }
                    match stall.timer_fired() {
                        Ok(deadline) => {
                            *timer = Some(Box::pin(monotonic_clock::wait_until(deadline)))
                        }
                        Err(stalled) => {
                            let _ = pending.as_mut().cancel();
                            return Err(Aborted::Stalled(stalled.seconds));
                        }
                    }
                }
            };
            match result {
                StreamResult::Complete(n) => {
                    **sent += n as u64;
                    if let Some(stall) = stall {
                        stall.took(n as u64);
                    }
                    if rest.remaining() == 0 {
                        return Ok(());
                    }
                    write = tx.write_buf(rest);
                }
                StreamResult::Dropped => return Err(Aborted::Closed),
                StreamResult::Cancelled => return Err(Aborted::Cancelled),
            }
        }
    }
}

/// The write's result once the host takes some bytes; `None` when the stall
/// timer goes off first. A timer is armed only when the write has to wait,
/// and only when the stall limit asks for one, so a write the host takes at
/// once costs no clock call.
fn race<'a, W: Future>(
    mut write: Pin<&'a mut W>,
    stall: &'a mut StallLimit,
    timer: &'a mut Option<Timer>,
) -> impl Future<Output = Option<W::Output>> + 'a {
    poll_fn(move |cx| {
        if let Poll::Ready(done) = write.as_mut().poll(cx) {
            return Poll::Ready(Some(done));
        }
        if let Some(deadline) = stall.before_wait(monotonic_clock::now) {
            *timer = Some(Box::pin(monotonic_clock::wait_until(deadline)));
        }
        if let Some(armed) = timer
            && armed.as_mut().poll(cx).is_ready()
        {
            *timer = None;
            return Poll::Ready(None);
        }
        Poll::Pending
    })
}
