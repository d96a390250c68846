//! The site as the core sees it: a small read-only [`Files`] trait.
//!
//! The component implements it over the preopened `wasi:filesystem`
//! descriptors (`guest::site`); the native tests use [`StdFiles`] over
//! `std::fs`. Both keep every lookup inside the site's root, and both map
//! their errors into [`FsError`] in one place.

#![forbid(unsafe_code)]

use std::rc::Rc;
use std::time::SystemTime;

/// What a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// Anything else (FIFO, socket, device): never opened, never served.
    Other,
}

/// What the server needs to know about a path, from one `stat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    /// File, directory or other.
    pub kind: Kind,
    /// Size in bytes.
    pub len: u64,
    /// Last modification time, when the filesystem keeps one that an
    /// HTTP-date can name (see [`crate::date`]).
    pub modified: Option<SystemTime>,
    /// Last status change (`ctime`), when the filesystem keeps one. Never
    /// sent to a client; the file cache ([`crate::cache`]) compares it, so a
    /// file replaced keeping its size and modification time (`cp -p`, an
    /// archive unpacked) or made unreadable is still seen to have changed.
    pub changed: Option<SystemTime>,
}

/// Why a lookup failed, reduced to what decides the response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FsError {
    /// Nothing there, or not a directory on the way: 404.
    NotFound,
    /// A path the sandbox refuses because it leads outside the root (a
    /// symlink out of it): 404 to the client, a line on stderr for the owner.
    Outside,
    /// The file exists but may not be read: 403.
    Forbidden,
    /// Anything else: 500, with this detail written to stderr only.
    Failed(String),
}

/// One entry of a directory, with the metadata of what it names (symlinks
/// followed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The entry's name.
    pub name: String,
    /// What the name leads to.
    pub meta: Meta,
}

/// A read-only view of the site, rooted at [`Config::root`](crate::config::Config::root).
///
/// Paths are [`SitePath`](crate::path::SitePath) segments: plain names,
/// already validated, joined under the root.
///
/// Its calls are futures because WASI 0.3's filesystem calls are: the 0.3
/// glue awaits the host, so requests that share an instance go on while one
/// waits. Every other implementation (WASI 0.2's, `std::fs`, the tests')
/// answers at once, and is driven by [`crate::ready::run`].
///
/// It is I/O and nothing else: what a site keeps between requests (coded
/// files, how long answers stay good) is a [`crate::store::Store`], passed
/// beside it.
pub trait Files {
    /// An open file, streamed into the response body by the host glue.
    type File;

    /// Looks a path up, following symlinks only as far as the root allows.
    fn stat(&self, path: &[String]) -> impl Future<Output = Result<Meta, FsError>>;

    /// Opens a regular file for reading (after [`Files::stat`] said it is one).
    fn open(&self, path: &[String]) -> impl Future<Output = Result<Self::File, FsError>>;

    /// The entries of a directory, in no particular order. Entries the
    /// sandbox will not let us look at (a symlink out of the root, a broken
    /// link) and names that are not UTF-8 are left out.
    fn read_dir(&self, path: &[String]) -> impl Future<Output = Result<Vec<Entry>, FsError>>;

    /// All the bytes of `file`, expected to be `len` long. It reads at most
    /// one byte more, so a file that grew since its `stat` shows as longer.
    fn read_whole(
        &self,
        file: &Self::File,
        len: u64,
    ) -> impl Future<Output = Result<Vec<u8>, FsError>>;

    /// [`Files::read_whole`], as bytes that may be shared: a site that holds
    /// the file's bytes hands out those, without a copy.
    fn read_shared(
        &self,
        file: &Self::File,
        len: u64,
    ) -> impl Future<Output = Result<Rc<[u8]>, FsError>> {
        async move { self.read_whole(file, len).await.map(Rc::from) }
    }
}

#[cfg(not(target_os = "wasi"))]
pub use native::StdFiles;

#[cfg(not(target_os = "wasi"))]
mod native {
    use super::{Entry, FsError, Kind, Meta};
    use std::io::{self, ErrorKind};
    use std::path::{Path, PathBuf};

