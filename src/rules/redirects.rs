//! `_redirects`: `source destination [status][!]` a line.
//!
//! Status 301 (the default), 302, 303, 307 or 308 redirects; 200 serves
//! the destination in place (a rewrite, same site only); 404 serves it with
//! status 404. A file at the source shadows the rule unless the status ends
//! in `!`. `#` starts a comment line. The first matching rule wins: rules
//! whose source is one path sit in a map, the others are tried in file
//! order (only those that can match: [`Index`]).

#![forbid(unsafe_code)]

use super::index::Index;
use super::pattern::{Captures, Pattern, key};
use super::template::Template;
use super::{LineProblem, MAX_DYNAMIC_REDIRECTS, MAX_REDIRECT_LINE, MAX_STATIC_REDIRECTS};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use std::collections::BTreeMap;

/// What a `Location` may not hold as it is: controls, space, and (by
/// `utf8_percent_encode`) every byte beyond ASCII; and `\`, which browsers
/// read as `/` (so `/\host` would be another origin).
const LOCATION: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'`')
    .add(b'\\');

/// What a rule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Redirect with this status (301, 302, 303, 307, 308).
    Redirect(u16),
    /// Serve the destination in place (200).
    Rewrite,
    /// Serve the destination with status 404.
    NotFound,
}

/// Where a rule sends a request.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Destination {
    /// A path of the site (`/…`).
    Site(Template),
    /// Another origin (`https://…`), for redirects only.
    Elsewhere(Template),
}

/// One rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// Its line in the file.
    pub line: usize,
    source: Pattern,
    destination: Destination,
    /// What it does.
    pub action: Action,
    /// `!`: it applies even when a file exists at the source.
    pub force: bool,
}

/// A rule that matched a request, with what its source bound.
#[derive(Debug, Clone)]
pub struct Found<'a> {
    /// The rule.
    pub rule: &'a Redirect,
    captures: Captures,
}

impl Found<'_> {
    /// For a rule whose destination is on the site: that path, filled in
    /// and percent-encoded, with runs of `/` made one (so nothing filled
    /// in can make it `//host`), without a query. `None` for another origin.
    pub fn site_path(&self) -> Option<String> {
        match &self.rule.destination {
            Destination::Site(template) => {
                let filled = template.fill(&self.captures);
                let path = filled.split(['?', '#']).next().unwrap_or("");
                Some(single_slashes(path))
            }
            Destination::Elsewhere(_) => None,
        }
    }

    /// The `Location` of a redirect: the destination filled in (a site
    /// path below `mount`), and the request's `query` when the destination
    /// has none.
    pub fn location(&self, mount: &str, query: Option<&str>) -> String {
        let mut location = match &self.rule.destination {
            Destination::Site(template) => {
                let filled = template.fill(&self.captures);
                let (path, rest) = filled.split_at(filled.find(['?', '#']).unwrap_or(filled.len()));
                format!("{mount}{}{rest}", single_slashes(path))
            }
            Destination::Elsewhere(template) => template.fill(&self.captures),
        };
        if let Some(query) = query
            && !location.contains('?')
        {
            let fragment = location.find('#').map(|at| location.split_off(at));
            location.push('?');
            location.push_str(query);
            location.extend(fragment);
        }
        utf8_percent_encode(&location, LOCATION).to_string()
    }
}

/// Runs of `/` as one.
fn single_slashes(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if !(c == '/' && out.ends_with('/')) {
            out.push(c);
        }
    }
    out
}

/// The rules of a `_redirects` file.
#[derive(Debug, Clone, Default)]
pub struct Redirects {
    rules: Vec<Redirect>,
    /// Rules whose source is one path, by its key: the first such rule.
    by_key: BTreeMap<String, usize>,
    /// The others, by first segment.
    dynamic: Index,
}

