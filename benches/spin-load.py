#!/usr/bin/env python3
"""Concurrent load on docroot.wasm under a real Spin: every answer 2xx, no guest panic.

    python3 benches/spin-load.py --spin PATH [--component WASM ...] [--rounds 3]
                                 [--seconds 3] [--connections 32] [--rules]

Needs a Spin binary, which no registry has (docs/hosts.md says how the
project builds one from source); never part of CI. For each component
(default: target/wasm32-wasip2/release/docroot.wasm) it writes a Spin app
serving a site of a 1 KiB file and a 64 KiB page (with --rules, also the
site's own `_headers` and `_redirects`, so every request reads them),
starts `spin up` on a free port (benches/run.py's `spin_server`: the site
copied, as Spin does by default), and runs wrk with 32 keep-alive
connections for `--rounds` runs of `--seconds` on each file in turn. It
reports the requests, the answers that were not 2xx, wrk's socket errors,
and the lines of Spin's output and of the component's logs (`.spin/logs/`)
that say a guest panicked or trapped (tests/guest-failures.txt), and exits
1 unless every answer was 2xx, with no socket error and no such line. This
is issue 27's check; the build before its fix fails it (BENCHMARKS.md,
"Concurrent load under Spin").
"""

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import ROOT, free_port, guest_failures, spin_server  # noqa: E402

FILES = {"1k.html": 1024, "page.html": 64 * 1024}


def make_site(site, rules):
    site.mkdir(parents=True)
    (site / "1k.html").write_bytes(b"x" * FILES["1k.html"])
    line = b"<p>A page of the site, long enough to be worth coding on the fly.</p>\n"
    page = (line * (FILES["page.html"] // len(line) + 1))[: FILES["page.html"]]
    (site / "page.html").write_bytes(page)
    if rules:
        (site / "_headers").write_text("/*\n  X-Frame-Options: DENY\n/page.html\n  Cache-Control: no-cache\n")
        (site / "_redirects").write_text("/old /page.html 301\n/app/* /1k.html 200\n")


def run_wrk(url, connections, seconds):
    """Requests made and answers not 2xx (wrk counts 3xx with them; this
    site has none on these paths)."""
    out = subprocess.run(
        ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", url],
        capture_output=True, text=True, check=True,
    ).stdout
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return requests, int(bad.group(1)) if bad else 0, errors.group(1) if errors else ""


def load(spin, component, args):
    tmp = Path(tempfile.mkdtemp(prefix="docroot-spin-load-"))
    try:
        make_site(tmp / "site", args.rules)
        server = spin_server("docroot", spin, component, free_port(), tmp, tmp / "site")
        try:
            server.ready("/1k.html")
            total = bad = 0
            socket_errors = []
            for round_no in range(args.rounds):
                for name in FILES:
                    r, b, e = run_wrk(f"{server.base}/{name}", args.connections, args.seconds)
                    total, bad = total + r, bad + b
                    if e:
                        socket_errors.append(f"{name}: {e}")
                    print(f"  round {round_no + 1} /{name}: {r} requests, {b} not 2xx", file=sys.stderr)
        finally:
            server.stop(check=False)
        return total, bad, socket_errors, guest_failures(server.output())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spin", required=True, help="the Spin binary")
    ap.add_argument("--component", action="append", default=[])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=3)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--rules", action="store_true", help="give the site _headers and _redirects")
    args = ap.parse_args()
    components = args.component or [str(ROOT / "target/wasm32-wasip2/release/docroot.wasm")]
    version = subprocess.run([args.spin, "--version"], capture_output=True, text=True).stdout.strip()
    print(f"{version}; {args.connections} connections, {args.rounds} x {args.seconds} s on each of "
          f"{', '.join(FILES)}{', with the site rules' if args.rules else ''}")
    ok = True
    for component in components:
        total, bad, socket_errors, panics = load(args.spin, component, args)
        panicked = sum("panicked at" in line for line in panics)
        print(f"{component}: {total} requests, {bad} not 2xx, {panicked} guest panics "
              f"({len(panics)} lines naming a panic or trap)")
        for line in socket_errors:
            print(f"  socket errors: {line}")
        for line in panics[:5]:
            print(f"  {line}")
        # A socket error is an answer lost too (a trap resets the
        # connections of its instance).
        ok = ok and bad == 0 and not panics and not socket_errors
        time.sleep(1)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
