//! Request → response tests of content coding, in-process over a fixture
//! tree with awkward names (`common::coded`): every coded body is decoded
//! and compared with its file; each coding is its own representation, for
//! 304s, 412s and ranges; what is never coded; files that exist only as
//! `name.gz`; listings and the site's 404 page; the settings; and the same
//! through the per-instance cache, which holds what it codes.

mod common;

use common::coded::{self, decode, fixture, only_gzip_original};
use common::inproc::{Res, config, now, request, run_with};
use docroot::cache::{Cache, CachedFile};
use docroot::config::Config;
use docroot::fs::StdFiles;
use std::io::{Read, Seek, SeekFrom};
use std::time::Duration;

/// Chrome's `Accept-Encoding`.
const CHROME: &str = "gzip, deflate, br, zstd";

fn file(name: &str) -> Vec<u8> {
    coded::files()
        .into_iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no {name} in the fixture"))
        .1
}

fn url(name: &str) -> String {
    format!(
        "/{}",
        percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC)
            .to_string()
            .replace("%2F", "/")
            .replace("%2E", ".")
    )
}

fn get(fx: &common::Fixture, config: &Config, target: &str, headers: &[(&str, &str)]) -> Res {
    run_with(fx, config, &request("GET", target, headers))
}

fn accepting(fx: &common::Fixture, coding: &str, target: &str) -> Res {
    get(
        fx,
        &Config::default(),
        target,
        &[("accept-encoding", coding)],
    )
}

/// What the client reads: the body decoded.
fn read(r: &Res) -> Vec<u8> {
    decode(r.header("content-encoding"), &r.body)
}

#[test]
fn every_compressible_file_decodes_to_itself_in_each_coding() {
    let fx = fixture();
    for name in [
        "long page \u{fc}.html",
        "app script.js",
        "data set.json",
        "vector.svg",
        "exactly-512.txt",
        "at the bound.html",
    ] {
        let identity = get(&fx, &Config::default(), &url(name), &[]);
        assert_eq!(identity.header("content-encoding"), None, "{name}");
        assert_eq!(identity.body, file(name));
        let mut tags = vec![identity.header("etag").unwrap().to_owned()];
        for (accept, coding) in [("br", "br"), ("gzip", "gzip"), (CHROME, "br"), ("*", "br")] {
            let r = accepting(&fx, accept, &url(name));
            assert_eq!(r.status, 200);
            assert_eq!(
                r.header("content-encoding"),
                Some(coding),
                "{name} {accept}"
            );
            assert_eq!(read(&r), file(name), "{name} {accept}");
            assert!(r.body.len() < file(name).len() / 2, "{name}: coded smaller");
            // Coded whole: its length is known.
            assert_eq!(r.header("content-length"), Some(&*r.body.len().to_string()));
            assert_eq!(r.header("vary"), Some("Accept-Encoding"));
            assert_eq!(r.header("accept-ranges"), Some("bytes"));
            assert_eq!(r.header("last-modified"), identity.header("last-modified"));
            assert_eq!(r.header("content-type"), identity.header("content-type"));
            tags.push(r.header("etag").unwrap().to_owned());
        }
        // One tag per representation: br, gzip, then br again twice.
        assert_ne!(tags[0], tags[1]);
        assert_ne!(tags[1], tags[2]);
        assert_ne!(tags[0], tags[2]);
        assert_eq!(tags[1], tags[3]);
        assert_eq!(tags[1], tags[4]);
        // Made per answer here (no cache): brotli 1, gzip 1.
        assert!(
            tags[1].ends_with("-br.1v2\"") && tags[2].ends_with("-gzip.1\""),
            "{tags:?}"
        );
    }
}

