//! `cargo xtask run | test | bench`: the README's commands. Each installs what it needs
//! when it is missing (wasm target, Trunk, wasm-bindgen-cli, and for tests and benches
//! Chromium and ChromeDriver, vnu and axe-core, Garage) and is quick when everything is
//! there.

use anyhow::{Context, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

const TRUNK_VERSION: &str = "0.21.14";
const VNU_VERSION: &str = "26.9.27";
const AXE_VERSION: &str = "4.14.1";
/// The S3-compatible server the storage tests run against (about 7 minutes to build once;
/// kept in cargo's bin folder, so a fresh clone reuses it).
const GARAGE_VERSION: &str = "2.5.0";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => run(&args[1..]),
        Some("test") => test(),
        Some("bench") => bench(),
        Some("setup") => setup(true),
        _ => {
            eprintln!("usage: cargo xtask run [serve options] | test | bench | setup");
            std::process::exit(2);
        }
    };
    if let Err(e) = result {
        eprintln!("xtask: {e:#}");
        std::process::exit(1);
    }
}

/// The workspace root (this crate lives in `xtask/`).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."))
}

/// Where the npm tools (vnu-jar, axe-core) go; `convo-e2e` finds them there.
fn tools_dir() -> PathBuf {
    root().join("target").join("tools")
}

/// Builds the web app and starts the server with demo data (`serve --demo`).
fn run(serve_args: &[String]) -> anyhow::Result<()> {
    setup(false)?;
    build_web()?;
    let mut cmd = cargo();
    cmd.args(["run", "--release", "--package", "convo-server", "--bin", "convo-export", "--", "serve", "--demo"]);
    cmd.args(serve_args);
    step("starting the server", &mut cmd)
}

/// Every test: first the tidy step (formatting, lints on native and wasm32), then native
/// tests (SQLite, PostgreSQL, the server over HTTP, the browser), then the rendering
/// crate and the web app compiled to wasm32 in headless Chromium.
fn test() -> anyhow::Result<()> {
    setup(true)?;
    tidy()?;
    build_web()?;
    step("native tests", cargo().args(["test", "--workspace", "--exclude", "convo-web"]))?;
    step(
        "wasm32 tests in headless Chromium",
        cargo().args(["test", "--package", "convo-render", "--package", "convo-web", "--target", "wasm32-unknown-unknown"]),
    )?;
    Ok(())
}

/// `cargo fmt --check` and clippy with warnings as errors, for the native crates and for
/// the web app on wasm32.
fn tidy() -> anyhow::Result<()> {
    step("formatting (cargo fmt --check)", cargo().args(["fmt", "--all", "--check"]))?;
    step(
        "lints of the native crates (clippy)",
        cargo().args(["clippy", "--workspace", "--exclude", "convo-web", "--all-targets", "--", "-D", "warnings"]),
    )?;
    step(
        "lints of the web app on wasm32 (clippy)",
        cargo().args(["clippy", "--package", "convo-web", "--target", "wasm32-unknown-unknown", "--all-targets", "--", "-D", "warnings"]),
    )
}

fn bench() -> anyhow::Result<()> {
    setup(true)?;
    step("rendering throughput", cargo().args(["bench", "--package", "convo-render"]))?;
    build_web()?;
    step("exports in headless Chromium", cargo().args(["bench", "--package", "convo-e2e"]))?;
    step("conversation pages and server-side exports", cargo().args(["bench", "--package", "convo-server"]))?;
    Ok(())
}

fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(root());
    let chromedriver = which("chromedriver").unwrap_or_else(|| PathBuf::from("/usr/bin/chromedriver"));
    cmd.env("CHROMEDRIVER", &chromedriver);
    cmd.env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER", "wasm-bindgen-test-runner");
    cmd.env("WASM_BINDGEN_TEST_TIMEOUT", "120");
    cmd
}

fn build_web() -> anyhow::Result<()> {
    step(
        "building the web app",
        Command::new("trunk").current_dir(root()).env("TRUNK_SKIP_VERSION_CHECK", "true").args(["build", "--release", "--offline"]),
    )
}

