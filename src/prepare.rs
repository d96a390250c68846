//! A request, prepared once: where it goes, what it asks, what the site's
//! rules say of it and the `Cache-Control` its answer carries. Every later
//! step (the kept answers, the file pipeline, [`crate::outcome::respond`])
//! reads this value; none reads the request's headers again.
//!
//! It is made in two stages. [`Asked`] is what the request alone decides,
//! read in one pass over its headers: the kept answers' key
//! ([`Asked::key`]) is derived from it, so a request a kept answer serves
//! never looks further. [`Prepared`] adds what the site decides: the
//! parsed path, the rules that match it, the headers they set, and whether
//! the site's protection lets the request in ([`Prepared::access_to`]).

#![forbid(unsafe_code)]

use crate::auth::{Access, Authorization};
use crate::codec::{self, Effort, Encoding};
use crate::config::Config;
use crate::content_type;
use crate::http::{self, Request};
use crate::negotiate;
use crate::path::{PathError, SitePath, fold_case};
use crate::rules::Rules;
use crate::rules::headers::SiteHeaders;
use std::time::SystemTime;

/// The longest key kept: past it, a request is not kept (its spellings are
/// unusual enough that keeping them would only crowd the cache).
pub const MAX_KEY: usize = 2048;

/// Where a request goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `GET` or `HEAD` of the site's files.
    Files,
    /// `GET` or `HEAD` of the request-info page.
    Info,
    /// `OPTIONS`: 204 with `Allow`.
    Options,
    /// Any other method: 405.
    NotAllowed,
}

impl Route {
    /// Where a request with `method` for `site_path` goes; `config` names
    /// the info page (`None`: the configuration could not be read).
    pub fn of(method: &str, site_path: &str, config: Option<&Config>) -> Route {
        match method {
            "GET" | "HEAD" if config.is_some_and(|c| c.info_path.as_deref() == Some(site_path)) => {
                Route::Info
            }
            "GET" | "HEAD" => Route::Files,
            "OPTIONS" => Route::Options,
            _ => Route::NotAllowed,
        }
    }
}

/// The conditional and range headers (RFC 9110 §13, §14), as the request
/// gave them: list headers with every line joined (`None` when absent or a
/// line is not UTF-8), single-valued ones only when given once and valid.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conditions {
    /// `If-Match`.
    pub if_match: Option<String>,
    /// `If-None-Match`.
    pub if_none_match: Option<String>,
    /// `If-Modified-Since`, a valid date given once.
    pub if_modified_since: Option<SystemTime>,
    /// `If-Unmodified-Since`, a valid date given once.
    pub if_unmodified_since: Option<SystemTime>,
    /// `If-Range`.
    pub if_range: Option<String>,
    /// `Range`, given once, as UTF-8.
    pub range: Option<String>,
    /// Whether the request has any `Range` line at all (then it is served
    /// the file itself, whose bytes ranges count).
    pub ranged: bool,
}

/// What the request alone decides, read once.
#[derive(Debug, Clone)]
pub struct Asked<'r> {
    /// Where it goes.
    pub route: Route,
    /// `HEAD`: the same answer, without its body.
    pub head: bool,
    /// The path as received, without the query.
    pub path: &'r str,
    /// The public path of the mount point (`/static`; empty at the root),
    /// from `spin-path-info` ([`Request::site_path`]).
    pub mount: &'r str,
    /// The path below the mount point, which names the file.
    pub site_path: &'r str,
    /// The query, if any.
    pub query: Option<&'r str>,
    /// docroot's own pages in JSON: `Accept` prefers it, or `?format=json`.
    pub json: bool,
    /// `Accept` alone prefers JSON (the site's own 404 page is HTML).
    pub prefers_json: bool,
    /// `Accept` takes HTML (a missing page gets the fallback page).
    pub accepts_html: bool,
    /// `Accept-Encoding`, every line joined.
    pub accept_encoding: Option<String>,
    /// The conditional and range headers.
    pub conditions: Conditions,
    /// The credentials `Authorization` presents (never shown).
    pub authorization: Authorization,
    /// A CORS preflight (Fetch: `OPTIONS` with `Origin` and
    /// `Access-Control-Request-Method`), which a browser sends without
    /// credentials: never asked for them.
    pub preflight: bool,
}

