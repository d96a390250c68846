//! What the pack will write: every directory and file of SRC by its path
//! below the root, each file with where to read it. A symlink that stays
//! inside SRC stands for what it names (a file, or a directory walked as
//! if it were there); nothing outside SRC is ever read. site-guard has
//! refused the tree already if a link led out; the walk checks each link
//! again, since the tree may have changed since.

use std::collections::HashSet;
use std::fs::{self, Metadata};
use std::io;
use std::path::{Path, PathBuf};

use docroot::manifest::MANIFEST;

/// A path below a root: its names.
pub type Rel = Vec<String>;

/// A file of SRC to pack.
#[derive(Debug)]
pub struct Source {
    /// Where it goes below OUT's root.
    pub rel: Rel,
    /// Where to read it: a path inside SRC with no symlink in it.
    pub path: PathBuf,
    /// Its size when the walk saw it.
    pub len: u64,
    /// Which file it is ([`FileId`]), to check that the file opened is
    /// the one the walk saw.
    pub id: FileId,
}

/// What the walk found.
#[derive(Debug, Default)]
pub struct Plan {
    /// The directories to make in OUT, each after its parent.
    pub dirs: Vec<Rel>,
    /// The files to copy.
    pub files: Vec<Source>,
    /// Every path the tree has (files and directories): a sibling is made
    /// only where the site has nothing of that name.
    pub taken: HashSet<Rel>,
    /// Lines for stderr that are no problem: what was left out, and why.
    pub notes: Vec<String>,
    /// Lines for stderr that are: the tree changed since site-guard
    /// looked, or could not be read.
    pub problems: Vec<String>,
}

/// A file's identity on its filesystem (device and inode), where the
/// platform tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileId(Option<(u64, u64)>);

impl FileId {
    /// The identity of the file `meta` describes.
    #[cfg(unix)]
    pub fn of(meta: &Metadata) -> FileId {
        use std::os::unix::fs::MetadataExt;
        FileId(Some((meta.dev(), meta.ino())))
    }

    /// The identity of the file `meta` describes: not known here.
    #[cfg(not(unix))]
    pub fn of(_meta: &Metadata) -> FileId {
        FileId(None)
    }
}

/// Walks the tree under `root` (shown as `shown`, with its trailing `/`).
pub fn plan(root: &Path, shown: &str) -> io::Result<Plan> {
    let canonical = fs::canonicalize(root)?;
    let mut walk = Walk {
        root: canonical.clone(),
        shown,
        plan: Plan::default(),
        stack: Vec::new(),
    };
    walk.dir(&canonical, &mut Vec::new());
    Ok(walk.plan)
}

/// A walk under way.
struct Walk<'a> {
    /// SRC, canonical.
    root: PathBuf,
    /// SRC as shown in lines.
    shown: &'a str,
    /// What has been found.
    plan: Plan,
    /// The directories being walked, outermost first: a link back to one
    /// of them would never end (site-guard refuses it; this is the check
    /// again).
    stack: Vec<FileId>,
}

