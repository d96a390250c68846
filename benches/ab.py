#!/usr/bin/env python3
"""Alternating A/B runs of wasi:http components under `wasmtime serve`.

    python3 benches/ab.py [--rounds 6] [--seconds 2] [--conns 1] [--serve-flags "..."] \
        [--big-mib N] BASE=WASM:PATH OTHER=WASM:PATH[:HEADER] ...

The first spec is the baseline. Every component is served (with a 1 KiB
`1k.html` in a temporary site preopened at `/`, and with --big-mib an
N MiB `big.bin` beside it), then `wrk` runs each spec in
turn, round after round, reversing the order every other round; each spec's
ratio to the baseline is taken within a round, and the median over rounds is
printed. For quick experiments while profiling; the full benchmark is
scripts/bench.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import free_port, wait_ready  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--seconds", type=int, default=2)
    ap.add_argument("--conns", type=int, default=1)
    ap.add_argument("--serve-flags", default="", help="extra wasmtime serve flags, for every server")
    ap.add_argument("--big-mib", type=int, default=0, help="also serve big.bin of this many MiB")
    ap.add_argument("specs", nargs="+", help="NAME=WASM:PATH[:HEADER]")
    args = ap.parse_args()
    specs = []
    for spec in args.specs:
        name, rest = spec.split("=", 1)
        wasm, path, *header = rest.split(":", 2)
        specs.append((name, wasm, path, header[0] if header else None))

    site = Path(tempfile.mkdtemp(prefix="docroot-ab-"))
    (site / "1k.html").write_bytes(b"x" * 1024)
    if args.big_mib:
        with open(site / "big.bin", "wb") as f:
            for _ in range(args.big_mib):
                f.write(os.urandom(1024 * 1024))
    env = {k: v for k, v in os.environ.items() if k != "RUST_BACKTRACE"}
    servers, ports = [], {}
    try:
        for wasm in sorted({s[1] for s in specs}):
            port = free_port()
            argv = ["wasmtime", "serve", "-S", "cli", *args.serve_flags.split(),
                    "--addr", f"127.0.0.1:{port}", "--dir", f"{site}::/", wasm]
            servers.append(subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env))
            ports[wasm] = port
            wait_ready(f"http://127.0.0.1:{port}/1k.html", proc=servers[-1])
        threads = "1" if args.conns == 1 else "2"
        rps = {name: [] for name, *_ in specs}
        for round_no in range(args.rounds):
            for name, wasm, path, header in specs if round_no % 2 == 0 else specs[::-1]:
                argv = ["wrk", "-t", threads, "-c", str(args.conns), "-d", f"{args.seconds}s"]
                if header:
                    argv += ["-H", header]
                out = subprocess.run(argv + [f"http://127.0.0.1:{ports[wasm]}{path}"],
                                     capture_output=True, text=True, check=True).stdout
                rps[name].append(float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)))
    finally:
        for server in servers:
            server.terminate()
    base = specs[0][0]
    for name, *_ in specs:
        ratio = statistics.median(a / b for a, b in zip(rps[name], rps[base]))
        print(f"{name:18} median {statistics.median(rps[name]):8.1f} req/s   vs {base}: {ratio:.3f}")


if __name__ == "__main__":
    main()
