//! `docroot-pack` run as a command on small trees: what it writes, what a
//! second pack leaves alone, what it redoes after an edit, what it
//! refuses, and that no link out of SRC or OUT is ever followed.

#![cfg(unix)]

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::Command;

use docroot::digest::Digest;
use docroot::manifest::{MANIFEST, Manifest};

/// Runs the pack on `src` and `out`: its exit status and stderr's lines.
fn pack(src: &Path, out: &Path) -> (i32, Vec<String>) {
    run(&[src.as_os_str(), out.as_os_str()])
}

fn run(args: &[&std::ffi::OsStr]) -> (i32, Vec<String>) {
    let output = Command::new(env!("CARGO_BIN_EXE_docroot-pack"))
        .args(args)
        .output()
        .unwrap();
    assert!(output.stdout.is_empty(), "stdout is for nothing");
    let stderr = String::from_utf8(output.stderr).unwrap();
    let lines = stderr.lines().map(str::to_owned).collect();
    (output.status.code().unwrap(), lines)
}

/// Packs, expecting success: the summary line.
fn pack_ok(src: &Path, out: &Path) -> String {
    let (status, lines) = pack(src, out);
    assert_eq!(status, 0, "{lines:#?}");
    let last = lines.last().cloned().unwrap_or_default();
    assert!(last.starts_with("docroot-pack: "), "{lines:#?}");
    last
}

/// Text worth coding, of `len` bytes, different for each `seed`.
fn text(len: usize, seed: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut n = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    while out.len() < len {
        n ^= n << 13;
        n ^= n >> 17;
        n ^= n << 5;
        let words = [
            "<p>", "docroot", "serves", "a", "site", "</p>\n", "the", "file",
        ];
        out.extend_from_slice(words[(n % 8) as usize].as_bytes());
        out.push(b' ');
    }
    out.truncate(len);
    out
}

/// Bytes that do not compress.
fn noise(len: usize) -> Vec<u8> {
    let mut n: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..len)
        .map(|_| {
            n ^= n << 7;
            n ^= n >> 9;
            n as u8
        })
        .collect()
}

/// A temporary directory holding `src/`, a site, and room for `out/`.
struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let fx = Fixture {
            dir: tempfile::tempdir().unwrap(),
        };
        fs::create_dir(fx.src()).unwrap();
        fx
    }

    /// A small site: two pages and a stylesheet worth coding, a text too
    /// short to code, an image, a link inside, an empty directory.
    fn site() -> Fixture {
        let fx = Fixture::new();
        fx.write("index.html", &text(3000, 1));
        fx.write("style.css", &text(1500, 2));
        fx.write("docs/guide/page.html", &text(2000, 3));
        fx.write("short.txt", b"too short to be worth coding\n");
        fx.write("image.png", &noise(2000));
        fs::create_dir_all(fx.src().join("empty")).unwrap();
        symlink("index.html", fx.src().join("home.html")).unwrap();
        fx
    }

    fn src(&self) -> PathBuf {
        self.dir.path().join("src")
    }

    fn out(&self) -> PathBuf {
        self.dir.path().join("out")
    }

    /// Writes `bytes` at `rel` in the site, with its directories.
    fn write(&self, rel: &str, bytes: &[u8]) {
        let path = self.src().join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, bytes).unwrap();
    }
}

/// Every file under `root` (not the manifest at its top), by its names.
fn files(root: &Path) -> BTreeMap<Vec<String>, PathBuf> {
    fn walk(dir: &Path, rel: &mut Vec<String>, into: &mut BTreeMap<Vec<String>, PathBuf>) {
        for entry in fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            rel.push(entry.file_name().into_string().unwrap());
            let kind = entry.file_type().unwrap();
            assert!(!kind.is_symlink(), "a symlink in the output: {rel:?}");
            if kind.is_dir() {
                walk(&entry.path(), rel, into);
            } else if !(rel.len() == 1 && rel[0] == MANIFEST) {
                into.insert(rel.clone(), entry.path());
            }
            rel.pop();
        }
    }
    let mut into = BTreeMap::new();
    walk(root, &mut Vec::new(), &mut into);
    into
}

/// What each file of `root` is on disk: its inode, modification and
/// status-change times (a rewrite, a `utimes` or a `chmod` changes one).
fn snapshot(root: &Path) -> BTreeMap<Vec<String>, (u64, i64, i64, i64)> {
    let mut all = files(root);
    all.insert(vec![MANIFEST.to_owned()], root.join(MANIFEST));
    all.into_iter()
        .map(|(rel, path)| {
            let m = fs::symlink_metadata(path).unwrap();
            (rel, (m.ino(), m.mtime_nsec(), m.ctime(), m.ctime_nsec()))
        })
        .collect()
}

