//! Shared by the test tiers: the fixture site, the built component, and a
//! server harness (`wasmtime serve` or `jco serve`, see `hosts`) that
//! speaks raw HTTP/1.1 over TCP.
#![allow(dead_code)]

pub mod client;
pub mod coded;
pub mod hosts;
pub mod inproc;
pub mod pages;

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock, mpsc};
use std::time::{Duration, Instant};

/// A secret placed beside the site, which no response may ever contain.
pub const SECRET: &[u8] = b"TOP-SECRET-OUTSIDE-THE-ROOT";
/// The content of the site's hidden files, which no response may contain by default.
pub const HIDDEN: &[u8] = b"HIDDEN-DOTFILE-CONTENT";
/// Request targets that try to reach past the root, a hidden file or a
/// special file of the fixture, and the status docroot answers each with
/// in-process. Over TCP a host may answer some itself; none may leak.
pub const HOSTILE_TARGETS: &[(&str, u16)] = &[
    ("/..", 400),
    ("/../secret.txt", 400),
    ("/../../../../etc/passwd", 400),
    ("/%2e%2e/secret.txt", 400),
    ("/%2E%2E/secret.txt", 400),
    ("/.%2e/secret.txt", 400),
    ("/..%2fsecret.txt", 400),
    ("/%2e%2e%2fsecret.txt", 400),
    ("/docs/..%2f..%2fsecret.txt", 400),
    ("/docs/%2e%2e/%2e%2e/secret.txt", 400),
    ("/docs/../index.html", 400),
    ("/..%5csecret.txt", 400),
    ("/..\\secret.txt", 400),
    ("/hello.txt%00", 400),
    ("/hello.txt%00.html", 400),
    ("/%c0%ae%c0%ae/secret.txt", 400),
    ("/%ff%fe", 400),
    ("/%", 400),
    ("/bad%zzescape", 400),
    ("*", 400),
    ("http://evil.example/../secret.txt", 400),
    // Decoded once: `%252e%252e` is the literal name `%2e%2e`, not there.
    ("/%252e%252e/secret.txt", 404),
    ("//etc/passwd", 404),
    ("/link-out.txt", 404),
    ("/abs-link-out.txt", 404),
    ("/dir-link-out/inner.txt", 404),
    ("/dir-link-out/", 404),
    ("/parent-link/secret.txt", 404),
    ("/parent-link/", 404),
    ("/parent-link/site/.env", 404),
    ("/broken-link.txt", 404),
    ("/fifo", 404),
    ("/socket", 404),
    ("/.env", 404),
    ("/.git/config", 404),
    ("/%2eenv", 404),
];

/// Size of the large file, checked byte for byte.
pub const BIG_LEN: usize = 5 * 1024 * 1024 + 123;

/// A fixture: `dir/secret.txt` outside, `dir/site/` the root, with awkward names.
pub struct Fixture {
    pub dir: tempfile::TempDir,
}

impl Fixture {
    pub fn root(&self) -> PathBuf {
        self.dir.path().join("site")
    }
}

/// The deterministic bytes of the large file.
pub fn big_bytes() -> Vec<u8> {
    let mut x: u32 = 0x1234_5678;
    (0..BIG_LEN)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect()
}

