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
//!    A missing `name` whose `name.gz` exists is served as `name` from it.
//! 4. **Encoding** ([`encoding`], [`crate::codec`]): a precompressed file
//!    (`name.br`, `name.zst`, `name.gz`) the client accepts, else the file
//!    coded on the fly (brotli or gzip, when its type is compressible, it is
//!    long enough and `Cache-Control` does not say `no-transform`), else the
//!    file itself. A request with `Range` gets the file itself, whose bytes
//!    ranges count. It is chosen before the validators because they belong
//!    to the representation sent.
//! 5. **Validators** ([`conditional`]): `Last-Modified` and a strong `ETag`
//!    from the size and time of the file, and how it is coded.
//! 6. **Preconditions** ([`conditional::evaluate`], RFC 9110 §13.2.2 order):
//!    412 or 304.
//! 7. **Range** ([`range`]): one byte range of a `GET` is a 206, an
//!    unsatisfiable one 416, a stale `If-Range` the full 200.
//! 8. **Reply**: the pipeline ends in an [`Ending`], which
//!    [`crate::outcome`] turns into headers and a streamed body. The file is
//!    only opened, and only coded, when a body will be sent (or, for a
//!    `HEAD` of a file coded whole, measured).

#![forbid(unsafe_code)]

pub mod conditional;
pub mod content_type;
pub mod encoding;
pub mod listing;
pub mod range;

use crate::codec::{self, Made, Transform};
use crate::config::{Config, ConfigError, SiteFile};
use crate::fs::{Files, FsError, Kind, Meta};
use crate::http::HeaderName;
use crate::http::Request;
use crate::negotiate;
use crate::page::Page;
use crate::path::{PathError, SitePath};
use crate::rules::headers::Answer as SiteAnswer;
use crate::rules::redirects::{self, Action};
use crate::rules::{self, Rules};
use conditional::{EntityTag, Precondition, Validators, Variant};
use encoding::Encoding;
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use range::RangeRequest;
use std::borrow::Cow;
use std::rc::Rc;

/// Bytes escaped when a query is copied into `Location`: what a header value may not hold.
const QUERY: &AsciiSet = &CONTROLS.add(b' ');

/// What is sent for a file: one representation of it, and how to describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Representation {
    /// `Content-Type`, from the name asked for (not the `.br`/`.gz` sibling).
    pub content_type: String,
    /// `Content-Encoding`: a precompressed file's, or the coding docroot made.
    pub encoding: Option<Encoding>,
    /// Size in bytes of what is sent whole; `None` for a body transformed
    /// while it streams, whose size is not known before (no
    /// `Content-Length`).
    pub len: Option<u64>,
    /// `ETag` and `Last-Modified`.
    pub validators: Validators,
    /// The request headers the choice of this representation depended on.
    pub vary: &'static str,
    /// Whether a `Range` of the file is served (`Accept-Ranges: bytes`): not
    /// for a file that exists only as `name.gz`.
    pub ranges: bool,
    /// For a file found by its own path (not as a fallback or a 404 page):
    /// the file whose bytes (or coding) are sent, by which the file cache
    /// may keep the whole answer ([`crate::answers`]).
    pub bytes_of: Option<Vec<String>>,
}

