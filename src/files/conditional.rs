//! Validators and conditional requests (RFC 9110 §8.8 and §13).
//!
//! A representation's validators are its `Last-Modified` date and a strong
//! `ETag` made from the file's [`Version`] (the digest of its bytes where
//! they are known, else its size and modification time) and how the
//! representation was made (a [`Variant`]): each coded representation of a
//! file has a tag of its own, so a 304 for one never validates another. [`evaluate`] applies the preconditions in the order of
//! RFC 9110 §13.2.2; [`if_range_allows`] decides `If-Range` (§13.1.5).
//! Malformed header values are ignored, as the RFC says, never an error.

#![forbid(unsafe_code)]

use crate::codec::{Encoding, Made};
use crate::digest::Digest;
use crate::prepare::Conditions;
use std::time::{SystemTime, UNIX_EPOCH};

/// An entity tag (RFC 9110 §8.8.3): an opaque quoted string, weak or strong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityTag {
    /// `W/` was given.
    pub weak: bool,
    /// The characters between the quotes.
    pub opaque: String,
}

/// What names a file's version in its tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// The digest of its bytes: read (a file the cache holds, or one small
    /// enough to read), or as a packed site's manifest records it. Every
    /// copy of the file has the same.
    Content(Digest),
    /// Its size and modification time, for a larger file of a tree that was
    /// not packed (read whole for its digest on every request or instance,
    /// it would cost too much).
    Stat {
        /// Its size in bytes.
        len: u64,
        /// Its modification time.
        modified: SystemTime,
    },
}

/// How a representation was made from the file whose [`Version`] names
/// its tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// The file as it is.
    Identity,
    /// A site's precompressed file (`name.br`, `name.zst`, `name.gz`) as it
    /// is, named by its own version.
    Sibling(Encoding),
    /// The file coded by docroot, at a level.
    Made(Made),
    /// A site's `name.gz` decoded, for a `name` that exists only so.
    Gunzip,
}

impl EntityTag {
    /// The strong tag for a representation made as `variant` from a file
    /// at `version`: the digest's 32 hex digits, or `"<secs>.<nanos>-<len>"`
    /// in hex; then `-br`, `-zstd`, `-gzip` for a precompressed file,
    /// `-br.5v2`, `-gzip.1`, … for a coding docroot made ([`Made::tag`]), and
    /// `-gunzip` for a `.gz` file decoded.
    pub fn for_file(version: Version, variant: Variant) -> EntityTag {
        let mut opaque = match version {
            Version::Content(digest) => digest.to_string(),
            Version::Stat { len, modified } => {
                let since = modified.duration_since(UNIX_EPOCH).unwrap_or_default();
                format!("{:x}.{:x}-{len:x}", since.as_secs(), since.subsec_nanos())
            }
        };
        match variant {
            Variant::Identity => {}
            Variant::Sibling(encoding) => {
                opaque.push('-');
                opaque.push_str(encoding.token());
            }
            Variant::Made(made) => {
                opaque.push('-');
                opaque.push_str(&made.tag());
            }
            Variant::Gunzip => opaque.push_str("-gunzip"),
        }
        EntityTag {
            weak: false,
            opaque,
        }
    }

    /// The header form: `"…"` or `W/"…"`.
    pub fn to_header(&self) -> String {
        let weak = if self.weak { "W/" } else { "" };
        format!("{weak}\"{}\"", self.opaque)
    }

    /// Strong comparison (§8.8.3.2): both strong and the same characters.
    pub fn strong_eq(&self, other: &EntityTag) -> bool {
        !self.weak && !other.weak && self.opaque == other.opaque
    }

    /// Weak comparison: the same characters, whatever the weakness.
    pub fn weak_eq(&self, other: &EntityTag) -> bool {
        self.opaque == other.opaque
    }

    /// Parses one entity tag, the whole of `s`; `None` if malformed.
    pub fn parse(s: &str) -> Option<EntityTag> {
        let (weak, rest) = match s.strip_prefix("W/") {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let opaque = rest.strip_prefix('"')?.strip_suffix('"')?;
        // etagc = %x21 / %x23-7E / obs-text
        if !opaque
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x7e).contains(&b) || b >= 0x80)
        {
            return None;
        }
        Some(EntityTag {
            weak,
            opaque: opaque.to_owned(),
        })
    }
}

