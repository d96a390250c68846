//! `_headers`: an unindented URL pattern, then indented `Name: value` lines
//! that set a header on the answers for the paths it matches, and
//! `! Name` lines that remove one. Every block that matches a path applies,
//! in file order: a header two blocks set gets both values, joined with
//! `, `; a header docroot set (`Cache-Control` from `DOCROOT_CACHE_CONTROL`,
//! `X-Content-Type-Options`, `Content-Type`) is replaced; `! Name` removes
//! what docroot or an earlier block set.
//!
//! The headers that frame or describe the representation are docroot's
//! ([`RESERVED`]): a line that names one is refused.
//!
//! `Basic-Auth: user:password …` (Netlify's line) is no header: it protects
//! the block's paths ([`HeaderRules::access`]), matched without regard to
//! case (a site on a case-insensitive filesystem has one file for
//! `/Admin/` and `/admin/`). Every block that matches a path and has one
//! must admit the request's credentials, so a block never lets in a user
//! another block keeps out; a block with a malformed `Basic-Auth` line lets
//! nobody in (it fails closed), and protection cannot be removed
//! (`! Basic-Auth` is refused).

#![forbid(unsafe_code)]

use super::index::Index;
use super::pattern::Pattern;
use super::template::Template;
use super::{LineProblem, MAX_HEADER_LINE, MAX_HEADER_RULES};
use crate::auth::{self, Access, Authorization, Users};
use crate::http::HeaderName;
use crate::path::fold_case;

/// Headers a site may not set or remove: they frame the message or
/// describe the representation docroot chose (RFC 9110 §8, §13, §14;
/// RFC 9112 §6-7), or are the host's, or redirects' (`Location`).
pub const RESERVED: [&str; 17] = [
    "accept-ranges",
    "connection",
    "content-encoding",
    "content-length",
    "content-range",
    "date",
    "etag",
    "keep-alive",
    "last-modified",
    "location",
    "proxy-connection",
    "server",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "vary",
];

/// The headers a 304 may carry of those a site sets (RFC 9110 §15.4.5:
/// `Cache-Control`, `Content-Location`, `Expires`; its `Date`, `ETag` and
/// `Vary` are docroot's).
const ON_304: [&str; 3] = ["cache-control", "content-location", "expires"];

/// One line of a block.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Line {
    Set(String, Template),
    Remove(String),
}

/// A pattern and its lines.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Block {
    pattern: Pattern,
    lines: Vec<Line>,
}

/// What a block's `Basic-Auth` lines protect, and whom they let in.
#[derive(Debug, Clone)]
struct Protection {
    /// The block's index.
    block: usize,
    /// Its pattern, case-folded, to match a case-folded path.
    pattern: Pattern,
    /// The users its lines list.
    users: Users,
    /// A line is malformed: nobody is let in.
    closed: bool,
}

/// The rules of a `_headers` file.
#[derive(Debug, Clone, Default)]
pub struct HeaderRules {
    blocks: Vec<Block>,
    index: Index,
    /// Every name a line sets or removes, once.
    names: Vec<String>,
    /// The blocks that protect their paths (`Basic-Auth`), in file order.
    protections: Vec<Protection>,
    /// A `Basic-Auth` line whose paths are not known: every path is
    /// protected, and nobody is let in.
    locked: bool,
    /// The lines that protect paths (`Basic-Auth`), by number.
    basic_auth_lines: Vec<usize>,
}

/// Which answer the headers go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// A file, a listing, a rewrite, a 404 page: every header.
    Whole,
    /// A 304: only what RFC 9110 §15.4.5 lets it carry.
    NotModified,
}

/// What the site's `_headers` do to the answers at one path, for each kind
/// of answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SiteHeaders {
    /// For a file, a listing, a rewrite, a 404 page.
    pub whole: Edits,
    /// For a 304: only what it may carry.
    pub not_modified: Edits,
}

impl SiteHeaders {
    /// The edits for `answer`.
    pub fn of(&self, answer: Answer) -> &Edits {
        match answer {
            Answer::Whole => &self.whole,
            Answer::NotModified => &self.not_modified,
        }
    }
}

/// What the matching blocks do to an answer's headers: every header they
/// name goes from what docroot set, and the headers they set follow. (A
/// block's line only ever replaces or removes docroot's value, never reads
/// it, so the edits are the same whatever docroot set.)
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Edits {
    /// Every name a matching line sets or removes.
    named: Vec<String>,
    /// The headers they set, in order; a header two blocks set holds both
    /// values, joined with `, `.
    set: Vec<(HeaderName, String)>,
}

