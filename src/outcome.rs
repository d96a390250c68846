//! Every way a request can end, as data, and the one place that turns it
//! into a response: the router's own answers ([`Outcome`]) and the file
//! server's endings ([`Ending`]) are rendered here, and nowhere else.

#![forbid(unsafe_code)]

use crate::auth;
use crate::codec::{self, Effort};
use crate::config::ConfigError;
use crate::date;
use crate::files::{Ending, FileBody, Representation};
use crate::http::{Body, Head, HeaderName, Keepable, Response};
use crate::page::{self, Page};
use crate::prepare::Prepared;
use crate::rules::headers::Answer as SiteAnswer;

/// The methods docroot answers, for `Allow`.
pub const ALLOW: &str = "GET, HEAD, OPTIONS";

/// How a request ended: what the router answers itself, or the file
/// server's own [`Ending`].
#[derive(Debug)]
pub enum Outcome<F> {
    /// `OPTIONS`: 204 with `Allow`.
    Options,
    /// The request's own path is protected and its credentials do not
    /// admit it: 401.
    Unauthorized,
    /// Any method but `GET`, `HEAD` and `OPTIONS`: 405 with `Allow`.
    MethodNotAllowed,
    /// The request-info page: 200, never cached.
    Info(Page),
    /// A configuration variable with a bad value: 500 naming it.
    Misconfigured(ConfigError),
    /// How the file server ended the request.
    Files(Ending<F>),
}

impl<F> Outcome<F> {
    /// Whether the site's `_headers` apply to this answer, and how: to
    /// files, listings, rewrites, 404 pages, `OPTIONS` (so that a CORS
    /// preflight gets the site's `Access-Control-Allow-*`), and (what it
    /// may carry) a 304; not to redirects, other errors (a 401 carries
    /// nothing the site says of the path it guards), or docroot's own info
    /// page.
    pub fn site_headers(&self) -> Option<SiteAnswer> {
        match self {
            Outcome::Options
            | Outcome::Files(
                Ending::File { .. }
                | Ending::Listing(_)
                | Ending::NotFound
                | Ending::NotServed(_)
                | Ending::NotFoundPage { .. },
            ) => Some(SiteAnswer::Whole),
            Outcome::Files(Ending::NotModified(_)) => Some(SiteAnswer::NotModified),
            _ => None,
        }
    }
}

type Headers = Vec<(HeaderName, String)>;

/// A response as it is made, before its head is final.
struct Draft<F> {
    status: u16,
    headers: Headers,
    body: Body<F>,
    log: Option<String>,
    keepable: Option<Keepable>,
}