fn manifest(out: &Path) -> Manifest {
    Manifest::parse(fs::read(out.join(MANIFEST)).unwrap().into()).unwrap()
}

/// Every file of `out` is in its manifest, with its digest, size and
/// modification time, and the manifest has no other line.
fn assert_manifest_agrees(out: &Path) {
    let m = manifest(out);
    let all = files(out);
    for (rel, path) in &all {
        let entry = m
            .lookup(rel)
            .unwrap_or_else(|| panic!("{rel:?} not in the manifest"));
        let bytes = fs::read(path).unwrap();
        assert_eq!(entry.digest, Digest::of(&bytes), "{rel:?}");
        assert_eq!(entry.len, bytes.len() as u64, "{rel:?}");
        let modified = fs::metadata(path).unwrap().modified().unwrap();
        assert_eq!(entry.modified, Some(modified), "{rel:?}");
    }
    let text = String::from_utf8(fs::read(out.join(MANIFEST)).unwrap()).unwrap();
    assert_eq!(text.lines().count(), all.len() + 1, "{text}");
}

fn rel(s: &str) -> Vec<String> {
    s.split('/').map(str::to_owned).collect()
}

fn brotli_decoded(path: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::Decompressor::new(fs::File::open(path).unwrap(), 4096)
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn gzip_decoded(path: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(fs::File::open(path).unwrap())
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn mtime(path: &Path) -> std::time::SystemTime {
    fs::metadata(path).unwrap().modified().unwrap()
}

#[test]
fn a_site_is_copied_with_its_siblings_and_a_manifest_that_agrees() {
    let fx = Fixture::site();
    fs::set_permissions(
        fx.src().join("style.css"),
        fs::Permissions::from_mode(0o640),
    )
    .unwrap();
    let summary = pack_ok(&fx.src(), &fx.out());
    let out = fx.out();
    let names: Vec<String> = files(&out).keys().map(|r| r.join("/")).collect();
    assert_eq!(
        names,
        [
            "docs/guide/page.html",
            "docs/guide/page.html.br",
            "docs/guide/page.html.gz",
            "home.html",
            "home.html.br",
            "home.html.gz",
            "image.png",
            "index.html",
            "index.html.br",
            "index.html.gz",
            "short.txt",
            "style.css",
            "style.css.br",
            "style.css.gz",
        ]
    );
    assert!(out.join("empty").is_dir());
    for name in [
        "index.html",
        "style.css",
        "docs/guide/page.html",
        "image.png",
    ] {
        let (from, to) = (fx.src().join(name), out.join(name));
        assert_eq!(fs::read(&to).unwrap(), fs::read(&from).unwrap(), "{name}");
        assert_eq!(mtime(&to), mtime(&from), "{name}");
    }
    for name in [
        "index.html",
        "style.css",
        "docs/guide/page.html",
        "home.html",
    ] {
        let bytes = fs::read(out.join(name)).unwrap();
        let br = out.join(format!("{name}.br"));
        let gz = out.join(format!("{name}.gz"));
        assert_eq!(brotli_decoded(&br), bytes, "{name}.br");
        assert_eq!(gzip_decoded(&gz), bytes, "{name}.gz");
        for sibling in [&br, &gz] {
            assert!(fs::metadata(sibling).unwrap().len() < bytes.len() as u64);
            assert_eq!(mtime(sibling), mtime(&out.join(name)), "{sibling:?}");
        }
    }
    // The link inside is a file of its own, as the file it names.
    assert_eq!(
        fs::read(out.join("home.html")).unwrap(),
        fs::read(fx.src().join("index.html")).unwrap()
    );
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&out.join("style.css")), 0o640);
    assert_eq!(mode(&out.join("style.css.br")), 0o640);
    assert_eq!(
        mode(&out.join("index.html")),
        mode(&fx.src().join("index.html"))
    );
    assert_manifest_agrees(&out);
    assert!(
        summary.starts_with(
            "docroot-pack: 6 files (6 copied, 4 coded, 0 reused from the last pack, 0 removed), "
        ),
        "{summary}"
    );
    assert!(summary.ends_with(" s"), "{summary}");
}