impl Edits {
    /// Applies them to `headers`, docroot's.
    pub fn apply(&self, headers: &mut Vec<(HeaderName, String)>) {
        if self.named.is_empty() {
            return;
        }
        headers.retain(|(n, _)| !self.named.iter().any(|named| named == n));
        headers.extend(self.set.iter().cloned());
    }

    /// What they make of header `name`: `Some(None)` when they remove it,
    /// `Some(value)` when they set it, `None` when they leave docroot's.
    pub fn value(&self, name: &str) -> Option<Option<&str>> {
        self.named.iter().any(|n| n == name).then(|| {
            self.set
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        })
    }

    fn name(&mut self, name: &str) {
        if !self.named.iter().any(|n| n == name) {
            self.named.push(name.to_owned());
        }
    }

    /// A block sets `name`: after what an earlier block set, or replacing
    /// docroot's (or what an earlier block set and a later removed).
    fn set(&mut self, name: &str, value: String) {
        self.name(name);
        match self.set.iter_mut().find(|(n, _)| n == name) {
            Some((_, old)) => {
                old.push_str(", ");
                old.push_str(&value);
            }
            None => self.set.push((HeaderName::Owned(name.to_owned()), value)),
        }
    }

    fn remove(&mut self, name: &str) {
        self.name(name);
        self.set.retain(|(n, _)| n != name);
    }
}

