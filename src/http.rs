//! The request and response as the pure core sees them: plain data, no wasi types.

#![forbid(unsafe_code)]

use crate::codec::Transform;
use std::rc::Rc;

/// An incoming request, converted once by the host glue.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// The method exactly as received (`GET`, `get`, `PROPFIND`, …); methods are case-sensitive.
    pub method: String,
    /// The request target's path with its query, exactly as the host passed it.
    pub path_with_query: String,
    /// `http`, `https` or another scheme, when the host says. The host glue
    /// asks for it only on the info page, its one reader.
    pub scheme: Option<String>,
    /// The authority (host and port), when the host says; like `scheme`,
    /// asked for only on the info page.
    pub authority: Option<String>,
    /// Every header in the order received; names are lower-case, values raw bytes.
    pub headers: Vec<(String, Vec<u8>)>,
}

impl Request {
    /// The path part of the target, without the query.
    pub fn path(&self) -> &str {
        match self.path_with_query.split_once('?') {
            Some((path, _)) => path,
            None => &self.path_with_query,
        }
    }

    /// The path below the component's mount point, which names the file.
    /// A host that mounts the component under a sub-route says so: Spin
    /// passes `spin-path-info` (for route `/static/...` and path
    /// `/static/css/a.css`, it is `/css/a.css`). It is used only when it is
    /// the tail of the request path, so a client that sends it itself can at
    /// most strip a prefix from its own path. Otherwise: the whole path.
    pub fn site_path(&self) -> &str {
        self.mount().1
    }

    /// The public path of the mount point (`/static`; empty at the root),
    /// for links and redirects.
    pub fn mount_prefix(&self) -> &str {
        self.mount().0
    }

    /// [`Request::mount_prefix`] and [`Request::site_path`] together, from
    /// one look at the headers.
    pub fn mount(&self) -> (&str, &str) {
        mount(self.path(), self.host_header("spin-path-info"))
    }

    /// The query part of the target (after `?`), if there is one.
    pub fn query(&self) -> Option<&str> {
        self.path_with_query.split_once('?').map(|(_, q)| q)
    }

    /// The value of the first header called `name` (lower-case).
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }

    /// Every line of the list header `name`, joined with `, ` (RFC 9110
    /// §5.3); `None` when absent or when a line is not UTF-8.
    pub fn header_list(&self, name: &str) -> Option<String> {
        let mut combined: Option<String> = None;
        for (n, v) in &self.headers {
            if n.eq_ignore_ascii_case(name) {
                let v = std::str::from_utf8(v).ok()?;
                match &mut combined {
                    Some(c) => {
                        c.push_str(", ");
                        c.push_str(v);
                    }
                    None => combined = Some(v.to_owned()),
                }
            }
        }
        combined
    }

    /// The value of a header the host sets (Spin's `spin-path-info` and
    /// `spin-client-addr`): its last line. Spin adds its own after the
    /// lines the client sent, so a client that sends one itself cannot
    /// stand in for the host's (read at Spin `94a8fc8a`,
    /// `trigger-http/src/wasi.rs`, and seen under it). Under a host that
    /// sets none, the client's is all there is.
    pub fn host_header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .rev()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }

    /// The client's address as the host tells it (`spin-client-addr`,
    /// `ip:port`): `None` when the host tells nothing.
    pub fn client_addr(&self) -> Option<Result<std::net::SocketAddr, NotAnAddress>> {
        let raw = self.host_header("spin-client-addr")?;
        Some(
            std::str::from_utf8(raw)
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or(NotAnAddress),
        )
    }

    /// The value of header `name` when it is given exactly once; a
    /// single-valued header given twice is ambiguous, so `None`.
    pub fn single_header(&self, name: &str) -> Option<&[u8]> {
        let mut values = self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name));
        let (_, value) = values.next()?;
        values.next().is_none().then_some(value.as_slice())
    }

    /// Whether this is a `HEAD` request, whose response carries no body.
    pub fn is_head(&self) -> bool {
        self.method == "HEAD"
    }
}

