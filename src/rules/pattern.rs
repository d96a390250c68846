//! The URL patterns of `_redirects` sources and `_headers` blocks: `/`
//! then segments, each a literal name or a `:name` placeholder, and
//! optionally a `*` at the very end, which binds the rest as `:splat`.
//!
//! A pattern is decoded as a request path is ([`SitePath::parse`]) and
//! matched segment by segment against a request's decoded segments: one
//! pass, no backtracking, so matching costs time linear in the path
//! whatever the pattern.

#![forbid(unsafe_code)]

use crate::path::{SitePath, fold_case};

/// One segment of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    /// Matches this name exactly.
    Literal(String),
    /// Matches any one name, bound to the placeholder.
    Named(String),
}

/// A parsed pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    segments: Vec<Segment>,
    /// A trailing `*`: what the path has after `prefix` (the start of the
    /// next segment: empty for `/blog/*`, `page-` for `/blog/page-*`),
    /// bound to `:splat`.
    splat: Option<String>,
}

/// What a match bound: each placeholder's name with its decoded value, and
/// the splat's segments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Captures {
    /// `:name` placeholders, in the pattern's order.
    pub named: Vec<(String, String)>,
    /// What `*` matched, as decoded segments (the first one without the
    /// splat's prefix); `None` without a splat.
    pub splat: Option<Vec<String>>,
}

impl Captures {
    /// The decoded value bound to `name` (`splat` included, its segments
    /// joined with `/`).
    pub fn get(&self, name: &str) -> Option<String> {
        if name == "splat" {
            return self.splat.as_ref().map(|s| s.join("/"));
        }
        self.named
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    }
}

