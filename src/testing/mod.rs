//! An in-memory site with fault injection: the one test double of
//! [`Files`], for the unit tests, the request→response tests and the fuzz
//! target; and [`guest`], an executor that runs the core's futures by the
//! rules of the runtime that runs them in `docroot.wasm`. Compiled for the
//! crate's own tests and with the `testing` feature; never in the
//! component.
//!
//! It also checks the core's side of the contract: every path it is asked
//! for must be plain names (no empty name, `.`, `..`, `/`, `\` or NUL), and
//! it panics on any other, so a test or the fuzzer that drives the core
//! into such a lookup fails.

#![forbid(unsafe_code)]

pub mod guest;

use crate::codec::{CodingError, Transcoder};
use crate::fs::{Entry, Files, FsError, Kind, Meta};
use crate::http::Body;
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The bytes a glue sends for `body`, as a client receives them (still
/// coded when the answer has a `Content-Encoding`). `read(file, offset,
/// len)` gives up to `len` of a file's bytes from `offset`; a body that
/// streams through a coder is coded here as the glues code it, in chunks.
/// An error when a file is shorter than the body says, or cannot be
/// coded.
pub fn body_bytes<F>(
    body: Body<F>,
    read: impl Fn(&F, u64, u64) -> Vec<u8>,
) -> Result<Vec<u8>, CodingError> {
    let short = |got: usize, len: u64| CodingError(format!("the file has {got} of {len} bytes"));
    match body {
        Body::Empty => Ok(Vec::new()),
        Body::Bytes(bytes) => Ok(bytes),
        Body::Shared(bytes) => Ok(bytes.to_vec()),
        Body::File { file, offset, len } => {
            let bytes = read(&file, offset, len);
            if (bytes.len() as u64) < len {
                return Err(short(bytes.len(), len));
            }
            Ok(bytes)
        }
        Body::Stream {
            file,
            len,
            transform,
        } => {
            let bytes = read(&file, 0, len);
            if (bytes.len() as u64) < len {
                return Err(short(bytes.len(), len));
            }
            let mut coder = Transcoder::new(transform);
            let mut out = Vec::new();
            for mut chunk in bytes.chunks(256 * 1024) {
                while !chunk.is_empty() {
                    chunk = &chunk[coder.feed(chunk)?..];
                    out.extend(coder.take());
                }
            }
            out.extend(coder.finish()?);
            Ok(out)
        }
    }
}

/// `bytes` decoded from the content coding `coding` (`br` or `gzip`), as a
/// client decodes them; `None` for another coding or bytes that do not
/// decode.
pub fn decode(coding: &str, bytes: &[u8]) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut out = Vec::new();
    match coding {
        "br" => brotli::Decompressor::new(bytes, 4096)
            .read_to_end(&mut out)
            .ok()?,
        "gzip" => flate2::read::MultiGzDecoder::new(bytes)
            .read_to_end(&mut out)
            .ok()?,
        _ => return None,
    };
    Some(out)
}

/// A slice of `bytes`: up to `len` from `offset`, for [`body_bytes`].
pub fn slice_of(bytes: &[u8], offset: u64, len: u64) -> Vec<u8> {
    let start = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(bytes.len());
    let end = usize::try_from(offset.saturating_add(len))
        .unwrap_or(usize::MAX)
        .min(bytes.len());
    bytes[start..end].to_vec()
}

/// What a path names in the site.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    File(Vec<u8>),
    Dir,
    /// A FIFO, socket or device.
    Special,
    /// A symlink that leads out of the root: the sandbox refuses it.
    Outside,
}

/// A filesystem call, for [`MemFiles::fail`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// [`Files::stat`].
    Stat,
    /// [`Files::open`].
    Open,
    /// [`Files::read_dir`].
    ReadDir,
}

/// A site held in memory, with chosen calls failing.
#[derive(Debug, Clone)]
pub struct MemFiles {
    nodes: BTreeMap<Vec<String>, (Node, Option<SystemTime>)>,
    faults: Vec<(Op, Vec<String>, FsError)>,
}

/// The modification time every entry has unless told otherwise:
/// 2023-11-14T22:13:20Z.
pub fn default_time() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

