//! Filesystem faults the core must answer cleanly, simulated in-process
//! (these tests run as root, for whom permissions do not apply).

mod common;

use common::fixture;
use common::inproc::{now, request};
use docroot::config::Config;
use docroot::fs::{Entry, Files, FsError, Meta, StdFiles};
use docroot::http::Body;

/// The fixture, with one path failing in a chosen way on open and read_dir.
struct Faulty {
    inner: StdFiles,
    path: &'static str,
    error: FsError,
}

impl Faulty {
    fn check(&self, path: &[String]) -> Result<(), FsError> {
        if path.join("/") == self.path {
            Err(self.error.clone())
        } else {
            Ok(())
        }
    }
}

impl Files for Faulty {
    type File = std::fs::File;
    fn stat(&self, path: &[String]) -> Result<Meta, FsError> {
        self.inner.stat(path)
    }
    fn open(&self, path: &[String]) -> Result<std::fs::File, FsError> {
        self.check(path)?;
        self.inner.open(path)
    }
    fn read_dir(&self, path: &[String]) -> Result<Vec<Entry>, FsError> {
        self.check(path)?;
        self.inner.read_dir(path)
    }
}

fn answer(
    path: &'static str,
    error: FsError,
    target: &str,
    config: &Config,
) -> docroot::http::Response<std::fs::File> {
    let fx = fixture();
    let fs = Faulty {
        inner: StdFiles::new(fx.root()).unwrap(),
        path,
        error,
    };
    docroot::app::handle(&request("GET", target, &[]), config, &fs, now)
}

fn body_text(body: Body<std::fs::File>) -> String {
    match body {
        Body::Bytes(bytes) => String::from_utf8(bytes).unwrap(),
        _ => panic!("an error page"),
    }
}

#[test]
fn a_file_that_may_not_be_read_is_403() {
    let r = answer(
        "hello.txt",
        FsError::Forbidden,
        "/hello.txt",
        &Config::default(),
    );
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
    let r = answer("docs", FsError::Forbidden, "/docs/", &listing);
    assert_eq!(r.status, 403);
}

#[test]
fn any_other_filesystem_error_is_a_500_with_its_detail_on_stderr_only() {
    let detail = FsError::Failed("filesystem error: io (EIO at /srv/secret/host/path)".into());
    let r = answer("hello.txt", detail, "/hello.txt", &Config::default());
    assert_eq!(r.status, 500);
    let log = r.log.clone().expect("a 5xx writes one line");
    assert!(log.contains("EIO") && log.contains("/hello.txt"), "{log}");
    let page = body_text(r.body);
    assert!(page.contains("could not read this file"), "{page}");
    assert!(
        !page.contains("EIO") && !page.contains("/srv/secret"),
        "no OS detail on the page: {page}"
    );
}
