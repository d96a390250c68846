//! The access log: one line per request on stderr, in the format
//! `DOCROOT_ACCESS_LOG` names ([`AccessLog`]), written by the glue when the
//! response is done.
//!
//! - `on`: docroot's own line: method, target, status, bytes, the time
//!   taken and the instance's linear memory.
//! - `combined`: the Combined Log Format (nginx's `combined`, Apache's
//!   `%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"`), which
//!   GoAccess, fail2ban and log shippers read. The client is the address
//!   the host tells ([`Request::client_addr`]), else `-`; the time is when
//!   the request arrived, in UTC; the protocol is written `HTTP/1.1`, since
//!   wasi:http does not tell it and the readers need one.
//! - `json`: one JSON object a line, with the fields of [`json_line`].
//!
//! Whatever the client sent is escaped so that it can never break a line
//! or forge one: in `combined`, every byte outside printable ASCII, and
//! `"` and `\`, is written `\xHH` (nginx's escaping); in `json`, the string
//! is JSON-escaped, and bytes that are not UTF-8 become U+FFFD.

#![forbid(unsafe_code)]

use crate::config::AccessLog;
use crate::date;
use crate::http::Request;
use crate::json::Value;
use std::fmt::Write as _;
use std::time::SystemTime;

/// What is logged of one request once its response is done.
#[derive(Debug, Clone, Copy)]
pub struct Done<'a> {
    /// The request as the host handed it over.
    pub req: &'a Request,
    /// The status sent.
    pub status: u16,
    /// The body bytes sent.
    pub bytes: u64,
    /// When the request arrived (the wall clock).
    pub arrived: SystemTime,
    /// How long it took, in microseconds.
    pub micros: u64,
    /// The instance's linear memory when it was done, in bytes.
    pub memory: u64,
}

/// The line to write for `done` in `format`, without its newline; `None`
/// when the log is off.
pub fn line(format: AccessLog, done: &Done<'_>) -> Option<String> {
    match format {
        AccessLog::Off => None,
        AccessLog::Docroot => Some(docroot_line(done)),
        AccessLog::Combined => Some(combined_line(done)),
        AccessLog::Json => Some(json_line(done)),
    }
}

/// docroot's own line: method, target, status, body bytes sent, time
/// taken, and the instance's linear memory when the response was done
/// (which must not grow with file size).
pub fn docroot_line(done: &Done<'_>) -> String {
    format!(
        "{} {} {} {} {}.{:03}ms mem={}KiB",
        done.req.method.escape_debug(),
        done.req.path_with_query.escape_debug(),
        done.status,
        done.bytes,
        done.micros / 1000,
        done.micros % 1000,
        done.memory / 1024
    )
}

/// The Combined Log Format:
/// `client - - [time] "method target HTTP/1.1" status bytes "referer" "user agent"`.
pub fn combined_line(done: &Done<'_>) -> String {
    let req = done.req;
    let mut out = String::with_capacity(160);
    match req.client_addr() {
        Some(Ok(addr)) => {
            let _ = write!(out, "{}", addr.ip());
        }
        _ => out.push('-'),
    }
    let time = date::common_log(done.arrived).unwrap_or_else(|| "-".to_owned());
    let _ = write!(out, " - - [{time}] \"");
    escape_into(&mut out, req.method.as_bytes());
    out.push(' ');
    escape_into(&mut out, req.path_with_query.as_bytes());
    let _ = write!(out, " HTTP/1.1\" {} {} ", done.status, done.bytes);
    for (i, name) in ["referer", "user-agent"].into_iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push('"');
        match req.header(name) {
            Some(value) => escape_into(&mut out, value),
            None => out.push('-'),
        }
        out.push('"');
    }
    out
}

/// One JSON object: `time` (RFC 3339, UTC, to the millisecond), `client`
/// (the address the host tells, or `null`), `method`, `target`, `status`,
/// `bytes`, `duration` (seconds), `referer` and `user_agent` (`null` when
/// not sent).
pub fn json_line(done: &Done<'_>) -> String {
    let req = done.req;
    let text = |bytes: &[u8]| Value::String(String::from_utf8_lossy(bytes).into_owned());
    let client = match req.client_addr() {
        Some(Ok(addr)) => Value::String(addr.ip().to_string()),
        _ => Value::Null,
    };
    Value::Object(vec![
        ("time", date::iso8601_millis(done.arrived).into()),
        ("client", client),
        ("method", req.method.as_str().into()),
        ("target", req.path_with_query.as_str().into()),
        ("status", done.status.into()),
        ("bytes", done.bytes.into()),
        ("duration", Value::Decimal(done.micros, 6)),
        ("referer", req.header("referer").map_or(Value::Null, text)),
        (
            "user_agent",
            req.header("user-agent").map_or(Value::Null, text),
        ),
    ])
    .to_line()
}

