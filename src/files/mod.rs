//! The file server: a `GET` or `HEAD` of the site's files, prepared once
//! ([`crate::prepare`]), answered in steps, each an early return, and
//! ending in an [`Ending`] that [`crate::outcome`] turns into the response.
//!
//! 1. **Route** ([`crate::prepare`]): `GET`/`HEAD` of anything but the
//!    info page come here; `OPTIONS`, other methods and the info page are
//!    answered in [`crate::app`].
//! 2. **Path** ([`crate::prepare::Target`]): [`SitePath::parse`] decodes
//!    and validates, or 400; the mount point without its slash is a 301.
//!    Dotfiles and the site's rule files are never served (404) unless
//!    hidden files are allowed (rule files never). A path the site's
//!    `Basic-Auth` protects was answered 401 before it came here
//!    ([`crate::prepare::Prepared::access`]); and from here on, every
//!    file, listing and 404 page is weighed before it is read
//!    (`Pipeline::admits`): a rewrite's destination, the fallback and 404
//!    pages, an index file, a listing's entries.
//! 3. **Site rules** (`serve`, [`crate::rules`]): a forced `_redirects`
//!    rule (`!`) applies before the lookup, any other only where step 4
//!    finds nothing; a rewrite serves its destination through steps 4-8, a
//!    redirect ends here. (`_headers` were matched when the request was
//!    prepared, and are applied in [`crate::outcome::respond`].)
//! 4. **Resolve** inside the root (`resolve`): a directory without its
//!    slash is a 301, a directory is its index file, else its listing when
//!    listings are on, else 404; a file is itself, a missing `name` whose
//!    `name.gz` exists is served from it; whatever the sandbox refuses is
//!    404. Nothing to serve (`not_found`): the configured fallback page for
//!    clients that asked for a page, or the configured 404 page, coded as
//!    files are.
//! 5. **Source** (`source`): a precompressed file (`name.br`, `name.zst`,
//!    `name.gz`) the client accepts, else the file coded on the fly (when
//!    [`crate::prepare::Prepared::coding`] says so; coded whole it is kept
//!    in the [`crate::store::Store`]), else the file itself. A request with
//!    `Range` gets the file itself, whose bytes ranges count. It is chosen
//!    before the validators because they belong to the representation.
//! 6. **Validators** ([`conditional`], `validators`): `Last-Modified` and
//!    a strong `ETag` from the file's version and how it is coded. The
//!    version is the digest of the file's bytes where they are read anyway
//!    (a file the cache holds; in `docroot_p2.wasm`, a file of at most
//!    [`crate::digest::READ_MAX`] bytes, read whole and then sent from what
//!    was read) or recorded in a packed site's manifest
//!    ([`crate::manifest`]), which gives `Last-Modified` too; else, for a
//!    larger file of a tree not packed, its size and time. A manifest entry
//!    that does not agree with the file (its size, or the digest of the
//!    bytes read) is ignored for it, said once on stderr.
//! 7. **Preconditions** ([`conditional::evaluate`], RFC 9110 §13.2.2
//!    order): 412 or 304.
//! 8. **Range** ([`range`]): one byte range of a `GET` is a 206, an
//!    unsatisfiable one 416, a stale `If-Range` the full 200. The file is
//!    only opened, and only coded, when a body will be sent (or, for a
//!    `HEAD` of a file coded whole, measured). A source that cannot be made
//!    (a sibling that cannot be opened, a coder that failed) gives way to
//!    the file itself.

#![forbid(unsafe_code)]

pub mod conditional;
pub mod listing;
mod not_found;
mod pages;
pub mod range;
mod resolve;
mod source;

use crate::auth::Access;
use crate::codec::{Encoding, Transform};
use crate::config::{Config, ConfigError};
use crate::fs::{Files, FsError, Kind};
use crate::page::Page;
use crate::path::{PathError, SitePath};
use crate::prepare::{Prepared, Target};
use crate::rules::{
    self,
    redirects::{self, Action},
};
use crate::store::Store;
use conditional::Validators;
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use std::rc::Rc;

/// Bytes escaped when a query is copied into `Location`: what a header value may not hold.
const QUERY: &AsciiSet = &CONTROLS.add(b' ');

