//! Drives docroot's pure core with arbitrary requests over an in-memory site
//! and checks what must hold for every input: no panic, a valid status and
//! valid headers, never a 5xx, never a hidden file's bytes (unless allowed),
//! never a lookup of `..`, and file bodies inside their files.
//!
//! An input is text, so the seed corpus can be read and written by hand: the
//! first byte picks one of five configurations, then lines: the method, the
//! path with query, and `name: value` headers.
#![no_main]

use docroot::config::Config;
use docroot::fs::{Entry, Files, FsError, Kind, Meta};
use docroot::http::{Body, Request};
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const HIDDEN: &[u8] = b"HIDDEN-SECRET-BYTES";

enum Node {
    File(Vec<u8>),
    Dir,
}

/// A site in memory: files and directories by path.
struct MemFiles(BTreeMap<Vec<String>, Node>);

impl MemFiles {
    fn site() -> MemFiles {
        let mut nodes = BTreeMap::new();
        let mut add = |path: &str, node: Node| {
            let key: Vec<String> = path.split('/').filter(|s| !s.is_empty()).map(String::from).collect();
            nodes.insert(key, node);
        };
        add("", Node::Dir);
        add("index.html", Node::File(b"<h1>home</h1>".to_vec()));
        add("a.txt", Node::File(b"0123456789".to_vec()));
        add("empty.txt", Node::File(Vec::new()));
        add("app.js", Node::File(b"console.log(1)".to_vec()));
        add("app.js.br", Node::File(b"br".to_vec()));
        add("app.js.gz", Node::File(b"gzip bytes".to_vec()));
        add("404.html", Node::File(b"not found page".to_vec()));
        add("docs", Node::Dir);
        add("docs/x y.md", Node::File(b"# x".to_vec()));
        add("docs/sub", Node::Dir);
        add(".env", Node::File(HIDDEN.to_vec()));
        add(".git", Node::Dir);
        add(".git/config", Node::File(HIDDEN.to_vec()));
        add("docs/.secret", Node::File(HIDDEN.to_vec()));
        add(".well-known", Node::Dir);
        add(".well-known/security.txt", Node::File(b"Contact: x".to_vec()));
        MemFiles(nodes)
    }

    fn node(&self, path: &[String]) -> Result<&Node, FsError> {
        assert!(
            path.iter().all(|s| !s.is_empty() && s != "." && s != ".." && !s.contains(['/', '\\', '\0'])),
            "the core looked up a path that is not plain names: {path:?}"
        );
        self.0.get(path).ok_or(FsError::NotFound)
    }
}

fn meta(node: &Node) -> Meta {
    let (kind, len) = match node {
        Node::File(bytes) => (Kind::File, bytes.len() as u64),
        Node::Dir => (Kind::Dir, 0),
    };
    Meta { kind, len, modified: Some(UNIX_EPOCH + Duration::from_secs(1_700_000_000)) }
}

impl Files for MemFiles {
    type File = Vec<u8>;

    fn stat(&self, path: &[String]) -> Result<Meta, FsError> {
        self.node(path).map(meta)
    }

    fn open(&self, path: &[String]) -> Result<Vec<u8>, FsError> {
        match self.node(path)? {
            Node::File(bytes) => Ok(bytes.clone()),
            Node::Dir => Err(FsError::NotFound),
        }
    }

    fn read_dir(&self, path: &[String]) -> Result<Vec<Entry>, FsError> {
        self.node(path)?;
        Ok(self
            .0
            .iter()
            .filter(|(k, _)| k.len() == path.len() + 1 && k.starts_with(path))
            .map(|(k, node)| Entry { name: k[path.len()].clone(), meta: meta(node) })
            .collect())
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn configs(which: u8) -> Config {
    let vars: &[(&str, &str)] = match which % 5 {
        0 => &[],
        1 => &[("DOCROOT_LISTING", "on")],
        2 => &[("DOCROOT_NOT_FOUND", "/404.html"), ("DOCROOT_FALLBACK", "/index.html")],
        3 => &[("DOCROOT_LISTING", "on"), ("DOCROOT_INDEX", "none.html"), ("DOCROOT_CACHE_CONTROL", "max-age=1")],
        _ => &[("DOCROOT_HIDDEN", "allow"), ("DOCROOT_LISTING", "on")],
    };
    Config::from_vars(vars.iter().copied()).unwrap()
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else { return };
    let config = configs(which);
    let mut lines = rest.split(|&b| b == b'\n');
    let method = String::from_utf8_lossy(lines.next().unwrap_or_default()).into_owned();
    let path_with_query = String::from_utf8_lossy(lines.next().unwrap_or_default()).into_owned();
    let headers = lines
        .filter_map(|line| {
            let colon = line.iter().position(|&b| b == b':')?;
            let name = String::from_utf8_lossy(&line[..colon]).trim().to_ascii_lowercase();
            let value = line[colon + 1..].trim_ascii().to_vec();
            Some((name, value))
        })
        .collect();
    let req = Request {
        method,
        path_with_query,
        scheme: Some("http".into()),
        authority: Some("fuzz.test".into()),
        headers,
    };
    let fs = MemFiles::site();
    let response = docroot::app::handle(&req, &config, &fs, SystemTime::now);

    assert!((100..=599).contains(&response.status));
    assert!(response.status < 500, "{} for {req:?}", response.status);
    for (name, value) in &response.headers {
        assert!(name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'), "{name}");
        assert!(value.bytes().all(|b| b == b'\t' || (b' '..=b'~').contains(&b)), "{name}: {value:?}");
    }
    let body: &[u8] = match &response.body {
        Body::Empty => &[],
        Body::Bytes(bytes) => bytes,
        Body::File { file, offset, len } => {
            let end = offset.checked_add(*len).expect("range end overflows");
            assert!(end <= file.len() as u64, "body {offset}+{len} outside a file of {}", file.len());
            &file[*offset as usize..end as usize]
        }
    };
    // (Pages echo the request, escaped; a request that carries the marker
    // itself proves nothing either way.)
    if !config.allow_hidden && !contains(data, HIDDEN) {
        assert!(!contains(body, HIDDEN), "hidden bytes for {req:?}");
    }
    if let Some(length) = response.header("content-length") {
        if req.method != "HEAD" {
            assert_eq!(length, body.len().to_string());
        }
    }
});
