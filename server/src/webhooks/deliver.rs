//! Sending deliveries: a worker of its own claims due deliveries under a lease (so one
//! process sends each), at most [`IN_FLIGHT`] at once, each with a timeout, and records
//! every attempt. A delivery is signed `X-Convo-Signature: sha256=HEX(HMAC-SHA256(secret,
//! body))` and carries its id in `X-Convo-Delivery`. A non-2xx answer, no answer or a
//! refused address is retried with backoff until a day after the event.

use super::Webhooks;
use super::address;
use crate::store::webhooks::{Attempt, DueDelivery, Outcome};
use convo_model::Timestamp;
use hmac::{Hmac, Mac};
use std::time::Duration;

/// Deliveries sent at once by one process.
const IN_FLIGHT: i64 = 8;
/// An attempt takes at most this long, answer included.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// A claimed delivery is another process's to try after this.
const LEASE: chrono::Duration = chrono::Duration::seconds(60);
/// Retried until this long after the event.
const RETRY_FOR: chrono::Duration = chrono::Duration::days(1);

/// The wait after the `n`th failed attempt: 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, then
/// every 4 h (about a dozen attempts in the day).
fn backoff(attempts: i64) -> chrono::Duration {
    const STEPS: [i64; 6] = [30, 120, 600, 1800, 3600, 7200];
    chrono::Duration::seconds(STEPS.get(attempts.saturating_sub(1) as usize).copied().unwrap_or(14_400))
}

/// The signature header's value.
pub fn signature(secret: &str, body: &[u8]) -> String {
    // HMAC takes a key of any length.
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!());
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

impl Webhooks {
    /// Sends what is due now; how many attempts were made.
    pub async fn deliver_once(&self) -> crate::store::Result<usize> {
        let now = self.clock.now();
        let due = self.store.claim_deliveries(now, now + LEASE, IN_FLIGHT).await?;
        let n = due.len();
        let attempts = due.into_iter().map(|d| async move {
            let attempt = self.attempt(&d).await;
            (d.id, attempt)
        });
        for (id, attempt) in futures_util::future::join_all(attempts).await {
            self.store.record_attempt(&id, &attempt).await?;
        }
        Ok(n)
    }

    async fn attempt(&self, d: &DueDelivery) -> Attempt {
        let (status, error) = match self.send(d).await {
            Ok(status) if (200..300).contains(&status) => (Some(status), None),
            Ok(status) => (Some(status), Some(format!("the receiver answered {status}"))),
            Err(e) => (None, Some(e)),
        };
        let at = self.clock.now();
        let outcome = match error {
            None => Outcome::Delivered,
            Some(_) => retry_after(d.created_at, d.attempts + 1, at),
        };
        Attempt { status, error, at, outcome }
    }

    /// One POST to the checked address; the receiver's status, or why there was none.
    async fn send(&self, d: &DueDelivery) -> Result<i64, String> {
        let target = address::resolve(&d.url, self.reach()).await?;
        let mut client = http_client::Client::builder()
            .redirect(http_client::redirect::Policy::none())
            .timeout(ATTEMPT_TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("convo-export/", env!("CARGO_PKG_VERSION")));
        // Connect to the addresses just checked, not to whatever the name says next.
        if target.host.parse::<std::net::IpAddr>().is_err() {
            client = client.resolve_to_addrs(&target.host, &target.addrs);
        }
        let client = client.build().map_err(|e| format!("no HTTP client ({e})"))?;
        let response = client
            .post(target.url)
            .header(http_client::header::CONTENT_TYPE, "application/json")
            .header("x-convo-delivery", &d.id)
            .header("x-convo-signature", signature(&d.secret, d.body.as_bytes()))
            .body(d.body.clone())
            .send()
            .await
            .map_err(|e| if e.is_timeout() { "no answer within 10 s".to_string() } else { format!("no answer ({e})") })?;
        Ok(i64::from(response.status().as_u16()))
    }

    /// Runs the deliveries now and then every `every`, in a task of its own.
    pub fn spawn_worker(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let hooks = self.clone();
        tokio::spawn(async move {
            loop {
                match hooks.deliver_once().await {
                    Ok(n) if n as i64 == IN_FLIGHT => continue,
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = %format!("{e:#}"), "webhook deliveries failed"),
                }
                tokio::time::sleep(every).await;
            }
        })
    }
}

/// When to try again after `attempts` failures, or give up a day after the event.
fn retry_after(created: Timestamp, attempts: i64, now: Timestamp) -> Outcome {
    let next = now + backoff(attempts);
    if next > created + RETRY_FOR { Outcome::GaveUp } else { Outcome::RetryAt(next) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_and_stop_a_day_after_the_event() {
        let t0: Timestamp = "2026-11-27T12:00:00Z".parse().unwrap();
        let mut now = t0;
        let mut tries = 1;
        while let Outcome::RetryAt(next) = retry_after(t0, tries, now) {
            assert!(next > now);
            now = next;
            tries += 1;
        }
        assert!((8..=14).contains(&tries), "{tries} attempts in a day");
        assert!(now <= t0 + RETRY_FOR && now > t0 + chrono::Duration::hours(18), "the last attempt near the day's end: {now}");
        assert_eq!(backoff(1), chrono::Duration::seconds(30));
    }

    #[test]
    fn the_signature_is_hmac_sha256_of_the_body_in_hex() {
        // RFC 4231, test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
