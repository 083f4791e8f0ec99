//! Where a webhook may point: http or https, to public addresses only (unless the server
//! runs with `--allow-private-webhooks`). The host is resolved when the webhook is made
//! and again before every delivery, and the delivery connects to the address checked,
//! so a name that later resolves to 127.0.0.1 (DNS rebinding) is refused too.

use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};

/// Addresses no webhook reaches: loopback, private, link-local, shared (CGNAT),
/// unspecified, multicast, reserved and documentation ranges, and IPv6's equivalents.
const PRIVATE: [&str; 18] = [
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/3",
    "::/127",
    "fc00::/7",
    "fe80::/10",
    "ff00::/8",
    "2001:db8::/32",
];

/// Whether the address is one no webhook may reach.
pub fn is_private(ip: IpAddr) -> bool {
    let ip = match ip {
        // IPv4-mapped and NAT64 forms of an IPv4 address are that address.
        IpAddr::V6(v6) => match (v6.to_ipv4_mapped(), v6.segments()) {
            (Some(v4), _) => IpAddr::V4(v4),
            (None, [0x64, 0xff9b, 0, 0, 0, 0, hi, lo]) => IpAddr::V4(std::net::Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo))),
            _ => ip,
        },
        v4 => v4,
    };
    PRIVATE.iter().filter_map(|n| n.parse::<IpNet>().ok()).any(|net| net.contains(&ip))
}

/// Whether private addresses are allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    PublicOnly,
    AnyAddress,
}

/// A checked target: the URL, its host and the addresses it may be reached at.
#[derive(Debug, Clone)]
pub struct Target {
    pub url: http_client::Url,
    pub host: String,
    pub addrs: Vec<SocketAddr>,
}

/// Checks a webhook URL and resolves it; the error says what to change.
pub async fn resolve(raw: &str, reach: Reach) -> Result<Target, String> {
    let url = http_client::Url::parse(raw.trim()).map_err(|e| format!("url: not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("url: only http and https URLs".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("url: no credentials in the URL (verify the signature instead)".into());
    }
    let host = url.host_str().ok_or("url: no host")?.trim_start_matches('[').trim_end_matches(']').to_string();
    let port = url.port_or_known_default().ok_or("url: no port")?;
    let addrs: Vec<SocketAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => tokio::net::lookup_host((host.as_str(), port))
            .await
            .map_err(|e| format!("url: the host {host:?} does not resolve ({e})"))?
            .collect(),
    };
    if addrs.is_empty() {
        return Err(format!("url: the host {host:?} does not resolve"));
    }
    if reach == Reach::PublicOnly && addrs.iter().any(|a| is_private(a.ip())) {
        return Err(format!(
            "url: {host} is a loopback, private or link-local address; webhooks go to public addresses (or run the server with --allow-private-webhooks)"
        ));
    }
    Ok(Target { url, host, addrs })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_loopback_and_link_local_addresses_are_refused_in_every_spelling() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "224.0.0.1",
        ] {
            assert!(is_private(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "172.32.0.1", "::ffff:8.8.8.8"] {
            assert!(!is_private(ip.parse().unwrap()), "{ip}");
        }
    }

    #[tokio::test]
    async fn urls_are_refused_with_what_to_change() {
        for (url, said) in [
            ("ftp://example.com/x", "only http and https"),
            ("http://user:pw@93.184.216.34/", "no credentials"),
            ("http://127.0.0.1:9/hook", "--allow-private-webhooks"),
            ("http://[::1]/hook", "--allow-private-webhooks"),
            ("http://localhost/hook", "--allow-private-webhooks"),
            ("not a url", "not a URL"),
        ] {
            let err = resolve(url, Reach::PublicOnly).await.unwrap_err();
            assert!(err.contains(said), "{url}: {err}");
        }
        assert!(resolve("http://127.0.0.1:9/hook", Reach::AnyAddress).await.is_ok());
        assert!(resolve("https://93.184.216.34/hook", Reach::PublicOnly).await.is_ok());
    }
}
