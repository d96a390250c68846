#!/usr/bin/env python3
"""docroot's benchmark: docroot against the host's floor and native servers.

Starts, on loopback, the two floor components (benches/floor3 for WASI 0.3,
benches/floor for 0.2) and both docroot components under `wasmtime serve`
on its defaults, nginx (sendfile) and `python3 -m http.server`, measures
them in one run, alternating servers round by round so drift cancels, and
writes BENCHMARKS.md and a bar chart of the ratios (benchmarks.svg). Each
`wasmtime serve` run also counts the host's CPU time per request.

Run it through scripts/bench, which installs what it needs and builds both
components. `--quick` is the tiny configuration CI runs so the command
cannot rot; its numbers mean nothing and it writes no report unless asked.
"""

import argparse
import http.client
import json
import os
import signal
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import crawl  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DOCROOT = ROOT / "target/wasm32-wasip2/release/docroot.wasm"
DOCROOT_P2 = ROOT / "target/wasm32-wasip2/release/docroot_p2.wasm"
# The same component built with the bench-only feature `pass-file-stream`:
# a whole file's own stream is the response body (no guest copy).
DOCROOT_PASS = ROOT / "target/pass-file-stream/wasm32-wasip2/release/docroot.wasm"
FLOOR3 = ROOT / "benches/floor3/target/wasm32-wasip2/release/floor3.wasm"
# The 0.3 floor built with FLOOR3_IO=docroot: it reads the request and sends
# docroot's seven headers and 1 KiB, as any file server must (scripts/bench).
FLOOR3_IO = ROOT / "benches/floor3/target/io/wasm32-wasip2/release/floor3.wasm"
FLOOR = ROOT / "benches/floor/target/wasm32-wasip2/release/floor.wasm"
MIB = 1024 * 1024
# Debian's python3-doc: the Python documentation, a Sphinx site.
PYTHON_DOCS = Path("/usr/share/doc/python3/html")
# The second real site of the packed crawl: the Node.js API documentation
# (Debian's nodejs package, which scripts/setup --jco installs), with large
# single pages and Debian's own .gz files.
NODE_DOCS = Path("/usr/share/doc/nodejs/api")
# The deploy step's tool (scripts/pack), built by scripts/bench.
PACK = ROOT / "target/release/docroot-pack"
# wasm-ld's map of docroot.wasm built unstripped (scripts/bench makes it):
# the component by part.
SIZES_MAP = ROOT / "target/sizes/docroot.map"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# The bench's missing path: nothing at it, and the site's 404.html three
# directories up (make_site).
MISSING = "/docs/guide/missing.html"

# A target of None is reported without a bar to meet (the next step sets one).
TARGETS = {
    "vs_p2": 2.5,
    "cpu_small": 0.85,
    "cpu_info": 0.85,
    "cpu_not_modified": 0.85,
    "cpu_small_io": 0.95,
    # A missing path answered by the site's nearest 404.html, walked up
    # three directories (the file cache holds the walk after the first
    # time), against the same I/O floor: reported, no bar yet.
    "cpu_not_found_io": None,
    "cpu_not_found_io_p2": None,
    # docroot_p2.wasm, a fresh instance per request, against the 0.2 floor.
    "cpu_small_p2": 0.5,
    "large_256": 1.0,
    "linear_memory_mib": 4.0,
    "concurrent_memory_mib": 8.0,
    # What a tenant keeps (issue 32): an instance's linear memory after its
    # first answer, br-coded on the fly and from a packed site.
    "instance_after_br_kib": 2560,
    "instance_after_packed_kib": 2048,
    # Coding on the fly: the held 64 KiB page br-coded against the same page
    # as it is (host CPU per request, br ÷ identity); the Python
    # documentation's bytes on the wire and a cold crawl's host CPU, each
    # docroot's ÷ nginx's (gzip level 6).
    "cpu_br_64k": 1.1,
    "cpu_br_64k_p2": None,
    # The site's rules: 2,000 static and 100 dynamic redirects and 100 header
    # rules beside the 1 KiB file, host CPU per request ÷ the same site
    # without rule files.
    "cpu_rules": 1.05,
    "cpu_rules_p2": None,
    "wire_vs_nginx": 0.85,
    # Packed (scripts/pack): each build's bytes on the wire ÷ nginx gzip 6's,
    # on each real site; a re-pack after one edit of a page, seconds.
    "packed_wire_vs_nginx": 0.85,
    "repack_one_edit_s": 5.0,
    "crawl_cpu_vs_nginx": 3.0,
    # 1.6 MB (spin-fileserver's component is 2.19 MB).
    "size_kib": 1_600_000 / 1024,
    "size_p2_kib": 1_600_000 / 1024,
}


def log(*args):
    print(*args, file=sys.stderr, flush=True)


# How a host's output starts a line that says a guest panicked or trapped:
# one phrase a line, read by the Rust tests' server harness too
# (tests/common/mod.rs, which says how a line is read).
GUEST_FAILURE_PHRASES = tuple(
    line for line in (ROOT / "tests/guest-failures.txt").read_text().splitlines()
    if line and not line.startswith("#")
)
HOST_PREFIX = re.compile(r"^\s*(?:stderr \[\d+\] :: \s*)*")


def guest_failures(text):
    """The lines of a host's output that say a guest panicked or trapped
    (each starts with a phrase of tests/guest-failures.txt, once wasmtime
    serve's `stderr [N] :: ` prefixes and white space are taken off): a
    trap ends an instance and every request it was serving, so a run that
    shows one fails, whatever its answers were."""
    return [line for line in text.splitlines()
            if HOST_PREFIX.sub("", line, count=1).startswith(GUEST_FAILURE_PHRASES)]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url, headers=None, timeout=5):
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def wait_ready(url, deadline_s=120, proc=None):
    started = time.monotonic()
    while time.monotonic() - started < deadline_s:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before answering {url}")
        try:
            status, _, _ = get(url, timeout=2)
            if status == 200:
                return time.monotonic() - started
        except OSError:
            pass
        time.sleep(0.005)
    raise RuntimeError(f"{url} did not answer 200 within {deadline_s} s")


def wait_listening(port, proc, deadline_s=120):
    """Waits until something takes connections on `port`, without asking it
    anything: a request would start the instance (or tenant) a benchmark is
    about to measure, and with too small a stack every request may trap."""
    started = time.monotonic()
    while time.monotonic() - started < deadline_s:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"nothing listened on {port} within {deadline_s} s")