impl<'r> Asked<'r> {
    /// What `req` asks, in one pass over its headers; `config` names the
    /// info page (`None`: the configuration could not be read).
    pub fn of(req: &'r Request, config: Option<&Config>) -> Asked<'r> {
        let mut accept = Lines::default();
        let mut accept_encoding = Lines::default();
        let mut if_match = Lines::default();
        let mut if_none_match = Lines::default();
        let mut if_range = Lines::default();
        let mut if_modified_since = Once::default();
        let mut if_unmodified_since = Once::default();
        let mut range = Once::default();
        let mut mount_info = None;
        let mut authorization = Vec::new();
        let (mut origin, mut request_method) = (false, false);
        for (name, value) in &req.headers {
            let is = |known: &str| name.eq_ignore_ascii_case(known);
            if is("accept") {
                accept.add(value);
            } else if is("accept-encoding") {
                accept_encoding.add(value);
            } else if is("if-match") {
                if_match.add(value);
            } else if is("if-none-match") {
                if_none_match.add(value);
            } else if is("if-modified-since") {
                if_modified_since.add(value);
            } else if is("if-unmodified-since") {
                if_unmodified_since.add(value);
            } else if is("if-range") {
                if_range.add(value);
            } else if is("range") {
                range.add(value);
            } else if is("spin-path-info") {
                // The last one counts: the host's ([`Request::host_header`]).
                mount_info = Some(value.as_slice());
            } else if is("authorization") {
                authorization.push(value.as_slice());
            } else if is("origin") {
                origin = true;
            } else if is("access-control-request-method") {
                request_method = true;
            }
        }
        let path = req.path();
        let query = req.query();
        let (mount, site_path) = http::mount(path, mount_info);
        let route = Route::of(&req.method, site_path, config);
        let accept = accept.joined();
        let prefers_json = negotiate::prefers_json(accept.as_deref());
        Asked {
            route,
            head: req.is_head(),
            path,
            mount,
            site_path,
            query,
            json: prefers_json || negotiate::query_asks_json(query),
            prefers_json,
            accepts_html: negotiate::accepts_html(accept.as_deref()),
            accept_encoding: accept_encoding.joined(),
            conditions: Conditions {
                if_match: if_match.joined(),
                if_none_match: if_none_match.joined(),
                if_modified_since: if_modified_since.date(),
                if_unmodified_since: if_unmodified_since.date(),
                if_range: if_range.joined(),
                ranged: range.count > 0,
                range: range.text().map(str::to_owned),
            },
            authorization: Authorization::of(&authorization),
            preflight: route == Route::Options && origin && request_method,
        }
    }

    /// The key of the requests a kept answer may serve alike, or `None`
    /// for one that must go through the pipeline ([`crate::answers`]).
    ///
    /// Derived field by field from what the pipeline reads, so that a new
    /// field cannot be left out: each is in the key, sends the request
    /// through, is weighed against the kept answer's validators, or is
    /// said here to decide no kept answer.
    pub fn key(&self) -> Option<String> {
        let Asked {
            route,
            // A HEAD is the GET's answer without its body.
            head: _,
            path,
            mount,
            // The path and the mount point decide it.
            site_path: _,
            // The query decides only docroot's own pages (`json`, in the
            // key) and a redirect's `Location` (never kept).
            query: _,
            json,
            prefers_json,
            accepts_html,
            accept_encoding,
            conditions,
            // Its answer is for it alone (RFC 9111 §3.5): never kept, and a
            // kept answer is never given to it without the credentials check.
            authorization,
            // Only an `OPTIONS` is one, and `OPTIONS` goes through.
            preflight: _,
        } = self;
        let Conditions {
            if_match,
            // Weighed against the kept validators, as the pipeline does.
            if_none_match: _,
            if_modified_since: _,
            if_unmodified_since,
            if_range,
            range: _,
            ranged,
        } = conditions;
        if *route != Route::Files
            || authorization.is_present()
            || if_match.is_some()
            || if_unmodified_since.is_some()
            || if_range.is_some()
            || *ranged
        {
            return None;
        }
        let flag = |on: bool| if on { '1' } else { '0' };
        let encoding = accept_encoding.as_deref().unwrap_or("");
        let mut key = String::with_capacity(path.len() + mount.len() + encoding.len() + 8);
        key.push_str(path);
        key.push('\n');
        key.push_str(mount);
        key.push('\n');
        key.extend([flag(*json), flag(*prefers_json), flag(*accepts_html)]);
        if let Some(encoding) = accept_encoding {
            key.push('\n');
            key.push_str(encoding);
        }
        (key.len() <= MAX_KEY).then_some(key)
    }
}

/// What a request for the site's files names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The mount point itself, asked for without its slash (`/static`).
    MountPoint,
    /// A path in the site.
    Path(SitePath),
    /// A path that is refused: 400.
    Bad(PathError),
}

