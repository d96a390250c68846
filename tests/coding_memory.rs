//! What one on-the-fly encode holds at its peak: a WebAssembly memory
//! never shrinks, so an instance keeps the most its encoder ever held
//! (issue 32). Counted by this test binary's own allocator.

use docroot::codec::{self, Effort, Encoding};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static HELD: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let held = HELD.fetch_add(layout.size(), Ordering::SeqCst) + layout.size();
        PEAK.fetch_max(held, Ordering::SeqCst);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        HELD.fetch_sub(layout.size(), Ordering::SeqCst);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Text like a site's page, `len` bytes.
fn page(len: usize) -> Vec<u8> {
    let mut text = Vec::new();
    let mut n = 0u64;
    while text.len() < len {
        text.extend_from_slice(
            format!(
                "<tr><td><a href=\"/api/item-{n}.html\">item {n}</a></td><td>{}</td></tr>\n",
                n * 7919 % 1000
            )
            .as_bytes(),
        );
        n = n
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407)
            % 100_000;
    }
    text.truncate(len);
    text
}

/// The most bytes held at once while `work` ran, beyond what was held
/// before, and its result. The counters are the process's, so this file
/// has one test: no other thread allocates while it measures.
fn peak<T>(work: impl FnOnce() -> T) -> (usize, T) {
    let before = HELD.load(Ordering::SeqCst);
    PEAK.store(before, Ordering::SeqCst);
    let out = work();
    (PEAK.load(Ordering::SeqCst) - before, out)
}

#[test]
fn one_encode_holds_at_most_1_25_mib() {
    // The largest file coded whole, and one that fits a 64 KiB window.
    for len in [codec::WHOLE_MAX as usize, 60 * 1024] {
        let text = page(len);
        let (held, coded) = peak(|| codec::encode(&text, Effort::Thorough.made(Encoding::Brotli)));
        let coded = coded.unwrap();
        assert!(coded.len() < len / 4, "{len}: {} bytes out", coded.len());
        // brotli's own settings for quality 5 held 2.5 MiB here.
        assert!(
            held <= 1280 * 1024,
            "{len} bytes: the encode held {} KiB",
            held / 1024
        );
    }

    // The other coders hold less.
    let text = page(codec::WHOLE_MAX as usize);
    for made in [
        Effort::Fast.made(Encoding::Brotli),
        Effort::Thorough.made(Encoding::Gzip),
        Effort::Fast.made(Encoding::Gzip),
    ] {
        let (held, coded) = peak(|| codec::encode(&text, made));
        assert!(coded.is_some());
        assert!(
            held <= 640 * 1024,
            "{made:?}: the encode held {} KiB",
            held / 1024
        );
    }
}
