//! spin.toml's build, held to its promise: the pack (`docroot-pack`, which
//! runs site-guard's checks before it writes anything) runs on `public/`
//! before the component is built, a `public/` with a symlink leading
//! outside it stops `spin build` at the pack with nothing written, and the
//! component's `files` are the directory the pack writes, which
//! `spin watch` re-packs when `public/` changes.
//!
//! Spin (crates/build/src/lib.rs in spinframework/spin) runs a component's
//! build `command`, a string or a list of strings, one at a time in order,
//! each through `sh -c` with the directory of spin.toml as the working
//! directory (unless `workdir` is set), and stops at the first that fails.
//! [`run_like_spin`] does the same.

#![cfg(unix)]

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The repository: two levels above this crate.
fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// The body of the TOML table `[header]` in `text`: its lines up to the
/// next table header.
fn table<'a>(text: &'a str, header: &str) -> &'a str {
    let start = text
        .lines()
        .position(|l| l.trim() == format!("[{header}]"))
        .unwrap_or_else(|| panic!("spin.toml has no [{header}]"));
    let offset: usize = text.lines().take(start + 1).map(|l| l.len() + 1).sum();
    let body = &text[offset.min(text.len())..];
    let end = body
        .lines()
        .scan(0, |at, l| {
            let here = *at;
            *at += l.len() + 1;
            Some((here, l))
        })
        .find(|(_, l)| l.starts_with('['))
        .map_or(body.len(), |(at, _)| at);
    &body[..end]
}

/// Reads a TOML basic string at the start of `s` (after its opening
/// quote): the string and the rest after its closing quote.
fn basic_string(s: &str) -> (String, &str) {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return (out, &s[i + 1..]),
            '\\' => match chars.next().map(|(_, e)| e) {
                Some('"') => out.push('"'),
                Some('\\') => out.push('\\'),
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                other => panic!("an escape spin.toml should not need: \\{other:?}"),
            },
            c => out.push(c),
        }
    }
    panic!("an unterminated string in spin.toml")
}

/// The build commands of `build` (the body of a build table), in order:
/// `command` is one basic string or an array of them (comments allowed).
fn build_commands(build: &str) -> Vec<String> {
    strings(build, "command")
}

