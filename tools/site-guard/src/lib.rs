//! site-guard's checks, for the `site-guard` command and for `docroot-pack`,
//! which refuses what the guard refuses before it writes anything.
//!
//! [`check`] looks at one site tree and gives a [`Report`]: a line for
//! each problem (a symlink leading outside the tree, a broken or looping
//! symlink, one that leads back to a directory holding it, a FIFO, socket
//! or device, a directory that cannot be read, each line of the site's
//! `_redirects` and `_headers` that docroot would skip) and a warning for
//! each `Basic-Auth` line. The lines carry no tool's name: each command
//! puts its own before them. [`walk`] is the walk itself, as data.

#![forbid(unsafe_code)]

pub mod walk;

use std::io;
use std::path::{Path, PathBuf};

use walk::{Problem, Special};

/// What [`check`] found in one tree.
#[derive(Debug, Default)]
pub struct Report {
    /// One line per problem, in order: the root itself, then the walk's
    /// (names sorted within a directory, cycles last), then the rule
    /// files'. Each reads `public/evil: a symlink to /etc/passwd, outside
    /// public/`, with no tool's name before it.
    pub problems: Vec<String>,
    /// One line per warning, which is no problem: each `Basic-Auth` line,
    /// whose passwords sit in the site in plain text.
    pub warnings: Vec<String>,
    /// How many entries the walk looked at (the root itself not counted).
    pub entries: usize,
}

/// Why `root` cannot be checked, if it cannot: it must be a directory (a
/// symlink to one will do).
pub fn vet_root(root: &Path) -> Result<(), String> {
    match std::fs::metadata(root) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err("not a directory".to_owned()),
        Err(error) => Err(error.to_string()),
    }
}

/// Checks the tree under `root` (vetted by [`vet_root`]): the root itself,
/// every entry under it, and the rule files at its top.
pub fn check(root: &Path) -> Report {
    let shown = shown_dir(root);
    let mut report = Report::default();
    if let Some(target) = root_escapes(root) {
        report.problems.push(format!(
            "{}: itself a symlink to {}, outside the folder holding it",
            root.display(),
            target.display()
        ));
    }
    let outcome = match walk::check(root) {
        Ok(outcome) => outcome,
        Err(error) => {
            report
                .problems
                .push(format!("{shown}: cannot be resolved: {error}"));
            return report;
        }
    };
    report.entries = outcome.entries;
    report
        .problems
        .extend(outcome.problems.iter().map(|problem| line(problem, &shown)));
    let (rule_problems, warnings) = check_rules(root);
    report.problems.extend(
        rule_problems
            .iter()
            .map(|problem| format!("{shown}{problem}")),
    );
    report
        .warnings
        .extend(warnings.iter().map(|warning| format!("{shown}{warning}")));
    report
}

/// When `root` is itself a symlink: where it leads, if that is outside the
/// folder holding the link (`public` -> `/etc`). Spin copies what the link
/// leads to, so that would ship a host directory whole.
fn root_escapes(root: &Path) -> Option<PathBuf> {
    let meta = std::fs::symlink_metadata(root).ok()?;
    if !meta.file_type().is_symlink() {
        return None;
    }
    let target = std::fs::canonicalize(root).ok()?;
    let holder = match root.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let holder = std::fs::canonicalize(holder).ok()?;
    (!target.starts_with(&holder)).then_some(target)
}

/// The problems of the site's rule files at the top of `root`, each as
/// docroot writes it (`_redirects:12: reason`): a line docroot would skip,
/// or a file it would refuse whole. Then the warnings, which are no
/// problem: each `Basic-Auth` line, whose passwords are in plain text.
fn check_rules(root: &Path) -> (Vec<docroot::rules::Problem>, Vec<String>) {
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    for name in [docroot::rules::REDIRECTS, docroot::rules::HEADERS] {
        let path = root.join(name);
        let whole = |reason: String| docroot::rules::Problem {
            file: name,
            line: None,
            reason,
        };
        match std::fs::metadata(&path) {
            Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
            Err(error) => problems.push(whole(format!("cannot be read: {error}"))),
            Ok(meta) if !meta.is_file() => {
                problems.push(whole("not a regular file: docroot ignores it".to_owned()));
            }
            Ok(meta) if meta.len() > docroot::rules::MAX_FILE => problems.push(whole(format!(
                "{} bytes, more than the {} a rule file may have: docroot refuses it whole",
                meta.len(),
                docroot::rules::MAX_FILE
            ))),
            Ok(_) => match std::fs::read(&path) {
                Ok(bytes) => {
                    let (rules, found) = docroot::rules::parse(name, &bytes);
                    problems.extend(found);
                    warnings.extend(rules.headers.basic_auth_lines().iter().map(|line| {
                        format!(
                            "{name}:{line}: warning: Basic-Auth keeps its passwords in the \
                             site in plain text (as on Netlify): whoever can read the site's \
                             files can read them, so use passwords used nowhere else, and \
                             serve the site over HTTPS only"
                        )
                    }));
                }
                Err(error) => problems.push(whole(format!("cannot be read: {error}"))),
            },
        }
    }
    (problems, warnings)
}

