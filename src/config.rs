//! Configuration: every `DOCROOT_*` environment variable, parsed once per
//! instance into a [`Config`], or a [`ConfigError`] that names the variable.
//!
//! Nothing else reads the environment, and no other module spells a
//! variable's name: an error about a setting is made here. A bad value is
//! never guessed at: the component answers every request with a 500 page
//! naming the variable.

#![forbid(unsafe_code)]

use crate::codec::{Effort, Encoding};
use crate::path::SitePath;
use crate::preopen::NoRoot;
use std::ffi::OsStr;
use std::fmt;
use std::time::Duration;

/// The variables docroot reads, for the error that names an unknown one.
pub const VARIABLES: [&str; 13] = [
    "DOCROOT_ROOT",
    "DOCROOT_INFO_PATH",
    "DOCROOT_INDEX",
    "DOCROOT_LISTING",
    "DOCROOT_NOT_FOUND",
    "DOCROOT_FALLBACK",
    "DOCROOT_CACHE_CONTROL",
    "DOCROOT_HIDDEN",
    "DOCROOT_ACCESS_LOG",
    "DOCROOT_FILE_CACHE",
    "DOCROOT_COMPRESSION",
    "DOCROOT_SITE_RULES",
    "DOCROOT_HTML_HANDLING",
];

/// The `Cache-Control` of files, listings and the site's 404 pages when
/// `DOCROOT_CACHE_CONTROL` is not set: any cache may keep them, and must
/// ask again before each use (with the validators, so a page unchanged
/// costs a 304). Without it, browsers guess a freshness from
/// `Last-Modified` (RFC 9111 §4.2.2) and serve a page stale for days after
/// a deploy.
pub const DEFAULT_CACHE_CONTROL: &str = "public, max-age=0, must-revalidate";

/// `DOCROOT_HTML_HANDLING`: which URL serves an HTML page (`name.html`, or
/// a directory's index file), and whether the other spellings of it are
/// redirected there ([`crate::files`], step 4). The modes are Cloudflare's
/// `html_handling`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HtmlHandling {
    /// Unset: clean URLs. A path that names nothing, and whose last name
    /// has no extension, is served from `path.html`; nothing is redirected
    /// but a directory asked for without its slash.
    CleanUrls,
    /// `auto-trailing-slash`: `name.html` at `/name`, an index file at
    /// `/dir/`; every other spelling of either is redirected there.
    AutoTrailingSlash,
    /// `force-trailing-slash`: both at `/name/`.
    ForceTrailingSlash,
    /// `drop-trailing-slash`: both at `/name` (the root stays `/`).
    DropTrailingSlash,
    /// `none`: a file only at its own path; no index files, no redirects.
    None,
}

/// `DOCROOT_ACCESS_LOG`: one line per request on stderr, in a format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessLog {
    /// `off`: no line.
    Off,
    /// `on`: docroot's own line, with the time taken and the instance's
    /// memory ([`crate::access_log`]).
    Docroot,
    /// `combined`: the Combined Log Format that nginx and Apache write.
    Combined,
    /// `json`: one JSON object a line.
    Json,
}

/// The longest recheck interval `DOCROOT_FILE_CACHE` takes: a day.
const LONGEST_RECHECK: Duration = Duration::from_secs(24 * 60 * 60);