/// The value of `key` in `table` (the body of a table): one basic string
/// or an array of them (comments allowed), as strings in order.
fn strings(table: &str, key: &str) -> Vec<String> {
    let at = table
        .lines()
        .scan(0, |at, l| {
            let here = *at;
            *at += l.len() + 1;
            Some((here, l))
        })
        .find(|(_, l)| {
            l.trim_start()
                .strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map(|(at, _)| at)
        .unwrap_or_else(|| panic!("the table has no {key}"));
    let value = table[at..].split_once('=').expect("key = ...").1;
    let value = value.trim_start();
    if let Some(rest) = value.strip_prefix('"') {
        return vec![basic_string(rest).0];
    }
    let mut rest = value.strip_prefix('[').expect("a string or an array");
    let mut commands = Vec::new();
    loop {
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix(',') {
            rest = after;
        } else if let Some(after) = rest.strip_prefix('#') {
            rest = after.split_once('\n').map_or("", |(_, r)| r);
        } else if let Some(after) = rest.strip_prefix('"') {
            let (command, after) = basic_string(after);
            commands.push(command);
            rest = after;
        } else if rest.starts_with(']') {
            return commands;
        } else {
            panic!("unexpected text in the {key} array: {rest:.40}");
        }
    }
}

/// spin.toml's text.
fn spin_toml() -> String {
    fs::read_to_string(repo().join("spin.toml")).unwrap()
}

/// spin.toml's build commands, in Spin's order.
fn spin_build_commands() -> Vec<String> {
    build_commands(table(&spin_toml(), "component.docroot.build"))
}

/// The directory the component's `files` mount at `/`: the `source` of
/// its one inline table, `files = [{ source = "...", destination = "/" }]`.
fn files_source() -> String {
    let text = spin_toml();
    let component = table(&text, "component.docroot");
    let files = component
        .lines()
        .find(|l| l.trim_start().starts_with("files"))
        .expect("the component has files");
    assert!(
        files.contains(r#"destination = "/""#) && files.matches('{').count() == 1,
        "one directory mounted at /: {files}"
    );
    let source = files.split_once("source").expect("a source").1;
    let source = source.trim_start().strip_prefix('=').expect("source = ");
    let source = source.trim_start().strip_prefix('"').expect("a string");
    basic_string(source).0
}

/// Whether `command` runs the pack (by cargo or by its script).
fn is_pack(command: &str) -> bool {
    command.contains("docroot-pack") || command.contains("scripts/pack")
}

/// Whether `command` is the component's build (the wasm `cargo build`).
fn is_wasm_build(command: &str) -> bool {
    command.contains("cargo build") && command.contains("wasm32-wasip2")
}

/// Where the wasm build comes in the commands; the pack must come before.
fn wasm_build_index(commands: &[String]) -> usize {
    let builds: Vec<_> = (0..commands.len())
        .filter(|&i| is_wasm_build(&commands[i]))
        .collect();
    assert_eq!(builds.len(), 1, "one wasm build among {commands:?}");
    builds[0]
}

/// The outcome of running build commands the way Spin does.
struct Run {
    /// How many commands were started.
    started: usize,
    /// The output of the last one started.
    last: Output,
}

/// Runs `commands` as Spin does: in order, each through `sh -c` from `dir`,
/// stopping at the first that fails. Cargo builds into the repository's own
/// target directory, so nothing is built from scratch.
fn run_like_spin(commands: &[String], dir: &Path) -> Run {
    // A relative CARGO_TARGET_DIR is taken from the repository, where
    // cargo is usually run.
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(|t| repo().join(t))
        .unwrap_or_else(|| repo().join("target"));
    let mut run = None;
    for (i, command) in commands.iter().enumerate() {
        let last = Command::new("sh")
            .arg("-c")
            .arg(command)
            .current_dir(dir)
            .env("CARGO_TARGET_DIR", &target)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let failed = !last.status.success();
        run = Some(Run {
            started: i + 1,
            last,
        });
        if failed {
            break;
        }
    }
    run.expect("at least one command")
}

/// Copies the tree `from` to `to`: directories, files, and symlinks as
/// symlinks saying the same.
fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        let kind = entry.file_type().unwrap();
        if kind.is_symlink() {
            symlink(fs::read_link(&src).unwrap(), &dst).unwrap();
        } else if kind.is_dir() {
            copy_tree(&src, &dst);
        } else {
            fs::copy(&src, &dst).unwrap();
        }
    }
}

/// A fresh clone, as far as the build can tell: every top-level entry of
/// the repository a symlink to the real one, except `public/`, which is a
/// real copy (so the test may spoil it), and `target/` and `.git`.
fn fresh_clone() -> tempfile::TempDir {
    let clone = tempfile::tempdir().unwrap();
    for entry in fs::read_dir(repo()).unwrap() {
        let name = entry.unwrap().file_name();
        if name == "public" || name == "target" || name == ".git" {
            continue;
        }
        symlink(repo().join(&name), clone.path().join(&name)).unwrap();
    }
    copy_tree(&repo().join("public"), &clone.path().join("public"));
    clone
}

#[test]
fn the_build_commands_are_read_as_spin_reads_them() {
    let text = "[a]\ncommand = \"x\"\n[b.build]\n# c\ncommand = [\n  \"one \\\"1\\\"\", # first\n  \"two\",\n]\nwatch = [\"w\"]\n[c]\n";
    assert_eq!(build_commands(table(text, "b.build")), ["one \"1\"", "two"]);
    assert_eq!(build_commands(table(text, "a")), ["x"]);
    assert_eq!(strings(table(text, "b.build"), "watch"), ["w"]);
}

#[test]
fn the_pack_runs_on_public_before_the_component_is_built_and_is_what_is_served() {
    let commands = spin_build_commands();
    let build = wasm_build_index(&commands);
    let packs: Vec<_> = (0..commands.len())
        .filter(|&i| is_pack(&commands[i]))
        .collect();
    assert_eq!(packs.len(), 1, "one pack in {commands:?}");
    let pack = &commands[packs[0]];
    assert!(
        packs[0] < build,
        "the pack must come before the build: {commands:?}"
    );
    // `... public OUT`: the pack reads public and writes what is mounted.
    let words: Vec<&str> = pack.split_whitespace().collect();
    assert_eq!(
        words[words.len() - 2..],
        ["public", files_source().as_str()],
        "the pack must read public/ and write the component's files: {pack}"
    );
    assert_ne!(
        files_source(),
        "public",
        "the component serves the packed site"
    );
    let text = spin_toml();
    let watch = strings(table(&text, "component.docroot.build"), "watch");
    assert!(
        watch.iter().any(|w| w == "public/**/*"),
        "spin watch must re-pack when public/ changes: {watch:?}"
    );
}

#[test]
fn a_symlink_out_of_public_stops_spin_build_at_the_pack() {
    let commands = spin_build_commands();
    let build = wasm_build_index(&commands);
    let clone = fresh_clone();
    let passwd = clone.path().join("public/passwd");
    symlink("/etc/passwd", &passwd).unwrap();
    let site = clone.path().join(files_source());

    let run = run_like_spin(&commands, clone.path());
    let stderr = String::from_utf8_lossy(&run.last.stderr);
    assert!(
        !run.last.status.success(),
        "the build went through: {stderr}"
    );
    assert_eq!(run.last.status.code(), Some(1), "{stderr}");
    assert!(
        run.started <= build,
        "the wasm build was reached ({} of {} commands started): {stderr}",
        run.started,
        commands.len()
    );
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("docroot-pack: public/passwd: a symlink to /etc/passwd")),
        "{stderr}"
    );
    assert!(
        stderr
            .lines()
            .last()
            .is_some_and(|l| l.contains("1 problem in public/")),
        "{stderr}"
    );
    assert!(!site.exists(), "the pack wrote {}", site.display());

    // Without the link the commands before the build pass, and write the
    // packed site, the demo's files with their manifest.
    fs::remove_file(&passwd).unwrap();
    let run = run_like_spin(&commands[..build], clone.path());
    let stderr = String::from_utf8_lossy(&run.last.stderr);
    assert!(run.last.status.success(), "{stderr}");
    assert_eq!(run.started, build);
    assert!(
        stderr
            .lines()
            .last()
            .is_some_and(|l| l.starts_with("docroot-pack: ") && l.contains(" files (")),
        "{stderr}"
    );
    assert_eq!(
        fs::read(site.join("index.html")).unwrap(),
        fs::read(clone.path().join("public/index.html")).unwrap()
    );
    assert!(site.join("_docroot-manifest").is_file());
}
