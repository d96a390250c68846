//! The per-instance file cache under the whole core: requests that share
//! one instance, interleaved at every filesystem call as a WASI 0.3 host
//! interleaves them, get exactly the answers they get alone from an
//! uncached site; repeats ask the filesystem nothing; a change on disk is
//! served once the recheck interval has passed.

mod common;

use common::inproc::{Answer, answer, held_or_open, now, request};
use docroot::app;
use docroot::cache::{Cache, CachedFile};
use docroot::config::Config;
use docroot::fs::Files;
use docroot::http::Request;
use docroot::rules::Loader;
use docroot::testing::MemFiles;
use docroot::testing::guest::{Arrival, Guest, HostFiles, Task};
use std::time::{Duration, UNIX_EPOCH};

const SECOND: u64 = 1_000_000_000;

/// Runs every future to its end as the tasks of one instance, by the
/// rules of the runtime that runs them in `docroot.wasm`: each waits only
/// on its own calls to the site, which complete in an order a fixed seed
/// picks.
fn run_together<T>(futures: Vec<Task<'_, T>>) -> Vec<T> {
    Guest::new(7, Arrival::AtOnce).run(futures)
}

/// A cache over `files` in memory, checked again after `recheck`.
fn disk_cache(files: MemFiles, recheck: Option<Duration>) -> Cache<HostFiles> {
    Cache::new(HostFiles::new(files), recheck)
}

fn site() -> MemFiles {
    MemFiles::new()
        .file("index.html", b"<h1>home</h1>")
        .file("app.js", b"console.log('plain')")
        .file("app.js.br", b"BROTLI")
        .file("docs/a b.txt", "ünïcode name\n".as_bytes())
        .file("big.bin", &vec![7; 200 * 1024])
        .file("404.html", b"<h1>not here</h1>")
}

/// What each request gets from an uncached site, asked alone.
fn alone(files: &MemFiles, config: &Config, req: &Request) -> Answer {
    let response = docroot::ready::run(app::handle(req, config, files, now));
    answer(response, |file| file.clone())
}

fn requests() -> Vec<Request> {
    let etag = {
        let r = alone(&site(), &Config::default(), &request("GET", "/", &[]));
        r.1.iter().find(|(n, _)| *n == "etag").unwrap().1.clone()
    };
    let mut all = Vec::new();
    for n in 0..16 {
        let req = match n % 8 {
            0 => request("GET", "/", &[]),
            1 => request("GET", "/", &[("if-none-match", &etag)]),
            2 => request("GET", "/app.js", &[("range", "bytes=2-6")]),
            3 => request("GET", "/app.js", &[("accept-encoding", "br")]),
            4 => request("HEAD", "/docs/a%20b.txt", &[]),
            5 => request("GET", "/missing.html", &[]),
            6 => request("GET", "/big.bin", &[("range", "bytes=-10")]),
            _ => request("GET", "/docs", &[]),
        };
        all.push(req);
    }
    all
}

/// The requests through one cache, its kept answers and one instance's
/// rules, polled in turn at time `t`, as one 0.3 instance runs them.
fn cached(cache: &Cache<HostFiles>, config: &Config, reqs: &[Request], t: u64) -> Vec<Answer> {
    cached_with(cache, &Loader::new(), config, reqs, t)
}

fn cached_with(
    cache: &Cache<HostFiles>,
    loader: &Loader,
    config: &Config,
    reqs: &[Request],
    t: u64,
) -> Vec<Answer> {
    let futures: Vec<Task<'_, Answer>> = reqs
        .iter()
        .map(|req| {
            let future: Task<'_, Answer> = Box::pin(async move {
                let view = cache.view(move || t);
                let response = app::handle_cached(req, config, &view, now, loader).await;
                answer(response, held_or_open)
            });
            future
        })
        .collect();
    run_together(futures)
}

fn not_found_page() -> Config {
    Config::from_vars([("DOCROOT_NOT_FOUND", "/404.html")]).unwrap()
}

