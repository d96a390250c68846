//! What one instance works out once, for every request it serves: the
//! configuration (the environment cannot change during an instance's life)
//! and the root's descriptor (nor can the preopens).
//!
//! A bad configuration is kept as it is, so every request still gets its
//! 500 page. A root that cannot be opened is not kept: the next request
//! tries again, as a fresh instance would.

use crate::site::WasiFiles;
use docroot::config::{Config, ConfigError};
use docroot::preopen::NoRoot;
use std::cell::{OnceCell, RefCell};
use std::rc::Rc;
use wasip3::cli::environment::get_environment;

thread_local! {
    static CONFIG: OnceCell<Rc<Result<Config, ConfigError>>> = const { OnceCell::new() };
    static SITE: RefCell<Option<Rc<WasiFiles>>> = const { RefCell::new(None) };
}

/// The configuration, read from the environment by the instance's first request.
pub fn config() -> Rc<Result<Config, ConfigError>> {
    CONFIG.with(|config| {
        config
            .get_or_init(|| Rc::new(Config::from_vars(get_environment())))
            .clone()
    })
}

/// The site at `config`'s root, opened by the first request that gets this
/// far. Requests that start together may each open it; the first one kept
/// is the one every later request shares.
pub async fn site(config: &Config) -> Result<Rc<WasiFiles>, NoRoot> {
    if let Some(site) = SITE.with_borrow(Clone::clone) {
        return Ok(site);
    }
    let opened = Rc::new(WasiFiles::open(&config.root).await?);
    Ok(SITE.with_borrow_mut(|site| site.get_or_insert(opened).clone()))
}
