//! Runs a future that never waits.
//!
//! The core is written as `async fn`s because WASI 0.3's filesystem calls
//! are futures ([`crate::fs::Files`]). Every other site (WASI 0.2's calls,
//! `std::fs`, the tests' in-memory one) answers at once, so its futures are
//! ready the first time they are polled, and they need no executor: this
//! polls once.

#![forbid(unsafe_code)]

use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// The output of `future`, which must be ready the first time it is polled.
///
/// # Panics
///
/// When `future` is not ready: it awaited something that waits, which only
/// a WASI 0.3 site does, and that is driven by the host's event loop instead.
pub fn run<F: Future>(future: F) -> F::Output {
    let mut cx = Context::from_waker(Waker::noop());
    match pin!(future).poll(&mut cx) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("ready::run: the future waited; only WASI 0.3's site does"),
    }
}

#[cfg(test)]
mod tests {
    use super::run;
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    #[test]
    fn a_chain_of_ready_futures_gives_its_value() {
        async fn double(x: u32) -> u32 {
            x * 2
        }
        assert_eq!(run(async { double(double(3).await).await }), 12);
    }

    /// Pending once, then ready: a future that really waits.
    struct Once(bool);
    impl Future for Once {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
            if self.0 {
                Poll::Ready(())
            } else {
                self.0 = true;
                Poll::Pending
            }
        }
    }

    #[test]
    #[should_panic(expected = "the future waited")]
    fn a_future_that_waits_is_a_bug_not_a_hang() {
        run(Once(false));
    }
}
