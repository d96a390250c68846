//! A per-instance cache of hot files: what a path names, and the bytes of
//! small files, kept so that a reused instance answers repeat requests
//! (their 304s and ranges too) without asking the filesystem. It is nginx's
//! `open_file_cache`, with the bytes as well.
//!
//! [`Cache`] wraps the site's [`Files`] and lives as long as the instance;
//! each request looks through a [`View`] of it, which is itself a [`Files`],
//! so the file server does not know the cache is there.
//!
//! - **What it holds.** The result of each `stat` (a file's kind, size and
//!   time, or that nothing is there), and the bytes of every regular file of
//!   at most [`MAX_FILE`] bytes that has been opened. Directory listings
//!   are not held: each is read afresh.
//! - **How much.** At most [`MAX_TOTAL`] bytes per instance, counting each
//!   entry's bytes, its path and [`ENTRY_COST`] for its bookkeeping. When a
//!   new entry does not fit, older ones go, least recently used first (the
//!   "clock" approximation: a used entry gets a second chance).
//! - **How stale.** An entry is used as it is for the recheck interval from
//!   its last check; the first lookup after that asks the filesystem again.
//!   When the size or the modification time changed (or the path now names
//!   something else), the bytes are dropped and read again on the next open.
//!   So a file changed on disk is served new at most one interval after the
//!   change. A file whose filesystem keeps no modification time is never
//!   held, as a change of its bytes could not be seen.
//! - **Concurrency.** Requests that share an instance share its cache. No
//!   borrow of it is held across an await; after each filesystem call the
//!   entry is looked up again, and bytes are kept only if the entry still
//!   says what they were read under.

#![forbid(unsafe_code)]

use crate::fs::{Entry, Files, FsError, Kind, Meta, ReadWhole};
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;
use std::time::Duration;

/// The largest file whose bytes are held.
pub const MAX_FILE: u64 = 128 * 1024;

/// The most one instance's cache holds, bookkeeping included.
pub const MAX_TOTAL: usize = 4 * 1024 * 1024;

/// What an entry costs besides its bytes and its path: the map's slot, the
/// clock's, and the entry itself.
pub const ENTRY_COST: usize = 96;

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

/// One path's entry.
#[derive(Debug)]
struct Held {
    /// What the last `stat` said.
    stat: Result<Meta, FsError>,
    /// When it said it (monotonic nanoseconds).
    checked: u64,
    /// The file's bytes, read under `stat`.
    bytes: Option<Rc<[u8]>>,
    /// Used since the clock hand last passed.
    used: Cell<bool>,
}

impl Held {
    fn cost(&self, key: &str) -> usize {
        ENTRY_COST + key.len() + self.bytes.as_ref().map_or(0, |b| b.len())
    }
}

/// The entries, their total cost and the clock's order.
#[derive(Debug, Default)]
struct Entries {
    map: BTreeMap<Rc<str>, Held>,
    /// Every key of `map`, once, in the order the clock hand visits them.
    clock: VecDeque<Rc<str>>,
    total: usize,
}

impl Entries {
    /// Makes room for `extra` more bytes, never evicting `keep`; false when
    /// it cannot.
    fn make_room(&mut self, extra: usize, keep: Option<&str>) -> bool {
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
            self.map.remove(&key);
        }
        self.total + extra <= MAX_TOTAL
    }

    /// Records `stat` for `key` as checked at `now`, keeping the held bytes
    /// when it says what it said before.
    fn record(&mut self, key: &str, stat: Result<Meta, FsError>, now: u64) {
        if let Some(held) = self.map.get_mut(key) {
            held.checked = now;
            held.used.set(true);
            if held.stat != stat {
                let freed = held.bytes.take().map_or(0, |b| b.len());
                held.stat = stat;
                self.total -= freed;
            }
            return;
        }
        let held = Held {
            stat,
            checked: now,
            bytes: None,
            used: Cell::new(true),
        };
        let cost = held.cost(key);
        if self.make_room(cost, None) {
            let key: Rc<str> = key.into();
            self.clock.push_back(key.clone());
            self.map.insert(key, held);
            self.total += cost;
        }
    }

    /// Keeps `bytes` for `key` if its entry still says `meta`.
    fn hold(&mut self, key: &str, meta: Meta, bytes: Rc<[u8]>) {
        let still = |entries: &Entries| {
            entries
                .map
                .get(key)
                .is_some_and(|held| held.stat == Ok(meta) && held.bytes.is_none())
        };
        if !still(self) || !self.make_room(bytes.len(), Some(key)) || !still(self) {
            return;
        }
        if let Some(held) = self.map.get_mut(key) {
            self.total += bytes.len();
            held.bytes = Some(bytes);
        }
    }
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
#[derive(Debug)]
pub struct View<'a, S, C> {
    cache: &'a Cache<S>,
    clock: C,
    now: Cell<Option<u64>>,
}