#[test]
fn sixteen_requests_at_once_get_what_each_gets_alone() {
    let config = not_found_page();
    let reqs = requests();
    let expected: Vec<Answer> = reqs.iter().map(|r| alone(&site(), &config, r)).collect();
    let cache = disk_cache(site(), config.file_cache);
    // Cold, then warm: the same answers both times.
    for round in 0..3 {
        let got = cached(&cache, &config, &reqs, round);
        for ((req, got), want) in reqs.iter().zip(&got).zip(&expected) {
            assert_eq!(
                got, want,
                "round {round}: {} {}",
                req.method, req.path_with_query
            );
        }
    }
    // The warm rounds asked the filesystem nothing, the big file aside
    // (too big to hold: looked up and opened each time).
    let calls = cache.inner().calls();
    cached(&cache, &config, &reqs, 5);
    assert_eq!(
        cache.inner().calls() - calls,
        4,
        "a stat and an open for each of big.bin's two requests"
    );
}

#[test]
fn a_change_is_served_one_interval_after_the_last_check_and_not_before() {
    let config = Config::default();
    let reqs = vec![request("GET", "/app.js", &[]); 16];
    let cache = disk_cache(site(), Some(Duration::from_secs(1)));
    let bodies = |t| -> Vec<Vec<u8>> {
        cached(&cache, &config, &reqs, t)
            .into_iter()
            .map(|a| a.2)
            .collect()
    };
    assert!(bodies(0).iter().all(|b| b == b"console.log('plain')"));
    let later = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    cache.inner().change(|files| {
        files
            .file("app.js", b"console.log('new')")
            .modified("app.js", Some(later))
    });
    assert!(
        bodies(SECOND - 1)
            .iter()
            .all(|b| b == b"console.log('plain')")
    );
    assert!(bodies(SECOND).iter().all(|b| b == b"console.log('new')"));
    // Same size, new time: seen too.
    let even_later = later + Duration::from_secs(1);
    cache.inner().change(|files| {
        files
            .file("app.js", b"console.log('NEW')")
            .modified("app.js", Some(even_later))
    });
    assert!(
        bodies(2 * SECOND)
            .iter()
            .all(|b| b == b"console.log('NEW')")
    );
    // Gone: 404 for all.
    cache.inner().change(|_| MemFiles::new());
    let statuses: Vec<u16> = cached(&cache, &config, &reqs, 3 * SECOND)
        .into_iter()
        .map(|a| a.0)
        .collect();
    assert_eq!(statuses, [404; 16]);
}

#[test]
fn off_serves_every_change_at_once() {
    let config = Config::from_vars([("DOCROOT_FILE_CACHE", "off")]).unwrap();
    let cache = disk_cache(site(), config.file_cache);
    let req = [request("GET", "/index.html", &[])];
    assert_eq!(cached(&cache, &config, &req, 0)[0].2, b"<h1>home</h1>");
    cache
        .inner()
        .change(|files| files.file("index.html", b"<h1>changed</h1>"));
    assert_eq!(cached(&cache, &config, &req, 0)[0].2, b"<h1>changed</h1>");
    assert!(cache.is_empty());
}

/// On a real disk: a file rewritten with the same size and given back its
/// old modification time (as `cp -p` or an unpacked archive leaves it) is
/// seen by its status-change time.
#[cfg(unix)]
#[test]
fn a_same_size_rewrite_that_keeps_its_time_is_seen_too() {
    use docroot::fs::StdFiles;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.txt");
    std::fs::write(&path, b"first").unwrap();
    let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
    let cache = Cache::new(
        StdFiles::new(dir.path()).unwrap(),
        Some(Duration::from_secs(1)),
    );
    let name = ["a.txt".to_owned()];
    let get = |t: u64| {
        let view = cache.view(move || t);
        let meta = docroot::ready::run(view.stat(&name)).unwrap();
        match docroot::ready::run(view.open(&name)).unwrap() {
            CachedFile::Held(bytes) => (meta, bytes.to_vec()),
            CachedFile::Open(_) => panic!("a small file is held"),
        }
    };
    let (before, bytes) = get(0);
    assert_eq!(bytes, b"first");
    // The status-change time moves on the kernel's coarse clock tick: the
    // file is rewritten until it has moved, under a deadline.
    let disk = StdFiles::new(dir.path()).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        std::fs::write(&path, b"secnd").unwrap();
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(mtime)
            .unwrap();
        let now = docroot::ready::run(disk.stat(&name)).unwrap();
        if now.changed != before.changed {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the status-change time did not move in 10 s"
        );
        std::thread::yield_now();
    }
    let (after, bytes) = get(SECOND);
    assert_eq!((after.len, after.modified), (before.len, before.modified));
    assert_eq!(bytes, b"secnd");
}

