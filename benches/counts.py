#!/usr/bin/env python3
"""What a request costs the host, counted rather than timed: system calls,
page faults, context switches and TLB flushes per request, for components
under `wasmtime serve`, one after another.

    python3 benches/counts.py [--requests 2000] [--syscalls] [--env NAME:VAR=VALUE] \\
        NAME=WASM:PATH ...

Each component is served (the site of benches/ab.py: a 1 KiB `1k.html`),
warmed up, then asked for PATH REQUESTS times over one keep-alive
connection while `perf stat` counts the server's events; each count is
divided by the requests. Unlike CPU time, the counts hardly move with the
machine's other load, so they tell small changes apart where a timed A/B
cannot; what each costs in time is priced by benches/price-calls. With
--syscalls, `perf trace -s` also lists the system calls by name; with
--calls, a second server traced by wasmtime itself (WASMTIME_LOG at trace
level for wasmtime-wasi and wasmtime-wasi-http) lists the host calls a
request makes, by name (resource drops are not traced). Needs perf
(Debian's linux-perf) and its tracepoints (raw_syscalls, tlb).
"""

import argparse
import collections
import http.client
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import free_port, wait_ready  # noqa: E402

EVENTS = ["raw_syscalls:sys_enter", "page-faults", "context-switches", "tlb:tlb_flush", "task-clock"]
LABELS = ["syscalls", "page faults", "ctx switches", "TLB flushes", "CPU µs"]


def ask(port, path, n):
    c = http.client.HTTPConnection("127.0.0.1", port)
    for _ in range(n):
        c.request("GET", path)
        r = c.getresponse()
        r.read()
        if r.status >= 500:
            raise SystemExit(f"{path}: {r.status}")
    c.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--syscalls", action="store_true", help="also list the system calls by name (perf trace -s)")
    ap.add_argument("--calls", action="store_true", help="also list the host calls a request makes")
    ap.add_argument("--env", action="append", default=[], metavar="NAME:VAR=VALUE")
    ap.add_argument("--flag", action="append", default=[], metavar="NAME:FLAG",
                    help="serve NAME with this extra wasmtime serve flag (one word)")
    ap.add_argument("specs", nargs="+", help="NAME=WASM:PATH")
    args = ap.parse_args()
    guest_env = {}
    for setting in args.env:
        name, var = setting.split(":", 1)
        guest_env.setdefault(name, []).extend(["--env", var])
    for setting in args.flag:
        name, flag = setting.split(":", 1)
        guest_env.setdefault(name, []).append(flag)
    scratch = Path(tempfile.mkdtemp(prefix="docroot-counts-"))
    site = scratch / "site"
    site.mkdir()
    (site / "1k.html").write_bytes(b"x" * 1024)
    env = {k: v for k, v in os.environ.items() if k != "RUST_BACKTRACE"}
    print(f"per request, over {args.requests} requests on one connection:")
    print(f"{'':18}" + "".join(f"{label:>14}" for label in LABELS))
    try:
        for spec in args.specs:
            name, rest = spec.split("=", 1)
            wasm, path = rest.split(":", 1)
            port = free_port()
            argv = ["wasmtime", "serve", "-S", "cli", "--addr", f"127.0.0.1:{port}", "--dir", f"{site}::/"]
            argv += guest_env.get(name, [])
            server = subprocess.Popen(argv + [wasm], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
            try:
                wait_ready(f"http://127.0.0.1:{port}{path}", proc=server)
                ask(port, path, 200)
                out = scratch / f"{name}.stat"
                perf = subprocess.Popen(["perf", "stat", "-x", ",", "-o", str(out), "-e", ",".join(EVENTS),
                                         "-p", str(server.pid)], stderr=subprocess.DEVNULL)
                time.sleep(0.3)
                ask(port, path, args.requests)
                perf.send_signal(2)
                perf.wait()
                counts = {}
                for line in out.read_text().splitlines():
                    fields = line.split(",")
                    if len(fields) > 2 and fields[2] in EVENTS:
                        counts[fields[2]] = float(fields[0]) if fields[0][0].isdigit() else float("nan")
                # task-clock is in ms.
                values = [counts.get(e, float("nan")) / args.requests * (1000 if e == "task-clock" else 1)
                          for e in EVENTS]
                print(f"{name:18}" + "".join(f"{v:14.2f}" for v in values))
                if args.syscalls:
                    trace = subprocess.Popen(["perf", "trace", "-s", "-p", str(server.pid), "-o",
                                              str(scratch / "trace")], stderr=subprocess.DEVNULL)
                    time.sleep(0.5)
                    ask(port, path, args.requests)
                    trace.send_signal(2)
                    trace.wait()
                    calls = {}
                    for line in (scratch / "trace").read_text().splitlines():
                        m = re.match(r"\s+(\w+)\s+(\d+)\s+(\d+)\s", line)
                        if m:
                            calls[m.group(1)] = calls.get(m.group(1), 0) + int(m.group(2))
                    top = sorted(calls.items(), key=lambda kv: -kv[1])
                    print("    " + ", ".join(f"{k} {v / args.requests:.2f}" for k, v in top
                                             if v >= args.requests / 10))
            finally:
                server.terminate()
                server.wait()
            if args.calls:
                print("    host calls: " + host_calls(argv, wasm, path, env, scratch / f"{name}.log"))
    finally:
        shutil.rmtree(scratch)


def host_calls(argv, wasm, path, env, log, n=20):
    """The host calls one request makes, by name, from wasmtime's own trace
    of n requests after a first one."""
    port = free_port()
    argv = [a if not a.startswith("127.0.0.1:") else f"127.0.0.1:{port}" for a in argv]
    traced = dict(env, WASMTIME_LOG="wasmtime_wasi=trace,wasmtime_wasi_http=trace")
    with open(log, "w") as out:
        server = subprocess.Popen(argv + [wasm], stdout=subprocess.DEVNULL, stderr=out, env=traced)
        try:
            wait_ready(f"http://127.0.0.1:{port}{path}", proc=server)
            time.sleep(0.2)
            start = log.stat().st_size
            ask(port, path, n)
            time.sleep(0.2)
        finally:
            server.terminate()
            server.wait()
    with open(log, "rb") as f:
        f.seek(start)
        text = re.sub(r"\x1b\[[0-9;]*m", "", f.read().decode(errors="replace"))
    calls = collections.Counter(m.group(1) for m in re.finditer(r'function="([^"]+)"\}: \S+: call', text))
    total = sum(calls.values()) / n
    return f"{total:.1f}: " + ", ".join(f"{k} {v / n:g}" for k, v in calls.most_common())


if __name__ == "__main__":
    main()
