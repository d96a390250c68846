//! The stall limit: how long the host may take none of a response body
//! before docroot abandons the response, like nginx's `send_timeout`
//! (60 s between two successive writes, not for the whole response).
//!
//! wasmtime serve tells the guest at once when a client closes its
//! connection, but has no limit for one that stays connected and reads
//! nothing; jco serve notices neither, and runs one request at a time. The
//! limit bounds what one silent client can hold.
//!
//! This is the decision alone, over a monotonic clock in nanoseconds, so it
//! is tested with fake time. The glue makes the host calls: it reports the
//! bytes the host takes ([`StallLimit::took`]), and when it must wait for
//! room it asks [`StallLimit::before_wait`] whether to arm a timer, and
//! [`StallLimit::timer_fired`] what to do when that timer goes off first.
//!
//! Progress is the bytes the host took since the timer was armed. One timer
//! serves a whole response and is armed again only when it goes off after
//! progress (under jco every timer runs its whole time, so one per wait
//! would pile up). The clock is read only when a wait begins after progress
//! or with no timer armed, never per write: progress is stamped with the
//! time of the wait that follows it, which is never earlier than the
//! progress itself, so a response is never abandoned before the host has
//! taken nothing for the whole limit.

#![forbid(unsafe_code)]

/// The limit: 60 s, nginx's default `send_timeout`; [`TEST_LIMIT_NS`] in a
/// build with the feature `test-stall-limit`, which only the tests make.
pub const LIMIT_NS: u64 = if cfg!(feature = "test-stall-limit") {
    TEST_LIMIT_NS
} else {
    60_000_000_000
};

/// The limit of the components the stall tests run (`tests/e2e.rs`), built
/// with the feature `test-stall-limit` into a target directory of their
/// own, so that they take seconds: whole seconds, as the message says them.
pub const TEST_LIMIT_NS: u64 = 5_000_000_000;

/// The stall limit of one response body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StallLimit {
    limit: u64,
    /// Bytes the host has taken from this body, in all.
    taken: u64,
    /// `taken` when progress was last stamped, and the time it was stamped.
    stamped: u64,
    progress_at: u64,
    /// `taken` when the glue's timer was armed; `None` while none is.
    armed_at: Option<u64>,
}

/// The host took no byte of the body for the whole limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stalled {
    /// The limit, in whole seconds, for the message.
    pub seconds: u64,
}

impl StallLimit {
    /// A limit of `limit_ns` nanoseconds, no byte taken yet, no timer armed.
    pub fn new(limit_ns: u64) -> StallLimit {
        StallLimit {
            limit: limit_ns,
            taken: 0,
            stamped: 0,
            progress_at: 0,
            armed_at: None,
        }
    }

    /// The host took `bytes` more of the body.
    pub fn took(&mut self, bytes: u64) {
        self.taken = self.taken.saturating_add(bytes);
    }

    /// The glue is about to wait for the host; `now` reads the clock (at
    /// most once). Returns the deadline of a timer to arm when none is
    /// armed; `None` when the one armed stays.
    pub fn before_wait(&mut self, now: impl FnOnce() -> u64) -> Option<u64> {
        let progressed = self.taken != self.stamped;
        if !progressed && self.armed_at.is_some() {
            return None;
        }
        let now = now();
        if progressed {
            self.stamped = self.taken;
            self.progress_at = now;
        }
        if self.armed_at.is_some() {
            return None;
        }
        Some(self.arm(now.saturating_add(self.limit)))
    }

    /// The armed timer went off before the host was ready. With progress
    /// since it was armed, the deadline of the next timer (the limit after
    /// the last progress); without, the response has stalled.
    pub fn timer_fired(&mut self) -> Result<u64, Stalled> {
        match self.armed_at {
            Some(taken) if self.taken == taken => Err(Stalled {
                seconds: self.limit / 1_000_000_000,
            }),
            _ => Ok(self.arm(self.progress_at.saturating_add(self.limit))),
        }
    }

