//! What the file cache keeps made from a file's bytes: its codings (a file
//! coded whole for one request, kept beside the bytes it was made from for
//! the next) and its digest (taken once, by the first request that needs
//! it).

#![forbid(unsafe_code)]

use super::CODED_COST;
use super::entries::Entries;
use crate::codec::Made;
use crate::digest::Digest;
use std::rc::Rc;

impl Entries {
    /// The coded answer `made` held for `key`, if it was made from `bytes`
    /// (the very bytes a request saw, not merely equal ones).
    pub(super) fn coding(&self, key: &str, bytes: &Rc<[u8]>, made: Made) -> Option<Rc<[u8]>> {
        let held = self.map.get(key)?;
        if !held.bytes.as_ref().is_some_and(|b| Rc::ptr_eq(b, bytes)) {
            return None;
        }
        held.used.set(true);
        let (_, coded) = held.coded.iter().find(|(m, _)| *m == made)?;
        Some(coded.clone())
    }

    /// The digest of `bytes`, the very bytes a request saw of `key`: the
    /// one the entry keeps while it holds them, taken now if it has none.
    pub(super) fn digest(&self, key: &str, bytes: &Rc<[u8]>) -> Digest {
        let held = self
            .map
            .get(key)
            .filter(|held| held.bytes.as_ref().is_some_and(|b| Rc::ptr_eq(b, bytes)));
        if let Some(digest) = held.and_then(|held| held.digest.get()) {
            return digest;
        }
        let digest = Digest::of(bytes);
        if let Some(held) = held {
            held.digest.set(Some(digest));
        }
        digest
    }

    /// Keeps `coded`, made as `made` from `bytes`, if the entry for `key`
    /// still holds those bytes and has no such answer yet.
    pub(super) fn hold_coding(
        &mut self,
        key: &str,
        bytes: &Rc<[u8]>,
        made: Made,
        coded: &Rc<[u8]>,
    ) {
        let fits = self.map.get(key).is_some_and(|held| {
            held.bytes.as_ref().is_some_and(|b| Rc::ptr_eq(b, bytes))
                && held.coded.iter().all(|(m, _)| *m != made)
        });
        let cost = CODED_COST + coded.len();
        if !fits || !self.make_room(cost, Some(key)) {
            return;
        }
        if let Some(held) = self.map.get_mut(key) {
            self.total += cost;
            held.coded.push((made, coded.clone()));
        }
    }
}
