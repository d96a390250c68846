#!/usr/bin/env python3
"""Soak: concurrent keep-alive clients against docroot under `wasmtime serve`, `jco serve` or Spin.

    python3 benches/soak.py [--seconds 180] [--clients 16] [--max-requests N]
                            [--host wasmtime|wasmtime-p2|jco|spin] [--spin PATH]

The hosts: `wasmtime` runs docroot.wasm (WASI 0.3) on wasmtime serve's
defaults, where an instance serves up to 128 requests, 16 at a time;
`wasmtime-p2` runs docroot_p2.wasm, a fresh instance per request; `jco`
runs docroot_p2.wasm under jco serve, one instance for every request;
`spin` runs docroot.wasm under `spin up` (the Spin binary given by --spin,
built from source: see docs/hosts.md; never in CI), which reuses an
instance as wasmtime serve does but hands it its requests differently.

Serves a generated site on loopback and runs clients that each keep one
connection alive and cycle through a mix of requests (a small file, a 1 MiB
file, a range of it, a 304 revalidation, a precompressed file, a directory
redirect, a redirect and a rewrite of the site's own `_redirects` (with
`_headers` on every answer), a 404, the info page, and, four times in each cycle, the next of 64
files of 120 KiB: 7.5 MiB of files small enough for docroot.wasm's file
cache, more than one instance's cache may hold, so that it fills and evicts
within an instance's 128 requests), checking every status and body length.
Stops after the given seconds or requests, whichever comes first. Reports the
requests made, the unexpected answers (which must be 0) and the host's
resident memory, sampled through the run (the median reading of the last
third must not pass the median of the first third by more than 8 MiB, plus,
with docroot.wasm, two instances' linear memory: how many instances are
alive at a sampling moment varies by one or two, and each now holds its file
cache). Exits 1
if either does not hold. Under jco, one instance serves every request, so
its linear memory (from the access log's mem= field) must not grow either;
there the host's own resident memory is reported but not held to the limit,
because jco serve grows under load whatever it runs (benches/jco-memory.py
shows it with a 13-byte component). With docroot.wasm, no instance's linear
memory may pass the bound the end-to-end tests hold it to (8 MiB, with 16
downloads at once).
"""

import argparse
import http.client
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import (  # noqa: E402
    DOCROOT, DOCROOT_P2, MIB, free_port, guest_failures, jco_server, spin_server, wasmtime_server,
)

# Resident memory may move by allocator noise; more than this is growth.
GROWTH_LIMIT_KIB = 8 * 1024

# The most linear memory one reused docroot.wasm instance may reach, its
# file cache (at most 4 MiB) included.
LINEAR_MEMORY_BOUND_KIB = 8 * 1024

# Files small enough for the cache to hold, more of them than it may hold.
MANY_FILES, MANY_SIZE = 64, 120 * 1024


def make_site(site):
    site.mkdir()
    (site / "small.html").write_bytes(b"<p>small</p>\n" * 64)
    (site / "big.bin").write_bytes(os.urandom(MIB))
    (site / "app.js").write_bytes(b"console.log('soak');\n" * 50)
    (site / "app.js.gz").write_bytes(b"pretend gzip bytes")
    (site / "dir").mkdir()
    (site / "dir" / "index.html").write_bytes(b"<h1>dir</h1>\n")
    (site / "many").mkdir()
    for n in range(MANY_FILES):
        (site / "many" / f"{n}.bin").write_bytes(bytes([n]) * MANY_SIZE)
    # The site's rules, read by every request that goes to the files (the
    # first requests of each instance read them at once).
    (site / "_headers").write_text("/*\n  X-Soak: 1\n/dir/*\n  Cache-Control: no-cache\n")
    (site / "_redirects").write_text("/old /small.html 301\n/app/* /dir/index.html 200\n")


def mix(etag):
    """(method, path, headers, expected status, expected body length or None)."""
    return [
        ("GET", "/small.html", {}, 200, 13 * 64),
        ("GET", "/big.bin", {}, 200, MIB),
        ("GET", "/big.bin", {"Range": "bytes=1000-2999"}, 206, 2000),
        ("GET", "/big.bin", {"Range": "bytes=-100"}, 206, 100),
        ("GET", "/small.html", {"If-None-Match": etag}, 304, 0),
        ("HEAD", "/big.bin", {}, 200, 0),
        ("GET", "/app.js", {"Accept-Encoding": "gzip"}, 200, len(b"pretend gzip bytes")),
        ("GET", "/dir", {}, 301, 0),
        ("GET", "/dir/", {}, 200, 13),
        ("GET", "/old", {}, 301, 0),
        ("GET", "/app/deep/link", {}, 200, 13),
        ("GET", "/missing", {}, 404, None),
        ("GET", "/__info?format=json", {}, 200, None),
    ] + [("GET", "/many/{n}.bin", {}, 200, MANY_SIZE)] * 4


def linear_memory_kib(log):
    """The highest mem= in the access log `log` (linear memory never
    shrinks, so this is the instance's size), or None without one."""
    most = None
    for line in log.splitlines():
        _, sep, rest = line.rpartition(" mem=")
        if sep and rest.strip().endswith("KiB"):
            value = int(rest.strip()[:-3])
            most = value if most is None else max(most, value)
    return most


