//! Request → response tests: the pure core over a fixture tree with awkward
//! names, in-process, through `std::fs`.

mod common;

use common::inproc::{Res, config, get, now, request, run_with};
use common::{HIDDEN, SECRET, contains, fixture};
use docroot::app;
use docroot::config::{Config, ConfigError};
use docroot::http::Body;

#[test]
fn the_root_serves_its_index() {
    let fx = fixture();
    let r = get(&fx, "/");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(r.text(), "<!doctype html><h1>home</h1>\n");
    assert_eq!(get(&fx, "/index.html").body, r.body);
    assert_eq!(get(&fx, "/?q=1").body, r.body);
}

#[test]
fn files_with_awkward_names() {
    let fx = fixture();
    for (target, body, content_type) in [
        ("/hello.txt", "hello\n", "text/plain; charset=utf-8"),
        (
            "/hello%20world.txt",
            "spaces\n",
            "text/plain; charset=utf-8",
        ),
        (
            "/%E6%97%A5%E6%9C%AC%E8%AA%9E.txt",
            "cjk\n",
            "text/plain; charset=utf-8",
        ),
        ("/100%25.txt", "percent\n", "text/plain; charset=utf-8"),
        (
            "/a%26b%20%3Cc%3E.txt",
            "markup\n",
            "text/plain; charset=utf-8",
        ),
        ("/empty.txt", "", "text/plain; charset=utf-8"),
        ("/style.css", "body{}\n", "text/css; charset=utf-8"),
        (
            "/data.json",
            "{\"a\":1}\n",
            "application/json; charset=utf-8",
        ),
        ("/noext", "no extension\n", "application/octet-stream"),
        ("/UPPER.HTML", "<p>upper</p>\n", "text/html; charset=utf-8"),
        ("/nested/a/b/c.txt", "deep\n", "text/plain; charset=utf-8"),
        (
            "/nested//a/./b/c.txt",
            "deep\n",
            "text/plain; charset=utf-8",
        ),
        (
            "/docs/guide/",
            "<h1>guide</h1>\n",
            "text/html; charset=utf-8",
        ),
        (
            "/space%20dir/",
            "<h1>space dir</h1>\n",
            "text/html; charset=utf-8",
        ),
    ] {
        let r = get(&fx, target);
        assert_eq!(r.status, 200, "{target}");
        assert_eq!(r.text(), body, "{target}");
        assert_eq!(r.header("content-type"), Some(content_type), "{target}");
        assert_eq!(r.header("content-length"), Some(&*body.len().to_string()));
    }
    assert_eq!(
        get(&fx, "/image.png").header("content-type"),
        Some("image/png")
    );
}

#[test]
fn head_sends_the_same_headers_and_no_body() {
    let fx = fixture();
    for target in ["/hello.txt", "/", "/missing", "/docs", "/__info"] {
        let got = get(&fx, target);
        let head = run_with(&fx, &Config::default(), &request("HEAD", target, &[]));
        assert_eq!(head.status, got.status, "{target}");
        assert!(head.body.is_empty(), "{target}");
        let names = |r: &Res| {
            r.headers
                .iter()
                .map(|(n, _)| n.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&head), names(&got), "{target}");
        if target != "/__info" {
            // (The info page shows the method, so its HEAD length is its own.)
            assert_eq!(head.header("content-length"), got.header("content-length"));
        }
    }
}

#[test]
fn options_and_other_methods() {
    let fx = fixture();
    for target in ["/", "/hello.txt", "*", "/missing", "/__info"] {
        let r = run_with(&fx, &Config::default(), &request("OPTIONS", target, &[]));
        assert_eq!(r.status, 204, "{target}");
        assert_eq!(r.header("allow"), Some("GET, HEAD, OPTIONS"));
        assert!(r.body.is_empty());
    }
    for method in [
        "POST", "PUT", "DELETE", "PATCH", "TRACE", "CONNECT", "get", "Head", "PROPFIND",
    ] {
        let r = run_with(&fx, &Config::default(), &request(method, "/hello.txt", &[]));
        assert_eq!(r.status, 405, "{method}");
        assert_eq!(r.header("allow"), Some("GET, HEAD, OPTIONS"));
        assert!(r.text().contains("405 Method Not Allowed"));
    }
}

