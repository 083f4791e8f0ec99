//! The limits and knobs of PRODUCT.md, with their production defaults. Tests change
//! them (a shorter takeover delay, a smaller upload limit); nothing else does.

use crate::store::PageLimits;

#[derive(Debug, Clone)]
pub struct Settings {
    pub max_exports: i64,
    pub retention: chrono::Duration,
    /// A processing export whose renderer has not reported for this long is taken over.
    pub stale_after: chrono::Duration,
    pub max_upload_bytes: u64,
    pub session_ttl: chrono::Duration,
    pub page: PageLimits,
    /// Adds `Secure` to the session cookie (behind HTTPS).
    pub secure_cookies: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            max_exports: 20,
            retention: chrono::Duration::days(30),
            stale_after: chrono::Duration::minutes(3),
            max_upload_bytes: 4 << 30,
            session_ttl: chrono::Duration::days(30),
            page: PageLimits::default(),
            secure_cookies: false,
        }
    }
}
