//! `site-guard DIR...`: checks a site tree before Spin copies it.
//!
//! Spin copies a component's `files` (`spin up` without `--direct-mounts`,
//! `spin registry push`, `spin deploy`) and follows every symlink on the
//! way, so a link in the tree to `/etc/passwd`, or to `/etc`, ships those
//! host files with the app, and no component can tell them from the site's
//! own. This tool fails, naming each one, on a symlink that leads outside
//! its DIR, broken or looping symlinks, symlinks that lead back to a
//! directory holding them (the copy would never end), FIFOs, sockets and
//! devices, and directories it cannot read. A symlink that stays inside
//! is fine. It also reads the site's own rules, `_redirects` and
//! `_headers` at DIR's top, with docroot's parser, and fails naming each
//! line docroot would skip (`_redirects:12: reason`), so the tenant sees
//! it before deploying. A `Basic-Auth` line is no problem, but a warning
//! (which does not fail the check) says it keeps passwords in the site in
//! plain text.
//!
//! Exit status: 0 when every DIR is clean, 1 on any problem, 2 on a usage
//! error (no DIR, or one that is missing or not a directory). Everything
//! is written to stderr.

#![forbid(unsafe_code)]

use std::ffi::OsString;
use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

use site_guard::{shown_dir, vet_root};

/// Exit status: every DIR is clean.
const CLEAN: u8 = 0;
/// Exit status: at least one problem.
const PROBLEMS: u8 = 1;
/// Exit status: the command line is wrong.
const USAGE: u8 = 2;

/// How the tool is called.
const USAGE_LINE: &str = "usage: site-guard DIR...";

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    ExitCode::from(run(&args, &mut io::stderr().lock()))
}

/// Checks every DIR in `args`, writing the report to `out`, and returns
/// the exit status. Every DIR is vetted before any is walked.
fn run(args: &[OsString], out: &mut impl Write) -> u8 {
    if args.is_empty() {
        say(out, USAGE_LINE);
        return USAGE;
    }
    if args.iter().any(|a| a == "-h" || a == "--help") {
        say(out, USAGE_LINE);
        say(
            out,
            "Fails on any symlink leading outside DIR, broken or looping symlink, FIFO, socket or device.",
        );
        return CLEAN;
    }
    for arg in args {
        if let Err(why) = vet_root(Path::new(arg)) {
            say(
                out,
                &format!("site-guard: {}: {why}", Path::new(arg).display()),
            );
            say(out, USAGE_LINE);
            return USAGE;
        }
    }
    let mut problems = 0;
    for arg in args {
        problems += check_root(Path::new(arg), out);
    }
    if problems == 0 {
        return CLEAN;
    }
    say(out, &summary(problems, args));
    PROBLEMS
}

/// Checks one root, writing a line for each problem and warning (or one
/// line saying it is clean), and returns how many problems it has.
fn check_root(root: &Path, out: &mut impl Write) -> usize {
    let report = site_guard::check(root);
    for line in report.problems.iter().chain(&report.warnings) {
        say(out, &format!("site-guard: {line}"));
    }
    if report.problems.is_empty() {
        say(
            out,
            &format!(
                "site-guard: {}: {} entries checked, nothing leads outside it",
                shown_dir(root),
                report.entries
            ),
        );
    }
    report.problems.len()
}

/// The last line of a failing run: how many problems, and why they matter.
fn summary(problems: usize, roots: &[OsString]) -> String {
    let roots = roots
        .iter()
        .map(|r| shown_dir(Path::new(r)))
        .collect::<Vec<_>>()
        .join(", ");
    let plural = if problems == 1 { "" } else { "s" };
    format!(
        "site-guard: {problems} problem{plural} in {roots}: Spin copies this tree into the app \
         (spin up without --direct-mounts, spin registry push, spin deploy) following every \
         symlink, so a link out of it ships host files with the app, and the rest have no \
         place in a site; a rule docroot would skip is one the site does not get; fix or \
         remove them"
    )
}

