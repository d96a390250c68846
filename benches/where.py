#!/usr/bin/env python3
"""Where a request's host CPU goes: a profile of `wasmtime serve` under
load, split into kinds of work, for components side by side.

    python3 benches/where.py [--rounds 3] [--seconds 5] [--conns 32] [--env NAME:VAR=VALUE] \\
        [--flag NAME:FLAG] NAME=WASM:PATH ...

Each component is served (the site of benches/ab.py: a 1 KiB `1k.html`)
with `--profile perfmap`, so that perf names the guest's functions; then,
round after round (the order reversed every other round), `wrk` loads each
one (c=32 by default) while `perf record` samples the server's CPU
(cpu-clock at 4,000 Hz, every thread). A sample stands for 250 µs of CPU;
the samples of a kind over the requests served give its µs per request.
Printed: the median over rounds of each kind, and of all of them. perf's
own cost inflates every figure alike; compare them side by side.

The kinds, by the object and symbol each sample falls in:

  guest code          the component's compiled code ([JIT]) and its trampolines
  page faults         the kernel's fault path: faults, the pages mapped around
                      a read of the memory image (fault-around), zeroed pages
  unmapping, TLB      the pool's reset of an instance's memory (madvise),
                      unmapping its pages and the TLB shootdowns that follow
  kernel, other       system calls' own work, the network, scheduling
  filesystem          wasmtime-wasi's filesystem code and cap-std under it
  wasmtime, other     instantiation, host calls' dispatch, HTTP
  libc                malloc, memcpy and the like

Needs perf (Debian's linux-perf) and wrk. Build a component unstripped
(CARGO_PROFILE_RELEASE_STRIP=false) to see its functions by name with
--top.
"""

import argparse
import collections
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
from run import free_port, wait_ready  # noqa: E402

HZ = 4000
KINDS = [
    ("guest code", r"\[JIT\]"),
    ("page faults", r"\[k\] (.*fault.*|filemap_map_pages|next_uptodate_folio|set_pte_range|set_ptes.*"
                    r"|folio_.*|.*_folio.*|.*lruvec.*|clear_page.*|mas_walk|lock_vma_under_rcu"
                    r"|vma_start_read|do_anonymous_page|alloc_pages.*|get_page_from_freelist"
                    r"|vm_normal_page|pte_.*|__pte_.*)$"),
    ("unmapping, TLB", r"\[k\] (unmap_page_range|zap_.*|smp_call_function.*|flush_tlb.*|native_flush_tlb.*"
                       r"|tlb_.*|__tlb.*|native_write_msr|.*madvise.*|free_pages.*|release_pages"
                       r"|free_unref.*|.*free_folios.*|page_remove_rmap|folio_remove_rmap.*)$"),
    ("kernel, other", r"\[k\]"),
    ("filesystem", r"^wasmtime .*(filesystem|rustix|cap_std|cap_primitives|open_beneath)"),
    ("wasmtime, other", r"^wasmtime"),
    ("libc", r"^libc"),
    ("other", r"."),
]


def kind_of(symbol):
    for name, pattern in KINDS:
        if re.search(pattern, symbol):
            return name
    return "other"