#[test]
fn head_sends_the_headers_get_sends() {
    let fx = fixture();
    for name in [
        "long page \u{fc}.html",
        "big text.txt",
        "only \u{65e5}.html",
    ] {
        for accept in ["br", "gzip", ""] {
            let headers: &[(&str, &str)] = &[("accept-encoding", accept)];
            let get = get(&fx, &Config::default(), &url(name), headers);
            let head = run_with(
                &fx,
                &Config::default(),
                &request("HEAD", &url(name), headers),
            );
            assert_eq!(head.status, get.status);
            assert!(head.body.is_empty());
            assert_eq!(head.headers, get.headers, "{name} {accept:?}");
        }
    }
}

#[test]
fn a_file_beyond_the_bound_is_gzip_coded_while_it_streams() {
    let fx = fixture();
    let name = "big text.txt";
    for accept in ["gzip", CHROME] {
        let r = accepting(&fx, accept, &url(name));
        assert_eq!(r.header("content-encoding"), Some("gzip"), "{accept}");
        assert_eq!(r.header("content-length"), None, "its length is not known");
        assert_eq!(read(&r), file(name));
        assert!(r.header("etag").unwrap().ends_with("-gzip.1\""));
    }
    // brotli is made whole only: a client that takes br alone gets the file.
    let r = accepting(&fx, "br", &url(name));
    assert_eq!(r.header("content-encoding"), None);
    assert_eq!(r.body, file(name));
    let gzip_only = config(&[("DOCROOT_COMPRESSION", "br")]);
    let r = get(&fx, &gzip_only, &url(name), &[("accept-encoding", CHROME)]);
    assert_eq!(r.header("content-encoding"), None);
}

#[test]
fn what_is_never_coded() {
    let fx = fixture();
    for name in ["photo.jpg", "font.woff2", "just-511.txt", "archive.tar.gz"] {
        let r = accepting(&fx, CHROME, &url(name));
        assert_eq!(r.header("content-encoding"), None, "{name}");
        assert_eq!(r.body, file(name));
        assert_eq!(r.header("vary"), Some("Accept-Encoding"), "{name}");
    }
    // A .gz asked for by its own name is an archive, not a coding.
    let r = accepting(&fx, CHROME, "/archive.tar.gz");
    assert_eq!(r.header("content-type"), Some("application/gzip"));
    let page = url("long page \u{fc}.html");
    for refused in [
        "identity",
        "br;q=0, gzip;q=0",
        "identity;q=1, br;q=0.5",
        "deflate",
    ] {
        let r = accepting(&fx, refused, &page);
        assert_eq!(r.header("content-encoding"), None, "{refused}");
    }
    let r = get(&fx, &Config::default(), &page, &[]);
    assert_eq!(r.header("content-encoding"), None, "no Accept-Encoding");
    let no_transform = config(&[("DOCROOT_CACHE_CONTROL", "public, No-Transform")]);
    let r = get(&fx, &no_transform, &page, &[("accept-encoding", CHROME)]);
    assert_eq!(r.header("content-encoding"), None);
    assert_eq!(r.header("cache-control"), Some("public, No-Transform"));
}

#[test]
fn the_setting_turns_coding_off_or_orders_it() {
    let fx = fixture();
    let page = url("long page \u{fc}.html");
    let off = config(&[("DOCROOT_COMPRESSION", "off")]);
    let r = get(&fx, &off, &page, &[("accept-encoding", CHROME)]);
    assert_eq!(r.header("content-encoding"), None);
    // The site's own precompressed files are served all the same.
    let r = get(&fx, &off, "/twin.css", &[("accept-encoding", CHROME)]);
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    let gzip_first = config(&[("DOCROOT_COMPRESSION", "gzip,br")]);
    let r = get(&fx, &gzip_first, &page, &[("accept-encoding", CHROME)]);
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    let r = get(
        &fx,
        &gzip_first,
        &page,
        &[("accept-encoding", "gzip;q=0.5, br")],
    );
    assert_eq!(
        r.header("content-encoding"),
        Some("br"),
        "the client's weights first"
    );
}