def client(port, requests, deadline, budget, stats, lock, offset):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    i = offset
    while time.monotonic() < deadline:
        with lock:
            if budget[0] <= 0:
                break
            budget[0] -= 1
        method, path, headers, status, length = requests[i % len(requests)]
        path = path.replace("{n}", str(i % MANY_FILES))
        i += 1
        try:
            conn.request(method, path, headers=headers)
            resp = conn.getresponse()
            body = resp.read()
            ok = resp.status == status and (length is None or len(body) == length)
            detail = f"{method} {path} {headers}: {resp.status}, {len(body)} bytes"
        except (OSError, http.client.HTTPException) as e:
            ok, detail = False, f"{method} {path}: {e!r}"
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        with lock:
            stats["requests"] += 1
            if not ok:
                stats["unexpected"] += 1
                if len(stats["examples"]) < 5:
                    stats["examples"].append(detail)
    conn.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=180)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--max-requests", type=int, default=2_000_000)
    ap.add_argument("--host", choices=["wasmtime", "wasmtime-p2", "jco", "spin"], default="wasmtime")
    ap.add_argument("--spin", help="the Spin binary, for --host spin")
    ap.add_argument("--component", help="serve this component instead of the host's default build")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="docroot-soak-"))
    site = tmp / "site"
    make_site(site)
    port = free_port()
    if args.host == "jco":
        server = jco_server("docroot", args.component or DOCROOT_P2, port, tmp, site,
                            env={"DOCROOT_ACCESS_LOG": "on"})
    elif args.host == "spin":
        if not args.spin:
            ap.error("--host spin needs --spin PATH (a Spin binary)")
        server = spin_server("docroot", args.spin, args.component or DOCROOT, port, tmp, site,
                             env=[("DOCROOT_ACCESS_LOG", "on")])
    elif args.host == "wasmtime-p2":
        server = wasmtime_server("docroot", args.component or DOCROOT_P2, port, tmp, site)
    else:
        server = wasmtime_server("docroot", args.component or DOCROOT, port, tmp, site,
                                 env=[("DOCROOT_ACCESS_LOG", "on")])
    try:
        server.ready("/small.html")
        conn = http.client.HTTPConnection("127.0.0.1", port)
        conn.request("GET", "/small.html")
        resp = conn.getresponse()
        resp.read()
        etag = resp.getheader("etag")
        requests = mix(etag)
        lock = threading.Lock()

        def run(seconds, budget, stats):
            deadline = time.monotonic() + seconds
            threads = [
                threading.Thread(target=client, args=(port, requests, deadline, budget, stats, lock, n))
                for n in range(args.clients)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()

        # Warm up with the same concurrency (the host's pools and buffers
        # reach their working size), then take the baseline.
        warm = {"requests": 0, "unexpected": 0, "examples": []}
        run(min(10.0, args.seconds / 2), [args.max_requests], warm)
        time.sleep(1)
        rss_start = server.group_rss_kib()
        mem_start = linear_memory_kib(server.output())

        stats = {"requests": 0, "unexpected": 0, "examples": []}
        # The host's resident memory, sampled through the run: one reading
        # swings by several MiB as the allocator takes and returns buffers
        # (1 MiB bodies) and as instances come and go, so growth is judged
        # between the medians of the first and last thirds of the run.
        samples = []
        sampling = threading.Event()

        def sample():
            while not sampling.wait(0.25):
                samples.append((time.monotonic(), server.group_rss_kib()))

        sampler = threading.Thread(target=sample)
        sampler.start()
        started = time.monotonic()
        try:
            run(args.seconds, [args.max_requests], stats)
        finally:
            sampling.set()
            sampler.join()
        elapsed = time.monotonic() - started
        time.sleep(1)
        rss_end = server.group_rss_kib()
        mem_end = linear_memory_kib(server.output())
        alive = server.proc.poll() is None
    finally:
        # Its output is judged below, with the rest of the report.
        server.stop(check=False)

    third = elapsed / 3
    first = [kib for t, kib in samples if t - started <= third] or [rss_start]
    last = [kib for t, kib in samples if t - started >= 2 * third] or [rss_end]
    # Growth is judged by the median of each third: a peak swings by several
    # MiB with the bodies in flight (16 clients, 120 KiB and 1 MiB bodies),
    # while a leak moves the whole last third up.
    early, late = statistics.median(first), statistics.median(last)
    log = server.output()
    failures = [l for l in log.splitlines() if "docroot: 5" in l or "response aborted" in l]
    # A guest panic or trap fails the soak even when every answer was right.
    failures += guest_failures(log)
    report = {
        "seconds": round(elapsed, 1),
        "clients": args.clients,
        "requests": stats["requests"],
        "requests_per_second": round(stats["requests"] / elapsed),
        "unexpected": stats["unexpected"] + warm["unexpected"],
        "examples": stats["examples"],
        "server_failure_lines": failures[:5],
        "host": args.host,
        "host_rss_kib": {"after_warm_up": rss_start, "end": rss_end,
                         "first_third_max": max(first), "last_third_max": max(last),
                         "first_third_median": early, "last_third_median": late,
                         "growth": late - early},
        "server_alive": alive,
    }
    if mem_start is not None:
        report["instance_linear_memory_kib"] = {"after_warm_up": mem_start, "end": mem_end}
    # Instances of docroot.wasm hold up to their linear memory each, and one
    # or two more or fewer may be alive when a sample is taken.
    reused = args.host in ("wasmtime", "spin")
    limit = GROWTH_LIMIT_KIB + 2 * (mem_end or 0 if reused else 0)
    report["host_rss_kib"]["growth_limit"] = limit
    print(json.dumps(report, indent=2))
    ok = (
        stats["unexpected"] + warm["unexpected"] == 0
        and not failures
        and alive
        and (args.host == "jco" or late - early <= limit)
        and (args.host != "jco" or (mem_start is not None and mem_end <= mem_start))
        and (not reused or (mem_end is not None and mem_end <= LINEAR_MEMORY_BOUND_KIB))
    )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
