//! Content negotiation of the coding (RFC 9110 §12.5.3): which of the
//! codings on offer a client's `Accept-Encoding` takes, best first. The
//! offers are a site's precompressed files (`name.br`, `name.zst`,
//! `name.gz`) or the codings docroot makes on the fly ([`crate::codec`]).

#![forbid(unsafe_code)]

pub use crate::codec::Encoding;
use crate::negotiate::weighted;

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

#[cfg(test)]
mod tests {
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
