//! Which representation the client prefers, from `Accept` (RFC 9110 §12.5.1).

/// Whether the client prefers `application/json` to `text/html`: the
/// quality each media type gets from its most specific matching range is
/// compared; on equal quality, the type the client named more precisely wins
/// (`application/json, */*` is JSON), and a full tie goes to HTML. A missing
/// or unreadable header is HTML.
pub fn prefers_json(accept: Option<&[u8]>) -> bool {
    let Some(accept) = accept.and_then(|a| std::str::from_utf8(a).ok()) else {
        return false;
    };
    let (json_q, json_spec) = quality(accept, "application", "json");
    let (html_q, html_spec) = quality(accept, "text", "html");
    json_q > 0.0 && (json_q > html_q || (json_q == html_q && json_spec > html_spec))
}

/// Whether the client accepts `text/html` at all: no `Accept` header, or
/// one that gives HTML (directly, by `text/*` or by `*/*`) a quality above 0.
pub fn accepts_html(accept: Option<&[u8]>) -> bool {
    match accept.map(std::str::from_utf8) {
        None => true,
        Some(Ok(accept)) => quality(accept, "text", "html").0 > 0.0,
        Some(Err(_)) => false,
    }
}

/// The quality `accept` gives `type_/subtype`, from the most specific
/// matching range (`t/s` over `t/*` over `*/*`), with that range's
/// specificity (2, 1, 0); quality 0 when nothing matches.
fn quality(accept: &str, type_: &str, subtype: &str) -> (f32, u8) {
    let mut best: Option<(u8, f32)> = None;
    for range in accept.split(',') {
        let mut params = range.split(';');
        let media = params.next().unwrap_or("").trim();
        let Some((t, s)) = media.split_once('/') else {
            continue;
        };
        let specificity = if t.eq_ignore_ascii_case(type_) && s.eq_ignore_ascii_case(subtype) {
            2
        } else if t.eq_ignore_ascii_case(type_) && s == "*" {
            1
        } else if t == "*" && s == "*" {
            0
        } else {
            continue;
        };
        let q = params
            .filter_map(|p| p.trim().split_once('='))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("q"))
            .map_or(Some(1.0), |(_, v)| parse_qvalue(v.trim()));
        let Some(q) = q else { continue };
        if best.is_none_or(|(spec, _)| specificity > spec) {
            best = Some((specificity, q));
        }
    }
    best.map_or((0.0, 0), |(spec, q)| (q, spec))
}

/// A `qvalue` (RFC 9110 §12.4.2): `0`, `1`, or up to three decimals; `None`
/// for anything else, which drops the range it belongs to.
pub fn parse_qvalue(v: &str) -> Option<f32> {
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    let valid = matches!(int, "0" | "1")
        && frac.len() <= 3
        && frac.bytes().all(|b| b.is_ascii_digit())
        && (int == "0" || frac.bytes().all(|b| b == b'0'));
    if valid { v.parse().ok() } else { None }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(accept: &str) -> bool {
        prefers_json(Some(accept.as_bytes()))
    }

    #[test]
    fn browsers_get_html_and_api_clients_get_json() {
        assert!(!prefers_json(None));
        assert!(!json(
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
        ));
        assert!(!json("*/*"));
        assert!(json("application/json"));
        assert!(json("application/json, text/plain, */*"));
        assert!(json("text/html;q=0.5, application/json"));
        assert!(json("application/*"));
        assert!(!json("application/json;q=0.5, text/html"));
        assert!(!json("application/json;q=0, */*"));
        assert!(!json("text/html, application/json"));
    }

    #[test]
    fn who_accepts_html() {
        assert!(accepts_html(None));
        assert!(accepts_html(Some(
            b"text/html,application/xhtml+xml,*/*;q=0.8"
        )));
        assert!(accepts_html(Some(b"*/*")));
        assert!(!accepts_html(Some(b"image/avif,image/webp")));
        assert!(!accepts_html(Some(b"application/json")));
        assert!(!accepts_html(Some(b"text/html;q=0, */*")));
    }

    #[test]
    fn malformed_ranges_are_ignored() {
        assert!(!json("application/json;q=2"));
        assert!(!json("application/json;q=abc"));
        assert!(!json("garbage, ;;, /"));
        assert!(!prefers_json(Some(b"\xff\xfe")));
    }

    #[test]
    fn qvalues() {
        assert_eq!(parse_qvalue("0"), Some(0.0));
        assert_eq!(parse_qvalue("0.5"), Some(0.5));
        assert_eq!(parse_qvalue("1.000"), Some(1.0));
        assert_eq!(parse_qvalue("1.5"), None);
        assert_eq!(parse_qvalue("0.1234"), None);
        assert_eq!(parse_qvalue(""), None);
        assert_eq!(parse_qvalue("-0"), None);
    }
}
