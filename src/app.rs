//! Routing: one request, the configuration, the site and the time in; one
//! response out. Pure, host-independent, and it never panics.

#![forbid(unsafe_code)]

use crate::answers;
use crate::cache::{Cache, CachedFile, View};
use crate::config::{Config, ConfigError};
use crate::files;
use crate::fs::Files;
use crate::http::{Request, Response};
use crate::info;
use crate::instance::Instance;
use crate::outcome::{Context, Outcome, respond};
use crate::path::SitePath;
use crate::preopen::NoRoot;
use crate::rules::{Loader, Rules};
use std::rc::Rc;
use std::time::SystemTime;

/// Answers `req` from the site `fs` with `config`; `now` tells the time,
/// asked only when a response needs it (the info page). The site's rule
/// files are read for this request alone; a host glue keeps them for its
/// instance with [`handle_with`].
pub async fn handle<Fs: Files>(
    req: &Request,
    config: &Config,
    fs: &Fs,
    now: impl FnOnce() -> SystemTime,
) -> Response<Fs::File> {
    handle_with(req, config, fs, now, &Loader::new()).await
}

/// [`handle`], with the site's rules as the instance's `loader` keeps them.
pub async fn handle_with<Fs: Files>(
    req: &Request,
    config: &Config,
    fs: &Fs,
    now: impl FnOnce() -> SystemTime,
    loader: &Loader,
) -> Response<Fs::File> {
    let (rules, notes) = rules_for(req, config, fs, loader).await;
    answer_with(req, config, fs, now, &rules, notes).await
}

/// The site's rules for `req` (none for a request the file server does not
/// answer, or with the rules off), and the lines for stderr their reading
/// found.
async fn rules_for<Fs: Files>(
    req: &Request,
    config: &Config,
    fs: &Fs,
    loader: &Loader,
) -> (Rc<Rules>, Vec<String>) {
    if config.site_rules && goes_to_files(req, config) {
        loader.rules(fs).await
    } else {
        (Rc::default(), Vec::new())
    }
}

/// The answer to `req` with the site's `rules`; `notes` are the lines for
/// stderr that reading them found.
async fn answer_with<Fs: Files>(
    req: &Request,
    config: &Config,
    fs: &Fs,
    now: impl FnOnce() -> SystemTime,
    rules: &Rules,
    notes: Vec<String>,
) -> Response<Fs::File> {
    // The site path, for the site's headers (only parsed when there are some).
    let path = (!rules.headers.is_empty())
        .then(|| SitePath::parse(req.site_path()).ok())
        .flatten();
    let cache_control = match &path {
        Some(path) => files::effective_cache_control(config, rules, path),
        None => config
            .cache_control
            .as_deref()
            .map(std::borrow::Cow::Borrowed),
    };
    let mut cx = Context::of(req, config.cache_control.as_deref(), &config.compression);
    cx.no_transform = files::no_transform(cache_control.as_deref());
    let outcome = route(req, config, fs, now, cx.json, rules).await;
    let site_headers = outcome.site_headers();
    let mut response = respond(outcome, &cx);
    if let (Some(answer), Some(path)) = (site_headers, &path)
        && !rules.headers.is_empty()
    {
        rules
            .headers
            .apply(path.segments(), &mut response.headers, answer);
    }
    response.notes = notes;
    response.notes.extend(rules.take_notes());
    response
}

/// [`handle_with`] through the instance's file cache `view`, with its kept
/// answers ([`answers`]): a request like one answered before from held
/// bytes gets that answer; the pipeline's answer to any other is offered to
/// be kept, for no longer than the looks at the files and rules it was made
/// from are good.
pub async fn handle_cached<S: Files, C: Fn() -> u64>(
    req: &Request,
    config: &Config,
    view: &View<'_, S, C>,
    now: impl FnOnce() -> SystemTime,
    loader: &Loader,
) -> Response<CachedFile<S::File>> {
    let key = answers::request_key(req);
    if let Some(key) = &key
        && let Some(kept) = answers::answer(view, key, req)
    {
        return kept;
    }
    let (rules, notes) = rules_for(req, config, view, loader).await;
    let mut response = answer_with(req, config, view, now, &rules, notes).await;
    if let Some(key) = &key {
        answers::keep(view, key, &mut response, rules.looked());
    }
    response
}

/// [`handle_cached`] for one request of a component instance that keeps
/// its site, file cache and rules in `instance` (the 0.3 glue's, for every
/// request): `open` opens the site for the first request that gets this
/// far (a root that cannot be opened is a 500 naming it), `clock` tells
/// the monotonic time in nanoseconds.
///
/// Requests of an instance run at once, each a task of its own, and none
/// ever waits for another: every wait here is a call to the host.
pub async fn handle_instance<S, F, C>(
    instance: &Instance<Cache<S>>,
    req: &Request,
    config: &Config,
    open: impl FnOnce() -> F,
    clock: C,
    now: impl FnOnce() -> SystemTime,
) -> Response<CachedFile<S::File>>
where
    S: Files,
    F: Future<Output = Result<S, NoRoot>>,
    C: Fn() -> u64,
{
    let site = instance
        .site(|| async { Ok(Cache::new(open().await?, config.file_cache)) })
        .await;
    match site {
        Ok(site) => handle_cached(req, config, &site.view(clock), now, instance.rules()).await,
        Err(err) => misconfigured(req, err.into()),
    }
}