/// What is sent for a file: one representation of it, and how to describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Representation {
    /// `Content-Type`, from the name asked for (not the `.br`/`.gz` sibling).
    pub content_type: String,
    /// `Content-Encoding`: a precompressed file's, or the coding docroot made.
    pub encoding: Option<Encoding>,
    /// Size in bytes of what is sent whole; `None` for a body transformed
    /// while it streams, whose size is not known before (no
    /// `Content-Length`).
    pub len: Option<u64>,
    /// `ETag` and `Last-Modified`.
    pub validators: Validators,
    /// The request headers the choice of this representation depended on.
    pub vary: &'static str,
    /// Whether a `Range` of the file is served (`Accept-Ranges: bytes`): not
    /// for a file that exists only as `name.gz`.
    pub ranges: bool,
    /// For a file found by its own path (not as a fallback or a 404 page):
    /// the file whose bytes (or coding) are sent, by which the file cache
    /// may keep the whole answer ([`crate::answers`]).
    pub bytes_of: Option<Vec<String>>,
}

/// Where the bytes of a file's answer come from.
#[derive(Debug, PartialEq, Eq)]
pub enum FileBody<F> {
    /// The file, or the precompressed file chosen, as it is.
    Open(F),
    /// The answer's bytes, whole: the file coded whole (held by the file
    /// cache, or made for this answer), or the file as this request read it
    /// to take its digest.
    Whole(Rc<[u8]>),
    /// The file coded, or decoded, while it streams.
    Stream {
        /// The open file.
        file: F,
        /// How many of its bytes to read: its size when it was looked at.
        len: u64,
        /// What is done to them.
        transform: Transform,
    },
}

/// How the file server ended a `GET` or `HEAD` request, as data; the
/// response is made from it in one place, [`crate::outcome`].
#[derive(Debug)]
pub enum Ending<F> {
    /// A request path that is refused: 400.
    BadPath(PathError),
    /// What the request would read is protected, and its credentials do
    /// not admit it: 401.
    Unauthorized,
    /// Nothing to serve at this path: 404.
    NotFound,
    /// Something at this path that is never served (a special file, a
    /// symlink out of the root): 404, and this reason on stderr.
    NotServed(&'static str),
    /// The site's own 404 page, sent with status 404 (its representation
    /// has no validators: a 404 is not cached by them).
    NotFoundPage {
        /// Its bytes.
        body: FileBody<F>,
        /// What is sent.
        rep: Representation,
    },
    /// The file may not be read: 403.
    Forbidden,
    /// A redirect: a directory without its trailing slash (301), or a rule
    /// of the site's `_redirects`.
    Redirect {
        /// 301, 302, 303, 307 or 308.
        status: u16,
        /// `Location`: origin-relative on this site, or a rule's URL.
        location: String,
    },
    /// A file: 200 whole, or 206 with `range` (first byte, length).
    File {
        /// Its bytes.
        body: FileBody<F>,
        /// What is sent.
        rep: Representation,
        /// The byte range, for a 206.
        range: Option<(u64, u64)>,
    },
    /// A precondition says the client's copy is current: 304.
    NotModified(Representation),
    /// `If-Match` or `If-Unmodified-Since` failed: 412.
    PreconditionFailed,
    /// A `Range` that selects no byte of a representation this long: 416.
    RangeNotSatisfiable(u64),
    /// A directory listing: 200.
    Listing(Page),
    /// A configured site file that cannot be served: 500 naming its setting.
    Misconfigured(ConfigError),
    /// An unexpected failure: 500; the detail goes to stderr only.
    Failed(String),
}

impl<F> From<FsError> for Ending<F> {
    /// The one place a filesystem error becomes an ending.
    fn from(err: FsError) -> Self {
        match err {
            FsError::NotFound => Ending::NotFound,
            FsError::Outside => Ending::NotServed("a symlink that leads outside the site's root"),
            FsError::Forbidden => Ending::Forbidden,
            FsError::Failed(detail) => Ending::Failed(detail),
        }
    }
}

/// Steps 2 to 7 for a `GET` or `HEAD` request of the files, prepared as
/// `p`, from the site `fs` and what `store` keeps of it.
pub async fn serve<Fs: Files, St: Store>(
    p: &Prepared<'_>,
    config: &Config,
    fs: &Fs,
    store: &St,
) -> Ending<Fs::File> {
    let path = match &p.target {
        Some(Target::Path(path)) => path,
        // 2. The mount point itself, asked for without its slash (`/static`).
        Some(Target::MountPoint) => {
            return Ending::Redirect {
                status: 301,
                location: redirect_target(p, &SitePath::default()),
            };
        }
        Some(Target::Bad(err)) => return Ending::BadPath(*err),
        None => return Ending::NotFound,
    };
    let pipeline = Pipeline {
        fs,
        store,
        p,
        config,
    };
    let rules = p.rules;
    // 2b. The site's rules: a rule matches only a path docroot would look
    // up; a forced one (`!`) applies before the lookup, the others where
    // nothing is found.
    let hidden = pipeline.never_served(path);
    if !hidden
        && rules.may_force()
        && let Some(found) = rules.redirects().find(path.segments())
        && found.force
    {
        return pipeline.follow(&found, path).await;
    }
    let ending = if hidden {
        Ending::NotFound
    } else {
        pipeline.resolve(path, false).await
    };
    // Only now, for a path with nothing to serve, are the other rules
    // needed (and, for an instance's first such path, parsed).
    let rule = match &ending {
        Ending::NotFound | Ending::NotServed(_) if !hidden => {
            rules.redirects().find(path.segments())
        }
        _ => None,
    };
    match (ending, &rule) {
        (Ending::NotFound | Ending::NotServed(_), Some(found)) => {
            pipeline.follow(found, path).await
        }
        (Ending::NotFound, None) => pipeline.not_found(path).await,
        // A configured 404 or fallback page answers for a special file too,
        // and then no line is written; the built-in 404 keeps the reason.
        (Ending::NotServed(why), None) => match pipeline.not_found(path).await {
            Ending::NotFound => Ending::NotServed(why),
            answered => answered,
        },
        (ending, _) => ending,
    }
}

/// What every step of one request shares: the site, what is kept of it,
/// the request as prepared, and the configuration.
struct Pipeline<'a, Fs, St> {
    fs: &'a Fs,
    store: &'a St,
    p: &'a Prepared<'a>,
    config: &'a Config,
}

