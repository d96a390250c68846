//! The command: its arguments, site-guard's checks, the walk, the files
//! packed on every core, what SRC no longer has removed from OUT, the
//! manifest written last, and the lines on stderr.

use std::collections::HashSet;
use std::ffi::OsString;
use std::fs;
use std::io::{self, IsTerminal, Write};
use std::path::{Component, Path, PathBuf};
use std::time::Instant;

use docroot::codec::Encoding;
use docroot::manifest::{self, MANIFEST, Manifest};
use rayon::prelude::*;
use site_guard::shown_dir;

use crate::job::{self, Done, Job, Places};
use crate::out;
use crate::plan::{self, Plan, Rel};

/// Exit status: packed.
pub const PACKED: u8 = 0;
/// Exit status: SRC has problems (nothing written), or packing failed.
pub const PROBLEMS: u8 = 1;
/// Exit status: the command line is wrong.
pub const USAGE: u8 = 2;

/// How the tool is called.
const USAGE_LINE: &str = "usage: docroot-pack SRC OUT";

/// Packs as `args` say, writing every line to `err`: the exit status.
pub fn run(args: &[OsString], err: &mut impl Write) -> u8 {
    if args.iter().any(|a| a == "-h" || a == "--help") {
        say(err, USAGE_LINE);
        say(
            err,
            "Refuses what site-guard refuses; else writes OUT: every file of SRC, a .br and .gz \
             beside each file docroot would code on the fly, and _docroot-manifest. A second \
             pack into the same OUT redoes only what changed.",
        );
        return PACKED;
    }
    let [src, out] = args else {
        say(err, USAGE_LINE);
        return USAGE;
    };
    let (src, out) = (Path::new(src), Path::new(out));
    let vetted = site_guard::vet_root(src).map_err(|why| format!("{}: {why}", src.display()));
    if let Err(why) = vetted.and_then(|()| vet_out(src, out)) {
        say(err, &format!("docroot-pack: {why}"));
        say(err, USAGE_LINE);
        return USAGE;
    }
    let started = Instant::now();

    let report = site_guard::check(src);
    for line in report.problems.iter().chain(&report.warnings) {
        say(err, &format!("docroot-pack: {line}"));
    }
    let src_shown = shown_dir(src);
    if !report.problems.is_empty() {
        let n = report.problems.len();
        say(
            err,
            &format!(
                "docroot-pack: {n} problem{} in {src_shown}, so nothing was written to {}: \
                 a link out of the site would ship host files, and the rest have no place in \
                 a site; a rule docroot would skip is one the site does not get; fix or \
                 remove them",
                plural(n),
                shown_dir(out)
            ),
        );
        return PROBLEMS;
    }

    let plan = match plan::plan(src, &src_shown) {
        Ok(plan) => plan,
        Err(error) => {
            say(
                err,
                &format!("docroot-pack: {src_shown}: cannot be resolved: {error}"),
            );
            return PROBLEMS;
        }
    };
    for note in &plan.notes {
        say(err, &format!("docroot-pack: {note}"));
    }
    if !plan.problems.is_empty() {
        for problem in &plan.problems {
            say(err, &format!("docroot-pack: {problem}"));
        }
        say(
            err,
            &format!(
                "docroot-pack: {src_shown} changed while it was being packed; nothing was \
                 written to {}",
                shown_dir(out)
            ),
        );
        return PROBLEMS;
    }

    match pack(&plan, &src_shown, out, err) {
        Ok(tally) => {
            say(err, &tally.line(started.elapsed().as_secs_f64()));
            PACKED
        }
        Err(lines) => {
            for line in &lines {
                say(err, &format!("docroot-pack: {line}"));
            }
            say(
                err,
                &format!(
                    "docroot-pack: {} could not be packed whole; its manifest is left as it \
                     was, and the next pack finishes it",
                    shown_dir(out)
                ),
            );
            PROBLEMS
        }
    }
}

/// What a pack did, for its summary line.
#[derive(Debug, Default, PartialEq)]
pub struct Tally {
    /// Files of SRC packed.
    pub files: usize,
    /// Of which written (not already in OUT as they are).
    pub copied: usize,
    /// Of which coded (a coder ran).
    pub coded: usize,
    /// Of which whose siblings were kept from the last pack.
    pub reused: usize,
    /// Files removed from OUT (SRC no longer has them, or their siblings).
    pub removed: usize,
    /// The bytes of SRC's files.
    pub bytes_in: u64,
    /// The bytes of the siblings made (now or by the last pack).
    pub sibling_bytes: u64,
}

