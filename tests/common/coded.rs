//! A site for the tests of content coding: compressible files of every
//! size class (too short to code, coded whole, coded while streaming), a
//! type that is never coded, files that exist only as `name.gz`, real
//! precompressed twins, and awkward names; with the decoding a client does.

use super::Fixture;
use std::io::{Read, Write};

/// Text like a site's: markup that repeats, with enough variety that
/// coders differ. `seed` makes each file its own.
pub fn page_text(len: usize, seed: u32) -> Vec<u8> {
    let mut text = b"<!doctype html><html lang=\"en\"><title>page</title>\n".to_vec();
    let mut n = seed;
    while text.len() < len {
        n = n.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let line = format!(
            "<li class=\"item-{}\"><a href=\"/docs/{}/page-{}.html\">Chapter {} \u{2014} {}</a></li>\n",
            n % 7,
            n % 13,
            n % 977,
            n % 101,
            ["intro", "usage", "reference", "faq"][(n % 4) as usize]
        );
        text.extend_from_slice(line.as_bytes());
    }
    text.truncate(len);
    text
}

/// gzip of `bytes`, as a site's build makes its `.gz` files.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

/// `body` decoded from `coding`, as a client decodes it.
pub fn decode(coding: Option<&str>, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match coding {
        None => return body.to_vec(),
        Some("br") => {
            brotli::Decompressor::new(body, 4096)
                .read_to_end(&mut out)
                .expect("valid brotli");
        }
        Some("gzip") => {
            flate2::read::MultiGzDecoder::new(body)
                .read_to_end(&mut out)
                .expect("valid gzip");
        }
        Some(other) => panic!("a coding the tests do not decode: {other}"),
    }
    out
}

/// The files of [`fixture`], by name.
pub fn files() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("long page \u{fc}.html", page_text(20_000, 1)),
        ("app script.js", page_text(6_000, 2)),
        ("data set.json", page_text(3_000, 3)),
        ("vector.svg", page_text(2_000, 4)),
        ("exactly-512.txt", page_text(512, 5)),
        ("just-511.txt", page_text(511, 6)),
        ("at the bound.html", page_text(128 * 1024, 7)),
        ("big text.txt", page_text(300 * 1024, 8)),
        ("photo.jpg", page_text(4_000, 9)),
        ("font.woff2", page_text(4_000, 10)),
        ("404.html", page_text(3_000, 11)),
        ("twin.css", page_text(5_000, 12)),
        ("twin.css.gz", gzip(&page_text(5_000, 12))),
        ("z.js", page_text(5_000, 13)),
        ("z.js.zst", b"zstd bytes standing in".to_vec()),
        ("only \u{65e5}.html.gz", gzip(&page_text(9_000, 14))),
        ("gzdir/index.html.gz", gzip(&page_text(4_000, 15))),
        ("bad.html.gz", b"not gzip at all, though named so".to_vec()),
        ("archive.tar.gz", gzip(&page_text(4_000, 16))),
    ]
}

/// The original of a file that exists only as `name.gz`.
pub fn only_gzip_original(name: &str) -> Vec<u8> {
    match name {
        "only \u{65e5}.html" => page_text(9_000, 14),
        "gzdir/index.html" => page_text(4_000, 15),
        _ => panic!("{name} has no .gz"),
    }
}

/// The site, in `Fixture::root()`, with a directory of 300 files whose
/// listing is long enough to code.
pub fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("site");
    for (name, content) in files() {
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    std::fs::create_dir_all(root.join("many")).unwrap();
    for n in 0..300 {
        std::fs::write(root.join(format!("many/file {n}.txt")), b"x").unwrap();
    }
    Fixture { dir }
}
