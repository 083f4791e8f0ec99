-- The ingest API and administration.
-- Each conversation's content hash (SHA-256 of its import line, canonical): a line sent
-- again with the same content is `unchanged` and not rewritten.
ALTER TABLE conversations ADD COLUMN content_hash TEXT;
-- Admins (since when) and disabled accounts (since when): a disabled account's sessions
-- and tokens stop at its next request.
ALTER TABLE accounts ADD COLUMN admin_since BIGINT;
ALTER TABLE accounts ADD COLUMN disabled_at BIGINT;
-- Tokens are personal (the account's API) or ingest (write the conversations of the
-- assistants they are scoped to, nothing else); when each was last used.
ALTER TABLE api_tokens ADD COLUMN kind TEXT NOT NULL DEFAULT 'personal';
ALTER TABLE api_tokens ADD COLUMN last_used_at BIGINT;
CREATE TABLE token_assistants (
    token_id TEXT NOT NULL,
    assistant_id TEXT NOT NULL,
    PRIMARY KEY (token_id, assistant_id)
);
-- An ingest batch's answer under its Idempotency-Key, per account: a batch sent again
-- answers the first result. `answer_json` is NULL while the first is still running.
CREATE TABLE ingest_batches (
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    idempotency_key TEXT NOT NULL,
    body_sha256 TEXT NOT NULL,
    answer_json TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, idempotency_key)
);
CREATE INDEX ingest_batches_by_age ON ingest_batches (created_at);
-- One-time invite links: an account added without a password sets its own with the
-- link's secret (only its hash is kept) before the link expires.
CREATE TABLE invites (
    token_hash TEXT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL
);
-- Webhooks per account: the secret signs every delivery (HMAC-SHA256 over the body);
-- `events` is a comma-separated list of event names.
CREATE TABLE webhooks (
    id TEXT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    secret TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
-- One delivery of one event to one webhook, in the order enqueued (`seq`): 'pending'
-- until a 2xx answer ('delivered') or a day of retries ('failed'). A worker claims a
-- delivery under a lease; a delivery waits for the earlier ones of its export.
CREATE TABLE webhook_deliveries (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    webhook_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    event TEXT NOT NULL,
    export_id TEXT,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_at BIGINT NOT NULL,
    last_status BIGINT,
    last_error TEXT,
    last_at BIGINT,
    lease_until BIGINT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_at);
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, seq);
-- An export's expiry is announced once.
ALTER TABLE exports ADD COLUMN expiry_announced BIGINT;
