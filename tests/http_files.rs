//! Request → response tests for the HTTP of files: validators, conditional
//! requests, ranges, precompressed siblings, the site's 404 page and the
//! single-page-app fallback.

mod common;

use common::inproc::{Res, config, get, request, run_with};
use common::{Fixture, big_bytes, fixture};
use docroot::config::Config;
use std::time::UNIX_EPOCH;

fn with(fx: &Fixture, headers: &[(&str, &str)], target: &str) -> Res {
    run_with(fx, &Config::default(), &request("GET", target, headers))
}

fn mtime_date(fx: &Fixture, name: &str) -> String {
    let modified = std::fs::metadata(fx.root().join(name))
        .unwrap()
        .modified()
        .unwrap();
    httpdate::fmt_http_date(modified)
}

fn date_secs_from_mtime(fx: &Fixture, name: &str, delta: i64) -> String {
    let modified = std::fs::metadata(fx.root().join(name))
        .unwrap()
        .modified()
        .unwrap();
    let secs = modified.duration_since(UNIX_EPOCH).unwrap().as_secs() as i64 + delta;
    httpdate::fmt_http_date(UNIX_EPOCH + std::time::Duration::from_secs(secs as u64))
}

#[test]
fn files_carry_validators() {
    let fx = fixture();
    let r = get(&fx, "/hello.txt");
    let etag = r.header("etag").unwrap();
    assert!(etag.starts_with('"') && etag.ends_with('"') && !etag.starts_with("W/"));
    assert_eq!(
        r.header("last-modified"),
        Some(&*mtime_date(&fx, "hello.txt"))
    );
    assert_eq!(r.header("accept-ranges"), Some("bytes"));
    assert_eq!(r.header("vary"), Some("Accept-Encoding"));
    assert_eq!(get(&fx, "/hello.txt").header("etag"), Some(etag), "stable");
    assert_ne!(get(&fx, "/index.html").header("etag"), Some(etag));
}

#[test]
fn if_none_match_gives_304_with_validators_and_no_body() {
    let fx = fixture();
    let c = config(&[("DOCROOT_CACHE_CONTROL", "max-age=60")]);
    let etag = get(&fx, "/hello.txt").header("etag").unwrap().to_owned();
    for value in [
        etag.clone(),
        format!("W/{etag}"),
        "*".into(),
        format!("\"x\", {etag}"),
    ] {
        let r = run_with(
            &fx,
            &c,
            &request("GET", "/hello.txt", &[("if-none-match", &value)]),
        );
        assert_eq!(r.status, 304, "{value}");
        assert!(r.body.is_empty());
        assert_eq!(r.header("etag"), Some(&*etag));
        assert!(r.header("last-modified").is_some());
        assert_eq!(r.header("cache-control"), Some("max-age=60"));
        assert_eq!(r.header("vary"), Some("Accept-Encoding"));
        assert_eq!(r.header("content-type"), None);
        assert_eq!(r.header("content-length"), None);
    }
    assert_eq!(
        with(&fx, &[("if-none-match", "\"other\"")], "/hello.txt").status,
        200
    );
    let head = run_with(
        &fx,
        &Config::default(),
        &request("HEAD", "/hello.txt", &[("if-none-match", &etag)]),
    );
    assert_eq!(head.status, 304);
}

#[test]
fn if_modified_since_only_without_if_none_match() {
    let fx = fixture();
    let same = mtime_date(&fx, "hello.txt");
    let later = date_secs_from_mtime(&fx, "hello.txt", 3600);
    let earlier = date_secs_from_mtime(&fx, "hello.txt", -3600);
    assert_eq!(
        with(&fx, &[("if-modified-since", &same)], "/hello.txt").status,
        304
    );
    assert_eq!(
        with(&fx, &[("if-modified-since", &later)], "/hello.txt").status,
        304
    );
    assert_eq!(
        with(&fx, &[("if-modified-since", &earlier)], "/hello.txt").status,
        200
    );
    assert_eq!(
        with(&fx, &[("if-modified-since", "garbage")], "/hello.txt").status,
        200
    );
    let r = with(
        &fx,
        &[("if-none-match", "\"other\""), ("if-modified-since", &same)],
        "/hello.txt",
    );
    assert_eq!(r.status, 200, "If-None-Match takes precedence");
}

