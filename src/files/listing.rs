//! Directory listings (when
//! [`Config::listing`](crate::config::Config::listing) is on): HTML or
//! JSON, directories first, then in natural order; names escaped, links
//! percent-encoded and relative (so they work wherever the site is mounted).

#![forbid(unsafe_code)]

use crate::fs::{Entry, Kind};
use crate::json::Value;
use crate::page::{self, Page, escape};
use crate::path::{SitePath, encode_segment};
use std::fmt::Write as _;

/// Renders the listing of `dir` from its `entries`. `mount` is the public
/// path of the site's mount point (empty at the root), shown in the title;
/// `requested` is the path below it as received, from which the breadcrumb's
/// relative links count their steps.
pub fn render(
    mount: &str,
    requested: &str,
    dir: &SitePath,
    mut entries: Vec<Entry>,
    allow_hidden: bool,
    as_json: bool,
) -> Page {
    // Left out: what is never served (special files, hidden names, the
    // site's rule files, and names with a backslash, which no request path
    // may hold).
    entries.retain(|e| {
        let path = dir.child(&e.name);
        e.meta.kind != Kind::Other
            && !e.name.contains('\\')
            && (allow_hidden || !path.is_hidden())
            && !crate::rules::is_rule_file(&path)
    });
    sort(&mut entries);
    // The mount point as people read it, in the title and the breadcrumb.
    let mount = crate::path::for_display(mount);
    let title = format!("{mount}{}", display_path(dir));

    if as_json {
        let items = entries
            .iter()
            .map(|e| {
                let is_dir = e.meta.kind == Kind::Dir;
                Value::Object(vec![
                    ("name", e.name.as_str().into()),
                    ("type", if is_dir { "directory" } else { "file" }.into()),
                    ("size", (!is_dir).then_some(e.meta.len).into()),
                    (
                        "modified",
                        e.meta.modified.and_then(crate::date::format).into(),
                    ),
                    (
                        "modified_iso",
                        e.meta.modified.and_then(crate::date::iso8601).into(),
                    ),
                    ("href", href(e).into()),
                ])
            })
            .collect();
        return page::json(&Value::Object(vec![
            ("path", title.into()),
            ("entries", Value::Array(items)),
        ]));
    }

    let mut body = String::with_capacity(1024 + entries.len() * 200);
    let steps = up_steps(requested, dir);
    breadcrumb(&mut body, &mount, &steps, dir);
    let _ = writeln!(body, "<h1>Index of {}</h1>", escape(&title));
    if let Some(&up) = steps.iter().rev().nth(1) {
        // The parent: as many steps up as the breadcrumb's last link.
        body.push_str("<p class=\"parent\"><a href=\"");
        body.push_str(&"../".repeat(up));
        body.push_str(
            "\" rel=\"up\"><span aria-hidden=\"true\">↑</span> Parent directory</a></p>\n",
        );
    }
    if entries.is_empty() {
        body.push_str("<p class=\"empty\">This directory is empty.</p>\n");
    } else {
        body.push_str(
            "<table class=\"listing\">\n<thead><tr><th scope=\"col\" class=\"name\">Name</th>\
             <th scope=\"col\" class=\"size\">Size</th>\
             <th scope=\"col\" class=\"date\">Modified (UTC)</th></tr></thead>\n<tbody>\n",
        );
        for e in &entries {
            row(&mut body, e);
        }
        body.push_str("</tbody>\n</table>\n");
    }
    body.push_str("<p class=\"alt\">Also as <a href=\"?format=json\">JSON</a>.</p>");
    page::html(&format!("Index of {title}"), &body, true)
}

/// Directories first, then natural order: case-insensitive (by Unicode
/// case folding), with runs of digits compared by value (`file-2` before
/// `file-10`, `apple` before `Zebra`); names equal that way fall back to
/// their code points, so the order is total and stable.
fn sort(entries: &mut Vec<Entry>) {
    // Unicode case folding by unicase (std's `to_lowercase` lowers, which
    // is not the same, and would add a table of about 12 KiB too).
    let mut keyed: Vec<(bool, String, Entry)> = entries
        .drain(..)
        .map(|e| {
            let folded = unicase::UniCase::new(e.name.as_str()).to_folded_case();
            (e.meta.kind != Kind::Dir, folded, e)
        })
        .collect();
    keyed.sort_by(|(a_file, a_key, a), (b_file, b_key, b)| {
        a_file
            .cmp(b_file)
            .then_with(|| alphanumeric_sort::compare_str(a_key, b_key))
            .then_with(|| a.name.cmp(&b.name))
    });
    entries.extend(keyed.into_iter().map(|(_, _, e)| e));
}

