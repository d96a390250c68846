//! Drives docroot's pure core with arbitrary requests over the in-memory
//! site (`docroot::testing`) and checks what must hold for every input: no
//! panic, a valid status and valid headers, never a 5xx, never a hidden
//! file's bytes (unless allowed), never a lookup of anything but plain
//! names, never an open of a special file, and file bodies inside their
//! files.
//!
//! An input is text, so the seed corpus can be read and written by hand: the
//! first byte picks one of five configurations, then lines: the method, the
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
        .file("docs/x y.md", b"# x")
        .dir("docs/sub")
        .file(".env", HIDDEN)
        .file(".git/config", HIDDEN)
        .file("docs/.secret", HIDDEN)
        .file(".well-known/security.txt", b"Contact: x")
        .special("fifo")
        .outside("link-out.txt")
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn configs(which: u8) -> Config {
    let vars: &[(&str, &str)] = match which % 5 {
        0 => &[],
        1 => &[("DOCROOT_LISTING", "on")],
        2 => &[("DOCROOT_NOT_FOUND", "/404.html"), ("DOCROOT_FALLBACK", "/index.html")],
        3 => &[("DOCROOT_LISTING", "on"), ("DOCROOT_INDEX", "none.html"), ("DOCROOT_CACHE_CONTROL", "max-age=1")],
        _ => &[("DOCROOT_HIDDEN", "allow"), ("DOCROOT_LISTING", "on")],
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
    for (name, value) in &response.headers {
        assert!(name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'), "{name}");
        assert!(value.bytes().all(|b| b == b'\t' || (b' '..=b'~').contains(&b)), "{name}: {value:?}");
    }
    let body: &[u8] = match &response.body {
        Body::Empty => &[],
        Body::Bytes(bytes) => bytes,
        Body::File { file, offset, len } => {
            let end = offset.checked_add(*len).expect("range end overflows");
            assert!(end <= file.len() as u64, "body {offset}+{len} outside a file of {}", file.len());
            &file[*offset as usize..end as usize]
        }
    };
    // (Pages echo the request, escaped; a request that carries the marker
    // itself proves nothing either way.)
    if !config.allow_hidden && !contains(data, HIDDEN) {
        assert!(!contains(body, HIDDEN), "hidden bytes for {req:?}");
    }
    if let Some(length) = response.header("content-length") {
        if req.method != "HEAD" {
            assert_eq!(length, body.len().to_string());
        }
    }
});
