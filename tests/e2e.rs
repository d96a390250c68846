//! End to end: the built component under each real host — `wasmtime serve`
//! on port 0 and `jco serve` on Node — spoken to in raw HTTP/1.1. Every test
//! runs once per host (`wasmtime::name`, `jco::name`); where the hosts
//! differ, the difference is asserted from `common::hosts`, never skipped.

mod common;

use common::hosts::{Edge, Host, HostAnswer};
use common::{
    Build, HIDDEN, SECRET, Server, big_bytes, client, contains, fixture, memory_fields, pages,
};
use std::time::{Duration, Instant};

on_every_host!(
    serves_files_pages_and_redirects,
    head_sends_headers_and_no_body,
    a_large_file_arrives_byte_for_byte,
    the_info_page_shows_the_request,
    hostile_paths_sent_raw_never_leak_or_fail,
    #[ignore = "makes a device node, which needs root; scripts/test runs it when mknod works"]
    a_device_node_is_never_served,
    a_root_below_the_preopen_confines_symlinks_to_it,
    the_root_is_found_below_a_preopen_by_its_guest_path,
    a_bad_configuration_answers_500_naming_the_variable,
    the_access_log_writes_one_line_per_request,
    combined_and_json_access_logs_are_read_by_their_readers,
    every_html_handling_mode_answers_its_table,
    listings_leave_out_what_leaves_the_root,
    conditional_requests,
    ranges_are_byte_exact,
    precompressed_negotiation,
    content_coding_on_the_fly,
    the_sites_rules_apply_and_a_changed_rule_file_is_seen,
    the_sites_404_page_and_the_spa_fallback,
    basic_auth_protects_what_it_names_and_preflights_pass,
    one_instance_serving_many_requests_answers_as_fresh_ones_do,
    hostile_requests_over_raw_tcp_get_clean_answers,
    a_file_truncated_while_streaming_aborts_the_response,
    a_file_deleted_while_streaming_is_still_sent_whole,
    a_client_that_stops_reading_is_abandoned_after_the_stall_limit,
    a_client_that_leaves_mid_body_is_noticed_as_the_host_allows,
);

/// Whether the server's output reports a failure: a 5xx or an aborted
/// response. (404 lines for special files or symlinks out of the root are
/// reports for the site's owner, not failures.)
fn has_errors(output: &str) -> bool {
    output.lines().any(|l| {
        l.contains("docroot: 5")
            || l.contains("response aborted")
            || l.contains("docroot: configuration")
    })
}

fn serves_files_pages_and_redirects(host: Host) {
    let fx = fixture();
    let server = host.start(&fx.root(), &[]);

    let r = server.get("/");
    assert_eq!(r.status, 200, "{}", server.output());
    assert_eq!(r.text(), "<!doctype html><h1>home</h1>\n");
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));

    for (target, body) in [
        ("/hello.txt", "hello\n"),
        ("/hello%20world.txt", "spaces\n"),
        ("/%E6%97%A5%E6%9C%AC%E8%AA%9E.txt", "cjk\n"),
        ("/100%25.txt", "percent\n"),
        ("/a%26b%20%3Cc%3E.txt", "markup\n"),
        ("/empty.txt", ""),
        ("/docs/guide/", "<h1>guide</h1>\n"),
        ("/link-in.txt", "hello\n"),
        (
            "/.well-known/security.txt",
            "Contact: mailto:security@example.test\n",
        ),
    ] {
        let r = server.get(target);
        assert_eq!((r.status, r.text().as_str()), (200, body), "{target}");
        assert_eq!(r.header("content-length"), Some(&*body.len().to_string()));
    }

    let r = server.get("/docs?x=1");
    assert_eq!(r.status, 301);
    assert_eq!(r.header("location"), Some("/docs/?x=1"));

    let r = server.get("/missing");
    assert_eq!(r.status, 404);
    assert!(r.text().contains("404 Not Found"));
    let r = server.request("GET", "/missing", &[("Accept", "application/json")]);
    assert_eq!(r.header("content-type"), Some("application/json"));

    let r = server.request("OPTIONS", "/hello.txt", &[]);
    assert_eq!(r.status, 204);
    assert_eq!(r.header("allow"), Some("GET, HEAD, OPTIONS"));
    let r = server.request("DELETE", "/hello.txt", &[]);
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("GET, HEAD, OPTIONS"));
    let r = server.request("POST", "/hello.txt", &[("Content-Length", "0")]);
    assert_eq!(r.status, 405);
}

fn head_sends_headers_and_no_body(host: Host) {
    let fx = fixture();
    let server = host.start(&fx.root(), &[]);
    for target in ["/hello.txt", "/big.bin", "/missing", "/"] {
        let raw = server.raw(
            format!("HEAD {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
        );
        let end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        assert_eq!(raw.len(), end, "{target}: no bytes after the headers");
        let head = common::Reply::parse(&raw, true).unwrap();
        let get = server.get(target);
        assert_eq!(head.status, get.status, "{target}");
        assert_eq!(
            head.header("content-length"),
            get.header("content-length"),
            "{target}"
        );
    }
    assert!(!has_errors(&server.output()), "{}", server.output());
}

fn a_large_file_arrives_byte_for_byte(host: Host) {
    let fx = fixture();
    let server = host.start(&fx.root(), &[]);
    let r = server.get("/big.bin");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/octet-stream"));
    assert_eq!(
        r.header("content-length"),
        Some(&*common::BIG_LEN.to_string())
    );
    assert!(r.body == big_bytes(), "the 5 MiB body differs");
}

fn the_info_page_shows_the_request(host: Host) {
    let fx = fixture();
    let server = host.start(&fx.root(), &[]);
    let r = server.request(
        "GET",
        "/__info?a=%3Cb%3E&format=json",
        &[
            ("X-Test", "<script>"),
            ("Cookie", "session=secret-cookie"),
            ("Authorization", "Bearer secret-token"),
        ],
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.header("vary"), Some("Accept, Accept-Encoding"));
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["method"], "GET");
    assert_eq!(v["target"], "/__info?a=%3Cb%3E&format=json");
    assert_eq!(v["path"], "/__info");
    assert_eq!(v["query"], "a=%3Cb%3E&format=json");
    assert_eq!(
        v["args"],
        serde_json::json!([{"name": "a", "value": "<b>"}, {"name": "format", "value": "json"}])
    );
    if host.gives_origin() {
        assert_eq!(v["scheme"], "http");
        // The hosts move Host into the authority (it leaves the header list).
        assert_eq!(v["authority"], server.addr.to_string());
    } else {
        assert!(v["scheme"].is_null() && v["authority"].is_null());
        assert!(v["unknown"]["scheme"].is_string());
        // The client sent Host; the host dropped it. The reason says what
        // reached docroot, not what the client did (issue 20).
        assert_eq!(
            v["unknown"]["authority"],
            "The host passed no authority for this request, and no Host header reached docroot."
        );
    }
    if host.gives_client_address() {
        assert!(v["client"]["host"].is_string() && v["client"]["port"].is_u64());
    } else {
        // The page says the host cannot tell, rather than guess.
        assert!(v["client"]["host"].is_null(), "{host:?}");
        assert!(v["client"]["port"].is_null(), "{host:?}");
        assert!(
            v["unknown"]["client"]
                .as_str()
                .unwrap()
                .contains("no peer address")
        );
    }
    let date = httpdate::parse_http_date(v["date"].as_str().unwrap()).unwrap();
    let iso = humantime::parse_rfc3339(v["date_iso"].as_str().unwrap()).unwrap();
    assert_eq!(
        date, iso,
        "the HTTP date and the ISO 8601 one name the same second"
    );
    let headers = v["headers"].as_array().unwrap();
    let names: Vec<&str> = headers
        .iter()
        .map(|h| h["name"].as_str().unwrap())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    assert!(names.contains(&"x-test"));
    assert!(!names.contains(&"host"), "{names:?}");
    assert!(!r.text().contains("secret-cookie") && !r.text().contains("secret-token"));

    // HTTP/1.0 has no Host to move: the host refuses it or names itself.
    let raw = server.raw(b"GET /__info?format=json HTTP/1.0\r\n\r\n");
    match host.answers(Edge::NoHostHttp10) {
        HostAnswer::Passes => {
            let r = common::Reply::parse(&raw, false).unwrap();
            let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
            // Node names its listening address; wasmtime's 0.3 side gives none.
            let authority = match host {
                Host::Jco => server.addr.ip().to_string().into(),
                _ => serde_json::Value::Null,
            };
            assert_eq!(v["authority"], authority, "{host:?}");
        }
        HostAnswer::Status(status) => assert_eq!(status_of(&raw), Some(status)),
        HostAnswer::Closes => assert_eq!(status_of(&raw), None),
    }

    let r = server.request("GET", "/__info", &[("X-Test", "<script>alert(1)</script>")]);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(r.text().contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!r.text().contains("<script>"));
}