/// Whether `name` is a placeholder name: a letter or `_`, then letters,
/// digits and `_`.
pub fn is_placeholder_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl Pattern {
    /// Parses a pattern, or says why it is not one.
    pub fn parse(source: &str) -> Result<Pattern, String> {
        if !source.starts_with('/') {
            return Err(format!("{source:?} does not start with \"/\""));
        }
        let (body, splat) = match source.strip_suffix('*') {
            Some(body) => (body, true),
            None => (source, false),
        };
        if body.contains('*') {
            return Err(format!(
                "{source:?} has a \"*\" before its end: a \"*\" may only end a pattern"
            ));
        }
        // With a splat, the text after the last `/` is its prefix.
        let (dirs, prefix) = if splat {
            let at = body.rfind('/').unwrap_or(0);
            (&body[..=at], &body[at + 1..])
        } else {
            (body, "")
        };
        // Decoded as a request path is; a pattern with no escape is its own
        // decoding (less the names `SitePath` drops or refuses).
        let decoded: Vec<String>;
        let names: Vec<&str> = if dirs.contains('%') || dirs.contains(['\\', '\0']) {
            decoded = SitePath::parse(dirs)
                .map_err(|e| format!("{source:?}: {}", e.reason()))?
                .segments()
                .to_vec();
            decoded.iter().map(String::as_str).collect()
        } else {
            let mut names = Vec::new();
            for name in dirs[1..].split('/') {
                match name {
                    "" | "." => {}
                    ".." => {
                        return Err(format!(
                            "{source:?}: {}",
                            crate::path::PathError::DotDot.reason()
                        ));
                    }
                    name => names.push(name),
                }
            }
            names
        };
        let mut segments = Vec::with_capacity(names.len());
        let mut seen: Vec<&str> = Vec::new();
        for &name in &names {
            match name.strip_prefix(':') {
                Some(placeholder) => {
                    if !is_placeholder_name(placeholder) || placeholder == "splat" {
                        return Err(format!("{name:?} is not a placeholder name"));
                    }
                    if seen.contains(&placeholder) {
                        return Err(format!("{name} is in the pattern twice"));
                    }
                    seen.push(placeholder);
                    segments.push(Segment::Named(placeholder.to_owned()));
                }
                None => segments.push(Segment::Literal(name.to_owned())),
            }
        }
        let splat = match (splat, prefix) {
            (false, _) => None,
            (true, "") => Some(String::new()),
            (true, prefix) => {
                let prefix = SitePath::parse(&format!("/{prefix}"))
                    .map_err(|e| format!("{source:?}: {}", e.reason()))?;
                Some(prefix.segments().first().cloned().unwrap_or_default())
            }
        };
        Ok(Pattern { segments, splat })
    }

    /// The pattern with its literal names case-folded
    /// ([`crate::path::fold_case`]), to match a path folded as well: a
    /// match without regard to case.
    pub fn folded(&self) -> Pattern {
        Pattern {
            segments: self
                .segments
                .iter()
                .map(|segment| match segment {
                    Segment::Literal(name) => Segment::Literal(fold_case(name)),
                    named => named.clone(),
                })
                .collect(),
            splat: self.splat.as_deref().map(fold_case),
        }
    }

    /// Whether the pattern has no placeholder and no splat: then it matches
    /// one path only, [`Pattern::literal_key`].
    pub fn is_static(&self) -> bool {
        self.splat.is_none()
            && self
                .segments
                .iter()
                .all(|s| matches!(s, Segment::Literal(_)))
    }

    /// The key of the one path a static pattern matches: its names joined
    /// with `/` ([`key`] of them).
    pub fn literal_key(&self) -> Option<String> {
        if !self.is_static() {
            return None;
        }
        let names: Vec<&str> = self
            .segments
            .iter()
            .map(|s| match s {
                Segment::Literal(name) | Segment::Named(name) => name.as_str(),
            })
            .collect();
        Some(names.join("/"))
    }

    /// The first segment when it is a literal name, which every path the
    /// pattern matches starts with. (`/app/*` matches `/app` too, whose
    /// first name is still `app`; `/*` and `/page-*` have none.)
    pub fn first_literal(&self) -> Option<&str> {
        match self.segments.first() {
            Some(Segment::Literal(name)) => Some(name),
            _ => None,
        }
    }

    /// The names the pattern binds (`splat` for a `*`).
    pub fn placeholders(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .segments
            .iter()
            .filter_map(|s| match s {
                Segment::Named(name) => Some(name.as_str()),
                Segment::Literal(_) => None,
            })
            .collect();
        if self.splat.is_some() {
            names.push("splat");
        }
        names
    }

    /// Matches a request's decoded segments. A trailing slash is not
    /// significant (`/docs` and `/docs/` match alike), and `/app/*` also
    /// matches `/app` itself, with an empty splat.
    pub fn matches(&self, path: &[String]) -> Option<Captures> {
        let mut captures = Captures::default();
        let fixed = self.segments.len();
        match &self.splat {
            None if path.len() != fixed => return None,
            Some(prefix) if prefix.is_empty() && path.len() < fixed => return None,
            Some(prefix) if !prefix.is_empty() && path.len() <= fixed => return None,
            _ => {}
        }
        for (segment, name) in self.segments.iter().zip(path) {
            #[cfg(test)]
            tests::STEPS.with(|steps| steps.set(steps.get() + 1));
            match segment {
                Segment::Literal(literal) if literal == name => {}
                Segment::Literal(_) => return None,
                Segment::Named(placeholder) => {
                    captures.named.push((placeholder.clone(), name.clone()));
                }
            }
        }
        if let Some(prefix) = &self.splat {
            let mut rest: Vec<String> = path[fixed..].to_vec();
            if !prefix.is_empty() {
                let first = rest.first_mut()?;
                *first = first.strip_prefix(prefix.as_str())?.to_owned();
                if first.is_empty() {
                    rest.remove(0);
                }
            }
            captures.splat = Some(rest);
        }
        Some(captures)
    }
}

/// The key of a source that plainly names one path (no placeholder, no
/// `*`, no escape, no `..`), made without building a [`Pattern`]: what
/// [`Pattern::literal_key`] would give. `None` for any other source, which
/// [`Pattern::parse`] then reads (and refuses, if it must).
pub fn plain_key(source: &str) -> Option<String> {
    let rest = source.strip_prefix('/')?;
    if rest.contains(['*', '%', ':', '\\', '\0']) {
        return None;
    }
    let mut key = String::with_capacity(rest.len());
    for segment in rest.split('/') {
        match segment {
            "" | "." => {}
            ".." => return None,
            name => {
                if !key.is_empty() {
                    key.push('/');
                }
                key.push_str(name);
            }
        }
    }
    Some(key)
}

