//! Request → response tests of the site's own rules (`_redirects`,
//! `_headers`), in-process over a fixture site that has both: redirects,
//! rewrites and per-section 404s, shadowing and `!`, placeholders, the
//! guard against other origins, rewrites that try to reach hidden or rule
//! files, the rule files never served, headers on every kind of answer
//! they go on and none they do not, bad lines skipped and reported, the
//! setting, and a Spin sub-route.

mod common;

use common::inproc::{Res, config, now, request, run_with};
use docroot::config::Config;
use docroot::fs::StdFiles;

const REDIRECTS: &str = "\
# Moved pages.
/old.html /new.html
/moved/* /new/:splat 302
/blog/:year/:slug /posts/:year/:slug 308
/go/* /:splat 302
/to/* /:splat/page 302
/external https://example.com/landing 307
/exists.html /elsewhere.html
/forced.html /new.html 301!
# A single-page app under /app, a not-found page for /docs.
/app/* /app/index.html 200
/docs/* /docs/404.html 404
# Rewrites that must not reach what is never served, nor loop.
/secret /.env 200
/rules /_headers 200
/loop /loop2 200
/loop2 /loop 200
/to-dir /sub 200
/to-missing /nowhere.html 200
/bad line with extra fields
/also-bad /x 418
";

const HEADERS: &str = "\
/*
  X-Frame-Options: DENY
/assets/*
  Cache-Control: public, max-age=31536000, immutable
/assets/nostore/*
  ! Cache-Control
  Cache-Control: no-store, no-transform
/fonts/:family/*
  Access-Control-Allow-Origin: *
  X-Family: :family
/raw.txt
  ! X-Content-Type-Options
  Content-Type: text/csv; charset=utf-8
/page.html
  Content-Security-Policy: default-src 'self'
  Content-Length: 5
";

fn fixture() -> common::Fixture {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("site");
    let long = "body { color: black; }\n".repeat(100);
    let files: Vec<(&str, String)> = vec![
        ("_redirects", REDIRECTS.into()),
        ("_headers", HEADERS.into()),
        ("new.html", "<h1>new</h1>".into()),
        ("exists.html", "<h1>I exist</h1>".into()),
        ("elsewhere.html", "<h1>elsewhere</h1>".into()),
        ("forced.html", "<h1>forced away</h1>".into()),
        ("app/index.html", "<h1>the app</h1>".into()),
        ("docs/404.html", "<h1>no such doc</h1>".into()),
        ("docs/real.html", "<h1>a real doc</h1>".into()),
        ("assets/app.css", long.clone()),
        ("assets/nostore/big.css", long),
        ("fonts/Open Sans/a.woff2", "wOF2".into()),
        ("raw.txt", "a,b\n".into()),
        ("page.html", "<p>page</p>".into()),
        (".env", "SECRET=1".into()),
        ("sub/index.html", "<h1>sub</h1>".into()),
        ("new/x.html", "<h1>new x</h1>".into()),
        ("posts/2026/hello.html", "<h1>hello</h1>".into()),
    ];
    for (name, content) in files {
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    common::Fixture { dir }
}

fn get(fx: &common::Fixture, target: &str) -> Res {
    run_with(fx, &Config::default(), &request("GET", target, &[]))
}

fn with(fx: &common::Fixture, c: &Config, target: &str, headers: &[(&str, &str)]) -> Res {
    run_with(fx, c, &request("GET", target, headers))
}

fn redirect(fx: &common::Fixture, target: &str) -> (u16, Option<String>) {
    let r = get(fx, target);
    (r.status, r.header("location").map(str::to_owned))
}

#[test]
fn redirects_by_status_with_placeholders_and_the_query_carried_over() {
    let fx = fixture();
    let loc = |s: &str| Some(s.to_owned());
    assert_eq!(redirect(&fx, "/old.html"), (301, loc("/new.html")));
    assert_eq!(
        redirect(&fx, "/old.html?ref=mail&x=1"),
        (301, loc("/new.html?ref=mail&x=1"))
    );
    assert_eq!(
        redirect(&fx, "/moved/a/b%20c.html"),
        (302, loc("/new/a/b%20c.html"))
    );
    assert_eq!(
        redirect(&fx, "/blog/2026/hello.html"),
        (308, loc("/posts/2026/hello.html"))
    );
    assert_eq!(
        redirect(&fx, "/external?q=1"),
        (307, loc("https://example.com/landing?q=1"))
    );
    let r = get(&fx, "/old.html");
    assert!(r.body.is_empty());
    assert_eq!(
        r.header("x-frame-options"),
        None,
        "no site headers on a redirect"
    );
}

/// Issue 22: `/go/* /:splat 302` asked for `/go//evil.example` must not
/// send `Location: //evil.example`.
#[test]
fn nothing_a_request_fills_in_sends_it_to_another_origin() {
    let fx = fixture();
    for target in [
        "/go//evil.example",
        "/go///evil.example/x",
        "/go/%5Cevil.example",
    ] {
        let (status, location) = redirect(&fx, target);
        if status == 400 {
            continue; // refused before any rule
        }
        let location = location.unwrap();
        assert_eq!(status, 302, "{target}");
        assert!(
            location.starts_with('/') && !location.starts_with("//"),
            "{target}: {location}"
        );
        assert!(!location.contains('\\'), "{target}: {location}");
    }
    assert_eq!(
        redirect(&fx, "/go//evil.example").1.as_deref(),
        Some("/evil.example")
    );
    assert_eq!(redirect(&fx, "/go").1.as_deref(), Some("/"));
    // An empty splat leaves no `//` behind.
    assert_eq!(redirect(&fx, "/to").1.as_deref(), Some("/page"));
    assert_eq!(redirect(&fx, "/to/").1.as_deref(), Some("/page"));
}

#[test]
fn a_file_at_the_source_wins_unless_the_rule_is_forced() {
    let fx = fixture();
    let r = get(&fx, "/exists.html");
    assert_eq!((r.status, r.text().as_str()), (200, "<h1>I exist</h1>"));
    assert_eq!(
        redirect(&fx, "/forced.html"),
        (301, Some("/new.html".to_owned()))
    );
}

#[test]
fn rewrites_serve_the_destination_in_place_once() {
    let fx = fixture();
    for target in ["/app/users/42", "/app/settings?tab=1", "/app/"] {
        let r = get(&fx, target);
        assert_eq!(
            (r.status, r.text().as_str()),
            (200, "<h1>the app</h1>"),
            "{target}"
        );
        assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
        assert!(r.header("etag").is_some());
    }
    // Never a hidden file or a rule file; never a second rule.
    for target in ["/secret", "/rules", "/loop", "/loop2", "/to-missing"] {
        let r = get(&fx, target);
        assert_eq!(r.status, 404, "{target}");
        assert!(
            !r.text().contains("SECRET") && !r.text().contains("X-Frame"),
            "{target}"
        );
    }
    // A directory without its slash redirects, as asked for directly.
    assert_eq!(redirect(&fx, "/to-dir"), (301, Some("/sub/".to_owned())));
}

#[test]
fn a_404_rule_serves_its_page_with_404_for_what_is_missing() {
    let fx = fixture();
    let r = get(&fx, "/docs/nope.html");
    assert_eq!((r.status, r.text().as_str()), (404, "<h1>no such doc</h1>"));
    assert_eq!(
        r.header("x-frame-options"),
        Some("DENY"),
        "site headers on a 404 page"
    );
    let r = get(&fx, "/docs/real.html");
    assert_eq!((r.status, r.text().as_str()), (200, "<h1>a real doc</h1>"));
}

#[test]
fn the_rule_files_are_never_served() {
    let fx = fixture();
    let off = config(&[("DOCROOT_SITE_RULES", "off")]);
    let hidden_allowed = config(&[("DOCROOT_HIDDEN", "allow")]);
    for c in [Config::default(), off, hidden_allowed] {
        for target in ["/_redirects", "/_headers", "//_headers", "/_redirects/"] {
            let r = with(&fx, &c, target, &[]);
            assert_eq!(r.status, 404, "{target}");
            assert!(!r.text().contains("/old.html"), "{target}");
        }
    }
}

#[test]
fn site_headers_go_on_files_listings_304s_and_404s() {
    let fx = fixture();
    let listing = config(&[
        ("DOCROOT_LISTING", "on"),
        ("DOCROOT_CACHE_CONTROL", "max-age=60"),
    ]);
    let r = with(&fx, &listing, "/new.html", &[]);
    assert_eq!(r.header("x-frame-options"), Some("DENY"));
    assert_eq!(
        r.header("cache-control"),
        Some("max-age=60"),
        "the operator's default"
    );
    let r = with(&fx, &listing, "/assets/app.css", &[]);
    assert_eq!(
        r.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(r.header("x-frame-options"), Some("DENY"), "blocks combine");
    let r = with(&fx, &listing, "/docs/", &[]);
    assert_eq!(
        (r.status, r.header("x-frame-options")),
        (200, Some("DENY")),
        "a listing"
    );
    let r = with(&fx, &listing, "/?format=json", &[]);
    assert!(r.text().contains("new.html"), "{}", r.text());
    assert!(
        !r.text().contains("_redirects") && !r.text().contains("_headers"),
        "never listed"
    );
    let r = with(&fx, &listing, "/missing", &[]);
    assert_eq!(
        (r.status, r.header("x-frame-options")),
        (404, Some("DENY")),
        "docroot's 404"
    );
    // A 304 carries Cache-Control, not the rest.
    let etag = get(&fx, "/assets/app.css")
        .header("etag")
        .unwrap()
        .to_owned();
    let r = with(
        &fx,
        &listing,
        "/assets/app.css",
        &[("if-none-match", &etag)],
    );
    assert_eq!(r.status, 304);
    assert_eq!(
        r.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(r.header("x-frame-options"), None);
    // Not on other errors.
    let r = with(&fx, &listing, "/new.html", &[("if-match", "\"other\"")]);
    assert_eq!((r.status, r.header("x-frame-options")), (412, None));
    let r = with(&fx, &listing, "/%2e%2e/x", &[]);
    assert_eq!((r.status, r.header("x-frame-options")), (400, None));
    // Nor on the info page, which is docroot's.
    let r = with(&fx, &listing, "/__info", &[]);
    assert_eq!(r.header("x-frame-options"), None);
}

#[test]
fn site_headers_set_remove_fill_and_may_not_frame_the_answer() {
    let fx = fixture();
    let r = get(&fx, "/raw.txt");
    assert_eq!(r.header("x-content-type-options"), None, "removed");
    assert_eq!(
        r.header("content-type"),
        Some("text/csv; charset=utf-8"),
        "replaced"
    );
    let r = get(&fx, "/fonts/Open%20Sans/a.woff2");
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert_eq!(r.header("x-family"), Some("Open%20Sans"));
    let r = get(&fx, "/page.html");
    assert_eq!(
        r.header("content-security-policy"),
        Some("default-src 'self'")
    );
    assert_eq!(
        r.header("content-length"),
        Some("11"),
        "Content-Length is docroot's"
    );
    // no-transform from the site turns coding off for its answers.
    let coded = with(
        &fx,
        &Config::default(),
        "/assets/app.css",
        &[("accept-encoding", "br")],
    );
    assert_eq!(coded.header("content-encoding"), Some("br"));
    let r = with(
        &fx,
        &Config::default(),
        "/assets/nostore/big.css",
        &[("accept-encoding", "br")],
    );
    assert_eq!(r.header("content-encoding"), None);
    assert_eq!(r.header("cache-control"), Some("no-store, no-transform"));
}

#[test]
fn bad_lines_are_reported_once_each_and_the_rest_apply() {
    let fx = fixture();
    let fs = StdFiles::new(fx.root()).unwrap();
    let response = docroot::ready::run(docroot::app::handle(
        &request("GET", "/old.html", &[]),
        &Config::default(),
        &fs,
        now,
    ));
    assert_eq!(response.status, 301);
    // `_headers` is read at once, `_redirects` when first needed.
    assert_eq!(
        response.notes,
        [
            "site rules: _headers:16: Content-Length is docroot's to set: it frames or \
             describes the answer docroot sends",
            "site rules: _redirects:20: more than source, destination and status: conditions \
             (country, language, role, query) are not supported",
            "site rules: _redirects:21: status \"418\" is not one of 200, 301, 302, 303, 307, \
             308, 404 (each may end in !)",
        ]
    );
}

#[test]
fn with_site_rules_off_none_apply() {
    let fx = fixture();
    let off = config(&[("DOCROOT_SITE_RULES", "off")]);
    assert_eq!(with(&fx, &off, "/old.html", &[]).status, 404);
    assert_eq!(with(&fx, &off, "/app/x", &[]).status, 404);
    assert_eq!(
        with(&fx, &off, "/new.html", &[]).header("x-frame-options"),
        None
    );
}

#[test]
fn under_a_sub_route_rules_see_the_site_path_and_redirects_keep_the_mount() {
    let fx = fixture();
    let spin = |path: &str, info: &str| {
        run_with(
            &fx,
            &Config::default(),
            &request("GET", path, &[("spin-path-info", info)]),
        )
    };
    let r = spin("/static/old.html", "/old.html");
    assert_eq!(
        (r.status, r.header("location")),
        (301, Some("/static/new.html"))
    );
    let r = spin("/static/go//x", "/go//x");
    assert_eq!(r.header("location"), Some("/static/x"));
    let r = spin("/static/app/deep", "/app/deep");
    assert_eq!((r.status, r.text().as_str()), (200, "<h1>the app</h1>"));
    let r = spin("/static/external", "/external");
    assert_eq!(r.header("location"), Some("https://example.com/landing"));
}
