//! Turning a request path into a path inside the site, or refusing it.
//!
//! Each `/`-separated segment is percent-decoded exactly once. A segment that
//! decodes to `..`, or to something holding `/`, `\` or NUL, or to bytes that
//! are not UTF-8, ends the request with 400: it is never repaired into some
//! other path. `.` segments and empty segments (`//`) are dropped, so the
//! segments that remain are plain names, safe to join under the root.

#![forbid(unsafe_code)]

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

/// Characters left as they are when a segment is written back into a URL:
/// the unreserved ones of RFC 3986 §2.3. Everything else is percent-encoded,
/// which keeps links and `Location` values safe in HTML attributes and headers.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A validated path inside the site: plain names, no `.`/`..`, no separators.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SitePath {
    segments: Vec<String>,
    dir_form: bool,
}

/// Why a request path was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathError {
    /// The path does not start with `/` (`*`, an empty target, …).
    NotAbsolute,
    /// A `%` not followed by two hex digits.
    BadEscape,
    /// A segment that is `..` once decoded.
    DotDot,
    /// A segment holding `/`, `\` or NUL once decoded.
    Separator,
    /// A segment whose decoded bytes are not UTF-8.
    NotUtf8,
}

impl PathError {
    /// The short reason shown on the 400 page.
    pub fn reason(self) -> &'static str {
        match self {
            PathError::NotAbsolute => "The request path must start with \"/\".",
            PathError::BadEscape => "The request path holds a \"%\" that is not a valid escape.",
            PathError::DotDot => "The request path holds a \"..\" segment.",
            PathError::Separator => {
                "The request path holds an encoded \"/\", \"\\\" or NUL inside a segment."
            }
            PathError::NotUtf8 => "The request path does not decode to UTF-8.",
        }
    }
}

impl SitePath {
    /// Parses the path part of a request target (without the query).
    pub fn parse(raw: &str) -> Result<SitePath, PathError> {
        let rest = raw.strip_prefix('/').ok_or(PathError::NotAbsolute)?;
        let mut segments = Vec::new();
        let mut dir_form = true;
        for raw_segment in rest.split('/') {
            let segment = decode_segment(raw_segment)?;
            match segment.as_str() {
                "" | "." => dir_form = true,
                ".." => return Err(PathError::DotDot),
                _ => {
                    dir_form = false;
                    segments.push(segment);
                }
            }
        }
        Ok(SitePath { segments, dir_form })
    }

    /// The names from the root down.
    pub fn segments(&self) -> &[String] {
        &self.segments
    }

    /// Whether the request path ended in `/` (asks for a directory).
    pub fn is_dir_form(&self) -> bool {
        self.dir_form
    }

    /// The last name, if the path is not the root.
    pub fn file_name(&self) -> Option<&str> {
        self.segments.last().map(String::as_str)
    }

    /// Whether a segment is a dotfile name. `/.well-known/` at the top is not
    /// hidden: ACME challenges and `security.txt` live there.
    pub fn is_hidden(&self) -> bool {
        self.segments
            .iter()
            .enumerate()
            .any(|(i, s)| s.starts_with('.') && !(i == 0 && s == ".well-known"))
    }

    /// This path with one more name below it, as a file path.
    pub fn child(&self, name: &str) -> SitePath {
        let mut segments = self.segments.clone();
        segments.push(name.to_owned());
        SitePath {
            segments,
            dir_form: false,
        }
    }

    /// A sibling file: this path with `suffix` added to its last name
    /// (`/a/app.js` → `/a/app.js.br`).
    pub fn with_suffix(&self, suffix: &str) -> SitePath {
        let mut segments = self.segments.clone();
        if let Some(last) = segments.last_mut() {
            last.push_str(suffix);
        }
        SitePath {
            segments,
            dir_form: false,
        }
    }

