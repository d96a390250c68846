//! Every way a request can end, as data, and the one place that turns it
//! into a response.

use crate::config::ConfigError;
use crate::files::path::PathError;
use crate::fs::Meta;
use crate::http::{Body, Request, Response};
use crate::negotiate;
use crate::page::{self, Page};

/// The methods docroot answers, for `Allow`.
pub const ALLOW: &str = "GET, HEAD, OPTIONS";

/// How a request ended.
#[derive(Debug)]
pub enum Outcome<F> {
    /// `OPTIONS`: 204 with `Allow`.
    Options,
    /// Any method but `GET`, `HEAD` and `OPTIONS`: 405 with `Allow`.
    MethodNotAllowed,
    /// A request path that is refused: 400.
    BadPath(PathError),
    /// Nothing to serve at this path: 404.
    NotFound,
    /// The file may not be read: 403.
    Forbidden,
    /// A directory without its trailing slash: 301 to this origin-relative target.
    Redirect(String),
    /// A regular file to send whole: 200.
    File {
        /// The open file.
        file: F,
        /// Its size and times.
        meta: Meta,
        /// Its `Content-Type`.
        content_type: String,
    },
    /// A directory listing: 200.
    Listing(Page),
    /// The request-info page: 200, never cached.
    Info(Page),
    /// A configuration variable with a bad value: 500 naming it.
    Misconfigured(ConfigError),
    /// An unexpected failure: 500; the detail goes to stderr only.
    Failed(String),
}

/// What the response depends on besides the outcome.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The request path as received (without the query), shown on error pages.
    pub path: &'a str,
    /// `HEAD`: the same headers, no body.
    pub head: bool,
    /// Error pages in JSON rather than HTML.
    pub json: bool,
    /// `DOCROOT_CACHE_CONTROL`, for files.
    pub cache_control: Option<&'a str>,
}

impl<'a> Context<'a> {
    /// The context of `req`, with the configured `Cache-Control`.
    pub fn of(req: &'a Request, cache_control: Option<&'a str>) -> Context<'a> {
        Context {
            path: req.path(),
            head: req.is_head(),
            json: negotiate::prefers_json(req.header("accept")),
            cache_control,
        }
    }
}

/// Turns an outcome into the response sent.
pub fn respond<F>(outcome: Outcome<F>, cx: &Context<'_>) -> Response<F> {
    let mut response = match outcome {
        Outcome::Options => Response {
            status: 204,
            headers: vec![("allow", ALLOW.to_owned())],
            body: Body::Empty,
            log: None,
        },
        Outcome::MethodNotAllowed => {
            let mut r = error(405, "This server only answers GET, HEAD and OPTIONS.", cx);
            r.headers.push(("allow", ALLOW.to_owned()));
            r
        }
        Outcome::BadPath(err) => error(400, err.reason(), cx),
        Outcome::NotFound => error(404, "There is nothing at this path.", cx),
        Outcome::Forbidden => error(403, "This file may not be read.", cx),
        Outcome::Redirect(location) => Response {
            status: 301,
            headers: vec![("location", location), ("content-length", "0".to_owned())],
            body: Body::Empty,
            log: None,
        },
        Outcome::File {
            file,
            meta,
            content_type,
        } => {
            let mut headers = vec![
                ("content-type", content_type),
                ("content-length", meta.len.to_string()),
            ];
            if let Some(value) = cx.cache_control {
                headers.push(("cache-control", value.to_owned()));
            }
            Response {
                status: 200,
                headers,
                body: Body::File {
                    file,
                    offset: 0,
                    len: meta.len,
                },
                log: None,
            }
        }
        Outcome::Listing(page) => {
            let mut r = page_response(200, page);
            r.headers.push(("vary", "Accept".to_owned()));
            r
        }
        Outcome::Info(page) => {
            let mut r = page_response(200, page);
            r.headers.push(("cache-control", "no-store".to_owned()));
            r.headers.push(("vary", "Accept".to_owned()));
            r
        }
        Outcome::Misconfigured(err) => {
            let mut r = error(500, &format!("docroot is misconfigured: {err}"), cx);
            r.headers.push(("cache-control", "no-store".to_owned()));
            r.log = Some(format!("configuration error: {err}"));
            r
        }
        Outcome::Failed(detail) => {
            let mut r = error(500, "The server could not read this file.", cx);
            r.log = Some(format!("{} {}: {detail}", 500, cx.path));
            r
        }
    };
    response
        .headers
        .push(("x-content-type-options", "nosniff".to_owned()));
    if cx.head {
        response.body = Body::Empty;
    }
    response
}

fn page_response<F>(status: u16, page: Page) -> Response<F> {
    Response {
        status,
        headers: vec![
            ("content-type", page.content_type.to_owned()),
            ("content-length", page.body.len().to_string()),
        ],
        body: Body::Bytes(page.body),
        log: None,
    }
}

fn error<F>(status: u16, reason: &str, cx: &Context<'_>) -> Response<F> {
    let mut r = page_response(status, page::error(status, cx.path, reason, cx.json));
    r.headers.push(("vary", "Accept".to_owned()));
    r
}