/// The one place a [`Problem`] becomes a line. `root` is the tree's root
/// as shown ([`shown_dir`]).
pub fn line(problem: &Problem, root: &str) -> String {
    let (path, what) = match problem {
        Problem::Escapes { path, link, target } if link == target => (
            path,
            format!("a symlink to {}, outside {root}", target.display()),
        ),
        Problem::Escapes { path, link, target } => (
            path,
            format!(
                "a symlink to {}, which leads to {}, outside {root}",
                link.display(),
                target.display()
            ),
        ),
        Problem::Broken { path, link } => (
            path,
            format!("a broken symlink: {} leads nowhere", link.display()),
        ),
        Problem::Loop { path, link } => (
            path,
            format!(
                "a symlink loop: {} never reaches a file (or the chain is too long)",
                link.display()
            ),
        ),
        Problem::Cycle { path, link } => (
            path,
            format!(
                "a symlink to {}, which leads back to a directory holding it: \
                 a copy that follows symlinks never ends",
                link.display()
            ),
        ),
        Problem::Special { path, kind } => (path, special_name(*kind).to_owned()),
        Problem::Unreadable { path, error } => (path, format!("cannot be read: {error}")),
    };
    format!("{}: {what}", path.display())
}

/// What a special file is called in a report line.
fn special_name(kind: Special) -> &'static str {
    match kind {
        Special::Fifo => "a FIFO (named pipe)",
        Special::Socket => "a Unix socket",
        Special::BlockDevice => "a block device",
        Special::CharDevice => "a character device",
        Special::Other => "a special file (neither a file, a directory nor a symlink)",
    }
}

/// A directory as given on the command line, shown with one trailing `/`
/// (lossily, if its name is not UTF-8).
pub fn shown_dir(dir: &Path) -> String {
    let shown = dir.display().to_string();
    if shown.ends_with('/') {
        shown
    } else {
        shown + "/"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_kind_reads_as_one_line() {
        let p = |s: &str| Path::new(s).to_path_buf();
        let cases = [
            (
                Problem::Escapes {
                    path: p("public/up"),
                    link: p("../x"),
                    target: p("/srv/x"),
                },
                "public/up: a symlink to ../x, which leads to /srv/x, outside public/",
            ),
            (
                Problem::Loop {
                    path: p("public/l"),
                    link: p("l"),
                },
                "public/l: a symlink loop: l never reaches a file (or the chain is too long)",
            ),
            (
                Problem::Cycle {
                    path: p("public/docs/up"),
                    link: p(".."),
                },
                "public/docs/up: a symlink to .., which leads back to a directory \
                 holding it: a copy that follows symlinks never ends",
            ),
            (
                Problem::Special {
                    path: p("public/p"),
                    kind: Special::Fifo,
                },
                "public/p: a FIFO (named pipe)",
            ),
            (
                Problem::Special {
                    path: p("public/d"),
                    kind: Special::BlockDevice,
                },
                "public/d: a block device",
            ),
            (
                Problem::Unreadable {
                    path: p("public/x"),
                    error: "Permission denied (os error 13)".to_owned(),
                },
                "public/x: cannot be read: Permission denied (os error 13)",
            ),
        ];
        for (problem, expected) in cases {
            assert_eq!(line(&problem, "public/"), expected);
        }
    }

    #[test]
    fn a_root_is_shown_with_one_trailing_slash() {
        assert_eq!(shown_dir(Path::new("public")), "public/");
        assert_eq!(shown_dir(Path::new("public/")), "public/");
        assert_eq!(shown_dir(Path::new(".")), "./");
    }

    #[cfg(unix)]
    #[test]
    fn a_name_that_is_not_utf8_is_shown_lossily() {
        use std::ffi::OsStr;
        use std::os::unix::ffi::OsStrExt;
        let problem = Problem::Special {
            path: Path::new(OsStr::from_bytes(b"public/bad-\xff")).to_path_buf(),
            kind: Special::Socket,
        };
        assert_eq!(
            line(&problem, "public/"),
            "public/bad-\u{fffd}: a Unix socket"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_report_keeps_problems_and_warnings_apart() {
        use std::fs;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::os::unix::fs::symlink("/etc/passwd", root.join("evil")).unwrap();
        fs::write(root.join("_redirects"), "/only-source\n").unwrap();
        fs::write(root.join("_headers"), "/a/*\n  Basic-Auth: u:p\n").unwrap();
        let report = check(root);
        let shown = shown_dir(root);
        assert_eq!(report.entries, 3);
        assert_eq!(report.problems.len(), 2, "{:?}", report.problems);
        assert!(report.problems[0].starts_with(&format!("{shown}evil: a symlink to /etc/passwd")));
        assert_eq!(
            report.problems[1],
            format!("{shown}_redirects:1: a rule needs a source and a destination")
        );
        assert_eq!(report.warnings.len(), 1);
        assert!(report.warnings[0].starts_with(&format!("{shown}_headers:2: warning: Basic-Auth")));
    }
}
