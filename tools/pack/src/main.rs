//! `docroot-pack SRC OUT`: packs a site for deploying.
//!
//! It first refuses what `site-guard` refuses (with site-guard's own
//! checks, and its lines): a symlink that leads outside SRC, a broken or
//! looping symlink, one that leads back to a directory holding it, a FIFO,
//! socket or device, a directory it cannot read, each line of the site's
//! `_redirects` and `_headers` that docroot would skip; it warns (without
//! failing) of each `Basic-Auth` line. Then nothing is written.
//!
//! Else it writes OUT, the tree to deploy:
//!
//! - every file of SRC, with its modification time; a symlink that stays
//!   inside SRC is copied as the file or directory it names, and nothing
//!   outside SRC is ever read, nor anything in OUT written through a link;
//! - beside each file docroot would code on the fly (a compressible type,
//!   at least `docroot::codec::MIN_LEN` bytes), `name.br` (brotli at
//!   quality 11) and `name.gz` (gzip by zopfli), each kept only if smaller
//!   than the file, with the file's modification time; a sibling the site
//!   has (`name.br`, `name.gz`, `name.zst`) is copied as it is instead;
//! - `_docroot-manifest` at OUT's top (`docroot::manifest`): each file's
//!   digest, size and modification time, so that every copy of the tree
//!   answers with the same validators. A `_docroot-manifest` in SRC is
//!   left out.
//!
//! Packing again into the same OUT redoes only what changed: a file OUT
//! holds as it is is not rewritten, the siblings of a file whose digest
//! the last manifest records are kept, what SRC no longer has is removed,
//! and the manifest is written last, whole (a temporary file renamed).
//! Files are packed on every core; a progress bar shows on a terminal,
//! and one line sums the pack up.
//!
//! Exit status: 0 when packed, 1 on any problem in SRC (nothing written)
//! or a file that could not be packed, 2 on a usage error (not two
//! directories; OUT inside SRC or SRC inside OUT; OUT not a directory, or
//! one holding files but no manifest, which is no pack's output). Every
//! line goes to stderr.
//!
//! A native tool: built for wasm (the workspace's build builds every
//! member) it only says so.

#![forbid(unsafe_code)]

#[cfg(not(target_family = "wasm"))]
mod cli;
#[cfg(not(target_family = "wasm"))]
mod code;
#[cfg(not(target_family = "wasm"))]
mod job;
#[cfg(not(target_family = "wasm"))]
mod out;
#[cfg(not(target_family = "wasm"))]
mod plan;

use std::process::ExitCode;

#[cfg(not(target_family = "wasm"))]
fn main() -> ExitCode {
    let args: Vec<_> = std::env::args_os().skip(1).collect();
    // Not stderr locked for the whole run: the progress bar draws on it
    // from the threads that pack, while this one waits for them.
    ExitCode::from(cli::run(&args, &mut std::io::stderr()))
}

#[cfg(target_family = "wasm")]
fn main() -> ExitCode {
    eprintln!("docroot-pack: a native tool; build and run it for this machine (scripts/pack)");
    ExitCode::from(2)
}