/// `a/b/c` as names.
fn names(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

impl Default for MemFiles {
    fn default() -> Self {
        MemFiles::new()
    }
}

impl MemFiles {
    /// An empty site: the root directory alone.
    pub fn new() -> MemFiles {
        let mut nodes = BTreeMap::new();
        nodes.insert(Vec::new(), (Node::Dir, Some(default_time())));
        MemFiles {
            nodes,
            faults: Vec::new(),
        }
    }

    fn add(mut self, path: &str, node: Node) -> MemFiles {
        let key = names(path);
        for depth in 1..key.len() {
            self.nodes
                .entry(key[..depth].to_vec())
                .or_insert((Node::Dir, Some(default_time())));
        }
        self.nodes.insert(key, (node, Some(default_time())));
        self
    }

    /// A regular file at `path` (`/`-separated, parents made as needed).
    pub fn file(self, path: &str, bytes: &[u8]) -> MemFiles {
        self.add(path, Node::File(bytes.to_vec()))
    }

    /// A directory at `path`.
    pub fn dir(self, path: &str) -> MemFiles {
        self.add(path, Node::Dir)
    }

    /// A FIFO, socket or device at `path`.
    pub fn special(self, path: &str) -> MemFiles {
        self.add(path, Node::Special)
    }

    /// A symlink at `path` that leads out of the root.
    pub fn outside(self, path: &str) -> MemFiles {
        self.add(path, Node::Outside)
    }

    /// Sets the modification time of what is at `path` (`None`: the
    /// filesystem keeps none an HTTP-date can name).
    pub fn modified(mut self, path: &str, time: Option<SystemTime>) -> MemFiles {
        if let Some((_, modified)) = self.nodes.get_mut(&names(path)) {
            *modified = time;
        }
        self
    }

    /// Makes `op` on `path` fail with `error`.
    pub fn fail(mut self, op: Op, path: &str, error: FsError) -> MemFiles {
        self.faults.push((op, names(path), error));
        self
    }

    /// The injected fault of `op` on `path`, if any; and the contract check.
    fn check(&self, op: Op, path: &[String]) -> Result<(), FsError> {
        assert!(
            path.iter().all(|name| !name.is_empty()
                && name != "."
                && name != ".."
                && !name.contains(['/', '\\', '\0'])),
            "the core asked for a path that is not plain names: {path:?}"
        );
        match self.faults.iter().find(|(o, p, _)| *o == op && p == path) {
            Some((_, _, error)) => Err(error.clone()),
            None => Ok(()),
        }
    }

    /// What `path` leads to, as the sandbox would let us see it: a missing
    /// or non-directory parent is not found; a parent that leaves the root
    /// is refused.
    fn node(&self, path: &[String]) -> Result<&(Node, Option<SystemTime>), FsError> {
        for depth in 0..path.len() {
            match self.nodes.get(&path[..depth]) {
                Some((Node::Dir, _)) => {}
                Some((Node::Outside, _)) => return Err(FsError::Outside),
                _ => return Err(FsError::NotFound),
            }
        }
        match self.nodes.get(path) {
            Some((Node::Outside, _)) => Err(FsError::Outside),
            Some(found) => Ok(found),
            None => Err(FsError::NotFound),
        }
    }
}

fn meta((node, modified): &(Node, Option<SystemTime>)) -> Meta {
    let (kind, len) = match node {
        Node::File(bytes) => (Kind::File, bytes.len() as u64),
        Node::Dir => (Kind::Dir, 4096),
        Node::Special | Node::Outside => (Kind::Other, 0),
    };
    Meta {
        kind,
        len,
        modified: *modified,
        changed: *modified,
    }
}

impl Files for MemFiles {
    /// The file's bytes, copied.
    type File = Vec<u8>;

    async fn stat(&self, path: &[String]) -> Result<Meta, FsError> {
        self.check(Op::Stat, path)?;
        self.node(path).map(meta)
    }

    async fn open(&self, path: &[String]) -> Result<Vec<u8>, FsError> {
        self.check(Op::Open, path)?;
        match self.node(path)? {
            (Node::File(bytes), _) => Ok(bytes.clone()),
            // Opening a FIFO would block: the core must never ask.
            (Node::Special, _) => panic!("the core opened a special file: {path:?}"),
            _ => Err(FsError::NotFound),
        }
    }

    async fn read_dir(&self, path: &[String]) -> Result<Vec<Entry>, FsError> {
        self.check(Op::ReadDir, path)?;
        match self.node(path)? {
            (Node::Dir, _) => {}
            _ => return Err(FsError::NotFound),
        }
        Ok(self
            .nodes
            .iter()
            .filter(|(key, (node, _))| {
                key.len() == path.len() + 1 && key.starts_with(path) && *node != Node::Outside
            })
            .map(|(key, found)| Entry {
                name: key[path.len()].clone(),
                meta: meta(found),
            })
            .collect())
    }

    async fn read_whole(&self, file: &Vec<u8>, len: u64) -> Result<Vec<u8>, FsError> {
        let most = usize::try_from(len.saturating_add(1)).unwrap_or(usize::MAX);
        Ok(file[..file.len().min(most)].to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ready::run;

    fn p(path: &str) -> Vec<String> {
        names(path)
    }

    #[test]
    fn it_answers_like_a_sandboxed_filesystem() {
        let fs = MemFiles::new()
            .file("a/b.txt", b"bee")
            .special("fifo")
            .outside("out")
            .outside("out-dir");
        assert_eq!(run(fs.stat(&p("a"))).unwrap().kind, Kind::Dir);
        assert_eq!(run(fs.stat(&p("a/b.txt"))).unwrap().len, 3);
        assert_eq!(run(fs.open(&p("a/b.txt"))).unwrap(), b"bee");
        assert_eq!(run(fs.stat(&p("fifo"))).unwrap().kind, Kind::Other);
        assert_eq!(run(fs.stat(&p("out"))), Err(FsError::Outside));
        assert_eq!(run(fs.stat(&p("out-dir/x"))), Err(FsError::Outside));
        assert_eq!(run(fs.stat(&p("a/b.txt/c"))), Err(FsError::NotFound));
        assert_eq!(run(fs.stat(&p("nope"))), Err(FsError::NotFound));
        let listed: Vec<String> = run(fs.read_dir(&[]))
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert_eq!(listed, ["a", "fifo"]);
    }

    #[test]
    fn faults_hit_only_their_call_and_path() {
        let fs = MemFiles::new()
            .file("x", b"x")
            .fail(Op::Open, "x", FsError::Forbidden);
        assert!(run(fs.stat(&p("x"))).is_ok());
        assert_eq!(run(fs.open(&p("x"))), Err(FsError::Forbidden));
        assert!(run(fs.read_dir(&[])).is_ok());
    }

    #[test]
    #[should_panic(expected = "not plain names")]
    fn a_lookup_of_dot_dot_is_a_bug() {
        let _ = run(MemFiles::new().stat(&["..".to_owned()]));
    }
}
