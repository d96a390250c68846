//! A packed site's manifest, `_docroot-manifest` at its root: for each file
//! `scripts/pack` wrote, its digest, size and modification time, so that
//! every copy of the packed tree (every replica, after every restart, on a
//! host that copies the files at start) answers with the same validators.
//! It is never served.
//!
//! The format is text, one line per file, sorted by key so that a lookup
//! is a binary search over the bytes as read, with no index built:
//!
//! ```text
//! docroot-manifest 1 <length of the whole file in bytes>
//! <key>\t<digest: 32 hex digits>\t<size>\t<seconds>.<nanoseconds, 9 digits>
//! ```
//!
//! A key is the file's path below the root, its names joined by `/`, with
//! `%`, controls and DEL written as `%XX`. A time the filesystem did not
//! keep is `-`. The first line's length makes a truncated manifest (a copy
//! cut short) fail [`Manifest::parse`] whole, as does anything that is not
//! a manifest; a line that does not parse is an entry not found.
//!
//! A manifest is only believed where it agrees with the file (the file
//! pipeline checks: [`crate::files`]): an entry whose size differs, or
//! whose digest differs from the bytes read, is ignored for that file.

#![forbid(unsafe_code)]

use crate::digest::Digest;
use std::cmp::Ordering;
use std::rc::Rc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The manifest's name, at the site's root.
pub const MANIFEST: &str = "_docroot-manifest";

/// The first line's words before the length.
const MAGIC: &str = "docroot-manifest 1 ";

/// The largest manifest read, whole, into an instance's memory: about 100
/// bytes a file, so some 160,000 files, siblings included (Cloudflare Pages
/// takes 20,000 files a site, 100,000 on its paid plans). `scripts/pack`
/// refuses to write a larger one.
pub const MAX_LEN: u64 = 16 * 1024 * 1024;

/// What the manifest says of one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// The digest of its bytes.
    pub digest: Digest,
    /// Its size in bytes.
    pub len: u64,
    /// Its modification time when packed, if the filesystem kept one.
    pub modified: Option<SystemTime>,
}

/// A manifest as read: its bytes, checked to be whole.
#[derive(Debug, Clone)]
pub struct Manifest {
    bytes: Rc<[u8]>,
    /// Where the entries start (after the first line).
    start: usize,
}

impl Manifest {
    /// The manifest in `bytes`, or why it is not one (to be ignored whole).
    pub fn parse(bytes: Rc<[u8]>) -> Result<Manifest, String> {
        let newline = bytes
            .iter()
            .take(MAGIC.len() + 21)
            .position(|&b| b == b'\n');
        let header = newline.and_then(|n| std::str::from_utf8(&bytes[..n]).ok());
        let Some(length) = header.and_then(|h| h.strip_prefix(MAGIC)) else {
            return Err(
                "not a docroot manifest (its first line is not `docroot-manifest 1 <length>`)"
                    .to_owned(),
            );
        };
        // Written as render writes it: digits, no sign, no leading zero.
        let length = parse_decimal(length)
            .filter(|_| length == "0" || !length.starts_with('0'))
            .and_then(|n| usize::try_from(n).ok())
            .ok_or(());
        match length {
            Ok(length) if length == bytes.len() && bytes.ends_with(b"\n") => Ok(Manifest {
                start: newline.unwrap_or(0) + 1,
                bytes,
            }),
            Ok(length) => Err(format!(
                "{} bytes where its first line says {length} (cut short or added to)",
                bytes.len()
            )),
            Err(_) => Err("its first line's length is not a number".to_owned()),
        }
    }

    /// What the manifest says of the file at `path`, if it has a
    /// well-formed line for it.
    pub fn lookup(&self, path: &[String]) -> Option<Entry> {
        let want = key(path);
        let body = &self.bytes[self.start..];
        // The lines that start in lo..hi hold the key, if any does.
        let (mut lo, mut hi) = (0, body.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let start = body[lo..mid]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(lo, |i| lo + i + 1);
            let end = start + body[start..].iter().position(|&b| b == b'\n')?;
            let line = &body[start..end];
            let name = line.split(|&b| b == b'\t').next().unwrap_or(line);
            match name.cmp(want.as_bytes()) {
                Ordering::Equal => return parse_line(line),
                Ordering::Less => lo = end + 1,
                Ordering::Greater => hi = start,
            }
        }
        None
    }
}