/// The fixture, as any user can make it: files, directories, symlinks in
/// and out of the root, a FIFO and a Unix socket.
pub fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let outside = dir.path();
    std::fs::write(outside.join("secret.txt"), SECRET).unwrap();
    std::fs::create_dir(outside.join("secret-dir")).unwrap();
    std::fs::write(outside.join("secret-dir/inner.txt"), SECRET).unwrap();
    let root = outside.join("site");
    let files: &[(&str, &[u8])] = &[
        ("index.html", b"<!doctype html><h1>home</h1>\n"),
        ("hello.txt", b"hello\n"),
        ("empty.txt", b""),
        ("hello world.txt", b"spaces\n"),
        ("\u{65e5}\u{672c}\u{8a9e}.txt", b"cjk\n"),
        ("100%.txt", b"percent\n"),
        ("a&b <c>.txt", b"markup\n"),
        ("style.css", b"body{}\n"),
        ("app.js", b"console.log(1)\n"),
        ("data.json", b"{\"a\":1}\n"),
        ("image.png", b"\x89PNG\r\n\x1a\n"),
        ("noext", b"no extension\n"),
        ("UPPER.HTML", b"<p>upper</p>\n"),
        (".env", HIDDEN),
        (".git/config", HIDDEN),
        ("docs/readme.md", b"# readme\n"),
        ("docs/guide/index.html", b"<h1>guide</h1>\n"),
        ("nested/a/b/c.txt", b"deep\n"),
        ("space dir/index.html", b"<h1>space dir</h1>\n"),
        (
            ".well-known/security.txt",
            b"Contact: mailto:security@example.test\n",
        ),
        ("alt/index.htm", b"<h1>htm index</h1>\n"),
        // Precompressed twins (the bytes only stand in for compressed data).
        ("app.js.br", b"br-bytes of app.js"),
        ("app.js.gz", b"gzip-bytes of app.js"),
        ("style.css.gz", b"gzip-bytes of style.css"),
        // The page DOCROOT_NOT_FOUND names (a 404.html would be the site's own,
        // which tests/pages.rs tries).
        ("not-found.html", b"<h1>custom not found</h1>\n"),
        ("app.html", b"<h1>single-page app shell</h1>\n"),
    ];
    for (name, content) in files {
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    std::fs::write(root.join("big.bin"), big_bytes()).unwrap();
    // A modification time before 1970, which no HTTP-date can name.
    std::fs::create_dir(root.join("odd-times")).unwrap();
    let old = std::fs::File::create(root.join("odd-times/1960.txt")).unwrap();
    old.set_modified(std::time::UNIX_EPOCH - Duration::from_secs(10 * 365 * 86_400))
        .unwrap();
    std::fs::create_dir(root.join("empty-dir")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::symlink;
        symlink("../secret.txt", root.join("link-out.txt")).unwrap();
        symlink(outside.join("secret.txt"), root.join("abs-link-out.txt")).unwrap();
        symlink("../secret-dir", root.join("dir-link-out")).unwrap();
        symlink("..", root.join("parent-link")).unwrap();
        symlink("hello.txt", root.join("link-in.txt")).unwrap();
        symlink("docs", root.join("docs-link")).unwrap();
        symlink("../hello.txt", root.join("docs/up.txt")).unwrap();
        symlink("missing.txt", root.join("broken-link.txt")).unwrap();
        // A FIFO: opening it for reading would block until a writer came.
        let status = Command::new("mkfifo")
            .arg(root.join("fifo"))
            .status()
            .expect("mkfifo");
        assert!(status.success(), "mkfifo in a temporary directory");
        // A Unix socket (the listener closes; its file stays).
        std::os::unix::net::UnixListener::bind(root.join("socket")).expect("a Unix socket");
    }
    Fixture { dir }
}

/// The fixture with a character device (like `/dev/null`) at `/device`
/// too. Making one needs root (CAP_MKNOD), so the tests that use it are
/// `#[ignore]`d with this reason, and `scripts/test` runs them when it can
/// make a device node (as CI, which runs as root, does).
pub fn fixture_with_device() -> Fixture {
    let fx = fixture();
    let status = Command::new("mknod")
        .arg(fx.root().join("device"))
        .args(["c", "1", "3"])
        .status()
        .expect("running mknod");
    assert!(status.success(), "{NEEDS_MKNOD}");
    fx
}

/// Why the tests with a device node are ignored unless asked for.
pub const NEEDS_MKNOD: &str =
    "makes a device node, which needs root; scripts/test runs it when mknod works";

/// The two components one build makes, from the same core.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Build {
    /// `docroot.wasm`: WASI 0.3, `wasi:http/handler@0.3`. The default.
    P3,
    /// `docroot_p2.wasm`: WASI 0.2, `wasi:http/incoming-handler@0.2`.
    P2,
}

impl Build {
    /// Both, the default first.
    pub const ALL: [Build; 2] = [Build::P3, Build::P2];

    /// The built component's path (after [`component`] has built it).
    pub fn file_name(self) -> &'static str {
        match self {
            Build::P3 => "docroot.wasm",
            Build::P2 => "docroot_p2.wasm",
        }
    }
}

/// Builds both release components once per test binary, with the README's
/// build command, and returns the path of `build`'s.
pub fn component(build: Build) -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
            let status = Command::new(env!("CARGO"))
                .args(["build", "--release", "--target", "wasm32-wasip2", "--workspace"])
                .current_dir(manifest)
                .status()
                .expect("running cargo build");
            assert!(
                status.success(),
                "building the components failed (is the target installed? rustup target add wasm32-wasip2)"
            );
            manifest.join("target/wasm32-wasip2/release")
        })
        .join(build.file_name())
}

