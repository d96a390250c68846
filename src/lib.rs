//! docroot: a `wasi:http/incoming-handler` component that serves a website.
//!
//! It is a pure function from a request to a response: [`app::handle`] takes
//! a [`http::Request`], the [`config::Config`], a read-only [`fs::Files`] view
//! of the site and the time, and returns a [`http::Response`] whose body is
//! bytes or a file to stream. Only the `guest` module (compiled for
//! `wasm32-wasip2`) touches the wasi bindings, and it only moves bytes: the
//! decisions it needs (which preopen holds the root, when a stalled client
//! is abandoned) are the pure [`preopen`] and [`stall`] modules. Everything
//! else is tested natively.
//!
//! The modules form layers, each using only those listed before it:
//! [`path`], [`http`], [`date`], [`negotiate`], [`stall`], [`json`]; [`preopen`],
//! [`page`], [`fs`]; [`config`]; [`files`], [`info`]; [`outcome`]; [`app`].

// Every module but `guest` forbids unsafe code outright; `guest` holds the
// wit-bindgen bindings, whose generated glue is the crate's only unsafe code.
#![deny(unsafe_code)]
#![deny(missing_docs)]

pub mod app;
pub mod config;
pub mod date;
pub mod files;
pub mod fs;
pub mod http;
pub mod info;
pub mod json;
pub mod negotiate;
pub mod outcome;
pub mod page;
pub mod path;
pub mod preopen;
pub mod stall;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

#[cfg(target_os = "wasi")]
mod guest;
