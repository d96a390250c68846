//! One `docroot.wasm` instance's requests as the component model runs
//! them: each request a task, every filesystem call a call to the host, and
//! the rules of wit-bindgen's runtime kept ([`docroot::testing::guest`]): a
//! task may wait only on its own calls to the host, never on another task.
//! A task that breaks them traps the instance under a host that schedules
//! it so (Spin did: 198 guest panics in 125,160 requests, where `wasmtime
//! serve` showed none), so here every schedule a seed chooses is tried, for
//! bursts that reach a fresh instance at once and for requests that arrive
//! spread out or are cancelled where they wait, through every path that
//! waits: the site opened, the site's rules read and read again, the file
//! cache filled and rechecked, codings made and held, kept answers,
//! listings, 404 pages, redirects and rewrites. Each answer must be the one
//! the request gets alone from a fresh instance.

mod common;

use common::inproc::{Answer, answer, held_or_open, now, request};
use docroot::app;
use docroot::cache::Cache;
use docroot::config::Config;
use docroot::http::Request;
use docroot::instance::Instance;
use docroot::preopen::NoRoot;
use docroot::testing::MemFiles;
use docroot::testing::guest::{Arrival, Guest, HostFiles, Task, host_call};
use std::time::{Duration, UNIX_EPOCH};

const SECOND: u64 = 1_000_000_000;

/// How many schedules each test tries, for each way of arriving.
const SEEDS: u64 = 24;

/// A site with something on every path that waits.
fn site() -> MemFiles {
    MemFiles::new()
        .file("index.html", b"<h1>home</h1>")
        .file("page.html", &common::coded::page_text(4000, 3))
        .file("app.js", b"console.log('plain')")
        .file("app.js.br", b"BROTLI")
        .file("notes.txt.gz", &common::coded::gzip(&common::coded::page_text(2000, 5)))
        .file("docs/a b&c.txt", "ünïcode name\n".as_bytes())
        .file("docs/more.txt", b"more\n")
        .file("big.bin", &vec![7; 200 * 1024])
        .file("404.html", b"<h1>not here</h1>")
        .file(".env", b"SECRET")
        .file(
            "_headers",
            b"/*\n  X-Site: all\n/docs/*\n  X-Docs: yes\n/page.html\n  Cache-Control: public, max-age=60\n",
        )
        .file(
            "_redirects",
            b"/old /page.html 301\n/app/* /index.html 200\n/gone /404.html 404\n/app.js /index.html 302!\n/bad\n",
        )
}

fn config() -> Config {
    Config::from_vars([
        ("DOCROOT_LISTING", "on"),
        ("DOCROOT_NOT_FOUND", "/404.html"),
    ])
    .unwrap()
}

/// Requests on every path, with the validators a client would hold.
fn requests(config: &Config) -> Vec<Request> {
    let etag = {
        let (_, head, _) = alone(&site(), config, &request("GET", "/page.html", &[]));
        head.iter().find(|(n, _)| *n == "etag").unwrap().1.clone()
    };
    vec![
        request("GET", "/", &[]),
        request("GET", "/page.html", &[("accept-encoding", "br")]),
        request("GET", "/page.html", &[("accept-encoding", "gzip")]),
        request("HEAD", "/page.html", &[("accept-encoding", "gzip, br")]),
        request("GET", "/page.html", &[("if-none-match", &etag)]),
        request("GET", "/page.html", &[("range", "bytes=10-99")]),
        request("GET", "/app.js", &[("accept-encoding", "br")]),
        request("GET", "/notes.txt", &[]),
        request("GET", "/notes.txt", &[("accept-encoding", "gzip")]),
        request("GET", "/docs/", &[]),
        request("GET", "/docs/", &[("accept", "application/json")]),
        request("GET", "/docs", &[]),
        request("GET", "/docs/a%20b%26c.txt?q=1", &[]),
        request("GET", "/big.bin", &[("range", "bytes=-10")]),
        request("HEAD", "/big.bin", &[]),
        request("GET", "/missing", &[]),
        request("GET", "/old", &[]),
        request("GET", "/app/deep/link", &[]),
        request("GET", "/gone", &[]),
        request("GET", "/.env", &[]),
        request("GET", "/_headers", &[]),
        request("GET", "/%2e%2e/x", &[]),
        request("GET", "/__info?format=json", &[]),
        request("OPTIONS", "/", &[]),
        request("POST", "/page.html", &[]),
    ]
}

/// What `req` gets alone from a fresh instance over `files`.
fn alone(files: &MemFiles, config: &Config, req: &Request) -> Answer {
    let one = OneInstance::new(files.clone(), config.clone());
    let guest = Guest::new(0, Arrival::AtOnce);
    one.serve(&guest, std::slice::from_ref(req), 0).remove(0)
}

/// One `docroot.wasm` instance over `site`, as the 0.3 glue keeps it.
struct OneInstance {
    instance: Instance<Cache<HostFiles>>,
    site: HostFiles,
    config: Config,
}