#[test]
fn a_sites_precompressed_file_comes_before_any_coding_made() {
    let fx = fixture();
    let r = accepting(&fx, "br, gzip", "/twin.css");
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert_eq!(r.body, file("twin.css.gz"));
    assert!(r.header("etag").unwrap().ends_with("-gzip\""));
    let r = accepting(&fx, CHROME, "/z.js");
    assert_eq!(r.header("content-encoding"), Some("zstd"));
    assert_eq!(r.body, file("z.js.zst"));
    // Without zstd, a coding is made.
    let r = accepting(&fx, "br", "/z.js");
    assert_eq!(r.header("content-encoding"), Some("br"));
    assert_eq!(read(&r), file("z.js"));
}

#[test]
fn preconditions_compare_against_the_representation_sent() {
    let fx = fixture();
    let page = url("long page \u{fc}.html");
    let tag = |accept: &str| {
        accepting(&fx, accept, &page)
            .header("etag")
            .unwrap()
            .to_owned()
    };
    let (plain, br, gz) = (tag(""), tag("br"), tag("gzip"));
    let cond = |accept: &str, header: &str, value: &str| {
        get(
            &fx,
            &Config::default(),
            &page,
            &[("accept-encoding", accept), (header, value)],
        )
    };
    let r = cond("br", "if-none-match", &br);
    assert_eq!((r.status, r.header("etag")), (304, Some(&*br)));
    assert!(r.body.is_empty());
    assert_eq!(r.header("vary"), Some("Accept-Encoding"));
    assert_eq!(
        cond("gzip", "if-none-match", &br).status,
        200,
        "br's tag is not gzip's"
    );
    assert_eq!(cond("br", "if-none-match", &plain).status, 200);
    assert_eq!(cond("", "if-none-match", &plain).status, 304);
    assert_eq!(
        cond("gzip", "if-none-match", &format!("{br}, {gz}")).status,
        304
    );
    assert_eq!(cond("gzip", "if-match", &br).status, 412);
    assert_eq!(cond("br", "if-match", &br).status, 200);
    assert_eq!(cond("br", "if-match", &plain).status, 412);
    // A HEAD's 304 too.
    let r = run_with(
        &fx,
        &Config::default(),
        &request(
            "HEAD",
            &page,
            &[("accept-encoding", "br"), ("if-none-match", &br)],
        ),
    );
    assert_eq!(r.status, 304);
}

#[test]
fn ranges_are_of_the_file_itself_whatever_is_accepted() {
    let fx = fixture();
    let page = url("long page \u{fc}.html");
    let plain = accepting(&fx, "", &page);
    let tag = plain.header("etag").unwrap();
    let r = get(
        &fx,
        &Config::default(),
        &page,
        &[("accept-encoding", CHROME), ("range", "bytes=10-19")],
    );
    assert_eq!(r.status, 206);
    assert_eq!(r.body, &file("long page \u{fc}.html")[10..20]);
    assert_eq!(r.header("content-encoding"), None);
    assert_eq!(r.header("content-range"), Some("bytes 10-19/20000"));
    assert_eq!(r.header("etag"), Some(tag));
    // If-Range compares against the file itself: its own tag gives the
    // range, the coded one's gives the whole file (itself).
    let ranged = |if_range: &str| {
        get(
            &fx,
            &Config::default(),
            &page,
            &[
                ("accept-encoding", CHROME),
                ("range", "bytes=0-9"),
                ("if-range", if_range),
            ],
        )
    };
    assert_eq!(ranged(tag).status, 206);
    let br = accepting(&fx, "br", &page)
        .header("etag")
        .unwrap()
        .to_owned();
    let r = ranged(&br);
    assert_eq!((r.status, r.header("content-encoding")), (200, None));
    assert_eq!(r.body, file("long page \u{fc}.html"));
    let r = get(
        &fx,
        &Config::default(),
        &page,
        &[("accept-encoding", "br"), ("range", "bytes=99999-")],
    );
    assert_eq!(r.status, 416);
}

