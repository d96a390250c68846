//! Request → response tests of the paths a site protects with `Basic-Auth`
//! in its `_headers`, in-process over a fixture with awkward names: every
//! way around the protection (other spellings of the path, rewrites, a
//! precompressed sibling by its own name, a page served from its `.gz`, an
//! index file by its own name, listings, the fallback and 404 pages, HEAD,
//! ranges, conditional requests), every malformed `Authorization`, the
//! `Cache-Control` of an allowed answer, CORS preflights, and the
//! credentials never appearing in any answer.

mod common;

use common::coded::gzip;
use common::inproc::{Res, config, request, run_with};
use docroot::config::Config;

const HEADERS: &str = "\
/*
  X-Frame-Options: DENY
/admin/*
  Basic-Auth: alice:s3cret bob:hunter2
  X-Robots-Tag: noindex
/secret.txt
  Basic-Auth: alice:s3cret
/members
  Basic-Auth: alice:s3cret
/gz-only.html
  Basic-Auth: alice:s3cret
/private-404.html
  Basic-Auth: alice:s3cret
/api/*
  Access-Control-Allow-Origin: https://app.example
  Access-Control-Allow-Methods: GET, POST, PUT
  Access-Control-Allow-Headers: X-Custom
  Basic-Auth: alice:s3cret
/admin/assets/*
  Cache-Control: public, max-age=600
/club/index.html
  Basic-Auth: alice:s3cret
";

const REDIRECTS: &str = "\
/peek/* /admin/:splat 200
/peek-secret /secret.txt 200
/gone/* /private-404.html 404
/lost/* /admin/404.html 404
";

/// What every protected file holds, and no other answer may.
const MARK: &str = "CLASSIFIED";
/// `Authorization` for alice (`alice:s3cret`), bob (`bob:hunter2`), and
/// alice with a wrong password.
const ALICE: &str = "Basic YWxpY2U6czNjcmV0";
const BOB: &str = "Basic Ym9iOmh1bnRlcjI=";
const WRONG: &str = "Basic YWxpY2U6d3Jvbmc=";

fn fixture() -> common::Fixture {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("site");
    let report = format!("<p>{MARK} report</p>\n").repeat(100);
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("_headers", HEADERS.into()),
        ("_redirects", REDIRECTS.into()),
        ("admin/index.html", format!("<h1>{MARK} admin</h1>").into()),
        ("admin/r é port&1.html", report.into()),
        ("admin/404.html", format!("<h1>{MARK} 404</h1>").into()),
        ("admin/assets/site.css", format!("/* {MARK} */").into()),
        ("secret.txt", format!("{MARK} secret").into()),
        ("secret.txt.gz", gzip(format!("{MARK} secret").as_bytes())),
        ("secret.txt.br", format!("br {MARK}").into()),
        (
            "gz-only.html.gz",
            gzip(format!("<p>{MARK} gz only</p>").as_bytes()),
        ),
        (
            "members/index.html",
            format!("<p>{MARK} members</p>").into(),
        ),
        ("private-404.html", format!("<p>{MARK} 404 page</p>").into()),
        ("api/data.json", format!("{{\"{MARK}\": 1}}").into()),
        ("public.html", b"<p>public</p>".to_vec()),
        ("open/a.txt", b"open".to_vec()),
        // A directory whose protected index file does not exist.
        ("club/notes.txt", b"open notes".to_vec()),
    ];
    for (name, content) in files {
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    common::Fixture { dir }
}

/// The answer to a request, checked for what no answer may ever carry: the
/// `Basic-Auth` line as a header, or the credentials anywhere.
fn ask(fx: &common::Fixture, c: &Config, method: &str, target: &str, h: &[(&str, &str)]) -> Res {
    let r = run_with(fx, c, &request(method, target, h));
    let said = format!("{method} {target} {h:?}");
    for (name, value) in &r.headers {
        assert_ne!(*name, "basic-auth", "{said}");
        for secret in ["s3cret", "hunter2", "YWxpY2U6czNjcmV0", "Ym9iOmh1bnRlcjI"] {
            assert!(!value.contains(secret), "{said}: {name}: {value}");
        }
    }
    let body = String::from_utf8_lossy(&r.body);
    for secret in ["s3cret", "hunter2", "YWxpY2U6", "alice:", "Basic-Auth"] {
        assert!(!body.contains(secret), "{said}: {body}");
    }
    if r.status == 401 {
        assert_unauthorized(&r, &said);
    }
    r
}