#[test]
fn if_match_and_if_unmodified_since_give_412() {
    let fx = fixture();
    let etag = get(&fx, "/hello.txt").header("etag").unwrap().to_owned();
    assert_eq!(with(&fx, &[("if-match", &etag)], "/hello.txt").status, 200);
    assert_eq!(with(&fx, &[("if-match", "*")], "/hello.txt").status, 200);
    let r = with(&fx, &[("if-match", "\"stale\"")], "/hello.txt");
    assert_eq!(r.status, 412);
    assert!(r.text().contains("412 Precondition Failed"));
    assert_eq!(
        with(&fx, &[("if-match", &format!("W/{etag}"))], "/hello.txt").status,
        412
    );
    let earlier = date_secs_from_mtime(&fx, "hello.txt", -3600);
    let same = mtime_date(&fx, "hello.txt");
    assert_eq!(
        with(&fx, &[("if-unmodified-since", &earlier)], "/hello.txt").status,
        412
    );
    assert_eq!(
        with(&fx, &[("if-unmodified-since", &same)], "/hello.txt").status,
        200
    );
    // If-Match decides before If-None-Match.
    let r = with(
        &fx,
        &[("if-match", "\"stale\""), ("if-none-match", &etag)],
        "/hello.txt",
    );
    assert_eq!(r.status, 412);
    // Malformed values are ignored.
    assert_eq!(
        with(&fx, &[("if-match", "no quotes")], "/hello.txt").status,
        200
    );
}

#[test]
fn single_ranges_give_206_with_exactly_those_bytes() {
    let fx = fixture();
    let big = big_bytes();
    let total = big.len();
    for (range, start, end) in [
        ("bytes=0-0", 0, 0),
        ("bytes=100-199", 100, 199),
        ("bytes=5000000-", 5_000_000, total - 1),
        ("bytes=-1000", total - 1000, total - 1),
        ("bytes=4000000-99999999", 4_000_000, total - 1),
    ] {
        let r = with(&fx, &[("range", range)], "/big.bin");
        assert_eq!(r.status, 206, "{range}");
        assert_eq!(
            r.header("content-range"),
            Some(&*format!("bytes {start}-{end}/{total}")),
            "{range}"
        );
        assert_eq!(
            r.header("content-length"),
            Some(&*(end - start + 1).to_string())
        );
        assert!(r.body == big[start..=end], "{range}: wrong bytes");
        assert!(r.header("etag").is_some());
    }
}

#[test]
fn unsatisfiable_ranges_give_416() {
    let fx = fixture();
    for range in ["bytes=6-", "bytes=100-200", "bytes=-0"] {
        let r = with(&fx, &[("range", range)], "/hello.txt");
        assert_eq!(r.status, 416, "{range}");
        assert_eq!(r.header("content-range"), Some("bytes */6"));
    }
    let r = with(&fx, &[("range", "bytes=0-")], "/empty.txt");
    assert_eq!(
        (r.status, r.header("content-range")),
        (416, Some("bytes */0"))
    );
}

#[test]
fn ranges_that_do_not_apply_give_the_full_200() {
    let fx = fixture();
    for range in ["bytes=0-1,3-4", "bytes=abc", "items=0-1", "bytes=3-1"] {
        let r = with(&fx, &[("range", range)], "/hello.txt");
        assert_eq!((r.status, r.text().as_str()), (200, "hello\n"), "{range}");
    }
    let r = with(
        &fx,
        &[("range", "bytes=0-1"), ("range", "bytes=2-3")],
        "/hello.txt",
    );
    assert_eq!(r.status, 200, "duplicated Range headers are ambiguous");
    let head = run_with(
        &fx,
        &Config::default(),
        &request("HEAD", "/hello.txt", &[("range", "bytes=0-1")]),
    );
    assert_eq!(head.status, 200, "Range is for GET only");
    let c = config(&[("DOCROOT_INFO_PATH", "/__info")]);
    let r = run_with(
        &fx,
        &c,
        &request("GET", "/missing", &[("range", "bytes=0-1")]),
    );
    assert_eq!(r.status, 404);
}

