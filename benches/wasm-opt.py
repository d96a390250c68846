#!/usr/bin/env python3
"""What `wasm-opt` would make of a component: sizes before and after.

    python3 benches/wasm-opt.py [WASM] [--level -Oz] [--out FILE]

wasm-opt (binaryen) reads core modules, not components, so this takes the
component's core module out, runs `wasm-opt` on it, and puts it back in a
copy (its imports and exports are unchanged, so the component's own
sections still fit it). It prints the sizes of the component and of what
`wasmtime compile` makes of it, for the original and the copy; the copy
(`--out`, by default beside the original as `NAME.opt.wasm`) can then be
measured like any component (benches/tenants.py, benches/ab.py). Needs
`wasm-opt` on PATH (Debian's `binaryen`); never part of the build.
"""

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import DOCROOT  # noqa: E402
from tenants import joined, sections  # noqa: E402

# The proposals Rust's wasm32-wasip2 target uses, which binaryen 108 wants named.
FEATURES = ["--enable-bulk-memory", "--enable-sign-ext", "--enable-mutable-globals", "--enable-multivalue",
            "--enable-reference-types", "--enable-nontrapping-float-to-int"]


def compiled_size(wasm, tmp):
    out = Path(tmp) / (Path(wasm).name + ".cwasm")
    subprocess.run(["wasmtime", "compile", str(wasm), "-o", str(out)], check=True)
    return out.stat().st_size


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("wasm", nargs="?", default=str(DOCROOT))
    p.add_argument("--level", default="-Oz")
    p.add_argument("--out")
    args = p.parse_args()
    wasm = Path(args.wasm)
    out = Path(args.out) if args.out else wasm.with_suffix(".opt.wasm")
    with tempfile.TemporaryDirectory() as tmp:
        preamble, secs = sections(wasm.read_bytes())
        first = next(i for i, (sid, _) in enumerate(secs) if sid == 1)
        core, optimised = Path(tmp) / "core.wasm", Path(tmp) / "core.opt.wasm"
        core.write_bytes(secs[first][1])
        subprocess.run(["wasm-opt", args.level, *FEATURES, str(core), "-o", str(optimised)], check=True)
        secs[first] = (1, optimised.read_bytes())
        out.write_bytes(joined(preamble, secs))
        print("| component | bytes | core module | compiled by `wasmtime compile` |")
        print("| --- | ---: | ---: | ---: |")
        for name, path, module in [(wasm.name, wasm, core), (f"after `wasm-opt {args.level}`", out, optimised)]:
            print(f"| {name} | {path.stat().st_size:,} | {module.stat().st_size:,} | {compiled_size(path, tmp):,} |")


if __name__ == "__main__":
    main()