/// The key of a request's decoded segments, for static patterns.
pub fn key(path: &[String]) -> String {
    path.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    thread_local! {
        /// Segments compared by `matches`, for the test of its cost.
        pub static STEPS: Cell<usize> = const { Cell::new(0) };
    }

    /// Matching compares each of the pattern's segments with the path's at
    /// most once: no backtracking, whatever the pattern and the path.
    #[test]
    fn matching_costs_at_most_one_comparison_a_segment() {
        let long: Vec<String> = (0..100_000).map(|n| format!("s{}", n % 3)).collect();
        let placeholders: String = (0..500).map(|n| format!("/:p{n}")).collect();
        for pattern in [
            format!("{placeholders}/*"),
            format!("{placeholders}/s0-*"),
            "/s0/s1/s2/*".to_owned(),
            "/*".to_owned(),
            placeholders.clone(),
        ] {
            let pattern = Pattern::parse(&pattern).unwrap();
            STEPS.with(|steps| steps.set(0));
            let _ = pattern.matches(&long);
            let steps = STEPS.with(Cell::get);
            assert!(steps <= pattern.segments.len(), "{steps} comparisons");
        }
    }

    fn segs(path: &str) -> Vec<String> {
        SitePath::parse(path).unwrap().segments().to_vec()
    }

    fn m(pattern: &str, path: &str) -> Option<Captures> {
        Pattern::parse(pattern).unwrap().matches(&segs(path))
    }

    #[test]
    fn literals_match_exactly_trailing_slash_or_not() {
        assert!(m("/a/b", "/a/b").is_some());
        assert!(m("/a/b", "/a/b/").is_some());
        assert!(m("/a/b/", "/a/b").is_some());
        assert!(m("/a/b", "/a").is_none());
        assert!(m("/a/b", "/a/b/c").is_none());
        assert!(m("/caf%C3%A9", "/café").is_some(), "decoded alike");
        assert!(m("/café", "/caf%C3%A9").is_some());
        assert!(m("/", "/").is_some());
        assert!(m("/", "/x").is_none());
    }

    #[test]
    fn placeholders_bind_one_segment_each() {
        let c = m("/posts/:year/:slug", "/posts/2026/hello%20world").unwrap();
        assert_eq!(c.get("year").as_deref(), Some("2026"));
        assert_eq!(c.get("slug").as_deref(), Some("hello world"));
        assert!(m("/posts/:year/:slug", "/posts/2026").is_none());
        assert!(m("/posts/:year", "/posts/2026/x").is_none());
    }

    #[test]
    fn a_splat_binds_the_rest() {
        let c = m("/app/*", "/app/a/b.html").unwrap();
        assert_eq!(c.get("splat").as_deref(), Some("a/b.html"));
        assert_eq!(
            m("/app/*", "/app").unwrap().get("splat").as_deref(),
            Some("")
        );
        assert_eq!(
            m("/app/*", "/app/").unwrap().get("splat").as_deref(),
            Some("")
        );
        assert!(m("/app/*", "/apps").is_none());
        let c = m("/blog/page-*", "/blog/page-2/x").unwrap();
        assert_eq!(c.get("splat").as_deref(), Some("2/x"));
        assert!(m("/blog/page-*", "/blog/post-2").is_none());
        assert!(m("/blog/page-*", "/blog").is_none());
        assert_eq!(m("/*", "/").unwrap().get("splat").as_deref(), Some(""));
        let c = m("/u/:id/*", "/u/7/files/a").unwrap();
        assert_eq!(
            (c.get("id").as_deref(), c.get("splat").as_deref()),
            (Some("7"), Some("files/a"))
        );
    }

    #[test]
    fn bad_patterns_say_why() {
        for bad in [
            "a/b",
            "",
            "/*/x",
            "/a*b",
            "/**",
            "/../x",
            "/a/%2e%2e/b",
            "/:1x",
            "/:",
            "/:a/:a",
            "/:splat",
            "/%zz",
            "/a%2Fb",
        ] {
            assert!(Pattern::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_plain_key_is_the_literal_key() {
        for source in ["/a/b", "/a//b/", "/./a", "/", "/a.html", "/caf\u{e9}"] {
            assert_eq!(
                plain_key(source),
                Pattern::parse(source).unwrap().literal_key(),
                "{source}"
            );
        }
        for other in ["/a/:b", "/a/*", "/a%20b", "/../a", "a", "/a\\b"] {
            assert_eq!(plain_key(other), None, "{other}");
        }
    }

    #[test]
    fn static_patterns_have_a_key() {
        assert_eq!(
            Pattern::parse("/a/b/").unwrap().literal_key().as_deref(),
            Some("a/b")
        );
        assert_eq!(
            Pattern::parse("/").unwrap().literal_key().as_deref(),
            Some("")
        );
        assert_eq!(Pattern::parse("/a/*").unwrap().literal_key(), None);
        assert_eq!(Pattern::parse("/a/:b").unwrap().literal_key(), None);
        assert_eq!(key(&segs("/a/b/")), "a/b");
    }
}