/// What a host told as the client's address is not an `ip:port`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotAnAddress;

/// The mount point's public path and the path below it, for a request
/// `path` whose host-set `spin-path-info` header is `info` (see
/// [`Request::site_path`]).
pub fn mount<'a>(path: &'a str, info: Option<&'a [u8]>) -> (&'a str, &'a str) {
    let info = info.and_then(|v| std::str::from_utf8(v).ok());
    match info.and_then(|info| Some((path.strip_suffix(info)?, info))) {
        Some((prefix, info))
            if (info.is_empty() || info.starts_with('/'))
                && (prefix.is_empty()
                    || (prefix.starts_with('/')
                        && !prefix.starts_with("//")
                        && !prefix.ends_with('/'))) =>
        {
            (prefix, info)
        }
        _ => ("", path),
    }
}

/// A request target in absolute form (`http://example.com:81/a?b`, RFC 9112
/// §3.2.2), split into its authority and its origin-form path with query
/// (`/a?b`; `/` when the path is empty). `None` for any other target, and
/// for an absolute form whose authority is empty, holds userinfo (RFC 9110
/// §4.2.4) or a character no host or port may hold; such a target then
/// stays invalid as a path.
///
/// wasi:http's `path-with-query` is origin-form, and wasmtime serve splits
/// an absolute-form target so; jco serve passes it whole. The host glue
/// applies this to whatever it is given, so both hosts agree.
pub fn split_absolute_form(target: &str) -> Option<(&str, String)> {
    let (scheme, rest) = target.split_once("://")?;
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return None;
    }
    let (authority, tail) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
    if !is_authority(authority) {
        return None;
    }
    let path = if tail.starts_with('/') {
        tail.to_owned()
    } else {
        format!("/{tail}")
    };
    Some((authority, path))
}

/// Whether `authority` is `host [":" port]` as RFC 3986 §3.2 spells them:
/// a non-empty reg-name or IPv4 address, or an IP literal in brackets, and
/// a port of digits. No userinfo.
pub fn is_authority(authority: &str) -> bool {
    let reg_name = |c: char| c.is_ascii_alphanumeric() || "-._~%!$&'()*+,;=".contains(c);
    let literal = |c: char| c.is_ascii_alphanumeric() || ":.".contains(c);
    let (host_ok, port) = match authority.strip_prefix('[') {
        Some(rest) => match rest.split_once(']') {
            Some((ip, port)) => (!ip.is_empty() && ip.chars().all(literal), port),
            None => return false,
        },
        None => {
            let (host, port) = authority.split_at(authority.find(':').unwrap_or(authority.len()));
            (!host.is_empty() && host.chars().all(reg_name), port)
        }
    };
    host_ok
        && (port.is_empty()
            || port
                .strip_prefix(':')
                .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit())))
}

/// A response's head, as it goes to the host (both glues hand
/// [`Head::fields`] to `wasi:http`'s `fields.from-list`): lower-case names
/// and their values as bytes, shared, so that a kept answer's head is the
/// same allocation every time it is sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Head(Rc<[(String, Vec<u8>)]>);

impl Head {
    /// The head of `headers`, in their order.
    pub fn new(headers: Vec<(HeaderName, String)>) -> Head {
        Head(
            headers
                .into_iter()
                .map(|(n, v)| (n.into_owned(), v.into_bytes()))
                .collect(),
        )
    }

    /// The value of the first header called `name` (lower-case).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| std::str::from_utf8(v).ok())
    }

    /// Every header, names and values, in order.
    pub fn fields(&self) -> &[(String, Vec<u8>)] {
        &self.0
    }

    /// Every header as text (each value is a valid field value, so ASCII).
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0
            .iter()
            .map(|(n, v)| (n.as_str(), std::str::from_utf8(v).unwrap_or("")))
    }
}

