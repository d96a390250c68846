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
//! A [`Loader`] keeps the parsed rules for an instance and looks at both
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
use crate::path::SitePath;
use headers::HeaderRules;
use redirects::Redirects;
use std::cell::{Cell, OnceCell, RefCell};
use std::fmt;
use std::rc::Rc;
use std::task::{Poll, Waker};

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
    /// `_redirects`' text (UTF-8, checked), until it is parsed: the very
    /// bytes the file cache holds, where it holds them.
    redirects_text: RefCell<Option<Rc<[u8]>>>,
    redirects: OnceCell<Redirects>,
    /// Whether a rule may be forced (the file holds a `!`).
    may_force: bool,
    /// Lines for stderr from a parse, for the request that made it.
    notes: RefCell<Vec<String>>,
}

impl Rules {
    /// Rules whose `_redirects` is `text`, parsed when first needed.
    fn with_redirects(text: Rc<[u8]>, headers: HeaderRules) -> Rules {
        Rules {
            headers,
            may_force: text.contains(&b'!'),
            redirects_text: RefCell::new(Some(text)),
            redirects: OnceCell::new(),
            notes: RefCell::new(Vec::new()),
        }
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
        Err(problem) => return (Rules::default(), vec![problem]),
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

/// Whether a request path names one of the rule files, which are never
/// served (404, as a dotfile is).
pub fn is_rule_file(path: &SitePath) -> bool {
    matches!(path.segments(), [name] if name == REDIRECTS || name == HEADERS)
}

/// What a look at one rule file said.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    /// No such file.
    Absent,
    /// A regular file.
    File(Meta),
    /// Something that is not a rule file, or could not be looked at.
    Unusable(String),
}

impl Seen {
    fn of(stat: Result<Meta, FsError>) -> Seen {
        match stat {
            Ok(meta) if meta.kind == Kind::File => Seen::File(meta),
            Ok(_) => Seen::Unusable("not a regular file: ignored".to_owned()),
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
            Seen::Absent => true,
            Seen::Unusable(_) => true,
        }
    }
}

/// The rules as last read, what the looks said then, and when (in the
/// site's monotonic nanoseconds, for a site that keeps its answers).
#[derive(Debug)]
struct Loaded {
    seen: [Seen; 2],
    rules: Rc<Rules>,
    looked: Option<u64>,
}

/// One instance's rules: parsed when the files first are, and again when a
/// look shows either has changed.
///
/// A WASI 0.3 instance serves up to 16 requests at once, and all of them
/// would find the rules unread at first: one reads them while the others
/// wait for it (or use the rules it is replacing), so an instance reads
/// the files once, not once a request.
#[derive(Debug, Default)]
pub struct Loader {
    loaded: RefCell<Option<Loaded>>,
    /// A request of this instance is reading the files.
    loading: Cell<bool>,
    /// The requests waiting for it.
    waiting: RefCell<Vec<Waker>>,
}

/// Marks a read in progress, and on drop (done, or the request gone)
/// ends it and wakes those waiting.
struct Reading<'a>(&'a Loader);

impl Drop for Reading<'_> {
    fn drop(&mut self) {
        self.0.loading.set(false);
        for waker in self.0.waiting.take() {
            waker.wake();
        }
    }
}

impl Loader {
    /// Nothing read yet.
    pub const fn new() -> Loader {
        Loader {
            loaded: RefCell::new(None),
            loading: Cell::new(false),
            waiting: RefCell::new(Vec::new()),
        }
    }

    /// When the rules last read were looked at (monotonic nanoseconds), on
    /// a site that keeps its answers.
    pub fn looked(&self) -> Option<u64> {
        self.loaded.borrow().as_ref().and_then(|l| l.looked)
    }

    /// The rules last read, if any.
    fn current(&self) -> Option<Rc<Rules>> {
        self.loaded.borrow().as_ref().map(|l| l.rules.clone())
    }