/// One line's entry (its key already matched).
fn parse_line(line: &[u8]) -> Option<Entry> {
    let line = std::str::from_utf8(line).ok()?;
    let mut fields = line.split('\t').skip(1);
    let digest = Digest::parse(fields.next()?)?;
    let len = parse_decimal(fields.next()?)?;
    let modified = match fields.next()? {
        "-" => None,
        time => {
            let (secs, nanos) = time.split_once('.')?;
            if nanos.len() != 9 {
                return None;
            }
            let nanos = u32::try_from(parse_decimal(nanos)?).ok()?;
            Some(crate::date::from_unix(parse_decimal(secs)?, nanos)?)
        }
    };
    if fields.next().is_some() {
        return None;
    }
    Some(Entry {
        digest,
        len,
        modified,
    })
}

/// Digits only (no sign, no space), as [`render`] writes them.
fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A path's key: its names joined by `/`, with `%`, controls and DEL
/// escaped, so that a key is one field of one line.
pub fn key(path: &[String]) -> String {
    let mut key = String::new();
    for (i, name) in path.iter().enumerate() {
        if i > 0 {
            key.push('/');
        }
        for c in name.chars() {
            if c == '%' || c.is_ascii_control() {
                key.push_str(&format!("%{:02X}", c as u32));
            } else {
                key.push(c);
            }
        }
    }
    key
}

/// The manifest of `entries` (paths below the root and what to say of
/// each), as `scripts/pack` writes it: sorted by key, one line each, a
/// path given twice written once (its last entry).
pub fn render(entries: &[(Vec<String>, Entry)]) -> Vec<u8> {
    let mut lines: Vec<(String, &Entry)> = entries.iter().map(|(p, e)| (key(p), e)).collect();
    lines.sort_by(|a, b| a.0.cmp(&b.0));
    lines.dedup_by(|later, earlier| {
        let same = later.0 == earlier.0;
        if same {
            std::mem::swap(later, earlier);
        }
        same
    });
    let mut body = String::new();
    for (key, entry) in lines {
        let time = match entry
            .modified
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        {
            Some(since) => format!("{}.{:09}", since.as_secs(), since.subsec_nanos()),
            None => "-".to_owned(),
        };
        body.push_str(&format!("{key}\t{}\t{}\t{time}\n", entry.digest, entry.len));
    }
    // The first line counts itself: its length is found by trying.
    let mut length = body.len();
    loop {
        let header = format!("{MAGIC}{length}\n");
        if header.len() + body.len() == length {
            return [header.into_bytes(), body.into_bytes()].concat();
        }
        length = header.len() + body.len();
    }
}

