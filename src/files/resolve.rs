//! Step 3 of the file pipeline: what a path names inside the root. A file
//! is itself (or, missing, its `name.gz`); a directory without its slash
//! is a 301, with it its index file, else its listing when listings are
//! on, else 404; whatever the sandbox refuses is 404.
//!
//! HTML pages by `DOCROOT_HTML_HANDLING`: unset, a path that names
//! nothing and whose last name has no extension is served from
//! `path.html` (clean URLs); a trailing-slash mode first asks
//! [`super::pages`] which page the path serves or is redirected to;
//! `none` serves a file only at its own path, with no index files.

#![forbid(unsafe_code)]

use super::source::{Found, Reached};
use super::{Ending, Pipeline, listing, redirect_target};
use crate::codec::Encoding;
use crate::config::HtmlHandling;
use crate::fs::{Files, FsError, Kind, Meta};
use crate::path::SitePath;
use crate::store::Store;

impl<Fs: Files, St: Store> Pipeline<'_, Fs, St> {
    /// Step 3: what `path` names inside the root. `in_place` for a
    /// rewrite's destination, which is served where it was asked for: a
    /// page's canonical URL is then served, not redirected to.
    pub(super) async fn resolve(&self, path: &SitePath, in_place: bool) -> Ending<Fs::File> {
        let mode = self.config.html_handling;
        let slash_mode = !matches!(mode, HtmlHandling::CleanUrls | HtmlHandling::None);
        if slash_mode && let Some(ending) = self.page(path, in_place).await {
            return ending;
        }
        let meta = match self.fs.stat(path.segments()).await {
            Ok(meta) => meta,
            Err(FsError::NotFound) => {
                if let Some(gz) = self.only_gzip(path).await {
                    return self.file(path, Found::OnlyGzip(gz), Reached::Path).await;
                }
                if mode == HtmlHandling::CleanUrls
                    && let Some(name) = path.file_name().filter(|_| !path.is_dir_form())
                    && !has_extension(name)
                {
                    let page = path.with_suffix(".html");
                    if let Some(meta) = self.regular_file(&page).await {
                        return self.file(&page, Found::File(meta), Reached::Path).await;
                    }
                }
                return Ending::NotFound;
            }
            Err(err) => return Ending::from(err),
        };
        match meta.kind {
            Kind::File if path.is_dir_form() => Ending::NotFound,
            Kind::File => self.file(path, Found::File(meta), Reached::Path).await,
            Kind::Dir if !self.admits(path) => Ending::Unauthorized,
            // With no index files, a directory is only ever its listing.
            Kind::Dir if mode == HtmlHandling::None && !self.config.listing => Ending::NotFound,
            Kind::Dir if !path.is_dir_form() => Ending::Redirect {
                status: 301,
                location: redirect_target(self.p, path),
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
        let index: &[String] = match self.config.html_handling {
            HtmlHandling::None => &[],
            _ => &self.config.index,
        };
        for name in index {
            let candidate = dir.child(name);
            // Whether a protected index file exists is not told either.
            if !self.admits(&candidate) {
                return Ending::Unauthorized;
            }
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
        if !self.admits(dir) {
            return Ending::Unauthorized;
        }
        match self.fs.read_dir(dir.segments()).await {
            Ok(mut entries) => {
                // What the request may not read is not listed either.
                if self.p.rules.headers.protects() {
                    entries.retain(|e| self.admits(&dir.child(&e.name)));
                }
                Ending::Listing(listing::render(
                    self.p.asked.mount,
                    self.p.asked.site_path,
                    dir,
                    entries,
                    self.config.allow_hidden,
                    self.p.asked.json,
                ))
            }
            Err(err) => Ending::from(err),
        }
    }
}

/// Whether a file name has an extension: a `.` after its first character
/// (`v1.2` has one; `about` and `.profile` have none).
fn has_extension(name: &str) -> bool {
    name.get(1..).is_some_and(|rest| rest.contains('.'))
}
