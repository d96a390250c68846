//! The walk: every entry under a root, looked at without following
//! symlinks, and what is wrong with it as data ([`Problem`]). Nothing here
//! prints; `main` turns the problems into lines.

use std::fs::{self, FileType};
use std::io;
use std::path::{Path, PathBuf};

/// A file that is neither a regular file, a directory nor a symlink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
// Only Unix tells these apart; elsewhere every such file is `Other`.
#[cfg_attr(not(unix), allow(dead_code))]
pub enum Special {
    /// A named pipe: copying it blocks until something writes to it.
    Fifo,
    /// A Unix domain socket.
    Socket,
    /// A block device, such as a disk.
    BlockDevice,
    /// A character device, such as a terminal or `/dev/null`.
    CharDevice,
    /// Some other kind this platform cannot name.
    Other,
}

/// What an entry is, as far as the guard cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A regular file: fine.
    File,
    /// A directory: walked.
    Dir,
    /// A symlink: resolved, never followed by the walk.
    Symlink,
    /// Anything else: a problem.
    Special(Special),
}

/// Something in the tree that Spin's copy must not meet. Every path is the
/// root as given joined with the entry's name, so it reads like the
/// command line that named the root (`public/evil`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A symlink whose final target (after every link in the chain) lies
    /// outside the root.
    Escapes {
        /// The symlink.
        path: PathBuf,
        /// What the symlink itself says.
        link: PathBuf,
        /// Where the chain ends, canonical.
        target: PathBuf,
    },
    /// A symlink that leads to nothing (or through a file as if it were a
    /// directory).
    Broken {
        /// The symlink.
        path: PathBuf,
        /// What the symlink itself says.
        link: PathBuf,
    },
    /// A symlink that loops (or whose chain is too long to resolve).
    Loop {
        /// The symlink.
        path: PathBuf,
        /// What the symlink itself says.
        link: PathBuf,
    },
    /// A symlink to a directory inside the tree that leads back to a
    /// directory holding the link (itself, or through other such links):
    /// a copy that follows symlinks goes round and round.
    Cycle {
        /// The symlink.
        path: PathBuf,
        /// What the symlink itself says.
        link: PathBuf,
    },
    /// A FIFO, socket or device.
    Special {
        /// The file.
        path: PathBuf,
        /// Which kind it is.
        kind: Special,
    },
    /// An entry, directory or symlink that could not be read or resolved.
    Unreadable {
        /// The entry.
        path: PathBuf,
        /// Why.
        error: String,
    },
}

/// The result of checking one root.
#[derive(Debug, Default)]
pub struct Outcome {
    /// How many entries were looked at (the root itself not counted).
    pub entries: usize,
    /// What is wrong, in walk order (names sorted within a directory),
    /// the cycles last.
    pub problems: Vec<Problem>,
}

/// Checks the tree under `root`, which must be a directory. Fails only if
/// the root itself cannot be resolved; every other trouble is a
/// [`Problem`].
pub fn check(root: &Path) -> io::Result<Outcome> {
    let mut walk = Walk {
        root: fs::canonicalize(root)?,
        outcome: Outcome::default(),
        dir_links: Vec::new(),
    };
    walk.dir(root);
    let cycles = walk
        .dir_links
        .iter()
        .filter(|l| leads_back(l, &walk.dir_links))
        .map(|l| Problem::Cycle {
            path: l.path.clone(),
            link: l.link.clone(),
        })
        .collect::<Vec<_>>();
    walk.outcome.problems.extend(cycles);
    Ok(walk.outcome)
}

/// A walk under way.
struct Walk {
    /// The root, canonical.
    root: PathBuf,
    /// What has been found so far.
    outcome: Outcome,
    /// The symlinks to directories inside the tree, for [`leads_back`].
    dir_links: Vec<DirLink>,
}

/// A symlink to a directory inside the tree.
struct DirLink {
    /// The symlink, as given.
    path: PathBuf,
    /// What it says.
    link: PathBuf,
    /// The directory holding it, canonical.
    dir: PathBuf,
    /// The directory it leads to, canonical.
    target: PathBuf,
}

/// How a symlink resolved.
enum Resolved {
    /// To `target` (canonical), inside the tree.
    Inside(PathBuf),
    /// To trouble.
    Problem(Problem),
}

