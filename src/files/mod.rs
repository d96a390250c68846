//! The file server. The pipeline, each step an early return:
//!
//! 1. **Method**: `GET`/`HEAD` serve; `OPTIONS` and the rest are answered
//!    in [`crate::app`], which shares the step with the info page.
//! 2. **Path**: [`SitePath::parse`] decodes and validates, or 400;
//!    dotfiles are 404 unless hidden files are allowed.
//! 3. **Resolve** inside the root (`Pipeline::resolve`): a directory
//!    without its slash is a 301, a directory is its index file, else its
//!    listing when listings are on, else 404; a file is itself; whatever the
//!    sandbox refuses is 404. A 404 becomes the configured fallback page for
//!    clients that asked for a page, or the configured 404 page.
//! 4. **Encoding** ([`encoding`]): a precompressed sibling (`name.br`,
//!    `name.gz`) the client accepts, else the file itself. It is chosen
//!    before the validators because they belong to the representation sent.
//! 5. **Validators** ([`conditional`]): `Last-Modified` and a strong `ETag`
//!    from the size and time of the chosen representation.
//! 6. **Preconditions** ([`conditional::evaluate`], RFC 9110 §13.2.2 order):
//!    412 or 304.
//! 7. **Range** ([`range`]): one byte range of a `GET` is a 206, an
//!    unsatisfiable one 416, a stale `If-Range` the full 200.
//! 8. **Reply**: the pipeline ends in an [`Ending`], which
//!    [`crate::outcome`] turns into headers and a streamed body. The file is
//!    only opened when a body will be sent.

#![forbid(unsafe_code)]

pub mod conditional;
pub mod content_type;
pub mod encoding;
pub mod listing;
pub mod range;

use crate::config::{Config, ConfigError, SiteFile};
use crate::fs::{Files, FsError, Kind, Meta};
use crate::http::Request;
use crate::negotiate;
use crate::page::Page;
use crate::path::{PathError, SitePath};
use conditional::{EntityTag, Precondition, Validators};
use encoding::Encoding;
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use range::RangeRequest;

/// Bytes escaped when a query is copied into `Location`: what a header value may not hold.
const QUERY: &AsciiSet = &CONTROLS.add(b' ');

/// What is sent for a file: one representation of it, and how to describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Representation {
    /// `Content-Type`, from the name asked for (not the `.br`/`.gz` sibling).
    pub content_type: String,
    /// `Content-Encoding`, for a precompressed sibling.
    pub encoding: Option<Encoding>,
    /// Size in bytes of what is sent whole.
    pub len: u64,
    /// `ETag` and `Last-Modified`.
    pub validators: Validators,
    /// The request headers the choice of this representation depended on.
    pub vary: &'static str,
}

/// How the file server ended a `GET` or `HEAD` request, as data; the
/// response is made from it in one place, [`crate::outcome`].
#[derive(Debug)]
pub enum Ending<F> {
    /// A request path that is refused: 400.
    BadPath(PathError),
    /// Nothing to serve at this path: 404.
    NotFound,
    /// Something at this path that is never served (a special file, a
    /// symlink out of the root): 404, and this reason on stderr.
    NotServed(&'static str),
    /// The site's own 404 page, sent with status 404.
    NotFoundPage {
        /// The open page.
        file: F,
        /// Its `Content-Type`.
        content_type: String,
        /// Its size.
        len: u64,
    },
    /// The file may not be read: 403.
    Forbidden,
    /// A directory without its trailing slash: 301 to this origin-relative target.
    Redirect(String),
    /// A file: 200 whole, or 206 with `range` (first byte, length).
    File {
        /// The open file (the precompressed sibling when there is one).
        file: F,
        /// What is sent.
        rep: Representation,
        /// The byte range, for a 206.
        range: Option<(u64, u64)>,
    },
    /// A precondition says the client's copy is current: 304.
    NotModified(Representation),
    /// `If-Match` or `If-Unmodified-Since` failed: 412.
    PreconditionFailed,
    /// A `Range` that selects no byte of a representation this long: 416.
    RangeNotSatisfiable(u64),
    /// A directory listing: 200.
    Listing(Page),
    /// A configured site file that cannot be served: 500 naming its setting.
    Misconfigured(ConfigError),
    /// An unexpected failure: 500; the detail goes to stderr only.
    Failed(String),
}

impl<F> From<FsError> for Ending<F> {
    /// The one place a filesystem error becomes an ending.
    fn from(err: FsError) -> Self {
        match err {
            FsError::NotFound => Ending::NotFound,
            FsError::Outside => Ending::NotServed("a symlink that leads outside the site's root"),
            FsError::Forbidden => Ending::Forbidden,
            FsError::Failed(detail) => Ending::Failed(detail),
        }
    }
}

/// How a file was reached, which decides its `Vary`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reached {
    /// By its own path: the representation varies by `Accept-Encoding`.
    Path,
    /// As the fallback for a missing path: also by `Accept`.
    Fallback,
}