/// A request, prepared: what it asks, and what the site and the
/// configuration make of it.
#[derive(Debug)]
pub struct Prepared<'r> {
    /// What the request alone decides.
    pub asked: Asked<'r>,
    /// What its path names (`None` for the info page).
    pub target: Option<Target>,
    /// The site's rules (none for the info page, or with the rules off).
    pub rules: &'r Rules,
    /// What the site's protection says of the request's own path (`Open`
    /// for a route it does not guard: the info page, a CORS preflight).
    pub access: Access,
    /// The names of a directory's index files ([`Config::index`]).
    pub index: &'r [String],
    /// What the site's `_headers` do to the answer's headers at this path.
    pub site_headers: SiteHeaders,
    /// The `Cache-Control` a file's answer carries: the operator's, unless
    /// the site's `_headers` set or remove it here.
    pub cache_control: Option<String>,
    /// The `Cache-Control` of the site's 404 page: the operator's alone,
    /// since a site's `_headers` never make a 404 kept ([`Self::cache_control`]
    /// would be an `/assets/*` block's `immutable`).
    pub not_found_cache_control: Option<&'r str>,
    /// That `Cache-Control` says `no-transform`: nothing is coded.
    pub no_transform: bool,
    /// The codings docroot makes on the fly, best first.
    pub compression: &'r [Encoding],
    /// How hard it works at coding files ([`Config::coding_effort`]).
    pub coding_effort: Effort,
}