impl<Fs: Files, St: Store> Pipeline<'_, Fs, St> {
    /// The guard before anything is read: whether the site's protection
    /// lets this request read `path` ([`Prepared::access_to`]). Every
    /// file, listing and 404 page a request reaches is weighed, however it
    /// was reached (a rewrite, a fallback, a sibling's own name).
    fn admits(&self, path: &SitePath) -> bool {
        self.p.access_to(path) != Access::Denied
    }

    /// Whether `path` is never served: a dotfile (unless allowed), or one
    /// of the site's rule files.
    fn never_served(&self, path: &SitePath) -> bool {
        (path.is_hidden() && !self.config.allow_hidden) || rules::is_rule_file(path)
    }

    /// Applies a `_redirects` rule matched by `path`: a redirect; a rewrite,
    /// which serves its destination as a request for it would be served
    /// (the same checks, and once: no rule is matched again); or the
    /// destination sent with status 404. A destination with nothing to
    /// serve answers as `path` itself would have: the site's 404 page, the
    /// fallback, or docroot's 404.
    async fn follow(&self, found: &redirects::Found, path: &SitePath) -> Ending<Fs::File> {
        let destination = || {
            let site = found.site_path()?;
            SitePath::parse(&site)
                .ok()
                .filter(|dest| !self.never_served(dest))
        };
        match found.action {
            Action::Redirect(status) => Ending::Redirect {
                status,
                location: found.location(self.p.asked.mount, self.p.asked.query),
            },
            // Nothing at a protected destination, not even whether it
            // exists, is told to a request it does not let in.
            Action::Rewrite | Action::NotFound
                if destination().is_some_and(|d| !self.admits(&d)) =>
            {
                Ending::Unauthorized
            }
            Action::Rewrite => match destination() {
                Some(dest) => match self.resolve(&dest, true).await {
                    Ending::NotFound | Ending::NotServed(_) => self.not_found(path).await,
                    ending => ending,
                },
                None => self.not_found(path).await,
            },
            Action::NotFound => {
                let Some(dest) = destination() else {
                    return self.not_found(path).await;
                };
                match self.fs.stat(dest.segments()).await {
                    Ok(meta) if meta.kind == Kind::File && !dest.is_dir_form() => {
                        self.not_found_page(&dest, meta).await
                    }
                    _ => self.not_found(path).await,
                }
            }
        }
    }
}

/// `Location` for a directory asked for without its slash: the mount
/// point, the normalised path (never `//host`), a `/`, and the query as
/// received (control bytes escaped so it stays a valid header value).
fn redirect_target(p: &Prepared<'_>, path: &SitePath) -> String {
    redirect_to(p, &path.as_dir())
}

