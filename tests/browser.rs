//! The pages in a real browser: Debian's Chromium, driven by
//! `tests/browser/pages.mjs` (Node and playwright-core), against
//! `wasmtime serve` with the 0.3 component. Over a fixture tree made here,
//! the generated pages (the info page, listings, error pages); over
//! `public/`, the demo site. Each page at widths 390 and 1280, light and
//! dark; screenshots go to `target/browser/`. And a page whose HTML, CSS
//! and script docroot codes on the fly, which must arrive br-coded and
//! render.
//!
//! Needs `/usr/bin/chromium` and `tests/browser/node_modules`, which
//! `./scripts/setup --browser` installs. Without them these tests fail
//! and say so; they never skip.

mod common;

use common::{Build, Server};
use std::cmp::Ordering;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The environment of every server here.
const ENV: &[(&str, &str)] = &[("DOCROOT_LISTING", "on"), ("DOCROOT_ACCESS_LOG", "on")];

/// 2026-11-27 01:04:44 UTC, shown in listings as `2026-11-27 01:04`.
const WHEN: u64 = 1_795_741_484;
/// 2025-12-31 23:59:59 UTC: a minute shown truncated, never rounded up
/// into the next year (`2025-12-31 23:59`).
const LATE: u64 = 1_767_225_599;

/// The long name whose line breaks the browser checks.
const LONG_NAME: &str =
    "a_very_long_file_name_that_keeps_going_and_going_2026-11-27_final-final.tar.gz";
/// One byte short of a MiB: `1023.9 KiB` (tenths rounded down).
const ALMOST_MIB: (&str, u64, &str) = ("almost-a-mebibyte.bin", 1_048_575, "1023.9 KiB");
const TWO_KIB: (&str, u64, &str) = ("two-kib.bin", 2048, "2.0 KiB");

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Chromium and the Node modules, or a failure that says how to get them.
fn prerequisites() {
    let mut missing = Vec::new();
    let chromium = chromium();
    if !Path::new(&chromium).exists() {
        missing.push(format!("{chromium} (Debian's chromium package)"));
    }
    let modules = manifest().join("tests/browser/node_modules/playwright-core");
    if !modules.exists() {
        missing.push(format!("{} (npm ci in tests/browser)", modules.display()));
    }
    match Command::new("node").arg("--version").output() {
        Ok(out) if out.status.success() => {}
        _ => missing.push("node (Node.js 20 or newer) on PATH".to_owned()),
    }
    assert!(
        missing.is_empty(),
        "the browser tests need {}; run ./scripts/setup --browser",
        missing.join(", ")
    );
}

/// The browser: `$CHROMIUM`, else Debian's `/usr/bin/chromium`.
fn chromium() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned())
}

/// How long `pages.mjs` may run before it is killed (it takes about 30 s).
const PAGES_LIMIT: Duration = Duration::from_secs(240);

/// Runs `pages.mjs` with `args` from the repository's root; whether it
/// exited 0, and everything it printed.
fn run_pages(args: &[(&str, String)]) -> (bool, String) {
    let mut cmd = Command::new("node");
    cmd.arg("tests/browser/pages.mjs")
        .current_dir(manifest())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd.arg("--chromium").arg(chromium());
    for (flag, value) in args {
        cmd.arg(format!("--{flag}")).arg(value);
    }
    let mut child = cmd.spawn().expect("running node tests/browser/pages.mjs");
    let readers: Vec<_> = [
        Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
        Box::new(child.stderr.take().unwrap()),
    ]
    .into_iter()
    .map(|mut stream| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stream.read_to_string(&mut text);
            text
        })
    })
    .collect();
    let deadline = Instant::now() + PAGES_LIMIT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for node") {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut text: String = readers.into_iter().map(|r| r.join().unwrap()).collect();
    if status.is_none() {
        text.push_str(&format!(
            "\npages.mjs ran over {PAGES_LIMIT:?} and was killed\n"
        ));
    }
    (status.is_some_and(|s| s.success()), text)
}

fn shots() -> PathBuf {
    manifest().join("target/browser")
}