/// Writes one line to the report. A report that cannot be written cannot
/// be helped; the exit status still tells.
fn say(out: &mut impl Write, line: &str) {
    let _ = writeln!(out, "{line}");
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::symlink;

    /// Runs the tool on `args`, from `cwd`-independent absolute paths,
    /// returning the exit status and the report's lines.
    fn run_on(args: &[&Path]) -> (u8, Vec<String>) {
        let args: Vec<OsString> = args.iter().map(|a| a.as_os_str().to_owned()).collect();
        let mut out = Vec::new();
        let status = run(&args, &mut out);
        let text = String::from_utf8(out).unwrap();
        (status, text.lines().map(str::to_owned).collect())
    }

    #[test]
    fn no_argument_is_a_usage_error() {
        let mut out = Vec::new();
        assert_eq!(run(&[], &mut out), USAGE);
        assert_eq!(String::from_utf8(out).unwrap(), format!("{USAGE_LINE}\n"));
    }

    #[test]
    fn a_missing_root_or_a_file_is_a_usage_error_before_any_walk() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        fs::write(&file, "x").unwrap();
        symlink("/etc/passwd", dir.path().join("evil")).unwrap();
        let (status, lines) = run_on(&[dir.path(), &file]);
        assert_eq!(status, USAGE);
        assert_eq!(
            lines[0],
            format!("site-guard: {}: not a directory", file.display())
        );
        assert!(!lines.iter().any(|l| l.contains("evil")), "{lines:?}");
        let (status, lines) = run_on(&[&dir.path().join("missing")]);
        assert_eq!(status, USAGE);
        assert!(lines[0].ends_with("missing: No such file or directory (os error 2)"));
    }

    #[test]
    fn a_root_that_is_itself_a_link_out_of_its_folder_is_a_problem() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        fs::write(elsewhere.path().join("a"), "a").unwrap();
        let project = dir.path().join("project");
        fs::create_dir(&project).unwrap();
        fs::create_dir(project.join("dist")).unwrap();
        let public = project.join("public");
        symlink(elsewhere.path(), &public).unwrap();
        let (status, lines) = run_on(&[&public]);
        assert_eq!(status, PROBLEMS);
        assert_eq!(
            lines[0],
            format!(
                "site-guard: {}: itself a symlink to {}, outside the folder holding it",
                public.display(),
                elsewhere.path().canonicalize().unwrap().display()
            )
        );
        // A link to a folder beside it, inside the project, is fine.
        fs::remove_file(&public).unwrap();
        symlink("dist", &public).unwrap();
        assert_eq!(run_on(&[&public]).0, CLEAN);
    }

    #[test]
    fn a_clean_tree_says_so_in_one_line() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a"), "a").unwrap();
        fs::create_dir(dir.path().join("b")).unwrap();
        let (status, lines) = run_on(&[dir.path()]);
        assert_eq!(status, CLEAN);
        assert_eq!(
            lines,
            [format!(
                "site-guard: {}/: 2 entries checked, nothing leads outside it",
                dir.path().display()
            )]
        );
    }

    #[test]
    fn each_problem_has_its_line_and_a_summary_ends_the_report() {
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path().join("site");
        fs::create_dir(&site).unwrap();
        symlink("/etc/passwd", site.join("evil")).unwrap();
        symlink("nowhere", site.join("gone")).unwrap();
        let (status, lines) = run_on(&[&site]);
        assert_eq!(status, PROBLEMS);
        let shown = site.display();
        let passwd = Path::new("/etc/passwd").canonicalize().unwrap();
        let evil = if passwd == Path::new("/etc/passwd") {
            format!("site-guard: {shown}/evil: a symlink to /etc/passwd, outside {shown}/")
        } else {
            format!(
                "site-guard: {shown}/evil: a symlink to /etc/passwd, which leads to {}, outside {shown}/",
                passwd.display()
            )
        };
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert_eq!(lines[0], evil);
        assert_eq!(
            lines[1],
            format!("site-guard: {shown}/gone: a broken symlink: nowhere leads nowhere")
        );
        assert!(lines[2].starts_with(&format!("site-guard: 2 problems in {shown}/: Spin copies")));
        assert!(lines[2].contains("following every symlink"));
    }

    #[test]
    fn every_bad_line_of_the_rule_files_is_named_and_fails_the_check() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::write(root.join("index.html"), "x").unwrap();
        fs::write(root.join("_redirects"), "/a /b\n/only-source\n/c /d 418\n").unwrap();
        fs::write(root.join("_headers"), "/*\n  ETag: x\n  X-Ok: 1\n").unwrap();
        let (status, lines) = run_on(&[root]);
        assert_eq!(status, PROBLEMS, "{lines:?}");
        let shown = shown_dir(root);
        assert_eq!(
            &lines[..3],
            [
                format!("site-guard: {shown}_redirects:2: a rule needs a source and a destination"),
                format!(
                    "site-guard: {shown}_redirects:3: status \"418\" is not one of 200, 301, \
                     302, 303, 307, 308, 404 (each may end in !)"
                ),
                format!(
                    "site-guard: {shown}_headers:2: ETag is docroot's to set: it frames or \
                     describes the answer docroot sends"
                ),
            ]
        );
        assert!(lines[3].starts_with("site-guard: 3 problems"), "{lines:?}");
        // A bad Basic-Auth line is a problem like any other, and every one
        // is warned of, without failing the check.
        fs::write(root.join("_redirects"), "/a /b\n").unwrap();
        fs::write(
            root.join("_headers"),
            "/admin/*\n  Basic-Auth: alice:s3cret\n/b/*\n  Basic-Auth: bob\n",
        )
        .unwrap();
        let (status, lines) = run_on(&[root]);
        assert_eq!(status, PROBLEMS, "{lines:?}");
        assert_eq!(
            lines[0],
            format!(
                "site-guard: {shown}_headers:4: Basic-Auth pair 1 has no \":\": each is \
                 user:password; until it is fixed, nobody is let in"
            )
        );
        assert!(lines[1].starts_with(&format!(
            "site-guard: {shown}_headers:2: warning: Basic-Auth"
        )));
        assert!(lines[2].starts_with(&format!("site-guard: {shown}_headers:4: warning:")));
        assert!(!lines.iter().any(|l| l.contains("s3cret")), "{lines:?}");
        fs::write(
            root.join("_headers"),
            "/admin/*\n  Basic-Auth: alice:s3cret\n",
        )
        .unwrap();
        let (status, lines) = run_on(&[root]);
        assert_eq!(status, CLEAN, "{lines:?}");
        assert!(lines[0].contains("plain text"), "{lines:?}");
        assert!(lines[1].contains("nothing leads outside it"), "{lines:?}");
        fs::write(root.join("_headers"), "/*\n  X-Ok: 1\n").unwrap();
        // Fixed, the site passes.
        fs::write(root.join("_redirects"), "/a /b\n# fine\n/c /d 302\n").unwrap();
        fs::write(root.join("_headers"), "/*\n  X-Ok: 1\n").unwrap();
        let (status, lines) = run_on(&[root]);
        assert_eq!(status, CLEAN, "{lines:?}");
        // A binary or oversized file is refused whole.
        fs::write(root.join("_headers"), b"/*\0\n").unwrap();
        let (status, lines) = run_on(&[root]);
        assert_eq!(status, PROBLEMS);
        assert!(
            lines[0].ends_with(
                "_headers: not a text file (it is not UTF-8, or holds a NUL byte): refused whole"
            ),
            "{lines:?}"
        );
    }

    #[test]
    fn problems_in_several_roots_are_counted_together() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        fs::create_dir(&a).unwrap();
        fs::create_dir(&b).unwrap();
        symlink("../b", a.join("to-b")).unwrap();
        symlink("../a", b.join("to-a")).unwrap();
        let (status, lines) = run_on(&[&a, &b]);
        assert_eq!(status, PROBLEMS);
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert!(
            lines[2].starts_with("site-guard: 2 problems in "),
            "{lines:?}"
        );
    }
}