/// Steps 2 to 7 for a `GET` or `HEAD` request; `json` asks for listings in
/// JSON.
pub async fn serve<Fs: Files>(
    req: &Request,
    config: &Config,
    fs: &Fs,
    json: bool,
) -> Ending<Fs::File> {
    let (mount, site_path) = req.mount();
    if site_path.is_empty() && !mount.is_empty() {
        // The mount point itself, asked for without its slash (`/static`).
        return Ending::Redirect(redirect_target(req, &SitePath::default()));
    }
    let path = match SitePath::parse(site_path) {
        Ok(path) => path,
        Err(err) => return Ending::BadPath(err),
    };
    let pipeline = Pipeline {
        fs,
        req,
        config,
        json,
    };
    let ending = if path.is_hidden() && !config.allow_hidden {
        Ending::NotFound
    } else {
        pipeline.resolve(&path).await
    };
    match ending {
        Ending::NotFound => pipeline.not_found(&path).await,
        // A configured 404 or fallback page answers for a special file too,
        // and then no line is written; the built-in 404 keeps the reason.
        Ending::NotServed(why) => match pipeline.not_found(&path).await {
            Ending::NotFound => Ending::NotServed(why),
            answered => answered,
        },
        ending => ending,
    }
}

/// What every step of one request shares: the site, the request, the
/// configuration, and whether the client wants JSON.
struct Pipeline<'a, Fs> {
    fs: &'a Fs,
    req: &'a Request,
    config: &'a Config,
    json: bool,
}

