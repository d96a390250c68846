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
use std::cell::RefCell;
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
#[derive(Debug, Clone, Default)]
pub struct Rules {
    /// `_redirects`.
    pub redirects: Redirects,
    /// `_headers`.
    pub headers: HeaderRules,
}

impl Rules {
    /// Whether there is no rule at all.
    pub fn is_empty(&self) -> bool {
        self.redirects.is_empty() && self.headers.is_empty()
    }
}

/// Parses one rule file's bytes: `file` is [`REDIRECTS`] or [`HEADERS`].
/// A file that is not UTF-8 text, or holds a NUL, is refused whole.
pub fn parse(file: &'static str, bytes: &[u8]) -> (Rules, Vec<Problem>) {
    let mut rules = Rules::default();
    let text = match std::str::from_utf8(bytes) {
        Ok(text) if !text.contains('\0') => text,
        _ => {
            let problem = Problem {
                file,
                line: None,
                reason: "not a text file (it is not UTF-8, or holds a NUL byte): refused whole"
                    .to_owned(),
            };
            return (rules, vec![problem]);
        }
    };
    let lines = if file == REDIRECTS {
        let (redirects, problems) = Redirects::parse(text);
        rules.redirects = redirects;
        problems
    } else {
        let (headers, problems) = HeaderRules::parse(text);
        rules.headers = headers;
        problems
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

/// The rules as last read, and what the looks said then.
#[derive(Debug)]
struct Loaded {
    seen: [Seen; 2],
    rules: Rc<Rules>,
}

/// One instance's rules: parsed when the files first are, and again when a
/// look shows either has changed.
#[derive(Debug, Default)]
pub struct Loader {
    loaded: RefCell<Option<Loaded>>,
}

impl Loader {
    /// Nothing read yet.
    pub const fn new() -> Loader {
        Loader {
            loaded: RefCell::new(None),
        }
    }

    /// The site's rules, and a line for stderr for each problem found if
    /// this request was the one that read them.
    pub async fn rules<Fs: Files>(&self, fs: &Fs) -> (Rc<Rules>, Vec<String>) {
        let names = [REDIRECTS, HEADERS];
        let mut seen = [Seen::Absent, Seen::Absent];
        for (slot, name) in seen.iter_mut().zip(names) {
            *slot = Seen::of(fs.stat(&[name.to_owned()]).await);
        }
        if let Some(loaded) = &*self.loaded.borrow()
            && loaded.seen == seen
            && seen.iter().all(Seen::is_settled)
        {
            return (loaded.rules.clone(), Vec::new());
        }
        let mut rules = Rules::default();
        let mut log = Vec::new();
        for (look, name) in seen.iter().zip(names) {
            let problems = match look {
                Seen::Absent => continue,
                Seen::Unusable(why) => vec![Problem {
                    file: name,
                    line: None,
                    reason: why.clone(),
                }],
                Seen::File(meta) => {
                    let (parsed, problems) = read(fs, name, *meta).await;
                    if name == REDIRECTS {
                        rules.redirects = parsed.redirects;
                    } else {
                        rules.headers = parsed.headers;
                    }
                    problems
                }
            };
            log.extend(problems.iter().map(|p| format!("site rules: {p}")));
        }
        let rules = Rc::new(rules);
        *self.loaded.borrow_mut() = Some(Loaded {
            seen,
            rules: rules.clone(),
        });
        (rules, log)
    }
}

/// Reads and parses the rule file `name`, which a look said is `meta`.
async fn read<Fs: Files>(fs: &Fs, name: &'static str, meta: Meta) -> (Rules, Vec<Problem>) {
    let whole = |reason: String| {
        (
            Rules::default(),
            vec![Problem {
                file: name,
                line: None,
                reason,
            }],
        )
    };
    if meta.len > MAX_FILE {
        return whole(format!(
            "{} bytes, more than the {MAX_FILE} a rule file may have: refused whole",
            meta.len
        ));
    }
    let path = [name.to_owned()];
    let bytes = match fs.open(&path).await {
        Ok(file) => fs.read_whole(&file, meta.len).await,
        Err(err) => Err(err),
    };
    match bytes {
        Ok(bytes) if bytes.len() as u64 <= MAX_FILE => parse(name, &bytes),
        Ok(_) => whole(format!("more than {MAX_FILE} bytes: refused whole")),
        Err(_) => whole("cannot be read: ignored".to_owned()),
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
        assert_eq!(rules.redirects.len(), 1);
        assert_eq!(
            log,
            ["site rules: _redirects:2: a rule needs a source and a destination"]
        );
        let (again, log) = run(loader.rules(&site));
        assert!(
            Rc::ptr_eq(&rules, &again) && log.is_empty(),
            "kept, and said once"
        );
        let changed = site.file(REDIRECTS, b"/a /b\n/c /d\n").modified(
            REDIRECTS,
            Some(std::time::UNIX_EPOCH + std::time::Duration::from_secs(9)),
        );
        let (rules, log) = run(loader.rules(&changed));
        assert_eq!((rules.redirects.len(), log.len()), (2, 0));
        let (rules, _) = run(loader.rules(&MemFiles::new()));
        assert!(rules.is_empty(), "removed");
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