impl<F> Draft<F> {
    fn new(status: u16, headers: Headers, body: Body<F>) -> Draft<F> {
        Draft {
            status,
            headers,
            body,
            log: None,
            keepable: None,
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Turns an outcome into the response sent, its head final: docroot's
/// headers, then what the site's `_headers` do to them (on the answers
/// they apply to, [`Outcome::site_headers`]); an answer to a request with
/// credentials is then made private ([`private`]).
pub fn respond<F>(outcome: Outcome<F>, p: &Prepared<'_>) -> Response<F> {
    let site_headers = outcome.site_headers();
    let mut draft = match outcome {
        Outcome::Options => Draft::new(204, vec![("allow".into(), ALLOW.to_owned())], Body::Empty),
        Outcome::Unauthorized => unauthorized(p),
        Outcome::MethodNotAllowed => {
            let mut r = error(405, "This server only answers GET, HEAD and OPTIONS.", p);
            r.headers.push(("allow".into(), ALLOW.to_owned()));
            r
        }
        Outcome::Info(page) => {
            let mut r = page_response(200, page);
            r.headers
                .push(("cache-control".into(), "no-store".to_owned()));
            r.headers.push(("vary".into(), "Accept".to_owned()));
            r
        }
        Outcome::Misconfigured(err) => misconfigured(&err, p),
        Outcome::Files(ending) => file_response(ending, p),
    };
    code_page(&mut draft, p);
    draft
        .headers
        .push(("x-content-type-options".into(), "nosniff".to_owned()));
    if let Some(answer) = site_headers {
        // A 404's Cache-Control stays docroot's: a site's block for
        // `/assets/*` that makes them `immutable` must not keep an asset
        // missing from one deploy missing for a year.
        let not_found_cache =
            (draft.status == 404).then(|| draft.header("cache-control").map(str::to_owned));
        p.site_headers.of(answer).apply(&mut draft.headers);
        if let Some(value) = not_found_cache {
            draft.headers.retain(|(n, _)| *n != "cache-control");
            if let Some(value) = value {
                draft.headers.push(("cache-control".into(), value));
            }
        }
    }
    if p.asked.authorization.is_present() {
        private(&mut draft);
    }
    if p.asked.head {
        draft.body = Body::Empty;
    }
    Response {
        log: draft.log,
        keepable: draft.keepable,
        ..Response::new(draft.status, Head::new(draft.headers), draft.body)
    }
}

/// The response for how the file server ended.
fn file_response<F>(ending: Ending<F>, p: &Prepared<'_>) -> Draft<F> {
    match ending {
        Ending::BadPath(err) => error(400, err.reason(), p),
        Ending::Unauthorized => unauthorized(p),
        Ending::NotFound => error(404, "There is nothing at this path.", p),
        Ending::NotServed(why) => {
            let mut r = error(404, "There is nothing at this path.", p);
            r.log = Some(format!("404 {}: {why}", p.asked.path.escape_debug()));
            r
        }
        Ending::NotFoundPage { body, rep } => {
            let mut headers = representation_headers(&rep);
            headers.push(("vary".into(), rep.vary.to_owned()));
            if let Some(value) = p.not_found_cache_control {
                headers.push(("cache-control".into(), value.to_owned()));
            }
            Draft::new(404, headers, file_body(body, 0, rep.len))
        }
        Ending::Forbidden => {
            let mut r = error(403, "This file may not be read.", p);
            r.log = Some(format!(
                "403 {}: permission denied",
                p.asked.path.escape_debug()
            ));
            r
        }
        Ending::Redirect { status, location } => Draft::new(
            status,
            vec![
                ("location".into(), location),
                ("content-length".into(), "0".to_owned()),
            ],
            Body::Empty,
        ),
        Ending::File { body, rep, range } => {
            let mut headers = representation_headers(&rep);
            let (status, offset, len) = match range {
                None => (200, 0, rep.len),
                Some((start, len)) => {
                    let end = start + len - 1;
                    let whole = rep.len.unwrap_or(0);
                    headers.push((
                        "content-range".into(),
                        format!("bytes {start}-{end}/{whole}"),
                    ));
                    (206, start, Some(len))
                }
            };
            if let Some(len) = len {
                set(&mut headers, "content-length", len.to_string());
            }
            let ranges = if rep.ranges { "bytes" } else { "none" };
            headers.push(("accept-ranges".into(), ranges.to_owned()));
            cache_headers(&mut headers, &rep, p);
            let keepable = match (&body, range) {
                (FileBody::Open(_) | FileBody::Whole(_), None) => keepable(&rep),
                _ => None,
            };
            Draft {
                keepable,
                ..Draft::new(status, headers, file_body(body, offset, len))
            }
        }
        Ending::NotModified(rep) => {
            let mut headers = Headers::new();
            cache_headers(&mut headers, &rep, p);
            Draft {
                keepable: keepable(&rep),
                ..Draft::new(304, headers, Body::Empty)
            }
        }
        Ending::PreconditionFailed => error_varying(
            412,
            "A precondition (If-Match or If-Unmodified-Since) does not hold for this file.",
            p,
            "Accept, Accept-Encoding",
        ),
        Ending::RangeNotSatisfiable(len) => {
            let mut r = error_varying(
                416,
                "The requested range is not within this file.",
                p,
                "Accept, Accept-Encoding",
            );
            r.headers
                .push(("content-range".into(), format!("bytes */{len}")));
            r.headers.push(("accept-ranges".into(), "bytes".to_owned()));
            r
        }
        Ending::Listing(page) => {
            let mut r = page_response(200, page);
            r.headers.push(("vary".into(), "Accept".to_owned()));
            cache_control(&mut r.headers, p);
            r
        }
        Ending::Misconfigured(err) => misconfigured(&err, p),
        Ending::Failed(detail) => {
            let mut r = error(500, "The server could not read this file.", p);
            r.log = Some(format!("500 {}: {detail}", p.asked.path.escape_debug()));
            r
        }
    }
}

/// What a file's whole answer may be kept by: for a file found by its
/// own path.
fn keepable(rep: &Representation) -> Option<Keepable> {
    Some(Keepable {
        file: rep.bytes_of.clone()?,
        etag: rep.validators.etag.as_ref().map(|e| e.to_header()),
        last_modified: rep.validators.last_modified,
    })
}

/// `Content-Type`, `Content-Encoding` and `Content-Length` (when known) of
/// a file's representation.
fn representation_headers(rep: &Representation) -> Headers {
    let mut headers = vec![("content-type".into(), rep.content_type.clone())];
    if let Some(encoding) = rep.encoding {
        headers.push(("content-encoding".into(), encoding.token().to_owned()));
    }
    if let Some(len) = rep.len {
        headers.push(("content-length".into(), len.to_string()));
    }
    headers
}

/// The body for a file's answer: `len` bytes from `offset` of the file as
/// it is (its whole length when a stream's is unknown), bytes coded whole,
/// or the file transformed as it streams.
fn file_body<F>(body: FileBody<F>, offset: u64, len: Option<u64>) -> Body<F> {
    match body {
        FileBody::Open(file) => Body::File {
            file,
            offset,
            len: len.unwrap_or(0),
        },
        FileBody::Whole(bytes) => Body::Shared(bytes),
        FileBody::Stream {
            file,
            len,
            transform,
        } => Body::Stream {
            file,
            len,
            transform,
        },
    }
}

/// Sets header `name` to `value`, replacing it if it is there.
fn set(headers: &mut Headers, name: &'static str, value: String) {
    match headers.iter_mut().find(|(n, _)| *n == name) {
        Some((_, old)) => *old = value,
        None => headers.push((name.into(), value)),
    }
}

/// docroot's own pages (the info page, listings, error pages: every body
/// held in memory) coded on the fly at [`Effort::Fast`], since each is made
/// for one answer, as [`Prepared::coding`] decides for them as for files.
/// With compression on they vary by `Accept-Encoding`, coded or not.
fn code_page<F>(draft: &mut Draft<F>, p: &Prepared<'_>) {
    let Body::Bytes(bytes) = &draft.body else {
        return;
    };
    if p.compression.is_empty() {
        return;
    }
    match draft.headers.iter_mut().find(|(n, _)| *n == "vary") {
        Some((_, vary)) if vary.to_ascii_lowercase().contains("accept-encoding") => {}
        Some((_, vary)) => vary.push_str(", Accept-Encoding"),
        None => draft
            .headers
            .push(("vary".into(), "Accept-Encoding".to_owned())),
    }
    let content_type = draft.header("content-type").unwrap_or("");
    let Some((coding, _)) = p.coding(content_type, bytes.len() as u64, true) else {
        return;
    };
    let Some(coded) = codec::encode(bytes, Effort::Fast.made(coding)) else {
        return;
    };
    set(
        &mut draft.headers,
        "content-length",
        coded.len().to_string(),
    );
    draft
        .headers
        .push(("content-encoding".into(), coding.token().to_owned()));
    draft.body = Body::Bytes(coded);
}

/// A 401 for a protected path (RFC 9110 §15.5.2): docroot's own error
/// page and the challenge, and nothing of what is protected.
fn unauthorized<F>(p: &Prepared<'_>) -> Draft<F> {
    let mut r = error(
        401,
        "This page is protected: it needs a user name and password.",
        p,
    );
    r.headers
        .push(("www-authenticate".into(), auth::CHALLENGE.to_owned()));
    r
}

/// Makes the answer to a request with credentials private: a shared cache
/// may store it if it says `public` (RFC 9111 §3.5), so whatever the
/// operator or the site set, `public` and `s-maxage` go and `private`
/// comes (unless `no-store` or `private` is there already), and no kept
/// answer is made of it.
fn private<F>(draft: &mut Draft<F>) {
    draft.keepable = None;
    let mut kept: Vec<&str> = Vec::new();
    let mut private = false;
    for directive in directives(draft.header("cache-control").unwrap_or("")) {
        let name = directive.split('=').next().unwrap_or("").trim();
        let is = |known: &str| name.eq_ignore_ascii_case(known);
        if directive.is_empty() || is("public") || is("s-maxage") {
            continue;
        }
        // `private="field"` keeps only those fields from a shared cache.
        if is("private") && directive.contains('=') {
            continue;
        }
        private |= is("private") || is("no-store");
        kept.push(directive);
    }
    let value = if private {
        kept.join(", ")
    } else {
        std::iter::once("private")
            .chain(kept)
            .collect::<Vec<_>>()
            .join(", ")
    };
    draft.headers.retain(|(n, _)| *n != "cache-control");
    draft.headers.push(("cache-control".into(), value));
}

/// The directives of a `Cache-Control` value, trimmed: split at the commas
/// outside quoted strings (RFC 9110 §5.6.4; `private="a, b"` is one).
fn directives(value: &str) -> Vec<&str> {
    let mut all = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (at, byte) in value.bytes().enumerate() {
        match byte {
            _ if escaped => escaped = false,
            b'\\' if quoted => escaped = true,
            b'"' => quoted = !quoted,
            b',' if !quoted => {
                all.push(value[start..at].trim());
                start = at + 1;
            }
            _ => {}
        }
    }
    all.push(value[start..].trim());
    all
}

/// A 500 that names the variable and what is wrong with it, never cached.
fn misconfigured<F>(err: &ConfigError, p: &Prepared<'_>) -> Draft<F> {
    let mut r = error(500, &format!("docroot is misconfigured: {err}"), p);
    r.log = Some(format!("configuration error: {err}"));
    r
}

/// What a cache needs, on 200, 206 and 304 alike (RFC 9110 §15.4.5):
/// validators, `Vary` and `Cache-Control`.
fn cache_headers(headers: &mut Headers, rep: &Representation, p: &Prepared<'_>) {
    if let Some(etag) = &rep.validators.etag {
        headers.push(("etag".into(), etag.to_header()));
    }
    if let Some(date) = rep.validators.last_modified.and_then(date::format) {
        headers.push(("last-modified".into(), date));
    }
    headers.push(("vary".into(), rep.vary.to_owned()));
    cache_control(headers, p);
}

/// The `Cache-Control` of files and listings: the operator's
/// ([`crate::config::DEFAULT_CACHE_CONTROL`] unless set), or what the
/// site's `_headers` make of it at this path. (The site's 404 pages carry
/// the operator's alone.)
fn cache_control(headers: &mut Headers, p: &Prepared<'_>) {
    if let Some(value) = &p.cache_control {
        headers.push(("cache-control".into(), value.clone()));
    }
}

fn page_response<F>(status: u16, page: Page) -> Draft<F> {
    Draft::new(
        status,
        vec![
            ("content-type".into(), page.content_type.to_owned()),
            ("content-length".into(), page.body.len().to_string()),
        ],
        Body::Bytes(page.body),
    )
}

fn error<F>(status: u16, reason: &str, p: &Prepared<'_>) -> Draft<F> {
    error_varying(status, reason, p, "Accept")
}

/// An error page whose status also depended on the request headers `vary`:
/// docroot's own page, made for this answer and never stored (a 404
/// kept by a cache would outlive the deploy that adds the page).
fn error_varying<F>(status: u16, reason: &str, p: &Prepared<'_>, vary: &str) -> Draft<F> {
    let home = crate::path::to_root(p.asked.site_path);
    let mut r = page_response(
        status,
        page::error(status, p.asked.path, reason, p.asked.json, &home),
    );
    r.headers.push(("vary".into(), vary.to_owned()));
    r.headers
        .push(("cache-control".into(), "no-store".to_owned()));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn made_private(cache_control: Option<&str>) -> String {
        let headers = cache_control
            .map(|v| vec![("cache-control".into(), v.to_owned())])
            .unwrap_or_default();
        let mut draft: Draft<()> = Draft::new(200, headers, Body::Empty);
        draft.keepable = Some(Keepable {
            file: vec!["a".into()],
            etag: None,
            last_modified: None,
        });
        private(&mut draft);
        assert!(draft.keepable.is_none(), "never kept");
        draft.header("cache-control").unwrap().to_owned()
    }

    #[test]
    fn an_answer_to_credentials_is_private_and_no_more_shared() {
        for (given, made) in [
            (None, "private"),
            (Some(""), "private"),
            (Some("public, max-age=600"), "private, max-age=600"),
            (Some("PUBLIC, s-maxage=60, max-age=5"), "private, max-age=5"),
            (Some("no-store"), "no-store"),
            (Some("private, max-age=1"), "private, max-age=1"),
            (
                Some("private=\"set-cookie, x\", max-age=9, public"),
                "private, max-age=9",
            ),
            (
                Some("max-age=9, no-cache=\"a,\\\"b\", immutable"),
                "private, max-age=9, no-cache=\"a,\\\"b\", immutable",
            ),
        ] {
            assert_eq!(made_private(given), made, "{given:?}");
        }
    }
}
