//! The component under `jco serve` (Node.js): the same files and pages as
//! under wasmtime, and — where the host's own sandbox may be weaker — the
//! same guarantee that nothing outside the site leaves it.

mod common;

use common::{HIDDEN, SECRET, Server, big_bytes, contains, fixture};

#[test]
fn serves_files_pages_and_redirects_under_jco() {
    let fx = fixture();
    let server = Server::start_jco(&fx.root(), &[]);
    let r = server.get("/hello.txt");
    assert_eq!(
        (r.status, r.text().as_str()),
        (200, "hello\n"),
        "{}",
        server.output()
    );
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    assert!(r.header("etag").is_some());
    let r = server.get("/hello%20world.txt");
    assert_eq!(r.text(), "spaces\n");
    let r = server.get("/docs?x=1");
    assert_eq!((r.status, r.header("location")), (301, Some("/docs/?x=1")));
    assert_eq!(server.get("/missing").status, 404);
    let r = server.request("DELETE", "/hello.txt", &[]);
    assert_eq!(r.status, 405);
    let r = server.request("GET", "/hello.txt", &[("Range", "bytes=1-2")]);
    assert_eq!((r.status, r.text().as_str()), (206, "el"));
    let r = server.get("/big.bin");
    assert!(r.body == big_bytes(), "the 5 MiB body differs under jco");
    let r = server.get("/__info?format=json");
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["client"]["host"], "unknown");
}

#[test]
fn nothing_outside_the_site_leaves_it_under_jco() {
    // The secret sits beside the site; symlinks inside point at it.
    let fx = fixture();
    let server = Server::start_jco(&fx.root(), &[("DOCROOT_LISTING", "on")]);
    for target in [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/%252e%252e/secret.txt",
        "/link-out.txt",
        "/abs-link-out.txt",
        "/dir-link-out/inner.txt",
        "/dir-link-out/",
        "/parent-link/secret.txt",
        "/parent-link/",
        "/.env",
        "/.git/config",
        "/fifo",
        "/device",
    ] {
        let raw = server.raw(
            format!("GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
        );
        assert!(
            !contains(&raw, SECRET),
            "{target} leaked the secret under jco"
        );
        assert!(
            !contains(&raw, HIDDEN),
            "{target} leaked a dotfile under jco"
        );
    }
    let listing = server.get("/").text();
    assert!(
        !listing.contains("link-out") && !listing.contains("parent-link"),
        "{listing}"
    );
    assert_eq!(server.get("/hello.txt").status, 200, "still serving");
}
