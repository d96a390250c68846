//! The file server. The pipeline, each step an early return:
//!
//! 1. **Method**: `GET`/`HEAD` serve; `OPTIONS` and the rest are answered
//!    in [`crate::app`], which shares the step with the info page.
//! 2. **Path**: [`path::SitePath::parse`] decodes and validates, or 400;
//!    dotfiles are 404 unless `DOCROOT_HIDDEN=allow`.
//! 3. **Resolve** inside the root ([`resolve`]): a directory without its
//!    slash is a 301, a directory is its index file, else its listing when
//!    listings are on, else 404; a file is itself; whatever the sandbox
//!    refuses is 404. A 404 becomes the `DOCROOT_FALLBACK` page for clients
//!    that asked for a page, or the `DOCROOT_NOT_FOUND` page.
//! 4. **Encoding** ([`encoding`]): a precompressed sibling (`name.br`,
//!    `name.gz`) the client accepts, else the file itself. It is chosen
//!    before the validators because they belong to the representation sent.
//! 5. **Validators** ([`conditional`]): `Last-Modified` and a strong `ETag`
//!    from the size and time of the chosen representation.
//! 6. **Preconditions** ([`conditional::evaluate`], RFC 9110 §13.2.2 order):
//!    412 or 304.
//! 7. **Range** ([`range`]): one byte range of a `GET` is a 206, an
//!    unsatisfiable one 416, a stale `If-Range` the full 200.
//! 8. **Reply**: [`crate::outcome::respond`] turns the [`Outcome`] into
//!    headers and a streamed body. The file is only opened here, when a
//!    body will be sent.

#![forbid(unsafe_code)]

pub mod conditional;
pub mod content_type;
pub mod encoding;
pub mod listing;
pub mod path;
pub mod range;

use crate::config::{Config, ConfigError};
use crate::fs::{Files, FsError, Kind, Meta};
use crate::http::Request;
use crate::negotiate;
use crate::outcome::Outcome;
use conditional::{EntityTag, Precondition, Validators};
use encoding::Encoding;
use path::SitePath;
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

/// How a file was reached, which decides its `Vary`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reached {
    /// By its own path: the representation varies by `Accept-Encoding`.
    Path,
    /// As the fallback for a missing path: also by `Accept`.
    Fallback,
}

/// Steps 2 to 7 for a `GET` or `HEAD` request; `json` asks for listings and
/// error pages in JSON.
pub fn serve<Fs: Files>(req: &Request, config: &Config, fs: &Fs, json: bool) -> Outcome<Fs::File> {
    let (mount, site_path) = req.mount();
    if site_path.is_empty() && !mount.is_empty() {
        // The mount point itself, asked for without its slash (`/static`).
        return Outcome::Redirect(redirect_target(req, &SitePath::default()));
    }
    let path = match SitePath::parse(site_path) {
        Ok(path) => path,
        Err(err) => return Outcome::BadPath(err),
    };
    let outcome = if path.is_hidden() && !config.allow_hidden {
        Outcome::NotFound
    } else {
        resolve(fs, req, config, &path, json)
    };
    match outcome {
        Outcome::NotFound => not_found(fs, req, config, &path, json),
        // A configured 404 or fallback page answers for a special file too,
        // and then no line is written; the built-in 404 keeps the reason.
        Outcome::NotServed(why) => match not_found(fs, req, config, &path, json) {
            Outcome::NotFound => Outcome::NotServed(why),
            answered => answered,
        },
        outcome => outcome,
    }
}

/// Step 3: what `path` names inside the root.
fn resolve<Fs: Files>(
    fs: &Fs,
    req: &Request,
    config: &Config,
    path: &SitePath,
    json: bool,
) -> Outcome<Fs::File> {
    let meta = match fs.stat(path.segments()) {
        Ok(meta) => meta,
        Err(err) => return Outcome::from(err),
    };
    match meta.kind {
        Kind::File if path.is_dir_form() => Outcome::NotFound,
        Kind::File => file(fs, req, path, meta, Reached::Path),
        Kind::Dir if !path.is_dir_form() => Outcome::Redirect(redirect_target(req, path)),
        Kind::Dir => directory(fs, req, config, path, json),
        Kind::Other => {
            Outcome::NotServed("not a regular file or directory (FIFO, socket or device)")
        }
    }
}

/// A directory asked for with its slash: the first index file that is a
/// regular file, else the listing when listings are on, else 404.
fn directory<Fs: Files>(
    fs: &Fs,
    req: &Request,
    config: &Config,
    dir: &SitePath,
    json: bool,
) -> Outcome<Fs::File> {
    for name in &config.index {
        let candidate = dir.child(name);
        match fs.stat(candidate.segments()) {
            Ok(meta) if meta.kind == Kind::File => {
                return file(fs, req, &candidate, meta, Reached::Path);
            }
            Ok(_) | Err(FsError::NotFound | FsError::Outside) => continue,
            Err(err) => return Outcome::from(err),
        }
    }
    if !config.listing {
        return Outcome::NotFound;
    }
    match fs.read_dir(dir.segments()) {
        Ok(entries) => Outcome::Listing(listing::render(
            req.mount_prefix(),
            dir,
            entries,
            config.allow_hidden,
            json,
        )),
        Err(err) => Outcome::from(err),
    }
}

