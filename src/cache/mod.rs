//! A per-instance cache of hot files: what a path names, and the bytes of
//! small files, kept so that a reused instance answers repeat requests
//! (their 304s and ranges too) without asking the filesystem. It is nginx's
//! `open_file_cache`, with the bytes as well.
//!
//! [`Cache`] wraps the site's [`Files`] and lives as long as the instance;
//! each request looks through a [`View`] of it. A view is two things, kept
//! apart: a [`Files`] that answers lookups from what it holds (so the file
//! pipeline's I/O does not know the cache is there), and the instance's
//! [`Store`], passed beside it, which keeps what is made from the files
//! (codings, whole answers) and says how long answers stay good.
//!
//! Its stores, each in a file of its own: the entries with their stats and
//! bytes and the clock that evicts them (`entries`), the codings made from
//! those bytes (`coded`), and whole answers with the index from request
//! keys to entries (`kept`).
//!
//! - **What it holds.** The result of each `stat` (a file's kind, size and
//!   times, or that nothing is there), and the bytes of every regular file
//!   of at most [`MAX_FILE`] bytes, read when its `stat` is first recorded.
//!   A regular file's `stat` is answered from the cache only together with
//!   its bytes, and a request's `open` returns the bytes its `stat` went
//!   with ([`View`]), so headers and body always come from one look at the
//!   file. Directory listings are not held: each is read afresh. Beside a
//!   file's bytes, the coded answers made from them ([`crate::codec`]): a
//!   file coded for one request is not coded again for the next.
//! - **How much.** At most [`MAX_TOTAL`] bytes per instance, counting each
//!   entry's bytes, its coded answers, its path and [`ENTRY_COST`] (and
//!   [`CODED_COST`] a coded answer) for its bookkeeping. When a
//!   new entry does not fit, older ones go, least recently used first (the
//!   "clock" approximation: a used entry gets a second chance).
//! - **How stale.** An entry is used as it is for the recheck interval from
//!   its last check; the first lookup after that asks the filesystem again.
//!   When the size, the modification time or the status-change time
//!   changed (or the path now names something else), the bytes and their
//!   coded answers are dropped and made again. So a file changed on disk is served new at most one
//!   interval after the change. A file whose filesystem keeps no
//!   modification time is never held.
//! - **Answers.** Beside a file's bytes, whole answers made from them
//!   ([`KeptAnswer`]): the response head as it went to the host, the
//!   validators, and the body, for requests like the one that got it
//!   ([`crate::answers`] says which are alike). An answer is used until the
//!   earliest time any entry it was made from would be checked again, and
//!   goes with the entry it belongs to.
//! - **Concurrency.** Requests that share an instance share its cache. No
//!   borrow of it is held across an await. Each request takes the time
//!   before it asks the filesystem, and an answer older than an entry's
//!   last check does not overwrite it; bytes are kept only if the entry
//!   still says what they were read under.

#![forbid(unsafe_code)]

mod coded;
mod entries;
mod kept;

use entries::{Entries, Stat};
pub use kept::KeptAnswer;

use crate::codec::{self, Made};
use crate::digest::Digest;
use crate::fs::{Entry, Files, FsError, Kind, Meta};
use crate::store::{Store, Window};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

/// The largest file whose bytes are held: the largest answer coded whole,
/// so every file whose coding can be held is coded whole.
pub const MAX_FILE: u64 = codec::WHOLE_MAX;

/// The most one instance's cache holds, bookkeeping included.
pub const MAX_TOTAL: usize = 4 * 1024 * 1024;

/// What an entry costs besides its bytes and its path: the entry itself
/// (about 100 bytes on wasm32), its share of a B-tree node, the key's
/// allocation, the clock's slot, and the allocator's overhead on each.
pub const ENTRY_COST: usize = 192;

/// What a coded answer held beside a file costs besides its bytes.
pub const CODED_COST: usize = 48;

/// What a kept answer, and the route to it, cost besides their heads and
/// keys (the body is the entry's own bytes, counted once).
pub const ANSWER_COST: usize = 160;

/// The recheck interval when the configuration does not set one.
pub const DEFAULT_RECHECK: Duration = Duration::from_secs(1);

/// A file as the cache hands it out: the bytes it holds, or the inner
/// site's open file for one it does not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CachedFile<F> {
    /// The whole file, held by the cache (shared with responses in flight).
    Held(Rc<[u8]>),
    /// The file, opened by the inner site.
    Open(F),
}

