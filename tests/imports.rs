//! The built component imports nothing its world (`wit/world.wit`) does not
//! list: no sockets, no outgoing HTTP, no randomness.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use wasmparser::{Parser, Payload};

/// The instance imports at the top level of a component.
fn component_imports(bytes: &[u8]) -> BTreeSet<String> {
    let mut imports = BTreeSet::new();
    let mut depth = 0;
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.expect("a valid component") {
            Payload::Version { .. } => depth += 1,
            Payload::End(_) => depth -= 1,
            Payload::ComponentImportSection(section) if depth == 1 => {
                for import in section {
                    imports.insert(import.unwrap().name.name.to_owned());
                }
            }
            _ => {}
        }
    }
    imports
}

/// The interfaces the world imports, elaborated with what they `use`.
fn world_imports() -> BTreeSet<String> {
    let mut resolve = wit_parser::Resolve::new();
    let (package, _) = resolve
        .push_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("wit"))
        .expect("wit/ parses");
    let world = resolve
        .select_world(&[package], Some("docroot"))
        .expect("world docroot");
    resolve.worlds[world]
        .imports
        .keys()
        .map(|key| match key {
            wit_parser::WorldKey::Interface(id) => resolve.id_of(*id).unwrap(),
            wit_parser::WorldKey::Name(name) => name.clone(),
        })
        .collect()
}

#[test]
fn the_component_imports_only_what_its_world_lists() {
    let bytes = std::fs::read(common::component()).unwrap();
    let imported = component_imports(&bytes);
    let allowed = world_imports();
    let extra: Vec<_> = imported.difference(&allowed).collect();
    assert!(
        extra.is_empty(),
        "the component imports {extra:?}, which wit/world.wit does not list"
    );
    for name in &imported {
        assert!(!name.starts_with("wasi:sockets/"), "{name}");
        assert!(!name.starts_with("wasi:http/outgoing-handler"), "{name}");
        assert!(!name.starts_with("wasi:random/"), "{name}");
    }
    assert!(imported.contains("wasi:filesystem/preopens@0.2.12"));
    assert!(imported.contains("wasi:http/types@0.2.12"));
}

#[test]
fn the_component_exports_the_incoming_handler() {
    let bytes = std::fs::read(common::component()).unwrap();
    let mut exports = Vec::new();
    let mut depth = 0;
    for payload in Parser::new(0).parse_all(&bytes) {
        match payload.unwrap() {
            Payload::Version { .. } => depth += 1,
            Payload::End(_) => depth -= 1,
            Payload::ComponentExportSection(section) if depth == 1 => {
                for export in section {
                    exports.push(export.unwrap().name.name.to_owned());
                }
            }
            _ => {}
        }
    }
    assert_eq!(exports, ["wasi:http/incoming-handler@0.2.12"]);
}

#[test]
fn the_world_parser_sees_a_non_empty_list() {
    // Guards the test above against passing on an empty world.
    let allowed = world_imports();
    assert!(
        allowed.contains("wasi:cli/environment@0.2.12"),
        "{allowed:?}"
    );
    assert!(!allowed.iter().any(|i| i.starts_with("wasi:sockets/")));
}
