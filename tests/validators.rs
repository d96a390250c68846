//! Validators from content, request → response: a file's `ETag` names its
//! bytes, so copies of one site made at different times (replicas, a host
//! that copies the files at every start) agree on it, and an edit that
//! keeps the size and puts the old time back still gets a new tag. A packed
//! site's manifest gives every file its tag and `Last-Modified`, and is
//! believed only where it agrees with the file.
//!
//! Each case runs through both ways a request is served: with nothing kept
//! (`docroot_p2.wasm`, and `docroot.wasm` with the file cache off: a file
//! of up to 16 KiB is read whole for its digest) and through the
//! per-instance file cache (`docroot.wasm`: the files it holds, up to 128
//! KiB).

mod common;

use common::inproc::{Answer, answer, config, now, request};
use docroot::app;
use docroot::cache::{Cache, CachedFile};
use docroot::codec::WHOLE_MAX;
use docroot::config::Config;
use docroot::digest::{Digest, READ_MAX};
use docroot::fs::StdFiles;
use docroot::http::Request;
use docroot::manifest::{self, Entry, MANIFEST};
use docroot::rules::Loader;
use std::cell::Cell;
use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How a request is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Way {
    /// Nothing kept between requests.
    Plain,
    /// Through a file cache, each request a second after the last.
    Cached,
}

const WAYS: [Way; 2] = [Way::Plain, Way::Cached];

/// One instance of docroot over a site directory.
struct Server {
    way: Way,
    config: Config,
    cache: Cache<StdFiles>,
    loader: Loader,
    clock: Cell<u64>,
    /// The lines for stderr of every response so far.
    notes: std::cell::RefCell<Vec<String>>,
}

impl Server {
    fn new(root: &Path, way: Way, vars: &[(&str, &str)]) -> Server {
        Server {
            way,
            config: config(vars),
            cache: Cache::new(StdFiles::new(root).unwrap(), Some(Duration::from_secs(1))),
            loader: Loader::new(),
            clock: Cell::new(0),
            notes: Default::default(),
        }
    }

    fn send(&self, req: &Request) -> Answer {
        let bytes = |file: &File| {
            let mut file = file;
            file.seek(SeekFrom::Start(0)).unwrap();
            let mut buf = Vec::new();
            file.read_to_end(&mut buf).unwrap();
            buf
        };
        let keep = |notes: &mut Vec<String>| self.notes.borrow_mut().append(notes);
        match self.way {
            Way::Plain => {
                let mut response = docroot::ready::run(app::handle_with(
                    req,
                    &self.config,
                    self.cache.inner(),
                    now,
                    &self.loader,
                ));
                keep(&mut response.notes);
                answer(response, bytes)
            }
            Way::Cached => {
                // A second later each time: past the recheck interval.
                self.clock.set(self.clock.get() + 1_000_000_001);
                let view = self.cache.view(|| self.clock.get());
                let mut response = docroot::ready::run(app::handle_cached(
                    req,
                    &self.config,
                    &view,
                    now,
                    &self.loader,
                ));
                keep(&mut response.notes);
                answer(response, |file| match file {
                    CachedFile::Held(held) => held.to_vec(),
                    CachedFile::Open(open) => bytes(open),
                })
            }
        }
    }

    fn get(&self, target: &str, headers: &[(&str, &str)]) -> Answer {
        self.send(&request("GET", target, headers))
    }
}

fn header<'a>(answer: &'a Answer, name: &str) -> Option<&'a str> {
    answer
        .1
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.as_str())
}

fn etag(answer: &Answer) -> String {
    header(answer, "etag").expect("an ETag").to_owned()
}

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn set_mtime(path: &Path, t: SystemTime) {
    File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(t)
        .unwrap();
}

/// Writes `bytes` at `root/name` modified at `t`.
fn write(root: &Path, name: &str, bytes: &[u8], t: SystemTime) {
    let path = root.join(name);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, bytes).unwrap();
    set_mtime(&path, t);
}