class Server:
    def __init__(self, name, argv, port, log_path, env=None, cwd=None, guest_logs=None):
        """`guest_logs`: a folder where the host writes the guest's stderr
        instead of its own output (Spin's `.spin/logs`)."""
        self.name = name
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        self.guest_logs = guest_logs
        self.log_file = open(log_path, "w")
        if env is None:
            # RUST_BACKTRACE=1 (set on this workplace's machines) makes wasmtime
            # capture a backtrace for every internal error; no deployment runs so.
            env = {k: v for k, v in os.environ.items() if k != "RUST_BACKTRACE"}
        # Its own process group, stopped whole: jco serve runs the server in
        # a child process, which stopping jco alone would leave serving.
        self.proc = subprocess.Popen(
            argv, stdout=self.log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, cwd=cwd,
            start_new_session=True,
        )

    def ready(self, path):
        return wait_ready(self.base + path, proc=self.proc)

    def cpu_seconds(self):
        """User and system CPU time of the server process (all its threads)."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def group_cpu_seconds(self):
        """User and system CPU time of every process in the server's group
        (nginx's workers are children of its master)."""
        total = 0.0
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(fields[2]) == self.proc.pid:
                    total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
            except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
                continue
        return total

    def rss_kib(self, field):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        return None

    def stop(self, check=True):
        """Stops the server; then, unless `check` is false, raises if its
        output says a guest panicked or trapped."""
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        if not self.log_file.closed:
            self.log_file.close()
        if check:
            self.check()

    def output(self):
        """Everything the host and the guest wrote so far."""
        text = Path(self.log_path).read_text(errors="replace")
        if self.guest_logs is not None:
            for path in sorted(Path(self.guest_logs).glob("*")):
                text += path.read_text(errors="replace")
        return text

    def check(self):
        """Raises if the server's output says a guest panicked or trapped."""
        failed = guest_failures(self.output())
        if failed:
            raise RuntimeError(f"{self.name}: the host says a guest panicked or trapped:\n  "
                               + "\n  ".join(failed[:10]))

    def group_rss_kib(self):
        """Resident memory of every process in the server's group (jco's
        server is a child of the jco process)."""
        total = 0
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(fields[2]) != self.proc.pid:  # pgrp
                    continue
                with open(f"/proc/{entry}/status") as f:
                    for line in f:
                        if line.startswith("VmRSS:"):
                            total += int(line.split()[1])
            except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
                continue
        return total


def wasmtime_server(name, component, port, tmp, site=None, env=(), extra=()):
    argv = ["wasmtime", "serve", "-S", "cli", "--addr", f"127.0.0.1:{port}", *extra]
    if site is not None:
        argv += ["--dir", f"{site}::/"]
    for k, v in env:
        argv += ["--env", f"{k}={v}"]
    argv.append(str(component))
    return Server(name, argv, port, tmp / f"{name}.log")


def jco_server(name, component, port, tmp, site, env=()):
    """docroot under `jco serve` (Node), with `site` preopened as `/` by hosts/jco/preopen.mjs."""
    host = ROOT / "hosts" / "jco"
    argv = ["node", str(host / "node_modules" / ".bin" / "jco"), "serve", "--host", "127.0.0.1",
            "--port", str(port), "--jco-import", str(host / "preopen.mjs"), str(component)]
    full_env = {k: v for k, v in os.environ.items() if k != "RUST_BACKTRACE"}
    full_env.update(env)
    full_env["SITE_DIR"] = str(site)
    # jco transpiles the component into TMPDIR: keep it with the run's files.
    (tmp / f"{name}-tmp").mkdir(exist_ok=True)
    full_env["TMPDIR"] = str(tmp / f"{name}-tmp")
    return Server(name, argv, port, tmp / f"{name}.log", env=full_env)


def spin_server(name, spin, component, port, tmp, site, env=()):
    """docroot under `spin up` (a Spin binary built from source: see
    docs/hosts.md), whose `files` are `site` (copied by Spin at start, as
    it does by default), with `env` as the component's environment. Spin
    takes files only from the manifest's folder, so the manifest is written
    beside `site`, and the guest's stderr goes to `.spin/logs` there."""
    site = Path(site).resolve()
    manifest = site.parent / f"{name}-spin.toml"
    environment = ", ".join(f'{k} = "{v}"' for k, v in env)
    manifest.write_text(
        'spin_manifest_version = 2\n\n'
        f'[application]\nname = "{name}"\nversion = "0.1.0"\n\n'
        '[[trigger.http]]\nroute = "/..."\ncomponent = "docroot"\n\n'
        f'[component.docroot]\nsource = "{Path(component).resolve()}"\n'
        f'files = [{{ source = "{site.name}", destination = "/" }}]\n'
        f"environment = {{ {environment} }}\n"
    )
    argv = [str(spin), "up", "-f", str(manifest), "--listen", f"127.0.0.1:{port}"]
    env = {k: v for k, v in os.environ.items() if k != "RUST_BACKTRACE"}
    return Server(name, argv, port, tmp / f"{name}.log", env=env, cwd=site.parent,
                  guest_logs=site.parent / ".spin" / "logs")


def nginx_server(port, tmp, site):
    conf = tmp / "nginx.conf"
    (tmp / "nginx").mkdir(exist_ok=True)
    conf.write_text(
        f"""
worker_processes auto;
daemon off;
pid {tmp}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    client_body_temp_path {tmp}/nginx/body;
    proxy_temp_path {tmp}/nginx/proxy;
    fastcgi_temp_path {tmp}/nginx/fastcgi;
    uwsgi_temp_path {tmp}/nginx/uwsgi;
    scgi_temp_path {tmp}/nginx/scgi;
    types {{ text/html html; application/octet-stream bin; }}
    server {{
        listen 127.0.0.1:{port};
        root {site};
    }}
}}
"""
    )
    return Server("nginx", ["nginx", "-c", str(conf), "-p", str(tmp)], port, tmp / "nginx.log")


def python_server(port, tmp, site):
    argv = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(site)]
    return Server("python", argv, port, tmp / "python.log")


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def parse_latency(text):
    value = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    return float(value.group(1)) * UNITS[value.group(2)] if value else None


def wrk(url, connections, seconds, headers=()):
    threads = 1 if connections == 1 else 2
    argv = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--latency"]
    for h in headers:
        argv += ["-H", h]
    argv.append(url)
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    p50 = parse_latency(re.search(r"\s50%\s+(\S+)", out).group(1))
    p99 = parse_latency(re.search(r"\s99%\s+(\S+)", out).group(1))
    return {
        "rps": rps,
        "requests": total,
        "bad": int(bad.group(1)) if bad else 0,
        "socket_errors": sum(map(int, errors.groups())) if errors else 0,
        "p50_ms": p50,
        "p99_ms": p99,
    }


def curl_speed(url):
    out = subprocess.run(
        ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{size_download} %{speed_download}", url],
        capture_output=True, text=True, check=True,
    ).stdout.split()
    return int(out[0]), int(out[1]), float(out[2]) / MIB


