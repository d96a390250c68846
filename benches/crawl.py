"""A real site's text files, fetched once each, as a browser asks for them.

Used by benches/run.py (the "Coding on the fly" section of BENCHMARKS.md):
every text file of a site (the Python documentation, Debian's python3-doc)
is asked for once, with Chrome's Accept-Encoding, over one keep-alive
connection; the bytes on the wire are counted and every body is decoded and
compared with its file. nginx, with `gzip on; gzip_comp_level 6` and
`gzip_static` with `gunzip`, serves the same files in the same run.
"""

import gzip
import http.client
import mimetypes
import os
from pathlib import Path

CHROME_ACCEPT_ENCODING = "gzip, deflate, br, zstd"

# What docroot's table (src/content_type.rs) codes, as Python names
# the types of this site's files.
TEXT_TYPES = ("application/javascript", "application/json", "application/xml", "image/svg+xml")


def text_files(root):
    """The site's text files as (URL path, original bytes): regular files,
    not symlinks (docroot refuses those leading out of the root), and each
    `name.gz` without a `name` as `name`, whose bytes are the decoded file."""
    root = Path(root)
    found = []
    for dirpath, _, names in os.walk(root):
        for name in names:
            path = Path(dirpath) / name
            if path.is_symlink() or not path.is_file():
                continue
            rel = path.relative_to(root).as_posix()
            if name.endswith(".gz") and not (path.with_name(name[:-3])).exists():
                kind = mimetypes.guess_type(name[:-3])[0] or ""
                if kind.startswith("text/") or kind in TEXT_TYPES:
                    found.append(("/" + rel[:-3], gzip.decompress(path.read_bytes())))
                continue
            kind = mimetypes.guess_type(name)[0] or ""
            if kind.startswith("text/") or kind in TEXT_TYPES:
                found.append(("/" + rel, path.read_bytes()))
    found.sort()
    return found


def quote(path):
    from urllib.parse import quote as q

    return q(path, safe="/")


def decode(coding, body):
    if coding in (None, "", "identity"):
        return body
    if coding == "br":
        # From PyPI (scripts/bench installs it); imported here, so that the
        # tools that share benches/run.py but never crawl do not need it.
        import brotli

        return brotli.decompress(body)
    if coding == "gzip":
        return gzip.decompress(body)
    raise ValueError(f"a coding this crawl does not decode: {coding}")


def crawl(port, files, accept_encoding=CHROME_ACCEPT_ENCODING):
    """Fetches every file once over one connection. Returns the body bytes
    and header bytes received, the identity bytes, the codings seen, and
    the files whose decoded body differed from the file (or failed)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    body_bytes = header_bytes = identity = 0
    codings = {}
    wrong = []
    for path, original in files:
        conn.request("GET", quote(path), headers={"Accept-Encoding": accept_encoding})
        r = conn.getresponse()
        body = r.read()  # http.client undoes chunking, not the coding
        header_bytes += len(f"HTTP/1.1 {r.status} {r.reason}\r\n") + 2 + sum(
            len(k) + len(v) + 4 for k, v in r.getheaders()
        )
        body_bytes += len(body)
        identity += len(original)
        coding = r.getheader("Content-Encoding")
        codings[coding or "identity"] = codings.get(coding or "identity", 0) + 1
        try:
            if r.status != 200 or decode(coding, body) != original:
                wrong.append((path, r.status, coding))
        except Exception as e:  # a body that does not decode
            wrong.append((path, r.status, f"{coding}: {e}"))
    conn.close()
    return {
        "files": len(files),
        "body_bytes": body_bytes,
        "header_bytes": header_bytes,
        "identity_bytes": identity,
        "codings": codings,
        "wrong": wrong,
    }


def nginx_gzip_conf(port, tmp, site):
    """nginx as the issue measured it: gzip at level 6 on every text type,
    the site's own .gz files (gzip_static) and their decoding (gunzip)."""
    (tmp / "nginx-gzip").mkdir(exist_ok=True)
    conf = tmp / "nginx-gzip.conf"
    conf.write_text(
        f"""
worker_processes auto;
daemon off;
pid {tmp}/nginx-gzip.pid;
error_log stderr warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    client_body_temp_path {tmp}/nginx-gzip/body;
    proxy_temp_path {tmp}/nginx-gzip/proxy;
    fastcgi_temp_path {tmp}/nginx-gzip/fastcgi;
    uwsgi_temp_path {tmp}/nginx-gzip/uwsgi;
    scgi_temp_path {tmp}/nginx-gzip/scgi;
    gzip on;
    gzip_comp_level 6;
    gzip_vary on;
    gzip_types text/plain text/css application/javascript text/javascript application/json
               application/xml text/xml image/svg+xml text/x-python;
    gzip_static on;
    gunzip on;
    server {{
        listen 127.0.0.1:{port};
        root {site};
    }}
}}
"""
    )
    return conf
