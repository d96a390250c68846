//! `scripts/setup` on machines that lack what it installs, without
//! installing anything. Each test copies the script into a scratch
//! repository and runs it with a `PATH` of its own: a few real tools (bash,
//! sed, grep, …) and stand-ins for the ones setup asks (`cargo`, `rustup`,
//! `wasmtime`, `node`, `npm`, `dpkg-query`, `id`, `sudo`, `apt-get`), which
//! write what they were asked to a log and act as the test says. One test
//! per branch the script takes on what the machine has.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, MutexGuard};

/// The version setup installs, with the features docroot uses, and the
/// command that installs it.
const INSTALL: &str = "cargo install wasmtime-cli --locked --version 48.0.8 \
    --no-default-features --features run,serve,component-model-async,cranelift,cache,\
    parallel-compilation,pooling-allocator,profiling,backtrace,clap/default";

/// Real tools the script and the stand-ins use, linked into the `PATH`.
const REAL_TOOLS: [&str; 9] = [
    "bash", "env", "dirname", "sed", "grep", "cat", "chmod", "mkdir", "sleep",
];

/// What a wasmtime stand-in can serve.
#[derive(Clone, Copy)]
enum Serve {
    /// `serve`, with WASI 0.3: what docroot needs.
    Docroot,
    /// `serve`, built without WASI 0.3 (component-model-async).
    WithoutP3,
    /// No `serve` subcommand: wasmtime takes `serve` for a module to run.
    Nothing,
}

/// The body of a wasmtime stand-in that says `says` to `--version` and
/// answers setup's two probes (`serve --help`, and serving a missing file
/// with `-S p3`) as a real wasmtime built with `serve` does.
fn wasmtime_body(says: &str, serve: Serve) -> String {
    let (help, p3) = match serve {
        Serve::Docroot => (
            "      --max-instance-reuse-count <MAX_INSTANCE_REUSE_COUNT>",
            "Error: failed to open wasm module \\\"$4\\\"",
        ),
        Serve::WithoutP3 => (
            "      --max-instance-reuse-count <MAX_INSTANCE_REUSE_COUNT>",
            "Error: support for WASIp3 disabled at compile time",
        ),
        Serve::Nothing => (
            "Usage: wasmtime run [OPTIONS] <WASM>",
            "Error: failed to open wasm module \\\"serve\\\"",
        ),
    };
    format!(
        "case \"$1 $2\" in\n\
         '--version '*) echo '{says}' ;;\n\
         'serve --help') echo \"{help}\" ;;\n\
         'serve -S') echo \"{p3}\" >&2; exit 1 ;;\n\
         esac"
    )
}

/// Held while a file is written and while a process is spawned. The tests
/// run in threads of one process, and a child forked while another thread
/// has a script open for writing keeps it open until it execs; that
/// thread's exec of the script then fails with "Text file busy" (ETXTBSY,
/// which CI met). So no write is open while any process is forked.
static FORK: Mutex<()> = Mutex::new(());

fn fork_lock() -> MutexGuard<'static, ()> {
    FORK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A scratch machine: `repo/` holds the script, `bin/` is the whole `PATH`
/// (setup puts `cargo/bin`, its `CARGO_HOME`'s, before it), and `log`
/// records each stand-in's call as `name args`.
struct Machine {
    dir: tempfile::TempDir,
}

/// What a run of setup did.
struct Run {
    status: Option<i32>,
    stderr: String,
    /// The stand-ins' calls, in order.
    calls: Vec<String>,
}

impl Run {
    fn last_line(&self) -> &str {
        self.stderr.lines().last().unwrap_or("")
    }

    fn asked(&self, call: &str) -> bool {
        self.calls.iter().any(|c| c == call)
    }

    /// Setup went on to the end.
    fn assert_ok(&self) {
        assert_eq!(self.status, Some(0), "setup failed:\n{self:?}");
    }

    /// Setup stopped, and its last line, its own, holds each of `needles`
    /// (what is missing and the command that fixes it).
    fn assert_fails_saying(&self, needles: &[&str]) {
        assert_eq!(self.status, Some(1), "setup should fail:\n{self:?}");
        let last = self.last_line();
        assert!(last.starts_with("scripts/setup: "), "{self:?}");
        for needle in needles {
            assert!(
                last.contains(needle),
                "{needle:?} not in the last line:\n{self:?}"
            );
        }
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\n--- stderr\n{}--- calls\n{}",
            self.status,
            self.stderr,
            self.calls.join("\n")
        )
    }
}

