//! The site's own rules, for a tenant who controls the site's files and
//! nothing else: `_redirects` and `_headers` at the site's root, in the
//! syntax Netlify, Cloudflare Pages, GitLab Pages and the IPFS gateways
//! share ([`redirects`], [`headers`]). Both files are never served.
//!
//! Parsing is pure and shared with `site-guard`, which refuses a site with
//! a bad line before it is deployed. Serving, a bad line is skipped with
//! one line on stderr and the rest apply; a file too big ([`MAX_FILE`]) or
//! not text is refused whole, and the site is served without it. Rule
//! files never take a site down.
//!
//! Beside them the [`Loader`] reads a packed site's manifest
//! ([`crate::manifest`], never served either), which is no rule: it is read
//! whatever `DOCROOT_SITE_RULES` says, and a manifest that is not whole is
//! ignored with one line on stderr.
//!
//! A [`Loader`] keeps the parsed rules for an instance and looks at the
//! files again on every request, through the site: in `docroot.wasm` the
//! file cache answers those looks within its interval, so a changed rule
//! file applies within it; without the cache each request looks (and, when
//! a file changed, parses).

#![forbid(unsafe_code)]

pub mod headers;
mod index;
pub mod pattern;
pub mod redirects;
mod template;

use crate::fs::{Files, FsError, Kind, Meta};
use crate::manifest::{self, MANIFEST, Manifest};
use crate::path::SitePath;
use crate::store::Store;
use headers::HeaderRules;
use redirects::Redirects;
use std::cell::{Cell, OnceCell, RefCell};
use std::collections::BTreeSet;
use std::fmt;
use std::rc::Rc;

/// The redirects file's name, at the site's root.
pub const REDIRECTS: &str = "_redirects";
/// The headers file's name, at the site's root.
pub const HEADERS: &str = "_headers";

/// Cloudflare Pages' limits: redirects from one path.
pub const MAX_STATIC_REDIRECTS: usize = 2_000;
/// Redirects with a placeholder or `*`.
pub const MAX_DYNAMIC_REDIRECTS: usize = 100;
/// Characters in a `_redirects` line.
pub const MAX_REDIRECT_LINE: usize = 1_000;
/// URL patterns (blocks) in `_headers`.
pub const MAX_HEADER_RULES: usize = 100;
/// Characters in a `_headers` line.
pub const MAX_HEADER_LINE: usize = 2_000;
/// The largest rule file read: 2,100 redirects of 1,000 characters would
/// be 2.1 MB, far more than any real one, so 1 MiB.
pub const MAX_FILE: u64 = 1024 * 1024;

/// A line of a rule file that was skipped, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineProblem {
    /// The line, from 1.
    pub line: usize,
    /// Why, in a phrase.
    pub reason: String,
}

impl LineProblem {
    /// A problem on `line`.
    pub fn new(line: usize, reason: String) -> LineProblem {
        LineProblem { line, reason }
    }
}

/// A problem of a rule file, for stderr and `site-guard`: `_redirects:12:
/// reason`, or `_headers: reason` for the whole file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// [`REDIRECTS`] or [`HEADERS`].
    pub file: &'static str,
    /// The line, or `None` when the whole file was refused.
    pub line: Option<usize>,
    /// Why.
    pub reason: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.file, self.reason),
            None => write!(f, "{}: {}", self.file, self.reason),
        }
    }
}