#[test]
fn if_range_decides_between_206_and_200() {
    let fx = fixture();
    let etag = get(&fx, "/hello.txt").header("etag").unwrap().to_owned();
    let same = mtime_date(&fx, "hello.txt");
    let earlier = date_secs_from_mtime(&fx, "hello.txt", -3600);
    let cases = [
        (etag.clone(), 206),
        (same, 206),
        ("\"stale\"".to_owned(), 200),
        (format!("W/{etag}"), 200),
        (earlier, 200),
        ("garbage".to_owned(), 200),
    ];
    for (if_range, status) in cases {
        let r = with(
            &fx,
            &[("range", "bytes=0-1"), ("if-range", &if_range)],
            "/hello.txt",
        );
        assert_eq!(r.status, status, "If-Range: {if_range}");
        let body = if status == 206 { "he" } else { "hello\n" };
        assert_eq!(r.text(), body);
    }
}

#[test]
fn preconditions_come_before_ranges() {
    let fx = fixture();
    let etag = get(&fx, "/hello.txt").header("etag").unwrap().to_owned();
    let r = with(
        &fx,
        &[("range", "bytes=0-1"), ("if-none-match", &etag)],
        "/hello.txt",
    );
    assert_eq!(r.status, 304);
    let r = with(
        &fx,
        &[("range", "bytes=99-"), ("if-match", "\"x\"")],
        "/hello.txt",
    );
    assert_eq!(r.status, 412);
}

#[test]
fn precompressed_siblings_by_accept_encoding() {
    let fx = fixture();
    for (accept, body, encoding) in [
        ("gzip, deflate, br", "br-bytes of app.js", Some("br")),
        ("gzip", "gzip-bytes of app.js", Some("gzip")),
        ("br;q=0, gzip", "gzip-bytes of app.js", Some("gzip")),
        ("br;q=0.5, gzip;q=0.9", "gzip-bytes of app.js", Some("gzip")),
        ("gzip;q=0.5, br;q=0.5", "br-bytes of app.js", Some("br")),
        ("identity", "console.log(1)\n", None),
        ("br;q=0, gzip;q=0", "console.log(1)\n", None),
        ("identity;q=1, br;q=0.5", "console.log(1)\n", None),
        ("*", "br-bytes of app.js", Some("br")),
        ("zstd", "console.log(1)\n", None),
    ] {
        let r = with(&fx, &[("accept-encoding", accept)], "/app.js");
        assert_eq!(r.status, 200, "{accept}");
        assert_eq!(r.text(), body, "{accept}");
        assert_eq!(r.header("content-encoding"), encoding, "{accept}");
        let content_type = r.header("content-type").unwrap();
        assert!(
            content_type.ends_with("javascript; charset=utf-8"),
            "{content_type}"
        );
        assert_eq!(r.header("vary"), Some("Accept-Encoding"));
    }
    let r = get(&fx, "/app.js");
    assert_eq!(
        (r.text().as_str(), r.header("content-encoding")),
        ("console.log(1)\n", None)
    );

    // Only the twins that exist: style.css has a .gz and no .br.
    let r = with(&fx, &[("accept-encoding", "br, gzip")], "/style.css");
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert_eq!(r.header("content-type"), Some("text/css; charset=utf-8"));
}

#[test]
fn each_encoding_is_its_own_representation() {
    let fx = fixture();
    let plain = get(&fx, "/app.js");
    let br = with(&fx, &[("accept-encoding", "br")], "/app.js");
    let gz = with(&fx, &[("accept-encoding", "gzip")], "/app.js");
    let tags = [plain.header("etag"), br.header("etag"), gz.header("etag")];
    assert!(tags[0] != tags[1] && tags[1] != tags[2] && tags[0] != tags[2]);
    assert_eq!(br.header("content-length"), Some("18"));

    // A validator of one encoding does not match another.
    let r = with(
        &fx,
        &[
            ("accept-encoding", "br"),
            ("if-none-match", tags[0].unwrap()),
        ],
        "/app.js",
    );
    assert_eq!(r.status, 200);
    let r = with(
        &fx,
        &[
            ("accept-encoding", "br"),
            ("if-none-match", tags[1].unwrap()),
        ],
        "/app.js",
    );
    assert_eq!((r.status, r.header("etag")), (304, tags[1]));

    // Ranges count the bytes of the file itself, whatever the client
    // accepts: a request with Range gets the identity representation.
    let r = with(
        &fx,
        &[("accept-encoding", "br"), ("range", "bytes=0-7")],
        "/app.js",
    );
    assert_eq!(r.status, 206);
    assert_eq!(r.text(), "console.");
    assert_eq!(
        r.header("content-range").map(|v| &v[..10]),
        Some("bytes 0-7/")
    );
    assert_eq!(r.header("content-encoding"), None);
    assert_eq!(
        (r.header("etag"), r.header("vary")),
        (tags[0], Some("Accept-Encoding"))
    );
}

