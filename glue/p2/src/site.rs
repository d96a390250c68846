//! [`Files`] over the host's preopened `wasi:filesystem` descriptors.
//!
//! Every lookup is relative to the root's descriptor, so the host's sandbox
//! refuses any path or symlink that leads out of it; the core's path
//! validation is the first wall, this is the second. Each lookup is one
//! `stat-at`, and a regular file costs one `open-at` more.

#![forbid(unsafe_code)]

use crate::shared::{map_error, meta, relative};
use docroot::fs::{Entry, Files, FsError, Meta};
use docroot::path::SitePath;
use docroot::preopen::{self, NoRoot};
use wasi::filesystem::preopens::get_directories;
use wasi::filesystem::types::{
    Descriptor, DescriptorFlags, DescriptorType, ErrorCode, OpenFlags, PathFlags,
};

/// The site: a directory descriptor at the configured root.
pub struct WasiFiles {
    root: Descriptor,
}

impl WasiFiles {
    /// Opens `root` below the preopen that holds it ([`preopen::take`]).
    pub fn open(root: &SitePath) -> Result<WasiFiles, NoRoot> {
        let (preopen, below) = preopen::take(root, get_directories())?;
        let site = WasiFiles { root: preopen };
        if below.is_empty() {
            return Ok(site);
        }
        let dir = site.open_at(&below, OpenFlags::DIRECTORY);
        let dir = dir.map_err(|_| NoRoot::CannotOpen {
            root: root.to_url_path(),
        })?;
        Ok(WasiFiles { root: dir })
    }

    /// `open-at` of `path` below the root, for reading, following
    /// symlinks as far as the sandbox allows.
    fn open_at(&self, path: &[String], flags: OpenFlags) -> Result<Descriptor, FsError> {
        let (follow, read) = (PathFlags::SYMLINK_FOLLOW, DescriptorFlags::READ);
        let opened = self.root.open_at(follow, &relative(path), flags, read);
        opened.map_err(map_error)
    }
}

impl Files for WasiFiles {
    type File = Descriptor;

    async fn stat(&self, path: &[String]) -> Result<Meta, FsError> {
        stat_at(&self.root, &relative(path))
    }

    async fn open(&self, path: &[String]) -> Result<Descriptor, FsError> {
        self.open_at(path, OpenFlags::empty())
    }

    async fn read_dir(&self, path: &[String]) -> Result<Vec<Entry>, FsError> {
        // The root is opened again as `.` rather than read through its own
        // descriptor: jco's shim cannot read a preopen's directory
        // (bad-descriptor), and the extra call is made only for listings.
        let dir = self.open_at(path, OpenFlags::DIRECTORY)?;
        let stream = dir.read_directory().map_err(map_error)?;
        let mut entries = Vec::new();
        loop {
            match stream.read_directory_entry() {
                Ok(Some(entry)) => {
                    // One stat-at each: sizes, times, and where symlinks lead,
                    // relative to the root (not to this directory), so a link
                    // to ../x inside the root is listed as it is served.
                    let mut child = path.to_vec();
                    child.push(entry.name);
                    if let Ok(meta) = stat_at(&self.root, &relative(&child)) {
                        let Some(name) = child.pop() else { continue };
                        entries.push(Entry { name, meta });
                    }
                }
                Ok(None) => break,
                // A name that is not UTF-8: leave it out, keep listing.
                Err(ErrorCode::IllegalByteSequence) => continue,
                Err(code) => return Err(map_error(code)),
            }
        }
        Ok(entries)
    }

    /// `read` calls from the start until the file ends or one byte more
    /// than `len` has come.
    async fn read_whole(&self, file: &Descriptor, len: u64) -> Result<Vec<u8>, FsError> {
        let most = len.saturating_add(1);
        let mut bytes = Vec::new();
        while (bytes.len() as u64) < most {
            let (chunk, end) = file
                .read(most - bytes.len() as u64, bytes.len() as u64)
                .map_err(map_error)?;
            // The first read is the whole file as a rule: kept as the host
            // wrote it, not copied.
            let done = end || chunk.is_empty();
            if bytes.is_empty() {
                bytes = chunk;
            } else {
                bytes.extend_from_slice(&chunk);
            }
            if done {
                break;
            }
        }
        Ok(bytes)
    }
}

/// What `stat-at` says of `path` below `dir`, following symlinks as far as
/// the sandbox allows.
///
/// A name directly below `dir` (the site's rule files, and a file at the
/// root) is asked without following first: for a regular file or a
/// directory, or a name that is not there, that answer is the same, and
/// cheaper under wasmtime (one `statx`, against an `openat2`, an `fstat`
/// and a `close` when following; `benches/price-calls`). Anything else (a
/// symlink, another kind, an error other than `no-entry`) is asked again,
/// following. A longer path costs wasmtime the same either way, so it is
/// asked once, following.
fn stat_at(dir: &Descriptor, path: &str) -> Result<Meta, FsError> {
    let stat = if path.contains('/') || path == "." {
        dir.stat_at(PathFlags::SYMLINK_FOLLOW, path)
    } else {
        match dir.stat_at(PathFlags::empty(), path) {
            Ok(stat)
                if matches!(
                    stat.type_,
                    DescriptorType::RegularFile | DescriptorType::Directory
                ) =>
            {
                Ok(stat)
            }
            Err(ErrorCode::NoEntry) => Err(ErrorCode::NoEntry),
            _ => dir.stat_at(PathFlags::SYMLINK_FOLLOW, path),
        }
    }
    .map_err(map_error)?;
    Ok(meta(stat))
}