#[test]
fn directories_without_their_slash_redirect_keeping_the_query() {
    let fx = fixture();
    for (target, location) in [
        ("/docs", "/docs/"),
        ("/docs?x=1&y=%20", "/docs/?x=1&y=%20"),
        ("/docs/guide", "/docs/guide/"),
        ("/space%20dir", "/space%20dir/"),
        ("//docs", "/docs/"),
        ("/./docs", "/docs/"),
        ("/docs-link", "/docs-link/"),
        ("/empty-dir", "/empty-dir/"),
    ] {
        let r = get(&fx, target);
        assert_eq!(r.status, 301, "{target}");
        assert_eq!(r.header("location"), Some(location), "{target}");
        assert!(r.body.is_empty());
    }
}

#[test]
fn directories_without_an_index_are_404_when_listing_is_off() {
    let fx = fixture();
    assert_eq!(get(&fx, "/docs/").status, 404);
    assert_eq!(get(&fx, "/empty-dir/").status, 404);
    assert_eq!(get(&fx, "/alt/").status, 404);
}

#[test]
fn index_names_come_from_the_config() {
    let fx = fixture();
    let c = config(&[("DOCROOT_INDEX", "index.htm, index.html")]);
    let r = run_with(&fx, &c, &request("GET", "/alt/", &[]));
    assert_eq!((r.status, r.text().as_str()), (200, "<h1>htm index</h1>\n"));
    let r = run_with(&fx, &c, &request("GET", "/", &[]));
    assert_eq!(r.status, 200, "falls through to the second name");
}

#[test]
fn a_file_asked_for_as_a_directory_is_404() {
    let fx = fixture();
    assert_eq!(get(&fx, "/hello.txt/").status, 404);
    assert_eq!(get(&fx, "/hello.txt/x").status, 404);
}

#[test]
fn missing_files_get_a_404_page_in_html_or_json() {
    let fx = fixture();
    let r = get(&fx, "/missing/<script>alert(1)</script>");
    assert_eq!(r.status, 404);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(r.header("vary"), Some("Accept, Accept-Encoding"));
    assert!(
        r.text()
            .contains("/missing/&lt;script&gt;alert(1)&lt;/script&gt;")
    );
    assert!(!r.text().contains("<script>"));

    let req = request("GET", "/missing%20file", &[("accept", "application/json")]);
    let r = run_with(&fx, &Config::default(), &req);
    assert_eq!(r.status, 404);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["status"], 404);
    assert_eq!(v["path"], "/missing file", "decoded, as on the HTML page");

    // `?format=json` asks for the JSON error page as `Accept` does.
    let r = get(&fx, "/no/such%20file.txt?format=json");
    assert_eq!(r.status, 404);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["path"], "/no/such file.txt");

    // The site's own 404 page goes by `Accept` alone: the query is the
    // site's business there.
    let own = config(&[("DOCROOT_NOT_FOUND", "/not-found.html")]);
    let browser = [("accept", "text/html,*/*;q=0.8")];
    let r = run_with(&fx, &own, &request("GET", "/gone?format=json", &browser));
    assert_eq!(
        (r.status, r.text().as_str()),
        (404, "<h1>custom not found</h1>\n")
    );
    let api = [("accept", "application/json")];
    let r = run_with(&fx, &own, &request("GET", "/gone", &api));
    assert_eq!(r.header("content-type"), Some("application/json"));
}

