//! Placeholders in a rule's destination or header value: `:name` and
//! `:splat`, replaced by what the pattern bound, each value
//! percent-encoded as a path segment (a splat segment by segment), so a
//! value can add no `/`, `?`, `#`, space or control character of its own.

#![forbid(unsafe_code)]

use super::pattern::{Captures, is_placeholder_name};
use crate::path::encode_segment;

/// A text with placeholders: the text without them, and where each goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// The text, the placeholders taken out.
    text: String,
    /// Each placeholder: where in `text` its value goes, and its name.
    holes: Vec<(usize, String)>,
}

/// The placeholder names in `text`, with where each starts (at its `:`).
fn scan(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.match_indices(':').filter_map(move |(at, _)| {
        let rest = &text[at + 1..];
        let len = rest
            .char_indices()
            .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(rest.len(), |(i, _)| i);
        let name = &rest[..len];
        is_placeholder_name(name).then_some((at, name))
    })
}

impl Template {
    /// `text` with each placeholder named in `bound` marked. With `strict`,
    /// a placeholder-like `:name` that is not bound is an error (a
    /// destination's typo); otherwise it stays text (`a:b` in a header).
    pub fn parse(text: &str, bound: &[&str], strict: bool) -> Result<Template, String> {
        if !text.contains(':') {
            return Ok(Template {
                text: text.to_owned(),
                holes: Vec::new(),
            });
        }
        let mut out = String::with_capacity(text.len());
        let mut holes = Vec::new();
        let mut from = 0;
        for (at, name) in scan(text) {
            if at < from {
                continue;
            }
            if !bound.contains(&name) {
                if strict {
                    return Err(format!(":{name} is not bound by the source"));
                }
                continue;
            }
            out.push_str(&text[from..at]);
            holes.push((out.len(), name.to_owned()));
            from = at + 1 + name.len();
        }
        out.push_str(&text[from..]);
        Ok(Template { text: out, holes })
    }

    /// Whether a placeholder falls before byte `end` of the text as written.
    pub fn has_placeholder_before(&self, end: usize) -> bool {
        // The first hole sits where its placeholder began.
        self.holes.first().is_some_and(|&(at, _)| at < end)
    }

    /// The text with each placeholder replaced by its value, encoded.
    pub fn fill(&self, captures: &Captures) -> String {
        if self.holes.is_empty() {
            return self.text.clone();
        }
        let mut out = String::with_capacity(self.text.len() + 32);
        let mut from = 0;
        for (at, name) in &self.holes {
            out.push_str(&self.text[from..*at]);
            from = *at;
            if name == "splat" {
                let segments = captures.splat.as_deref().unwrap_or_default();
                for (i, segment) in segments.iter().enumerate() {
                    if i > 0 {
                        out.push('/');
                    }
                    out.push_str(&encode_segment(segment));
                }
            } else {
                out.push_str(&encode_segment(&captures.get(name).unwrap_or_default()));
            }
        }
        out.push_str(&self.text[from..]);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::pattern::Pattern;

    fn caps(pattern: &str, path: &str) -> Captures {
        let path = crate::path::SitePath::parse(path).unwrap();
        Pattern::parse(pattern)
            .unwrap()
            .matches(path.segments())
            .unwrap()
    }

    #[test]
    fn placeholders_are_filled_encoded() {
        let c = caps("/u/:id/*", "/u/a%20b/x/%3Fq%23/%E6%97%A5");
        let t = Template::parse("/users/:id/files/:splat", &["id", "splat"], true).unwrap();
        assert_eq!(t.fill(&c), "/users/a%20b/files/x/%3Fq%23/%E6%97%A5");
        let t = Template::parse("max-age=1, :id", &["id"], false).unwrap();
        assert_eq!(t.fill(&c), "max-age=1, a%20b");
    }

    #[test]
    fn unbound_names_are_errors_or_text() {
        assert!(Template::parse("/x/:slpat", &["splat"], true).is_err());
        let t = Template::parse("a:b https://x:8080/", &[], false).unwrap();
        assert_eq!(t.fill(&Captures::default()), "a:b https://x:8080/");
        // A port is no placeholder, even when strict.
        assert!(Template::parse("https://x:8080/:splat", &["splat"], true).is_ok());
    }

    #[test]
    fn where_a_placeholder_falls() {
        let t = Template::parse("https://:id.example/x", &["id"], true).unwrap();
        assert!(t.has_placeholder_before("https://x.example".len()));
        let t = Template::parse("https://h.example/:id", &["id"], true).unwrap();
        assert!(!t.has_placeholder_before("https://h.example".len()));
    }
}