    /// Records a timer armed now for `deadline`, and returns the deadline.
    fn arm(&mut self, deadline: u64) -> u64 {
        self.armed_at = Some(self.taken);
        deadline
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;
    const CHUNK: u64 = 256 * 1024;

    /// The 60 s limit, fresh.
    fn limit() -> StallLimit {
        StallLimit::new(60 * S)
    }

    /// What the components ship (`tests/imports.rs` finds it in the built
    /// ones too): nginx's default `send_timeout`.
    #[test]
    #[cfg(not(feature = "test-stall-limit"))]
    fn the_limit_is_60_s() {
        assert_eq!(LIMIT_NS, 60 * S);
    }

    #[test]
    fn a_client_that_takes_nothing_is_abandoned_after_the_limit() {
        let mut s = limit();
        s.took(CHUNK);
        // The host's buffer is full: the first wait arms the timer.
        assert_eq!(s.before_wait(|| 5 * S), Some(65 * S));
        assert_eq!(s.timer_fired(), Err(Stalled { seconds: 60 }));
    }

    #[test]
    fn the_clock_is_read_only_when_needed() {
        let mut s = limit();
        assert_eq!(s.before_wait(|| 0), Some(60 * S));
        // No progress, a timer armed: no clock read, the timer stays.
        assert_eq!(s.before_wait(|| panic!("the clock was read")), None);
        s.took(1);
        let mut reads = 0;
        assert_eq!(
            s.before_wait(|| {
                reads += 1;
                10 * S
            }),
            None
        );
        assert_eq!(reads, 1);
    }

    #[test]
    fn progress_since_the_timer_was_armed_rearms_it_from_the_last_progress() {
        let mut s = limit();
        assert_eq!(s.before_wait(|| 0), Some(60 * S));
        // The stream was ready; the host took bytes, then stopped at 30 s.
        s.took(CHUNK);
        assert_eq!(s.before_wait(|| 30 * S), None);
        // The timer goes off at 60 s: progress at 30 s, so 90 s is the new deadline.
        assert_eq!(s.timer_fired(), Ok(90 * S));
        // Nothing taken since: abandoned at 90 s, 60 s after the last progress.
        assert_eq!(s.timer_fired(), Err(Stalled { seconds: 60 }));
    }

    #[test]
    fn a_slow_reader_that_keeps_taking_bytes_is_never_abandoned() {
        let mut s = limit();
        let mut deadline = s.before_wait(|| 0).unwrap();
        // 4 KiB every 50 s for an hour: each timer finds progress.
        let mut now = 0;
        while now < 3600 * S {
            now += 50 * S;
            s.took(4096);
            assert_eq!(s.before_wait(|| now), None);
            if now >= deadline {
                deadline = s.timer_fired().expect("not a stall");
                assert_eq!(deadline, now + 60 * S);
            }
        }
    }

    /// Regression: progress was counted only when a wait found the stream
    /// ready, never when a write handed bytes to the host. A download whose
    /// writes kept finding room for more than the limit (reads slower than
    /// the client) was abandoned at its next wait as if the client had
    /// taken nothing, although it had been reading all along.
    #[test]
    fn writes_that_found_room_for_longer_than_the_limit_are_progress() {
        let mut s = limit();
        // The first wait arms the timer at 0 and finds the stream ready.
        assert_eq!(s.before_wait(|| 0), Some(60 * S));
        // Then 100 s of writes that all find room: no wait, no clock read.
        for _ in 0..400 {
            s.took(CHUNK);
        }
        // A wait at last: the timer (60 s) has long gone off.
        assert_eq!(s.before_wait(|| 100 * S), None);
        assert_eq!(s.timer_fired(), Ok(160 * S), "not abandoned");
        // And it still ends a real stall, 60 s after that progress.
        assert_eq!(s.timer_fired(), Err(Stalled { seconds: 60 }));
    }

    #[test]
    fn a_wait_with_no_bytes_written_yet_arms_from_now() {
        let mut s = limit();
        assert_eq!(s.before_wait(|| 7 * S), Some(67 * S));
        assert_eq!(s.timer_fired(), Err(Stalled { seconds: 60 }));
    }

    #[test]
    fn huge_times_saturate() {
        let mut s = limit();
        assert_eq!(s.before_wait(|| u64::MAX - 1), Some(u64::MAX));
        s.took(u64::MAX);
        s.took(1);
        assert_eq!(s.before_wait(|| u64::MAX), None);
        assert_eq!(s.timer_fired(), Ok(u64::MAX));
    }
}
