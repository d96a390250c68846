//! The HTML frame every page shares (its stylesheet and icon), and the
//! error pages.
//!
//! Everything that came from the request or the site is escaped here or by
//! the caller with [`escape`]; JSON is written by [`crate::json`].

#![forbid(unsafe_code)]

use crate::json::Value;

/// A rendered page: its media type and bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// The `Content-Type` value.
    pub content_type: &'static str,
    /// The body.
    pub body: Vec<u8>,
}

/// `Content-Type` of HTML pages.
pub const HTML: &str = "text/html; charset=utf-8";
/// `Content-Type` of JSON pages.
pub const JSON: &str = "application/json";

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> std::borrow::Cow<'_, str> {
    html_escape::encode_quoted_attribute(text)
}

/// A complete HTML document: `main` (already escaped HTML) inside the
/// frame every page shares (language, viewport, colour schemes, the inline
/// icon and [`STYLE`]). `json_twin` adds a link to the page's JSON form
/// (`?format=json`) for tools.
pub fn html(title: &str, main: &str, json_twin: bool) -> Page {
    let twin = if json_twin {
        "<link rel=\"alternate\" type=\"application/json\" href=\"?format=json\">\n"
    } else {
        ""
    };
    let doc = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"color-scheme\" content=\"light dark\">\n\
         <title>{title}</title>\n<link rel=\"icon\" href=\"{ICON}\">\n{twin}\
         <style>\n{STYLE}</style>\n</head>\n<body>\n<main>\n{main}\n</main>\n</body>\n</html>\n",
        title = escape(title),
    );
    Page {
        content_type: HTML,
        body: doc.into_bytes(),
    }
}

/// A JSON document.
pub fn json(value: &Value) -> Page {
    let mut body = value.to_pretty().into_bytes();
    body.push(b'\n');
    Page {
        content_type: JSON,
        body,
    }
}

/// The stylesheet of every page docroot writes, inline so a page needs
/// nothing from the site. The demo site serves the same file as
/// `/style.css`, so the two look alike (a test keeps them equal).
pub const STYLE: &str = include_str!("page.css");

/// The icon every page declares, inline, so that no browser asks the site
/// for `/favicon.ico` because of docroot's own pages: docroot's logo as an
/// SVG `data:` URL (`#`, `<` and `>` escaped).
pub const ICON: &str = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' \
viewBox='0 0 48 48'%3E%3Crect width='48' height='48' rx='10' fill='%232252bd'/%3E\
%3Cpath d='M14 12h10a12 12 0 0 1 0 24H14z' fill='none' stroke='%23fff' \
stroke-width='4'/%3E%3C/svg%3E";

/// The reason phrase of a status docroot sends.
pub fn status_text(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        304 => "Not Modified",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        412 => "Precondition Failed",
        416 => "Range Not Satisfiable",
        500 => "Internal Server Error",
        _ => "Error",
    }
}

/// The page for an error `status` at the request path `path` (as
/// received; shown decoded and escaped) with a short reason; `home` is a
/// link to the site's root.
pub fn error(status: u16, path: &str, reason: &str, as_json: bool, home: &str) -> Page {
    let text = status_text(status);
    let shown = crate::path::for_display(path);
    if as_json {
        return json(&Value::Object(vec![
            ("status", status.into()),
            ("error", text.into()),
            ("path", shown.into()),
            ("reason", reason.into()),
        ]));
    }
    html(
        &format!("{status} {text}"),
        &format!(
            "<h1>{status} {text}</h1>\n<p>{reason}</p>\n\
             <p class=\"muted\">Path: <code class=\"path\">{shown}</code></p>\n\
             <p><a href=\"{home}\">Home</a></p>",
            reason = escape(reason),
            shown = escape(&shown),
            home = escape(home),
        ),
        false,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_pages_escape_the_path_and_reason() {
        let page = error(
            404,
            "/%3Cscript%3Ealert(1)%3C/script%3E\"/%E6%97%A5",
            "No <b>file</b>.",
            false,
            "../",
        );
        let body = String::from_utf8(page.body).unwrap();
        assert!(body.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;/日"));
        assert!(body.contains("<a href=\"../\">Home</a>"));
        assert!(body.contains("No &lt;b&gt;file&lt;/b&gt;."));
        assert!(!body.contains("<script>"));
        assert!(body.contains("<title>404 Not Found</title>"));
        assert_eq!(page.content_type, HTML);
    }

    #[test]
    fn json_error_pages_are_json() {
        let page = error(400, "/a\"b%01%E6%97%A5", "Bad.", true, "./");
        let v: serde_json::Value = serde_json::from_slice(&page.body).unwrap();
        assert_eq!(v["status"], 400);
        assert_eq!(v["path"], "/a\"b%01日");
        assert_eq!(v["error"], "Bad Request");
        assert_eq!(page.content_type, JSON);
    }

    #[test]
    fn every_page_has_the_frame() {
        let body = String::from_utf8(html("T <&>", "<p>x</p>", true).body).unwrap();
        assert!(body.starts_with("<!doctype html>\n<html lang=\"en\">"));
        assert!(body.contains("<title>T &lt;&amp;&gt;</title>"));
        assert!(body.contains("<main>\n<p>x</p>\n</main>"));
        assert!(body.contains(&format!("<link rel=\"icon\" href=\"{ICON}\">")));
        assert!(body.contains("type=\"application/json\" href=\"?format=json\""));
        assert!(body.contains("prefers-color-scheme: dark"));
        let plain = String::from_utf8(html("T", "", false).body).unwrap();
        assert!(!plain.contains("alternate"));
    }

    #[test]
    fn the_icon_is_a_data_url_safe_in_an_attribute() {
        let svg = ICON.strip_prefix("data:image/svg+xml,").unwrap();
        assert!(!svg.contains(['<', '>', '#', '"', '&']), "{svg}");
        let decoded = percent_encoding::percent_decode_str(svg)
            .decode_utf8()
            .unwrap();
        assert!(decoded.starts_with("<svg xmlns='http://www.w3.org/2000/svg'"));
        assert!(decoded.ends_with("</svg>"));
    }
}
