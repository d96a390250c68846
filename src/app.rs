//! Routing: one request, the configuration, the site and the time in; one
//! response out. Pure, host-independent, and it never panics.

#![forbid(unsafe_code)]

use crate::answers;
use crate::auth::Access;
use crate::cache::{Cache, CachedFile, View};
use crate::config::{Config, ConfigError};
use crate::files;
use crate::fs::Files;
use crate::http::{Request, Response};
use crate::info;
use crate::instance::Instance;
use crate::outcome::{Outcome, respond};
use crate::preopen::NoRoot;
use crate::prepare::{Asked, Prepared, Route};
use crate::rules::{Loader, Rules};
use crate::store::{Nothing, Store};
use std::rc::Rc;
use std::time::SystemTime;

/// Answers `req` from the site `fs` with `config`; `now` tells the time,
/// asked only when a response needs it (the info page). The site's rule
/// files are read for this request alone, and nothing is kept for another.
pub async fn handle<Fs: Files>(
    req: &Request,
    config: &Config,
    fs: &Fs,
    now: impl FnOnce() -> SystemTime,
) -> Response<Fs::File> {
    handle_with(req, config, fs, now, &Loader::new()).await
}

/// [`handle`], with the site's rules as the instance's `loader` keeps them
/// (the 0.2 glue's, whose instance keeps nothing else).
pub async fn handle_with<Fs: Files>(
    req: &Request,
    config: &Config,
    fs: &Fs,
    now: impl FnOnce() -> SystemTime,
    loader: &Loader,
) -> Response<Fs::File> {
    let asked = Asked::of(req, Some(config));
    pipeline(req, asked, config, fs, &Nothing, now, loader)
        .await
        .0
}

/// [`handle_with`] through the instance's file cache `view`, which is also
/// the store of what the instance keeps: a request like one answered
/// before from held bytes gets that answer ([`answers`]); the pipeline's
/// answer to any other is offered to be kept, for no longer than the looks
/// at the files and rules it was made from are good.
pub async fn handle_cached<S: Files, C: Fn() -> u64>(
    req: &Request,
    config: &Config,
    view: &View<'_, S, C>,
    now: impl FnOnce() -> SystemTime,
    loader: &Loader,
) -> Response<CachedFile<S::File>> {
    let asked = Asked::of(req, Some(config));
    let key = asked.key();
    if let Some(key) = &key
        && let Some(kept) = answers::answer(view, key, &asked)
    {
        return kept;
    }
    let (mut response, looked) = pipeline(req, asked, config, view, view, now, loader).await;
    if let Some(key) = &key {
        answers::keep(view, key, &mut response, looked);
    }
    response
}

/// The answer to `req`, which asks `asked`, from the site `fs` and what
/// `store` keeps of it: the request prepared once (the site's rules read
/// for anything but the info page), let in by the site's protection or
/// answered 401, routed, and turned into a response in one place
/// ([`respond`]). Also when the site's rule files were last
/// looked at, which bounds how long the answer may be kept.
async fn pipeline<Fs: Files, St: Store>(
    req: &Request,
    asked: Asked<'_>,
    config: &Config,
    fs: &Fs,
    store: &St,
    now: impl FnOnce() -> SystemTime,
    loader: &Loader,
) -> (Response<Fs::File>, Option<u64>) {
    let (rules, notes) = match asked.route {
        Route::Info => (Rc::default(), Vec::new()),
        _ => loader.rules(fs, store, config.site_rules).await,
    };
    let p = Prepared::new(asked, config, &rules);
    let outcome = match p.asked.route {
        // The site protects the path: whatever the method, credentials first.
        _ if p.access == Access::Denied => Outcome::Unauthorized,
        Route::Files => Outcome::Files(files::serve(&p, config, fs, store).await),
        Route::Info => Outcome::Info(info::render(req, now(), p.asked.json)),
        Route::Options => Outcome::Options,
        Route::NotAllowed => Outcome::MethodNotAllowed,
    };
    let mut response = respond(outcome, &p);
    response.notes = notes;
    response.notes.extend(rules.take_notes());
    (response, rules.looked())
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

/// Answers `req` when the configuration could not be used: a 500 page that
/// names the variable and what is wrong with it.
pub fn misconfigured<F>(req: &Request, err: ConfigError) -> Response<F> {
    respond(
        Outcome::Misconfigured(err),
        &Prepared::bare(req, &Rules::default()),
    )
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
    if Route::of(&req.method, req.site_path(), config) == Route::Info {
        let (scheme, authority) = origin();
        req.scheme = scheme;
        req.authority = target_authority.or(authority);
    }
    req
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
}