/// A site with every kind of held answer: a page coded on the fly, a
/// precompressed twin, an index, an awkward name, and rules that add
/// headers.
fn answers_site() -> MemFiles {
    MemFiles::new()
        .file("page.html", &common::coded::page_text(4000, 7))
        .file("app.js", b"console.log('plain')")
        .file("app.js.br", b"BROTLI")
        .file("docs/index.html", b"<h1>docs</h1>")
        .file("docs/a b&c.txt", "ünïcode name\n".as_bytes())
        // What `/s/page.html` names when `/s` is not a mount point.
        .file("s/page.html", b"<p>not the page mounted at /s</p>")
        // A protected page, which the operator's default would let a
        // shared cache keep.
        .file("private/p.html", &common::coded::page_text(3000, 9))
        .file(
            "_headers",
            b"/docs/*\n  X-Docs: yes\n/page.html\n  Cache-Control: public, max-age=60\n\
              /private/*\n  Basic-Auth: alice:s3cret\n  Cache-Control: public, max-age=60\n",
        )
}

/// `Authorization` for alice, whom `answers_site` lets into `/private/`.
const ALICE: &str = "Basic YWxpY2U6czNjcmV0";

/// GET and HEAD of each held file, with every `Accept-Encoding` and
/// validator a client sends, and some that go through the pipeline.
fn answers_requests(cache: &Cache<HostFiles>, config: &Config, loader: &Loader) -> Vec<Request> {
    let mut all = Vec::new();
    for path in ["/page.html", "/app.js", "/docs/", "/docs/a%20b%26c.txt?q=1"] {
        for ae in [
            "",
            "br",
            "gzip",
            "gzip, br",
            "br;q=0, gzip;q=0",
            "identity",
            "*",
        ] {
            let mut headers = Vec::new();
            if !ae.is_empty() {
                headers.push(("accept-encoding", ae));
            }
            // This representation's validators, as a client got them.
            let plain = request("GET", path, &headers);
            let got = pipeline(cache, config, loader, &plain, 0);
            let etag = got.1.iter().find(|(n, _)| *n == "etag").unwrap().1.clone();
            let modified = got
                .1
                .iter()
                .find(|(n, _)| *n == "last-modified")
                .unwrap()
                .1
                .clone();
            let conditions: [&[(&str, &str)]; 8] = [
                &[],
                &[("if-none-match", &etag)],
                &[("if-none-match", "\"other\", W/\"x\"")],
                &[("if-none-match", "*")],
                &[("if-modified-since", &modified)],
                &[("if-modified-since", "Sun, 06 Nov 1994 08:49:37 GMT")],
                &[
                    ("if-none-match", "\"other\""),
                    ("if-modified-since", &modified),
                ],
                &[("range", "bytes=0-3")],
            ];
            for condition in conditions {
                for method in ["GET", "HEAD"] {
                    let mut h = headers.clone();
                    h.extend_from_slice(condition);
                    all.push(request(method, path, &h));
                }
            }
        }
    }
    all.push(request("GET", "/missing", &[]));
    all.push(request("GET", "/app.js", &[("if-match", "\"nope\"")]));
    all.push(request("POST", "/app.js", &[]));
    all
}

/// The pipeline's answer through the cache, without its kept answers.
fn pipeline(
    cache: &Cache<HostFiles>,
    config: &Config,
    loader: &Loader,
    req: &Request,
    t: u64,
) -> Answer {
    let future: Task<'_, Answer> = Box::pin(async move {
        let view = cache.view(move || t);
        answer(
            app::handle_with(req, config, &view, now, loader).await,
            held_or_open,
        )
    });
    run_together(vec![future]).remove(0)
}

