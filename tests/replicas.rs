//! Three replicas behind a real load balancer, as an operator runs them:
//! three `wasmtime serve` of one build, each on its own copy of the site
//! made at a different time (what a host that copies the files at every
//! start gives each replica), and Debian's haproxy in front, round-robin.
//! Through it, every file and coding must have one `ETag` and one
//! `Last-Modified` whichever replica answers, every revalidation must be a
//! 304 and every `If-Range` a 206.
//!
//! On copies of a packed tree (`scripts/pack`: `docroot-pack`, built here)
//! that holds for every file; on copies of a tree not packed, for the
//! files docroot reads whole (up to 128 KiB in `docroot.wasm`, 16 KiB in
//! `docroot_p2.wasm`), whose `ETag` is their digest; `Last-Modified` is
//! then each copy's own.
//!
//! haproxy cannot listen on port 0, so the test listens on port 0 itself
//! and hands haproxy that socket as its standard input (`bind fd@0`).

mod common;

use common::{Build, Reply, Server};
use std::fs;
use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// `docroot-pack`, built once for this run.
fn pack_tool() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
            let status = Command::new(env!("CARGO"))
                .args(["build", "--locked", "--quiet", "--package", "docroot-pack"])
                .current_dir(repo)
                .status()
                .expect("running cargo build");
            assert!(status.success(), "building docroot-pack failed");
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| repo.join("target"));
            target.join("debug/docroot-pack")
        })
        .clone()
}

/// haproxy in front of `backends`, round-robin, one request a connection
/// to each; it names the replica that answered in `x-replica`. Killed on
/// drop.
struct Balancer {
    child: Child,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Balancer {
    fn start(backends: &[SocketAddr]) -> Balancer {
        let dir = tempfile::tempdir().unwrap();
        let mut config = String::from(
            "defaults\n  mode http\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\n\
             frontend site\n  bind fd@0\n  default_backend replicas\n\
             backend replicas\n  balance roundrobin\n  http-reuse never\n\
             \x20 http-response set-header x-replica %[srv_name]\n",
        );
        for (i, addr) in backends.iter().enumerate() {
            config.push_str(&format!("  server r{i} {addr}\n"));
        }
        let path = dir.path().join("haproxy.cfg");
        fs::write(&path, config).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let haproxy = std::env::var("HAPROXY").unwrap_or_else(|_| "haproxy".to_owned());
        let child = Command::new(&haproxy)
            .arg("-f")
            .arg(&path)
            .arg("-db")
            .stdin(Stdio::from(std::os::fd::OwnedFd::from(listener)))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "haproxy ({haproxy}) did not start: {e}; ./scripts/setup --haproxy installs it"
                )
            });
        let balancer = Balancer {
            child,
            addr,
            _dir: dir,
        };
        // The socket listens already; haproxy answers once it has read its
        // configuration: poll, with a deadline.
        let deadline = Instant::now() + Duration::from_secs(30);
        while balancer.try_get("/").is_none() {
            assert!(
                Instant::now() < deadline,
                "haproxy did not answer within 30 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        balancer
    }

    fn try_get(&self, path: &str) -> Option<Reply> {
        let mut conn = std::net::TcpStream::connect(self.addr).ok()?;
        conn.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
        let req = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.addr
        );
        conn.write_all(req.as_bytes()).ok()?;
        let mut raw = Vec::new();
        std::io::Read::read_to_end(&mut conn, &mut raw).ok()?;
        Reply::parse(&raw, false)
    }

    fn request(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        let mut req = format!("GET {path} HTTP/1.1\r\nHost: {}\r\n", self.addr);
        for (name, value) in headers {
            req.push_str(&format!("{name}: {value}\r\n"));
        }
        req.push_str("Connection: close\r\n\r\n");
        let raw = common::client::Conn::open(self.addr)
            .send(req.as_bytes())
            .read_to_close();
        Reply::parse(&raw, false)
            .unwrap_or_else(|| panic!("unparsable: {:?}", String::from_utf8_lossy(&raw)))
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Text of `len` bytes, varied by `seed`.
fn text(len: usize, seed: usize) -> Vec<u8> {
    let words = [
        "docroot ",
        "serves ",
        "a site ",
        "from\n",
        "its files, ",
        "packed. ",
    ];
    let mut out = Vec::with_capacity(len + 16);
    let mut i = seed;
    while out.len() < len {
        out.extend_from_slice(words[i % words.len()].as_bytes());
        i = (i * 5 + 1) % 997;
    }
    out.truncate(len);
    out
}

/// The files of the site: path and bytes.
fn files() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("index.html", text(4_000, 1)),
        ("guide/a page.html", text(9_000, 2)),
        ("style.css", text(12_000, 3)),
        ("app.js", text(60_000, 4)),
        ("tiny.txt", b"hello".to_vec()),
        (
            "image.png",
            (0..3_000u32)
                .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
                .collect(),
        ),
        ("big.html", text(300_000, 5)),
    ]
}

/// The largest file `build` reads whole, whose `ETag` is then its digest
/// in a tree that was not packed: what `docroot.wasm`'s file cache holds,
/// and what `docroot_p2.wasm` reads to hash.
fn read_whole_max(build: Build) -> usize {
    match build {
        Build::P3 => docroot::cache::MAX_FILE as usize,
        Build::P2 => docroot::digest::READ_MAX as usize,
    }
}

fn url(path: &str) -> String {
    format!("/{}", path.replace(' ', "%20"))
}

fn write_site(root: &Path) {
    for (path, bytes) in files() {
        let file = root.join(path);
        fs::create_dir_all(file.parent().unwrap()).unwrap();
        fs::write(&file, bytes).unwrap();
    }
}