impl HeaderRules {
    /// Whether there is no block and nothing is protected.
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty() && !self.protects()
    }

    /// Whether some line sets or removes the header `name` (lower-case).
    pub fn touches(&self, name: &str) -> bool {
        self.names.iter().any(|n| n == name)
    }

    /// How many blocks there are.
    pub fn len(&self) -> usize {
        self.blocks.len()
    }

    /// Whether some block protects its paths (`Basic-Auth`).
    pub fn protects(&self) -> bool {
        self.locked || !self.protections.is_empty()
    }

    /// The rules of a `_headers` that may protect paths but cannot be
    /// read: every path protected, nobody let in.
    pub fn locked() -> HeaderRules {
        HeaderRules {
            locked: true,
            ..HeaderRules::default()
        }
    }

    /// The numbers of the `Basic-Auth` lines of blocks that apply: each
    /// holds credentials in plain text in the site.
    pub fn basic_auth_lines(&self) -> &[usize] {
        &self.basic_auth_lines
    }

    /// What the site's protection says of a request with `authorization`
    /// for the decoded `path`, matched without regard to case: open when no
    /// protecting block matches it, admitted when every one that does lets
    /// its credentials in, denied otherwise.
    pub fn access(&self, path: &[String], authorization: &Authorization) -> Access {
        if !self.protects() {
            return Access::Open;
        }
        let folded: Vec<String> = path.iter().map(|name| fold_case(name)).collect();
        self.access_folded(&folded, authorization)
    }

    /// [`HeaderRules::access`] for a path whose names are already
    /// case-folded ([`fold_case`]).
    pub fn access_folded(&self, path: &[String], authorization: &Authorization) -> Access {
        if self.locked {
            return Access::Denied;
        }
        let mut access = Access::Open;
        for protection in &self.protections {
            if protection.pattern.matches(path).is_none() {
                continue;
            }
            if protection.closed || !protection.users.admit(authorization) {
                return Access::Denied;
            }
            access = Access::Admitted;
        }
        access
    }

    /// The protection of the last block, made when its first `Basic-Auth`
    /// line is read.
    fn protect_last_block(&mut self) -> &mut Protection {
        let block = self.blocks.len() - 1;
        if self.protections.last().is_none_or(|p| p.block != block) {
            self.protections.push(Protection {
                block,
                pattern: self.blocks[block].pattern.folded(),
                users: Users::default(),
                closed: false,
            });
        }
        let last = self.protections.len() - 1;
        &mut self.protections[last]
    }

    /// What every block matching the decoded `path` does to the answers
    /// there, worked out once per request.
    pub fn for_path(&self, path: &[String]) -> SiteHeaders {
        let mut edits = SiteHeaders::default();
        for at in self.index.candidates(path) {
            let block = &self.blocks[at];
            let Some(captures) = block.pattern.matches(path) else {
                continue;
            };
            for line in &block.lines {
                match line {
                    Line::Set(name, value) => {
                        let value = value.fill(&captures);
                        if ON_304.contains(&name.as_str()) {
                            edits.not_modified.set(name, value.clone());
                        }
                        edits.whole.set(name, value);
                    }
                    Line::Remove(name) => {
                        edits.whole.remove(name);
                        edits.not_modified.remove(name);
                    }
                }
            }
        }
        edits
    }

    /// Parses a `_headers` file's text: its blocks, and a problem for each
    /// line it skipped.
    pub fn parse(text: &str) -> (HeaderRules, Vec<LineProblem>) {
        let mut rules = HeaderRules::default();
        let mut problems = Vec::new();
        // Where indented lines go: nowhere yet, to the last block, or
        // skipped with a pattern that was refused or past the limit.
        #[derive(PartialEq)]
        enum State {
            NoPattern,
            Open,
            Skipping,
        }
        let mut state = State::NoPattern;
        let mut over = None;
        for (n, raw) in text.lines().enumerate() {
            let line_no = n + 1;
            let line = raw.trim();
            let indented = raw.starts_with([' ', '\t']);
            let too_long = raw.len() > MAX_HEADER_LINE && raw.chars().count() > MAX_HEADER_LINE;
            if too_long {
                problems.push(LineProblem::new(
                    line_no,
                    format!("longer than {MAX_HEADER_LINE} characters"),
                ));
            }
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            // A protecting line protects its block, even when it cannot be
            // read; where its block is not known, it protects everything:
            // nobody is let in anywhere until it is fixed.
            if let Some(auth) = auth_line(line) {
                rules.basic_auth_lines.push(line_no);
                if indented && state == State::Open {
                    let protection = rules.protect_last_block();
                    let refused = match auth {
                        _ if too_long => None,
                        AuthLine::Misspelled => Some(
                            "a line named like Basic-Auth but not spelled so \
                             (Basic-Auth: user:password …) is never sent"
                                .to_owned(),
                        ),
                        AuthLine::Value(value) => match Users::parse(value) {
                            Ok(users) => {
                                protection.users.extend(users);
                                continue;
                            }
                            Err(reason) => Some(reason),
                        },
                    };
                    protection.closed = true;
                    if let Some(reason) = refused {
                        problems.push(LineProblem::new(
                            line_no,
                            format!("{reason}; until it is fixed, nobody is let in"),
                        ));
                    }
                } else {
                    rules.locked = true;
                    let place = match state {
                        _ if !indented => "not indented under a pattern",
                        State::NoPattern => "before any URL pattern",
                        _ => "under a pattern that is skipped",
                    };
                    problems.push(LineProblem::new(
                        line_no,
                        format!(
                            "a Basic-Auth line {place}: what it protects is not known, \
                             so nobody is let in anywhere until it is fixed"
                        ),
                    ));
                    if !indented {
                        state = State::Skipping;
                    }
                }
                continue;
            }
            if too_long {
                continue;
            }
            if !indented {
                state = State::Skipping;
                if line.starts_with("http://") || line.starts_with("https://") {
                    problems.push(LineProblem::new(
                        line_no,
                        "a pattern with a host is not supported (write the path, /…); \
                         its header lines are skipped with it"
                            .to_owned(),
                    ));
                    continue;
                }
                match Pattern::parse(line) {
                    Ok(_) if rules.blocks.len() >= MAX_HEADER_RULES => {
                        over.get_or_insert((line_no, 0)).1 += 1;
                    }
                    Ok(pattern) => {
                        rules.index.add(rules.blocks.len(), &pattern);
                        rules.blocks.push(Block {
                            pattern,
                            lines: Vec::new(),
                        });
                        state = State::Open;
                    }
                    Err(e) => problems.push(LineProblem::new(
                        line_no,
                        format!("the pattern {e}; its header lines are skipped with it"),
                    )),
                }
                continue;
            }
            match state {
                State::NoPattern => problems.push(LineProblem::new(
                    line_no,
                    "an indented header line before any URL pattern".to_owned(),
                )),
                State::Skipping => {}
                State::Open => {
                    let Some(block) = rules.blocks.last_mut() else {
                        continue;
                    };
                    match parse_line(line, &block.pattern.placeholders()) {
                        Ok(parsed) => {
                            let (Line::Set(name, _) | Line::Remove(name)) = &parsed;
                            if !rules.names.contains(name) {
                                rules.names.push(name.clone());
                            }
                            block.lines.push(parsed);
                        }
                        Err(reason) => problems.push(LineProblem::new(line_no, reason)),
                    }
                }
            }
        }
        if let Some((line, count)) = over {
            problems.push(LineProblem::new(
                line,
                format!(
                    "past the limit of {MAX_HEADER_RULES} header rules: this pattern and the {} after it are ignored",
                    count - 1
                ),
            ));
        }
        problems.sort_by_key(|p| p.line);
        (rules, problems)
    }
}