/// The server's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `DOCROOT_ROOT`: the guest directory that is the site's root, absolute,
    /// as plain names (`/` is the empty list).
    pub root: SitePath,
    /// `DOCROOT_INFO_PATH`: the info page's path; `None` turns it off.
    pub info_path: Option<String>,
    /// `DOCROOT_INDEX`: index file names, tried in order.
    pub index: Vec<String>,
    /// `DOCROOT_LISTING`: list directories that have no index file.
    pub listing: bool,
    /// `DOCROOT_NOT_FOUND`: a site file served with 404 for missing paths.
    pub not_found: Option<SitePath>,
    /// `DOCROOT_FALLBACK`: a site file served with 200 for missing pages.
    pub fallback: Option<SitePath>,
    /// `DOCROOT_CACHE_CONTROL`: the `Cache-Control` value for files,
    /// listings and the site's 404 pages ([`DEFAULT_CACHE_CONTROL`] unless
    /// set; empty: none).
    pub cache_control: Option<String>,
    /// `DOCROOT_HIDDEN=allow`: serve dotfiles.
    pub allow_hidden: bool,
    /// `DOCROOT_ACCESS_LOG`: one line per request on stderr, and its format.
    pub access_log: AccessLog,
    /// `DOCROOT_FILE_CACHE`: how long the per-instance file cache
    /// ([`crate::cache`]) uses an entry before it checks the file again;
    /// `None` (`off`) turns the cache off.
    pub file_cache: Option<Duration>,
    /// `DOCROOT_COMPRESSION`: the codings docroot makes on the fly, in its
    /// preference where a client's weights tie; empty (`off`): none. A
    /// site's precompressed files are served either way.
    pub compression: Vec<Encoding>,
    /// `DOCROOT_SITE_RULES=on`: apply the site's own `_redirects` and
    /// `_headers` ([`crate::rules`]); `off` ignores them (they are never
    /// served either way).
    pub site_rules: bool,
    /// `DOCROOT_HTML_HANDLING`: which URL serves an HTML page.
    pub html_handling: HtmlHandling,
    /// How hard docroot works at coding files on the fly. Not a variable:
    /// the glue decides, by whether what it codes is kept for later
    /// requests ([`Effort::Thorough`] in `docroot.wasm` with the file cache
    /// on, which keeps coded files; [`Effort::Fast`], the default,
    /// elsewhere). docroot's own pages are coded at [`Effort::Fast`]
    /// always, each being made for one answer.
    pub coding_effort: Effort,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            root: SitePath::default(),
            info_path: Some("/__info".to_owned()),
            index: vec!["index.html".to_owned()],
            listing: false,
            not_found: None,
            fallback: None,
            cache_control: Some(DEFAULT_CACHE_CONTROL.to_owned()),
            allow_hidden: false,
            access_log: AccessLog::Off,
            file_cache: Some(crate::cache::DEFAULT_RECHECK),
            compression: Encoding::MADE.to_vec(),
            site_rules: true,
            html_handling: HtmlHandling::CleanUrls,
            coding_effort: Effort::Fast,
        }
    }
}

/// A variable with a value docroot will not guess at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The variable's name.
    pub variable: String,
    /// What is wrong with it, in one sentence.
    pub problem: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.variable, self.problem)
    }
}

impl std::error::Error for ConfigError {}

/// A setting that names a file of the site. Whether the file exists is
/// checked when it is needed, since the site may change while docroot runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiteFile {
    /// `DOCROOT_NOT_FOUND`: the page sent with 404.
    NotFound,
    /// `DOCROOT_FALLBACK`: the page sent with 200 for a single-page app.
    Fallback,
}

impl SiteFile {
    /// The variable that sets it.
    pub fn variable(self) -> &'static str {
        match self {
            SiteFile::NotFound => "DOCROOT_NOT_FOUND",
            SiteFile::Fallback => "DOCROOT_FALLBACK",
        }
    }
}

impl ConfigError {
    /// The error for a configured site file at `path` that cannot be
    /// served: it `problem` (`"does not exist in the site"`, …).
    pub fn site_file(which: SiteFile, path: &SitePath, problem: &str) -> ConfigError {
        error(
            which.variable(),
            format!("{} {problem}.", path.to_url_path()),
        )
    }
}

/// The root cannot be found among the host's preopened directories.
impl From<NoRoot> for ConfigError {
    fn from(why: NoRoot) -> Self {
        let problem = match why {
            NoRoot::NoPreopens { root } => format!(
                "{root} cannot be served: the host preopened no directory (wasmtime: --dir DIR::/)."
            ),
            NoRoot::NotInside { root, preopens } => format!(
                "{root} is not inside a directory the host preopened ({}).",
                preopens.join(", ")
            ),
            NoRoot::CannotOpen { root } => format!(
                "{root} cannot be opened as a directory inside the preopened one \
                 (it is missing, not a directory, or leads outside it)."
            ),
        };
        error("DOCROOT_ROOT", problem)
    }
}

fn error(variable: &str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        variable: variable.to_owned(),
        problem: problem.into(),
    }
}