/// Maps a file type, taken without following symlinks, to its [`Kind`].
pub fn kind_of(file_type: FileType) -> Kind {
    if file_type.is_symlink() {
        Kind::Symlink
    } else if file_type.is_dir() {
        Kind::Dir
    } else if file_type.is_file() {
        Kind::File
    } else {
        Kind::Special(special_kind(file_type))
    }
}

/// Names a file type that is neither a file, a directory nor a symlink.
#[cfg(unix)]
fn special_kind(file_type: FileType) -> Special {
    use std::os::unix::fs::FileTypeExt;
    if file_type.is_fifo() {
        Special::Fifo
    } else if file_type.is_socket() {
        Special::Socket
    } else if file_type.is_block_device() {
        Special::BlockDevice
    } else if file_type.is_char_device() {
        Special::CharDevice
    } else {
        Special::Other
    }
}

/// Names a file type that is neither a file, a directory nor a symlink:
/// this platform cannot tell which.
#[cfg(not(unix))]
fn special_kind(_file_type: FileType) -> Special {
    Special::Other
}

impl Walk {
    /// Walks `dir` (a path as given, under the root) and records each
    /// entry.
    fn dir(&mut self, dir: &Path) {
        let names = match sorted_names(dir) {
            Ok(names) => names,
            Err(error) => {
                self.outcome.problems.push(unreadable(dir, &error));
                return;
            }
        };
        for name in names {
            self.outcome.entries += 1;
            let path = dir.join(name);
            match fs::symlink_metadata(&path) {
                Ok(meta) => self.entry(&path, kind_of(meta.file_type())),
                Err(error) => self.outcome.problems.push(unreadable(&path, &error)),
            }
        }
    }

    /// Records what is wrong with one entry of kind `kind`, descending
    /// into a directory (never through a symlink).
    fn entry(&mut self, path: &Path, kind: Kind) {
        match kind {
            Kind::File => {}
            Kind::Dir => self.dir(path),
            Kind::Symlink => self.link(path),
            Kind::Special(kind) => self.outcome.problems.push(Problem::Special {
                path: path.to_path_buf(),
                kind,
            }),
        }
    }

    /// Records what is wrong with the symlink at `path`, and remembers it
    /// if it leads to a directory inside the tree.
    fn link(&mut self, path: &Path) {
        let link = match fs::read_link(path) {
            Ok(link) => link,
            Err(error) => return self.outcome.problems.push(unreadable(path, &error)),
        };
        match resolve(path, &link, &self.root) {
            Resolved::Problem(problem) => self.outcome.problems.push(problem),
            Resolved::Inside(target) if target.is_dir() => {
                // The link's own directory is a real one, walked here.
                let holder = path.parent().map(fs::canonicalize);
                if let Some(Ok(dir)) = holder {
                    self.dir_links.push(DirLink {
                        path: path.to_path_buf(),
                        link,
                        dir,
                        target,
                    });
                }
            }
            Resolved::Inside(_) => {}
        }
    }
}

/// The names in `dir`, sorted, so the report's order is stable.
fn sorted_names(dir: &Path) -> io::Result<Vec<std::ffi::OsString>> {
    let mut names = fs::read_dir(dir)?
        .map(|entry| entry.map(|e| e.file_name()))
        .collect::<io::Result<Vec<_>>>()?;
    names.sort();
    Ok(names)
}

/// Resolves the symlink at `path`, which says `link`, through its whole
/// chain, against `root` (canonical).
fn resolve(path: &Path, link: &Path, root: &Path) -> Resolved {
    let (path, link) = (path.to_path_buf(), link.to_path_buf());
    match fs::canonicalize(&path) {
        Ok(target) if target.starts_with(root) => Resolved::Inside(target),
        Ok(target) => Resolved::Problem(Problem::Escapes { path, link, target }),
        Err(error) => Resolved::Problem(match error.kind() {
            io::ErrorKind::NotFound | io::ErrorKind::NotADirectory => {
                Problem::Broken { path, link }
            }
            _ if is_loop(&error) => Problem::Loop { path, link },
            _ => unreadable(&path, &error),
        }),
    }
}

