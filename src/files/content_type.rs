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

/// Whether a representation of `content_type` is worth coding on the fly
/// (RFC 9110 §8.4): text and the formats made of text or of uncompressed
/// tables (JavaScript, JSON, XML, SVG, WebAssembly, web manifests, TrueType
/// and OpenType fonts, icons). Not images, audio, video or archives, not
/// WOFF and WOFF2 (compressed inside), and not an unknown type: their bytes
/// are compressed already, and coding them again costs CPU for nothing.
pub fn is_compressible(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    is_text(&essence)
        || essence.ends_with("+json")
        || essence.ends_with("+xml")
        || matches!(
            essence.as_str(),
            "application/wasm"
                | "application/x-javascript"
                | "application/ecmascript"
                | "application/x-sh"
                | "application/x-tex"
                | "application/vnd.ms-fontobject"
                | "font/ttf"
                | "font/otf"
                | "application/font-sfnt"
                | "application/x-font-ttf"
                | "application/x-font-truetype"
                | "application/x-font-opentype"
                | "font/collection"
                | "image/x-icon"
                | "image/vnd.microsoft.icon"
                | "image/bmp"
        )
}

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
    fn text_and_uncompressed_formats_are_compressible_and_the_rest_not() {
        use super::is_compressible;
        for name in [
            "a.html",
            "a.htm",
            "a.css",
            "a.js",
            "a.mjs",
            "a.json",
            "a.xml",
            "a.svg",
            "a.txt",
            "a.md",
            "a.csv",
            "a.wasm",
            "a.webmanifest",
            "a.ttf",
            "a.otf",
            "a.eot",
            "a.ico",
            "a.xhtml",
            "a.rss",
            "a.atom",
        ] {
            assert!(
                is_compressible(&for_name(name)),
                "{name}: {}",
                for_name(name)
            );
        }
        for name in [
            "a.png",
            "a.jpg",
            "a.gif",
            "a.webp",
            "a.avif",
            "a.mp4",
            "a.webm",
            "a.mp3",
            "a.ogg",
            "a.zip",
            "a.gz",
            "a.br",
            "a.zst",
            "a.xz",
            "a.bz2",
            "a.7z",
            "a.woff",
            "a.woff2",
            "a.pdf",
            "README",
            "a.unknownext",
        ] {
            assert!(
                !is_compressible(&for_name(name)),
                "{name}: {}",
                for_name(name)
            );
        }
        assert!(is_compressible("Text/HTML; charset=UTF-8"));
        assert!(is_compressible("application/vnd.api+json"));
        assert!(!is_compressible(""));
    }

    #[test]
    fn unknown_or_missing_extensions_are_octet_stream() {
        for name in ["README", ".env", "x.unknownext", "trailing."] {
            assert_eq!(for_name(name), "application/octet-stream", "{name}");
        }
    }
}
