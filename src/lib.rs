//! docroot's core: a website served as a pure function from a request to a
//! response. [`app::handle`] takes a [`http::Request`], the
//! [`config::Config`], a read-only [`fs::Files`] view of the site and the
//! time, and returns a [`http::Response`] whose body is bytes or a file to
//! stream.
//!
//! The core knows no WASI version. Each component is a thin crate under
//! `glue/` that binds one host ABI to it: `glue/p3` (WASI 0.3,
//! `docroot.wasm`) and `glue/p2` (WASI 0.2, `docroot_p2.wasm`). The glues
//! only move bytes; the decisions they need (which preopen holds the root,
//! when a stalled client is abandoned) are the pure [`preopen`] and
//! [`stall`] modules here. Everything here is tested natively.
//!
//! The modules form layers, each using only those listed before it:
//! [`path`], [`auth`], [`digest`], [`codec`], [`date`], [`stall`], [`json`],
//! [`ready`]; [`content_type`], [`manifest`], [`http`], [`negotiate`],
//! [`preopen`], [`page`], [`fs`], [`store`]; [`rules`]; [`cache`]; [`config`]; [`prepare`], [`instance`];
//! [`files`], [`info`], [`access_log`]; [`outcome`]; [`answers`]; [`app`]. ([`testing`],
//! built only for tests, stands outside them.) A request goes through them
//! once, in this order: [`app`] prepares it ([`prepare`]), answers it from
//! a kept answer ([`answers`]) or routes it to [`files`] or [`info`], and
//! [`outcome`] turns how it ended into the response.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod access_log;
pub mod answers;
pub mod app;
pub mod auth;
pub mod cache;
pub mod codec;
pub mod config;
pub mod content_type;
pub mod date;
pub mod digest;
pub mod files;
pub mod fs;
pub mod http;
pub mod info;
pub mod instance;
pub mod json;
pub mod manifest;
pub mod negotiate;
pub mod outcome;
pub mod page;
pub mod path;
pub mod preopen;
pub mod prepare;
pub mod ready;
pub mod rules;
pub mod stall;
pub mod store;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
