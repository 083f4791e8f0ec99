//! Opening and searching big exports in headless Chromium, against a baseline measured
//! in the same run: the same export built the way single-file peers build theirs (every
//! conversation laid out at load, and a search that walks the DOM on every key). Each
//! size is also opened with a link to a message far down the list (`#c-{id}-m2`): how
//! long until that message is the page's target and on screen. A second baseline is
//! our own file with every conversation built at load (nothing lazy, page.rs).
//!
//! `cargo xtask bench` (or `cargo bench -p convo-e2e`); `SIZES=10000,100000,1000000`
//! picks the export sizes in messages.

use convo_e2e::{Browser, BrowserOptions, file_url};
use fantoccini::wd::TimeoutConfiguration;
use std::time::{Duration, Instant};
use tempfile::TempDir;

const NAIVE_SCRIPT: &str = r#"(() => {
  const form = document.getElementById("search"), input = document.getElementById("q");
  const status = document.getElementById("search-status");
  form.hidden = false;
  input.addEventListener("input", () => {
    const q = input.value.trim().toLowerCase();
    let shown = 0; const all = document.querySelectorAll("article.conv");
    for (const c of all) { const m = !q || c.textContent.toLowerCase().includes(q); c.hidden = !m; if (m) shown++; }
    status.textContent = shown + " of " + all.length + " match";
  });
})();"#;

const MEASURE: &str = r#"
const done = arguments[arguments.length - 1];
const input = document.getElementById("q");
const queries = ["refund", "customs fees", "zzzz no match", "zzzz no match!", "ana", "", "x"];
(async () => {
  const times = [], scripted = [];
  for (const q of queries) {
    const t0 = performance.now();
    input.value = q;
    input.dispatchEvent(new Event("input"));
    scripted.push(performance.now() - t0);
    await new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
    times.push(performance.now() - t0);
  }
  const nav = performance.getEntriesByType("navigation")[0];
  const fcp = performance.getEntriesByName("first-contentful-paint")[0];
  done({
    fcp: fcp ? fcp.startTime : -1,
    dcl: nav.domContentLoadedEventEnd,
    load: nav.loadEventEnd,
    search: times,
    scripted,
    heap: performance.memory ? performance.memory.usedJSHeapSize : 0,
    conversations: document.querySelectorAll("article.conv").length,
  });
})();
"#;

fn write_export(dir: &TempDir, messages: usize) -> (std::path::PathBuf, u64) {
    let path = dir.path().join(format!("export-{messages}.html"));
    let bytes = convo_e2e::write_demo_export(&path, messages, 9).unwrap();
    (path, bytes)
}

/// The wrapper of a lazy conversation's details and messages, and what it becomes unwrapped.
const LAZY: [(&str, &str); 2] = [("<noscript class=\"lazy\">", ""), ("</noscript></article>", "</article>")];

/// Our export with every lazy conversation unwrapped: built by the browser's parser at load.
fn write_built(dir: &TempDir, ours: &std::path::Path) -> anyhow::Result<std::path::PathBuf> {
    let html = LAZY.iter().fold(std::fs::read_to_string(ours)?, |html, (from, to)| html.replace(from, to));
    let path = dir.path().join("built.html");
    std::fs::write(&path, html)?;
    Ok(path)
}

/// The same export as peers build it: no lazy layout or lists, a search that walks the DOM.
fn write_naive(dir: &TempDir, ours: &std::path::Path) -> std::path::PathBuf {
    let html = std::fs::read_to_string(ours).unwrap();
    let csp_start = html.find("<meta http-equiv=\"Content-Security-Policy\"").unwrap();
    let csp_end = csp_start + html[csp_start..].find('>').unwrap() + 1;
    let script_start = html.rfind("<script>").unwrap() + "<script>".len();
    let script_end = html.rfind("</script>").unwrap();
    let naive = format!(
        "{}{}{}{}",
        &html[..csp_start],
        LAZY.iter().fold(html[csp_end..script_start].replace("content-visibility:auto;", ""), |html, (from, to)| html.replace(from, to)),
        NAIVE_SCRIPT,
        &html[script_end..]
    );
    let path = dir.path().join("naive.html");
    std::fs::write(&path, naive).unwrap();
    path
}

/// A browser that waits up to 10 minutes for a page (a million messages load slowly).
async fn browser() -> anyhow::Result<Browser> {
    let browser = Browser::start(BrowserOptions::default()).await?;
    let minutes = Some(Duration::from_secs(600));
    browser.client.update_timeouts(TimeoutConfiguration::new(minutes, minutes, Some(Duration::from_secs(0)))).await?;
    Ok(browser)
}

