//! Measuring a server process from outside, for the benches: its peak memory, and
//! `/healthz` latencies probed from another client address while it works.

use std::time::{Duration, Instant};

/// The address `/healthz` is probed from: not the load's (127.0.0.1).
pub const PROBER: std::net::IpAddr = std::net::IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 2));

/// The process's peak resident memory so far, in MB.
pub fn peak_rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

/// Probes `/healthz` every 10 ms (a fresh connection each time, as a load balancer
/// does) until `done` says so; returns the latencies, failures counted as 10 s.
pub async fn probe(base: String, done: tokio::sync::watch::Receiver<bool>) -> Vec<Duration> {
    let mut latencies = Vec::new();
    let client =
        reqwest::Client::builder().pool_max_idle_per_host(0).local_address(PROBER).timeout(Duration::from_secs(10)).build().unwrap();
    while !*done.borrow() {
        let t = Instant::now();
        let ok = client.get(format!("{base}/healthz")).send().await.is_ok_and(|r| r.status() == 200);
        latencies.push(if ok { t.elapsed() } else { Duration::from_secs(10) });
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    latencies
}

pub fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1e3
}
