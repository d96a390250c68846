//! A component mounted under a sub-route (Spin's `route = "/static/..."`):
//! files come from `spin-path-info`; redirects, listings and the info page
//! use the public path.

mod common;

use common::fixture;
use common::inproc::{config, request, run_with};
use docroot::config::Config;

fn spin(path: &str, info: &str) -> Vec<(&'static str, String)> {
    vec![
        ("spin-path-info", info.to_owned()),
        ("spin-full-url", format!("http://example.test{path}")),
        ("spin-matched-route", "/static/...".to_owned()),
        ("spin-component-route", "/static".to_owned()),
        ("spin-client-addr", "203.0.113.7:50123".to_owned()),
    ]
}

fn get(
    fx: &common::Fixture,
    c: &Config,
    path: &str,
    info: &str,
    extra: &[(&str, &str)],
) -> common::inproc::Res {
    let headers = spin(path, info);
    let mut all: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    all.extend_from_slice(extra);
    run_with(fx, c, &request("GET", path, &all))
}

#[test]
fn files_come_from_the_path_below_the_mount() {
    let fx = fixture();
    let c = Config::default();
    let r = get(&fx, &c, "/static/style.css", "/style.css", &[]);
    assert_eq!((r.status, r.text().as_str()), (200, "body{}\n"));
    let r = get(&fx, &c, "/static/docs/guide/", "/docs/guide/", &[]);
    assert_eq!(r.text(), "<h1>guide</h1>\n");
    let r = get(&fx, &c, "/static/", "/", &[]);
    assert_eq!(r.text(), "<!doctype html><h1>home</h1>\n");
}

#[test]
fn redirects_keep_the_mount_point() {
    let fx = fixture();
    let c = Config::default();
    let r = get(&fx, &c, "/static/docs", "/docs", &[]);
    assert_eq!(
        (r.status, r.header("location")),
        (301, Some("/static/docs/"))
    );
    let r = get(&fx, &c, "/static/docs?x=1", "/docs", &[]);
    assert_eq!(r.header("location"), Some("/static/docs/?x=1"));
    // The mount point itself, without its slash.
    let r = get(&fx, &c, "/static", "", &[]);
    assert_eq!((r.status, r.header("location")), (301, Some("/static/")));
}

#[test]
fn listings_and_errors_show_the_public_path() {
    let fx = fixture();
    let c = config(&[("DOCROOT_LISTING", "on")]);
    let r = get(&fx, &c, "/static/docs/", "/docs/", &[]);
    assert!(
        r.text().contains("<h1>Index of /static/docs/</h1>"),
        "{}",
        r.text()
    );
    assert!(r.text().contains("href=\"guide/\""), "links stay relative");
    let r = get(&fx, &c, "/static/missing", "/missing", &[]);
    assert_eq!(r.status, 404);
    assert!(r.text().contains("/static/missing"));
}

#[test]
fn the_info_page_lives_below_the_mount_and_shows_the_client() {
    let fx = fixture();
    let c = Config::default();
    let r = get(&fx, &c, "/static/__info?format=json", "/__info", &[]);
    assert_eq!(r.status, 200);
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["target"], "/static/__info?format=json");
    assert_eq!(v["path"], "/static/__info");
    assert_eq!(v["client"]["host"], "203.0.113.7");
    assert_eq!(v["client"]["port"], 50123);
}

#[test]
fn a_path_info_that_is_not_the_tail_of_the_path_is_ignored() {
    // Only Spin sets the header; sent by a client to another host, it can
    // at most strip a prefix of the client's own path.
    let fx = fixture();
    let c = Config::default();
    for (path, info) in [
        ("/hello.txt", "/.env"),
        ("/hello.txt", "/../secret.txt"),
        ("/a/hello.txt", "hello.txt"),
    ] {
        let r = get(&fx, &c, path, info, &[]);
        assert!(!common::contains(&r.body, common::HIDDEN), "{path} {info}");
        assert!(!common::contains(&r.body, common::SECRET), "{path} {info}");
    }
    assert_eq!(get(&fx, &c, "/hello.txt", "/.env", &[]).text(), "hello\n");
    let r = get(&fx, &c, "/x/%2e%2e/secret.txt", "/%2e%2e/secret.txt", &[]);
    assert_eq!(
        r.status, 400,
        "the path below the mount is validated like any other"
    );
}
