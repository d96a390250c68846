//! How long a listing of 10,000 entries takes natively: rendering alone, and
//! the whole request (read_dir + a stat per entry + render) over a real
//! directory. Run with `cargo bench --bench listing`.

use docroot::config::Config;
use docroot::files::listing;
use docroot::fs::{Entry, Kind, Meta, StdFiles};
use docroot::http::{Body, Request};
use docroot::path::SitePath;
use std::time::{Duration, Instant, SystemTime};

const ENTRIES: usize = 10_000;
const RUNS: usize = 20;

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let entries: Vec<Entry> = (0..ENTRIES)
        .map(|i| Entry {
            name: format!("file <{i:05}> & co.txt"),
            meta: Meta {
                kind: if i % 10 == 0 { Kind::Dir } else { Kind::File },
                len: i as u64 * 37,
                modified: Some(SystemTime::now()),
                changed: None,
            },
        })
        .collect();
    let dir = SitePath::parse("/big/").unwrap();
    for json in [false, true] {
        let times = (0..RUNS)
            .map(|_| {
                let started = Instant::now();
                let page = listing::render("", "/big/", &dir, entries.clone(), false, json);
                assert!(page.body.len() > ENTRIES * 50);
                started.elapsed()
            })
            .collect();
        let form = if json { "JSON" } else { "HTML" };
        println!(
            "render {ENTRIES} entries ({form}): median {:?} of {RUNS}",
            median(times)
        );
    }

    let tmp = tempfile::tempdir().unwrap();
    for i in 0..ENTRIES {
        std::fs::write(tmp.path().join(format!("file <{i:05}> & co.txt")), b"x").unwrap();
    }
    let fs = StdFiles::new(tmp.path()).unwrap();
    let config = Config::from_vars([("DOCROOT_LISTING", "on")]).unwrap();
    let req = Request {
        method: "GET".into(),
        path_with_query: "/".into(),
        ..Request::default()
    };
    let times = (0..RUNS)
        .map(|_| {
            let started = Instant::now();
            let response =
                docroot::ready::run(docroot::app::handle(&req, &config, &fs, SystemTime::now));
            assert!(matches!(response.body, Body::Bytes(_)));
            started.elapsed()
        })
        .collect();
    println!(
        "GET / of a directory of {ENTRIES} files (std::fs): median {:?} of {RUNS}",
        median(times)
    );
}
