#!/usr/bin/env python3
"""How much stack docroot's requests need: the evidence for glue/stack.rs.

    python3 benches/stack-depth.py [--sizes 65536,98304,131072]

Builds both components once per stack size (DOCROOT_BENCH_STACK_BYTES, read
by glue/stack.rs; target/stack-depth-N), then serves, under `wasmtime
serve`, a site made to reach the deep paths: brotli and gzip on a page of
83 KiB and one of 128 KiB, gzip while streaming 6 MiB, a `.gz`-only file
decoded, a 404 page and the info page coded with brotli, `_redirects` of
2,000 rules and `_headers` of 100, each asked as HTML and as JSON, whole
and as a range. With the stack first in memory, a stack too small is a
trap ("out of bounds memory access"), never a silent overwrite. The site
also has a listing of 1,000 names (`DOCROOT_LISTING=on`) and a path
protected by `Basic-Auth`, asked without, with a wrong and with the right
password; a second server serves the page from a tree packed by
docroot-pack (its manifest and siblings). It prints, for each size and
build, whether any request trapped.
"""

import argparse
import base64
import gzip
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import PACK, ROOT, free_port, guest_failures, wait_listening, wasmtime_server  # noqa: E402

DOCS = Path("/usr/share/doc/python3/html")
REQUESTS = [
    ("/page.html", "br"), ("/page.html", "gzip"), ("/big.html", "br"), ("/big.html", "gzip"),
    ("/huge.txt", "gzip"), ("/huge.txt", "br"), ("/only.txt", "identity"), ("/only.txt", "gzip"),
    ("/old/5/a/b/c", "br"), ("/spa/x/y", "br"), ("/nothere", "br"), ("/nothere", "gzip"),
    ("/h5/x", "br"), ("/__docroot/info", "br"), ("/dir/", "br"), ("/dir/", "gzip"),
    ("/secret/page.html", "br"),
]
PASSWORDS = [None, "alice:wrong", "alice:correct-horse"]


def make_site(site):
    site.mkdir()
    page = (DOCS / "library/email.headerregistry.html").read_bytes()
    big = (DOCS / "library/stdtypes.html").read_bytes()
    (site / "page.html").write_bytes(page)
    (site / "big.html").write_bytes(big[: 128 * 1024])
    (site / "huge.txt").write_bytes((big * 40)[: 6 * 1024 * 1024])
    (site / "only.txt.gz").write_bytes(gzip.compress(big * 5))
    (site / "_redirects").write_text(
        "".join(f"/old/{i}/* /new/{i}/:splat 301\n" for i in range(2000)) + "/spa/* /page.html 200\n")
    (site / "_headers").write_text("".join(f"/h{i}/*\n  X-Test-{i}: yes\n" for i in range(100))
                                   + "/secret/*\n  Basic-Auth: alice:correct-horse\n")
    (site / "dir").mkdir()
    for n in range(1000):
        (site / "dir" / f"entry {n:04d} <&> \u00fc.html").write_bytes(b"x")
    (site / "secret").mkdir()
    (site / "secret/page.html").write_bytes(page)


def make_packed(tmp):
    """The page in a tree packed by docroot-pack: a manifest and siblings."""
    src, packed = tmp / "pack-src", tmp / "packed"
    src.mkdir()
    shutil.copyfile(DOCS / "library/email.headerregistry.html", src / "page.html")
    subprocess.run([str(PACK), str(src), str(packed)], check=True, capture_output=True)
    return packed


def ask(base, requests):
    for path, coding in requests:
        for accept, ranged, password in itertools.product(
                ("text/html", "application/json"), (False, True),
                PASSWORDS if path.startswith("/secret/") else [None]):
            headers = {"Accept-Encoding": coding, "Accept": accept}
            if ranged:
                headers["Range"] = "bytes=10-99"
            if password:
                headers["Authorization"] = "Basic " + base64.b64encode(password.encode()).decode()
            req = urllib.request.Request(base + path, headers=headers)
            try:
                with urllib.request.urlopen(req, timeout=60) as r:
                    r.read()
            except urllib.error.HTTPError as e:
                e.read()
            except OSError:
                pass  # a trapped instance drops the connection: the log says so


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="16384,32768")
    args = p.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="docroot-stack-"))
    try:
        make_site(tmp / "site")
        packed = make_packed(tmp)
        print("| stack (KiB) | docroot.wasm | docroot_p2.wasm |")
        print("| ---: | --- | --- |")
        for size in [int(s) for s in args.sizes.split(",")]:
            target = ROOT / f"target/stack-depth-{size}"
            subprocess.run(
                ["cargo", "build", "--locked", "--release", "--quiet", "--target", "wasm32-wasip2",
                 "-p", "docroot-p3", "-p", "docroot-p2", "--target-dir", str(target)],
                cwd=ROOT, check=True, env={**os.environ, "DOCROOT_BENCH_STACK_BYTES": str(size)})
            cells = []
            for name in ("docroot", "docroot_p2"):
                wasm = target / f"wasm32-wasip2/release/{name}.wasm"
                traps = []
                for site, env, requests in [(tmp / "site", [("DOCROOT_LISTING", "on")], REQUESTS),
                                            (packed, [], [("/page.html", "br"), ("/page.html", "gzip")])]:
                    server = wasmtime_server(name, wasm, free_port(), tmp, site, env=env)
                    try:
                        # Not an HTTP probe: with too small a stack, every request may trap.
                        wait_listening(server.port, server.proc)
                        ask(server.base, requests)
                    finally:
                        server.stop(check=False)
                    traps += guest_failures(server.output())
                cells.append(f"**{len(traps)} traps**" if traps else "no trap")
            print(f"| {size // 1024} | {cells[0]} | {cells[1]} |", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