/// A 401: docroot's page and the challenge, nothing of the file.
fn assert_unauthorized(r: &Res, said: &str) {
    assert_eq!(
        r.header("www-authenticate"),
        Some("Basic realm=\"Protected\", charset=\"UTF-8\""),
        "{said}"
    );
    for gone in [
        "etag",
        "last-modified",
        "content-range",
        "accept-ranges",
        "x-robots-tag",
        "access-control-allow-origin",
    ] {
        assert_eq!(r.header(gone), None, "{said}: {gone}");
    }
    let page = common::coded::decode(r.header("content-encoding"), &r.body);
    let page = String::from_utf8_lossy(&page);
    assert!(!page.contains(MARK), "{said}: {page}");
    assert!(r.body.is_empty() || page.contains("401"), "{said}: {page}");
    assert!(
        r.header("content-type").unwrap().starts_with("text/html")
            || r.header("content-type") == Some("application/json"),
        "{said}"
    );
}

fn get(fx: &common::Fixture, c: &Config, target: &str, h: &[(&str, &str)]) -> Res {
    ask(fx, c, "GET", target, h)
}

/// Every path that reads a protected file (or would, on a filesystem that
/// ignores case), and the status it gets with credentials.
const PROTECTED: [(&str, u16); 28] = [
    ("/admin/", 200),
    ("/admin", 301),
    ("/admin/index.html", 200),
    ("/admin/r%20%C3%A9%20port%261.html", 200),
    ("/%61dmin/r%20%c3%a9%20port%261.html", 200),
    ("/admin/./index.html", 200),
    ("/admin/%2e/index.html", 200),
    ("//admin//index.html", 200),
    ("/admin/missing.html", 404),
    ("/admin/assets/site.css", 200),
    ("/peek/index.html", 200),
    ("/peek/", 200),
    ("/peek/nothing.html", 404),
    ("/peek-secret", 200),
    ("/secret.txt", 200),
    ("/secret.txt.gz", 200),
    ("/secret.txt.br", 200),
    ("/gz-only.html", 200),
    ("/members/", 200),
    ("/members", 301),
    ("/members/index.html", 200),
    ("/gone/x", 404),
    ("/lost/x", 404),
    ("/api/data.json", 200),
    ("/api/", 404),
    // Other cases of a name are the same file on a case-insensitive
    // filesystem (here, on Linux, they name nothing).
    ("/ADMIN/index.html", 404),
    ("/Secret.TXT.GZ", 404),
    ("/MEMBERS/INDEX.HTML", 404),
];

#[test]
fn every_way_to_a_protected_file_asks_for_credentials() {
    let fx = fixture();
    let c = Config::default();
    for (target, allowed) in PROTECTED {
        for h in [
            &[][..],
            &[("authorization", WRONG)],
            &[("authorization", "Bearer YWxpY2U6czNjcmV0")],
            &[("accept-encoding", "gzip, br")],
        ] {
            let r = get(&fx, &c, target, h);
            assert_eq!(r.status, 401, "{target} {h:?}");
        }
        let r = get(&fx, &c, target, &[("authorization", ALICE)]);
        assert_eq!(r.status, allowed, "{target}: {}", r.text());
        if allowed == 200 {
            let coding = match target.strip_suffix(".gz") {
                Some(_) => Some("gzip"),
                None => r.header("content-encoding"),
            };
            let body = common::coded::decode(coding, &r.body);
            assert!(
                String::from_utf8_lossy(&body).contains(MARK),
                "{target}: {}",
                r.text()
            );
        }
    }
    // Bob is a user of /admin/* alone.
    let r = get(&fx, &c, "/admin/index.html", &[("authorization", BOB)]);
    assert_eq!(r.status, 200);
    let r = get(&fx, &c, "/peek-secret", &[("authorization", BOB)]);
    assert_eq!(r.status, 401, "the file's own block does not let bob in");
    // What nothing protects is served as ever.
    let r = get(&fx, &c, "/public.html", &[]);
    assert_eq!((r.status, r.header("x-frame-options")), (200, Some("DENY")));
    assert_eq!(get(&fx, &c, "/secret.txt.zst", &[]).status, 401);
    assert_eq!(get(&fx, &c, "/nowhere", &[]).status, 404);
    // A path refused before any rule matches is a 400, never the file.
    let r = get(&fx, &c, "/open/../admin/index.html", &[]);
    assert_eq!(r.status, 400);
    assert!(!r.text().contains(MARK));
}

