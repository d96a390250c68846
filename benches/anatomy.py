#!/usr/bin/env python3
"""What an instance of a component starts with: for each core module inside
it, what the host must set up at instantiation.

    python3 benches/anatomy.py COMPONENT.wasm [...]

Prints, per core module: its function imports and defined functions, the
bytes of code, the function table's initial size and element entries, the
linear memory's initial size, the data segments (count, bytes, and the
extent from the lowest to the highest byte they write, which is what a
memory image maps), and the globals. Parses the binary itself (no
dependency), enough of the component format to find the core modules.
"""

import sys


def leb(b, i):
    """An unsigned LEB128 at b[i:]: (value, next index)."""
    value = shift = 0
    while True:
        byte = b[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def sleb(b, i):
    value = shift = 0
    while True:
        byte = b[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            if byte & 0x40:
                value -= 1 << shift
            return value, i


def const_expr(b, i):
    """An i32.const or global.get offset expression: (value or None, next)."""
    op = b[i]
    i += 1
    value = None
    if op == 0x41:
        value, i = sleb(b, i)
    elif op == 0x42:
        value, i = sleb(b, i)
    elif op == 0x23:
        _, i = leb(b, i)
    while b[i] != 0x0B:
        i += 1
    return value, i + 1


def limits(b, i):
    flags = b[i]
    i += 1
    low, i = leb(b, i)
    high = None
    if flags & 1:
        high, i = leb(b, i)
    return low, high, i


def module(b):
    """The facts of one core module's bytes (with its 8-byte header)."""
    facts = dict(func_imports=0, funcs=0, code_bytes=0, table=0, elements=0,
                 memory_pages=0, data_segments=0, data_bytes=0, data_lo=None, data_hi=0,
                 globals=0, exports=0)
    i = 8
    while i < len(b):
        sid = b[i]
        size, j = leb(b, i + 1)
        end = j + size
        if sid == 2:  # imports
            n, j = leb(b, j)
            for _ in range(n):
                for _ in range(2):
                    ln, j = leb(b, j)
                    j += ln
                kind = b[j]
                j += 1
                if kind == 0:
                    facts["func_imports"] += 1
                    _, j = leb(b, j)
                elif kind == 1:
                    j += 1
                    _, _, j = limits(b, j)
                elif kind == 2:
                    _, _, j = limits(b, j)
                elif kind == 3:
                    j += 2
                else:
                    break
        elif sid == 3:
            facts["funcs"], _ = leb(b, j)
        elif sid == 4:
            n, j = leb(b, j)
            if n:
                j += 1
                facts["table"], _, j = limits(b, j)
        elif sid == 5:
            n, j = leb(b, j)
            if n:
                facts["memory_pages"], _, j = limits(b, j)
        elif sid == 6:
            facts["globals"], _ = leb(b, j)
        elif sid == 7:
            facts["exports"], _ = leb(b, j)
        elif sid == 9:
            n, j = leb(b, j)
            for _ in range(n):
                flags, j = leb(b, j)
                if flags == 0:
                    _, j = const_expr(b, j)
                    count, j = leb(b, j)
                    facts["elements"] += count
                    for _ in range(count):
                        _, j = leb(b, j)
                else:
                    break  # other forms: not made by rustc for these
        elif sid == 10:
            facts["code_bytes"] = size
        elif sid == 11:
            n, j = leb(b, j)
            facts["data_segments"] = n
            for _ in range(n):
                flags, j = leb(b, j)
                offset = None
                if flags == 0:
                    offset, j = const_expr(b, j)
                elif flags == 2:
                    _, j = leb(b, j)
                    offset, j = const_expr(b, j)
                ln, j = leb(b, j)
                facts["data_bytes"] += ln
                if offset is not None:
                    lo = offset if facts["data_lo"] is None else min(facts["data_lo"], offset)
                    facts["data_lo"] = lo
                    facts["data_hi"] = max(facts["data_hi"], offset + ln)
                j += ln
        i = end
    return facts


def core_modules(b):
    """Every core module's bytes, at any depth of the component."""
    if b[4:8] == b"\x01\x00\x00\x00":  # a core module itself
        return [b]
    found = []
    i = 8
    while i < len(b):
        sid = b[i]
        size, j = leb(b, i + 1)
        if sid == 1:  # core module
            found.append(b[j:j + size])
        elif sid == 4:  # nested component
            found += core_modules(b[j:j + size])
        i = j + size
    return found


def main():
    for path in sys.argv[1:]:
        data = open(path, "rb").read()
        print(f"{path}: {len(data):,} bytes")
        for n, m in enumerate(core_modules(data)):
            f = module(m)
            extent = (f["data_hi"] - (f["data_lo"] or 0)) if f["data_segments"] else 0
            print(f"  core module {n}: {len(m):,} bytes; {f['func_imports']} function imports, "
                  f"{f['funcs']} functions ({f['code_bytes']:,} bytes of code), {f['exports']} exports")
            print(f"    table {f['table']} ({f['elements']} elements), memory {f['memory_pages']} pages "
                  f"({f['memory_pages'] * 64} KiB), {f['globals']} globals")
            print(f"    data: {f['data_segments']} segments, {f['data_bytes']:,} bytes, "
                  f"extent {extent:,} bytes ({(extent + 4095) // 4096} pages of 4 KiB)")


if __name__ == "__main__":
    main()