/// Text of `len` bytes, compressible, varied by `seed`.
fn text(len: usize, seed: u8) -> Vec<u8> {
    let words = ["alpha ", "beta ", "gamma ", "delta\n", "epsilon "];
    let mut out = Vec::with_capacity(len + 8);
    let mut i = usize::from(seed);
    while out.len() < len {
        out.extend_from_slice(words[i % words.len()].as_bytes());
        i = (i * 7 + 3) % 1009;
    }
    out.truncate(len);
    out
}

/// A small site: a page, a stylesheet with a precompressed sibling, and a
/// file too large to be held, all modified at `t`.
fn site(root: &Path, t: SystemTime) {
    write(root, "index.html", &text(3000, 1), t);
    write(root, "a b/c%d.txt", b"awkward", t);
    write(root, "style.css", &text(5000, 2), t);
    write(root, "style.css.br", b"not really brotli", t);
    write(root, "medium.txt", &text(READ_MAX as usize + 10, 4), t);
    write(root, "big.bin", &text(WHOLE_MAX as usize + 10, 3), t);
}

/// The manifest of the files under `root`, as a pack writes it, with each
/// file's own size and time (`edit` may change an entry).
fn pack(root: &Path, edit: impl Fn(&str, &mut Entry)) {
    let mut entries = Vec::new();
    for entry in walk(root) {
        let rel = entry.strip_prefix(root).unwrap();
        let names: Vec<String> = rel.iter().map(|n| n.to_str().unwrap().to_owned()).collect();
        if names == [MANIFEST] {
            continue;
        }
        let bytes = fs::read(&entry).unwrap();
        let mut e = Entry {
            digest: Digest::of(&bytes),
            len: bytes.len() as u64,
            modified: Some(fs::metadata(&entry).unwrap().modified().unwrap()),
        };
        edit(&names.join("/"), &mut e);
        entries.push((names, e));
    }
    fs::write(root.join(MANIFEST), manifest::render(&entries)).unwrap();
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// A copy of `from` at `to`, every file's time set to `t` (what a host
/// that copies the site at start does).
fn copy(from: &Path, to: &Path, t: SystemTime) {
    for file in walk(from) {
        let target = to.join(file.strip_prefix(from).unwrap());
        fs::create_dir_all(target.parent().unwrap()).unwrap();
        fs::copy(&file, &target).unwrap();
        set_mtime(&target, t);
    }
}

const PATHS: [&str; 5] = [
    "/index.html",
    "/a%20b/c%25d.txt",
    "/style.css",
    "/medium.txt",
    "/big.bin",
];

#[test]
fn copies_made_at_different_times_agree_on_the_tags_of_what_is_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    site(&a, at(1_600_000_000));
    copy(&a, &b, at(1_700_000_000));
    for way in WAYS {
        let (sa, sb) = (Server::new(&a, way, &[]), Server::new(&b, way, &[]));
        for path in ["/index.html", "/a%20b/c%25d.txt", "/style.css"] {
            for ae in ["", "gzip", "br", "br, gzip"] {
                let h = [("accept-encoding", ae)];
                let (ra, rb) = (sa.get(path, &h), sb.get(path, &h));
                assert_eq!(ra.0, 200, "{way:?} {path} {ae}");
                assert_eq!(etag(&ra), etag(&rb), "{way:?} {path} {ae}");
                assert_eq!(ra.2, rb.2, "{way:?} {path} {ae}");
                // Revalidated and resumed on the other copy.
                let tag = etag(&ra);
                let inm = [("if-none-match", tag.as_str()), ("accept-encoding", ae)];
                assert_eq!(sb.get(path, &inm).0, 304, "{way:?} {path} {ae}");
            }
            let tag = etag(&sa.get(path, &[]));
            let resumed = sb.get(path, &[("range", "bytes=2-"), ("if-range", &tag)]);
            assert_eq!(resumed.0, 206, "{way:?} {path}");
            // Last-Modified is each copy's own: only a manifest records one.
            assert_ne!(
                header(&sa.get(path, &[]), "last-modified"),
                header(&sb.get(path, &[]), "last-modified")
            );
        }
        // A file too large to read whole is named by its size and time.
        assert_ne!(
            etag(&sa.get("/big.bin", &[])),
            etag(&sb.get("/big.bin", &[]))
        );
        let tag = etag(&sa.get("/index.html", &[]));
        assert_eq!(tag.len(), 34, "32 hex digits in quotes: {tag}");
        assert_eq!(
            &tag[1..33],
            Digest::of(&fs::read(a.join("index.html")).unwrap()).to_string()
        );
        // The sibling is named by its own bytes, and says how it is coded.
        let br = etag(&sa.get("/style.css", &[("accept-encoding", "br")]));
        assert_eq!(br, format!("\"{}-br\"", Digest::of(b"not really brotli")));
    }
}