impl Walk<'_> {
    /// A line's path: `rel` under SRC as shown.
    fn show(&self, rel: &[String]) -> String {
        format!("{}{}", self.shown, rel.join("/"))
    }

    /// Walks the directory at `dir` (a path with no symlink in it), which
    /// is `rel` below OUT's root.
    fn dir(&mut self, dir: &Path, rel: &mut Rel) {
        let meta = match fs::metadata(dir) {
            Ok(meta) => meta,
            Err(error) => return self.problem(rel, &format!("cannot be read: {error}")),
        };
        let id = FileId::of(&meta);
        if id.0.is_some() && self.stack.contains(&id) {
            return self.problem(rel, "leads back to a directory holding it");
        }
        let mut names: Vec<std::ffi::OsString> = match fs::read_dir(dir)
            .and_then(|entries| entries.map(|e| e.map(|e| e.file_name())).collect())
        {
            Ok(names) => names,
            Err(error) => return self.problem(rel, &format!("cannot be read: {error}")),
        };
        names.sort();
        self.stack.push(id);
        for name in names {
            let path = dir.join(&name);
            let Some(name) = name.to_str() else {
                let note = format!(
                    "{}: left out: its name is not UTF-8, and docroot serves only UTF-8 paths",
                    Path::new(&self.show(rel)).join(&name).display()
                );
                self.plan.notes.push(note);
                continue;
            };
            rel.push(name.to_owned());
            if rel.len() == 1 && name == MANIFEST {
                let note = format!(
                    "{}: left out: the pack writes its own manifest there",
                    self.show(rel)
                );
                self.plan.notes.push(note);
            } else {
                self.entry(&path, rel);
            }
            rel.pop();
        }
        self.stack.pop();
    }

    /// Records the entry at `path` (whose own name may be a symlink),
    /// which is `rel` below OUT's root.
    fn entry(&mut self, path: &Path, rel: &mut Rel) {
        let meta = match fs::symlink_metadata(path) {
            Ok(meta) => meta,
            Err(error) => return self.problem(rel, &format!("cannot be read: {error}")),
        };
        let (path, meta) = if meta.file_type().is_symlink() {
            match self.inside(path) {
                Ok(found) => found,
                Err(why) => return self.problem(rel, &why),
            }
        } else {
            (path.to_path_buf(), meta)
        };
        if meta.is_dir() {
            self.plan.taken.insert(rel.clone());
            self.plan.dirs.push(rel.clone());
            self.dir(&path, rel);
        } else if meta.is_file() {
            self.plan.taken.insert(rel.clone());
            self.plan.files.push(Source {
                rel: rel.clone(),
                path,
                len: meta.len(),
                id: FileId::of(&meta),
            });
        } else {
            self.problem(
                rel,
                "neither a file nor a directory (a FIFO, socket or device)",
            );
        }
    }

    /// Where the symlink at `path` leads, with what is there, if that is
    /// inside SRC.
    fn inside(&self, path: &Path) -> Result<(PathBuf, Metadata), String> {
        let target = fs::canonicalize(path).map_err(|error| format!("a symlink: {error}"))?;
        if !target.starts_with(&self.root) {
            return Err(format!(
                "a symlink to {}, outside {}",
                target.display(),
                self.shown
            ));
        }
        let meta = fs::metadata(&target).map_err(|error| format!("cannot be read: {error}"))?;
        Ok((target, meta))
    }

    /// Records a problem with `rel`.
    fn problem(&mut self, rel: &[String], what: &str) {
        let line = format!("{}: {what}", self.show(rel));
        self.plan.problems.push(line);
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn rels(plan: &Plan) -> Vec<String> {
        plan.files.iter().map(|f| f.rel.join("/")).collect()
    }

    #[test]
    fn links_inside_stand_for_what_they_name() {
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path().join("site");
        fs::create_dir_all(site.join("docs/deep")).unwrap();
        fs::write(site.join("docs/deep/a.txt"), "a").unwrap();
        fs::write(site.join("index.html"), "i").unwrap();
        fs::write(site.join(MANIFEST), "old").unwrap();
        symlink("index.html", site.join("home.html")).unwrap();
        symlink("docs", site.join("d")).unwrap();
        let plan = plan(&site, "site/").unwrap();
        assert_eq!(plan.problems, Vec::<String>::new());
        assert_eq!(
            rels(&plan),
            ["d/deep/a.txt", "docs/deep/a.txt", "home.html", "index.html"]
        );
        let dirs: Vec<_> = plan.dirs.iter().map(|d| d.join("/")).collect();
        assert_eq!(dirs, ["d", "d/deep", "docs", "docs/deep"]);
        let home = &plan.files[2];
        assert_eq!(home.path, site.canonicalize().unwrap().join("index.html"));
        assert_eq!(
            plan.notes,
            [format!(
                "site/{MANIFEST}: left out: the pack writes its own manifest there"
            )]
        );
        assert!(plan.taken.contains(&vec!["d".to_owned()]));
    }

    #[test]
    fn a_link_out_or_back_is_a_problem_even_after_the_guard() {
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path().join("site");
        fs::create_dir_all(site.join("sub")).unwrap();
        fs::write(dir.path().join("secret"), "s").unwrap();
        symlink("../secret", site.join("evil")).unwrap();
        symlink("..", site.join("sub/up")).unwrap();
        let plan = plan(&site, "site/").unwrap();
        assert_eq!(plan.files.len(), 0);
        assert_eq!(plan.problems.len(), 2, "{:?}", plan.problems);
        assert!(plan.problems[0].starts_with("site/evil: a symlink to "));
        assert_eq!(
            plan.problems[1],
            "site/sub/up: leads back to a directory holding it"
        );
    }
}