async fn measure(path: &std::path::Path) -> anyhow::Result<(f64, serde_json::Value)> {
    let browser = browser().await?;
    let t = Instant::now();
    browser.client.goto(&file_url(path)).await?;
    let loaded = t.elapsed().as_secs_f64() * 1e3;
    let figures = browser.client.execute_async(MEASURE, vec![]).await?;
    browser.close().await?;
    Ok((loaded, figures))
}

/// The anchor of the second message of the conversation `back` places from the end.
fn anchor_near_the_end(path: &std::path::Path, back: usize) -> anyhow::Result<String> {
    let html = std::fs::read_to_string(path)?;
    let marker = "<article class=\"conv\" id=\"";
    let mut end = html.len();
    for _ in 0..back {
        end = html[..end].rfind(marker).ok_or_else(|| anyhow::anyhow!("fewer than {back} conversations"))?;
    }
    let id = &html[end + marker.len()..];
    Ok(format!("{}-m2", &id[..id.find('"').unwrap_or(0)]))
}

/// Opens the file at `anchor`: ms from navigation start until the message is the target
/// and on screen, and whether it was.
async fn measure_anchor(path: &std::path::Path, anchor: &str) -> anyhow::Result<(f64, bool)> {
    let browser = browser().await?;
    browser.client.goto(&format!("{}#{anchor}", file_url(path))).await?;
    let check = format!(
        "const m = document.getElementById('{anchor}'); const r = m && m.getBoundingClientRect(); \
         return [performance.now(), !!m && document.querySelector(':target') === m && r.top >= 0 && r.top < innerHeight]"
    );
    let found = browser.client.execute(&check, vec![]).await?;
    browser.close().await?;
    Ok((found[0].as_f64().unwrap_or(-1.0), found[1].as_bool().unwrap_or(false)))
}

fn print_row(name: &str, bytes: u64, loaded: f64, f: &serde_json::Value) {
    let search: Vec<f64> = f["search"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    let later = search[1..].iter().cloned().fold(0.0, f64::max);
    let scripted: Vec<String> = f["scripted"].as_array().unwrap().iter().map(|v| format!("{:.0}", v.as_f64().unwrap())).collect();
    let frames: Vec<String> = search.iter().map(|v| format!("{v:.0}")).collect();
    println!(
        "{name:<28} {:>7.1} MB  first paint {:>7.0} ms  DOM ready {:>7.0} ms  loaded {:>7.0} ms  first search {:>6.0} ms  next searches ≤ {:>5.0} ms  JS heap {:>5.0} MB  ({} conversations)",
        bytes as f64 / 1e6,
        f["fcp"].as_f64().unwrap_or(-1.0),
        f["dcl"].as_f64().unwrap_or(-1.0),
        loaded,
        search[0],
        later,
        f["heap"].as_f64().unwrap_or(0.0) / 1e6,
        f["conversations"],
    );
    println!(
        "{:<28} searches (script / to next frame, ms): {}",
        "",
        scripted.iter().zip(&frames).map(|(s, f)| format!("{s}/{f}")).collect::<Vec<_>>().join("  ")
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let sizes: Vec<usize> = std::env::var("SIZES")
        .unwrap_or_else(|_| "10000,100000,1000000".into())
        .split(',')
        .map(|s| s.trim().parse().expect("SIZES is a list of message counts"))
        .collect();
    for messages in sizes {
        let dir = tempfile::tempdir()?;
        let (ours, bytes) = write_export(&dir, messages);
        println!("--- {messages} messages ---");
        let (loaded, figures) = measure(&ours).await?;
        print_row("convo-export", bytes, loaded, &figures);
        let anchor = anchor_near_the_end(&ours, 40)?;
        let (at, shown) = measure_anchor(&ours, &anchor).await?;
        println!("{:<28} opened at #{anchor}: {at:.0} ms, {}", "", if shown { "the message on screen" } else { "NOT SHOWN" });
        // Ours with every conversation built at load (nothing lazy): what lazy ones save.
        let built = write_built(&dir, &ours)?;
        let (loaded, figures) = measure(&built).await?;
        print_row("baseline: all built at load", std::fs::metadata(&built)?.len(), loaded, &figures);
        let (at, shown) = measure_anchor(&built, &anchor).await?;
        println!("{:<28} opened at #{anchor}: {at:.0} ms, {}", "", if shown { "the message on screen" } else { "NOT SHOWN" });
        if messages <= 100_000 {
            let naive = write_naive(&dir, &ours);
            let (loaded, figures) = measure(&naive).await?;
            print_row("baseline: naive single file", std::fs::metadata(&naive)?.len(), loaded, &figures);
        }
    }
    Ok(())
}
