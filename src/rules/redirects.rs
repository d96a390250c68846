//! `_redirects`: `source destination [status][!]` a line.
//!
//! Status 301 (the default), 302, 303, 307 or 308 redirects; 200 serves
//! the destination in place (a rewrite, same site only); 404 serves it with
//! status 404. A file at the source shadows the rule unless the status ends
//! in `!`. `#` starts a comment line. The first matching rule wins: rules
//! whose source is one path sit in a map, the others are tried in file
//! order (only those that can match, filed by their first literal segment).

#![forbid(unsafe_code)]

use super::index::Index;
use super::pattern::{Captures, Pattern, key, plain_key};
use super::template::Template;
use super::{LineProblem, MAX_DYNAMIC_REDIRECTS, MAX_REDIRECT_LINE, MAX_STATIC_REDIRECTS};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

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

/// A rule with a placeholder or a splat.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Redirect {
    line: usize,
    source: Pattern,
    destination: Destination,
    action: Action,
    force: bool,
}

/// Where some text is: in the file, or in the keys made for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: u32,
    len: u32,
    /// In [`Redirects::made_keys`] rather than in the file.
    made: bool,
}

/// A rule from one path, kept as spans of the file: a file may hold
/// thousands, and nothing of one is made but for a request it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PathRule {
    key: Span,
    destination: Span,
    line: u32,
    action: Action,
    force: bool,
}

/// A rule that matched a request, with what its source bound.
#[derive(Debug, Clone)]
pub struct Found {
    /// What the rule does.
    pub action: Action,
    /// `!`: it applies even when a file exists at the source.
    pub force: bool,
    destination: Destination,
    captures: Captures,
}

