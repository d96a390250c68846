//! Byte ranges (RFC 9110 §14): one range of a representation, or the whole.

#![forbid(unsafe_code)]

/// What the `Range` header asks of a representation of `len` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeRequest {
    /// No usable `Range`: send everything with 200. Also the answer for a
    /// header that is malformed, in another unit, or asks for several ranges
    /// (which docroot answers whole rather than as multipart).
    Full,
    /// One satisfiable range: send `len` bytes from `start` with 206.
    Partial {
        /// First byte.
        start: u64,
        /// Number of bytes (at least 1).
        len: u64,
    },
    /// A well-formed range that selects no byte: 416.
    Unsatisfiable,
}

impl RangeRequest {
    /// Evaluates a `Range` header value against a length (§14.1.1, §14.1.2).
    pub fn parse(header: &str, total: u64) -> RangeRequest {
        let Some((unit, set)) = header.trim().split_once('=') else {
            return RangeRequest::Full;
        };
        if !unit.trim().eq_ignore_ascii_case("bytes") {
            return RangeRequest::Full;
        }
        let mut specs = set.split(',').map(str::trim).filter(|s| !s.is_empty());
        let (Some(spec), None) = (specs.next(), specs.next()) else {
            return RangeRequest::Full;
        };
        let Some((first, last)) = spec.split_once('-') else {
            return RangeRequest::Full;
        };
        let (first, last) = (first.trim(), last.trim());
        if first.is_empty() {
            // suffix-range: the last `n` bytes.
            let Some(n) = number(last) else {
                return RangeRequest::Full;
            };
            if n == 0 {
                return RangeRequest::Unsatisfiable;
            }
            if total == 0 {
                // Satisfiable, but there is no byte to name: send the (empty) whole.
                return RangeRequest::Full;
            }
            let len = n.min(total);
            return RangeRequest::Partial {
                start: total - len,
                len,
            };
        }
        let Some(start) = number(first) else {
            return RangeRequest::Full;
        };
        let end = if last.is_empty() {
            u64::MAX
        } else {
            match number(last) {
                Some(end) if end >= start => end,
                _ => return RangeRequest::Full,
            }
        };
        if start >= total {
            return RangeRequest::Unsatisfiable;
        }
        let end = end.min(total - 1);
        RangeRequest::Partial {
            start,
            len: end - start + 1,
        }
    }
}

/// A non-negative decimal; digits only. Values past `u64::MAX` saturate,
/// which keeps their meaning (beyond any file).
fn number(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(s.parse().unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::RangeRequest::{self, Full, Partial, Unsatisfiable};

    fn r(h: &str, total: u64) -> RangeRequest {
        RangeRequest::parse(h, total)
    }

    #[test]
    fn the_three_forms() {
        assert_eq!(r("bytes=0-99", 1000), Partial { start: 0, len: 100 });
        assert_eq!(
            r("bytes=900-", 1000),
            Partial {
                start: 900,
                len: 100
            }
        );
        assert_eq!(
            r("bytes=-100", 1000),
            Partial {
                start: 900,
                len: 100
            }
        );
        assert_eq!(r("bytes=999-999", 1000), Partial { start: 999, len: 1 });
        assert_eq!(r("Bytes = 1 - 2 ", 1000), Partial { start: 1, len: 2 });
    }

    #[test]
    fn clamping() {
        assert_eq!(
            r("bytes=900-5000", 1000),
            Partial {
                start: 900,
                len: 100
            }
        );
        assert_eq!(
            r("bytes=-5000", 1000),
            Partial {
                start: 0,
                len: 1000
            }
        );
        assert_eq!(
            r("bytes=0-99999999999999999999999", 1000),
            Partial {
                start: 0,
                len: 1000
            }
        );
        assert_eq!(
            r("bytes=-99999999999999999999999", 10),
            Partial { start: 0, len: 10 }
        );
    }

    #[test]
    fn unsatisfiable() {
        assert_eq!(r("bytes=1000-", 1000), Unsatisfiable);
        assert_eq!(r("bytes=5000-6000", 1000), Unsatisfiable);
        assert_eq!(r("bytes=-0", 1000), Unsatisfiable);
        assert_eq!(r("bytes=0-", 0), Unsatisfiable);
        assert_eq!(r("bytes=99999999999999999999999-", 1000), Unsatisfiable);
    }

    #[test]
    fn ignored() {
        for h in [
            "",
            "bytes",
            "bytes=",
            "items=0-1",
            "bytes=a-b",
            "bytes=5-1",
            "bytes=--1",
            "bytes=1",
            "bytes=+1-2",
            "bytes=0-1,5-6",
            "bytes=0-1, -5",
            "bytes=0x10-",
        ] {
            assert_eq!(r(h, 1000), Full, "{h:?}");
        }
        assert_eq!(r("bytes=-5", 0), Full);
    }

    #[test]
    fn never_outside_the_file() {
        for total in [0u64, 1, 2, 10, 1000] {
            for h in [
                "bytes=0-",
                "bytes=-1",
                "bytes=3-7",
                "bytes=9-",
                "bytes=-999",
                "bytes=0-0",
            ] {
                if let Partial { start, len } = r(h, total) {
                    assert!(len >= 1 && start + len <= total, "{h} of {total}");
                }
            }
        }
    }
}
