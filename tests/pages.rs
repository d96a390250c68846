//! HTML pages by their URLs, request to response over a site held in
//! memory with awkward names: clean URLs by default, each mode of
//! `DOCROOT_HTML_HANDLING` against Cloudflare's tables, and the site's own
//! nearest `404.html`, with every way around them (other spellings,
//! rewrites, sub-routes, protection, conditionals, ranges, `HEAD`, a file
//! cache warmed first).

mod common;

use common::inproc::{Answer, answer, held_or_open, now, request};
use common::pages::{self, FILE, enc, rows};
use docroot::app;
use docroot::cache::Cache;
use docroot::config::Config;
use docroot::rules::Loader;
use docroot::testing::MemFiles;
use docroot::testing::guest::HostFiles;

fn site() -> MemFiles {
    let mut files = MemFiles::new();
    for (path, bytes) in pages::site() {
        files = files.file(&path, bytes);
    }
    files
        .file("404.html", b"ROOT 404")
        .file("docs/404.html", b"DOCS 404")
        .file("docs/deep dir/x.txt", b"x")
        .file(".hidden/404.html", b"HIDDEN 404")
        .file("guarded/404.html", b"GUARDED 404")
        .file("guarded/open.txt", b"open")
        .file("secret.html", b"SECRET")
        .file("v1.2.html", b"VERSIONED")
        .file("noext", b"NOEXT FILE")
        .file("noext.html", b"NOEXT PAGE")
        .file("both.html", b"BOTH FILE")
        .file("both/index.html", b"BOTH FOLDER")
        .file("members.html", b"MEMBERS")
        .file("assets/app.js", b"APP")
        .file("_headers.html", b"A PAGE NAMED LIKE A RULE FILE")
        .file("forced.html", b"FORCED PAGE")
        .file(
            "_headers",
            b"/secret.html\n  Basic-Auth: alice:wonderland\n/guarded/404.html\n  Basic-Auth: alice:wonderland\n\
              /members\n  Basic-Auth: alice:wonderland\n/assets/*\n  Cache-Control: public, max-age=31536000, immutable\n",
        )
        .file(
            "_redirects",
            b"/app/* /fi%20le%20%C3%A9.html 200\n/lost /docs/404.html 404\n/forced /forced.html 301!\n",
        )
}

fn config(vars: &[(&str, &str)]) -> Config {
    Config::from_vars(vars.iter().copied()).unwrap()
}

fn mode(value: &str) -> Config {
    config(&[("DOCROOT_HTML_HANDLING", value)])
}

fn get_with(files: &MemFiles, config: &Config, target: &str, headers: &[(&str, &str)]) -> Answer {
    let req = request("GET", target, headers);
    answer(
        docroot::ready::run(app::handle(&req, config, files, now)),
        |file| file.clone(),
    )
}

fn get(config: &Config, target: &str) -> Answer {
    get_with(&site(), config, target, &[])
}

/// [`follow`] over `files`.
fn follow_in(files: &MemFiles, config: &Config, target: &str) -> (String, u16, Vec<u8>, Vec<u16>) {
    let mut target = target.to_owned();
    let mut hops = Vec::new();
    for _ in 0..5 {
        let a = get_with(files, config, &target, &[]);
        match header(&a, "location") {
            Some(location) if (300..400).contains(&a.0) => {
                hops.push(a.0);
                target = location.to_owned();
            }
            _ => return (target, a.0, a.2, hops),
        }
    }
    panic!("more than 5 redirects from {target}");
}

fn header<'a>(a: &'a Answer, name: &str) -> Option<&'a str> {
    a.1.iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.as_str())
}