#[test]
fn a_kept_answer_is_the_pipelines_to_the_byte() {
    let config = Config::default();
    let cache = disk_cache(answers_site(), config.file_cache);
    let loader = Loader::new();
    let reqs = answers_requests(&cache, &config, &loader);
    // In turn, forwards and backwards (so each kind of answer is kept first
    // by each kind of request), then all at once.
    for round in 0..3 {
        let order: Vec<&Request> = match round {
            1 => reqs.iter().rev().collect(),
            _ => reqs.iter().collect(),
        };
        for req in order {
            let want = pipeline(&cache, &config, &loader, req, 0);
            let got = cached_with(&cache, &loader, &config, std::slice::from_ref(req), 0);
            assert_eq!(
                got[0], want,
                "{} {} {:?}",
                req.method, req.path_with_query, req.headers
            );
        }
    }
    let calls = cache.inner().calls();
    let got = cached_with(&cache, &loader, &config, &reqs, 0);
    for (req, got) in reqs.iter().zip(got) {
        assert_eq!(got, pipeline(&cache, &config, &loader, req, 0));
    }
    assert_eq!(
        cache.inner().calls(),
        calls,
        "nothing was asked of the filesystem"
    );
    // Every GET and HEAD of a held file without a range was answered from
    // what was kept, 200 and 304 alike.
    let view = cache.view(|| 0);
    for req in &reqs {
        let through = req.method == "POST"
            || req.path_with_query == "/missing"
            || req
                .headers
                .iter()
                .any(|(n, _)| n == "range" || n == "if-match");
        let asked = docroot::prepare::Asked::of(req, Some(&config));
        let kept = asked
            .key()
            .and_then(|key| docroot::answers::answer(&view, &key, &asked));
        assert_eq!(
            kept.is_none(),
            through,
            "{} {} {:?}",
            req.method,
            req.path_with_query,
            req.headers
        );
    }
}

#[test]
fn a_kept_answer_sees_a_new_twin_and_a_new_rule_one_interval_on() {
    let config = Config::default();
    let cache = disk_cache(answers_site(), config.file_cache);
    let loader = Loader::new();
    let br = [request("GET", "/page.html", &[("accept-encoding", "br")])];
    let first = cached_with(&cache, &loader, &config, &br, 0).remove(0);
    assert_eq!(
        cached_with(&cache, &loader, &config, &br, SECOND / 2).remove(0),
        first
    );
    cache.inner().change(|files| {
        files
            .file("page.html.br", b"TWIN")
            .file("_headers", b"/page.html\n  X-New: rule\n")
    });
    assert_eq!(
        cached_with(&cache, &loader, &config, &br, SECOND - 1).remove(0),
        first,
        "within the interval of the first look"
    );
    let (_, head, body) = cached_with(&cache, &loader, &config, &br, SECOND).remove(0);
    assert_eq!(body, b"TWIN");
    assert!(
        head.iter().any(|(n, v)| *n == "x-new" && v == "rule"),
        "{head:?}"
    );
    let cache_control = head.iter().find(|(n, _)| *n == "cache-control");
    assert_eq!(
        cache_control.map(|(_, v)| v.as_str()),
        Some(docroot::config::DEFAULT_CACHE_CONTROL),
        "{head:?}"
    );
}

