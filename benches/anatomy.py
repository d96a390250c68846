#!/usr/bin/env python3
"""What an instance of a component starts with: for each core module inside
it, what the host must set up at instantiation.

    python3 benches/anatomy.py [--find TEXT ...] [--map LINK.MAP] [--frames N] COMPONENT.wasm [...]

Prints, per core module: its function imports and defined functions, the
bytes of code, the function table's initial size and element entries, the
linear memory's initial size, the data segments (count, bytes, and the
extent from the lowest to the highest byte they write, which is what a
memory image maps), and the globals. Parses the binary itself (no
dependency), enough of the component format to find the core modules.

--find TEXT gives the linear-memory address of TEXT in the initialised data
(each place it occurs), and the 64 KiB block of the image it is in, which a
read of it faults in; --map LINK.MAP lists the data objects of at least 4 KiB
in a link map written by wasm-ld (an unstripped build with
RUSTFLAGS=-Clink-arg=--Map=LINK.MAP), with their blocks. --frames N lists
the N functions with the largest frames on the shadow stack in linear
memory (what each call takes below the stack pointer, from its prologue),
by name: build unstripped (CARGO_PROFILE_RELEASE_STRIP=false).
"""

import re
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
    """A signed LEB128 at b[i:]: the unsigned one, less 2**bits when the
    last byte's sign bit is set."""
    value, end = leb(b, i)
    if b[end - 1] & 0x40:
        value -= 1 << (7 * (end - i))
    return value, end


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


def data_segments(b):
    """A core module's active data segments: (offset, bytes)."""
    found = []
    i = 8
    while i < len(b):
        sid = b[i]
        size, start = leb(b, i + 1)
        if sid == 11:
            n, j = leb(b, start)
            for _ in range(n):
                flags, j = leb(b, j)
                offset = None
                if flags == 0:
                    offset, j = const_expr(b, j)
                elif flags == 2:
                    _, j = leb(b, j)
                    offset, j = const_expr(b, j)
                ln, j = leb(b, j)
                if offset is not None:
                    found.append((offset, b[j:j + ln]))
                j += ln
        i = start + size
    return found


def block(address):
    return f"block {address >> 16:#x}0000"


def big_objects(map_path):
    """Data objects of at least 4 KiB in a wasm-ld link map (its lines:
    address, file offset, size, then the input section)."""
    for line in open(map_path):
        fields = line.split(None, 3)
        if len(fields) < 4 or fields[0] == "-":
            continue
        m = re.search(r"\(\.(?:rodata|data|bss)\.(.+)\)\s*$", fields[3])
        if not m:
            continue
        try:
            address, size = int(fields[0], 16), int(fields[2], 16)
        except ValueError:
            continue
        if size >= 4096:
            yield address, size, m.group(1)


def frames(b):
    """{function index: bytes its prologue takes from the shadow stack} and
    {function index: name} of a core module."""
    sizes, names, imported = {}, {}, 0
    i = 8
    while i < len(b):
        sid = b[i]
        size, start = leb(b, i + 1)
        end = start + size
        if sid == 2:
            n, j = leb(b, start)
            for _ in range(n):
                for _ in range(2):
                    ln, j = leb(b, j)
                    j += ln
                kind = b[j]
                j += 1
                if kind == 0:
                    imported += 1
                    _, j = leb(b, j)
                elif kind == 1:
                    j += 1
                    _, _, j = limits(b, j)
                elif kind == 2:
                    _, _, j = limits(b, j)
                elif kind == 3:
                    j += 2
        elif sid == 10:
            n, j = leb(b, start)
            for f in range(n):
                body_size, body = leb(b, j)
                p = body
                locals_, p = leb(b, p)
                for _ in range(locals_):
                    _, p = leb(b, p)
                    p += 1
                # `global.get $__stack_pointer` (global 0), `i32.const N`, `i32.sub`
                for q in range(p, min(p + 8, body + body_size - 8)):
                    if b[q] == 0x23:
                        g, r = leb(b, q + 1)
                        if g == 0 and b[r] == 0x41:
                            v, r = sleb(b, r + 1)
                            if b[r] == 0x6B:
                                sizes[imported + f] = v
                        break
                j = body + body_size
        elif sid == 0:
            ln, j = leb(b, start)
            if b[j:j + ln] == b"name":
                j += ln
                while j < end:
                    sub = b[j]
                    sub_size, k = leb(b, j + 1)
                    if sub == 1:
                        n, q = leb(b, k)
                        for _ in range(n):
                            index, q = leb(b, q)
                            ln, q = leb(b, q)
                            names[index] = b[q:q + ln].decode("utf-8", "replace")
                            q += ln
                    j = k + sub_size
        i = end
    return sizes, names


def main():
    args = sys.argv[1:]
    finds, maps, paths, top = [], [], [], 0
    while args:
        arg = args.pop(0)
        if arg == "--find":
            finds.append(args.pop(0).encode())
        elif arg == "--map":
            maps.append(args.pop(0))
        elif arg == "--frames":
            top = int(args.pop(0))
        else:
            paths.append(arg)
    for map_path in maps:
        print(f"{map_path}: data objects of 4 KiB or more")
        for address, size, name in big_objects(map_path):
            print(f"  {address:#x} {size:9,} bytes  {block(address)} to {block(address + size - 1)}  {name[:90]}")
    for path in paths:
        data = open(path, "rb").read()
        print(f"{path}: {len(data):,} bytes")
        for n, m in enumerate(core_modules(data)):
            for text in finds:
                for offset, bytes_ in data_segments(m):
                    for hit in re.finditer(re.escape(text), bytes_):
                        address = offset + hit.start()
                        print(f"  core module {n}: {text.decode()!r} at {address:#x}, {block(address)}")
            if top:
                sizes, names = frames(m)
                for index, taken in sorted(sizes.items(), key=lambda kv: -kv[1])[:top]:
                    print(f"  core module {n}: frame {taken:6,} bytes  {names.get(index, f'function {index}')[:100]}")
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