/// `bytes` as they may stand inside a quoted field of the Combined Log
/// Format: printable ASCII as it is, but `"` and `\`; everything else
/// (controls, DEL, bytes of UTF-8 and of nothing) as `\xHH`.
fn escape_into(out: &mut String, bytes: &[u8]) {
    for &b in bytes {
        if (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\' {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "\\x{b:02X}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn req(method: &str, target: &str, headers: &[(&str, &[u8])]) -> Request {
        Request {
            method: method.into(),
            path_with_query: target.into(),
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), v.to_vec()))
                .collect(),
            ..Request::default()
        }
    }

    fn done(req: &Request) -> Done<'_> {
        Done {
            req,
            status: 200,
            bytes: 1234,
            arrived: date::from_unix(784_111_777, 5_000_000).unwrap(),
            micros: 5_678,
            memory: 1_179_648,
        }
    }

    #[test]
    fn docroot_lines_escape_what_the_client_sent() {
        let r = req("GET", "/a\nb?c=\"d\"", &[]);
        assert_eq!(
            docroot_line(&done(&r)),
            "GET /a\\nb?c=\\\"d\\\" 200 1234 5.678ms mem=1152KiB"
        );
        assert_eq!(line(AccessLog::Off, &done(&r)), None);
    }

    #[test]
    fn combined_lines_are_what_log_readers_expect() {
        let r = req(
            "GET",
            "/a b?q=\"x\"",
            &[
                ("spin-client-addr", b"6.6.6.6:1"),
                ("spin-client-addr", b"[2001:db8::1]:443"),
                ("Referer", b"https://example.com/"),
                ("user-agent", b"Mozilla/5.0 (\"quoted\") \\ \xff\n"),
            ],
        );
        assert_eq!(
            combined_line(&done(&r)),
            "2001:db8::1 - - [06/Nov/1994:08:49:37 +0000] \"GET /a b?q=\\x22x\\x22 HTTP/1.1\" \
             200 1234 \"https://example.com/\" \
             \"Mozilla/5.0 (\\x22quoted\\x22) \\x5C \\xFF\\x0A\""
        );
        let bare = req("HEAD", "/", &[("spin-client-addr", b"not an address")]);
        assert_eq!(
            combined_line(&done(&bare)),
            "- - - [06/Nov/1994:08:49:37 +0000] \"HEAD / HTTP/1.1\" 200 1234 \"-\" \"-\""
        );
    }

    #[test]
    fn json_lines_have_every_field() {
        let r = req(
            "GET",
            "/x?\"y\"\n",
            &[
                ("spin-client-addr", b"127.0.0.1:5"),
                ("user-agent", b"a\xffb"),
            ],
        );
        let text = json_line(&done(&r));
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "time": "1994-11-06T08:49:37.005Z",
                "client": "127.0.0.1",
                "method": "GET",
                "target": "/x?\"y\"\n",
                "status": 200,
                "bytes": 1234,
                "duration": 0.005678,
                "referer": null,
                "user_agent": "a\u{fffd}b",
            })
        );
        let none = req("GET", "/", &[]);
        let v: serde_json::Value = serde_json::from_str(&json_line(&done(&none))).unwrap();
        assert!(v["client"].is_null());
    }

    /// Any bytes at all (a target, a referer, a user agent, a method) make
    /// one line of each format, that cannot be read as more: a `combined`
    /// line is printable ASCII with its quotes where the format puts them,
    /// and a `json` line parses back to what was sent.
    fn hostile() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(
            prop_oneof![
                Just(b'"'),
                Just(b'\\'),
                Just(b'\n'),
                Just(b'\r'),
                Just(b' '),
                Just(0u8),
                Just(0xff),
                any::<u8>(),
            ],
            0..40,
        )
    }

    proptest! {
        #[test]
        fn no_client_input_breaks_or_forges_a_line(
            target in hostile(),
            referer in hostile(),
            agent in hostile(),
            method in "[A-Z\"\\n ]{1,8}",
        ) {
            let target = String::from_utf8_lossy(&target).into_owned();
            let r = req(&method, &target, &[("referer", &referer), ("user-agent", &agent)]);
            let d = done(&r);

            let combined = combined_line(&d);
            prop_assert!(combined.bytes().all(|b| (b' '..=b'~').contains(&b)), "{}", combined);
            // Exactly the format's six quotes: nothing sent can add one.
            prop_assert_eq!(combined.matches('"').count(), 6, "{}", combined);
            prop_assert!(combined.ends_with('"'));

            let json = json_line(&d);
            prop_assert!(!json.contains('\n') && !json.contains('\r'));
            let v: serde_json::Value = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(v["target"].as_str(), Some(target.as_str()));
            prop_assert_eq!(v["method"].as_str(), Some(method.as_str()));
            let lossy = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
            prop_assert_eq!(v["referer"].as_str().map(str::to_owned), Some(lossy(&referer)));
            prop_assert_eq!(v["user_agent"].as_str().map(str::to_owned), Some(lossy(&agent)));

            let own = docroot_line(&d);
            prop_assert!(!own.contains('\n') && !own.contains('\r'));
        }
    }
}
