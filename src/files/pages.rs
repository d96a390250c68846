//! Step 4 of the file pipeline for HTML pages in the trailing-slash modes
//! of `DOCROOT_HTML_HANDLING` (Cloudflare's `html_handling`): which URL
//! serves a page, and where its other spellings are redirected.
//!
//! A page is `stem.html` ([`Kind::File`]) or a directory's index file
//! ([`Kind::Folder`]), and each mode gives it one canonical URL:
//!
//! | mode | `stem.html` | `stem/index.html` |
//! | --- | --- | --- |
//! | `auto-trailing-slash` | `/stem` | `/stem/` |
//! | `force-trailing-slash` | `/stem/` | `/stem/` |
//! | `drop-trailing-slash` | `/stem` | `/stem` |
//!
//! (the root's index file is at `/` in each). A request is read as one
//! spelling of a stem (`/stem`, `/stem/`, `/stem.html`, `/stem/index`,
//! `/stem/index.html`), which gives the pages it may name, nearest first
//! ([`plan`]). The first that exists is served when the request is its
//! canonical URL; otherwise the request is redirected there, but only when
//! that URL would serve this very page (so a redirect never leads to
//! another file, or to a loop). A file at the path itself is served as
//! it is when no redirect is due: before any page for `/stem` and
//! `/stem/index`, after the redirects for `/stem.html` and
//! `/stem/index.html`.
//!
//! The redirects are 307, as Cloudflare's: which URL is canonical follows
//! the files of each deploy, and a permanent redirect kept by a browser
//! from an earlier deploy could lead it in a loop.

#![forbid(unsafe_code)]

use super::source::{Found, Reached};
use super::{Ending, Pipeline, redirect_to};
use crate::config::HtmlHandling;
use crate::fs::{Files, Kind as FsKind, Meta};
use crate::path::SitePath;
use crate::store::Store;

/// The status of a redirect to a page's canonical URL.
pub const REDIRECT: u16 = 307;

/// The two kinds of HTML page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// `stem.html`.
    File,
    /// The index file of the directory `stem/`.
    Folder,
}

/// A page a request may name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Page {
    /// Which kind.
    pub kind: Kind,
    /// Its stem, in file form (the root for the root's index file).
    pub stem: SitePath,
}

impl Page {
    /// The page `stem.html`, unless that is a directory's index file by
    /// name (`x/index.html` is the page of the folder `x/`, never of a
    /// stem `x/index`, so that no file has two canonical URLs).
    fn file(stem: &SitePath, index: &[String]) -> Option<Page> {
        let name = stem.file_name()?;
        let html = format!("{name}.html");
        (!index.contains(&html)).then(|| Page {
            kind: Kind::File,
            stem: stem.as_file(),
        })
    }

    fn folder(stem: &SitePath) -> Page {
        Page {
            kind: Kind::Folder,
            stem: stem.as_file(),
        }
    }

    /// Its canonical URL in `mode` (a trailing-slash mode).
    pub fn canonical(&self, mode: HtmlHandling) -> SitePath {
        let slash = match mode {
            HtmlHandling::ForceTrailingSlash => true,
            HtmlHandling::DropTrailingSlash => false,
            _ => self.kind == Kind::Folder,
        };
        if slash || self.stem.segments().is_empty() {
            self.stem.as_dir()
        } else {
            self.stem.as_file()
        }
    }
}

/// What a request path may name: the pages, nearest first, and whether a
/// file at the path itself comes before them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Plan {
    /// A file at the path itself is served before any page is looked for.
    pub exact_first: bool,
    /// The pages it may name.
    pub pages: Vec<Page>,
}