def profile(pid, url, conns, seconds, data):
    """Samples the server while wrk loads it; returns {symbol: samples}, requests."""
    rec = subprocess.Popen(["perf", "record", "-q", "-e", "cpu-clock", "-F", str(HZ), "-p", str(pid),
                            "-o", str(data)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.3)
    out = subprocess.run(["wrk", "-t", "2" if conns > 1 else "1", "-c", str(conns), "-d", f"{seconds}s", url],
                         capture_output=True, text=True, check=True).stdout
    rec.send_signal(2)
    rec.wait()
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    report = subprocess.run(["perf", "report", "-i", str(data), "-n", "--no-children", "--sort", "dso,sym",
                             "-g", "none", "--stdio"], capture_output=True, text=True).stdout
    samples = collections.Counter()
    for line in report.splitlines():
        if line.startswith("#") or "%" not in line:
            continue
        fields = line.split(None, 2)
        if len(fields) < 3:
            continue
        symbol = re.sub(r"\s+", " ", re.sub(r"tid \d+", "", fields[2])).strip()
        samples[symbol] += int(fields[1])
    return samples, requests


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--conns", type=int, default=32)
    ap.add_argument("--top", type=int, default=0, help="also list each one's N costliest symbols (last round)")
    ap.add_argument("--env", action="append", default=[], metavar="NAME:VAR=VALUE")
    ap.add_argument("--flag", action="append", default=[], metavar="NAME:FLAG")
    ap.add_argument("specs", nargs="+", help="NAME=WASM:PATH")
    args = ap.parse_args()
    extra = collections.defaultdict(list)
    for setting in args.env:
        name, var = setting.split(":", 1)
        extra[name] += ["--env", var]
    for setting in args.flag:
        name, flag = setting.split(":", 1)
        extra[name].append(flag)
    specs = []
    for spec in args.specs:
        name, rest = spec.split("=", 1)
        wasm, path = rest.split(":", 1)
        specs.append((name, wasm, path))
    scratch = Path(tempfile.mkdtemp(prefix="docroot-where-"))
    site = scratch / "site"
    site.mkdir()
    (site / "1k.html").write_bytes(b"x" * 1024)
    env = {k: v for k, v in os.environ.items() if k != "RUST_BACKTRACE"}
    servers, urls = {}, {}
    per_round = {name: [] for name, *_ in specs}
    last = {}
    try:
        for name, wasm, path in specs:
            port = free_port()
            argv = ["wasmtime", "serve", "-S", "cli", "--profile", "perfmap", *extra[name],
                    "--addr", f"127.0.0.1:{port}", "--dir", f"{site}::/", wasm]
            servers[name] = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
            urls[name] = f"http://127.0.0.1:{port}{path}"
            wait_ready(urls[name], proc=servers[name])
            subprocess.run(["wrk", "-t", "2", "-c", str(args.conns), "-d", "2s", urls[name]],
                           capture_output=True, check=True)
        for round_no in range(args.rounds):
            for name, _, _ in specs if round_no % 2 == 0 else specs[::-1]:
                samples, requests = profile(servers[name].pid, urls[name], args.conns, args.seconds,
                                            scratch / "perf.data")
                kinds = collections.Counter()
                for symbol, n in samples.items():
                    kinds[kind_of(symbol)] += n
                per_round[name].append({k: v * 1e6 / HZ / requests for k, v in kinds.items()})
                last[name] = (samples, requests)
    finally:
        for server in servers.values():
            server.terminate()
            server.wait()
        shutil.rmtree(scratch)
    names = [name for name, *_ in specs]
    width = max(12, *(len(n) + 2 for n in names))
    print(f"host CPU per request in µs under perf, c={args.conns}, median of {args.rounds} rounds:")
    print(f"{'':18}" + "".join(f"{n:>{width}}" for n in names))
    for kind, _ in KINDS:
        values = [statistics.median(r.get(kind, 0.0) for r in per_round[n]) for n in names]
        print(f"{kind:18}" + "".join(f"{v:{width}.1f}" for v in values))
    totals = [statistics.median(sum(r.values()) for r in per_round[n]) for n in names]
    print(f"{'all':18}" + "".join(f"{v:{width}.1f}" for v in totals))
    spread = [f"{min(sum(r.values()) for r in per_round[n]):.0f}–{max(sum(r.values()) for r in per_round[n]):.0f}"
              for n in names]
    print(f"{'(all, by round)':18}" + "".join(f"{s:>{width}}" for s in spread))
    if args.top:
        for name in names:
            samples, requests = last[name]
            print(f"{name}: top symbols, µs per request")
            for symbol, n in samples.most_common(args.top):
                print(f"  {n * 1e6 / HZ / requests:7.2f}  {symbol[:110]}")


if __name__ == "__main__":
    main()
