//! The pure core called in-process over the fixture, through `std::fs`.

use super::Fixture;
use docroot::app;
use docroot::cache::CachedFile;
use docroot::config::Config;
use docroot::fs::StdFiles;
use docroot::http::{Body, Head, HeaderName, Request, Response};
use std::io::{Read, Seek, SeekFrom};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub struct Res {
    pub status: u16,
    pub headers: Vec<(docroot::http::HeaderName, String)>,
    pub body: Vec<u8>,
}

impl Res {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

pub fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_790_000_000)
}

pub fn request(method: &str, target: &str, headers: &[(&str, &str)]) -> Request {
    Request {
        method: method.to_owned(),
        path_with_query: target.to_owned(),
        scheme: Some("http".to_owned()),
        authority: Some("localhost:8080".to_owned()),
        headers: headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec()))
            .collect(),
    }
}

pub fn run_with(fx: &Fixture, config: &Config, req: &Request) -> Res {
    let fs = StdFiles::new(fx.root()).unwrap();
    let mut response = docroot::ready::run(app::handle(req, config, &fs, now));
    let head = std::mem::replace(&mut response.body, Body::Empty);
    let body = docroot::testing::body_bytes(head, |file, offset, len| {
        let mut file = file;
        file.seek(SeekFrom::Start(offset)).unwrap();
        let mut buf = Vec::new();
        file.take(len).read_to_end(&mut buf).unwrap();
        buf
    })
    .expect("the body is as long as it says, and codes");
    if let Some(len) = response.header("content-length")
        && req.method != "HEAD"
    {
        assert_eq!(
            len,
            body.len().to_string(),
            "Content-Length matches the body"
        );
    }
    // (Unless the site's own `_headers` may have removed it.)
    assert!(
        fx.root().join("_headers").exists()
            || response.header("x-content-type-options") == Some("nosniff")
    );
    // Every 5xx says why on stderr; a success never does.
    if response.status >= 500 {
        assert!(response.log.is_some());
    }
    if response.status < 400 {
        assert!(response.log.is_none());
    }
    Res {
        status: response.status,
        headers: pairs(&response.head),
        body,
    }
}

pub fn config(vars: &[(&str, &str)]) -> Config {
    Config::from_vars(vars.iter().copied()).unwrap()
}

pub fn get(fx: &Fixture, target: &str) -> Res {
    run_with(fx, &Config::default(), &request("GET", target, &[]))
}

/// A response as comparable data: status, headers, and the body's bytes.
pub type Answer = (u16, Vec<(HeaderName, String)>, Vec<u8>);

/// A response's head as owned pairs.
pub fn pairs(head: &Head) -> Vec<(HeaderName, String)> {
    head.pairs()
        .map(|(n, v)| (n.to_owned().into(), v.to_owned()))
        .collect()
}

pub fn answer<F>(mut response: Response<F>, bytes: impl Fn(&F) -> Vec<u8>) -> Answer {
    let body = std::mem::replace(&mut response.body, Body::Empty);
    let body = docroot::testing::body_bytes(body, |file, offset, len| {
        docroot::testing::slice_of(&bytes(file), offset, len)
    })
    .unwrap();
    (response.status, pairs(&response.head), body)
}

pub fn held_or_open(file: &CachedFile<Vec<u8>>) -> Vec<u8> {
    match file {
        CachedFile::Held(bytes) => bytes.to_vec(),
        CachedFile::Open(bytes) => bytes.clone(),
    }
}