/// The build of both components with the feature `test-stall-limit`, whose
/// stall limit is `docroot::stall::TEST_LIMIT_NS` (seconds) instead of 60 s:
/// `cargo` with these arguments, in the repository. Its own target
/// directory keeps the shipped components as they are; `./scripts/test`
/// makes the same build.
pub const TEST_STALL_BUILD: &[&str] = &[
    "build",
    "--release",
    "--target",
    "wasm32-wasip2",
    "--package",
    "docroot-p3",
    "--package",
    "docroot-p2",
    "--features",
    "docroot-p3/test-stall-limit,docroot-p2/test-stall-limit",
    "--target-dir",
    "target/test-stall-limit",
];

/// Builds both components with the tests' short stall limit once per test
/// binary ([`TEST_STALL_BUILD`]), and returns the path of `build`'s. Only
/// the tests of the stall limit run these.
pub fn test_stall_component(build: Build) -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
            let status = Command::new(env!("CARGO"))
                .args(TEST_STALL_BUILD)
                .current_dir(manifest)
                .status()
                .expect("running cargo build");
            assert!(
                status.success(),
                "building the components with the test stall limit failed"
            );
            manifest.join("target/test-stall-limit/wasm32-wasip2/release")
        })
        .join(build.file_name())
}

/// The wasmtime CLI: `$WASMTIME`, or `wasmtime` on PATH. A missing CLI is a
/// failure that says how to install it, never a skipped test.
pub fn wasmtime() -> String {
    let bin = std::env::var("WASMTIME").unwrap_or_else(|_| "wasmtime".to_owned());
    match Command::new(&bin).arg("--version").output() {
        Ok(out) if out.status.success() => bin,
        _ => panic!(
            "the wasmtime CLI was not found ({bin}). Install it with\n  \
             ./scripts/setup\n\
             (wasmtime-cli 48.0.8 with the features docroot uses), or run \
             ./scripts/test, which does."
        ),
    }
}

/// A running host serving the component, killed on drop; a test whose
/// host said a guest panicked or trapped fails then ([`guest_failures`]).
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    output: Arc<Mutex<String>>,
    /// The threads that copy the host's stdout and stderr into `output`.
    readers: Vec<std::thread::JoinHandle<()>>,
    /// Whether dropping it fails the test on a guest panic or trap in the
    /// host's output.
    guarded: bool,
    /// A temporary directory the host works in (jco transpiles into one),
    /// removed with the server.
    pub scratch: Option<tempfile::TempDir>,
}

impl Server {
    /// Starts `wasmtime serve -S cli --addr 127.0.0.1:0 --dir DIR::GUEST`
    /// with `build`'s component, `env` and extra `flags`.
    pub fn start_with(
        build: Build,
        dir: &Path,
        guest: &str,
        env: &[(&str, &str)],
        flags: &[&str],
    ) -> Server {
        Server::start_component(&component(build), dir, guest, env, flags)
    }

    /// [`Server::start_with`] for the component at `component`.
    pub fn start_component(
        component: &Path,
        dir: &Path,
        guest: &str,
        env: &[(&str, &str)],
        flags: &[&str],
    ) -> Server {
        let mut cmd = Command::new(wasmtime());
        cmd.args(["serve", "-S", "cli", "--addr", "127.0.0.1:0"])
            .args(flags)
            .arg("--dir")
            .arg(format!("{}::{guest}", dir.display()));
        for (k, v) in env {
            cmd.arg("--env").arg(format!("{k}={v}"));
        }
        cmd.arg(component)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        Server::spawn(cmd)
    }

    /// Spawns `cmd` (a `wasmtime serve` command) and waits for its address.
    pub fn spawn(cmd: Command) -> Server {
        Server::spawn_until(cmd, |line| {
            line.strip_prefix("Serving HTTP on http://")
                .map(|rest| rest.trim_end_matches('/').to_owned())
        })
    }

    /// Spawns a server and waits for the line from which `ready` reads its address.
    pub fn spawn_until(
        cmd: Command,
        ready: impl Fn(&str) -> Option<String> + Send + Sync + Copy + 'static,
    ) -> Server {
        Server::try_spawn_until(cmd, ready).unwrap_or_else(|why| panic!("{why}"))
    }

