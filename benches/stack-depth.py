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
trap ("out of bounds memory access"), never a silent overwrite. It prints,
for each size and build, whether any request trapped.
"""

import argparse
import gzip
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import ROOT, free_port, guest_failures, wasmtime_server  # noqa: E402

DOCS = Path("/usr/share/doc/python3/html")
REQUESTS = [
    ("/page.html", "br"), ("/page.html", "gzip"), ("/big.html", "br"), ("/big.html", "gzip"),
    ("/huge.txt", "gzip"), ("/huge.txt", "br"), ("/only.txt", "identity"), ("/only.txt", "gzip"),
    ("/old/5/a/b/c", "br"), ("/spa/x/y", "br"), ("/nothere", "br"), ("/nothere", "gzip"),
    ("/h5/x", "br"), ("/__docroot/info", "br"),
]


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
    (site / "_headers").write_text("".join(f"/h{i}/*\n  X-Test-{i}: yes\n" for i in range(100)))


def ask(base):
    for path, coding in REQUESTS:
        for accept in ("text/html", "application/json"):
            for ranged in (False, True):
                headers = {"Accept-Encoding": coding, "Accept": accept}
                if ranged:
                    headers["Range"] = "bytes=10-99"
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
    p.add_argument("--sizes", default="65536,98304,131072")
    args = p.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="docroot-stack-"))
    try:
        make_site(tmp / "site")
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
                server = wasmtime_server(name, target / f"wasm32-wasip2/release/{name}.wasm", free_port(), tmp,
                                         tmp / "site")
                try:
                    server.ready("/page.html")
                    ask(server.base)
                finally:
                    server.stop(check=False)
                traps = guest_failures(server.output())
                cells.append(f"**{len(traps)} traps**" if traps else "no trap")
            print(f"| {size // 1024} | {cells[0]} | {cells[1]} |", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
