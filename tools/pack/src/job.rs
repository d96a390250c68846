//! One file of SRC packed into OUT: its copy (left as it is when OUT
//! holds the same bytes), its modification time, and its siblings (kept
//! from the last pack when the file has not changed, else made anew from
//! the copy), with the manifest's entry for each.

use std::fs::{File, Metadata, Permissions};
use std::io::{self, Seek};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use docroot::codec::Encoding;
use docroot::digest::Digest;
use docroot::manifest::Entry;
use rayon::prelude::*;

use crate::code;
use crate::out;
use crate::plan::{FileId, Rel, Source};

/// A file to pack, with what the last pack's manifest says of it.
#[derive(Debug)]
pub struct Job<'a> {
    /// The file.
    pub source: &'a Source,
    /// The last pack's entry for it.
    pub old: Option<Entry>,
    /// The siblings to make, each with the last pack's entry for it.
    pub make: Vec<(Encoding, Option<Entry>)>,
}

/// A file packed.
#[derive(Debug, Default)]
pub struct Done {
    /// The manifest's entries: the file's, then its siblings'.
    pub entries: Vec<(Rel, Entry)>,
    /// Whether the copy was written (not there, or different).
    pub copied: bool,
    /// Whether a coder ran.
    pub coded: bool,
    /// Whether its siblings were all kept from the last pack.
    pub reused: bool,
    /// Its size.
    pub len: u64,
    /// The size of its siblings.
    pub siblings: u64,
}

/// One sibling of a file: kept from the last pack, or made now (`None`
/// when made but not smaller than the file).
struct Sibling {
    name: Rel,
    entry: Option<Entry>,
    reused: bool,
}

/// Where a job reads and writes, and how each is shown in a line.
#[derive(Debug)]
pub struct Places<'a> {
    /// SRC as shown, with its trailing `/`.
    pub src_shown: &'a str,
    /// OUT.
    pub out: &'a Path,
}

impl Places<'_> {
    fn src_line(&self, rel: &[String], what: &str, error: &io::Error) -> String {
        format!("{}{}: {what}: {error}", self.src_shown, rel.join("/"))
    }
}

/// A line naming `path`, what went wrong and why.
fn out_line(path: &Path, what: &str, error: &io::Error) -> String {
    format!("{}: {what}: {error}", path.display())
}

/// Packs one file; an error is a line for stderr.
pub fn run(job: &Job, places: &Places) -> Result<Done, String> {
    let source = job.source;
    let rel = &source.rel;
    let dest = out::join(places.out, rel);
    let read_error = |error: io::Error| places.src_line(rel, "cannot be read", &error);
    let mut from = File::open(&source.path).map_err(read_error)?;
    let meta = from.metadata().map_err(read_error)?;
    if !meta.is_file() || FileId::of(&meta) != source.id {
        return Err(read_error(io::Error::other(
            "it changed while it was being packed",
        )));
    }
    let modified = meta.modified().ok();
    let perms = out::permissions(&meta);

    let mut done = Done::default();
    let same = match out::regular(&dest) {
        Some(there) if there.len() == meta.len() => {
            let (digest, len) = code::digest(&mut from).map_err(read_error)?;
            let read_there = |error| out_line(&dest, "cannot be read", &error);
            let mut file = out::open_regular(&dest, &there).map_err(read_there)?;
            (code::digest(&mut file).map_err(read_there)? == (digest, len))
                .then_some((digest, len, there))
        }
        _ => None,
    };
    let (digest, len, kept) = match same {
        Some((digest, len, there)) => (digest, len, touch(&dest, &there, &perms, modified)?),
        None => {
            done.copied = true;
            from.rewind().map_err(read_error)?;
            let fill = |to: &mut File| code::copy(&mut from, to);
            write(&dest, fill, &perms, modified)?
        }
    };
    done.len = len;
    done.entries.push((
        rel.clone(),
        Entry {
            digest,
            len,
            modified: kept,
        },
    ));

    let unchanged = job.old.filter(|old| old.digest == digest && old.len == len);
    // Each sibling on a core of its own: after one edit, the brotli and
    // the gzip of the one file changed are made side by side.
    let siblings: Vec<Result<Sibling, String>> = job
        .make
        .par_iter()
        .map(|&(encoding, old_sibling)| {
            let mut name = rel.clone();
            if let Some(last) = name.last_mut() {
                last.push_str(encoding.suffix());
            }
            let path = out::join(places.out, &name);
            let kept = match (unchanged, old_sibling) {
                (Some(old), Some(sibling)) => {
                    reuse(&path, old.modified, sibling, &perms, modified)?
                }
                _ => None,
            };
            Ok(match kept {
                Some(entry) => Sibling {
                    name,
                    entry: Some(entry),
                    reused: true,
                },
                None => Sibling {
                    entry: make(&dest, &path, encoding, len, &perms, modified)?,
                    name,
                    reused: false,
                },
            })
        })
        .collect();
    let mut reused = 0;
    for sibling in siblings {
        let sibling = sibling?;
        if sibling.reused {
            reused += 1;
        } else {
            done.coded = true;
        }
        if let Some(entry) = sibling.entry {
            done.siblings += entry.len;
            done.entries.push((sibling.name, entry));
        }
    }
    done.reused = reused > 0 && !done.coded;
    Ok(done)
}