    /// [`Server::spawn_until`], returning why the host did not come up
    /// (it exited, or printed no address within 120 s) instead of panicking.
    pub fn try_spawn_until(
        mut cmd: Command,
        ready: impl Fn(&str) -> Option<String> + Send + Sync + Copy + 'static,
    ) -> Result<Server, String> {
        let mut child = cmd.spawn().expect("starting the host");
        let output = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut readers = Vec::new();
        for (stream, tx) in [
            (Box::new(stderr) as Box<dyn Read + Send>, Some(tx.clone())),
            (Box::new(stdout), Some(tx)),
        ] {
            let output = output.clone();
            readers.push(std::thread::spawn(move || {
                // Every line to the end, whatever its bytes: a line that is
                // not UTF-8 must not end the reading (the host would then
                // block on a full pipe, and the guard see half the output).
                for line in BufReader::new(stream).split(b'\n') {
                    let Ok(line) = line else { break };
                    let line = String::from_utf8_lossy(&line);
                    let line = line.trim_end_matches('\r');
                    if let Some(addr) = ready(line)
                        && let Some(tx) = &tx
                    {
                        let _ = tx.send(addr);
                    }
                    let mut out = output.lock().unwrap();
                    out.push_str(line);
                    out.push('\n');
                }
            }));
        }
        let addr = rx.recv_timeout(Duration::from_secs(120));
        let mut server = Server {
            child,
            addr: "127.0.0.1:0".parse().unwrap(),
            output,
            readers,
            guarded: true,
            scratch: None,
        };
        match addr {
            Ok(addr) => {
                server.addr = addr.parse().expect("an address in the host's output");
                Ok(server)
            }
            Err(_) => {
                // The caller gets the output, and decides (jco is tried
                // again): the guard on it is not this drop's to run.
                server.guarded = false;
                Err(format!(
                    "the host exited or printed no address within 120 s; its output:\n{}",
                    server.output()
                ))
            }
        }
    }

    /// Whether the host process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Everything the server printed so far (stderr and stdout).
    pub fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    /// The server's output as it grows, for a connection to report.
    pub fn output_handle(&self) -> Arc<Mutex<String>> {
        self.output.clone()
    }

    /// Waits (up to 10 s) until the server's output holds every one of
    /// `needles`, and returns it. Lines arrive through a reader thread, and
    /// some are written after the response, so a test never just looks once.
    pub fn wait_for(&self, needles: &[&str]) -> String {
        self.wait_for_within(needles, Duration::from_secs(10))
    }

    /// [`Server::wait_for`], waiting up to `limit`.
    pub fn wait_for_within(&self, needles: &[&str], limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        loop {
            let out = self.output();
            if needles.iter().all(|n| out.contains(n)) {
                return out;
            }
            assert!(
                Instant::now() < deadline,
                "the output lacks one of {needles:?}:\n{out}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Sends raw bytes on a new connection and reads the whole answer
    /// (until the server closes).
    pub fn raw(&self, request: &[u8]) -> Vec<u8> {
        self.conn().send(request).read_to_close()
    }

    /// The host's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The resident memory of the host's process, in KiB (Linux).
    pub fn resident_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS in /proc/PID/status")
    }

    /// A new raw connection to the server.
    pub fn conn(&self) -> client::Conn {
        client::Conn::open(self.addr).reporting(self.output.clone())
    }

    /// `METHOD path` with extra headers, `Connection: close`, parsed.
    pub fn request(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> Reply {
        let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.addr);
        for (name, value) in headers {
            req.push_str(&format!("{name}: {value}\r\n"));
        }
        req.push_str("Connection: close\r\n\r\n");
        let raw = self.raw(req.as_bytes());
        Reply::parse(&raw, method == "HEAD").unwrap_or_else(|| {
            panic!(
                "unparsable answer to {method} {path}: {:?}; server output:\n{}",
                String::from_utf8_lossy(&raw),
                self.output()
            )
        })
    }

    pub fn get(&self, path: &str) -> Reply {
        self.request("GET", path, &[])
    }
}

impl Drop for Server {
    /// Kills the host and every process under it: `jco serve` runs the
    /// server in a child process, which killing jco alone would leave
    /// serving. (Not a process group of its own: then Ctrl-C on the tests
    /// would not reach the hosts.)
    ///
    /// Then the host's whole output is read (its pipes close with it) and
    /// any line saying that a guest panicked or trapped fails the test,
    /// though every assertion passed: a trap ends an instance and every
    /// request it was serving, and must never pass as a flaky 500.
    fn drop(&mut self) {
        let tree = descendants(self.child.id());
        let _ = self.child.kill();
        if !tree.is_empty() {
            let _ = Command::new("kill")
                .args(["-s", "KILL", "--"])
                .args(tree.iter().map(u32::to_string))
                .status();
        }
        let _ = self.child.wait();
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.readers.iter().any(|r| !r.is_finished()) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        if std::thread::panicking() || !self.guarded {
            return;
        }
        let output = self.output();
        let failures = guest_failures(&output);
        assert!(
            failures.is_empty(),
            "the host says a guest panicked or trapped:\n  {}\nits whole output:\n{output}",
            failures.join("\n  ")
        );
    }
}

/// The lines of a host's output that say a guest panicked or trapped: each
/// starts with one of the phrases in `tests/guest-failures.txt` (which the
/// soak and the benchmark read too), the words the hosts docroot runs on
/// print, once wasmtime serve's `stderr [N] :: ` prefixes and white space
/// are taken off.
pub fn guest_failures(output: &str) -> Vec<&str> {
    let phrases: Vec<&str> = include_str!("../guest-failures.txt")
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    output
        .lines()
        .filter(|line| {
            let text = without_host_prefixes(line);
            phrases.iter().any(|p| text.starts_with(p))
        })
        .collect()
}

/// `line` without the `stderr [N] :: ` prefixes wasmtime serve puts before
/// a guest's output (several when instances' lines run together) and the
/// white space before the text.
fn without_host_prefixes(line: &str) -> &str {
    let mut text = line.trim_start();
    while let Some(rest) = text.strip_prefix("stderr [")
        && let Some((n, rest)) = rest.split_once("] :: ")
        && !n.is_empty()
        && n.bytes().all(|b| b.is_ascii_digit())
    {
        text = rest.trim_start();
    }
    text
}

/// Every process below `root`, from /proc.
fn descendants(root: u32) -> Vec<u32> {
    let parents: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let pid = entry.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            // pid (comm) state ppid …; comm may hold spaces and parentheses.
            let ppid = stat
                .rsplit_once(')')?
                .1
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            Some((pid, ppid))
        })
        .collect();
    let mut found = vec![root];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        found.extend(
            parents
                .iter()
                .filter(|(_, p)| *p == parent)
                .map(|(c, _)| *c),
        );
        i += 1;
    }
    found.remove(0);
    found
}