#[test]
fn a_second_pack_changes_nothing() {
    let fx = Fixture::site();
    pack_ok(&fx.src(), &fx.out());
    let before = snapshot(&fx.out());
    let manifest_before = fs::read(fx.out().join(MANIFEST)).unwrap();
    let summary = pack_ok(&fx.src(), &fx.out());
    assert!(
        summary.starts_with(
            "docroot-pack: 6 files (0 copied, 0 coded, 4 reused from the last pack, 0 removed), "
        ),
        "{summary}"
    );
    assert_eq!(
        snapshot(&fx.out()),
        before,
        "a file was rewritten or touched"
    );
    assert_eq!(fs::read(fx.out().join(MANIFEST)).unwrap(), manifest_before);
}

#[test]
fn an_edit_recodes_that_file_alone_and_what_is_gone_goes() {
    let fx = Fixture::site();
    pack_ok(&fx.src(), &fx.out());
    let out = fx.out();
    let before = snapshot(&out);
    let old_entry = manifest(&out).lookup(&rel("index.html.br")).unwrap();

    let edited = text(3200, 9);
    fx.write("index.html", &edited);
    fs::remove_file(fx.src().join("style.css")).unwrap();
    fs::remove_dir_all(fx.src().join("docs")).unwrap();
    let summary = pack_ok(&fx.src(), &out);
    // index.html and home.html (a link to it) changed; 3 files of
    // style.css and 3 of page.html went.
    assert!(
        summary.starts_with(
            "docroot-pack: 4 files (2 copied, 2 coded, 0 reused from the last pack, 6 removed), "
        ),
        "{summary}"
    );
    assert_eq!(fs::read(out.join("index.html")).unwrap(), edited);
    assert_eq!(brotli_decoded(&out.join("index.html.br")), edited);
    assert_eq!(gzip_decoded(&out.join("index.html.gz")), edited);
    assert_ne!(
        manifest(&out).lookup(&rel("index.html.br")),
        Some(old_entry)
    );
    for gone in ["style.css", "style.css.br", "style.css.gz", "docs"] {
        assert!(fs::symlink_metadata(out.join(gone)).is_err(), "{gone}");
    }
    let after = snapshot(&out);
    for name in ["image.png", "short.txt"] {
        assert_eq!(after[&rel(name)], before[&rel(name)], "{name} was touched");
    }
    assert_manifest_agrees(&out);

    // A touch alone (same bytes, a new time) recodes nothing: the copy and
    // its siblings take the new time, in place.
    let inode = after[&rel("index.html.br")].0;
    let later = mtime(&fx.src().join("index.html")) + std::time::Duration::from_secs(60);
    fs::File::options()
        .write(true)
        .open(fx.src().join("index.html"))
        .unwrap()
        .set_modified(later)
        .unwrap();
    let summary = pack_ok(&fx.src(), &out);
    assert!(
        summary.contains("(0 copied, 0 coded, 2 reused from the last pack, 0 removed)"),
        "{summary}"
    );
    assert_eq!(mtime(&out.join("index.html")), later);
    assert_eq!(mtime(&out.join("index.html.br")), later);
    assert_eq!(snapshot(&out)[&rel("index.html.br")].0, inode);
    assert_manifest_agrees(&out);
}

#[test]
fn a_sibling_the_site_has_is_copied_as_it_is_and_not_made() {
    let fx = Fixture::new();
    fx.write("app.js", &text(2500, 4));
    fx.write("app.js.br", b"the site's own brotli, copied as it is");
    fx.write("data.json", &text(2500, 5));
    fx.write("data.json.zst", b"the site's own zstd");
    fx.write("old.html.gz", &noise(700));
    pack_ok(&fx.src(), &fx.out());
    let out = fx.out();
    let names: Vec<String> = files(&out).keys().map(|r| r.join("/")).collect();
    assert_eq!(
        names,
        [
            "app.js",
            "app.js.br",
            "app.js.gz",
            "data.json",
            "data.json.br",
            "data.json.gz",
            "data.json.zst",
            "old.html.gz",
        ]
    );
    assert_eq!(
        fs::read(out.join("app.js.br")).unwrap(),
        b"the site's own brotli, copied as it is"
    );
    assert_eq!(
        mtime(&out.join("app.js.br")),
        mtime(&fx.src().join("app.js.br"))
    );
    assert_eq!(gzip_decoded(&out.join("app.js.gz")), text(2500, 4));
    assert_eq!(fs::read(out.join("old.html.gz")).unwrap(), noise(700));
    assert_manifest_agrees(&out);

    // Once the site drops its own, the pack makes one.
    fs::remove_file(fx.src().join("app.js.br")).unwrap();
    pack_ok(&fx.src(), &out);
    assert_eq!(brotli_decoded(&out.join("app.js.br")), text(2500, 4));
    assert_manifest_agrees(&out);
}