/// Both files' rules.
///
/// `_headers` is parsed when it is read: every answer may need it. The
/// redirects are parsed when first needed: a rule that is not forced only
/// ever applies to a path with nothing to serve, and a file of 2,100 rules
/// costs more to parse than the hundred-odd requests of an instance that
/// finds only files would ever spend on them. So an instance parses
/// `_redirects` for its first request that misses (or at once, when a rule
/// may be forced), and that request reports its bad lines.
#[derive(Debug, Default)]
pub struct Rules {
    /// `_headers`.
    pub headers: HeaderRules,
    /// The packed site's manifest, when it has a whole one.
    pub manifest: Option<Manifest>,
    /// The files whose manifest entry was found not to agree with them,
    /// each said once on stderr.
    disagreed: RefCell<BTreeSet<String>>,
    /// `_redirects`' text (UTF-8, checked), until it is parsed: the very
    /// bytes the file cache holds, where it holds them.
    redirects_text: RefCell<Option<Rc<[u8]>>>,
    redirects: OnceCell<Redirects>,
    /// Whether a rule may be forced (the file holds a `!`).
    may_force: bool,
    /// Lines for stderr from a parse, for the request that made it (and
    /// that a manifest entry was ignored: [`Rules::disagrees`]).
    notes: RefCell<Vec<String>>,
    /// When the looks at the files these rules were made from were last
    /// confirmed (monotonic nanoseconds), on a site that keeps its answers
    /// for an interval and when every look is settled: an answer made with
    /// these rules is good no longer than an interval after it.
    looked: Cell<Option<u64>>,
}

impl Rules {
    /// Rules whose `_redirects` is `text`, parsed when first needed.
    fn with_redirects(text: Rc<[u8]>, headers: HeaderRules) -> Rules {
        Rules {
            headers,
            manifest: None,
            disagreed: RefCell::new(BTreeSet::new()),
            may_force: text.contains(&b'!'),
            redirects_text: RefCell::new(Some(text)),
            redirects: OnceCell::new(),
            notes: RefCell::new(Vec::new()),
            looked: Cell::new(None),
        }
    }

    /// When the files these rules were made from were last looked at and
    /// found unchanged, on a site that keeps its answers for an interval
    /// (monotonic nanoseconds); `None` when they are looked at again for
    /// every request.
    pub fn looked(&self) -> Option<u64> {
        self.looked.get()
    }

    /// Whether there is no rule at all (without parsing the redirects).
    pub fn is_empty(&self) -> bool {
        self.headers.is_empty()
            && match self.redirects.get() {
                Some(redirects) => redirects.is_empty(),
                None => self
                    .redirects_text
                    .borrow()
                    .as_ref()
                    .is_none_or(|t| t.trim_ascii().is_empty()),
            }
    }

    /// Whether a rule of `_redirects` may be forced, so that it must be
    /// looked up for paths that have something to serve too.
    pub fn may_force(&self) -> bool {
        self.may_force
    }

    /// The redirects, parsed now if they were not yet; their problems
    /// are kept for [`Rules::take_notes`].
    pub fn redirects(&self) -> &Redirects {
        self.redirects.get_or_init(|| {
            let bytes = self.redirects_text.borrow_mut().take();
            let text = bytes
                .as_deref()
                .and_then(|b| std::str::from_utf8(b).ok())
                .unwrap_or("");
            let (redirects, problems) = Redirects::parse(text);
            self.notes.borrow_mut().extend(
                problems
                    .into_iter()
                    .map(|p| format!("site rules: {REDIRECTS}:{}: {}", p.line, p.reason)),
            );
            redirects
        })
    }

    /// What the manifest says of the file at `path`, if there is one.
    pub fn manifest_entry(&self, path: &[String]) -> Option<manifest::Entry> {
        self.manifest.as_ref()?.lookup(path)
    }

    /// Notes for stderr that the manifest's entry for the file at `path`
    /// does not agree with it (`why`): once a file for these rules, by the
    /// request that found it (or one beside it, in the same instance).
    pub fn disagrees(&self, path: &[String], why: &str) {
        let key = manifest::key(path);
        let line =
            format!("site manifest: {MANIFEST}: the entry for {key:?} {why}: ignored for it");
        if self.disagreed.borrow_mut().insert(key) {
            self.notes.borrow_mut().push(line);
        }
    }

    /// The lines for stderr that parsing on this request found.
    pub fn take_notes(&self) -> Vec<String> {
        std::mem::take(&mut self.notes.borrow_mut())
    }
}

