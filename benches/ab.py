#!/usr/bin/env python3
"""Alternating A/B runs of wasi:http components under `wasmtime serve`.

    python3 benches/ab.py [--rounds 6] [--seconds 2] [--conns 1] [--serve-flags "..."] \
        [--big-mib N] [--pin] [--rules NAME] [--rules-unmatched NAME] [--protected NAME] \
        [--packed NAME] [--site NAME:DIR] [--env NAME:VAR=VALUE] [--flag NAME:FLAG] \
        BASE=WASM:PATH OTHER=WASM:PATH[:HEADER] ...

The first spec is the baseline. Every component is served (with a 1 KiB
`1k.html`, and `16k.bin` to `128k.bin` of random bytes, in a temporary site
preopened at `/`, and with --big-mib an
N MiB `big.bin` beside it; a spec named by --rules is served from that
site with scripts/bench's rule files beside it, by --rules-unmatched with
its every-answer rule moved to a path no request asks for, and by
--protected with that rule also protecting its path with `Basic-Auth`, by
--packed from that site packed by scripts/pack (a manifest, and siblings
where they are smaller), by --site from the directory given; a spec named
by --env gets
that variable, as `wasmtime serve --env`, and one named by --flag that
`wasmtime serve` flag, such as `-Otable-lazy-init=n`), then `wrk` runs each spec in
turn, round after round, reversing the order every other round; each spec's
ratio to the baseline is taken within a round, and the median over rounds is
printed, for requests per second and for the host's CPU time per request
(the `wasmtime serve` process's user + system time over the run, divided by
the requests it served; its ratio is the baseline's over the spec's, so
higher is better in both), and the lowest and highest round's host CPU
ratio. For quick experiments while profiling; the full benchmark is
scripts/bench.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import free_port, make_rules_site, wait_ready  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--seconds", type=int, default=2)
    ap.add_argument("--conns", type=int, default=1)
    ap.add_argument("--serve-flags", default="", help="extra wasmtime serve flags, for every server")
    ap.add_argument("--big-mib", type=int, default=0, help="also serve big.bin of this many MiB")
    ap.add_argument("--pin", action="store_true",
                    help="servers on CPU 0 and wrk (one thread) on CPU 1, so neither takes the other's core")
    ap.add_argument("--rules", action="append", default=[], metavar="NAME",
                    help="serve NAME from the site with scripts/bench's rule files (one header rule on every answer)")
    ap.add_argument("--rules-unmatched", action="append", default=[], metavar="NAME",
                    help="the same, its every-answer header rule moved to a path no request asks for")
    ap.add_argument("--protected", action="append", default=[], metavar="NAME",
                    help="the --rules-unmatched site, its unmatched rule protecting its path (Basic-Auth)")
    ap.add_argument("--packed", action="append", default=[], metavar="NAME",
                    help="serve NAME from the site packed by scripts/pack")
    ap.add_argument("--site", action="append", default=[], metavar="NAME:DIR",
                    help="serve NAME from the directory DIR")
    ap.add_argument("--env", action="append", default=[], metavar="NAME:VAR=VALUE",
                    help="serve NAME with the environment variable VAR=VALUE (wasmtime serve --env)")
    ap.add_argument("--flag", action="append", default=[], metavar="NAME:FLAG",
                    help="serve NAME with this extra wasmtime serve flag (one word)")
    ap.add_argument("specs", nargs="+", help="NAME=WASM:PATH[:HEADER]")
    args = ap.parse_args()
    specs = []
    for spec in args.specs:
        name, rest = spec.split("=", 1)
        wasm, path, *header = rest.split(":", 2)
        specs.append((name, wasm, path, header[0] if header else None))

    scratch = Path(tempfile.mkdtemp(prefix="docroot-ab-"))
    site = scratch / "site"
    site.mkdir()
    (site / "1k.html").write_bytes(b"x" * 1024)
    # Files up to the largest docroot reads whole (128 KiB), not compressible.
    for kib in (16, 32, 64, 96, 128):
        (site / f"{kib}k.bin").write_bytes(os.urandom(kib * 1024))
    if args.big_mib:
        with open(site / "big.bin", "wb") as f:
            for _ in range(args.big_mib):
                f.write(os.urandom(1024 * 1024))
    sites = {name: site for name, *_ in specs}
    for every_answer, protected, names in [
        (True, False, args.rules),
        (False, False, args.rules_unmatched),
        (False, True, args.protected),
    ]:
        if names:
            kind = "protected" if protected else "all" if every_answer else "none"
            rules_site = scratch / f"rules-{kind}"
            make_rules_site(site, rules_site, every_answer, protected)
            sites.update({name: rules_site for name in names})
    if args.packed:
        packed = scratch / "packed"
        pack = Path(__file__).resolve().parent.parent / "scripts" / "pack"
        subprocess.run([str(pack), str(site), str(packed)], check=True)
        sites.update({name: packed for name in args.packed})
    for setting in args.site:
        name, directory = setting.split(":", 1)
        sites[name] = Path(directory).resolve()
    guest_env = {name: () for name, *_ in specs}
    for setting in args.env:
        name, var = setting.split(":", 1)
        guest_env[name] += (("--env", var),)
    for setting in args.flag:
        name, flag = setting.split(":", 1)
        guest_env[name] += ((flag,),)
    env = {k: v for k, v in os.environ.items() if k != "RUST_BACKTRACE"}
    # One server for each component, site and guest environment.
    def key_of(name, wasm):
        return (wasm, str(sites[name]), guest_env[name])
    served = sorted({key_of(name, wasm) for name, wasm, *_ in specs})
    servers, ports = [], {}
    try:
        for key in served:
            wasm, root, guest_vars = key
            port = free_port()
            pin = ["taskset", "-c", "0"] if args.pin else []
            argv = [*pin, "wasmtime", "serve", "-S", "cli", *args.serve_flags.split(),
                    "--addr", f"127.0.0.1:{port}", "--dir", f"{root}::/"]
            for words in guest_vars:
                argv += list(words)
            servers.append(subprocess.Popen(argv + [wasm], stdout=subprocess.DEVNULL,
                                            stderr=subprocess.DEVNULL, env=env))
            ports[key] = port
            # Ready once it answers what a spec it serves asks for.
            path = next(p for n, w, p, _ in specs if key_of(n, w) == key)
            wait_ready(f"http://127.0.0.1:{port}{path}", proc=servers[-1])
        threads = "1" if args.conns == 1 or args.pin else "2"
        rps = {name: [] for name, *_ in specs}
        cpu = {name: [] for name, *_ in specs}
        procs = dict(zip(served, servers))
        for round_no in range(args.rounds):
            for name, wasm, path, header in specs if round_no % 2 == 0 else specs[::-1]:
                argv = ["taskset", "-c", "1"] if args.pin else []
                argv += ["wrk", "-t", threads, "-c", str(args.conns), "-d", f"{args.seconds}s"]
                if header:
                    argv += ["-H", header]
                key = key_of(name, wasm)
                before = cpu_seconds(procs[key].pid)
                out = subprocess.run(argv + [f"http://127.0.0.1:{ports[key]}{path}"],
                                     capture_output=True, text=True, check=True).stdout
                used = cpu_seconds(procs[key].pid) - before
                rps[name].append(float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)))
                served = int(re.search(r"(\d+) requests in", out).group(1))
                cpu[name].append(used / served * 1e6)
    finally:
        for server in servers:
            server.terminate()
            server.wait()
        shutil.rmtree(scratch)
    base = specs[0][0]
    for name, *_ in specs:
        ratio = statistics.median(a / b for a, b in zip(rps[name], rps[base]))
        cpu_ratios = [b / a for a, b in zip(cpu[name], cpu[base])]
        print(f"{name:18} median {statistics.median(rps[name]):8.1f} req/s   vs {base}: {ratio:.3f}"
              f"   host CPU {statistics.median(cpu[name]):6.1f} µs/req   vs {base}: "
              f"{statistics.median(cpu_ratios):.3f} ({min(cpu_ratios):.3f}–{max(cpu_ratios):.3f})")


def cpu_seconds(pid):
    """A process's user + system CPU time so far, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main()