/// `If-Match` / `If-None-Match` (§13.1.1, §13.1.2): `*` or a list of tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagCondition {
    /// `*`: any current representation.
    Any,
    /// The listed tags.
    Tags(Vec<EntityTag>),
}

impl TagCondition {
    /// Parses every line of the header, combined as one list; `None` when
    /// absent or malformed (a malformed condition is ignored).
    fn parse(combined: Option<&str>) -> Option<TagCondition> {
        let combined = combined?.trim();
        if combined == "*" {
            return Some(TagCondition::Any);
        }
        let mut tags = Vec::new();
        for item in split_tags(combined)? {
            let item = item.trim();
            if item.is_empty() {
                continue;
            }
            tags.push(EntityTag::parse(item)?);
        }
        (!tags.is_empty()).then_some(TagCondition::Tags(tags))
    }
}

/// Splits a list of entity tags at the commas outside quotes (a tag may
/// hold a comma); `None` on an unterminated quote.
fn split_tags(s: &str) -> Option<Vec<&str>> {
    let mut items = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    for (i, b) in s.bytes().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => {
                items.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if quoted {
        return None;
    }
    items.push(&s[start..]);
    Some(items)
}

/// What a representation can be validated by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validators {
    /// The strong entity tag, when the modification time is known.
    pub etag: Option<EntityTag>,
    /// The modification time, when known.
    pub last_modified: Option<SystemTime>,
}

/// The result of evaluating the preconditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precondition {
    /// Go on and serve the representation.
    Proceed,
    /// 304 Not Modified.
    NotModified,
    /// 412 Precondition Failed.
    Failed,
}

/// Evaluates `If-Match`, `If-Unmodified-Since`, `If-None-Match` and
/// `If-Modified-Since` in the order of RFC 9110 §13.2.2, for a `GET` or
/// `HEAD` of an existing representation.
pub fn evaluate(c: &Conditions, v: &Validators) -> Precondition {
    // 1. If-Match: strong comparison; `*` matches any current representation.
    if let Some(cond) = TagCondition::parse(c.if_match.as_deref()) {
        let matches = match cond {
            TagCondition::Any => true,
            TagCondition::Tags(tags) => v
                .etag
                .as_ref()
                .is_some_and(|etag| tags.iter().any(|t| t.strong_eq(etag))),
        };
        if !matches {
            return Precondition::Failed;
        }
    } else if let (Some(since), Some(modified)) = (c.if_unmodified_since, v.last_modified) {
        // 2. If-Unmodified-Since, only without If-Match.
        if seconds(modified) > seconds(since) {
            return Precondition::Failed;
        }
    }
    // 3. If-None-Match: weak comparison; for GET/HEAD a match is a 304.
    if let Some(cond) = TagCondition::parse(c.if_none_match.as_deref()) {
        let matches = match cond {
            TagCondition::Any => true,
            TagCondition::Tags(tags) => v
                .etag
                .as_ref()
                .is_some_and(|etag| tags.iter().any(|t| t.weak_eq(etag))),
        };
        return if matches {
            Precondition::NotModified
        } else {
            Precondition::Proceed
        };
    }
    // 4. If-Modified-Since, only without If-None-Match.
    if let (Some(since), Some(modified)) = (c.if_modified_since, v.last_modified)
        && seconds(modified) <= seconds(since)
    {
        return Precondition::NotModified;
    }
    Precondition::Proceed
}

/// Whether `If-Range` (§13.1.5) lets the `Range` header apply: absent, or an
/// entity tag that strongly matches, or exactly the `Last-Modified` date.
/// Anything else (a weak tag, another date, garbage) means the full 200.
pub fn if_range_allows(c: &Conditions, v: &Validators) -> bool {
    let Some(value) = &c.if_range else {
        return true;
    };
    let value = value.trim();
    if value.starts_with('"') || value.starts_with("W/") {
        return match (EntityTag::parse(value), &v.etag) {
            (Some(tag), Some(etag)) => tag.strong_eq(etag),
            _ => false,
        };
    }
    match (httpdate::parse_http_date(value), v.last_modified) {
        (Ok(date), Some(modified)) => seconds(date) == seconds(modified),
        _ => false,
    }
}