impl Redirects {
    /// Whether there is no rule.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// How many rules there are.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// The first rule whose source matches the decoded `path`.
    pub fn find(&self, path: &[String]) -> Option<Found<'_>> {
        let by_key = self.by_key.get(&key(path)).copied();
        for at in self.dynamic.candidates(path) {
            if by_key.is_some_and(|s| s < at) {
                break;
            }
            if let Some(captures) = self.rules[at].source.matches(path) {
                return Some(Found {
                    rule: &self.rules[at],
                    captures,
                });
            }
        }
        let at = by_key?;
        Some(Found {
            rule: &self.rules[at],
            captures: Captures::default(),
        })
    }

    /// Parses a `_redirects` file's text: its rules, and a problem for each
    /// line it skipped.
    pub fn parse(text: &str) -> (Redirects, Vec<LineProblem>) {
        let mut redirects = Redirects::default();
        let mut problems = Vec::new();
        let (mut statics, mut dynamics) = (0usize, 0usize);
        let (mut over_static, mut over_dynamic) = (None, None);
        for (n, line) in text.lines().enumerate() {
            let line_no = n + 1;
            if line.chars().count() > MAX_REDIRECT_LINE {
                problems.push(LineProblem::new(
                    line_no,
                    format!("longer than {MAX_REDIRECT_LINE} characters"),
                ));
                continue;
            }
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let rule = match parse_line(line, line_no) {
                Ok(rule) => rule,
                Err(reason) => {
                    problems.push(LineProblem::new(line_no, reason));
                    continue;
                }
            };
            match rule.source.literal_key() {
                Some(source) => {
                    statics += 1;
                    if statics > MAX_STATIC_REDIRECTS {
                        over_static.get_or_insert((line_no, 0)).1 += 1;
                        continue;
                    }
                    let at = redirects.rules.len();
                    redirects.by_key.entry(source).or_insert(at);
                }
                None => {
                    dynamics += 1;
                    if dynamics > MAX_DYNAMIC_REDIRECTS {
                        over_dynamic.get_or_insert((line_no, 0)).1 += 1;
                        continue;
                    }
                    redirects.dynamic.add(redirects.rules.len(), &rule.source);
                }
            }
            redirects.rules.push(rule);
        }
        for (over, limit, kind) in [
            (over_static, MAX_STATIC_REDIRECTS, "redirects from one path"),
            (
                over_dynamic,
                MAX_DYNAMIC_REDIRECTS,
                "redirects with a placeholder or *",
            ),
        ] {
            if let Some((line, count)) = over {
                problems.push(LineProblem::new(
                    line,
                    format!(
                        "past the limit of {limit} {kind}: this rule and the {} after it are ignored",
                        count - 1
                    ),
                ));
            }
        }
        problems.sort_by_key(|p| p.line);
        (redirects, problems)
    }
}