/// The breadcrumb: a link to each ancestor up to the site's root (named
/// after the mount point, already decoded, or "Home"), then the directory
/// itself.
fn breadcrumb(body: &mut String, mount: &str, steps: &[usize], dir: &SitePath) {
    let names = dir.segments();
    body.push_str("<nav class=\"crumbs\" aria-label=\"Breadcrumb\"><ol>");
    let root = if mount.is_empty() { "Home" } else { mount };
    let labels = std::iter::once(root).chain(names.iter().map(String::as_str));
    for (i, label) in labels.enumerate() {
        if i == names.len() {
            body.push_str("<li><span aria-current=\"page\">");
            body.push_str(&escape(label));
            body.push_str("</span></li>");
        } else {
            body.push_str("<li><a href=\"");
            body.push_str(&"../".repeat(steps[i]));
            body.push_str("\">");
            body.push_str(&escape(label));
            body.push_str("</a></li>");
        }
    }
    body.push_str("</ol></nav>\n");
}

/// For the root and each ancestor of `dir`, how many `../` lead to it from
/// the request path as received (`requested`). An empty segment is a step
/// of its own in a browser's eyes (`/a//b/` is three steps below the root,
/// not two), while a `.` segment is not one at all.
fn up_steps(requested: &str, dir: &SitePath) -> Vec<usize> {
    let inner = requested.strip_prefix('/').unwrap_or(requested);
    let inner = inner.strip_suffix('/').unwrap_or(inner);
    let raw: Vec<&str> = inner
        .split('/')
        .filter(|seg| *seg != "." && !seg.eq_ignore_ascii_case("%2e"))
        .collect();
    let kept: Vec<usize> = (0..raw.len()).filter(|&i| !raw[i].is_empty()).collect();
    let names = dir.segments().len();
    if kept.len() != names || !requested.starts_with('/') {
        // Not the path this listing came from: count in normal form.
        return (0..=names).map(|i| names - i).collect();
    }
    let below = if inner.is_empty() { 0 } else { raw.len() };
    std::iter::once(below)
        .chain(kept.iter().map(|&i| below - 1 - i))
        .collect()
}

/// One entry's row: the name (with `<wbr>` where a long one may wrap), its
/// size and its modification time.
fn row(body: &mut String, e: &Entry) {
    let is_dir = e.meta.kind == Kind::Dir;
    body.push_str("<tr><td class=\"name\"><a href=\"");
    body.push_str(&escape(&href(e)));
    body.push_str("\">");
    push_name(body, &e.name);
    if is_dir {
        body.push('/');
    }
    body.push_str("</a></td><td class=\"size\">");
    if is_dir {
        body.push('—');
    } else {
        let _ = write!(body, "<span title=\"{} bytes\">", e.meta.len);
        body.push_str(&human_size(e.meta.len));
        body.push_str("</span>");
    }
    body.push_str("</td><td class=\"date\">");
    let modified = e.meta.modified;
    match modified
        .and_then(crate::date::iso8601)
        .zip(modified.and_then(crate::date::format))
    {
        Some((iso, http)) => {
            body.push_str("<time datetime=\"");
            body.push_str(&iso);
            body.push_str("\" title=\"");
            body.push_str(&http);
            body.push_str("\">");
            body.push_str(&crate::date::short(&iso));
            body.push_str("</time>");
        }
        None => body.push('—'),
    }
    body.push_str("</td></tr>\n");
}

/// Names longer than this get a `<wbr>` after each `-`, `_` and `.`, so
/// they wrap there on a narrow screen rather than anywhere.
const WRAP_AFTER: usize = 24;

/// The name, escaped, with its wrapping points: each piece up to and
/// including a separator is escaped on its own, so a `<wbr>` can never
/// fall inside an entity.
fn push_name(body: &mut String, name: &str) {
    if name.chars().count() <= WRAP_AFTER {
        body.push_str(&escape(name));
        return;
    }
    let mut pieces = name.split_inclusive(['-', '_', '.']).peekable();
    while let Some(piece) = pieces.next() {
        body.push_str(&escape(piece));
        if pieces.peek().is_some() {
            body.push_str("<wbr>");
        }
    }
}

/// The directory as a reader sees it: decoded names, `/` around them.
fn display_path(dir: &SitePath) -> String {
    let mut path = String::from("/");
    for segment in dir.segments() {
        path.push_str(segment);
        path.push('/');
    }
    path
}