/// A plain copy of `from` at `to` (no times kept), every file's time then
/// set to `t`.
fn copy(from: &Path, to: &Path, t: SystemTime) {
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            fs::create_dir_all(&target).unwrap();
            copy(&entry.path(), &target, t);
        } else {
            fs::copy(entry.path(), &target).unwrap();
            fs::File::options()
                .write(true)
                .open(&target)
                .unwrap()
                .set_modified(t)
                .unwrap();
        }
    }
}

/// Three replicas of `build`, each on a copy of `tree` made at its own
/// time, and the balancer in front.
fn replicas(build: Build, tree: &Path, dir: &Path) -> (Vec<Server>, Balancer) {
    let servers: Vec<Server> = (0..3)
        .map(|i| {
            let copy_dir = dir.join(format!("replica-{i}"));
            fs::create_dir_all(&copy_dir).unwrap();
            copy(
                tree,
                &copy_dir,
                UNIX_EPOCH + Duration::from_secs(1_700_000_000 + i * 86_400),
            );
            Server::start_with(build, &copy_dir, "/", &[], &[])
        })
        .collect();
    let addrs: Vec<SocketAddr> = servers.iter().map(|s| s.addr).collect();
    let balancer = Balancer::start(&addrs);
    (servers, balancer)
}

/// Asks the balancer `path` three times in a row, so that each replica
/// answers once, and checks they agree on the validators (and
/// `Last-Modified` too when `dates`); the `ETag` and `Last-Modified`.
fn agreed(
    lb: &Balancer,
    path: &str,
    accept_encoding: &str,
    dates: bool,
) -> (String, Option<String>) {
    let answers: Vec<Reply> = (0..3)
        .map(|_| lb.request(path, &[("accept-encoding", accept_encoding)]))
        .collect();
    let replicas: std::collections::BTreeSet<_> = answers
        .iter()
        .map(|r| r.header("x-replica").unwrap().to_owned())
        .collect();
    assert_eq!(
        replicas.len(),
        3,
        "round-robin reaches every replica: {replicas:?}"
    );
    let first = &answers[0];
    assert_eq!(first.status, 200, "{path}");
    for other in &answers[1..] {
        assert_eq!(other.status, 200, "{path}");
        assert_eq!(
            other.header("etag"),
            first.header("etag"),
            "{path} {accept_encoding}"
        );
        assert_eq!(
            other.header("content-encoding"),
            first.header("content-encoding"),
            "{path} {accept_encoding}"
        );
        assert_eq!(other.body, first.body, "{path} {accept_encoding}");
        if dates {
            assert_eq!(
                other.header("last-modified"),
                first.header("last-modified"),
                "{path}"
            );
        }
    }
    (
        first.header("etag").expect("an ETag").to_owned(),
        first.header("last-modified").map(str::to_owned),
    )
}

/// Every revalidation through the balancer is a 304, and every resumed
/// download a 206 of the right bytes, whichever replica answers.
fn revalidated_and_resumed(
    lb: &Balancer,
    path: &str,
    bytes: &[u8],
    accept_encoding: &str,
    etag: &str,
) {
    for _ in 0..3 {
        let r = lb.request(
            path,
            &[
                ("if-none-match", etag),
                ("accept-encoding", accept_encoding),
            ],
        );
        assert_eq!(
            r.status,
            304,
            "{path} {accept_encoding} on {:?}",
            r.header("x-replica")
        );
    }
    if !accept_encoding.is_empty() {
        return;
    }
    for _ in 0..3 {
        let start = bytes.len() / 2;
        let range = format!("bytes={start}-");
        let r = lb.request(path, &[("range", &range), ("if-range", etag)]);
        assert_eq!(r.status, 206, "{path} on {:?}", r.header("x-replica"));
        assert_eq!(r.body, bytes[start..], "{path}");
    }
}

/// The site in `dir`, packed into `dir/packed` when `packed`: the tree the
/// replicas copy.
fn tree(dir: &Path, packed: bool) -> PathBuf {
    let src = dir.join("src");
    write_site(&src);
    if !packed {
        return src;
    }
    let out = dir.join("packed");
    let status = Command::new(pack_tool())
        .arg(&src)
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success(), "docroot-pack failed");
    out
}

fn check(build: Build, tree: &Path, packed: bool) {
    let dir = tempfile::tempdir().unwrap();
    let (_servers, lb) = replicas(build, tree, dir.path());
    for (path, bytes) in files() {
        if !packed && bytes.len() > read_whole_max(build) {
            continue;
        }
        let target = url(path);
        for accept_encoding in ["", "gzip", "br"] {
            let (etag, last_modified) = agreed(&lb, &target, accept_encoding, packed);
            revalidated_and_resumed(&lb, &target, &bytes, accept_encoding, &etag);
            if packed {
                // A client that keeps only the date revalidates too.
                let since = last_modified.expect("Last-Modified");
                for _ in 0..3 {
                    let r = lb.request(
                        &target,
                        &[
                            ("if-modified-since", &since),
                            ("accept-encoding", accept_encoding),
                        ],
                    );
                    assert_eq!(r.status, 304, "{target}");
                }
            }
        }
    }
}

#[test]
fn replicas_of_a_packed_tree_agree_on_every_validator() {
    let dir = tempfile::tempdir().unwrap();
    let packed = tree(dir.path(), true);
    for build in Build::ALL {
        check(build, &packed, true);
    }
}

#[test]
fn replicas_of_a_tree_not_packed_agree_on_the_files_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    let plain = tree(dir.path(), false);
    for build in Build::ALL {
        check(build, &plain, false);
    }
}