impl<'r> Prepared<'r> {
    /// `asked`, with the site's `rules` and the `config`.
    pub fn new(asked: Asked<'r>, config: &'r Config, rules: &'r Rules) -> Prepared<'r> {
        let target = (asked.route != Route::Info).then(|| {
            if asked.site_path.is_empty() && !asked.mount.is_empty() {
                Target::MountPoint
            } else {
                match SitePath::parse(asked.site_path) {
                    Ok(path) => Target::Path(path),
                    Err(err) => Target::Bad(err),
                }
            }
        });
        let site_headers = match &target {
            Some(Target::Path(path)) if !rules.headers.is_empty() => {
                rules.headers.for_path(path.segments())
            }
            _ => SiteHeaders::default(),
        };
        let cache_control = site_headers
            .whole
            .value("cache-control")
            .unwrap_or(config.cache_control.as_deref())
            .map(str::to_owned);
        let mut p = Prepared {
            no_transform: no_transform(cache_control.as_deref()),
            asked,
            target,
            rules,
            access: Access::Open,
            index: &config.index,
            site_headers,
            cache_control,
            not_found_cache_control: config.cache_control.as_deref(),
            compression: &config.compression,
            coding_effort: config.coding_effort,
        };
        if let Some(Target::Path(path)) = &p.target
            && !p.asked.preflight
        {
            p.access = p.access_to(path);
        }
        p
    }

    /// What the site's protection says of this request reading `path`: the
    /// protection follows the file, whatever the request's own path. A
    /// precompressed sibling (`name.gz`, `.br`, `.zst`) is protected as its
    /// file is, a page `name.html` as its clean URL `name` is, and a
    /// directory's index file as its directory is, so that
    /// no other name of what a protected path serves reads it unprotected.
    /// Names are compared without regard to case, as the patterns are
    /// ([`crate::rules::headers::HeaderRules::access`]).
    pub fn access_to(&self, path: &SitePath) -> Access {
        let headers = &self.rules.headers;
        if !headers.protects() {
            return Access::Open;
        }
        let auth = &self.asked.authorization;
        // The path, then each file it is a precompressed sibling of.
        let mut names: Vec<Vec<String>> =
            vec![path.segments().iter().map(|n| fold_case(n)).collect()];
        while let Some((last, dir)) = names[names.len() - 1].split_last()
            && let Some(stem) = Encoding::ALL
                .iter()
                .find_map(|e| last.strip_suffix(e.suffix()).filter(|s| !s.is_empty()))
        {
            let mut sibling_of = dir.to_vec();
            sibling_of.push(stem.to_owned());
            names.push(sibling_of);
        }
        // A page, as its clean URL (`/members` guards `members.html`, which
        // `/members` serves).
        let pages: Vec<Vec<String>> = names
            .iter()
            .filter_map(|name| {
                let (last, dir) = name.split_last()?;
                let stem = last.strip_suffix(".html").filter(|s| !s.is_empty())?;
                let mut page = dir.to_vec();
                page.push(stem.to_owned());
                Some(page)
            })
            .collect();
        names.extend(pages);
        let mut access = Access::Open;
        for name in &names {
            access = access.max(headers.access_folded(name, auth));
            if let Some((last, dir)) = name.split_last()
                && self.index.iter().any(|index| fold_case(index) == *last)
            {
                access = access.max(headers.access_folded(dir, auth));
            }
        }
        access
    }

    /// A request whose configuration could not be read: nothing of the
    /// site applies.
    pub fn bare(req: &'r Request, rules: &'r Rules) -> Prepared<'r> {
        Prepared {
            asked: Asked::of(req, None),
            target: None,
            rules,
            access: Access::Open,
            index: &[],
            site_headers: SiteHeaders::default(),
            cache_control: None,
            not_found_cache_control: None,
            no_transform: false,
            compression: &[],
            coding_effort: Effort::Fast,
        }
    }

    /// The one compression predicate, for files and docroot's own pages:
    /// the coding docroot makes of an answer of `len` bytes of
    /// `content_type`, and whether it is made whole (rather than while it
    /// streams). A coding is made when the type is compressible, the answer
    /// long enough, `Cache-Control` lets it be transformed, and the client
    /// takes one of the configured codings; the client's preference wins.
    /// An answer `in_memory`, or of at most [`codec::WHOLE_MAX`] bytes, is
    /// coded whole; a longer file streams, and only gzip is made while
    /// streaming ([`codec::Transform`]).
    pub fn coding(
        &self,
        content_type: &str,
        len: u64,
        in_memory: bool,
    ) -> Option<(Encoding, bool)> {
        if self.compression.is_empty()
            || self.no_transform
            || !content_type::worth_coding(content_type, len)
        {
            return None;
        }
        let whole = in_memory || len <= codec::WHOLE_MAX;
        let accept = self.asked.accept_encoding.as_deref();
        let coding = negotiate::preferred(accept, self.compression)
            .into_iter()
            .find(|&e| whole || e == Encoding::Gzip)?;
        Some((coding, whole))
    }
}

