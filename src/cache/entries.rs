//! The file cache's entries: each path's last `stat` and, for a small
//! regular file, its bytes, with what was made from them (codings,
//! [`super::coded`]; whole answers, [`super::kept`]); their cost against
//! [`MAX_TOTAL`], and the clock that evicts the least recently used.

#![forbid(unsafe_code)]

use super::kept::KeptAnswer;
use super::{CODED_COST, ENTRY_COST, MAX_TOTAL};
use crate::codec::Made;
use crate::digest::Digest;
use crate::fs::{FsError, Meta};
use std::cell::Cell;
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;

/// What a `stat` said.
pub(super) type Stat = Result<Meta, FsError>;

/// One path's entry.
#[derive(Debug)]
pub(super) struct Held {
    /// What the last `stat` said.
    pub(super) stat: Result<Meta, FsError>,
    /// When it said it (monotonic nanoseconds).
    pub(super) checked: u64,
    /// The file's bytes, read under `stat`.
    pub(super) bytes: Option<Rc<[u8]>>,
    /// The digest of `bytes`, once a request has taken it.
    pub(super) digest: Cell<Option<Digest>>,
    /// The coded answers made from `bytes`.
    pub(super) coded: Vec<(Made, Rc<[u8]>)>,
    /// Whole answers whose bodies are `bytes` or a coding of them, by the
    /// key of the requests they answer.
    pub(super) answers: Vec<(Rc<str>, KeptAnswer)>,
    /// Used since the clock hand last passed.
    pub(super) used: Cell<bool>,
}

impl Held {
    pub(super) fn cost(&self, key: &str) -> usize {
        ENTRY_COST
            + key.len()
            + self.bytes.as_ref().map_or(0, |b| b.len())
            + self.coded_cost()
            + self.answers_cost()
    }

    fn answers_cost(&self) -> usize {
        self.answers.iter().map(|(k, a)| a.cost(k)).sum()
    }

    /// Whether `bytes` are these bytes or one of their codings.
    pub(super) fn owns(&self, bytes: &Rc<[u8]>) -> bool {
        self.bytes.as_ref().is_some_and(|b| Rc::ptr_eq(b, bytes))
            || self.coded.iter().any(|(_, c)| Rc::ptr_eq(c, bytes))
    }

    pub(super) fn coded_cost(&self) -> usize {
        self.coded.iter().map(|(_, c)| CODED_COST + c.len()).sum()
    }

    /// Drops the bytes and what was made from them; what that freed, and
    /// the request keys of the answers that went.
    fn drop_bytes(&mut self) -> (usize, Vec<Rc<str>>) {
        let freed =
            self.bytes.take().map_or(0, |b| b.len()) + self.coded_cost() + self.answers_cost();
        self.coded.clear();
        self.digest.set(None);
        let gone = self.answers.drain(..).map(|(k, _)| k).collect();
        (freed, gone)
    }
}

/// The entries, their total cost and the clock's order.
#[derive(Debug, Default)]
pub(super) struct Entries {
    pub(super) map: BTreeMap<Rc<str>, Held>,
    /// Every key of `map`, once, in the order the clock hand visits them.
    pub(super) clock: VecDeque<Rc<str>>,
    /// For each kept answer, by its request key, the entry that holds it
    /// (counted in that answer's cost).
    pub(super) routes: BTreeMap<Rc<str>, Rc<str>>,
    pub(super) total: usize,
}

impl Entries {
    /// Makes room for `extra` more bytes, never evicting `keep`; false when
    /// it cannot.
    pub(super) fn make_room(&mut self, extra: usize, keep: Option<&str>) -> bool {
        if extra > MAX_TOTAL {
            return false;
        }
        // Each key is passed at most twice: once to clear its mark, once to
        // evict it.
        let mut turns = 2 * self.clock.len() + 1;
        while self.total + extra > MAX_TOTAL && turns > 0 {
            turns -= 1;
            let Some(key) = self.clock.pop_front() else {
                break;
            };
            let held = &self.map[&key];
            if Some(&*key) == keep || held.used.replace(false) {
                self.clock.push_back(key);
                continue;
            }
            self.total -= held.cost(&key);
            if let Some(held) = self.map.remove(&key) {
                for (answer, _) in &held.answers {
                    self.routes.remove(answer);
                }
            }
        }
        self.total + extra <= MAX_TOTAL
    }

    /// Records `stat` for `key`, asked of the filesystem at `now`, and
    /// returns the bytes still held under that same stat. An answer older
    /// than the entry's last check (asked before it, answered after) does
    /// not overwrite it.
    pub(super) fn record(
        &mut self,
        key: &str,
        stat: Result<Meta, FsError>,
        now: u64,
    ) -> Option<Rc<[u8]>> {
        if let Some(held) = self.map.get_mut(key) {
            if now >= held.checked {
                held.checked = now;
                if held.stat != stat {
                    let (freed, gone) = held.drop_bytes();
                    held.stat = stat;
                    self.total -= freed;
                    for answer in gone {
                        self.routes.remove(&answer);
                    }
                    return None;
                }
            }
            return held.bytes.clone().filter(|_| held.stat == stat);
        }
        let held = Held {
            stat,
            checked: now,
            bytes: None,
            digest: Cell::new(None),
            coded: Vec::new(),
            answers: Vec::new(),
            // Not yet used again: a path asked for once goes first.
            used: Cell::new(false),
        };
        let cost = held.cost(key);
        if self.make_room(cost, None) {
            let key: Rc<str> = key.into();
            self.clock.push_back(key.clone());
            self.map.insert(key, held);
            self.total += cost;
        }
        None
    }

    /// Keeps `bytes` for `key` if its entry still says `meta` (making
    /// room never evicts the entry itself).
    pub(super) fn hold(&mut self, key: &str, meta: Meta, bytes: Rc<[u8]>) {
        let still = self
            .map
            .get(key)
            .is_some_and(|held| held.stat == Ok(meta) && held.bytes.is_none());
        if !still || !self.make_room(bytes.len(), Some(key)) {
            return;
        }
        if let Some(held) = self.map.get_mut(key) {
            self.total += bytes.len();
            held.bytes = Some(bytes);
        }
    }
}
