//! The request-info page: what the server saw of the request.

#![forbid(unsafe_code)]

use crate::http::Request;
use crate::json::Value;
use crate::page::{self, Page, escape};
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::SystemTime;

/// Headers whose values are never shown.
const REDACTED: [&str; 3] = ["authorization", "proxy-authorization", "cookie"];

/// What the info page shows for a value it does not have.
const UNKNOWN: &str = "unknown";

/// Where the client address came from, or why it is not known.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Client {
    Known(SocketAddr),
    Unknown(&'static str),
}

impl Client {
    fn of(req: &Request) -> Client {
        match req.header("spin-client-addr") {
            None => Client::Unknown(
                "The host does not expose the client address: wasi:http carries no peer \
                 address, and only Spin passes it (in the spin-client-addr header).",
            ),
            Some(raw) => match std::str::from_utf8(raw).ok().and_then(|s| s.parse().ok()) {
                Some(addr) => Client::Known(addr),
                None => Client::Unknown("The spin-client-addr header is not an ip:port address."),
            },
        }
    }

    fn host(&self) -> String {
        match self {
            Client::Known(addr) => addr.ip().to_string(),
            Client::Unknown(_) => UNKNOWN.to_owned(),
        }
    }

    fn port(&self) -> String {
        match self {
            Client::Known(addr) => addr.port().to_string(),
            Client::Unknown(_) => UNKNOWN.to_owned(),
        }
    }

    fn note(&self) -> Option<&'static str> {
        match self {
            Client::Known(_) => None,
            Client::Unknown(why) => Some(why),
        }
    }
}

/// The request's headers as shown: sorted by name (stable, so repeated
/// headers keep their order), values decoded lossily and redacted.
fn shown_headers(req: &Request) -> Vec<(&str, String)> {
    let mut headers: Vec<(&str, String)> = req
        .headers
        .iter()
        .map(|(name, value)| {
            let shown = if REDACTED.contains(&name.to_ascii_lowercase().as_str()) {
                "[redacted]".to_owned()
            } else {
                String::from_utf8_lossy(value).into_owned()
            };
            (name.as_str(), shown)
        })
        .collect();
    headers.sort_by(|a, b| a.0.cmp(b.0));
    headers
}

/// Renders the info page for `req`, received at `now`.
pub fn render(req: &Request, now: SystemTime, as_json: bool) -> Page {
    let date = crate::date::format(now).unwrap_or_else(|| UNKNOWN.to_owned());
    let client = Client::of(req);
    let headers = shown_headers(req);
    let scheme = req.scheme.as_deref().unwrap_or(UNKNOWN);
    let authority = req.authority.as_deref().unwrap_or(UNKNOWN);

    if as_json {
        let port = match &client {
            Client::Known(addr) => Value::from(addr.port()),
            Client::Unknown(_) => Value::from(UNKNOWN),
        };
        let client_fields = vec![
            ("host", client.host().into()),
            ("port", port),
            ("note", client.note().into()),
        ];
        let header_items = headers
            .iter()
            .map(|(name, value)| {
                Value::Object(vec![
                    ("name", (*name).into()),
                    ("value", value.as_str().into()),
                ])
            })
            .collect();
        return page::json(&Value::Object(vec![
            ("date", date.into()),
            ("client", Value::Object(client_fields)),
            ("method", req.method.as_str().into()),
            ("path", req.path_with_query.as_str().into()),
            ("scheme", scheme.into()),
            ("authority", authority.into()),
            ("headers", Value::Array(header_items)),
        ]));
    }

    let mut body = String::with_capacity(2048);
    body.push_str("<h1>Your request</h1>\n<table>\n");
    let rows = [
        ("Date", date.as_str()),
        ("Client host", &client.host()),
        ("Client port", &client.port()),
        ("Method", &req.method),
        ("Path", &req.path_with_query),
        ("Scheme", scheme),
        ("Authority", authority),
    ];
    for (label, value) in rows {
        let _ = writeln!(
            body,
            "<tr><th>{label}</th><td><code>{}</code></td></tr>",
            escape(value)
        );
    }
    body.push_str("</table>\n");
    if let Some(note) = client.note() {
        let _ = writeln!(body, "<p class=\"muted\">{}</p>", escape(note));
    }
    let _ = writeln!(body, "<h2>Headers ({})</h2>\n<table>", headers.len());
    for (name, value) in &headers {
        let _ = writeln!(
            body,
            "<tr><th><code>{}</code></th><td><code>{}</code></td></tr>",
            escape(name),
            escape(value)
        );
    }
    body.push_str(
        "</table>\n<p class=\"muted\">Also as JSON: <a href=\"?format=json\">?format=json</a>.</p>",
    );
    page::html("Request info", &body)
}

