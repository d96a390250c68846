#!/usr/bin/env python3
"""What one docroot instance keeps, and what the component is made of.

    python3 benches/memory.py [--component NAME=WASM ...] [--crawl] [--map FILE] [--env VAR=VALUE ...]

Part of `./scripts/bench` (benches/run.py calls `instance_memory` and
`component_parts`); run alone, it compares components side by side, e.g.
the build before a change against this one, in one run:

- **instance memory**: for each kind of answer, a fresh `wasmtime serve`
  whose first request is that answer, and the instance's linear memory
  after it, from the access log (`mem=`). A WebAssembly memory never
  shrinks, so this is what a tenant keeps once it has answered so.
- with `--crawl`, **bytes on the wire**: every text file of the Python
  documentation once, with Chrome's Accept-Encoding (benches/crawl.py), so
  a change to the coders shows its bytes beside its memory.
- with `--map` (wasm-ld's `--Map` of an unstripped build, which
  scripts/bench makes), **the component by part**: code and data by crate,
  and the largest tables.
"""

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import crawl  # noqa: E402
from run import DOCROOT, PACK, PYTHON_DOCS, ROOT, free_port, wait_listening, wasmtime_server  # noqa: E402

# An 83 KiB page of the Python documentation: coded whole (at most 128 KiB).
PAGE = PYTHON_DOCS / "library/email.headerregistry.html"

# Each kind of answer: (label, site, path, Accept-Encoding, environment,
# the Content-Encoding the answer must carry).
KINDS = [
    ("the page as it is", "site", "/page.html", None, (), None),
    ("the page gzip-coded on the fly", "site", "/page.html", "gzip", (), "gzip"),
    ("the page br-coded on the fly", "site", "/page.html", "br", (), "br"),
    ("a packed site's page (its br sibling)", "packed", "/page.html", "br", (), "br"),
    ("a listing of 1,000 names, br-coded", "site", "/dir/", "br", (("DOCROOT_LISTING", "on"),), "br"),
    ("a large file streamed", "site", "/big.bin", "br", (), None),
    ("a 404 page, br-coded", "site", "/missing/page", "br", (), "br"),
    ("the info page, br-coded", "site", "/__docroot/info", "br", (), "br"),
]


def make_sites(tmp, big_mib):
    """The site of the kinds above, and the same page packed by docroot-pack."""
    site = tmp / "memory-site"
    (site / "dir").mkdir(parents=True)
    shutil.copyfile(PAGE, site / "page.html")
    for n in range(1000):
        (site / "dir" / f"entry {n:04d} of the listing.html").write_bytes(b"x")
    with open(site / "big.bin", "wb") as f:
        chunk = bytes(range(256)) * 4096
        for _ in range(big_mib):
            f.write(chunk)
    src, packed = tmp / "memory-pack-src", tmp / "memory-packed"
    src.mkdir()
    shutil.copyfile(PAGE, src / "page.html")
    subprocess.run([str(PACK), str(src), str(packed)], check=True, capture_output=True)
    return {"site": site, "packed": packed}


