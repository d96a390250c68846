//! Property tests: for any input, the path parser yields only plain names
//! (or refuses), requests never reach outside the root, listing links decode
//! back to their names, the range parser never leaves the file, and the
//! site's rule files parse without a panic whatever their bytes, with every
//! redirect to the site staying on it.

mod common;

use common::inproc::{request, run_with};
use common::{HIDDEN, SECRET, contains, fixture};
use docroot::config::Config;
use docroot::files::range::RangeRequest;
use docroot::path::{SitePath, encode_segment};
use docroot::rules::{self, HEADERS, REDIRECTS};
use proptest::prelude::*;

/// Lines of a rule file built from the pieces rules are made of, and any text.
fn rule_text() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("/".to_owned()),
        Just("*".to_owned()),
        Just(":a".to_owned()),
        Just(":splat".to_owned()),
        Just("!".to_owned()),
        Just("301".to_owned()),
        Just("200!".to_owned()),
        Just("404".to_owned()),
        Just("https://".to_owned()),
        Just("//".to_owned()),
        Just("%2e%2e".to_owned()),
        Just("  X-A: :a".to_owned()),
        Just("  ! Vary".to_owned()),
        Just(" ".to_owned()),
        Just("\n".to_owned()),
        Just("#".to_owned()),
        "[a-z/:*!.]{0,8}",
        any::<String>(),
    ];
    proptest::collection::vec(token, 0..40).prop_map(|t| t.concat())
}

/// Path strings built from the pieces traversal is made of, and anything else.
fn hostile_path() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("..".to_owned()),
        Just(".".to_owned()),
        Just("%2e%2e".to_owned()),
        Just("%2E.".to_owned()),
        Just("%252e".to_owned()),
        Just("%2f".to_owned()),
        Just("%5c".to_owned()),
        Just("\\".to_owned()),
        Just("%00".to_owned()),
        Just("%c0%ae".to_owned()),
        Just("%ff".to_owned()),
        Just("%".to_owned()),
        Just("".to_owned()),
        Just("link-out.txt".to_owned()),
        Just("dir-link-out".to_owned()),
        Just("parent-link".to_owned()),
        Just("secret.txt".to_owned()),
        Just("site".to_owned()),
        Just(".env".to_owned()),
        Just(".git".to_owned()),
        Just("docs".to_owned()),
        Just("hello.txt".to_owned()),
        "[a-z%./\\\\]{0,6}",
        any::<String>(),
    ];
    prop::collection::vec(piece, 0..8).prop_map(|pieces| format!("/{}", pieces.join("/")))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn parsed_paths_are_plain_names(raw in hostile_path()) {
        if let Ok(path) = SitePath::parse(&raw) {
            for name in path.segments() {
                prop_assert!(!name.is_empty());
                prop_assert!(name != "." && name != "..");
                prop_assert!(!name.contains(['/', '\\', '\0']), "{name:?}");
            }
        }
    }

    #[test]
    fn links_decode_back_to_their_names(
        name in "[^/\\\\\\x00]{1,40}".prop_filter("not . or ..", |n| n != "." && n != "..")
    ) {
        let parsed = SitePath::parse(&format!("/{}", encode_segment(&name))).unwrap();
        prop_assert_eq!(parsed.segments(), [name]);
    }

    #[test]
    fn ranges_stay_inside_the_file(header in "(?i)(bytes)?=?[0-9 ,-]{0,24}|.{0,30}", total in 0u64..10_000) {
        if let RangeRequest::Partial { start, len } = RangeRequest::parse(&header, total) {
            prop_assert!(len >= 1);
            prop_assert!(start.checked_add(len).is_some_and(|end| end <= total));
        }
    }

    #[test]
    fn rule_files_of_any_bytes_parse_without_a_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        for file in [REDIRECTS, HEADERS] {
            let (_, problems) = rules::parse(file, &bytes);
            let lines = bytes.split(|&b| b == b'\n').count();
            prop_assert!(problems.iter().all(|p| p.line.is_none_or(|l| l <= lines)));
        }
    }

    #[test]
    fn site_redirects_stay_on_the_site_whatever_the_rule_and_the_path(
        text in rule_text(),
        path in hostile_path(),
    ) {
        let (parsed, _) = rules::parse(REDIRECTS, text.as_bytes());
        let (headers, _) = rules::parse(HEADERS, text.as_bytes());
        let Ok(path) = SitePath::parse(&path) else { return Ok(()) };
        let mut response_headers = Vec::new();
        headers.headers.for_path(path.segments()).whole.apply(&mut response_headers);
        for (name, value) in &response_headers {
            prop_assert!(!rules::headers::RESERVED.contains(&name.as_ref()), "{name}");
            prop_assert!(value.bytes().all(|b| b == b'\t' || (b' '..=b'~').contains(&b)), "{value:?}");
        }
        if let Some(found) = parsed.redirects().find(path.segments()) {
            let location = found.location("", Some("q=1"));
            prop_assert!(location.bytes().all(|b| (b'!'..=b'~').contains(&b)), "{location:?}");
            if let Some(site) = found.site_path() {
                prop_assert!(site.starts_with('/') && !site.starts_with("//"), "{site:?}");
                prop_assert!(location.starts_with('/') && !location.starts_with("//"), "{location:?}");
                prop_assert!(!location.starts_with("/\\"), "{location:?}");
            }
        }
    }

    #[test]
    fn ranges_near_u64_max_stay_inside_the_file(a in any::<u64>(), b in any::<u64>(), total in any::<u64>()) {
        for header in [format!("bytes={a}-{b}"), format!("bytes={a}-"), format!("bytes=-{a}")] {
            if let RangeRequest::Partial { start, len } = RangeRequest::parse(&header, total) {
                prop_assert!(len >= 1);
                prop_assert!(start.checked_add(len).is_some_and(|end| end <= total));
            }
        }
    }
}

#[test]
fn no_path_reaches_outside_the_root() {
    // One fixture for all cases; each case is a request through the whole core.
    let fx = fixture();
    let configs = [
        Config::default(),
        Config::from_vars([("DOCROOT_LISTING", "on"), ("DOCROOT_INDEX", "none")]).unwrap(),
    ];
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 3000,
        ..ProptestConfig::default()
    });
    runner
        .run(&(hostile_path(), 0usize..2), |(raw, which)| {
            let r = run_with(&fx, &configs[which], &request("GET", &raw, &[]));
            prop_assert!(r.status < 500, "{raw:?}: {}", r.status);
            prop_assert!(!contains(&r.body, SECRET), "{raw:?} leaked the secret");
            prop_assert!(!contains(&r.body, HIDDEN), "{raw:?} leaked a dotfile");
            Ok(())
        })
        .unwrap();
}