#[test]
fn head_ranges_and_conditional_requests_are_answers_about_the_file_too() {
    let fx = fixture();
    let c = Config::default();
    let target = "/admin/r%20%C3%A9%20port%261.html";
    let allowed = get(&fx, &c, target, &[("authorization", ALICE)]);
    let etag = allowed.header("etag").unwrap().to_owned();
    let modified = allowed.header("last-modified").unwrap().to_owned();
    let asks: [&[(&str, &str)]; 6] = [
        &[("range", "bytes=0-9")],
        &[("range", "bytes=999999-")],
        &[("if-none-match", &etag)],
        &[("if-modified-since", &modified)],
        &[("if-match", "\"other\"")],
        &[("range", "bytes=0-9"), ("if-range", &etag)],
    ];
    for method in ["GET", "HEAD"] {
        for h in asks {
            let r = ask(&fx, &c, method, target, h);
            assert_eq!(r.status, 401, "{method} {h:?}");
            let mut with = h.to_vec();
            with.push(("authorization", ALICE));
            let r = ask(&fx, &c, method, target, &with);
            assert!(
                matches!(r.status, 200 | 206 | 304 | 412 | 416),
                "{method} {h:?}: {}",
                r.status
            );
        }
    }
    let r = ask(&fx, &c, "HEAD", target, &[]);
    assert_eq!((r.status, r.body.len()), (401, 0));
    let r = get(
        &fx,
        &c,
        target,
        &[("if-none-match", &etag), ("authorization", ALICE)],
    );
    assert_eq!(r.status, 304);
    assert!(r.header("cache-control").unwrap().starts_with("private"));
}

#[test]
fn a_malformed_or_wrong_authorization_is_a_401_never_a_400_or_500() {
    let fx = fixture();
    let c = Config::default();
    for bad in [
        &[("authorization", "")][..],
        &[("authorization", "Basic")],
        &[("authorization", "Basic ")],
        &[("authorization", "Basic !!!!")],
        &[("authorization", "Basic YWxpY2U")],
        &[("authorization", "BasicYWxpY2U6czNjcmV0")],
        &[("authorization", "Digest username=\"alice\"")],
        &[("authorization", "Basic YWxpY2U6czNjcmV0IA==")],
        &[("authorization", "Basic OnMzY3JldA==")],
        &[("authorization", ALICE), ("authorization", ALICE)],
        &[("authorization", WRONG)],
    ] {
        let r = get(&fx, &c, "/admin/index.html", bad);
        assert_eq!(r.status, 401, "{bad:?}");
    }
    for good in ["basic YWxpY2U6czNjcmV0", "BASIC  YWxpY2U6czNjcmV0 ", ALICE] {
        let r = get(&fx, &c, "/admin/index.html", &[("authorization", good)]);
        assert_eq!(r.status, 200, "{good}");
    }
    // JSON when asked, as every error.
    let r = get(&fx, &c, "/admin/", &[("accept", "application/json")]);
    assert_eq!(
        (r.status, r.header("content-type")),
        (401, Some("application/json"))
    );
    let json: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(json["status"], 401);
}

#[test]
fn listings_of_protected_directories_ask_and_others_leave_protected_names_out() {
    let fx = fixture();
    let c = config(&[("DOCROOT_LISTING", "on")]);
    assert_eq!(get(&fx, &c, "/peek/assets/", &[]).status, 401);
    // Whether a protected index file exists is not told by the listing
    // (or 404) its directory would give without it.
    assert_eq!(get(&fx, &c, "/club/", &[]).status, 401);
    let r = get(&fx, &c, "/club/", &[("authorization", ALICE)]);
    assert_eq!(r.status, 200);
    assert!(r.text().contains("notes.txt"));
    assert_eq!(get(&fx, &Config::default(), "/club/", &[]).status, 401);
    for target in ["/admin/assets/", "/admin/assets/?format=json"] {
        assert_eq!(get(&fx, &c, target, &[]).status, 401, "{target}");
        let r = get(&fx, &c, target, &[("authorization", ALICE)]);
        assert_eq!(r.status, 200, "{target}");
        assert!(r.text().contains("site.css"), "{target}: {}", r.text());
    }
    for format in ["", "?format=json"] {
        let r = get(&fx, &c, &format!("/{format}"), &[]);
        let text = r.text();
        assert!(text.contains("public.html"), "{text}");
        for protected in ["secret.txt", "admin", "members", "gz-only", "private-404"] {
            assert!(!text.contains(protected), "{protected}: {text}");
        }
        let r = get(&fx, &c, &format!("/{format}"), &[("authorization", ALICE)]);
        assert!(r.text().contains("secret.txt.gz"), "{}", r.text());
        assert!(r.header("cache-control").unwrap().starts_with("private"));
    }
}