/// `secs` and `nanos` after the epoch (a time [`render`] wrote).
pub fn time(secs: u64, nanos: u32) -> SystemTime {
    UNIX_EPOCH + Duration::new(secs, nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(s: &str) -> Vec<String> {
        s.split('/').map(str::to_owned).collect()
    }

    fn entry(n: u8, len: u64) -> Entry {
        Entry {
            digest: Digest::of(&[n]),
            len,
            modified: Some(time(1_700_000_000 + u64::from(n), 123_456_789)),
        }
    }

    fn manifest(entries: &[(Vec<String>, Entry)]) -> Manifest {
        Manifest::parse(render(entries).into()).unwrap()
    }

    #[test]
    fn every_entry_is_found_by_binary_search_and_nothing_else() {
        let names = [
            "index.html",
            "a/b c.html",
            "a/b%20c.html",
            "tab\there",
            "new\nline",
            "ünï/cödé.txt",
            "z",
            "a",
            "a/b",
            "a.b",
            "a-b",
        ];
        let entries: Vec<_> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (path(n), entry(i as u8, i as u64 * 10)))
            .collect();
        let m = manifest(&entries);
        for (p, e) in &entries {
            assert_eq!(m.lookup(p).as_ref(), Some(e), "{p:?}");
        }
        for missing in ["", "b", "a/", "a/b c", "index.htm", "zz", "0", "new"] {
            assert_eq!(m.lookup(&path(missing)), None, "{missing:?}");
        }
        let empty = manifest(&[]);
        assert_eq!(empty.lookup(&path("a")), None);
    }

    #[test]
    fn a_time_not_kept_is_written_as_a_dash() {
        let e = Entry {
            modified: None,
            ..entry(1, 5)
        };
        let bytes = render(&[(path("a"), e)]);
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.ends_with("\t5\t-\n"), "{text}");
        assert_eq!(manifest(&[(path("a"), e)]).lookup(&path("a")), Some(e));
        assert!(text.starts_with(&format!("docroot-manifest 1 {}\n", bytes.len())));
    }

    #[test]
    fn a_path_given_twice_is_written_once_with_its_last_entry() {
        let m = manifest(&[(path("a"), entry(1, 1)), (path("a"), entry(2, 2))]);
        assert_eq!(m.lookup(&path("a")), Some(entry(2, 2)));
    }

    #[test]
    fn a_truncated_or_foreign_file_is_refused_whole() {
        let bytes = render(&[(path("a"), entry(1, 1)), (path("b"), entry(2, 2))]);
        for cut in [1, 10, bytes.len() / 2, bytes.len() - 1] {
            assert!(
                Manifest::parse(bytes[..cut].into()).is_err(),
                "cut at {cut}"
            );
        }
        let mut longer = bytes.clone();
        longer.extend_from_slice(b"c\tx\n");
        assert!(Manifest::parse(longer.into()).is_err());
        for foreign in [
            &b""[..],
            b"\n",
            b"\x00\x01\x02",
            b"docroot-manifest 2 22\n",
            b"docroot-manifest 1 x\n",
            b"docroot-manifest 1 20\n",
            b"\xff\xfedocroot-manifest 1 24\n",
        ] {
            assert!(Manifest::parse(foreign.into()).is_err(), "{foreign:?}");
        }
        assert!(Manifest::parse(b"docroot-manifest 1 21\n"[..].into()).is_err());
        // Only as render writes the length: no sign, no leading zero.
        assert!(Manifest::parse(b"docroot-manifest 1 +23\n"[..].into()).is_err());
        assert!(Manifest::parse(b"docroot-manifest 1 023\n"[..].into()).is_err());
        assert!(Manifest::parse(b"docroot-manifest 1 22\n"[..].into()).is_ok());
    }

    #[test]
    fn a_bad_line_is_an_entry_not_found() {
        let good = format!("{}\t5\t1.000000000", Digest(7));
        for line in [
            format!("a\t{good}\textra"),
            format!("a\t{}\t5\t1.0", Digest(7)),
            format!("a\t{}\t-5\t-", Digest(7)),
            "a\tnot-hex\t5\t-".to_owned(),
            format!("a\t{}\t5", Digest(7)),
            format!("a\t{}\t5\t99999999999999.000000000", Digest(7)),
            "a".to_owned(),
        ] {
            let body = format!("{line}\nb\t{good}\n");
            let mut total = body.len();
            while format!("{MAGIC}{total}\n{body}").len() != total {
                total = format!("{MAGIC}{total}\n{body}").len();
            }
            let text = format!("{MAGIC}{total}\n{body}");
            let m = Manifest::parse(text.into_bytes().into()).unwrap();
            assert_eq!(m.lookup(&path("a")), None, "{line}");
            assert!(m.lookup(&path("b")).is_some(), "{line}");
        }
    }

    #[test]
    fn keys_escape_what_would_break_a_line() {
        assert_eq!(
            key(&path("a b/c%d/e\tf\ng\u{7f}")),
            "a b/c%25d/e%09f%0Ag%7F"
        );
    }
}