/// Parses one rule file's bytes at once: `file` is [`REDIRECTS`] or
/// [`HEADERS`] (for `site-guard` and the tests; serving, `_redirects` is
/// parsed when first needed). A file that is not UTF-8 text, or holds a
/// NUL, is refused whole.
pub fn parse(file: &'static str, bytes: &[u8]) -> (Rules, Vec<Problem>) {
    let text = match text_of(file, bytes) {
        Ok(text) => text,
        Err(problem) => {
            let mut rules = Rules::default();
            let problem = refused(file, problem, may_protect(bytes), &mut rules.headers);
            return (rules, vec![problem]);
        }
    };
    let (rules, lines) = if file == REDIRECTS {
        let (redirects, problems) = Redirects::parse(text);
        let rules = Rules::default();
        let _ = rules.redirects.set(redirects);
        (rules, problems)
    } else {
        let (headers, problems) = HeaderRules::parse(text);
        (
            Rules {
                headers,
                ..Rules::default()
            },
            problems,
        )
    };
    let problems = lines
        .into_iter()
        .map(|p| Problem {
            file,
            line: Some(p.line),
            reason: p.reason,
        })
        .collect();
    (rules, problems)
}

/// Whether the bytes of a `_headers` refused whole may hold a `Basic-Auth`
/// line: its letters, whatever lies between them (punctuation, or the NULs
/// of UTF-16), spell `basicauth` somewhere.
fn may_protect(bytes: &[u8]) -> bool {
    let letters: Vec<u8> = bytes
        .iter()
        .filter(|b| b.is_ascii_alphabetic())
        .map(u8::to_ascii_lowercase)
        .collect();
    letters.windows(9).any(|w| w == b"basicauth")
}

/// The `problem` that refuses the rule file `file` whole; a `_headers` that
/// `may_protect` paths then leaves `headers` locked (every path protected,
/// nobody let in), since what it protects is not known.
fn refused(
    file: &str,
    mut problem: Problem,
    may_protect: bool,
    headers: &mut HeaderRules,
) -> Problem {
    if file == HEADERS && may_protect {
        *headers = HeaderRules::locked();
        problem.reason.push_str(
            "; it may protect paths (Basic-Auth), so nobody is let in anywhere until it is fixed",
        );
    }
    problem
}

/// A rule file's bytes as text, or the problem that refuses it whole.
fn text_of<'a>(file: &'static str, bytes: &'a [u8]) -> Result<&'a str, Problem> {
    match std::str::from_utf8(bytes) {
        Ok(text) if !text.contains('\0') => Ok(text),
        _ => Err(Problem {
            file,
            line: None,
            reason: "not a text file (it is not UTF-8, or holds a NUL byte): refused whole"
                .to_owned(),
        }),
    }
}

/// Whether a request path names one of the rule files or the manifest,
/// which are never served (404, as a dotfile is): in any case, since a case-insensitive
/// filesystem serves `_headers` (and the passwords it may hold) for
/// `/_HEADERS` too.
pub fn is_rule_file(path: &SitePath) -> bool {
    matches!(path.segments(), [name] if {
        let name = crate::path::fold_case(name);
        name == REDIRECTS || name == HEADERS || name == MANIFEST
    })
}

/// What a look at one rule file said.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    /// No such file.
    Absent,
    /// A regular file.
    File(Meta),
    /// A directory, or another thing that is not a file: it holds no rule.
    NotAFile,
    /// A file that could not be looked at, for this reason.
    Unusable(String),
}

impl Seen {
    fn of(stat: Result<Meta, FsError>) -> Seen {
        match stat {
            Ok(meta) if meta.kind == Kind::File => Seen::File(meta),
            Ok(_) => Seen::NotAFile,
            Err(FsError::NotFound) => Seen::Absent,
            Err(FsError::Outside) => {
                Seen::Unusable("a symlink out of the site: ignored".to_owned())
            }
            Err(FsError::Forbidden) => Seen::Unusable("cannot be read: ignored".to_owned()),
            Err(FsError::Failed(detail)) => Seen::Unusable(format!("{detail}: ignored")),
        }
    }

    /// Whether a later look that says the same shows the same file: not
    /// for a file whose filesystem keeps no modification time.
    fn is_settled(&self) -> bool {
        match self {
            Seen::File(meta) => meta.modified.is_some(),
            Seen::Absent | Seen::NotAFile => true,
            Seen::Unusable(_) => true,
        }
    }
}

/// The rules as last read (with when they were last looked at:
/// [`Rules::looked`]), what the looks said then, and which read made them.
#[derive(Debug)]
struct Loaded {
    seen: [Seen; 3],
    rules: Rc<Rules>,
    read: u64,
}