#[test]
fn a_same_size_edit_with_the_old_time_put_back_gets_a_new_tag() {
    for way in WAYS {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let t = at(1_600_000_000);
        site(root, t);
        let server = Server::new(root, way, &[]);
        let before = server.get("/index.html", &[]);
        let mut edited = before.2.clone();
        edited[0] ^= 1;
        write(root, "index.html", &edited, t);
        let after = server.get("/index.html", &[]);
        assert_eq!(after.2, edited, "{way:?}");
        assert_ne!(etag(&after), etag(&before), "{way:?}");
        assert_eq!(
            header(&after, "last-modified"),
            header(&before, "last-modified")
        );
        // The old tag no longer validates, nor resumes into the new bytes.
        let old = etag(&before);
        assert_eq!(server.get("/index.html", &[("if-none-match", &old)]).0, 200);
        let resumed = server.get("/index.html", &[("range", "bytes=5-"), ("if-range", &old)]);
        assert_eq!((resumed.0, resumed.2), (200, edited));
    }
}

#[test]
fn a_packed_site_takes_every_tag_and_date_from_its_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let packed = at(1_600_000_000);
    site(&a, packed);
    pack(&a, |_, _| {});
    copy(&a, &b, at(1_700_000_000));
    for way in WAYS {
        let (sa, sb) = (Server::new(&a, way, &[]), Server::new(&b, way, &[]));
        for path in PATHS {
            for ae in ["", "br"] {
                let h = [("accept-encoding", ae)];
                let (ra, rb) = (sa.get(path, &h), sb.get(path, &h));
                assert_eq!(ra.0, 200, "{way:?} {path}");
                assert_eq!(etag(&ra), etag(&rb), "{way:?} {path}");
                assert_eq!(
                    header(&rb, "last-modified"),
                    Some(&*httpdate::fmt_http_date(packed)),
                    "{way:?} {path}: the time recorded, not the copy's"
                );
                let ims = httpdate::fmt_http_date(packed);
                assert_eq!(sb.get(path, &[("if-modified-since", &ims)]).0, 304);
            }
            let tag = etag(&sa.get(path, &[]));
            let resumed = sb.get(path, &[("range", "bytes=3-"), ("if-range", &tag)]);
            assert_eq!(resumed.0, 206, "{way:?} {path}");
        }
        // The large file too, by the digest the manifest records.
        let big = Digest::of(&fs::read(a.join("big.bin")).unwrap());
        assert_eq!(etag(&sb.get("/big.bin", &[])), format!("\"{big}\""));
        assert!(sa.notes.borrow().is_empty(), "{:?}", sa.notes.borrow());
    }
}

