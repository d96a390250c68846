//! Codings kept in the file cache: a file coded whole for one request,
//! kept beside the bytes it was made from for the next.

#![forbid(unsafe_code)]

use super::CODED_COST;
use super::entries::Entries;
use crate::codec::Made;
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
