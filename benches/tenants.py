#!/usr/bin/env python3
"""What one docroot tenant costs a multi-tenant host, under a real Spin.

    python3 benches/tenants.py --spin PATH [--tenants 50] [--component WASM ...]
                               [--page FILE] [--rounds 3]

Needs a Spin binary, which no registry has (docs/hosts.md says how the
project builds one from source); never part of CI. For each component
(default: target/wasm32-wasip2/release/docroot.wasm) it writes two Spin
apps: one of a single tenant and one of `--tenants` tenants, each tenant
the same component on its own route (`/t1/...`, `/t2/...`) and its own
small site (`--page`, by default an 83 KiB page of the Python
documentation, as `index.html`, and a 1 KiB file). For each app it starts
`spin up` on a free port, waits for the port to take connections, then:

- idle: Spin's resident memory (VmRSS) once it has been still for a second;
- after one request: each tenant asked once for its page with
  `Accept-Encoding: br` (the first request each tenant answers, timed),
  then VmRSS again once still.

A tenant's cost is the difference between the two apps divided by the
tenants added, so what Spin costs with one tenant drops out. Each app runs
`--rounds` times; the median round is reported. Every answer must be a
200 coded as asked, and no guest may panic or trap.

`--emptied code` or `--emptied data` serves, instead of each component, a
copy with every function body made `unreachable`, or with its data
segments emptied, and measures it idle only (it cannot answer): what the
code and what the data cost a tenant.
"""

import argparse
import http.client
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from anatomy import const_expr, leb  # noqa: E402
from run import ROOT, Server, free_port, guest_failures, wait_listening  # noqa: E402

DEFAULT_PAGE = Path("/usr/share/doc/python3/html/library/email.headerregistry.html")


def to_leb(n):
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def sections(b):
    """A module's or component's preamble and its (id, contents) sections."""
    i, out = 8, []
    while i < len(b):
        n, j = leb(b, i + 1)
        out.append((b[i], b[j:j + n]))
        i = j + n
    return b[:8], out


def joined(preamble, secs):
    return preamble + b"".join(bytes([sid]) + to_leb(len(body)) + body for sid, body in secs)


def emptied_module(module, part):
    """A core module with every function body `unreachable` (`code`) or
    every active data segment empty (`data`)."""
    preamble, secs = sections(module)
    out = []
    for sid, body in secs:
        if sid == 10 and part == "code":
            count, k = leb(body, 0)
            new = bytearray(to_leb(count))
            for _ in range(count):
                size, k = leb(body, k)
                k += size
                new += to_leb(3) + b"\x00\x00\x0b"  # no locals; unreachable; end
            body = bytes(new)
        elif sid == 11 and part == "data":
            count, k = leb(body, 0)
            new = bytearray(to_leb(count))
            for _ in range(count):
                start = k
                flag, k = leb(body, k)
                if flag != 0:
                    raise RuntimeError("only active segments of memory 0 are expected")
                _, k = const_expr(body, k)
                size, after = leb(body, k)
                new += body[start:k] + to_leb(0)
                k = after + size
            body = bytes(new)
        out.append((sid, body))
    return joined(preamble, out)


def emptied_component(component, part, out_path):
    """A copy of `component` whose first core module is emptied of `part`."""
    preamble, secs = sections(Path(component).read_bytes())
    first = next(i for i, (sid, _) in enumerate(secs) if sid == 1)
    secs[first] = (1, emptied_module(secs[first][1], part))
    out_path.write_bytes(joined(preamble, secs))
    return out_path


def write_app(folder, component, tenants, page):
    """A Spin app of `tenants` docroot components, each on its own route and
    site. Returns the manifest's path."""
    component = Path(component).resolve()
    lines = ['spin_manifest_version = 2\n', '[application]\nname = "tenants"\nversion = "0.1.0"\n']
    for n in range(1, tenants + 1):
        site = folder / f"site{n}"
        site.mkdir(parents=True)
        shutil.copyfile(page, site / "index.html")
        (site / "1k.txt").write_bytes(b"x" * 1024)
        lines.append(f'[[trigger.http]]\nroute = "/t{n}/..."\ncomponent = "t{n}"\n')
        lines.append(
            f'[component.t{n}]\nsource = "{component}"\n'
            f'files = [{{ source = "site{n}", destination = "/" }}]\n'
        )
    manifest = folder / "spin.toml"
    manifest.write_text("\n".join(lines))
    return manifest


def still_rss(server, deadline_s=30):
    """VmRSS (KiB) of Spin's processes once it has not moved for a second
    (polled every 100 ms)."""
    started = time.monotonic()
    last, since = server.group_rss_kib(), time.monotonic()
    while time.monotonic() - started < deadline_s:
        time.sleep(0.1)
        now = server.group_rss_kib()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= 1.0:
            return now
    return last


