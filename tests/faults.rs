//! Filesystem faults the core must answer cleanly, injected in-process
//! through the in-memory site (a test that relied on real permissions would
//! pass for root, for whom they do not apply, and mean nothing).

mod common;

use common::inproc::{now, request};
use docroot::config::Config;
use docroot::fs::FsError;
use docroot::http::{Body, Response};
use docroot::testing::{MemFiles, Op};

fn site() -> MemFiles {
    MemFiles::new()
        .file("hello.txt", b"hello\n")
        .file("docs/readme.md", b"# readme\n")
}

fn get(fs: &MemFiles, target: &str, config: &Config) -> Response<Vec<u8>> {
    docroot::ready::run(docroot::app::handle(
        &request("GET", target, &[]),
        config,
        fs,
        now,
    ))
}

fn body_text(body: Body<Vec<u8>>) -> String {
    match body {
        Body::Bytes(bytes) => String::from_utf8(bytes).unwrap(),
        _ => panic!("an error page"),
    }
}

#[test]
fn a_file_that_may_not_be_read_is_403() {
    let fs = site().fail(Op::Open, "hello.txt", FsError::Forbidden);
    let r = get(&fs, "/hello.txt", &Config::default());
    assert_eq!(r.status, 403);
    let log = r.log.clone().expect("the site's owner hears of it");
    assert!(
        log.contains("/hello.txt") && log.contains("permission denied"),
        "{log}"
    );
    assert!(body_text(r.body).contains("403 Forbidden"));
}

#[test]
fn a_directory_that_may_not_be_listed_is_403() {
    let listing = Config::from_vars([("DOCROOT_LISTING", "on")]).unwrap();
    let fs = site().fail(Op::ReadDir, "docs", FsError::Forbidden);
    assert_eq!(get(&fs, "/docs/", &listing).status, 403);
    assert_eq!(get(&site(), "/docs/", &listing).status, 200);
}

#[test]
fn any_other_filesystem_error_is_a_500_with_its_detail_on_stderr_only() {
    let detail = FsError::Failed("filesystem error: io (EIO at /srv/secret/host/path)".into());
    for op in [Op::Stat, Op::Open] {
        let fs = site().fail(op, "hello.txt", detail.clone());
        let r = get(&fs, "/hello.txt", &Config::default());
        assert_eq!(r.status, 500, "{op:?}");
        let log = r.log.clone().expect("a 5xx writes one line");
        assert!(log.contains("EIO") && log.contains("/hello.txt"), "{log}");
        let page = body_text(r.body);
        assert!(page.contains("could not read this file"), "{page}");
        assert!(
            !page.contains("EIO") && !page.contains("/srv/secret"),
            "no OS detail on the page: {page}"
        );
    }
}

#[test]
fn a_fault_on_the_configured_404_page_is_a_500_naming_it() {
    let fs = site()
        .file("404.html", b"gone")
        .fail(Op::Stat, "404.html", FsError::Forbidden);
    let c = Config::from_vars([("DOCROOT_NOT_FOUND", "/404.html")]).unwrap();
    let r = get(&fs, "/missing", &c);
    assert_eq!(r.status, 500);
    assert!(body_text(r.body).contains("DOCROOT_NOT_FOUND"));
}
