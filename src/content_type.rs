//! `Content-Type` from a file name's extension, and which types are worth
//! coding on the fly: one table of the types a website serves.
//!
//! The table is docroot's own rather than `mime_guess`'s 1,800 extensions:
//! that crate cost 68 KiB of each component (its names and types as data),
//! which the brotli encoder left no room for under the 1.5 MB budget. It
//! holds what web servers send by default (about what nginx's `mime.types`
//! does), with the formats the web has added since (AVIF, WebP, JPEG XL,
//! WebAssembly, web manifests, WOFF2, module scripts); any other extension
//! is `application/octet-stream`, as it is for nginx.

#![forbid(unsafe_code)]

/// The media type for a file name: by extension (case-insensitive), with
/// `; charset=utf-8` on text types, and `application/octet-stream` when the
/// extension is unknown or missing (a leading dot does not start one).
pub fn for_name(name: &str) -> String {
    let essence = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => for_extension(ext).unwrap_or(OCTET_STREAM),
        _ => OCTET_STREAM,
    };
    if is_text(essence) {
        format!("{essence}; charset=utf-8")
    } else {
        essence.to_owned()
    }
}

/// The media type of an extension (without its dot), in any case.
fn for_extension(ext: &str) -> Option<&'static str> {
    // Extensions are short: compared lower-cased, without allocating.
    let mut lower = [0u8; 12];
    let bytes = ext.as_bytes();
    if bytes.len() > lower.len() {
        return None;
    }
    for (to, from) in lower.iter_mut().zip(bytes) {
        *to = from.to_ascii_lowercase();
    }
    let ext = std::str::from_utf8(&lower[..bytes.len()]).ok()?;
    Some(match ext {
        // Pages, styles, scripts and data.
        "html" | "htm" | "shtml" => "text/html",
        "xhtml" | "xht" => "application/xhtml+xml",
        "css" => "text/css",
        "js" | "mjs" | "cjs" => "text/javascript",
        "json" | "map" => "application/json",
        "jsonld" => "application/ld+json",
        "geojson" => "application/geo+json",
        "webmanifest" => "application/manifest+json",
        "xml" | "xsd" => "application/xml",
        "xsl" | "xslt" => "application/xslt+xml",
        "rss" => "application/rss+xml",
        "atom" => "application/atom+xml",
        "rdf" => "application/rdf+xml",
        "txt" | "text" | "log" | "conf" | "ini" | "in" | "list" => "text/plain",
        "md" | "markdown" => "text/markdown",
        "csv" => "text/csv",
        "tsv" => "text/tab-separated-values",
        "ics" | "ifb" => "text/calendar",
        "vcf" | "vcard" => "text/vcard",
        "vtt" => "text/vtt",
        "rtf" => "text/rtf",
        "yaml" | "yml" => "application/yaml",
        "toml" => "application/toml",
        "py" => "text/x-python",
        "c" | "h" => "text/x-c",
        "sh" => "application/x-sh",
        "tex" => "application/x-tex",
        "wasm" => "application/wasm",
        // Images.
        "png" => "image/png",
        "apng" => "image/apng",
        "jpg" | "jpeg" | "jpe" | "jfif" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "jxl" => "image/jxl",
        "heic" => "image/heic",
        "heif" => "image/heif",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "bmp" => "image/bmp",
        "tif" | "tiff" => "image/tiff",
        // Fonts.
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "ttc" => "font/collection",
        "eot" => "application/vnd.ms-fontobject",
        // Audio and video.
        "mp3" => "audio/mpeg",
        "ogg" | "oga" => "audio/ogg",
        "opus" => "audio/opus",
        "wav" => "audio/wav",
        "flac" => "audio/flac",
        "m4a" => "audio/mp4",
        "aac" => "audio/aac",
        "mid" | "midi" => "audio/midi",
        "weba" => "audio/webm",
        "mp4" | "m4v" => "video/mp4",
        "webm" => "video/webm",
        "ogv" => "video/ogg",
        "mov" => "video/quicktime",
        "avi" => "video/x-msvideo",
        "mpeg" | "mpg" => "video/mpeg",
        "mkv" => "video/x-matroska",
        "ts" => "video/mp2t",
        "3gp" => "video/3gpp",
        "m3u8" => "application/vnd.apple.mpegurl",
        "mpd" => "application/dash+xml",
        // 3D models.
        "gltf" => "model/gltf+json",
        "glb" => "model/gltf-binary",
        "stl" => "model/stl",
        // Documents.
        "pdf" => "application/pdf",
        "epub" => "application/epub+zip",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls" => "application/vnd.ms-excel",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "ppt" => "application/vnd.ms-powerpoint",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "odt" => "application/vnd.oasis.opendocument.text",
        "ods" => "application/vnd.oasis.opendocument.spreadsheet",
        "odp" => "application/vnd.oasis.opendocument.presentation",
        // Archives and packages.
        "zip" => "application/zip",
        "gz" | "tgz" => "application/gzip",
        "tar" => "application/x-tar",
        "bz2" => "application/x-bzip2",
        "xz" => "application/x-xz",
        "zst" => "application/zstd",
        "7z" => "application/x-7z-compressed",
        "rar" => "application/vnd.rar",
        "jar" => "application/java-archive",
        "apk" => "application/vnd.android.package-archive",
        "torrent" => "application/x-bittorrent",
        // Keys and signatures.
        "asc" | "sig" => "application/pgp-signature",
        "pem" | "crt" | "cer" => "application/x-x509-ca-cert",
        _ => return None,
    })
}

const OCTET_STREAM: &str = "application/octet-stream";

/// Whether a file of `len` bytes of `content_type` is coded: on the fly
/// (where the request and the configuration allow), and into siblings by
/// `scripts/pack`, which asks this very function. At least
/// [`crate::codec::MIN_LEN`] bytes, of a type [`is_compressible`] says.
pub fn worth_coding(content_type: &str, len: u64) -> bool {
    len >= crate::codec::MIN_LEN && is_compressible(content_type)
}

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
                | "text/javascript"
                | "application/json"
                | "application/geo+json"
                | "application/yaml"
                | "application/toml"
                | "application/xslt+xml"
                | "application/rdf+xml"
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
    fn every_extension_in_the_table_is_lower_case_and_found_in_any_case() {
        for (name, want) in [
            ("a.JPG", "image/jpeg"),
            ("a.Woff2", "font/woff2"),
            ("a.WEBMANIFEST", "application/manifest+json; charset=utf-8"),
            ("a.mjs", "text/javascript; charset=utf-8"),
            ("a.avif", "image/avif"),
            ("a.wasm", "application/wasm"),
            ("a.ts", "video/mp2t"),
            ("archive.tar.gz", "application/gzip"),
        ] {
            assert_eq!(for_name(name), want, "{name}");
        }
        assert_eq!(
            for_name("a.averyveryverylongextension"),
            "application/octet-stream"
        );
        assert_eq!(for_name("a.\u{e9}t\u{e9}"), "application/octet-stream");
    }

    #[test]
    fn unknown_or_missing_extensions_are_octet_stream() {
        for name in ["README", ".env", "x.unknownext", "trailing."] {
            assert_eq!(for_name(name), "application/octet-stream", "{name}");
        }
    }
}
