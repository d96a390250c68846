//! HTTP Basic authentication (RFC 7617) for the paths a site protects with
//! `Basic-Auth` in its `_headers` ([`crate::rules::headers`]): the users a
//! line lists ([`Users`]), the credentials a request presents
//! ([`Authorization`]), and whether they admit it ([`Access`]).
//!
//! A presented user name and password are compared with each user's in
//! constant time: in a time that depends on the presented bytes' length
//! alone, so it tells nothing of a password, not even its length; and
//! every user is compared, so it tells nothing of which user came close
//! either. Nothing here prints what it holds: their `Debug` says
//! `[redacted]`.

#![forbid(unsafe_code)]

use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};

/// The challenge of a 401 (RFC 7617 §2, §2.1): the browser asks for a user
/// and password, and sends them in UTF-8.
pub const CHALLENGE: &str = "Basic realm=\"Protected\", charset=\"UTF-8\"";

/// The header name a `_headers` line uses to protect its block's paths.
pub const LINE_NAME: &str = "basic-auth";

/// Decodes base64 as RFC 7617 uses it (RFC 4648 §4), with its padding,
/// part of it or none; `None` for anything else (another alphabet, more
/// padding than the last group lacks, bits left over that are not zero).
/// Written here rather than taken from the `base64` crate, whose decoder
/// cost 4.6 KB of the component; the tests hold it to that crate's
/// answers.
fn base64(text: &str) -> Option<Vec<u8>> {
    let all = text.as_bytes();
    let body = all
        .strip_suffix(b"==")
        .or_else(|| all.strip_suffix(b"="))
        .unwrap_or(all);
    let lacking = (4 - body.len() % 4) % 4;
    if body.len() % 4 == 1 || all.len() - body.len() > lacking {
        return None;
    }
    let mut out = Vec::with_capacity(body.len() / 4 * 3 + 2);
    let (mut bits, mut held) = (0u32, 0u32);
    for &c in body {
        let sextet = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(sextet);
        held += 6;
        if held >= 8 {
            held -= 8;
            out.push((bits >> held) as u8);
            bits &= (1 << held) - 1;
        }
    }
    (bits == 0).then_some(out)
}

/// Whether `given` is `secret` (never empty), in a time that depends on
/// `given`'s length alone: every byte of it is compared with a byte of
/// `secret` (taken in turn, from the start again at its end, by a
/// branch-free select rather than a division, whose time may depend on
/// its operands), whatever their lengths, and nothing branches on what
/// either holds.
fn same(given: &[u8], secret: &[u8]) -> Choice {
    let len = secret.len() as u64;
    let mut same = (given.len() as u64).ct_eq(&len);
    let mut at = 0u64;
    for byte in given {
        same &= byte.ct_eq(&secret[at as usize]);
        let next = at + 1;
        at = u64::conditional_select(&next, &0, next.ct_eq(&len));
    }
    same
}

/// One user a `Basic-Auth` line lists.
#[derive(Clone, PartialEq, Eq)]
struct User {
    name: Vec<u8>,
    password: Vec<u8>,
}

/// The users a block's `Basic-Auth` lines list: any one of them is let in.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Users(Vec<User>);

impl std::fmt::Debug for Users {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Users({} [redacted])", self.0.len())
    }
}

impl Users {
    /// Parses a `Basic-Auth` line's value as Netlify writes it: one or more
    /// `user:password` pairs separated by spaces. A user name ends at the
    /// first `:` (RFC 7617 §2: it cannot hold one); the password is the
    /// rest, and may. Neither may be empty. The reason for a refusal never
    /// quotes the value.
    pub fn parse(value: &str) -> Result<Users, String> {
        let mut users = Vec::new();
        for (n, pair) in value.split_ascii_whitespace().enumerate() {
            let nth = n + 1;
            let (name, password) = pair.split_once(':').ok_or_else(|| {
                format!("Basic-Auth pair {nth} has no \":\": each is user:password")
            })?;
            if name.is_empty() || password.is_empty() {
                return Err(format!(
                    "Basic-Auth pair {nth} has an empty user or password: each is user:password"
                ));
            }
            users.push(User {
                name: name.as_bytes().to_vec(),
                password: password.as_bytes().to_vec(),
            });
        }
        if users.is_empty() {
            return Err("a Basic-Auth line names no user: it is user:password …".to_owned());
        }
        Ok(Users(users))
    }