/// Where a request ends when redirects are followed (at most 5), and what
/// it got there: the final target, status and body, and the statuses of
/// the redirects on the way.
fn follow(config: &Config, target: &str) -> (String, u16, Vec<u8>, Vec<u16>) {
    let mut target = target.to_owned();
    let mut hops = Vec::new();
    for _ in 0..5 {
        let a = get(config, &target);
        match header(&a, "location") {
            Some(location) if (300..400).contains(&a.0) => {
                assert!(location.starts_with('/') && !location.starts_with("//"));
                hops.push(a.0);
                target = location.to_owned();
            }
            _ => return (target, a.0, a.2, hops),
        }
    }
    panic!("more than 5 redirects from {target}");
}

#[test]
fn every_mode_answers_its_table() {
    for name in pages::MODES {
        let config = if name.is_empty() {
            Config::default()
        } else {
            mode(name)
        };
        for (template, end) in rows(name) {
            let get = |target: &str| {
                let a = get(&config, target);
                let location = header(&a, "location").map(str::to_owned);
                let length = header(&a, "content-length").map(str::to_owned);
                (a.0, location, length, a.2)
            };
            pages::check(get, template, end, &format!("{name:?}"));
        }
    }
}

#[test]
fn the_other_ways_to_a_page() {
    let auto = mode("auto-trailing-slash");
    let clean = Config::default();
    let f = enc(FILE);
    // The query goes along.
    let a = get(&auto, &format!("/{f}.html?a=1&b"));
    assert_eq!(header(&a, "location"), Some(format!("/{f}?a=1&b").as_str()));
    // Under a sub-route, the public path.
    let a = get_with(
        &site(),
        &auto,
        &format!("/static/{f}.html"),
        &[("spin-path-info", &format!("/{f}.html"))],
    );
    assert_eq!(
        header(&a, "location"),
        Some(format!("/static/{f}").as_str())
    );
    // A rewrite's destination is served in place, in every mode.
    for config in [&clean, &auto, &mode("force-trailing-slash")] {
        let a = get(config, "/app/anything");
        assert_eq!((a.0, a.2.as_slice()), (200, &b"FILE PAGE"[..]));
    }
    // A file at the path itself comes first; a page asked for by its own
    // name is served there when its clean URL serves that file.
    for config in [&clean, &auto] {
        assert_eq!(get(config, "/noext").2, b"NOEXT FILE");
    }
    assert_eq!(get(&auto, "/noext.html").2, b"NOEXT PAGE");
    // Unset, only a name without an extension is a clean URL; the modes
    // take any name, as Cloudflare's.
    assert_eq!(get(&clean, "/v1.2").0, 404);
    assert_eq!(get(&auto, "/v1.2").2, b"VERSIONED");
    // A stem that is both a page and a folder: each at its own URL, and
    // never a redirect to the other's file.
    assert_eq!(follow(&auto, "/both").2, b"BOTH FILE");
    assert_eq!(follow(&auto, "/both/").2, b"BOTH FOLDER");
    let drop = mode("drop-trailing-slash");
    assert_eq!(follow(&drop, "/both").2, b"BOTH FILE");
    let a = get(&drop, "/both/index.html");
    assert_eq!((a.0, a.2.as_slice()), (200, &b"BOTH FOLDER"[..]));
}

#[test]
fn a_page_protected_by_its_clean_url_is_protected_by_its_file_name_too() {
    let alice = [("authorization", "Basic YWxpY2U6d29uZGVybGFuZA==")];
    for name in pages::MODES {
        let config = if name.is_empty() {
            Config::default()
        } else {
            mode(name)
        };
        for target in [
            "/members",
            "/members.html",
            "/members/",
            "/members/index.html",
        ] {
            let a = get(&config, target);
            assert!(matches!(a.0, 401 | 404), "{name:?} {target}: {}", a.0);
            assert_eq!(header(&a, "location"), None, "{name:?} {target}");
            assert!(
                !a.2.windows(7).any(|w| w == b"MEMBERS"),
                "{name:?} {target}"
            );
        }
        let a = get_with(&site(), &config, "/members.html", &alice);
        assert!(matches!(a.0, 200 | 307), "{name:?}: {}", a.0);
    }
}

