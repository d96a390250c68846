//! [`Files`] over the host's preopened `wasi:filesystem` descriptors.
//!
//! Every lookup is relative to the root's descriptor, so the host's sandbox
//! refuses any path or symlink that leads out of it; the core's path
//! validation is the first wall, this is the second. Each lookup is one
//! `stat-at`, and a regular file costs one `open-at` more.

#![forbid(unsafe_code)]

use docroot::date;
use docroot::fs::{Entry, Files, FsError, Kind, Meta};
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
    /// Opens `root` below the preopen that [`preopen::choose`] picks.
    pub fn open(root: &SitePath) -> Result<WasiFiles, NoRoot> {
        let mut preopens = get_directories();
        let names: Vec<&str> = preopens.iter().map(|(_, name)| name.as_str()).collect();
        let choice = preopen::choose(root, &names)?;
        let below = choice.below.join("/");
        let (preopen, _) = preopens.swap_remove(choice.index);
        if below.is_empty() {
            return Ok(WasiFiles { root: preopen });
        }
        let dir = preopen
            .open_at(
                PathFlags::SYMLINK_FOLLOW,
                &below,
                OpenFlags::DIRECTORY,
                DescriptorFlags::READ,
            )
            .map_err(|_| NoRoot::CannotOpen {
                root: root.to_url_path(),
            })?;
        Ok(WasiFiles { root: dir })
    }
}

/// A path relative to the root descriptor; the root itself is `.`.
fn relative(path: &[String]) -> String {
    if path.is_empty() {
        ".".to_owned()
    } else {
        path.join("/")
    }
}

impl Files for WasiFiles {
    type File = Descriptor;

    async fn stat(&self, path: &[String]) -> Result<Meta, FsError> {
        stat_at(&self.root, &relative(path))
    }

    async fn open(&self, path: &[String]) -> Result<Descriptor, FsError> {
        self.root
            .open_at(
                PathFlags::SYMLINK_FOLLOW,
                &relative(path),
                OpenFlags::empty(),
                DescriptorFlags::READ,
            )
            .map_err(map_error)
    }

    async fn read_dir(&self, path: &[String]) -> Result<Vec<Entry>, FsError> {
        // The root is opened again as `.` rather than read through its own
        // descriptor: jco's shim cannot read a preopen's directory
        // (bad-descriptor), and the extra call is made only for listings.
        let dir = self
            .root
            .open_at(
                PathFlags::SYMLINK_FOLLOW,
                &relative(path),
                OpenFlags::DIRECTORY,
                DescriptorFlags::READ,
            )
            .map_err(map_error)?;
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
            bytes.extend_from_slice(&chunk);
            if end || chunk.is_empty() {
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
    let kind = match stat.type_ {
        DescriptorType::RegularFile => Kind::File,
        DescriptorType::Directory => Kind::Dir,
        _ => Kind::Other,
    };
    let modified = stat
        .data_modification_timestamp
        .and_then(|t| date::from_unix(t.seconds, t.nanoseconds));
    let changed = stat
        .status_change_timestamp
        .and_then(|t| date::from_unix(t.seconds, t.nanoseconds));
    Ok(Meta {
        kind,
        len: stat.size,
        modified,
        changed,
    })
}

/// The one place a `wasi:filesystem` error becomes a response class. What the
/// sandbox refuses (`not-permitted`, `cross-device` for a path leading out of
/// the root) is a 404 like a missing file, with a line on stderr.
fn map_error(code: ErrorCode) -> FsError {
    match code {
        ErrorCode::NoEntry
        | ErrorCode::NotDirectory
        | ErrorCode::NameTooLong
        | ErrorCode::Loop
        | ErrorCode::IllegalByteSequence
        | ErrorCode::Invalid => FsError::NotFound,
        ErrorCode::NotPermitted | ErrorCode::CrossDevice => FsError::Outside,
        ErrorCode::Access => FsError::Forbidden,
        other => FsError::Failed(format!("filesystem error: {other}")),
    }
}
