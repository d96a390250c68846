//! Finding the patterns that may match a path without trying them all:
//! patterns whose first segment is a literal name are filed under it, the
//! others (a placeholder or a splat first) apart; a path's candidates are
//! the two lists merged, in file order.

#![forbid(unsafe_code)]

use super::pattern::Pattern;
use std::collections::BTreeMap;

/// Positions of patterns, by their first literal segment.
#[derive(Debug, Clone, Default)]
pub struct Index {
    by_first: BTreeMap<String, Vec<usize>>,
    anywhere: Vec<usize>,
}

impl Index {
    /// Files pattern number `at` (numbers must come in increasing order).
    pub fn add(&mut self, at: usize, pattern: &Pattern) {
        match pattern.first_literal() {
            Some(first) => self.by_first.entry(first.to_owned()).or_default().push(at),
            None => self.anywhere.push(at),
        }
    }

    /// The numbers of the patterns that may match `path`, in increasing
    /// order.
    pub fn candidates<'a>(&'a self, path: &[String]) -> impl Iterator<Item = usize> + 'a {
        let filed: &[usize] = path
            .first()
            .and_then(|first| self.by_first.get(first))
            .map_or(&[], Vec::as_slice);
        Merge {
            a: filed,
            b: &self.anywhere,
        }
    }
}

/// Two increasing lists, merged.
struct Merge<'a> {
    a: &'a [usize],
    b: &'a [usize],
}

impl Iterator for Merge<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        let take_a = match (self.a.first(), self.b.first()) {
            (Some(a), Some(b)) => a < b,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => return None,
        };
        let list = if take_a { &mut self.a } else { &mut self.b };
        let (first, rest) = list.split_first()?;
        *list = rest;
        Some(*first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_are_the_filed_and_the_anywhere_in_order() {
        let mut index = Index::default();
        for (at, p) in ["/a/x", "/*", "/b", "/a/*", "/:n/y", "/a"]
            .iter()
            .enumerate()
        {
            index.add(at, &Pattern::parse(p).unwrap());
        }
        let c = |path: &[&str]| {
            let path: Vec<String> = path.iter().map(|s| s.to_string()).collect();
            index.candidates(&path).collect::<Vec<_>>()
        };
        assert_eq!(c(&["a", "x"]), [0, 1, 3, 4, 5]);
        assert_eq!(c(&["b"]), [1, 2, 4]);
        assert_eq!(c(&["z"]), [1, 4]);
        assert_eq!(c(&[]), [1, 4]);
    }
}
