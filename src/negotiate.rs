//! Content negotiation, in one place: which representation the client
//! prefers, from `Accept` (RFC 9110 §12.5.1), and which coding, from
//! `Accept-Encoding` (§12.5.3): of a site's precompressed files (`name.br`,
//! `name.zst`, `name.gz`) or the codings docroot makes on the fly
//! ([`crate::codec`]).

#![forbid(unsafe_code)]

use crate::codec::Encoding;

/// Whether the client prefers `application/json` to `text/html`: the
/// weight each media type gets from its most specific matching range is
/// compared; on equal weight, the type the client named more precisely wins
/// (`application/json, */*` is JSON), and a full tie goes to HTML. A missing
/// header is HTML. `accept` is every `Accept` line, combined.
pub fn prefers_json(accept: Option<&str>) -> bool {
    let Some(accept) = accept else {
        return false;
    };
    let (json_q, json_spec) = quality(accept, "application", "json");
    let (html_q, html_spec) = quality(accept, "text", "html");
    json_q > 0 && (json_q > html_q || (json_q == html_q && json_spec > html_spec))
}

/// Whether the query asks for docroot's own pages in JSON (`format=json`
/// among its `&`-separated arguments), as `Accept` can.
pub fn query_asks_json(query: Option<&str>) -> bool {
    query.is_some_and(|q| q.split('&').any(|pair| pair == "format=json"))
}

/// The codings of `offered` worth sending, best first: those the client
/// rates above zero and at least as high as identity, by weight, and in
/// the order of `offered` where weights tie. Without an `Accept-Encoding`
/// header the answer is none (identity), as curl without `--compressed`
/// expects; `q=0` refuses a coding, `*` rates the codings not named, and a
/// coding named twice counts at its highest weight. Identity itself is
/// always the last resort (§12.5.3: better an unencoded response than a
/// 406).
pub fn preferred(accept_encoding: Option<&str>, offered: &[Encoding]) -> Vec<Encoding> {
    let Some(header) = accept_encoding else {
        return Vec::new();
    };
    let slot_of = |e: Encoding| match e {
        Encoding::Brotli => 0,
        Encoding::Zstd => 1,
        Encoding::Gzip => 2,
    };
    let mut rated: [Option<u16>; 3] = [None; 3];
    let mut identity = None;
    let mut star = None;
    for (coding, q) in weighted(header) {
        let slot = if let Some(encoding) = Encoding::from_token(coding) {
            &mut rated[slot_of(encoding)]
        } else if coding.eq_ignore_ascii_case("identity") {
            &mut identity
        } else if coding == "*" {
            &mut star
        } else {
            continue;
        };
        // The highest weight given to a coding counts.
        *slot = Some(slot.map_or(q, |old: u16| old.max(q)));
    }
    // Identity not rated at all is acceptable but wanted least: a client
    // that lists `br;q=0.5` still prefers br to nothing.
    let identity = identity.or(star).unwrap_or(0);
    let mut ranked: Vec<(Encoding, u16)> = offered
        .iter()
        .map(|&e| (e, rated[slot_of(e)].or(star).unwrap_or(0)))
        .filter(|&(_, q)| q > 0 && q >= identity)
        .collect();
    // A stable sort keeps the offered order on equal weight.
    ranked.sort_by_key(|&(_, q)| std::cmp::Reverse(q));
    ranked.into_iter().map(|(e, _)| e).collect()
}

/// Whether the client accepts `text/html` at all: no `Accept` header, or
/// one that gives HTML (directly, by `text/*` or by `*/*`) a weight above 0.
/// `accept` is every `Accept` line, combined.
pub fn accepts_html(accept: Option<&str>) -> bool {
    accept.is_none_or(|accept| quality(accept, "text", "html").0 > 0)
}

/// The weight `accept` gives `type_/subtype`, from the most specific
/// matching range (`t/s` over `t/*` over `*/*`), with that range's
/// specificity (2, 1, 0); weight 0 when nothing matches.
fn quality(accept: &str, type_: &str, subtype: &str) -> (u16, u8) {
    let mut best: Option<(u8, u16)> = None;
    for (media, q) in weighted(accept) {
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
        if best.is_none_or(|(spec, _)| specificity > spec) {
            best = Some((specificity, q));
        }
    }
    best.map_or((0, 0), |(spec, q)| (q, spec))
}

/// The elements of a weighted list header (`Accept`, `Accept-Encoding`):
/// each element's value (before any `;`) and its weight in thousandths
/// (`q=0.5` is 500; no `q` is 1000). Elements with an invalid weight are
/// dropped, as are empty ones.
pub fn weighted(header: &str) -> impl Iterator<Item = (&str, u16)> {
    header.split(',').filter_map(|item| {
        let mut parts = item.split(';');
        let value = parts.next().unwrap_or("").trim();
        if value.is_empty() {
            return None;
        }
        let q = parts
            .filter_map(|p| p.trim().split_once('='))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("q"))
            .map_or(Some(1000), |(_, v)| parse_qvalue(v.trim()))?;
        Some((value, q))
    })
}

