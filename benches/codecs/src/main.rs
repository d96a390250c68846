//! Content codings measured on a site's compressible files (those docroot's
//! table says are, `docroot::content_type::is_compressible`): for
//! each coder and setting, the bytes out per byte in, the speed, and the
//! most memory one encode held at once; then, for short answers, what
//! coding saves by length, to choose the minimum size worth coding.
//!
//! Natively, and under wasmtime as the component runs (same opt-level):
//!
//! ```sh
//! cd benches/codecs
//! cargo run --release -- /usr/share/doc/python3/html
//! cargo build --release --target wasm32-wasip2
//! wasmtime run -S cli --dir /usr/share/doc/python3/html::/site \
//!     target/wasm32-wasip2/release/codecs.wasm /site
//! ```
//!
//! `--whole` keeps only the files docroot codes whole (at most 128 KiB).
//! `--only br:5,gzip:6` measures just those settings; `docroot-br:5` is
//! brotli as docroot codes a file whole (`docroot::codec::encode`), and
//! `br-compress:1:17` brotli through `brotli::BrotliCompress` (4 KiB of
//! input at a time), as docroot coded it before issue 32.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// The allocator, counting the bytes held and their peak.
struct Counting;

static HELD: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let held = HELD.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(held, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        HELD.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Where coded bytes go: counted and dropped, as a response body's are
/// once the host has taken them, so the memory measured is the coder's.
#[derive(Default)]
struct Sink(usize);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A coder and its setting.
#[derive(Debug, Clone, Copy)]
enum Coder {
    /// brotli at a quality, with a window of 2^lgwin bytes and blocks of
    /// at most 2^lgblock (0: brotli's choice).
    Brotli { quality: u32, lgwin: u32, lgblock: u32 },
    /// brotli at a quality through `brotli::BrotliCompress`, which gives
    /// the encoder 4 KiB at a time: how docroot coded a file whole before
    /// issue 32.
    BrotliCompress { quality: u32, lgwin: u32 },
    /// brotli at a quality as docroot codes it whole
    /// (`docroot::codec::encode`: from quality 5, its compact settings).
    Docroot { quality: u32 },
    /// gzip (deflate) at a level.
    Gzip { level: u32 },
    /// zstd by ruzstd, the pure-Rust encoder, at its one fast level.
    ZstdFastest,
}

impl Coder {
    fn name(self) -> String {
        match self {
            Coder::Brotli {
                quality,
                lgwin,
                lgblock: 0,
            } => format!("br q{quality} w{lgwin}"),
            Coder::Brotli {
                quality,
                lgwin,
                lgblock,
            } => format!("br q{quality} w{lgwin} b{lgblock}"),
            Coder::Docroot { quality } => format!("br q{quality} as docroot codes it"),
            Coder::BrotliCompress { quality, lgwin } => {
                format!("br q{quality} w{lgwin} through BrotliCompress")
            }
            Coder::Gzip { level } => format!("gzip {level}"),
            Coder::ZstdFastest => "zstd (ruzstd Fastest)".to_owned(),
        }
    }

    fn parse(spec: &str) -> Option<Coder> {
        let mut parts = spec.split(':');
        let name = parts.next()?;
        let level: u32 = parts.next()?.parse().ok()?;
        let lgwin: u32 = parts.next().map_or(Some(22), |w| w.parse().ok())?;
        let lgblock: u32 = parts.next().map_or(Some(0), |b| b.parse().ok())?;
        match name {
            "br" => Some(Coder::Brotli {
                quality: level,
                lgwin,
                lgblock,
            }),
            "gzip" => Some(Coder::Gzip { level }),
            "docroot-br" => Some(Coder::Docroot { quality: level }),
            "br-compress" => Some(Coder::BrotliCompress { quality: level, lgwin }),
            "zstd" => Some(Coder::ZstdFastest),
            _ => None,
        }
    }

    /// The length of `input` coded, written in pieces of `chunk` bytes as
    /// docroot's streaming writes a file.
    fn encode(self, input: &[u8], chunk: usize) -> usize {
        match self {
            Coder::Brotli {
                quality,
                lgwin,
                lgblock,
            } => {
                let params = brotli::enc::BrotliEncoderParams {
                    quality: quality as i32,
                    lgwin: lgwin as i32,
                    lgblock: lgblock as i32,
                    size_hint: if std::env::var_os("NO_SIZE_HINT").is_some() { 0 } else { input.len() },
                    ..Default::default()
                };
                let mut w = brotli::CompressorWriter::with_params(Sink::default(), 4096, &params);
                for piece in input.chunks(chunk) {
                    w.write_all(piece).unwrap();
                }
                w.into_inner().0
            }
            Coder::BrotliCompress { quality, lgwin } => {
                let params = brotli::enc::BrotliEncoderParams {
                    quality: quality as i32,
                    lgwin: lgwin as i32,
                    size_hint: input.len(),
                    ..Default::default()
                };
                let mut out = Vec::new();
                brotli::BrotliCompress(&mut &input[..], &mut out, &params).unwrap();
                out.len()
            }
            Coder::Docroot { quality } => {
                let made = docroot::codec::Made {
                    encoding: docroot::codec::Encoding::Brotli,
                    level: quality,
                };
                docroot::codec::encode(input, made).expect("docroot codes brotli").len()
            }
            Coder::Gzip { level } => {
                let mut w = flate2::write::GzEncoder::new(
                    Sink::default(),
                    flate2::Compression::new(level),
                );
                for piece in input.chunks(chunk) {
                    w.write_all(piece).unwrap();
                }
                w.finish().unwrap().0
            }
            Coder::ZstdFastest => {
                let mut sink = Sink::default();
                ruzstd::encoding::compress(
                    input,
                    &mut sink,
                    ruzstd::encoding::CompressionLevel::Fastest,
                );
                sink.0
            }
        }
    }
}

/// Every file under `dir` docroot would code, with its bytes.
fn compressible(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            // Symlinks are not followed: docroot refuses those that leave the root.
            let Ok(kind) = entry.file_type() else { continue };
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file() {
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
                let ty = docroot::content_type::for_name(name);
                if docroot::content_type::is_compressible(&ty)
                    && let Ok(bytes) = std::fs::read(&path)
                {
                    found.push((path, bytes));
                }
            }
        }
    }
    found.sort();
    found
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(dir) = args.first() else {
        eprintln!("usage: codecs DIR [--whole] [--only br:5,gzip:6,zstd:1,docroot-br:5]");
        std::process::exit(2);
    };
    let mut files = compressible(Path::new(dir));
    if args.iter().any(|a| a == "--whole") {
        // Only the files docroot codes whole (at most 128 KiB).
        files.retain(|(_, b)| b.len() as u64 <= docroot::codec::WHOLE_MAX);
    }
    let total: usize = files.iter().map(|(_, b)| b.len()).sum();
    let biggest = files.iter().map(|(_, b)| b.len()).max().unwrap_or(0);
    println!(
        "{} compressible files, {:.1} MB, the biggest {} KiB",
        files.len(),
        total as f64 / 1e6,
        biggest / 1024
    );
    let coders: Vec<Coder> = match args.iter().position(|a| a == "--only") {
        Some(at) => args[at + 1].split(',').filter_map(Coder::parse).collect(),
        None => {
            let mut all = vec![
                Coder::Gzip { level: 1 },
                Coder::Gzip { level: 6 },
                Coder::Gzip { level: 9 },
                Coder::ZstdFastest,
            ];
            for quality in [1, 3, 4, 5, 6, 7, 9, 10, 11] {
                all.push(Coder::Brotli {
                    quality,
                    lgwin: 22,
                    lgblock: 0,
                });
            }
            for (quality, lgwin, lgblock) in [
                (4, 18, 0),
                (4, 18, 16),
                (5, 18, 0),
                (5, 18, 16),
                (5, 20, 0),
                (5, 20, 16),
                (6, 20, 16),
            ] {
                all.push(Coder::Brotli {
                    quality,
                    lgwin,
                    lgblock,
                });
            }
            all
        }
    };
    println!("| coder | bytes out / in | MB/s in | memory one encode of the biggest file held |");
    println!("| --- | ---: | ---: | ---: |");
    for coder in &coders {
        let start = Instant::now();
        let mut out = 0;
        for (_, bytes) in &files {
            out += coder.encode(bytes, 256 * 1024);
        }
        let seconds = start.elapsed().as_secs_f64();
        let big = files.iter().max_by_key(|(_, b)| b.len()).map(|(_, b)| b);
        let before = HELD.load(Ordering::Relaxed);
        PEAK.store(before, Ordering::Relaxed);
        if let Some(big) = big {
            std::hint::black_box(coder.encode(big, 256 * 1024));
        }
        let memory = PEAK.load(Ordering::Relaxed) - before;
        println!(
            "| {} | {:.3} | {:.1} | {} KiB |",
            coder.name(),
            out as f64 / total as f64,
            total as f64 / 1e6 / seconds,
            memory / 1024
        );
    }
    // Short answers: the first `n` bytes of every file at least that long,
    // coded whole; what is saved, after the 45 bytes the coded answer's
    // extra headers cost (`content-encoding: br` and `vary: accept-encoding`).
    println!();
    println!("| length | files | gzip 6: bytes saved per answer | br q5: bytes saved per answer |");
    println!("| ---: | ---: | ---: | ---: |");
    for n in [64, 128, 256, 512, 1024, 2048, 4096] {
        let prefixes: Vec<&[u8]> = files
            .iter()
            .filter(|(_, b)| b.len() >= n)
            .map(|(_, b)| &b[..n])
            .collect();
        let saved = |coder: Coder| {
            let out: usize = prefixes.iter().map(|p| coder.encode(p, n)).sum();
            (n as f64 * prefixes.len() as f64 - out as f64) / prefixes.len() as f64 - 45.0
        };
        println!(
            "| {n} | {} | {:.0} | {:.0} |",
            prefixes.len(),
            saved(Coder::Gzip { level: 6 }),
            saved(Coder::Brotli {
                quality: 5,
                lgwin: 22,
                lgblock: 0,
            })
        );
    }
}