    /// The site's rules, and a line for stderr for each problem found if
    /// this request was the one that read them.
    pub async fn rules<Fs: Files>(&self, fs: &Fs) -> (Rc<Rules>, Vec<String>) {
        // A site that keeps its answers for an interval would answer the
        // looks as it did within it: the rules from then are still true.
        let window = fs.recheck_window();
        if let (Some(window), Some(loaded)) = (window, &*self.loaded.borrow())
            && let Some(looked) = loaded.looked
            && window.now >= looked
            && window.now - looked < window.recheck
        {
            return (loaded.rules.clone(), Vec::new());
        }
        if self.loading.get() {
            // Another request is reading them: the rules it replaces will
            // do, or the ones it reads.
            if let Some(rules) = self.current() {
                return (rules, Vec::new());
            }
            std::future::poll_fn(|cx| {
                if self.loading.get() {
                    self.waiting.borrow_mut().push(cx.waker().clone());
                    Poll::Pending
                } else {
                    Poll::Ready(())
                }
            })
            .await;
            if let Some(rules) = self.current() {
                return (rules, Vec::new());
            }
        }
        self.loading.set(true);
        let _reading = Reading(self);
        let names = [REDIRECTS, HEADERS];
        let mut seen = [Seen::Absent, Seen::Absent];
        for (slot, name) in seen.iter_mut().zip(names) {
            *slot = Seen::of(fs.stat(&[name.to_owned()]).await);
        }
        let looked = window.map(|w| w.now);
        if let Some(loaded) = &mut *self.loaded.borrow_mut()
            && loaded.seen == seen
            && seen.iter().all(Seen::is_settled)
        {
            loaded.looked = looked;
            return (loaded.rules.clone(), Vec::new());
        }
        let mut headers = HeaderRules::default();
        let mut redirects_text = None;
        let mut log = Vec::new();
        for (look, name) in seen.iter().zip(names) {
            let problems = match look {
                Seen::Absent => continue,
                Seen::Unusable(why) => vec![Problem {
                    file: name,
                    line: None,
                    reason: why.clone(),
                }],
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
                    Err(problem) => vec![problem],
                },
            };
            log.extend(problems.iter().map(|p| format!("site rules: {p}")));
        }
        let rules = match redirects_text {
            Some(text) => Rules::with_redirects(text, headers),
            None => Rules {
                headers,
                ..Rules::default()
            },
        };
        let rules = Rc::new(rules);
        // Not kept through an interval unless every look is settled.
        let settled = seen.iter().all(Seen::is_settled);
        *self.loaded.borrow_mut() = Some(Loaded {
            seen,
            rules: rules.clone(),
            looked: looked.filter(|_| settled),
        });
        (rules, log)
    }
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
    }

    #[test]
    fn the_loader_reads_once_and_again_on_a_change() {
        let loader = Loader::new();
        let site = MemFiles::new().file(REDIRECTS, b"/a /b\n/bad\n");
        let (rules, log) = run(loader.rules(&site));
        assert!(log.is_empty(), "not parsed until needed");
        assert_eq!(rules.redirects().len(), 1);
        assert_eq!(
            rules.take_notes(),
            ["site rules: _redirects:2: a rule needs a source and a destination"]
        );
        let (again, log) = run(loader.rules(&site));
        assert!(Rc::ptr_eq(&rules, &again) && log.is_empty(), "kept");
        assert_eq!(again.redirects().len(), 1);
        assert!(again.take_notes().is_empty(), "said once");
        let changed = site.file(REDIRECTS, b"/a /b\n/c /d\n").modified(
            REDIRECTS,
            Some(std::time::UNIX_EPOCH + std::time::Duration::from_secs(9)),
        );
        let (rules, log) = run(loader.rules(&changed));
        assert_eq!((rules.redirects().len(), log.len()), (2, 0));
        let (rules, _) = run(loader.rules(&MemFiles::new()));
        assert!(rules.is_empty(), "removed");
    }

    /// Requests that start together in one instance: one reads the files,
    /// the others wait for it and get what it read.
    #[test]
    fn requests_at_once_read_the_files_once() {
        use std::pin::pin;
        use std::task::{Context, Poll};
        /// A site whose first stat waits once, and that counts its opens.
        struct Slow {
            site: MemFiles,
            waited: Cell<bool>,
            opens: Cell<usize>,
        }
        impl Files for Slow {
            type File = Vec<u8>;
            async fn stat(&self, path: &[String]) -> Result<Meta, FsError> {
                if !self.waited.replace(true) {
                    let mut once = false;
                    std::future::poll_fn(|cx| {
                        if std::mem::replace(&mut once, true) {
                            Poll::Ready(())
                        } else {
                            cx.waker().wake_by_ref();
                            Poll::Pending
                        }
                    })
                    .await;
                }
                self.site.stat(path).await
            }
            async fn open(&self, path: &[String]) -> Result<Vec<u8>, FsError> {
                self.opens.set(self.opens.get() + 1);
                self.site.open(path).await
            }
            async fn read_dir(&self, path: &[String]) -> Result<Vec<crate::fs::Entry>, FsError> {
                self.site.read_dir(path).await
            }
            async fn read_whole(&self, file: &Vec<u8>, len: u64) -> Result<Vec<u8>, FsError> {
                self.site.read_whole(file, len).await
            }
        }
        let site = Slow {
            site: MemFiles::new().file(HEADERS, b"/*\n  X-A: 1\n"),
            waited: Cell::new(false),
            opens: Cell::new(0),
        };
        let loader = Loader::new();
        let mut first = pin!(loader.rules(&site));
        let mut second = pin!(loader.rules(&site));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(
            first.as_mut().poll(&mut cx).is_pending(),
            "the first waits on its stat"
        );
        assert!(
            second.as_mut().poll(&mut cx).is_pending(),
            "the second waits for the first"
        );
        let Poll::Ready((a, _)) = first.as_mut().poll(&mut cx) else {
            panic!("the first is done")
        };
        let Poll::Ready((b, _)) = second.as_mut().poll(&mut cx) else {
            panic!("the second is done")
        };
        assert!(Rc::ptr_eq(&a, &b));
        assert_eq!(site.opens.get(), 1, "one read");
    }

    #[test]
    fn a_rule_file_too_big_or_unusable_is_refused_whole() {
        let big = vec![b'#'; MAX_FILE as usize + 1];
        let (rules, log) = run(Loader::new().rules(&MemFiles::new().file(HEADERS, &big)));
        assert!(rules.is_empty());
        assert_eq!(log.len(), 1);
        assert!(log[0].contains("_headers: 1048577 bytes"), "{log:?}");
        let site = MemFiles::new().dir(REDIRECTS).outside(HEADERS);
        let (_, log) = run(Loader::new().rules(&site));
        assert_eq!(log.len(), 2, "{log:?}");
    }
}
