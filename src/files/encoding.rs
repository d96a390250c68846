//! Precompressed representations: which of `name.br`, `name.gz` the client
//! accepts, from `Accept-Encoding` (RFC 9110 §12.5.3).

#![forbid(unsafe_code)]

use crate::negotiate::weighted;

/// A content coding docroot serves from a precompressed sibling file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// `br`, from `name.br`.
    Brotli,
    /// `gzip`, from `name.gz`.
    Gzip,
}

impl Encoding {
    /// The `Content-Encoding` token.
    pub fn token(self) -> &'static str {
        match self {
            Encoding::Brotli => "br",
            Encoding::Gzip => "gzip",
        }
    }

    /// The sibling file's suffix.
    pub fn suffix(self) -> &'static str {
        match self {
            Encoding::Brotli => ".br",
            Encoding::Gzip => ".gz",
        }
    }
}

/// The precompressed codings worth trying, best first: those the client
/// rates at least as high as identity, by quality, `br` before `gzip` on a tie. Without an
/// `Accept-Encoding` header the answer is none (identity), as curl without
/// `--compressed` expects; `q=0` refuses a coding, and `*` rates the codings
/// not named. Identity itself is always the last resort (§12.5.3: better an
/// unencoded response than a 406).
pub fn preferred(accept_encoding: Option<&str>) -> Vec<Encoding> {
    let Some(header) = accept_encoding else {
        return Vec::new();
    };
    let mut br = None;
    let mut gzip = None;
    let mut identity = None;
    let mut star = None;
    for (coding, q) in weighted(header) {
        let slot = if coding.eq_ignore_ascii_case("br") {
            &mut br
        } else if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
            &mut gzip
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
    let mut ranked: Vec<(Encoding, u16)> = [(Encoding::Brotli, br), (Encoding::Gzip, gzip)]
        .into_iter()
        .map(|(e, q)| (e, q.or(star).unwrap_or(0)))
        .filter(|&(_, q)| q > 0 && q >= identity)
        .collect();
    // A stable sort keeps br before gzip on equal quality.
    ranked.sort_by_key(|&(_, q)| std::cmp::Reverse(q));
    ranked.into_iter().map(|(e, _)| e).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use Encoding::{Brotli, Gzip};

    fn pref(h: &str) -> Vec<Encoding> {
        preferred(Some(h))
    }

    #[test]
    fn browsers_get_br_then_gzip() {
        assert_eq!(pref("gzip, deflate, br, zstd"), [Brotli, Gzip]);
        assert_eq!(pref("gzip, deflate"), [Gzip]);
        assert_eq!(pref("br"), [Brotli]);
        assert_eq!(preferred(None), []);
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
    }

    #[test]
    fn star_and_identity() {
        assert_eq!(pref("*"), [Brotli, Gzip]);
        assert_eq!(pref("*;q=0.5, br;q=0"), [Gzip]);
        assert_eq!(pref("identity;q=1, br;q=0.5"), [], "identity is preferred");
        assert_eq!(pref("identity;q=0.1, br;q=0.5"), [Brotli]);
        assert_eq!(pref("identity;q=0, *;q=0"), []);
    }
}
