//! Property tests: for any input, the path parser yields only plain names
//! (or refuses), requests never reach outside the root, listing links decode
//! back to their names, and the range parser never leaves the file.

mod common;

use common::inproc::{request, run_with};
use common::{HIDDEN, SECRET, contains, fixture};
use docroot::config::Config;
use docroot::files::range::RangeRequest;
use docroot::path::{SitePath, encode_segment};
use proptest::prelude::*;

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