/// The sibling at `path`, kept from the last pack, if it is the one that
/// pack made: a regular file with the size and digest its manifest
/// records, and the time of the file it was made from (a site's own
/// sibling, copied, keeps its own time). Its time is set to `modified`,
/// the file's now, and its permissions to the file's.
fn reuse(
    path: &Path,
    made_at: Option<SystemTime>,
    old: Entry,
    perms: &Permissions,
    modified: Option<SystemTime>,
) -> Result<Option<Entry>, String> {
    let Some(there) = out::regular(path) else {
        return Ok(None);
    };
    if there.len() != old.len || there.modified().ok() != made_at {
        return Ok(None);
    }
    let read = |error| out_line(path, "cannot be read", &error);
    let mut file = out::open_regular(path, &there).map_err(read)?;
    if code::digest(&mut file).map_err(read)? != (old.digest, old.len) {
        return Ok(None);
    }
    let kept = touch(path, &there, perms, modified)?;
    Ok(Some(Entry {
        modified: kept,
        ..old
    }))
}

/// Codes the copy at `copy` (`len` bytes) into its sibling at `path`,
/// kept only if smaller.
fn make(
    copy: &Path,
    path: &Path,
    encoding: Encoding,
    len: u64,
    perms: &Permissions,
    modified: Option<SystemTime>,
) -> Result<Option<Entry>, String> {
    let read = |error| out_line(copy, "cannot be read", &error);
    let there = out::regular(copy).ok_or_else(|| read(io::ErrorKind::NotFound.into()))?;
    let mut from = out::open_regular(copy, &there).map_err(read)?;
    let dir = parent(path);
    let write_error = |error| out_line(path, "cannot be written", &error);
    let mut temp = out::temporary(&dir).map_err(write_error)?;
    let (digest, coded) =
        code::encode(encoding, &mut from, len, temp.as_file_mut()).map_err(write_error)?;
    if coded >= len {
        return Ok(None);
    }
    let kept = out::set_meta(temp.as_file(), perms, modified).map_err(write_error)?;
    out::persist(temp, path).map_err(write_error)?;
    Ok(Some(Entry {
        digest,
        len: coded,
        modified: kept,
    }))
}

/// The regular file at `path` (`there`, its `symlink_metadata`) given
/// `perms` and `modified`, if it has others: the time kept.
fn touch(
    path: &Path,
    there: &Metadata,
    perms: &Permissions,
    modified: Option<SystemTime>,
) -> Result<Option<SystemTime>, String> {
    let same_time = modified.is_none() || there.modified().ok() == modified;
    if same_time && out::permissions(there) == *perms {
        return Ok(there.modified().ok());
    }
    let touch = |error| out_line(path, "its time or mode cannot be set", &error);
    let file = out::open_regular(path, there).map_err(touch)?;
    out::set_meta(&file, perms, modified).map_err(touch)
}

/// Writes a file at `path` with `fill` (which gives the digest and length
/// of what it wrote), through a temporary file renamed over it, with its
/// permissions and modification time set: the digest, length and the
/// time kept.
fn write(
    path: &Path,
    fill: impl FnOnce(&mut File) -> io::Result<(Digest, u64)>,
    perms: &Permissions,
    modified: Option<SystemTime>,
) -> Result<(Digest, u64, Option<SystemTime>), String> {
    let write_error = |error| out_line(path, "cannot be written", &error);
    let mut temp = out::temporary(&parent(path)).map_err(write_error)?;
    let (digest, len) = fill(temp.as_file_mut()).map_err(write_error)?;
    let kept = out::set_meta(temp.as_file(), perms, modified).map_err(write_error)?;
    out::persist(temp, path).map_err(write_error)?;
    Ok((digest, len, kept))
}

/// The directory holding `path`.
fn parent(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}