/// Whether following `start` (and then any of `links` met on the way, as
/// a copy that follows symlinks does) reaches a directory holding `start`
/// again: the directories reached are everything under the targets
/// reached so far.
fn leads_back(start: &DirLink, links: &[DirLink]) -> bool {
    let mut reached = vec![start.target.as_path()];
    loop {
        if reached.iter().any(|r| start.dir.starts_with(r)) {
            return true;
        }
        let further: Vec<&Path> = links
            .iter()
            .filter(|l| reached.iter().any(|r| l.dir.starts_with(r)))
            .map(|l| l.target.as_path())
            .filter(|t| !reached.contains(t))
            .collect();
        if further.is_empty() {
            return false;
        }
        reached.extend(further);
    }
}

/// ELOOP, the error of a symlink loop: std names it only in an unstable
/// `io::ErrorKind` (`FilesystemLoop`), so the number is spelled here.
#[cfg(any(target_os = "linux", target_os = "android"))]
const ELOOP: Option<i32> = Some(40);
/// ELOOP, the error of a symlink loop, on the BSDs and Apple's systems.
#[cfg(any(
    target_os = "macos",
    target_os = "ios",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "netbsd",
    target_os = "dragonfly"
))]
const ELOOP: Option<i32> = Some(62);
/// Elsewhere a loop is reported as an error that could not be resolved.
#[cfg(not(any(
    target_os = "linux",
    target_os = "android",
    target_os = "macos",
    target_os = "ios",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "netbsd",
    target_os = "dragonfly"
)))]
const ELOOP: Option<i32> = None;

/// Whether `error` says a chain of symlinks loops (or is too long).
fn is_loop(error: &io::Error) -> bool {
    ELOOP.is_some() && error.raw_os_error() == ELOOP
}