#[test]
fn error_pages_show_the_path_decoded_and_link_home() {
    let fx = fixture();
    let r = get(&fx, "/missing/%E6%97%A5%E6%9C%AC%20%3Cb%3E.txt");
    assert_eq!(r.status, 404);
    let html = r.text();
    assert!(
        html.contains("<code class=\"path\">/missing/日本 &lt;b&gt;.txt</code>"),
        "{html}"
    );
    assert!(html.contains("<a href=\"../\">Home</a>"), "{html}");
    assert!(html.contains("<link rel=\"icon\" href=\"data:image/svg+xml,"));
    assert!(html.contains("<main>"));
    // A 400 shows what it refused without turning it into something else.
    let r = get(&fx, "/a%2Fb/c%FF");
    assert_eq!(r.status, 400);
    assert!(
        r.text().contains("<code class=\"path\">/a%2Fb/c%FF</code>"),
        "{}",
        r.text()
    );
    assert!(r.text().contains("<a href=\"../\">Home</a>"));
}

#[test]
fn listings_in_json_through_the_query_and_linked_from_the_html() {
    let fx = fixture();
    let listing = config(&[("DOCROOT_LISTING", "on")]);
    let html = run_with(&fx, &listing, &request("GET", "/docs/", &[])).text();
    assert!(html.contains("<a href=\"?format=json\">JSON</a>"), "{html}");
    assert!(
        html.contains("<link rel=\"alternate\" type=\"application/json\" href=\"?format=json\">")
    );
    let r = run_with(&fx, &listing, &request("GET", "/docs/?format=json", &[]));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("vary"), Some("Accept, Accept-Encoding"));
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["path"], "/docs/");
    let names: Vec<&str> = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    let rows: Vec<usize> = names
        .iter()
        .map(|n| {
            html.find(&format!(">{n}"))
                .unwrap_or_else(|| panic!("{n} in {html}"))
        })
        .collect();
    assert!(
        !names.is_empty() && rows.is_sorted(),
        "same order: {names:?}"
    );
    // Other arguments, or another format's name, do not.
    let r = run_with(
        &fx,
        &listing,
        &request("GET", "/docs/?format=jsonx&a=b", &[]),
    );
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    // A file is itself, whatever the query says.
    let r = run_with(
        &fx,
        &listing,
        &request("GET", "/hello.txt?format=json", &[]),
    );
    assert_eq!((r.status, r.text().as_str()), (200, "hello\n"));
}

#[test]
fn hostile_targets_are_refused_and_never_repaired_or_leaked() {
    let fx = fixture();
    for &(target, status) in common::HOSTILE_TARGETS {
        for method in ["GET", "HEAD"] {
            let r = run_with(&fx, &Config::default(), &request(method, target, &[]));
            assert_eq!(r.status, status, "{method} {target}");
            assert!(!contains(&r.body, SECRET), "{target}");
            assert!(!contains(&r.body, HIDDEN), "{target}");
        }
    }
    assert_eq!(get(&fx, "").status, 400);
    assert_eq!(get(&fx, "secret.txt").status, 400);
}

#[cfg(unix)]
#[test]
fn symlinks_that_leave_the_root_are_404() {
    let fx = fixture();
    for target in [
        "/link-out.txt",
        "/abs-link-out.txt",
        "/dir-link-out/inner.txt",
        "/dir-link-out/",
        "/parent-link/secret.txt",
        "/parent-link/",
        "/broken-link.txt",
        "/fifo",
        "/socket",
    ] {
        let r = get(&fx, target);
        assert_eq!(r.status, 404, "{target}");
        assert!(!contains(&r.body, SECRET), "{target}");
    }
    assert_eq!(get(&fx, "/link-in.txt").text(), "hello\n");
    assert_eq!(get(&fx, "/docs-link/readme.md").text(), "# readme\n");
}

#[cfg(unix)]
#[test]
#[ignore = "makes a device node, which needs root; scripts/test runs it when mknod works"]
fn a_device_node_is_404_and_never_opened() {
    let fx = common::fixture_with_device();
    let r = get(&fx, "/device");
    assert_eq!(r.status, 404);
    let c = config(&[("DOCROOT_LISTING", "on"), ("DOCROOT_INDEX", "none")]);
    let listing = run_with(&fx, &c, &request("GET", "/", &[])).text();
    assert!(listing.contains("href=\"hello.txt\""), "{listing}");
    assert!(!listing.contains("href=\"device\""), "{listing}");
}