/// Whether the query asks for JSON (`format=json`).
pub fn query_wants_json(query: Option<&str>) -> bool {
    query.is_some_and(|q| q.split('&').any(|pair| pair == "format=json"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn request(headers: &[(&str, &[u8])]) -> Request {
        Request {
            method: "GET".into(),
            path_with_query: "/__info?a=<b>&c=\"d\"".into(),
            scheme: Some("http".into()),
            authority: Some("example.test:8080".into()),
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_vec()))
                .collect(),
        }
    }

    fn at() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(784_111_777)
    }

    #[test]
    fn json_form_has_every_field_sorted_and_redacted() {
        let req = request(&[
            ("x-b", b"2"),
            ("cookie", b"session=secret"),
            ("authorization", b"Bearer secret"),
            ("accept", b"*/*"),
            ("x-b", b"1"),
            ("proxy-authorization", b"Basic secret"),
        ]);
        let page = render(&req, at(), true);
        let text = String::from_utf8(page.body.clone()).unwrap();
        assert!(!text.contains("secret"), "{text}");
        let v: serde_json::Value = serde_json::from_slice(&page.body).unwrap();
        assert_eq!(v["date"], "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(v["method"], "GET");
        assert_eq!(v["path"], "/__info?a=<b>&c=\"d\"");
        assert_eq!(v["scheme"], "http");
        assert_eq!(v["authority"], "example.test:8080");
        assert_eq!(v["client"]["host"], "unknown");
        assert!(v["client"]["note"].as_str().unwrap().contains("wasi:http"));
        let names: Vec<&str> = v["headers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "accept",
                "authorization",
                "cookie",
                "proxy-authorization",
                "x-b",
                "x-b"
            ]
        );
        assert_eq!(
            v["headers"][4]["value"], "2",
            "repeated headers keep their order"
        );
        assert_eq!(v["headers"][1]["value"], "[redacted]");
    }

    #[test]
    fn spin_client_addr_gives_host_and_port() {
        let req = request(&[("spin-client-addr", b"[2001:db8::1]:51234")]);
        let v: serde_json::Value = serde_json::from_slice(&render(&req, at(), true).body).unwrap();
        assert_eq!(v["client"]["host"], "2001:db8::1");
        assert_eq!(v["client"]["port"], 51234);
        assert!(v["client"]["note"].is_null());

        let req = request(&[("spin-client-addr", b"<script>")]);
        let v: serde_json::Value = serde_json::from_slice(&render(&req, at(), true).body).unwrap();
        assert_eq!(v["client"]["host"], "unknown");
    }

    #[test]
    fn html_form_escapes_everything() {
        let req = request(&[
            ("x-evil", b"<img src=x onerror=alert(1)>"),
            ("x-bin", b"\xff\x00"),
        ]);
        let page = render(&req, at(), false);
        let text = String::from_utf8(page.body).unwrap();
        assert!(text.contains("&lt;img src=x onerror=alert(1)&gt;"));
        assert!(text.contains("/__info?a=&lt;b&gt;&amp;c=&quot;d&quot;"));
        assert!(!text.contains("<img"));
        assert!(text.contains("Sun, 06 Nov 1994 08:49:37 GMT"));
        assert!(text.contains("unknown"));
    }

    #[test]
    fn format_json_in_the_query() {
        assert!(query_wants_json(Some("format=json")));
        assert!(query_wants_json(Some("x=1&format=json")));
        assert!(!query_wants_json(Some("format=jsonp")));
        assert!(!query_wants_json(None));
    }
}
