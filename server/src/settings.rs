//! The limits and knobs of `docs/api.md`, with their production defaults. Tests change
//! them (a shorter takeover delay, a smaller upload limit); `serve` sets the ones its
//! flags name (public URL, lease, trusted proxies).

use crate::store::PageLimits;

#[derive(Debug, Clone)]
pub struct Settings {
    /// Where the server is reached, for messages that name it.
    pub public_url: Option<String>,
    pub max_exports: i64,
    pub retention: chrono::Duration,
    /// A browser rendering an export that has not reported for this long is taken over.
    pub stale_after: chrono::Duration,
    /// A server render's lease: renewed with every page (and while it waits); another
    /// process takes the export over once it lapses, so a process that died has its
    /// exports finished within a lease and a sweep.
    pub render_lease: chrono::Duration,
    pub max_upload_bytes: u64,
    pub session_ttl: chrono::Duration,
    pub page: PageLimits,
    /// How big an export's pages get (`catalog::EXPORT_PAGE` unless a test makes them
    /// small, to have many).
    pub export_page: Option<PageLimits>,
    /// Users reach the server over HTTPS: the session cookie is `Secure` and named with
    /// the `__Host-` prefix.
    pub secure_cookies: bool,
    /// Server renders running at once in this process; the rest wait (shown as waiting).
    pub render_slots: usize,
    /// A connection must send its request headers within this (it is closed otherwise).
    pub header_timeout: std::time::Duration,
    /// A request body may go this long without a byte.
    pub body_idle_timeout: std::time::Duration,
    /// On shutdown, requests in flight get this long to finish.
    pub shutdown_grace: std::time::Duration,
    /// Connections served at once; more wait to be accepted.
    pub max_connections: usize,
    /// Connections one client address may hold at once (more are answered 429 and
    /// closed), so one client cannot take every connection from the others. Peers in
    /// `trusted_proxies` are not counted so: every client behind them shares their address.
    pub max_connections_per_client: usize,
    /// Bodies of routes used before logging in (log in, log out) are at most this big.
    pub max_unauthenticated_body: usize,
    /// A request before logging in (headers given) must have arrived whole within this.
    pub unauthenticated_deadline: std::time::Duration,
    /// Load balancers whose `X-Forwarded-For` names the client (`--trusted-proxy`).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Webhooks may point to private addresses (`--allow-private-webhooks`).
    pub allow_private_webhooks: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            public_url: None,
            max_exports: 20,
            retention: chrono::Duration::days(30),
            stale_after: chrono::Duration::minutes(3),
            render_lease: chrono::Duration::seconds(30),
            max_upload_bytes: 4 << 30,
            session_ttl: chrono::Duration::days(30),
            page: PageLimits::default(),
            export_page: None,
            secure_cookies: false,
            render_slots: std::thread::available_parallelism().map_or(2, |n| n.get()),
            header_timeout: std::time::Duration::from_secs(30),
            body_idle_timeout: std::time::Duration::from_secs(60),
            shutdown_grace: std::time::Duration::from_secs(30),
            max_connections: 4096,
            // A quarter of all: a browser opens six or so, an office behind one NAT a few
            // hundred, and 200 logins at once from one address must all be answered (the
            // trust tests); three other clients always find room.
            max_connections_per_client: 1024,
            max_unauthenticated_body: 16 << 10,
            unauthenticated_deadline: std::time::Duration::from_secs(10),
            trusted_proxies: Vec::new(),
            allow_private_webhooks: false,
        }
    }
}
