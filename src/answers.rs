//! Whole answers, kept: a request like one an instance answered from bytes
//! its file cache holds gets that answer again, its head as it went to the
//! host, without the pipeline.
//!
//! Requests are alike when everything that decides a file's answer is the
//! same: the method is `GET` or `HEAD`, and the path (not the query), the
//! `Accept-Encoding` and the `spin-path-info` are equal. Only answers for a
//! file found by its own path are kept (not a fallback or a 404 page, which
//! `Accept` decides), and only whole ones (not ranges). A request with
//! `Range`, `If-Range`, `If-Match` or `If-Unmodified-Since` goes through
//! the pipeline; `If-None-Match` and `If-Modified-Since` are weighed, in
//! RFC 9110's order, against the kept validators ([`conditional::evaluate`],
//! as the pipeline does), for the kept 200 or 304.
//!
//! An answer lives in the cache entry of the file whose bytes its body is
//! ([`crate::cache::KeptAnswer`]): it counts against the cache's bound,
//! goes when the entry does or its file changes, and is used only until the
//! earliest time any look it was made from (the file's, its precompressed
//! siblings', the site's rule files') would be made again. So it is never
//! staler than the cache's own answers.

#![forbid(unsafe_code)]

use crate::cache::{CachedFile, KeptAnswer, View};
use crate::files::conditional::{self, EntityTag, Precondition, Validators};
use crate::fs::Files;
use crate::http::{Body, Request, Response};

/// The longest key kept: past it, a request is not kept (its spellings are
/// unusual enough that keeping them would only crowd the cache).
const MAX_KEY: usize = 2048;

/// Headers that send a request through the pipeline whatever was kept.
const THROUGH: [&str; 4] = ["range", "if-range", "if-match", "if-unmodified-since"];

/// The key of requests answered alike, or `None` for a request that must
/// go through the pipeline.
pub fn request_key(req: &Request) -> Option<String> {
    if !matches!(req.method.as_str(), "GET" | "HEAD") {
        return None;
    }
    let mut accept_encoding: Vec<&[u8]> = Vec::new();
    let mut mount: Option<&[u8]> = None;
    for (name, value) in &req.headers {
        if THROUGH.iter().any(|t| name.eq_ignore_ascii_case(t)) {
            return None;
        }
        if name.eq_ignore_ascii_case("accept-encoding") {
            accept_encoding.push(value);
        } else if name.eq_ignore_ascii_case("spin-path-info") {
            // Two would be ambiguous; the pipeline uses the first.
            mount.get_or_insert(value);
        }
    }
    let path = req.path();
    let mut key = String::with_capacity(path.len() + 48);
    key.push_str(path);
    for (i, value) in accept_encoding.iter().enumerate() {
        key.push(if i == 0 { '\n' } else { ',' });
        key.push_str(std::str::from_utf8(value).ok()?);
    }
    key.push('\n');
    if let Some(mount) = mount {
        key.push_str(&String::from_utf8_lossy(mount));
    }
    (key.len() <= MAX_KEY).then_some(key)
}

/// The kept answer for `req`, whose [`request_key`] is `key`, if there is
/// one still good.
pub fn answer<S: Files, C: Fn() -> u64>(
    view: &View<'_, S, C>,
    key: &str,
    req: &Request,
) -> Option<Response<CachedFile<S::File>>> {
    let kept = view.kept_answer(key)?;
    let validators = Validators {
        etag: kept.etag.as_deref().and_then(EntityTag::parse),
        last_modified: kept.last_modified,
    };
    let (status, wire, body) = match conditional::evaluate(req, &validators) {
        Precondition::Proceed if req.is_head() => (200, kept.ok?, Body::Empty),
        Precondition::Proceed => (200, kept.ok?, Body::Shared(kept.body?)),
        Precondition::NotModified => (304, kept.not_modified?, Body::Empty),
        Precondition::Failed => return None,
    };
    Some(Response {
        wire: Some(wire),
        ..Response::new(status, Vec::new(), body)
    })
}