/// Whether a `Cache-Control` value has `no-transform` (RFC 9111 §5.2.2.6):
/// then nothing is coded on the fly.
pub fn no_transform(cache_control: Option<&str>) -> bool {
    cache_control.is_some_and(|value| {
        value
            .split(',')
            .any(|directive| directive.trim().eq_ignore_ascii_case("no-transform"))
    })
}

/// Every line of a list header, joined with `, ` (RFC 9110 §5.3); `None`
/// when absent or when a line is not UTF-8.
#[derive(Default)]
struct Lines {
    joined: Option<String>,
    bad: bool,
}

impl Lines {
    fn add(&mut self, value: &[u8]) {
        match (std::str::from_utf8(value), &mut self.joined) {
            (Err(_), _) => self.bad = true,
            (Ok(v), Some(joined)) => {
                joined.push_str(", ");
                joined.push_str(v);
            }
            (Ok(v), None) => self.joined = Some(v.to_owned()),
        }
    }

    fn joined(self) -> Option<String> {
        self.joined.filter(|_| !self.bad)
    }
}

/// A single-valued header: its value only when given exactly once (twice
/// is ambiguous).
#[derive(Default)]
struct Once<'a> {
    first: Option<&'a [u8]>,
    count: usize,
}

impl<'a> Once<'a> {
    fn add(&mut self, value: &'a [u8]) {
        self.first.get_or_insert(value);
        self.count += 1;
    }