/// Whether `req` is one the file server answers (not `OPTIONS`, another
/// method, or the info page).
fn goes_to_files(req: &Request, config: &Config) -> bool {
    matches!(req.method.as_str(), "GET" | "HEAD") && !is_info_request(req, config)
}

/// Answers `req` when the configuration could not be used: a 500 page that
/// names the variable and what is wrong with it.
pub fn misconfigured<F>(req: &Request, err: ConfigError) -> Response<F> {
    respond(Outcome::Misconfigured(err), &Context::of(req, None, &[]))
}

/// `json`: the client wants docroot's own pages in JSON (`Accept` or
/// `?format=json`).
async fn route<Fs: Files>(
    req: &Request,
    config: &Config,
    fs: &Fs,
    now: impl FnOnce() -> SystemTime,
    json: bool,
    rules: &Rules,
) -> Outcome<Fs::File> {
    match req.method.as_str() {
        "GET" | "HEAD" => {}
        "OPTIONS" => return Outcome::Options,
        _ => return Outcome::MethodNotAllowed,
    }
    if is_info_request(req, config) {
        return Outcome::Info(info::render(req, now(), json));
    }
    Outcome::Files(files::serve(req, config, fs, json, rules).await)
}

/// The request as a host hands it over: its method, its target as received
/// (origin-form, or absolute-form whose authority then wins over `Host`,
/// RFC 9112 §3.2.2), and its header lines. `origin` asks the host for the
/// scheme and authority (a host call each), and is called only for the info
/// page, their one reader, when the configuration could be read.
pub fn request(
    method: String,
    target: String,
    headers: Vec<(String, Vec<u8>)>,
    config: Option<&Config>,
    origin: impl FnOnce() -> (Option<String>, Option<String>),
) -> Request {
    let (target_authority, path_with_query) = match crate::http::split_absolute_form(&target) {
        Some((authority, path)) => (Some(authority.to_owned()), path),
        None => (None, target),
    };
    let mut req = Request {
        method,
        path_with_query,
        headers,
        ..Request::default()
    };
    if config.is_some_and(|config| is_info_request(&req, config)) {
        let (scheme, authority) = origin();
        req.scheme = scheme;
        req.authority = target_authority.or(authority);
    }
    req
}

/// Whether `req` is for the info page. The host glue asks the host for the
/// scheme and authority (a host call each) only when it is, since the info
/// page is their one reader.
pub fn is_info_request(req: &Request, config: &Config) -> bool {
    config.info_path.as_deref() == Some(req.site_path())
}

/// The access-log line for one request ([`Config::access_log`]): method,
/// target, status, body bytes sent, time taken, and the instance's linear
/// memory when the response was done (which must not grow with file size).
pub fn access_log_line(
    req: &Request,
    status: u16,
    bytes: u64,
    micros: u128,
    memory_bytes: u64,
) -> String {
    format!(
        "{} {} {status} {bytes} {}.{:03}ms mem={}KiB",
        req.method.escape_debug(),
        req.path_with_query.escape_debug(),
        micros / 1000,
        micros % 1000,
        memory_bytes / 1024
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_origin_is_asked_for_only_by_the_info_page() {
        let config = Config::default();
        let asked = std::cell::Cell::new(0);
        let origin = || {
            asked.set(asked.get() + 1);
            (Some("https".to_owned()), Some("host.example".to_owned()))
        };
        let req = request("GET".into(), "/a?b".into(), vec![], Some(&config), origin);
        assert_eq!((req.path_with_query.as_str(), asked.get()), ("/a?b", 0));
        let req = request("GET".into(), "/__info".into(), vec![], None, origin);
        assert_eq!((req.authority, asked.get()), (None, 0));
        let req = request(
            "GET".into(),
            "/__info".into(),
            vec![],
            Some(&config),
            origin,
        );
        assert_eq!(req.scheme.as_deref(), Some("https"));
        assert_eq!(req.authority.as_deref(), Some("host.example"));
        // An absolute-form target's authority wins over the host's.
        let target = "http://other.example:81/__info?x".to_owned();
        let req = request("GET".into(), target, vec![], Some(&config), origin);
        assert_eq!(req.authority.as_deref(), Some("other.example:81"));
        assert_eq!(req.path_with_query, "/__info?x");
        assert_eq!(asked.get(), 2);
    }

    #[test]
    fn access_log_lines_escape_what_the_client_sent() {
        let req = Request {
            method: "GET".into(),
            path_with_query: "/a\nb?c=\"d\"".into(),
            ..Request::default()
        };
        assert_eq!(
            access_log_line(&req, 200, 1234, 5_678, 1_179_648),
            "GET /a\\nb?c=\\\"d\\\" 200 1234 5.678ms mem=1152KiB"
        );
    }
}
