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

/// Where the client address came from, or why it is not known.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Client {
    Known(SocketAddr),
    Unknown(&'static str),
}

impl Client {
    fn of(req: &Request) -> Client {
        match req.client_addr() {
            None => Client::Unknown(
                "The host does not expose the client address: wasi:http carries no peer \
                 address, and only Spin passes it (in the spin-client-addr header).",
            ),
            Some(Ok(addr)) => Client::Known(addr),
            Some(Err(_)) => {
                Client::Unknown("The spin-client-addr header is not an ip:port address.")
            }
        }
    }
}

/// The request's authority (host and port), or why it is not known.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Authority<'a> {
    Known(&'a str),
    Unknown(&'static str),
}

impl<'a> Authority<'a> {
    /// The target's authority (RFC 9112 §3.3): the one the request line or
    /// the host gave ([`Request::authority`]), else a `Host` header that
    /// names one. The reason says what docroot can know: what reached it,
    /// not what the client sent, since a host may drop `Host` (wasmtime
    /// serve's 0.3 side does).
    fn of(req: &'a Request) -> Authority<'a> {
        if let Some(authority) = req.authority.as_deref() {
            return Authority::Known(authority);
        }
        if req.header("host").is_none() {
            return Authority::Unknown(NO_AUTHORITY);
        }
        match req.single_header("host").map(std::str::from_utf8) {
            Some(Ok(host)) if crate::http::is_authority(host) => Authority::Known(host),
            _ => Authority::Unknown(BAD_HOST),
        }
    }

    fn known(&self) -> Option<&'a str> {
        match *self {
            Authority::Known(authority) => Some(authority),
            Authority::Unknown(_) => None,
        }
    }
}

/// Why the scheme is missing: wasi:http lets a host leave it out.
const NO_SCHEME: &str = "The host did not pass the request's scheme.";
/// Why the authority is missing: nothing that reached docroot named it.
const NO_AUTHORITY: &str =
    "The host passed no authority for this request, and no Host header reached docroot.";
/// Why the authority is missing though a `Host` header came.
const BAD_HOST: &str = "The host passed no authority for this request, and the Host header \
     that reached docroot is not one host[:port].";
/// Why the date is missing: the host's clock says something an HTTP date
/// cannot name.
const NO_DATE: &str = "The host's clock reads a time outside 1970 to 9999.";

/// What the info page shows: every value of the request, each either known
/// or missing for a reason.
struct Seen<'a> {
    req: &'a Request,
    /// The time received, as an HTTP date and in ISO 8601.
    date: Option<(String, String)>,
    client: Client,
    authority: Authority<'a>,
    /// The query's arguments, decoded as a form (`+` is a space).
    args: Vec<(String, String)>,
    headers: Vec<(&'a str, String)>,
}

impl<'a> Seen<'a> {
    fn of(req: &'a Request, now: SystemTime) -> Seen<'a> {
        let date = crate::date::format(now).zip(crate::date::iso8601(now));
        let args = req
            .query()
            .map(|q| {
                form_urlencoded::parse(q.as_bytes())
                    .map(|(name, value)| (name.into_owned(), value.into_owned()))
                    .collect()
            })
            .unwrap_or_default();
        Seen {
            req,
            date,
            client: Client::of(req),
            authority: Authority::of(req),
            args,
            headers: shown_headers(req),
        }
    }

    /// Each value not known, by its JSON field name, with the reason.
    fn unknown(&self) -> Vec<(&'static str, &'static str)> {
        let mut unknown = Vec::new();
        if let Client::Unknown(why) = self.client {
            unknown.push(("client", why));
        }
        if self.req.scheme.is_none() {
            unknown.push(("scheme", NO_SCHEME));
        }
        if let Authority::Unknown(why) = self.authority {
            unknown.push(("authority", why));
        }
        if self.date.is_none() {
            unknown.push(("date", NO_DATE));
        }
        unknown
    }

    /// The JSON form, in a fixed order: the request line, where it was
    /// sent, who sent it and when, its headers, and why any `null` is one.
    fn to_json(&self) -> Value {
        let req = self.req;
        let (host, port) = match self.client {
            Client::Known(addr) => (Value::from(addr.ip().to_string()), Value::from(addr.port())),
            Client::Unknown(_) => (Value::Null, Value::Null),
        };
        let pairs = |items: &mut dyn Iterator<Item = (&str, &str)>| {
            Value::Array(
                items
                    .map(|(name, value)| {
                        Value::Object(vec![("name", name.into()), ("value", value.into())])
                    })
                    .collect(),
            )
        };
        let (date, date_iso) = match &self.date {
            Some((http, iso)) => (Value::from(http.as_str()), Value::from(iso.as_str())),
            None => (Value::Null, Value::Null),
        };
        Value::Object(vec![
            ("method", req.method.as_str().into()),
            ("target", req.path_with_query.as_str().into()),
            ("path", req.path().into()),
            ("query", req.query().into()),
            (
                "args",
                pairs(&mut self.args.iter().map(|(n, v)| (n.as_str(), v.as_str()))),
            ),
            ("scheme", req.scheme.as_deref().into()),
            ("authority", self.authority.known().into()),
            (
                "client",
                Value::Object(vec![("host", host), ("port", port)]),
            ),
            ("date", date),
            ("date_iso", date_iso),
            (
                "headers",
                pairs(&mut self.headers.iter().map(|(n, v)| (*n, v.as_str()))),
            ),
            (
                "unknown",
                Value::Object(
                    self.unknown()
                        .into_iter()
                        .map(|(field, why)| (field, why.into()))
                        .collect(),
                ),
            ),
        ])
    }

    /// The HTML form: the same values, each name above its value on a
    /// narrow screen (the stylesheet's `.pairs`).
    fn to_html(&self) -> String {
        let req = self.req;
        let mut body = String::with_capacity(4096);
        body.push_str("<h1>Your request</h1>\n<table class=\"pairs\">\n<tbody>\n");
        let date = match &self.date {
            Some((http, iso)) => format!("<time datetime=\"{iso}\">{http}</time>"),
            None => unknown_html(NO_DATE),
        };
        row(&mut body, "Date", &date);
        let client = match self.client {
            Client::Known(addr) => format!("<code>{addr}</code>"),
            Client::Unknown(why) => unknown_html(why),
        };
        row(&mut body, "Client", &client);
        row(&mut body, "Method", &code(&req.method));
        row(&mut body, "Path", &code(req.path()));
        if let Some(query) = req.query() {
            row(&mut body, "Query", &code(query));
        }
        let scheme = req
            .scheme
            .as_deref()
            .map_or_else(|| unknown_html(NO_SCHEME), code);
        row(&mut body, "Scheme", &scheme);
        let authority = match self.authority {
            Authority::Known(authority) => code(authority),
            Authority::Unknown(why) => unknown_html(why),
        };
        row(&mut body, "Authority", &authority);
        body.push_str("</tbody>\n</table>\n");
        if req.query().is_some() {
            let _ = writeln!(
                body,
                "<h2>Query arguments ({})</h2>\n<table class=\"pairs\">\n<tbody>",
                self.args.len()
            );
            for (name, value) in &self.args {
                row(&mut body, &code(name), &code(value));
            }
            body.push_str("</tbody>\n</table>\n");
        }
        let _ = writeln!(
            body,
            "<h2>Headers ({})</h2>\n<table class=\"pairs headers\">\n<tbody>",
            self.headers.len()
        );
        for (name, value) in &self.headers {
            row(&mut body, &code(name), &code(value));
        }
        body.push_str(
            "</tbody>\n</table>\n<p class=\"alt\">Also as <a href=\"?format=json\">JSON</a>.</p>",
        );
        body
    }
}

/// One name-value row; both are HTML already.
fn row(body: &mut String, name: &str, value: &str) {
    let _ = writeln!(
        body,
        "<tr><th scope=\"row\">{name}</th><td>{value}</td></tr>"
    );
}

/// `text`, escaped, as code.
fn code(text: &str) -> String {
    format!("<code>{}</code>", escape(text))
}

/// A value not known: said so, with the reason.
fn unknown_html(why: &str) -> String {
    format!("unknown <span class=\"note\">({})</span>", escape(why))
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
    let seen = Seen::of(req, now);
    if as_json {
        page::json(&seen.to_json())
    } else {
        page::html("Request info", &seen.to_html(), true)
    }
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
    fn json_form_has_every_field_in_order_and_redacted() {
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
        // The field order is part of the format: find each key's place.
        let keys = [
            "method",
            "target",
            "path",
            "query",
            "args",
            "scheme",
            "authority",
            "client",
            "date",
            "date_iso",
            "headers",
            "unknown",
        ];
        let places: Vec<usize> = keys
            .iter()
            .map(|k| {
                text.find(&format!("\n  \"{k}\":"))
                    .unwrap_or_else(|| panic!("{k}: {text}"))
            })
            .collect();
        assert!(places.windows(2).all(|w| w[0] < w[1]), "{text}");
        let v: serde_json::Value = serde_json::from_slice(&page.body).unwrap();
        assert_eq!(v.as_object().unwrap().len(), keys.len());
        assert_eq!(v["date"], "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(v["date_iso"], "1994-11-06T08:49:37Z");
        assert_eq!(v["method"], "GET");
        assert_eq!(v["target"], "/__info?a=<b>&c=\"d\"");
        assert_eq!(v["path"], "/__info");
        assert_eq!(v["query"], "a=<b>&c=\"d\"");
        assert_eq!(v["scheme"], "http");
        assert_eq!(v["authority"], "example.test:8080");
        assert_eq!(v["client"], serde_json::json!({"host": null, "port": null}));
        assert!(
            v["unknown"]["client"]
                .as_str()
                .unwrap()
                .contains("wasi:http")
        );
        assert_eq!(v["unknown"].as_object().unwrap().len(), 1);
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
    fn the_query_is_parsed_as_a_form() {
        let mut req = request(&[]);
        req.path_with_query = "/__info?q=caf%C3%A9+au+lait&empty=&flag&a=1&a=2&bad=%FF".into();
        let v: serde_json::Value = serde_json::from_slice(&render(&req, at(), true).body).unwrap();
        assert_eq!(
            v["query"],
            "q=caf%C3%A9+au+lait&empty=&flag&a=1&a=2&bad=%FF"
        );
        assert_eq!(
            v["args"],
            serde_json::json!([
                {"name": "q", "value": "café au lait"},
                {"name": "empty", "value": ""},
                {"name": "flag", "value": ""},
                {"name": "a", "value": "1"},
                {"name": "a", "value": "2"},
                {"name": "bad", "value": "\u{fffd}"},
            ])
        );
        req.path_with_query = "/__info".into();
        let v: serde_json::Value = serde_json::from_slice(&render(&req, at(), true).body).unwrap();
        assert_eq!(
            (&v["query"], &v["args"]),
            (&serde_json::Value::Null, &serde_json::json!([]))
        );
        let html = String::from_utf8(render(&req, at(), false).body).unwrap();
        assert!(!html.contains("Query"), "no query, no query rows");
    }

    /// Issue 20: under wasmtime serve's 0.3 side the page said the request
    /// "named no authority (no Host header)" while curl had sent one: the
    /// host had dropped it. The reason says only what reached docroot.
    #[test]
    fn the_authority_is_the_hosts_else_a_host_header_else_unknown_by_what_arrived() {
        let authority = |given: Option<&str>, hosts: &[&[u8]]| {
            let mut req = request(&[]);
            req.authority = given.map(str::to_owned);
            req.headers = hosts
                .iter()
                .map(|h| ("Host".to_owned(), h.to_vec()))
                .collect();
            let v: serde_json::Value =
                serde_json::from_slice(&render(&req, at(), true).body).unwrap();
            let html = String::from_utf8(render(&req, at(), false).body).unwrap();
            let why = v["unknown"]["authority"].as_str().map(str::to_owned);
            if let Some(why) = &why {
                assert!(html.contains(&escape(why).into_owned()), "{html}");
            }
            (v["authority"].as_str().map(str::to_owned), why)
        };
        let known = |a: &str| (Some(a.to_owned()), None);
        // The host's authority wins over a Host header.
        assert_eq!(authority(Some("a.test"), &[b"b.test"]), known("a.test"));
        assert_eq!(authority(None, &[b"b.test:8080"]), known("b.test:8080"));
        assert_eq!(authority(None, &[b"[::1]:80"]), known("[::1]:80"));
        assert_eq!(authority(None, &[]), (None, Some(NO_AUTHORITY.to_owned())));
        for bad in [&b"a b"[..], b"user@h", b"h:8x", b"", b"\xff"] {
            assert_eq!(authority(None, &[bad]), (None, Some(BAD_HOST.to_owned())));
        }
        let two: &[&[u8]] = &[b"a.test", b"b.test"];
        assert_eq!(authority(None, two), (None, Some(BAD_HOST.to_owned())));
        for why in [NO_AUTHORITY, BAD_HOST] {
            assert!(
                why.starts_with("The host passed no authority") && !why.contains("request named")
            );
        }
    }

    #[test]
    fn what_is_not_known_is_null_with_a_reason() {
        let mut req = request(&[]);
        req.scheme = None;
        req.authority = None;
        let before_1970 = UNIX_EPOCH - Duration::from_secs(1);
        let v: serde_json::Value =
            serde_json::from_slice(&render(&req, before_1970, true).body).unwrap();
        for field in ["scheme", "authority", "date", "date_iso"] {
            assert!(v[field].is_null(), "{field}");
        }
        let unknown = v["unknown"].as_object().unwrap();
        // (serde_json's map sorts its keys.)
        let fields: Vec<&str> = unknown.keys().map(String::as_str).collect();
        assert_eq!(fields, ["authority", "client", "date", "scheme"]);
        assert!(
            unknown
                .values()
                .all(|why| why.as_str().is_some_and(|s| s.ends_with('.')))
        );
        let html = String::from_utf8(render(&req, before_1970, false).body).unwrap();
        assert!(html.contains(&format!(
            "unknown <span class=\"note\">({})</span>",
            escape(NO_DATE)
        )));
        assert!(html.contains(&format!("({})", escape(NO_SCHEME))));
    }

    #[test]
    fn spin_client_addr_gives_host_and_port() {
        let req = request(&[("spin-client-addr", b"[2001:db8::1]:51234")]);
        let v: serde_json::Value = serde_json::from_slice(&render(&req, at(), true).body).unwrap();
        assert_eq!(v["client"]["host"], "2001:db8::1");
        assert_eq!(v["client"]["port"], 51234);
        assert_eq!(v["unknown"], serde_json::json!({}));
        let html = String::from_utf8(render(&req, at(), false).body).unwrap();
        assert!(html.contains("<code>[2001:db8::1]:51234</code>"));

        // Spin adds its own line after any the client sent: the last counts.
        let req = request(&[
            ("spin-client-addr", b"6.6.6.6:1"),
            ("spin-client-addr", b"[2001:db8::1]:51234"),
        ]);
        let v: serde_json::Value = serde_json::from_slice(&render(&req, at(), true).body).unwrap();
        assert_eq!(v["client"]["host"], "2001:db8::1");

        let req = request(&[("spin-client-addr", b"<script>")]);
        let v: serde_json::Value = serde_json::from_slice(&render(&req, at(), true).body).unwrap();
        assert!(v["client"]["host"].is_null());
        assert!(
            v["unknown"]["client"]
                .as_str()
                .unwrap()
                .contains("not an ip:port")
        );
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
        assert!(text.contains("<code>a=&lt;b&gt;&amp;c=&quot;d&quot;</code>"));
        assert!(
            text.contains(
                "<th scope=\"row\"><code>c</code></th><td><code>&quot;d&quot;</code></td>"
            )
        );
        assert!(!text.contains("<img"));
        assert!(text.contains(
            "<th scope=\"row\">Date</th><td><time datetime=\"1994-11-06T08:49:37Z\">\
             Sun, 06 Nov 1994 08:49:37 GMT</time></td>"
        ));
        assert!(text.contains("<h2>Query arguments (2)</h2>"));
        assert!(text.contains("<h2>Headers (2)</h2>\n<table class=\"pairs headers\">"));
        assert!(text.contains("unknown <span class=\"note\">(The host does not expose"));
    }
}