    /// [`Files`](super::Files) over `std::fs`, for native tests and tools.
    ///
    /// Every path is canonicalised and must stay under the canonical root,
    /// which is how a symlink out of the tree becomes [`FsError::Outside`],
    /// as the wasi preopen sandbox makes it in the component.
    #[derive(Debug, Clone)]
    pub struct StdFiles {
        root: PathBuf,
    }

    impl StdFiles {
        /// A view of the directory `root`.
        pub fn new(root: impl AsRef<Path>) -> io::Result<StdFiles> {
            Ok(StdFiles {
                root: std::fs::canonicalize(root)?,
            })
        }

        fn inside(&self, path: &[String]) -> Result<PathBuf, FsError> {
            let joined = path.iter().fold(self.root.clone(), |p, name| p.join(name));
            let real = std::fs::canonicalize(joined).map_err(map_error)?;
            if real.starts_with(&self.root) {
                Ok(real)
            } else {
                Err(FsError::Outside)
            }
        }
    }

    impl super::Files for StdFiles {
        type File = std::fs::File;

        async fn stat(&self, path: &[String]) -> Result<Meta, FsError> {
            self.stat_now(path)
        }

        async fn open(&self, path: &[String]) -> Result<std::fs::File, FsError> {
            std::fs::File::open(self.inside(path)?).map_err(map_error)
        }

        async fn read_dir(&self, path: &[String]) -> Result<Vec<Entry>, FsError> {
            let dir = self.inside(path)?;
            let mut entries = Vec::new();
            for entry in std::fs::read_dir(&dir).map_err(map_error)? {
                let entry = entry.map_err(map_error)?;
                let Ok(name) = entry.file_name().into_string() else {
                    continue;
                };
                let mut child = path.to_vec();
                child.push(name.clone());
                if let Ok(meta) = self.stat_now(&child) {
                    entries.push(Entry { name, meta });
                }
            }
            Ok(entries)
        }

        async fn read_whole(&self, file: &std::fs::File, len: u64) -> Result<Vec<u8>, FsError> {
            use std::io::{Read, Seek, SeekFrom};
            let mut file = file;
            file.seek(SeekFrom::Start(0)).map_err(map_error)?;
            let mut bytes = Vec::new();
            file.take(len.saturating_add(1))
                .read_to_end(&mut bytes)
                .map_err(map_error)?;
            Ok(bytes)
        }
    }

    impl StdFiles {
        fn stat_now(&self, path: &[String]) -> Result<Meta, FsError> {
            let md = std::fs::metadata(self.inside(path)?).map_err(map_error)?;
            Ok(meta(&md))
        }
    }

    fn meta(md: &std::fs::Metadata) -> Meta {
        let kind = if md.is_file() {
            Kind::File
        } else if md.is_dir() {
            Kind::Dir
        } else {
            Kind::Other
        };
        Meta {
            kind,
            len: md.len(),
            modified: md.modified().ok().and_then(crate::date::in_range),
            changed: changed(md),
        }
    }

    #[cfg(unix)]
    fn changed(md: &std::fs::Metadata) -> Option<std::time::SystemTime> {
        use std::os::unix::fs::MetadataExt;
        let secs = u64::try_from(md.ctime()).ok()?;
        crate::date::from_unix(secs, u32::try_from(md.ctime_nsec()).ok()?)
    }

    #[cfg(not(unix))]
    fn changed(_: &std::fs::Metadata) -> Option<std::time::SystemTime> {
        None
    }

    /// The one place an `io::Error` becomes a response class.
    fn map_error(err: io::Error) -> FsError {
        match err.kind() {
            ErrorKind::NotFound | ErrorKind::NotADirectory | ErrorKind::InvalidFilename => {
                FsError::NotFound
            }
            // ELOOP: a symlink cycle.
            _ if err.raw_os_error() == Some(40) => FsError::NotFound,
            ErrorKind::PermissionDenied => FsError::Forbidden,
            _ => FsError::Failed(err.to_string()),
        }
    }
}
