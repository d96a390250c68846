//! Times as docroot writes them: HTTP-dates (RFC 9110 §5.6.7, by
//! `httpdate`) and ISO 8601 UTC timestamps (RFC 3339, by `humantime`), but
//! only for times both can write: each panics before 1970 or after 9999,
//! and a file's modification time or the host's clock can be anything.

#![forbid(unsafe_code)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// 9999-12-31T23:59:59Z, the last second an HTTP-date can name.
const LAST_SECOND: u64 = 253_402_300_799;

/// `t` if an HTTP-date can name it, else `None`.
pub fn in_range(t: SystemTime) -> Option<SystemTime> {
    let secs = t.duration_since(UNIX_EPOCH).ok()?.as_secs();
    (secs <= LAST_SECOND).then_some(t)
}

/// The time `secs` seconds and `nanos` nanoseconds after the epoch, if an
/// HTTP-date can name it.
pub fn from_unix(secs: u64, nanos: u32) -> Option<SystemTime> {
    if secs > LAST_SECOND {
        return None;
    }
    let nanos = Duration::from_nanos(u64::from(nanos.min(999_999_999)));
    UNIX_EPOCH.checked_add(Duration::from_secs(secs) + nanos)
}

/// `t` as an HTTP-date (`Sun, 06 Nov 1994 08:49:37 GMT`), or `None` when
/// out of range.
pub fn format(t: SystemTime) -> Option<String> {
    in_range(t).map(httpdate::fmt_http_date)
}

/// `t` as an ISO 8601 UTC timestamp to the second (`1994-11-06T08:49:37Z`),
/// or `None` when out of range.
pub fn iso8601(t: SystemTime) -> Option<String> {
    in_range(t).map(|t| humantime::format_rfc3339_seconds(t).to_string())
}

/// `t` as an ISO 8601 UTC timestamp to the millisecond
/// (`1994-11-06T08:49:37.123Z`), or `None` when out of range.
pub fn iso8601_millis(t: SystemTime) -> Option<String> {
    in_range(t).map(|t| humantime::format_rfc3339_millis(t).to_string())
}

/// `t` as the Common Log Format writes a time, in UTC
/// (`06/Nov/1994:08:49:37 +0000`), or `None` when out of range.
pub fn common_log(t: SystemTime) -> Option<String> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    // From `YYYY-MM-DDTHH:MM:SSZ`, whose fields are always at these places.
    let iso = iso8601(t)?;
    let month: usize = iso.get(5..7)?.parse().ok()?;
    let name = MONTHS.get(month.checked_sub(1)?)?;
    Some(format!(
        "{}/{name}/{}:{} +0000",
        iso.get(8..10)?,
        iso.get(0..4)?,
        iso.get(11..19)?
    ))
}

/// An [`iso8601`] timestamp as people read it: to the minute, with a space
/// (`1994-11-06T08:49:37Z` → `1994-11-06 08:49`).
pub fn short(iso: &str) -> String {
    let mut text = iso.get(..16).unwrap_or(iso).to_owned();
    if text.get(10..11) == Some("T") {
        text.replace_range(10..11, " ");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_what_it_can_and_refuses_the_rest() {
        let t = from_unix(784_111_777, 0).unwrap();
        assert_eq!(format(t).unwrap(), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert!(from_unix(LAST_SECOND, 999_999_999).is_some());
        assert!(from_unix(LAST_SECOND + 1, 0).is_none());
        assert!(from_unix(u64::MAX, u32::MAX).is_none());
        assert_eq!(format(UNIX_EPOCH - Duration::from_secs(1)), None);
        assert_eq!(
            format(UNIX_EPOCH + Duration::from_secs(LAST_SECOND + 1)),
            None
        );
    }

    #[test]
    fn log_times() {
        let t = from_unix(784_111_777, 123_456_789).unwrap();
        assert_eq!(iso8601_millis(t).unwrap(), "1994-11-06T08:49:37.123Z");
        assert_eq!(common_log(t).unwrap(), "06/Nov/1994:08:49:37 +0000");
        assert_eq!(
            common_log(UNIX_EPOCH).unwrap(),
            "01/Jan/1970:00:00:00 +0000"
        );
        let last = from_unix(LAST_SECOND, 0).unwrap();
        assert_eq!(common_log(last).unwrap(), "31/Dec/9999:23:59:59 +0000");
        assert_eq!(common_log(UNIX_EPOCH - Duration::from_secs(1)), None);
        assert_eq!(iso8601_millis(UNIX_EPOCH - Duration::from_secs(1)), None);
    }

    #[test]
    fn iso_dates_for_machines_and_people() {
        let t = from_unix(784_111_777, 999_000_000).unwrap();
        assert_eq!(iso8601(t).unwrap(), "1994-11-06T08:49:37Z");
        assert_eq!(short(&iso8601(t).unwrap()), "1994-11-06 08:49");
        assert_eq!(short(&iso8601(UNIX_EPOCH).unwrap()), "1970-01-01 00:00");
        let last = from_unix(LAST_SECOND, 999_999_999).unwrap();
        assert_eq!(iso8601(last).unwrap(), "9999-12-31T23:59:59Z");
        assert_eq!(short(&iso8601(last).unwrap()), "9999-12-31 23:59");
        assert_eq!(iso8601(UNIX_EPOCH - Duration::from_secs(1)), None);
        assert_eq!(
            iso8601(UNIX_EPOCH + Duration::from_secs(LAST_SECOND + 1)),
            None
        );
        assert_eq!(short("odd"), "odd");
    }
}