/// A relative link to the entry; directories end in `/`.
fn href(e: &Entry) -> String {
    let mut href = encode_segment(&e.name);
    if e.meta.kind == Kind::Dir {
        href.push('/');
    }
    href
}

/// A size in bytes as a reader wants it: `512 B`, `1.5 KiB`, `5.0 MiB`
/// (tenths rounded down, in integers).
fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut unit = 0;
    let mut scaled = u128::from(bytes);
    while scaled >= 1024 * 1024 && unit < UNITS.len() - 2 {
        scaled /= 1024;
        unit += 1;
    }
    let tenths = scaled * 10 / 1024;
    format!("{}.{} {}", tenths / 10, tenths % 10, UNITS[unit + 1])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::Meta;
    use std::time::{Duration, UNIX_EPOCH};

    fn entry(name: &str, kind: Kind, len: u64) -> Entry {
        Entry {
            name: name.to_owned(),
            meta: Meta {
                kind,
                len,
                modified: Some(UNIX_EPOCH + Duration::from_secs(784_111_777)),
                changed: None,
            },
        }
    }

    fn sample() -> Vec<Entry> {
        vec![
            entry("zeta.txt", Kind::File, 10),
            entry("<img src=x onerror=alert(1)>.html", Kind::File, 2048),
            entry("alpha", Kind::Dir, 4096),
            entry(".env", Kind::File, 1),
            entry("a:b c%.txt", Kind::File, 0),
            entry("fifo", Kind::Other, 0),
            entry("back\\slash.txt", Kind::File, 3),
        ]
    }

    fn listed(requested: &str, entries: Vec<Entry>) -> String {
        let dir = SitePath::parse(requested).unwrap();
        String::from_utf8(render("", requested, &dir, entries, false, false).body).unwrap()
    }

    fn names_in_order(entries: Vec<Entry>) -> Vec<String> {
        let dir = SitePath::parse("/").unwrap();
        let v: serde_json::Value =
            serde_json::from_slice(&render("", "/", &dir, entries, false, true).body).unwrap();
        v["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn html_is_sorted_escaped_and_encoded() {
        let html = listed("/sub/", sample());
        let alpha = html.find("alpha/").unwrap();
        let img = html.find("&lt;img").unwrap();
        let colon = html.find("a:b c%.txt").unwrap();
        let zeta = html.find("zeta.txt").unwrap();
        assert!(alpha < img && img < colon && colon < zeta, "{html}");
        assert!(!html.contains("<img"));
        assert!(html.contains("href=\"a%3Ab%20c%25.txt\""));
        assert!(html.contains("href=\"alpha/\""));
        assert!(!html.contains(".env") && !html.contains("fifo"));
        assert!(!html.contains("slash.txt"), "a name no request can reach");
        assert!(html.contains("<span title=\"2048 bytes\">2.0 KiB</span>"));
        assert!(html.contains(
            "<time datetime=\"1994-11-06T08:49:37Z\" title=\"Sun, 06 Nov 1994 08:49:37 GMT\">\
             1994-11-06 08:49</time>"
        ));
        assert!(html.contains("<h1>Index of /sub/</h1>"));
        assert!(html.contains("<th scope=\"col\" class=\"size\">Size</th>"));
        assert!(html.contains("<a href=\"?format=json\">JSON</a>"));
    }

    #[test]
    fn natural_order_directories_first() {
        let files = [
            "file-10.txt",
            "Zebra.txt",
            "file-2.txt",
            "apple.txt",
            "File-1.txt",
            "file-1.txt",
            "b",
            "B",
            "x99999999999999999999999.txt",
            "x100.txt",
            "日本.txt",
            "a10b2",
            "a10b10",
            "Éb",
            "éa",
        ];
        let mut entries: Vec<Entry> = files.iter().map(|n| entry(n, Kind::File, 1)).collect();
        entries.push(entry("dir-10", Kind::Dir, 0));
        entries.push(entry("Dir-9", Kind::Dir, 0));
        assert_eq!(
            names_in_order(entries),
            [
                "Dir-9",
                "dir-10",
                "a10b2",
                "a10b10",
                "apple.txt",
                "B",
                "b",
                "File-1.txt",
                "file-1.txt",
                "file-2.txt",
                "file-10.txt",
                "x100.txt",
                "x99999999999999999999999.txt",
                "Zebra.txt",
                "éa",
                "Éb",
                "日本.txt",
            ]
        );
    }

    #[test]
    fn breadcrumb_and_parent_link_lead_up() {
        let html = listed("/a/b/c/", vec![entry("f", Kind::File, 1)]);
        assert!(html.contains(
            "<nav class=\"crumbs\" aria-label=\"Breadcrumb\"><ol><li><a href=\"../../../\">Home</a></li>\
             <li><a href=\"../../\">a</a></li><li><a href=\"../\">b</a></li>\
             <li><span aria-current=\"page\">c</span></li></ol></nav>"
        ), "{html}");
        assert!(html.contains(
            "<a href=\"../\" rel=\"up\"><span aria-hidden=\"true\">↑</span> Parent directory</a>"
        ));
        // An empty segment is a step up for the browser; `.` is none.
        let html = html_at("/a//./b/");
        assert!(
            html.contains(
                "<li><a href=\"../../../\">Home</a></li><li><a href=\"../../\">a</a></li>"
            ),
            "{html}"
        );
        assert!(html.contains("<a href=\"../../\" rel=\"up\">"), "{html}");
        // The parent of `/a//` is the root, two steps up.
        let html = html_at("/a//");
        assert!(html.contains("<a href=\"../../\" rel=\"up\">"), "{html}");
        // Names are escaped in the breadcrumb too; a mount names the root.
        let dir = SitePath::parse("/%3Cx%3E/").unwrap();
        let html =
            String::from_utf8(render("/st%20atic", "/%3Cx%3E/", &dir, vec![], false, false).body)
                .unwrap();
        assert!(html.contains("<li><a href=\"../\">/st atic</a></li><li><span aria-current=\"page\">&lt;x&gt;</span></li>"), "{html}");
        assert!(
            html.contains("<h1>Index of /st atic/&lt;x&gt;/</h1>"),
            "{html}"
        );
    }

    fn html_at(requested: &str) -> String {
        listed(requested, vec![entry("f", Kind::File, 1)])
    }

    #[test]
    fn the_root_has_no_parent_link_and_an_empty_directory_says_so() {
        let html = listed("/", vec![entry(".env", Kind::File, 1)]);
        assert!(!html.contains("rel=\"up\""));
        assert!(html.contains("<li><span aria-current=\"page\">Home</span></li>"));
        assert!(html.contains("<p class=\"empty\">This directory is empty.</p>"));
        assert!(!html.contains("<table"));
        let dir = SitePath::parse("/").unwrap();
        let html = String::from_utf8(render("", "/", &dir, sample(), true, false).body).unwrap();
        assert!(html.contains(".env"));
    }

    #[test]
    fn long_names_may_wrap_after_separators() {
        let html = listed(
            "/",
            vec![entry(
                "a_long-file.name_that-goes_on-and-on.tar.gz",
                Kind::File,
                1,
            )],
        );
        assert!(html.contains(
            ">a_<wbr>long-<wbr>file.<wbr>name_<wbr>that-<wbr>goes_<wbr>on-<wbr>and-<wbr>on.<wbr>tar.<wbr>gz</a>"
        ), "{html}");
        let html = listed("/", vec![entry("short-name.txt", Kind::File, 1)]);
        assert!(html.contains(">short-name.txt</a>"));
    }

    #[test]
    fn json_lists_the_same_entries() {
        let dir = SitePath::parse("/sub/").unwrap();
        let v: serde_json::Value =
            serde_json::from_slice(&render("", "/sub/", &dir, sample(), false, true).body).unwrap();
        assert_eq!(v["path"], "/sub/");
        let names: Vec<&str> = v["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "alpha",
                "<img src=x onerror=alert(1)>.html",
                "a:b c%.txt",
                "zeta.txt"
            ]
        );
        assert_eq!(v["entries"][0]["type"], "directory");
        assert_eq!(v["entries"][0]["size"], serde_json::Value::Null);
        assert_eq!(v["entries"][3]["size"], 10);
        assert_eq!(v["entries"][2]["href"], "a%3Ab%20c%25.txt");
        assert_eq!(v["entries"][3]["modified"], "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(v["entries"][3]["modified_iso"], "1994-11-06T08:49:37Z");
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(1023), "1023 B");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(5 * 1024 * 1024), "5.0 MiB");
        assert_eq!(human_size(1024 * 1024 - 1), "1023.9 KiB");
        assert_eq!(
            human_size(3 * 1024 * 1024 * 1024 + 512 * 1024 * 1024),
            "3.5 GiB"
        );
        assert_eq!(human_size(u64::MAX), "16383.9 PiB");
    }
}