/// A line that protects paths, or was meant to.
enum AuthLine<'a> {
    /// `Basic-Auth: value`.
    Value(&'a str),
    /// A name that reads as `Basic-Auth` but is spelled otherwise
    /// (`BasicAuth`, `Basic_Auth`, `Basic-Authentication`): never sent as a
    /// header, since it holds credentials.
    Misspelled,
}

/// What a line, trimmed, is of `Basic-Auth`, if anything.
fn auth_line(line: &str) -> Option<AuthLine<'_>> {
    let (name, value) = line.split_once(':')?;
    let name = name.trim();
    if name.eq_ignore_ascii_case(auth::LINE_NAME) {
        return Some(AuthLine::Value(value));
    }
    let letters: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    letters
        .starts_with("basicauth")
        .then_some(AuthLine::Misspelled)
}

/// One indented line, trimmed: `Name: value` or `! Name`.
fn parse_line(line: &str, bound: &[&str]) -> Result<Line, String> {
    if let Some(name) = line.strip_prefix('!') {
        let name = checked_name(name.trim())?;
        if name == auth::LINE_NAME {
            return Err(
                "protection cannot be removed: narrow the pattern of the block that protects"
                    .to_owned(),
            );
        }
        return Ok(Line::Remove(name));
    }
    let (name, value) = line
        .split_once(':')
        .ok_or_else(|| "a header line is \"Name: value\" or \"! Name\"".to_owned())?;
    let name = checked_name(name.trim())?;
    let value = value.trim();
    if !value
        .bytes()
        .all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
    {
        return Err(format!(
            "the value of {name} holds a control character or a byte beyond ASCII"
        ));
    }
    Ok(Line::Set(name, Template::parse(value, bound, false)?))
}