impl<Fs: Files> Pipeline<'_, Fs> {
    /// Step 3: what `path` names inside the root.
    async fn resolve(&self, path: &SitePath) -> Ending<Fs::File> {
        let meta = match self.fs.stat(path.segments()).await {
            Ok(meta) => meta,
            Err(err) => return Ending::from(err),
        };
        match meta.kind {
            Kind::File if path.is_dir_form() => Ending::NotFound,
            Kind::File => self.file(path, meta, Reached::Path).await,
            Kind::Dir if !path.is_dir_form() => Ending::Redirect(redirect_target(self.req, path)),
            Kind::Dir => self.directory(path).await,
            Kind::Other => {
                Ending::NotServed("not a regular file or directory (FIFO, socket or device)")
            }
        }
    }

    /// A directory asked for with its slash: the first index file that is a
    /// regular file, else the listing when listings are on, else 404.
    async fn directory(&self, dir: &SitePath) -> Ending<Fs::File> {
        for name in &self.config.index {
            let candidate = dir.child(name);
            match self.fs.stat(candidate.segments()).await {
                Ok(meta) if meta.kind == Kind::File => {
                    return self.file(&candidate, meta, Reached::Path).await;
                }
                Ok(_) | Err(FsError::NotFound | FsError::Outside) => continue,
                Err(err) => return Ending::from(err),
            }
        }
        if !self.config.listing {
            return Ending::NotFound;
        }
        match self.fs.read_dir(dir.segments()).await {
            Ok(entries) => Ending::Listing(listing::render(
                self.req.mount_prefix(),
                self.req.site_path(),
                dir,
                entries,
                self.config.allow_hidden,
                self.json,
            )),
            Err(err) => Ending::from(err),
        }
    }

    /// Steps 4 to 7 for a regular file at `path` with metadata `meta`.
    async fn file(&self, path: &SitePath, meta: Meta, reached: Reached) -> Ending<Fs::File> {
        let req = self.req;
        let mut negotiate = true;
        loop {
            // 4. Encoding.
            let (sent, encoding, sent_meta) = if negotiate {
                self.choose_encoding(path, meta).await
            } else {
                (path.clone(), None, meta)
            };
            // 5. Validators.
            let rep = Representation {
                content_type: content_type::for_name(path.file_name().unwrap_or("")),
                encoding,
                len: sent_meta.len,
                validators: Validators {
                    etag: sent_meta
                        .modified
                        .map(|modified| EntityTag::for_file(sent_meta.len, modified, encoding)),
                    last_modified: sent_meta.modified,
                },
                vary: match reached {
                    Reached::Path => "Accept-Encoding",
                    Reached::Fallback => "Accept, Accept-Encoding",
                },
            };
            // 6. Preconditions.
            match conditional::evaluate(req, &rep.validators) {
                Precondition::Proceed => {}
                Precondition::NotModified => return Ending::NotModified(rep),
                Precondition::Failed => return Ending::PreconditionFailed,
            }
            // 7. Range: only for GET (RFC 9110 §14.2), and only if If-Range allows.
            let range = match req.single_header("range").map(std::str::from_utf8) {
                Some(Ok(value))
                    if req.method == "GET"
                        && conditional::if_range_allows(req, &rep.validators) =>
                {
                    RangeRequest::parse(value, rep.len)
                }
                _ => RangeRequest::Full,
            };
            let range = match range {
                RangeRequest::Full => None,
                RangeRequest::Partial { start, len } => Some((start, len)),
                RangeRequest::Unsatisfiable => return Ending::RangeNotSatisfiable(rep.len),
            };
            match self.fs.open(sent.segments()).await {
                Ok(file) => return Ending::File { file, rep, range },
                // A sibling that cannot be opened (unreadable, or gone since its
                // stat) is no reason to fail: start again with the file itself.
                Err(_) if encoding.is_some() => negotiate = false,
                Err(err) => return Ending::from(err),
            }
        }
    }

    /// The representation to send: the first precompressed sibling the client
    /// prefers that exists as a regular file, else the file itself.
    async fn choose_encoding(
        &self,
        path: &SitePath,
        meta: Meta,
    ) -> (SitePath, Option<Encoding>, Meta) {
        let accept = self.req.header_list("accept-encoding");
        for encoding in encoding::preferred(accept.as_deref()) {
            let sibling = path.with_suffix(encoding.suffix());
            if let Ok(sibling_meta) = self.fs.stat(sibling.segments()).await
                && sibling_meta.kind == Kind::File
            {
                return (sibling, Some(encoding), sibling_meta);
            }
        }
        (path.clone(), None, meta)
    }

    /// A path with nothing to serve: the fallback page (for a client that
    /// asked for a page), else the site's 404 page (unless the client wants
    /// JSON), else the built-in 404.
    async fn not_found(&self, path: &SitePath) -> Ending<Fs::File> {
        if let Some(fallback) = &self.config.fallback
            && asks_for_a_page(self.req, path)
        {
            return match self.site_file(SiteFile::Fallback, fallback).await {
                Ok(meta) => self.file(fallback, meta, Reached::Fallback).await,
                Err(ending) => *ending,
            };
        }
        // The site's own 404 page goes to a client that did not ask for
        // JSON by `Accept` (as the fallback page goes by `Accept` alone): a
        // `?format=json` in a link is the site's business, not a request
        // for docroot's JSON error.
        if let Some(page) = &self.config.not_found
            && !negotiate::prefers_json(self.req.header_list("accept").as_deref())
        {
            let meta = match self.site_file(SiteFile::NotFound, page).await {
                Ok(meta) => meta,
                Err(ending) => return *ending,
            };
            return match self.fs.open(page.segments()).await {
                Ok(file) => Ending::NotFoundPage {
                    file,
                    content_type: content_type::for_name(page.file_name().unwrap_or("")),
                    len: meta.len,
                },
                Err(err) => Ending::from(err),
            };
        }
        Ending::NotFound
    }

    /// The metadata of a configured site file, or the 500 that names its setting.
    async fn site_file(
        &self,
        which: SiteFile,
        path: &SitePath,
    ) -> Result<Meta, Box<Ending<Fs::File>>> {
        let problem = match self.fs.stat(path.segments()).await {
            Ok(meta) if meta.kind == Kind::File => return Ok(meta),
            Ok(meta) if meta.kind == Kind::Dir => "is a directory, not a file",
            Ok(_) => "is not a regular file",
            Err(FsError::NotFound) => "does not exist in the site",
            Err(FsError::Outside) => "leads outside the site's root",
            Err(FsError::Forbidden) => "cannot be read",
            Err(FsError::Failed(detail)) => return Err(Box::new(Ending::Failed(detail))),
        };
        Err(Box::new(Ending::Misconfigured(ConfigError::site_file(
            which, path, problem,
        ))))
    }
}

/// Whether a missing path is a page a single-page app would route: its name
/// has no extension or an HTML one (never `.js`, `.css`, images…), and the
/// client accepts HTML.
fn asks_for_a_page(req: &Request, path: &SitePath) -> bool {
    let name = path.file_name().unwrap_or("");
    let page_name = match name.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => {
            content_type::for_name(name).starts_with("text/html")
        }
        _ => true,
    };
    page_name && negotiate::accepts_html(req.header_list("accept").as_deref())
}