#[test]
fn what_site_guard_refuses_is_refused_and_nothing_is_written() {
    let fx = Fixture::site();
    fx.write("_redirects", b"/old /new 301\n/only-source\n");
    let (status, lines) = pack(&fx.src(), &fx.out());
    assert_eq!(status, 1, "{lines:#?}");
    let shown = format!("{}/", fx.src().display());
    assert_eq!(
        lines[0],
        format!("docroot-pack: {shown}_redirects:2: a rule needs a source and a destination")
    );
    assert!(lines[1].starts_with(&format!("docroot-pack: 1 problem in {shown}, so nothing")));
    assert!(!fx.out().exists(), "OUT was made");

    // A link out, with a pack already in OUT: OUT is left as it was.
    fx.write("_redirects", b"/old /new 301\n");
    pack_ok(&fx.src(), &fx.out());
    let before = snapshot(&fx.out());
    fx.write("index.html", b"changed");
    symlink("/etc/passwd", fx.src().join("passwd")).unwrap();
    let (status, lines) = pack(&fx.src(), &fx.out());
    assert_eq!(status, 1, "{lines:#?}");
    assert!(
        lines[0].starts_with(&format!(
            "docroot-pack: {shown}passwd: a symlink to /etc/passwd"
        )),
        "{lines:#?}"
    );
    assert_eq!(snapshot(&fx.out()), before);

    // A Basic-Auth line is a warning, not a problem.
    fs::remove_file(fx.src().join("passwd")).unwrap();
    fx.write("_headers", b"/admin/*\n  Basic-Auth: alice:s3cret\n");
    let (status, lines) = pack(&fx.src(), &fx.out());
    assert_eq!(status, 0, "{lines:#?}");
    assert!(lines[0].starts_with(&format!(
        "docroot-pack: {shown}_headers:2: warning: Basic-Auth"
    )));
    assert!(!lines.iter().any(|l| l.contains("s3cret")));
    assert!(fx.out().join("_headers").is_file());
    assert_manifest_agrees(&fx.out());
}

#[test]
fn a_fifo_or_a_broken_link_is_refused() {
    let fx = Fixture::site();
    symlink("nowhere", fx.src().join("gone")).unwrap();
    let fifo = fx.src().join("pipe");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let (status, lines) = pack(&fx.src(), &fx.out());
    assert_eq!(status, 1, "{lines:#?}");
    let shown = format!("{}/", fx.src().display());
    assert_eq!(
        lines[..2],
        [
            format!("docroot-pack: {shown}gone: a broken symlink: nowhere leads nowhere"),
            format!("docroot-pack: {shown}pipe: a FIFO (named pipe)"),
        ]
    );
    assert!(lines[2].starts_with("docroot-pack: 2 problems in "));
    assert!(!fx.out().exists());
}

#[test]
fn no_link_in_out_is_followed() {
    let fx = Fixture::site();
    pack_ok(&fx.src(), &fx.out());
    let out = fx.out();
    let outside = fx.dir.path().join("outside");
    fs::create_dir(&outside).unwrap();
    fs::write(outside.join("keep.html"), "outside").unwrap();
    // Someone turns OUT's entries into links out: a file, a directory,
    // a sibling, and a link of their own.
    fs::remove_file(out.join("index.html")).unwrap();
    symlink(outside.join("keep.html"), out.join("index.html")).unwrap();
    fs::remove_file(out.join("style.css.br")).unwrap();
    symlink(outside.join("keep.html"), out.join("style.css.br")).unwrap();
    fs::remove_dir_all(out.join("docs/guide")).unwrap();
    symlink(&outside, out.join("docs/guide")).unwrap();
    symlink(&outside, out.join("extra")).unwrap();
    fx.write("index.html", &text(2800, 7));

    pack_ok(&fx.src(), &out);
    assert_eq!(
        fs::read_dir(&outside).unwrap().count(),
        1,
        "written outside"
    );
    assert_eq!(fs::read(outside.join("keep.html")).unwrap(), b"outside");
    assert!(fs::symlink_metadata(out.join("extra")).is_err());
    // files() fails on any symlink left in OUT.
    assert_eq!(files(&out).len(), 14);
    assert_eq!(fs::read(out.join("index.html")).unwrap(), text(2800, 7));
    assert_manifest_agrees(&out);
}

