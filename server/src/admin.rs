//! Administration's rules, for the command line and `/api/admin/…` alike: adding accounts
//! (with a password or a one-time invite), making admins, disabling, granting and
//! revoking assistants, creating and revoking tokens of any account. Each action is
//! recorded in the activity trail of the account it touched, with its actor. A change
//! is in the database, so it holds at the next request in every process.

use crate::accounts::Accounts;
use crate::clock::Clock;
use crate::store::{AccountRef, Store, StoreError};
use convo_model::Timestamp;
use convo_model::api::{AccountInfo, AuditAction, TokenInfo, TokenKind};

/// Passwords have at least this many characters.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// An invite link works this long.
const INVITE_TTL: chrono::Duration = chrono::Duration::days(7);
/// Tokens expire after this many days unless told: 90 (1–3650).
pub const DEFAULT_TOKEN_DAYS: u16 = 90;

/// Who acts: an operator at the command line, or an admin signed in.
#[derive(Debug, Clone, Copy)]
pub enum Actor<'a> {
    CommandLine,
    Admin(&'a AccountRef),
}

impl Actor<'_> {
    fn name(&self) -> &str {
        match self {
            Actor::CommandLine => "command line",
            Actor::Admin(account) => &account.email,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("no account with the email {0}")]
    NoSuchAccount(String),
    #[error("no assistant with the id {0:?} (import or ingest its conversations first)")]
    NoSuchAssistant(String),
    #[error("no token with the id {0:?}")]
    NoSuchToken(String),
    #[error("{0}")]
    BadInput(String),
    #[error("{0}")]
    Conflict(String),
    #[error("internal error: {0:#}")]
    Internal(#[from] anyhow::Error),
}

impl From<StoreError> for AdminError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(message) => AdminError::Conflict(message),
            e => AdminError::Internal(e.into()),
        }
    }
}

pub type Result<T, E = AdminError> = std::result::Result<T, E>;

/// An account to add.
pub struct NewAccount<'a> {
    pub email: &'a str,
    pub name: &'a str,
    /// `None`: the account gets a one-time invite instead.
    pub password: Option<&'a str>,
    pub role: Role,
}

/// What an account may do beyond its own exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Member,
    Admin,
}

/// An added account, and its invite's secret when it has no password yet.
pub struct Added {
    pub account: AccountRef,
    pub invite: Option<String>,
}

/// A token to create for an account.
pub struct TokenOrder<'a> {
    pub email: &'a str,
    pub kind: TokenKind,
    pub assistants: &'a [String],
    pub expires_in_days: Option<u16>,
}

#[derive(Clone)]
pub struct Admin {
    store: Store,
    accounts: Accounts,
    clock: Clock,
}

/// An email as accounts keep it, checked.
pub fn normal_email(email: &str) -> Result<String> {
    let email = email.trim().to_lowercase();
    let ok = email.len() <= 254 && email.split_once('@').is_some_and(|(user, host)| !user.is_empty() && !host.is_empty());
    if !ok || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(AdminError::BadInput(format!("{email:?} is not an email address")));
    }
    Ok(email)
}

/// A password fit to keep.
pub fn check_password(password: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AdminError::BadInput(format!("the password must have at least {MIN_PASSWORD_CHARS} characters")));
    }
    if password.len() > 1024 {
        return Err(AdminError::BadInput("the password is too long (1,024 bytes at most)".into()));
    }
    Ok(())
}

/// argon2 off the async workers.
async fn hashed(password: &str) -> Result<String> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || crate::auth::hash_password(&password)).await.map_err(|e| AdminError::Internal(e.into()))
}

impl Admin {
    pub fn new(store: Store, accounts: Accounts, clock: Clock) -> Admin {
        Admin { store, accounts, clock }
    }

    fn now(&self) -> Timestamp {
        self.clock.now()
    }

    async fn account(&self, email: &str) -> Result<AccountRef> {
        let email = email.trim().to_lowercase();
        match self.store.account_by_email(&email).await? {
            Some((account, _)) => Ok(account),
            None => Err(AdminError::NoSuchAccount(email)),
        }
    }

    async fn record(&self, account: &AccountRef, action: AuditAction, actor: Actor<'_>, detail: Option<&str>) -> Result<()> {
        Ok(self.store.audit_account(account.id, action, actor.name(), detail, self.now()).await?)
    }