/// Every cache warmed by allowed requests (the file cache holds the page
/// and its coding, and would keep answers), then the same requests
/// without credentials, or with wrong ones: each a 401 with nothing of the
/// page, however it is asked (HEAD, a coding, a validator it got, a range).
#[test]
fn caches_warmed_by_an_allowed_request_never_answer_one_without_credentials() {
    let config = Config::default();
    let cache = disk_cache(answers_site(), config.file_cache);
    let loader = Loader::new();
    let page = common::coded::page_text(3000, 9);
    let allowed = [request(
        "GET",
        "/private/p.html",
        &[("authorization", ALICE)],
    )];
    let (status, head, body) = cached_with(&cache, &loader, &config, &allowed, 0).remove(0);
    assert_eq!((status, &body), (200, &page));
    let header = |name: &str| head.iter().find(|(n, _)| *n == name).unwrap().1.clone();
    assert_eq!(header("cache-control"), "private, max-age=60");
    let (etag, modified) = (header("etag"), header("last-modified"));
    let asks: [&[(&str, &str)]; 6] = [
        &[],
        &[("accept-encoding", "br")],
        &[("accept-encoding", "gzip")],
        &[("if-none-match", &etag)],
        &[("if-modified-since", &modified)],
        &[("range", "bytes=0-99")],
    ];
    for t in [0, SECOND / 2] {
        for method in ["GET", "HEAD"] {
            for ask in asks {
                let mut with = ask.to_vec();
                with.push(("authorization", ALICE));
                let warm = [request(method, "/private/p.html", &with)];
                let (status, head, _) = cached_with(&cache, &loader, &config, &warm, t).remove(0);
                assert!(
                    matches!(status, 200 | 206 | 304),
                    "{method} {ask:?}: {status}"
                );
                assert!(
                    head.iter()
                        .any(|(n, v)| *n == "cache-control" && v.starts_with("private")),
                    "{head:?}"
                );
                for credentials in [None, Some("Basic Ym9iOm5v"), Some("Basic !!")] {
                    let mut without = ask.to_vec();
                    without.extend(credentials.map(|c| ("authorization", c)));
                    let cold = [request(method, "/private/p.html", &without)];
                    let (status, head, body) =
                        cached_with(&cache, &loader, &config, &cold, t).remove(0);
                    let what = format!("{method} {ask:?} {credentials:?}");
                    assert_eq!(status, 401, "{what}");
                    for gone in ["etag", "last-modified", "content-range", "x-docs"] {
                        assert!(!head.iter().any(|(n, _)| *n == gone), "{what}: {head:?}");
                    }
                    assert!(!common::contains(&body, &page[..64]), "{what}");
                }
            }
        }
    }
}

#[test]
fn an_answer_made_from_an_older_look_lives_no_longer_than_that_look() {
    let config = Config::default();
    let cache = disk_cache(answers_site(), config.file_cache);
    let loader = Loader::new();
    let ms = SECOND / 1000;
    let plain = [request("GET", "/app.js", &[])];
    let gzip = [request("GET", "/app.js", &[("accept-encoding", "gzip")])];
    // The rules are looked at first, at 0; app.js at 300 ms.
    cached_with(
        &cache,
        &loader,
        &config,
        &[request("GET", "/docs/", &[])],
        0,
    );
    cached_with(&cache, &loader, &config, &plain, 300 * ms);
    // At 1100 ms the rules are looked at again, and a new kind of request
    // is answered from the look at app.js at 300 ms, its answer kept.
    let old = cached_with(&cache, &loader, &config, &gzip, 1100 * ms).remove(0);
    let later = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    cache.inner().change(|files| {
        files
            .file("app.js", b"console.log('new')")
            .modified("app.js", Some(later))
    });
    assert_eq!(
        cached_with(&cache, &loader, &config, &gzip, 1299 * ms)[0],
        old
    );
    let (_, _, body) = cached_with(&cache, &loader, &config, &gzip, 1300 * ms).remove(0);
    assert_eq!(
        body, b"console.log('new')",
        "one interval after the look at the file, not after the answer"
    );
}

#[test]
fn an_answer_lives_no_longer_than_the_look_at_the_rules_it_was_made_with() {
    let config = Config::default();
    let cache = disk_cache(answers_site(), config.file_cache);
    let loader = Loader::new();
    let ms = SECOND / 1000;
    let page = [request("GET", "/page.html", &[])];
    // The rules are read at 0; the page is answered at 300 ms with them.
    cached_with(
        &cache,
        &loader,
        &config,
        &[request("GET", "/docs/", &[])],
        0,
    );
    let old = cached_with(&cache, &loader, &config, &page, 300 * ms).remove(0);
    cache
        .inner()
        .change(|files| files.file("_headers", b"/page.html\n  X-New: rule\n"));
    assert_eq!(
        cached_with(&cache, &loader, &config, &page, SECOND - 1)[0],
        old
    );
    let (_, head, _) = cached_with(&cache, &loader, &config, &page, SECOND).remove(0);
    assert!(
        head.iter().any(|(n, v)| *n == "x-new" && v == "rule"),
        "{head:?}"
    );
}

