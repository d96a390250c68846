//! Each built component imports nothing its world (`wit/world.wit`) does
//! not list: no sockets, no outgoing HTTP, no randomness. And each exports
//! its handler, and nothing else, and carries the 60 s stall limit.

mod common;

use common::Build;
use std::collections::BTreeSet;
use std::path::Path;
use wasmparser::{Operator, Parser, Payload};

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

/// The world of `build`'s component in `wit/world.wit`.
fn world_of(build: Build) -> &'static str {
    match build {
        Build::P3 => "docroot",
        Build::P2 => "docroot-p2",
    }
}

/// The interfaces `world` imports, elaborated with what they `use`.
fn world_imports(world: &str) -> BTreeSet<String> {
    let mut resolve = wit_parser::Resolve::new();
    let (package, _) = resolve
        .push_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("wit"))
        .expect("wit/ parses");
    let world = resolve
        .select_world(&[package], Some(world))
        .unwrap_or_else(|e| panic!("world {world}: {e}"));
    resolve.worlds[world]
        .imports
        .keys()
        .map(|key| match key {
            wit_parser::WorldKey::Interface(id) => resolve.id_of(*id).unwrap(),
            wit_parser::WorldKey::Name(name) => name.clone(),
        })
        .collect()
}

/// The instance exports at the top level of a component.
fn component_exports(bytes: &[u8]) -> Vec<String> {
    let mut exports = Vec::new();
    let mut depth = 0;
    for payload in Parser::new(0).parse_all(bytes) {
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
    exports
}

#[test]
fn each_component_imports_only_what_its_world_lists() {
    for build in Build::ALL {
        let bytes = std::fs::read(common::component(build)).unwrap();
        let imported = component_imports(&bytes);
        let allowed = world_imports(world_of(build));
        let extra: Vec<_> = imported.difference(&allowed).collect();
        assert!(
            extra.is_empty(),
            "{build:?} imports {extra:?}, which its world in wit/world.wit does not list"
        );
        for name in &imported {
            assert!(!name.starts_with("wasi:sockets/"), "{name}");
            assert!(!name.starts_with("wasi:http/outgoing-handler"), "{name}");
            assert!(!name.starts_with("wasi:http/client"), "{name}");
            assert!(!name.starts_with("wasi:random/"), "{name}");
        }
        let site = match build {
            Build::P3 => ["wasi:filesystem/preopens@0.3.2", "wasi:http/types@0.3.2"],
            Build::P2 => ["wasi:filesystem/preopens@0.2.12", "wasi:http/types@0.2.12"],
        };
        for name in site {
            assert!(imported.contains(name), "{build:?} does not import {name}");
        }
    }
}

#[test]
fn each_component_exports_its_handler_and_nothing_else() {
    let exports = |build| component_exports(&std::fs::read(common::component(build)).unwrap());
    assert_eq!(exports(Build::P3), ["wasi:http/handler@0.3.2"]);
    assert_eq!(exports(Build::P2), ["wasi:http/incoming-handler@0.2.12"]);
}

/// The budget: 1.6 MB a component (spin-fileserver's is 2.19 MB); it was
/// 1.5 MB until validators came from content (the XXH3 hash and the
/// manifest). Of docroot's, the brotli encoder is about 1 MB (250 KiB of
/// code, the rest its static tables); without it a component was 394 KiB.
#[test]
fn each_component_is_at_most_1_6_mb() {
    for build in Build::ALL {
        let size = std::fs::metadata(common::component(build)).unwrap().len();
        assert!(size <= 1_600_000, "{build:?} is {size} bytes");
    }
}

/// The value each core module's first global, the stack pointer, starts
/// at: with the stack first in memory (Rust's layout for wasm), the stack's
/// size.
fn stack_pointers(bytes: &[u8]) -> Vec<i32> {
    let mut found = Vec::new();
    for payload in Parser::new(0).parse_all(bytes) {
        if let Payload::GlobalSection(globals) = payload.expect("a valid component")
            && let Some(first) = globals.into_iter().next()
        {
            let mut init = first.unwrap().init_expr.get_operators_reader();
            if let Operator::I32Const { value } = init.read().unwrap() {
                found.push(value);
            }
        }
    }
    found
}

/// The stack is 256 KiB (glue/stack.rs says why), not Rust's 1 MiB: part
/// of every instance's memory, which never shrinks.
#[test]
fn each_component_has_a_256_kib_stack() {
    for build in Build::ALL {
        let pointers = stack_pointers(&std::fs::read(common::component(build)).unwrap());
        assert_eq!(
            pointers.first(),
            Some(&(256 * 1024)),
            "{build:?}: {pointers:?}"
        );
    }
}

#[test]
fn the_world_parser_sees_non_empty_lists() {
    // Guards the tests above against passing on an empty world.
    let p3 = world_imports("docroot");
    assert!(p3.contains("wasi:cli/environment@0.3.2"), "{p3:?}");
    let p2 = world_imports("docroot-p2");
    assert!(p2.contains("wasi:cli/environment@0.2.12"), "{p2:?}");
    for world in [p3, p2] {
        assert!(!world.iter().any(|i| i.starts_with("wasi:sockets/")));
        assert!(!world.iter().any(|i| i.starts_with("wasi:random/")));
    }
}

/// How many times each `i64.const` value occurs in the code of a
/// component's core modules.
fn i64_constants(bytes: &[u8]) -> std::collections::BTreeMap<i64, i64> {
    let mut found = std::collections::BTreeMap::new();
    for payload in Parser::new(0).parse_all(bytes) {
        if let Payload::CodeSectionEntry(body) = payload.expect("a valid component") {
            let mut ops = body.get_operators_reader().unwrap();
            while !ops.eof() {
                if let Operator::I64Const { value } = ops.read().unwrap() {
                    *found.entry(value).or_default() += 1;
                }
            }
        }
    }
    found
}

/// The stall tests run components built with a limit of seconds
/// (`common::test_stall_component`); the shipped ones must keep nginx's
/// 60 s. The limit is an `i64.const` of nanoseconds in the code: where the
/// shipped component has 60 s, the tests' has their limit, and nowhere
/// else do the two differ in either constant. So a shipped limit changed,
/// or the test feature left on, fails here.
#[test]
fn the_shipped_components_carry_the_60_s_stall_limit() {
    const SHIPPED: i64 = 60_000_000_000;
    let test = docroot::stall::TEST_LIMIT_NS as i64;
    for build in Build::ALL {
        let shipped = i64_constants(&std::fs::read(common::component(build)).unwrap());
        let tests = i64_constants(&std::fs::read(common::test_stall_component(build)).unwrap());
        let count = |consts: &std::collections::BTreeMap<i64, i64>, value| {
            consts.get(&value).copied().unwrap_or(0)
        };
        let sixty = count(&shipped, SHIPPED) - count(&tests, SHIPPED);
        let short = count(&tests, test) - count(&shipped, test);
        assert!(
            sixty > 0 && sixty == short,
            "{build:?}: the shipped component should hold i64.const {SHIPPED} (60 s) where the \
             stall tests' holds {test}: {sixty} more of the one, {short} more of the other. \
             Is the shipped limit still 60 s (src/stall.rs), and the feature \
             test-stall-limit off by default?"
        );
    }
}