#[test]
fn a_file_that_exists_only_as_gz_is_served_as_itself() {
    let fx = fixture();
    for name in ["only \u{65e5}.html", "gzdir/index.html"] {
        let target = if name.ends_with("index.html") {
            "/gzdir/".to_owned()
        } else {
            url(name)
        };
        let gz = file(&format!("{name}.gz"));
        let coded = accepting(&fx, CHROME, &target);
        assert_eq!(coded.status, 200, "{name}");
        assert_eq!(
            coded.header("content-type"),
            Some("text/html; charset=utf-8")
        );
        assert_eq!(coded.header("content-encoding"), Some("gzip"));
        assert_eq!(coded.body, gz, "the site's own bytes");
        assert_eq!(coded.header("content-length"), Some(&*gz.len().to_string()));
        assert_eq!(coded.header("accept-ranges"), Some("none"));
        let plain = accepting(&fx, "br", &target);
        assert_eq!(plain.header("content-encoding"), None);
        assert_eq!(
            plain.body,
            only_gzip_original(name),
            "decoded for a client without gzip"
        );
        assert_eq!(plain.header("content-length"), None);
        assert_ne!(plain.header("etag"), coded.header("etag"));
        assert_eq!(plain.header("vary"), Some("Accept-Encoding"));
        // Ranges are not served of it: the whole file.
        let r = get(&fx, &Config::default(), &target, &[("range", "bytes=0-9")]);
        assert_eq!((r.status, r.header("content-range")), (200, None));
        assert_eq!(r.body, only_gzip_original(name));
        // Its tags validate.
        let tag = coded.header("etag").unwrap();
        let r = get(
            &fx,
            &Config::default(),
            &target,
            &[("accept-encoding", "gzip"), ("if-none-match", tag)],
        );
        assert_eq!(r.status, 304);
    }
    // The .gz by its own name stays what it is.
    let r = accepting(&fx, CHROME, &url("only \u{65e5}.html.gz"));
    assert_eq!(r.header("content-type"), Some("application/gzip"));
    assert_eq!(r.header("content-encoding"), None);
    // A directory path never turns into a .gz.
    assert_eq!(
        accepting(&fx, CHROME, &format!("{}/", url("only \u{65e5}.html"))).status,
        404
    );
}

#[test]
fn a_gz_that_is_not_gzip_is_sent_as_it_is_or_fails_to_decode() {
    let fx = fixture();
    // To a client that takes gzip, the site's bytes as they are.
    let r = accepting(&fx, "gzip", "/bad.html");
    assert_eq!(r.body, file("bad.html.gz"));
    // Decoding it fails: the body does not code (the glues abort it).
    let fs = StdFiles::new(fx.root()).unwrap();
    let response = docroot::ready::run(docroot::app::handle(
        &request("GET", "/bad.html", &[]),
        &Config::default(),
        &fs,
        now,
    ));
    assert_eq!(response.status, 200);
    let sent = docroot::testing::body_bytes(response.body, |file, offset, len| {
        let mut file = file;
        file.seek(SeekFrom::Start(offset)).unwrap();
        let mut buf = Vec::new();
        file.take(len).read_to_end(&mut buf).unwrap();
        buf
    });
    assert!(sent.is_err(), "{sent:?}");
}