/// Keeps `response`, the pipeline's answer to a request whose
/// [`request_key`] is `key`, for requests like it, when it may be kept;
/// its head is then made into the one the host gets ([`Response::wire_head`]).
/// `looked` is when the site's rule files were last looked at (their look
/// bounds the answer's life too).
pub fn keep<S: Files, C: Fn() -> u64>(
    view: &View<'_, S, C>,
    key: &str,
    response: &mut Response<CachedFile<S::File>>,
    looked: Option<u64>,
) {
    // Offered once: what it may be kept by is this call's.
    let Some(keepable) = response.keepable.take() else {
        return;
    };
    if response.log.is_some() || !response.notes.is_empty() {
        return;
    }
    let Some(window) = view.recheck_window() else {
        return;
    };
    // The body of a 200 to a GET, and the bytes the answer was made from:
    // the body, or (for a HEAD or a 304, which have none) the file's bytes
    // this request saw, which the cache must hold for the answer to be kept.
    let (body, from) = match (response.status, &response.body) {
        (
            200,
            Body::File {
                file: CachedFile::Held(bytes),
                offset: 0,
                len,
            },
        ) if *len as usize == bytes.len() => (Some(bytes.clone()), bytes.clone()),
        (200, Body::Shared(bytes)) => (Some(bytes.clone()), bytes.clone()),
        (200 | 304, Body::Empty) => match view.seen_bytes(&keepable.file) {
            Some(bytes) => (None, bytes),
            None => return,
        },
        _ => return,
    };
    let from_time = window
        .oldest
        .min(window.now)
        .min(looked.unwrap_or(u64::MAX));
    let head = Some(response.wire_head());
    let mut kept = KeptAnswer {
        expires: from_time.saturating_add(window.recheck),
        etag: keepable.etag.clone(),
        last_modified: keepable.last_modified,
        ok: None,
        not_modified: None,
        body,
        from,
    };
    if response.status == 200 {
        kept.ok = head;
    } else {
        kept.not_modified = head;
    }
    view.keep_answer(key, &keepable.file, kept);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(method: &str, target: &str, headers: &[(&str, &str)]) -> Request {
        Request {
            method: method.into(),
            path_with_query: target.into(),
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec()))
                .collect(),
            ..Request::default()
        }
    }

    #[test]
    fn requests_alike_share_a_key_and_the_rest_go_through() {
        let key = |r: &Request| request_key(r);
        let plain = key(&req("GET", "/a.html", &[]));
        assert_eq!(plain, key(&req("HEAD", "/a.html", &[])));
        assert_eq!(
            plain,
            key(&req("GET", "/a.html?x=1", &[("accept", "text/html")]))
        );
        assert_ne!(plain, key(&req("GET", "/b.html", &[])));
        let br = key(&req("GET", "/a.html", &[("accept-encoding", "br")]));
        assert_ne!(plain, br);
        assert_ne!(
            br,
            key(&req("GET", "/a.html", &[("accept-encoding", "gzip")]))
        );
        assert_ne!(
            plain,
            key(&req("GET", "/a.html", &[("spin-path-info", "/a.html")]))
        );
        // Two lines are one list (RFC 9110 §5.3): the key of the line they
        // join into, never the key of the first alone.
        let two = key(&req(
            "GET",
            "/a",
            &[("accept-encoding", "br"), ("accept-encoding", "gzip")],
        ));
        assert!(two.is_some() && two != key(&req("GET", "/a", &[("accept-encoding", "br")])));
        assert_eq!(
            two,
            key(&req("GET", "/a", &[("accept-encoding", "br,gzip")]))
        );
        for through in ["Range", "if-range", "If-Match", "if-unmodified-since"] {
            assert_eq!(key(&req("GET", "/a", &[(through, "x")])), None, "{through}");
        }
        assert_eq!(key(&req("POST", "/a", &[])), None);
        assert!(key(&req("GET", "/a", &[("if-none-match", "\"x\"")])).is_some());
        let long = "gzip, ".repeat(400);
        assert_eq!(key(&req("GET", "/a", &[("accept-encoding", &long)])), None);
    }
}
