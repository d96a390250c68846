//! Drives the manifest's reader (`docroot::manifest`) with arbitrary bytes,
//! and checks what must hold for every input: no panic; a manifest is
//! accepted only when its first line gives its exact length; a lookup of
//! any path ends (binary search over bytes that need not be sorted) and
//! finds only an entry whose key is that path's; and a manifest written by
//! `render` from what was found reads back the same.
//!
//! An input is the manifest's bytes, then a line `--`, then the path looked
//! up (names separated by `/`); without that line the bytes are also given
//! a first line of the right length, so the fuzzer reaches the entries.
#![no_main]

use docroot::manifest::{self, Manifest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (bytes, path) = match data.windows(4).position(|w| w == b"\n--\n") {
        Some(at) => (data[..at + 1].to_vec(), &data[at + 4..]),
        None => (with_length(data), &b"index.html"[..]),
    };
    let Ok(found) = Manifest::parse(bytes.clone().into()) else {
        return;
    };
    let first = bytes.iter().position(|&b| b == b'\n').unwrap();
    let header = std::str::from_utf8(&bytes[..first]).unwrap();
    assert_eq!(header, format!("docroot-manifest 1 {}", bytes.len()));
    let Ok(path) = std::str::from_utf8(path) else { return };
    let path: Vec<String> = path.trim_end_matches('\n').split('/').map(str::to_owned).collect();
    let Some(entry) = found.lookup(&path) else { return };
    let key = manifest::key(&path);
    let line = format!("\n{key}\t");
    assert!(bytes.windows(line.len()).any(|w| w == line.as_bytes()), "{key:?}");
    let again = Manifest::parse(manifest::render(&[(path.clone(), entry)]).into()).unwrap();
    let read = again.lookup(&path);
    // A time is kept to the nanosecond, and one an HTTP-date cannot name was
    // never read.
    assert_eq!(read, Some(entry));
});

/// `body` after a first line that gives the whole's length.
fn with_length(body: &[u8]) -> Vec<u8> {
    let mut length = body.len();
    loop {
        let header = format!("docroot-manifest 1 {length}\n");
        if header.len() + body.len() == length {
            return [header.as_bytes(), body].concat();
        }
        length = header.len() + body.len();
    }
}