/// Rules read from the file cache's looks are as old as those looks: a
/// rule file looked at 300 ms before the request that reads the rules
/// makes rules that are good one interval after the look, not after the
/// request (else a changed rule file could wait two intervals).
#[test]
fn rules_read_through_the_cache_are_as_old_as_its_looks() {
    let cache = disk_cache(answers_site(), Some(Duration::from_secs(1)));
    let ms = SECOND / 1000;
    let names = |name: &str| vec![name.to_owned()];
    // The rule files looked at, at 100 ms, by something else than the
    // rules (as another request's read of them would).
    let early = cache.view(|| 100 * ms);
    for name in ["_redirects", "_headers"] {
        let _ = docroot::ready::run(early.stat(&names(name)));
    }
    let loader = Loader::new();
    let view = cache.view(|| 400 * ms);
    let (rules, _) = docroot::ready::run(loader.rules(&view, &view, true));
    assert_eq!(rules.looked(), Some(100 * ms));
    // Asked of the filesystem itself, a look is the request's own time.
    let fresh = disk_cache(answers_site(), Some(Duration::from_secs(1)));
    let view = fresh.view(|| 400 * ms);
    let (rules, _) = docroot::ready::run(Loader::new().rules(&view, &view, true));
    assert_eq!(rules.looked(), Some(400 * ms));
}

/// One request, as the property below draws it: a path, a query, a mount
/// point or none, and every header the pipeline reads, from values that
/// collide often enough for kept answers to serve some.
#[derive(Debug, Clone)]
struct Drawn {
    method: &'static str,
    path: &'static str,
    query: &'static str,
    /// The target starts `/s`.
    prefixed: bool,
    /// `spin-path-info` names the path below `/s` (a mount point only
    /// when the target starts with it).
    mounted: bool,
    accept: Option<&'static str>,
    accept_encoding: Option<&'static str>,
    /// Header lines; `ETAG` and `DATE` stand for the representation's own.
    conditions: Vec<(&'static str, &'static str)>,
    authorization: Option<&'static str>,
}

fn drawn() -> impl proptest::strategy::Strategy<Value = Drawn> {
    use proptest::prelude::*;
    let condition = prop_oneof![
        Just(vec![]),
        Just(vec![("if-none-match", "ETAG")]),
        Just(vec![("if-none-match", "\"other\", W/\"x\"")]),
        Just(vec![("if-none-match", "*")]),
        Just(vec![("if-modified-since", "DATE")]),
        Just(vec![("if-modified-since", "Sun, 06 Nov 1994 08:49:37 GMT")]),
        Just(vec![
            ("if-none-match", "\"other\""),
            ("if-modified-since", "DATE")
        ]),
        Just(vec![("if-match", "ETAG")]),
        Just(vec![("if-unmodified-since", "DATE")]),
        Just(vec![("range", "bytes=0-3")]),
        Just(vec![("range", "bytes=0-3"), ("if-range", "ETAG")]),
        Just(vec![("range", "bytes=99999-")]),
        Just(vec![("range", "bytes=0-1"), ("range", "bytes=2-3")]),
    ];
    (
        prop_oneof![Just("GET"), Just("HEAD")],
        prop_oneof![
            Just("/page.html"),
            Just("/app.js"),
            Just("/docs/"),
            Just("/docs"),
            Just("/docs/a%20b%26c.txt"),
            Just("/missing.html"),
            Just("/private/p.html"),
            Just("/private/"),
        ],
        prop_oneof![Just(""), Just("?format=json"), Just("?q=1")],
        any::<(bool, bool)>(),
        prop_oneof![
            Just(None),
            Just(Some("text/html")),
            Just(Some("application/json")),
            Just(Some("*/*")),
            Just(Some("image/webp")),
        ],
        prop_oneof![
            Just(None),
            Just(Some("br")),
            Just(Some("gzip")),
            Just(Some("gzip, br")),
            Just(Some("br;q=0, gzip;q=0")),
            Just(Some("identity")),
        ],
        condition,
        prop_oneof![
            Just(None),
            Just(Some(ALICE)),
            Just(Some("Basic Ym9iOm5v")),
            Just(Some("Bearer YWxpY2U6czNjcmV0")),
        ],
    )
        .prop_map(
            |(
                method,
                path,
                query,
                (prefixed, mounted),
                accept,
                accept_encoding,
                conditions,
                authorization,
            )| {
                Drawn {
                    method,
                    path,
                    query,
                    prefixed,
                    mounted,
                    accept,
                    accept_encoding,
                    conditions,
                    authorization,
                }
            },
        )
}

