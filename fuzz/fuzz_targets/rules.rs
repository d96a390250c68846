//! Drives the parser of the site's rule files (`docroot::rules`) with
//! arbitrary bytes, then a request path through what it parsed, and checks
//! what must hold for every input: no panic, every problem on a line of the
//! file, no header docroot reserves and no value a header may not hold, no
//! `Basic-Auth` line sent as a header, no request without credentials let
//! into a protected path, and every redirect to the site staying on it (no
//! `//host`, no `\`), with a `Location` of visible ASCII.
//!
//! An input is text, so the seeds can be read and written by hand: the rule
//! file's text (parsed as `_redirects` and as `_headers`), then a line
//! `--`, then the request path.
#![no_main]

use docroot::auth::{Access, Authorization};
use docroot::path::SitePath;
use docroot::rules::{self, HEADERS, REDIRECTS};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (text, path) = match data.windows(4).position(|w| w == b"\n--\n") {
        Some(at) => (&data[..at], &data[at + 4..]),
        None => (data, &b"/"[..]),
    };
    let lines = text.split(|&b| b == b'\n').count();
    let (redirects, problems) = rules::parse(REDIRECTS, text);
    assert!(problems.iter().all(|p| p.line.is_none_or(|l| l <= lines)), "{problems:?}");
    let (headers, problems) = rules::parse(HEADERS, text);
    assert!(problems.iter().all(|p| p.line.is_none_or(|l| l <= lines)), "{problems:?}");
    let Ok(path) = std::str::from_utf8(path) else { return };
    let Ok(path) = SitePath::parse(path.trim_end_matches('\n')) else { return };
    let mut sent = Vec::new();
    headers.headers.for_path(path.segments()).whole.apply(&mut sent);
    let absent = headers.headers.access(path.segments(), &Authorization::Absent);
    let unusable = headers.headers.access(path.segments(), &Authorization::Unusable);
    assert_ne!(absent, Access::Admitted, "no credentials admit nobody");
    assert_eq!(absent, unusable);
    for (name, value) in &sent {
        assert_ne!(name.as_ref(), "basic-auth");
        assert!(!rules::headers::RESERVED.contains(&name.as_ref()), "{name}");
        assert!(value.bytes().all(|b| b == b'\t' || (b' '..=b'~').contains(&b)), "{value:?}");
    }
    if let Some(found) = redirects.redirects().find(path.segments()) {
        let location = found.location("/mount", Some("q=1&r"));
        assert!(location.bytes().all(|b| (b'!'..=b'~').contains(&b)), "{location:?}");
        if let Some(site) = found.site_path() {
            assert!(site.starts_with('/') && !site.starts_with("//"), "{site:?}");
            assert!(location.starts_with("/mount/") || location == "/mount", "{location:?}");
            assert!(!location.contains('\\'), "{location:?}");
        }
    }
});
