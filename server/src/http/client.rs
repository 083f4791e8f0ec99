//! Who the client is: the TCP peer, or, when the peer is a trusted load balancer
//! (`--trusted-proxy`), the address it names in `X-Forwarded-For`. Throttling and the
//! per-client connection share key on this. From any other peer the header is ignored:
//! anyone can send it.

use axum::http::HeaderMap;
use ipnet::IpNet;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// The client's address: the right-most `X-Forwarded-For` entry that is not itself a
/// trusted proxy (each proxy appends the address it got the request from), when the peer
/// is trusted; the peer otherwise.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let forwarded = headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(','));
    let hops: Vec<IpAddr> = forwarded.filter_map(|hop| hop.trim().parse().ok()).collect();
    hops.into_iter().rev().find(|ip| !is_trusted(ip)).unwrap_or(peer)
}

/// Connections per client address, each counted while its guard lives.
#[derive(Clone, Default)]
pub struct PerClient {
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// One counted connection.
pub struct Counted {
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
    ip: IpAddr,
}

impl PerClient {
    /// Counts a connection from `ip`, unless it holds `max` already.
    pub fn admit(&self, ip: IpAddr, max: usize) -> Option<Counted> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let n = open.entry(ip).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(Counted { open: self.open.clone(), ip })
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = open.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", xff.parse().unwrap());
        h
    }

    #[test]
    fn forwarded_addresses_count_only_from_trusted_proxies() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let (proxy, stranger): (IpAddr, IpAddr) = ("10.1.2.3".parse().unwrap(), "203.0.113.9".parse().unwrap());
        assert_eq!(client_ip(proxy, &headers("198.51.100.7"), &trusted), "198.51.100.7".parse::<IpAddr>().unwrap());
        assert_eq!(client_ip(stranger, &headers("198.51.100.7"), &trusted), stranger, "anyone can send the header");
        // A client that forges an entry is still seen as where the proxy got it from.
        assert_eq!(client_ip(proxy, &headers("1.2.3.4, 198.51.100.7, 10.9.9.9"), &trusted), "198.51.100.7".parse::<IpAddr>().unwrap());
        assert_eq!(client_ip(proxy, &headers("nonsense"), &trusted), proxy);
        assert_eq!(client_ip(proxy, &HeaderMap::new(), &[]), proxy);
    }

    #[test]
    fn a_client_holds_at_most_its_share() {
        let per = PerClient::default();
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let held: Vec<Counted> = (0..3).map(|_| per.admit(ip, 3).unwrap()).collect();
        assert!(per.admit(ip, 3).is_none());
        assert!(per.admit("127.0.0.2".parse().unwrap(), 3).is_some(), "another client is not affected");
        drop(held);
        assert!(per.admit(ip, 3).is_some());
    }
}