impl OneInstance {
    fn new(site: MemFiles, config: Config) -> OneInstance {
        OneInstance {
            instance: Instance::new(),
            site: HostFiles::new(site),
            config,
        }
    }

    /// `reqs` at time `t`, run by `guest` as tasks of this instance; the
    /// site's root is opened (a host call) by the first that needs it.
    fn serve(&self, guest: &Guest, reqs: &[Request], t: u64) -> Vec<Answer> {
        self.serve_cancelling(guest, reqs, t, 0)
            .into_iter()
            .map(Option::unwrap)
            .collect()
    }

    /// [`OneInstance::serve`], with `cancels` of the requests cancelled
    /// where they wait (no answer for those).
    fn serve_cancelling(
        &self,
        guest: &Guest,
        reqs: &[Request],
        t: u64,
        cancels: usize,
    ) -> Vec<Option<Answer>> {
        let tasks: Vec<Task<'_, Answer>> = reqs
            .iter()
            .map(|req| {
                let task: Task<'_, Answer> = Box::pin(async move {
                    let open = || async {
                        host_call().await;
                        Ok::<_, NoRoot>(self.site.clone())
                    };
                    let response = app::handle_instance(
                        &self.instance,
                        req,
                        &self.config,
                        open,
                        move || t,
                        now,
                    )
                    .await;
                    answer(response, held_or_open)
                });
                task
            })
            .collect();
        guest.run_cancelling(tasks, cancels)
    }
}

/// What each of `reqs` gets alone from a fresh instance over `files`.
fn answers_alone(files: &MemFiles, config: &Config, reqs: &[Request]) -> Vec<Answer> {
    reqs.iter().map(|req| alone(files, config, req)).collect()
}

/// The site with its `_headers` changed, as a deploy changes it.
fn headers_changed(files: MemFiles) -> MemFiles {
    files.file("_headers", b"/*\n  X-Site: changed\n").modified(
        "_headers",
        Some(UNIX_EPOCH + Duration::from_secs(1_800_000_000)),
    )
}

/// Each answer is `want`'s for its request: what it gets alone.
fn assert_alone(got: &[Answer], reqs: &[Request], want: &[Answer], what: &str) {
    for ((req, got), want) in reqs.iter().zip(got).zip(want) {
        assert_eq!(
            got, want,
            "{what}: {} {} {:?}",
            req.method, req.path_with_query, req.headers
        );
    }
}

#[test]
fn a_burst_into_a_fresh_instance_waits_only_on_the_host() {
    let config = config();
    let reqs = requests(&config);
    // A page changed on disk.
    let changed = |files: MemFiles| {
        files
            .file("page.html", &common::coded::page_text(5000, 9))
            .modified(
                "page.html",
                Some(UNIX_EPOCH + Duration::from_secs(1_800_000_000)),
            )
    };
    let want = answers_alone(&site(), &config, &reqs);
    // (The client's validators are of the old page: they no longer match,
    // which the new site's answer alone says too.)
    let want_changed = answers_alone(&changed(site()), &config, &reqs);
    for arrival in [Arrival::AtOnce, Arrival::Spread] {
        for seed in 0..SEEDS {
            let one = OneInstance::new(site(), config.clone());
            let guest = Guest::new(seed, arrival);
            let what = |wave| format!("{arrival:?}, seed {seed}, {wave}");
            // Cold: the site opened, the rules read, nothing held.
            let got = one.serve(&guest, &reqs, 0);
            assert_alone(&got, &reqs, &want, &what("cold"));
            // Warm: held files, held codings and kept answers.
            let got = one.serve(&guest, &reqs, SECOND / 2);
            assert_alone(&got, &reqs, &want, &what("warm"));
            // Past the recheck interval: the rules and every file looked
            // at again by requests that run at once.
            let got = one.serve(&guest, &reqs, 2 * SECOND);
            assert_alone(&got, &reqs, &want, &what("rechecked"));
            // The changed page is served new once the interval has
            // passed, by every request at once.
            one.site.change(changed);
            let got = one.serve(&guest, &reqs, 4 * SECOND);
            assert_alone(&got, &reqs, &want_changed, &what("changed"));
        }
    }
}

#[test]
fn without_the_file_cache_every_request_reads_for_itself_and_none_waits() {
    let config = Config::from_vars([
        ("DOCROOT_LISTING", "on"),
        ("DOCROOT_NOT_FOUND", "/404.html"),
        ("DOCROOT_FILE_CACHE", "off"),
    ])
    .unwrap();
    let reqs = requests(&config);
    let want = answers_alone(&site(), &config, &reqs);
    for arrival in [Arrival::AtOnce, Arrival::Spread] {
        for seed in 0..SEEDS {
            let one = OneInstance::new(site(), config.clone());
            let guest = Guest::new(seed, arrival);
            for wave in 0..2 {
                let got = one.serve(&guest, &reqs, wave * SECOND);
                let what = format!("{arrival:?}, seed {seed}, wave {wave}");
                assert_alone(&got, &reqs, &want, &what);
            }
        }
    }
}