#[test]
fn no_redirect_lands_on_another_file_or_loops() {
    // Two index names, both in one folder: each is served by its own name.
    let files = MemFiles::new()
        .file("d/index.html", b"HTML INDEX")
        .file("d/index.htm", b"HTM INDEX")
        .file("a/index.html", b"A")
        .file("a/index/index.html", b"A INDEX");
    let two = |m: &str| {
        config(&[
            ("DOCROOT_HTML_HANDLING", m),
            ("DOCROOT_INDEX", "index.html,index.htm"),
        ])
    };
    for m in [
        "auto-trailing-slash",
        "force-trailing-slash",
        "drop-trailing-slash",
    ] {
        let a = get_with(&files, &two(m), "/d/index.htm", &[]);
        assert_eq!((a.0, a.2.as_slice()), (200, &b"HTM INDEX"[..]), "{m}");
        // A folder named `index`: its own page at its own URL, or one
        // redirect to it.
        let landed = follow_in(&files, &two(m), "/a/index/");
        assert_eq!(
            (landed.1, landed.2.as_slice()),
            (200, &b"A INDEX"[..]),
            "{m}: {landed:?}"
        );
        assert!(landed.3.len() <= 1, "{m}: {landed:?}");
    }
    // A forced rule at a page's clean URL: the page by its own name, and
    // the rule's redirect to it, never a loop.
    for m in ["auto-trailing-slash", "drop-trailing-slash"] {
        let a = get(&mode(m), "/forced.html");
        assert_eq!((a.0, a.2.as_slice()), (200, &b"FORCED PAGE"[..]), "{m}");
        let (at, status, body, hops) = follow(&mode(m), "/forced");
        assert_eq!(
            (status, body.as_slice(), hops.as_slice()),
            (200, &b"FORCED PAGE"[..], &[301][..]),
            "{m} {at}"
        );
    }
    // A page named like a rule file is never redirected to the rule file's
    // URL, which is never served.
    for m in ["auto-trailing-slash", "drop-trailing-slash"] {
        let a = get(&mode(m), "/_headers.html");
        assert_eq!(
            (a.0, a.2.as_slice()),
            (200, &b"A PAGE NAMED LIKE A RULE FILE"[..]),
            "{m}"
        );
    }
}

#[test]
fn a_client_sent_mount_never_makes_a_location_to_another_origin() {
    let f = enc(FILE);
    for config in [mode("auto-trailing-slash"), Config::default()] {
        for target in [
            format!("//evil.example/{f}.html"),
            "//evil.example/docs".to_owned(),
        ] {
            let info = target.trim_start_matches("//evil.example").to_owned();
            let a = get_with(&site(), &config, &target, &[("spin-path-info", &info)]);
            if let Some(location) = header(&a, "location") {
                assert!(!location.starts_with("//"), "{target}: {location}");
            }
        }
    }
}