impl Tally {
    /// The summary line, after `seconds`.
    pub fn line(&self, seconds: f64) -> String {
        format!(
            "docroot-pack: {} files ({} copied, {} coded, {} reused from the last pack, {} \
             removed), {} in, {} of siblings, {seconds:.1} s",
            self.files,
            self.copied,
            self.coded,
            self.reused,
            self.removed,
            size(self.bytes_in),
            size(self.sibling_bytes),
        )
    }

    fn add(&mut self, done: &Done) {
        self.files += 1;
        self.copied += usize::from(done.copied);
        self.coded += usize::from(done.coded);
        self.reused += usize::from(done.reused);
        self.bytes_in += done.len;
        self.sibling_bytes += done.siblings;
    }
}

/// Writes OUT from `plan`: the lines of what failed, if anything did.
fn pack(
    plan: &Plan,
    src_shown: &str,
    out: &Path,
    err: &mut impl Write,
) -> Result<Tally, Vec<String>> {
    let at = |what: &str, path: &Path, error: io::Error| {
        vec![format!("{}: {what}: {error}", path.display())]
    };
    // A manifest docroot would not read is refused before anything is
    // written: its size is bounded from the names alone.
    let most = manifest_bound(plan);
    if most > manifest::MAX_LEN {
        return Err(vec![format!(
            "{}: the manifest of this site could be {most} bytes, more than the {} docroot \
             reads; pack the site in parts",
            out.join(MANIFEST).display(),
            manifest::MAX_LEN
        )]);
    }
    fs::create_dir_all(out).map_err(|e| at("cannot be made", out, e))?;
    let old = match out::old_manifest(out) {
        Some(Ok(manifest)) => Some(manifest),
        Some(Err(why)) => {
            say(
                err,
                &format!(
                    "docroot-pack: {}{MANIFEST}: not used ({why}): every sibling is made anew",
                    shown_dir(out)
                ),
            );
            None
        }
        None => None,
    };
    for dir in &plan.dirs {
        let path = out::join(out, dir);
        out::ensure_dir(&path).map_err(|e| at("cannot be made", &path, e))?;
    }

    let mut jobs = jobs(plan, old.as_ref());
    // The biggest first, so that no long coding starts last.
    jobs.sort_by_key(|job| std::cmp::Reverse(job.source.len));
    let bar = progress(jobs.len());
    let places = Places { src_shown, out };
    let results: Vec<Result<Done, String>> = jobs
        .par_iter()
        .map(|job| {
            let result = job::run(job, &places);
            bar.inc(1);
            result
        })
        .collect();
    bar.finish_and_clear();

    let mut tally = Tally::default();
    let mut entries = Vec::new();
    let mut failed = Vec::new();
    for result in results {
        match result {
            Ok(done) => {
                tally.add(&done);
                entries.extend(done.entries);
            }
            Err(line) => failed.push(line),
        }
    }
    if !failed.is_empty() {
        failed.sort();
        return Err(failed);
    }

    let files: HashSet<Rel> = entries.iter().map(|(rel, _)| rel.clone()).collect();
    let dirs: HashSet<Rel> = plan.dirs.iter().cloned().collect();
    tally.removed = out::sweep(out, &files, &dirs).map_err(|e| at("cannot be cleaned", out, e))?;
    let path = out.join(MANIFEST);
    out::write_manifest(out, &manifest::render(&entries))
        .map_err(|e| at("cannot be written", &path, e))?;
    Ok(tally)
}

/// The most bytes the manifest of `plan` can take: each file's line and
/// each of its siblings', every number at its widest, and the first line.
fn manifest_bound(plan: &Plan) -> u64 {
    // A tab and a digest, a tab and a size, a tab and a time, a newline.
    const WIDEST_FIELDS: u64 = 1 + 32 + 1 + 20 + 1 + 30 + 1;
    let lines: u64 = plan
        .files
        .iter()
        .map(|source| {
            let key = manifest::key(&source.rel).len() as u64;
            let siblings = siblings_to_make(&source.rel, source.len, &plan.taken).len() as u64;
            (key + WIDEST_FIELDS) + siblings * (key + 4 + WIDEST_FIELDS)
        })
        .sum();
    lines + 64
}

