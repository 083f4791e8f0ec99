//! Accounts: logging in (throttled, with password hashing bounded), sessions, and API
//! tokens, personal or ingest (expiring, listed, revoked). The HTTP layer and the command line
//! call these; the store keeps the rows.

mod throttle;

pub use throttle::{Policy, Throttle};

use crate::store::throttle::ATTEMPTS_KEPT as THROTTLE_WINDOW;

use crate::clock::Clock;
use crate::settings::Settings;
use crate::store::{AccountRef, LiveToken, NewToken, Store};
use convo_model::api::{TokenInfo, TokenKind};
use std::sync::{Arc, OnceLock};
use tokio::sync::Semaphore;

/// Why a login was refused.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("enter an email and a password")]
    Missing,
    #[error("the password is too long")]
    TooLong,
    /// The same answer whether the email has an account or not.
    #[error("wrong email or password")]
    Wrong,
    #[error("too many failed logins: try again in {} seconds", .0.num_seconds().max(1))]
    Throttled(chrono::Duration),
    /// Only once the password was right: a stranger learns nothing.
    #[error("this account is disabled: ask an administrator")]
    Disabled,
    #[error("too many logins at once: try again in a second")]
    Busy,
    #[error("internal error: {0:#}")]
    Internal(#[from] anyhow::Error),
}

impl From<crate::store::StoreError> for LoginError {
    fn from(e: crate::store::StoreError) -> Self {
        LoginError::Internal(e.into())
    }
}

/// Failures of one account (by email, known or not) and of one client address.
const PER_ACCOUNT: Policy = Policy { free: 5, window: THROTTLE_WINDOW, max_block: chrono::Duration::minutes(15) };
const PER_CLIENT: Policy = Policy { free: 20, window: THROTTLE_WINDOW, max_block: chrono::Duration::minutes(15) };

/// Passwords longer than this are refused before hashing.
const MAX_PASSWORD_BYTES: usize = 1024;

/// Logins that may wait for a hashing slot, per core; more are answered 429 at once. A
/// waiting login holds only its request; each hash works in one of `cores` buffers of
/// 19 MiB (argon2's default), reused: 300 logins at once took the server to 5.2 GB
/// before, and stay within tens of MB now (`cargo bench -p convo-server --bench load`).
const WAITING_PER_CORE: usize = 64;

/// A hash to check unknown emails against, so that they take as long as a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| crate::auth::hash_password(&crate::auth::new_token("decoy-")))
}

#[derive(Clone)]
pub struct Accounts {
    store: Store,
    clock: Clock,
    settings: Arc<Settings>,
    throttle: Throttle,
    hashing: Arc<Semaphore>,
    waiting: Arc<Semaphore>,
    /// One argon2 work buffer per hashing slot, reused by every login.
    buffers: Arc<std::sync::Mutex<Vec<Vec<argon2::Block>>>>,
}

/// A new login session: the account and the secret for its cookie.
pub struct NewSession {
    pub account: AccountRef,
    pub token: String,
}

impl Accounts {
    pub fn new(store: Store, clock: Clock, settings: Arc<Settings>) -> Accounts {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Accounts {
            clock,
            settings,
            throttle: Throttle::new(store.clone()),
            store,
            hashing: Arc::new(Semaphore::new(cores)),
            waiting: Arc::new(Semaphore::new(cores * WAITING_PER_CORE)),
            buffers: Arc::new(std::sync::Mutex::new((0..cores).map(|_| Vec::new()).collect())),
        }
    }

    /// Checks an email and password from `client` (its address) and opens a session.
    pub async fn login(&self, email: &str, password: &str, client: &str) -> Result<NewSession, LoginError> {
        let email = email.trim().to_lowercase();
        if email.is_empty() || password.is_empty() {
            return Err(LoginError::Missing);
        }
        if password.len() > MAX_PASSWORD_BYTES {
            return Err(LoginError::TooLong);
        }
        let (account_key, client_key) = (format!("account:{email}"), format!("client:{client}"));
        // Counted before the password is checked: parallel guesses are no cheaper.
        let now = self.clock.now();
        let by_account = self.throttle.attempt(&account_key, PER_ACCOUNT, now).await?;
        let by_client = self.throttle.attempt(&client_key, PER_CLIENT, now).await?;
        if let Some(wait) = by_account.max(by_client) {
            return Err(LoginError::Throttled(wait));
        }
        let found = self.store.account_by_email(&email).await?;
        // An invited account has no password yet: it takes as long as an unknown one.
        let hash = found.as_ref().filter(|(_, hash)| !hash.is_empty()).map_or_else(|| decoy_hash().to_string(), |(_, hash)| hash.clone());
        let matches = self.verify(password, hash).await?;
        let Some((account, _)) = found.filter(|(_, hash)| matches && !hash.is_empty()) else {
            return Err(LoginError::Wrong);
        };
        self.throttle.succeeded(&account_key).await?;
        if self.store.is_disabled(account.id).await? {
            return Err(LoginError::Disabled);
        }
        self.throttle.refund(&client_key, PER_CLIENT, now).await?;
        Ok(self.start_session(account).await?)
    }