#[test]
fn a_precompressed_file_asked_for_by_name_is_itself() {
    let fx = fixture();
    let r = with(&fx, &[("accept-encoding", "gzip, br")], "/app.js.gz");
    assert_eq!(r.text(), "gzip-bytes of app.js");
    assert_eq!(r.header("content-type"), Some("application/gzip"));
    assert_eq!(r.header("content-encoding"), None);
}

#[test]
fn the_sites_own_404_page() {
    let fx = fixture();
    let c = config(&[("DOCROOT_NOT_FOUND", "/not-found.html")]);
    let r = run_with(&fx, &c, &request("GET", "/missing", &[]));
    assert_eq!(r.status, 404);
    assert_eq!(r.text(), "<h1>custom not found</h1>\n");
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    for target in ["/.env", "/docs/", "/hello.txt/"] {
        let r = run_with(&fx, &c, &request("GET", target, &[]));
        assert_eq!(
            (r.status, r.text().as_str()),
            (404, "<h1>custom not found</h1>\n")
        );
    }
    let r = run_with(&fx, &c, &request("HEAD", "/missing", &[]));
    assert_eq!((r.status, r.body.len()), (404, 0));
    assert_eq!(r.header("content-length"), Some("26"));
    let r = run_with(
        &fx,
        &c,
        &request("GET", "/missing", &[("accept", "application/json")]),
    );
    assert_eq!(
        r.header("content-type"),
        Some("application/json"),
        "JSON clients get JSON"
    );
    assert_eq!(
        run_with(&fx, &c, &request("GET", "/%2e%2e/x", &[])).status,
        400
    );
    assert_eq!(
        run_with(&fx, &c, &request("GET", "/hello.txt", &[])).status,
        200
    );
}

#[test]
fn the_single_page_app_fallback() {
    let fx = fixture();
    let c = config(&[
        ("DOCROOT_FALLBACK", "/app.html"),
        ("DOCROOT_NOT_FOUND", "/not-found.html"),
    ]);
    let browser = [("accept", "text/html,application/xhtml+xml,*/*;q=0.8")];
    for target in ["/users/42", "/deep/route/", "/page.html", "/settings?tab=1"] {
        let r = run_with(&fx, &c, &request("GET", target, &browser));
        assert_eq!(r.status, 200, "{target}");
        assert_eq!(r.text(), "<h1>single-page app shell</h1>\n", "{target}");
        assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
        assert!(r.header("etag").is_some());
    }
    let r = run_with(&fx, &c, &request("GET", "/users/42", &[]));
    assert_eq!(r.status, 200, "no Accept accepts HTML");
    // Regression: whether the fallback is sent depends on Accept, so say so.
    assert_eq!(r.header("vary"), Some("Accept, Accept-Encoding"));
    let etag = r.header("etag").unwrap().to_owned();
    let r = run_with(
        &fx,
        &c,
        &request("GET", "/users/42", &[("if-none-match", &etag)]),
    );
    assert_eq!(
        (r.status, r.header("vary")),
        (304, Some("Accept, Accept-Encoding"))
    );
    assert_eq!(
        run_with(&fx, &c, &request("GET", "/app.html", &[])).header("vary"),
        Some("Accept-Encoding")
    );
    for target in [
        "/missing.js",
        "/missing.css",
        "/logo.png",
        "/font.woff2",
        "/missing.json",
    ] {
        let r = run_with(&fx, &c, &request("GET", target, &browser));
        assert_eq!(r.status, 404, "{target}");
        assert_eq!(r.text(), "<h1>custom not found</h1>\n", "{target}");
    }
    let r = run_with(
        &fx,
        &c,
        &request("GET", "/users/42", &[("accept", "application/json")]),
    );
    assert_eq!(r.status, 404);
    let r = run_with(
        &fx,
        &c,
        &request("GET", "/users/42", &[("accept", "image/webp")]),
    );
    assert_eq!(r.status, 404);
    assert_eq!(
        run_with(&fx, &c, &request("GET", "/hello.txt", &browser)).text(),
        "hello\n"
    );
}

