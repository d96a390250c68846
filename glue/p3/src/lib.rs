//! docroot on WASI 0.3: the glue between `wasi:http/handler@0.3` and the
//! core, and the default component (`docroot.wasm`).
//!
//! A 0.3 host reuses one instance for many requests, several at a time
//! (wasmtime serve and Spin: up to 128 in turn, 16 at once). So what cannot
//! change during an instance's life is worked out once, by the first request
//! that needs it: the configuration (from the environment) and the root's
//! descriptor ([`docroot::instance`]), with the cache of hot files
//! ([`docroot::cache`]) that lets a reused instance answer repeat requests
//! without a filesystem call. Each request is a task of its own: its
//! filesystem calls are awaited, and its body is written by a task spawned
//! before the handler returns ([`body`]), so a slow client holds up no one.
//!
//! The host glue only moves bytes; what to answer is the core's.

#![cfg(target_os = "wasi")]

mod body;
mod site;

/// The WASI types [`shared`] is compiled against.
mod host {
    pub use wasip3::filesystem::types::{DescriptorStat, DescriptorType, ErrorCode};
    pub use wasip3::http::types::{Method, Scheme};
}

#[path = "../../shared/wasi.rs"]
mod shared;

use crate::bindings::exports::wasi::http0_3_2::handler::Guest;
use crate::site::WasiFiles;
use docroot::cache::{Cache, CachedFile};
use docroot::codec::Effort;
use docroot::config::{AccessLog, Config, ConfigError};
use docroot::http::{Body, Request, Response};
use docroot::instance::Instance;
use docroot::{access_log, app};
use std::io::Write as _;
use std::rc::Rc;
use std::time::{Duration, SystemTime};
use wasip3::cli::environment::get_environment;
use wasip3::clocks::{monotonic_clock, system_clock};
use wasip3::filesystem::types::Descriptor;
use wasip3::http::types::{ErrorCode, Fields};
use wasip3::http::types::{Request as HostRequest, Response as HostResponse};
use wasip3::{wit_future, wit_stream};

#[allow(unsafe_code, missing_docs)]
mod bindings {
    // Only the export and the WASI 0.2 interfaces that Rust's standard
    // library links are generated; every 0.3 import is `wasip3`'s type.
    wit_bindgen::generate!({
        path: "../../wit",
        world: "docroot",
        with: {
            "wasi:cli/environment@0.3.2": wasip3::cli::environment,
            "wasi:clocks/monotonic-clock@0.3.2": wasip3::clocks::monotonic_clock,
            "wasi:clocks/system-clock@0.3.2": wasip3::clocks::system_clock,
            "wasi:clocks/types@0.3.2": wasip3::clocks::types,
            "wasi:filesystem/preopens@0.3.2": wasip3::filesystem::preopens,
            "wasi:filesystem/types@0.3.2": wasip3::filesystem::types,
            "wasi:http/types@0.3.2": wasip3::http::types,
        },
        generate_all,
    });

    use super::Component;
    export!(Component with_types_in crate::bindings);
}

/// The exported `wasi:http/handler`.
struct Component;

thread_local! {
    /// This instance's configuration and site with its file cache, shared
    /// by its requests (an `Rc`, so a request can hold it across its awaits).
    static INSTANCE: Rc<Instance<Cache<WasiFiles>>> = Rc::new(Instance::new());
}

impl Guest for Component {
    async fn handle(incoming: HostRequest) -> Result<HostResponse, ErrorCode> {
        let instance = INSTANCE.with(Rc::clone);
        let instance_config = instance.config(configure);
        let config = (*instance_config).as_ref();
        let req = request(&incoming, config.ok());
        drop(incoming);
        let (response, started) = match config {
            Err(err) => (app::misconfigured(&req, err.clone()), None),
            Ok(config) => {
                let started =
                    (config.access_log != AccessLog::Off).then(|| Started::now(config.access_log));
                let open = || WasiFiles::open(&config.root);
                let response =
                    app::handle_instance(&instance, &req, config, open, monotonic_clock::now, now)
                        .await;
                (response, started)
            }
        };
        send(req, response, started)
    }
}

/// When a request began, for its access-log line, in the log's format.
struct Started {
    format: AccessLog,
    monotonic: u64,
    arrived: SystemTime,
}

impl Started {
    fn now(format: AccessLog) -> Started {
        Started {
            format,
            monotonic: monotonic_clock::now(),
            arrived: now(),
        }
    }
}

