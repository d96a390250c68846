//! What each crate costs in the component: the bytes of function bodies in
//! its core module, grouped by the crate each function's name starts with
//! (for `<A as B>::f`, the crate of `A`), with the functions whose name
//! mentions a crate anywhere (generic code instantiated for its types)
//! counted for it too.
//!
//! It needs function names, so build a copy of the component without
//! stripping them, then point this at it:
//!
//! ```sh
//! CARGO_PROFILE_RELEASE_STRIP=false cargo build --release --target wasm32-wasip2 --workspace --target-dir target/sizes
//! cargo bench --bench sizes -- target/sizes/wasm32-wasip2/release/docroot.wasm   # or docroot_p2.wasm
//! cargo bench --bench sizes -- --top=30 target/sizes/wasm32-wasip2/release/docroot.wasm   # also the 30 largest functions
//! ```
//!
//! Only function bodies are counted, not data (string constants, tables);
//! comparing whole component sizes before and after a change is the other
//! half of a size question.

use std::collections::{BTreeMap, HashMap};
use wasmparser::{Encoding, Name, NameSectionReader, Parser, Payload, TypeRef};

/// One core module's functions: bodies in order, names by function index.
#[derive(Default)]
struct Module {
    imported: u32,
    bodies: Vec<usize>,
    names: HashMap<u32, String>,
}

fn modules(bytes: &[u8]) -> Vec<Module> {
    let mut done = Vec::new();
    let mut open: Vec<Option<Module>> = Vec::new();
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.expect("a valid component or module") {
            Payload::Version { encoding, .. } => open.push(match encoding {
                Encoding::Module => Some(Module::default()),
                Encoding::Component => None,
            }),
            Payload::End(_) => {
                if let Some(Some(module)) = open.pop() {
                    done.push(module);
                }
            }
            Payload::ImportSection(section) => {
                if let Some(Some(module)) = open.last_mut() {
                    for import in section.into_imports() {
                        if matches!(import.expect("an import").ty, TypeRef::Func(_)) {
                            module.imported += 1;
                        }
                    }
                }
            }
            Payload::CodeSectionEntry(body) => {
                if let Some(Some(module)) = open.last_mut() {
                    let range = body.range();
                    module.bodies.push((range.end - range.start) as usize);
                }
            }
            Payload::CustomSection(section) if section.name() == "name" => {
                if let Some(Some(module)) = open.last_mut() {
                    let reader = NameSectionReader::new(wasmparser::BinaryReader::new(
                        section.data(),
                        section.data_offset(),
                    ));
                    for name in reader.flatten() {
                        if let Name::Function(map) = name {
                            for naming in map.into_iter().flatten() {
                                let name = format!("{:#}", rustc_demangle::demangle(naming.name));
                                module.names.insert(naming.index, name);
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    done
}

/// The crate a function's name starts with.
fn first_crate(name: &str) -> &str {
    let name = name.trim_start_matches(['<', '&', '*', ' ']);
    let name = name.strip_prefix("dyn ").unwrap_or(name);
    let name = name.strip_prefix("mut ").unwrap_or(name);
    let end = name
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(name.len());
    if end == 0 { "(other)" } else { &name[..end] }
}

fn main() {
    // `cargo bench` with no arguments runs every bench: this one then says
    // what it needs and measures nothing.
    let Some(path) = std::env::args().skip(1).find(|a| !a.starts_with('-')) else {
        eprintln!("sizes: give an unstripped component's path (see benches/sizes.rs); skipped");
        return;
    };
    let bytes = std::fs::read(&path).expect("reading the component");
    let module = modules(&bytes)
        .into_iter()
        .max_by_key(|m| m.bodies.iter().sum::<usize>())
        .expect("a core module");
    assert!(
        !module.names.is_empty(),
        "no function names: build with CARGO_PROFILE_RELEASE_STRIP=false"
    );
    let total: usize = module.bodies.iter().sum();
    let mut by_first: BTreeMap<String, usize> = BTreeMap::new();
    let mut mentions: BTreeMap<&str, usize> = BTreeMap::new();
    const WATCHED: [&str; 7] = [
        "serde_json",
        "serde",
        "ryu",
        "itoa",
        "memchr",
        "html_escape",
        "unicase",
    ];
    for (i, &size) in module.bodies.iter().enumerate() {
        let name = module
            .names
            .get(&(module.imported + i as u32))
            .map(String::as_str)
            .unwrap_or("(unnamed)");
        *by_first.entry(first_crate(name).to_owned()).or_default() += size;
        for krate in WATCHED {
            if name.contains(&format!("{krate}::")) {
                *mentions.entry(krate).or_default() += size;
            }
        }
    }
    println!(
        "{path}: {} bytes in all, {total} in function bodies",
        bytes.len()
    );
    println!("\nfunction bytes by the crate a name starts with:");
    let mut rows: Vec<_> = by_first.into_iter().collect();
    rows.sort_by_key(|(_, size)| std::cmp::Reverse(*size));
    for (krate, size) in rows.iter().take(25) {
        println!("{size:>9}  {:>5.1} KiB  {krate}", *size as f64 / 1024.0);
    }
    println!("\nfunction bytes whose name mentions a crate anywhere:");
    for (krate, size) in mentions {
        println!("{size:>9}  {:>5.1} KiB  {krate}", size as f64 / 1024.0);
    }
    let top: usize = std::env::args()
        .find_map(|a| a.strip_prefix("--top=").map(str::to_owned))
        .map_or(0, |n| n.parse().expect("--top=N takes a number"));
    if top > 0 {
        println!("\nthe {top} largest functions:");
        let mut functions: Vec<(usize, &str)> = module
            .bodies
            .iter()
            .enumerate()
            .map(|(i, &size)| {
                let name = module.names.get(&(module.imported + i as u32));
                (size, name.map(String::as_str).unwrap_or("(unnamed)"))
            })
            .collect();
        functions.sort_by_key(|(size, _)| std::cmp::Reverse(*size));
        for (size, name) in functions.into_iter().take(top) {
            println!("{size:>9}  {}", rustc_demangle::demangle(name));
        }
    }
}