#[test]
fn the_manifest_is_used_with_the_site_rules_off_and_never_served() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    site(root, at(1_600_000_000));
    pack(root, |_, e| e.modified = Some(at(1_500_000_000)));
    for way in WAYS {
        let off = Server::new(root, way, &[("DOCROOT_SITE_RULES", "off")]);
        assert_eq!(
            header(&off.get("/big.bin", &[]), "last-modified"),
            Some(&*httpdate::fmt_http_date(at(1_500_000_000)))
        );
        let open = Server::new(
            root,
            way,
            &[("DOCROOT_HIDDEN", "allow"), ("DOCROOT_LISTING", "on")],
        );
        for target in ["/_docroot-manifest", "/%5Fdocroot-manifest"] {
            assert_eq!(open.get(target, &[]).0, 404, "{target}");
        }
        // Nor through the site's own rules: a rewrite to it, or a 404 rule.
        fs::write(
            root.join("_redirects"),
            "/m /_docroot-manifest 200\n/n/* /_docroot-manifest 404\n",
        )
        .unwrap();
        let rules = Server::new(root, way, &[("DOCROOT_HIDDEN", "allow")]);
        for target in ["/m", "/n/x"] {
            let r = rules.get(target, &[]);
            assert_eq!(r.0, 404, "{way:?} {target}");
            assert!(!String::from_utf8_lossy(&r.2).contains("docroot-manifest 1"));
        }
        fs::remove_file(root.join("_redirects")).unwrap();
        let listing = open.get("/", &[]);
        assert!(!String::from_utf8_lossy(&listing.2).contains("manifest"));
    }
}

#[test]
fn an_entry_that_does_not_agree_with_its_file_is_ignored_once_said() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let t = at(1_600_000_000);
    site(root, t);
    let recorded = at(1_500_000_000);
    pack(root, |name, e| {
        e.modified = Some(recorded);
        match name {
            // Another size than the file's.
            "big.bin" => e.len += 1,
            // The size, but not the bytes, of the file (an edit in place).
            "index.html" => e.digest = Digest(7),
            _ => {}
        }
    });
    for way in WAYS {
        let server = Server::new(root, way, &[]);
        for _ in 0..3 {
            let index = server.get("/index.html", &[]);
            let digest = Digest::of(&fs::read(root.join("index.html")).unwrap());
            assert_eq!(etag(&index), format!("\"{digest}\""), "{way:?}");
            assert_eq!(
                header(&index, "last-modified"),
                Some(&*httpdate::fmt_http_date(t)),
                "the file's own time"
            );
            // Named by its size and time, as with no manifest.
            let big = server.get("/big.bin", &[]);
            assert!(
                etag(&big).contains('.') && etag(&big).len() < 34,
                "{}",
                etag(&big)
            );
            assert_eq!(
                header(&big, "last-modified"),
                Some(&*httpdate::fmt_http_date(t))
            );
            // The others still take theirs from it.
            let css = server.get("/style.css", &[]);
            assert_eq!(
                header(&css, "last-modified"),
                Some(&*httpdate::fmt_http_date(recorded))
            );
        }
        let notes = server.notes.borrow();
        assert_eq!(notes.len(), 2, "{way:?}: once a file: {notes:?}");
        assert!(
            notes.iter().any(|n| n.contains("\"big.bin\" says")),
            "{notes:?}"
        );
        assert!(
            notes
                .iter()
                .any(|n| n.contains("\"index.html\" has another digest")),
            "{notes:?}"
        );
    }
}

#[test]
fn a_manifest_cut_short_or_not_a_manifest_is_ignored_whole_and_the_site_served() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let t = at(1_600_000_000);
    site(root, t);
    pack(root, |_, e| e.modified = Some(at(1_500_000_000)));
    let whole = fs::read(root.join(MANIFEST)).unwrap();
    for bad in [
        whole[..whole.len() - 7].to_vec(),
        b"\x89PNG\r\n\x1a\n\0\0\0".to_vec(),
        Vec::new(),
    ] {
        fs::write(root.join(MANIFEST), &bad).unwrap();
        for way in WAYS {
            let server = Server::new(root, way, &[]);
            for path in PATHS {
                let r = server.get(path, &[]);
                assert_eq!(r.0, 200, "{way:?} {path}");
                assert_eq!(
                    header(&r, "last-modified"),
                    Some(&*httpdate::fmt_http_date(t)),
                    "{way:?} {path}: the file's own"
                );
            }
            let notes = server.notes.borrow();
            assert_eq!(notes.len(), 1, "{way:?}: one line: {notes:?}");
            assert!(
                notes[0].starts_with("site manifest: _docroot-manifest: "),
                "{notes:?}"
            );
        }
    }
}
