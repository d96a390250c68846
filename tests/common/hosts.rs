//! The hosts the end-to-end suite runs docroot under, and what each does
//! before docroot sees a request, as data the tests assert. The README's
//! portability matrix says the same in prose, and marks what it says that
//! no test here asserts.

use super::{Build, Server, component, test_stall_component};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A wasi:http host that can run here, with the component it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Host {
    /// `wasmtime serve` (the wasmtime CLI, Rust) with `docroot.wasm` (WASI
    /// 0.3) on its defaults: one instance serves up to 128 requests, up to
    /// 16 at a time.
    Wasmtime,
    /// `wasmtime serve` with `docroot_p2.wasm` (WASI 0.2): a fresh instance
    /// for every request.
    WasmtimeP2,
    /// `jco serve` (Node.js, `@bytecodealliance/preview2-shim`) with
    /// `docroot_p2.wasm`, and the site preopened by `hosts/jco/preopen.mjs`.
    Jco,
}

/// What a host does with a request before (or instead of) docroot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostAnswer {
    /// The host hands the request to docroot.
    Passes,
    /// The host answers with this status itself; docroot never runs.
    Status(u16),
    /// The host closes the connection without an answer.
    Closes,
}

/// Requests that hosts treat differently.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edge {
    /// A request target of 64 KiB.
    LongTarget,
    /// 1,000 header lines after `Host` and `Connection`.
    ManyHeaders,
    /// 101 header lines in all.
    HeadersOver100,
    /// A CR inside a header value.
    CrInValue,
    /// A bare LF ending a header line (RFC 9112 §2.2 lets a recipient
    /// accept it).
    BareLf,
    /// HTTP/1.0 with no `Host` header, so no authority at all.
    NoHostHttp10,
    /// HTTP/1.1 with no `Host` header (RFC 9112 §3.2: a 400).
    NoHostHttp11,
    /// A method in lower case (`get`): a valid, different method.
    LowerCaseMethod,
    /// `CONNECT host:port`.
    Connect,
    /// `GET host:port`: authority-form on a method that does not take it.
    AuthorityFormGet,
    /// A `\` in the request target.
    BackslashInTarget,
}

impl Host {
    /// Every host, for the suite to run under.
    pub const ALL: [Host; 3] = [Host::Wasmtime, Host::WasmtimeP2, Host::Jco];

    /// Whether the host is `wasmtime serve`, whose HTTP front end (hyper)
    /// is the same for both components.
    fn is_wasmtime(self) -> bool {
        self != Host::Jco
    }

    /// Starts docroot with `root` preopened as the guest's `/` and `env` set.
    pub fn start(self, root: &Path, env: &[(&str, &str)]) -> Server {
        self.start_at(root, "/", env)
    }

    /// The same, with `dir` preopened at the guest path `guest`.
    pub fn start_at(self, dir: &Path, guest: &str, env: &[(&str, &str)]) -> Server {
        match self {
            Host::Wasmtime => Server::start_with(Build::P3, dir, guest, env, &[]),
            Host::WasmtimeP2 => Server::start_with(Build::P2, dir, guest, env, &[]),
            Host::Jco => start_jco(&component(Build::P2), dir, guest, env),
        }
    }

    /// [`Host::start`] with the components whose stall limit is the tests'
    /// few seconds (`docroot::stall::TEST_LIMIT_NS`), not 60 s: for the
    /// tests of the stall limit alone.
    pub fn start_with_test_stall_limit(self, root: &Path, env: &[(&str, &str)]) -> Server {
        let wasmtime =
            |build| Server::start_component(&test_stall_component(build), root, "/", env, &[]);
        match self {
            Host::Wasmtime => wasmtime(Build::P3),
            Host::WasmtimeP2 => wasmtime(Build::P2),
            Host::Jco => start_jco(&test_stall_component(Build::P2), root, "/", env),
        }
    }

