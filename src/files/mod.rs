//! The file server. The pipeline, each step an early return:
//!
//! 1. **Method**: `GET`/`HEAD` serve, `OPTIONS` and the rest are answered
//!    in [`crate::app`], which shares the step with the info page.
//! 2. **Path**: [`path::SitePath::parse`] decodes and validates, or 400;
//!    dotfiles are 404 unless `DOCROOT_HIDDEN=allow`.
//! 3. **Resolve** inside the root ([`resolve`]): a directory without its
//!    slash is a 301, a directory is its index file, else its listing when
//!    listings are on, else 404; a file is itself; whatever the sandbox
//!    refuses is 404.
//! 4. **Reply**: [`crate::outcome::respond`] turns the [`Outcome`] into headers
//!    and a streamed body.

pub mod content_type;
pub mod listing;
pub mod path;

use crate::config::Config;
use crate::fs::{Files, FsError, Kind, Meta};
use crate::http::Request;
use crate::outcome::Outcome;
use path::SitePath;
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

/// Bytes escaped when a query is copied into `Location`: what a header value may not hold.
const QUERY: &AsciiSet = &CONTROLS.add(b' ');

/// Steps 2 and 3 for a `GET` or `HEAD` request; `json` asks for listings in JSON.
pub fn serve<Fs: Files>(req: &Request, config: &Config, fs: &Fs, json: bool) -> Outcome<Fs::File> {
    let path = match SitePath::parse(req.path()) {
        Ok(path) => path,
        Err(err) => return Outcome::BadPath(err),
    };
    if path.is_hidden() && !config.allow_hidden {
        return Outcome::NotFound;
    }
    resolve(fs, &path, req.query(), config, json)
}

/// Step 3: what `path` names inside the root.
fn resolve<Fs: Files>(
    fs: &Fs,
    path: &SitePath,
    query: Option<&str>,
    config: &Config,
    json: bool,
) -> Outcome<Fs::File> {
    let meta = match fs.stat(path.segments()) {
        Ok(meta) => meta,
        Err(err) => return Outcome::from(err),
    };
    match meta.kind {
        Kind::File if path.is_dir_form() => Outcome::NotFound,
        Kind::File => open(fs, path, meta),
        Kind::Dir if !path.is_dir_form() => Outcome::Redirect(redirect_target(path, query)),
        Kind::Dir => index(fs, path, config, json),
        Kind::Other => Outcome::NotFound,
    }
}

/// A directory asked for with its slash: the first index file that is a
/// regular file, else the listing when listings are on, else 404.
fn index<Fs: Files>(fs: &Fs, dir: &SitePath, config: &Config, json: bool) -> Outcome<Fs::File> {
    for name in &config.index {
        let candidate = dir.child(name);
        match fs.stat(candidate.segments()) {
            Ok(meta) if meta.kind == Kind::File => return open(fs, &candidate, meta),
            Ok(_) | Err(FsError::NotFound) => continue,
            Err(err) => return Outcome::from(err),
        }
    }
    if !config.listing {
        return Outcome::NotFound;
    }
    match fs.read_dir(dir.segments()) {
        Ok(entries) => Outcome::Listing(listing::render(dir, entries, config.allow_hidden, json)),
        Err(err) => Outcome::from(err),
    }
}

fn open<Fs: Files>(fs: &Fs, path: &SitePath, meta: Meta) -> Outcome<Fs::File> {
    match fs.open(path.segments()) {
        Ok(file) => Outcome::File {
            file,
            meta,
            content_type: content_type::for_name(path.file_name().unwrap_or("")),
        },
        Err(err) => Outcome::from(err),
    }
}

/// `Location` for a directory asked for without its slash: the normalised
/// path (never `//host`), a `/`, and the query as received (control bytes
/// escaped so it stays a valid header value).
fn redirect_target(path: &SitePath, query: Option<&str>) -> String {
    let mut location = path.as_dir().to_url_path();
    if let Some(query) = query {
        location.push('?');
        location.extend(utf8_percent_encode(query, QUERY));
    }
    location
}

impl<F> From<FsError> for Outcome<F> {
    fn from(err: FsError) -> Self {
        match err {
            FsError::NotFound => Outcome::NotFound,
            FsError::Forbidden => Outcome::Forbidden,
            FsError::Failed(detail) => Outcome::Failed(detail),
        }
    }
}