/// Steps 4 to 7 for a regular file at `path` with metadata `meta`.
fn file<Fs: Files>(
    fs: &Fs,
    req: &Request,
    path: &SitePath,
    meta: Meta,
    reached: Reached,
) -> Outcome<Fs::File> {
    let mut negotiate = true;
    loop {
        // 4. Encoding.
        let (sent, encoding, sent_meta) = if negotiate {
            choose_encoding(fs, req, path, meta)
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
            Precondition::NotModified => return Outcome::NotModified(rep),
            Precondition::Failed => return Outcome::PreconditionFailed,
        }
        // 7. Range: only for GET (RFC 9110 §14.2), and only if If-Range allows.
        let range = match req.single_header("range").map(std::str::from_utf8) {
            Some(Ok(value))
                if req.method == "GET" && conditional::if_range_allows(req, &rep.validators) =>
            {
                RangeRequest::parse(value, rep.len)
            }
            _ => RangeRequest::Full,
        };
        let range = match range {
            RangeRequest::Full => None,
            RangeRequest::Partial { start, len } => Some((start, len)),
            RangeRequest::Unsatisfiable => return Outcome::RangeNotSatisfiable(rep.len),
        };
        match fs.open(sent.segments()) {
            Ok(file) => return Outcome::File { file, rep, range },
            // A sibling that cannot be opened (unreadable, or gone since its
            // stat) is no reason to fail: start again with the file itself.
            Err(_) if encoding.is_some() => negotiate = false,
            Err(err) => return Outcome::from(err),
        }
    }
}

/// The representation to send: the first precompressed sibling the client
/// prefers that exists as a regular file, else the file itself.
fn choose_encoding<Fs: Files>(
    fs: &Fs,
    req: &Request,
    path: &SitePath,
    meta: Meta,
) -> (SitePath, Option<Encoding>, Meta) {
    let accept = req.header_list("accept-encoding");
    for encoding in encoding::preferred(accept.as_deref()) {
        let sibling = path.with_suffix(encoding.suffix());
        if let Ok(sibling_meta) = fs.stat(sibling.segments())
            && sibling_meta.kind == Kind::File
        {
            return (sibling, Some(encoding), sibling_meta);
        }
    }
    (path.clone(), None, meta)
}

/// A path with nothing to serve: the fallback page (for a client that asked
/// for a page), else the site's 404 page (unless the client wants JSON),
/// else the built-in 404.
fn not_found<Fs: Files>(
    fs: &Fs,
    req: &Request,
    config: &Config,
    path: &SitePath,
    json: bool,
) -> Outcome<Fs::File> {
    if let Some(fallback) = &config.fallback
        && asks_for_a_page(req, path)
    {
        return match site_file(fs, fallback, "DOCROOT_FALLBACK") {
            Ok(meta) => file(fs, req, fallback, meta, Reached::Fallback),
            Err(outcome) => *outcome,
        };
    }
    if let Some(page) = &config.not_found
        && !json
    {
        let meta = match site_file(fs, page, "DOCROOT_NOT_FOUND") {
            Ok(meta) => meta,
            Err(outcome) => return *outcome,
        };
        return match fs.open(page.segments()) {
            Ok(file) => Outcome::NotFoundPage {
                file,
                content_type: content_type::for_name(page.file_name().unwrap_or("")),
                len: meta.len,
            },
            Err(err) => Outcome::from(err),
        };
    }
    Outcome::NotFound
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

/// The metadata of a configured site file, or the 500 that names its variable.
fn site_file<Fs: Files>(
    fs: &Fs,
    path: &SitePath,
    variable: &str,
) -> Result<Meta, Box<Outcome<Fs::File>>> {
    let problem = match fs.stat(path.segments()) {
        Ok(meta) if meta.kind == Kind::File => return Ok(meta),
        Ok(meta) if meta.kind == Kind::Dir => "is a directory, not a file",
        Ok(_) => "is not a regular file",
        Err(FsError::NotFound) => "does not exist in the site",
        Err(FsError::Outside) => "leads outside the site's root",
        Err(FsError::Forbidden) => "cannot be read",
        Err(FsError::Failed(detail)) => return Err(Box::new(Outcome::Failed(detail))),
    };
    Err(Box::new(Outcome::Misconfigured(ConfigError {
        variable: variable.to_owned(),
        problem: format!("{} {problem}.", path.to_url_path()),
    })))
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

impl<F> From<FsError> for Outcome<F> {
    fn from(err: FsError) -> Self {
        match err {
            FsError::NotFound => Outcome::NotFound,
            FsError::Outside => Outcome::NotServed("a symlink that leads outside the site's root"),
            FsError::Forbidden => Outcome::Forbidden,
            FsError::Failed(detail) => Outcome::Failed(detail),
        }
    }
}
