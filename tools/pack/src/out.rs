//! OUT, written without ever following a symlink in it: every entry is
//! looked at with `symlink_metadata` first, a file is written to a
//! temporary file beside it and renamed over its name (a rename replaces
//! a symlink; it never writes through one), a directory that is not a
//! real one is removed and made anew, and removing never descends
//! through a link. A file opened to be read is checked to be the regular
//! file that was looked at.

use std::collections::HashSet;
use std::fs::{self, File, FileTimes, Metadata, Permissions};
use std::io::{self, Write};
use std::path::Path;
use std::rc::Rc;
use std::time::SystemTime;

use docroot::manifest::{MANIFEST, MAX_LEN, Manifest};

use crate::plan::{FileId, Rel};

/// The path of `rel` below `root`.
pub fn join(root: &Path, rel: &[String]) -> std::path::PathBuf {
    let mut path = root.to_path_buf();
    path.extend(rel);
    path
}

/// What is at `path` when it is a regular file (not a symlink to one).
pub fn regular(path: &Path) -> Option<Metadata> {
    fs::symlink_metadata(path).ok().filter(Metadata::is_file)
}

/// Opens the regular file at `path` that `meta` (its `symlink_metadata`)
/// describes, for reading (its owner may set its time and mode through
/// it too); an error if what is there now is not that file.
pub fn open_regular(path: &Path, meta: &Metadata) -> io::Result<File> {
    let file = File::open(path)?;
    let now = file.metadata()?;
    if !now.is_file() || FileId::of(&now) != FileId::of(meta) {
        return Err(io::Error::other("it changed while it was being packed"));
    }
    Ok(file)
}

/// Makes `dir` a real directory: one that is there is kept, anything else
/// by its name (a file, a symlink) is removed first.
pub fn ensure_dir(dir: &Path) -> io::Result<()> {
    match fs::symlink_metadata(dir) {
        Ok(meta) if meta.is_dir() => return Ok(()),
        Ok(_) => fs::remove_file(dir)?,
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(error) => return Err(error),
    }
    fs::create_dir(dir)
}

/// A new temporary file in `dir`, removed unless it is [`persist`]ed.
pub fn temporary(dir: &Path) -> io::Result<tempfile::NamedTempFile> {
    tempfile::Builder::new()
        .prefix(".docroot-pack-")
        .tempfile_in(dir)
}

/// A file's permissions as a copy keeps them: on Unix its mode's
/// read, write and execute bits (as `cp` keeps them, without set-id).
pub fn permissions(meta: &Metadata) -> Permissions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        Permissions::from_mode(meta.permissions().mode() & 0o777)
    }
    #[cfg(not(unix))]
    {
        meta.permissions()
    }
}

/// Gives `file` the permissions `perms` and the modification time
/// `modified` (when there is one to set), when it has others: the time
/// the filesystem then keeps.
pub fn set_meta(
    file: &File,
    perms: &Permissions,
    modified: Option<SystemTime>,
) -> io::Result<Option<SystemTime>> {
    let meta = file.metadata()?;
    if permissions(&meta) != *perms {
        file.set_permissions(perms.clone())?;
    }
    if modified.is_some() && meta.modified().ok() != modified {
        if let Some(time) = modified {
            file.set_times(FileTimes::new().set_modified(time))?;
        }
        return Ok(file.metadata()?.modified().ok());
    }
    Ok(meta.modified().ok())
}

/// Puts `temp` at `path`, replacing what is there: a file or a symlink is
/// replaced by the rename itself; a directory is removed first.
pub fn persist(temp: tempfile::NamedTempFile, path: &Path) -> io::Result<()> {
    if fs::symlink_metadata(path).is_ok_and(|m| m.is_dir()) {
        remove(path)?;
    }
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Removes whatever is at `path`, a directory with everything under it,
/// never following a symlink: how many files (and links) went.
pub fn remove(path: &Path) -> io::Result<usize> {
    let meta = fs::symlink_metadata(path)?;
    if !meta.is_dir() {
        fs::remove_file(path)?;
        return Ok(1);
    }
    let mut removed = 0;
    for entry in fs::read_dir(path)? {
        removed += remove(&entry?.path())?;
    }
    fs::remove_dir(path)?;
    Ok(removed)
}

/// Removes from `root` every entry not in `files` or `dirs` (but the
/// manifest at its top, written next): what a site no longer has, and its
/// siblings. How many files went.
pub fn sweep(root: &Path, files: &HashSet<Rel>, dirs: &HashSet<Rel>) -> io::Result<usize> {
    sweep_dir(root, &mut Vec::new(), files, dirs)
}

fn sweep_dir(
    dir: &Path,
    rel: &mut Rel,
    files: &HashSet<Rel>,
    dirs: &HashSet<Rel>,
) -> io::Result<usize> {
    let mut removed = 0;
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let kind = entry.file_type()?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            removed += remove(&path)?;
            continue;
        };
        rel.push(name);
        if rel.len() == 1 && rel[0] == MANIFEST && kind.is_file() {
            // Kept until the new one replaces it.
        } else if kind.is_dir() && dirs.contains(rel) {
            removed += sweep_dir(&path, rel, files, dirs)?;
        } else if !(kind.is_file() && files.contains(rel)) {
            removed += remove(&path)?;
        }
        rel.pop();
    }
    Ok(removed)
}