/// One instance's rules: parsed when the files first are, and again when a
/// look shows either has changed.
///
/// A WASI 0.3 instance serves up to 16 requests at once, each its own task,
/// and a request never waits for another: a task may only wait on the host
/// (the runtime that runs the component traps when one task waits to be
/// woken by another, and the trap ends every request of the instance). So
/// a request that finds the rules being read again uses the rules they
/// replace, and one that finds none yet (the first requests of an
/// instance, arriving together) reads them itself. Reads are numbered as
/// they start, and a read takes the rules kept instead of its own when
/// they were made from the same files or by a read that started later: so
/// the requests of a burst share the parse of the first to finish, its
/// problems are reported once, and a read never replaces the rules of one
/// that started after it.
#[derive(Debug, Default)]
pub struct Loader {
    loaded: RefCell<Option<Loaded>>,
    /// The reads of this instance going on now.
    reading: Cell<usize>,
    /// The reads started so far: the last one's number.
    started: Cell<u64>,
}

/// Counts a read as going on until it is dropped (done, or its request
/// gone).
struct Reading<'a>(&'a Loader);

impl<'a> Reading<'a> {
    /// A new read, and its number.
    fn start(loader: &'a Loader) -> (Reading<'a>, u64) {
        loader.reading.set(loader.reading.get() + 1);
        let read = loader.started.get() + 1;
        loader.started.set(read);
        (Reading(loader), read)
    }
}

impl Drop for Reading<'_> {
    fn drop(&mut self) {
        self.0.reading.set(self.0.reading.get() - 1);
    }
}

impl Loader {
    /// Nothing read yet.
    pub const fn new() -> Loader {
        Loader {
            loaded: RefCell::new(None),
            reading: Cell::new(0),
            started: Cell::new(0),
        }
    }

    /// The rules last read, if any.
    fn current(&self) -> Option<Rc<Rules>> {
        self.loaded.borrow().as_ref().map(|l| l.rules.clone())
    }

    /// The site's rules (none when `site_rules` is false: then only the
    /// manifest is read), and a line for stderr for each problem found if
    /// this request was the one that read them.
    pub async fn rules<Fs: Files, St: Store>(
        &self,
        fs: &Fs,
        store: &St,
        site_rules: bool,
    ) -> (Rc<Rules>, Vec<String>) {
        // A site that keeps its answers for an interval would answer the
        // looks as it did within it: the rules from then are still true.
        let window = store.window();
        if let (Some(window), Some(loaded)) = (window, &*self.loaded.borrow())
            && let Some(looked) = loaded.rules.looked()
            && window.now >= looked
            && window.now - looked < window.recheck
        {
            return (loaded.rules.clone(), Vec::new());
        }
        if self.reading.get() > 0
            && let Some(rules) = self.current()
        {
            // Another request is reading them again: the rules it
            // replaces will do (an answer made with them is good no longer
            // than they were: see `Rules::looked`).
            return (rules, Vec::new());
        }
        let (_reading, read) = Reading::start(self);
        let mut seen = [Seen::Absent, Seen::Absent, Seen::Absent];
        for (slot, name) in seen.iter_mut().zip(NAMES) {
            if site_rules || name == MANIFEST {
                *slot = Seen::of(fs.stat(&[name.to_owned()]).await);
            }
        }
        // When the looks were made: a site that keeps its answers may have
        // answered them from a look made before this request began.
        let looked = store.window().map(|w| w.looked());
        if let Some(rules) = self.made_already(read, &seen, looked) {
            return (rules, Vec::new());
        }
        let (rules, log) = read_all(fs, &seen).await;
        if let Some(rules) = self.made_already(read, &seen, looked) {
            // What this read found is what that one reported.
            return (rules, Vec::new());
        }
        // Not kept through an interval unless every look is settled.
        let settled = seen.iter().all(Seen::is_settled);
        rules.looked.set(looked.filter(|_| settled));
        let rules = Rc::new(rules);
        *self.loaded.borrow_mut() = Some(Loaded {
            seen,
            rules: rules.clone(),
            read,
        });
        (rules, log)
    }