    /// This path without `suffix` at the end of its last name, as a file
    /// path, when it ends so and something is left (`/a/b.html` → `/a/b`).
    pub fn without_suffix(&self, suffix: &str) -> Option<SitePath> {
        let mut segments = self.segments.clone();
        let last = segments.last_mut()?;
        let stem = last.strip_suffix(suffix).filter(|s| !s.is_empty())?;
        *last = stem.to_owned();
        Some(SitePath {
            segments,
            dir_form: false,
        })
    }

    /// The directory this path's last name is in, in directory form (the
    /// root's is the root).
    pub fn parent(&self) -> SitePath {
        let mut segments = self.segments.clone();
        segments.pop();
        SitePath {
            segments,
            dir_form: true,
        }
    }

    /// The same path in file form (not ending in `/`); the root stays in
    /// directory form, since it names no file.
    pub fn as_file(&self) -> SitePath {
        SitePath {
            segments: self.segments.clone(),
            dir_form: self.segments.is_empty(),
        }
    }

    /// The same path in directory form (ending in `/`).
    pub fn as_dir(&self) -> SitePath {
        SitePath {
            segments: self.segments.clone(),
            dir_form: true,
        }
    }

    /// The path written back as a URL path: `/` + percent-encoded names,
    /// with a trailing `/` in directory form. It always starts with exactly
    /// one `/`, so it can never be read as `//host`.
    pub fn to_url_path(&self) -> String {
        let mut url = String::from("/");
        for (i, segment) in self.segments.iter().enumerate() {
            if i > 0 {
                url.push('/');
            }
            url.push_str(&encode_segment(segment));
        }
        if self.dir_form && !self.segments.is_empty() {
            url.push('/');
        }
        url
    }
}

/// A name as a case-insensitive filesystem compares it: Unicode case
/// folding (`Admin`, `ADMIN` and `admin` alike; `ſ` as `s`, `K` (Kelvin)
/// as `k`, `ς` as `σ`), and `ı` as `i`, since NTFS compares names by their
/// upper case, where `ı` is `I`. Unicode normalisation (which some
/// filesystems also ignore) is not applied.
pub fn fold_case(name: &str) -> String {
    unicase::UniCase::new(name)
        .to_folded_case()
        .replace('ı', "i")
}

/// A name written as one URL path segment: every byte but the unreserved
/// ones percent-encoded, so it is also safe as a relative link (`a:b`
/// becomes `a%3Ab`, never a scheme).
pub fn encode_segment(name: &str) -> String {
    utf8_percent_encode(name, SEGMENT).to_string()
}

/// A request path (as received) as a person reads it: percent-escapes
/// decoded, as a browser's address bar shows them. What would mislead or
/// not show stays escaped: an encoded `/` (it would look like a separator),
/// bytes that are not UTF-8, control characters, and the invisible
/// characters that reorder or hide text (bidirectional controls, zero-width
/// characters, the soft hyphen). The result still needs HTML escaping.
pub fn for_display(raw: &str) -> String {
    let mut shown = String::with_capacity(raw.len());
    let mut escaped = Vec::new();
    let mut rest = raw;
    while !rest.is_empty() {
        // A run of `%XX` escapes decodes together: one character may take
        // several of them.
        escaped.clear();
        while let Some(byte) = rest
            .strip_prefix('%')
            .and_then(|r| r.get(..2))
            .filter(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|hex| u8::from_str_radix(hex, 16).ok())
        {
            escaped.push(byte);
            rest = &rest[3..];
        }
        for chunk in escaped.utf8_chunks() {
            for c in chunk.valid().chars() {
                // An encoded `/` stays encoded: shown bare, it would read
                // as a separator.
                push_shown(&mut shown, c, c == '/');
            }
            push_escaped(&mut shown, chunk.invalid());
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            push_shown(&mut shown, c, false);
            rest = chars.as_str();
        }
    }
    shown
}