/// Waits (a moment) for the access log to show `needle`.
fn logged(server: &Server, needle: &str, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if server.output().contains(needle) {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The order a listing must show names in: case-insensitive, with runs of
/// digits compared by value (`file-2` before `file-10`), digits before
/// other characters; exact ties by the names' bytes.
fn natural(a: &str, b: &str) -> Ordering {
    #[derive(PartialEq, Eq, PartialOrd, Ord)]
    enum Part {
        Number(u128, usize),
        Char(char),
    }
    fn parts(s: &str) -> Vec<Part> {
        let mut out = Vec::new();
        let mut chars = s.chars().peekable();
        while let Some(c) = chars.next() {
            if c.is_ascii_digit() {
                let mut digits = c.to_string();
                while let Some(d) = chars.next_if(char::is_ascii_digit) {
                    digits.push(d);
                }
                let value = digits.trim_start_matches('0').parse().unwrap_or(0);
                out.push(Part::Number(value, digits.len()));
            } else {
                out.extend(c.to_lowercase().map(Part::Char));
            }
        }
        out
    }
    parts(a).cmp(&parts(b)).then_with(|| a.cmp(b))
}

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn set_mtime(path: &Path, secs: u64) {
    File::open(path)
        .and_then(|f| f.set_modified(at(secs)))
        .unwrap_or_else(|e| panic!("setting the mtime of {}: {e}", path.display()));
}

/// `2026-11-27 01:04` for a time in seconds (UTC), from a civil-date
/// conversion (days to year, month, day).
fn minute_text(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's days_from_civil, inverted.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60
    )
}

/// One listed directory of the fixture: its entries (`name/` for a
/// directory; content length for a file) and their modification times.
struct Dir {
    path: &'static str,
    entries: Vec<(&'static str, u64, u64)>,
}

/// Makes the fixture under `site` and returns what the browser must find
/// in each listing, as the JSON `pages.mjs --expect` reads.
fn make_fixture(site: &Path) -> serde_json::Value {
    let dirs = [
        Dir {
            path: "/",
            entries: vec![
                ("Zebra.txt", 6, LATE),
                ("apple.txt", 6, WHEN),
                ("file-10.txt", 3, WHEN),
                ("file-2.txt", 3, WHEN),
                ("file-1.txt", 3, WHEN),
                ("B-dir/", 0, WHEN),
                ("a-dir/", 0, WHEN),
                ("10-dir/", 0, WHEN),
                ("9-dir/", 0, WHEN),
                ("sub/", 0, WHEN),
                ("empty/", 0, WHEN),
                (LONG_NAME, 100, WHEN),
                (ALMOST_MIB.0, ALMOST_MIB.1, WHEN),
                ("zero-bytes.txt", 0, WHEN),
                ("\u{65e5}\u{672c}\u{8a9e}.txt", 4, WHEN),
                ("notes with spaces.txt", 7, WHEN),
                (".hidden", 7, WHEN),
            ],
        },
        Dir {
            path: "/sub/",
            entries: vec![("dir/", 0, WHEN), ("sub-notes.txt", 5, WHEN)],
        },
        Dir {
            path: "/sub/dir/",
            entries: vec![
                ("report-10.csv", 10, WHEN),
                ("report-2.csv", 10, LATE),
                ("Notes.md", 12, WHEN),
                ("readme.txt", 20, WHEN),
                (TWO_KIB.0, TWO_KIB.1, WHEN),
                ("nested/", 0, WHEN),
            ],
        },
        Dir {
            path: "/empty/",
            entries: vec![],
        },
    ];
    // Files first, then directories' times, deepest first (a file made in
    // a directory changes its time).
    std::fs::create_dir_all(site).unwrap();
    for dir in &dirs {
        let base = site.join(dir.path.trim_start_matches('/'));
        std::fs::create_dir_all(&base).unwrap();
        for (name, len, _) in &dir.entries {
            if let Some(sub) = name.strip_suffix('/') {
                std::fs::create_dir_all(base.join(sub)).unwrap();
            } else {
                let content: Vec<u8> = (0..*len).map(|i| b'a' + (i % 26) as u8).collect();
                std::fs::write(base.join(name), content).unwrap();
            }
        }
    }
    // Non-empty sibling directories, and the control page (no icon).
    for d in ["B-dir", "a-dir", "10-dir", "9-dir", "sub/dir/nested"] {
        std::fs::write(site.join(d).join("inside.txt"), "x\n").unwrap();
    }
    std::fs::write(
        site.join("plain.html"),
        "<!doctype html><title>x</title><p>x",
    )
    .unwrap();
    let mut listings = serde_json::Map::new();
    for dir in dirs.iter().rev() {
        let base = site.join(dir.path.trim_start_matches('/'));
        for (name, _, when) in &dir.entries {
            set_mtime(&base.join(name.trim_end_matches('/')), *when);
        }
    }
    set_mtime(&site.join("plain.html"), WHEN);
    for dir in &dirs {
        let mut listed: Vec<(String, bool, u64, u64)> = dir
            .entries
            .iter()
            .filter(|(name, _, _)| !name.starts_with('.'))
            .map(|(name, len, when)| {
                let is_dir = name.ends_with('/');
                (name.trim_end_matches('/').to_owned(), is_dir, *len, *when)
            })
            .collect();
        if dir.path == "/" {
            listed.push(("plain.html".to_owned(), false, 0, WHEN));
        }
        listed.sort_by(|a, b| (!a.1).cmp(&!b.1).then_with(|| natural(&a.0, &b.0)));
        let names: Vec<&str> = listed.iter().map(|e| e.0.as_str()).collect();
        let dates: serde_json::Map<String, serde_json::Value> = listed
            .iter()
            .map(|e| (e.0.clone(), minute_text(e.3).into()))
            .collect();
        let mut sizes = serde_json::Map::new();
        let mut bytes = serde_json::Map::new();
        for (name, len, text) in [ALMOST_MIB, TWO_KIB] {
            if names.contains(&name) {
                sizes.insert(name.to_owned(), text.into());
                bytes.insert(name.to_owned(), len.into());
            }
        }
        listings.insert(
            dir.path.to_owned(),
            serde_json::json!({ "names": names, "dates": dates, "sizes": sizes, "bytes": bytes }),
        );
    }
    serde_json::json!({
        "listings": listings,
        "long_name": LONG_NAME,
        "control": "/plain.html",
    })
}

#[test]
fn natural_order_of_the_fixture() {
    let mut names = vec![
        "file-10.txt",
        "Zebra.txt",
        "file-2.txt",
        "apple.txt",
        "file-1.txt",
    ];
    names.sort_by(|a, b| natural(a, b));
    assert_eq!(
        names,
        [
            "apple.txt",
            "file-1.txt",
            "file-2.txt",
            "file-10.txt",
            "Zebra.txt"
        ]
    );
    assert_eq!(minute_text(WHEN), "2026-11-27 01:04");
    assert_eq!(minute_text(LATE), "2025-12-31 23:59");
}

/// Fails when the access log in `server`'s output shows a request for
/// `/favicon.ico`. Chromium asks an origin for it at most once per browser
/// run (it remembers the failure, across contexts), the first time it
/// shows a page there that names no icon: so no request at all means no
/// page shown lacked an icon, and `pages.mjs` says which page did.
///
/// Called once the browser has exited. Lines arrive late (the host writes
/// each when its answer is done, and a reader thread copies them), so the
/// log is read only after a request of the test's own, sent after every
/// request the browser made, has its line there.
fn assert_no_favicon(server: &Server, what: &str, report: &str) {
    let marker = "/the-browser-has-gone";
    assert_eq!(server.get(marker).status, 404, "{report}");
    assert!(
        logged(
            server,
            &format!("GET {marker} 404 "),
            Duration::from_secs(30)
        ),
        "the {what} server never logged the request sent after the browser's:\n{report}\n{}",
        server.output()
    );
    let out = server.output();
    let asked: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("/favicon.ico "))
        .collect();
    assert!(
        asked.is_empty(),
        "Chromium asked the {what} server for /favicon.ico, so a page it showed has no \
         icon of its own:\n{}\n\n{report}",
        asked.join("\n")
    );
}

#[test]
fn generated_pages() {
    prerequisites();
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    let expect = make_fixture(&site);
    let expect_file = tmp.path().join("expect.json");
    std::fs::write(&expect_file, serde_json::to_string_pretty(&expect).unwrap()).unwrap();
    let server = Server::start_with(Build::P3, &site, "/", ENV, &[]);
    // The control page gets a server of its own, so that its favicon
    // request cannot be taken for one from a generated page.
    let control = Server::start_with(Build::P3, &site, "/", ENV, &[]);
    let (ok, out) = run_pages(&[
        ("site", format!("http://{}", server.addr)),
        ("control", format!("http://{}", control.addr)),
        ("expect", expect_file.display().to_string()),
        ("shots", shots().display().to_string()),
    ]);
    // The control: Chromium does ask for /favicon.ico when a page names no
    // icon, so its absence from the site server's log below means
    // something. (Were a later Chromium to stop asking, this says so.)
    let control_seen = logged(&control, "GET /plain.html ", Duration::from_secs(5));
    let control_asked = logged(&control, "GET /favicon.ico ", Duration::from_secs(5));
    let verdict = match (control_seen, control_asked) {
        (true, true) => "control: Chromium asked for /favicon.ico for plain.html (no icon)",
        (true, false) => {
            "control: Chromium did NOT ask for /favicon.ico even for plain.html (no icon), \
             so the site server's log cannot show a missing icon"
        }
        _ => "control: plain.html was never requested (see the output)",
    };
    let report = format!(
        "{out}\n# {verdict}\n--- site server output ---\n{}",
        server.output()
    );
    println!("{out}\n# {verdict}");
    assert!(ok, "the browser checks failed:\n{report}");
    assert!(control_seen && control_asked, "{verdict}\n\n{report}");
    assert_no_favicon(&server, "fixture", &report);
}

#[test]
fn demo_site() {
    prerequisites();
    let public = manifest().join("public");
    let server = Server::start_with(Build::P3, &public, "/", ENV, &[]);
    let (ok, out) = run_pages(&[
        ("demo", format!("http://{}", server.addr)),
        ("shots", shots().display().to_string()),
    ]);
    let report = format!("{out}\n--- demo server output ---\n{}", server.output());
    println!("{out}");
    assert!(ok, "the browser checks failed:\n{report}");
    assert_no_favicon(&server, "demo-site", &report);
}

/// A page, its stylesheet and its script, each long enough to be coded.
fn make_coded_site(site: &Path) {
    let dir = site.join("coded");
    std::fs::create_dir_all(&dir).unwrap();
    let mut html = String::from(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>coded</title><link rel=\"icon\" href=\"data:,\">\
         <link rel=\"stylesheet\" href=\"style%20sheet.css\"></head><body>\
         <h1>Coded on the fly \u{2014} \u{e9}t\u{e9}</h1><ul id=\"list\"></ul>\n",
    );
    for n in 0..100 {
        html.push_str(&format!(
            "<p class=\"para-{}\">Paragraph {n} of the page.</p>\n",
            n % 5
        ));
    }
    html.push_str("<script src=\"app%20script.js\"></script></body></html>\n");
    std::fs::write(dir.join("index.html"), html).unwrap();
    let mut css = String::from("h1 { color: rgb(1, 2, 3); }\n");
    for n in 0..60 {
        css.push_str(&format!(
            ".para-{n} {{ margin: {n}px 0; padding: 0 {n}px; }}\n"
        ));
    }
    std::fs::write(dir.join("style sheet.css"), css).unwrap();
    let mut js = String::from(
        "const list = document.getElementById('list');\n\
         for (let i = 0; i < 200; i++) { const li = document.createElement('li'); \
         li.textContent = 'item ' + i; list.appendChild(li); }\n",
    );
    for n in 0..40 {
        js.push_str(&format!(
            "function helper{n}(x) {{ return x * {n} + {n}; }}\n"
        ));
    }
    js.push_str("document.body.dataset.ran = 'yes';\n");
    std::fs::write(dir.join("app script.js"), js).unwrap();
}

#[test]
fn a_page_coded_on_the_fly_renders() {
    prerequisites();
    let tmp = tempfile::tempdir().unwrap();
    make_coded_site(tmp.path());
    let server = Server::start_with(Build::P3, tmp.path(), "/", ENV, &[]);
    let (ok, out) = run_pages(&[
        ("coded", format!("http://{}", server.addr)),
        ("shots", shots().display().to_string()),
    ]);
    println!("{out}");
    assert!(
        ok,
        "the browser checks failed:\n{out}\n--- server output ---\n{}",
        server.output()
    );
}
