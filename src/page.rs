//! The HTML frame every page shares, and the error pages.
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

/// A complete HTML document around `body` (already escaped HTML).
pub fn html(title: &str, body: &str) -> Page {
    let doc = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n",
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

const STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;\
padding:0 1rem;color:#222}h1{font-size:1.5rem}code{background:#f3f3f3;padding:0 .25em;\
word-break:break-all}table{border-collapse:collapse;width:100%}th,td{text-align:left;\
vertical-align:top;padding:.25rem .5rem;border-bottom:1px solid #ddd}th{white-space:nowrap;\
width:1%}th code{word-break:normal}td{word-break:break-all}.muted{color:#666}";

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

/// The page for an error `status`: the request path (escaped) and a short reason.
pub fn error(status: u16, path: &str, reason: &str, as_json: bool) -> Page {
    let text = status_text(status);
    if as_json {
        return json(&Value::Object(vec![
            ("status", status.into()),
            ("error", text.into()),
            ("path", path.into()),
            ("reason", reason.into()),
        ]));
    }
    html(
        &format!("{status} {text}"),
        &format!(
            "<h1>{status} {text}</h1>\n<p>{reason}</p>\n<p class=\"muted\">Path: <code>{path}</code></p>",
            reason = escape(reason),
            path = escape(path),
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_pages_escape_the_path_and_reason() {
        let page = error(
            404,
            "/<script>alert(1)</script>\"",
            "No <b>file</b>.",
            false,
        );
        let body = String::from_utf8(page.body).unwrap();
        assert!(body.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;"));
        assert!(body.contains("No &lt;b&gt;file&lt;/b&gt;."));
        assert!(!body.contains("<script>"));
        assert!(body.contains("<title>404 Not Found</title>"));
        assert_eq!(page.content_type, HTML);
    }

    #[test]
    fn json_error_pages_are_json() {
        let page = error(400, "/a\"b\u{1}", "Bad.", true);
        let v: serde_json::Value = serde_json::from_slice(&page.body).unwrap();
        assert_eq!(v["status"], 400);
        assert_eq!(v["path"], "/a\"b\u{1}");
        assert_eq!(v["error"], "Bad Request");
        assert_eq!(page.content_type, JSON);
    }
}