def ask(port, path, any_answer=False):
    """One GET accepting br on a fresh connection: seconds taken. It must be
    a 200 coded br, unless `any_answer` (for a floor component, which
    answers every request alike)."""
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path, headers={"Accept-Encoding": "br"})
        r = conn.getresponse()
        r.read()
        if not any_answer and (r.status != 200 or r.getheader("Content-Encoding") != "br"):
            raise RuntimeError(f"{path}: {r.status} {r.getheader('Content-Encoding')}, not a 200 coded br")
    finally:
        conn.close()
    return time.monotonic() - started


def one_app(spin, component, tenants, page, tmp, env=None, any_answer=False, idle_only=False):
    """(idle KiB, after KiB, first-request seconds by tenant) of one run."""
    folder = Path(tempfile.mkdtemp(prefix=f"app{tenants}-", dir=tmp))
    manifest = write_app(folder, component, tenants, page)
    port = free_port()
    server = Server(f"spin-{tenants}", [str(spin), "up", "-f", str(manifest), "--listen", f"127.0.0.1:{port}"],
                    port, folder / "spin.log", env=env, cwd=folder, guest_logs=folder / ".spin" / "logs")
    try:
        wait_listening(port, server.proc, deadline_s=600)
        idle = still_rss(server)
        if idle_only:
            return idle, None, [0.0]
        firsts = [ask(port, f"/t{n}/", any_answer) for n in range(1, tenants + 1)]
        after = still_rss(server)
    finally:
        server.stop(check=False)
    failures = guest_failures(server.output())
    if failures:
        raise RuntimeError(f"a guest panicked or trapped: {failures[:3]}")
    shutil.rmtree(folder, ignore_errors=True)
    return idle, after, firsts


def measure(spin, component, tenants, page, rounds, tmp, env=None, any_answer=False, idle_only=False):
    per_round = []
    for _ in range(rounds):
        one = one_app(spin, component, 1, page, tmp, env, any_answer, idle_only)
        many = one_app(spin, component, tenants, page, tmp, env, any_answer, idle_only)
        added = tenants - 1
        per_round.append({
            "idle": (many[0] - one[0]) / added / 1024,
            "after": None if idle_only else (many[1] - one[1]) / added / 1024,
            "first_ms": statistics.median(many[2]) * 1000,
            "total_idle": many[0] / 1024,
            "total_after": None if idle_only else many[1] / 1024,
        })
    per_round.sort(key=lambda r: r["idle"] if idle_only else r["after"])
    return per_round[len(per_round) // 2]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--spin", required=True)
    p.add_argument("--component", action="append")
    p.add_argument("--tenants", type=int, default=50)
    p.add_argument("--page", default=str(DEFAULT_PAGE))
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--any-answer", action="store_true",
                   help="take any answer (for a floor component, e.g. benches/floor3's), not only a 200 coded br")
    p.add_argument("--emptied", choices=["code", "data"],
                   help="serve a copy with its code or its data emptied, idle only")
    p.add_argument("--keep-resident", help="SPIN_WASMTIME_LINEAR_MEMORY_KEEP_RESIDENT for Spin (bytes; "
                   "Spin's default is 2 MiB): what each memory slot keeps resident once its instance ends")
    args = p.parse_args()
    components = args.component or [str(ROOT / "target/wasm32-wasip2/release/docroot.wasm")]
    env = {k: v for k, v in os.environ.items() if k != "RUST_BACKTRACE"}
    if args.keep_resident is not None:
        env["SPIN_WASMTIME_LINEAR_MEMORY_KEEP_RESIDENT"] = args.keep_resident
    tmp = Path(tempfile.mkdtemp(prefix="docroot-tenants-"))
    try:
        print(f"| component | bytes | idle (MiB/tenant) | after one br request (MiB/tenant) "
              f"| first request (median ms) | Spin with {args.tenants} tenants, idle / after (MiB) |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        for component in components:
            label = f"`{component}`"
            if args.emptied:
                component = emptied_component(component, args.emptied, tmp / f"emptied-{args.emptied}.wasm")
                label += f", {args.emptied} emptied"
            r = measure(args.spin, component, args.tenants, args.page, args.rounds, tmp, env, args.any_answer,
                        idle_only=bool(args.emptied))
            if args.emptied:
                print(f"| {label} | {Path(component).stat().st_size:,} | {r['idle']:.2f} | – | – "
                      f"| {r['total_idle']:.0f} / – |", flush=True)
            else:
                print(f"| {label} | {Path(component).stat().st_size:,} | {r['idle']:.2f} | {r['after']:.2f} "
                      f"| {r['first_ms']:.1f} | {r['total_idle']:.0f} / {r['total_after']:.0f} |", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