/// One instance's cache over the site `S`.
#[derive(Debug)]
pub struct Cache<S> {
    inner: S,
    /// The recheck interval in nanoseconds; `None`: the cache is off and
    /// every call goes to `inner`.
    recheck: Option<u64>,
    entries: RefCell<Entries>,
}

impl<S> Cache<S> {
    /// A cache over `inner` that rechecks an entry after `recheck`, or
    /// holds nothing at all when that is `None`.
    pub fn new(inner: S, recheck: Option<Duration>) -> Cache<S> {
        Cache {
            inner,
            recheck: recheck.map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)),
            entries: RefCell::new(Entries::default()),
        }
    }

    /// A view for one request; `clock` tells the monotonic time in
    /// nanoseconds, asked at most once, by the first lookup.
    pub fn view<C: Fn() -> u64>(&self, clock: C) -> View<'_, S, C> {
        View {
            cache: self,
            clock,
            now: Cell::new(None),
            oldest: Cell::new(u64::MAX),
            seen: RefCell::new(Vec::new()),
        }
    }

    /// The site under the cache.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// How many bytes the cache holds, bookkeeping included (at most
    /// [`MAX_TOTAL`]).
    pub fn held(&self) -> usize {
        self.entries.borrow().total
    }

    /// How many paths it holds an entry for.
    pub fn len(&self) -> usize {
        self.entries.borrow().map.len()
    }

    /// Whether it holds no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The cache as one request sees it: a [`Files`] that answers from the
/// cache what it can.
///
/// A regular file's `stat` is answered from the cache only when its bytes
/// are held, and the view remembers the bytes that went with each such
/// answer: `open` returns exactly those. So the headers a request sends
/// (size, `ETag`, range) and the bytes it sends always come from one look
/// at the file. A file whose bytes are not held (too big, no modification
/// time, unreadable) is asked of the filesystem each time, as without the
/// cache.
#[derive(Debug)]
pub struct View<'a, S, C> {
    cache: &'a Cache<S>,
    clock: C,
    now: Cell<Option<u64>>,
    /// The earliest last check of the entries this request's lookups were
    /// answered from (monotonic nanoseconds).
    oldest: Cell<u64>,
    /// The bytes each `stat` of this request answered for, by key.
    seen: RefCell<Vec<(String, Rc<[u8]>)>>,
}

impl<S, C: Fn() -> u64> View<'_, S, C> {
    /// The request's time: the clock, asked by its first lookup.
    fn now(&self) -> u64 {
        match self.now.get() {
            Some(now) => now,
            None => {
                let now = (self.clock)();
                self.now.set(Some(now));
                now
            }
        }
    }

    /// The stat and bytes of `key` if it was checked less than `recheck`
    /// before `now` (or after it, by a request that started later).
    fn fresh(&self, key: &str, now: u64, recheck: u64) -> Option<(Stat, Option<Rc<[u8]>>)> {
        let entries = self.cache.entries.borrow();
        let held = entries.map.get(key)?;
        if now.saturating_sub(held.checked) >= recheck {
            return None;
        }
        held.used.set(true);
        self.looked_at(held.checked);
        Some((held.stat.clone(), held.bytes.clone()))
    }

    /// Notes that an answer of this request came from a look at `checked`.
    fn looked_at(&self, checked: u64) {
        self.oldest.set(self.oldest.get().min(checked));
    }

    /// The answer kept for the request key `request`, if it is still good.
    pub fn kept_answer(&self, request: &str) -> Option<KeptAnswer> {
        self.cache.recheck?;
        let now = self.now();
        self.cache.entries.borrow().answer(request, now)
    }

    /// Keeps `answer` for the request key `request`, in the entry of the
    /// file at `file` (whose bytes, or a coding of them, it was made from).
    pub fn keep_answer(&self, request: &str, file: &[String], answer: KeptAnswer) {
        if self.cache.recheck.is_none() {
            return;
        }
        self.cache
            .entries
            .borrow_mut()
            .keep_answer(request, &key(file), answer, self.now());
    }

    fn remember(&self, key: String, bytes: Rc<[u8]>) {
        self.seen.borrow_mut().push((key, bytes));
    }

    /// The bytes this request's look at the file at `path` saw, if the
    /// cache holds them.
    pub fn seen_bytes(&self, path: &[String]) -> Option<Rc<[u8]>> {
        self.remembered(&key(path))
    }

    fn remembered(&self, key: &str) -> Option<Rc<[u8]>> {
        let seen = self.seen.borrow();
        let (_, bytes) = seen.iter().rev().find(|(k, _)| k == key)?;
        Some(bytes.clone())
    }
}