    /// A new session of the account (logged in, or an invite just accepted).
    pub async fn start_session(&self, account: AccountRef) -> crate::store::Result<NewSession> {
        let token = crate::auth::new_token("s_");
        let now = self.clock.now();
        self.store.create_session(&crate::auth::token_hash(&token), account.id, now, now + self.settings.session_ttl).await?;
        Ok(NewSession { account, token })
    }

    /// argon2 off the async workers, at most one per core, each in a reused buffer, with
    /// a bounded queue.
    async fn verify(&self, password: &str, hash: String) -> Result<bool, LoginError> {
        let _waiting = self.waiting.try_acquire().map_err(|_| LoginError::Busy)?;
        let _hashing = self.hashing.acquire().await.map_err(|e| LoginError::Internal(e.into()))?;
        let buffers = self.buffers.clone();
        let mut memory = buffers.lock().unwrap_or_else(|e| e.into_inner()).pop().unwrap_or_default();
        let password = password.to_string();
        let (matches, memory) = tokio::task::spawn_blocking(move || {
            let matches = crate::auth::verify_password_in(&password, &hash, &mut memory);
            (matches, memory)
        })
        .await
        .map_err(|e| LoginError::Internal(e.into()))?;
        buffers.lock().unwrap_or_else(|e| e.into_inner()).push(memory);
        Ok(matches)
    }

    pub async fn logout(&self, session_token: &str) -> crate::store::Result<()> {
        self.store.delete_session(&crate::auth::token_hash(session_token)).await
    }

    /// The account of a live session.
    pub async fn by_session(&self, session_token: &str) -> crate::store::Result<Option<AccountRef>> {
        self.store.session_account(&crate::auth::token_hash(session_token), self.clock.now()).await
    }

    /// The token, if it works: neither expired nor revoked, its account not disabled.
    pub async fn by_token(&self, token: &str) -> crate::store::Result<Option<LiveToken>> {
        self.store.live_token(&crate::auth::token_hash(token), self.clock.now()).await
    }

    /// A new personal token for the account: its id and its secret (shown once).
    pub async fn create_token(&self, account: &AccountRef, expires_in: Option<chrono::Duration>) -> crate::store::Result<(String, String)> {
        self.new_token(account, TokenKind::Personal, &[], expires_in).await
    }

    /// A new ingest token for the account, able to write the conversations of these
    /// assistants (by public id) and nothing else.
    pub async fn create_ingest_token(
        &self,
        account: &AccountRef,
        assistants: &[String],
        expires_in: Option<chrono::Duration>,
    ) -> crate::store::Result<(String, String)> {
        self.new_token(account, TokenKind::Ingest, assistants, expires_in).await
    }

    async fn new_token(
        &self,
        account: &AccountRef,
        kind: TokenKind,
        assistants: &[String],
        expires_in: Option<chrono::Duration>,
    ) -> crate::store::Result<(String, String)> {
        let id = format!("tok_{}", &crate::auth::new_export_id()[..16]);
        let token = crate::auth::new_token(match kind {
            TokenKind::Personal => "cvx_",
            TokenKind::Ingest => "cvi_",
        });
        let now = self.clock.now();
        let hash = crate::auth::token_hash(&token);
        let new = NewToken { id: &id, hash: &hash, account_id: account.id, kind, assistants, expires: expires_in.map(|d| now + d) };
        self.store.create_api_token(new, now).await?;
        Ok((id, token))
    }

    pub async fn tokens(&self, account: &AccountRef) -> crate::store::Result<Vec<TokenInfo>> {
        self.store.api_tokens(Some(account.id)).await
    }

    /// Revokes a token by its id; the account it belonged to, `None` when there is none.
    pub async fn revoke_token(&self, id: &str) -> crate::store::Result<Option<i64>> {
        self.store.revoke_api_token(id).await
    }
}