/// A job for each file of `plan`, with what `old` says of it and of its
/// siblings. The manifest is looked up here, on one thread.
fn jobs<'a>(plan: &'a Plan, old: Option<&Manifest>) -> Vec<Job<'a>> {
    let lookup = |rel: &[String]| old.and_then(|m| m.lookup(rel));
    plan.files
        .iter()
        .map(|source| {
            let make = siblings_to_make(&source.rel, source.len, &plan.taken)
                .into_iter()
                .map(|(encoding, name)| (encoding, lookup(&name)))
                .collect();
            Job {
                source,
                old: lookup(&source.rel),
                make,
            }
        })
        .collect()
}

/// The siblings to make of the file at `rel`, of `len` bytes: none unless
/// docroot would code it on the fly (a compressible type, at least
/// `MIN_LEN` bytes: the core's own predicate), and none the site has
/// (any entry by a sibling's name, in `taken`, is the site's own, copied
/// as it is).
pub fn siblings_to_make(rel: &[String], len: u64, taken: &HashSet<Rel>) -> Vec<(Encoding, Rel)> {
    let Some(name) = rel.last() else {
        return Vec::new();
    };
    let content_type = docroot::content_type::for_name(name);
    if !docroot::content_type::worth_coding(&content_type, len) {
        return Vec::new();
    }
    Encoding::MADE
        .into_iter()
        .map(|encoding| {
            let mut sibling = rel.to_vec();
            if let Some(last) = sibling.last_mut() {
                last.push_str(encoding.suffix());
            }
            (encoding, sibling)
        })
        .filter(|(_, sibling)| !taken.contains(sibling))
        .collect()
}

/// A progress bar on stderr when it is a terminal; else nothing drawn.
fn progress(files: usize) -> indicatif::ProgressBar {
    if !io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(files as u64);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "docroot-pack: [{bar:30}] {pos}/{len} files, {elapsed} ({eta} left)",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// Why OUT cannot be packed into, if it cannot: it is SRC, inside it or
/// holds it, is not a directory, or holds something that is not a pack's
/// output (which packing would remove).
fn vet_out(src: &Path, out: &Path) -> Result<(), String> {
    let src_canonical = fs::canonicalize(src).map_err(|e| format!("{}: {e}", src.display()))?;
    let shown = out.display();
    let exists = fs::symlink_metadata(out).is_ok();
    let out_canonical = if exists {
        match fs::metadata(out) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => return Err(format!("{shown}: not a directory")),
            Err(error) => return Err(format!("{shown}: {error}")),
        }
        fs::canonicalize(out).map_err(|e| format!("{shown}: {e}"))?
    } else {
        to_be(out)?
    };
    if out_canonical == src_canonical {
        return Err(format!("{shown}: the same directory as SRC"));
    }
    if out_canonical.starts_with(&src_canonical) {
        return Err(format!(
            "{shown}: inside SRC, {}; OUT must be outside it",
            src.display()
        ));
    }
    if src_canonical.starts_with(&out_canonical) {
        return Err(format!(
            "{shown}: SRC, {}, is inside it; OUT must be outside SRC",
            src.display()
        ));
    }
    if exists && out::regular(&out.join(MANIFEST)).is_none() {
        let mut entries = fs::read_dir(out).map_err(|e| format!("{shown}: {e}"))?;
        if entries.next().is_some() {
            return Err(format!(
                "{shown}: holds files but no {MANIFEST}, so it is no pack's output, and \
                 packing would remove whatever SRC does not have; give a new or empty directory"
            ));
        }
    }
    Ok(())
}

/// Where `out`, which does not exist, will be: its nearest existing
/// ancestor, canonical, with the rest of its names.
fn to_be(out: &Path) -> Result<PathBuf, String> {
    let shown = out.display();
    let mut rest = Vec::new();
    let mut at = out;
    loop {
        let here = if at.as_os_str().is_empty() {
            Path::new(".")
        } else {
            at
        };
        if fs::symlink_metadata(here).is_ok() {
            let base = fs::canonicalize(here).map_err(|e| format!("{shown}: {e}"))?;
            if !base.is_dir() {
                return Err(format!("{shown}: {} is not a directory", here.display()));
            }
            return Ok(rest.iter().rev().fold(base, |path, name| path.join(name)));
        }
        let mut components = at.components();
        match components.next_back() {
            Some(Component::Normal(name)) => rest.push(name.to_owned()),
            Some(Component::CurDir) => {}
            _ => {
                return Err(format!(
                    "{shown}: goes up (..) from a directory that does not exist"
                ));
            }
        }
        at = components.as_path();
    }
}