/// One rule's line, trimmed and not a comment.
fn parse_line(line: &str, line_no: usize) -> Result<Redirect, String> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let (source, destination, status) = match fields.as_slice() {
        [source, destination] => (*source, *destination, None),
        [source, destination, status] => (*source, *destination, Some(*status)),
        [_] => return Err("a rule needs a source and a destination".to_owned()),
        _ => {
            return Err(
                "more than source, destination and status: conditions (country, language, \
                 role, query) are not supported"
                    .to_owned(),
            );
        }
    };
    let source = Pattern::parse(source).map_err(|e| format!("the source {e}"))?;
    let (action, force) = match status {
        None => (Action::Redirect(301), false),
        Some(status) => {
            let (digits, force) = match status.strip_suffix('!') {
                Some(digits) => (digits, true),
                None => (status, false),
            };
            let action = match digits {
                "200" => Action::Rewrite,
                "404" => Action::NotFound,
                "301" | "302" | "303" | "307" | "308" => {
                    Action::Redirect(digits.parse().unwrap_or(301))
                }
                _ => {
                    return Err(format!(
                        "status {status:?} is not one of 200, 301, 302, 303, 307, 308, 404 \
                         (each may end in !)"
                    ));
                }
            };
            (action, force)
        }
    };
    let bound = source.placeholders();
    if destination.bytes().any(|b| b.is_ascii_control()) {
        return Err("the destination holds a control character".to_owned());
    }
    let destination = if destination.starts_with("//") || destination.starts_with("/\\") {
        return Err(format!(
            "the destination {destination:?} names another host without a scheme: write https://{}",
            destination.trim_start_matches(['/', '\\'])
        ));
    } else if destination.starts_with('/') {
        Destination::Site(Template::parse(destination, &bound, true)?)
    } else if let Some(rest) = destination
        .strip_prefix("https://")
        .or_else(|| destination.strip_prefix("http://"))
    {
        if !matches!(action, Action::Redirect(_)) {
            return Err(format!(
                "a {} serves a file of this site, so its destination must start with \"/\"",
                if action == Action::Rewrite {
                    "rewrite (200)"
                } else {
                    "404 rule"
                }
            ));
        }
        let authority = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        if authority == 0 {
            return Err(format!("the destination {destination:?} names no host"));
        }
        let template = Template::parse(destination, &bound, true)?;
        let host_end = destination.len() - rest.len() + authority;
        if template.has_placeholder_before(host_end) {
            return Err(
                "a placeholder in the destination's host would let a request choose the site it is sent to"
                    .to_owned(),
            );
        }
        Destination::Elsewhere(template)
    } else {
        return Err(format!(
            "the destination {destination:?} is neither a path (/…) nor an http(s) URL"
        ));
    };
    Ok(Redirect {
        line: line_no,
        source,
        destination,
        action,
        force,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::path::SitePath;

    fn rules(text: &str) -> Redirects {
        let (r, problems) = Redirects::parse(text);
        assert!(problems.is_empty(), "{problems:?}");
        r
    }

    fn segs(path: &str) -> Vec<String> {
        SitePath::parse(path).unwrap().segments().to_vec()
    }

    fn location(r: &Redirects, path: &str, query: Option<&str>) -> Option<(u16, String)> {
        let found = r.find(&segs(path))?;
        let Action::Redirect(status) = found.rule.action else {
            panic!("not a redirect: {found:?}");
        };
        Some((status, found.location("", query)))
    }

    #[test]
    fn statuses_and_the_default() {
        let r = rules(
            "/a /b\n/c /d 302\n/e /f 303\n/g /h 307\n/i /j 308!\n/k /l 200\n/m /n 404\n/o /p 200!",
        );
        assert_eq!(location(&r, "/a", None), Some((301, "/b".into())));
        assert_eq!(location(&r, "/c", None), Some((302, "/d".into())));
        let i = r.find(&segs("/i")).unwrap();
        assert_eq!((i.rule.action, i.rule.force), (Action::Redirect(308), true));
        let k = r.find(&segs("/k")).unwrap();
        assert_eq!(
            (k.rule.action, k.site_path().as_deref()),
            (Action::Rewrite, Some("/l"))
        );
        assert_eq!(r.find(&segs("/m")).unwrap().rule.action, Action::NotFound);
        assert!(r.find(&segs("/o")).unwrap().rule.force);
        assert!(r.find(&segs("/zzz")).is_none());
    }

    #[test]
    fn placeholders_and_splats_fill_the_destination_and_the_query_carries_over() {
        let r = rules(
            "/posts/:year/:slug /articles/:year/:slug\n/docs/* /manual/:splat 302\n\
             /go/* https://example.com/to/:splat\n/q /with?x=1",
        );
        assert_eq!(
            location(&r, "/posts/2026/a%20b", Some("ref=1")),
            Some((301, "/articles/2026/a%20b?ref=1".into()))
        );
        assert_eq!(
            location(&r, "/docs/a/b.html", None),
            Some((302, "/manual/a/b.html".into()))
        );
        assert_eq!(
            location(&r, "/go/x", None),
            Some((301, "https://example.com/to/x".into()))
        );
        assert_eq!(
            location(&r, "/q", Some("y=2")),
            Some((301, "/with?x=1".into()))
        );
    }

    /// Issue 22: `/go/* /:splat 302` asked for `/go//evil.example` must not
    /// send `Location: //evil.example`.
    #[test]
    fn nothing_filled_in_turns_a_site_destination_into_another_origin() {
        let r = rules("/go/* /:splat 302\n/to/* /:splat/page 302\n/n/:a /:a/x");
        for path in [
            "/go//evil.example",
            "/go/%2Fevil.example",
            "/go/%5Cevil.example",
            "/go/\\evil.example",
        ] {
            let Ok(segments) = SitePath::parse(path) else {
                continue; // refused before any rule: a 400
            };
            let found = r.find(segments.segments()).unwrap();
            let location = found.location("", None);
            assert!(
                location.starts_with('/') && !location.starts_with("//"),
                "{path}: {location}"
            );
            assert!(
                !location.starts_with("/\\") && !location.contains('\\'),
                "{path}: {location}"
            );
        }
        assert_eq!(
            location(&r, "/to", None),
            Some((302, "/page".into())),
            "an empty splat"
        );
        assert_eq!(location(&r, "/go", None), Some((302, "/".into())));
        // Under a mount, the site's paths are below it.
        let found = r.find(&segs("/go/a")).unwrap();
        assert_eq!(found.location("/static", None), "/static/a");
    }

    #[test]
    fn the_first_match_wins_across_static_and_dynamic_rules() {
        let r = rules("/a/* /first\n/a/b /second\n/c /third\n/c /fourth\n/:x /fifth");
        assert_eq!(location(&r, "/a/b", None).unwrap().1, "/first");
        assert_eq!(location(&r, "/c", None).unwrap().1, "/third");
        assert_eq!(location(&r, "/d", None).unwrap().1, "/fifth");
        let r = rules("/a/b /static-first\n/a/* /dynamic");
        assert_eq!(location(&r, "/a/b", None).unwrap().1, "/static-first");
        assert_eq!(location(&r, "/a/c", None).unwrap().1, "/dynamic");
    }

    #[test]
    fn bad_lines_are_skipped_with_their_reason_and_the_rest_apply() {
        let text = "# comment\n\n/ok /fine\n/only-source\n/a /b 418\n/a /b 301 Country=nz\n\
                    nope /b\n/a *\n/x //evil.example\n/x/* /y/:nope\n/r https://x/ 200\n\
                    /s/:h https://:h.example/\n/t/* /u 301!!\n/ok2 /fine2 302\n";
        let (r, problems) = Redirects::parse(text);
        let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [4, 5, 6, 7, 8, 9, 10, 11, 12, 13], "{problems:?}");
        assert!(problems.iter().all(|p| !p.reason.is_empty()));
        assert_eq!(r.len(), 2);
        assert!(r.find(&segs("/ok2")).is_some());
    }

    #[test]
    fn limits_keep_the_first_and_warn_once() {
        let mut text = String::new();
        for n in 0..MAX_STATIC_REDIRECTS + 5 {
            text.push_str(&format!("/s{n} /t{n}\n"));
        }
        for n in 0..MAX_DYNAMIC_REDIRECTS + 3 {
            text.push_str(&format!("/d{n}/* /e{n}/:splat\n"));
        }
        text.push_str(&format!("/long /{}\n", "x".repeat(MAX_REDIRECT_LINE)));
        let (r, problems) = Redirects::parse(&text);
        assert_eq!(r.len(), MAX_STATIC_REDIRECTS + MAX_DYNAMIC_REDIRECTS);
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].reason.contains("the 4 after it"));
        assert!(problems[1].reason.contains("the 2 after it"));
        assert!(problems[2].reason.contains("longer than"));
        assert!(
            r.find(&segs(&format!("/s{}", MAX_STATIC_REDIRECTS - 1)))
                .is_some()
        );
        assert!(
            r.find(&segs(&format!("/s{}", MAX_STATIC_REDIRECTS)))
                .is_none()
        );
    }

    /// Found by the fuzz target (`fuzz/seeds/rules/backslash-in-destination`).
    #[test]
    fn a_backslash_in_a_destination_is_encoded() {
        let r = rules("/ /i/\\x\n/e https://h.example/a\\b");
        assert_eq!(location(&r, "/", None).unwrap().1, "/i/%5Cx");
        assert_eq!(
            location(&r, "/e", None).unwrap().1,
            "https://h.example/a%5Cb"
        );
    }

    #[test]
    fn non_ascii_destinations_are_encoded_for_location() {
        let r = rules("/café /thé\n/x https://例え.jp/パス");
        assert_eq!(location(&r, "/caf%C3%A9", None).unwrap().1, "/th%C3%A9");
        let l = location(&r, "/x", None).unwrap().1;
        assert!(l.is_ascii() && l.starts_with("https://"), "{l}");
    }
}