#[test]
fn configured_pages_that_cannot_be_served_are_a_500_naming_the_variable() {
    let fx = fixture();
    for (variable, value) in [
        ("DOCROOT_NOT_FOUND", "/nope.html"),
        ("DOCROOT_NOT_FOUND", "/docs"),
        ("DOCROOT_NOT_FOUND", "/link-out.txt"),
        ("DOCROOT_FALLBACK", "/nope.html"),
        ("DOCROOT_FALLBACK", "/docs"),
        ("DOCROOT_FALLBACK", "/dir-link-out/inner.txt"),
    ] {
        let c = config(&[(variable, value)]);
        let r = run_with(&fx, &c, &request("GET", "/missing", &[]));
        assert_eq!(r.status, 500, "{variable}={value}");
        assert!(r.text().contains(variable), "{}", r.text());
        assert!(!common::contains(&r.body, common::SECRET));
        assert_eq!(
            run_with(&fx, &c, &request("GET", "/hello.txt", &[])).status,
            200
        );
    }
}

/// Every entry of a large directory is listed, escaped. (How long it takes
/// is measured by `cargo bench --bench listing`, not asserted here: a timed
/// test fails when the machine is busy.)
#[test]
fn ten_thousand_entries_are_all_listed() {
    let fs = (0..10_000).fold(docroot::testing::MemFiles::new(), |fs, i| {
        fs.file(&format!("file <{i:05}> & co.txt"), b"x")
    });
    let c = config(&[("DOCROOT_LISTING", "on")]);
    let req = request("GET", "/", &[]);
    let response = docroot::ready::run(docroot::app::handle(&req, &c, &fs, common::inproc::now));
    assert_eq!(response.status, 200);
    let docroot::http::Body::Bytes(body) = response.body else {
        panic!("a listing")
    };
    let html = String::from_utf8(body).unwrap();
    assert_eq!(
        html.matches("<tr><td class=\"name\"><a href=").count(),
        10_000
    );
    assert!(html.contains("file &lt;00000&gt; &amp; co.txt"));
    assert!(html.contains("file &lt;09999&gt; &amp; co.txt"));
}

#[test]
fn an_unreadable_sibling_falls_back_to_the_file_itself() {
    // Regression: the .br twin's stat succeeded, its open failed, and the
    // whole URL answered 403 although app.js itself is readable.
    use docroot::testing::{MemFiles, Op};
    let fs = MemFiles::new()
        .file("app.js", b"console.log(1)\n")
        .file("app.js.br", b"br-bytes")
        .fail(Op::Open, "app.js.br", docroot::fs::FsError::Forbidden);
    let with_br = request("GET", "/app.js", &[("accept-encoding", "br")]);
    let response = docroot::ready::run(docroot::app::handle(
        &with_br,
        &Config::default(),
        &fs,
        common::inproc::now,
    ));
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-encoding"), None);
    assert_eq!(response.header("content-length"), Some("15"));
    let plain = request("GET", "/app.js", &[]);
    let plain = docroot::ready::run(docroot::app::handle(
        &plain,
        &Config::default(),
        &fs,
        common::inproc::now,
    ));
    assert_eq!(response.header("etag"), plain.header("etag"));
}

#[test]
fn every_accept_line_counts() {
    // Regression: only the first Accept line was read.
    let fx = fixture();
    let r = with(
        &fx,
        &[("accept", "text/plain"), ("accept", "application/json")],
        "/missing",
    );
    assert_eq!(r.header("content-type"), Some("application/json"));
}
