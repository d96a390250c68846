//! What a site keeps between requests, beside its [`Files`](crate::fs::Files):
//! the files it has coded, their digests, and how long what it answered
//! stays good.
//!
//! A request is answered from three things: the site's files (I/O, the
//! [`Files`](crate::fs::Files) trait), the configuration, and a [`Store`].
//! [`Nothing`] keeps nothing, for a component instance that serves one
//! request (WASI 0.2) and for the native tests; the per-instance file cache
//! keeps both ([`crate::cache::View`]).

#![forbid(unsafe_code)]

use crate::codec::Made;
use crate::digest::Digest;
use std::rc::Rc;

/// What a site keeps between the requests of one instance.
pub trait Store {
    /// The file at `path` coded as `made`, if it is kept for the same look
    /// at the file that this request's `stat` took.
    fn coding(&self, path: &[String], made: Made) -> Option<Rc<[u8]>>;

    /// Offers `coded`, the file at `path` as this request saw it coded as
    /// `made`, to be kept for later requests.
    fn keep_coding(&self, path: &[String], made: Made, coded: &Rc<[u8]>);

    /// The digest of the bytes this request's look at the file at `path`
    /// saw, when the store holds them: taken once per look, from the bytes
    /// read anyway.
    fn digest(&self, path: &[String]) -> Option<Digest>;

    /// How long what this request was told stays good, so that what is
    /// worked out from it (the site's rules, whole answers) can be kept as
    /// long. `None`: nothing is kept; ask every time.
    fn window(&self) -> Option<Window>;
}

/// A store that keeps nothing: every request works everything out.
#[derive(Debug, Clone, Copy, Default)]
pub struct Nothing;

impl Store for Nothing {
    fn coding(&self, _: &[String], _: Made) -> Option<Rc<[u8]>> {
        None
    }

    fn keep_coding(&self, _: &[String], _: Made, _: &Rc<[u8]>) {}

    fn digest(&self, _: &[String]) -> Option<Digest> {
        None
    }

    fn window(&self) -> Option<Window> {
        None
    }
}

/// How long a site's answers stay good ([`Store::window`]), in monotonic
/// nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// The request's time.
    pub now: u64,
    /// How long an answer is used before the site is asked again.
    pub recheck: u64,
    /// The earliest time an answer this request got was asked of the
    /// filesystem (`u64::MAX` before any).
    pub oldest: u64,
}

impl Window {
    /// When the answers this request got were true: the earliest look they
    /// came from, or now.
    pub fn looked(&self) -> u64 {
        self.oldest.min(self.now)
    }
}