/// Where a real tool is.
fn real(tool: &str) -> PathBuf {
    ["/usr/bin", "/bin", "/usr/local/bin"]
        .iter()
        .map(|dir| Path::new(dir).join(tool))
        .find(|path| path.exists())
        .unwrap_or_else(|| panic!("{tool} is not in /usr/bin or /bin"))
}

impl Machine {
    /// A machine with Rust (a `cargo` whose `install` puts a wasmtime
    /// 48.0.8 in `CARGO_HOME/bin`, and `rustup`) and no wasmtime.
    fn with_rust() -> Machine {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let setup = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/setup");
        for sub in [
            "repo/scripts",
            "repo/hosts/jco",
            "repo/tests/browser",
            "bin",
            "home",
        ] {
            fs::create_dir_all(root.join(sub)).unwrap();
        }
        {
            let _writing = fork_lock();
            fs::copy(setup, root.join("repo/scripts/setup")).unwrap();
        }
        for tool in REAL_TOOLS {
            std::os::unix::fs::symlink(real(tool), root.join("bin").join(tool)).unwrap();
        }
        let machine = Machine { dir };
        machine.cargo_installing_into("$CARGO_HOME/bin");
        machine.tool("rustup", "");
        machine
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// A stand-in `bin/name`: it logs its call, then runs `body` (bash).
    fn tool(&self, name: &str, body: &str) {
        write_script(
            &self.path("bin").join(name),
            &format!("echo \"{name} $*\" >> \"$STANDIN_LOG\"\n{body}"),
        );
    }

    fn remove(&self, name: &str) {
        fs::remove_file(self.path("bin").join(name)).unwrap();
    }

    /// A `cargo` whose `install` writes a wasmtime 48.0.8 into `dest` (a
    /// shell word), as `cargo install` does into `CARGO_HOME/bin`.
    fn cargo_installing_into(&self, dest: &str) {
        self.cargo_installing(dest, Serve::Docroot);
    }

    /// A `cargo` whose `install` writes into `dest` a wasmtime 48.0.8 that
    /// can serve what `serve` says, and logs its calls as
    /// `wasmtime[installed] args`.
    fn cargo_installing(&self, dest: &str, serve: Serve) {
        let installed = self.path("installed-wasmtime");
        write_script(
            &installed,
            &format!(
                "echo \"wasmtime[installed] $*\" >> \"$STANDIN_LOG\"\n{}",
                wasmtime_body("wasmtime 48.0.8 (stand-in)", serve)
            ),
        );
        self.tool(
            "cargo",
            &format!(
                "case \"$1\" in\n\
                 --version) echo 'cargo 1.95.0 (stand-in)' ;;\n\
                 install)\n\
                   mkdir -p \"{dest}\"\n\
                   cat '{}' > \"{dest}/wasmtime\"\n\
                   chmod +x \"{dest}/wasmtime\" ;;\n\
                 esac",
                installed.display()
            ),
        );
    }

    /// A wasmtime on `PATH` that says `says` to `--version` and can serve
    /// docroot.
    fn wasmtime_saying(&self, says: &str) {
        self.wasmtime(says, Serve::Docroot);
    }

    /// A wasmtime on `PATH` that says `says` to `--version` and can serve
    /// what `serve` says.
    fn wasmtime(&self, says: &str, serve: Serve) {
        self.tool("wasmtime", &wasmtime_body(says, serve));
    }

    /// Node.js `version` with an `npm` that makes the folder `npm ci` or
    /// `npm install` would (`node_modules/PACKAGE`), and logs the folder it ran in.
    fn node(&self, version: &str) {
        self.tool("node", &format!("echo {version}"));
        self.tool(
            "npm",
            "echo \"npm ran in ${PWD##*/}\" >> \"$STANDIN_LOG\"\n\
             case \"${PWD##*/}\" in\n\
               jco) mkdir -p node_modules/@bytecodealliance/jco ;;\n\
               browser) mkdir -p node_modules/playwright-core ;;\n\
             esac",
        );
    }

    /// A Debian whose `dpkg-query` knows `installed` are installed, whose
    /// `id -u` is `uid`, and whose `apt-get` logs its calls and succeeds.
    fn debian(&self, installed: &[&str], uid: u32) {
        self.tool(
            "dpkg-query",
            &format!(
                "for p in {}; do [ \"$p\" = \"${{@: -1}}\" ] && {{ printf 'install ok installed'; exit 0; }}; done\n\
                 echo \"dpkg-query: no packages found matching ${{@: -1}}\" >&2; exit 1",
                installed.join(" ")
            ),
        );
        self.tool("id", &format!("echo {uid}"));
        self.tool("apt-get", "");
    }

    /// Makes a folder setup looks for, as an earlier run would have left it.
    fn make(&self, rel: &str) {
        fs::create_dir_all(self.path("repo").join(rel)).unwrap();
    }

    /// Runs `scripts/setup args` with nothing but this machine's `PATH`.
    fn setup(&self, args: &[&str]) -> Run {
        self.setup_with(args, &[])
    }

    /// [`Machine::setup`], with `env` set too.
    fn setup_with(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let log = self.path("log");
        let _ = fs::remove_file(&log);
        let mut setup = Command::new(self.path("repo/scripts/setup"));
        setup
            .args(args)
            .env_clear()
            .env("PATH", self.path("bin"))
            .env("HOME", self.path("home"))
            .env("CARGO_HOME", self.path("cargo"))
            .env("STANDIN_LOG", &log)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // spawn returns once the child has exec'd.
        let child = {
            let _forking = fork_lock();
            setup.spawn().unwrap()
        };
        let out = child.wait_with_output().unwrap();
        Run {
            status: out.status.code(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            calls: fs::read_to_string(&log)
                .unwrap_or_default()
                .lines()
                .map(str::to_owned)
                .collect(),
        }
    }
}

fn write_script(path: &Path, body: &str) {
    let _writing = fork_lock();
    fs::write(path, format!("#!/bin/bash\n{body}\n")).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

// ---- wasmtime

#[test]
fn without_wasmtime_setup_says_why_installs_it_and_then_uses_it() {
    let machine = Machine::with_rust();
    let run = machine.setup(&[]);
    run.assert_ok();
    assert!(run.asked("rustup target add wasm32-wasip2"), "{run:?}");
    let install = run.calls.iter().position(|c| c == INSTALL);
    let used = run
        .calls
        .iter()
        .position(|c| c == "wasmtime[installed] --version");
    assert!(
        matches!((install, used), (Some(i), Some(u)) if i < u),
        "setup must install, then run what it installed:\n{run:?}"
    );
    for said in [
        "there is no wasmtime on PATH",
        "installing wasmtime-cli 48.0.8 from crates.io",
        "with only the features docroot uses",
    ] {
        assert!(run.stderr.contains(said), "{said:?}:\n{run:?}");
    }
    let bin = machine.path("cargo/bin/wasmtime");
    assert_eq!(
        run.last_line(),
        format!("scripts/setup: wasmtime: 48.0.8 ({})", bin.display())
    );
}

#[test]
fn a_wasmtime_older_than_48_is_replaced_by_the_install_on_path() {
    let machine = Machine::with_rust();
    machine.wasmtime_saying("wasmtime 47.0.1 (9a1b2c3d 2026-07-20)");
    let run = machine.setup(&[]);
    run.assert_ok();
    assert!(run.asked(INSTALL), "{run:?}");
    assert!(run.stderr.contains("is 47.0.1, older than 48"), "{run:?}");
    assert!(run.asked("wasmtime[installed] --version"), "{run:?}");
    assert!(
        run.last_line()
            .starts_with("scripts/setup: wasmtime: 48.0.8 ")
    );
}

#[test]
fn a_wasmtime_of_48_or_newer_is_used_as_it_is() {
    for version in ["48.0.8", "48.0.0", "51.2.0"] {
        let machine = Machine::with_rust();
        machine.wasmtime_saying(&format!("wasmtime {version} (stand-in)"));
        let run = machine.setup(&[]);
        run.assert_ok();
        assert!(
            !run.calls.iter().any(|c| c.starts_with("cargo install")),
            "{version}: nothing to install:\n{run:?}"
        );
        assert!(
            run.last_line()
                .starts_with(&format!("scripts/setup: wasmtime: {version} (")),
            "{run:?}"
        );
    }
}

#[test]
fn a_wasmtime_48_that_cannot_serve_docroot_is_replaced_saying_what_it_lacks() {
    for (serve, lacks) in [
        (Serve::WithoutP3, "is 48.0.8 but was built without WASI 0.3"),
        (Serve::Nothing, "is 48.0.8 but has no `wasmtime serve`"),
    ] {
        let machine = Machine::with_rust();
        machine.wasmtime("wasmtime 48.0.8 (stand-in)", serve);
        let run = machine.setup(&[]);
        run.assert_ok();
        assert!(run.stderr.contains(lacks), "{lacks:?}:\n{run:?}");
        assert!(run.asked(INSTALL), "{run:?}");
        assert!(run.asked("wasmtime[installed] serve --help"), "{run:?}");
        let bin = machine.path("cargo/bin/wasmtime");
        assert_eq!(
            run.last_line(),
            format!("scripts/setup: wasmtime: 48.0.8 ({})", bin.display())
        );
    }
}

#[test]
fn an_install_that_still_cannot_serve_docroot_says_to_force_it() {
    // As when cargo keeps a wasmtime 48.0.8 it installed before, with other
    // features, instead of building it again.
    let machine = Machine::with_rust();
    machine.cargo_installing("$CARGO_HOME/bin", Serve::WithoutP3);
    let run = machine.setup(&[]);
    run.assert_fails_saying(&["built without WASI 0.3", &format!("{INSTALL} --force")]);
}

#[test]
fn while_cargo_compiles_quietly_a_line_says_it_still_is_and_its_status_stays() {
    for fails in [false, true] {
        let machine = Machine::with_rust();
        let cargo = machine.path("cargo-after-compiling");
        fs::rename(machine.path("bin/cargo"), &cargo).unwrap();
        // Two crates started, then seconds without a line, as while cargo
        // compiles or links the last one; then it succeeds, or fails.
        let end = if fails {
            "echo 'error: could not compile `wasmtime-cli`' >&2; exit 101".to_owned()
        } else {
            format!("exec '{}' \"$@\"", cargo.display())
        };
        machine.tool(
            "cargo",
            &format!(
                "[ \"$1\" = install ] || exec '{}' \"$@\"\n\
                 echo '   Compiling wasmtime v48.0.8' >&2\n\
                 echo '   Compiling wasmtime-cli v48.0.8' >&2\n\
                 sleep 2.5\n\
                 {end}",
                cargo.display()
            ),
        );
        let run = machine.setup_with(&[], &[("SETUP_PROGRESS_SECONDS", "1")]);
        assert!(
            run.stderr.lines().any(|line| {
                line.starts_with("scripts/setup: cargo is still compiling: 0 min ")
                    && line.ends_with(" s so far (its last line: Compiling wasmtime-cli v48.0.8)")
            }),
            "{run:?}"
        );
        assert!(
            run.stderr.contains("\n   Compiling wasmtime-cli v48.0.8\n"),
            "cargo's lines pass on unchanged: {run:?}"
        );
        if fails {
            assert!(run.stderr.contains("could not compile"), "{run:?}");
            run.assert_fails_saying(&["installing wasmtime-cli failed", INSTALL]);
        } else {
            run.assert_ok();
        }
    }
}

#[test]
fn a_wasmtime_that_does_not_say_its_version_is_replaced() {
    let machine = Machine::with_rust();
    machine.tool("wasmtime", "echo 'error: something broke' >&2; exit 3");
    let run = machine.setup(&[]);
    run.assert_ok();
    assert!(run.stderr.contains("does not say its version"), "{run:?}");
    assert!(run.asked(INSTALL), "{run:?}");
}

#[test]
fn a_failed_install_ends_with_the_command_that_installs_it() {
    let machine = Machine::with_rust();
    machine.tool(
        "cargo",
        "[ \"$1\" = install ] && { echo 'error: linker not found' >&2; exit 101; }",
    );
    let run = machine.setup(&[]);
    assert!(
        run.stderr.contains("error: linker not found"),
        "cargo's own words stay: {run:?}"
    );
    run.assert_fails_saying(&["installing wasmtime-cli failed", INSTALL]);
}

#[test]
fn an_install_that_lands_off_path_says_where_to_look() {
    let machine = Machine::with_rust();
    machine.cargo_installing_into("$HOME/elsewhere/bin");
    let run = machine.setup(&[]);
    run.assert_fails_saying(&["the wasmtime on PATH is still missing", "export PATH="]);
}

// ---- Rust

#[test]
fn without_cargo_setup_ends_saying_how_to_install_rust() {
    let machine = Machine::with_rust();
    machine.remove("cargo");
    let run = machine.setup(&[]);
    run.assert_fails_saying(&["no cargo on PATH", "https://sh.rustup.rs"]);
    assert!(run.calls.is_empty(), "nothing asked before Rust: {run:?}");
}

#[test]
fn a_target_rustup_cannot_add_ends_with_rustups_reason_and_the_command() {
    let machine = Machine::with_rust();
    machine.tool(
        "rustup",
        "echo 'error: could not download rust-std (network unreachable)' >&2; exit 1",
    );
    let run = machine.setup(&[]);
    assert!(run.stderr.contains("network unreachable"), "{run:?}");
    run.assert_fails_saying(&[
        "could not add the wasm32-wasip2 target",
        "rustup target add wasm32-wasip2",
    ]);
}

#[test]
fn without_rustup_a_toolchain_that_has_the_target_is_enough() {
    let machine = Machine::with_rust();
    machine.remove("rustup");
    let sysroot = machine.path("toolchain");
    machine.tool("rustc", &format!("echo '{}'", sysroot.display()));
    let run = machine.setup(&[]);
    run.assert_fails_saying(&[
        "no wasm32-wasip2 target and no rustup",
        "https://sh.rustup.rs",
    ]);
    fs::create_dir_all(sysroot.join("lib/rustlib/wasm32-wasip2")).unwrap();
    machine.setup(&[]).assert_ok();
}

// ---- jco (npm)

#[test]
fn jco_is_installed_with_npm_in_hosts_jco_once() {
    let machine = Machine::with_rust();
    machine.wasmtime_saying("wasmtime 48.0.8");
    machine.node("v20.20.2");
    let run = machine.setup(&["--jco"]);
    run.assert_ok();
    assert!(run.asked("npm ran in jco"), "{run:?}");
    assert!(
        run.asked("npm install --no-audit --no-fund --loglevel=error"),
        "{run:?}"
    );
    let again = machine.setup(&["--jco"]);
    again.assert_ok();
    assert!(
        !again.calls.iter().any(|c| c.starts_with("npm")),
        "installed already: {again:?}"
    );
}

#[test]
fn jco_without_node_or_npm_ends_saying_which_and_how_to_get_them() {
    for missing in ["node", "npm"] {
        let machine = Machine::with_rust();
        machine.wasmtime_saying("wasmtime 48.0.8");
        machine.node("v20.20.2");
        machine.remove(missing);
        let run = machine.setup(&["--jco"]);
        run.assert_fails_saying(&[
            "the tests under jco serve need Node.js 20 or newer and npm",
            &format!("and {missing} is not on PATH"),
            "apt-get install nodejs npm",
        ]);
    }
}

#[test]
fn jco_with_a_node_older_than_20_ends_naming_it() {
    let machine = Machine::with_rust();
    machine.wasmtime_saying("wasmtime 48.0.8");
    machine.node("v18.19.0");
    let run = machine.setup(&["--jco"]);
    run.assert_fails_saying(&["the node on PATH is 18.19.0", "Node.js 20 or newer"]);
    assert!(!run.calls.iter().any(|c| c.starts_with("npm")), "{run:?}");
}

#[test]
fn a_failed_npm_install_ends_with_the_command() {
    let machine = Machine::with_rust();
    machine.wasmtime_saying("wasmtime 48.0.8");
    machine.node("v20.20.2");
    machine.tool("npm", "echo 'npm error code ETIMEDOUT' >&2; exit 1");
    let run = machine.setup(&["--jco"]);
    run.assert_fails_saying(&["npm could not install jco", "cd hosts/jco && npm install"]);
}

// ---- the browser tests (apt-get, npm): warnings, not the end

const BROWSER_PACKAGES: &str = "chromium fonts-liberation fonts-dejavu-core fonts-droid-fallback";

fn browser_machine(installed: &[&str], uid: u32) -> Machine {
    let machine = Machine::with_rust();
    machine.wasmtime_saying("wasmtime 48.0.8");
    machine.node("v20.20.2");
    machine.debian(installed, uid);
    machine
}

#[test]
fn as_root_the_missing_packages_alone_are_installed_with_apt_get() {
    let machine = browser_machine(&["fonts-liberation", "fonts-dejavu-core"], 0);
    let run = machine.setup(&["--browser", "--jco"]);
    run.assert_ok();
    assert!(run.asked("apt-get update -qq"), "{run:?}");
    assert!(
        run.asked("apt-get install -y -qq --no-install-recommends chromium fonts-droid-fallback"),
        "{run:?}"
    );
    assert!(
        run.asked("npm ran in browser")
            && run.asked("npm ci --no-audit --no-fund --loglevel=error")
    );
    assert!(!run.calls.iter().any(|c| c.starts_with("sudo")), "{run:?}");
    assert!(
        run.stderr
            .contains("browser tests: chromium and playwright-core are installed")
    );
}

#[test]
fn not_root_but_with_sudo_apt_get_runs_under_sudo() {
    let machine = browser_machine(&[], 1000);
    machine.tool("sudo", "\"$@\"");
    let run = machine.setup(&["--browser"]);
    run.assert_ok();
    assert!(
        run.asked(&format!(
            "sudo apt-get install -y -qq --no-install-recommends {BROWSER_PACKAGES}"
        )),
        "{run:?}"
    );
    assert!(run.asked(&format!(
        "apt-get install -y -qq --no-install-recommends {BROWSER_PACKAGES}"
    )));
}

#[test]
fn neither_root_nor_sudo_warns_with_the_command_to_run_as_root() {
    let machine = browser_machine(&["chromium"], 1000);
    let run = machine.setup(&["--browser"]);
    run.assert_ok();
    assert!(
        !run.calls.iter().any(|c| c.starts_with("apt-get")),
        "{run:?}"
    );
    assert!(
        run.stderr.contains(
            "neither root nor sudo is here to install them; as root, run: \
             apt-get install -y --no-install-recommends fonts-liberation fonts-dejavu-core fonts-droid-fallback"
        ),
        "{run:?}"
    );
    assert_eq!(
        run.last_line(),
        "scripts/setup: WARNING: the browser tests will fail until that is done; the other tests can run"
    );
}

#[test]
fn a_failing_apt_get_or_npm_ci_warns_with_the_command() {
    let machine = browser_machine(&[], 0);
    machine.tool(
        "apt-get",
        "echo 'E: Unable to locate package chromium' >&2; exit 100",
    );
    let run = machine.setup(&["--browser"]);
    run.assert_ok();
    assert!(
        run.stderr.contains("E: Unable to locate package chromium"),
        "{run:?}"
    );
    assert!(run.stderr.contains(&format!(
        "apt-get could not install {BROWSER_PACKAGES} (it says why above); once that is fixed, run as root: apt-get update && apt-get install"
    )));
    assert!(
        run.last_line()
            .contains("WARNING: the browser tests will fail")
    );

    let machine = browser_machine(&BROWSER_PACKAGES.split(' ').collect::<Vec<_>>(), 0);
    machine.tool("npm", "exit 1");
    let run = machine.setup(&["--browser"]);
    run.assert_ok();
    assert!(
        run.stderr.contains("run: cd tests/browser && npm ci"),
        "{run:?}"
    );
    assert!(
        run.last_line()
            .contains("WARNING: the browser tests will fail")
    );
}

#[test]
fn without_apt_get_or_node_the_browser_tests_warn_saying_what_is_missing() {
    let machine = browser_machine(&[], 0);
    machine.remove("apt-get");
    machine.remove("dpkg-query");
    let run = machine.setup(&["--browser"]);
    run.assert_ok();
    assert!(
        run.stderr.contains("this machine has no apt-get"),
        "{run:?}"
    );
    assert!(run.stderr.contains("CHROMIUM=/path/to/chromium"), "{run:?}");

    let machine = browser_machine(&BROWSER_PACKAGES.split(' ').collect::<Vec<_>>(), 0);
    machine.remove("node");
    let run = machine.setup(&["--browser"]);
    run.assert_ok();
    assert!(
        run.stderr.contains(
            "the browser tests need Node.js 20 or newer and npm, and node is not on PATH"
        )
    );
    assert!(run.last_line().contains("WARNING"));
}

#[test]
fn with_everything_there_the_browser_setup_asks_nothing_of_apt_or_npm() {
    let machine = browser_machine(&BROWSER_PACKAGES.split(' ').collect::<Vec<_>>(), 1000);
    machine.make("tests/browser/node_modules/playwright-core");
    let run = machine.setup(&["--browser"]);
    run.assert_ok();
    assert!(
        !run.calls
            .iter()
            .any(|c| c.starts_with("apt-get") || c.starts_with("npm")),
        "{run:?}"
    );
}

// ---- the script itself

#[test]
fn an_unknown_option_is_refused_by_name() {
    let run = Machine::with_rust().setup(&["--jcoo"]);
    assert_eq!(run.status, Some(2), "{run:?}");
    assert_eq!(
        run.last_line(),
        "scripts/setup: unknown option --jcoo (known: --jco, --browser, --haproxy, --goaccess)"
    );
}

#[test]
fn a_tool_setup_takes_for_granted_stops_it_naming_the_command() {
    let machine = Machine::with_rust();
    machine.wasmtime_saying("wasmtime 48.0.8");
    machine.remove("sed");
    let run = machine.setup(&[]);
    assert_ne!(run.status, Some(0), "{run:?}");
    assert!(run.stderr.contains("sed: command not found"), "{run:?}");
    let last = run.last_line();
    assert!(
        last.starts_with("scripts/setup: stopped: `") && last.contains("failed (exit 127)"),
        "{run:?}"
    );
    assert_eq!(run.stderr.matches("stopped:").count(), 1, "{run:?}");
}

// ---- the replica tests' load balancer (apt-get): a warning, not the end

/// `scripts/setup OPTION` installs Debian's `package` with apt-get when it
/// is missing, leaves it alone when it is there, and only warns (naming
/// `tests`) on a machine without apt-get.
fn an_apt_package_is_a_warning_not_the_end(option: &str, package: &str, tests: &str) {
    let machine = browser_machine(&[], 0);
    let run = machine.setup(&[option]);
    run.assert_ok();
    assert!(
        run.asked(&format!(
            "apt-get install -y -qq --no-install-recommends {package}"
        )),
        "{run:?}"
    );
    assert!(
        run.last_line()
            .contains(&format!("{tests}: {package} is installed")),
        "{run:?}"
    );

    let machine = browser_machine(&[package], 1000);
    let run = machine.setup(&[option]);
    run.assert_ok();
    assert!(!run.calls.iter().any(|c| c.contains("apt-get")), "{run:?}");

    let machine = browser_machine(&[], 0);
    machine.remove("apt-get");
    machine.remove("dpkg-query");
    let run = machine.setup(&[option]);
    run.assert_ok();
    assert!(
        run.stderr.contains(&format!(
            "the {tests} need Debian's {package}, and this machine has no apt-get"
        )),
        "{run:?}"
    );
    assert!(
        run.last_line()
            .contains(&format!("WARNING: the {tests} will fail")),
        "{run:?}"
    );
}

#[test]
fn haproxy_is_installed_with_apt_get_when_missing_and_left_alone_when_there() {
    an_apt_package_is_a_warning_not_the_end("--haproxy", "haproxy", "replica tests");
}

// ---- the access-log tests' reader (apt-get): a warning, not the end

#[test]
fn goaccess_is_installed_with_apt_get_when_missing_and_left_alone_when_there() {
    an_apt_package_is_a_warning_not_the_end("--goaccess", "goaccess", "access-log tests");
}
