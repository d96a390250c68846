#!/usr/bin/env python3
"""Resident memory of `jco serve` under load, whatever component it runs.

    python3 benches/jco-memory.py COMPONENT.wasm PATH [SECONDS]

Serves a small site (`1k.html`) with the component under jco serve, runs
`wrk -c 4` against PATH in 10-second steps, and prints the resident memory
of jco's process group (MiB) after each step. Run it with the floor
component (benches/floor, a 13-byte handler) and with docroot to tell the
host's growth from the component's.
"""

import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import free_port, jco_server  # noqa: E402


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    component, path = sys.argv[1], sys.argv[2]
    seconds = int(sys.argv[3]) if len(sys.argv) > 3 else 60
    tmp = Path(tempfile.mkdtemp(prefix="docroot-jco-memory-"))
    site = tmp / "site"
    site.mkdir()
    (site / "1k.html").write_bytes(b"x" * 1024)
    port = free_port()
    server = jco_server("jco", component, port, tmp, site)
    try:
        server.ready(path)
        steps = []
        for _ in range(max(1, seconds // 10)):
            subprocess.run(["wrk", "-t", "1", "-c", "4", "-d", "10s", f"http://127.0.0.1:{port}{path}"],
                           capture_output=True, check=True)
            steps.append(server.group_rss_kib() // 1024)
        print(f"{Path(component).name} {path}: jco's resident MiB after each 10 s: {steps}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