    pub async fn add_account(&self, actor: Actor<'_>, new: NewAccount<'_>) -> Result<Added> {
        let email = normal_email(new.email)?;
        let name = new.name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(AdminError::BadInput("name: 1 to 200 characters".into()));
        }
        let hash = match new.password {
            Some(password) => {
                check_password(password)?;
                hashed(password).await?
            }
            // No hash matches an empty one: the account cannot log in until its invite is used.
            None => String::new(),
        };
        let now = self.now();
        let id = self.store.create_account(&email, name, &hash, now).await?;
        if new.role == Role::Admin {
            self.store.set_admin(id, Some(now)).await?;
        }
        let account = AccountRef { id, email, name: name.to_string(), admin: new.role == Role::Admin };
        let invite = match new.password {
            Some(_) => None,
            None => {
                let secret = crate::auth::new_token("inv_");
                self.store.create_invite(&crate::auth::token_hash(&secret), id, now + INVITE_TTL).await?;
                Some(secret)
            }
        };
        let how = match (&invite, new.role) {
            (Some(_), Role::Admin) => "an admin, invited",
            (Some(_), Role::Member) => "invited",
            (None, Role::Admin) => "an admin, with a password",
            (None, Role::Member) => "with a password",
        };
        self.record(&account, AuditAction::AccountAdded, actor, Some(how)).await?;
        Ok(Added { account, invite })
    }

    /// Sets the invited account's password; the invite then works no more.
    pub async fn accept_invite(&self, secret: &str, password: &str) -> Result<AccountRef> {
        check_password(password)?;
        let hash = hashed(password).await?;
        let account = self.store.accept_invite(&crate::auth::token_hash(secret.trim()), &hash, self.now()).await?.ok_or_else(|| {
            AdminError::BadInput("this invite link is unknown, used or expired: ask an administrator for a new one".into())
        })?;
        self.store.audit_account(account.id, AuditAction::InviteAccepted, &account.email, None, self.now()).await?;
        Ok(account)
    }

    pub async fn set_role(&self, actor: Actor<'_>, email: &str, role: Role) -> Result<AccountRef> {
        let account = self.account(email).await?;
        let (since, action) = match role {
            Role::Admin => (Some(self.now()), AuditAction::MadeAdmin),
            Role::Member => (None, AuditAction::AdminRemoved),
        };
        self.store.set_admin(account.id, since).await?;
        self.record(&account, action, actor, None).await?;
        Ok(AccountRef { admin: role == Role::Admin, ..account })
    }

    /// Disables the account: its sessions end, its tokens stop, it cannot log in.
    pub async fn disable(&self, actor: Actor<'_>, email: &str) -> Result<AccountRef> {
        let account = self.account(email).await?;
        if let Actor::Admin(me) = actor
            && me.id == account.id
        {
            return Err(AdminError::BadInput("you cannot disable your own account".into()));
        }
        self.store.set_disabled(account.id, Some(self.now())).await?;
        self.record(&account, AuditAction::AccountDisabled, actor, None).await?;
        Ok(account)
    }

    pub async fn enable(&self, actor: Actor<'_>, email: &str) -> Result<AccountRef> {
        let account = self.account(email).await?;
        self.store.set_disabled(account.id, None).await?;
        self.record(&account, AuditAction::AccountEnabled, actor, None).await?;
        Ok(account)
    }

    pub async fn grant(&self, actor: Actor<'_>, email: &str, assistant: &str) -> Result<(AccountRef, String)> {
        let account = self.account(email).await?;
        let row = self.store.assistant_by_public_id(assistant).await?.ok_or_else(|| AdminError::NoSuchAssistant(assistant.into()))?;
        self.store.grant(account.id, row.pk).await?;
        self.record(&account, AuditAction::Granted, actor, Some(&row.id)).await?;
        Ok((account, row.name))
    }

    /// Takes the assistant from the account: at once its pages, previews and new exports
    /// are 404 for it. False when it had no grant.
    pub async fn revoke(&self, actor: Actor<'_>, email: &str, assistant: &str) -> Result<bool> {
        let account = self.account(email).await?;
        let row = self.store.assistant_by_public_id(assistant).await?.ok_or_else(|| AdminError::NoSuchAssistant(assistant.into()))?;
        let had = self.store.revoke(account.id, row.pk).await?;
        if had {
            self.record(&account, AuditAction::Revoked, actor, Some(&row.id)).await?;
        }
        Ok(had)
    }

    pub async fn accounts(&self) -> Result<Vec<AccountInfo>> {
        Ok(self.store.accounts_info().await?)
    }

    pub async fn account_info(&self, email: &str) -> Result<AccountInfo> {
        let email = email.trim().to_lowercase();
        self.accounts().await?.into_iter().find(|a| a.email == email).ok_or(AdminError::NoSuchAccount(email))
    }

    /// A token for any account: its id and its secret (shown once).
    pub async fn create_token(&self, actor: Actor<'_>, order: TokenOrder<'_>) -> Result<(String, String)> {
        let account = self.account(order.email).await?;
        let days = order.expires_in_days.unwrap_or(DEFAULT_TOKEN_DAYS);
        if !(1..=3650).contains(&days) {
            return Err(AdminError::BadInput("expires_in_days: 1 to 3650".into()));
        }
        let expires = Some(chrono::Duration::days(i64::from(days)));
        let (id, token) = match order.kind {
            TokenKind::Personal if !order.assistants.is_empty() => {
                return Err(AdminError::BadInput("assistants: only an ingest token is scoped to assistants".into()));
            }
            TokenKind::Personal => self.accounts.create_token(&account, expires).await?,
            TokenKind::Ingest => {
                let scope = crate::ingest::scope(order.assistants).map_err(|e| AdminError::BadInput(format!("assistants: {e}")))?;
                self.accounts.create_ingest_token(&account, &scope, expires).await?
            }
        };
        let detail = match order.kind {
            TokenKind::Personal => format!("personal token {id}"),
            TokenKind::Ingest => format!("ingest token {id} for {}", order.assistants.join(", ")),
        };
        self.record(&account, AuditAction::TokenCreated, actor, Some(&detail)).await?;
        Ok((id, token))
    }

    pub async fn tokens(&self) -> Result<Vec<TokenInfo>> {
        Ok(self.store.api_tokens(None).await?)
    }

    pub async fn revoke_token(&self, actor: Actor<'_>, id: &str) -> Result<()> {
        let owner = self.accounts.revoke_token(id).await?.ok_or_else(|| AdminError::NoSuchToken(id.into()))?;
        self.store.audit_account(owner, AuditAction::TokenRevoked, actor.name(), Some(id), self.now()).await?;
        Ok(())
    }
}