#[test]
fn listings_and_the_sites_404_page_are_coded_too() {
    let fx = fixture();
    let listing = config(&[("DOCROOT_LISTING", "on")]);
    for target in ["/many/", "/many/?format=json"] {
        let plain = get(&fx, &listing, target, &[]);
        let r = get(&fx, &listing, target, &[("accept-encoding", CHROME)]);
        assert_eq!(r.header("content-encoding"), Some("br"), "{target}");
        assert_eq!(read(&r), plain.body, "{target}");
        assert_eq!(r.header("content-length"), Some(&*r.body.len().to_string()));
        assert_eq!(r.header("vary"), Some("Accept, Accept-Encoding"));
        assert_eq!(plain.header("vary"), Some("Accept, Accept-Encoding"));
    }
    let not_found = config(&[("DOCROOT_NOT_FOUND", "/404.html")]);
    let r = get(&fx, &not_found, "/missing", &[("accept-encoding", "gzip")]);
    assert_eq!(
        (r.status, r.header("content-encoding")),
        (404, Some("gzip"))
    );
    assert_eq!(read(&r), file("404.html"));
    assert_eq!(r.header("vary"), Some("Accept, Accept-Encoding"));
    // docroot's own error pages, at their small size, are not.
    let r = accepting(&fx, CHROME, "/missing");
    assert_eq!(r.status, 404);
    assert_eq!(r.header("vary"), Some("Accept, Accept-Encoding"));
    assert!(r.body.len() < 512 || r.header("content-encoding").is_some());
    let off = config(&[("DOCROOT_COMPRESSION", "off"), ("DOCROOT_LISTING", "on")]);
    let r = get(&fx, &off, "/many/", &[("accept-encoding", CHROME)]);
    assert_eq!(
        (r.header("content-encoding"), r.header("vary")),
        (None, Some("Accept"))
    );
}

/// The core over the per-instance cache, as `docroot.wasm` serves: with
/// the file cache on, its glue codes thoroughly.
fn cached(cache: &Cache<StdFiles>, target: &str, headers: &[(&str, &str)]) -> Res {
    let view = cache.view(|| 0);
    let config = Config {
        coding_effort: docroot::codec::Effort::Thorough,
        ..Config::default()
    };
    let mut response = docroot::ready::run(docroot::app::handle_cached(
        &request("GET", target, headers),
        &config,
        &view,
        now,
        &docroot::rules::Loader::new(),
    ));
    let body = std::mem::replace(&mut response.body, docroot::http::Body::Empty);
    let body = docroot::testing::body_bytes(body, |file, offset, len| match file {
        CachedFile::Held(bytes) => docroot::testing::slice_of(bytes, offset, len),
        CachedFile::Open(file) => {
            let mut file = file;
            file.seek(SeekFrom::Start(offset)).unwrap();
            let mut buf = Vec::new();
            file.take(len).read_to_end(&mut buf).unwrap();
            buf
        }
    })
    .unwrap();
    Res {
        status: response.status,
        headers: common::inproc::pairs(&response.head),
        body,
    }
}

#[test]
fn the_cache_holds_what_it_codes_thoroughly_and_drops_it_with_the_file() {
    let fx = fixture();
    let cache = Cache::new(
        StdFiles::new(fx.root()).unwrap(),
        Some(Duration::from_secs(1)),
    );
    let page = url("long page \u{fc}.html");
    let r = cached(&cache, &page, &[("accept-encoding", "br")]);
    assert_eq!(read(&r), file("long page \u{fc}.html"));
    assert!(
        r.header("etag").unwrap().ends_with("-br.5v2\""),
        "thorough where held"
    );
    let held = cache.held();
    let again = cached(&cache, &page, &[("accept-encoding", "br")]);
    assert_eq!(again.body, r.body);
    assert_eq!(cache.held(), held, "nothing new: the coding was held");
    let gz = cached(&cache, &page, &[("accept-encoding", "gzip")]);
    assert!(gz.header("etag").unwrap().ends_with("-gzip.6\""));
    assert!(
        cache.held() > held + gz.body.len(),
        "the gzip coding is held beside"
    );
    // Thorough codes smaller than fast.
    let fast = accepting(&fx, "br", &page);
    assert!(
        r.body.len() < fast.body.len(),
        "{} {}",
        r.body.len(),
        fast.body.len()
    );
    // A big file streams through the cache untouched by it.
    let big = cached(&cache, "/big%20text.txt", &[("accept-encoding", "gzip")]);
    assert_eq!(read(&big), file("big text.txt"));
    assert!(big.header("etag").unwrap().ends_with("-gzip.6\""));
    assert!(cache.held() <= docroot::cache::MAX_TOTAL);
}