/// A `qvalue` (RFC 9110 §12.4.2) in thousandths: `0`, `1`, or up to three
/// decimals; `None` for anything else.
pub fn parse_qvalue(v: &str) -> Option<u16> {
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = frac
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(3)
        .fold(0u16, |n, b| n * 10 + u16::from(b - b'0'));
    match int {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_json_in_the_query() {
        assert!(query_asks_json(Some("format=json")));
        assert!(query_asks_json(Some("x=1&format=json")));
        assert!(!query_asks_json(Some("format=jsonp")));
        assert!(!query_asks_json(Some("")));
        assert!(!query_asks_json(None));
    }

    fn json(accept: &str) -> bool {
        prefers_json(Some(accept))
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
            "text/html,application/xhtml+xml,*/*;q=0.8"
        )));
        assert!(accepts_html(Some("*/*")));
        assert!(!accepts_html(Some("image/avif,image/webp")));
        assert!(!accepts_html(Some("application/json")));
        assert!(!accepts_html(Some("text/html;q=0, */*")));
    }

    #[test]
    fn malformed_ranges_are_ignored() {
        assert!(!json("application/json;q=2"));
        assert!(!json("application/json;q=abc"));
        assert!(!json("garbage, ;;, /"));
    }

    #[test]
    fn qvalues() {
        assert_eq!(parse_qvalue("0"), Some(0));
        assert_eq!(parse_qvalue("0.5"), Some(500));
        assert_eq!(parse_qvalue("0.05"), Some(50));
        assert_eq!(parse_qvalue("0.001"), Some(1));
        assert_eq!(parse_qvalue("1.000"), Some(1000));
        assert_eq!(parse_qvalue("1."), Some(1000));
        assert_eq!(parse_qvalue("1.001"), None);
        assert_eq!(parse_qvalue("1.5"), None);
        assert_eq!(parse_qvalue("0.1234"), None);
        assert_eq!(parse_qvalue(""), None);
        assert_eq!(parse_qvalue("-0"), None);
        assert_eq!(parse_qvalue("0.+1"), None);
        let items: Vec<_> = weighted("a;q=0.5, , b;x=1;Q=0, c;q=9").collect();
        assert_eq!(items, [("a", 500), ("b", 0)]);
    }

    mod coding {
        use super::*;
        use Encoding::{Brotli, Gzip, Zstd};

        const ALL: &[Encoding] = &Encoding::ALL;

        fn pref(h: &str) -> Vec<Encoding> {
            preferred(Some(h), ALL)
        }

        #[test]
        fn browsers_get_br_then_zstd_then_gzip() {
            assert_eq!(pref("gzip, deflate, br, zstd"), [Brotli, Zstd, Gzip]);
            assert_eq!(pref("gzip, deflate"), [Gzip]);
            assert_eq!(pref("br"), [Brotli]);
            assert_eq!(preferred(None, ALL), []);
            assert_eq!(pref(""), []);
        }

        #[test]
        fn q_values_order_and_refuse() {
            assert_eq!(pref("br;q=0.5, gzip;q=0.8"), [Gzip, Brotli]);
            assert_eq!(pref("br;q=0, gzip"), [Gzip]);
            assert_eq!(
                pref("gzip;q=0.5, br;q=0.5"),
                [Brotli, Gzip],
                "br wins a tie"
            );
            assert_eq!(pref("x-gzip"), [Gzip]);
            assert_eq!(pref("GZIP;Q=1"), [Gzip]);
            assert_eq!(pref("br;q=2"), [], "an invalid q drops the coding");
            assert_eq!(pref("br;q=0.1, br;q=0.9, gzip;q=0.5"), [Brotli, Gzip]);
        }

        #[test]
        fn star_and_identity() {
            assert_eq!(pref("*"), [Brotli, Zstd, Gzip]);
            assert_eq!(pref("*;q=0.5, br;q=0"), [Zstd, Gzip]);
            assert_eq!(pref("identity;q=1, br;q=0.5"), [], "identity is preferred");
            assert_eq!(pref("identity;q=0.1, br;q=0.5"), [Brotli]);
            assert_eq!(pref("identity;q=0, *;q=0"), []);
            assert_eq!(pref("identity;q=0, gzip"), [Gzip]);
        }

        #[test]
        fn the_offer_limits_and_orders_ties() {
            assert_eq!(preferred(Some("gzip, br, zstd"), &[Gzip]), [Gzip]);
            assert_eq!(preferred(Some("br"), &[Gzip]), []);
            assert_eq!(preferred(Some("gzip, br"), &[Gzip, Brotli]), [Gzip, Brotli]);
            assert_eq!(preferred(Some("*"), &[Gzip, Brotli]), [Gzip, Brotli]);
            assert_eq!(
                preferred(Some("br;q=0.9, gzip"), &[Brotli, Gzip]),
                [Gzip, Brotli]
            );
        }

        #[test]
        fn junk_is_ignored_never_an_error() {
            for junk in [
                ",,,",
                ";q=1",
                "br;q=",
                "br;q=abc",
                "\u{0}",
                "gzip;;q=0.5",
                "br q=1",
            ] {
                let _ = pref(junk);
            }
            assert_eq!(pref(",,br,,"), [Brotli]);
            assert_eq!(pref("compress, deflate, sdch"), []);
        }
    }
}
