//! The file pipeline's answer for a path with nothing to serve: the
//! configured fallback page (for a client that asked for a page), else the
//! configured 404 page, else the site's own nearest `404.html`, else
//! docroot's own 404.

#![forbid(unsafe_code)]

use super::conditional::Validators;
use super::source::{Found, Reached};
use super::{Ending, FileBody, Pipeline, Representation};
use crate::config::{ConfigError, SiteFile};
use crate::content_type;
use crate::fs::{Files, FsError, Kind, Meta};
use crate::path::SitePath;
use crate::prepare::Prepared;
use crate::store::Store;

/// The name of a site's own 404 page, in any directory.
pub const NOT_FOUND_PAGE: &str = "404.html";

impl<Fs: Files, St: Store> Pipeline<'_, Fs, St> {
    /// A path with nothing to serve: the fallback page (for a client that
    /// asked for a page), else the configured 404 page or the site's
    /// nearest `404.html` (unless the client wants JSON), else the
    /// built-in 404.
    pub(super) async fn not_found(&self, path: &SitePath) -> Ending<Fs::File> {
        if let Some(fallback) = &self.config.fallback
            && asks_for_a_page(self.p, path)
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
            && !self.p.asked.prefers_json
        {
            let meta = match self.site_file(SiteFile::NotFound, page).await {
                Ok(meta) => meta,
                Err(ending) => return *ending,
            };
            return self.not_found_page(page, meta).await;
        }
        if !self.p.asked.prefers_json
            && let Some((page, meta)) = self.nearest_404(path).await
        {
            return self.not_found_page(&page, meta).await;
        }
        Ending::NotFound
    }

    /// The site's own 404 page for `path` (Cloudflare Pages'): the nearest
    /// `404.html` walking up from the path's directory (the path itself,
    /// asked for with its slash) to the root. One the request may not read
    /// (protected, or in a hidden directory) is passed over.
    ///
    /// It is looked for from the root down, as far as the path's
    /// directories exist, keeping the deepest: so a path of many made-up
    /// directories costs two looks, not one per name it holds. In
    /// `docroot.wasm` the file cache holds each look, found or not, so a
    /// missing path asked for again costs no filesystem call.
    async fn nearest_404(&self, path: &SitePath) -> Option<(SitePath, Meta)> {
        let names = path.segments();
        let dirs = if path.is_dir_form() {
            names
        } else {
            &names[..names.len().saturating_sub(1)]
        };
        let mut dir = SitePath::default();
        let mut nearest = None;
        for next in dirs.iter().map(Some).chain([None]) {
            let page = dir.child(NOT_FOUND_PAGE);
            if self.admits(&page)
                && let Some(meta) = self.regular_file(&page).await
            {
                nearest = Some((page, meta));
            }
            let Some(name) = next else { break };
            dir = dir.child(name);
            let is_dir =
                matches!(self.fs.stat(dir.segments()).await, Ok(meta) if meta.kind == Kind::Dir);
            if !is_dir || self.never_served(&dir) {
                break;
            }
        }
        nearest
    }

    /// The site's 404 page at `page`, coded on the fly as a file is; it has
    /// no validators, and `Vary` says it also depends on `Accept`.
    pub(super) async fn not_found_page(&self, page: &SitePath, meta: Meta) -> Ending<Fs::File> {
        if !self.admits(page) {
            return Ending::Unauthorized;
        }
        let content_type = content_type::for_name(page.file_name().unwrap_or(""));
        let source = self.made_on_the_fly(&content_type, meta.len);
        let file = match self.fs.open(page.segments()).await {
            Ok(file) => file,
            Err(err) => return Ending::from(err),
        };
        let (body, encoding, len) = match self.body(page, file, meta, &source).await {
            Ok((body, len)) => (body, source.encoding(), len),
            Err(file) => (FileBody::Open(file), None, Some(meta.len)),
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

/// Whether a missing path is a page a single-page app would route: its name
/// has no extension or an HTML one (never `.js`, `.css`, images…), and the
/// client accepts HTML.
fn asks_for_a_page(p: &Prepared<'_>, path: &SitePath) -> bool {
    let name = path.file_name().unwrap_or("");
    let page_name = match name.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => {
            content_type::for_name(name).starts_with("text/html")
        }
        _ => true,
    };
    page_name && p.asked.accepts_html
}
