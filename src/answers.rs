//! Whole answers, kept: a request like one an instance answered from bytes
//! its file cache holds gets that answer again, its head as it went to the
//! host, without the pipeline.
//!
//! Requests are alike when they share a key, which is derived from what
//! the request asks as the pipeline reads it ([`Asked::key`]): every field
//! of it is in the key, sends the request through the pipeline (`Range`,
//! `If-Range`, `If-Match`, `If-Unmodified-Since`), or is weighed against
//! the kept validators (`If-None-Match` and `If-Modified-Since`, in RFC
//! 9110's order, by [`conditional::evaluate`] as the pipeline does), for
//! the kept 200 or 304. Only answers for a file found by its own path are
//! kept (not a fallback or a 404 page), and only whole ones (not ranges).
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
use crate::http::{Body, Response};
use crate::prepare::Asked;
use crate::store::Store;

/// The kept answer for a request that asks `asked`, whose [`Asked::key`]
/// is `key`, if there is one still good.
pub fn answer<S: Files, C: Fn() -> u64>(
    view: &View<'_, S, C>,
    key: &str,
    asked: &Asked<'_>,
) -> Option<Response<CachedFile<S::File>>> {
    let kept = view.kept_answer(key)?;
    let validators = Validators {
        etag: kept.etag.as_deref().and_then(EntityTag::parse),
        last_modified: kept.last_modified,
    };
    let (status, head, body) = match conditional::evaluate(&asked.conditions, &validators) {
        Precondition::Proceed if asked.head => (200, kept.ok?, Body::Empty),
        Precondition::Proceed => (200, kept.ok?, Body::Shared(kept.body?)),
        Precondition::NotModified => (304, kept.not_modified?, Body::Empty),
        Precondition::Failed => return None,
    };
    Some(Response::new(status, head, body))
}

/// Keeps `response`, the pipeline's answer to a request whose
/// [`Asked::key`] is `key`, for requests like it, when it may be kept.
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
    let Some(window) = view.window() else {
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
    let from_time = window.looked().min(looked.unwrap_or(u64::MAX));
    let head = Some(response.head.clone());
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