    /// The rules kept, when read number `read`, whose looks said `seen`
    /// at `looked`, should take them instead of its own: a read that
    /// started later made them (its looks are newer), or they were made
    /// from the same files (then they are newly confirmed at `looked`).
    fn made_already(&self, read: u64, seen: &[Seen; 3], looked: Option<u64>) -> Option<Rc<Rules>> {
        let mut loaded = self.loaded.borrow_mut();
        let loaded = loaded.as_mut()?;
        if loaded.read > read {
            return Some(loaded.rules.clone());
        }
        if loaded.seen == *seen && seen.iter().all(Seen::is_settled) {
            loaded.rules.looked.set(loaded.rules.looked().max(looked));
            loaded.read = read;
            return Some(loaded.rules.clone());
        }
        None
    }
}

/// The files the [`Loader`] reads, in the order of its looks.
const NAMES: [&str; 3] = [REDIRECTS, HEADERS, MANIFEST];

/// Reads and parses the rule files and the manifest as the looks `seen`
/// found them: the rules, and a line for stderr for each problem.
async fn read_all<Fs: Files>(fs: &Fs, seen: &[Seen; 3]) -> (Rules, Vec<String>) {
    let mut headers = HeaderRules::default();
    let mut redirects_text = None;
    let mut log = Vec::new();
    let (rules_seen, manifest_seen) = seen.split_at(2);
    let manifest = match &manifest_seen[0] {
        Seen::Absent => None,
        look => match read_manifest(fs, look).await {
            Ok(manifest) => Some(manifest),
            Err(why) => {
                log.push(format!(
                    "site manifest: {MANIFEST}: {why}: ignored, so every file's validators come from the file"
                ));
                None
            }
        },
    };
    for (look, name) in rules_seen.iter().zip([REDIRECTS, HEADERS]) {
        let problems = match look {
            Seen::Absent => continue,
            Seen::NotAFile => vec![Problem {
                file: name,
                line: None,
                reason: "not a regular file: ignored".to_owned(),
            }],
            // What it may protect is not known.
            Seen::Unusable(why) => {
                let problem = Problem {
                    file: name,
                    line: None,
                    reason: why.clone(),
                };
                vec![refused(name, problem, true, &mut headers)]
            }
            Seen::File(meta) => match read(fs, name, *meta).await {
                Ok(bytes) if name == REDIRECTS => match text_of(name, &bytes) {
                    Ok(_) => {
                        redirects_text = Some(bytes.clone());
                        Vec::new()
                    }
                    Err(problem) => vec![problem],
                },
                Ok(bytes) => {
                    let (parsed, problems) = parse(name, &bytes);
                    headers = parsed.headers;
                    problems
                }
                // Too big or unreadable: what it may protect is not known.
                Err(problem) => vec![refused(name, problem, true, &mut headers)],
            },
        };
        log.extend(problems.iter().map(|p| format!("site rules: {p}")));
    }
    let mut rules = match redirects_text {
        Some(text) => Rules::with_redirects(text, headers),
        None => Rules {
            headers,
            ..Rules::default()
        },
    };
    rules.manifest = manifest;
    (rules, log)
}

/// Reads the manifest, which a look said is `look`, or why it is ignored.
async fn read_manifest<Fs: Files>(fs: &Fs, look: &Seen) -> Result<Manifest, String> {
    let meta = match look {
        Seen::File(meta) => *meta,
        Seen::Absent | Seen::NotAFile => return Err("not a regular file".to_owned()),
        Seen::Unusable(why) => return Err(why.trim_end_matches(": ignored").to_owned()),
    };
    if meta.len > manifest::MAX_LEN {
        return Err(format!(
            "{} bytes, more than the {} a manifest may have",
            meta.len,
            manifest::MAX_LEN
        ));
    }
    let path = [MANIFEST.to_owned()];
    let bytes = match fs.open(&path).await {
        Ok(file) => fs.read_shared(&file, meta.len).await,
        Err(err) => Err(err),
    };
    Manifest::parse(bytes.map_err(|_| "cannot be read".to_owned())?)
}