/// Where the bytes of a file's answer come from.
#[derive(Debug, PartialEq, Eq)]
pub enum FileBody<F> {
    /// The file, or the precompressed file chosen, as it is.
    Open(F),
    /// The file coded whole (held by the file cache, or made for this answer).
    Coded(Rc<[u8]>),
    /// The file coded, or decoded, while it streams.
    Stream {
        /// The open file.
        file: F,
        /// How many of its bytes to read: its size when it was looked at.
        len: u64,
        /// What is done to them.
        transform: Transform,
    },
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
    /// The site's own 404 page, sent with status 404 (its representation
    /// has no validators: a 404 is not cached by them).
    NotFoundPage {
        /// Its bytes.
        body: FileBody<F>,
        /// What is sent.
        rep: Representation,
    },
    /// The file may not be read: 403.
    Forbidden,
    /// A redirect: a directory without its trailing slash (301), or a rule
    /// of the site's `_redirects`.
    Redirect {
        /// 301, 302, 303, 307 or 308.
        status: u16,
        /// `Location`: origin-relative on this site, or a rule's URL.
        location: String,
    },
    /// A file: 200 whole, or 206 with `range` (first byte, length).
    File {
        /// Its bytes.
        body: FileBody<F>,
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
    rules: &Rules,
) -> Ending<Fs::File> {
    let (mount, site_path) = req.mount();
    if site_path.is_empty() && !mount.is_empty() {
        // The mount point itself, asked for without its slash (`/static`).
        return Ending::Redirect {
            status: 301,
            location: redirect_target(req, &SitePath::default()),
        };
    }
    let path = match SitePath::parse(site_path) {
        Ok(path) => path,
        Err(err) => return Ending::BadPath(err),
    };
    let cache_control = effective_cache_control(config, rules, &path);
    let pipeline = Pipeline {
        fs,
        req,
        config,
        json,
        cache_control: cache_control.as_deref(),
    };
    // 2b. The site's rules: a rule matches only a path docroot would look
    // up; a forced one (`!`) applies before the lookup, the others where
    // nothing is found.
    let hidden = pipeline.never_served(&path);
    if !hidden
        && rules.may_force()
        && let Some(found) = rules.redirects().find(path.segments())
        && found.force
    {
        return pipeline.follow(&found, &path).await;
    }
    let ending = if hidden {
        Ending::NotFound
    } else {
        pipeline.resolve(&path).await
    };
    // Only now, for a path with nothing to serve, are the other rules
    // needed (and, for an instance's first such path, parsed).
    let rule = match &ending {
        Ending::NotFound | Ending::NotServed(_) if !hidden => {
            rules.redirects().find(path.segments())
        }
        _ => None,
    };
    match (ending, &rule) {
        (Ending::NotFound | Ending::NotServed(_), Some(found)) => {
            pipeline.follow(found, &path).await
        }
        (Ending::NotFound, None) => pipeline.not_found(&path).await,
        // A configured 404 or fallback page answers for a special file too,
        // and then no line is written; the built-in 404 keeps the reason.
        (Ending::NotServed(why), None) => match pipeline.not_found(&path).await {
            Ending::NotFound => Ending::NotServed(why),
            answered => answered,
        },
        (ending, _) => ending,
    }
}

/// The `Cache-Control` an answer for `path` gets: the operator's, unless
/// the site's `_headers` set or remove it there. (Its `no-transform` turns
/// coding off.)
pub fn effective_cache_control<'a>(
    config: &'a Config,
    rules: &Rules,
    path: &SitePath,
) -> Option<Cow<'a, str>> {
    if !rules.headers.touches("cache-control") {
        return config.cache_control.as_deref().map(Cow::Borrowed);
    }
    let mut headers: Vec<(HeaderName, String)> = config
        .cache_control
        .iter()
        .map(|v| (HeaderName::Borrowed("cache-control"), v.clone()))
        .collect();
    rules
        .headers
        .apply(path.segments(), &mut headers, SiteAnswer::Whole);
    headers
        .into_iter()
        .find(|(n, _)| n == "cache-control")
        .map(|(_, v)| Cow::Owned(v))
}

/// What every step of one request shares: the site, the request, the
/// configuration, and whether the client wants JSON.
struct Pipeline<'a, Fs> {
    fs: &'a Fs,
    req: &'a Request,
    config: &'a Config,
    json: bool,
    /// The `Cache-Control` the answer will carry, the site's rules applied.
    cache_control: Option<&'a str>,
}

/// What a path is served from as a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Found {
    /// The file itself, with its metadata.
    File(Meta),
    /// Only `name.gz` exists (nginx's `gzip_static` case), with its metadata.
    OnlyGzip(Meta),
}

