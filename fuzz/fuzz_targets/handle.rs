//! Drives docroot's pure core with arbitrary requests over the in-memory
//! site (`docroot::testing`) and checks what must hold for every input: no
//! panic, a valid status and valid headers, never a 5xx, never a
//! `Location` to another origin (but the site's own rule to one), never a hidden
//! file's bytes (unless allowed), never a lookup of anything but plain
//! names, never an open of a special file, and file bodies inside their
//! files.
//!
//! An input is text, so the seed corpus can be read and written by hand: the
//! first byte picks one of nine configurations, then lines: the method, the
//! path with query, and `name: value` headers.
#![no_main]

use docroot::config::Config;
use docroot::http::{Body, Request};
use docroot::testing::MemFiles;
use libfuzzer_sys::fuzz_target;
use std::time::SystemTime;

const HIDDEN: &[u8] = b"HIDDEN-SECRET-BYTES";

/// The site: every kind of entry the core must handle, with hidden files
/// whose bytes must never be served (unless allowed). The in-memory site
/// panics if the core ever asks for a path that is not plain names.
fn site() -> MemFiles {
    MemFiles::new()
        .file("index.html", b"<h1>home</h1>")
        .file("a.txt", b"0123456789")
        .file("empty.txt", b"")
        .file("app.js", b"console.log(1)")
        .file("app.js.br", b"br")
        .file("app.js.gz", b"gzip bytes")
        .file("404.html", b"not found page")
        .file("docs/404.html", b"docs not found page")
        // Pages for clean URLs and the HTML-handling modes, and a hidden
        // one that no spelling may reach.
        .file("about.html", b"about page")
        .file("guide/index.html", b"guide page")
        .file("guide.html", b"guide file page")
        .file(".secret.html", HIDDEN)
        .file("docs/.private/index.html", HIDDEN)
        .file("docs/x y.md", b"# x")
        .dir("docs/sub")
        .file(".env", HIDDEN)
        .file(".git/config", HIDDEN)
        .file("docs/.secret", HIDDEN)
        .file(".well-known/security.txt", b"Contact: x")
        // Long enough to be coded on the fly, hidden or not, and a file
        // that exists only compressed.
        .file("page.html", &b"<p>a page long enough to code</p>\n".repeat(64))
        .file("docs/.hidden.html", &HIDDEN.repeat(64))
        .file(
            "only.html.gz",
            &docroot::codec::encode(
                &b"<p>only compressed</p>".repeat(40),
                docroot::codec::Effort::Fast.made(docroot::codec::Encoding::Gzip),
            )
            .unwrap(),
        )
        .special("fifo")
        .outside("link-out.txt")
        // The site's rules, among them rewrites that try what must stay
        // unserved.
        .file(
            "_redirects",
            b"/r/* /:splat 302\n/w/* /docs/:splat 200\n/h /.env 200\n/g /.git/config 200!\n\
              /n/* /404.html 404\n/s /_headers 200\n/e/:x https://example.com/:x 307\n",
        )
        .file("_headers", b"/*\n  X-Frame-Options: DENY\n/docs/:x\n  X-Doc: :x\n  ! Cache-Control\n")
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn configs(which: u8) -> Config {
    let vars: &[(&str, &str)] = match which % 9 {
        0 => &[],
        1 => &[("DOCROOT_LISTING", "on")],
        2 => &[("DOCROOT_NOT_FOUND", "/404.html"), ("DOCROOT_FALLBACK", "/index.html")],
        3 => &[("DOCROOT_LISTING", "on"), ("DOCROOT_INDEX", "none.html"), ("DOCROOT_CACHE_CONTROL", "max-age=1")],
        4 => &[("DOCROOT_HIDDEN", "allow"), ("DOCROOT_LISTING", "on")],
        5 => &[("DOCROOT_HTML_HANDLING", "auto-trailing-slash")],
        6 => &[("DOCROOT_HTML_HANDLING", "force-trailing-slash"), ("DOCROOT_INDEX", "index.html,guide.html")],
        7 => &[("DOCROOT_HTML_HANDLING", "drop-trailing-slash"), ("DOCROOT_LISTING", "on")],
        _ => &[("DOCROOT_HTML_HANDLING", "none"), ("DOCROOT_LISTING", "on")],
    };
    Config::from_vars(vars.iter().copied()).unwrap()
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else { return };
    let config = configs(which);
    let mut lines = rest.split(|&b| b == b'\n');
    let method = String::from_utf8_lossy(lines.next().unwrap_or_default()).into_owned();
    let path_with_query = String::from_utf8_lossy(lines.next().unwrap_or_default()).into_owned();
    let headers = lines
        .filter_map(|line| {
            let colon = line.iter().position(|&b| b == b':')?;
            let name = String::from_utf8_lossy(&line[..colon]).trim().to_ascii_lowercase();
            let value = line[colon + 1..].trim_ascii().to_vec();
            Some((name, value))
        })
        .collect();
    let req = Request {
        method,
        path_with_query,
        scheme: Some("http".into()),
        authority: Some("fuzz.test".into()),
        headers,
    };
    let fs = site();
    let response = docroot::ready::run(docroot::app::handle(&req, &config, &fs, SystemTime::now));

    assert!((100..=599).contains(&response.status));
    assert!(response.status < 500, "{} for {req:?}", response.status);
    for (name, value) in response.head.fields() {
        assert!(name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'), "{name}");
        assert!(value.iter().all(|&b| b == b'\t' || (b' '..=b'~').contains(&b)), "{name}: {value:?}");
    }
    if let Body::File { file, offset, len } = &response.body {
        let end = offset.checked_add(*len).expect("range end overflows");
        assert!(end <= file.len() as u64, "body {offset}+{len} outside a file of {}", file.len());
    }
    // A redirect stays on this origin, but the site's one rule to another.
    if let Some(location) = response.header("location") {
        let elsewhere = location.starts_with("https://example.com/");
        assert!(
            elsewhere || (location.starts_with('/') && !location.starts_with("//")),
            "Location {location:?} for {req:?}"
        );
    }
    let length = response.header("content-length").map(str::to_owned);
    let coding = response.header("content-encoding").map(str::to_owned);
    let sent = docroot::testing::body_bytes(response.body, |file, offset, len| {
        docroot::testing::slice_of(file, offset, len)
    })
    .expect("a body codes");
    if let Some(length) = length {
        if req.method != "HEAD" {
            assert_eq!(length, sent.len().to_string());
        }
    }
    // What a client reads: the body decoded (a fake precompressed file of
    // the site does not decode, and is read as it is).
    let read = coding
        .and_then(|coding| docroot::testing::decode(&coding, &sent))
        .unwrap_or_else(|| sent.clone());
    // (Pages echo the request, escaped; a request that carries the marker
    // itself proves nothing either way.)
    if !config.allow_hidden && !contains(data, HIDDEN) {
        assert!(!contains(&sent, HIDDEN), "hidden bytes for {req:?}");
        assert!(!contains(&read, HIDDEN), "hidden bytes, coded, for {req:?}");
    }
});
