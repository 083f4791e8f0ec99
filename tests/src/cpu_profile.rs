//! The page's CPU profile, taken over the DevTools protocol (chromedriver's
//! `goog/cdp/execute`), and the long tasks found in it with what ran in them: a long
//! animation frame names only the event that started its script (`Worker.onmessage`),
//! not the work queued behind it in the same task.

use fantoccini::Client;
use fantoccini::wd::WebDriverCompatibleCommand;
use serde_json::{Value, json};
use std::collections::HashMap;

/// One DevTools command.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/goog/cdp/execute", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(json!({"cmd": self.cmd, "params": self.params}).to_string()))
    }
}

async fn cdp(client: &Client, cmd: &'static str, params: Value) -> anyhow::Result<Value> {
    Ok(client.issue_cmd(Cdp { cmd, params }).await?)
}

/// Starts sampling the page's main thread every `interval_us` microseconds.
pub async fn start(client: &Client, interval_us: u32) -> anyhow::Result<()> {
    cdp(client, "Profiler.enable", json!({})).await?;
    cdp(client, "Profiler.setSamplingInterval", json!({"interval": interval_us})).await?;
    cdp(client, "Profiler.start", json!({})).await?;
    Ok(())
}

/// A stretch of the profile with no idle sample: a task, with what ran in it.
#[derive(Debug)]
pub struct Busy {
    /// Since the profile began, in ms.
    pub at_ms: f64,
    pub ms: f64,
    /// Functions by time spent in them (themselves only), the most first.
    pub own: Vec<(String, f64)>,
    /// Functions by time spent in them and what they called, the most first.
    pub within: Vec<(String, f64)>,
}

/// Stops the profile and returns its stretches of at least `min_ms` without an idle
/// sample, the longest first.
pub async fn stop(client: &Client, min_ms: f64) -> anyhow::Result<Vec<Busy>> {
    let stopped = cdp(client, "Profiler.stop", json!({})).await?;
    Ok(busy_stretches(&stopped["profile"], min_ms))
}

fn busy_stretches(profile: &Value, min_ms: f64) -> Vec<Busy> {
    let empty = Vec::new();
    let nodes = profile["nodes"].as_array().unwrap_or(&empty);
    let mut name = HashMap::new();
    let mut parent = HashMap::new();
    for node in nodes {
        let id = node["id"].as_i64().unwrap_or(0);
        let frame = &node["callFrame"];
        let function = frame["functionName"].as_str().unwrap_or("");
        let url = frame["url"].as_str().unwrap_or("");
        let file = url.rsplit('/').next().unwrap_or("");
        let label = if function.is_empty() { format!("(anonymous) {file}") } else { format!("{function} {file}") };
        name.insert(id, label.trim().to_string());
        for child in node["children"].as_array().unwrap_or(&empty) {
            parent.insert(child.as_i64().unwrap_or(0), id);
        }
    }
    let samples = profile["samples"].as_array().unwrap_or(&empty);
    let deltas = profile["timeDeltas"].as_array().unwrap_or(&empty);
    let mut t = 0.0;
    let mut stretches = Vec::new();
    let mut current: Vec<(i64, f64)> = Vec::new();
    let mut began = 0.0;
    for (sample, delta) in samples.iter().zip(deltas) {
        let dt = delta.as_f64().unwrap_or(0.0) / 1e3;
        t += dt;
        let id = sample.as_i64().unwrap_or(0);
        if name.get(&id).is_some_and(|n| n == "(idle)") {
            if !current.is_empty() {
                stretches.push((began, std::mem::take(&mut current)));
            }
            continue;
        }
        if current.is_empty() {
            began = t;
        }
        current.push((id, dt));
    }
    if !current.is_empty() {
        stretches.push((began, current));
    }
    let mut busy: Vec<Busy> = stretches
        .into_iter()
        .filter_map(|(at_ms, samples)| {
            let ms: f64 = samples.iter().map(|(_, dt)| dt).sum();
            if ms < min_ms {
                return None;
            }
            let (mut own, mut within) = (HashMap::<String, f64>::new(), HashMap::<String, f64>::new());
            for (id, dt) in samples {
                *own.entry(name[&id].clone()).or_default() += dt;
                let mut seen = std::collections::HashSet::new();
                let mut at = Some(id);
                while let Some(node) = at {
                    if seen.insert(name[&node].clone()) {
                        *within.entry(name[&node].clone()).or_default() += dt;
                    }
                    at = parent.get(&node).copied();
                }
            }
            let sorted = |map: HashMap<String, f64>| {
                let mut list: Vec<_> = map.into_iter().collect();
                list.sort_by(|a, b| b.1.total_cmp(&a.1));
                list
            };
            Some(Busy { at_ms, ms, own: sorted(own), within: sorted(within) })
        })
        .collect();
    busy.sort_by(|a, b| b.ms.total_cmp(&a.ms));
    busy
}
