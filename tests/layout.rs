//! The repository's shape, held by tests: the crate's top-level modules
//! form no cycle, environment variable names are spelled in `config`
//! alone, and the documentation stands alone (a short README, and every
//! relative link resolving inside the repository).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
    found
}

/// The code of a file: its lines without comments (doc links name modules
/// without depending on them).
fn code(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first names of the paths `text` starts at `crate::`: `name` in
/// `crate::name::x`, and each of `a` and `b` in `crate::{a::x, b}`.
fn crate_paths(text: &str) -> Vec<String> {
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut names = Vec::new();
    for (at, _) in text.match_indices("crate::") {
        let rest = &text[at + "crate::".len()..];
        let Some(group) = rest.strip_prefix('{') else {
            names.push(ident(rest));
            continue;
        };
        // The items of the group, split on the commas at its own depth.
        let mut depth = 0;
        let mut start = 0;
        for (i, c) in group.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => {
                    names.push(ident(&group[start..i]));
                    break;
                }
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    names.push(ident(&group[start..i]));
                    start = i + 1;
                }
                _ => {}
            }
        }
    }
    names.retain(|n| !n.is_empty() && n != "self");
    names
}

#[test]
fn crate_paths_are_read_plain_and_grouped() {
    assert_eq!(
        crate_paths("use crate::config::Config;\nlet x = crate::http::f();"),
        ["config", "http"]
    );
    assert_eq!(
        crate_paths("use crate::{\n    fs::{Files, Meta},\n    page,\n};"),
        ["fs", "page"]
    );
}

/// The top-level modules of the crate and, for each, the others its code
/// names as `crate::name` or in a `crate::{…}` group.
fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = repo().join("src");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in rust_files(&src) {
        let relative = file.strip_prefix(&src).unwrap();
        let first = relative.components().next().unwrap();
        let module = Path::new(first.as_os_str())
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if module == "lib" {
            continue;
        }
        let uses = graph.entry(module.clone()).or_default();
        for name in crate_paths(&code(&file)) {
            if name != module {
                uses.insert(name);
            }
        }
    }
    let modules: BTreeSet<String> = graph.keys().cloned().collect();
    for uses in graph.values_mut() {
        uses.retain(|name| modules.contains(name));
    }
    graph
}

/// A cycle in `graph`, as the modules on it, if there is one.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|n| n == node) {
            let mut cycle = path[start..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn the_top_level_modules_form_no_cycle() {
    let graph = module_graph();
    assert!(graph.len() > 10, "the modules were found: {graph:?}");
    assert!(graph["outcome"].contains("files"), "the graph sees uses");
    if let Some(cycle) = find_cycle(&graph) {
        panic!("a module cycle: {}", cycle.join(" -> "));
    }
}

#[test]
fn the_cycle_finder_finds_cycles() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec![]),
    ]
    .into_iter()
    .map(|(n, uses)| (n.to_owned(), uses.into_iter().map(String::from).collect()))
    .collect();
    assert_eq!(find_cycle(&graph).unwrap(), ["a", "b", "c", "a"]);
}

#[test]
fn variable_names_are_spelled_in_config_alone() {
    let src = repo().join("src");
    for file in rust_files(&src) {
        if file.ends_with("config.rs") {
            continue;
        }
        assert!(
            !code(&file).contains("\"DOCROOT_"),
            "{} spells a variable name; ask config for it",
            file.display()
        );
    }
}

/// The Markdown files of the repository's documentation.
fn documents() -> Vec<PathBuf> {
    let mut docs = vec![repo().join("README.md"), repo().join("BENCHMARKS.md")];
    for entry in std::fs::read_dir(repo().join("docs")).expect("a docs/ folder") {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            docs.push(path);
        }
    }
    docs
}

/// The targets of the Markdown links `[text](target)` in `text`.
fn links(text: &str) -> Vec<&str> {
    text.match_indices("](")
        .filter_map(|(at, _)| {
            let rest = &text[at + 2..];
            Some(&rest[..rest.find(')')?])
        })
        .collect()
}

#[test]
fn the_readme_is_short() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let lines = readme.lines().count();
    assert!(
        lines <= 200,
        "README.md has {lines} lines; the rest belongs in docs/"
    );
}

#[test]
fn every_relative_link_resolves_inside_the_repository() {
    let root = repo().canonicalize().unwrap();
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap();
        for target in links(&text) {
            if target.contains("://") || target.starts_with('#') || target.starts_with("mailto:") {
                continue;
            }
            let file = target.split('#').next().unwrap();
            let path = doc.parent().unwrap().join(file);
            let resolved = path
                .canonicalize()
                .unwrap_or_else(|_| panic!("{}: {target} does not exist", doc.display()));
            assert!(
                resolved.starts_with(&root),
                "{}: {target} leads outside the repository",
                doc.display()
            );
        }
    }
}

#[test]
fn the_documentation_names_nothing_outside_the_repository() {
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap();
        for outside in ["../shared", "shared/SPEC", "SPEC.md", "STYLE.md"] {
            assert!(
                !text.contains(outside),
                "{} names {outside}, which a clone does not have",
                doc.display()
            );
        }
    }
}

#[test]
fn the_demo_site_wears_the_generated_pages_style() {
    // One look: the stylesheet inlined into docroot's own pages is the demo
    // site's /style.css, and its precompressed twin decodes to the same.
    let style = std::fs::read(repo().join("src/page.css")).unwrap();
    let public = std::fs::read(repo().join("public/style.css")).unwrap();
    assert!(
        style == public,
        "public/style.css differs from src/page.css: cp src/page.css public/style.css"
    );
    let gunzip = std::process::Command::new("gzip")
        .args(["-dc", "public/style.css.gz"])
        .current_dir(repo())
        .output()
        .expect("running gzip");
    assert!(
        gunzip.status.success() && gunzip.stdout == style,
        "public/style.css.gz is stale: gzip -9 -n -k -f public/style.css"
    );
}