/// `Location` for a directory asked for without its slash: the mount
/// point, the normalised path (never `//host`), a `/`, and the query as
/// received (control bytes escaped so it stays a valid header value).
fn redirect_target(req: &Request, path: &SitePath) -> String {
    let mut location = req.mount_prefix().to_owned();
    location.push_str(&path.as_dir().to_url_path());
    if let Some(query) = req.query() {
        location.push('?');
        location.extend(utf8_percent_encode(query, QUERY));
    }
    location
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{MemFiles, Op};

    fn site() -> MemFiles {
        MemFiles::new()
            .file("index.html", b"<h1>home</h1>")
            .file("app.js", b"console.log(1)")
            .file("app.js.br", b"br")
            .file("docs/readme.md", b"# readme")
            .special("fifo")
            .outside("link-out.txt")
    }

    fn get(
        fs: &MemFiles,
        config: &Config,
        target: &str,
        headers: &[(&str, &str)],
    ) -> Ending<Vec<u8>> {
        let req = Request {
            method: "GET".into(),
            path_with_query: target.into(),
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), v.as_bytes().to_vec()))
                .collect(),
            ..Request::default()
        };
        crate::ready::run(serve(&req, config, fs, false))
    }

    #[test]
    fn each_step_ends_in_its_own_ending() {
        let fs = site();
        let c = Config::default();
        match get(&fs, &c, "/", &[]) {
            Ending::File { file, rep, range } => {
                assert_eq!(file, b"<h1>home</h1>");
                assert_eq!(rep.content_type, "text/html; charset=utf-8");
                assert_eq!(range, None);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(get(&fs, &c, "/docs?a", &[]), Ending::Redirect(l) if l == "/docs/?a"));
        assert!(matches!(get(&fs, &c, "/docs/", &[]), Ending::NotFound));
        assert!(matches!(
            get(&fs, &c, "/%2e%2e/x", &[]),
            Ending::BadPath(PathError::DotDot)
        ));
        assert!(
            matches!(get(&fs, &c, "/fifo", &[]), Ending::NotServed(why) if why.contains("FIFO"))
        );
        assert!(
            matches!(get(&fs, &c, "/link-out.txt", &[]), Ending::NotServed(why) if why.contains("outside"))
        );
        assert!(matches!(
            get(&fs, &c, "/app.js", &[("range", "bytes=99-")]),
            Ending::RangeNotSatisfiable(14)
        ));
    }

    /// Regression: the `.br` twin's stat succeeded, its open failed, and the
    /// whole URL answered 403 although `app.js` itself is readable.
    #[test]
    fn a_sibling_that_cannot_be_opened_falls_back_to_the_file_itself() {
        let fs = site().fail(Op::Open, "app.js.br", FsError::Forbidden);
        match get(
            &fs,
            &Config::default(),
            "/app.js",
            &[("accept-encoding", "br")],
        ) {
            Ending::File { file, rep, .. } => {
                assert_eq!(file, b"console.log(1)");
                assert_eq!(rep.encoding, None);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn filesystem_faults_become_403_or_500() {
        let fs = site()
            .fail(Op::Open, "index.html", FsError::Forbidden)
            .fail(Op::Stat, "app.js", FsError::Failed("EIO".into()));
        let c = Config::default();
        assert!(matches!(get(&fs, &c, "/", &[]), Ending::Forbidden));
        assert!(matches!(get(&fs, &c, "/app.js", &[]), Ending::Failed(d) if d == "EIO"));
        let listing = Config {
            listing: true,
            ..Config::default()
        };
        let fs = site().fail(Op::ReadDir, "docs", FsError::Forbidden);
        assert!(matches!(
            get(&fs, &listing, "/docs/", &[]),
            Ending::Forbidden
        ));
    }

    #[test]
    fn a_configured_page_that_cannot_be_served_names_its_setting() {
        let fs = site();
        for (which, config) in [
            (
                SiteFile::Fallback,
                Config {
                    fallback: Some(SitePath::parse("/docs").unwrap()),
                    ..Config::default()
                },
            ),
            (
                SiteFile::NotFound,
                Config {
                    not_found: Some(SitePath::parse("/link-out.txt").unwrap()),
                    ..Config::default()
                },
            ),
        ] {
            match get(&fs, &config, "/missing", &[]) {
                Ending::Misconfigured(err) => assert_eq!(err.variable, which.variable()),
                other => panic!("{which:?}: {other:?}"),
            }
        }
    }
}