/// `Location` for `path` of this site: the mount point, the normalised
/// path (never `//host`), and the query as received (control bytes
/// escaped so it stays a valid header value).
fn redirect_to(p: &Prepared<'_>, path: &SitePath) -> String {
    let mut location = p.asked.mount.to_owned();
    location.push_str(&path.to_url_path());
    if let Some(query) = p.asked.query {
        location.push('?');
        location.extend(utf8_percent_encode(query, QUERY));
    }
    location
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SiteFile;
    use crate::http::Request;
    use crate::rules::Rules;
    use crate::testing::{MemFiles, Op};

    fn site() -> MemFiles {
        MemFiles::new()
            .file("index.html", b"<h1>home</h1>")
            .file("app.js", b"console.log(1)")
            .file("app.js.br", b"br")
            .file("docs/readme.md", b"# readme")
            .special("fifo")
            .outside("link-out.txt")
    }

    fn get(
        fs: &MemFiles,
        config: &Config,
        target: &str,
        headers: &[(&str, &str)],
    ) -> Ending<Vec<u8>> {
        let req = Request {
            method: "GET".into(),
            path_with_query: target.into(),
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), v.as_bytes().to_vec()))
                .collect(),
            ..Request::default()
        };
        let rules = Rules::default();
        let p = Prepared::new(
            crate::prepare::Asked::of(&req, Some(config)),
            config,
            &rules,
        );
        crate::ready::run(serve(&p, config, fs, &crate::store::Nothing))
    }

    #[test]
    fn each_step_ends_in_its_own_ending() {
        let fs = site();
        let c = Config::default();
        match get(&fs, &c, "/", &[]) {
            // A small file is read whole for its digest, and sent so.
            Ending::File {
                body: FileBody::Whole(bytes),
                rep,
                range,
            } => {
                assert_eq!(&*bytes, b"<h1>home</h1>");
                assert_eq!(rep.content_type, "text/html; charset=utf-8");
                assert_eq!(range, None);
            }
            other => panic!("{other:?}"),
        }
        assert!(
            matches!(get(&fs, &c, "/docs?a", &[]), Ending::Redirect { status: 301, location } if location == "/docs/?a")
        );
        assert!(matches!(get(&fs, &c, "/docs/", &[]), Ending::NotFound));
        assert!(matches!(
            get(&fs, &c, "/%2e%2e/x", &[]),
            Ending::BadPath(PathError::DotDot)
        ));
        assert!(
            matches!(get(&fs, &c, "/fifo", &[]), Ending::NotServed(why) if why.contains("FIFO"))
        );
        assert!(
            matches!(get(&fs, &c, "/link-out.txt", &[]), Ending::NotServed(why) if why.contains("outside"))
        );
        assert!(matches!(
            get(&fs, &c, "/app.js", &[("range", "bytes=99-")]),
            Ending::RangeNotSatisfiable(14)
        ));
    }

    /// Regression: the `.br` twin's stat succeeded, its open failed, and the
    /// whole URL answered 403 although `app.js` itself is readable.
    #[test]
    fn a_sibling_that_cannot_be_opened_falls_back_to_the_file_itself() {
        let fs = site().fail(Op::Open, "app.js.br", FsError::Forbidden);
        match get(
            &fs,
            &Config::default(),
            "/app.js",
            &[("accept-encoding", "br")],
        ) {
            Ending::File {
                body: FileBody::Whole(bytes),
                rep,
                ..
            } => {
                assert_eq!(&*bytes, b"console.log(1)");
                assert_eq!(rep.encoding, None);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn filesystem_faults_become_403_or_500() {
        let fs = site()
            .fail(Op::Open, "index.html", FsError::Forbidden)
            .fail(Op::Stat, "app.js", FsError::Failed("EIO".into()));
        let c = Config::default();
        assert!(matches!(get(&fs, &c, "/", &[]), Ending::Forbidden));
        assert!(matches!(get(&fs, &c, "/app.js", &[]), Ending::Failed(d) if d == "EIO"));
        let listing = Config {
            listing: true,
            ..Config::default()
        };
        let fs = site().fail(Op::ReadDir, "docs", FsError::Forbidden);
        assert!(matches!(
            get(&fs, &listing, "/docs/", &[]),
            Ending::Forbidden
        ));
    }

    #[test]
    fn a_configured_page_that_cannot_be_served_names_its_setting() {
        let fs = site();
        for (which, config) in [
            (
                SiteFile::Fallback,
                Config {
                    fallback: Some(SitePath::parse("/docs").unwrap()),
                    ..Config::default()
                },
            ),
            (
                SiteFile::NotFound,
                Config {
                    not_found: Some(SitePath::parse("/link-out.txt").unwrap()),
                    ..Config::default()
                },
            ),
        ] {
            match get(&fs, &config, "/missing", &[]) {
                Ending::Misconfigured(err) => assert_eq!(err.variable, which.variable()),
                other => panic!("{which:?}: {other:?}"),
            }
        }
    }
}
