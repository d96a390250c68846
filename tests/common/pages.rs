//! The black-box table of `DOCROOT_HTML_HANDLING`: for each mode, where a
//! request for each spelling of a page ends and what it gets there, after
//! Cloudflare's tables (its "HTML handling" page) for `file.html` and
//! `folder/index.html`, here with names that need escaping. Checked in
//! process (tests/pages.rs) and under every host (tests/e2e.rs).

use docroot::path::encode_segment;

/// A page stem and a folder stem with names that need escaping.
pub const FILE: &str = "fi le é";
pub const FOLDER: &str = "fol%der ü";

/// The modes, `""` for unset.
pub const MODES: [&str; 5] = [
    "",
    "auto-trailing-slash",
    "force-trailing-slash",
    "drop-trailing-slash",
    "none",
];

/// The pages the table is about.
pub fn site() -> Vec<(String, &'static [u8])> {
    vec![
        ("index.html".to_owned(), b"HOME"),
        (format!("{FILE}.html"), b"FILE PAGE"),
        (format!("{FOLDER}/index.html"), b"FOLDER PAGE"),
    ]
}

/// A name as a URL path segment.
pub fn enc(name: &str) -> String {
    encode_segment(name)
}

/// A row's target, its stems filled in.
pub fn fill(template: &str) -> String {
    template
        .replace("{F}", &enc(FILE))
        .replace("{D}", &enc(FOLDER))
}

/// What a row of a mode's table expects.
#[derive(Debug, Clone, Copy)]
pub enum End {
    /// Served here (200) with this body.
    Here(&'static str),
    /// Redirected (307) once, to this target, which serves this body.
    To(&'static str, &'static str),
    /// A directory asked for without its slash: 301 to it, which serves
    /// this body.
    Moved(&'static str, &'static str),
    /// A 404.
    Missing,
}

/// Cloudflare's rows for `file.html` and `folder/index.html`, the root's
/// index, and the stems' other spellings; `{F}` and `{D}` stand for the
/// stems, escaped.
pub fn rows(mode: &str) -> Vec<(&'static str, End)> {
    use End::*;
    let (f, d) = ("FILE PAGE", "FOLDER PAGE");
    match mode {
        "auto-trailing-slash" => vec![
            ("/{F}", Here(f)),
            ("/{F}.html", To("/{F}", f)),
            ("/{F}/", To("/{F}", f)),
            ("/{F}/index", To("/{F}", f)),
            ("/{F}/index.html", To("/{F}", f)),
            ("/{D}", To("/{D}/", d)),
            ("/{D}.html", To("/{D}/", d)),
            ("/{D}/", Here(d)),
            ("/{D}/index", To("/{D}/", d)),
            ("/{D}/index.html", To("/{D}/", d)),
            ("/", Here("HOME")),
            ("/index.html", To("/", "HOME")),
            ("/index", To("/", "HOME")),
        ],
        "force-trailing-slash" => vec![
            ("/{F}", To("/{F}/", f)),
            ("/{F}.html", To("/{F}/", f)),
            ("/{F}/", Here(f)),
            ("/{F}/index", To("/{F}/", f)),
            ("/{F}/index.html", To("/{F}/", f)),
            ("/{D}", To("/{D}/", d)),
            ("/{D}.html", To("/{D}/", d)),
            ("/{D}/", Here(d)),
            ("/{D}/index", To("/{D}/", d)),
            ("/{D}/index.html", To("/{D}/", d)),
            ("/", Here("HOME")),
            ("/index.html", To("/", "HOME")),
            ("/index", To("/", "HOME")),
        ],
        "drop-trailing-slash" => vec![
            ("/{F}", Here(f)),
            ("/{F}.html", To("/{F}", f)),
            ("/{F}/", To("/{F}", f)),
            ("/{F}/index", To("/{F}", f)),
            ("/{F}/index.html", To("/{F}", f)),
            ("/{D}", Here(d)),
            ("/{D}.html", To("/{D}", d)),
            ("/{D}/", To("/{D}", d)),
            ("/{D}/index", To("/{D}", d)),
            ("/{D}/index.html", To("/{D}", d)),
            ("/", Here("HOME")),
            ("/index.html", To("/", "HOME")),
            ("/index", To("/", "HOME")),
        ],
        "none" => vec![
            ("/{F}", Missing),
            ("/{F}.html", Here(f)),
            ("/{F}/", Missing),
            ("/{F}/index", Missing),
            ("/{F}/index.html", Missing),
            ("/{D}", Missing),
            ("/{D}.html", Missing),
            ("/{D}/", Missing),
            ("/{D}/index", Missing),
            ("/{D}/index.html", Here(d)),
            ("/", Missing),
            ("/index.html", Here("HOME")),
            ("/index", Missing),
        ],
        // Unset: clean URLs, and only a directory's slash redirected.
        _ => vec![
            ("/{F}", Here(f)),
            ("/{F}.html", Here(f)),
            ("/{F}/", Missing),
            ("/{F}/index", Missing),
            ("/{F}/index.html", Missing),
            ("/{D}", Moved("/{D}/", d)),
            ("/{D}.html", Missing),
            ("/{D}/", Here(d)),
            ("/{D}/index", Here(d)),
            ("/{D}/index.html", Here(d)),
            ("/", Here("HOME")),
            ("/index.html", Here("HOME")),
            ("/index", Here("HOME")),
        ],
    }
}

/// What a client saw of one answer: status, `Location`, `Content-Length`
/// and body.
pub type Seen = (u16, Option<String>, Option<String>, Vec<u8>);

/// Requests `target` with `get`, following redirects (at most 5), and
/// checks that it ends as `end` says. `context` names the row.
pub fn check(get: impl Fn(&str) -> Seen, template: &str, end: End, context: &str) {
    let target = fill(template);
    let first = get(&target);
    let mut at = target.clone();
    let mut last = first.clone();
    let mut hops = Vec::new();
    while let Some(location) = last.1.clone().filter(|_| (300..400).contains(&last.0)) {
        assert!(
            location.starts_with('/') && !location.starts_with("//"),
            "{context}: {location}"
        );
        assert!(hops.len() < 5, "{context}: a redirect loop");
        hops.push(last.0);
        at = location;
        last = get(&at);
    }
    let (status, body) = (last.0, last.3);
    let context = format!("{context} {target}: {end:?}, got {status} at {at} via {hops:?}");
    match end {
        End::Here(page) => {
            assert_eq!(
                (status, body.as_slice(), hops.len()),
                (200, page.as_bytes(), 0),
                "{context}"
            );
        }
        End::To(to, page) | End::Moved(to, page) => {
            let redirect = if matches!(end, End::To(..)) { 307 } else { 301 };
            assert_eq!(first.0, redirect, "{context}");
            assert_eq!(first.1.as_deref(), Some(fill(to).as_str()), "{context}");
            assert_eq!(first.2.as_deref(), Some("0"), "{context}");
            assert_eq!(
                (status, body.as_slice(), hops.len()),
                (200, page.as_bytes(), 1),
                "{context}"
            );
        }
        End::Missing => assert_eq!((status, hops.len()), (404, 0), "{context}"),
    }
}