impl<S, C: Fn() -> u64> View<'_, S, C> {
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

    /// The entry for `key` if it was checked within the interval, or by
    /// this request (so a zero interval still lets a request open what it
    /// has just looked up).
    fn fresh<T>(&self, key: &str, recheck: u64, f: impl FnOnce(&Held) -> T) -> Option<T> {
        let entries = self.cache.entries.borrow();
        let held = entries.map.get(key)?;
        let now = self.now();
        if held.checked < now && now - held.checked >= recheck {
            return None;
        }
        held.used.set(true);
        Some(f(held))
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

impl<S: ReadWhole, C: Fn() -> u64> Files for View<'_, S, C> {
    type File = CachedFile<S::File>;

    async fn stat(&self, path: &[String]) -> Result<Meta, FsError> {
        let Some(recheck) = self.cache.recheck else {
            return self.cache.inner.stat(path).await;
        };
        let key = key(path);
        if let Some(stat) = self.fresh(&key, recheck, |held| held.stat.clone()) {
            return stat;
        }
        let stat = self.cache.inner.stat(path).await;
        if keepable(&stat) {
            let now = self.now();
            self.cache
                .entries
                .borrow_mut()
                .record(&key, stat.clone(), now);
        }
        stat
    }

    async fn open(&self, path: &[String]) -> Result<Self::File, FsError> {
        let Some(recheck) = self.cache.recheck else {
            return self.cache.inner.open(path).await.map(CachedFile::Open);
        };
        let key = key(path);
        let known = self.fresh(&key, recheck, |held| match &held.bytes {
            Some(bytes) => Err(bytes.clone()),
            None => Ok(held.stat.clone()),
        });
        let meta = match known {
            Some(Err(bytes)) => return Ok(CachedFile::Held(bytes)),
            Some(Ok(Ok(meta))) => Some(meta),
            _ => None,
        };
        let file = self.cache.inner.open(path).await?;
        let Some(meta) = meta.filter(|meta| {
            meta.kind == Kind::File && meta.len <= MAX_FILE && meta.modified.is_some()
        }) else {
            return Ok(CachedFile::Open(file));
        };
        match self.cache.inner.read_whole(&file, meta.len).await {
            Ok(bytes) if bytes.len() as u64 == meta.len => {
                let bytes: Rc<[u8]> = bytes.into();
                self.cache
                    .entries
                    .borrow_mut()
                    .hold(&key, meta, bytes.clone());
                Ok(CachedFile::Held(bytes))
            }
            // Changed since its stat, or unreadable: send it from the open
            // file, which reports what went wrong as it did before.
            _ => Ok(CachedFile::Open(file)),
        }
    }

    async fn read_dir(&self, path: &[String]) -> Result<Vec<Entry>, FsError> {
        self.cache.inner.read_dir(path).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ready::run;
    use crate::testing::{MemFiles, Op};
    use std::time::{SystemTime, UNIX_EPOCH};

    const SECOND: u64 = 1_000_000_000;

    /// A site whose files can change, counting the calls that reach it.
    #[derive(Default)]
    struct Disk {
        files: RefCell<MemFiles>,
        calls: Cell<usize>,
        reads: Cell<usize>,
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
    }

    impl ReadWhole for Disk {
        async fn read_whole(&self, file: &Vec<u8>, _len: u64) -> Result<Vec<u8>, FsError> {
            self.reads.set(self.reads.get() + 1);
            Ok(file.clone())
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
        for _ in 0..3 {
            let view = cache.view(at(7));
            run(view.stat(&p("a.txt"))).unwrap();
            run(view.open(&p("a.txt"))).unwrap();
        }
        assert_eq!(cache.inner.reads.get(), 1);
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
    fn a_file_that_changed_between_stat_and_read_is_sent_but_not_held() {
        let disk = Disk::with(MemFiles::new().file("a.txt", b"four"));
        let cache = Cache::new(disk, Some(DEFAULT_RECHECK));
        let view = cache.view(at(0));
        run(view.stat(&p("a.txt"))).unwrap();
        cache.inner.change(|f| f.file("a.txt", b"grown!"));
        assert_eq!(
            run(view.open(&p("a.txt"))).unwrap(),
            CachedFile::Open(b"grown!".to_vec())
        );
        assert_eq!(cache.held(), ENTRY_COST + "a.txt".len());
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
}
