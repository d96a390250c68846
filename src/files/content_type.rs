//! `Content-Type` from a file name's extension.

#![forbid(unsafe_code)]

/// The media type for a file name: by extension (case-insensitive), with
/// `; charset=utf-8` on text types, and `application/octet-stream` when the
/// extension is unknown or missing (a leading dot does not start one).
pub fn for_name(name: &str) -> String {
    let ext = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => ext,
        _ => return OCTET_STREAM.to_owned(),
    };
    let Some(mime) = mime_guess::from_ext(ext).first() else {
        return OCTET_STREAM.to_owned();
    };
    let essence = mime.essence_str();
    if is_text(essence) {
        format!("{essence}; charset=utf-8")
    } else {
        essence.to_owned()
    }
}

const OCTET_STREAM: &str = "application/octet-stream";

/// Types whose bytes are text a browser decodes with a charset.
fn is_text(essence: &str) -> bool {
    essence.starts_with("text/")
        || matches!(
            essence,
            "application/javascript"
                | "application/json"
                | "application/manifest+json"
                | "application/ld+json"
                | "application/xml"
                | "application/xhtml+xml"
                | "application/rss+xml"
                | "application/atom+xml"
                | "image/svg+xml"
        )
}

#[cfg(test)]
mod tests {
    use super::for_name;

    #[test]
    fn known_extensions() {
        assert_eq!(for_name("index.html"), "text/html; charset=utf-8");
        assert_eq!(for_name("INDEX.HTM"), "text/html; charset=utf-8");
        assert_eq!(for_name("site.css"), "text/css; charset=utf-8");
        assert_eq!(for_name("logo.svg"), "image/svg+xml; charset=utf-8");
        assert_eq!(for_name("photo.jpeg"), "image/jpeg");
        assert_eq!(for_name("data.json"), "application/json; charset=utf-8");
        assert_eq!(for_name("archive.tar.gz"), "application/gzip");
        assert_eq!(for_name("font.woff2"), "font/woff2");
        assert_eq!(for_name("clip.mp4"), "video/mp4");
        assert!(for_name("app.js").ends_with("javascript; charset=utf-8"));
    }

    #[test]
    fn unknown_or_missing_extensions_are_octet_stream() {
        for name in ["README", ".env", "x.unknownext", "trailing."] {
            assert_eq!(for_name(name), "application/octet-stream", "{name}");
        }
    }
}
