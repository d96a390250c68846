//! Step 3 of the file pipeline: what a path names inside the root. A file
//! is itself (or, missing, its `name.gz`); a directory without its slash
//! is a 301, with it its index file, else its listing when listings are
//! on, else 404; whatever the sandbox refuses is 404.

#![forbid(unsafe_code)]

use super::source::{Found, Reached};
use super::{Ending, Pipeline, listing, redirect_target};
use crate::codec::Encoding;
use crate::fs::{Files, FsError, Kind, Meta};
use crate::path::SitePath;
use crate::store::Store;

impl<Fs: Files, St: Store> Pipeline<'_, Fs, St> {
    /// Step 3: what `path` names inside the root.
    pub(super) async fn resolve(&self, path: &SitePath) -> Ending<Fs::File> {
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
            Kind::Dir if !self.admits(path) => Ending::Unauthorized,
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
        for name in &self.config.index {
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
