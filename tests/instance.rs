//! One WASI 0.3 instance, shared. wasmtime serve runs `docroot.wasm` on its
//! defaults: one instance serves up to 128 requests, up to 16 at a time, so
//! requests share its memory, its configuration and its root descriptor.
//! These tests load one such server with requests at once and check every
//! answer, the instance's memory, and that one request's failure or stall
//! touches no other.

mod common;

use common::hosts::Host;
use common::{Reply, Server, big_bytes, client, fixture, memory_fields};
use std::io::Write;
use std::sync::Barrier;
use std::time::{Duration, Instant};

/// A request: method, target and extra headers.
type Req<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str)>);

/// Status, body and docroot's own headers (not the host's `Date`).
fn answer(reply: &Reply) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let headers = reply
        .headers
        .iter()
        .filter(|(name, _)| name != "date" && name != "connection")
        .cloned()
        .collect();
    (reply.status, headers, reply.body.clone())
}

#[test]
fn thirty_two_mixed_requests_at_once_are_each_answered_right() {
    let fx = fixture();
    // The access log shows when every request is done (below).
    let env = [("DOCROOT_LISTING", "on"), ("DOCROOT_ACCESS_LOG", "on")];
    let server = Host::Wasmtime.start(&fx.root(), &env);
    let etag = server.get("/hello.txt").header("etag").unwrap().to_owned();
    let requests: Vec<Req> = vec![
        ("GET", "/hello.txt", vec![]),
        ("GET", "/big.bin", vec![]),
        ("GET", "/big.bin", vec![("Range", "bytes=1048576-1114111")]),
        ("GET", "/hello.txt", vec![("If-None-Match", &etag)]),
        ("GET", "/__info?format=json", vec![("X-Test", "1")]),
        ("GET", "/docs/", vec![]),
        ("GET", "/docs/", vec![("Accept", "application/json")]),
        ("GET", "/docs", vec![]),
        ("GET", "/missing", vec![]),
        ("GET", "/%2e%2e/secret.txt", vec![]),
        ("GET", "/link-out.txt", vec![]),
        ("GET", "/fifo", vec![]),
        ("DELETE", "/hello.txt", vec![]),
        ("HEAD", "/big.bin", vec![]),
        ("GET", "/app.js", vec![("Accept-Encoding", "br")]),
        ("GET", "/big.bin", vec![("Range", "bytes=99999999-")]),
    ];
    // The answers one at a time are the reference (the info page's date
    // may change between two answers, so it is compared without its body).
    let reference: Vec<_> = requests
        .iter()
        .map(|(m, t, h)| answer(&server.request(m, t, h)))
        .collect();
    let clients = 32;
    let rounds = 3;
    let start = Barrier::new(clients);
    std::thread::scope(|s| {
        for c in 0..clients {
            let (server, requests, reference, start) = (&server, &requests, &reference, &start);
            s.spawn(move || {
                start.wait();
                for round in 0..rounds {
                    let i = (c + round * 7) % requests.len();
                    let (method, target, headers) = &requests[i];
                    let got = answer(&server.request(method, target, headers));
                    let want = &reference[i];
                    assert_eq!(got.0, want.0, "{method} {target}");
                    if target.starts_with("/__info") {
                        assert!(String::from_utf8_lossy(&got.2).contains("\"x-test\""));
                    } else {
                        assert_eq!(got.1, want.1, "{method} {target}");
                        assert!(got.2 == want.2, "{method} {target}: another body");
                    }
                }
            });
        }
    });
    // A request's access-log line comes after anything else docroot writes
    // about it (an aborted response's line first): once every request has
    // its line, none of them has a line still to come.
    let sent = 1 + requests.len() + clients * rounds;
    let deadline = Instant::now() + Duration::from_secs(30);
    while memory_fields(&server.output()).len() < sent {
        assert!(
            Instant::now() < deadline,
            "{} of {sent} access-log lines:\n{}",
            memory_fields(&server.output()).len(),
            server.output()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = server.output();
    assert!(!out.contains("response aborted"), "{out}");
    assert!(!out.to_lowercase().contains("trap"), "{out}");
}

/// A file of `len` bytes, the fixture's large file repeated, so every
/// offset has a known byte.
fn patterned_file(path: &std::path::Path, len: usize) -> Vec<u8> {
    let pattern = big_bytes();
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut left = len;
    while left > 0 {
        let n = left.min(pattern.len());
        file.write_all(&pattern[..n]).unwrap();
        left -= n;
    }
    file.flush().unwrap();
    pattern
}

/// Reads a response body of `len` bytes from `conn` (the head already
/// read) and checks each byte against `pattern` repeated; a failure shows
/// what `server` printed.
fn read_patterned(server: &Server, conn: &mut client::Conn, len: usize, pattern: &[u8]) {
    let mut at = 0;
    while at < len {
        let chunk = conn.read_some(256 * 1024);
        assert!(
            !chunk.is_empty(),
            "the body ended after {at} of {len} bytes; the server's output:\n{}",
            server.output()
        );
        for piece in chunk.chunks(4096) {
            let mut checked = 0;
            while checked < piece.len() {
                let offset = (at + checked) % pattern.len();
                let n = (piece.len() - checked).min(pattern.len() - offset);
                assert!(
                    piece[checked..checked + n] == pattern[offset..offset + n],
                    "a wrong byte near offset {}",
                    at + checked
                );
                checked += n;
            }
            at += piece.len();
        }
    }
    assert_eq!(at, len, "more bytes than the Content-Length");
}

/// The size of each of the concurrent downloads.
const DOWNLOAD_LEN: usize = 256 * 1024 * 1024;

/// The bound on the instance's linear memory while it streams 16 such
/// downloads at once: each holds one 256 KiB chunk, so 4 MiB, plus the
/// component's own 1 MiB or so.
const LINEAR_MEMORY_BOUND_KIB: u64 = 8 * 1024;

#[test]
fn sixteen_downloads_at_once_arrive_whole_in_bounded_memory() {
    let fx = fixture();
    let pattern = patterned_file(&fx.root().join("huge.bin"), DOWNLOAD_LEN);
    let server = Host::Wasmtime.start(&fx.root(), &[("DOCROOT_ACCESS_LOG", "on")]);
    let mut resident = Vec::new();
    for _ in 0..2 {
        // Each request is sent and its head read before the next is sent:
        // the handler has returned by then, so the instance is free and
        // wasmtime hands it the next one. All 16 bodies then stream at
        // once from one instance.
        let mut conns: Vec<client::Conn> = (0..16)
            .map(|_| {
                let mut conn = server.conn();
                conn.send_request("GET", "/huge.bin", &[], true);
                let head = conn.read_head();
                assert!(head.starts_with("HTTP/1.1 200"), "{head}");
                assert_eq!(
                    client::head_value(&head, "content-length"),
                    Some(DOWNLOAD_LEN.to_string().as_str())
                );
                conn
            })
            .collect();
        std::thread::scope(|s| {
            for conn in &mut conns {
                let (pattern, server) = (&pattern, &server);
                s.spawn(move || read_patterned(server, conn, DOWNLOAD_LEN, pattern));
            }
        });
        let done = server.wait_for_within(&["GET /huge.bin 200"], Duration::from_secs(30));
        assert!(!done.contains("response aborted"), "{done}");
        resident.push(server.resident_kib());
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    let memory = loop {
        let memory = memory_fields(&server.output());
        if memory.len() >= 32 || Instant::now() > deadline {
            break memory;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(memory.len(), 32, "{}", server.output());
    let most = memory.iter().max().unwrap();
    eprintln!("linear memory {memory:?}; host {resident:?} KiB");
    assert!(
        *most <= LINEAR_MEMORY_BOUND_KIB,
        "the instance grew to {most} KiB of linear memory"
    );
    // The host's memory is flat: the second 4 GiB left it no larger.
    assert!(
        resident[1] <= resident[0] + 32 * 1024,
        "the host grew from {} to {} KiB",
        resident[0],
        resident[1]
    );
}

#[test]
fn a_failure_in_one_request_leaves_the_others_in_its_instance_whole() {
    let fx = fixture();
    let len = 64 * 1024 * 1024;
    let pattern = patterned_file(&fx.root().join("huge.bin"), len);
    let cut = std::fs::File::create(fx.root().join("cut.bin")).unwrap();
    cut.set_len(len as u64).unwrap();
    let server = Host::Wasmtime.start(&fx.root(), &[("DOCROOT_ACCESS_LOG", "on")]);
    let open = |target: &str| {
        let mut conn = server.conn();
        conn.send_request("GET", target, &[], true);
        let head = conn.read_head();
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        conn
    };
    // Started one after another, so one instance runs them all at once
    // (see sixteen_downloads_at_once_arrive_whole_in_bounded_memory).
    let mut whole: Vec<client::Conn> = (0..4).map(|_| open("/huge.bin")).collect();
    let mut truncated = open("/cut.bin");
    let mut leaving = open("/huge.bin");
    std::thread::scope(|s| {
        for conn in &mut whole {
            let (pattern, server) = (&pattern, &server);
            s.spawn(move || read_patterned(server, conn, len, pattern));
        }
        // Meanwhile, three kinds of failure in the same instance: a file
        // cut short while it is sent, a client that leaves mid-body, and
        // hostile requests.
        let _ = truncated.read_some(64 * 1024);
        cut.set_len(1024 * 1024).unwrap();
        let rest = truncated.read_to_close();
        assert!(rest.len() < len, "a cut file must not look complete");
        let _ = leaving.read_some(64 * 1024);
        drop(leaving);
        for &(target, status) in common::HOSTILE_TARGETS {
            let raw = server.raw(
                format!("GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
            );
            let reply = Reply::parse(&raw, false).expect("an answer");
            assert_eq!(reply.status, status, "{target}");
        }
    });
    server.wait_for_within(
        &[
            "docroot: GET /cut.bin: response aborted",
            "docroot: GET /huge.bin: response aborted",
        ],
        Duration::from_secs(30),
    );
    // The four whole downloads are logged as complete (each line once its
    // task has finished, which may be just after the client has the last
    // byte). (That the instance never trapped, the harness checks for
    // every server: `common::guest_failures`.)
    let complete = format!("GET /huge.bin 200 {len} ");
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.output().matches(&complete).count() < 4 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = server.output();
    assert_eq!(out.matches(&complete).count(), 4, "{out}");
    assert_eq!(server.get("/hello.txt").text(), "hello\n");
}

#[test]
fn a_bad_configuration_answers_every_request_of_the_instance() {
    let fx = fixture();
    let server = Host::Wasmtime.start(&fx.root(), &[("DOCROOT_LISTING", "maybe")]);
    let start = Barrier::new(16);
    std::thread::scope(|s| {
        for _ in 0..16 {
            let (server, start): (&Server, _) = (&server, &start);
            s.spawn(move || {
                start.wait();
                for target in ["/", "/hello.txt", "/__info"] {
                    let r = server.get(target);
                    assert_eq!(r.status, 500, "{target}");
                    assert!(r.text().contains("DOCROOT_LISTING"), "{target}");
                }
            });
        }
    });
}

#[test]
fn a_small_body_is_taken_by_the_host_though_the_client_reads_nothing() {
    // docroot.wasm writes a body of at most 16 KiB without a stall timer,
    // because the host takes it into its own buffers and the connection's
    // (Linux starts a socket's send buffer at 16 KiB, and the client's
    // receive window adds more) whether or not the client reads. This
    // holds wasmtime serve to that: clients that send requests and read
    // nothing still get every small response completed, up to a body of
    // exactly 16 KiB (the access log counts the bytes the host took).
    let fx = fixture();
    std::fs::write(fx.root().join("sixteen.bin"), vec![b'x'; 16 * 1024]).unwrap();
    let server = Host::Wasmtime.start(&fx.root(), &[("DOCROOT_ACCESS_LOG", "on")]);
    let mut silent: Vec<client::Conn> = (0..8).map(|_| server.conn()).collect();
    for conn in &mut silent {
        conn.send_request("GET", "/hello.txt", &[], false);
        conn.send_request("GET", "/__info", &[], false);
        conn.send_request("GET", "/sixteen.bin", &[], false);
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let out = server.output();
        let files = out.matches("GET /hello.txt 200 6 ").count();
        let pages = out.matches("GET /__info 200 ").count();
        let largest = out.matches("GET /sixteen.bin 200 16384 ").count();
        if files == 8 && pages == 8 && largest == 8 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{files} files, {pages} pages and {largest} 16 KiB files of 8 completed:\n{out}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(silent);
}

/// The cache's recheck interval on docroot's defaults (`DOCROOT_FILE_CACHE`).
const RECHECK: Duration = Duration::from_secs(1);

/// Asks `server` for `target` until `fresh` holds for the answer, and
/// returns it. Before `changed` + [`RECHECK`] any answer may come; a request
/// that starts a whole interval after the change must get a fresh one (a
/// busy machine only makes the wait longer, never shorter), so this asks
/// on no deadline but that.
fn asked_until_fresh(
    server: &Server,
    target: &str,
    changed: Instant,
    what: &str,
    fresh: impl Fn(&Reply) -> bool,
) -> Reply {
    loop {
        let started = Instant::now();
        let reply = server.get(target);
        if fresh(&reply) {
            return reply;
        }
        assert!(
            started < changed + RECHECK,
            "{what}: a request that started {:?} after the change got the old answer \
             (status {})",
            started - changed,
            reply.status
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_file_changed_on_disk_is_served_new_once_the_recheck_interval_has_passed() {
    let fx = fixture();
    let server = Host::Wasmtime.start(&fx.root(), &[]);
    let path = fx.root().join("hello.txt");
    let mut old = server.get("/hello.txt").body;
    for round in 0..3 {
        // Asked again and again, it is held by the instance…
        for _ in 0..5 {
            assert_eq!(server.get("/hello.txt").body, old);
        }
        // …and once the file changes, any request that starts a whole
        // interval later gets the new bytes.
        let new = format!("changed {round}: {}\n", "x".repeat(round * 7)).into_bytes();
        std::fs::write(&path, &new).unwrap();
        let changed = Instant::now();
        let reply = asked_until_fresh(&server, "/hello.txt", changed, "changed", |r| r.body != old);
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body, new, "round {round}");
        assert_eq!(
            reply.header("content-length"),
            Some(new.len().to_string().as_str())
        );
        old = new;
    }
    std::fs::remove_file(&path).unwrap();
    let removed = Instant::now();
    let reply = asked_until_fresh(&server, "/hello.txt", removed, "removed", |r| {
        r.status != 200
    });
    assert_eq!(reply.status, 404);
}

#[test]
fn with_the_cache_off_a_change_is_served_at_once() {
    let fx = fixture();
    let server = Host::Wasmtime.start(&fx.root(), &[("DOCROOT_FILE_CACHE", "off")]);
    let path = fx.root().join("hello.txt");
    for round in 0..5 {
        let new = format!("at once {round}\n").into_bytes();
        std::fs::write(&path, &new).unwrap();
        assert_eq!(server.get("/hello.txt").body, new, "round {round}");
    }
}

/// What the cache may add to an instance's linear memory: its stated total
/// (`docroot::cache::MAX_TOTAL`, 4 MiB) on top of what an instance uses
/// without it (at most 2 MiB in the access logs here), with room for the
/// allocator's slack.
const CACHE_MEMORY_BOUND_KIB: u64 = 8 * 1024;

#[test]
fn the_cache_keeps_to_its_bound_when_the_site_is_bigger() {
    let fx = fixture();
    // 96 files of 100 KiB: 9.4 MiB, all small enough to hold, more than
    // twice what one instance may hold.
    let files = 96;
    for n in 0..files {
        std::fs::write(
            fx.root().join(format!("f{n}.bin")),
            vec![n as u8; 100 * 1024],
        )
        .unwrap();
    }
    let server = Host::Wasmtime.start(&fx.root(), &[("DOCROOT_ACCESS_LOG", "on")]);
    for round in 0..2 {
        for n in 0..files {
            let reply = server.get(&format!("/f{n}.bin"));
            assert_eq!(reply.status, 200);
            assert!(
                reply.body.iter().all(|b| *b == n as u8),
                "f{n}, round {round}"
            );
            assert_eq!(reply.body.len(), 100 * 1024);
        }
    }
    let output = server.wait_for_within(
        &[&format!("GET /f{}.bin 200", files - 1)],
        Duration::from_secs(30),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let memory = loop {
        let memory = memory_fields(&server.output());
        if memory.len() >= 2 * files || Instant::now() > deadline {
            break memory;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(memory.len(), 2 * files, "{output}");
    let most = *memory.iter().max().unwrap();
    eprintln!("linear memory, most: {most} KiB");
    assert!(
        most <= CACHE_MEMORY_BOUND_KIB,
        "an instance grew to {most} KiB of linear memory"
    );
}

/// How much the host's resident memory may grow while one instance codes
/// a 256 MiB text file as it streams it.
const CODED_STREAM_HOST_GROWTH_KIB: u64 = 16 * 1024;

#[test]
fn a_256_mib_text_file_is_gzip_coded_as_it_streams_in_bounded_memory() {
    use common::coded::{decode, page_text};
    let fx = fixture();
    // 1 MiB of markup, repeated: gzip's 32 KiB window sees no repeat.
    let unit = page_text(1024 * 1024, 77);
    let len = DOWNLOAD_LEN;
    {
        let mut file =
            std::io::BufWriter::new(std::fs::File::create(fx.root().join("huge.txt")).unwrap());
        for _ in 0..len / unit.len() {
            file.write_all(&unit).unwrap();
        }
        file.flush().unwrap();
    }
    let server = Host::Wasmtime.start(&fx.root(), &[("DOCROOT_ACCESS_LOG", "on")]);
    assert_eq!(server.get("/hello.txt").status, 200);
    let before = server.resident_kib();
    let mut conn = server.conn();
    conn.send_request(
        "GET",
        "/huge.txt",
        &[("Accept-Encoding", "gzip, deflate, br, zstd")],
        true,
    );
    let head = conn.read_head();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert_eq!(client::head_value(&head, "content-encoding"), Some("gzip"));
    assert_eq!(
        client::head_value(&head, "transfer-encoding"),
        Some("chunked")
    );
    let raw = conn.read_to_close_within(Duration::from_secs(300));
    let after = server.resident_kib();
    let reply = Reply::parse(
        &[format!("{head}\r\n\r\n").as_bytes(), &raw[..]].concat(),
        false,
    )
    .expect("a whole chunked body");
    let body = decode(Some("gzip"), &reply.body);
    assert_eq!(body.len(), len);
    assert!(
        body.chunks(unit.len()).all(|c| c == &unit[..]),
        "every byte"
    );
    let output = server.wait_for_within(&["GET /huge.txt 200"], Duration::from_secs(30));
    let memory = memory_fields(&output);
    let most = memory.iter().max().copied().unwrap_or(0);
    eprintln!(
        "coded {} MiB into {} MiB; host {before} -> {after} KiB; linear memory {memory:?} KiB",
        len >> 20,
        reply.body.len() >> 20
    );
    assert!(
        most <= LINEAR_MEMORY_BOUND_KIB,
        "{most} KiB of linear memory"
    );
    assert!(
        after <= before + CODED_STREAM_HOST_GROWTH_KIB,
        "the host grew from {before} to {after} KiB"
    );
}