/// Characters a reader could not see, or that change how the text around
/// them reads: controls, format characters that reorder or join text,
/// blank fillers, variation selectors and tags.
fn is_hidden_char(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{ad}' | '\u{34f}' | '\u{61c}' | '\u{115f}' | '\u{1160}' | '\u{180b}'..='\u{180f}'
            | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{206f}'
            | '\u{3164}' | '\u{fe00}'..='\u{fe0f}' | '\u{feff}' | '\u{ffa0}'
            | '\u{fff9}'..='\u{fffb}' | '\u{e0000}'..='\u{e0fff}')
}

/// `c` as it is, or percent-encoded when it would not show (or `escape`).
fn push_shown(out: &mut String, c: char, escape: bool) {
    if escape || is_hidden_char(c) {
        push_escaped(out, c.encode_utf8(&mut [0; 4]).as_bytes());
    } else {
        out.push(c);
    }
}

fn push_escaped(out: &mut String, bytes: &[u8]) {
    use std::fmt::Write as _;
    for b in bytes {
        let _ = write!(out, "%{b:02X}");
    }
}

/// A relative link from the request path `site_path` (below the mount
/// point, as received) to the site's root: `./` at the root, `../` for each
/// `/` after the first. It needs no mount prefix and cannot leave the host.
pub fn to_root(site_path: &str) -> String {
    let depth = site_path.bytes().filter(|&b| b == b'/').count();
    if depth <= 1 {
        "./".to_owned()
    } else {
        "../".repeat(depth - 1)
    }
}