    /// Adds the users of another line of the same block.
    pub fn extend(&mut self, other: Users) {
        self.0.extend(other.0);
    }

    /// Whether `authorization` names one of these users with its password.
    /// Every user is compared, in constant time.
    pub fn admit(&self, authorization: &Authorization) -> bool {
        let Authorization::Basic(given) = authorization else {
            return false;
        };
        let mut admitted = Choice::from(0);
        for user in &self.0 {
            admitted |= same(&given.name, &user.name) & same(&given.password, &user.password);
        }
        admitted.into()
    }
}

/// The credentials of an `Authorization: Basic` header.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    name: Vec<u8>,
    password: Vec<u8>,
}

/// What a request's `Authorization` header presents.
#[derive(Clone, Default, PartialEq, Eq)]
pub enum Authorization {
    /// No `Authorization` header.
    #[default]
    Absent,
    /// `Basic` credentials, well formed.
    Basic(Credentials),
    /// Anything else: another scheme, bad base64, no `:`, or more than one
    /// header line. It admits nobody.
    Unusable,
}

impl std::fmt::Debug for Authorization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Authorization::Absent => "Absent",
            Authorization::Basic(_) => "Basic([redacted])",
            Authorization::Unusable => "Unusable([redacted])",
        })
    }
}

impl Authorization {
    /// Reads the request's `Authorization` header `lines` (RFC 9110 §11.6.2:
    /// a single value; RFC 7617 §2: `Basic` and the base64 of
    /// `user:password`; the scheme's name is case-insensitive).
    pub fn of(lines: &[&[u8]]) -> Authorization {
        let [line] = lines else {
            return match lines {
                [] => Authorization::Absent,
                _ => Authorization::Unusable,
            };
        };
        Authorization::basic(line).unwrap_or(Authorization::Unusable)
    }

    fn basic(line: &[u8]) -> Option<Authorization> {
        let line = std::str::from_utf8(line).ok()?.trim_matches([' ', '\t']);
        let (scheme, token) = line.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return None;
        }
        let mut name = base64(token.trim_start_matches(' '))?;
        let colon = name.iter().position(|&b| b == b':')?;
        let password = name.split_off(colon + 1);
        name.pop();
        Some(Authorization::Basic(Credentials { name, password }))
    }

    /// Whether the request carries an `Authorization` header at all: its
    /// answer is then for it alone (RFC 9111 §3.5), and never kept.
    pub fn is_present(&self) -> bool {
        !matches!(self, Authorization::Absent)
    }
}

/// What the site's protection says of a request for one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Access {
    /// Nothing protects the path.
    #[default]
    Open,
    /// Protected, and the credentials admit the request.
    Admitted,
    /// Protected, and the request is not admitted: 401.
    Denied,
}

#[cfg(test)]
mod tests {
    use super::*;

    use base64::Engine;
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

