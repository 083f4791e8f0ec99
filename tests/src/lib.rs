//! Shared harness for the end-to-end tests and browser benchmarks: where the workspace
//! and its tools are, and a headless Chromium driven over WebDriver.

pub mod cpu_profile;

use anyhow::{Context, bail};
use fantoccini::{Client, ClientBuilder};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The workspace root (this crate lives in `tests/`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").to_path_buf()
}

/// Where `cargo xtask` installs the npm tools (vnu-jar, axe-core).
pub fn tools_dir() -> PathBuf {
    workspace_root().join("target").join("tools")
}

pub fn vnu_jar() -> PathBuf {
    tools_dir().join("node_modules/vnu-jar/build/dist/vnu.jar")
}

pub fn axe_script() -> anyhow::Result<String> {
    let path = tools_dir().join("node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).with_context(|| format!("{} is missing: run `cargo xtask test`", path.display()))
}

/// The flags every Chromium here runs with (no sandbox as root, nothing from the network).
pub const CHROMIUM_ARGS: &[&str] = &[
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--window-size=1280,900",
];

/// A chromedriver process and one browser session; both end on drop.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

/// Options for [`Browser::start`].
#[derive(Default)]
pub struct BrowserOptions {
    /// Run with JavaScript disabled.
    pub no_script: bool,
    /// Where downloads land.
    pub download_dir: Option<PathBuf>,
    /// Pages see `prefers-color-scheme: dark`.
    pub dark: bool,
    /// The browser's own time zone (`TZ`); the machine's when `None`.
    pub time_zone: Option<String>,
}

impl Browser {
    pub async fn start(options: BrowserOptions) -> anyhow::Result<Browser> {
        let driver_path = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let port = free_port()?;
        let mut driver = Command::new(&driver_path);
        if let Some(zone) = &options.time_zone {
            driver.env("TZ", zone);
        }
        let driver = driver
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {driver_path}: run `cargo xtask test` to install it"))?;
        let profile = tempfile::Builder::new().prefix("chromium-profile").tempdir()?;
        let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|s| s.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        if options.dark {
            args.push("--force-dark-mode".into());
        }
        let mut prefs = serde_json::Map::new();
        if options.no_script {
            prefs.insert("profile.managed_default_content_settings.javascript".into(), 2.into());
        }
        if let Some(dir) = &options.download_dir {
            prefs.insert("download.default_directory".into(), dir.display().to_string().into());
            prefs.insert("download.prompt_for_download".into(), false.into());
        }
        let mut caps = serde_json::Map::new();
        caps.insert("goog:chromeOptions".into(), serde_json::json!({"args": args, "prefs": prefs}));
        // Scripts (axe-core on a big export) get 2 minutes, not WebDriver's 30 s: on two
        // cores shared with the server tests, axe once took longer than 30 s in CI.
        caps.insert("timeouts".into(), serde_json::json!({"script": 120_000, "pageLoad": 300_000, "implicit": 0}));
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        let client = loop {
            match ClientBuilder::native().capabilities(caps.clone()).connect(&url).await {
                Ok(c) => break c,
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => bail!("cannot open a Chromium session through {driver_path}: {e}"),
            }
        };
        Ok(Browser { client, driver, _profile: profile })
    }

    /// Runs `script` in the page; what it returns.
    pub async fn js(&self, script: &str) -> anyhow::Result<serde_json::Value> {
        Ok(self.client.execute(script, vec![]).await?)
    }

    /// Polls `check` (a JS expression) every 100 ms until it holds, for up to 30 s (a
    /// 100,000-message file takes a few seconds to open).
    pub async fn wait_for(&self, check: &str) -> anyhow::Result<()> {
        for _ in 0..300 {
            if self.js(&format!("return !!({check})")).await? == serde_json::json!(true) {
                return Ok(());
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        bail!("timed out waiting for {check}")
    }

    /// Ends the session and the driver.
    pub async fn close(mut self) -> anyhow::Result<()> {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        Ok(())
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}

pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Writes an export of `messages` demo messages (conversations of 20) to `path` as the
/// server does, the body streamed through a scratch file; answers its size in bytes.
pub fn write_demo_export(path: &Path, messages: usize, seed: u64) -> anyhow::Result<u64> {
    use convo_render::{ExportHeader, ExportRenderer};
    use std::io::Write;
    let spec = convo_demo::Spec {
        assistant_id: "bench-bot".into(),
        conversations: messages / 20,
        messages_per_conversation: 20,
        end: "2026-11-27T00:00:00Z".parse()?,
        span_days: 365,
        seed,
    };
    let mut renderer = ExportRenderer::new(ExportHeader::new("Bench Bot", Some("bench-bot".into()), spec.end, None));
    let mut body_file = tempfile::tempfile()?;
    {
        let mut writer = std::io::BufWriter::new(&mut body_file);
        let mut body = String::new();
        let all: Vec<_> = convo_demo::conversations(&spec).collect();
        for page in all.chunks(500) {
            renderer.push_page(page, &mut body);
            writer.write_all(body.as_bytes())?;
            body.clear();
        }
        writer.flush()?;
    }
    let parts = renderer.finish();
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    out.write_all(parts.head.as_bytes())?;
    std::io::Seek::rewind(&mut body_file)?;
    std::io::copy(&mut body_file, &mut out)?;
    out.write_all(parts.tail.as_bytes())?;
    out.flush()?;
    Ok(std::fs::metadata(path)?.len())
}

/// A `file://` URL for a local path.
pub fn file_url(path: &Path) -> String {
    format!("file://{}", path.canonicalize().expect("path exists").display())
}