impl<S: Files, C> View<'_, S, C> {
    /// The whole file at `path`, if it still is `meta` long.
    async fn load(&self, path: &[String], meta: Meta) -> Option<Rc<[u8]>> {
        let file = self.cache.inner.open(path).await.ok()?;
        let bytes = self.cache.inner.read_whole(&file, meta.len).await.ok()?;
        (bytes.len() as u64 == meta.len).then(|| bytes.into())
    }
}

/// The key of a path: its names joined with `/` (names never hold one).
fn key(path: &[String]) -> String {
    path.join("/")
}

/// Whether a `stat` result is worth keeping: a failure that may pass (an
/// I/O error) is asked again.
fn keepable(stat: &Result<Meta, FsError>) -> bool {
    !matches!(stat, Err(FsError::Failed(_)))
}

/// Whether the bytes of a file with `meta` may be held: a regular file,
/// small enough, whose modification time can show a change.
fn holdable(meta: &Meta) -> bool {
    meta.kind == Kind::File && meta.len <= MAX_FILE && meta.modified.is_some()
}

impl<S: Files, C: Fn() -> u64> Files for View<'_, S, C> {
    type File = CachedFile<S::File>;

    async fn stat(&self, path: &[String]) -> Result<Meta, FsError> {
        let Some(recheck) = self.cache.recheck else {
            return self.cache.inner.stat(path).await;
        };
        let key = key(path);
        // The time is taken before the filesystem is asked, so an answer is
        // never stamped later than it was true.
        let now = self.now();
        match self.fresh(&key, now, recheck) {
            Some((Ok(meta), Some(bytes))) => {
                self.remember(key, bytes);
                return Ok(meta);
            }
            // A file whose bytes are not held: asked afresh, as its open is.
            Some((Ok(meta), None)) if meta.kind == Kind::File => {}
            Some((stat, _)) => return stat,
            None => {}
        }
        let stat = self.cache.inner.stat(path).await;
        self.looked_at(now);
        if !keepable(&stat) {
            return stat;
        }
        let still_held = self
            .cache
            .entries
            .borrow_mut()
            .record(&key, stat.clone(), now);
        if let Some(bytes) = still_held {
            self.remember(key, bytes);
        } else if let Ok(meta) = &stat
            && holdable(meta)
            && let Some(bytes) = self.load(path, *meta).await
        {
            self.cache
                .entries
                .borrow_mut()
                .hold(&key, *meta, bytes.clone());
            self.remember(key, bytes);
        }
        stat
    }

    async fn open(&self, path: &[String]) -> Result<Self::File, FsError> {
        if self.cache.recheck.is_some()
            && let Some(bytes) = self.remembered(&key(path))
        {
            return Ok(CachedFile::Held(bytes));
        }
        self.cache.inner.open(path).await.map(CachedFile::Open)
    }

    async fn read_dir(&self, path: &[String]) -> Result<Vec<Entry>, FsError> {
        self.cache.inner.read_dir(path).await
    }

    async fn read_whole(&self, file: &Self::File, len: u64) -> Result<Vec<u8>, FsError> {
        match file {
            CachedFile::Held(bytes) => Ok(bytes.to_vec()),
            CachedFile::Open(file) => self.cache.inner.read_whole(file, len).await,
        }
    }

    async fn read_shared(&self, file: &Self::File, len: u64) -> Result<Rc<[u8]>, FsError> {
        match file {
            CachedFile::Held(bytes) => Ok(bytes.clone()),
            CachedFile::Open(file) => self.cache.inner.read_whole(file, len).await.map(Rc::from),
        }
    }
}