impl Found {
    /// For a rule whose destination is on the site: that path, filled in
    /// and percent-encoded, with runs of `/` made one (so nothing filled
    /// in can make it `//host`), without a query. `None` for another origin.
    pub fn site_path(&self) -> Option<String> {
        match &self.destination {
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
        let mut location = match &self.destination {
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

/// The rules of a `_redirects` file. A file can hold thousands, and an
/// instance parses them once for the 128 requests or so it lives, so the
/// rules from one path (nearly all of them) are kept as spans of the file,
/// sorted by path, the first of each path only; the others are parsed
/// whole and filed by first segment.
#[derive(Debug, Clone, Default)]
pub struct Redirects {
    /// The file.
    text: String,
    /// Keys of one-path sources not written as they are kept
    /// (`/a//b/` is `a/b`).
    made_keys: String,
    /// Rules from one path, sorted by it.
    paths: Vec<PathRule>,
    /// Rules with a placeholder or splat, in file order.
    dynamic: Vec<Redirect>,
    /// The dynamic rules, by first segment.
    index: Index,
}

impl Redirects {
    /// Whether there is no rule.
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty() && self.dynamic.is_empty()
    }

    /// How many rules there are (after those from a path already given).
    pub fn len(&self) -> usize {
        self.paths.len() + self.dynamic.len()
    }

    fn text_of(&self, span: Span) -> &str {
        let from = if span.made {
            &self.made_keys
        } else {
            &self.text
        };
        from.get(span.start as usize..(span.start + span.len) as usize)
            .unwrap_or("")
    }

    /// The first rule whose source matches the decoded `path`.
    pub fn find(&self, path: &[String]) -> Option<Found> {
        let by_path = if self.paths.is_empty() {
            None
        } else {
            let key = key(path);
            self.paths
                .binary_search_by(|r| self.text_of(r.key).cmp(&key))
                .ok()
                .map(|at| self.paths[at])
        };
        for at in self.index.candidates(path) {
            let rule = &self.dynamic[at];
            if by_path.is_some_and(|p| (p.line as usize) < rule.line) {
                break;
            }
            if let Some(captures) = rule.source.matches(path) {
                return Some(Found {
                    action: rule.action,
                    force: rule.force,
                    destination: rule.destination.clone(),
                    captures,
                });
            }
        }
        let rule = by_path?;
        // Checked when the file was read: it parses.
        let destination =
            parse_destination(self.text_of(rule.destination), rule.action, &[]).ok()?;
        Some(Found {
            action: rule.action,
            force: rule.force,
            destination,
            captures: Captures::default(),
        })
    }

    /// Parses a `_redirects` file's text: its rules, and a problem for each
    /// line it skipped.
    pub fn parse(text: &str) -> (Redirects, Vec<LineProblem>) {
        let mut redirects = Redirects {
            text: text.to_owned(),
            ..Redirects::default()
        };
        let mut problems = Vec::new();
        let (mut statics, mut dynamics) = (0usize, 0usize);
        let (mut over_static, mut over_dynamic) = (None, None);
        let base = text.as_ptr() as usize;
        for (n, line) in text.lines().enumerate() {
            let line_no = n + 1;
            if line.len() > MAX_REDIRECT_LINE && line.chars().count() > MAX_REDIRECT_LINE {
                problems.push(LineProblem::new(
                    line_no,
                    format!("longer than {MAX_REDIRECT_LINE} characters"),
                ));
                continue;
            }
            let line = line.trim_ascii();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let at = |part: &str| (part.as_ptr() as usize - base) as u32;
            let parsed = match parse_line(line, line_no) {
                Ok(parsed) => parsed,
                Err(reason) => {
                    problems.push(LineProblem::new(line_no, reason));
                    continue;
                }
            };
            match parsed {
                Line::Path {
                    source,
                    destination,
                    action,
                    force,
                } => {
                    statics += 1;
                    if statics > MAX_STATIC_REDIRECTS {
                        over_static.get_or_insert((line_no, 0)).1 += 1;
                        continue;
                    }
                    let key = match source {
                        Key::Written(key) => Span {
                            start: at(key),
                            len: key.len() as u32,
                            made: false,
                        },
                        Key::Made(key) => {
                            let start = redirects.made_keys.len() as u32;
                            redirects.made_keys.push_str(&key);
                            Span {
                                start,
                                len: key.len() as u32,
                                made: true,
                            }
                        }
                    };
                    redirects.paths.push(PathRule {
                        key,
                        destination: Span {
                            start: at(destination),
                            len: destination.len() as u32,
                            made: false,
                        },
                        line: line_no as u32,
                        action,
                        force,
                    });
                }
                Line::Pattern(rule) => {
                    dynamics += 1;
                    if dynamics > MAX_DYNAMIC_REDIRECTS {
                        over_dynamic.get_or_insert((line_no, 0)).1 += 1;
                        continue;
                    }
                    redirects.index.add(redirects.dynamic.len(), &rule.source);
                    redirects.dynamic.push(rule);
                }
            }
        }
        // By path, and the first of a path given twice (a stable sort keeps
        // file order among equals).
        let mut paths = std::mem::take(&mut redirects.paths);
        paths.sort_by(|a, b| redirects.text_of(a.key).cmp(redirects.text_of(b.key)));
        paths.dedup_by(|later, first| redirects.text_of(later.key) == redirects.text_of(first.key));
        redirects.paths = paths;
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

/// A one-path source's key: as written in the file, or made (normalised).
enum Key<'a> {
    Written(&'a str),
    Made(String),
}

/// One parsed line.
enum Line<'a> {
    /// From one path: what to keep of it, as parts of the line.
    Path {
        source: Key<'a>,
        destination: &'a str,
        action: Action,
        force: bool,
    },
    /// With a placeholder or splat.
    Pattern(Redirect),
}

/// The key of a source as it is written, when it already is a key: `/`
/// and names without escapes, placeholders, `*`, `.`/`..` or empty names.
fn written_key(source: &str) -> Option<&str> {
    let rest = source.strip_prefix('/')?;
    let plain = !rest.is_empty()
        && !rest
            .bytes()
            .any(|b| matches!(b, b'*' | b'%' | b':' | b'\\' | 0))
        && rest
            .split('/')
            .all(|name| !name.is_empty() && name != "." && name != "..");
    plain.then_some(rest)
}

/// One rule's line, trimmed and not a comment.
fn parse_line(line: &str, line_no: usize) -> Result<Line<'_>, String> {
    let mut fields = line.split_ascii_whitespace();
    let (source, destination, status, more) =
        (fields.next(), fields.next(), fields.next(), fields.next());
    let (source, destination, status) = match (source, destination, more) {
        (Some(source), Some(destination), None) => (source, destination, status),
        (_, None, _) => return Err("a rule needs a source and a destination".to_owned()),
        _ => {
            return Err(
                "more than source, destination and status: conditions (country, language, \
                 role, query) are not supported"
                    .to_owned(),
            );
        }
    };
    let (action, force) = parse_status(status)?;
    let key = match written_key(source) {
        Some(key) => Some(Key::Written(key)),
        None => plain_key(source).map(Key::Made),
    };
    let pattern = match key {
        Some(_) => None,
        None => {
            let pattern = Pattern::parse(source).map_err(|e| format!("the source {e}"))?;
            match pattern.literal_key() {
                Some(key) => {
                    return check_destination(destination, action, &[]).map(|()| Line::Path {
                        source: Key::Made(key),
                        destination,
                        action,
                        force,
                    });
                }
                None => Some(pattern),
            }
        }
    };
    match (key, pattern) {
        (Some(source), _) => {
            check_destination(destination, action, &[])?;
            Ok(Line::Path {
                source,
                destination,
                action,
                force,
            })
        }
        (None, Some(source)) => {
            let destination = parse_destination(destination, action, &source.placeholders())?;
            Ok(Line::Pattern(Redirect {
                line: line_no,
                source,
                destination,
                action,
                force,
            }))
        }
        (None, None) => Err("the source is neither a path nor a pattern".to_owned()),
    }
}

/// The status field: what the rule does and whether it is forced.
fn parse_status(status: Option<&str>) -> Result<(Action, bool), String> {
    let Some(status) = status else {
        return Ok((Action::Redirect(301), false));
    };
    let (digits, force) = match status.strip_suffix('!') {
        Some(digits) => (digits, true),
        None => (status, false),
    };
    let action = match digits {
        "200" => Action::Rewrite,
        "404" => Action::NotFound,
        "301" => Action::Redirect(301),
        "302" => Action::Redirect(302),
        "303" => Action::Redirect(303),
        "307" => Action::Redirect(307),
        "308" => Action::Redirect(308),
        _ => {
            return Err(format!(
                "status {status:?} is not one of 200, 301, 302, 303, 307, 308, 404 \
                 (each may end in !)"
            ));
        }
    };
    Ok((action, force))
}

/// Checks a destination as [`parse_destination`] would, making nothing
/// when it has no placeholder to fill.
fn check_destination(destination: &str, action: Action, bound: &[&str]) -> Result<(), String> {
    if destination.starts_with('/') && !destination.contains(':') {
        if destination.starts_with("//") || destination.starts_with("/\\") {
            return Err(another_host(destination));
        }
        if destination.bytes().any(|b| b.is_ascii_control()) {
            return Err("the destination holds a control character".to_owned());
        }
        return Ok(());
    }
    parse_destination(destination, action, bound).map(|_| ())
}

fn another_host(destination: &str) -> String {
    format!(
        "the destination {destination:?} names another host without a scheme: write https://{}",
        destination.trim_start_matches(['/', '\\'])
    )
}

/// A destination: a site path, or (for a redirect) another origin, whose
/// host no placeholder may fill.
fn parse_destination(
    destination: &str,
    action: Action,
    bound: &[&str],
) -> Result<Destination, String> {
    if destination.bytes().any(|b| b.is_ascii_control()) {
        return Err("the destination holds a control character".to_owned());
    }
    if destination.starts_with("//") || destination.starts_with("/\\") {
        return Err(another_host(destination));
    }
    if destination.starts_with('/') {
        return Ok(Destination::Site(Template::parse(
            destination,
            bound,
            true,
        )?));
    }
    let Some(rest) = destination
        .strip_prefix("https://")
        .or_else(|| destination.strip_prefix("http://"))
    else {
        return Err(format!(
            "the destination {destination:?} is neither a path (/…) nor an http(s) URL"
        ));
    };
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
    let template = Template::parse(destination, bound, true)?;
    let host_end = destination.len() - rest.len() + authority;
    if template.has_placeholder_before(host_end) {
        return Err(
            "a placeholder in the destination's host would let a request choose the site it is sent to"
                .to_owned(),
        );
    }
    Ok(Destination::Elsewhere(template))
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
        let Action::Redirect(status) = found.action else {
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
        assert_eq!((i.action, i.force), (Action::Redirect(308), true));
        let k = r.find(&segs("/k")).unwrap();
        assert_eq!(
            (k.action, k.site_path().as_deref()),
            (Action::Rewrite, Some("/l"))
        );
        assert_eq!(r.find(&segs("/m")).unwrap().action, Action::NotFound);
        assert!(r.find(&segs("/o")).unwrap().force);
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