def median_run(runs):
    """The run whose rps is the median of the rounds (its latencies go with it)."""
    ordered = sorted(runs, key=lambda r: r["rps"])
    return ordered[len(ordered) // 2]


def make_site(site, big_mib):
    site.mkdir()
    (site / "1k.html").write_bytes((b"<p>" + b"x" * 1017 + b"</p>\n")[:1024])
    # The site's own 404 page, 1 KiB, found by a missing path's walk from
    # docs/guide/ (which has no 404.html, nor docs/) up to the root.
    (site / "404.html").write_bytes((b"<p>" + b"n" * 1017 + b"</p>\n")[:1024])
    (site / "docs/guide").mkdir(parents=True)
    (site / "docs/guide/page.html").write_bytes(b"<p>a page</p>\n")
    # 64 KiB of the Python documentation's own markup: a page docroot codes
    # whole and holds.
    page = (PYTHON_DOCS / "library/functions.html").read_bytes()
    (site / "64k.html").write_bytes((page * (1 + 65536 // len(page)))[:65536])
    block = os.urandom(MIB)
    (site / "1m.bin").write_bytes(block)
    with open(site / "big.bin", "wb") as f:
        for _ in range(big_mib):
            f.write(block)


def make_rules_site(site, rules_site, every_answer=True, protected=False):
    """`site` again, with the most rules Cloudflare's limits allow: 2,000
    redirects from one path, 100 with a placeholder or splat, and 100
    header rules, one of which (`/*`) applies to every answer (or, without
    `every_answer`, to a path no request asks for). With `protected`, that
    rule also protects its paths (`Basic-Auth`), so every path a request
    reads is weighed by the site's protection and none is protected."""
    shutil.copytree(site, rules_site, symlinks=True)
    lines = [f"/old/page-{n}.html /new/page-{n}.html 301" for n in range(2000)]
    lines += [f"/section-{n}/* /moved/{n}/:splat 302" for n in range(100)]
    (rules_site / "_redirects").write_text("\n".join(lines) + "\n")
    blocks = [f"{'/*' if every_answer else '/framed/*'}\n  X-Frame-Options: DENY\n"]
    if protected:
        blocks[0] += "  Basic-Auth: alice:s3cret\n"
    blocks += [f"/assets-{n}/*\n  Cache-Control: public, max-age=31536000, immutable\n" for n in range(99)]
    (rules_site / "_headers").write_text("".join(blocks))


def machine():
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem_gib:.0f} GiB, {platform.system()} {platform.release()}"


def version(argv):
    try:
        out = subprocess.run(argv, capture_output=True, text=True)
        return (out.stdout + out.stderr).strip().splitlines()[0]
    except (OSError, IndexError):
        return "unknown"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="tiny configuration: checks the command runs")
    ap.add_argument("--out", help="write the report here (default: BENCHMARKS.md, none with --quick)")
    ap.add_argument("--packed-only", action="store_true",
                    help="only the packed crawl of the two real sites (3 rounds), printed as JSON")
    args = ap.parse_args()

    rounds, seconds, big_mib, curls = (1, 1, 16, 1) if args.quick else (5, 5, 256, 3)
    out = args.out or (None if args.quick else str(ROOT / "BENCHMARKS.md"))
    for tool in ["wasmtime", "wrk", "nginx", "curl"]:
        if shutil.which(tool) is None:
            sys.exit(f"bench: {tool} is not on PATH; run scripts/bench, which installs it")
    if not (PYTHON_DOCS / "index.html").exists():
        sys.exit(f"bench: {PYTHON_DOCS} is missing; run scripts/bench, which installs python3-doc")
    for wasm in [DOCROOT, DOCROOT_P2, DOCROOT_PASS, FLOOR3, FLOOR3_IO, FLOOR]:
        if not wasm.exists():
            sys.exit(f"bench: {wasm} is missing; run scripts/bench, which builds it")

    tmp = Path(tempfile.mkdtemp(prefix="docroot-bench-"))
    tmp.chmod(0o755)  # nginx's workers run as another user when started by root
    if args.packed_only:
        packed = crawl_packed(tmp, 3, None)
        for site_result in packed.values():
            for rnd in site_result["rounds"]:
                for got in rnd.values():
                    got.pop("wrong")
        print(json.dumps(packed, indent=2))
        shutil.rmtree(tmp, ignore_errors=True)
        return
    site = tmp / "site"
    log(f"bench: site in {site} (big file {big_mib} MiB)")
    make_site(site, big_mib)
    rules_site = tmp / "site-rules"
    make_rules_site(site, rules_site)

    servers = {}
    results = {"quick": args.quick, "rounds": rounds, "seconds": seconds, "big_mib": big_mib}
    try:
        servers["floor3"] = wasmtime_server("floor3", FLOOR3, free_port(), tmp)
        servers["floor3_io"] = wasmtime_server("floor3_io", FLOOR3_IO, free_port(), tmp)
        servers["docroot"] = wasmtime_server("docroot", DOCROOT, free_port(), tmp, site)
        servers["floor"] = wasmtime_server("floor", FLOOR, free_port(), tmp)
        servers["docroot_p2"] = wasmtime_server("docroot_p2", DOCROOT_P2, free_port(), tmp, site)
        # The same components, asked for brotli (wrk sends the header).
        servers["docroot_br"] = wasmtime_server("docroot_br", DOCROOT, free_port(), tmp, site)
        servers["docroot_p2_br"] = wasmtime_server("docroot_p2_br", DOCROOT_P2, free_port(), tmp, site)
        # The same components over the same site with rule files.
        servers["docroot_rules"] = wasmtime_server("docroot_rules", DOCROOT, free_port(), tmp, rules_site)
        servers["docroot_p2_rules"] = wasmtime_server("docroot_p2_rules", DOCROOT_P2, free_port(), tmp, rules_site)
        servers["docroot_pass"] = wasmtime_server("docroot_pass", DOCROOT_PASS, free_port(), tmp, site)
        servers["nginx"] = nginx_server(free_port(), tmp, site)
        servers["python"] = python_server(free_port(), tmp, site)
        for name, server in servers.items():
            server.ready("/" if name.startswith("floor") else "/1k.html")
        log("bench: all servers answer")

        _, headers, _ = get(servers["docroot"].base + "/1k.html")
        etag = headers.get("etag") or headers.get("ETag")
        status, _, _ = get(servers["docroot"].base + "/1k.html", {"If-None-Match": etag})
        assert status == 304, f"the 304 case answers {status}"
        for name in ["docroot", "docroot_p2"]:
            status, _, body = get(servers[name].base + MISSING)
            assert (status, body) == (404, (site / "404.html").read_bytes()), \
                f"{name}: the missing path answers {status}, not the site's 404.html"

        wasm = lambda path, hdrs=(): [("floor3", "/", ()), ("docroot", path, hdrs),
                                      ("floor", "/", ()), ("docroot_p2", path, hdrs)]
        cases = [
            # (key, connections, [(server, path, headers)])
            ("small_c1", 1, wasm("/1k.html") + [("nginx", "/1k.html", ()), ("python", "/1k.html", ())]),
            ("small_c32", 32, wasm("/1k.html") + [("floor3_io", "/", ()), ("nginx", "/1k.html", ()),
                                                  ("python", "/1k.html", ())]),
            ("info", 32, wasm("/__info")),
            ("not_modified", 32, wasm("/1k.html", (f"If-None-Match: {etag}",))),
            ("not_found", 32, wasm(MISSING) + [("floor3_io", "/", ())]),
            ("large_1", 4, [("docroot", "/1m.bin", ()), ("docroot_p2", "/1m.bin", ()),
                            ("nginx", "/1m.bin", ())]),
            ("rules_1k", 32, [("docroot", "/1k.html", ()), ("docroot_rules", "/1k.html", ()),
                              ("docroot_p2", "/1k.html", ()), ("docroot_p2_rules", "/1k.html", ())]),
            ("page_64k", 32, [("docroot", "/64k.html", ()), ("docroot_br", "/64k.html", ("Accept-Encoding: br",)),
                              ("docroot_p2", "/64k.html", ()),
                              ("docroot_p2_br", "/64k.html", ("Accept-Encoding: br",))]),
        ]
        _, headers, _ = get(servers["docroot_rules"].base + "/1k.html")
        assert headers.get("x-frame-options") == "DENY", f"the rules are not applied: {headers}"
        conn = http.client.HTTPConnection("127.0.0.1", servers["docroot_rules"].port, timeout=5)
        conn.request("GET", "/old/page-1999.html")
        status = conn.getresponse().status
        conn.close()
        assert status == 301, f"the last static redirect answers {status}"
        status, headers, _ = get(servers["docroot_br"].base + "/64k.html", {"Accept-Encoding": "br"})
        assert headers.get("content-encoding") == "br", f"the br case is not br-coded: {headers}"
        runs = {key: {name: [] for name, _, _ in targets} for key, _, targets in cases}
        for round_no in range(rounds):
            for key, connections, targets in cases:
                # Alternate the order every round, so neither server always goes first.
                order = targets if round_no % 2 == 0 else list(reversed(targets))
                for name, path, hdrs in order:
                    wasm_host = name in ("floor3", "floor3_io", "docroot", "floor", "docroot_p2",
                                         "docroot_br", "docroot_p2_br", "docroot_rules",
                                         "docroot_p2_rules")
                    cpu_before = servers[name].cpu_seconds() if wasm_host else None
                    r = wrk(servers[name].base + path, connections, seconds, hdrs)
                    if wasm_host and r["requests"]:
                        r["cpu_us"] = (servers[name].cpu_seconds() - cpu_before) * 1e6 / r["requests"]
                    # docroot and the floor must answer every request (the
                    # missing path with its 404, as checked above); the
                    # native servers' own failures (python's listen backlog of
                    # 5 refuses connections at c=32) are reported, not fatal.
                    if key == "not_found" and name.startswith("docroot"):
                        expected_bad = r["requests"]
                    else:
                        expected_bad = 0
                    if (r["bad"] != expected_bad or r["socket_errors"]) and wasm_host:
                        raise RuntimeError(f"{key} {name}: {r['bad']} bad statuses, {r['socket_errors']} socket errors")
                    runs[key][name].append(r)
                    cpu = f"  host {r['cpu_us']:.0f} µs/req" if "cpu_us" in r else ""
                    log(f"bench: round {round_no + 1} {key:12} {name:10} {r['rps']:10.0f} req/s  p50 {r['p50_ms']:.3f} ms  p99 {r['p99_ms']:.3f} ms{cpu}")
        results["http"] = {key: {name: median_run(rs) for name, rs in by.items()} for key, by in runs.items()}
        # Ratios are taken within each round (the servers ran side by side),
        # then the median over rounds: drift between rounds cancels.
        results["ratios"] = {
            key: {
                other: statistics.median(d["rps"] / o["rps"] for d, o in zip(by["docroot"], by[other]))
                for other in by if other != "docroot"
            }
            for key, by in runs.items()
        }
        # Host CPU per request, as the floor's over docroot's (1.0: docroot
        # costs the host no more than the empty handler), within each round.
        results["cpu_ratios"] = {
            key: {
                floor: statistics.median(f["cpu_us"] / d["cpu_us"] for d, f in zip(by[name], by[floor]))
                for name, floor in [("docroot", "floor3"), ("docroot", "floor3_io"), ("docroot_p2", "floor")]
                if name in by and floor in by
            }
            | ({"floor3_io_p2": statistics.median(f["cpu_us"] / d["cpu_us"]
                                                  for d, f in zip(by["docroot_p2"], by["floor3_io"]))}
               if "docroot_p2" in by and "floor3_io" in by else {})
            for key, by in runs.items()
        }
        # Coding on the fly: host CPU per request of the br-coded 64 KiB page
        # over the same page as it is, within each round.
        results["br_cpu_ratios"] = {
            build: statistics.median(b["cpu_us"] / i["cpu_us"]
                                     for i, b in zip(runs["page_64k"][plain], runs["page_64k"][coded]))
            for build, plain, coded in [("p3", "docroot", "docroot_br"), ("p2", "docroot_p2", "docroot_p2_br")]
        }
        # The site's rules: host CPU per request with them over without.
        results["rules_cpu_ratios"] = {
            build: statistics.median(r_["cpu_us"] / p_["cpu_us"]
                                     for p_, r_ in zip(runs["rules_1k"][plain], runs["rules_1k"][ruled]))
            for build, plain, ruled in [("p3", "docroot", "docroot_rules"), ("p2", "docroot_p2", "docroot_p2_rules")]
        }
        results["p3_over_p2"] = {
            key: statistics.median(d["rps"] / p["rps"] for d, p in zip(by["docroot"], by["docroot_p2"]))
            for key, by in runs.items()
            if "docroot_p2" in by
        }

        # The big file: throughput by curl, alternating; host memory around
        # it. First the file is read once here, so that no server pays for
        # bringing it into the page cache (it was written minutes ago).
        started = time.monotonic()
        with open(site / "big.bin", "rb") as f:
            while f.read(8 * MIB):
                pass
        results["big_first_read_mib_s"] = big_mib / (time.monotonic() - started)
        log(f"bench: big file read once by the bench at {results['big_first_read_mib_s']:.0f} MiB/s")
        rss_before = servers["docroot"].rss_kib("VmRSS")
        speeds = {"docroot": [], "docroot_pass": [], "docroot_p2": [], "nginx": []}
        for i in range(curls):
            names = list(speeds)
            for name in (names if i % 2 == 0 else list(reversed(names))):
                status, size, mib_s = curl_speed(servers[name].base + "/big.bin")
                assert status == 200 and size == big_mib * MIB, f"{name}: {status} {size}"
                speeds[name].append(mib_s)
                log(f"bench: big file {name:8} {mib_s:8.0f} MiB/s")
        results["large_big"] = {name: statistics.median(v) for name, v in speeds.items()}
        results["host_memory_kib"] = {
            "rss_before_big": rss_before,
            "rss_after_big": servers["docroot"].rss_kib("VmRSS"),
            "peak": servers["docroot"].rss_kib("VmHWM"),
            # The pass-through server served nothing but the big file.
            "pass_rss_after_big": servers["docroot_pass"].rss_kib("VmRSS"),
            "pass_peak": servers["docroot_pass"].rss_kib("VmHWM"),
        }
    finally:
        for server in servers.values():
            server.stop(check=False)
    for server in servers.values():
        server.check()

    # docroot's own linear memory, from its access log (mem=…KiB), per file
    # size; then 16 downloads of the big file at once from one instance.
    mem_server = wasmtime_server("docroot-mem", DOCROOT, free_port(), tmp, site, env=[("DOCROOT_ACCESS_LOG", "on")])
    try:
        mem_server.ready("/1k.html")
        for path in ["/1k.html", "/1m.bin", "/big.bin"]:
            curl_speed(mem_server.base + path)
        time.sleep(0.5)
        memory = {}
        for line in Path(mem_server.log_path).read_text().splitlines():
            m = re.search(r"GET (/\S+) 200 (\d+) \S+ mem=(\d+)KiB", line)
            if m:
                memory[m.group(1)] = int(m.group(3))
        rss_before = mem_server.rss_kib("VmRSS")
        curls16 = [subprocess.Popen(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{size_download}",
                                     mem_server.base + "/big.bin"], stdout=subprocess.PIPE, text=True)
                   for _ in range(16)]
        outcomes = [c.communicate()[0].split() for c in curls16]
        assert all(o == ["200", str(big_mib * MIB)] for o in outcomes), outcomes
        time.sleep(0.5)
        sizes = [int(m) for m in re.findall(r"GET /big.bin 200 \d+ \S+ mem=(\d+)KiB",
                                             Path(mem_server.log_path).read_text())]
        assert len(sizes) == 17, f"expected 17 access-log lines for the big file, found {len(sizes)}"
        results["concurrent_downloads"] = {
            "linear_memory_kib": max(sizes[1:]),
            "host_rss_before_kib": rss_before,
            "host_rss_after_kib": mem_server.rss_kib("VmRSS"),
        }
    finally:
        mem_server.stop()
    results["linear_memory_kib"] = memory
    assert "/big.bin" in memory, f"no access-log line for the big file: {memory}"

    # What one instance keeps after its first answer of each kind, and the
    # component by part (benches/memory.py).
    import memory as instance  # noqa: E402  (benches/memory.py, which imports this module's helpers)
    results["instance_memory_kib"] = instance.instance_memory(
        DOCROOT, tmp, instance.make_sites(tmp, 16 if args.quick else 64))
    results["parts"] = instance.component_parts(SIZES_MAP) if SIZES_MAP.exists() else None

    results["crawl"] = crawl_python_docs(tmp, 1 if args.quick else 3, 60 if args.quick else None)
    results["packed"] = crawl_packed(tmp, 1 if args.quick else 3, 40 if args.quick else None)

    # Cold start: spawn to first 200, with wasmtime's compilation cache and without.
    cold = {}
    for label, extra in [("cached", ()), ("uncached", ("-C", "cache=n"))]:
        times = []
        for _ in range(1 if args.quick else 3):
            port = free_port()
            started = time.monotonic()
            s = wasmtime_server("cold", DOCROOT, port, tmp, site, extra=extra)
            try:
                wait_ready(s.base + "/1k.html", proc=s.proc)
                times.append(time.monotonic() - started)
            finally:
                s.stop()
        cold[label] = statistics.median(times) * 1000
    results["cold_start_ms"] = cold
    results["size_bytes"] = {"docroot": DOCROOT.stat().st_size, "docroot_p2": DOCROOT_P2.stat().st_size,
                             "floor3": FLOOR3.stat().st_size, "floor": FLOOR.stat().st_size}
    results["machine"] = machine()
    results["date"] = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    results["versions"] = {
        "wasmtime": version(["wasmtime", "--version"]),
        "nginx": version(["nginx", "-v"]),
        "python": platform.python_version(),
        "wrk": version(["wrk", "--version"]),
    }
    shutil.rmtree(tmp, ignore_errors=True)

    checks = evaluate(results)
    print(json.dumps({"results": results, "checks": checks}, indent=2))
    if out:
        # Figures measured by other commands live below this heading, each
        # beside its command; a rewrite keeps them.
        kept = ""
        if Path(out).exists():
            previous = Path(out).read_text()
            at = previous.find("\n" + OTHER_MEASUREMENTS)
            if at >= 0:
                kept = previous[at:]
        Path(out).write_text(report(results, checks).rstrip("\n") + "\n" + kept)
        svg = Path(out).with_name("benchmarks.svg")
        svg.write_text(chart(checks))
        log(f"bench: wrote {out} and {svg}")
    failed = [c for c in checks if not c["ok"]]
    if failed and not args.quick:
        log("bench: targets missed: " + ", ".join(c["name"] for c in failed))


def crawled(server, port, files, ready, cpu=None):
    """`files` crawled from `server` once it answers `ready`, then stopped;
    with `cpu`, the host CPU seconds the crawl took as `cpu_s`."""
    try:
        server.ready(ready)
        before = cpu() if cpu else None
        got = crawl.crawl(port, files)
        if cpu:
            got["cpu_s"] = cpu() - before
        return got
    finally:
        server.stop()


def check_bodies(name, got):
    """Fails the run when a crawl got a body that differs from its file."""
    if got["wrong"]:
        raise RuntimeError(f"crawl {name}: bodies that differ from their file: {got['wrong'][:5]}")


def crawl_python_docs(tmp, rounds, limit):
    """The Python documentation's text files, each fetched once with
    Chrome's Accept-Encoding from docroot.wasm (a fresh server each round:
    cold caches) and from nginx with gzip level 6, alternating; bytes on the
    wire, host CPU over the crawl, and every decoded body against its file."""
    site = PYTHON_DOCS.resolve()
    files = crawl.text_files(site)[:limit]
    # Into the page cache, for neither server to pay for it.
    for path in site.rglob("*"):
        if path.is_file() and not path.is_symlink():
            path.read_bytes()
    rounds_out = []
    for round_no in range(rounds):
        order = ["docroot", "nginx"] if round_no % 2 == 0 else ["nginx", "docroot"]
        got = {}
        for name in order:
            port = free_port()
            if name == "docroot":
                server = wasmtime_server("crawl-docroot", DOCROOT, port, tmp, site)
                cpu = server.cpu_seconds
            else:
                conf = crawl.nginx_gzip_conf(port, tmp, site)
                server = Server("crawl-nginx", ["nginx", "-c", str(conf), "-p", str(tmp)], port,
                                tmp / "crawl-nginx.log")
                cpu = server.group_cpu_seconds
            g = got[name] = crawled(server, port, files, "/index.html", cpu)
            log(f"bench: crawl round {round_no + 1} {name:8} {g['files']} files, "
                f"{g['body_bytes'] / g['identity_bytes']:.3f} of the bytes, {g['cpu_s']:.2f} s host CPU, "
                f"{len(g['wrong'])} wrong")
            check_bodies(name, g)
        rounds_out.append(got)
    return {
        "files": len(files),
        "identity_bytes": rounds_out[0]["docroot"]["identity_bytes"],
        "rounds": rounds_out,
        "wire_ratio": statistics.median(r["docroot"]["body_bytes"] / r["nginx"]["body_bytes"] for r in rounds_out),
        "wire_ratio_with_headers": statistics.median(
            (r["docroot"]["body_bytes"] + r["docroot"]["header_bytes"])
            / (r["nginx"]["body_bytes"] + r["nginx"]["header_bytes"]) for r in rounds_out),
        "cpu_ratio": statistics.median(r["docroot"]["cpu_s"] / max(r["nginx"]["cpu_s"], 1e-3) for r in rounds_out),
    }


def timed_pack(src, out):
    """Packs `src` into `out` with docroot-pack; the seconds it took and
    its summary line."""
    started = time.monotonic()
    done = subprocess.run([str(PACK), str(src), str(out)], capture_output=True, text=True)
    took = time.monotonic() - started
    if done.returncode != 0:
        raise RuntimeError(f"docroot-pack {src} {out} failed: {done.stderr}")
    return took, done.stderr.strip().splitlines()[-1]


def crawl_packed(tmp, rounds, limit):
    """Each real site as deployed: copied as an operator copies it (links
    followed: the Python documentation's jquery.js leads out of its tree),
    packed by docroot-pack (timed; then packed again with nothing changed,
    and after one edit of its median-size page and of its largest), and
    crawled as `crawl_python_docs` crawls, from docroot.wasm and
    docroot_p2.wasm serving the packed tree and from nginx with gzip level 6
    serving the copy; every decoded body must equal its file. With `limit`,
    only that many text files of each site."""
    out = {}
    for key, label, site in [("python", "Python documentation", PYTHON_DOCS),
                             ("node", "Node.js API documentation", NODE_DOCS)]:
        src, packed = tmp / f"pack-{key}-src", tmp / f"pack-{key}"
        if limit is None:
            shutil.copytree(site.resolve(), src, symlinks=False)
        else:
            # The smallest pages first: the edits below are of pages, and a
            # quick run stays quick.
            chosen = sorted(crawl.text_files(site.resolve()),
                            key=lambda f: (not f[0].endswith(".html"), len(f[1])))
            for path, original in chosen[:limit]:
                dest = src / path.lstrip("/")
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(original)
        for path in src.rglob("*"):
            if path.is_file():
                path.read_bytes()
        first, summary = timed_pack(src, packed)
        log(f"bench: packed the {label}: {summary} ({first:.1f} s)")
        unchanged, _ = timed_pack(src, packed)
        pages = sorted(src.rglob("*.html"), key=lambda p: p.stat().st_size)
        edits = {}
        for which, page in [("median", pages[len(pages) // 2]), ("largest", pages[-1])]:
            page.write_bytes(page.read_bytes() + b"\n<!-- edited -->\n")
            took, _ = timed_pack(src, packed)
            edits[which] = {"page": page.relative_to(src).as_posix(), "bytes": page.stat().st_size,
                            "seconds": took}
            log(f"bench: re-packed the {label} after an edit of {edits[which]['page']} "
                f"({edits[which]['bytes']} bytes): {took:.1f} s")
        files = crawl.text_files(src)
        rounds_out = []
        names = ["docroot", "docroot_p2", "nginx"]
        for round_no in range(rounds):
            order = names[round_no % 3:] + names[:round_no % 3]
            got = {}
            for name in order:
                port = free_port()
                if name == "nginx":
                    conf = crawl.nginx_gzip_conf(port, tmp, src)
                    server = Server("packed-nginx", ["nginx", "-c", str(conf), "-p", str(tmp)], port,
                                    tmp / "packed-nginx.log")
                else:
                    component = DOCROOT if name == "docroot" else DOCROOT_P2
                    server = wasmtime_server(f"packed-{name}", component, port, tmp, packed)
                g = got[name] = crawled(server, port, files, crawl.quote(files[0][0]))
                log(f"bench: packed crawl of the {label}, round {round_no + 1}, {name:10} "
                    f"{g['files']} files, {g['body_bytes'] / g['identity_bytes']:.3f} of the bytes, "
                    f"{len(g['wrong'])} wrong")
                check_bodies(name, g)
            rounds_out.append(got)
        out[key] = {
            "label": label,
            "files": len(files),
            "identity_bytes": rounds_out[0]["nginx"]["identity_bytes"],
            "pack_s": first,
            "pack_summary": summary,
            "repack_unchanged_s": unchanged,
            "edits": edits,
            "rounds": rounds_out,
            "wire_ratio": {name: statistics.median(r[name]["body_bytes"] / r["nginx"]["body_bytes"]
                                                   for r in rounds_out)
                           for name in ("docroot", "docroot_p2")},
        }
        shutil.rmtree(src)
        shutil.rmtree(packed)
    return out


def evaluate(r):
    """Each target as a measured value and whether it is met (a measure
    without a target is reported, and always "ok")."""
    cpu = lambda key: r["cpu_ratios"][key]["floor3"]
    checks = [
        ("1 KiB file, c=32 (req/s, 0.3 vs 0.2 build)", r["p3_over_p2"]["small_c32"], "vs_p2", "ratio"),
        ("1 KiB file, c=32 (host CPU/req, 0.3 floor ÷ docroot)", cpu("small_c32"), "cpu_small", "ratio"),
        ("info page, c=32 (host CPU/req, 0.3 floor ÷ docroot)", cpu("info"), "cpu_info", "ratio"),
        ("304, c=32 (host CPU/req, 0.3 floor ÷ docroot)", cpu("not_modified"), "cpu_not_modified", "ratio"),
        ("1 KiB file, c=32 (host CPU/req, 0.3 floor with a file server's I/O ÷ docroot)",
         r["cpu_ratios"]["small_c32"]["floor3_io"], "cpu_small_io", "ratio"),
        ("1 KiB file, c=32 (host CPU/req, 0.2 floor ÷ docroot_p2)",
         r["cpu_ratios"]["small_c32"]["floor"], "cpu_small_p2", "ratio"),
        ("missing path, the nearest 404.html three directories up, c=32 (host CPU/req, the I/O floor ÷ docroot)",
         r["cpu_ratios"]["not_found"]["floor3_io"], "cpu_not_found_io", "ratio"),
        ("missing path, the nearest 404.html three directories up, c=32 (host CPU/req, the I/O floor ÷ docroot_p2)",
         r["cpu_ratios"]["not_found"]["floor3_io_p2"], "cpu_not_found_io_p2", "ratio"),
        (f"{r['big_mib']} MiB file (MiB/s vs nginx)",
         r["large_big"]["docroot"] / r["large_big"]["nginx"], "large_256", "ratio"),
        (f"linear memory streaming {r['big_mib']} MiB (MiB)",
         r["linear_memory_kib"]["/big.bin"] / 1024, "linear_memory_mib", "max"),
        (f"linear memory, 16 × {r['big_mib']} MiB at once (MiB)",
         r["concurrent_downloads"]["linear_memory_kib"] / 1024, "concurrent_memory_mib", "max"),
        ("64 KiB page br-coded, c=32 (host CPU/req, ÷ the page as it is), docroot.wasm",
         r["br_cpu_ratios"]["p3"], "cpu_br_64k", "max"),
        ("64 KiB page br-coded, c=32 (host CPU/req, ÷ the page as it is), docroot_p2.wasm",
         r["br_cpu_ratios"]["p2"], "cpu_br_64k_p2", "max"),
        ("1 KiB file with 2,000 + 100 redirects and 100 header rules, c=32 (host CPU/req, ÷ without), docroot.wasm",
         r["rules_cpu_ratios"]["p3"], "cpu_rules", "max"),
        ("1 KiB file with 2,000 + 100 redirects and 100 header rules, c=32 (host CPU/req, ÷ without), docroot_p2.wasm",
         r["rules_cpu_ratios"]["p2"], "cpu_rules_p2", "max"),
        (f"Python docs, {r['crawl']['files']} text files once (bytes on the wire, ÷ nginx gzip 6)",
         r["crawl"]["wire_ratio"], "wire_vs_nginx", "max"),
        ("Python docs, cold crawl (host CPU, ÷ nginx gzip 6)", r["crawl"]["cpu_ratio"], "crawl_cpu_vs_nginx", "max"),
        *[(f"{site['label']} packed, {site['files']} text files once, {build} (bytes on the wire, ÷ nginx gzip 6)",
           site["wire_ratio"][build], "packed_wire_vs_nginx", "max")
          for site in r["packed"].values() for build in ("docroot", "docroot_p2")],
        *[(f"{site['label']}: re-pack after one edit of its median-size page, {site['edits']['median']['bytes']:,} bytes (s)",
           site["edits"]["median"]["seconds"], "repack_one_edit_s", "max")
          for site in r["packed"].values()],
        ("an instance after its first answer, an 83 KiB page br-coded on the fly (linear memory, KiB)",
         r["instance_memory_kib"]["the page br-coded on the fly"], "instance_after_br_kib", "max"),
        ("an instance after its first answer, a packed site's page (linear memory, KiB)",
         r["instance_memory_kib"]["a packed site's page (its br sibling)"], "instance_after_packed_kib", "max"),
        ("docroot.wasm (KiB)", r["size_bytes"]["docroot"] / 1024, "size_kib", "max"),
        ("docroot_p2.wasm (KiB)", r["size_bytes"]["docroot_p2"] / 1024, "size_p2_kib", "max"),
    ]
    out = []
    for name, value, key, kind in checks:
        target = TARGETS[key]
        ok = True if target is None else (value >= target if kind == "ratio" else value <= target)
        out.append({"name": name, "value": value, "target": target, "kind": kind, "ok": ok})
    return out


OTHER_MEASUREMENTS = "## Other measurements"


def side_by_side_rows(case, variant, cpu_ratios):
    """The table rows of a case that runs each build plain and as `variant`
    (servers `docroot` and `docroot_<variant>`, `docroot_p2` and
    `docroot_p2_<variant>`): requests per second and host CPU of each, and
    the ratio of their host CPU."""
    rows = []
    for build, plain, key in [("docroot.wasm", "docroot", "p3"), ("docroot_p2.wasm", "docroot_p2", "p2")]:
        p_, v_ = case[plain], case[f"{plain}_{variant}"]
        rows.append(f"| {build} | {p_['rps']:,.0f} | {p_['cpu_us']:.0f} | {v_['rps']:,.0f} | {v_['cpu_us']:.0f} | "
                    f"{cpu_ratios[key]:.2f} |")
    return rows


def report(r, checks):
    http = r["http"]
    lines = [
        "# Benchmarks",
        "",
        f"Measured {r['date']} on {r['machine']}, by `./scripts/bench` (which runs",
        "`python3 benches/run.py`). Every server ran on loopback in the same run;",
        f"each HTTP case is the median of {r['rounds']} rounds of {r['seconds']} s of `wrk`,",
        "the servers alternating within each round; a ratio is taken within each round",
        "and the median of those is reported. Absolute numbers on a 2-core machine",
        "shared with the load generator are noise; the ratios are the result.",
        "The servers run without `RUST_BACKTRACE` (set on this machine), which would",
        "make wasmtime capture a backtrace for every internal error.",
        "",
        f"Versions: {r['versions']['wasmtime']}; {r['versions']['nginx']}; Python {r['versions']['python']};",
        f"{r['versions']['wrk']}.",
        "",
        "## Targets",
        "",
        "`docroot.wasm` is the WASI 0.3 build, on `wasmtime serve`'s defaults (one instance",
        "reused for up to 128 requests, 16 at a time); `docroot_p2.wasm` the WASI 0.2 build",
        "(a fresh instance per request). Host CPU per request is the `wasmtime serve`",
        "process's user and system time over a `wrk` run, divided by the requests served;",
        "its ratio is the floor's over docroot's, so 1.0 would be a docroot that costs the",
        "host no more than an empty handler.",
        "",
        "| measure | value | target | |",
        "| --- | ---: | ---: | --- |",
    ]
    for c in checks:
        if c["target"] is None:
            lines.append(f"| {c['name']} | {c['value']:.2f} | – | reported |")
            continue
        cmp = "≥" if c["kind"] == "ratio" else "≤"
        lines.append(f"| {c['name']} | {c['value']:.2f} | {cmp} {c['target']:g} | {'met' if c['ok'] else '**missed**'} |")
    names = ["floor3", "docroot", "floor", "docroot_p2", "nginx", "python"]
    heads = ["0.3 floor", "docroot.wasm", "0.2 floor", "docroot_p2.wasm", "nginx", "python"]
    lines += ["", "![ratios](benchmarks.svg)", "", "## Requests per second", "",
              "| case | conns | " + " | ".join(heads) + " | 0.3 / 0.2 build | docroot / nginx |",
              "| --- | ---: | " + " | ".join("---:" for _ in heads) + " | ---: | ---: |"]
    labels = {"small_c1": ("1 KiB .html", 1), "small_c32": ("1 KiB .html", 32), "info": ("info page", 32),
              "not_modified": ("304 (If-None-Match)", 32), "not_found": ("missing path (nearest 404.html)", 32),
              "large_1": ("1 MiB file", 4)}
    for key, (label, conns) in labels.items():
        row = http[key]

        def cell(n, row=row, key=key):
            if n not in row:
                return "–"
            # The missing path's 404s are its answers, not errors.
            expected = row[n]["requests"] if key == "not_found" and n.startswith("docroot") else 0
            errors = row[n]["socket_errors"] + row[n]["bad"] - expected
            return f"{row[n]['rps']:,.0f}" + (f" ({errors} errors)" if errors else "")

        ratios = r["ratios"][key]
        vs_p2 = f"{r['p3_over_p2'][key]:.2f}" if key in r["p3_over_p2"] else "–"
        vs_nginx = f"{ratios['nginx']:.2f}" if "nginx" in ratios else "–"
        lines.append(f"| {label} | {conns} | " + " | ".join(cell(n) for n in names) + f" | {vs_p2} | {vs_nginx} |")
    lines += ["", "Host CPU per request (µs) of the median round, and the floor's over docroot's:", "",
              "| case | 0.3 floor | docroot.wasm | ratio | 0.2 floor | docroot_p2.wasm | ratio |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for key in ["small_c1", "small_c32", "info", "not_modified", "not_found"]:
        row = http[key]
        us = lambda n, row=row: f"{row[n]['cpu_us']:.0f}" if "cpu_us" in row.get(n, {}) else "–"
        cr = r["cpu_ratios"][key]
        label, conns = labels[key]
        lines.append(f"| {label}, c={conns} | {us('floor3')} | {us('docroot')} | {cr.get('floor3', 0):.2f} | "
                     f"{us('floor')} | {us('docroot_p2')} | {cr.get('floor', 0):.2f} |")
    lines += ["", "Latency of the median round, p50 / p99 in ms:", "",
              "| case | " + " | ".join(heads) + " |", "| --- | " + " | ".join("---:" for _ in heads) + " |"]
    for key in ["small_c1", "small_c32", "info", "not_modified"]:
        row = http[key]

        def cell(n, row=row):
            return f"{row[n]['p50_ms']:.3f} / {row[n]['p99_ms']:.3f}" if n in row else "–"

        label, conns = labels[key]
        lines.append(f"| {label}, c={conns} | " + " | ".join(cell(n) for n in names) + " |")
    big = r["large_big"]
    mem = r["linear_memory_kib"]
    host = r["host_memory_kib"]
    conc = r["concurrent_downloads"]
    lines += [
        "", "## Large files", "",
        "| file | docroot.wasm | docroot_p2.wasm | nginx | docroot / nginx |", "| --- | ---: | ---: | ---: | ---: |",
        f"| 1 MiB (wrk, c=4; req/s) | {http['large_1']['docroot']['rps']:,.0f} | {http['large_1']['docroot_p2']['rps']:,.0f} | {http['large_1']['nginx']['rps']:,.0f} | {r['ratios']['large_1']['nginx']:.2f} |",
        f"| {r['big_mib']} MiB (curl, median of runs; MiB/s) | {big['docroot']:,.0f} | {big['docroot_p2']:,.0f} | {big['nginx']:,.0f} | {big['docroot'] / big['nginx']:.2f} |",
        "",
        f"Before these, the bench read the file once itself ({r['big_first_read_mib_s']:,.0f} MiB/s), so that no",
        "server pays for bringing it into the page cache.",
        "",
        "How docroot.wasm sends a file: it reads the file's `read-via-stream` into a",
        "256 KiB buffer and writes each chunk into the response body. The alternative",
        "is to hand the host the file's own stream as the body. The same component",
        "built with the bench-only feature `pass-file-stream` does that, for whole",
        f"files. It moved the {r['big_mib']} MiB file at {big['docroot_pass']:,.0f} MiB/s, against {big['docroot']:,.0f} MiB/s",
        f"for the copy. Its `wasmtime serve` process, which served only those files, was",
        f"{host['pass_rss_after_big'] / 1024:.1f} MiB resident after them ({host['pass_peak'] / 1024:.1f} MiB peak).",
        "", "## The site's rules", "",
        "The 1 KiB file from the same site with and without rule files at the most",
        "Cloudflare's limits allow (2,000 redirects from one path, 100 with a placeholder",
        "or splat, 100 header rules, one of them `/*` setting a header on every answer),",
        "c=32, servers side by side. docroot.wasm parses the files once per instance and",
        "looks at them through its file cache; docroot_p2.wasm, a fresh instance per",
        "request, reads and parses both at every request:", "",
        "| build | without: req/s | host µs/req | with: req/s | host µs/req | host CPU, with ÷ without |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    lines += side_by_side_rows(http["rules_1k"], "rules", r["rules_cpu_ratios"])
    lines += [
        "", "## Coding on the fly", "",
        "A 64 KiB page of the Python documentation's markup, asked for as it is and",
        "br-coded (`Accept-Encoding: br`), c=32, from servers side by side; docroot.wasm",
        "codes it once per instance and holds the coding, docroot_p2.wasm codes every",
        "answer (at brotli 1):", "",
        "| build | as it is: req/s | host µs/req | br: req/s | host µs/req | host CPU, br ÷ as it is |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    lines += side_by_side_rows(http["page_64k"], "br", r["br_cpu_ratios"])
    cr = r["crawl"]
    lines += [
        "",
        f"The Python documentation (Debian's python3-doc, {cr['files']} text files, {cr['identity_bytes'] / 1e6:.1f} MB),",
        "each file fetched once over one keep-alive connection with Chrome's",
        "`Accept-Encoding: gzip, deflate, br, zstd`, from docroot.wasm (a fresh server each",
        "round, so every coding is made cold) and from nginx with `gzip on; gzip_comp_level 6`",
        f"(and `gzip_static`, `gunzip`), alternating, {len(cr['rounds'])} rounds; every body decoded equals",
        "its file. Host CPU is the server's processes' user and system time over the crawl.", "",
        "| round | docroot: bytes on the wire ÷ identity | nginx | docroot ÷ nginx | with headers | docroot host CPU (s) | nginx (s) | ratio |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for i, rnd in enumerate(cr["rounds"]):
        d, n = rnd["docroot"], rnd["nginx"]
        lines.append(
            f"| {i + 1} | {d['body_bytes'] / d['identity_bytes']:.3f} | {n['body_bytes'] / n['identity_bytes']:.3f} | "
            f"{d['body_bytes'] / n['body_bytes']:.3f} | "
            f"{(d['body_bytes'] + d['header_bytes']) / (n['body_bytes'] + n['header_bytes']):.3f} | "
            f"{d['cpu_s']:.2f} | {n['cpu_s']:.2f} | {d['cpu_s'] / max(n['cpu_s'], 1e-3):.2f} |")
    d, n = cr["rounds"][0]["docroot"], cr["rounds"][0]["nginx"]
    lines += [
        "",
        f"Codings sent (round 1): docroot {d['codings']}; nginx {n['codings']}.",
        "", "### Packed", "",
        "Each site copied as an operator copies it (links followed), packed by `scripts/pack`",
        "(brotli 11 and zopfli siblings, the manifest), then crawled as above from each build",
        "serving the packed tree, and from nginx gzip 6 serving the copy, rotating the order,",
        f"{len(next(iter(r['packed'].values()))['rounds'])} rounds; every body decoded equals its file.", "",
        "| site | text files | first pack | again, nothing changed | after one edit: median page | largest page | docroot.wasm ÷ nginx | docroot_p2.wasm ÷ nginx |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for site in r["packed"].values():
        med, big = site["edits"]["median"], site["edits"]["largest"]
        lines.append(
            f"| {site['label']} ({site['identity_bytes'] / 1e6:.1f} MB) | {site['files']} | {site['pack_s']:.1f} s | "
            f"{site['repack_unchanged_s']:.2f} s | {med['seconds']:.2f} s ({med['bytes'] / 1e3:.0f} kB) | "
            f"{big['seconds']:.1f} s ({big['bytes'] / 1e6:.1f} MB) | {site['wire_ratio']['docroot']:.3f} | "
            f"{site['wire_ratio']['docroot_p2']:.3f} |")
    lines += [
        "",
        "The first packs: " + "; ".join(f"`{site['pack_summary']}`" for site in r["packed"].values()) + ".",
        "", "## Memory", "",
        f"docroot.wasm's linear memory at the end of each request (from its access log):",
        f"{mem.get('/1k.html', 0)} KiB after 1 KiB, {mem.get('/1m.bin', 0)} KiB after 1 MiB,",
        f"{mem.get('/big.bin', 0)} KiB after {r['big_mib']} MiB: it does not grow with the file,",
        "because the file is read and written in chunks of at most 256 KiB.",
        f"With 16 downloads of the {r['big_mib']} MiB file at once from one instance: {conc['linear_memory_kib']} KiB",
        f"(one chunk per download in flight); the `wasmtime serve` process was {conc['host_rss_before_kib'] / 1024:.1f} MiB",
        f"resident before them and {conc['host_rss_after_kib'] / 1024:.1f} MiB after.",
        "",
        f"The `wasmtime serve` process: {host['rss_before_big'] / 1024:.1f} MiB resident before the",
        f"{r['big_mib']} MiB transfers, {host['rss_after_big'] / 1024:.1f} MiB after, {host['peak'] / 1024:.1f} MiB peak over the run.",
        "",
        "What one instance keeps: a fresh `wasmtime serve` for each kind of answer, and the",
        "instance's linear memory after its first answer (`benches/memory.py`; a memory never",
        "shrinks, so a tenant keeps this for its instance's life):",
        "",
        "| the instance's first answer | linear memory (KiB) |",
        "| --- | ---: |",
        *[f"| {label} | {kib:,} |" for label, kib in r["instance_memory_kib"].items()],
        "", "## Start and size", "",
        f"Cold start of docroot.wasm, from spawning `wasmtime serve` to the first 200: {r['cold_start_ms']['cached']:.0f} ms with",
        f"wasmtime's compilation cache, {r['cold_start_ms']['uncached']:.0f} ms without (`-C cache=n`, compiling the component).",
        "",
        f"Component sizes: docroot.wasm {r['size_bytes']['docroot']:,} bytes ({r['size_bytes']['docroot'] / 1024:.0f} KiB),",
        f"docroot_p2.wasm {r['size_bytes']['docroot_p2']:,} bytes ({r['size_bytes']['docroot_p2'] / 1024:.0f} KiB), release profile",
        f"(`opt-level = \"s\"`, LTO, one codegen unit, `panic = \"abort\"`, stripped); the floors",
        f"{r['size_bytes']['floor3']:,} bytes (0.3) and {r['size_bytes']['floor']:,} bytes (0.2).",
        "",
    ]
    if r.get("parts"):
        import memory as instance  # noqa: E402  (benches/memory.py, which imports this module's helpers)
        lines += [
            "docroot.wasm's core module by part, from wasm-ld's map of the same build unstripped",
            "(`target/sizes/docroot.map`): function bodies and static data by the crate each",
            "symbol belongs to, and its largest tables.",
            "",
            *instance.parts_rows(r["parts"]),
            "",
            "| largest tables | crate | KiB |",
            "| --- | --- | ---: |",
            *[f"| `{name}` | `{crate}` | {size / 1024:.1f} |" for size, crate, name in r["parts"]["tables"][:6]],
            "",
        ]
    return "\n".join(lines)


def chart(checks):
    """A horizontal bar chart of each measure against its target (1.0 = target met exactly)."""
    rows = []
    for c in checks:
        if c["target"] is None:
            continue
        # Normalise so that longer is better and the target sits at 1.0.
        score = c["value"] / c["target"] if c["kind"] == "ratio" else c["target"] / max(c["value"], 1e-9)
        rows.append((c["name"], c["value"], c["target"], score, c["ok"], c["kind"]))
    width, left, bar_h, gap = 760, 300, 22, 12
    scale = (width - left - 90) / max(2.0, max(r[3] for r in rows))
    height = 60 + len(rows) * (bar_h + gap) + 30
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="13">',
           f'<rect width="{width}" height="{height}" fill="#fff"/>',
           '<text x="10" y="24" font-size="15" font-weight="bold">docroot against its targets (bar = measure ÷ target; right of the line is met)</text>']
    x_target = left + scale * 1.0
    for i, (name, value, target, score, ok, kind) in enumerate(rows):
        y = 45 + i * (bar_h + gap)
        color = "#2f855a" if ok else "#c53030"
        label = f"{value:.2f} ({'≥' if kind == 'ratio' else '≤'} {target:g})"
        out.append(f'<text x="{left - 8}" y="{y + 16}" text-anchor="end">{name}</text>')
        out.append(f'<rect x="{left}" y="{y}" width="{max(scale * score, 1):.1f}" height="{bar_h}" fill="{color}"/>')
        out.append(f'<text x="{left + scale * score + 6:.1f}" y="{y + 16}">{label}</text>')
    out.append(f'<line x1="{x_target:.1f}" y1="38" x2="{x_target:.1f}" y2="{height - 25}" stroke="#222" stroke-dasharray="4 3"/>')
    out.append(f'<text x="{x_target:.1f}" y="{height - 10}" text-anchor="middle">target</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    main()
