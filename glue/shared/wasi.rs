//! What both glues share, written once. Each glue includes this file
//! (`#[path]`) and compiles it against its own WASI bindings, which it
//! names in a module `host` beside it: `wasi:filesystem`'s `ErrorCode`,
//! `DescriptorStat` and `DescriptorType`, and `wasi:http`'s `Method` and
//! `Scheme`. The two versions' types differ, their names and shapes do not.

use crate::host::{DescriptorStat, DescriptorType, ErrorCode, Method, Scheme};
use docroot::app;
use docroot::config::Config;
use docroot::date;
use docroot::fs::{FsError, Kind, Meta};
use docroot::http::Request;

/// A path relative to the root descriptor; the root itself is `.`.
pub fn relative(path: &[String]) -> String {
    if path.is_empty() {
        ".".to_owned()
    } else {
        path.join("/")
    }
}

/// What the core needs of a `stat`.
#[allow(clippy::useless_conversion, clippy::unnecessary_fallible_conversions)]
pub fn meta(stat: DescriptorStat) -> Meta {
    let kind = match stat.type_ {
        DescriptorType::RegularFile => Kind::File,
        DescriptorType::Directory => Kind::Dir,
        _ => Kind::Other,
    };
    // 0.2's seconds are unsigned, 0.3's signed: a time before 1970 has no
    // HTTP-date.
    let time = |seconds, nanoseconds| date::from_unix(u64::try_from(seconds).ok()?, nanoseconds);
    Meta {
        kind,
        len: stat.size,
        modified: (stat.data_modification_timestamp).and_then(|t| time(t.seconds, t.nanoseconds)),
        changed: (stat.status_change_timestamp).and_then(|t| time(t.seconds, t.nanoseconds)),
    }
}

/// The one place a `wasi:filesystem` error becomes a response class. What the
/// sandbox refuses (`not-permitted`, `cross-device` for a path leading out of
/// the root) is a 404 like a missing file, with a line on stderr.
pub fn map_error(code: ErrorCode) -> FsError {
    match code {
        ErrorCode::NoEntry
        | ErrorCode::NotDirectory
        | ErrorCode::NameTooLong
        | ErrorCode::Loop
        | ErrorCode::IllegalByteSequence
        | ErrorCode::Invalid => FsError::NotFound,
        ErrorCode::NotPermitted | ErrorCode::CrossDevice => FsError::Outside,
        ErrorCode::Access => FsError::Forbidden,
        other => FsError::Failed(format!("filesystem error: {other:?}")),
    }
}

/// The incoming request as plain data ([`app::request`]); `origin` asks
/// the host for its scheme and authority, only for the info page.
pub fn request(
    method: Method,
    target: Option<String>,
    headers: Vec<(String, Vec<u8>)>,
    config: Option<&Config>,
    origin: impl FnOnce() -> (Option<Scheme>, Option<String>),
) -> Request {
    let origin = || {
        let (scheme, authority) = origin();
        (scheme.map(self::scheme), authority)
    };
    let target = target.unwrap_or_default();
    app::request(self::method(method), target, headers, config, origin)
}

/// A request's method as the core reads it: its name, exactly as sent.
fn method(method: Method) -> String {
    match method {
        Method::Get => "GET".to_owned(),
        Method::Head => "HEAD".to_owned(),
        Method::Post => "POST".to_owned(),
        Method::Put => "PUT".to_owned(),
        Method::Delete => "DELETE".to_owned(),
        Method::Connect => "CONNECT".to_owned(),
        Method::Options => "OPTIONS".to_owned(),
        Method::Trace => "TRACE".to_owned(),
        Method::Patch => "PATCH".to_owned(),
        Method::Other(other) => other,
    }
}

/// A request's scheme by its name.
fn scheme(scheme: Scheme) -> String {
    match scheme {
        Scheme::Http => "http".to_owned(),
        Scheme::Https => "https".to_owned(),
        Scheme::Other(other) => other,
    }
}