impl Drawn {
    /// This request with its field `field` (of the nine) taken from `other`.
    fn with_field_of(&self, other: &Drawn, field: usize) -> Drawn {
        let mut d = self.clone();
        match field % 9 {
            8 => d.authorization = other.authorization,
            7 => d.prefixed = other.prefixed,
            0 => d.method = other.method,
            1 => d.path = other.path,
            2 => d.query = other.query,
            3 => d.mounted = other.mounted,
            4 => d.accept = other.accept,
            5 => d.accept_encoding = other.accept_encoding,
            _ => d.conditions = other.conditions.clone(),
        }
        d
    }

    /// The request, its `ETAG` and `DATE` replaced by `etag` and `date`.
    fn request(&self, etag: &str, date: &str) -> Request {
        let mut headers: Vec<(&str, &str)> = Vec::new();
        headers.extend(self.accept.map(|v| ("accept", v)));
        headers.extend(self.accept_encoding.map(|v| ("accept-encoding", v)));
        headers.extend(self.authorization.map(|v| ("authorization", v)));
        if self.mounted {
            headers.push(("spin-path-info", self.path));
        }
        for (name, value) in &self.conditions {
            let value = match *value {
                "ETAG" => etag,
                "DATE" => date,
                other => other,
            };
            headers.push((name, value));
        }
        let mount = if self.prefixed { "/s" } else { "" };
        let target = format!("{mount}{}{}", self.path, self.query);
        request(self.method, &target, &headers)
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

    /// Whatever a request sends of what the pipeline reads (`Accept`,
    /// `?format=json`, `Accept-Encoding`, `spin-path-info`, conditional
    /// headers, `Range`, `Authorization`), an answer from a kept answer is the pipeline's to
    /// the byte: nothing that decides an answer is missing from the key.
    #[test]
    fn a_kept_answer_is_the_pipelines_whatever_the_request_asks(
        a in drawn(),
        b in drawn(),
        fields in proptest::collection::vec(0..9usize, 1..4),
    ) {
        let config = Config::default();
        let cache = disk_cache(answers_site(), config.file_cache);
        let loader = Loader::new();
        // Requests that differ from `a` in one field each, after `a` (so
        // what `a` got is kept first), and `a` again after them.
        let mut order = vec![a.clone()];
        order.extend(fields.iter().map(|&f| a.with_field_of(&b, f)));
        order.push(b);
        order.push(a);
        for d in &order {
            // The representation's own validators, as a client got them.
            let plain = pipeline(&cache, &config, &loader, &d.request("", ""), 0);
            let header = |name: &str| {
                plain.1.iter().find(|(n, _)| *n == name).map_or(String::new(), |(_, v)| v.clone())
            };
            let req = d.request(&header("etag"), &header("last-modified"));
            let want = pipeline(&cache, &config, &loader, &req, 0);
            let got = cached_with(&cache, &loader, &config, std::slice::from_ref(&req), 0);
            proptest::prop_assert_eq!(&got[0], &want, "{:?}", req);
        }
    }
}