    /// Starts docroot so that one instance serves many requests in turn:
    /// the 0.3 component on wasmtime serve's defaults, the 0.2 one with
    /// `--max-instance-reuse-count 64`; jco serve always runs a single
    /// instance.
    pub fn start_reusing(self, root: &Path, env: &[(&str, &str)]) -> Server {
        match self {
            Host::Wasmtime => self.start(root, env),
            Host::WasmtimeP2 => Server::start_with(
                Build::P2,
                root,
                "/",
                env,
                &["--max-instance-reuse-count", "64"],
            ),
            Host::Jco => start_jco(&component(Build::P2), root, "/", env),
        }
    }

    /// What this host does with `edge`, before docroot.
    pub fn answers(self, edge: Edge) -> HostAnswer {
        use Edge::*;
        use HostAnswer::*;
        let wasmtime = self.is_wasmtime();
        match (self, edge) {
            // hyper's limits in wasmtime serve (64 KiB target, 100 headers);
            // Node's 16 KiB limit on the head (which counts the request
            // line). Node keeps the first 1,000 header lines and silently
            // drops the rest.
            (_, LongTarget) if wasmtime => Status(414),
            (_, LongTarget) => Status(431),
            (_, ManyHeaders | HeadersOver100) if wasmtime => Status(431),
            (_, ManyHeaders | HeadersOver100) => Passes,
            (_, CrInValue) => Status(400),
            (_, BareLf) if wasmtime => Passes,
            (_, BareLf) => Status(400),
            // wasmtime serve's 0.2 side refuses a request with no authority
            // with its own 500 page, and its 0.3 side passes it on with
            // none (so docroot serves an HTTP/1.1 request without Host,
            // which it cannot tell from HTTP/1.0). Node passes HTTP/1.0 on
            // (authority: the listening address) and refuses HTTP/1.1 with
            // a 400.
            (Host::Wasmtime, NoHostHttp10 | NoHostHttp11) => Passes,
            (Host::WasmtimeP2, NoHostHttp10 | NoHostHttp11) => Status(500),
            (_, NoHostHttp10) => Passes,
            (_, NoHostHttp11) => Status(400),
            (_, LowerCaseMethod | Connect | AuthorityFormGet) if wasmtime => Passes,
            (_, LowerCaseMethod | AuthorityFormGet) => Status(400),
            (_, Connect) => Closes,
            (_, BackslashInTarget) => Passes,
        }
    }

    /// Whether the host runs several requests in one instance at a time, and
    /// names the instance in the prefix of each line it writes: wasmtime
    /// serve with the 0.3 component.
    pub fn shares_instances(self) -> bool {
        self == Host::Wasmtime
    }

    /// Whether the host tells the component the request's scheme and
    /// authority. wasmtime serve's 0.3 side (48.0.8) gives neither for an
    /// origin-form target (the usual kind), and drops the `Host` header
    /// too, so the info page says it does not know them.
    pub fn gives_origin(self) -> bool {
        self != Host::Wasmtime
    }

    /// How many of `lines` header lines reach the component, when the host
    /// passes the request on: Node keeps the first 1,000 and drops the rest
    /// without a word. `None` where the host refuses so many (wasmtime
    /// above 100).
    pub fn header_lines_passed(self, lines: usize) -> Option<usize> {
        if self.is_wasmtime() {
            (lines <= 100).then_some(lines)
        } else {
            Some(lines.min(1000))
        }
    }

    /// Whether header values reach the component as the bytes the client
    /// sent. Node decodes them as Latin-1 and the shim passes the string on
    /// in UTF-8, so under jco a byte `é` sent as UTF-8 (`c3 a9`) arrives as
    /// `Ã©` (`c3 83 c2 a9`). docroot's own headers are ASCII; only the
    /// info page shows the difference.
    pub fn passes_header_bytes(self) -> bool {
        self.is_wasmtime()
    }