/// A size in decimal units, to one decimal: kB under a megabyte, then MB,
/// then GB.
fn size(bytes: u64) -> String {
    let bytes = bytes as f64;
    if bytes < 1e6 {
        format!("{:.1} kB", bytes / 1e3)
    } else if bytes < 1e9 {
        format!("{:.1} MB", bytes / 1e6)
    } else {
        format!("{:.1} GB", bytes / 1e9)
    }
}

/// `s` when `n` is not one.
fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Writes one line. A report that cannot be written cannot be helped; the
/// exit status still tells.
fn say(out: &mut impl Write, line: &str) {
    let _ = writeln!(out, "{line}");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(s: &str) -> Rel {
        s.split('/').map(str::to_owned).collect()
    }

    #[test]
    fn siblings_are_made_as_docroot_codes_on_the_fly() {
        let none = HashSet::new();
        let min = docroot::codec::MIN_LEN;
        let made = |name: &str, len: u64, taken: &HashSet<Rel>| {
            siblings_to_make(&rel(name), len, taken)
                .into_iter()
                .map(|(_, r)| r.join("/"))
                .collect::<Vec<_>>()
        };
        assert_eq!(made("a/b.html", min, &none), ["a/b.html.br", "a/b.html.gz"]);
        assert_eq!(made("a/b.html", min - 1, &none), Vec::<String>::new());
        assert_eq!(made("x.svg", 9000, &none), ["x.svg.br", "x.svg.gz"]);
        for not in [
            "p.png",
            "f.woff2",
            "z.gz",
            "z.br",
            "unknown.xyz",
            "_redirects",
        ] {
            assert_eq!(made(not, 9000, &none), Vec::<String>::new(), "{not}");
        }
        let taken = HashSet::from([rel("s.css.br")]);
        assert_eq!(made("s.css", 9000, &taken), ["s.css.gz"]);
    }

    #[test]
    fn the_manifest_bound_is_never_below_the_manifest() {
        let dir = tempfile::tempdir().unwrap();
        let (src, out) = (dir.path().join("src"), dir.path().join("out"));
        fs::create_dir_all(src.join("d ü/%e")).unwrap();
        let text = "word ".repeat(400);
        for name in ["a.html", "d ü/%e/b\tc.css", "d ü/x.png", "tiny.txt"] {
            fs::write(src.join(name), &text).unwrap();
        }
        let plan = crate::plan::plan(&src, "src/").unwrap();
        let mut err = Vec::new();
        pack(&plan, "src/", &out, &mut err).unwrap();
        let written = fs::metadata(out.join(MANIFEST)).unwrap().len();
        let bound = manifest_bound(&plan);
        assert!(written <= bound && bound < 2 * written, "{written} {bound}");
    }

    #[test]
    fn the_summary_line_reads_as_one_line() {
        let tally = Tally {
            files: 3266,
            copied: 3266,
            coded: 1210,
            reused: 3,
            removed: 0,
            bytes_in: 54_149_000,
            sibling_bytes: 21_270_000,
        };
        assert_eq!(
            tally.line(12.43),
            "docroot-pack: 3266 files (3266 copied, 1210 coded, 3 reused from the last pack, \
             0 removed), 54.1 MB in, 21.3 MB of siblings, 12.4 s"
        );
        assert_eq!(size(0), "0.0 kB");
        assert_eq!(size(7_040), "7.0 kB");
        assert_eq!(size(999_949), "999.9 kB");
        assert_eq!(size(2_500_000_000), "2.5 GB");
    }

    #[test]
    fn a_directory_to_be_is_found_from_what_exists() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        assert_eq!(to_be(&dir.path().join("a/b")).unwrap(), base.join("a/b"));
        assert_eq!(to_be(&dir.path().join("a/./b")).unwrap(), base.join("a/b"));
        assert!(to_be(&dir.path().join("a/../b")).is_err());
        fs::write(dir.path().join("f"), "").unwrap();
        assert!(to_be(&dir.path().join("f/x")).is_err());
    }
}