/// Installs what is missing; `browser` adds what only the tests need.
fn setup(browser: bool) -> anyhow::Result<()> {
    let installed = capture("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if !installed.lines().any(|l| l.trim() == "wasm32-unknown-unknown") {
        step("adding the wasm32 target", Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    }
    let components = capture("rustup", &["component", "list", "--installed"]).unwrap_or_default();
    for component in ["rustfmt", "clippy"] {
        if !components.lines().any(|l| l.trim().starts_with(component)) {
            step(&format!("adding {component}"), Command::new("rustup").args(["component", "add", component]))?;
        }
    }
    if !capture("trunk", &["--version"]).is_some_and(|v| v.contains(TRUNK_VERSION)) {
        step("installing Trunk", Command::new("cargo").args(["install", "--locked", &format!("trunk@{TRUNK_VERSION}")]))?;
    }
    let wasm_bindgen = locked_version("wasm-bindgen")?;
    if !capture("wasm-bindgen", &["--version"]).is_some_and(|v| v.trim().ends_with(&wasm_bindgen)) {
        step("installing wasm-bindgen-cli", Command::new("cargo").args(["install", "wasm-bindgen-cli", "--version", &wasm_bindgen]))?;
    }
    if !browser {
        return Ok(());
    }
    if !capture("garage", &["--version"]).is_some_and(|v| v.contains(&format!("cargo:{GARAGE_VERSION}")) || v.contains(GARAGE_VERSION)) {
        step(
            "installing Garage (an S3-compatible server for the storage tests)",
            Command::new("cargo").args(["install", "--locked", &format!("garage@{GARAGE_VERSION}")]),
        )?;
    }
    if which("chromium").is_none() || which("chromedriver").is_none() {
        apt_install(&["chromium", "chromium-driver"])?;
    }
    if which("java").is_none() {
        apt_install(&["default-jre-headless"])?;
    }
    if which("pdftotext").is_none() {
        apt_install(&["poppler-utils"])?;
    }
    let tools = tools_dir();
    if !tools.join("node_modules/vnu-jar/build/dist/vnu.jar").exists() || !tools.join("node_modules/axe-core/axe.min.js").exists() {
        if which("npm").is_none() {
            apt_install(&["npm"])?;
        }
        std::fs::create_dir_all(&tools)?;
        step(
            "installing vnu and axe-core",
            Command::new("npm").current_dir(&tools).args([
                "install",
                "--no-audit",
                "--no-fund",
                "--prefix",
                ".",
                &format!("vnu-jar@{VNU_VERSION}"),
                &format!("axe-core@{AXE_VERSION}"),
            ]),
        )?;
    }
    Ok(())
}

fn apt_install(packages: &[&str]) -> anyhow::Result<()> {
    let sudo = capture("id", &["-u"]).is_some_and(|u| u.trim() != "0");
    let prefix: &[&str] = if sudo { &["sudo"] } else { &[] };
    let run = |args: &[&str]| -> anyhow::Result<()> {
        let all: Vec<&str> = prefix.iter().chain(args).copied().collect();
        step(&format!("apt: {}", args.join(" ")), Command::new(all[0]).args(&all[1..]).env("DEBIAN_FRONTEND", "noninteractive"))
    };
    run(&["apt-get", "update", "-qq"])?;
    let mut install = vec!["apt-get", "install", "-y", "-qq", "--no-install-recommends"];
    install.extend_from_slice(packages);
    run(&install)
}

/// The version of `package` in Cargo.lock.
fn locked_version(package: &str) -> anyhow::Result<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).context("reading Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == format!("name = \"{package}\"")
            && let Some(v) = lines.next().and_then(|l| l.trim().strip_prefix("version = \""))
        {
            return Ok(v.trim_end_matches('"').to_string());
        }
    }
    bail!("{package} is not in Cargo.lock")
}

fn step(what: &str, cmd: &mut Command) -> anyhow::Result<()> {
    eprintln!("==> {what}");
    let status = cmd.status().with_context(|| format!("{what}: cannot start {:?}", cmd.get_program()))?;
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(())
}

fn capture(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(program)).find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}