#[test]
fn dotfiles_are_hidden_unless_allowed_and_well_known_is_served() {
    let fx = fixture();
    for target in ["/.env", "/.git/config", "/%2eenv", "/.git/", "/.git"] {
        let r = get(&fx, target);
        assert_eq!(r.status, 404, "{target}");
        assert!(!contains(&r.body, HIDDEN));
    }
    let r = get(&fx, "/.well-known/security.txt");
    assert_eq!(r.status, 200);
    let allow = config(&[("DOCROOT_HIDDEN", "allow")]);
    let r = run_with(&fx, &allow, &request("GET", "/.env", &[]));
    assert_eq!((r.status, r.body.as_slice()), (200, HIDDEN));
    let r = run_with(&fx, &allow, &request("GET", "/.git/config", &[]));
    assert_eq!(r.status, 200);
}

#[test]
fn cache_control_is_fresh_by_default_and_the_operators_when_set() {
    let fx = fixture();
    let fresh = Some("public, max-age=0, must-revalidate");
    assert_eq!(get(&fx, "/hello.txt").header("cache-control"), fresh);
    let c = config(&[("DOCROOT_CACHE_CONTROL", "public, max-age=60")]);
    let r = run_with(&fx, &c, &request("GET", "/hello.txt", &[]));
    assert_eq!(r.header("cache-control"), Some("public, max-age=60"));
    // Set empty, none is sent.
    let none = config(&[("DOCROOT_CACHE_CONTROL", "")]);
    let r = run_with(&fx, &none, &request("GET", "/hello.txt", &[]));
    assert_eq!(r.header("cache-control"), None);
    // docroot's own error pages and the info page are never stored.
    assert_eq!(
        get(&fx, "/missing").header("cache-control"),
        Some("no-store")
    );
    assert_eq!(
        get(&fx, "/__info").header("cache-control"),
        Some("no-store")
    );
}

#[test]
fn the_info_page_in_html_and_json() {
    let fx = fixture();
    let r = get(&fx, "/__info?x=%3Cy%3E");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.header("vary"), Some("Accept, Accept-Encoding"));
    assert!(
        r.text().contains("<code>x=%3Cy%3E</code>"),
        "the query as received"
    );
    assert!(
        r.text()
            .contains("<th scope=\"row\"><code>x</code></th><td><code>&lt;y&gt;</code></td>"),
        "and as arguments"
    );

    for req in [
        request("GET", "/__info?format=json", &[]),
        request("GET", "/__info", &[("accept", "application/json")]),
    ] {
        let r = run_with(&fx, &Config::default(), &req);
        assert_eq!(r.header("content-type"), Some("application/json"));
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(v["target"], req.path_with_query.as_str());
        assert_eq!(v["authority"], "localhost:8080");
        assert_eq!(v["scheme"], "http");
        assert_eq!(v["date"], httpdate::fmt_http_date(now()));
    }
    let r = run_with(&fx, &Config::default(), &request("POST", "/__info", &[]));
    assert_eq!(r.status, 405);
}

#[test]
fn the_info_path_is_configurable_and_can_be_turned_off() {
    let fx = fixture();
    let off = config(&[("DOCROOT_INFO_PATH", "")]);
    assert_eq!(
        run_with(&fx, &off, &request("GET", "/__info", &[])).status,
        404
    );
    let moved = config(&[("DOCROOT_INFO_PATH", "/hello.txt")]);
    let r = run_with(&fx, &moved, &request("GET", "/hello.txt", &[]));
    assert_eq!(
        r.header("cache-control"),
        Some("no-store"),
        "the info page wins"
    );
    assert_eq!(
        run_with(&fx, &moved, &request("GET", "/__info", &[])).status,
        404
    );
}

#[test]
fn a_bad_configuration_is_a_500_that_names_the_variable() {
    let req = request("GET", "/hello.txt", &[]);
    let err: ConfigError = Config::from_vars([("DOCROOT_LISTING", "maybe")]).unwrap_err();
    let r = app::misconfigured::<std::fs::File>(&req, err);
    assert_eq!(r.status, 500);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let Body::Bytes(body) = r.body else {
        panic!("an error page")
    };
    let text = String::from_utf8(body).unwrap();
    assert!(text.contains("DOCROOT_LISTING"), "{text}");
    assert!(r.log.unwrap().contains("DOCROOT_LISTING"));
}

