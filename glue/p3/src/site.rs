//! [`Files`] over the host's preopened `wasi:filesystem@0.3` descriptors.
//!
//! Every lookup is relative to the root's descriptor, so the host's sandbox
//! refuses any path or symlink that leads out of it; the core's path
//! validation is the first wall, this is the second. Each lookup is one
//! `stat-at`, and a regular file costs one `open-at` more. Every call is
//! awaited, so the instance's other requests go on meanwhile.

use crate::shared::{map_error, meta, relative};
use docroot::fs::{Entry, Files, FsError, Meta};
use docroot::path::SitePath;
use docroot::preopen::{self, NoRoot};
use wasip3::filesystem::preopens::get_directories;
use wasip3::filesystem::types::{Descriptor, DescriptorFlags, ErrorCode, OpenFlags, PathFlags};
use wasip3::wit_bindgen::{StreamReader, StreamResult};

/// The site: a directory descriptor at the configured root.
pub struct WasiFiles {
    root: Descriptor,
}

impl WasiFiles {
    /// Opens `root` below the preopen that holds it ([`preopen::take`]).
    pub async fn open(root: &SitePath) -> Result<WasiFiles, NoRoot> {
        let (preopen, below) = preopen::take(root, get_directories())?;
        let site = WasiFiles { root: preopen };
        if below.is_empty() {
            return Ok(site);
        }
        let dir = site.open_at(&below, OpenFlags::DIRECTORY).await;
        let dir = dir.map_err(|_| NoRoot::CannotOpen {
            root: root.to_url_path(),
        })?;
        Ok(WasiFiles { root: dir })
    }

    /// `open-at` of `path` below the root, for reading, following
    /// symlinks as far as the sandbox allows.
    async fn open_at(&self, path: &[String], flags: OpenFlags) -> Result<Descriptor, FsError> {
        let (follow, read) = (PathFlags::SYMLINK_FOLLOW, DescriptorFlags::READ);
        let opened = self.root.open_at(follow, relative(path), flags, read);
        opened.await.map_err(map_error)
    }
}

/// How many directory entries are taken from the host at a time.
const ENTRIES: usize = 64;

impl Files for WasiFiles {
    type File = Descriptor;

    async fn stat(&self, path: &[String]) -> Result<Meta, FsError> {
        stat_at(&self.root, relative(path)).await
    }

    async fn open(&self, path: &[String]) -> Result<Descriptor, FsError> {
        self.open_at(path, OpenFlags::empty()).await
    }

    async fn read_dir(&self, path: &[String]) -> Result<Vec<Entry>, FsError> {
        let dir = self.open_at(path, OpenFlags::DIRECTORY).await?;
        let (mut names, done) = dir.read_directory();
        let mut entries = Vec::new();
        loop {
            let (result, batch) = names.read(Vec::with_capacity(ENTRIES)).await;
            for entry in batch {
                // One stat-at each: sizes, times, and where symlinks lead,
                // relative to the root (not to this directory), so a link
                // to ../x inside the root is listed as it is served.
                let mut child = path.to_vec();
                child.push(entry.name);
                if let Ok(meta) = stat_at(&self.root, relative(&child)).await {
                    let Some(name) = child.pop() else { continue };
                    entries.push(Entry { name, meta });
                }
            }
            if !matches!(result, StreamResult::Complete(_)) {
                break;
            }
        }
        drop(names);
        match done.await {
            // A name that is not UTF-8 ends the host's stream: list the rest.
            Ok(()) | Err(ErrorCode::IllegalByteSequence) => Ok(entries),
            Err(code) => Err(map_error(code)),
        }
    }

    /// One `read-via-stream` from the start, taken until it ends or holds
    /// one byte more than `len`.
    async fn read_whole(&self, file: &Descriptor, len: u64) -> Result<Vec<u8>, FsError> {
        let most = usize::try_from(len.saturating_add(1)).unwrap_or(usize::MAX);
        let (mut rx, done) = file.read_via_stream(0);
        let (bytes, ended) = read_up_to(&mut rx, most).await;
        if ended {
            drop(rx);
            done.await.map_err(map_error)?;
        }
        Ok(bytes)
    }
}

/// Up to `want` bytes of a file's stream, in as many reads as the host
/// gives them, and whether the host ended the stream on the way. Once it
/// has, the stream must not be read again: the component model traps,
/// which would end every request in the instance.
pub async fn read_up_to(rx: &mut StreamReader<u8>, want: usize) -> (Vec<u8>, bool) {
    let mut bytes = Vec::with_capacity(want);
    while bytes.len() < want {
        let (result, filled) = rx.read(bytes).await;
        bytes = filled;
        if !matches!(result, StreamResult::Complete(_)) {
            return (bytes, true);
        }
    }
    (bytes, false)
}

/// One `stat-at` below `dir`, following symlinks as far as the sandbox allows.
async fn stat_at(dir: &Descriptor, path: String) -> Result<Meta, FsError> {
    let stat = dir
        .stat_at(PathFlags::SYMLINK_FOLLOW, path)
        .await
        .map_err(map_error)?;
    Ok(meta(stat))
}
