//! spin.toml's build, held to its promise: the site guard runs before the
//! component is built, and a `public/` with a symlink leading outside it
//! stops `spin build` at the guard.
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
    let at = build
        .lines()
        .scan(0, |at, l| {
            let here = *at;
            *at += l.len() + 1;
            Some((here, l))
        })
        .find(|(_, l)| l.trim_start().starts_with("command"))
        .map(|(at, _)| at)
        .expect("the build table has a command");
    let value = build[at..].split_once('=').expect("command = ...").1;
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
            panic!("unexpected text in the build command array: {rest:.40}");
        }
    }
}

/// spin.toml's build commands, in Spin's order.
fn spin_build_commands() -> Vec<String> {
    let text = fs::read_to_string(repo().join("spin.toml")).unwrap();
    build_commands(table(&text, "component.docroot.build"))
}

/// Whether `command` is the component's build (the wasm `cargo build`).
fn is_wasm_build(command: &str) -> bool {
    command.contains("cargo build") && command.contains("wasm32-wasip2")
}

/// Where the wasm build comes in the commands; the guard must come before.
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
}

#[test]
fn the_guard_runs_on_public_before_the_component_is_built() {
    let commands = spin_build_commands();
    let build = wasm_build_index(&commands);
    let guards: Vec<_> = (0..commands.len())
        .filter(|&i| commands[i].contains("site-guard"))
        .collect();
    assert!(!guards.is_empty(), "no site-guard in {commands:?}");
    for i in guards {
        assert!(
            i < build,
            "the guard must come before the build: {commands:?}"
        );
        assert!(
            commands[i].split_whitespace().any(|w| w == "public"),
            "the guard must check public: {}",
            commands[i]
        );
    }
}

#[test]
fn a_symlink_out_of_public_stops_spin_build_at_the_guard() {
    let commands = spin_build_commands();
    let build = wasm_build_index(&commands);
    let clone = fresh_clone();
    let passwd = clone.path().join("public/passwd");
    symlink("/etc/passwd", &passwd).unwrap();

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
            .any(|l| l.starts_with("site-guard: public/passwd: a symlink to /etc/passwd")),
        "{stderr}"
    );
    assert!(
        stderr
            .lines()
            .last()
            .is_some_and(|l| l.contains("1 problem in public/")),
        "{stderr}"
    );

    // Without the link the guard's commands pass.
    fs::remove_file(&passwd).unwrap();
    let run = run_like_spin(&commands[..build], clone.path());
    let stderr = String::from_utf8_lossy(&run.last.stderr);
    assert!(run.last.status.success(), "{stderr}");
    assert_eq!(run.started, build);
    assert!(
        stderr.contains("site-guard: public/: ") && stderr.contains("nothing leads outside it"),
        "{stderr}"
    );
}