/// What a response for a file may be kept by ([`crate::answers`]): whole,
/// from bytes the file cache holds, for a request the file was found by
/// its own path (so `Accept` did not choose it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keepable {
    /// The file (or precompressed file) whose bytes, or coding, the body is.
    pub file: Vec<String>,
    /// Its `ETag`, as sent.
    pub etag: Option<String>,
    /// Its `Last-Modified`.
    pub last_modified: Option<std::time::SystemTime>,
}

/// A response header's name, lower-case: docroot's own are static, a
/// site's rules (`_headers`) bring their own.
pub type HeaderName = std::borrow::Cow<'static, str>;

/// The body of a response.
#[derive(Debug, PartialEq, Eq)]
pub enum Body<F> {
    /// No body at all (204, 301, 304, and every `HEAD` response).
    Empty,
    /// A body held in memory: pages, listings, the info page.
    Bytes(Vec<u8>),
    /// Bytes shared with the file cache: a file coded whole.
    Shared(Rc<[u8]>),
    /// A whole file transformed while it streams (coded, or a `.gz` file
    /// decoded), its length not known before: no `Content-Length`.
    Stream {
        /// The open file.
        file: F,
        /// How many of its bytes to read (its size when it was looked at);
        /// a file that ends before is an aborted response.
        len: u64,
        /// What is done to its bytes on their way out.
        transform: Transform,
    },
    /// `len` bytes of an open file from `offset`, streamed by the host glue in chunks.
    File {
        /// The open file.
        file: F,
        /// Where the bytes start.
        offset: u64,
        /// How many bytes to send; the response's `Content-Length`.
        len: u64,
    },
}

/// A response, ready for the host glue to write.
#[derive(Debug)]
pub struct Response<F> {
    /// The status code.
    pub status: u16,
    /// The head, final: nothing rewrites it after [`crate::outcome::respond`].
    pub head: Head,
    /// The body.
    pub body: Body<F>,
    /// One line for stderr, never shown to the client: why a 5xx happened,
    /// or a fault in the site its owner should know of (a 403 for
    /// permissions, a 404 for a special file or a symlink out of the root).
    pub log: Option<String>,
    /// Lines for stderr about the site's rule files, from the request that
    /// read them ([`crate::rules`]): each bad line, once.
    pub notes: Vec<String>,
    /// Whether, and by what, this response may be kept whole.
    pub keepable: Option<Keepable>,
}

impl<F> Response<F> {
    /// A response with nothing for stderr, not to be kept.
    pub fn new(status: u16, head: Head, body: Body<F>) -> Response<F> {
        Response {
            status,
            head,
            body,
            log: None,
            notes: Vec::new(),
            keepable: None,
        }
    }

    /// The value of the first header called `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.get(name)
    }
}

#[cfg(test)]
mod tests {
    use super::split_absolute_form;

    #[test]
    fn absolute_form_targets_become_origin_form() {
        for (target, expected) in [
            (
                "http://example.com/a/b?c=d",
                Some(("example.com", "/a/b?c=d")),
            ),
            ("HTTPS://example.com:8443/", Some(("example.com:8443", "/"))),
            ("http://example.com", Some(("example.com", "/"))),
            ("http://example.com?x", Some(("example.com", "/?x"))),
            ("http://[::1]:81/%2e%2e/x", Some(("[::1]:81", "/%2e%2e/x"))),
            ("http://h:/", Some(("h:", "/"))),
            (
                "http://evil.example/../secret.txt",
                Some(("evil.example", "/../secret.txt")),
            ),
        ] {
            let got = split_absolute_form(target);
            assert_eq!(
                got.as_ref().map(|(a, p)| (*a, p.as_str())),
                expected,
                "{target}"
            );
        }
        for target in [
            "/a/b",
            "*",
            "example.com:443",
            "ftp://example.com/x",
            "http:///x",
            "http://user@example.com/x",
            "http://h\\x/",
            "http://<a>/",
            "http://a b/",
            "http://h\u{e9}/",
            "http://:80/",
            "http://h:8o/",
            "http://h]/",
            "http://[::1/",
            "http://[]/",
            "/x?next=http://example.com/",
        ] {
            assert_eq!(split_absolute_form(target), None, "{target}");
        }
    }
}