def first_answer_memory(component, tmp, site, path, coding, env, expect):
    """The instance's linear memory (KiB) after its first answer. `expect`
    is the Content-Encoding it must carry (`...`: any)."""
    port = free_port()
    server = wasmtime_server("memory", component, port, tmp, site, env=[("DOCROOT_ACCESS_LOG", "on"), *env])
    try:
        wait_listening(port, server.proc)
        headers = {"Accept-Encoding": coding} if coding else {}
        req = urllib.request.Request(f"{server.base}{path}", headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                r.read()
                got = r.headers.get("Content-Encoding")
        except urllib.error.HTTPError as e:
            e.read()
            got = e.headers.get("Content-Encoding")
        if expect is not ... and got != expect:
            raise RuntimeError(f"{path} with {coding}: Content-Encoding {got}, expected {expect}")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            found = re.findall(r"mem=(\d+)KiB", Path(server.log_path).read_text())
            if found:
                return int(found[0])
            time.sleep(0.02)
        raise RuntimeError(f"{path}: no access-log line within 10 s")
    finally:
        server.stop()


def instance_memory(component, tmp, sites, extra_env=()):
    """{kind label: KiB} for `component`. With `extra_env` (which may change
    the codings made), an answer may carry any Content-Encoding."""
    return {label: first_answer_memory(component, tmp, sites[site], path, coding, (*env, *extra_env),
                                       ... if extra_env else expect)
            for label, site, path, coding, env, expect in KINDS}


def wire_bytes(component, tmp, extra_env=()):
    """Bytes on the wire (bodies) for every text file of the Python
    documentation once, and the files' own bytes."""
    site = PYTHON_DOCS.resolve()
    files = crawl.text_files(site)
    port = free_port()
    server = wasmtime_server("memory-crawl", component, port, tmp, site, env=list(extra_env))
    try:
        server.ready("/index.html")
        got = crawl.crawl(port, files)
    finally:
        server.stop()
    if got["wrong"]:
        raise RuntimeError(f"bodies that differ from their file: {got['wrong'][:5]}")
    return {"files": got["files"], "body_bytes": got["body_bytes"], "identity_bytes": got["identity_bytes"]}


def crate_of(symbol):
    """The crate a (mangled) Rust symbol belongs to, or the symbol's own
    name for C (wasi-libc) and sections."""
    legacy = re.match(r"_ZN(\d+)", symbol)
    if legacy:
        n = int(legacy.group(1))
        start = legacy.end()
        first = symbol[start:start + n]
        if first.startswith("_$LT$"):
            # `<brotli::enc::X as core::ops::Drop>::drop`: the crate of the type.
            return first[len("_$LT$"):].split("..")[0].split("$")[0]
        return first
    v0 = re.search(r"C(?:s[0-9a-zA-Z]*_)?(\d+)([A-Za-z_][A-Za-z0-9_]*)", symbol) if symbol.startswith("_R") else None
    if v0:
        return v0.group(2)[: int(v0.group(1))]
    return None


def readable(symbol):
    """A legacy-mangled Rust symbol as a path (`brotli::enc::…`), without
    its hash; other symbols as they are."""
    if not symbol.startswith("_ZN"):
        return symbol
    parts, i = [], 3
    while i < len(symbol) and symbol[i].isdigit():
        j = i
        while symbol[j].isdigit():
            j += 1
        n = int(symbol[i:j])
        parts.append(symbol[j:j + n])
        i = j + n
    if parts and re.fullmatch(r"h[0-9a-f]{16}", parts[-1]):
        parts.pop()
    return "::".join(parts) or symbol


def component_parts(map_path):
    """Code and data by crate, from wasm-ld's map of the core module: each
    input symbol's size, in its output section."""
    code, data, tables = defaultdict(int), defaultdict(int), []
    section = None
    for line in Path(map_path).read_text().splitlines():
        fields = line.split()
        if len(fields) >= 4 and fields[3] in ("CODE", "DATA") and len(fields) == 4:
            section = fields[3]
            continue
        if len(fields) == 4 and fields[3].isupper():
            section = None
            continue
        if section is None or len(fields) != 4 or "(" in fields[3]:
            continue
        size = int(fields[2], 16)
        name = fields[3]
        if name.startswith("["):
            crate = "the component's exports (wit-bindgen)"  # `[async-lift]…`, `[callback]…`
        else:
            crate = crate_of(name) or ("wasi-libc" if not name.startswith((".", "_R", "_Z")) else "other")
        if section == "CODE":
            code[crate] += size
        elif name in (".rodata", ".data", ".bss", ".tdata"):
            continue  # a segment: its symbols follow
        else:
            if name.startswith(".L"):
                crate = "(unnamed constants)"
            data[crate] += size
            tables.append((size, crate, readable(name)))
    tables.sort(reverse=True)
    return {"code": dict(code), "data": dict(data), "tables": tables[:8]}


def parts_rows(parts, top=8):
    """Markdown rows: the crates taking the most bytes, code and data."""
    by = defaultdict(lambda: [0, 0])
    for crate, size in parts["code"].items():
        by[crate][0] += size
    for crate, size in parts["data"].items():
        by[crate][1] += size
    total_code, total_data = sum(parts["code"].values()), sum(parts["data"].values())
    rows = ["| crate | code (KiB) | data (KiB) |", "| --- | ---: | ---: |"]
    ranked = sorted(by.items(), key=lambda kv: -(kv[1][0] + kv[1][1]))
    for crate, (c, d) in ranked[:top]:
        rows.append(f"| `{crate}` | {c / 1024:.1f} | {d / 1024:.1f} |")
    rest_c = total_code - sum(v[0] for _, v in ranked[:top])
    rest_d = total_data - sum(v[1] for _, v in ranked[:top])
    rows.append(f"| the rest | {rest_c / 1024:.1f} | {rest_d / 1024:.1f} |")
    rows.append(f"| **all** | **{total_code / 1024:.1f}** | **{total_data / 1024:.1f}** |")
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--component", action="append", help="NAME=WASM (default: this tree's docroot.wasm)")
    p.add_argument("--crawl", action="store_true", help="also the bytes on the wire of the Python docs")
    p.add_argument("--map", help="wasm-ld's map of an unstripped build: the component by part")
    p.add_argument("--big-mib", type=int, default=64)
    p.add_argument("--env", action="append", default=[],
                   help="VAR=VALUE for every server, e.g. DOCROOT_COMPRESSION=gzip")
    args = p.parse_args()
    components = [c.split("=", 1) for c in args.component or [f"docroot.wasm={DOCROOT}"]]
    extra_env = [tuple(e.split("=", 1)) for e in args.env]
    tmp = Path(tempfile.mkdtemp(prefix="docroot-memory-"))
    try:
        sites = make_sites(tmp, args.big_mib)
        results = {name: instance_memory(Path(wasm), tmp, sites, extra_env) for name, wasm in components}
        names = [name for name, _ in components]
        print("| the instance's first answer | " + " | ".join(f"{n} (KiB)" for n in names) + " |")
        print("| --- |" + " ---: |" * len(names))
        for label, *_ in KINDS:
            print(f"| {label} | " + " | ".join(f"{results[n][label]:,}" for n in names) + " |")
        if args.crawl:
            wire = {name: wire_bytes(Path(wasm), tmp, extra_env) for name, wasm in components}
            first = wire[names[0]]
            print(f"\nPython documentation, {first['files']} text files once ({first['identity_bytes']:,} bytes):\n")
            print("| component | bytes on the wire | ÷ the first |")
            print("| --- | ---: | ---: |")
            for n in names:
                print(f"| {n} | {wire[n]['body_bytes']:,} | {wire[n]['body_bytes'] / first['body_bytes']:.4f} |")
        if args.map:
            print()
            print("\n".join(parts_rows(component_parts(args.map))))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
