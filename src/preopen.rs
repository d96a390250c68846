//! Finding the site's root among the directories the host preopened.
//!
//! The host names each preopen by a guest path (`wasmtime serve --dir
//! HOST::GUEST`). The root is served from the preopen whose guest path is
//! the longest prefix of it, and the names below that lead to the root. The
//! choice is pure: the glue lists the preopens, then opens what was chosen.

#![forbid(unsafe_code)]

use crate::path::SitePath;

/// Where the root is: the preopen at `index` in the host's list, and the
/// names below it that lead to the root (none when the preopen is the root).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice<'a> {
    /// The preopen's place in the host's list.
    pub index: usize,
    /// The plain names from the preopen down to the root.
    pub below: &'a [String],
}

/// Why the root cannot be served. Each holds the root as a URL path
/// (`/site/`), for the message that names the setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoRoot {
    /// The host preopened no directory at all.
    NoPreopens {
        /// The root asked for.
        root: String,
    },
    /// No preopen is the root or a directory above it.
    NotInside {
        /// The root asked for.
        root: String,
        /// The guest paths of the preopens there are.
        preopens: Vec<String>,
    },
    /// The names below the preopen do not open as a directory inside it.
    CannotOpen {
        /// The root asked for.
        root: String,
    },
}

/// Picks the preopen that holds `root`, from the guest paths the host gave
/// (in its order): the longest that is a prefix of the root, the first of
/// equal length. A guest path is read as names between `/` (empty names and
/// `.` dropped); one holding `..` holds nothing.
pub fn choose<'a>(root: &'a SitePath, guest_paths: &[&str]) -> Result<Choice<'a>, NoRoot> {
    let wanted = root.segments();
    let mut best: Option<(usize, usize)> = None;
    for (index, guest) in guest_paths.iter().enumerate() {
        let names: Vec<&str> = guest
            .split('/')
            .filter(|s| !s.is_empty() && *s != ".")
            .collect();
        let holds = names.len() <= wanted.len()
            && !names.contains(&"..")
            && names.iter().zip(wanted).all(|(a, b)| a == b);
        if holds && best.is_none_or(|(_, depth)| names.len() > depth) {
            best = Some((index, names.len()));
        }
    }
    match best {
        Some((index, depth)) => Ok(Choice {
            index,
            below: &wanted[depth..],
        }),
        None if guest_paths.is_empty() => Err(NoRoot::NoPreopens {
            root: root.to_url_path(),
        }),
        None => Err(NoRoot::NotInside {
            root: root.to_url_path(),
            preopens: guest_paths.iter().map(|p| (*p).to_owned()).collect(),
        }),
    }
}

/// The preopen that holds `root`, taken from the host's `preopens`
/// (descriptors and their guest paths, in its order) as [`choose`] picks
/// it, and the names of the root below it (none when it is the root).
pub fn take<D>(
    root: &SitePath,
    mut preopens: Vec<(D, String)>,
) -> Result<(D, Vec<String>), NoRoot> {
    let names: Vec<&str> = preopens.iter().map(|(_, name)| name.as_str()).collect();
    let choice = choose(root, &names)?;
    let (index, below) = (choice.index, choice.below.to_vec());
    let (preopen, _) = preopens.swap_remove(index);
    Ok((preopen, below))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(path: &str) -> SitePath {
        SitePath::parse(path).unwrap().as_dir()
    }

    fn chosen(path: &str, preopens: &[&str]) -> (usize, Vec<String>) {
        let root = root(path);
        let choice = choose(&root, preopens).unwrap();
        (choice.index, choice.below.to_vec())
    }

    #[test]
    fn the_root_preopen_serves_the_default_root() {
        assert_eq!(chosen("/", &["/"]), (0, vec![]));
        assert_eq!(chosen("/", &["."]), (0, vec![]));
    }

    #[test]
    fn the_longest_guest_path_that_holds_the_root_wins() {
        let preopens = ["/", "/srv", "/srv/www", "/srv/www-old"];
        assert_eq!(chosen("/srv/www/", &preopens), (2, vec![]));
        assert_eq!(
            chosen("/srv/www/blog", &preopens),
            (2, vec!["blog".to_owned()])
        );
        assert_eq!(chosen("/srv/other", &preopens), (1, vec!["other".into()]));
        assert_eq!(
            chosen("/elsewhere", &preopens),
            (0, vec!["elsewhere".into()])
        );
    }

    #[test]
    fn guest_paths_are_read_as_names() {
        assert_eq!(chosen("/srv/www", &["srv/", "./srv//www/."]), (1, vec![]));
        // A name is whole: /srv does not hold /srvx.
        assert!(choose(&root("/srvx"), &["/srv"]).is_err());
        // `..` in a guest path holds nothing.
        assert!(choose(&root("/a"), &["/x/../a"]).is_err());
    }

    #[test]
    fn the_first_of_equal_guest_paths_wins() {
        assert_eq!(chosen("/site", &["/site", "/site/"]), (0, vec![]));
    }

    #[test]
    fn no_preopen_or_none_that_holds_the_root_is_an_error_naming_them() {
        assert_eq!(
            choose(&root("/"), &[]),
            Err(NoRoot::NoPreopens { root: "/".into() })
        );
        assert_eq!(
            choose(&root("/"), &["/srv", "/data"]),
            Err(NoRoot::NotInside {
                root: "/".into(),
                preopens: vec!["/srv".into(), "/data".into()],
            })
        );
        assert_eq!(
            choose(&root("/site"), &["/srv"]),
            Err(NoRoot::NotInside {
                root: "/site/".into(),
                preopens: vec!["/srv".into()],
            })
        );
    }
}