#[test]
fn hostile_input_never_panics_or_leaks() {
    let fx = fixture();
    let pieces = [
        "",
        "/",
        "//",
        "..",
        ".",
        "%",
        "%2e",
        "%2f",
        "%5c",
        "%00",
        "%ff",
        "%c0%af",
        "\\",
        "?",
        "#",
        "a",
        "hello.txt",
        "docs",
        "link-out.txt",
        "dir-link-out",
        ".env",
        "%2e%2e",
        "\u{65e5}",
        "%%",
        "?format=json",
        "parent-link",
        "~",
        ";",
        "\r\n",
        " ",
    ];
    let methods = ["GET", "HEAD", "OPTIONS", "POST", ""];
    let accepts = [
        "",
        "application/json",
        "*/*;q=x",
        "application/json;q=0",
        "\u{1}",
    ];
    let mut n = 0;
    for a in pieces {
        for b in pieces {
            for c in ["", "/", "/hello.txt"] {
                let target = format!("/{a}/{b}{c}");
                let method = methods[n % methods.len()];
                let accept = accepts[n % accepts.len()];
                n += 1;
                let req = request(method, &target, &[("accept", accept), ("x", accept)]);
                let r = run_with(&fx, &Config::default(), &req);
                assert!(r.status < 500, "{method} {target:?}: {}", r.status);
                assert!(!contains(&r.body, SECRET), "{target:?}");
                assert!(!contains(&r.body, HIDDEN), "{target:?}");
                for (name, value) in &r.headers {
                    assert!(
                        value
                            .bytes()
                            .all(|b| b == b'\t' || (b' '..=b'~').contains(&b)),
                        "{target:?}: header {name} holds {value:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn listings_when_on() {
    let fx = fixture();
    let on = config(&[("DOCROOT_LISTING", "on")]);
    let r = run_with(&fx, &on, &request("GET", "/docs/", &[]));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    let html = r.text();
    assert!(html.contains("href=\"guide/\"") && html.contains("href=\"readme.md\""));
    assert!(html.find("guide/").unwrap() < html.find("readme.md").unwrap());
    assert!(html.contains("href=\"../\""));

    let html = run_with(&fx, &on, &request("GET", "/", &[])).text();
    assert!(
        html.contains("<h1>home</h1>"),
        "an index file wins over the listing"
    );

    let r = run_with(
        &fx,
        &on,
        &request("GET", "/empty-dir/", &[("accept", "application/json")]),
    );
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["entries"].as_array().unwrap().len(), 0);

    let c = config(&[("DOCROOT_LISTING", "on"), ("DOCROOT_INDEX", "none.html")]);
    let html = run_with(&fx, &c, &request("GET", "/", &[])).text();
    assert!(html.contains("a&amp;b &lt;c&gt;.txt"), "names are escaped");
    assert!(
        html.contains("href=\"a%26b%20%3Cc%3E.txt\""),
        "links are encoded"
    );
    assert!(html.contains("href=\"%E6%97%A5%E6%9C%AC%E8%AA%9E.txt\""));
    assert!(
        !html.contains(".env") && !html.contains(".git"),
        "dotfiles are left out"
    );
    assert!(!html.contains("link-out") && !html.contains("parent-link"));
    assert!(
        html.contains("link-in.txt"),
        "links inside the root are listed"
    );
}

#[test]
fn times_no_http_date_can_name_are_left_out_not_a_panic() {
    let fx = fixture();
    let on = config(&[("DOCROOT_LISTING", "on")]);
    let r = run_with(&fx, &on, &request("GET", "/odd-times/", &[]));
    assert_eq!(r.status, 200);
    assert!(r.text().contains("1960.txt"));
    assert_eq!(get(&fx, "/odd-times/1960.txt").status, 200);
}