/// HTTP-dates have one-second resolution; file times have more.
fn seconds(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    const MTIME: u64 = 1_700_000_000;

    fn validators() -> Validators {
        let modified = at(MTIME) + Duration::from_millis(250);
        Validators {
            etag: Some(EntityTag::for_file(
                Version::Stat {
                    len: 1234,
                    modified,
                },
                Variant::Identity,
            )),
            last_modified: Some(modified),
        }
    }

    fn etag() -> String {
        validators().etag.unwrap().to_header()
    }

    fn req(headers: &[(&str, &str)]) -> Conditions {
        let req = crate::http::Request {
            method: "GET".into(),
            path_with_query: "/x".into(),
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec()))
                .collect(),
            ..crate::http::Request::default()
        };
        crate::prepare::Asked::of(&req, None).conditions
    }

    fn eval(headers: &[(&str, &str)]) -> Precondition {
        evaluate(&req(headers), &validators())
    }

    fn date(secs: u64) -> String {
        httpdate::fmt_http_date(at(secs))
    }

    #[test]
    fn etags_are_strong_and_differ_by_variant() {
        use crate::codec::Effort;
        let t = at(MTIME);
        let stat = |len, modified| Version::Stat { len, modified };
        let tag = |variant| EntityTag::for_file(stat(10, t), variant);
        let variants = [
            Variant::Identity,
            Variant::Sibling(Encoding::Brotli),
            Variant::Sibling(Encoding::Zstd),
            Variant::Sibling(Encoding::Gzip),
            Variant::Made(Effort::Thorough.made(Encoding::Brotli)),
            Variant::Made(Effort::Fast.made(Encoding::Brotli)),
            Variant::Made(Effort::Thorough.made(Encoding::Gzip)),
            Variant::Made(Effort::Fast.made(Encoding::Gzip)),
            Variant::Gunzip,
        ];
        for (i, a) in variants.iter().enumerate() {
            assert!(!tag(*a).weak);
            for b in &variants[i + 1..] {
                assert_ne!(tag(*a), tag(*b), "{a:?} {b:?}");
            }
        }
        let plain = tag(Variant::Identity);
        assert_ne!(plain, EntityTag::for_file(stat(11, t), Variant::Identity));
        // From content: the digest's hex, with the same suffixes.
        let digest = crate::digest::Digest::of(b"0123456789");
        let content = |variant| EntityTag::for_file(Version::Content(digest), variant);
        assert_eq!(content(Variant::Identity).opaque, digest.to_string());
        assert_eq!(
            content(Variant::Made(Effort::Thorough.made(Encoding::Brotli))).opaque,
            format!("{digest}-br.5v2")
        );
        assert_eq!(
            content(Variant::Sibling(Encoding::Gzip)).opaque,
            format!("{digest}-gzip")
        );
        assert_ne!(content(Variant::Identity), plain);
        assert_ne!(
            plain,
            EntityTag::for_file(stat(10, t + Duration::from_nanos(1)), Variant::Identity)
        );
        assert_eq!(plain.to_header(), "\"6553f100.0-a\"");
        assert_eq!(
            tag(Variant::Made(Effort::Thorough.made(Encoding::Brotli))).to_header(),
            "\"6553f100.0-a-br.5v2\""
        );
        assert_eq!(
            tag(Variant::Sibling(Encoding::Gzip)).to_header(),
            "\"6553f100.0-a-gzip\""
        );
    }

    #[test]
    fn parsing_tags() {
        assert_eq!(EntityTag::parse("\"abc\"").unwrap().opaque, "abc");
        assert!(EntityTag::parse("W/\"abc\"").unwrap().weak);
        for bad in ["abc", "\"abc", "W/abc", "\"a\"b\"", "\"a b\"", "w/\"a\""] {
            assert_eq!(EntityTag::parse(bad), None, "{bad}");
        }
        assert_eq!(split_tags("\"a,b\", \"c\"").unwrap(), ["\"a,b\"", " \"c\""]);
    }

    #[test]
    fn no_conditions_proceed() {
        assert_eq!(eval(&[]), Precondition::Proceed);
    }

    #[test]
    fn if_match_uses_strong_comparison() {
        let e = etag();
        assert_eq!(eval(&[("if-match", &e)]), Precondition::Proceed);
        assert_eq!(eval(&[("if-match", "*")]), Precondition::Proceed);
        assert_eq!(
            eval(&[("if-match", &format!("\"x\", {e}"))]),
            Precondition::Proceed
        );
        assert_eq!(eval(&[("if-match", "\"x\"")]), Precondition::Failed);
        assert_eq!(
            eval(&[("if-match", &format!("W/{e}"))]),
            Precondition::Failed
        );
        // Lines of a list header combine.
        assert_eq!(
            eval(&[("if-match", "\"x\""), ("if-match", &e)]),
            Precondition::Proceed
        );
        // Malformed: ignored.
        assert_eq!(eval(&[("if-match", "garbage")]), Precondition::Proceed);
    }

    #[test]
    fn if_unmodified_since_only_without_if_match() {
        assert_eq!(
            eval(&[("if-unmodified-since", &date(MTIME))]),
            Precondition::Proceed
        );
        assert_eq!(
            eval(&[("if-unmodified-since", &date(MTIME - 1))]),
            Precondition::Failed
        );
        assert_eq!(
            eval(&[("if-match", "*"), ("if-unmodified-since", &date(MTIME - 1))]),
            Precondition::Proceed
        );
        assert_eq!(
            eval(&[("if-unmodified-since", "yesterday")]),
            Precondition::Proceed
        );
    }

    #[test]
    fn if_none_match_uses_weak_comparison() {
        let e = etag();
        assert_eq!(eval(&[("if-none-match", &e)]), Precondition::NotModified);
        assert_eq!(
            eval(&[("if-none-match", &format!("W/{e}"))]),
            Precondition::NotModified
        );
        assert_eq!(eval(&[("if-none-match", "*")]), Precondition::NotModified);
        assert_eq!(
            eval(&[("if-none-match", &format!("\"a\", {e}"))]),
            Precondition::NotModified
        );
        assert_eq!(
            eval(&[("if-none-match", "\"other\"")]),
            Precondition::Proceed
        );
        // If-Match fails first.
        assert_eq!(
            eval(&[("if-match", "\"x\""), ("if-none-match", &e)]),
            Precondition::Failed
        );
    }

    #[test]
    fn if_modified_since_only_without_if_none_match() {
        assert_eq!(
            eval(&[("if-modified-since", &date(MTIME))]),
            Precondition::NotModified
        );
        assert_eq!(
            eval(&[("if-modified-since", &date(MTIME + 60))]),
            Precondition::NotModified
        );
        assert_eq!(
            eval(&[("if-modified-since", &date(MTIME - 1))]),
            Precondition::Proceed
        );
        assert_eq!(
            eval(&[
                ("if-none-match", "\"other\""),
                ("if-modified-since", &date(MTIME))
            ]),
            Precondition::Proceed
        );
        assert_eq!(
            eval(&[("if-modified-since", "not a date")]),
            Precondition::Proceed
        );
        let d = date(MTIME);
        assert_eq!(
            eval(&[("if-modified-since", &d), ("if-modified-since", &d)]),
            Precondition::Proceed,
            "a date header given twice is ignored"
        );
    }

    #[test]
    fn without_a_modification_time_only_star_matches() {
        let v = Validators {
            etag: None,
            last_modified: None,
        };
        assert_eq!(
            evaluate(&req(&[("if-match", "*")]), &v),
            Precondition::Proceed
        );
        assert_eq!(
            evaluate(&req(&[("if-match", "\"a\"")]), &v),
            Precondition::Failed
        );
        assert_eq!(
            evaluate(&req(&[("if-modified-since", &date(MTIME))]), &v),
            Precondition::Proceed
        );
    }

    #[test]
    fn if_range() {
        let v = validators();
        let e = etag();
        assert!(if_range_allows(&req(&[]), &v));
        assert!(if_range_allows(&req(&[("if-range", &e)]), &v));
        assert!(if_range_allows(&req(&[("if-range", &date(MTIME))]), &v));
        assert!(!if_range_allows(
            &req(&[("if-range", &format!("W/{e}"))]),
            &v
        ));
        assert!(!if_range_allows(&req(&[("if-range", "\"stale\"")]), &v));
        assert!(!if_range_allows(
            &req(&[("if-range", &date(MTIME + 1))]),
            &v
        ));
        assert!(!if_range_allows(&req(&[("if-range", "garbage")]), &v));
    }
}
