//! Directory listings (when
//! [`Config::listing`](crate::config::Config::listing) is on): HTML or
//! JSON, directories first, then by name; names escaped, links
//! percent-encoded and relative (so they work wherever the site is mounted).

#![forbid(unsafe_code)]

use crate::fs::{Entry, Kind};
use crate::json::Value;
use crate::page::{self, Page, escape};
use crate::path::{SitePath, encode_segment};
use std::fmt::Write as _;

/// Renders the listing of `dir` from its `entries`; `mount` is the public
/// path of the site's mount point (empty at the root), shown in the title.
pub fn render(
    mount: &str,
    dir: &SitePath,
    mut entries: Vec<Entry>,
    allow_hidden: bool,
    as_json: bool,
) -> Page {
    // Left out: what is never served (special files, hidden names, and
    // names with a backslash, which no request path may hold).
    entries.retain(|e| {
        e.meta.kind != Kind::Other
            && !e.name.contains('\\')
            && (allow_hidden || !dir.child(&e.name).is_hidden())
    });
    entries.sort_by(|a, b| {
        (a.meta.kind != Kind::Dir, &a.name).cmp(&(b.meta.kind != Kind::Dir, &b.name))
    });
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
                    ("href", href(e).into()),
                ])
            })
            .collect();
        return page::json(&Value::Object(vec![
            ("path", title.into()),
            ("entries", Value::Array(items)),
        ]));
    }

    let mut body = String::with_capacity(256 + entries.len() * 160);
    let _ = write!(
        body,
        "<h1>Index of {}</h1>\n<table>\n<thead><tr><th>Name</th><th>Size</th>\
         <th>Modified</th></tr></thead>\n<tbody>\n",
        escape(&title)
    );
    if !dir.segments().is_empty() {
        body.push_str("<tr><td><a href=\"../\">../</a></td><td></td><td></td></tr>\n");
    }
    for e in &entries {
        let is_dir = e.meta.kind == Kind::Dir;
        let name = escape(&e.name);
        let slash = if is_dir { "/" } else { "" };
        let size = if is_dir {
            "-".to_owned()
        } else {
            format!(
                "<span title=\"{} bytes\">{}</span>",
                e.meta.len,
                human_size(e.meta.len)
            )
        };
        let modified = e.meta.modified.and_then(crate::date::format);
        let _ = writeln!(
            body,
            "<tr><td><a href=\"{href}\">{name}{slash}</a></td><td>{size}</td><td>{}</td></tr>",
            modified.as_deref().unwrap_or("-"),
            href = escape(&href(e)),
        );
    }
    body.push_str("</tbody>\n</table>");
    page::html(&format!("Index of {title}"), &body)
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

    #[test]
    fn html_is_sorted_escaped_and_encoded() {
        let dir = SitePath::parse("/sub/").unwrap();
        let html = String::from_utf8(render("", &dir, sample(), false, false).body).unwrap();
        let alpha = html.find("alpha/").unwrap();
        let img = html.find("&lt;img").unwrap();
        let colon = html.find("a:b c%.txt").unwrap();
        let zeta = html.find("zeta.txt").unwrap();
        assert!(alpha < img && img < colon && colon < zeta, "{html}");
        assert!(!html.contains("<img"));
        assert!(html.contains("href=\"a%3Ab%20c%25.txt\""));
        assert!(html.contains("href=\"alpha/\""));
        assert!(html.contains("href=\"../\""));
        assert!(!html.contains(".env") && !html.contains("fifo"));
        assert!(!html.contains("slash.txt"), "a name no request can reach");
        assert!(html.contains("2.0 KiB") && html.contains("title=\"2048 bytes\""));
        assert!(html.contains("Sun, 06 Nov 1994 08:49:37 GMT"));
        assert!(html.contains("<h1>Index of /sub/</h1>"));
    }

    #[test]
    fn the_root_has_no_parent_link_and_hidden_can_be_allowed() {
        let html = String::from_utf8(
            render("", &SitePath::parse("/").unwrap(), sample(), true, false).body,
        )
        .unwrap();
        assert!(!html.contains("href=\"../\""));
        assert!(html.contains(".env"));
    }

    #[test]
    fn json_lists_the_same_entries() {
        let dir = SitePath::parse("/sub/").unwrap();
        let v: serde_json::Value =
            serde_json::from_slice(&render("", &dir, sample(), false, true).body).unwrap();
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