/// What the instance keeps, as this request sees it: the codings of the
/// bytes its lookups saw, and how long its answers stay good.
impl<S: Files, C: Fn() -> u64> Store for View<'_, S, C> {
    fn coding(&self, path: &[String], made: Made) -> Option<Rc<[u8]>> {
        let key = key(path);
        let bytes = self.remembered(&key)?;
        self.cache.entries.borrow().coding(&key, &bytes, made)
    }

    fn keep_coding(&self, path: &[String], made: Made, coded: &Rc<[u8]>) {
        let key = key(path);
        if let Some(bytes) = self.remembered(&key) {
            self.cache
                .entries
                .borrow_mut()
                .hold_coding(&key, &bytes, made, coded);
        }
    }

    fn digest(&self, path: &[String]) -> Option<Digest> {
        let key = key(path);
        let bytes = self.remembered(&key)?;
        Some(self.cache.entries.borrow().digest(&key, &bytes))
    }

    fn window(&self) -> Option<Window> {
        let recheck = self.cache.recheck?;
        Some(Window {
            now: self.now(),
            recheck,
            oldest: self.oldest.get(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ready::run;
    use crate::store::Store;
    use crate::testing::{MemFiles, Op};
    use std::time::{SystemTime, UNIX_EPOCH};

    const SECOND: u64 = 1_000_000_000;

    /// A site whose files can change, counting the calls that reach it.
    #[derive(Default)]
    struct Disk {
        files: RefCell<MemFiles>,
        calls: Cell<usize>,
        reads: Cell<usize>,
        /// The file has grown by a byte when it is read.
        grow_on_read: Cell<bool>,
    }

    impl Disk {
        fn with(files: MemFiles) -> Disk {
            Disk {
                files: RefCell::new(files),
                ..Disk::default()
            }
        }

        fn change(&self, f: impl FnOnce(MemFiles) -> MemFiles) {
            let files = self.files.take();
            self.files.replace(f(files));
        }
    }

    impl Files for Disk {
        type File = Vec<u8>;

        // MemFiles answers at once, so its futures are run where they are.
        async fn stat(&self, path: &[String]) -> Result<Meta, FsError> {
            self.calls.set(self.calls.get() + 1);
            run(self.files.borrow().stat(path))
        }

        async fn open(&self, path: &[String]) -> Result<Vec<u8>, FsError> {
            self.calls.set(self.calls.get() + 1);
            run(self.files.borrow().open(path))
        }

        async fn read_dir(&self, path: &[String]) -> Result<Vec<Entry>, FsError> {
            self.calls.set(self.calls.get() + 1);
            run(self.files.borrow().read_dir(path))
        }

        async fn read_whole(&self, file: &Vec<u8>, _len: u64) -> Result<Vec<u8>, FsError> {
            self.reads.set(self.reads.get() + 1);
            let mut bytes = file.clone();
            if self.grow_on_read.get() {
                bytes.push(b'+');
            }
            Ok(bytes)
        }
    }

    fn p(path: &str) -> Vec<String> {
        path.split('/').map(str::to_owned).collect()
    }

    fn at(t: u64) -> impl Fn() -> u64 {
        move || t
    }

    fn time(secs: u64) -> Option<SystemTime> {
        Some(UNIX_EPOCH + Duration::from_secs(secs))
    }

    fn bytes<F: std::fmt::Debug>(file: CachedFile<F>) -> Rc<[u8]> {
        match file {
            CachedFile::Held(bytes) => bytes,
            other => panic!("not held: {other:?}"),
        }
    }

    #[test]
    fn a_repeat_request_asks_the_filesystem_nothing() {
        let disk = Disk::with(MemFiles::new().file("a.html", b"hello"));
        let cache = Cache::new(disk, Some(DEFAULT_RECHECK));
        let view = cache.view(at(0));
        assert_eq!(run(view.stat(&p("a.html"))).unwrap().len, 5);
        assert_eq!(&*bytes(run(view.open(&p("a.html"))).unwrap()), b"hello");
        assert_eq!(run(view.stat(&p("a.html.br"))), Err(FsError::NotFound));
        assert_eq!(cache.inner.calls.get(), 3);
        for t in [1, SECOND / 2, SECOND - 1] {
            let view = cache.view(at(t));
            assert_eq!(run(view.stat(&p("a.html"))).unwrap().len, 5);
            assert_eq!(run(view.stat(&p("a.html.br"))), Err(FsError::NotFound));
            assert_eq!(&*bytes(run(view.open(&p("a.html"))).unwrap()), b"hello");
        }
        assert_eq!(cache.inner.calls.get(), 3, "no call within the interval");
        assert_eq!(cache.inner.reads.get(), 1);
    }

    #[test]
    fn a_changed_file_is_seen_one_interval_after_its_last_check() {
        let disk = Disk::with(
            MemFiles::new()
                .file("a.txt", b"old")
                .modified("a.txt", time(1)),
        );
        let cache = Cache::new(disk, Some(DEFAULT_RECHECK));
        let get = |t: u64| {
            let view = cache.view(at(t));
            let meta = run(view.stat(&p("a.txt")));
            let file = run(view.open(&p("a.txt")));
            (meta, file.map(bytes))
        };
        assert_eq!(&*get(0).1.unwrap(), b"old");
        cache
            .inner
            .change(|f| f.file("a.txt", b"new!").modified("a.txt", time(2)));
        assert_eq!(&*get(SECOND - 1).1.unwrap(), b"old", "within the interval");
        let (meta, file) = get(SECOND);
        assert_eq!(meta.unwrap().len, 4);
        assert_eq!(&*file.unwrap(), b"new!");
        // Removed: not found once rechecked, and the bytes are gone.
        cache.inner.change(|_| MemFiles::new());
        assert_eq!(get(2 * SECOND).0, Err(FsError::NotFound));
        assert_eq!(cache.held(), ENTRY_COST + "a.txt".len());
    }

    #[test]
    fn an_unchanged_file_is_rechecked_but_not_read_again() {
        let disk = Disk::with(MemFiles::new().file("a.txt", b"same"));
        let cache = Cache::new(disk, Some(DEFAULT_RECHECK));
        for n in 0..5 {
            let view = cache.view(at(n * SECOND));
            run(view.stat(&p("a.txt"))).unwrap();
            bytes(run(view.open(&p("a.txt"))).unwrap());
        }
        // One open and read, then one stat per interval.
        assert_eq!(cache.inner.reads.get(), 1);
        assert_eq!(cache.inner.calls.get(), 5 + 1);
    }

    #[test]
    fn off_means_every_call_goes_through_and_nothing_is_held() {
        let disk = Disk::with(MemFiles::new().file("a.txt", b"x"));
        let cache = Cache::new(disk, None);
        for _ in 0..3 {
            let view = cache.view(|| panic!("no clock when off"));
            run(view.stat(&p("a.txt"))).unwrap();
            let file = run(view.open(&p("a.txt"))).unwrap();
            assert_eq!(file, CachedFile::Open(b"x".to_vec()));
        }
        assert_eq!(cache.inner.calls.get(), 6);
        assert!(cache.is_empty());
        assert_eq!(cache.held(), 0);
    }

    #[test]
    fn a_zero_interval_checks_every_time_but_keeps_the_bytes() {
        let disk = Disk::with(MemFiles::new().file("a.txt", b"x"));
        let cache = Cache::new(disk, Some(Duration::ZERO));
        for t in [7, 7, 8] {
            let view = cache.view(at(t));
            run(view.stat(&p("a.txt"))).unwrap();
            assert!(matches!(
                run(view.open(&p("a.txt"))).unwrap(),
                CachedFile::Held(_)
            ));
        }
        assert_eq!(cache.inner.reads.get(), 1);
        assert_eq!(cache.inner.calls.get(), 3 + 1, "three stats, one open");
    }

    #[test]
    fn big_files_timeless_files_and_io_errors_are_not_held() {
        let big = vec![b'b'; MAX_FILE as usize + 1];
        let edge = vec![b'e'; MAX_FILE as usize];
        let disk = Disk::with(
            MemFiles::new()
                .file("big", &big)
                .file("edge", &edge)
                .file("timeless", b"t")
                .modified("timeless", None)
                .fail(Op::Stat, "flaky", FsError::Failed("EIO".into())),
        );
        let cache = Cache::new(disk, Some(DEFAULT_RECHECK));
        let view = cache.view(at(0));
        for name in ["big", "timeless"] {
            run(view.stat(&p(name))).unwrap();
            assert!(matches!(
                run(view.open(&p(name))).unwrap(),
                CachedFile::Open(_)
            ));
        }
        run(view.stat(&p("edge"))).unwrap();
        assert_eq!(bytes(run(view.open(&p("edge"))).unwrap()).len(), edge.len());
        assert!(run(view.stat(&p("flaky"))).is_err());
        assert!(run(view.stat(&p("flaky"))).is_err());
        assert_eq!(cache.len(), 3, "big, edge, timeless; not flaky");
    }

    #[test]
    fn open_gives_the_bytes_this_request_looked_at() {
        let disk = Disk::with(MemFiles::new().file("a.txt", b"four"));
        let cache = Cache::new(disk, Some(DEFAULT_RECHECK));
        let view = cache.view(at(0));
        assert_eq!(run(view.stat(&p("a.txt"))).unwrap().len, 4);
        // Changed on disk, and seen by a later request, between this
        // request's stat and its open: it still sends what it described.
        cache
            .inner
            .change(|f| f.file("a.txt", b"grown!").modified("a.txt", time(9)));
        let later = cache.view(at(SECOND));
        assert_eq!(run(later.stat(&p("a.txt"))).unwrap().len, 6);
        assert_eq!(&*bytes(run(view.open(&p("a.txt"))).unwrap()), b"four");
        assert_eq!(&*bytes(run(later.open(&p("a.txt"))).unwrap()), b"grown!");
    }

    #[test]
    fn a_file_that_changed_between_stat_and_read_is_not_held() {
        let disk = Disk::with(MemFiles::new().file("a.txt", b"four"));
        disk.grow_on_read.set(true);
        let cache = Cache::new(disk, Some(DEFAULT_RECHECK));
        let view = cache.view(at(0));
        run(view.stat(&p("a.txt"))).unwrap();
        assert_eq!(
            run(view.open(&p("a.txt"))).unwrap(),
            CachedFile::Open(b"four".to_vec())
        );
        assert_eq!(cache.held(), ENTRY_COST + "a.txt".len());
        // Not held, so the next request asks the filesystem again.
        let calls = cache.inner.calls.get();
        run(cache.view(at(1)).stat(&p("a.txt"))).unwrap();
        assert!(cache.inner.calls.get() > calls);
    }

    #[test]
    fn an_older_answer_does_not_overwrite_a_newer_one() {
        let disk = Disk::with(
            MemFiles::new()
                .file("a.txt", b"old")
                .modified("a.txt", time(1)),
        );
        let cache = Cache::new(disk, Some(DEFAULT_RECHECK));
        let old = run(cache.inner.stat(&p("a.txt")));
        cache
            .inner
            .change(|f| f.file("a.txt", b"new!").modified("a.txt", time(2)));
        run(cache.view(at(5)).stat(&p("a.txt"))).unwrap();
        // An answer asked for at 4 and recorded after the one asked at 5.
        let held = cache.entries.borrow_mut().record("a.txt", old, 4);
        assert_eq!(held, None);
        let view = cache.view(at(6));
        assert_eq!(run(view.stat(&p("a.txt"))).unwrap().len, 4);
        assert_eq!(&*bytes(run(view.open(&p("a.txt"))).unwrap()), b"new!");
    }

    #[test]
    fn a_file_too_big_to_hold_is_looked_up_afresh_every_time() {
        let big = vec![b'b'; MAX_FILE as usize + 1];
        let cache = Cache::new(
            Disk::with(MemFiles::new().file("big", &big)),
            Some(DEFAULT_RECHECK),
        );
        for t in 0..3 {
            let view = cache.view(at(t));
            run(view.stat(&p("big"))).unwrap();
            assert!(matches!(
                run(view.open(&p("big"))).unwrap(),
                CachedFile::Open(_)
            ));
        }
        assert_eq!(cache.inner.calls.get(), 6, "a stat and an open each time");
    }

    fn coding(level: u32) -> Made {
        Made {
            encoding: crate::codec::Encoding::Brotli,
            level,
        }
    }

    #[test]
    fn coded_answers_are_held_counted_and_dropped_with_their_file() {
        let disk = Disk::with(
            MemFiles::new()
                .file("a.txt", b"old bytes")
                .modified("a.txt", time(1)),
        );
        let cache = Cache::new(disk, Some(DEFAULT_RECHECK));
        let view = cache.view(at(0));
        run(view.stat(&p("a.txt"))).unwrap();
        assert_eq!(view.coding(&p("a.txt"), coding(5)), None);
        let coded: Rc<[u8]> = Rc::from(&b"CODED"[..]);
        view.keep_coding(&p("a.txt"), coding(5), &coded);
        let base = ENTRY_COST + "a.txt".len() + "old bytes".len();
        assert_eq!(cache.held(), base + CODED_COST + 5);
        // Held once per coding: a second offer changes nothing.
        view.keep_coding(&p("a.txt"), coding(5), &Rc::from(&b"OTHER"[..]));
        assert_eq!(cache.held(), base + CODED_COST + 5);
        let later = cache.view(at(1));
        run(later.stat(&p("a.txt"))).unwrap();
        assert_eq!(
            later.coding(&p("a.txt"), coding(5)).as_deref(),
            Some(&b"CODED"[..])
        );
        assert_eq!(later.coding(&p("a.txt"), coding(1)), None, "another level");
        // A path this request did not look at has no coding for it.
        assert_eq!(cache.view(at(1)).coding(&p("a.txt"), coding(5)), None);
        // Changed on disk: the bytes and their codings go together.
        cache
            .inner
            .change(|f| f.file("a.txt", b"new!").modified("a.txt", time(2)));
        let view = cache.view(at(SECOND));
        run(view.stat(&p("a.txt"))).unwrap();
        assert_eq!(view.coding(&p("a.txt"), coding(5)), None);
        assert_eq!(cache.held(), ENTRY_COST + "a.txt".len() + 4);
    }

    #[test]
    fn a_coding_made_from_other_bytes_is_not_held() {
        let disk = Disk::with(MemFiles::new().file("a.txt", b"four"));
        let cache = Cache::new(disk, Some(DEFAULT_RECHECK));
        let first = cache.view(at(0));
        run(first.stat(&p("a.txt"))).unwrap();
        // The file changes and a later request sees it before the first
        // request offers what it coded from the old bytes.
        cache
            .inner
            .change(|f| f.file("a.txt", b"grown!").modified("a.txt", time(9)));
        let second = cache.view(at(SECOND));
        run(second.stat(&p("a.txt"))).unwrap();
        first.keep_coding(&p("a.txt"), coding(5), &Rc::from(&b"OLD"[..]));
        assert_eq!(second.coding(&p("a.txt"), coding(5)), None);
        assert_eq!(first.coding(&p("a.txt"), coding(5)), None);
    }

    #[test]
    fn the_bound_holds_with_codings_beside_the_files() {
        let size = 100 * 1024;
        let mut files = MemFiles::new();
        for n in 0..100 {
            files = files.file(&format!("f{n}"), &vec![b'x'; size]);
        }
        let cache = Cache::new(Disk::with(files), Some(DEFAULT_RECHECK));
        for n in 0..100 {
            let view = cache.view(at(0));
            let path = p(&format!("f{n}"));
            run(view.stat(&path)).unwrap();
            for level in [1, 5] {
                view.keep_coding(&path, coding(level), &Rc::from(vec![b'c'; size / 4]));
            }
            assert!(cache.held() <= MAX_TOTAL, "{} after f{n}", cache.held());
        }
        let entries = cache.entries.borrow();
        let counted: usize = entries.map.iter().map(|(k, h)| h.cost(k)).sum();
        assert_eq!(counted, entries.total, "the total is what the entries cost");
    }

    #[test]
    fn the_total_stays_bounded_and_hot_entries_stay() {
        let size = 100 * 1024;
        let mut files = MemFiles::new().file("hot", b"hot");
        for n in 0..200 {
            files = files.file(&format!("f{n}"), &vec![b'x'; size]);
        }
        let cache = Cache::new(Disk::with(files), Some(DEFAULT_RECHECK));
        let get = |name: &str| {
            let view = cache.view(at(0));
            run(view.stat(&p(name))).unwrap();
            run(view.open(&p(name))).unwrap()
        };
        for n in 0..200 {
            get("hot");
            get(&format!("f{n}"));
            assert!(cache.held() <= MAX_TOTAL, "{} after f{n}", cache.held());
        }
        assert!(cache.held() > MAX_TOTAL - size - 2 * ENTRY_COST);
        let calls = cache.inner.calls.get();
        assert!(matches!(get("hot"), CachedFile::Held(_)));
        assert_eq!(cache.inner.calls.get(), calls, "the hot file stayed");
        // Many missing paths: their entries are bounded too.
        for n in 0..100_000 {
            let view = cache.view(at(0));
            let _ = run(view.stat(&p(&format!("missing-{n}"))));
        }
        assert!(cache.held() <= MAX_TOTAL);
        assert_eq!(cache.entries.borrow().clock.len(), cache.len());
    }

    fn kept(from: &Rc<[u8]>, expires: u64, head: usize) -> KeptAnswer {
        let wire = crate::http::Head::new(vec![("x-head".into(), "h".repeat(head))]);
        KeptAnswer {
            expires,
            etag: Some("\"e\"".to_owned()),
            last_modified: time(1),
            ok: Some(wire),
            not_modified: None,
            body: Some(from.clone()),
            from: from.clone(),
        }
    }

    /// Every answer is routed to from its key, and the total is what the
    /// entries and their answers cost.
    fn assert_consistent(cache: &Cache<Disk>) {
        let entries = cache.entries.borrow();
        let counted: usize = entries.map.iter().map(|(k, h)| h.cost(k)).sum();
        assert_eq!(counted, entries.total, "the total is what the entries cost");
        let answers: usize = entries.map.values().map(|h| h.answers.len()).sum();
        assert_eq!(answers, entries.routes.len(), "one route for each answer");
        for (request, file) in &entries.routes {
            let held = &entries.map[file];
            assert!(held.answers.iter().any(|(k, _)| k == request));
        }
    }

    #[test]
    fn an_answer_is_kept_with_its_entry_until_it_expires_or_its_file_changes() {
        let cache = Cache::new(
            Disk::with(MemFiles::new().file("a.txt", b"A").file("b.txt", b"B")),
            Some(DEFAULT_RECHECK),
        );
        let view = cache.view(at(0));
        run(view.stat(&p("a.txt"))).unwrap();
        let a = bytes(run(view.open(&p("a.txt"))).unwrap());
        view.keep_answer("/a.txt\n", &p("a.txt"), kept(&a, SECOND, 10));
        // Not b.txt's bytes: an answer goes only to the entry it was made from.
        view.keep_answer("/b\n", &p("b.txt"), kept(&a, SECOND, 10));
        assert!(view.kept_answer("/b\n").is_none());
        assert!(view.kept_answer("/a.txt\n").is_some());
        assert!(cache.view(at(SECOND - 1)).kept_answer("/a.txt\n").is_some());
        assert!(cache.view(at(SECOND)).kept_answer("/a.txt\n").is_none());
        assert_consistent(&cache);
        // The file changes: at its next check the entry drops its bytes,
        // and the answer with them.
        cache.inner.change(|f| f.file("a.txt", b"AA"));
        let later = cache.view(at(SECOND));
        run(later.stat(&p("a.txt"))).unwrap();
        assert!(cache.entries.borrow().routes.is_empty());
        assert_consistent(&cache);
    }

    #[test]
    fn what_is_kept_of_one_representation_is_merged_and_of_another_replaced() {
        let cache = Cache::new(
            Disk::with(MemFiles::new().file("a.txt", b"A")),
            Some(DEFAULT_RECHECK),
        );
        let view = cache.view(at(0));
        run(view.stat(&p("a.txt"))).unwrap();
        let a = bytes(run(view.open(&p("a.txt"))).unwrap());
        let not_modified = crate::http::Head::new(vec![("etag".into(), "\"e\"".to_owned())]);
        let mut first = kept(&a, 2 * SECOND, 1);
        first.ok = None;
        first.body = None;
        first.not_modified = Some(not_modified.clone());
        view.keep_answer("k", &p("a.txt"), first);
        view.keep_answer("k", &p("a.txt"), kept(&a, 3 * SECOND, 1));
        let both = view.kept_answer("k").unwrap();
        assert!(both.ok.is_some() && both.body.is_some());
        assert_eq!(both.not_modified, Some(not_modified));
        assert_eq!(both.expires, 2 * SECOND, "the sooner end of the two");
        let mut other = kept(&a, 3 * SECOND, 1);
        other.etag = Some("\"f\"".to_owned());
        view.keep_answer("k", &p("a.txt"), other);
        let replaced = view.kept_answer("k").unwrap();
        assert_eq!(
            (replaced.not_modified, replaced.expires),
            (None, 3 * SECOND)
        );
        assert_consistent(&cache);
    }

    #[test]
    fn the_bound_holds_with_answers_beside_the_files() {
        let mut files = MemFiles::new();
        for n in 0..64 {
            files = files.file(&format!("f{n}"), &vec![b'x'; 64 * 1024]);
        }
        let cache = Cache::new(Disk::with(files), Some(DEFAULT_RECHECK));
        // Many keys for each file (as many Accept-Encoding spellings would
        // make), each with a big head.
        for round in 0..4 {
            for n in 0..64 {
                let view = cache.view(at(0));
                let path = p(&format!("f{n}"));
                run(view.stat(&path)).unwrap();
                let Ok(CachedFile::Held(body)) = run(view.open(&path)) else {
                    continue;
                };
                for k in 0..64 {
                    let key = format!("/f{n}\n{round} {k}");
                    view.keep_answer(&key, &path, kept(&body, SECOND, 4096));
                    assert!(cache.held() <= MAX_TOTAL, "{} after {key}", cache.held());
                }
            }
        }
        assert!(cache.held() > MAX_TOTAL / 2, "it was filled");
        assert_consistent(&cache);
    }
}