/// A parsed HTTP/1.1 response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    /// Parses one response that ends at connection close; `None` when malformed
    /// or shorter than its `Content-Length`.
    pub fn parse(raw: &[u8], head: bool) -> Option<Reply> {
        let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
        let head_text = std::str::from_utf8(&raw[..end]).ok()?;
        let mut lines = head_text.split("\r\n");
        let status_line = lines.next()?;
        let status = status_line.split(' ').nth(1)?.parse().ok()?;
        let headers: Vec<(String, String)> = lines
            .map(|l| {
                let (n, v) = l.split_once(':').unwrap_or((l, ""));
                (n.trim().to_ascii_lowercase(), v.trim().to_owned())
            })
            .collect();
        let mut body = raw[end + 4..].to_vec();
        let reply = Reply {
            status,
            headers,
            body: Vec::new(),
        };
        if head {
            return Some(reply);
        }
        if let Some(len) = reply.header("content-length") {
            let len: usize = len.parse().ok()?;
            if body.len() < len {
                return None;
            }
            body.truncate(len);
        } else if reply.header("transfer-encoding") == Some("chunked") {
            body = dechunk(&body)?;
        }
        Some(Reply { body, ..reply })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn dechunk(mut raw: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = raw.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&raw[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        raw = &raw[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(raw.get(..size)?);
        raw = raw.get(size + 2..)?;
    }
}

/// Whether `haystack` contains `needle`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Every `mem=NKiB` field of the access log in a host's output, wherever
/// the host broke lines: wasmtime serve writes each instance's prefix and
/// text as separate writes, so instances that run at once can share a line
/// (`stderr [2] :: stderr [3] :: GET /a … mem=1152KiB`). docroot writes each
/// record whole, in one write, so the field itself is never split.
pub fn memory_fields(output: &str) -> Vec<u64> {
    output
        .match_indices(" mem=")
        .filter_map(|(at, field)| {
            let rest = &output[at + field.len()..];
            let digits = rest.find(|c: char| !c.is_ascii_digit())?;
            if rest[digits..].starts_with("KiB") {
                rest[..digits].parse().ok()
            } else {
                None
            }
        })
        .collect()
}

/// The instance that wrote the first line of `output` holding `needle`, as
/// wasmtime serve's prefix names it (`stderr [N] :: `), when that line has
/// one before the needle.
pub fn instance_of(output: &str, needle: &str) -> Option<u64> {
    let line = output.lines().find(|line| line.contains(needle))?;
    let before = &line[..line.find(needle)?];
    let start = before.rfind("stderr [")? + "stderr [".len();
    before[start..].split_once(']')?.0.parse().ok()
}