/// How a file's answer is made (step 4).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    /// The file as it is.
    Identity,
    /// A site's precompressed file, with its metadata: `name.br`, … beside
    /// the file, or the `name.gz` of a missing `name`.
    Precompressed(SitePath, Encoding, Meta),
    /// The file coded by docroot: whole, or while it streams.
    Made {
        /// The coding and level.
        made: Made,
        /// Coded whole (its length known) rather than while it streams.
        whole: bool,
    },
    /// The `name.gz` of a missing `name`, decoded while it streams.
    Gunzip(SitePath, Meta),
}

impl Source {
    /// The `Content-Encoding` this answer carries.
    fn encoding(&self) -> Option<Encoding> {
        match self {
            Source::Identity | Source::Gunzip(..) => None,
            Source::Precompressed(_, encoding, _) => Some(*encoding),
            Source::Made { made, .. } => Some(made.encoding),
        }
    }
}

impl<Fs: Files> Pipeline<'_, Fs> {
    /// Whether `path` is never served: a dotfile (unless allowed), or one
    /// of the site's rule files.
    fn never_served(&self, path: &SitePath) -> bool {
        (path.is_hidden() && !self.config.allow_hidden) || rules::is_rule_file(path)
    }

    /// Applies a `_redirects` rule matched by `path`: a redirect; a rewrite,
    /// which serves its destination as a request for it would be served
    /// (the same checks, and once: no rule is matched again); or the
    /// destination sent with status 404. A destination with nothing to
    /// serve answers as `path` itself would have: the site's 404 page, the
    /// fallback, or docroot's 404.
    async fn follow(&self, found: &redirects::Found, path: &SitePath) -> Ending<Fs::File> {
        let destination = || {
            let site = found.site_path()?;
            SitePath::parse(&site)
                .ok()
                .filter(|dest| !self.never_served(dest))
        };
        match found.action {
            Action::Redirect(status) => Ending::Redirect {
                status,
                location: found.location(self.req.mount_prefix(), self.req.query()),
            },
            Action::Rewrite => match destination() {
                Some(dest) => match self.resolve(&dest).await {
                    Ending::NotFound | Ending::NotServed(_) => self.not_found(path).await,
                    ending => ending,
                },
                None => self.not_found(path).await,
            },
            Action::NotFound => {
                let Some(dest) = destination() else {
                    return self.not_found(path).await;
                };
                match self.fs.stat(dest.segments()).await {
                    Ok(meta) if meta.kind == Kind::File && !dest.is_dir_form() => {
                        self.not_found_page(&dest, meta).await
                    }
                    _ => self.not_found(path).await,
                }
            }
        }
    }

    /// Step 3: what `path` names inside the root.
    async fn resolve(&self, path: &SitePath) -> Ending<Fs::File> {
        let meta = match self.fs.stat(path.segments()).await {
            Ok(meta) => meta,
            Err(FsError::NotFound) => {
                return match self.only_gzip(path).await {
                    Some(gz) => self.file(path, Found::OnlyGzip(gz), Reached::Path).await,
                    None => Ending::NotFound,
                };
            }
            Err(err) => return Ending::from(err),
        };
        match meta.kind {
            Kind::File if path.is_dir_form() => Ending::NotFound,
            Kind::File => self.file(path, Found::File(meta), Reached::Path).await,
            Kind::Dir if !path.is_dir_form() => Ending::Redirect {
                status: 301,
                location: redirect_target(self.req, path),
            },
            Kind::Dir => self.directory(path).await,
            Kind::Other => {
                Ending::NotServed("not a regular file or directory (FIFO, socket or device)")
            }
        }
    }

    /// The metadata of `name.gz`, for a file path `name` that names
    /// nothing, when that is a regular file.
    async fn only_gzip(&self, path: &SitePath) -> Option<Meta> {
        if path.is_dir_form() || path.file_name().is_none() {
            return None;
        }
        match self
            .fs
            .stat(path.with_suffix(Encoding::Gzip.suffix()).segments())
            .await
        {
            Ok(meta) if meta.kind == Kind::File => Some(meta),
            _ => None,
        }
    }

    /// A directory asked for with its slash: the first index file that is a
    /// regular file (or exists only as `name.gz`), else the listing when
    /// listings are on, else 404.
    async fn directory(&self, dir: &SitePath) -> Ending<Fs::File> {
        for name in &self.config.index {
            let candidate = dir.child(name);
            match self.fs.stat(candidate.segments()).await {
                Ok(meta) if meta.kind == Kind::File => {
                    return self
                        .file(&candidate, Found::File(meta), Reached::Path)
                        .await;
                }
                Err(FsError::NotFound) => {
                    if let Some(gz) = self.only_gzip(&candidate).await {
                        return self
                            .file(&candidate, Found::OnlyGzip(gz), Reached::Path)
                            .await;
                    }
                }
                Ok(_) | Err(FsError::Outside) => continue,
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

    /// Steps 4 to 7 for the file at `path`, found as `found`.
    async fn file(&self, path: &SitePath, found: Found, reached: Reached) -> Ending<Fs::File> {
        let req = self.req;
        let content_type = content_type::for_name(path.file_name().unwrap_or(""));
        let mut negotiate = true;
        loop {
            // 4. Encoding. Without negotiation (a precompressed file or a
            // coding that failed), the file as it is.
            let source = match found {
                Found::File(_) if !negotiate => Source::Identity,
                _ => self.choose(path, found, &content_type).await,
            };
            // 5. Validators, of the file the answer is made from.
            let (of, variant) = match (&source, found) {
                (Source::Identity, Found::File(meta)) => (meta, Variant::Identity),
                (Source::Made { made, .. }, Found::File(meta)) => (meta, Variant::Made(*made)),
                (Source::Precompressed(_, encoding, meta), _) => {
                    (*meta, Variant::Sibling(*encoding))
                }
                (Source::Gunzip(_, meta), _) => (*meta, Variant::Gunzip),
                // `choose` makes neither for a file that exists only as `.gz`.
                (Source::Identity | Source::Made { .. }, Found::OnlyGzip(meta)) => {
                    (meta, Variant::Gunzip)
                }
            };
            let mut rep = Representation {
                content_type: content_type.clone(),
                encoding: source.encoding(),
                len: match source {
                    Source::Made { whole: false, .. } | Source::Gunzip(..) => None,
                    _ => Some(of.len),
                },
                validators: Validators {
                    etag: of
                        .modified
                        .map(|modified| EntityTag::for_file(of.len, modified, variant)),
                    last_modified: of.modified,
                },
                vary: match reached {
                    Reached::Path => "Accept-Encoding",
                    Reached::Fallback => "Accept, Accept-Encoding",
                },
                ranges: matches!(found, Found::File(_)),
                bytes_of: (reached == Reached::Path).then(|| match &source {
                    Source::Precompressed(file, ..) | Source::Gunzip(file, _) => {
                        file.segments().to_vec()
                    }
                    Source::Identity | Source::Made { .. } => path.segments().to_vec(),
                }),
            };
            // 6. Preconditions.
            match conditional::evaluate(req, &rep.validators) {
                Precondition::Proceed => {}
                Precondition::NotModified => return Ending::NotModified(rep),
                Precondition::Failed => return Ending::PreconditionFailed,
            }
            // 7. Range: of the file itself (a request with `Range` gets it),
            // only for GET (RFC 9110 §14.2), and only if If-Range allows.
            let range = match req.single_header("range").map(std::str::from_utf8) {
                Some(Ok(value))
                    if source == Source::Identity
                        && req.method == "GET"
                        && conditional::if_range_allows(req, &rep.validators) =>
                {
                    RangeRequest::parse(value, of.len)
                }
                _ => RangeRequest::Full,
            };
            let range = match range {
                RangeRequest::Full => None,
                RangeRequest::Partial { start, len } => Some((start, len)),
                RangeRequest::Unsatisfiable => return Ending::RangeNotSatisfiable(of.len),
            };
            let opened = match &source {
                Source::Precompressed(file, ..) | Source::Gunzip(file, _) => {
                    self.fs.open(file.segments()).await
                }
                Source::Identity | Source::Made { .. } => self.fs.open(path.segments()).await,
            };
            let file = match opened {
                Ok(file) => file,
                // A precompressed file that cannot be opened (unreadable, or
                // gone since its stat) is no reason to fail: start again
                // with the file itself.
                Err(_) if matches!(found, Found::File(_)) && source != Source::Identity => {
                    negotiate = false;
                    continue;
                }
                Err(err) => return Ending::from(err),
            };
            let body = match source {
                Source::Identity | Source::Precompressed(..) => FileBody::Open(file),
                Source::Gunzip(..) => FileBody::Stream {
                    file,
                    len: of.len,
                    transform: Transform::Gunzip,
                },
                Source::Made { made, whole: true } => match self.coded(path, &file, of, made).await
                {
                    Some(coded) => {
                        rep.len = Some(coded.len() as u64);
                        FileBody::Coded(coded)
                    }
                    // Changed since its stat, or the coder failed.
                    None => {
                        negotiate = false;
                        continue;
                    }
                },
                Source::Made { made, whole: false } => match made.streaming() {
                    Some(transform) => FileBody::Stream {
                        file,
                        len: of.len,
                        transform,
                    },
                    None => {
                        negotiate = false;
                        continue;
                    }
                },
            };
            return Ending::File { body, rep, range };
        }
    }

    /// Step 4, how the answer for the file at `path` is made: for a file
    /// that exists only as `name.gz`, that file (to a client that takes
    /// gzip) or it decoded; else the first precompressed file the client
    /// prefers that is a regular file, else a coding made on the fly, else
    /// the file itself. A request with `Range` gets the file itself, since
    /// ranges count its bytes.
    async fn choose(&self, path: &SitePath, found: Found, content_type: &str) -> Source {
        let accept = self.req.header_list("accept-encoding");
        let accept = accept.as_deref();
        let meta = match found {
            Found::OnlyGzip(gz) => {
                let file = path.with_suffix(Encoding::Gzip.suffix());
                return if encoding::preferred(accept, &[Encoding::Gzip]).is_empty() {
                    Source::Gunzip(file, gz)
                } else {
                    Source::Precompressed(file, Encoding::Gzip, gz)
                };
            }
            Found::File(meta) => meta,
        };
        if self.req.header("range").is_some() {
            return Source::Identity;
        }
        for encoding in encoding::preferred(accept, &Encoding::ALL) {
            let sibling = path.with_suffix(encoding.suffix());
            if let Ok(sibling_meta) = self.fs.stat(sibling.segments()).await
                && sibling_meta.kind == Kind::File
            {
                return Source::Precompressed(sibling, encoding, sibling_meta);
            }
        }
        match self.on_the_fly(content_type, meta.len, accept) {
            Some((made, whole)) => Source::Made { made, whole },
            None => Source::Identity,
        }
    }

    /// The coding to make of an answer of `len` bytes of `content_type`,
    /// and whether it is made whole: the configured coding the client
    /// prefers, if the type is compressible, the answer long enough, and
    /// `Cache-Control` allows transforming it. Only gzip is made while
    /// streaming ([`Transform`]).
    fn on_the_fly(
        &self,
        content_type: &str,
        len: u64,
        accept: Option<&str>,
    ) -> Option<(Made, bool)> {
        if len < codec::MIN_LEN
            || !content_type::is_compressible(content_type)
            || no_transform(self.cache_control)
        {
            return None;
        }
        let whole = len <= codec::WHOLE_MAX;
        let offered: Vec<Encoding> = (self.config.compression.iter().copied())
            .filter(|&e| whole || e == Encoding::Gzip)
            .collect();
        let coding = *encoding::preferred(accept, &offered).first()?;
        Some((self.fs.effort().made(coding), whole))
    }

    /// The file at `path`, open as `file` and `meta` by its stat, coded
    /// whole as `made`: as the site holds it, or made now and offered to
    /// it. `None` when the file changed since its stat or the coder failed.
    async fn coded(
        &self,
        path: &SitePath,
        file: &Fs::File,
        meta: Meta,
        made: Made,
    ) -> Option<Rc<[u8]>> {
        if let Some(coded) = self.fs.held_coding(path.segments(), made) {
            return Some(coded);
        }
        let bytes = self.fs.read_whole(file, meta.len).await.ok()?;
        if bytes.len() as u64 != meta.len {
            return None;
        }
        let coded: Rc<[u8]> = codec::encode(&bytes, made)?.into();
        self.fs.hold_coding(path.segments(), made, &coded);
        Some(coded)
    }

    /// A path with nothing to serve: the fallback page (for a client that
    /// asked for a page), else the site's 404 page (unless the client wants
    /// JSON), else the built-in 404.
    async fn not_found(&self, path: &SitePath) -> Ending<Fs::File> {
        if let Some(fallback) = &self.config.fallback
            && asks_for_a_page(self.req, path)
        {
            return match self.site_file(SiteFile::Fallback, fallback).await {
                Ok(meta) => {
                    self.file(fallback, Found::File(meta), Reached::Fallback)
                        .await
                }
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
            return self.not_found_page(page, meta).await;
        }
        Ending::NotFound
    }

    /// The site's 404 page at `page`, coded on the fly as a file is; it has
    /// no validators, and `Vary` says it also depends on `Accept`.
    async fn not_found_page(&self, page: &SitePath, meta: Meta) -> Ending<Fs::File> {
        let content_type = content_type::for_name(page.file_name().unwrap_or(""));
        let accept = self.req.header_list("accept-encoding");
        let made = self.on_the_fly(&content_type, meta.len, accept.as_deref());
        let file = match self.fs.open(page.segments()).await {
            Ok(file) => file,
            Err(err) => return Ending::from(err),
        };
        let (body, encoding, len) = match made {
            Some((made, true)) => match self.coded(page, &file, meta, made).await {
                Some(coded) => {
                    let len = coded.len() as u64;
                    (FileBody::Coded(coded), Some(made.encoding), Some(len))
                }
                None => (FileBody::Open(file), None, Some(meta.len)),
            },
            Some((made, false)) => match made.streaming() {
                Some(transform) => {
                    let body = FileBody::Stream {
                        file,
                        len: meta.len,
                        transform,
                    };
                    (body, Some(made.encoding), None)
                }
                None => (FileBody::Open(file), None, Some(meta.len)),
            },
            None => (FileBody::Open(file), None, Some(meta.len)),
        };
        Ending::NotFoundPage {
            body,
            rep: Representation {
                content_type,
                encoding,
                len,
                validators: Validators {
                    etag: None,
                    last_modified: None,
                },
                vary: if self.config.compression.is_empty() {
                    "Accept"
                } else {
                    "Accept, Accept-Encoding"
                },
                ranges: false,
                bytes_of: None,
            },
        }
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

/// Whether a `Cache-Control` value has `no-transform` (RFC 9111 §5.2.2.6):
/// then nothing is coded on the fly.
pub fn no_transform(cache_control: Option<&str>) -> bool {
    cache_control.is_some_and(|value| {
        value
            .split(',')
            .any(|directive| directive.trim().eq_ignore_ascii_case("no-transform"))
    })
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
        crate::ready::run(serve(&req, config, fs, false, &Rules::default()))
    }

    #[test]
    fn each_step_ends_in_its_own_ending() {
        let fs = site();
        let c = Config::default();
        match get(&fs, &c, "/", &[]) {
            Ending::File {
                body: FileBody::Open(file),
                rep,
                range,
            } => {
                assert_eq!(file, b"<h1>home</h1>");
                assert_eq!(rep.content_type, "text/html; charset=utf-8");
                assert_eq!(range, None);
            }
            other => panic!("{other:?}"),
        }
        assert!(
            matches!(get(&fs, &c, "/docs?a", &[]), Ending::Redirect { status: 301, location } if location == "/docs/?a")
        );
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
            Ending::File {
                body: FileBody::Open(file),
                rep,
                ..
            } => {
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