#[test]
fn a_404_keeps_docroots_cache_control_whatever_the_sites_headers_say() {
    let c = Config::default();
    // The site makes /assets/* immutable: a file there is, a missing one
    // is not kept missing for a year.
    let a = get(&c, "/assets/app.js");
    assert_eq!(
        header(&a, "cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    let a = get(&c, "/assets/app.4f2a.js");
    assert_eq!((a.0, a.2.as_slice()), (404, &b"ROOT 404"[..]));
    assert_eq!(
        header(&a, "cache-control"),
        Some("public, max-age=0, must-revalidate")
    );
    let a = get_with(
        &site(),
        &c,
        "/assets/app.4f2a.js",
        &[("accept", "application/json")],
    );
    assert_eq!((a.0, header(&a, "cache-control")), (404, Some("no-store")));
}

#[test]
fn a_protected_page_is_protected_by_every_url_and_never_located() {
    let alice = [("authorization", "Basic YWxpY2U6d29uZGVybGFuZA==")];
    for name in [
        "",
        "auto-trailing-slash",
        "force-trailing-slash",
        "drop-trailing-slash",
    ] {
        let config = if name.is_empty() {
            Config::default()
        } else {
            mode(name)
        };
        for target in ["/secret", "/secret/", "/secret.html", "/secret/index.html"] {
            let a = get(&config, target);
            assert!(matches!(a.0, 401 | 404), "{name:?} {target}: {}", a.0);
            assert_eq!(header(&a, "location"), None, "{name:?} {target}");
            assert!(!a.2.windows(6).any(|w| w == b"SECRET"), "{name:?} {target}");
        }
        let a = get_with(&site(), &config, "/secret.html", &alice);
        assert!(matches!(a.0, 200 | 307), "{name:?}: {}", a.0);
    }
    let a = get_with(&site(), &mode("auto-trailing-slash"), "/secret/", &alice);
    assert_eq!((a.0, header(&a, "location")), (307, Some("/secret")));
}

#[test]
fn a_clean_url_answers_head_ranges_and_conditionals_as_its_file() {
    let f = enc(FILE);
    for config in [Config::default(), mode("auto-trailing-slash")] {
        let full = get(&config, &format!("/{f}"));
        assert_eq!(full.2, b"FILE PAGE");
        let etag = header(&full, "etag").unwrap().to_owned();
        assert_eq!(
            get(&config, &format!("/{f}.html")).0,
            if config == Config::default() {
                200
            } else {
                307
            }
        );
        let a = get_with(
            &site(),
            &config,
            &format!("/{f}"),
            &[("range", "bytes=0-3")],
        );
        assert_eq!((a.0, a.2.as_slice()), (206, &b"FILE"[..]));
        let a = get_with(
            &site(),
            &config,
            &format!("/{f}"),
            &[("if-none-match", &etag)],
        );
        assert_eq!((a.0, a.2.len()), (304, 0));
        let req = request("HEAD", &format!("/{f}"), &[]);
        let head = answer(
            docroot::ready::run(app::handle(&req, &config, &site(), now)),
            |file| file.clone(),
        );
        assert_eq!(
            (head.0, head.1.clone(), head.2.len()),
            (200, full.1.clone(), 0)
        );
        assert_eq!(
            header(&full, "cache-control"),
            Some("public, max-age=0, must-revalidate")
        );
    }
}

#[test]
fn a_missing_path_gets_the_nearest_404_html() {
    let c = Config::default();
    for (target, page) in [
        ("/missing", "ROOT 404"),
        ("/docs/deep%20dir/missing.txt", "DOCS 404"),
        ("/docs/deep%20dir/", "DOCS 404"),
        ("/docs/", "DOCS 404"),
        ("/docs/nothing/here/", "DOCS 404"),
        // What a request may not read is passed over.
        ("/.hidden/x", "ROOT 404"),
        ("/guarded/x", "ROOT 404"),
        // A 404.html that is a directory is no page.
        ("/odd/x", "ROOT 404"),
    ] {
        let files = site().dir("odd/404.html");
        let a = get_with(&files, &c, target, &[]);
        assert_eq!(
            (a.0, String::from_utf8_lossy(&a.2).as_ref()),
            (404, page),
            "{target}"
        );
        assert_eq!(
            header(&a, "cache-control"),
            Some("public, max-age=0, must-revalidate"),
            "{target}"
        );
        assert!(header(&a, "vary").unwrap().contains("Accept"), "{target}");
    }
    let alice = [("authorization", "Basic YWxpY2U6d29uZGVybGFuZA==")];
    assert_eq!(
        get_with(&site(), &c, "/guarded/x", &alice).2,
        b"GUARDED 404"
    );
    // JSON clients get docroot's JSON.
    let a = get_with(&site(), &c, "/docs/x", &[("accept", "application/json")]);
    assert_eq!(
        (a.0, header(&a, "content-type")),
        (404, Some("application/json"))
    );
    assert_eq!(header(&a, "cache-control"), Some("no-store"));
    // The operator's page and a _redirects 404 rule win; so does the
    // fallback for a page.
    let own = config(&[("DOCROOT_NOT_FOUND", "/docs/404.html")]);
    assert_eq!(get(&own, "/missing").2, b"DOCS 404");
    assert_eq!(get(&c, "/lost").2, b"DOCS 404");
    let spa = config(&[("DOCROOT_FALLBACK", "/index.html")]);
    let a = get_with(&site(), &spa, "/docs/route", &[("accept", "text/html")]);
    assert_eq!((a.0, a.2.as_slice()), (200, &b"HOME"[..]));
    // Under a sub-route, the path below the mount point walks.
    let a = get_with(
        &site(),
        &c,
        "/static/docs/x",
        &[("spin-path-info", "/docs/x")],
    );
    assert_eq!(a.2, b"DOCS 404");
    // HEAD: the same status, no body.
    let req = request("HEAD", "/docs/x", &[]);
    let head = answer(
        docroot::ready::run(app::handle(&req, &c, &site(), now)),
        |file| file.clone(),
    );
    assert_eq!((head.0, head.2.len()), (404, 0));
    // No 404.html anywhere: docroot's own page.
    let bare = MemFiles::new().file("docs/a.txt", b"a");
    let a = get_with(&bare, &c, "/docs/missing", &[]);
    assert_eq!(a.0, 404);
    assert!(String::from_utf8_lossy(&a.2).contains("404 Not Found"));
}

#[test]
fn a_path_of_many_made_up_directories_costs_a_few_looks() {
    // The cache off: every look is a call to the host, and counted.
    let cache = Cache::new(HostFiles::new(site()), None);
    let config = Config::default();
    let loader = Loader::new();
    for base in ["", "/docs/deep%20dir"] {
        let target = format!("{base}{}/x", "/made-up".repeat(2000));
        let req = request("GET", &target, &[]);
        let before = cache.inner().calls();
        let view = cache.view(|| 0);
        let response = docroot::ready::run(app::handle_cached(&req, &config, &view, now, &loader));
        let a = answer(response, held_or_open);
        assert_eq!(a.0, 404);
        let calls = cache.inner().calls() - before;
        assert!(
            calls <= 16,
            "{base}: {calls} calls to the host for a missing path"
        );
    }
}

#[test]
fn the_file_cache_remembers_the_walk() {
    let config = Config::default();
    let cache = Cache::new(HostFiles::new(site()), config.file_cache);
    let loader = Loader::new();
    let ask = |target: &str| {
        let req = request("GET", target, &[]);
        let view = cache.view(|| 0);
        let response = docroot::ready::run(app::handle_cached(&req, &config, &view, now, &loader));
        answer(response, held_or_open)
    };
    for target in [
        "/docs/deep%20dir/a/b/missing",
        "/nowhere/else",
        "/fi%20le%20%C3%A9",
    ] {
        let before = cache.inner().calls();
        let first = ask(target);
        assert!(
            cache.inner().calls() > before,
            "{target}: the first time asks"
        );
        let calls = cache.inner().calls();
        let second = ask(target);
        assert_eq!(
            cache.inner().calls(),
            calls,
            "{target}: no filesystem call the second time"
        );
        assert_eq!(second, first, "{target}");
        assert_eq!(
            first,
            get(&config, target),
            "{target}: as without the cache"
        );
    }
}

proptest::proptest! {
    /// Whatever the site holds and however a page is spelled, in every
    /// mode: at most one redirect, to a URL that serves a page (never a
    /// redirect again, never nothing), and what a URL serves is one of the
    /// site's files.
    #[test]
    fn a_redirect_always_lands_on_a_page_in_one_hop(
        present in proptest::collection::vec(proptest::bool::ANY, 11),
        two_index_names in proptest::bool::ANY,
        forced in proptest::bool::ANY,
        spelling in proptest::collection::vec(0usize..12, 1..4),
        slash in proptest::bool::ANY,
        which in 0usize..5,
    ) {
        const FILES: [&str; 11] = [
            "index.html", "a.html", "a/index.html", "a", "a/b.html",
            "a/b/index.html", "a/index", "b/index.html", "a/index/index.html",
            "a/index.htm", "b.html",
        ];
        const NAMES: [&str; 12] = [
            "a", "b", "index", "index.html", "a.html", "b.html", "c", "", "a b",
            "A", ".html", "index.htm",
        ];
        let mut files = MemFiles::new();
        for (name, on) in FILES.iter().zip(&present) {
            // `a` (and `a/index`) cannot be a file and a directory at once.
            let under = |dir: &str| FILES.iter().zip(&present).any(|(f, p)| *p && f.starts_with(dir));
            let clash = (*name == "a" && under("a/")) || (*name == "a/index" && under("a/index/"));
            if *on && !clash {
                files = files.file(name, name.as_bytes());
            }
        }
        if forced {
            files = files.file("_redirects", b"/a /a.html 301!\n/b/ /b.html 302!\n");
        }
        let mut target: String = spelling.iter().map(|i| format!("/{}", enc(NAMES[*i]))).collect();
        if slash {
            target.push('/');
        }
        let mut vars = Vec::new();
        if which < 4 {
            vars.push(("DOCROOT_HTML_HANDLING", ["auto-trailing-slash", "force-trailing-slash", "drop-trailing-slash", "none"][which]));
        }
        if two_index_names {
            vars.push(("DOCROOT_INDEX", "index.html,index.htm"));
        }
        let config = config(&vars);
        // The files a spelling may name: its stems' pages and index files,
        // and the file at the path itself.
        // (Empty names are dropped, as docroot reads a path.)
        let names: Vec<String> = target.split('/').filter(|n| !n.is_empty()).map(|n| n.replace("%20", " ")).collect();
        let plain = format!("/{}", names.join("/"));
        let mut stems = vec![plain.clone()];
        for suffix in ["/index.html", "/index.htm", "/index", ".html"] {
            if let Some(stem) = plain.strip_suffix(suffix) {
                stems.push(stem.to_owned());
            }
        }
        let named = |body: &[u8]| {
            let body = format!("/{}", String::from_utf8_lossy(body));
            body == plain
                || stems.iter().any(|stem| {
                    body == format!("{stem}.html")
                        || body == format!("{stem}/index.html")
                        || body == format!("{stem}/index.htm")
                })
        };
        let first = get_with(&files, &config, &target, &[]);
        if let Some(location) = header(&first, "location") {
            let landed = get_with(&files, &config, location, &[]);
            if forced && first.0 != 307 {
                // The site's own rule: wherever it leads, no loop (the
                // rule's redirect, then at most docroot's one).
                let mut at = landed;
                for _ in 0..2 {
                    let Some(next) = header(&at, "location").map(str::to_owned) else { break };
                    at = get_with(&files, &config, &next, &[]);
                }
                proptest::prop_assert!(header(&at, "location").is_none(), "{} loops", target);
            } else if first.0 == 307 {
                proptest::prop_assert_eq!(landed.0, 200, "{} -> {}", target, location);
                proptest::prop_assert!(
                    named(&landed.2),
                    "{} -> {} landed on {:?}, which it does not name",
                    target, location, String::from_utf8_lossy(&landed.2)
                );
            } else {
                // A directory's slash: its index, its listing, or nothing.
                proptest::prop_assert_eq!(first.0, 301, "{}", target);
                proptest::prop_assert!(header(&landed, "location").is_none(), "{} -> {}", target, location);
            }
        } else if first.0 == 200 {
            proptest::prop_assert!(FILES.iter().any(|f| f.as_bytes() == first.2.as_slice()));
        }
    }
}