#[test]
fn awkward_names_round_trip_through_the_manifest() {
    let fx = Fixture::new();
    let names = [
        "a page with spaces.html",
        "100%.html",
        "%41.css",
        "ünï/cödé – ✓.js",
        "tab\there.txt",
        "new\nline.html",
        "日本語/索引.html",
    ];
    for (i, name) in names.iter().enumerate() {
        fx.write(name, &text(600 + i * 100, i as u32));
    }
    pack_ok(&fx.src(), &fx.out());
    let all = files(&fx.out());
    assert_eq!(all.len(), names.len() * 3, "{:?}", all.keys());
    assert_manifest_agrees(&fx.out());
    let m = manifest(&fx.out());
    for name in names {
        let entry = m.lookup(&rel(name)).unwrap();
        let path = fx.src().join(name);
        assert_eq!(
            entry.digest,
            Digest::of(&fs::read(&path).unwrap()),
            "{name}"
        );
        assert_eq!(entry.modified, Some(mtime(&path)), "{name}");
    }
}

#[test]
fn a_manifest_in_src_is_left_out_and_said_so() {
    let fx = Fixture::new();
    fx.write("index.html", b"hi");
    fx.write(MANIFEST, b"not ours");
    fx.write(
        &format!("sub/{MANIFEST}"),
        b"an ordinary file below the top",
    );
    let (status, lines) = pack(&fx.src(), &fx.out());
    assert_eq!(status, 0, "{lines:#?}");
    assert_eq!(
        lines[0],
        format!(
            "docroot-pack: {}/{MANIFEST}: left out: the pack writes its own manifest there",
            fx.src().display()
        )
    );
    let text = fs::read_to_string(fx.out().join(MANIFEST)).unwrap();
    assert!(text.starts_with("docroot-manifest 1 "), "{text}");
    assert!(fx.out().join("sub").join(MANIFEST).is_file());
    assert_manifest_agrees(&fx.out());
}

#[test]
fn usage_errors_write_nothing() {
    let fx = Fixture::site();
    let (status, lines) = run(&[fx.src().as_os_str()]);
    assert_eq!(
        (status, &lines[..]),
        (2, &["usage: docroot-pack SRC OUT".to_owned()][..])
    );

    let inside = fx.src().join("out");
    let (status, lines) = pack(&fx.src(), &inside);
    assert_eq!(status, 2, "{lines:#?}");
    assert!(lines[0].contains("inside SRC"), "{lines:#?}");
    assert!(!inside.exists());

    let (status, lines) = pack(&fx.src().join("docs"), &fx.src());
    assert_eq!(status, 2, "{lines:#?}");
    assert!(lines[0].contains("is inside it"), "{lines:#?}");

    let (status, lines) = pack(&fx.src(), &fx.src().join("index.html"));
    assert_eq!(status, 2, "{lines:#?}");
    assert!(
        lines[0].ends_with("index.html: not a directory"),
        "{lines:#?}"
    );

    let (status, _) = pack(&fx.dir.path().join("missing"), &fx.out());
    assert_eq!(status, 2);

    // A directory that is no pack's output is not packed into (the pack
    // would remove what SRC does not have).
    let home = fx.dir.path().join("home");
    fs::create_dir(&home).unwrap();
    fs::write(home.join("precious"), "keep").unwrap();
    let (status, lines) = pack(&fx.src(), &home);
    assert_eq!(status, 2, "{lines:#?}");
    assert!(lines[0].contains("no pack's output"), "{lines:#?}");
    assert_eq!(fs::read(home.join("precious")).unwrap(), b"keep");

    // An empty one is.
    let empty = fx.dir.path().join("empty-out");
    fs::create_dir(&empty).unwrap();
    pack_ok(&fx.src(), &empty);
}

#[test]
fn a_pack_on_a_terminal_draws_its_bar_and_ends() {
    // A terminal for stderr, from util-linux's `script`; without it there
    // is nothing to test.
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("no `script` here: the progress bar is not tested");
        return;
    }
    let fx = Fixture::site();
    let quote = |p: &Path| format!("'{}'", p.display());
    let command = format!(
        "{} {} {}",
        env!("CARGO_BIN_EXE_docroot-pack"),
        quote(&fx.src()),
        quote(&fx.out())
    );
    let mut child = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The bar draws from the threads that pack: a pack that held stderr
    // while it waited for them never ended.
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > std::time::Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("the pack did not end on a terminal");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let mut shown = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut shown)
        .unwrap();
    assert!(status.success(), "{shown}");
    assert!(shown.contains("docroot-pack: 6 files (6 copied"), "{shown}");
    assert_manifest_agrees(&fx.out());
}