/// A [`Problem::Unreadable`] for `path`.
fn unreadable(path: &Path, error: &io::Error) -> Problem {
    Problem::Unreadable {
        path: path.to_path_buf(),
        error: error.to_string(),
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;
    use std::os::unix::net::UnixListener;
    use std::process::Command;
    use tempfile::TempDir;

    /// A site tree `site/` in a fresh temporary directory, with one file,
    /// and a directory `outside/` beside it holding `secret`.
    struct Fixture {
        dir: TempDir,
    }

    impl Fixture {
        fn new() -> Fixture {
            let dir = tempfile::tempdir().unwrap();
            fs::create_dir(dir.path().join("site")).unwrap();
            fs::write(dir.path().join("site/index.html"), "<p>hi</p>\n").unwrap();
            fs::create_dir(dir.path().join("outside")).unwrap();
            fs::write(dir.path().join("outside/secret"), "secret\n").unwrap();
            Fixture { dir }
        }

        /// The site's root.
        fn site(&self) -> PathBuf {
            self.dir.path().join("site")
        }

        /// The directory beside the site, canonical.
        fn outside(&self) -> PathBuf {
            self.dir.path().join("outside").canonicalize().unwrap()
        }

        /// Makes a symlink at `at` (relative to the site) saying `to`.
        fn link(&self, to: impl AsRef<Path>, at: &str) {
            symlink(to, self.site().join(at)).unwrap();
        }

        fn check(&self) -> Outcome {
            check(&self.site()).unwrap()
        }
    }

    #[test]
    fn a_clean_tree_has_no_problem() {
        let fx = Fixture::new();
        fs::create_dir(fx.site().join("docs")).unwrap();
        fs::write(fx.site().join("docs/a.txt"), "a").unwrap();
        let outcome = fx.check();
        assert_eq!(outcome.problems, []);
        assert_eq!(outcome.entries, 3);
    }

    #[test]
    fn a_link_to_a_file_outside_escapes() {
        let fx = Fixture::new();
        let secret = fx.outside().join("secret");
        fx.link(&secret, "evil");
        assert_eq!(
            fx.check().problems,
            [Problem::Escapes {
                path: fx.site().join("evil"),
                link: secret.clone(),
                target: secret,
            }]
        );
    }

    #[test]
    fn a_link_to_a_directory_outside_escapes_and_is_not_walked() {
        let fx = Fixture::new();
        fx.link(fx.outside(), "etc");
        let outcome = fx.check();
        assert_eq!(
            outcome.problems,
            [Problem::Escapes {
                path: fx.site().join("etc"),
                link: fx.outside(),
                target: fx.outside(),
            }]
        );
        assert_eq!(outcome.entries, 2, "the outside directory is not walked");
    }

    #[test]
    fn a_relative_dotdot_link_escapes() {
        let fx = Fixture::new();
        fs::create_dir(fx.site().join("sub")).unwrap();
        fx.link("../../outside/secret", "sub/up");
        assert_eq!(
            fx.check().problems,
            [Problem::Escapes {
                path: fx.site().join("sub/up"),
                link: PathBuf::from("../../outside/secret"),
                target: fx.outside().join("secret"),
            }]
        );
    }

    #[test]
    fn links_that_stay_inside_are_fine_and_not_descended_into() {
        let fx = Fixture::new();
        fs::create_dir(fx.site().join("docs")).unwrap();
        fs::write(fx.site().join("docs/a.txt"), "a").unwrap();
        fx.link("index.html", "home.html");
        fx.link("docs", "docs-link");
        fx.link("../site/docs/a.txt", "round-trip");
        let outcome = fx.check();
        assert_eq!(outcome.problems, []);
        // index.html, docs, docs/a.txt and the three links: docs-link is
        // not walked a second time.
        assert_eq!(outcome.entries, 6);
    }

    #[test]
    fn a_chain_that_ends_outside_escapes_at_each_link() {
        let fx = Fixture::new();
        fx.link(fx.outside().join("secret"), "c");
        fx.link("c", "b");
        fx.link("b", "a");
        let problems = fx.check().problems;
        let escaped: Vec<_> = problems
            .iter()
            .map(|p| match p {
                Problem::Escapes { path, target, .. } => (path.clone(), target.clone()),
                other => panic!("{other:?}"),
            })
            .collect();
        let secret = fx.outside().join("secret");
        assert_eq!(
            escaped,
            [
                (fx.site().join("a"), secret.clone()),
                (fx.site().join("b"), secret.clone()),
                (fx.site().join("c"), secret),
            ]
        );
    }

    #[test]
    fn a_broken_link_is_a_problem() {
        let fx = Fixture::new();
        fx.link("nothing-here", "broken");
        fx.link("index.html/below-a-file", "through-a-file");
        assert_eq!(
            fx.check().problems,
            [
                Problem::Broken {
                    path: fx.site().join("broken"),
                    link: PathBuf::from("nothing-here"),
                },
                Problem::Broken {
                    path: fx.site().join("through-a-file"),
                    link: PathBuf::from("index.html/below-a-file"),
                },
            ]
        );
    }

    #[test]
    fn a_loop_is_a_problem() {
        let fx = Fixture::new();
        fx.link("loop-b", "loop-a");
        fx.link("loop-a", "loop-b");
        fx.link("self", "self");
        let problems = fx.check().problems;
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(
            problems.iter().all(|p| matches!(p, Problem::Loop { .. })),
            "{problems:?}"
        );
    }

    #[test]
    fn a_link_to_a_directory_holding_it_is_a_cycle() {
        let fx = Fixture::new();
        fs::create_dir(fx.site().join("docs")).unwrap();
        fx.link("..", "docs/up");
        fx.link(".", "here");
        assert_eq!(
            fx.check().problems,
            [
                Problem::Cycle {
                    path: fx.site().join("docs/up"),
                    link: PathBuf::from(".."),
                },
                Problem::Cycle {
                    path: fx.site().join("here"),
                    link: PathBuf::from("."),
                },
            ]
        );
    }

    #[test]
    fn links_that_lead_back_through_each_other_are_cycles() {
        let fx = Fixture::new();
        for dir in ["a", "b", "c"] {
            fs::create_dir(fx.site().join(dir)).unwrap();
        }
        fx.link("../b", "a/to-b");
        fx.link("../a", "b/to-a");
        // Into the cycle but not on it: following it ends in the cycle,
        // which is reported where it is.
        fx.link("../a", "c/to-a");
        let problems = fx.check().problems;
        assert_eq!(
            problems,
            [
                Problem::Cycle {
                    path: fx.site().join("a/to-b"),
                    link: PathBuf::from("../b"),
                },
                Problem::Cycle {
                    path: fx.site().join("b/to-a"),
                    link: PathBuf::from("../a"),
                },
            ]
        );
    }

    #[test]
    fn links_between_directories_without_a_way_back_are_fine() {
        let fx = Fixture::new();
        for dir in ["a", "b", "b/c"] {
            fs::create_dir(fx.site().join(dir)).unwrap();
        }
        fx.link("../b", "a/to-b");
        fx.link("../b/c", "a/to-c");
        fx.link("c", "b/down");
        fx.link("../a/to-b/c", "b/also-c");
        assert_eq!(fx.check().problems, []);
    }

    #[test]
    fn a_fifo_is_a_problem() {
        let fx = Fixture::new();
        let fifo = fx.site().join("pipe");
        let status = Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(status.success());
        assert_eq!(
            fx.check().problems,
            [Problem::Special {
                path: fifo,
                kind: Special::Fifo,
            }]
        );
    }

    #[test]
    fn a_socket_is_a_problem() {
        let fx = Fixture::new();
        let socket = fx.site().join("sock");
        let _listener = UnixListener::bind(&socket).unwrap();
        assert_eq!(
            fx.check().problems,
            [Problem::Special {
                path: socket,
                kind: Special::Socket,
            }]
        );
    }

    #[test]
    fn devices_are_classified() {
        let null = fs::symlink_metadata("/dev/null").unwrap().file_type();
        assert_eq!(kind_of(null), Kind::Special(Special::CharDevice));
        // A block device, where the machine shows one (a container may not).
        let block = fs::read_dir("/dev")
            .unwrap()
            .filter_map(Result::ok)
            .filter_map(|e| e.file_type().ok())
            .find(|t| kind_of(*t) == Kind::Special(Special::BlockDevice));
        if block.is_none() {
            eprintln!("no block device under /dev: only the character device was classified");
        }
    }

    #[test]
    #[ignore = "makes device nodes, which needs root: cargo test -p site-guard -- --include-ignored"]
    fn device_nodes_in_the_tree_are_problems() {
        let fx = Fixture::new();
        for (name, node) in [("block", ["b", "7", "0"]), ("char", ["c", "1", "3"])] {
            let status = Command::new("mknod")
                .arg(fx.site().join(name))
                .args(node)
                .status()
                .unwrap();
            assert!(status.success(), "mknod {name}");
        }
        assert_eq!(
            fx.check().problems,
            [
                Problem::Special {
                    path: fx.site().join("block"),
                    kind: Special::BlockDevice,
                },
                Problem::Special {
                    path: fx.site().join("char"),
                    kind: Special::CharDevice,
                },
            ]
        );
    }

    #[test]
    fn awkward_names_are_walked() {
        let fx = Fixture::new();
        let nested = fx.site().join("a dir with spaces/日本語 ü");
        fs::create_dir_all(&nested).unwrap();
        fs::write(nested.join("page one.html"), "x").unwrap();
        symlink(fx.outside().join("secret"), nested.join("✗ evil")).unwrap();
        let outcome = fx.check();
        assert_eq!(
            outcome.problems,
            [Problem::Escapes {
                path: nested.join("✗ evil"),
                link: fx.outside().join("secret"),
                target: fx.outside().join("secret"),
            }]
        );
        assert_eq!(outcome.entries, 5);
    }

    #[test]
    fn a_name_that_is_not_utf8_does_not_stop_the_walk() {
        use std::ffi::OsStr;
        use std::os::unix::ffi::OsStrExt;
        let fx = Fixture::new();
        let name = OsStr::from_bytes(b"bad-\xff-name");
        let dir = fx.site().join(name);
        // Some filesystems refuse such names; then there is nothing to test.
        if fs::create_dir(&dir).is_err() {
            eprintln!("this filesystem refuses names that are not UTF-8");
            return;
        }
        symlink(fx.outside(), dir.join("up")).unwrap();
        let problems = fx.check().problems;
        assert!(
            matches!(&problems[..], [Problem::Escapes { path, .. }] if *path == dir.join("up")),
            "{problems:?}"
        );
    }

    #[test]
    fn a_directory_that_cannot_be_read_is_a_problem() {
        use std::os::unix::fs::PermissionsExt;
        let fx = Fixture::new();
        let locked = fx.site().join("locked");
        fs::create_dir(&locked).unwrap();
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
        // Root reads any directory: then there is nothing to test.
        let readable = fs::read_dir(&locked).is_ok();
        let problems = fx.check().problems;
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();
        if readable {
            eprintln!("running as root: a mode-000 directory is still readable");
            assert_eq!(problems, []);
            return;
        }
        assert!(
            matches!(&problems[..], [Problem::Unreadable { path, .. }] if *path == locked),
            "{problems:?}"
        );
    }

    #[test]
    fn the_root_must_resolve() {
        let fx = Fixture::new();
        assert!(check(&fx.site().join("missing")).is_err());
    }
}
