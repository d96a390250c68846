//! docroot: a `wasi:http/incoming-handler` component that serves a website.
//!
//! It is a pure function from a request to a response: [`app::handle`] takes
//! a [`http::Request`], the [`config::Config`], a read-only [`fs::Files`] view
//! of the site and the time, and returns a [`http::Response`] whose body is
//! bytes or a file to stream. Only the `guest` module (compiled for
//! `wasm32-wasip2`) touches the wasi bindings; everything else is tested
//! natively.

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
pub mod negotiate;
pub mod outcome;
pub mod page;

#[cfg(target_os = "wasi")]
mod guest;
