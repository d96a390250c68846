//! The repository's shape, held by tests: the crate's top-level modules
//! form no cycle and keep to the layers `src/lib.rs` declares, environment
//! variable names are spelled in `config` alone, and the documentation
//! stands alone (a short README, and every relative link resolving inside
//! the repository).

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

/// One use of a top-level module by another: `module`'s `file` names
/// `crate::uses`.
struct Use {
    module: String,
    file: PathBuf,
    uses: String,
}

/// Every use one top-level module's code makes of another, as
/// `crate::name` or in a `crate::{…}` group, file by file.
fn module_uses() -> Vec<Use> {
    let src = repo().join("src");
    let mut found = Vec::new();
    let mut modules = BTreeSet::new();
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
        modules.insert(module.clone());
        for name in crate_paths(&code(&file)) {
            if name != module {
                found.push(Use {
                    module: module.clone(),
                    file: relative.to_owned(),
                    uses: name,
                });
            }
        }
    }
    found.retain(|u| modules.contains(&u.uses));
    found
}

/// The top-level modules of the crate and, for each, the others its code
/// names as `crate::name` or in a `crate::{…}` group.
fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = repo().join("src");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in rust_files(&src) {
        let relative = file.strip_prefix(&src).unwrap();
        let first = relative.components().next().unwrap();
        let module = Path::new(first.as_os_str()).file_stem().unwrap();
        if module != "lib" {
            graph
                .entry(module.to_string_lossy().into_owned())
                .or_default();
        }
    }
    for u in module_uses() {
        graph.get_mut(&u.module).unwrap().insert(u.uses);
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

/// The layers `src/lib.rs`'s doc comment declares, in order, from its
/// paragraph "The modules form layers, each using only those listed before
/// it: [`a`], [`b`]; [`c`]; …": the modules of a layer are separated by
/// commas, the layers by semicolons.
fn declared_layers(lib: &str) -> Vec<Vec<String>> {
    let doc: Vec<&str> = lib
        .lines()
        .filter_map(|line| line.trim_start().strip_prefix("//!"))
        .map(str::trim)
        .collect();
    let text = doc.join(" ");
    let (_, sentence) = text
        .split_once("The modules form layers")
        .expect("src/lib.rs's doc comment says \"The modules form layers, …\"");
    let (_, list) = sentence.split_once(':').expect("the layers follow a colon");
    // The list is the rest of the sentence (no module name holds a '.').
    let list = list.split('.').next().unwrap();
    list.split(';')
        .map(|layer| {
            layer
                .split("[`")
                .skip(1)
                .filter_map(|item| Some(item.split_once("`]")?.0.to_owned()))
                .collect()
        })
        .collect()
}

#[test]
fn the_declared_layers_and_modules_are_read_as_written() {
    let lib = "//! Intro.\n//!\n//! The modules form layers, each using only those listed before it:\n\
               //! [`a`], [`b`]; [`c`];\n//! [`d`]. See [`e`].\n//!\n//! More: [`f`].\n\npub mod a;\n";
    assert_eq!(declared_layers(lib), [vec!["a", "b"], vec!["c"], vec!["d"]]);
    let lib = "pub mod a;\n#[cfg(any(test, feature = \"testing\"))]\npub mod t;\nmod b;\n";
    let modules = [("a", false), ("t", true), ("b", false)].map(|(m, c)| (m.to_owned(), c));
    assert_eq!(declared_modules(lib), modules);
}

/// The top-level modules `src/lib.rs` declares, each with whether it is
/// built only under a `#[cfg(…)]` (test support, never in a component).
fn declared_modules(lib: &str) -> Vec<(String, bool)> {
    let mut modules = Vec::new();
    let mut conditional = false;
    for line in lib.lines().map(str::trim) {
        if line.starts_with("#[cfg") {
            conditional = true;
        } else if let Some(name) = line
            .strip_prefix("pub mod ")
            .or_else(|| line.strip_prefix("mod "))
            .and_then(|rest| rest.strip_suffix(';'))
        {
            modules.push((name.trim().to_owned(), conditional));
            conditional = false;
        } else if !line.starts_with("#[") && !line.starts_with("//") {
            conditional = false;
        }
    }
    modules
}

/// Where each use breaks the declared layers: a module may use only
/// modules of strictly earlier layers (its own submodules are itself).
/// Modules built only for tests stand outside the layers: any module's
/// tests may use them, which the compiler keeps out of the component.
fn layer_violations(
    layers: &[Vec<String>],
    test_only: &BTreeSet<String>,
    uses: &[Use],
) -> Vec<String> {
    let layer_of = |module: &str| layers.iter().position(|l| l.iter().any(|m| m == module));
    let mut found = Vec::new();
    for u in uses {
        if test_only.contains(&u.module) || test_only.contains(&u.uses) {
            continue;
        }
        let (Some(at), Some(used)) = (layer_of(&u.module), layer_of(&u.uses)) else {
            continue; // the list's own test names modules it lacks
        };
        if used >= at {
            found.push(format!(
                "`{}` uses `crate::{}` (in {}), but src/lib.rs lists `{}` in layer {} and `{}` in layer {}, \
                 not before it",
                u.module,
                u.uses,
                Path::new("src").join(&u.file).display(),
                u.uses,
                used + 1,
                u.module,
                at + 1,
            ));
        }
    }
    found.sort();
    found.dedup();
    found
}

#[test]
fn the_layer_check_names_the_module_and_the_edge() {
    let layers = [vec!["a".to_owned(), "b".to_owned()], vec!["c".to_owned()]];
    let test_only = BTreeSet::from(["t".to_owned()]);
    let uses = |edges: &[(&str, &str)]| -> Vec<Use> {
        edges
            .iter()
            .map(|(m, u)| Use {
                module: (*m).to_owned(),
                file: PathBuf::from(format!("{m}.rs")),
                uses: (*u).to_owned(),
            })
            .collect()
    };
    let fine = uses(&[("c", "a"), ("c", "b"), ("t", "c"), ("a", "t")]);
    assert!(layer_violations(&layers, &test_only, &fine).is_empty());
    let broken = layer_violations(&layers, &test_only, &uses(&[("a", "b"), ("a", "c")]));
    assert_eq!(broken.len(), 2, "{broken:?}");
    assert!(
        broken[0].starts_with("`a` uses `crate::b` (in src/a.rs)"),
        "{broken:?}"
    );
    assert!(
        broken[1].starts_with("`a` uses `crate::c` (in src/a.rs)"),
        "{broken:?}"
    );
}

#[test]
fn every_module_keeps_to_the_layers_src_lib_rs_declares() {
    let lib = std::fs::read_to_string(repo().join("src/lib.rs")).unwrap();
    let layers = declared_layers(&lib);
    let modules = declared_modules(&lib);
    assert!(modules.len() > 10, "the modules were found: {modules:?}");
    let test_only: BTreeSet<String> = modules
        .iter()
        .filter(|(_, conditional)| *conditional)
        .map(|(name, _)| name.clone())
        .collect();
    // Every module of the component in the list once, and nothing else.
    let mut listed: BTreeMap<&str, usize> = BTreeMap::new();
    for name in layers.iter().flatten() {
        *listed.entry(name).or_default() += 1;
    }
    let mut wrong = Vec::new();
    for (name, conditional) in &modules {
        match listed.get(name.as_str()) {
            None if !conditional => wrong.push(format!("`{name}` is not in the list")),
            Some(n) if *n > 1 => wrong.push(format!("`{name}` is listed {n} times")),
            _ => {}
        }
    }
    for name in listed.keys() {
        if !modules.iter().any(|(m, _)| m == name) {
            wrong.push(format!("`{name}` is listed but is no module of src/lib.rs"));
        }
    }
    assert!(
        wrong.is_empty(),
        "src/lib.rs's layers (\"The modules form layers, …\") and its modules disagree:\n  {}",
        wrong.join("\n  ")
    );
    let broken = layer_violations(&layers, &test_only, &module_uses());
    assert!(
        broken.is_empty(),
        "a module uses one that src/lib.rs does not list before it:\n  {}\n\
         Move the use, or the module in the list if the list is what is wrong.",
        broken.join("\n  ")
    );
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