/// Percent-decodes one segment, refusing what may not be in a name.
fn decode_segment(raw: &str) -> Result<String, PathError> {
    let bytes = raw.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'%'
            && !(bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
        {
            return Err(PathError::BadEscape);
        }
    }
    let decoded: Vec<u8> = percent_decode_str(raw).collect();
    if decoded.iter().any(|&b| matches!(b, b'/' | b'\\' | 0)) {
        return Err(PathError::Separator);
    }
    String::from_utf8(decoded).map_err(|_| PathError::NotUtf8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(raw: &str) -> Vec<String> {
        SitePath::parse(raw).unwrap().segments().to_vec()
    }

    #[test]
    fn paths_are_shown_decoded_as_typed() {
        assert_eq!(for_display("/a/b.txt"), "/a/b.txt");
        assert_eq!(
            for_display("/files/%E6%97%A5%E6%9C%AC%E8%AA%9E%20x.txt"),
            "/files/日本語 x.txt"
        );
        assert_eq!(for_display("/100%25.txt"), "/100%.txt");
        assert_eq!(for_display("/%3Cscript%3E"), "/<script>");
        // What would mislead or not show stays escaped.
        assert_eq!(for_display("/a%2Fb"), "/a%2Fb");
        assert_eq!(for_display("/a%2fb"), "/a%2Fb");
        assert_eq!(for_display("/%FF%E6%97"), "/%FF%E6%97");
        assert_eq!(for_display("/%E6%97%41"), "/%E6%97A");
        assert_eq!(for_display("/a%00b%0A%7F"), "/a%00b%0A%7F");
        assert_eq!(for_display("/x%E2%80%AEtxt.exe"), "/x%E2%80%AEtxt.exe");
        assert_eq!(for_display("/zero%E2%80%8Bwidth"), "/zero%E2%80%8Bwidth");
        // Not escapes: left as they are.
        assert_eq!(for_display("/50%"), "/50%");
        assert_eq!(for_display("/%zz%4"), "/%zz%4");
        assert_eq!(
            for_display("/%+1%-a"),
            "/%+1%-a",
            "only two hex digits are an escape"
        );
        assert_eq!(
            for_display("/a%E3%85%A4b%F3%A0%80%81"),
            "/a%E3%85%A4b%F3%A0%80%81"
        );
        assert_eq!(for_display("/é\u{202e}"), "/é%E2%80%AE");
        assert_eq!(for_display(""), "");
    }

    #[test]
    fn the_root_is_reached_by_relative_steps() {
        assert_eq!(to_root(""), "./");
        assert_eq!(to_root("/"), "./");
        assert_eq!(to_root("/a.txt"), "./");
        assert_eq!(to_root("/a/"), "../");
        assert_eq!(to_root("/a/b/c.txt"), "../../");
        assert_eq!(to_root("/a//b"), "../../");
    }

    #[test]
    fn plain_paths_split_into_names() {
        assert_eq!(names("/"), Vec::<String>::new());
        assert_eq!(names("/a/b.txt"), ["a", "b.txt"]);
        assert_eq!(names("/a//b/./c"), ["a", "b", "c"]);
    }

    #[test]
    fn segments_are_decoded_once() {
        assert_eq!(names("/hello%20world.txt"), ["hello world.txt"]);
        assert_eq!(names("/%E6%97%A5%E6%9C%AC.txt"), ["日本.txt"]);
        assert_eq!(names("/100%25.txt"), ["100%.txt"]);
        // `%252e%252e` decodes once to the name `%2e%2e`, not to `..`.
        assert_eq!(names("/%252e%252e/x"), ["%2e%2e", "x"]);
        assert_eq!(names("/%2e/x"), ["x"]);
    }

    #[test]
    fn traversal_and_separators_are_refused() {
        for (raw, err) in [
            ("/..", PathError::DotDot),
            ("/a/../b", PathError::DotDot),
            ("/%2e%2e/x", PathError::DotDot),
            ("/%2E%2e/x", PathError::DotDot),
            ("/.%2e", PathError::DotDot),
            ("/a%2fb", PathError::Separator),
            ("/..%2f..%2fetc", PathError::Separator),
            ("/a%5cb", PathError::Separator),
            ("/a%00", PathError::Separator),
            ("/%c0%ae%c0%ae/x", PathError::NotUtf8),
            ("/%ff", PathError::NotUtf8),
            ("/%", PathError::BadEscape),
            ("/%zz", PathError::BadEscape),
            ("/%4", PathError::BadEscape),
            ("", PathError::NotAbsolute),
            ("*", PathError::NotAbsolute),
            ("a/b", PathError::NotAbsolute),
        ] {
            assert_eq!(SitePath::parse(raw), Err(err), "{raw}");
        }
    }

    #[test]
    fn a_raw_backslash_is_refused_like_an_encoded_one() {
        assert_eq!(SitePath::parse("/a\\..\\b"), Err(PathError::Separator));
    }

    #[test]
    fn dir_form_follows_the_last_segment() {
        assert!(SitePath::parse("/").unwrap().is_dir_form());
        assert!(SitePath::parse("/a/").unwrap().is_dir_form());
        assert!(SitePath::parse("/a/.").unwrap().is_dir_form());
        assert!(!SitePath::parse("/a").unwrap().is_dir_form());
        assert!(!SitePath::parse("/a/./b").unwrap().is_dir_form());
    }

    #[test]
    fn dotfiles_are_hidden_but_well_known_is_not() {
        assert!(SitePath::parse("/.env").unwrap().is_hidden());
        assert!(SitePath::parse("/.git/config").unwrap().is_hidden());
        assert!(SitePath::parse("/a/.htaccess").unwrap().is_hidden());
        assert!(
            !SitePath::parse("/.well-known/security.txt")
                .unwrap()
                .is_hidden()
        );
        assert!(SitePath::parse("/a/.well-known/x").unwrap().is_hidden());
        assert!(!SitePath::parse("/a.b/c").unwrap().is_hidden());
    }

    #[test]
    fn url_paths_are_encoded_and_never_protocol_relative() {
        let p = SitePath::parse("/a%20b/%E6%97%A5/%3Cx%3E").unwrap();
        assert_eq!(p.to_url_path(), "/a%20b/%E6%97%A5/%3Cx%3E");
        assert_eq!(p.as_dir().to_url_path(), "/a%20b/%E6%97%A5/%3Cx%3E/");
        assert_eq!(
            SitePath::parse("//evil.example/x")
                .unwrap()
                .as_dir()
                .to_url_path(),
            "/evil.example/x/"
        );
        assert_eq!(SitePath::parse("/").unwrap().to_url_path(), "/");
    }
}