/// A header name, lower-case, if it is one a site may set.
fn checked_name(name: &str) -> Result<String, String> {
    let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if name.is_empty() || !name.bytes().all(token) {
        return Err(format!("{name:?} is not a header name"));
    }
    let lower = name.to_ascii_lowercase();
    if RESERVED.contains(&lower.as_str()) {
        return Err(format!(
            "{name} is docroot's to set: it frames or describes the answer docroot sends"
        ));
    }
    Ok(lower)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::path::SitePath;

    fn rules(text: &str) -> HeaderRules {
        let (r, problems) = HeaderRules::parse(text);
        assert!(problems.is_empty(), "{problems:?}");
        r
    }

    fn applied(r: &HeaderRules, path: &str, answer: Answer) -> Vec<(String, String)> {
        let mut headers: Vec<(HeaderName, String)> = vec![
            ("content-type".into(), "text/html".into()),
            ("cache-control".into(), "max-age=60".into()),
            ("x-content-type-options".into(), "nosniff".into()),
        ];
        let path = SitePath::parse(path).unwrap();
        r.for_path(path.segments()).of(answer).apply(&mut headers);
        headers
            .into_iter()
            .map(|(n, v)| (n.into_owned(), v))
            .collect()
    }

    fn get<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn matching_blocks_combine_in_order() {
        let r = rules(
            "/*\n  X-Frame-Options: DENY\n  Link: </a.css>; rel=preload\n\
             /assets/*\n  Cache-Control: public, max-age=31536000, immutable\n  Link: </b.js>\n\
             /assets/raw/*\n  ! Cache-Control\n  ! X-Content-Type-Options\n\
             # a comment\n/other\n  X-Other: 1\n",
        );
        let h = applied(&r, "/assets/app.js", Answer::Whole);
        assert_eq!(get(&h, "x-frame-options"), Some("DENY"));
        assert_eq!(
            get(&h, "cache-control"),
            Some("public, max-age=31536000, immutable"),
            "replaces docroot's"
        );
        assert_eq!(
            get(&h, "link"),
            Some("</a.css>; rel=preload, </b.js>"),
            "two blocks combine"
        );
        assert_eq!(get(&h, "x-other"), None);
        let h = applied(&r, "/assets/raw/x", Answer::Whole);
        assert_eq!(
            (get(&h, "cache-control"), get(&h, "x-content-type-options")),
            (None, None)
        );
        let h = applied(&r, "/index.html", Answer::Whole);
        assert_eq!(
            get(&h, "cache-control"),
            Some("max-age=60"),
            "the operator's default stays"
        );
    }

    #[test]
    fn a_304_carries_only_what_it_may() {
        let r = rules("/*\n  Cache-Control: no-cache\n  X-Frame-Options: DENY\n  Expires: 0\n");
        let h = applied(&r, "/a", Answer::NotModified);
        assert_eq!(get(&h, "cache-control"), Some("no-cache"));
        assert_eq!(get(&h, "expires"), Some("0"));
        assert_eq!(get(&h, "x-frame-options"), None);
    }

    #[test]
    fn placeholders_fill_values_encoded() {
        let r = rules("/fonts/:family/*\n  X-Family: :family\n  Link: </css/:splat>\n");
        let h = applied(&r, "/fonts/Open%20Sans/a%0Db.woff2", Answer::Whole);
        assert_eq!(get(&h, "x-family"), Some("Open%20Sans"));
        assert_eq!(
            get(&h, "link"),
            Some("</css/a%0Db.woff2>"),
            "no raw CR reaches a header"
        );
    }

    #[test]
    fn bad_lines_are_skipped_and_reserved_headers_refused() {
        let text = "  X-Before: 1\n/ok\n  X-Ok: 1\n  Content-Length: 5\n  ETag: \"x\"\n  Vary: *\n\
                    \x20 Bad Name: x\n  NoColon\n  X-Ctl: a\u{7f}b\nhttps://host/x\n  X-Skipped: 1\n\
                    /a*b\n  X-Also-Skipped: 1\n/ok2\n  ! Transfer-Encoding\n  X-Fine: é\n  X-Good: 2\n";
        let (r, problems) = HeaderRules::parse(text);
        let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [1, 4, 5, 6, 7, 8, 9, 10, 12, 15, 16], "{problems:?}");
        assert_eq!(r.len(), 2);
        let h = applied(&r, "/ok2", Answer::Whole);
        assert_eq!(get(&h, "x-good"), Some("2"));
        assert_eq!(get(&h, "x-skipped"), None);
    }

    fn basic(user_password: &str) -> Authorization {
        use base64::Engine;
        let line = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(user_password)
        );
        Authorization::of(&[line.as_bytes()])
    }

    #[test]
    fn basic_auth_protects_and_is_never_a_header() {
        let r = rules(
            "/*\n  X-Frame-Options: DENY\n\
             /admin/*\n  basic-auth: alice:s3cret bob:b0b\n  X-Robots-Tag: noindex\n\
             /admin/root/*\n  Basic-Auth: root:r00t\n  BASIC-AUTH: alice:s3cret\n",
        );
        assert!(r.protects());
        assert_eq!(r.basic_auth_lines(), [4, 7, 8]);
        assert!(!r.touches("basic-auth"));
        let h = applied(&r, "/admin/x", Answer::Whole);
        assert_eq!(get(&h, "basic-auth"), None);
        assert_eq!(get(&h, "x-robots-tag"), Some("noindex"));
        let seg = |p: &str| SitePath::parse(p).unwrap().segments().to_vec();
        let alice = basic("alice:s3cret");
        let bob = basic("bob:b0b");
        let root = basic("root:r00t");
        assert_eq!(
            r.access(&seg("/index.html"), &Authorization::Absent),
            Access::Open
        );
        assert_eq!(
            r.access(&seg("/admin"), &Authorization::Absent),
            Access::Denied
        );
        assert_eq!(
            r.access(&seg("/admin/"), &Authorization::Unusable),
            Access::Denied
        );
        assert_eq!(r.access(&seg("/admin/a"), &alice), Access::Admitted);
        assert_eq!(r.access(&seg("/admin/a"), &bob), Access::Admitted);
        assert_eq!(r.access(&seg("/admin/a"), &root), Access::Denied);
        // Every protecting block must admit: alice is in both, bob and
        // root in one each.
        assert_eq!(r.access(&seg("/admin/root/x"), &alice), Access::Admitted);
        assert_eq!(r.access(&seg("/admin/root/x"), &bob), Access::Denied);
        assert_eq!(r.access(&seg("/admin/root/x"), &root), Access::Denied);
        // Without regard to case, as a case-insensitive filesystem finds
        // the same file.
        for spelling in ["/Admin/a", "/ADMIN/", "/admin/ROOT/x"] {
            assert_eq!(r.access(&seg(spelling), &alice), Access::Admitted);
            assert_eq!(
                r.access(&seg(spelling), &Authorization::Absent),
                Access::Denied
            );
        }
        assert_eq!(r.access(&seg("/ADMIN/ROOT/x"), &bob), Access::Denied);
    }

    #[test]
    fn a_bad_basic_auth_line_lets_nobody_in_and_protection_stays() {
        let text = format!(
            "/a/*\n  Basic-Auth: alice\n  Basic-Auth: alice:s3cret\n/b/*\n  Basic-Auth: alice:s3cret\n  ! Basic-Auth\n\
             /c/*\n  Basic-Auth: alice:{}\n/d/*\n  Basic-Auth:\n",
            "x".repeat(MAX_HEADER_LINE)
        );
        let (r, problems) = HeaderRules::parse(&text);
        let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [2, 6, 8, 10], "{problems:?}");
        for p in &problems {
            assert!(
                !p.reason.contains("s3cret") && !p.reason.contains("alice"),
                "{p:?}"
            );
        }
        let seg = |p: &str| SitePath::parse(p).unwrap().segments().to_vec();
        let alice = basic("alice:s3cret");
        for closed in ["/a/x", "/c/x", "/d/x"] {
            assert_eq!(r.access(&seg(closed), &alice), Access::Denied, "{closed}");
        }
        assert_eq!(r.access(&seg("/b/x"), &alice), Access::Admitted);
        assert_eq!(
            r.access(&seg("/b/x"), &Authorization::Absent),
            Access::Denied
        );
    }

    /// A line meant to protect that cannot be tied to its block locks
    /// the site; a misspelled one closes its block and is never sent; no
    /// problem quotes a password.
    #[test]
    fn a_protecting_line_never_fails_open_nor_goes_out() {
        let seg = |p: &str| SitePath::parse(p).unwrap().segments().to_vec();
        let alice = basic("alice:s3cret");
        let (r, problems) = HeaderRules::parse(
            "/a/*\n  BasicAuth: alice:s3cret\n  X-Ok: 1\n/b/*\n  Basic_Authentication: x:y\n",
        );
        assert_eq!(problems.len(), 2, "{problems:?}");
        let h = applied(&r, "/a/x", Answer::Whole);
        assert_eq!(get(&h, "basicauth"), None);
        assert_eq!(get(&h, "x-ok"), Some("1"));
        assert_eq!(r.access(&seg("/a/x"), &alice), Access::Denied);
        assert_eq!(r.access(&seg("/b/"), &alice), Access::Denied);
        assert_eq!(r.access(&seg("/c"), &alice), Access::Open);
        let mut many = String::new();
        for n in 0..MAX_HEADER_RULES {
            many.push_str(&format!("/p{n}\n  X-N: {n}\n"));
        }
        for unknown in [
            "/admin/*\nBasic-Auth: alice:s3cret\n".to_owned(),
            "  Basic-Auth: alice:s3cret\n/x\n  X-A: 1\n".to_owned(),
            "/admin/* # staff only\n  Basic-Auth: alice:s3cret\n".to_owned(),
            "https://example.com/admin/*\n  Basic-Auth: alice:s3cret\n".to_owned(),
            format!("{many}/admin/*\n  Basic-Auth: alice:s3cret\n"),
        ] {
            let (r, problems) = HeaderRules::parse(&unknown);
            for p in &problems {
                assert!(!p.reason.contains("s3cret"), "{p:?}");
            }
            assert!(
                problems
                    .iter()
                    .any(|p| p.reason.contains("nobody is let in anywhere")),
                "{problems:?}"
            );
            for path in ["/", "/admin/x", "/x", "/p1"] {
                assert_eq!(
                    r.access(&seg(path), &alice),
                    Access::Denied,
                    "{unknown:?} {path}"
                );
            }
        }
        let locked = HeaderRules::locked();
        assert_eq!(locked.access(&seg("/any"), &alice), Access::Denied);
        assert!(locked.basic_auth_lines().is_empty());
    }

    #[test]
    fn limits() {
        let mut text = String::new();
        for n in 0..MAX_HEADER_RULES + 2 {
            text.push_str(&format!("/p{n}\n  X-N: {n}\n"));
        }
        text.push_str(&format!(
            "/long\n  X-Long: {}\n",
            "x".repeat(MAX_HEADER_LINE)
        ));
        let (r, problems) = HeaderRules::parse(&text);
        assert_eq!(r.len(), MAX_HEADER_RULES);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems[0].reason.contains("the 2 after it"),
            "{problems:?}"
        );
        assert!(problems[1].reason.contains("longer than"));
    }
}