/// Reads the rule file `name`, which a look said is `meta`: its bytes,
/// shared with the file cache where it holds them (the caller checks that
/// they are text, [`text_of`]); or the problem that refuses it whole.
async fn read<Fs: Files>(fs: &Fs, name: &'static str, meta: Meta) -> Result<Rc<[u8]>, Problem> {
    let whole = |reason: String| Problem {
        file: name,
        line: None,
        reason,
    };
    if meta.len > MAX_FILE {
        return Err(whole(format!(
            "{} bytes, more than the {MAX_FILE} a rule file may have: refused whole",
            meta.len
        )));
    }
    let path = [name.to_owned()];
    let bytes = match fs.open(&path).await {
        Ok(file) => fs.read_shared(&file, meta.len).await,
        Err(err) => Err(err),
    };
    match bytes {
        Ok(bytes) if bytes.len() as u64 <= MAX_FILE => Ok(bytes),
        Ok(_) => Err(whole(format!("more than {MAX_FILE} bytes: refused whole"))),
        Err(_) => Err(whole("cannot be read: ignored".to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ready::run;
    use crate::testing::MemFiles;

    #[test]
    fn problems_name_file_and_line() {
        let (_, problems) = parse(REDIRECTS, b"/a /b\n/c\n");
        assert_eq!(
            problems.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["_redirects:2: a rule needs a source and a destination"]
        );
        for binary in [&b"/a /b\0\n"[..], b"\xff\xfe/a /b"] {
            let (rules, problems) = parse(HEADERS, binary);
            assert!(rules.is_empty());
            assert_eq!(problems.len(), 1);
            assert!(
                problems[0]
                    .to_string()
                    .starts_with("_headers: not a text file")
            );
        }
    }

    #[test]
    fn the_rule_files_are_recognised_at_the_root_only() {
        let p = |s| SitePath::parse(s).unwrap();
        assert!(is_rule_file(&p("/_redirects")));
        assert!(is_rule_file(&p("/_headers")));
        assert!(is_rule_file(&p("//_headers/")));
        assert!(!is_rule_file(&p("/docs/_headers")));
        assert!(!is_rule_file(&p("/_redirects.txt")));
        assert!(is_rule_file(&p("/_HEADERS")));
        assert!(is_rule_file(&p("/_Redirects")));
        assert!(is_rule_file(&p("/_header%C5%BF")), "ſ is s");
        assert!(is_rule_file(&p("/_docroot-manifest")));
        assert!(is_rule_file(&p("/%5Fdocroot-manifest")));
        assert!(is_rule_file(&p("/_Docroot-Manifeſt")), "ſ is s");
        assert!(!is_rule_file(&p("/a/_docroot-manifest")));
    }

    #[test]
    fn the_loader_reads_once_and_again_on_a_change() {
        let loader = Loader::new();
        let site = MemFiles::new().file(REDIRECTS, b"/a /b\n/bad\n");
        let (rules, log) = run(loader.rules(&site, &crate::store::Nothing, true));
        assert!(log.is_empty(), "not parsed until needed");
        assert_eq!(rules.redirects().len(), 1);
        assert_eq!(
            rules.take_notes(),
            ["site rules: _redirects:2: a rule needs a source and a destination"]
        );
        let (again, log) = run(loader.rules(&site, &crate::store::Nothing, true));
        assert!(Rc::ptr_eq(&rules, &again) && log.is_empty(), "kept");
        assert_eq!(again.redirects().len(), 1);
        assert!(again.take_notes().is_empty(), "said once");
        let changed = site.file(REDIRECTS, b"/a /b\n/c /d\n").modified(
            REDIRECTS,
            Some(std::time::UNIX_EPOCH + std::time::Duration::from_secs(9)),
        );
        let (rules, log) = run(loader.rules(&changed, &crate::store::Nothing, true));
        assert_eq!((rules.redirects().len(), log.len()), (2, 0));
        let (rules, _) = run(loader.rules(&MemFiles::new(), &crate::store::Nothing, true));
        assert!(rules.is_empty(), "removed");
    }

    #[test]
    fn the_manifest_is_read_with_the_rules_or_without_them_and_again_on_a_change() {
        use crate::digest::Digest;
        use crate::manifest::{Entry, render};
        let entry = |n: u8| Entry {
            digest: Digest(u128::from(n)),
            len: u64::from(n),
            modified: None,
        };
        let a = vec!["a".to_owned()];
        let site = MemFiles::new()
            .file(HEADERS, b"/*\n  X-A: b\n")
            .file(MANIFEST, &render(&[(a.clone(), entry(1))]));
        for site_rules in [true, false] {
            let loader = Loader::new();
            let (rules, log) = run(loader.rules(&site, &crate::store::Nothing, site_rules));
            assert!(log.is_empty(), "{log:?}");
            assert_eq!(rules.manifest_entry(&a), Some(entry(1)));
            assert_eq!(
                rules.headers.is_empty(),
                !site_rules,
                "the rules only when on"
            );
            let changed = site
                .clone()
                .file(MANIFEST, &render(&[(a.clone(), entry(2))]))
                .modified(
                    MANIFEST,
                    Some(std::time::UNIX_EPOCH + std::time::Duration::from_secs(9)),
                );
            let (rules, _) = run(loader.rules(&changed, &crate::store::Nothing, site_rules));
            assert_eq!(rules.manifest_entry(&a), Some(entry(2)), "read again");
            let cut = changed.file(MANIFEST, b"docroot-manifest 1 99\n");
            let (rules, log) = run(loader.rules(&cut, &crate::store::Nothing, site_rules));
            assert_eq!(rules.manifest_entry(&a), None);
            assert_eq!(log.len(), 1, "{log:?}");
            assert!(
                log[0].starts_with("site manifest: _docroot-manifest: "),
                "{log:?}"
            );
        }
    }

    /// Requests that start together in a fresh instance, as its tasks:
    /// none waits for another (each reads the files), all end with the
    /// same rules, and a bad line is reported once.
    #[test]
    fn requests_at_once_never_wait_for_each_other_and_share_one_parse() {
        use crate::testing::guest::{Arrival, Guest, HostFiles, Task};
        let site = HostFiles::new(
            MemFiles::new()
                .file(HEADERS, b"/*\n  X-A: 1\nbad line\n")
                .file(REDIRECTS, b"/a /b\n"),
        );
        for seed in 0..40 {
            for arrival in [Arrival::AtOnce, Arrival::Spread] {
                let loader = Loader::new();
                let guest = Guest::new(seed, arrival);
                let (loader, site) = (&loader, &site);
                let requests: Vec<Task<(Rc<Rules>, Vec<String>)>> = (0..6)
                    .map(|_| Box::pin(loader.rules(site, &crate::store::Nothing, true)) as Task<_>)
                    .collect();
                let got = guest.run(requests);
                let first = &got[0].0;
                assert!(
                    got.iter().all(|(r, _)| Rc::ptr_eq(r, first)),
                    "one parse kept"
                );
                let lines: Vec<&String> = got.iter().flat_map(|(_, log)| log).collect();
                assert_eq!(lines.len(), 1, "said once: {lines:?}");
                assert!(lines[0].starts_with("site rules: _headers:3:"), "{lines:?}");
                assert_eq!(first.redirects().len(), 1);
                assert_eq!(loader.reading.get(), 0, "no read left counted");
            }
        }
    }

    /// Reads that overlap while a rule file changes: the rules kept are
    /// those of the read that started last, whichever ends last.
    #[test]
    fn an_older_read_never_replaces_a_newer_one() {
        use std::pin::pin;
        use std::task::{Context, Poll, Waker};
        /// Pending once, then ready: a call that waits on the host.
        async fn wait_once() {
            let mut once = false;
            std::future::poll_fn(|_| {
                if std::mem::replace(&mut once, true) {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            })
            .await;
        }
        /// A site whose every call waits once, then answers from `files`
        /// as they are when it answers.
        struct Changing {
            files: RefCell<MemFiles>,
        }
        impl Files for Changing {
            type File = Vec<u8>;
            async fn stat(&self, path: &[String]) -> Result<Meta, FsError> {
                wait_once().await;
                let files = self.files.borrow().clone();
                files.stat(path).await
            }
            async fn open(&self, path: &[String]) -> Result<Vec<u8>, FsError> {
                wait_once().await;
                let files = self.files.borrow().clone();
                files.open(path).await
            }
            async fn read_dir(&self, path: &[String]) -> Result<Vec<crate::fs::Entry>, FsError> {
                wait_once().await;
                let files = self.files.borrow().clone();
                files.read_dir(path).await
            }
            async fn read_whole(&self, file: &Vec<u8>, len: u64) -> Result<Vec<u8>, FsError> {
                MemFiles::new().read_whole(file, len).await
            }
        }
        let site = Changing {
            files: RefCell::new(MemFiles::new().file(HEADERS, b"/*\n  X-Old: 1\n")),
        };
        let loader = Loader::new();
        let mut cx = Context::from_waker(Waker::noop());
        let mut older = pin!(loader.rules(&site, &crate::store::Nothing, true));
        // Three polls: both looks taken (the old file), its open waiting.
        for _ in 0..3 {
            assert!(older.as_mut().poll(&mut cx).is_pending());
        }
        // The file changes; a second read starts and ends first.
        let later = std::time::UNIX_EPOCH + std::time::Duration::from_secs(9);
        *site.files.borrow_mut() = MemFiles::new()
            .file(HEADERS, b"/*\n  X-New: 1\n")
            .modified(HEADERS, Some(later));
        let mut newer = pin!(loader.rules(&site, &crate::store::Nothing, true));
        let mut polls = 0;
        let newer = loop {
            polls += 1;
            if let Poll::Ready((rules, _)) = newer.as_mut().poll(&mut cx) {
                break rules;
            }
        };
        assert!(polls > 1);
        let older = loop {
            if let Poll::Ready((rules, _)) = older.as_mut().poll(&mut cx) {
                break rules;
            }
        };
        assert!(
            Rc::ptr_eq(&older, &newer),
            "the older read takes the newer rules"
        );
        assert!(Rc::ptr_eq(&loader.current().unwrap(), &newer));
        let mut headers = Vec::new();
        newer.headers.for_path(&[]).whole.apply(&mut headers);
        assert!(format!("{headers:?}").contains("x-new"), "{headers:?}");
    }

    #[test]
    fn a_rule_file_too_big_or_unusable_is_refused_whole() {
        let big = vec![b'#'; MAX_FILE as usize + 1];
        let (rules, log) = run(Loader::new().rules(
            &MemFiles::new().file(HEADERS, &big),
            &crate::store::Nothing,
            true,
        ));
        assert_eq!(log.len(), 1);
        assert!(log[0].contains("_headers: 1048577 bytes"), "{log:?}");
        // What a `_headers` that cannot be read protects is not known:
        // every path is, and nobody is let in, until it is fixed.
        let anyone = crate::auth::Authorization::Absent;
        let everything = |rules: &Rules| rules.headers.access(&[], &anyone);
        assert_eq!(everything(&rules), crate::auth::Access::Denied);
        assert!(log[0].contains("nobody is let in anywhere"), "{log:?}");
        let site = MemFiles::new().dir(REDIRECTS).outside(HEADERS);
        let (rules, log) = run(Loader::new().rules(&site, &crate::store::Nothing, true));
        assert_eq!(log.len(), 2, "{log:?}");
        assert_eq!(everything(&rules), crate::auth::Access::Denied);
        // A directory holds no rule: nothing is protected.
        let site = MemFiles::new().dir(HEADERS);
        let (rules, _) = run(Loader::new().rules(&site, &crate::store::Nothing, true));
        assert_eq!(everything(&rules), crate::auth::Access::Open);
        // Text refused whole is protected only where it may protect.
        for (bytes, locked) in [
            (&b"/a\n  X-A: 1\xff\n"[..], false),
            (b"/a\n  Basic-Auth: a:b\xff\n", true),
            (b"/\0a\0\n\0 \0 \0B\0a\0s\0i\0c\0-\0A\0u\0t\0h\0:\0", true),
        ] {
            let (rules, problems) = parse(HEADERS, bytes);
            assert_eq!(
                everything(&rules) == crate::auth::Access::Denied,
                locked,
                "{problems:?}"
            );
        }
    }
}