/// The manifest a last pack left in `out`, if there is a regular file by
/// its name: the manifest, or why it cannot be used.
pub fn old_manifest(out: &Path) -> Option<Result<Manifest, String>> {
    let path = out.join(MANIFEST);
    let meta = regular(&path)?;
    if meta.len() > MAX_LEN {
        return Some(Err(format!(
            "{} bytes, more than a manifest may have",
            meta.len()
        )));
    }
    let read = open_regular(&path, &meta).and_then(|mut file| {
        let mut bytes = Vec::new();
        io::Read::read_to_end(&mut file, &mut bytes)?;
        Ok(bytes)
    });
    Some(match read {
        Ok(bytes) => Manifest::parse(Rc::from(bytes)),
        Err(error) => Err(error.to_string()),
    })
}

/// Writes the manifest `bytes` at `out`'s top, unless it holds those
/// bytes already: to a temporary file, synced, then renamed over the old
/// one, so a reader sees the old manifest or the new, whole. Whether it
/// was written.
pub fn write_manifest(out: &Path, bytes: &[u8]) -> io::Result<bool> {
    let path = out.join(MANIFEST);
    if let Some(meta) = regular(&path).filter(|m| m.len() == bytes.len() as u64) {
        let mut file = open_regular(&path, &meta)?;
        let mut old = Vec::new();
        io::Read::read_to_end(&mut file, &mut old)?;
        if old == bytes {
            return Ok(false);
        }
    }
    let mut temp = temporary(out)?;
    temp.write_all(bytes)?;
    #[cfg(unix)]
    {
        // Readable as any file of the site is (a temporary file is 0600).
        use std::os::unix::fs::PermissionsExt;
        temp.as_file()
            .set_permissions(Permissions::from_mode(0o644))?;
    }
    temp.as_file().sync_all()?;
    persist(temp, &path)?;
    Ok(true)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn nothing_is_written_or_removed_through_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let (out, outside) = (dir.path().join("out"), dir.path().join("outside"));
        fs::create_dir_all(&out).unwrap();
        fs::create_dir_all(&outside).unwrap();
        fs::write(outside.join("keep"), "keep").unwrap();
        symlink(&outside, out.join("sub")).unwrap();
        symlink(outside.join("keep"), out.join("file")).unwrap();

        ensure_dir(&out.join("sub")).unwrap();
        assert!(fs::symlink_metadata(out.join("sub")).unwrap().is_dir());
        let mut temp = temporary(&out).unwrap();
        temp.write_all(b"new").unwrap();
        persist(temp, &out.join("file")).unwrap();
        assert_eq!(fs::read(out.join("file")).unwrap(), b"new");
        assert_eq!(fs::read(outside.join("keep")).unwrap(), b"keep");

        symlink(&outside, out.join("sub/away")).unwrap();
        let files = HashSet::from([vec!["file".to_owned()]]);
        let dirs = HashSet::from([vec!["sub".to_owned()]]);
        assert_eq!(sweep(&out, &files, &dirs).unwrap(), 1);
        assert!(fs::symlink_metadata(out.join("sub/away")).is_err());
        assert_eq!(fs::read(outside.join("keep")).unwrap(), b"keep");
        assert_eq!(regular(&out.join("sub")).map(|m| m.len()), None);
    }

    #[test]
    fn the_manifest_is_not_rewritten_when_it_holds_the_same_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let bytes = docroot::manifest::render(&[]);
        assert!(write_manifest(dir.path(), &bytes).unwrap());
        assert!(!write_manifest(dir.path(), &bytes).unwrap());
        assert!(matches!(old_manifest(dir.path()), Some(Ok(_))));
        fs::write(dir.path().join(MANIFEST), "docroot-manifest 1 99\n").unwrap();
        assert!(matches!(old_manifest(dir.path()), Some(Err(_))));
        assert!(old_manifest(&dir.path().join("none")).is_none());
    }
}