#[test]
fn the_fallback_and_404_pages_are_protected_as_their_own_paths_are() {
    let fx = fixture();
    let fallback = config(&[("DOCROOT_FALLBACK", "/admin/index.html")]);
    let r = get(&fx, &fallback, "/app/route", &[("accept", "text/html")]);
    assert_eq!(r.status, 401);
    let r = get(
        &fx,
        &fallback,
        "/app/route",
        &[("accept", "text/html"), ("authorization", ALICE)],
    );
    assert_eq!(r.status, 200);
    assert!(r.text().contains(MARK));
    let not_found = config(&[("DOCROOT_NOT_FOUND", "/private-404.html")]);
    assert_eq!(get(&fx, &not_found, "/nowhere.png", &[]).status, 401);
    let r = get(&fx, &not_found, "/nowhere.png", &[("authorization", ALICE)]);
    assert_eq!(r.status, 404);
    assert!(r.text().contains(MARK));
}

#[test]
fn an_allowed_answer_is_private_whatever_the_operator_or_site_says() {
    let fx = fixture();
    let public = config(&[(
        "DOCROOT_CACHE_CONTROL",
        "public, max-age=3600, s-maxage=7200",
    )]);
    let alice = [("authorization", ALICE)];
    let r = get(&fx, &public, "/admin/index.html", &alice);
    assert_eq!(r.header("cache-control"), Some("private, max-age=3600"));
    let r = get(&fx, &public, "/admin/assets/site.css", &alice);
    assert_eq!(r.header("cache-control"), Some("private, max-age=600"));
    // The site's 404 page carries the operator's too, made private.
    let r = get(&fx, &public, "/gone/x", &alice);
    assert_eq!(r.header("cache-control"), Some("private, max-age=3600"));
    // What nothing protects keeps the operator's, unless the request
    // carried credentials (RFC 9111 §3.5: its answer is for it alone).
    let r = get(&fx, &public, "/public.html", &[]);
    assert_eq!(
        r.header("cache-control"),
        Some("public, max-age=3600, s-maxage=7200")
    );
    let r = get(&fx, &public, "/public.html", &alice);
    assert_eq!(r.header("cache-control"), Some("private, max-age=3600"));
    let no_store = config(&[("DOCROOT_CACHE_CONTROL", "no-store")]);
    let r = get(&fx, &no_store, "/admin/index.html", &alice);
    assert_eq!(r.header("cache-control"), Some("no-store"));
}

#[test]
fn a_cors_preflight_gets_the_sites_headers_and_is_never_asked_for_credentials() {
    let fx = fixture();
    let c = Config::default();
    let preflight = [
        ("origin", "https://app.example"),
        ("access-control-request-method", "POST"),
        ("access-control-request-headers", "x-custom"),
    ];
    let r = ask(&fx, &c, "OPTIONS", "/api/data.json", &preflight);
    assert_eq!(r.status, 204);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    assert_eq!(
        r.header("access-control-allow-methods"),
        Some("GET, POST, PUT")
    );
    assert_eq!(r.header("access-control-allow-headers"), Some("X-Custom"));
    assert_eq!(r.header("allow"), Some("GET, HEAD, OPTIONS"));
    assert_eq!(r.header("www-authenticate"), None);
    // Any other OPTIONS keeps its Allow, and the protection holds for it.
    let r = ask(&fx, &c, "OPTIONS", "/public.html", &[]);
    assert_eq!(r.status, 204);
    assert_eq!(r.header("allow"), Some("GET, HEAD, OPTIONS"));
    assert_eq!(r.header("x-frame-options"), Some("DENY"));
    let r = ask(&fx, &c, "OPTIONS", "/api/data.json", &[]);
    assert_eq!(r.status, 401);
    let r = ask(
        &fx,
        &c,
        "OPTIONS",
        "/api/data.json",
        &[("origin", "https://x")],
    );
    assert_eq!(r.status, 401, "Origin alone is no preflight");
    let r = ask(
        &fx,
        &c,
        "OPTIONS",
        "/api/data.json",
        &[("authorization", ALICE)],
    );
    assert_eq!(r.status, 204);
    // Other methods: credentials first, then 405.
    assert_eq!(ask(&fx, &c, "POST", "/admin/", &[]).status, 401);
    assert_eq!(
        ask(&fx, &c, "POST", "/admin/", &[("authorization", ALICE)]).status,
        405
    );
    assert_eq!(ask(&fx, &c, "POST", "/public.html", &[]).status, 405);
}

#[test]
fn with_the_sites_rules_off_basic_auth_protects_nothing() {
    let fx = fixture();
    let off = config(&[("DOCROOT_SITE_RULES", "off")]);
    let r = get(&fx, &off, "/admin/index.html", &[]);
    assert_eq!(r.status, 200);
    assert_eq!(
        get(&fx, &off, "/_headers", &[]).status,
        404,
        "still never served"
    );
}

#[test]
fn the_info_page_is_docroots_and_never_shows_the_credentials() {
    let fx = fixture();
    let c = Config::default();
    let r = get(&fx, &c, "/__info", &[("authorization", ALICE)]);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("cache-control"), Some("no-store"));
}