#[test]
fn a_rule_file_changed_during_a_burst_is_served_once_the_readers_are_done() {
    let config = config();
    let reqs = requests(&config);
    let want = answers_alone(&headers_changed(site()), &config, &reqs);
    for seed in 0..SEEDS {
        let one = OneInstance::new(site(), config.clone());
        let guest = Guest::new(seed, Arrival::Spread);
        one.serve(&guest, &reqs, 0);
        one.site.change(headers_changed);
        // Requests at once past the interval: while one reads the rules
        // again, the others may use the rules it replaces (as within the
        // interval). Once it is done, every request has the new ones.
        one.serve(&guest, &reqs, 2 * SECOND);
        let got = one.serve(&guest, &reqs, 2 * SECOND + 1);
        assert_alone(&got, &reqs, &want, &format!("seed {seed}"));
    }
}

/// Requests cancelled where they wait (their clients gone), in the
/// middle of reading the rules or anything else, leave nothing behind: the
/// rest are answered as alone, and a changed rule file is still read once
/// the interval has passed.
#[test]
fn cancelled_requests_leave_nothing_behind() {
    let config = config();
    let reqs = requests(&config);
    let want = answers_alone(&site(), &config, &reqs);
    let want_changed = answers_alone(&headers_changed(site()), &config, &reqs);
    for arrival in [Arrival::AtOnce, Arrival::Spread] {
        for seed in 0..SEEDS {
            let one = OneInstance::new(site(), config.clone());
            let guest = Guest::new(seed, arrival);
            let what = |wave| format!("{arrival:?}, seed {seed}, {wave}");
            for (wave, t) in [("cold", 0), ("rechecked", 2 * SECOND)] {
                let got = one.serve_cancelling(&guest, &reqs, t, 8);
                for (got, want) in got.iter().zip(&want) {
                    if let Some(got) = got {
                        assert_eq!(got, want, "{}", what(wave));
                    }
                }
            }
            one.site.change(headers_changed);
            one.serve_cancelling(&guest, &reqs, 4 * SECOND, 8);
            // One request alone reads the rules again (a read left counted
            // as going on would make it use the old ones), then all have
            // the new ones.
            one.serve(&guest, &reqs[..1], 4 * SECOND + 1);
            let got = one.serve(&guest, &reqs, 4 * SECOND + 2);
            assert_alone(&got, &reqs, &want_changed, &what("changed"));
        }
    }
}

#[test]
fn a_root_that_cannot_be_opened_is_a_500_for_every_request_at_once() {
    let config = config();
    let reqs = requests(&config);
    let instance: Instance<Cache<HostFiles>> = Instance::new();
    let guest = Guest::new(3, Arrival::AtOnce);
    let tasks: Vec<Task<'_, u16>> = reqs
        .iter()
        .map(|req| {
            let (instance, config) = (&instance, &config);
            let task: Task<'_, u16> = Box::pin(async move {
                let open = || async {
                    host_call().await;
                    Err(NoRoot::CannotOpen {
                        root: "/site/".into(),
                    })
                };
                app::handle_instance(instance, req, config, open, || 0, now)
                    .await
                    .status
            });
            task
        })
        .collect();
    for (req, status) in reqs.iter().zip(guest.run(tasks)) {
        assert_eq!(status, 500, "{} {}", req.method, req.path_with_query);
    }
}

/// What a burst into a fresh instance costs the host: each request that
/// finds the rules unread reads them itself, where one at a time the first
/// reads them and the rest use what it read.
#[test]
fn a_cold_burst_reads_the_rules_at_most_once_a_request() {
    let config = config();
    let reqs = requests(&config);
    // OPTIONS, POST and the info page never read them.
    let readers = reqs.len() - 3;
    let looks = |arrival: Option<Arrival>| {
        let one = OneInstance::new(site(), config.clone());
        match arrival {
            Some(arrival) => {
                one.serve(&Guest::new(1, arrival), &reqs, 0);
            }
            None => {
                for req in &reqs {
                    one.serve(
                        &Guest::new(1, Arrival::AtOnce),
                        std::slice::from_ref(req),
                        0,
                    );
                }
            }
        }
        (
            one.site.calls_to("_headers"),
            one.site.calls_to("_redirects"),
        )
    };
    // A stat and an open of each.
    assert_eq!(looks(None), (2, 2));
    let (headers, redirects) = looks(Some(Arrival::AtOnce));
    // (Printed for the record: `cargo test --test tasks cold_burst -- --nocapture`.)
    eprintln!(
        "{} requests at once into a fresh instance, {readers} of them for files: \
         {headers} calls for _headers, {redirects} for _redirects (one at a time: 2 and 2)",
        reqs.len()
    );
    assert!(headers > 2, "requests at once each read them: {headers}");
    assert!(headers <= 2 * readers && redirects <= 2 * readers);
}