fn hostile_paths_sent_raw_never_leak_or_fail(host: Host) {
    let fx = fixture();
    let server = host.start(&fx.root(), &[]);
    for &(target, _) in common::HOSTILE_TARGETS {
        for method in ["GET", "HEAD", "OPTIONS"] {
            let raw = server.raw(
                format!("{method} {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    .as_bytes(),
            );
            assert!(
                !contains(&raw, SECRET),
                "{method} {target} leaked the secret"
            );
            assert!(
                !contains(&raw, HIDDEN),
                "{method} {target} leaked a dotfile"
            );
            let reply = common::Reply::parse(&raw, method == "HEAD")
                .unwrap_or_else(|| panic!("{method} {target}: {raw:?}"));
            assert!(
                (200..500).contains(&reply.status),
                "{method} {target}: {}",
                reply.status
            );
            if method == "GET" && target != "*" {
                assert!(reply.status >= 400, "{method} {target}: {}", reply.status);
            }
        }
    }
    // The site's owner hears of what is in the tree but never served.
    server.wait_for(&[
        "docroot: 404 /fifo: not a regular file",
        "docroot: 404 /socket: not a regular file",
        "docroot: 404 /link-out.txt: a symlink that leads outside",
    ]);
    // And the server still serves.
    assert_eq!(server.get("/hello.txt").status, 200);
    assert!(!has_errors(&server.output()), "{}", server.output());
}

/// A character device in the tree is never opened (so never a hang, never
/// its bytes), under every host; the owner hears of it.
fn a_device_node_is_never_served(host: Host) {
    let fx = common::fixture_with_device();
    let server = host.start(
        &fx.root(),
        &[("DOCROOT_LISTING", "on"), ("DOCROOT_INDEX", "none")],
    );
    for method in ["GET", "HEAD"] {
        let r = server.request(method, "/device", &[]);
        assert_eq!(r.status, 404, "{method}");
    }
    assert!(!server.get("/").text().contains("href=\"device\""));
    server.wait_for(&["docroot: 404 /device: not a regular file"]);
    assert!(!has_errors(&server.output()), "{}", server.output());
}

fn a_root_below_the_preopen_confines_symlinks_to_it(host: Host) {
    // The preopen is the fixture's top (holding secret.txt); the site root is
    // /site inside it, so ../secret.txt is inside the sandbox but outside the root.
    let fx = fixture();
    let server = host.start(fx.dir.path(), &[("DOCROOT_ROOT", "/site")]);
    assert_eq!(server.get("/hello.txt").text(), "hello\n");
    for target in [
        "/link-out.txt",
        "/parent-link/secret.txt",
        "/dir-link-out/inner.txt",
    ] {
        let r = server.get(target);
        assert_eq!(r.status, 404, "{target}");
        assert!(!contains(&r.body, SECRET), "{target}");
    }
}

fn the_root_is_found_below_a_preopen_by_its_guest_path(host: Host) {
    let fx = fixture();
    let server = host.start_at(fx.dir.path(), "/srv", &[("DOCROOT_ROOT", "/srv/site")]);
    assert_eq!(
        server.get("/hello.txt").text(),
        "hello\n",
        "{}",
        server.output()
    );
    assert_eq!(server.get("/link-out.txt").status, 404);

    let server = host.start_at(&fx.root(), "/srv", &[]);
    let r = server.get("/hello.txt");
    assert_eq!(r.status, 500, "/ is not inside the preopen /srv");
    assert!(
        r.text().contains("DOCROOT_ROOT") && r.text().contains("/srv"),
        "{}",
        r.text()
    );
}

fn a_bad_configuration_answers_500_naming_the_variable(host: Host) {
    let fx = fixture();
    let server = host.start(&fx.root(), &[("DOCROOT_LISTING", "maybe")]);
    for target in ["/", "/hello.txt", "/__info"] {
        let r = server.get(target);
        assert_eq!(r.status, 500, "{target}");
        assert!(r.text().contains("DOCROOT_LISTING"), "{}", r.text());
    }
    // The reason is on stderr.
    server.wait_for(&["DOCROOT_LISTING"]);

    let server = host.start(&fx.root(), &[("DOCROOT_ROOT", "/not-there")]);
    let r = server.get("/hello.txt");
    assert_eq!(r.status, 500);
    assert!(r.text().contains("DOCROOT_ROOT"), "{}", r.text());
    assert!(
        !r.text().contains("no-entry") && !r.text().contains("error "),
        "{}",
        r.text()
    );
}

fn the_access_log_writes_one_line_per_request(host: Host) {
    let fx = fixture();
    let server = host.start(&fx.root(), &[("DOCROOT_ACCESS_LOG", "on")]);
    server.get("/hello.txt");
    server.get("/missing?x=1");
    // Lines are written after the body.
    let records = ["GET /hello.txt 200 6 ", "GET /missing?x=1 404 "];
    let out = server.wait_for(&records);
    for record in records {
        assert_eq!(out.matches(record).count(), 1, "{host:?}: {out}");
    }
    if host.stderr_prefix().is_empty() {
        for line in out.lines().filter(|l| l.contains("GET /")) {
            assert!(line.starts_with("GET /"), "{host:?}: {line}");
        }
    } else {
        // Each write of the guest gets the host's prefix (instances that
        // run at once may share a line, so count rather than split): at
        // least one for each record.
        assert!(
            out.matches(host.stderr_prefix()).count() >= records.len(),
            "{host:?}: {out}"
        );
    }
}

/// Requests whose request line, referer or user agent try to break or
/// forge a log line: quotes, backslashes, escaped newlines, bytes that are
/// not UTF-8. (A host may refuse some itself; what reaches docroot is
/// logged.)
const HOSTILE_LOG_REQUESTS: &[&[u8]] = &[
    b"GET /hello.txt HTTP/1.1\r\nHost: x\r\nUser-Agent: Mozilla/5.0 (X11; \"quoted\")\r\nReferer: http://example.test/a?b=\"c\"\r\nConnection: close\r\n\r\n",
    b"GET /a%22b%0A%0D%5C?q=%22x%22 HTTP/1.1\r\nHost: x\r\nUser-Agent: evil\" 200 0 \"-\" \"forged\r\nConnection: close\r\n\r\n",
    b"GET /missing?x=1 HTTP/1.1\r\nHost: x\r\nUser-Agent: bytes \xff\xfe \\ end\r\nConnection: close\r\n\r\n",
    b"GET /q?\"x\" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    b"HEAD / HTTP/1.1\r\nHost: x\r\nUser-Agent:\r\nConnection: close\r\n\r\n",
    b"GET /%2e%2e/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
];

/// Starts docroot for a log: wasmtime serve without its prefix on the
/// guest's lines (`--no-logging-prefix`, as docs/operations.md says to run
/// it for a log reader); jco serve writes them as they are.
fn start_logging(host: Host, root: &std::path::Path, format: &str) -> Server {
    let env = [("DOCROOT_ACCESS_LOG", format)];
    match host {
        Host::Wasmtime => Server::start_with(Build::P3, root, "/", &env, &["--no-logging-prefix"]),
        Host::WasmtimeP2 => {
            Server::start_with(Build::P2, root, "/", &env, &["--no-logging-prefix"])
        }
        Host::Jco => host.start(root, &env),
    }
}

/// Sends the hostile requests; how many docroot answered (its answers
/// always say `nosniff`).
fn send_hostile_log_requests(server: &Server) -> usize {
    HOSTILE_LOG_REQUESTS
        .iter()
        .filter(|request| {
            let raw = server.raw(request);
            contains(
                &raw.to_ascii_lowercase(),
                b"x-content-type-options: nosniff",
            )
        })
        .count()
}

/// The lines of `output` that `is_record` says are log records, once
/// `count` of them are there (lines are written after the body), within
/// a deadline.
fn log_records(server: &Server, count: usize, is_record: impl Fn(&str) -> bool) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let out = server.output();
        let records: Vec<String> = out
            .lines()
            .filter(|l| is_record(l))
            .map(str::to_owned)
            .collect();
        if records.len() >= count || Instant::now() > deadline {
            assert_eq!(records.len(), count, "{out}");
            return records;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn combined_and_json_access_logs_are_read_by_their_readers(host: Host) {
    let fx = fixture();
    let server = start_logging(host, &fx.root(), "combined");
    let answered = send_hostile_log_requests(&server);
    assert!(answered >= 4, "{host:?}: {}", server.output());
    // Every record starts with the client (`-`: these hosts tell none).
    let records = log_records(&server, answered, |l| l.starts_with("- - - ["));
    for record in &records {
        assert!(
            record.bytes().all(|b| (b' '..=b'~').contains(&b)),
            "{record}"
        );
        assert_eq!(record.matches('"').count(), 6, "{record}");
    }
    // GoAccess reads every record, and fails none.
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    std::fs::write(&log, records.join("\n") + "\n").unwrap();
    let report = std::process::Command::new("goaccess")
        .arg(&log)
        .args([
            "--log-format=COMBINED",
            "--no-ip-validation",
            "--no-progress",
        ])
        .args(["-o", "json"])
        .output()
        .expect("goaccess is not installed; run: ./scripts/setup --goaccess");
    assert!(report.status.success(), "{report:?}");
    let report: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
    let general = &report["general"];
    assert_eq!(
        general["failed_requests"], 0,
        "{host:?}: {general}\n{records:#?}"
    );
    assert_eq!(general["total_requests"], records.len(), "{general}");

    let server = start_logging(host, &fx.root(), "json");
    let answered = send_hostile_log_requests(&server);
    let records = log_records(&server, answered, |l| l.starts_with("{\"time\":"));
    for record in &records {
        let v: serde_json::Value = serde_json::from_str(record).expect(record);
        for field in [
            "time",
            "client",
            "method",
            "target",
            "status",
            "bytes",
            "duration",
            "referer",
            "user_agent",
        ] {
            assert!(v.get(field).is_some(), "{field} missing: {record}");
        }
        assert!(
            v["status"].is_u64() && v["bytes"].is_u64() && v["duration"].is_f64(),
            "{record}"
        );
        assert!(v["client"].is_null(), "{record}");
    }
    // What the client sent comes back as it was sent, in its one field.
    let forged = records
        .iter()
        .find(|r| r.contains("forged"))
        .expect("logged");
    let v: serde_json::Value = serde_json::from_str(forged).unwrap();
    assert_eq!(v["user_agent"], "evil\" 200 0 \"-\" \"forged", "{forged}");
    assert!(!has_errors(&server.output()), "{}", server.output());
}

/// The black-box check of `DOCROOT_HTML_HANDLING`: unset and each mode,
/// each row of its table followed over HTTP to where it ends; and the
/// nearest `404.html`.
fn every_html_handling_mode_answers_its_table(host: Host) {
    let dir = tempfile::tempdir().unwrap();
    let mut site = pages::site();
    site.push(("docs/404.html".to_owned(), b"DOCS 404"));
    for (path, bytes) in &site {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    for mode in pages::MODES {
        let env: &[(&str, &str)] = if mode.is_empty() {
            &[]
        } else {
            &[("DOCROOT_HTML_HANDLING", mode)]
        };
        let server = host.start(dir.path(), env);
        let get = |target: &str| {
            let r = server.get(target);
            let location = r.header("location").map(str::to_owned);
            let length = r.header("content-length").map(str::to_owned);
            (r.status, location, length, r.body)
        };
        for (template, end) in pages::rows(mode) {
            pages::check(get, template, end, &format!("{host:?} {mode:?}"));
        }
        let r = server.get("/docs/deep/missing");
        assert_eq!(
            (r.status, r.text().as_str()),
            (404, "DOCS 404"),
            "{host:?} {mode:?}"
        );
        assert!(!has_errors(&server.output()), "{}", server.output());
    }
}

fn listings_leave_out_what_leaves_the_root(host: Host) {
    let fx = fixture();
    let server = host.start(
        &fx.root(),
        &[("DOCROOT_LISTING", "on"), ("DOCROOT_INDEX", "none.html")],
    );
    let r = server.get("/");
    assert_eq!(r.status, 200, "{}", server.output());
    let html = r.text();
    assert!(html.contains("a&amp;b &lt;c&gt;.txt"));
    assert!(html.contains("href=\"a%26b%20%3Cc%3E.txt\""));
    assert!(html.contains("href=\"docs/\""));
    assert!(html.contains("link-in.txt"));
    for absent in [
        "link-out",
        "abs-link-out",
        "dir-link-out",
        "parent-link",
        ".env",
        "broken-link",
    ] {
        assert!(!html.contains(absent), "{absent} is listed");
    }
    let r = server.get("/docs/");
    assert!(r.text().contains("<a href=\"../\" rel=\"up\">"));
    // Regression: a link to ../hello.txt stays inside the root, is served,
    // and so is listed (it was stat-ed relative to docs/ and left out).
    assert!(r.text().contains("href=\"up.txt\""), "{}", r.text());
    assert_eq!(server.get("/docs/up.txt").text(), "hello\n");
    let r = server.get("/odd-times/");
    assert!(r.text().contains("1960.txt"), "{}", r.text());
    let r = server.request("GET", "/nested/a/", &[("Accept", "application/json")]);
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["entries"][0]["href"], "b/");
    assert!(!has_errors(&server.output()), "{}", server.output());
}

fn conditional_requests(host: Host) {
    let fx = fixture();
    let server = host.start(
        &fx.root(),
        &[("DOCROOT_CACHE_CONTROL", "public, max-age=60")],
    );
    let r = server.get("/hello.txt");
    let etag = r.header("etag").expect("an ETag").to_owned();
    let last_modified = r.header("last-modified").expect("Last-Modified").to_owned();
    assert_eq!(r.header("accept-ranges"), Some("bytes"));
    assert_eq!(r.header("cache-control"), Some("public, max-age=60"));

    let r = server.request("GET", "/hello.txt", &[("If-None-Match", &etag)]);
    assert_eq!(r.status, 304);
    assert!(r.body.is_empty());
    assert_eq!(r.header("etag"), Some(&*etag));
    assert_eq!(r.header("cache-control"), Some("public, max-age=60"));

    let r = server.request(
        "GET",
        "/hello.txt",
        &[("If-Modified-Since", &last_modified)],
    );
    assert_eq!(r.status, 304);
    let r = server.request(
        "GET",
        "/hello.txt",
        &[("If-Modified-Since", "Sat, 01 Jan 2000 00:00:00 GMT")],
    );
    assert_eq!(r.status, 200);

    let r = server.request("GET", "/hello.txt", &[("If-Match", "\"stale\"")]);
    assert_eq!(r.status, 412);
    let r = server.request(
        "GET",
        "/hello.txt",
        &[("If-Unmodified-Since", "Sat, 01 Jan 2000 00:00:00 GMT")],
    );
    assert_eq!(r.status, 412);
    let r = server.request("HEAD", "/hello.txt", &[("If-None-Match", &etag)]);
    assert_eq!(r.status, 304);
    assert!(!has_errors(&server.output()), "{}", server.output());
}

fn ranges_are_byte_exact(host: Host) {
    let fx = fixture();
    let server = host.start(&fx.root(), &[]);
    let big = big_bytes();
    let total = big.len();
    for (range, start, end) in [
        ("bytes=1048576-3145727", 1_048_576, 3_145_727),
        ("bytes=5242000-", 5_242_000, total - 1),
        ("bytes=-4096", total - 4096, total - 1),
        ("bytes=0-0", 0, 0),
        // Ends in a short last chunk (256 KiB + 101 bytes).
        ("bytes=0-262244", 0, 262_244),
    ] {
        let r = server.request("GET", "/big.bin", &[("Range", range)]);
        assert_eq!(r.status, 206, "{range}: {}", server.output());
        assert_eq!(
            r.header("content-range"),
            Some(&*format!("bytes {start}-{end}/{total}"))
        );
        assert!(r.body == big[start..=end], "{range}: wrong bytes");
    }
    // Read slowly throughout, so the host's buffer is full when the short
    // last chunk of a range comes (under jco, writing it then without
    // waiting for room crashed the host). The range is larger than socket
    // buffers hold; the file is sparse, so its bytes are zeros.
    let _huge = huge_file(&fx);
    for end in [16 * 1024 * 1024 + 100, 16 * 1024 * 1024 + 262_143 + 4096] {
        let body = get_throttled(&server, "/huge.bin", &format!("bytes=0-{end}"));
        assert_eq!(body.len(), end + 1, "0-{end}: {}", server.output());
        assert!(body.iter().all(|&b| b == 0), "0-{end}: wrong bytes");
    }
    let r = server.request("GET", "/big.bin", &[("Range", &format!("bytes={total}-"))]);
    assert_eq!(r.status, 416);
    assert_eq!(
        r.header("content-range"),
        Some(&*format!("bytes */{total}"))
    );

    let etag = server.get("/hello.txt").header("etag").unwrap().to_owned();
    let r = server.request(
        "GET",
        "/hello.txt",
        &[("Range", "bytes=1-2"), ("If-Range", &etag)],
    );
    assert_eq!((r.status, r.text().as_str()), (206, "el"));
    let r = server.request(
        "GET",
        "/hello.txt",
        &[("Range", "bytes=1-2"), ("If-Range", "\"stale\"")],
    );
    assert_eq!((r.status, r.text().as_str()), (200, "hello\n"));
    let r = server.request("GET", "/hello.txt", &[("Range", "bytes=0-0,2-3")]);
    assert_eq!(r.status, 200);
    assert!(!has_errors(&server.output()), "{}", server.output());
}

fn precompressed_negotiation(host: Host) {
    let fx = fixture();
    let server = host.start(&fx.root(), &[]);
    for (accept, body, encoding) in [
        ("gzip, deflate, br", "br-bytes of app.js", Some("br")),
        ("br;q=0.4, gzip;q=0.9", "gzip-bytes of app.js", Some("gzip")),
        ("br;q=0, gzip;q=0", "console.log(1)\n", None),
    ] {
        let r = server.request("GET", "/app.js", &[("Accept-Encoding", accept)]);
        assert_eq!(r.text(), body, "{accept}");
        assert_eq!(r.header("content-encoding"), encoding, "{accept}");
        assert_eq!(r.header("vary"), Some("Accept-Encoding"));
    }
    let r = server.get("/app.js");
    assert_eq!(
        (r.text().as_str(), r.header("content-encoding")),
        ("console.log(1)\n", None)
    );
}

/// Files coded by docroot as they reach the client through each host:
/// decoded, each equals its file.
fn content_coding_on_the_fly(host: Host) {
    use common::coded::{self, decode, only_gzip_original};
    let fx = coded::fixture();
    let server = host.start(&fx.root(), &[("DOCROOT_LISTING", "on")]);
    let chrome = [("Accept-Encoding", "gzip, deflate, br, zstd")];
    let file = |name: &str| {
        coded::files()
            .into_iter()
            .find(|(n, _)| *n == name)
            .unwrap()
            .1
    };
    // docroot.wasm holds what it codes, and codes it thoroughly; the 0.2
    // component codes each answer fast.
    // (`v2`: docroot's brotli settings since issue 32, `Made::tag`.)
    let level = if host == Host::Wasmtime {
        ".5v2"
    } else {
        ".1v2"
    };

    let page = "/long%20page%20%C3%BC.html";
    let r = server.request("GET", page, &chrome);
    assert_eq!(r.status, 200, "{}", server.output());
    assert_eq!(r.header("content-encoding"), Some("br"));
    assert_eq!(decode(Some("br"), &r.body), file("long page \u{fc}.html"));
    assert_eq!(r.header("content-length"), Some(&*r.body.len().to_string()));
    let etag = r.header("etag").unwrap().to_owned();
    assert!(etag.ends_with(&format!("-br{level}\"")), "{etag}");
    let again = server.request("GET", page, &chrome);
    assert_eq!((&again.body, again.header("etag")), (&r.body, Some(&*etag)));
    let r = server.request("GET", page, &[chrome[0], ("If-None-Match", &etag)]);
    assert_eq!((r.status, r.body.len()), (304, 0));
    let r = server.request(
        "GET",
        page,
        &[("Accept-Encoding", "gzip"), ("If-None-Match", &etag)],
    );
    assert_eq!(r.status, 200, "br's tag does not validate gzip");
    assert_eq!(decode(Some("gzip"), &r.body), file("long page \u{fc}.html"));

    // Beyond the bound: gzip while it streams, chunked.
    let r = server.request("GET", "/big%20text.txt", &chrome);
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert_eq!(r.header("content-length"), None);
    assert_eq!(r.header("transfer-encoding"), Some("chunked"));
    assert_eq!(decode(Some("gzip"), &r.body), file("big text.txt"));

    // HEAD: GET's headers, no body.
    for target in [page, "/big%20text.txt", "/many/"] {
        let get = server.request("GET", target, &chrome);
        let raw = server.raw(
            format!(
                "HEAD {target} HTTP/1.1\r\nHost: x\r\nAccept-Encoding: br, gzip\r\nConnection: close\r\n\r\n"
            )
            .as_bytes(),
        );
        let head = common::Reply::parse(&raw, true).unwrap();
        for name in ["content-encoding", "content-length", "etag", "vary"] {
            assert_eq!(head.header(name), get.header(name), "{target} {name}");
        }
    }

    // A file that exists only as .gz, both ways.
    let r = server.request("GET", "/only%20%E6%97%A5.html", &chrome);
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert_eq!(r.body, file("only \u{65e5}.html.gz"));
    let r = server.get("/only%20%E6%97%A5.html");
    assert_eq!(r.header("content-encoding"), None);
    assert_eq!(r.body, only_gzip_original("only \u{65e5}.html"));

    // A listing, and what is never coded.
    let r = server.request("GET", "/many/", &chrome);
    assert_eq!(r.header("content-encoding"), Some("br"));
    assert!(
        String::from_utf8(decode(Some("br"), &r.body))
            .unwrap()
            .contains("file 299.txt")
    );
    let r = server.request("GET", "/photo.jpg", &chrome);
    assert_eq!(
        (r.header("content-encoding"), r.body.clone()),
        (None, file("photo.jpg"))
    );
    assert!(!has_errors(&server.output()), "{}", server.output());
}

/// The site's `_redirects` and `_headers` through each host, and a rule
/// file changed while the server runs: applied within the file cache's
/// interval (`docroot.wasm`), at once elsewhere.
fn the_sites_rules_apply_and_a_changed_rule_file_is_seen(host: Host) {
    let fx = fixture();
    let root = fx.root();
    std::fs::write(
        root.join("_redirects"),
        "/old /hello.txt 301\n/bad\n/app/* /index.html 200\n/go/* /:splat 302\n",
    )
    .unwrap();
    std::fs::write(root.join("_headers"), "/*\n  X-Frame-Options: DENY\n").unwrap();
    let server = host.start(&root, &[]);
    let r = server.get("/old?x=1");
    assert_eq!(
        (r.status, r.header("location")),
        (301, Some("/hello.txt?x=1")),
        "{}",
        server.output()
    );
    let r = server.get("/app/users/7");
    assert_eq!(
        (r.status, r.text().as_str()),
        (200, "<!doctype html><h1>home</h1>\n")
    );
    assert_eq!(r.header("x-frame-options"), Some("DENY"));
    let r = server.get("/go//evil.example");
    assert_eq!(r.header("location"), Some("/evil.example"));
    for target in ["/_redirects", "/_headers"] {
        assert_eq!(server.get(target).status, 404, "{target}");
    }
    let said =
        server.wait_for(&["site rules: _redirects:2: a rule needs a source and a destination"]);
    assert!(!has_errors(&said), "{said}");

    // Changed while serving (a new size, so any filesystem sees it).
    std::fs::write(root.join("_redirects"), "/old /empty.txt 302\n").unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let r = server.get("/old");
        if r.header("location") == Some("/empty.txt") {
            assert_eq!(r.status, 302);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the changed rule never applied:\n{}",
            server.output()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // Removed: the rules go with it.
    std::fs::remove_file(root.join("_redirects")).unwrap();
    std::fs::remove_file(root.join("_headers")).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.get("/old").status != 404
        || server.get("/hello.txt").header("x-frame-options").is_some()
    {
        assert!(
            Instant::now() < deadline,
            "the removed rules still applied:\n{}",
            server.output()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `Basic-Auth` in the site's `_headers` through each host: a 401 with the
/// challenge and nothing of the file, however the file is reached; the
/// page with credentials, private; the instance's caches warmed first and
/// then asked without; a CORS preflight let through with the site's
/// headers; and the credentials in no answer and no line the host prints.
fn basic_auth_protects_what_it_names_and_preflights_pass(host: Host) {
    let fx = fixture();
    let root = fx.root();
    std::fs::create_dir_all(root.join("admin")).unwrap();
    std::fs::write(root.join("admin/index.html"), "<h1>CLASSIFIED</h1>\n").unwrap();
    std::fs::write(
        root.join("_headers"),
        "/admin/*\n  Basic-Auth: alice:s3cret\n  Access-Control-Allow-Origin: *\n  \
         Access-Control-Allow-Methods: GET, POST\n",
    )
    .unwrap();
    std::fs::write(root.join("_redirects"), "/peek/* /admin/:splat 200\n").unwrap();
    let server = host.start(
        &root,
        &[
            ("DOCROOT_ACCESS_LOG", "on"),
            ("DOCROOT_CACHE_CONTROL", "public, max-age=60"),
        ],
    );
    let alice = ("authorization", "Basic YWxpY2U6czNjcmV0");
    let leaks = |r: &common::Reply, what: &str| {
        let head = format!("{:?}", r.headers).to_ascii_lowercase();
        assert!(
            !head.contains("basic-auth") && !head.contains("s3cret"),
            "{what}: {head}"
        );
        assert!(!contains(&r.body, b"s3cret"), "{what}");
    };
    // Warm every cache the host keeps with allowed requests first.
    for _ in 0..3 {
        let r = server.request("GET", "/admin/index.html", &[alice]);
        assert_eq!(r.status, 200, "{}", server.output());
        assert_eq!(r.text(), "<h1>CLASSIFIED</h1>\n");
        assert_eq!(r.header("cache-control"), Some("private, max-age=60"));
        leaks(&r, "allowed");
    }
    let bad = [
        vec![],
        vec![("authorization", "Basic YWxpY2U6d3Jvbmc=")],
        vec![("authorization", "Basic !!!")],
        vec![("authorization", "Bearer x")],
    ];
    for target in ["/admin/index.html", "/admin/", "/admin", "/peek/index.html"] {
        for method in ["GET", "HEAD"] {
            for headers in &bad {
                let r = server.request(method, target, headers);
                let what = format!("{host:?} {method} {target} {headers:?}");
                assert_eq!(r.status, 401, "{what}");
                assert_eq!(
                    r.header("www-authenticate"),
                    Some("Basic realm=\"Protected\", charset=\"UTF-8\""),
                    "{what}"
                );
                assert_eq!(r.header("etag"), None, "{what}");
                assert!(!contains(&r.body, b"CLASSIFIED"), "{what}");
                leaks(&r, &what);
            }
        }
    }
    let preflight = [
        ("origin", "https://app.example"),
        ("access-control-request-method", "POST"),
    ];
    let r = server.request("OPTIONS", "/admin/index.html", &preflight);
    assert_eq!(r.status, 204);
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert_eq!(r.header("access-control-allow-methods"), Some("GET, POST"));
    assert_eq!(r.header("www-authenticate"), None);
    server.wait_for(&["OPTIONS /admin/index.html 204 "]);
    let out = server.output();
    for secret in ["s3cret", "YWxpY2U6czNjcmV0", "alice"] {
        assert!(!out.contains(secret), "{host:?} printed {secret}: {out}");
    }
    assert!(!has_errors(&out), "{out}");
}

fn the_sites_404_page_and_the_spa_fallback(host: Host) {
    let fx = fixture();
    let server = host.start(
        &fx.root(),
        &[
            ("DOCROOT_NOT_FOUND", "/not-found.html"),
            ("DOCROOT_FALLBACK", "/app.html"),
        ],
    );
    let r = server.request("GET", "/users/42", &[("Accept", "text/html")]);
    assert_eq!(
        (r.status, r.text().as_str()),
        (200, "<h1>single-page app shell</h1>\n")
    );
    let r = server.request("GET", "/missing.js", &[("Accept", "*/*")]);
    assert_eq!(
        (r.status, r.text().as_str()),
        (404, "<h1>custom not found</h1>\n")
    );

    let server = host.start(&fx.root(), &[("DOCROOT_NOT_FOUND", "/no-such.html")]);
    let r = server.get("/missing");
    assert_eq!(r.status, 500);
    assert!(r.text().contains("DOCROOT_NOT_FOUND"));
}

fn one_instance_serving_many_requests_answers_as_fresh_ones_do(host: Host) {
    // A host may hand one instance many requests: wasmtime serve does for
    // the 0.3 component on its defaults, and for the 0.2 one with
    // --max-instance-reuse-count; jco serve always. The reference is the
    // 0.2 component on wasmtime serve with a fresh instance per request, so
    // this also checks that every host and build gives the same answers.
    let fx = fixture();
    let env = [("DOCROOT_ACCESS_LOG", "on")];
    let reused = host.start_reusing(&fx.root(), &env);
    let fresh = Host::WasmtimeP2.start(&fx.root(), &[]);
    let targets = [
        "/hello.txt",
        "/missing",
        "/docs",
        "/__info?format=json",
        "/%2e%2e/x",
        "/big.bin",
        "/",
    ];
    for _ in 0..3 {
        for target in targets {
            let a = reused.get(target);
            let b = fresh.get(target);
            assert_eq!(a.status, b.status, "{target}");
            if !target.starts_with("/__info") {
                assert!(a.body == b.body, "{target}");
            }
        }
        let r = reused.request("GET", "/hello.txt", &[("Range", "bytes=1-2")]);
        assert_eq!((r.status, r.text().as_str()), (206, "el"));
    }
    // Nothing accumulates: the instance's linear memory (in the access log's
    // mem= field; it never shrinks) is the same after 350 more requests.
    let memory = |server: &Server| memory_fields(&server.output());
    let warm_up = 3 * (targets.len() + 1);
    let deadline = Instant::now() + Duration::from_secs(30);
    let settle = |count: usize| loop {
        let mem = memory(&reused);
        if mem.len() >= count {
            return mem;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {count} access log lines:\n{}",
            mem.len(),
            reused.output()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let settled = *settle(warm_up).iter().max().unwrap();
    for i in 0..50 {
        for target in targets {
            let sep = if target.contains('?') { '&' } else { '?' };
            reused.get(&format!("{target}{sep}{i}"));
        }
    }
    let mem = settle(warm_up + 50 * targets.len());
    let most = *mem.iter().max().unwrap();
    assert!(
        most <= settled,
        "linear memory grew from {settled} KiB to {most} KiB over 350 more requests"
    );
    assert!(!has_errors(&reused.output()), "{}", reused.output());
}

#[test]
fn memory_fields_are_found_however_the_host_broke_lines() {
    let out = "stderr [2] :: stderr [3] :: GET /docs?19 301 0 0.1ms mem=1152KiB\n\
               GET /missing?19 404 5 0.2ms mem=1216KiB\nstderr [4] :: x mem=12 mem=7KiB";
    assert_eq!(memory_fields(out), [1152, 1216, 7]);
}

/// What each host printed when a guest panicked, captured from a build of
/// docroot that panicked on purpose (wasmtime serve 48.0.8 with both
/// components, jco serve 1.35) and from Spin 4.1.0-pre0 serving the build
/// before issue 27's fix: every one is seen, and docroot's own lines and
/// Spin's line at shutdown are not.
#[test]
fn the_guard_knows_how_each_host_says_a_guest_panicked_or_trapped() {
    let wasmtime = "stderr [0] :: \n\
                    stderr [0] :: thread '<unnamed>' (1) panicked at glue/p3/src/lib.rs:76:48:\n\
                    stderr [0] :: deliberate\n\
                    worker failed: error while executing at wasm backtrace:\n\
                    Caused by:\n\
                    \x20   wasm trap: wasm `unreachable` instruction executed\n\
                    error: worker trapped or panicked\n";
    assert_eq!(
        common::guest_failures(wasmtime),
        [
            "stderr [0] :: thread '<unnamed>' (1) panicked at glue/p3/src/lib.rs:76:48:",
            "    wasm trap: wasm `unreachable` instruction executed"
        ]
    );
    // Lines of instances that ran together.
    let interleaved = "stderr [3] :: stderr [4] :: thread '<unnamed>' (1) panicked at x.rs:1:1:\n";
    assert_eq!(common::guest_failures(interleaved).len(), 1);
    let jco = "thread '<unnamed>' (1) panicked at glue/p2/src/lib.rs:86:48:\n\
               deliberate\n\
               RuntimeError: wasm trap: wasm `unreachable` instruction executed\n";
    assert_eq!(common::guest_failures(jco).len(), 2);
    let spin = "thread '<unnamed>' (1) panicked at /root/.cargo/registry/src/\
                index.crates.io-1949cf8c6b5b557f/wit-bindgen-0.63.0/src/rt/async_support/\
                inter_task_wakeup_disabled.rs:8:9:\n\
                \x20     wasm trap: wasm `unreachable` instruction executed\n\
                2026-12-07T11:16:20.164183Z ERROR spin_trigger_http::server: Error \
                processing request: worker trapped or panicked\n";
    assert_eq!(common::guest_failures(spin).len(), 2);
    // What the hosts also print when the guest did nothing wrong: wasmtime
    // serve for a request it refuses itself (HTTP/1.1 without `Host`), and
    // Spin for each live instance as it is stopped.
    let host_only = "worker failed: invalid HTTP request missing authority in URI and host header\n\
                     error: worker trapped or panicked\n\
                     worker failed: worker panicked\n";
    assert!(common::guest_failures(host_only).is_empty());
    // docroot's own lines, whatever a client puts in them.
    let docroot = "stderr [0] :: docroot: GET /cut.bin: response aborted: the connection closed\n\
                   stderr [1] :: GET /RuntimeError:/wasm%20trap: 404 1234 0.210ms mem=1152KiB\n\
                   GET /thread%20'x 404 1234 0.210ms mem=1152KiB\n\
                   stderr [1] :: docroot: site rules: _headers:3: a header line needs a name\n";
    assert!(common::guest_failures(docroot).is_empty());
}

/// The guard itself: a host that prints a guest's panic fails the test
/// that started it when the server is dropped, though nothing else did.
#[test]
fn a_server_whose_host_says_a_guest_panicked_fails_its_test() {
    let mut cmd = std::process::Command::new("sh");
    cmd.args([
        "-c",
        "echo 'Serving HTTP on http://127.0.0.1:9/'; \
         echo \"stderr [0] :: thread '<unnamed>' (1) panicked at src/x.rs:1:1:\" >&2; \
         exec sleep 60",
    ])
    .stdin(std::process::Stdio::null())
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped());
    let server = Server::spawn(cmd);
    let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(server)));
    let why = dropped.expect_err("dropping the server fails the test");
    let why = why.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        why.contains("a guest panicked or trapped") && why.contains("panicked at src/x.rs"),
        "{why}"
    );
}

/// The status line of a raw answer, or `None` when the host closed the
/// connection without one.
fn status_of(raw: &[u8]) -> Option<u16> {
    let line = raw.split(|&b| b == b'\r').next()?;
    std::str::from_utf8(line)
        .ok()?
        .split(' ')
        .nth(1)?
        .parse()
        .ok()
}

/// A request that hosts treat differently, and what docroot answers when
/// the host passes it on.
fn edge_request(edge: Edge) -> (Vec<u8>, u16) {
    let close_first = "Host: x\r\nConnection: close\r\n";
    let close = format!("{close_first}\r\n");
    let (request, docroot) = match edge {
        Edge::LongTarget => (
            format!("GET /{} HTTP/1.1\r\n{close}", "a".repeat(64 * 1024)),
            404,
        ),
        Edge::ManyHeaders => {
            let many: String = (0..1000).map(|i| format!("X-H{i}: {i}\r\n")).collect();
            // Host first: Node keeps only the first 1,000 lines.
            let target = "/__info?format=json";
            (format!("GET {target} HTTP/1.1\r\n{close_first}{many}\r\n"), 200)
        }
        Edge::HeadersOver100 => {
            let many: String = (0..99).map(|i| format!("X-H{i}: {i}\r\n")).collect();
            (format!("GET /hello.txt HTTP/1.1\r\n{close_first}{many}\r\n"), 200)
        }
        Edge::BareLf => (
            format!("GET /hello.txt HTTP/1.1\r\nX-A: a\nb: c\r\n{close}"),
            200,
        ),
        Edge::CrInValue => (
            format!("GET /hello.txt HTTP/1.1\r\nX-A: a\rb\r\n{close}"),
            200,
        ),
        Edge::NoHostHttp10 => ("GET /hello.txt HTTP/1.0\r\n\r\n".to_owned(), 200),
        Edge::NoHostHttp11 => (
            "GET /hello.txt HTTP/1.1\r\nConnection: close\r\n\r\n".to_owned(),
            200,
        ),
        Edge::LowerCaseMethod => (format!("get /hello.txt HTTP/1.1\r\n{close}"), 405),
        Edge::Connect => (
            "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nConnection: close\r\n\r\n"
                .to_owned(),
            405,
        ),
        Edge::AuthorityFormGet => (format!("GET evil.example:80 HTTP/1.1\r\n{close}"), 400),
        Edge::BackslashInTarget => (format!("GET /..\\secret.txt HTTP/1.1\r\n{close}"), 400),
    };
    (request.into_bytes(), docroot)
}

fn hostile_requests_over_raw_tcp_get_clean_answers(host: Host) {
    let fx = fixture();
    let server = host.start(&fx.root(), &[]);
    // Where the hosts differ: each answers as common::hosts says, and what
    // reaches docroot gets docroot's answer.
    for edge in [
        Edge::LongTarget,
        Edge::ManyHeaders,
        Edge::HeadersOver100,
        Edge::CrInValue,
        Edge::BareLf,
        Edge::NoHostHttp10,
        Edge::NoHostHttp11,
        Edge::LowerCaseMethod,
        Edge::Connect,
        Edge::AuthorityFormGet,
        Edge::BackslashInTarget,
    ] {
        let (request, docroot) = edge_request(edge);
        let raw = server.raw(&request);
        assert!(!contains(&raw, SECRET), "{edge:?} leaked the secret");
        let expected = match host.answers(edge) {
            HostAnswer::Passes => Some(docroot),
            HostAnswer::Status(status) => Some(status),
            HostAnswer::Closes => None,
        };
        assert_eq!(
            status_of(&raw),
            expected,
            "{host:?}, {edge:?}: {}",
            String::from_utf8_lossy(&raw[..raw.len().min(600)])
        );
        if edge == Edge::ManyHeaders && expected == Some(200) {
            // Which of the 1,000 X-H lines reached docroot.
            let body = common::Reply::parse(&raw, false).unwrap().body;
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
            let seen = v["headers"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|h| h["name"].as_str().unwrap().starts_with("x-h"))
                .count();
            assert_eq!(Some(seen), host.header_lines_passed(1002).map(|n| n - 2));
        }
        let from_docroot = contains(&raw, b"x-content-type-options");
        assert_eq!(
            from_docroot,
            host.answers(edge) == HostAnswer::Passes,
            "{host:?}, {edge:?}: who answered"
        );
    }
    // The same for every host: answered, never a 5xx, never a leak.
    let hundred = format!(
        "GET /hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{}\r\n",
        (0..98)
            .map(|i| format!("X-H{i}: {i}\r\n"))
            .collect::<String>()
    );
    let cases: Vec<(&str, &[u8], u16)> = vec![
        ("non-ASCII value", b"GET /__info HTTP/1.1\r\nHost: x\r\nX-A: \xff\xfe caf\xc3\xa9\r\nConnection: close\r\n\r\n", 200),
        ("TRACE", b"TRACE / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 405),
        ("absolute-form", b"GET http://evil.example/../secret.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 400),
        ("absolute-form, a file", b"GET http://example.test/hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 200),
        ("duplicate Range", b"GET /hello.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=0-1\r\nRange: bytes=2-3\r\nConnection: close\r\n\r\n", 200),
        // `"a", *` is no valid If-None-Match, so it is ignored.
        ("duplicate If-None-Match", b"GET /hello.txt HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"a\"\r\nIf-None-Match: *\r\nConnection: close\r\n\r\n", 200),
        ("huge Range", b"GET /hello.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=18446744073709551615-18446744073709551616\r\nConnection: close\r\n\r\n", 416),
        ("garbage", b"\x00\x01\x02 / HTTP/1.1\r\n\r\n", 400),
        ("100 header lines", hundred.as_bytes(), 200),
    ];
    for (name, request, status) in &cases {
        let raw = server.raw(request);
        assert!(!contains(&raw, SECRET), "{name} leaked the secret");
        assert_eq!(
            status_of(&raw),
            Some(*status),
            "{host:?}, {name}: {}",
            String::from_utf8_lossy(&raw[..raw.len().min(600)])
        );
    }
    let case = |name: &str| cases.iter().find(|c| c.0 == name).unwrap().1;
    // A value's bytes beyond ASCII reach docroot as they were sent, or
    // (Node) each as its Latin-1 character in UTF-8; docroot shows either.
    let info = server.raw(case("non-ASCII value"));
    let shown = if host.passes_header_bytes() {
        "café"
    } else {
        "cafÃ©"
    };
    assert!(
        contains(&info, shown.as_bytes()),
        "{host:?}: {}",
        String::from_utf8_lossy(&info)
    );
    let file = server.raw(case("absolute-form, a file"));
    assert!(
        file.ends_with(b"\r\n\r\nhello\n"),
        "absolute-form is served"
    );
    // And the server still serves, and said nothing went wrong.
    assert_eq!(server.get("/hello.txt").text(), "hello\n");
    assert!(!has_errors(&server.output()), "{}", server.output());
}

/// GETs `range` of `target`, reading 16 KiB at a time with a pause between
/// reads (about 16 MB/s), and stopping when 300 KiB are left until the
/// server has stopped sending, so the host's buffers are full when the
/// last chunk is written. Returns the body.
fn get_throttled(server: &Server, target: &str, range: &str) -> Vec<u8> {
    let (first, last) = range
        .strip_prefix("bytes=")
        .and_then(|r| r.split_once('-'))
        .unwrap();
    let len: usize = last.parse::<usize>().unwrap() - first.parse::<usize>().unwrap() + 1;
    let limit = Duration::from_secs(120);
    let deadline = Instant::now() + limit;
    let mut conn = server.conn();
    conn.send_request("GET", target, &[("Range", range)], true);
    let mut raw = Vec::new();
    while raw.len() + 300 * 1024 <= len {
        let more = conn.read_some(16 * 1024);
        assert!(
            !more.is_empty(),
            "{range}: closed after {} bytes",
            raw.len()
        );
        raw.extend_from_slice(&more);
        assert!(Instant::now() < deadline, "{range}: over {limit:?}");
        std::thread::sleep(Duration::from_millis(1));
    }
    conn.wait_until_stalled(Duration::from_secs(1), Duration::from_secs(30));
    raw.extend_from_slice(
        &conn.read_paced(limit, |_| std::thread::sleep(Duration::from_millis(1))),
    );
    let reply = common::Reply::parse(&raw, false)
        .unwrap_or_else(|| panic!("{range}: {} bytes, unparsable", raw.len()));
    assert_eq!(reply.status, 206, "{range}");
    reply.body
}

/// Sends a GET for `target`, reads the headers and a little of the body,
/// runs `meanwhile`, then reads the rest until the server closes. Returns
/// the Content-Length promised and the body bytes received.
fn get_slowly(server: &Server, target: &str, meanwhile: impl FnOnce()) -> (usize, Vec<u8>) {
    let mut conn = server.conn();
    conn.send_request("GET", target, &[], true);
    let head = conn.read_head();
    let promised: usize = client::head_value(&head, "content-length")
        .expect("a Content-Length")
        .parse()
        .unwrap();
    let mut body = conn.read_some(64 * 1024);
    // With the client not reading, the guest waits once the connection is
    // full (or has sent everything, for a file smaller than it holds).
    conn.wait_until_stalled(Duration::from_secs(1), Duration::from_secs(30));
    meanwhile();
    body.extend_from_slice(&conn.read_to_close());
    (promised, body)
}

fn a_file_truncated_while_streaming_aborts_the_response(host: Host) {
    let fx = fixture();
    let server = host.start(&fx.root(), &[]);
    // The guest is still reading when the file is cut.
    let file = huge_file(&fx);
    let (promised, body) = get_slowly(&server, "/huge.bin", || file.set_len(1024 * 1024).unwrap());
    assert_eq!(promised, HUGE_LEN as usize);
    assert!(
        body.len() < promised,
        "the client must not get a complete-looking body ({} of {promised})",
        body.len()
    );
    server.wait_for(&["docroot: GET /huge.bin: response aborted"]);
    assert_eq!(
        server.get("/hello.txt").status,
        200,
        "the server keeps serving"
    );
}

fn a_file_deleted_while_streaming_is_still_sent_whole(host: Host) {
    // The open descriptor keeps the file's bytes, as on any POSIX server.
    let fx = fixture();
    let server = host.start(&fx.root(), &[]);
    let path = fx.root().join("big.bin");
    let (promised, body) = get_slowly(&server, "/big.bin", || std::fs::remove_file(&path).unwrap());
    assert_eq!(body.len(), promised);
    assert!(body == big_bytes());
    assert_eq!(server.get("/big.bin").status, 404);
}

/// Extra request headers.
type Headers<'a> = Vec<(&'a str, &'a str)>;

/// The same valid requests get the same answers on every host: status,
/// body and every header docroot sets (not the host's own `Date` and
/// `Connection`).
#[test]
fn every_host_answers_alike() {
    let fx = fixture();
    let env = [
        ("DOCROOT_LISTING", "on"),
        ("DOCROOT_CACHE_CONTROL", "public, max-age=60"),
    ];
    let servers: Vec<(Host, Server)> = Host::ALL
        .iter()
        .map(|&host| (host, host.start(&fx.root(), &env)))
        .collect();
    let etag = servers[0]
        .1
        .get("/hello.txt")
        .header("etag")
        .unwrap()
        .to_owned();
    let last_modified = servers[0]
        .1
        .get("/hello.txt")
        .header("last-modified")
        .unwrap()
        .to_owned();
    let requests: Vec<(&str, &str, Headers)> = vec![
        ("GET", "/", vec![]),
        ("GET", "/hello.txt", vec![]),
        ("HEAD", "/hello.txt", vec![]),
        ("GET", "/hello%20world.txt", vec![]),
        ("GET", "/%E6%97%A5%E6%9C%AC%E8%AA%9E.txt", vec![]),
        ("GET", "/a%26b%20%3Cc%3E.txt", vec![]),
        ("GET", "/empty.txt", vec![]),
        ("GET", "/image.png", vec![]),
        ("GET", "/data.json", vec![]),
        ("GET", "/docs", vec![]),
        ("GET", "/docs?x=1", vec![]),
        ("GET", "/docs/", vec![]),
        ("GET", "/docs/", vec![("Accept", "application/json")]),
        ("GET", "/nested/a/b/", vec![]),
        ("GET", "/docs-link/readme.md", vec![]),
        ("GET", "/link-in.txt", vec![]),
        ("GET", "/missing", vec![]),
        ("GET", "/missing", vec![("Accept", "application/json")]),
        ("GET", "/%2e%2e/secret.txt", vec![]),
        ("GET", "/link-out.txt", vec![]),
        ("GET", "/fifo", vec![]),
        ("DELETE", "/hello.txt", vec![]),
        ("OPTIONS", "/hello.txt", vec![]),
        ("GET", "/hello.txt", vec![("If-None-Match", &etag)]),
        (
            "GET",
            "/hello.txt",
            vec![("If-Modified-Since", &last_modified)],
        ),
        ("GET", "/hello.txt", vec![("If-Match", "\"stale\"")]),
        ("GET", "/big.bin", vec![("Range", "bytes=1048576-1114111")]),
        ("GET", "/big.bin", vec![("Range", "bytes=-10")]),
        ("GET", "/big.bin", vec![("Range", "bytes=99999999-")]),
        (
            "GET",
            "/hello.txt",
            vec![("Range", "bytes=1-2"), ("If-Range", &etag)],
        ),
        ("GET", "/app.js", vec![("Accept-Encoding", "gzip, br")]),
        ("GET", "/app.js", vec![("Accept-Encoding", "gzip")]),
        ("GET", "/app.js.gz", vec![]),
        ("GET", "/odd-times/1960.txt", vec![]),
    ];
    let compared = [
        "content-type",
        "content-length",
        "content-range",
        "content-encoding",
        "etag",
        "last-modified",
        "location",
        "vary",
        "allow",
        "cache-control",
        "accept-ranges",
        "x-content-type-options",
    ];
    for (method, path, headers) in &requests {
        let answers: Vec<_> = servers
            .iter()
            .map(|(_, s)| s.request(method, path, headers))
            .collect();
        let (first, rest) = answers.split_first().unwrap();
        for ((host, _), other) in servers[1..].iter().zip(rest) {
            let what = format!("{method} {path} {headers:?} on {host:?}");
            assert_eq!(other.status, first.status, "{what}");
            assert!(other.body == first.body, "{what}: the body differs");
            for name in compared {
                assert_eq!(other.header(name), first.header(name), "{what}: {name}");
            }
        }
    }
}

/// The size of [`huge_file`].
const HUGE_LEN: u64 = 64 * 1024 * 1024;

/// Creates `huge.bin` in the site: 64 MiB, more than the socket buffers
/// between server and client hold (a few MiB on loopback), and sparse, so
/// nothing is written and its bytes are zeros. Returns the open file.
fn huge_file(fx: &common::Fixture) -> std::fs::File {
    let file = std::fs::File::create(fx.root().join("huge.bin")).unwrap();
    file.set_len(HUGE_LEN).unwrap();
    file
}

/// Asks for `/huge.bin` on a keep-alive connection and reads the start of
/// the answer; returns the connection with the rest unread.
fn start_huge_download(server: &Server) -> client::Conn {
    let mut conn = server.conn();
    conn.send_request("GET", "/huge.bin", &[], false);
    let first = conn.read_some(1024);
    assert!(first.starts_with(b"HTTP/1.1 200"), "{first:?}");
    conn
}

/// GETs `/hello.txt` on a new connection, waiting up to 120 s for it, and
/// returns how long the answer took.
fn time_hello(server: &Server) -> Duration {
    let started = Instant::now();
    let limit = Duration::from_secs(120);
    let answer = client::Conn::open_waiting(server.addr, limit)
        .reporting(server.output_handle())
        .send_request("GET", "/hello.txt", &[], true)
        .read_to_close_within(limit);
    assert!(answer.ends_with(b"\r\n\r\nhello\n"), "{answer:?}");
    started.elapsed()
}

/// The stall limit of the components the stall tests run
/// ([`Host::start_with_test_stall_limit`]): seconds, where the shipped
/// components' is 60 s (which `tests/imports.rs` finds in them), so that
/// these tests take seconds too. The logic is the same; its unit tests, in
/// `src/stall.rs`, run on fake time.
const STALL_LIMIT: Duration = Duration::from_nanos(docroot::stall::TEST_LIMIT_NS);

/// What docroot writes when it abandons a response to a client that took
/// nothing for [`STALL_LIMIT`].
fn took_nothing() -> String {
    format!("the client took no bytes for {} s", STALL_LIMIT.as_secs())
}

/// Asserts how long another request waited behind a stalled response:
/// less than half the stall limit when `prompt`, else about the limit
/// (from half of it, since the stalled client's last byte came before the
/// wait was timed, to 5 s past it).
fn assert_waited(host: Host, prompt: bool, waited: Duration) {
    eprintln!("{host:?}: the other request waited {waited:?}");
    let half = STALL_LIMIT / 2;
    if prompt {
        assert!(waited < half, "{host:?}: waited {waited:?}");
    } else {
        assert!(
            (half..STALL_LIMIT + Duration::from_secs(5)).contains(&waited),
            "{host:?}: the other request waited {waited:?}, with a stall limit of {STALL_LIMIT:?}"
        );
    }
}

/// A client that asks for a large file and then reads nothing (or leaves
/// without the host noticing) must not hold its response forever: docroot
/// abandons it after the stall limit without progress. Under jco serve,
/// which runs one request at a time, every other request waits until then.
fn a_client_that_stops_reading_is_abandoned_after_the_stall_limit(host: Host) {
    let fx = fixture();
    let _huge = huge_file(&fx);
    let server = host.start_with_test_stall_limit(&fx.root(), &[("DOCROOT_ACCESS_LOG", "on")]);
    let mut stalled = start_huge_download(&server);
    // Until the connection is full, the response's task is busy writing,
    // and wasmtime serve gives a new request to a new instance; once it
    // waits on the client, to the same instance (asserted below).
    stalled.wait_until_stalled(Duration::from_millis(500), Duration::from_secs(30));
    // Another client, meanwhile.
    let waited = time_hello(&server);
    assert_waited(host, host.serves_concurrently(), waited);
    let aborted = format!(
        "docroot: GET /huge.bin: response aborted: {}",
        took_nothing()
    );
    let out = server.wait_for_within(&[&aborted], STALL_LIMIT + Duration::from_secs(30));
    if host.shares_instances() {
        // The other client was served by the stalled response's own
        // instance, while that response waited.
        let hello = common::instance_of(&out, "GET /hello.txt 200");
        assert!(hello.is_some(), "{out}");
        assert_eq!(hello, common::instance_of(&out, &aborted), "{out}");
    }
    drop(stalled);
    assert_eq!(server.get("/hello.txt").text(), "hello\n", "still serving");
}

/// A client that leaves in the middle of a large body: wasmtime tells
/// docroot at once (its next write fails); jco never does, so docroot's
/// stall limit ends the response, and under jco every other request waits
/// until then.
fn a_client_that_leaves_mid_body_is_noticed_as_the_host_allows(host: Host) {
    let fx = fixture();
    let _huge = huge_file(&fx);
    let server = host.start_with_test_stall_limit(&fx.root(), &[]);
    drop(start_huge_download(&server));
    let waited = time_hello(&server);
    assert_waited(host, host.reports_closed_connections(), waited);
    let out = server.wait_for_within(
        &["docroot: GET /huge.bin: response aborted"],
        STALL_LIMIT + Duration::from_secs(30),
    );
    assert_eq!(
        out.contains(&took_nothing()),
        !host.reports_closed_connections(),
        "{host:?}: {out}"
    );
}