    /// The `base64` crate, as RFC 7617 reads base64: padding optional.
    const BASE64: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );

    fn basic(user_password: &str) -> Authorization {
        let line = format!("Basic {}", BASE64.encode(user_password));
        Authorization::of(&[line.as_bytes()])
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2048))]

        /// The decoder answers as the `base64` crate does, for base64 of
        /// any bytes with or without its padding, and for any text.
        #[test]
        fn base64_decodes_as_the_base64_crate_does(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40),
            padded in proptest::prelude::any::<bool>(),
            text in "[A-Za-z0-9+/=_\\- ]{0,12}",
        ) {
            let mut encoded = BASE64.encode(&bytes);
            if !padded {
                encoded = encoded.trim_end_matches('=').to_owned();
            }
            proptest::prop_assert_eq!(base64(&encoded), Some(bytes));
            proptest::prop_assert_eq!(base64(&text), BASE64.decode(&text).ok(), "{:?}", text);
        }
    }

    #[test]
    fn users_are_pairs_separated_by_spaces() {
        let users = Users::parse("alice:s3cret  bob:pa:ss\tcarol:x").unwrap();
        assert!(users.admit(&basic("alice:s3cret")));
        assert!(
            users.admit(&basic("bob:pa:ss")),
            "a password may hold \":\""
        );
        assert!(users.admit(&basic("carol:x")));
        assert!(!users.admit(&basic("alice:S3cret")));
        assert!(!users.admit(&basic("alice:s3cret ")));
        assert!(
            !users.admit(&basic("bob:s3cret")),
            "another user's password"
        );
        assert!(!users.admit(&basic("alice")));
        assert!(!users.admit(&Authorization::Absent));
        assert!(!users.admit(&Authorization::Unusable));
    }

    #[test]
    fn bad_lines_say_why_without_quoting_them() {
        for (value, pair) in [
            ("alice", "pair 1"),
            ("alice:s3cret bob", "pair 2"),
            (":s3cret", "pair 1"),
            ("alice:", "pair 1"),
        ] {
            let reason = Users::parse(value).unwrap_err();
            assert!(reason.contains(pair), "{value}: {reason}");
            assert!(
                !reason.contains("alice") && !reason.contains("s3cret"),
                "{reason}"
            );
        }
        assert!(Users::parse("  ").is_err());
        let users = Users::parse("alice:s3cret").unwrap();
        let shown = format!("{users:?} {:?}", basic("alice:s3cret"));
        assert!(
            !shown.contains("alice") && !shown.contains("s3cret"),
            "{shown}"
        );
    }

    #[test]
    fn authorization_is_basic_base64_once_or_unusable() {
        let users = Users::parse("alice:s3cret").unwrap();
        let of = |lines: &[&str]| {
            let lines: Vec<&[u8]> = lines.iter().map(|l| l.as_bytes()).collect();
            Authorization::of(&lines)
        };
        // base64("alice:s3cret") = YWxpY2U6czNjcmV0
        for good in [
            "Basic YWxpY2U6czNjcmV0",
            "basic YWxpY2U6czNjcmV0",
            "BASIC   YWxpY2U6czNjcmV0 ",
        ] {
            assert!(users.admit(&of(&[good])), "{good}");
        }
        // "alice:s3cret!" needs padding: with or without it, alike.
        let users = Users::parse("alice:s3cret!").unwrap();
        assert!(users.admit(&of(&["Basic YWxpY2U6czNjcmV0IQ=="])));
        assert!(users.admit(&of(&["Basic YWxpY2U6czNjcmV0IQ"])));
        assert_eq!(of(&[]), Authorization::Absent);
        for bad in [
            &["Bearer YWxpY2U6czNjcmV0"][..],
            &["Basic"],
            &["Basic "],
            &["Basic !!!"],
            &["Basic YWxpY2U"],
            &["BasicYWxpY2U6czNjcmV0"],
            &["Basic YWxpY2U6czNjcmV0", "Basic YWxpY2U6czNjcmV0"],
        ] {
            let auth = of(bad);
            assert_eq!(auth, Authorization::Unusable, "{bad:?}");
            assert!(auth.is_present());
        }
        assert_eq!(Authorization::of(&[b"Basic \xff"]), Authorization::Unusable);
    }

    #[test]
    fn the_compare_is_equality_whatever_the_lengths() {
        let is = |a: &[u8], b: &[u8]| bool::from(same(a, b));
        assert!(is(b"s3cret", b"s3cret"));
        for other in [
            &b""[..],
            b"s",
            b"s3cre",
            b"s3creT",
            b"s3crets",
            b"s3crets3cret",
        ] {
            assert!(!is(other, b"s3cret"), "{other:?}");
        }
        assert!(!is(b"s3cret", b"s3cre"));
    }

    #[test]
    fn access_orders_from_open_to_denied() {
        assert!(Access::Open < Access::Admitted && Access::Admitted < Access::Denied);
    }
}