impl Config {
    /// Builds a config from name/value pairs; variables not starting with
    /// `DOCROOT_` are ignored (jco passes the whole host environment).
    pub fn from_vars<K, V>(vars: impl IntoIterator<Item = (K, V)>) -> Result<Config, ConfigError>
    where
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        let mut config = Config::default();
        for (name, value) in vars {
            let Some(name) = name.as_ref().to_str() else {
                continue;
            };
            if !name.starts_with("DOCROOT_") {
                continue;
            }
            let value = value
                .as_ref()
                .to_str()
                .ok_or_else(|| error(name, "the value is not valid UTF-8."))?;
            config.set(name, value)?;
        }
        Ok(config)
    }

    fn set(&mut self, name: &str, value: &str) -> Result<(), ConfigError> {
        match name {
            "DOCROOT_ROOT" => self.root = parse_root(name, value)?,
            "DOCROOT_INFO_PATH" => self.info_path = parse_info_path(name, value)?,
            "DOCROOT_INDEX" => self.index = parse_index(name, value)?,
            "DOCROOT_LISTING" => self.listing = parse_switch(name, value, "on", "off")?,
            "DOCROOT_NOT_FOUND" => self.not_found = parse_site_file(name, value)?,
            "DOCROOT_FALLBACK" => self.fallback = parse_site_file(name, value)?,
            "DOCROOT_CACHE_CONTROL" => self.cache_control = parse_header_value(name, value)?,
            "DOCROOT_HIDDEN" => self.allow_hidden = parse_switch(name, value, "allow", "hide")?,
            "DOCROOT_ACCESS_LOG" => self.access_log = parse_access_log(name, value)?,
            "DOCROOT_FILE_CACHE" => self.file_cache = parse_file_cache(name, value)?,
            "DOCROOT_COMPRESSION" => self.compression = parse_compression(name, value)?,
            "DOCROOT_SITE_RULES" => self.site_rules = parse_switch(name, value, "on", "off")?,
            "DOCROOT_HTML_HANDLING" => self.html_handling = parse_html_handling(name, value)?,
            _ => {
                return Err(error(
                    name,
                    format!(
                        "docroot has no such setting (a typo?); it reads {}.",
                        VARIABLES.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }
}

fn parse_switch(name: &str, value: &str, yes: &str, no: &str) -> Result<bool, ConfigError> {
    if value == yes {
        Ok(true)
    } else if value == no {
        Ok(false)
    } else {
        Err(error(
            name,
            format!("must be \"{yes}\" or \"{no}\", not {value:?}."),
        ))
    }
}

fn parse_root(name: &str, value: &str) -> Result<SitePath, ConfigError> {
    let path = SitePath::parse(value).map_err(|e| {
        error(
            name,
            format!(
                "must be an absolute guest directory such as \"/\" or \"/site\", not {value:?} ({})",
                e.reason()
            ),
        )
    })?;
    if value.contains('%') {
        return Err(error(
            name,
            "is a directory name, not a URL: write it without percent-escapes.",
        ));
    }
    Ok(path.as_dir())
}

fn parse_info_path(name: &str, value: &str) -> Result<Option<String>, ConfigError> {
    if value.is_empty() {
        return Ok(None);
    }
    let valid = value.starts_with('/')
        && !value.contains(['?', '#'])
        && value.bytes().all(|b| b.is_ascii_graphic());
    if !valid {
        return Err(error(
            name,
            format!(
                "must be empty (no info page) or a URL path such as \"/__info\", not {value:?}."
            ),
        ));
    }
    Ok(Some(value.to_owned()))
}

fn parse_index(name: &str, value: &str) -> Result<Vec<String>, ConfigError> {
    let names: Vec<String> = value.split(',').map(|s| s.trim().to_owned()).collect();
    for n in &names {
        if n.is_empty() || n == "." || n == ".." || n.contains(['/', '\\', '\0']) {
            return Err(error(
                name,
                format!(
                    "must be a comma list of file names such as \"index.html,index.htm\"; {n:?} is not a file name."
                ),
            ));
        }
    }
    // At the root, these names are the site's rule files and manifest,
    // which are never served.
    if let Some(n) = names.iter().find(|n| {
        crate::path::SitePath::parse(&format!("/{n}")).is_ok_and(|p| crate::rules::is_rule_file(&p))
    }) {
        return Err(error(
            name,
            format!(
                "must not name one of the site's rule files or its manifest, which are never served: {n:?}."
            ),
        ));
    }
    Ok(names)
}

fn parse_site_file(name: &str, value: &str) -> Result<Option<SitePath>, ConfigError> {
    if value.is_empty() {
        return Ok(None);
    }
    let path = SitePath::parse(value).map_err(|e| {
        error(
            name,
            format!(
                "must be the URL path of a file in the site, such as \"/404.html\", not {value:?} ({})",
                e.reason()
            ),
        )
    })?;
    if path.is_dir_form() {
        return Err(error(
            name,
            format!("must name a file, not a directory: {value:?}."),
        ));
    }
    if crate::rules::is_rule_file(&path) {
        return Err(error(
            name,
            format!(
                "must not name one of the site's rule files or its manifest, which are never served: {value:?}."
            ),
        ));
    }
    Ok(Some(path))
}

/// One of the words `choices` names, as the value it stands for.
fn parse_choice<T: Copy>(name: &str, value: &str, choices: &[(&str, T)]) -> Result<T, ConfigError> {
    match choices.iter().find(|(word, _)| *word == value) {
        Some((_, chosen)) => Ok(*chosen),
        None => {
            let words: Vec<String> = choices.iter().map(|(w, _)| format!("{w:?}")).collect();
            Err(error(
                name,
                format!("must be one of {}, not {value:?}.", words.join(", ")),
            ))
        }
    }
}

fn parse_access_log(name: &str, value: &str) -> Result<AccessLog, ConfigError> {
    parse_choice(
        name,
        value,
        &[
            ("off", AccessLog::Off),
            ("on", AccessLog::Docroot),
            ("combined", AccessLog::Combined),
            ("json", AccessLog::Json),
        ],
    )
}

fn parse_html_handling(name: &str, value: &str) -> Result<HtmlHandling, ConfigError> {
    parse_choice(
        name,
        value,
        &[
            ("auto-trailing-slash", HtmlHandling::AutoTrailingSlash),
            ("force-trailing-slash", HtmlHandling::ForceTrailingSlash),
            ("drop-trailing-slash", HtmlHandling::DropTrailingSlash),
            ("none", HtmlHandling::None),
        ],
    )
}

/// `off`, or a recheck interval in whole seconds or milliseconds (`1s`,
/// `250ms`, `0s`: check on every request), at most a day.
fn parse_file_cache(name: &str, value: &str) -> Result<Option<Duration>, ConfigError> {
    if value == "off" {
        return Ok(None);
    }
    let interval = if let Some(ms) = value.strip_suffix("ms") {
        digits(ms).map(Duration::from_millis)
    } else if let Some(s) = value.strip_suffix('s') {
        digits(s).map(Duration::from_secs)
    } else {
        None
    };
    match interval {
        Some(interval) if interval <= LONGEST_RECHECK => Ok(Some(interval)),
        _ => Err(error(
            name,
            format!(
                "must be \"off\" or how long a cached file is used before it is checked \
                 again, in seconds or milliseconds such as \"1s\" or \"250ms\" (at most \
                 a day), not {value:?}."
            ),
        )),
    }
}

/// `on` (brotli, then gzip), `off`, or the codings to make in order of
/// preference (`gzip`, `br,gzip`), each once.
fn parse_compression(name: &str, value: &str) -> Result<Vec<Encoding>, ConfigError> {
    match value {
        "on" => return Ok(Encoding::MADE.to_vec()),
        "off" => return Ok(Vec::new()),
        _ => {}
    }
    let usage = "must be \"on\", \"off\", or the codings to make on the fly in order of \
                 preference, such as \"br,gzip\" or \"gzip\"";
    let mut codings = Vec::new();
    for token in value.split(',').map(str::trim) {
        let coding = match token {
            "br" => Encoding::Brotli,
            "gzip" => Encoding::Gzip,
            "zstd" => {
                return Err(error(
                    name,
                    "cannot list zstd: docroot makes no zstd on the fly (its pure-Rust encoder \
                     compresses less than gzip); a site's name.zst files are served as they are.",
                ));
            }
            _ => {
                return Err(error(
                    name,
                    format!("{usage}; {token:?} is not br or gzip."),
                ));
            }
        };
        if codings.contains(&coding) {
            return Err(error(name, format!("{usage}; {token} is listed twice.")));
        }
        codings.push(coding);
    }
    Ok(codings)
}

/// A whole number written in ASCII digits alone.
fn digits(value: &str) -> Option<u64> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok()
}

fn parse_header_value(name: &str, value: &str) -> Result<Option<String>, ConfigError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    if !value
        .bytes()
        .all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
    {
        return Err(error(
            name,
            "must be a header value of visible ASCII characters, such as \"public, max-age=3600\".",
        ));
    }
    Ok(Some(value.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_vars(vars.iter().copied())
    }

    fn problem(vars: &[(&str, &str)]) -> ConfigError {
        parse(vars).unwrap_err()
    }

    #[test]
    fn no_variables_gives_the_defaults() {
        assert_eq!(
            parse(&[("PATH", "/bin"), ("HOME", "/root")]),
            Ok(Config::default())
        );
    }

    #[test]
    fn every_variable_is_read() {
        let c = parse(&[
            ("DOCROOT_ROOT", "/site"),
            ("DOCROOT_INFO_PATH", "/_debug/info"),
            ("DOCROOT_INDEX", "index.html, index.htm"),
            ("DOCROOT_LISTING", "on"),
            ("DOCROOT_NOT_FOUND", "/404.html"),
            ("DOCROOT_FALLBACK", "/app.html"),
            ("DOCROOT_CACHE_CONTROL", "public, max-age=60"),
            ("DOCROOT_HIDDEN", "allow"),
            ("DOCROOT_ACCESS_LOG", "on"),
            ("DOCROOT_FILE_CACHE", "250ms"),
            ("DOCROOT_COMPRESSION", "gzip"),
            ("DOCROOT_SITE_RULES", "off"),
            ("DOCROOT_HTML_HANDLING", "drop-trailing-slash"),
        ])
        .unwrap();
        assert_eq!(c.html_handling, HtmlHandling::DropTrailingSlash);
        assert_eq!(c.access_log, AccessLog::Docroot);
        assert!(!c.site_rules && Config::default().site_rules);
        assert_eq!(c.compression, [Encoding::Gzip]);
        assert_eq!(c.file_cache, Some(Duration::from_millis(250)));
        assert_eq!(c.root.segments(), ["site"]);
        assert_eq!(c.info_path.as_deref(), Some("/_debug/info"));
        assert_eq!(c.index, ["index.html", "index.htm"]);
        assert!(c.listing && c.allow_hidden);
        assert_eq!(c.not_found.unwrap().segments(), ["404.html"]);
        assert_eq!(c.fallback.unwrap().segments(), ["app.html"]);
        assert_eq!(c.cache_control.as_deref(), Some("public, max-age=60"));
    }

    #[test]
    fn the_modes_of_the_log_the_html_handling_and_cache_control() {
        let c = |name, value| parse(&[(name, value)]).unwrap();
        let log = |value| c("DOCROOT_ACCESS_LOG", value).access_log;
        assert_eq!(Config::default().access_log, AccessLog::Off);
        assert_eq!(log("off"), AccessLog::Off);
        assert_eq!(log("on"), AccessLog::Docroot);
        assert_eq!(log("combined"), AccessLog::Combined);
        assert_eq!(log("json"), AccessLog::Json);
        let html = |value| c("DOCROOT_HTML_HANDLING", value).html_handling;
        assert_eq!(Config::default().html_handling, HtmlHandling::CleanUrls);
        assert_eq!(html("auto-trailing-slash"), HtmlHandling::AutoTrailingSlash);
        assert_eq!(
            html("force-trailing-slash"),
            HtmlHandling::ForceTrailingSlash
        );
        assert_eq!(html("drop-trailing-slash"), HtmlHandling::DropTrailingSlash);
        assert_eq!(html("none"), HtmlHandling::None);
        let err = problem(&[("DOCROOT_HTML_HANDLING", "auto")]);
        assert!(err.problem.contains("\"force-trailing-slash\""), "{err}");
        // Fresh pages by default; an empty value sends none.
        assert_eq!(
            Config::default().cache_control.as_deref(),
            Some(DEFAULT_CACHE_CONTROL)
        );
        assert_eq!(c("DOCROOT_CACHE_CONTROL", "").cache_control, None);
    }

    #[test]
    fn the_file_cache_is_off_or_an_interval() {
        let cache = |value| parse(&[("DOCROOT_FILE_CACHE", value)]).unwrap().file_cache;
        assert_eq!(Config::default().file_cache, Some(Duration::from_secs(1)));
        assert_eq!(cache("off"), None);
        assert_eq!(cache("0s"), Some(Duration::ZERO));
        assert_eq!(cache("10s"), Some(Duration::from_secs(10)));
        assert_eq!(cache("1500ms"), Some(Duration::from_millis(1500)));
        assert_eq!(cache("86400s"), Some(LONGEST_RECHECK));
    }

    #[test]
    fn compression_is_on_off_or_the_codings_in_order() {
        use Encoding::{Brotli, Gzip};
        let codings = |value| parse(&[("DOCROOT_COMPRESSION", value)]).map(|c| c.compression);
        assert_eq!(Config::default().compression, [Brotli, Gzip]);
        assert_eq!(codings("on"), Ok(vec![Brotli, Gzip]));
        assert_eq!(codings("off"), Ok(vec![]));
        assert_eq!(codings("gzip, br"), Ok(vec![Gzip, Brotli]));
        assert_eq!(codings("br"), Ok(vec![Brotli]));
        let zstd = codings("br,zstd").unwrap_err();
        assert!(zstd.problem.contains("name.zst"), "{zstd}");
        for bad in ["", "yes", "br,br", "gzip,", "deflate", "BR", "br;q=1"] {
            assert_eq!(
                codings(bad).unwrap_err().variable,
                "DOCROOT_COMPRESSION",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn an_empty_info_path_turns_the_page_off() {
        assert_eq!(parse(&[("DOCROOT_INFO_PATH", "")]).unwrap().info_path, None);
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (name, value) in [
            ("DOCROOT_ROOT", "site"),
            ("DOCROOT_ROOT", "/a/../b"),
            ("DOCROOT_ROOT", ""),
            ("DOCROOT_INFO_PATH", "__info"),
            ("DOCROOT_INFO_PATH", "/a b"),
            ("DOCROOT_INDEX", "index.html,,x"),
            ("DOCROOT_INDEX", "../secret"),
            ("DOCROOT_LISTING", "yes"),
            ("DOCROOT_LISTING", "ON"),
            ("DOCROOT_NOT_FOUND", "404.html"),
            ("DOCROOT_NOT_FOUND", "/errors/"),
            ("DOCROOT_FALLBACK", "/../x"),
            // The rule files and the manifest are never served, in any case.
            ("DOCROOT_INDEX", "index.html,_Headers"),
            ("DOCROOT_INDEX", "_docroot-manifest"),
            ("DOCROOT_NOT_FOUND", "/_redirects"),
            ("DOCROOT_FALLBACK", "/_docroot-manifest"),
            ("DOCROOT_CACHE_CONTROL", "max-age=1\r\nSet-Cookie: x"),
            ("DOCROOT_HIDDEN", "true"),
            ("DOCROOT_ACCESS_LOG", "1"),
            ("DOCROOT_LISTNG", "on"),
            ("DOCROOT_FILE_CACHE", "on"),
            ("DOCROOT_FILE_CACHE", "1"),
            ("DOCROOT_FILE_CACHE", "-1s"),
            ("DOCROOT_FILE_CACHE", "1.5s"),
            ("DOCROOT_FILE_CACHE", "86401s"),
            ("DOCROOT_FILE_CACHE", "99999999999999999999ms"),
            ("DOCROOT_FILE_CACHE", "s"),
            ("DOCROOT_COMPRESSION", "gzip,zstd"),
            ("DOCROOT_COMPRESSION", "ON"),
            ("DOCROOT_SITE_RULES", "yes"),
            ("DOCROOT_ACCESS_LOG", "Combined"),
            ("DOCROOT_ACCESS_LOG", "common"),
            ("DOCROOT_HTML_HANDLING", ""),
            ("DOCROOT_HTML_HANDLING", "auto"),
            ("DOCROOT_HTML_HANDLING", "Auto-Trailing-Slash"),
        ] {
            let err = problem(&[(name, value)]);
            assert_eq!(err.variable, name, "{name}={value:?}");
            assert!(!err.problem.is_empty());
        }
    }

    #[test]
    fn an_unknown_variable_lists_the_known_ones() {
        let err = problem(&[("DOCROOT_LISTNG", "on")]);
        assert!(err.problem.contains("DOCROOT_LISTING"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn a_value_that_is_not_utf8_is_an_error() {
        use std::os::unix::ffi::OsStrExt;
        let err = Config::from_vars([(OsStr::new("DOCROOT_INDEX"), OsStr::from_bytes(b"\xff"))])
            .unwrap_err();
        assert_eq!(err.variable, "DOCROOT_INDEX");
    }
}