/// The pages `path` may name, given the directories' `index` file names.
pub(super) fn plan(path: &SitePath, index: &[String]) -> Plan {
    let mut pages = Vec::new();
    let Some(name) = path.file_name().filter(|_| !path.is_dir_form()) else {
        // `/stem/`, or the root.
        pages.push(Page::folder(path));
        pages.extend(Page::file(path, index));
        return Plan {
            exact_first: false,
            pages,
        };
    };
    let parent = path.parent();
    let is_index = |n: &str| index.iter().any(|i| i == n);
    if is_index(name) {
        // `/stem/index.html`: the file itself is the folder's page.
        pages.push(Page::folder(&parent));
        pages.extend(Page::file(&parent, index));
        return Plan {
            exact_first: false,
            pages,
        };
    }
    if is_index(&format!("{name}.html")) {
        // `/stem/index`: the folder's page by its clean name, then what
        // `/stem/index` is as a path of its own.
        pages.push(Page::folder(&parent));
        pages.extend(Page::file(&parent, index));
    } else if let Some(stem) = path.without_suffix(".html") {
        // `/stem.html`.
        pages.extend(Page::file(&stem, index));
        pages.push(Page::folder(&stem));
        return Plan {
            exact_first: false,
            pages,
        };
    }
    // `/stem`.
    pages.extend(Page::file(path, index));
    pages.push(Page::folder(path));
    Plan {
        exact_first: true,
        pages,
    }
}