    /// Whether the host runs requests side by side. jco serve runs one
    /// instance that takes one request at a time, so a response waiting on
    /// a client that stopped reading holds up every other request until
    /// docroot abandons it (after 60 s without progress).
    pub fn serves_concurrently(self) -> bool {
        self.is_wasmtime()
    }

    /// Whether the host tells the component, at once, that a client closed
    /// its connection in the middle of a body (a write fails). jco's shim
    /// never does: docroot's writes wait until its stall limit.
    pub fn reports_closed_connections(self) -> bool {
        self.is_wasmtime()
    }

    /// What the host puts before each line the guest writes to stderr
    /// (wasmtime: `stderr [N] :: `, N the instance), up to the number.
    pub fn stderr_prefix(self) -> &'static str {
        if self.is_wasmtime() { "stderr [" } else { "" }
    }

    /// Whether the host tells the component the client's address. Neither
    /// can: wasi:http 0.2 has no peer address, and only Spin passes one
    /// (`spin-client-addr`, covered by `tests/mount.rs`).
    pub fn gives_client_address(self) -> bool {
        false
    }
}

/// `jco serve` on Node running `component` (a 0.2 one), with `dir`
/// preopened at `guest` by `hosts/jco/preopen.mjs`, and `env` in its
/// environment (jco passes the host's whole environment to the component).
fn start_jco(component: &Path, dir: &Path, guest: &str, env: &[(&str, &str)]) -> Server {
    let host_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("hosts/jco");
    assert!(
        host_dir.join("node_modules/@bytecodealliance/jco").exists(),
        "jco is not installed; run: ./scripts/setup --jco (or cd hosts/jco && npm install)"
    );
    let mut why = String::new();
    for _ in 0..3 {
        // jco serve takes a port, not 0 with the bound one printed: take a
        // free one, and try another if the host exits because a server
        // took it meanwhile (listen throws before it prints its line).
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            probe.local_addr().unwrap().port()
        };
        // Its transpiled component goes to a directory removed with the server.
        let scratch = tempfile::tempdir().unwrap();
        // node itself, not npx (Server's drop kills jco's child too).
        let mut cmd = Command::new("node");
        cmd.arg(host_dir.join("node_modules/.bin/jco"))
            .args(["serve", "--host", "127.0.0.1"])
            .args(["--port", &port.to_string(), "--jco-import", "./preopen.mjs"])
            .arg(component)
            .current_dir(&host_dir)
            .env("TMPDIR", scratch.path())
            .env("SITE_DIR", dir)
            .env("SITE_GUEST_PATH", guest)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let started = Server::try_spawn_until(cmd, move |line| {
            line.contains("Server listening")
                .then(|| format!("127.0.0.1:{port}"))
        });
        let mut server = match started {
            Ok(server) => server,
            Err(e) => {
                why = e;
                continue;
            }
        };
        server.scratch = Some(scratch);
        // Then wait until the port accepts, while the host runs.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if !server.is_running() {
                why = server.output();
                break;
            }
            if TcpStream::connect(server.addr).is_ok() {
                return server;
            }
            if Instant::now() > deadline {
                why = format!("the port never accepted; output:\n{}", server.output());
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    panic!("jco serve did not start in three tries; its output:\n{why}")
}

/// Runs each named test function (`fn name(host: Host)`) once per host, as
/// `wasmtime::name` (the 0.3 component), `wasmtime_p2::name` and
/// `jco::name`; attributes before a name (`#[ignore]`) go on each.
#[macro_export]
macro_rules! on_every_host {
    ($($(#[$attr:meta])* $name:ident),* $(,)?) => {
        mod wasmtime {
            $( $(#[$attr])* #[test] fn $name() { super::$name($crate::common::hosts::Host::Wasmtime) } )*
        }
        mod wasmtime_p2 {
            $( $(#[$attr])* #[test] fn $name() { super::$name($crate::common::hosts::Host::WasmtimeP2) } )*
        }
        mod jco {
            $( $(#[$attr])* #[test] fn $name() { super::$name($crate::common::hosts::Host::Jco) } )*
        }
    };
}
