//! What one component instance works out once, for every request it
//! serves: the configuration (the environment cannot change during an
//! instance's life) and the site (nor can the preopens); and the site's
//! rules as last read ([`crate::rules::Loader`]).
//!
//! A WASI 0.3 host hands one instance many requests, several at a time, and
//! a 0.2 host may reuse one too (jco serve always does). Each glue keeps one
//! [`Instance`] per instance (a `thread_local`, as a component instance is
//! single-threaded) and asks it on every request. A bad configuration is
//! kept as it is, so every request still gets its 500 page. A site whose
//! root cannot be opened is not kept: the next request tries again, as a
//! fresh instance would.

#![forbid(unsafe_code)]

use crate::config::{Config, ConfigError};
use crate::preopen::NoRoot;
use crate::rules::Loader;
use std::cell::{OnceCell, RefCell};
use std::rc::Rc;

/// One instance's configuration and site `S` (the glue's `Files`).
#[derive(Debug)]
pub struct Instance<S> {
    config: OnceCell<Rc<Result<Config, ConfigError>>>,
    site: RefCell<Option<Rc<S>>>,
    rules: Loader,
}

impl<S> Instance<S> {
    /// Nothing worked out yet.
    pub const fn new() -> Instance<S> {
        Instance {
            config: OnceCell::new(),
            site: RefCell::new(None),
            rules: Loader::new(),
        }
    }

    /// The site's rules as this instance last read them (they are looked
    /// at again by every request that may use them).
    pub fn rules(&self) -> &Loader {
        &self.rules
    }

    /// The configuration, made by `make` (from the environment, as the
    /// glue decides) for the instance's first request.
    pub fn config(
        &self,
        make: impl FnOnce() -> Result<Config, ConfigError>,
    ) -> Rc<Result<Config, ConfigError>> {
        self.config.get_or_init(|| Rc::new(make())).clone()
    }

    /// The site, opened by `open` for the first request that gets this far
    /// and shared by every later one. Requests that start together may each
    /// open it; the first one kept is the one the others get.
    pub async fn site<F>(&self, open: impl FnOnce() -> F) -> Result<Rc<S>, NoRoot>
    where
        F: Future<Output = Result<S, NoRoot>>,
    {
        if let Some(site) = self.site.borrow().clone() {
            return Ok(site);
        }
        let opened = Rc::new(open().await?);
        Ok(self.site.borrow_mut().get_or_insert(opened).clone())
    }
}

impl<S> Default for Instance<S> {
    fn default() -> Self {
        Instance::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SiteFile;
    use crate::ready::run;
    use std::cell::Cell;

    #[test]
    fn the_configuration_is_read_once_and_a_bad_one_is_kept() {
        let instance: Instance<()> = Instance::new();
        let reads = Cell::new(0);
        let vars = || {
            reads.set(reads.get() + 1);
            // A site file that is not a URL path: a bad configuration.
            Config::from_vars([(SiteFile::NotFound.variable(), "no-slash.html")])
        };
        for _ in 0..3 {
            let config = instance.config(vars);
            assert!(matches!(*config, Err(ConfigError { .. })), "{config:?}");
        }
        assert_eq!(reads.get(), 1);
    }

    #[test]
    fn an_opened_site_is_shared_and_a_failed_open_is_tried_again() {
        let instance: Instance<u32> = Instance::new();
        let opens = Cell::new(0);
        let open = |ok: bool| {
            opens.set(opens.get() + 1);
            let n = opens.get();
            async move {
                if ok {
                    Ok(n)
                } else {
                    Err(NoRoot::CannotOpen {
                        root: "/site/".into(),
                    })
                }
            }
        };
        assert!(run(instance.site(|| open(false))).is_err());
        assert_eq!(*run(instance.site(|| open(true))).unwrap(), 2);
        assert_eq!(*run(instance.site(|| open(true))).unwrap(), 2);
        assert_eq!(opens.get(), 2);
    }
}