/// The host's response for `response`: its head now, its body written by a
/// task spawned here, which then writes the access-log line when
/// `started` says the log is on.
fn send(
    req: Request,
    mut response: Response<CachedFile<Descriptor>>,
    started: Option<Started>,
) -> Result<HostResponse, ErrorCode> {
    for note in std::mem::take(&mut response.notes) {
        log_line(&format!("docroot: {note}"));
    }
    if let Some(why) = response.log.take() {
        log_line(&format!("docroot: {why}"));
    }
    let headers = Fields::from_list(response.head.fields()).map_err(|err| {
        log_line(&format!("docroot: invalid response header: {err:?}"));
        ErrorCode::InternalError(None)
    })?;
    let status = response.status;
    // The passed stream's own result: awaited, with the file held open,
    // until the host has read it all (dropped at once, the read could end
    // early: the bench once saw 27 of 256 MiB).
    #[cfg(feature = "pass-file-stream")]
    let mut file_read = None;
    let (contents_tx, contents) = match response.body {
        Body::Empty => (None, None),
        // The benchmark's build passes a whole file's own stream as the
        // body instead (see BENCHMARKS.md for why docroot does not).
        #[cfg(feature = "pass-file-stream")]
        Body::File {
            file: CachedFile::Open(ref file),
            offset: 0,
            ..
        } if status != 206 => {
            let (stream, read) = file.read_via_stream(0);
            file_read = Some(read);
            (None, Some(stream))
        }
        _ => {
            let (tx, rx) = wit_stream::new();
            (Some(tx), Some(rx))
        }
    };
    let (trailers_tx, trailers) = wit_future::new(|| Ok(None));
    let (outgoing, _delivered) = HostResponse::new(headers, contents, trailers);
    if status != 200 && outgoing.set_status_code(status).is_err() {
        log_line(&format!("docroot: invalid status {status}"));
        return Err(ErrorCode::InternalError(None));
    }
    // The body goes on after the handler returns: the host sends the head
    // at once, then the bytes as this task writes them.
    wit_bindgen::spawn_local(async move {
        let mut sent = 0;
        let result = match contents_tx {
            None => Ok(()),
            Some(mut tx) => body::write(&mut tx, response.body, &mut sent).await,
        };
        #[cfg(feature = "pass-file-stream")]
        if let Some(read) = file_read {
            let _ = read.await;
        }
        let trailers = match result {
            Ok(()) => Ok(None),
            Err(err) => {
                log_line(&format!(
                    "docroot: {} {}: response aborted: {err}",
                    req.method.escape_debug(),
                    req.path_with_query.escape_debug()
                ));
                // The host then ends the response as failed, not complete.
                Err(ErrorCode::InternalError(Some(err.to_string())))
            }
        };
        match trailers {
            // Dropped unwritten, the future sends its default, `Ok(None)`,
            // without this task waiting for the host to take it.
            Ok(None) => drop(trailers_tx),
            failed => {
                let _ = trailers_tx.write(failed).await;
            }
        }
        if let Some(started) = started {
            let done = access_log::Done {
                req: &req,
                status,
                bytes: sent,
                arrived: started.arrived,
                micros: monotonic_clock::now().saturating_sub(started.monotonic) / 1000,
                memory: core::arch::wasm32::memory_size(0) as u64 * 65_536,
            };
            if let Some(line) = access_log::line(started.format, &done) {
                log_line(&line);
            }
        }
    });
    Ok(outgoing)
}

/// The configuration, from the environment. An instance serves many
/// requests, and with the file cache on it keeps the files it codes, so
/// each coding serves many answers: worth coding thoroughly.
fn configure() -> Result<Config, ConfigError> {
    let mut config = Config::from_vars(get_environment())?;
    if config.file_cache.is_some() {
        config.coding_effort = Effort::Thorough;
    }
    Ok(config)
}

/// The wall-clock time, for the info page.
fn now() -> SystemTime {
    let t = system_clock::now();
    let since = Duration::new(u64::try_from(t.seconds).unwrap_or(0), t.nanoseconds);
    SystemTime::UNIX_EPOCH + since
}

/// Writes one line to stderr in one write, so that requests running side by
/// side in one instance, or instances side by side, cannot split it.
fn log_line(line: &str) {
    let _ = std::io::stderr().write_all(format!("{line}\n").as_bytes());
}

/// The incoming request as plain data ([`shared::request`]).
fn request(incoming: &HostRequest, config: Option<&Config>) -> Request {
    let origin = || (incoming.get_scheme(), incoming.get_authority());
    let (method, target) = (incoming.get_method(), incoming.get_path_with_query());
    let headers = incoming.get_headers().copy_all();
    shared::request(method, target, headers, config, origin)
}