    fn text(&self) -> Option<&'a str> {
        let value = self.first.filter(|_| self.count == 1)?;
        std::str::from_utf8(value).ok()
    }

    /// An HTTP-date given once and valid; otherwise ignored.
    fn date(&self) -> Option<SystemTime> {
        httpdate::parse_http_date(self.text()?.trim()).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(method: &str, target: &str, headers: &[(&str, &[u8])]) -> Request {
        Request {
            method: method.into(),
            path_with_query: target.into(),
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_vec()))
                .collect(),
            ..Request::default()
        }
    }

    /// The one pass reads each header as `Request`'s own accessors do.
    #[test]
    fn one_pass_reads_as_the_accessors_do() {
        let r = req(
            "GET",
            "/static/a?format=json",
            &[
                ("Accept-Encoding", b"br"),
                ("accept-encoding", b"gzip"),
                ("if-none-match", b"\"a\""),
                ("range", b"bytes=0-1"),
                ("range", b"bytes=2-3"),
                ("if-modified-since", b"Sun, 06 Nov 1994 08:49:37 GMT"),
                ("if-match", b"\xff"),
                ("spin-path-info", b"/x"),
                ("spin-path-info", b"/a"),
            ],
        );
        let asked = Asked::of(&r, Some(&Config::default()));
        assert_eq!(asked.accept_encoding, r.header_list("accept-encoding"));
        assert_eq!(asked.conditions.if_match, r.header_list("if-match"));
        assert_eq!(asked.conditions.if_match, None);
        assert_eq!(asked.conditions.range, None, "two lines are ambiguous");
        assert!(asked.conditions.ranged);
        assert!(asked.conditions.if_modified_since.is_some());
        assert_eq!((asked.mount, asked.site_path), r.mount());
        assert_eq!((asked.mount, asked.site_path), ("/static", "/a"));
        assert!(asked.json && !asked.prefers_json && asked.accepts_html);
    }

    #[test]
    fn routes() {
        let config = Config::default();
        let route = |method: &str, target: &str, config: Option<&Config>| {
            Asked::of(&req(method, target, &[]), config).route
        };
        assert_eq!(route("GET", "/__info?x", Some(&config)), Route::Info);
        assert_eq!(route("HEAD", "/__info", Some(&config)), Route::Info);
        assert_eq!(route("GET", "/__info", None), Route::Files);
        assert_eq!(route("get", "/", Some(&config)), Route::NotAllowed);
        assert_eq!(route("OPTIONS", "/", Some(&config)), Route::Options);
        assert_eq!(route("POST", "/__info", Some(&config)), Route::NotAllowed);
    }

    #[test]
    fn requests_alike_share_a_key_and_the_rest_go_through() {
        let key = |method: &str, target: &str, headers: &[(&str, &[u8])]| {
            Asked::of(&req(method, target, headers), Some(&Config::default())).key()
        };
        let plain = key("GET", "/a.html", &[]);
        assert!(plain.is_some());
        assert_eq!(plain, key("HEAD", "/a.html", &[]));
        assert_eq!(
            plain,
            key("GET", "/a.html?x=1", &[("accept", b"text/html")])
        );
        assert_ne!(plain, key("GET", "/a.html?format=json", &[]));
        assert_ne!(
            plain,
            key("GET", "/a.html", &[("accept", b"application/json")])
        );
        assert_ne!(plain, key("GET", "/b.html", &[]));
        let br = key("GET", "/a.html", &[("accept-encoding", b"br")]);
        assert_ne!(plain, br);
        assert_ne!(br, key("GET", "/a.html", &[("accept-encoding", b"gzip")]));
        assert_eq!(
            plain,
            key("GET", "/a.html", &[("accept-encoding", b"\xff")])
        );
        // The mount point decides the answer, not the header's spelling.
        assert_eq!(
            plain,
            key("GET", "/a.html", &[("spin-path-info", b"/a.html")])
        );
        assert_ne!(
            key("GET", "/s/a.html", &[]),
            key("GET", "/s/a.html", &[("spin-path-info", b"/a.html")])
        );
        // Two lines are one list (RFC 9110 §5.3).
        let two = key(
            "GET",
            "/a",
            &[("accept-encoding", b"br"), ("accept-encoding", b"gzip")],
        );
        assert_eq!(two, key("GET", "/a", &[("accept-encoding", b"br, gzip")]));
        assert_ne!(two, key("GET", "/a", &[("accept-encoding", b"br")]));
        for through in ["Range", "if-range", "If-Match"] {
            assert_eq!(key("GET", "/a", &[(through, b"\"x\"")]), None, "{through}");
        }
        let date: &[u8] = b"Sun, 06 Nov 1994 08:49:37 GMT";
        assert_eq!(key("GET", "/a", &[("if-unmodified-since", date)]), None);
        assert_eq!(key("POST", "/a", &[]), None);
        assert_eq!(key("GET", "/__info", &[]), None);
        assert!(key("GET", "/a", &[("if-none-match", b"\"x\"")]).is_some());
        let long = "gzip, ".repeat(400);
        assert_eq!(
            key("GET", "/a", &[("accept-encoding", long.as_bytes())]),
            None
        );
    }

    #[test]
    fn one_predicate_decides_what_is_coded() {
        let config = Config::default();
        let rules = Rules::default();
        let r = req("GET", "/a", &[("accept-encoding", b"gzip, br")]);
        let p = Prepared::new(Asked::of(&r, Some(&config)), &config, &rules);
        let html = "text/html; charset=utf-8";
        assert_eq!(p.coding(html, 600, false), Some((Encoding::Brotli, true)));
        assert_eq!(
            p.coding(html, 200_000, false),
            Some((Encoding::Gzip, false))
        );
        assert_eq!(
            p.coding(html, 200_000, true),
            Some((Encoding::Brotli, true))
        );
        assert_eq!(p.coding(html, 511, false), None);
        assert_eq!(p.coding("image/png", 600, false), None);
        let no = Config {
            cache_control: Some("public, No-Transform".into()),
            ..Config::default()
        };
        let p = Prepared::new(Asked::of(&r, Some(&no)), &no, &rules);
        assert_eq!(p.coding(html, 600, false), None);
    }
}