impl<Fs: Files, St: Store> Pipeline<'_, Fs, St> {
    /// A request for `path` in a trailing-slash mode, as far as pages
    /// decide it: the page it serves, a redirect to a page's canonical URL
    /// (or, `in_place` for a rewrite's destination, that page served
    /// here), the file at the path itself, or `None` when no page answers
    /// and `path` is resolved as any other path (a directory, nothing).
    pub(super) async fn page(&self, path: &SitePath, in_place: bool) -> Option<Ending<Fs::File>> {
        let mode = self.config.html_handling;
        let plan = plan(path, self.p.index);
        // Whether a file is at the path itself: looked at first for `/stem`
        // and `/stem/index`, else only when a page that is another file
        // comes up.
        let mut at_path = None;
        if plan.exact_first {
            // A file at the path itself: served here, from this one look.
            if let Some(meta) = self.regular_file(path).await {
                return Some(self.file(path, Found::File(meta), Reached::Path).await);
            }
            at_path = Some(false);
        }
        for page in &plan.pages {
            let Some((file, meta)) = self.page_file(page).await else {
                continue;
            };
            if file != *path {
                let exists = match at_path {
                    Some(exists) => exists,
                    None => *at_path.insert(self.regular_file(path).await.is_some()),
                };
                // A file asked for by its own name (`/d/index.htm`, when the
                // folder's page is `d/index.html`) is that file, not a page
                // of another.
                if exists {
                    return None;
                }
            }
            let canonical = page.canonical(mode);
            if canonical == *path {
                return Some(self.file(&file, Found::File(meta), Reached::Path).await);
            }
            if self.served_at(&canonical).await.as_ref() == Some(&file) {
                if in_place {
                    return Some(self.file(&file, Found::File(meta), Reached::Path).await);
                }
                // Where a protected page is is not told either.
                if !self.admits(&file) {
                    return Some(Ending::Unauthorized);
                }
                return Some(Ending::Redirect {
                    status: REDIRECT,
                    location: redirect_to(self.p, &canonical),
                });
            }
            if file == *path {
                // Asked for by its own name, and its canonical URL serves
                // something else: served here.
                return Some(self.file(&file, Found::File(meta), Reached::Path).await);
            }
        }
        None
    }

    /// The file a canonical URL surely serves as it is, without a
    /// redirect: a file at the path itself, else the first of its pages
    /// that exists, if the URL is that page's canonical one. `None` when
    /// it may answer otherwise: the URL is never served (a rule file, a
    /// dotfile), a forced `_redirects` rule takes it first, or its first
    /// page is redirected elsewhere. So a redirect to it lands on the page
    /// in one hop, and never in a loop.
    async fn served_at(&self, url: &SitePath) -> Option<SitePath> {
        if self.never_served(url) {
            return None;
        }
        let rules = self.p.rules;
        if rules.may_force()
            && rules
                .redirects()
                .find(url.segments())
                .is_some_and(|found| found.force)
        {
            return None;
        }
        if self.regular_file(url).await.is_some() {
            return Some(url.clone());
        }
        let mode = self.config.html_handling;
        for page in plan(url, self.p.index).pages {
            if let Some((file, _)) = self.page_file(&page).await {
                return (page.canonical(mode) == *url).then_some(file);
            }
        }
        None
    }

    /// The file of `page` and its metadata, when it exists as a regular
    /// file that may be served: `stem.html`, or the first of the
    /// directory's index files.
    async fn page_file(&self, page: &Page) -> Option<(SitePath, Meta)> {
        match page.kind {
            Kind::File => {
                let file = page.stem.with_suffix(".html");
                let meta = self.regular_file(&file).await?;
                Some((file, meta))
            }
            Kind::Folder => {
                let dir = page.stem.as_dir();
                for name in self.p.index {
                    let file = dir.child(name);
                    if let Some(meta) = self.regular_file(&file).await {
                        return Some((file, meta));
                    }
                }
                None
            }
        }
    }

    /// The metadata of the regular file at `path` (in file form, and never
    /// one that is not served), if there is one.
    pub(super) async fn regular_file(&self, path: &SitePath) -> Option<Meta> {
        if path.is_dir_form() || self.never_served(path) {
            return None;
        }
        match self.fs.stat(path.segments()).await {
            Ok(meta) if meta.kind == FsKind::File => Some(meta),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(raw: &str) -> SitePath {
        SitePath::parse(raw).unwrap()
    }

    fn pages(raw: &str) -> (bool, Vec<String>) {
        let plan = plan(&p(raw), &["index.html".to_owned()]);
        let names = plan
            .pages
            .iter()
            .map(|page| match page.kind {
                Kind::File => format!("{}.html", page.stem.to_url_path()),
                Kind::Folder => format!("{}*", page.stem.as_dir().to_url_path()),
            })
            .collect();
        (plan.exact_first, names)
    }

    #[test]
    fn each_spelling_names_its_pages_nearest_first() {
        assert_eq!(pages("/"), (false, vec!["/*".into()]));
        assert_eq!(pages("/a/"), (false, vec!["/a/*".into(), "/a.html".into()]));
        assert_eq!(pages("/a"), (true, vec!["/a.html".into(), "/a/*".into()]));
        assert_eq!(
            pages("/a.html"),
            (false, vec!["/a.html".into(), "/a/*".into()])
        );
        assert_eq!(
            pages("/a/index.html"),
            (false, vec!["/a/*".into(), "/a.html".into()])
        );
        // An index file is only ever its folder's page.
        assert_eq!(
            pages("/a/index"),
            (
                true,
                vec!["/a/*".into(), "/a.html".into(), "/a/index/*".into()]
            )
        );
        assert_eq!(pages("/index.html"), (false, vec!["/*".into()]));
        assert_eq!(
            pages("/index"),
            (true, vec!["/*".into(), "/index/*".into()])
        );
        assert_eq!(pages("/index/"), (false, vec!["/index/*".into()]));
        // A name that is only the suffix is a name, not a stem.
        assert_eq!(pages("/.html").1[0], "/.html.html");
    }

    #[test]
    fn each_mode_has_one_canonical_url_per_page() {
        let file = Page::file(&p("/a/b"), &[]).unwrap();
        let folder = Page::folder(&p("/a/b"));
        let root = Page::folder(&p("/"));
        for (mode, of_file, of_folder) in [
            (HtmlHandling::AutoTrailingSlash, "/a/b", "/a/b/"),
            (HtmlHandling::ForceTrailingSlash, "/a/b/", "/a/b/"),
            (HtmlHandling::DropTrailingSlash, "/a/b", "/a/b"),
        ] {
            assert_eq!(file.canonical(mode).to_url_path(), of_file, "{mode:?}");
            assert_eq!(folder.canonical(mode).to_url_path(), of_folder, "{mode:?}");
            assert_eq!(root.canonical(mode), p("/"), "{mode:?}");
        }
    }
}
