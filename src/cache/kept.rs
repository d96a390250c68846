//! Whole answers kept in the file cache ([`crate::answers`] says which
//! requests they serve): each lives in the entry of the file whose bytes,
//! or coding, its body is, and is routed to by its request key.

#![forbid(unsafe_code)]

use super::ANSWER_COST;
use super::entries::Entries;
use crate::http::Head;
use std::rc::Rc;
use std::time::SystemTime;

/// A whole answer, kept in the entry of the file whose bytes (or coding)
/// its body is: plain data, ready for the host.
#[derive(Debug, Clone)]
pub struct KeptAnswer {
    /// Until when (monotonic nanoseconds) it may be used: the earliest
    /// time an entry it was made from would be checked again.
    pub expires: u64,
    /// Its `ETag`, as sent.
    pub etag: Option<String>,
    /// Its `Last-Modified`.
    pub last_modified: Option<SystemTime>,
    /// The head of its 200, once a `GET` or `HEAD` got one.
    pub ok: Option<Head>,
    /// The head of its 304, once a conditional request got one.
    pub not_modified: Option<Head>,
    /// The body of its 200, once a `GET` got one.
    pub body: Option<Rc<[u8]>>,
    /// The bytes it was made from, held by its entry (the body, or the
    /// file's bytes for an answer kept from a `HEAD` or a 304): while the
    /// entry holds them, the answer is the entry's.
    pub from: Rc<[u8]>,
}

impl KeptAnswer {
    /// Whether `other` answers with the same representation.
    fn same_representation(&self, other: &KeptAnswer) -> bool {
        self.etag == other.etag && self.last_modified == other.last_modified
    }

    pub(super) fn cost(&self, key: &str) -> usize {
        let head = |h: &Option<Head>| {
            h.as_ref().map_or(0, |h| {
                h.fields().iter().map(|(n, v)| n.len() + v.len() + 48).sum()
            })
        };
        ANSWER_COST + 2 * key.len() + head(&self.ok) + head(&self.not_modified)
    }
}

impl Entries {
    /// The answer kept for the request key `request`, if it is still good
    /// at `now`; marks its entry used.
    pub(super) fn answer(&self, request: &str, now: u64) -> Option<KeptAnswer> {
        let held = self.map.get(self.routes.get(request)?)?;
        let (_, answer) = held.answers.iter().find(|(k, _)| &**k == request)?;
        if now >= answer.expires {
            return None;
        }
        held.used.set(true);
        Some(answer.clone())
    }

    /// Keeps `answer` for the request key `request` in the entry of `file`,
    /// if that entry holds what it was made from; replaces what was kept for
    /// the key (keeping what of it is still good and of the same
    /// representation).
    pub(super) fn keep_answer(&mut self, request: &str, file: &str, answer: KeptAnswer, now: u64) {
        if !self
            .map
            .get(file)
            .is_some_and(|held| held.owns(&answer.from))
        {
            return;
        }
        let mut answer = answer;
        // What the entry kept of the same representation stays beside
        // what is new, the sooner end of the two lives kept.
        if let Some(earlier) = self.map.get(file).and_then(|held| {
            held.answers
                .iter()
                .find(|(k, a)| &**k == request && now < a.expires && a.same_representation(&answer))
        }) {
            let (_, earlier) = earlier;
            answer.expires = answer.expires.min(earlier.expires);
            answer.ok = answer.ok.or_else(|| earlier.ok.clone());
            answer.not_modified = answer.not_modified.or_else(|| earlier.not_modified.clone());
            answer.body = answer.body.or_else(|| earlier.body.clone());
        }
        self.forget_answer(request);
        let cost = answer.cost(request);
        if !self.make_room(cost, Some(file)) {
            return;
        }
        let (Some((file_key, _)), request) =
            (self.map.get_key_value(file), Rc::<str>::from(request))
        else {
            return;
        };
        let file_key = file_key.clone();
        if let Some(held) = self.map.get_mut(file)
            && held.owns(&answer.from)
        {
            held.answers.push((request.clone(), answer));
            self.routes.insert(request, file_key);
            self.total += cost;
        }
    }

    /// Drops what was kept for the request key `request`.
    pub(super) fn forget_answer(&mut self, request: &str) {
        let Some(file) = self.routes.remove(request) else {
            return;
        };
        if let Some(held) = self.map.get_mut(&file)
            && let Some(at) = held.answers.iter().position(|(k, _)| &**k == request)
        {
            let (k, answer) = held.answers.remove(at);
            self.total -= answer.cost(&k);
        }
    }
}
